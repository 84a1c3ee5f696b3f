//! Invariant oracles: each judges a whole [`Trace`] and reports [`Violation`]s.
//!
//! | oracle | fires when |
//! | --- | --- |
//! | `server-error` | any 5xx |
//! | `status-conformance` | a status code the operation does not declare (and no `default`) |
//! | `schema-conformance` | a body that does not validate against the declared schema, or an undeclared content type |
//! | `bola` | a non-admin gets 2xx reading, changing or deleting an object another identity owns; or the owner's re-read shows a change or deletion made by someone else, whatever status that request got |
//! | `list-leak` | a list answer to one identity contains objects another identity owns |
//! | `bfla` | a non-admin gets 2xx on an admin operation |
//! | `ignored-auth` | an operation with declared security answers 2xx with no or invalid credentials |
//! | `account-takeover` | an identity changes another's password or email, and then its new value logs in as the other, or the other's own credentials stop working |
//! | `mass-assignment` | a non-admin sets a read-only or privileged field, and a later read or privilege shows it took |
//! | `use-after-delete` | an object answers 2xx after its owner deleted it with 2xx |
//! | `resource-hierarchy` | a nested path returns a child that does not belong to the parent in the path |
//! | `slow-response` | a response slower than a threshold (default 5 s) |
//! | `transport-error` | no whole answer: the connection closed or reset before answering, an answer that is not HTTP, a body cut short, a redirect loop |
//! | `negative-acceptance` | a schema-invalid request answers 2xx (off by default) |
//!
//! Users add their own by implementing [`Oracle`]. Every violation carries a [`Signature`]
//! (oracle, operation, roles; never concrete ids) that deduplicates findings, and names the
//! policy rule it broke. Where the policy cannot decide, an oracle stays silent.

mod policy;

// authorization oracles
mod account_takeover;
mod bfla;
mod bola;
mod common;
mod ignored_auth;
mod list_leak;
mod mass_assignment;
mod resource_hierarchy;
mod use_after_delete;
pub use account_takeover::AccountTakeover;
pub use bfla::Bfla;
pub use bola::Bola;
pub use ignored_auth::IgnoredAuth;
pub use list_leak::ListLeak;
pub use mass_assignment::MassAssignment;
pub use resource_hierarchy::ResourceHierarchy;
pub use use_after_delete::UseAfterDelete;

// conformance oracles
mod negative_acceptance;
mod schema_conformance;
mod server_error;
mod slow_response;
mod status_conformance;
mod transport_error;
pub use negative_acceptance::NegativeAcceptance;
pub use schema_conformance::SchemaConformance;
pub use server_error::ServerError;
pub use slow_response::SlowResponse;
pub use status_conformance::StatusConformance;
pub use transport_error::TransportError;

mod registry;
pub use registry::{FailOn, SelectError, built_in, defaults, select};

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use trespass_generators::model::{ApiModel, OperationId};
use trespass_generators::sequence::Role;

use crate::exec::{Ownership, Trace, TraceIndex};

pub use policy::{Policy, Verdict, pattern_matches};

/// Everything an oracle may look at.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CheckContext<'a> {
    /// The API model.
    pub model: &'a ApiModel,
    /// The trace to judge.
    pub trace: &'a Trace,
    /// Owners and deletions learned while it ran.
    pub ownership: &'a Ownership,
    /// The authorization policy.
    pub policy: &'a Policy,
    /// Answers slower than this are slow.
    pub slow_threshold: Duration,
}

impl<'a> CheckContext<'a> {
    /// A context over these parts.
    pub fn new(
        model: &'a ApiModel,
        trace: &'a Trace,
        ownership: &'a Ownership,
        policy: &'a Policy,
        slow_threshold: Duration,
    ) -> Self {
        Self {
            model,
            trace,
            ownership,
            policy,
            slow_threshold,
        }
    }
}

/// An invariant over traces.
pub trait Oracle: Send + Sync {
    /// The oracle's name (`bola`), used in signatures, reports and `--oracles`. Each built-in
    /// oracle keeps it in one `NAME` constant ([`Bola::NAME`]), which its violations carry too.
    fn name(&self) -> &'static str;

    /// Every violation in the trace (several per trace are fine; they deduplicate by
    /// signature).
    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation>;

    /// The trace steps this oracle judged: the steps where it could have fired (its
    /// preconditions held: a user addressing an object another identity owns, a user calling
    /// an admin-only operation, ...), whatever it concluded. A campaign counts them in its
    /// authorization coverage ([`crate::campaign::Coverage`]), so that "no findings" can be
    /// told apart from "nothing judged". The default says nothing was judged: conformance
    /// oracles judge every answer and do not count.
    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        let _ = cx;
        Vec::new()
    }
}

/// Whether `step` is a cross-identity access: a sequence step of a non-admin identity that
/// read, changed or deleted an object whose owner is known and is another identity. Returns
/// the object's kind and what the step did to it. These are the steps object-level
/// authorization is judged on (`bola`), and what a campaign's coverage counts per kind.
pub fn cross_identity_access(
    cx: &CheckContext<'_>,
    step: &crate::exec::TraceStep,
) -> Option<(String, trespass_generators::model::CrudRole)> {
    use trespass_generators::model::CrudRole;
    if !matches!(step.purpose, crate::exec::Purpose::Sequence { .. }) || step.role == Role::Admin {
        return None;
    }
    let (resource, role) = cx.model.resource_of(&step.op)?;
    if !matches!(role, CrudRole::Read | CrudRole::Update | CrudRole::Delete) {
        return None;
    }
    let key = crate::exec::object_of(cx.model, &step.op, &step.path_params)?;
    let (owner, _) = cx.ownership.owner(&key)?;
    (*owner != step.identity).then(|| (resource.kind.clone(), role))
}

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The oracle's name.
    pub oracle: String,
    /// The operation it is about (`GET /orders/{orderId}`).
    pub operation: OperationId,
    /// Roles involved, acting identity first (`["user", "user"]`: a user touched another
    /// user's object).
    pub roles: Vec<Role>,
    /// Index in the trace of the step that shows the violation.
    pub step: TraceIndex,
    /// What happened, in one sentence with the identities' names (no secrets, no ids needed).
    pub message: String,
    /// The invariant or policy rule it broke (`objects of user alice are hers alone`,
    /// `admin-only by tag:admin`).
    pub rule: String,
}

impl Violation {
    /// The violation's signature.
    pub fn signature(&self) -> Signature {
        Signature::new(&self.oracle, &self.operation, &self.roles)
    }
}

/// What identifies a finding across runs: oracle, operation and roles; never concrete ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Signature(String);

impl Signature {
    /// `bola GET /orders/{orderId} [user,user]`.
    pub fn new(oracle: &str, operation: &OperationId, roles: &[Role]) -> Self {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Self(format!("{oracle} {operation} [{}]", roles.join(",")))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A file name for the signature: readable, ASCII, and unique (a short hash of the whole
    /// signature is appended).
    pub fn file_stem(&self) -> String {
        use sha2::Digest;
        let mut readable: String = self
            .0
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        while readable.contains("--") {
            readable = readable.replace("--", "-");
        }
        let readable = readable.trim_matches('-');
        let readable: String = readable.chars().take(80).collect();
        let hash = sha2::Sha256::digest(self.0.as_bytes());
        let short: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("{readable}-{short}")
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names of the built-in oracles, in report order.
pub const BUILT_IN: &[&str] = &[
    ServerError::NAME,
    StatusConformance::NAME,
    SchemaConformance::NAME,
    Bola::NAME,
    ListLeak::NAME,
    Bfla::NAME,
    IgnoredAuth::NAME,
    AccountTakeover::NAME,
    MassAssignment::NAME,
    UseAfterDelete::NAME,
    ResourceHierarchy::NAME,
    SlowResponse::NAME,
    TransportError::NAME,
    NegativeAcceptance::NAME,
];

/// Built-in oracles whose findings are security bugs (authorization, authentication, business
/// logic): the class `security` of `--fail-on`.
pub const SECURITY: &[&str] = &[
    Bola::NAME,
    ListLeak::NAME,
    Bfla::NAME,
    IgnoredAuth::NAME,
    AccountTakeover::NAME,
    MassAssignment::NAME,
    UseAfterDelete::NAME,
    ResourceHierarchy::NAME,
];

/// Built-in oracles whose findings are departures from the spec or robustness bugs (5xx,
/// undeclared statuses or shapes, slow answers, broken exchanges, accepted invalid input): the class
/// `conformance` of `--fail-on`.
pub const CONFORMANCE: &[&str] = &[
    ServerError::NAME,
    StatusConformance::NAME,
    SchemaConformance::NAME,
    SlowResponse::NAME,
    TransportError::NAME,
    NegativeAcceptance::NAME,
];

/// Built-in oracles that are off unless asked for.
pub const OFF_BY_DEFAULT: &[&str] = &[NegativeAcceptance::NAME];

/// Runs `oracles` over one context and returns their violations, in oracle order.
pub fn check_all(oracles: &[Box<dyn Oracle>], cx: &CheckContext<'_>) -> Vec<Violation> {
    oracles.iter().flat_map(|o| o.check(cx)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_name_oracle_operation_roles() {
        let sig = Signature::new(
            "bola",
            &OperationId::new("GET", "/users/{userId}/orders/{orderId}"),
            &[Role::User, Role::User],
        );
        assert_eq!(
            sig.as_str(),
            "bola GET /users/{userId}/orders/{orderId} [user,user]"
        );
        let stem = sig.file_stem();
        assert!(
            stem.starts_with("bola-get-users-userid-orders-orderid-user-user-"),
            "{stem}"
        );
        assert!(stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let other = Signature::new(
            "bola",
            &OperationId::new("GET", "/users/{userId}/orders/{orderId}"),
            &[Role::User, Role::Admin],
        );
        assert_ne!(stem, other.file_stem());
    }
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests_authz;
#[cfg(test)]
mod tests_conformance;
#[cfg(test)]
mod tests_mass;
#[cfg(test)]
mod tests_natural;
#[cfg(test)]
mod tests_takeover;

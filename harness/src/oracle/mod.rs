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
//! | `injection` | an attack payload gets a 5xx or a database/interpreter error that the same request with a plain value does not |
//! | `data-exposure` | an answer carries a secret-named field (`password`, `apiKey`, `token`, ...) that is not the caller's, any field to an unauthenticated caller, or another identity's configured credential |
//! | `user-enumeration` | the login answers a username nobody has otherwise than a known one with a wrong password (a campaign's first case sends that pair) |
//! | `redos` | the answer time grows super-linearly with the length of a long string (the executor's growth probes: 8, 16, 32, … characters, stopped at the first slow answer) |
//! | `error-disclosure` | an answer below 500 shows a stack trace or a debug page |
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
mod content;
mod data_exposure;
mod ignored_auth;
mod injection;
mod list_leak;
mod mass_assignment;
mod redos;
mod resource_hierarchy;
mod use_after_delete;
mod user_enumeration;
pub use account_takeover::AccountTakeover;
pub use bfla::Bfla;
pub use bola::Bola;
pub use data_exposure::DataExposure;
pub use ignored_auth::IgnoredAuth;
pub use injection::Injection;
pub use list_leak::ListLeak;
pub use mass_assignment::MassAssignment;
pub use redos::Redos;
pub use resource_hierarchy::ResourceHierarchy;
pub use use_after_delete::UseAfterDelete;
pub use user_enumeration::{UserEnumeration, probe as enumeration_probe};

// conformance oracles
mod error_disclosure;
pub mod fingerprint;
mod negative_acceptance;
mod schema_conformance;
mod server_error;
mod slow_response;
mod status_conformance;
mod transport_error;
pub use error_disclosure::ErrorDisclosure;
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

/// A shared oracle is the oracle it shares (a [`crate::Harness`] keeps the caller's own oracles
/// this way, and hands each run its own box of them).
impl<T: Oracle + ?Sized> Oracle for std::sync::Arc<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        (**self).check(cx)
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        (**self).judged(cx)
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
    /// What tells violations of one oracle, operation and roles apart by their cause, stable
    /// from run to run (`server-error`: the [`fingerprint`] of the error answer, `500
    /// application/json: internal error: cannot price <v>`); a short hash of it is part of
    /// the signature. `None` for oracles whose signature says it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl Violation {
    /// The violation's signature.
    pub fn signature(&self) -> Signature {
        Signature::with_cause(
            &self.oracle,
            &self.operation,
            &self.roles,
            self.cause.as_deref(),
        )
    }
}

/// What identifies a finding across runs: oracle, operation and roles, and for violations with
/// a [`Violation::cause`] a short hash of it; never concrete ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Signature(String);

impl Signature {
    /// `bola GET /orders/{orderId} [user,user]`.
    pub fn new(oracle: &str, operation: &OperationId, roles: &[Role]) -> Self {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Self(format!("{oracle} {operation} [{}]", roles.join(",")))
    }

    /// `server-error POST /orders [user] #1a2b3c4d`: with `cause`, the signature ends with the
    /// first 8 hex digits of its SHA-256 (the readable cause goes in the finding).
    pub fn with_cause(
        oracle: &str,
        operation: &OperationId,
        roles: &[Role],
        cause: Option<&str>,
    ) -> Self {
        let base = Self::new(oracle, operation, roles);
        match cause {
            Some(cause) => Self(format!("{base} #{}", cause_hash(cause))),
            None => base,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The signature without its cause hash (`server-error POST /orders [user]`).
    pub fn base(&self) -> &str {
        self.split().0
    }

    /// The cause hash (`1a2b3c4d`), when the signature has one.
    pub fn cause_hash(&self) -> Option<&str> {
        self.split().1
    }

    fn split(&self) -> (&str, Option<&str>) {
        match self.0.rsplit_once(" #") {
            Some((base, hash))
                if base.ends_with(']') && hash.chars().all(|c| c.is_ascii_hexdigit()) =>
            {
                (base, Some(hash))
            }
            _ => (&self.0, None),
        }
    }

    /// Whether a violation of signature `seen` shows the finding of this signature: the same
    /// signature, or, for a finding saved before causes were part of signatures (no cause
    /// hash), the same signature whatever its cause.
    pub fn matches(&self, seen: &Signature) -> bool {
        self == seen || (self.cause_hash().is_none() && seen.base() == self.0)
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

/// The first 8 hex digits of the SHA-256 of `cause`.
pub fn cause_hash(cause: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(cause.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
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
    Injection::NAME,
    DataExposure::NAME,
    UserEnumeration::NAME,
    Redos::NAME,
    SlowResponse::NAME,
    TransportError::NAME,
    ErrorDisclosure::NAME,
    NegativeAcceptance::NAME,
];

/// The name of the findings of a crashed target instance (a target started from a command
/// whose process exited during a sequence). No oracle judges traces for it: the campaign
/// watches the process. It counts in the `security` class of `--fail-on` (a request that
/// brings the service down is a denial of service) and may be named there.
pub const TARGET_CRASH: &str = "target-crash";

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
    Injection::NAME,
    DataExposure::NAME,
    UserEnumeration::NAME,
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
    ErrorDisclosure::NAME,
    NegativeAcceptance::NAME,
    Redos::NAME,
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

    #[test]
    fn causes_end_signatures_as_a_hash_and_old_signatures_match_any_cause() {
        let op = OperationId::new("POST", "/orders");
        let old = Signature::new("server-error", &op, &[Role::User]);
        let a = Signature::with_cause("server-error", &op, &[Role::User], Some("500 x: a"));
        let b = Signature::with_cause("server-error", &op, &[Role::User], Some("500 x: b"));
        assert_ne!(a, b);
        assert_eq!(a.base(), old.as_str());
        assert_eq!(a.cause_hash().map(str::len), Some(8));
        assert_eq!(old.cause_hash(), None);
        assert!(
            a.as_str().starts_with("server-error POST /orders [user] #"),
            "{a}"
        );
        // The file name carries the cause's hash, nothing of its text.
        let stem = a.file_stem();
        assert!(stem.contains(a.cause_hash().unwrap()), "{stem}");
        assert!(stem.len() < 100, "{stem}");
        assert!(a.matches(&a) && !a.matches(&b) && !a.matches(&old));
        assert!(
            old.matches(&a) && old.matches(&b),
            "a finding saved before causes"
        );
        let admin = Signature::with_cause("server-error", &op, &[Role::Admin], Some("500 x: a"));
        assert!(!old.matches(&admin));
    }
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests_authz;
#[cfg(test)]
mod tests_conformance;
#[cfg(test)]
mod tests_content;
#[cfg(test)]
mod tests_mass;
#[cfg(test)]
mod tests_natural;
#[cfg(test)]
mod tests_takeover;

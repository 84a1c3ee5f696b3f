//! Judgements several authorization oracles share.

use std::collections::BTreeSet;

use serde_json::Value;
use trespass_generators::model::{ApiModel, CrudRole, OperationId};
use trespass_generators::sequence::{AuthMode, IdentityId, Role};

use super::{CheckContext, Signature, Violation};
use crate::exec::{Purpose, TraceIndex, TraceStep};

/// Field names that carry privilege: setting one is an attempt to change what an identity
/// may do.
const PRIVILEGED_FIELDS: &[&str] = &[
    "role",
    "roles",
    "isadmin",
    "admin",
    "issuperuser",
    "superuser",
    "isstaff",
    "staff",
    "permissions",
    "privileges",
    "scopes",
    "groups",
    "accesslevel",
    "plan",
    "tier",
    "verified",
    "isverified",
    "balance",
    "credits",
];

/// Whether `field` names a privilege (`role`, `isAdmin`, `plan`, ...).
pub(crate) fn is_privileged_field(field: &str) -> bool {
    let normal: String = field
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    PRIVILEGED_FIELDS.contains(&normal.as_str())
}

/// Whether `value` claims administrative power (`"admin"`, `"superuser"`, `true` for an
/// `isAdmin`-like field, a list holding such a string).
pub(crate) fn is_admin_value(field: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => {
            let s = s.to_ascii_lowercase();
            ["admin", "super", "root", "owner", "staff"]
                .iter()
                .any(|w| s.contains(w))
        }
        Value::Bool(true) => {
            let f = field.to_ascii_lowercase();
            f.contains("admin") || f.contains("super") || f.contains("staff")
        }
        Value::Array(items) => items.iter().any(|v| is_admin_value(field, v)),
        _ => false,
    }
}

/// A step a user sent with its own credentials as part of the sequence (not a verification
/// read, not anonymous, not with made-up credentials).
pub(crate) fn is_user_step(step: &TraceStep) -> bool {
    matches!(step.purpose, Purpose::Sequence { .. })
        && step.role == Role::User
        && step.exchange.auth == AuthMode::Normal
}

/// Identities that, before trace index `before`, successfully wrote a privileged field with an
/// administrative value: from then on their effective role is unknown, so authorization oracles
/// do not judge them (the `mass-assignment` oracle reports the escalation itself).
pub(crate) fn escalated_before(cx: &CheckContext<'_>, before: TraceIndex) -> BTreeSet<IdentityId> {
    let mut out = BTreeSet::new();
    for step in cx.trace.steps.iter().take(before.0) {
        if !step.succeeded() {
            continue;
        }
        let Some(Value::Object(body)) = &step.body else {
            continue;
        };
        if body
            .iter()
            .any(|(k, v)| is_privileged_field(k) && is_admin_value(k, v))
        {
            out.insert(step.identity.clone());
        }
    }
    out
}

/// The role an identity has in the trace (from any of its steps), else in the identities of
/// the run (the owner of a seeded object may send nothing).
pub(crate) fn role_in_trace(cx: &CheckContext<'_>, identity: &IdentityId) -> Option<Role> {
    cx.trace
        .steps
        .iter()
        .find(|s| &s.identity == identity)
        .map(|s| s.role)
        .or_else(|| cx.ownership.known().role(identity))
}

/// The CRUD role of `op` in its resource kind, and the kind.
pub(crate) fn crud(model: &ApiModel, op: &OperationId) -> Option<(String, CrudRole)> {
    model
        .resource_of(op)
        .map(|(resource, role)| (resource.kind.clone(), role))
}

/// `"GET"` -> `"read"`, used in messages.
pub(crate) fn verb(role: CrudRole) -> &'static str {
    match role {
        CrudRole::Create => "created",
        CrudRole::Read => "read",
        CrudRole::Update => "changed",
        CrudRole::Delete => "deleted",
        CrudRole::List => "listed",
    }
}

/// `kind` with its indefinite article, for messages: "an address", "a comment".
pub(crate) fn a(kind: &str) -> String {
    let vowel = kind
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {kind}", if vowel { "an" } else { "a" })
}

/// Keeps the first violation of each signature.
#[derive(Debug, Default)]
pub(crate) struct Dedup {
    seen: BTreeSet<Signature>,
    out: Vec<Violation>,
}

impl Dedup {
    pub(crate) fn push(&mut self, violation: Violation) {
        if self.seen.insert(violation.signature()) {
            self.out.push(violation);
        }
    }

    pub(crate) fn finish(self) -> Vec<Violation> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn privileged_fields_and_values() {
        assert!(is_privileged_field("role"));
        assert!(is_privileged_field("is_admin"));
        assert!(is_privileged_field("isAdmin"));
        assert!(!is_privileged_field("displayName"));
        assert!(is_admin_value("role", &json!("admin")));
        assert!(is_admin_value("roles", &json!(["user", "admin"])));
        assert!(is_admin_value("isAdmin", &json!(true)));
        assert!(!is_admin_value("verified", &json!(true)));
        assert!(!is_admin_value("role", &json!("user")));
    }
}

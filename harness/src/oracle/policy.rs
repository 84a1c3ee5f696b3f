//! The authorization policy as the oracles use it: the spec's own signals (admin tags, paths,
//! extensions, scopes; declared security) plus the identities file's `[policy]` patterns.

use std::collections::{BTreeMap, BTreeSet};

use trespass_generators::model::{ApiModel, Operation, OperationId};
use trespass_generators::sequence::Role;

use crate::identity;

/// What the policy says about an access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed, by this rule.
    Allow(String),
    /// Denied, by this rule.
    Deny(String),
    /// The policy cannot decide: oracles stay silent.
    Unknown,
}

/// The resolved policy of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    admin: BTreeMap<OperationId, String>,
    public: BTreeMap<OperationId, String>,
    secured: BTreeMap<OperationId, String>,
    shared_kinds: BTreeSet<String>,
}

impl Policy {
    /// Resolves `file`'s patterns against `model`.
    pub fn new(model: &ApiModel, file: &identity::PolicySection) -> Self {
        let mut policy = Policy {
            shared_kinds: file.shared_resources.iter().cloned().collect(),
            ..Policy::default()
        };
        for admin in &model.admin_operations {
            let reasons: Vec<String> = admin
                .reasons
                .iter()
                .map(|r| format!("{r:?}").to_lowercase())
                .collect();
            policy.admin.insert(
                admin.operation.clone(),
                format!("admin-only in the spec ({})", reasons.join(", ")),
            );
        }
        for op in &model.operations {
            if let Some(pattern) = file
                .admin_operations
                .iter()
                .find(|p| pattern_matches(p, op))
            {
                policy
                    .admin
                    .insert(op.id.clone(), format!("admin-only by policy `{pattern}`"));
            }
            if let Some(pattern) = file
                .public_operations
                .iter()
                .find(|p| pattern_matches(p, op))
            {
                policy
                    .public
                    .insert(op.id.clone(), format!("public by policy `{pattern}`"));
            } else if op.allows_anonymous() {
                policy.public.insert(
                    op.id.clone(),
                    "public in the spec (no security requirement)".to_string(),
                );
            } else {
                let schemes: Vec<String> = op
                    .effective_security
                    .iter()
                    .flat_map(|r| r.schemes().map(|(name, _)| name.to_string()))
                    .collect();
                policy.secured.insert(
                    op.id.clone(),
                    format!("declared security ({})", schemes.join(" or ")),
                );
            }
        }
        policy
    }

    /// Why `op` is admin-only, if it is.
    pub fn admin_rule(&self, op: &OperationId) -> Option<&str> {
        self.admin.get(op).map(String::as_str)
    }

    /// Why `op` needs credentials, if it does (declared security, not overridden as public).
    pub fn security_rule(&self, op: &OperationId) -> Option<&str> {
        self.secured.get(op).map(String::as_str)
    }

    /// Whether objects of `kind` may be read by every user.
    pub fn is_shared(&self, kind: &str) -> bool {
        self.shared_kinds.contains(kind)
    }

    /// The kinds every user may read.
    pub fn shared_kinds(&self) -> Vec<String> {
        self.shared_kinds.iter().cloned().collect()
    }

    /// May an identity of `role` call `op` at all?
    pub fn may_call(&self, role: Role, op: &OperationId) -> Verdict {
        match (self.admin_rule(op), role) {
            (Some(rule), Role::Admin) => Verdict::Allow(rule.to_string()),
            (Some(rule), _) => Verdict::Deny(rule.to_string()),
            (None, _) => match self.public.get(op) {
                Some(rule) => Verdict::Allow(rule.clone()),
                None if role == Role::Anonymous => self
                    .security_rule(op)
                    .map_or(Verdict::Unknown, |r| Verdict::Deny(r.to_string())),
                None => Verdict::Unknown,
            },
        }
    }
}

/// Whether a policy pattern (`tag:NAME`, `path:/glob/**`, `operationId:NAME`, or
/// `"METHOD /path"`) matches `op`.
pub fn pattern_matches(pattern: &str, op: &Operation) -> bool {
    let pattern = pattern.trim();
    if let Some(tag) = pattern.strip_prefix("tag:") {
        return op.tags.iter().any(|t| t.eq_ignore_ascii_case(tag.trim()));
    }
    if let Some(glob) = pattern.strip_prefix("path:") {
        return glob_matches(glob.trim(), &op.path);
    }
    if let Some(name) = pattern.strip_prefix("operationId:") {
        return op.operation_id.as_deref() == Some(name.trim());
    }
    match OperationId::parse(pattern) {
        Some(id) => (id.method() == "*" || id.method() == op.id.method()) && id.path() == op.path,
        None => false,
    }
}

/// `*` matches one path segment, `**` any number (including none).
fn glob_matches(glob: &str, path: &str) -> bool {
    let g: Vec<&str> = glob.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    fn go(g: &[&str], p: &[&str]) -> bool {
        match (g.first(), p.first()) {
            (None, None) => true,
            (Some(&"**"), _) => go(&g[1..], p) || (!p.is_empty() && go(g, &p[1..])),
            (Some(&"*"), Some(_)) => go(&g[1..], &p[1..]),
            (Some(a), Some(b)) if a == b => go(&g[1..], &p[1..]),
            _ => false,
        }
    }
    go(&g, &p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("/admin/**", "/admin/users/{id}"));
        assert!(glob_matches("/admin/**", "/admin"));
        assert!(glob_matches("/users/*/orders", "/users/{userId}/orders"));
        assert!(!glob_matches(
            "/users/*/orders",
            "/users/{userId}/orders/{orderId}"
        ));
        assert!(!glob_matches("/admin/**", "/administrators"));
        assert!(glob_matches("/**/refunds", "/admin/x/refunds"));
    }
}

//! Admin-only operations: from tags, path segments, `x-` extensions and security scopes, and
//! from policy patterns (`tag:admin`, `path:/admin/**`, `"DELETE /users/{userId}"`,
//! `operationId:deleteUser`).

use std::fmt;

use serde_json::Value;

use crate::model::{AdminOperation, AdminReason, ApiModel, Operation, OperationId};

/// Words that mark a tag or a path segment as admin.
const ADMIN_WORDS: &[&str] = &[
    "admin",
    "admins",
    "administration",
    "administrator",
    "administrators",
    "superuser",
];

fn is_admin_word(s: &str) -> bool {
    let t = s
        .trim_matches(|c: char| c == '_' || c == '-' || c == '.')
        .to_ascii_lowercase();
    ADMIN_WORDS.contains(&t.as_str())
}

/// The spec's own admin signals for every operation.
pub fn infer_admin(model: &ApiModel) -> Vec<AdminOperation> {
    model
        .operations
        .iter()
        .filter_map(|op| {
            let reasons = reasons_for(op);
            (!reasons.is_empty()).then(|| AdminOperation {
                operation: op.id.clone(),
                reasons,
            })
        })
        .collect()
}

fn reasons_for(op: &Operation) -> Vec<AdminReason> {
    let mut reasons = Vec::new();
    for tag in &op.tags {
        if is_admin_word(tag) || tag.split([' ', '-', '_']).any(is_admin_word) {
            reasons.push(AdminReason::Tag(tag.clone()));
        }
    }
    if op.path.split('/').any(is_admin_word) {
        reasons.push(AdminReason::Path(op.path.clone()));
    }
    for (key, value) in &op.extensions {
        let k = key.to_ascii_lowercase();
        let flagged = if k.contains("admin") {
            truthy(value)
        } else if ["role", "permission", "scope", "group", "access"]
            .iter()
            .any(|w| k.contains(w))
        {
            mentions_admin(value)
        } else {
            false
        };
        if flagged {
            reasons.push(AdminReason::Extension(key.clone()));
        }
    }
    // Scopes: every way to authenticate asks for an admin scope.
    let alternatives = &op.effective_security;
    let all_admin = !alternatives.is_empty()
        && alternatives.iter().all(|req| {
            req.schemes()
                .any(|(_, scopes)| scopes.iter().any(|s| scope_is_admin(s)))
        });
    if all_admin
        && let Some((scheme, scope)) = alternatives[0]
            .schemes()
            .find_map(|(n, scopes)| scopes.iter().find(|s| scope_is_admin(s)).map(|s| (n, s)))
    {
        reasons.push(AdminReason::Scope(format!("{scheme}:{scope}")));
    }
    reasons
}

fn scope_is_admin(scope: &str) -> bool {
    scope
        .split([':', '.', '/', '-', '_', ' '])
        .any(is_admin_word)
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => !matches!(s.to_ascii_lowercase().as_str(), "" | "false" | "no" | "0"),
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Null => false,
    }
}

fn mentions_admin(v: &Value) -> bool {
    match v {
        Value::String(s) => s
            .split([':', '.', '/', '-', '_', ' ', ','])
            .any(is_admin_word),
        Value::Array(a) => a.iter().any(mentions_admin),
        Value::Object(o) => o.values().any(mentions_admin),
        _ => false,
    }
}

/// A policy pattern selecting operations.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperationPattern {
    /// `tag:NAME`: operations with this tag (case-insensitive).
    Tag(String),
    /// `path:GLOB`: operations whose path template matches; `*` matches one segment, `**` any
    /// number of segments.
    Path(String),
    /// `operationId:NAME`.
    OperationId(String),
    /// `"METHOD /path"`: one operation; the method may be `*`.
    Operation {
        /// Uppercase method or `*`.
        method: String,
        /// The path template.
        path: String,
    },
}

/// A pattern that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an operation pattern (expected `tag:NAME`, `path:/glob/**`, `operationId:NAME` or `METHOD /path`)",
            self.pattern
        )
    }
}

impl std::error::Error for PatternError {}

impl std::str::FromStr for OperationPattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let err = || PatternError {
            pattern: s.to_string(),
        };
        if let Some(tag) = t.strip_prefix("tag:") {
            let tag = tag.trim();
            return if tag.is_empty() {
                Err(err())
            } else {
                Ok(Self::Tag(tag.to_string()))
            };
        }
        if let Some(glob) = t.strip_prefix("path:") {
            let glob = glob.trim();
            return if glob.starts_with('/') {
                Ok(Self::Path(glob.to_string()))
            } else {
                Err(err())
            };
        }
        if let Some(name) = t.strip_prefix("operationId:") {
            let name = name.trim();
            return if name.is_empty() {
                Err(err())
            } else {
                Ok(Self::OperationId(name.to_string()))
            };
        }
        let (method, path) = t.split_once(' ').ok_or_else(err)?;
        let path = path.trim();
        let method = method.to_ascii_uppercase();
        let known = method == "*" || crate::model::Method::from_key(&method).is_some();
        if !known || !path.starts_with('/') {
            return Err(err());
        }
        Ok(Self::Operation {
            method,
            path: path.to_string(),
        })
    }
}

impl fmt::Display for OperationPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(t) => write!(f, "tag:{t}"),
            Self::Path(p) => write!(f, "path:{p}"),
            Self::OperationId(o) => write!(f, "operationId:{o}"),
            Self::Operation { method, path } => write!(f, "{method} {path}"),
        }
    }
}

impl OperationPattern {
    /// Whether `op` is selected.
    pub fn matches(&self, op: &Operation) -> bool {
        match self {
            Self::Tag(t) => op.tags.iter().any(|x| x.eq_ignore_ascii_case(t)),
            Self::Path(glob) => glob_matches(glob, &op.path),
            Self::OperationId(o) => op.operation_id.as_deref() == Some(o.as_str()),
            Self::Operation { method, path } => {
                (method == "*" || method == op.method.as_str()) && *path == op.path
            }
        }
    }
}

/// `*` matches one segment, `**` zero or more.
fn glob_matches(glob: &str, path: &str) -> bool {
    let g: Vec<&str> = glob.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
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

/// Adds the operations selected by `patterns` (policy file `admin_operations`) to the admin
/// operations of `model`, with an [`AdminReason::Policy`] reason. Returns the first pattern
/// that does not parse.
pub fn apply_admin_patterns<S: AsRef<str>>(
    model: &mut ApiModel,
    patterns: &[S],
) -> Result<(), PatternError> {
    let parsed: Vec<OperationPattern> = patterns
        .iter()
        .map(|p| p.as_ref().parse())
        .collect::<Result<_, _>>()?;
    for op in &model.operations {
        for pattern in parsed.iter().filter(|p| p.matches(op)) {
            let reason = AdminReason::Policy(pattern.to_string());
            match model
                .admin_operations
                .iter_mut()
                .find(|a| a.operation == op.id)
            {
                Some(a) => {
                    if !a.reasons.contains(&reason) {
                        a.reasons.push(reason);
                    }
                }
                None => model.admin_operations.push(AdminOperation {
                    operation: op.id.clone(),
                    reasons: vec![reason],
                }),
            }
        }
    }
    let order: Vec<OperationId> = model.operations.iter().map(|o| o.id.clone()).collect();
    model.admin_operations.sort_by_key(|a| {
        order
            .iter()
            .position(|o| *o == a.operation)
            .unwrap_or(usize::MAX)
    });
    Ok(())
}

/// Removes operations selected by `patterns` from the admin operations (a policy saying an
/// operation the spec marks as admin is in fact open to users).
pub fn remove_admin_patterns<S: AsRef<str>>(
    model: &mut ApiModel,
    patterns: &[S],
) -> Result<(), PatternError> {
    let parsed: Vec<OperationPattern> = patterns
        .iter()
        .map(|p| p.as_ref().parse())
        .collect::<Result<_, _>>()?;
    let selected: Vec<OperationId> = model
        .operations
        .iter()
        .filter(|op| parsed.iter().any(|p| p.matches(op)))
        .map(|op| op.id.clone())
        .collect();
    model
        .admin_operations
        .retain(|a| !selected.contains(&a.operation));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_and_match_globs() {
        assert_eq!(
            "tag:admin".parse(),
            Ok(OperationPattern::Tag("admin".into()))
        );
        assert_eq!(
            "delete /users/{id}".parse(),
            Ok(OperationPattern::Operation {
                method: "DELETE".into(),
                path: "/users/{id}".into()
            })
        );
        assert!("admin".parse::<OperationPattern>().is_err());
        assert!("path:admin".parse::<OperationPattern>().is_err());
        assert!("FETCH /x".parse::<OperationPattern>().is_err());
        assert!(glob_matches("/admin/**", "/admin/users/{id}"));
        assert!(glob_matches("/admin/**", "/admin"));
        assert!(!glob_matches("/admin/**", "/administrators"));
        assert!(glob_matches("/*/x", "/a/x"));
        assert!(!glob_matches("/*/x", "/a/b/x"));
    }

    #[test]
    fn admin_words() {
        assert!(is_admin_word("admin"));
        assert!(is_admin_word("_admin"));
        assert!(!is_admin_word("administered"));
        assert!(scope_is_admin("write:admin"));
        assert!(scope_is_admin("admin.read"));
        assert!(!scope_is_admin("read:users"));
    }
}

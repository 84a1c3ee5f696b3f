//! Which operations sequences may send: [`Selection`], resolved from patterns
//! ([`parse_pattern`], [`select`]).
//!
//! An *excluded* operation is never sent: no pattern aims at it, no prerequisite is obtained
//! through it, and shrinking never substitutes it. With an *include* list only the included
//! operations are aimed at; other operations are still sent, but only to produce what the
//! included ones need (a create for the object an included read takes, the caller's own
//! account, a list that reveals a seeded object's id, the answer an argument echoes).

use std::collections::BTreeSet;

use crate::deps::{OperationPattern, PatternError};
use crate::model::{ApiModel, OperationId};

/// Which operations sequences may send. The default selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Selection {
    /// Operations never sent.
    pub exclude: BTreeSet<OperationId>,
    /// When given, the only operations aimed at; others are sent only to produce their inputs.
    pub include: Option<BTreeSet<OperationId>>,
}

impl Selection {
    /// Selects everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether every operation is selected (nothing excluded, no include list).
    pub fn is_all(&self) -> bool {
        self.exclude.is_empty() && self.include.is_none()
    }

    /// Whether `op` is never sent.
    pub fn excludes(&self, op: &OperationId) -> bool {
        self.exclude.contains(op)
    }

    /// Whether patterns may aim at `op` (not only send it to produce inputs).
    pub fn aims_at(&self, op: &OperationId) -> bool {
        !self.excludes(op) && self.include.as_ref().is_none_or(|i| i.contains(op))
    }
}

/// Parses a selection pattern: the policy forms (`tag:NAME`, `path:/glob/**`,
/// `operationId:NAME`, `"METHOD /path"` with `*` for any method), a bare path glob
/// (`/admin/*`, `/admin/**`) or a bare operationId (`deleteUser`).
pub fn parse_pattern(text: &str) -> Result<OperationPattern, PatternError> {
    let t = text.trim();
    if t.starts_with('/') {
        return Ok(OperationPattern::Path(t.to_string()));
    }
    if !t.is_empty() && !t.contains([' ', ':', '/']) {
        return Ok(OperationPattern::OperationId(t.to_string()));
    }
    t.parse()
}

/// The operations of `model` that `pattern` selects, in spec order. None is an error naming
/// the pattern and the closest operation, path, tag or operationId.
pub fn select(model: &ApiModel, pattern: &OperationPattern) -> Result<Vec<OperationId>, String> {
    let ops: Vec<OperationId> = model
        .operations
        .iter()
        .filter(|op| pattern.matches(op))
        .map(|op| op.id.clone())
        .collect();
    if ops.is_empty() {
        let hint = crate::deps::declared::suggest(model, pattern)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(format!("no operation matches `{pattern}`{hint}"));
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /orders:
    post: { operationId: createOrder, tags: [orders], responses: { "201": { description: ok } } }
  /orders/{id}:
    get:
      operationId: getOrder
      tags: [orders]
      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]
      responses: { "200": { description: ok } }
  /admin/users:
    get: { operationId: listUsers, tags: [admin], responses: { "200": { description: ok } } }
  /__reset:
    post: { operationId: reset, responses: { "204": { description: ok } } }
"#;

    fn ids(model: &ApiModel, pattern: &str) -> Result<Vec<String>, String> {
        let p = parse_pattern(pattern).map_err(|e| e.to_string())?;
        select(model, &p).map(|v| v.iter().map(|o| o.to_string()).collect())
    }

    #[test]
    fn every_form_selects_its_operations() {
        let model = crate::load_str(SPEC, "t.yaml").unwrap();
        assert_eq!(ids(&model, "POST /__reset").unwrap(), ["POST /__reset"]);
        assert_eq!(ids(&model, "* /orders").unwrap(), ["POST /orders"]);
        assert_eq!(
            ids(&model, "tag:orders").unwrap(),
            ["POST /orders", "GET /orders/{id}"]
        );
        assert_eq!(ids(&model, "/admin/*").unwrap(), ["GET /admin/users"]);
        assert_eq!(ids(&model, "path:/admin/**").unwrap(), ["GET /admin/users"]);
        assert_eq!(
            ids(&model, "/orders/**").unwrap(),
            ["POST /orders", "GET /orders/{id}"]
        );
        assert_eq!(ids(&model, "getOrder").unwrap(), ["GET /orders/{id}"]);
        assert_eq!(
            ids(&model, "operationId:listUsers").unwrap(),
            ["GET /admin/users"]
        );
    }

    #[test]
    fn a_pattern_matching_nothing_names_the_closest_operation() {
        let model = crate::load_str(SPEC, "t.yaml").unwrap();
        assert_eq!(
            ids(&model, "GET /order/{orderId}").unwrap_err(),
            "no operation matches `GET /order/{orderId}`; did you mean `GET /orders/{id}`?"
        );
        assert_eq!(
            ids(&model, "tag:order").unwrap_err(),
            "no operation matches `tag:order`; did you mean `tag:orders`?"
        );
        assert_eq!(
            ids(&model, "getOrdr").unwrap_err(),
            "no operation matches `operationId:getOrdr`; did you mean `operationId:getOrder`?"
        );
        assert!(ids(&model, "FETCH /orders").is_err(), "not a pattern");
    }

    #[test]
    fn excluded_operations_are_never_aimed_at_and_include_narrows() {
        let get = OperationId::new("GET", "/orders/{id}");
        let post = OperationId::new("POST", "/orders");
        let mut s = Selection::all();
        assert!(s.is_all() && s.aims_at(&get));
        s.exclude.insert(post.clone());
        assert!(s.excludes(&post) && !s.aims_at(&post) && s.aims_at(&get));
        s.include = Some([get.clone(), post.clone()].into());
        assert!(
            s.aims_at(&get) && !s.aims_at(&post),
            "exclude wins over include"
        );
        s.include = Some(BTreeSet::new());
        assert!(!s.aims_at(&get));
    }
}

//! Which operations sequences send: never the target's reset operation (when the spec
//! declares it), never an operation of `[policy] exclude_operations` or `--exclude`, and with
//! `--include` only the included operations plus those that produce their inputs.
//!
//! Patterns are those of the policy (`"METHOD /path"` with `*` for any method, `tag:NAME`,
//! `path:/glob/**`, `operationId:NAME`), a bare path glob (`/admin/*`: one segment, `/admin/**`:
//! any number) or a bare operationId (`deleteUser`). A pattern that matches no operation is an
//! error naming it and the closest operation.
//!
//! *Include* means: patterns aim only at the included operations (every pattern's main step,
//! every random step), and other operations are sent only to produce what an included step
//! takes: `--include 'GET /orders/{id}'` still creates orders (and whatever an order needs)
//! to read. *Exclude* means never sent, not to set up a prerequisite and not while shrinking;
//! an object that only an excluded operation creates is then never there to use.

use std::collections::BTreeSet;

use trespass_generators::model::{ApiModel, OperationId};
use trespass_generators::sequence::{Selection, parse_pattern, select};

use super::{IdentityFile, Reset};

/// The include and exclude patterns of a run (the CLI's `--include` / `--exclude`, the
/// [`crate::Harness`] builder's `include` / `exclude`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationFilter {
    /// When not empty, the only operations aimed at.
    pub include: Vec<String>,
    /// Operations never sent.
    pub exclude: Vec<String>,
}

impl OperationFilter {
    /// A filter of `include` and `exclude` patterns; each item may be a comma-separated list.
    pub fn new<I: AsRef<str>, E: AsRef<str>>(include: &[I], exclude: &[E]) -> Self {
        fn split<S: AsRef<str>>(items: &[S]) -> Vec<String> {
            items
                .iter()
                .flat_map(|i| i.as_ref().split(','))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect()
        }
        Self {
            include: split(include),
            exclude: split(exclude),
        }
    }
}

/// A selection pattern that is malformed or matches no operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct SelectionError {
    /// Where the pattern was written: `FILE:LINE: policy.exclude_operations[0]` or
    /// `--exclude`.
    pub place: String,
    /// What is wrong, with the closest operation when one is near.
    pub message: String,
}

/// Why an operation is never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExcludedBy {
    /// It is the target's reset (`[target] reset`).
    Reset,
    /// `[policy] exclude_operations` pattern.
    Policy(String),
    /// `--exclude` (or the builder's) pattern.
    Flag(String),
}

impl std::fmt::Display for ExcludedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Reset => f.write_str("the target's reset"),
            Self::Policy(p) => write!(f, "policy.exclude_operations `{p}`"),
            Self::Flag(p) => write!(f, "--exclude `{p}`"),
        }
    }
}

/// The operation of `model` that `identities`' `[target] reset` request calls, if the spec
/// declares it (its path template matches the reset path).
pub fn reset_operation(model: &ApiModel, identities: &IdentityFile) -> Option<OperationId> {
    let Some(Reset::Request { method, path }) = &identities.target.reset else {
        return None;
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    model
        .operations
        .iter()
        .find(|op| op.id.method() == method.as_str() && template_matches(&op.path, path))
        .map(|op| op.id.clone())
}

/// Whether the concrete `path` is an instance of `template` (`{x}` takes one segment).
fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// Every operation never sent, with why (spec order; the first reason), for a run with
/// `identities` (none: only the filter's patterns).
pub fn excluded(
    model: &ApiModel,
    identities: Option<&IdentityFile>,
    filter: &OperationFilter,
) -> Result<Vec<(OperationId, ExcludedBy)>, SelectionError> {
    let mut out: Vec<(OperationId, ExcludedBy)> = Vec::new();
    let mut add = |ops: Vec<OperationId>, why: ExcludedBy| {
        for op in ops {
            if !out.iter().any(|(o, _)| *o == op) {
                out.push((op, why.clone()));
            }
        }
    };
    if let Some(reset) = identities.and_then(|ids| reset_operation(model, ids)) {
        add(vec![reset], ExcludedBy::Reset);
    }
    if let Some(identities) = identities {
        let policy = &identities.policy;
        for (i, pattern) in policy.exclude_operations.iter().enumerate() {
            let place = || {
                let line = policy
                    .exclude_lines
                    .get(i)
                    .map(|l| format!(":{l}"))
                    .unwrap_or_default();
                format!(
                    "{}{line}: policy.exclude_operations[{i}]",
                    identities.path.display()
                )
            };
            add(
                matching(model, pattern, place)?,
                ExcludedBy::Policy(pattern.clone()),
            );
        }
    }
    for pattern in &filter.exclude {
        add(
            matching(model, pattern, || "--exclude".to_string())?,
            ExcludedBy::Flag(pattern.clone()),
        );
    }
    let order = |op: &OperationId| model.operations.iter().position(|o| o.id == *op);
    out.sort_by_key(|(op, _)| order(op));
    Ok(out)
}

/// The selection of a run with `identities` (none: only the filter's patterns): see the
/// module documentation.
pub fn resolve(
    model: &ApiModel,
    identities: Option<&IdentityFile>,
    filter: &OperationFilter,
) -> Result<Selection, SelectionError> {
    let exclude: BTreeSet<OperationId> = excluded(model, identities, filter)?
        .into_iter()
        .map(|(op, _)| op)
        .collect();
    let include = if filter.include.is_empty() {
        None
    } else {
        let mut include = BTreeSet::new();
        for pattern in &filter.include {
            include.extend(matching(model, pattern, || "--include".to_string())?);
        }
        Some(include)
    };
    let mut selection = Selection::all();
    selection.exclude = exclude;
    selection.include = include;
    Ok(selection)
}

/// The selection every campaign applies even when nobody resolved one: the reset operation
/// and the policy's patterns that match (malformed or unmatched ones are reported by
/// [`resolve`] where the run is set up).
pub fn default_selection(model: &ApiModel, identities: &IdentityFile) -> Selection {
    let mut selection = Selection::all();
    selection.exclude.extend(reset_operation(model, identities));
    for pattern in &identities.policy.exclude_operations {
        if let Ok(p) = parse_pattern(pattern) {
            selection
                .exclude
                .extend(select(model, &p).unwrap_or_default());
        }
    }
    selection
}

fn matching(
    model: &ApiModel,
    pattern: &str,
    place: impl Fn() -> String,
) -> Result<Vec<OperationId>, SelectionError> {
    let error = |message: String| SelectionError {
        place: place(),
        message,
    };
    let parsed = parse_pattern(pattern).map_err(|e| error(e.to_string()))?;
    select(model, &parsed).map_err(error)
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
    delete:
      operationId: deleteOrder
      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]
      responses: { "204": { description: ok } }
  /admin/users:
    get: { operationId: listUsers, tags: [admin], responses: { "200": { description: ok } } }
  /__reset:
    post: { operationId: reset, responses: { "204": { description: ok } } }
"#;

    fn file(extra: &str) -> IdentityFile {
        let text = format!(
            "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth = {{ bearer = \"t\" }}\n{extra}"
        );
        IdentityFile::parse(&text, "ids.toml", |_| None).unwrap()
    }

    fn model() -> ApiModel {
        trespass_generators::load_str(SPEC, "t.yaml").unwrap()
    }

    fn id(text: &str) -> OperationId {
        OperationId::parse(text).unwrap()
    }

    #[test]
    fn the_reset_operation_is_excluded_when_the_spec_declares_it() {
        let model = model();
        let ids = file("[target]\nreset = \"POST /__reset\"\n");
        assert_eq!(reset_operation(&model, &ids), Some(id("POST /__reset")));
        let selection = resolve(&model, Some(&ids), &OperationFilter::default()).unwrap();
        assert!(selection.excludes(&id("POST /__reset")));
        assert_eq!(default_selection(&model, &ids), selection);
        let undeclared = file("[target]\nreset = \"POST /_internal/reset\"\n");
        assert_eq!(reset_operation(&model, &undeclared), None);
        assert!(
            resolve(&model, Some(&undeclared), &OperationFilter::default())
                .unwrap()
                .is_all()
        );
        let templated = file("[target]\nreset = \"DELETE /orders/7\"\n");
        assert_eq!(
            reset_operation(&model, &templated),
            Some(id("DELETE /orders/{id}"))
        );
    }

    #[test]
    fn policy_and_flags_exclude_and_say_why() {
        let model = model();
        let ids = file(
            "[policy]\nexclude_operations = [\"/admin/*\"]\n[target]\nreset = \"POST /__reset\"\n",
        );
        let filter = OperationFilter::new(&["tag:orders"], &["deleteOrder, POST /__reset"]);
        assert_eq!(
            filter.exclude,
            ["deleteOrder", "POST /__reset"],
            "comma lists are split"
        );
        let mut why = excluded(&model, Some(&ids), &filter).unwrap();
        why.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            why,
            [
                (
                    id("DELETE /orders/{id}"),
                    ExcludedBy::Flag("deleteOrder".into())
                ),
                (
                    id("GET /admin/users"),
                    ExcludedBy::Policy("/admin/*".into())
                ),
                (id("POST /__reset"), ExcludedBy::Reset),
            ]
        );
        let selection = resolve(&model, Some(&ids), &filter).unwrap();
        assert!(selection.aims_at(&id("POST /orders")));
        assert!(
            !selection.aims_at(&id("DELETE /orders/{id}")),
            "exclude wins"
        );
        assert!(!selection.aims_at(&id("GET /admin/users")), "not included");
    }

    #[test]
    fn a_pattern_matching_nothing_is_an_error_naming_its_place_and_the_closest() {
        let model = model();
        let ids = file("\n[policy]\nexclude_operations = [\"GET /admin/user\"]\n");
        let e = resolve(&model, Some(&ids), &OperationFilter::default()).unwrap_err();
        assert_eq!(e.place, "ids.toml:7: policy.exclude_operations[0]");
        assert_eq!(
            e.message,
            "no operation matches `GET /admin/user`; did you mean `GET /admin/users`?"
        );
        let e = resolve(
            &model,
            None,
            &OperationFilter::new(&["tag:order"], &[] as &[&str]),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--include: no operation matches `tag:order`; did you mean `tag:orders`?"
        );
        let text = "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n\
                    [policy]\nexclude_operations = [\"FETCH x\"]\n";
        let bad = IdentityFile::parse(text, "ids.toml", |_| None).unwrap_err();
        assert!(
            bad.to_string().contains("policy.exclude_operations[0]"),
            "{bad}"
        );
    }
}

//! `resource-hierarchy`: a nested path returns a child that does not belong to the parent in
//! the path (`/users/1/orders/9` answering with an order whose `userId` is 2).
//!
//! The judgement uses the answer itself: an object (or list item) that names a parent path
//! parameter as a field (`userId`, `teamId`, `documentId`) with a different value than the
//! path. Objects that do not name their parent are not judged.

use serde_json::Value;
use trespass_generators::model::{CrudRole, path_template_params};
use trespass_generators::sequence::{AuthMode, Role};

use super::common::{Dedup, a, crud};
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Purpose, TraceIndex, TraceStep, id_text, list_items};

/// The `resource-hierarchy` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResourceHierarchy;

impl ResourceHierarchy {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "resource-hierarchy";
}

impl Oracle for ResourceHierarchy {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            let Some((kind, pairs)) = parent_pairs(cx, step) else {
                continue;
            };
            if let Some(Pair {
                parent,
                in_path,
                in_object,
            }) = pairs.into_iter().find(|p| p.in_path != p.in_object)
            {
                out.push(Violation {
                    oracle: ResourceHierarchy::NAME.into(),
                    operation: step.op.clone(),
                    roles: vec![step.role],
                    step: step.index,
                    message: format!(
                        "{} asked {} for {} under {parent} {in_path} and got one whose \
                         {parent} is {in_object}",
                        step.identity,
                        step.op,
                        a(&kind)
                    ),
                    rule: format!("{} under /{{{parent}}} belongs to that {parent}", a(&kind)),
                    cause: None,
                });
            }
        }
        out.finish()
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        // An answer under a parent whose objects name that parent.
        cx.trace
            .steps
            .iter()
            .filter(|s| parent_pairs(cx, s).is_some_and(|(_, pairs)| !pairs.is_empty()))
            .map(|s| s.index)
            .collect()
    }
}

/// A parent path parameter, its value in the path, and in an object of the answer.
struct Pair<'a> {
    parent: &'a str,
    in_path: String,
    in_object: String,
}

/// The kind `step` answered with, and for each object of its answer (in order) each parent
/// path parameter it names with a value: `None` for a step this oracle does not judge (not
/// an accepted read, update or list of a sequence, sent with the identity's own credentials).
fn parent_pairs<'s>(
    cx: &'s CheckContext<'_>,
    step: &'s TraceStep,
) -> Option<(String, Vec<Pair<'s>>)> {
    if !matches!(step.purpose, Purpose::Sequence { .. })
        || !step.succeeded()
        || step.role == Role::Anonymous
        || step.exchange.auth != AuthMode::Normal
    {
        return None;
    }
    let (kind, role) = crud(cx.model, &step.op)?;
    let op = cx.model.operation(&step.op)?;
    let params = path_template_params(&op.path);
    let body = step.response_json()?;
    let (parents, objects): (&[&str], Vec<&Value>) = match role {
        CrudRole::List => (&params[..], list_items(body)),
        CrudRole::Read | CrudRole::Update if params.len() >= 2 => {
            (&params[..params.len() - 1], vec![body])
        }
        _ => return None,
    };
    let mut pairs = Vec::new();
    for object in objects {
        for parent in parents {
            if let (Some(in_path), Some(in_object)) = (
                step.path_params.get(*parent).and_then(id_text),
                object.get(*parent).and_then(id_text),
            ) {
                pairs.push(Pair {
                    parent,
                    in_path,
                    in_object,
                });
            }
        }
    }
    Some((kind, pairs))
}

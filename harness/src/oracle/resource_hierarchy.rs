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
use crate::exec::{Purpose, id_text, list_items};

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
            if !matches!(step.purpose, Purpose::Sequence { .. })
                || !step.succeeded()
                || step.role == Role::Anonymous
                || step.exchange.auth != AuthMode::Normal
            {
                continue;
            }
            let Some((kind, role)) = crud(cx.model, &step.op) else {
                continue;
            };
            let Some(op) = cx.model.operation(&step.op) else {
                continue;
            };
            let params = path_template_params(&op.path);
            let (parents, objects): (&[&str], Vec<&Value>) = match (role, step.response_json()) {
                (CrudRole::List, Some(body)) => (&params[..], list_items(body)),
                (CrudRole::Read | CrudRole::Update, Some(body)) if params.len() >= 2 => {
                    (&params[..params.len() - 1], vec![body])
                }
                _ => continue,
            };
            'objects: for object in objects {
                for parent in parents {
                    let (Some(in_path), Some(in_object)) = (
                        step.path_params.get(*parent).and_then(id_text),
                        object.get(*parent).and_then(id_text),
                    ) else {
                        continue;
                    };
                    if in_path != in_object {
                        out.push(Violation {
                            oracle: ResourceHierarchy::NAME.into(),
                            operation: step.op.clone(),
                            roles: vec![step.role],
                            step: step.index,
                            message: format!(
                                "{} asked {} for {} under {parent} {in_path} and got one \
                                 whose {parent} is {in_object}",
                                step.identity,
                                step.op,
                                a(&kind)
                            ),
                            rule: format!(
                                "{} under /{{{parent}}} belongs to that {parent}",
                                a(&kind)
                            ),
                        });
                        break 'objects;
                    }
                }
            }
        }
        out.finish()
    }
}

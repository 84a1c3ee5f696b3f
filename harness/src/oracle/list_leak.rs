//! `list-leak`: a list answer to a user contains objects another identity created or whose
//! account they are.
//!
//! Objects only attributed from lists do not count (that attribution came from the lists
//! themselves), nor do shared kinds, objects their owner shared with the caller, or callers that
//! escalated their own role earlier in the trace.
//!
//! Nor do elements of a directory: a list whose elements are summaries of the kind's objects
//! (fewer fields than the object itself) and carry the kind's owner field
//! (`[{"title": "x", "author": "alice"}]` where a read shows the snippet's code and notes) lists
//! everyone's objects by design (a forum's index of posts); what must stay private is the object
//! itself, which the `bola` oracle judges on reads of it. A list of whole objects that happen to
//! name their owner (`[{"id": 7, "userId": 2, "total": …}]`) is judged.

use trespass_generators::deps::resources::list_element_schema;
use trespass_generators::model::{CrudRole, OperationId, Resource};

use super::common::{Dedup, escalated_before, is_user_step, role_in_trace};
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Claim, ObjectKey, TraceIndex, item_key, list_items};

/// The `list-leak` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListLeak;

impl ListLeak {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "list-leak";
}

impl Oracle for ListLeak {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            if !is_user_step(step) || !step.succeeded() {
                continue;
            }
            let Some((resource, CrudRole::List)) = cx.model.resource_of(&step.op) else {
                continue;
            };
            if cx.policy.is_shared(&resource.kind)
                || escalated_before(cx, step.index).contains(&step.identity)
            {
                continue;
            }
            let Some(body) = step.response_json() else {
                continue;
            };
            let directory = lists_summaries(cx, resource, &step.op);
            for item in list_items(body) {
                let labelled = resource
                    .owner
                    .as_ref()
                    .is_some_and(|f| item.pointer(&f.pointer).is_some_and(|v| !v.is_null()));
                if directory && labelled {
                    continue;
                }
                let Some(id) = item_key(resource, &step.op, item) else {
                    continue;
                };
                let key = ObjectKey {
                    kind: resource.kind.clone(),
                    id,
                };
                let Some((owner, claim)) = cx.ownership.owner(&key) else {
                    continue;
                };
                if *owner == step.identity
                    || cx
                        .ownership
                        .account_deleted_before(&step.identity, step.index)
                    || matches!(claim, Claim::Listed { .. })
                    || cx.ownership.granted(owner, &step.identity)
                    || cx.ownership.keeps(&key, &step.identity)
                {
                    continue;
                }
                let Some(owner_role) = role_in_trace(cx, owner) else {
                    continue;
                };
                out.push(Violation {
                    oracle: ListLeak::NAME.into(),
                    operation: step.op.clone(),
                    roles: vec![step.role, owner_role],
                    step: step.index,
                    message: format!(
                        "{}'s list {} contains {owner}'s {}",
                        step.identity, step.op, resource.kind
                    ),
                    rule: format!("a user's lists show only their own {}s", resource.kind),
                    cause: None,
                });
            }
        }
        out.finish()
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        // A user's list answer while some object of that kind is known to be another's.
        cx.trace
            .steps
            .iter()
            .filter(|s| is_user_step(s) && s.succeeded())
            .filter(|s| match cx.model.resource_of(&s.op) {
                Some((r, CrudRole::List)) if !cx.policy.is_shared(&r.kind) => cx
                    .ownership
                    .owned()
                    .any(|(key, owner, _)| key.kind == r.kind && *owner != s.identity),
                _ => false,
            })
            .map(|s| s.index)
            .collect()
    }
}

/// Whether `list` answers with summaries of `resource`'s objects: its elements' schema has only
/// fields of the object's schema, and fewer of them.
fn lists_summaries(cx: &CheckContext<'_>, resource: &Resource, list: &OperationId) -> bool {
    let schemas = &cx.model.schemas;
    let Some(object) = resource.schema.and_then(|s| schemas.object_properties(s)) else {
        return false;
    };
    let element = list_element_schema(cx.model, list).and_then(|e| schemas.object_properties(e));
    element.is_some_and(|e| e.len() < object.len() && e.keys().all(|k| object.contains_key(k)))
}

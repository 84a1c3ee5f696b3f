//! `use-after-delete`: an object answers 2xx after its owner (or creator) deleted it with 2xx,
//! or to the identity that deleted it.

use trespass_generators::model::CrudRole;

use super::common::{Dedup, a, crud};
use super::{CheckContext, Oracle, Violation};
use crate::exec::{TraceIndex, object_of};

/// The `use-after-delete` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct UseAfterDelete;

impl UseAfterDelete {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "use-after-delete";
}

impl Oracle for UseAfterDelete {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            if !step.succeeded() {
                continue;
            }
            let Some((kind, role)) = crud(cx.model, &step.op) else {
                continue;
            };
            if !matches!(role, CrudRole::Read | CrudRole::Update | CrudRole::Delete) {
                continue;
            }
            let Some(key) = object_of(cx.model, &step.op, &step.path_params) else {
                continue;
            };
            let Some((deleter, deleted_at)) = cx.ownership.deleted(&key) else {
                continue;
            };
            if deleted_at >= step.index {
                continue;
            }
            // The owner's (or creator's) delete holds for everyone; anyone's delete holds at
            // least for themselves, so the deleter reading it back is enough too (a seeded
            // object nobody listed first has no known owner).
            let by_owner = cx.ownership.owner(&key).is_some_and(|(o, _)| o == deleter)
                || cx
                    .ownership
                    .creator(&key)
                    .is_some_and(|(c, _)| c == deleter);
            if !by_owner && deleter != &step.identity {
                continue;
            }
            out.push(Violation {
                oracle: UseAfterDelete::NAME.into(),
                operation: step.op.clone(),
                roles: vec![step.role],
                step: step.index,
                message: format!(
                    "{deleter} deleted {} (step {}), yet {} {} it through {} \
                     with {}",
                    a(&kind),
                    deleted_at.0 + 1,
                    step.identity,
                    super::common::verb(role),
                    step.op,
                    step.status().unwrap_or_default()
                ),
                rule: format!("a deleted {kind} stays deleted"),
                cause: None,
            });
        }
        out.finish()
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        // A step addressing an object deleted earlier in the trace.
        cx.trace
            .steps
            .iter()
            .filter(|s| {
                matches!(
                    crud(cx.model, &s.op),
                    Some((_, CrudRole::Read | CrudRole::Update | CrudRole::Delete))
                ) && object_of(cx.model, &s.op, &s.path_params)
                    .and_then(|key| cx.ownership.deleted(&key).map(|(_, at)| at))
                    .is_some_and(|at| at < s.index)
            })
            .map(|s| s.index)
            .collect()
    }
}

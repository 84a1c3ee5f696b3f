//! `bola`: broken object-level authorization.
//!
//! Fires when a user, with its own credentials, gets 2xx reading, changing or deleting an
//! object another identity owns; and when the owner's re-read around another identity's write
//! or delete shows that it took effect, whatever status the write answered (the "403 yet
//! applied" bug no status-based tool sees).
//!
//! Silent (unknown under the policy) when: the kind is shared by policy, the owner granted the
//! actor access (added it to a team), the actor escalated its own role earlier in the trace, or
//! the writer is an admin.

use serde_json::Value;
use trespass_generators::model::CrudRole;
use trespass_generators::sequence::Role;

use super::common::{Dedup, a, crud, escalated_before, is_user_step, role_in_trace, verb};
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Purpose, TraceIndex, TraceStep, object_of};

/// The `bola` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bola;

impl Bola {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "bola";
}

impl Oracle for Bola {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            if let Some(v) = direct_access(cx, step) {
                out.push(v);
            }
        }
        for step in &cx.trace.steps {
            if let Purpose::VerifyAfter { of } = step.purpose
                && let Some(v) = effect_of_write(cx, of, step)
            {
                out.push(v);
            }
        }
        out.finish()
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        cx.trace
            .steps
            .iter()
            .filter(|s| is_user_step(s))
            .filter(|s| {
                super::cross_identity_access(cx, s)
                    .is_some_and(|(kind, _)| !cx.policy.is_shared(&kind))
            })
            .map(|s| s.index)
            .collect()
    }
}

/// A user got 2xx on another identity's object.
fn direct_access(cx: &CheckContext<'_>, step: &TraceStep) -> Option<Violation> {
    if !is_user_step(step) || !step.succeeded() {
        return None;
    }
    let (kind, role) = crud(cx.model, &step.op)?;
    if !matches!(role, CrudRole::Read | CrudRole::Update | CrudRole::Delete)
        || cx.policy.is_shared(&kind)
    {
        return None;
    }
    let key = object_of(cx.model, &step.op, &step.path_params)?;
    let (owner, claim) = cx.ownership.owner(&key)?;
    if *owner == step.identity
        || cx
            .ownership
            .account_deleted_before(&step.identity, step.index)
        || cx.ownership.granted(owner, &step.identity)
        || cx.ownership.keeps(&key, &step.identity)
        || escalated_before(cx, step.index).contains(&step.identity)
    {
        return None;
    }
    let owner_role = role_in_trace(cx, owner)?;
    if owner_role == Role::Anonymous {
        return None;
    }
    Some(Violation {
        oracle: Bola::NAME.into(),
        operation: step.op.clone(),
        roles: vec![step.role, owner_role],
        step: step.index,
        message: format!(
            "{actor} ({actor_role}) {verb} {owner}'s {kind} through {op} and got {status}",
            actor = step.identity,
            actor_role = step.role,
            verb = verb(role),
            op = step.op,
            status = step.status().unwrap_or_default(),
        ),
        rule: format!("{} belongs to its owner alone ({owner}: {claim})", a(&kind)),
        cause: None,
    })
}

/// The owner's re-read after another identity's write shows the write took effect.
fn effect_of_write(
    cx: &CheckContext<'_>,
    write_index: TraceIndex,
    after: &TraceStep,
) -> Option<Violation> {
    let write = cx.trace.at(write_index)?;
    if write.succeeded() {
        // A 2xx write is reported by the direct check.
        return None;
    }
    if write.role == Role::Admin
        || escalated_before(cx, write.index).contains(&write.identity)
        || cx.ownership.granted(&after.identity, &write.identity)
        || object_of(cx.model, &write.op, &write.path_params)
            .is_some_and(|key| cx.ownership.keeps(&key, &write.identity))
    {
        return None;
    }
    let before = cx
        .trace
        .steps
        .iter()
        .find(|s| s.purpose == Purpose::VerifyBefore { of: write_index })?;
    let (kind, role) = crud(cx.model, &write.op)?;
    if cx.policy.is_shared(&kind) || !before.succeeded() {
        return None;
    }
    let took = match role {
        CrudRole::Delete => matches!(after.status(), Some(404 | 410)),
        CrudRole::Update => {
            after.succeeded()
                && match (before.response_json(), after.response_json()) {
                    (Some(b), Some(a)) => changed(b, a),
                    _ => false,
                }
        }
        _ => false,
    };
    if !took {
        return None;
    }
    Some(Violation {
        oracle: Bola::NAME.into(),
        operation: write.op.clone(),
        roles: vec![write.role, after.role],
        step: write.index,
        message: format!(
            "{actor} ({actor_role}) {verb} {owner}'s {kind} through {op}: it answered {status}, \
             yet {owner}'s re-read shows the change",
            actor = write.identity,
            actor_role = write.role,
            verb = verb(role),
            owner = after.identity,
            op = write.op,
            status = write
                .status()
                .map_or_else(|| "no answer".to_string(), |s| s.to_string()),
        ),
        rule: format!(
            "{} belongs to its owner alone; a refused write must have no effect",
            a(&kind)
        ),
        cause: None,
    })
}

/// Whether the object changed between two reads (field by field, so key order is irrelevant).
fn changed(before: &Value, after: &Value) -> bool {
    before != after
}

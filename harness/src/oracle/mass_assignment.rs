//! `mass-assignment`: a user sets a read-only or privileged field in a create or update, and a
//! later read or privilege shows it took.
//!
//! Evidence that it took: a later read of the same object (or the user's own account) shows
//! the value sent, and the value differs from what the object held before the write; or, for a
//! privileged field set to an administrative value (`role: admin`), the user later gets 2xx on
//! an admin-only operation. Without a value from before the write, only the privileged,
//! administrative case is judged (a server may set the same value on its own).

use serde_json::Value;
use trespass_generators::model::{ApiModel, CrudRole, Operation, SchemaKind};

use super::common::{Dedup, crud, is_admin_value, is_privileged_field, is_user_step};
use super::{CheckContext, Oracle, Verdict, Violation};
use crate::exec::{ObjectKey, TraceIndex, TraceStep, id_in, is_account_operation, object_of};

/// The `mass-assignment` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct MassAssignment;

impl MassAssignment {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "mass-assignment";
}

impl Oracle for MassAssignment {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for write in &cx.trace.steps {
            if !is_user_step(write) || !write.succeeded() {
                continue;
            }
            let Some(Value::Object(body)) = &write.body else {
                continue;
            };
            let Some(op) = cx.model.operation(&write.op) else {
                continue;
            };
            let Some(key) = written_object(cx.model, write) else {
                continue;
            };
            for (field, value) in body {
                let Some(why) = guarded_field(cx.model, op, &key, field) else {
                    continue;
                };
                let admin_value = is_privileged_field(field) && is_admin_value(field, value);
                let before = value_before(cx, write, &key, field);
                let changes = match &before {
                    Some(old) => old != value,
                    None => admin_value,
                };
                if !changes {
                    continue;
                }
                let evidence = shown_later(cx, write, &key, field, value)
                    .or_else(|| admin_value.then(|| privilege_used(cx, write)).flatten());
                if let Some(evidence) = evidence {
                    out.push(Violation {
                        oracle: MassAssignment::NAME.into(),
                        operation: write.op.clone(),
                        roles: vec![write.role],
                        step: write.index,
                        message: format!(
                            "{} set `{field}` to {value} through {} ({why}), and {evidence}",
                            write.identity, write.op
                        ),
                        rule: format!("`{field}` is {why}: a user cannot set it"),
                    });
                }
            }
        }
        out.finish()
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        // A user's accepted write that sent a read-only or privileged field.
        cx.trace
            .steps
            .iter()
            .filter(|w| is_user_step(w) && w.succeeded())
            .filter(|w| {
                let (Some(Value::Object(body)), Some(op), Some(key)) = (
                    &w.body,
                    cx.model.operation(&w.op),
                    written_object(cx.model, w),
                ) else {
                    return false;
                };
                body.keys()
                    .any(|f| guarded_field(cx.model, op, &key, f).is_some())
            })
            .map(|w| w.index)
            .collect()
    }
}

/// The object a create or update writes.
fn written_object(model: &ApiModel, write: &TraceStep) -> Option<ObjectKey> {
    let (resource, role) = model.resource_of(&write.op)?;
    match role {
        CrudRole::Update => object_of(model, &write.op, &write.path_params),
        CrudRole::Create => Some(ObjectKey {
            kind: resource.kind.clone(),
            id: id_in(resource, write.response_json()?)?,
        }),
        _ => None,
    }
}

/// Why a user may not set `field` (read-only in the request schema, or a privileged name),
/// or `None` when it may. The object's own id and timestamps are left out.
fn guarded_field(
    model: &ApiModel,
    op: &Operation,
    key: &ObjectKey,
    field: &str,
) -> Option<&'static str> {
    let resource = model.resource(&key.kind);
    if resource.and_then(|r| r.id_field.as_deref()).unwrap_or("id") == field {
        return None;
    }
    let schema = op
        .json_request_schema()
        .map(|id| model.schemas.get(id))
        .and_then(|s| match &s.kind {
            SchemaKind::Object(object) => object.properties.get(field).copied(),
            _ => None,
        })
        .map(|id| model.schemas.get(id));
    if let Some(s) = schema {
        if matches!(s.format.as_deref(), Some("date-time" | "date")) {
            return None;
        }
        if s.read_only {
            return Some("read-only in the spec");
        }
    }
    is_privileged_field(field).then_some("a privileged field")
}

/// The last value of `field` the object showed before `write` (create answer or read).
fn value_before(
    cx: &CheckContext<'_>,
    write: &TraceStep,
    key: &ObjectKey,
    field: &str,
) -> Option<Value> {
    cx.trace.steps[..write.index.0]
        .iter()
        .rev()
        .filter(|s| s.succeeded() && shows(cx, s, key, write))
        .find_map(|s| s.response_json()?.get(field).cloned())
}

/// A later read of the object shows `value` in `field`.
fn shown_later(
    cx: &CheckContext<'_>,
    write: &TraceStep,
    key: &ObjectKey,
    field: &str,
    value: &Value,
) -> Option<String> {
    cx.trace.steps[write.index.0 + 1..]
        .iter()
        .filter(|s| s.succeeded() && shows(cx, s, key, write))
        .find(|s| s.response_json().and_then(|b| b.get(field)) == Some(value))
        .map(|s| format!("{} through {} shows it took", s.identity, s.op))
}

/// Whether `step`'s answer is the object `key` (a read, a create of it, or the writer's own
/// account record).
fn shows(cx: &CheckContext<'_>, step: &TraceStep, key: &ObjectKey, write: &TraceStep) -> bool {
    if is_account_operation(step) && step.identity == write.identity {
        return cx
            .ownership
            .account_ids(&write.identity)
            .any(|id| id == key.id);
    }
    match crud(cx.model, &step.op) {
        Some((_, CrudRole::Read | CrudRole::Update)) => {
            object_of(cx.model, &step.op, &step.path_params).as_ref() == Some(key)
        }
        Some((_, CrudRole::Create)) => written_object(cx.model, step).as_ref() == Some(key),
        _ => false,
    }
}

/// The writer later gets 2xx on an admin-only operation.
fn privilege_used(cx: &CheckContext<'_>, write: &TraceStep) -> Option<String> {
    cx.trace.steps[write.index.0 + 1..]
        .iter()
        .filter(|s| s.identity == write.identity && s.succeeded())
        .find(|s| matches!(cx.policy.may_call(s.role, &s.op), Verdict::Deny(_)))
        .map(|s| {
            format!(
                "then called admin-only {} with {}",
                s.op,
                s.status().unwrap_or_default()
            )
        })
}

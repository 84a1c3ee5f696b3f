//! `mass-assignment`: a user (or the anonymous identity, registering) sets a read-only or
//! privileged field in a create or update, and a later read or privilege shows it took.
//!
//! Which fields: read-only in the request schema, or absent from it but read-only in what
//! reads of the same kind return (`role`, `apiSecret` of a `User`), or privileged by name
//! (`role`, `isAdmin`, `verified`, `balance`, ...).
//!
//! Which object: the one a create made (keyed as [`crate::exec::created_key`] says, so a
//! registration keyed by its `username` counts), the one an update's path names, or the
//! writer's own account for a write without a key (`PATCH /me`, an update of a singleton kind).
//!
//! Evidence that it took: a later answer shows the value sent, and the value differs from what
//! the object held before the write: a read of the same object by any identity, a list element
//! with its key (an admin's list of users showing the registered name), or for the writer's
//! own account its `/me`-like read; or, for a privileged field set to an administrative value
//! (`role: admin`) by a user, the user later gets 2xx on an admin-only operation. Without a
//! value from before the write, only the privileged, administrative case is judged (a server
//! may set the same value on its own).

use serde_json::Value;
use trespass_generators::model::{ApiModel, CrudRole, Operation, SchemaId};
use trespass_generators::sequence::{AuthMode, Role};

use super::common::{Dedup, is_admin_value, is_privileged_field};
use super::{CheckContext, Oracle, Verdict, Violation};
use crate::exec::{
    ObjectKey, Purpose, TraceIndex, TraceStep, created_key, id_in, is_account_operation, item_key,
    list_items, object_of,
};

/// The `mass-assignment` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct MassAssignment;

impl MassAssignment {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "mass-assignment";
}

/// What a write wrote.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// An object by its key.
    Object(ObjectKey),
    /// The writer's own account (`PATCH /me`), of this kind when known.
    Account(Option<String>),
}

impl Oracle for MassAssignment {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for write in &cx.trace.steps {
            if !is_writer(write) || !write.succeeded() {
                continue;
            }
            let Some(Value::Object(body)) = &write.body else {
                continue;
            };
            let Some(op) = cx.model.operation(&write.op) else {
                continue;
            };
            let Some(target) = written(cx, write) else {
                continue;
            };
            for (field, value) in body {
                let Some(why) = guarded_field(cx.model, op, &target, field) else {
                    continue;
                };
                let admin_value = is_privileged_field(field) && is_admin_value(field, value);
                let before = value_before(cx, write, &target, field);
                let changes = match &before {
                    Some(old) => old != value,
                    None => admin_value,
                };
                if !changes {
                    continue;
                }
                let evidence = shown_later(cx, write, &target, field, value).or_else(|| {
                    (admin_value && write.role == Role::User)
                        .then(|| privilege_used(cx, write))
                        .flatten()
                });
                let Some((evidence, seen_at)) = evidence else {
                    continue;
                };
                // Another accepted write of the same value before the evidence (the same
                // identity's, or to the same object) may be what took: not this write's bug.
                if set_by_another(cx, write, &target, field, value, seen_at) {
                    continue;
                }
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
                    cause: None,
                });
            }
        }
        out.finish()
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        // A user's (or the anonymous identity's) accepted write that sent a read-only or
        // privileged field.
        cx.trace
            .steps
            .iter()
            .filter(|w| is_writer(w) && w.succeeded())
            .filter(|w| {
                let (Some(Value::Object(body)), Some(op), Some(target)) =
                    (&w.body, cx.model.operation(&w.op), written(cx, w))
                else {
                    return false;
                };
                body.keys()
                    .any(|f| guarded_field(cx.model, op, &target, f).is_some())
            })
            .map(|w| w.index)
            .collect()
    }
}

/// A sequence step sent with the identity's own credentials by a user, or by the anonymous
/// identity (a public registration).
fn is_writer(step: &TraceStep) -> bool {
    matches!(step.purpose, Purpose::Sequence { .. })
        && matches!(step.role, Role::User | Role::Anonymous)
        && step.exchange.auth == AuthMode::Normal
}

/// A path without parameters whose last segment names the caller's own record.
fn is_account_path(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    !path.contains('{')
        && matches!(
            path.rsplit('/').next().unwrap_or(""),
            "me" | "account" | "profile" | "whoami" | "self" | "user"
        )
}

/// What a create or update wrote.
fn written(cx: &CheckContext<'_>, write: &TraceStep) -> Option<Target> {
    let own_account =
        write.role == Role::User && is_account_path(write.op.path()) && write.op.method() != "GET";
    match cx.model.resource_of(&write.op) {
        Some((resource, CrudRole::Update)) => {
            match object_of(cx.model, &write.op, &write.path_params) {
                Some(key) => Some(Target::Object(key)),
                None if write.role == Role::User && (resource.singleton || own_account) => {
                    Some(Target::Account(Some(resource.kind.clone())))
                }
                None => None,
            }
        }
        Some((resource, CrudRole::Create)) => Some(Target::Object(ObjectKey {
            kind: resource.kind.clone(),
            id: created_key(resource, write)
                .or_else(|| write.body.as_ref().and_then(|b| id_in(resource, b)))?,
        })),
        None if own_account => Some(Target::Account(None)),
        _ => None,
    }
}

/// The properties of schema `id`, when it is an object.
fn property(model: &ApiModel, id: SchemaId, field: &str) -> Option<SchemaId> {
    model.schemas.object_properties(id)?.get(field).copied()
}

/// The schemas reads of the target's kind answer with (the kind's own, its reads' and
/// updates' success answers), and the write's own success answers.
fn read_schemas(model: &ApiModel, op: &Operation, target: &Target) -> Vec<SchemaId> {
    let kind = match target {
        Target::Object(key) => Some(key.kind.as_str()),
        Target::Account(kind) => kind.as_deref(),
    };
    let mut out: Vec<SchemaId> = op
        .success_responses()
        .filter_map(|(_, r)| r.json_schema())
        .collect();
    if let Some(resource) = kind.and_then(|k| model.resource(k)) {
        out.extend(resource.schema);
        for read in resource.read.iter().chain(&resource.update) {
            if let Some(o) = model.operation(read) {
                out.extend(o.success_responses().filter_map(|(_, r)| r.json_schema()));
            }
        }
    }
    out
}

/// Why a user may not set `field` (read-only in the request schema, or absent from it and
/// read-only in what reads of the kind return, or a privileged name), or `None` when it may.
/// The object's own id and timestamps are left out.
fn guarded_field(
    model: &ApiModel,
    op: &Operation,
    target: &Target,
    field: &str,
) -> Option<&'static str> {
    if let Target::Object(key) = target {
        let resource = model.resource(&key.kind);
        if resource.and_then(|r| r.id_field.as_deref()).unwrap_or("id") == field {
            return None;
        }
    }
    let in_request = op
        .json_request_schema()
        .and_then(|s| property(model, s, field))
        .map(|id| model.schemas.get(id));
    let in_reads = || {
        read_schemas(model, op, target)
            .into_iter()
            .find_map(|s| property(model, s, field))
            .map(|id| model.schemas.get(id))
    };
    let schema = in_request.or_else(in_reads);
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

/// The representation of the target in `step`'s answer, if it holds one: the answer of a
/// read, update or create of the object, an element of a list with its key, or the writer's
/// own `/me`-like read.
fn shown<'a>(
    cx: &CheckContext<'_>,
    step: &'a TraceStep,
    target: &Target,
    write: &TraceStep,
) -> Option<&'a Value> {
    if !step.succeeded() {
        return None;
    }
    let body = step.response_json()?;
    if is_account_operation(step) && step.identity == write.identity && step.authenticated() {
        // The writer's own record: the target when it is the writer's account.
        let own = match target {
            Target::Account(_) => true,
            Target::Object(key) => cx
                .ownership
                .account_ids(&write.identity)
                .any(|id| id == key.id),
        };
        return own.then_some(body);
    }
    let (resource, role) = cx.model.resource_of(&step.op)?;
    let names_writer = |id: &str| {
        cx.ownership.account_ids(&write.identity).any(|a| a == id)
            || cx
                .ownership
                .known()
                .names(&write.identity)
                .any(|(_, n)| n.eq_ignore_ascii_case(id))
    };
    let is_target = |id: &str| match target {
        Target::Object(key) => key.kind == resource.kind && key.id == id,
        Target::Account(kind) => {
            kind.as_deref().is_none_or(|k| k == resource.kind) && names_writer(id)
        }
    };
    match role {
        CrudRole::List => list_items(body)
            .into_iter()
            .find(|item| item_key(resource, &step.op, item).is_some_and(|id| is_target(&id))),
        CrudRole::Create => created_key(resource, step)
            .is_some_and(|id| is_target(&id))
            .then_some(body),
        CrudRole::Read | CrudRole::Update => {
            match object_of(cx.model, &step.op, &step.path_params) {
                Some(key) => is_target(&key.id).then_some(body),
                // The kind's singleton read (`GET /me`): the writer's own account.
                None => (matches!(target, Target::Account(_))
                    && step.identity == write.identity
                    && step.authenticated())
                .then_some(body),
            }
        }
        CrudRole::Delete => None,
    }
}

/// The last value of `field` the target showed before `write`.
fn value_before(
    cx: &CheckContext<'_>,
    write: &TraceStep,
    target: &Target,
    field: &str,
) -> Option<Value> {
    cx.trace.steps[..write.index.0]
        .iter()
        .rev()
        .filter_map(|s| shown(cx, s, target, write))
        .find_map(|object| object.get(field).cloned())
}

/// A later answer shows the target with `value` in `field`: what it says, and its step.
fn shown_later(
    cx: &CheckContext<'_>,
    write: &TraceStep,
    target: &Target,
    field: &str,
    value: &Value,
) -> Option<(String, usize)> {
    cx.trace.steps[write.index.0 + 1..]
        .iter()
        .find(|s| shown(cx, s, target, write).and_then(|o| o.get(field)) == Some(value))
        .map(|s| {
            (
                format!("{} through {} shows it took", s.identity, s.op),
                s.index.0,
            )
        })
}

/// The writer later gets 2xx on an admin-only operation: what it says, and its step.
fn privilege_used(cx: &CheckContext<'_>, write: &TraceStep) -> Option<(String, usize)> {
    cx.trace.steps[write.index.0 + 1..]
        .iter()
        .filter(|s| s.identity == write.identity && s.succeeded())
        .find(|s| matches!(cx.policy.may_call(s.role, &s.op), Verdict::Deny(_)))
        .map(|s| {
            (
                format!(
                    "then called admin-only {} with {}",
                    s.op,
                    s.status().unwrap_or_default()
                ),
                s.index.0,
            )
        })
}

/// Whether an accepted sequence write other than `write`, before step `seen_at`, sent `field`
/// with `value` too, as the same identity or to the same object: then which write took is
/// unknown, and `write` is not judged (the other is judged on a trace of its own).
fn set_by_another(
    cx: &CheckContext<'_>,
    write: &TraceStep,
    target: &Target,
    field: &str,
    value: &Value,
    seen_at: usize,
) -> bool {
    cx.trace.steps[..seen_at].iter().any(|other| {
        other.index != write.index
            && matches!(other.purpose, Purpose::Sequence { .. })
            && other.exchange.auth == AuthMode::Normal
            && other.succeeded()
            && matches!(&other.body, Some(Value::Object(body)) if body.get(field) == Some(value))
            && (other.identity == write.identity || written(cx, other).as_ref() == Some(target))
    })
}

#[cfg(test)]
mod tests {
    use super::is_account_path;

    #[test]
    fn account_paths_have_no_key() {
        assert!(is_account_path("/api/v2/me"));
        assert!(is_account_path("/account/"));
        assert!(!is_account_path("/users/{id}"));
        assert!(!is_account_path("/users"));
    }
}

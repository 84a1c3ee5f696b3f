//! `data-exposure`: an answer hands out a secret that is not the caller's.
//!
//! A successful answer to a sequence step fires when it carries
//! - a field named like a secret ([`secret_field`]: `password`, `passwordHash`, `apiKey`,
//!   `apiSecret`, `token`, ...) holding a value ([`holds_secret`]: no mask, no empty string)
//!   - in an object another identity owns (a username, an email address or an account id in
//!     the object names another identity, or an account trespass does not act as), whoever
//!     asks;
//!   - of the password kind, in any object that is not provably the caller's (a password or
//!     its hash belongs in no answer but, at most, the account holder's own);
//!   - of any kind, in an answer to an unauthenticated request, except a token in the answer
//!     to a write (a login or a registration issues one);
//! - or anywhere, any identity's configured credential (a password, token or API key of the
//!   identities file) other than the caller's own;
//! - or a property the answer's declared schema marks `writeOnly` (sent by clients only: a
//!   password, a PIN, a card number), holding a value, whoever asks and whoever owns it.
//!
//! Admins, and identities that made themselves admins earlier in the trace, are judged on
//! passwords and configured credentials only: an admin console that shows
//! accounts in full is the policy's call, not a leak. Values the request itself sent are never
//! a finding (an echo of the caller's own input). The cause is the field (`passwordHash`), or
//! `configured credential`.

use serde_json::{Map, Value};
use trespass_generators::model::{OwnerRef, SchemaId, SchemaKind, Schemas};
use trespass_generators::sequence::{IdentityId, Role};

use super::common::Dedup;
use super::content::{SecretField, holds_secret, secret_field};
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Named, Purpose, TraceStep};

/// The `data-exposure` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataExposure;

impl DataExposure {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "data-exposure";
}

/// Whose an object in an answer is, as far as it says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Whose {
    Caller,
    Other(String),
    Unknown,
}

/// What an object's own fields say about whose it is.
fn whose(cx: &CheckContext<'_>, caller: &IdentityId, object: &Map<String, Value>) -> Whose {
    let known = cx.ownership.known();
    for (field, value) in object {
        let Some((holds, text)) = naming(field, value) else {
            continue;
        };
        match known.named(holds, &text) {
            Named::Identity(id) if &id == caller => return Whose::Caller,
            Named::Identity(id) => return Whose::Other(id.to_string()),
            Named::Foreign => return Whose::Other("an account trespass does not act as".into()),
            Named::Unknown => {}
        }
    }
    if let Some(id) = object.get("id").and_then(crate::exec::id_text) {
        for other in known.identities() {
            if cx.ownership.account_ids(other).any(|a| a == id) {
                return if other == caller {
                    Whose::Caller
                } else {
                    Whose::Other(other.to_string())
                };
            }
        }
    }
    Whose::Unknown
}

/// A username or an email address in an answer's field.
fn naming(field: &str, value: &Value) -> Option<(OwnerRef, String)> {
    let text = value.as_str().filter(|s| !s.trim().is_empty())?;
    let normal: String = field
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match normal.as_str() {
        "email" | "mail" | "emailaddress" => Some((OwnerRef::Email, text.to_string())),
        "username" | "login" | "user" | "handle" => Some((OwnerRef::Username, text.to_string())),
        _ => None,
    }
}

/// One exposed secret: where, which field, and why it should not be there.
struct Exposure {
    pointer: String,
    field: String,
    why: String,
}

/// Whether `step` is a read of "my own account" (`GET /me`): a GET without path parameters
/// whose answer is one object, sent with the caller's credentials.
fn own_account_read(step: &TraceStep, body: &Value) -> bool {
    step.authenticated()
        && step.op.method() == "GET"
        && step.path_params.is_empty()
        && !step.op.path().contains('{')
        && body.is_object()
}

/// Every string `step` sent (to tell an echo of the caller's own input).
fn sent_strings(step: &TraceStep) -> Vec<String> {
    let mut out: Vec<String> = step
        .path_params
        .values()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    out.extend(step.exchange.request.query.iter().map(|(_, v)| v.clone()));
    let mut stack: Vec<&Value> = step.body.iter().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    out
}

fn exposures(
    cx: &CheckContext<'_>,
    step: &TraceStep,
    body: &Value,
    escalated: bool,
) -> Vec<Exposure> {
    let role = match acting_role(step) {
        Role::User if escalated => Role::Admin,
        role => role,
    };
    let sent = sent_strings(step);
    let known = cx.ownership.known();
    // Whether a value could show anything: a container, or a string that is another
    // identity's credential. The others are not stacked (nor their pointers made).
    let pending = |v: &Value| match v {
        Value::Array(_) | Value::Object(_) => true,
        Value::String(text) => known
            .credential_of(text)
            .is_some_and(|holder| holder != &step.identity && !sent.iter().any(|x| x == text)),
        _ => false,
    };
    let mut out = Vec::new();
    let mut stack: Vec<(String, &Value, bool)> = vec![(String::new(), body, true)];
    while let Some((pointer, value, top)) = stack.pop() {
        match value {
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    if pending(v) {
                        stack.push((format!("{pointer}/{i}"), v, false));
                    }
                }
            }
            Value::Object(map) => {
                let mut owner = whose(cx, &step.identity, map);
                if owner == Whose::Unknown && top && own_account_read(step, body) {
                    owner = Whose::Caller;
                }
                for (field, v) in map {
                    let secret = secret_field(field);
                    if secret.is_none() && !pending(v) {
                        continue;
                    }
                    let at = format!("{pointer}/{}", field.replace('~', "~0").replace('/', "~1"));
                    if let Some(kind) = secret
                        && holds_secret(v)
                        && !v.as_str().is_some_and(|s| sent.iter().any(|x| x == s))
                        && let Some(why) = secret_out_of_place(step, role, kind, &owner)
                    {
                        out.push(Exposure {
                            pointer: at.clone(),
                            field: field.clone(),
                            why,
                        });
                        continue;
                    }
                    stack.push((at, v, false));
                }
            }
            Value::String(text) => {
                if let Some(holder) = known.credential_of(text)
                    && holder != &step.identity
                    && !sent.iter().any(|x| x == text)
                {
                    out.push(Exposure {
                        pointer: pointer.clone(),
                        field: "configured credential".into(),
                        why: format!("the configured credential of {holder}"),
                    });
                }
            }
            _ => {}
        }
    }
    for (pointer, field) in write_only_fields(cx, step, body) {
        let holds = body.pointer(&pointer).is_some_and(holds_secret);
        let echo = body
            .pointer(&pointer)
            .and_then(Value::as_str)
            .is_some_and(|s| sent.iter().any(|x| x == s));
        if holds && !echo && !out.iter().any(|e| e.pointer == pointer) {
            out.push(Exposure {
                pointer,
                field,
                why: "declared `writeOnly` (clients send it, answers never carry it)".into(),
            });
        }
    }
    out
}

/// The properties of `body` that the schema declared for `step`'s answer marks `writeOnly`
/// (directly or through `allOf`, `oneOf`, `anyOf` and array items), as (pointer, name).
fn write_only_fields(
    cx: &CheckContext<'_>,
    step: &TraceStep,
    body: &Value,
) -> Vec<(String, String)> {
    let Some(status) = step.status() else {
        return Vec::new();
    };
    let Some(schema) = cx
        .model
        .operation(&step.op)
        .and_then(|op| op.response_for(status))
        .and_then(|r| r.json_schema())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk_write_only(&cx.model.schemas, schema, body, String::new(), 0, &mut out);
    out
}

fn walk_write_only(
    schemas: &Schemas,
    id: SchemaId,
    value: &Value,
    pointer: String,
    depth: usize,
    out: &mut Vec<(String, String)>,
) {
    const DEPTH: usize = 12;
    let Some(schema) = schemas.try_get(id) else {
        return;
    };
    if depth > DEPTH {
        return;
    }
    match (&schema.kind, value) {
        (SchemaKind::Object(object), Value::Object(map)) => {
            for (name, &child) in &object.properties {
                let Some(v) = map.get(name) else { continue };
                let Some(schema) = schemas.try_get(child) else {
                    continue;
                };
                if !schema.write_only && !walks_into(&schema.kind, v) {
                    continue;
                }
                let at = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                if schemas.try_get(child).is_some_and(|c| c.write_only) {
                    if !out.iter().any(|(p, _)| *p == at) {
                        out.push((at, name.clone()));
                    }
                } else {
                    walk_write_only(schemas, child, v, at, depth + 1, out);
                }
            }
        }
        (SchemaKind::Array(array), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                walk_write_only(
                    schemas,
                    array.items,
                    item,
                    format!("{pointer}/{i}"),
                    depth + 1,
                    out,
                );
            }
        }
        (SchemaKind::AllOf(parts), _) => {
            for &part in parts {
                walk_write_only(schemas, part, value, pointer.clone(), depth + 1, out);
            }
        }
        (SchemaKind::OneOf(c) | SchemaKind::AnyOf(c), _) => {
            for &variant in &c.variants {
                walk_write_only(schemas, variant, value, pointer.clone(), depth + 1, out);
            }
        }
        _ => {}
    }
}

/// Whether [`walk_write_only`] looks into `value` under a schema of `kind` (it ignores the
/// other pairs).
fn walks_into(kind: &SchemaKind, value: &Value) -> bool {
    matches!(
        (kind, value),
        (SchemaKind::Object(_), Value::Object(_))
            | (SchemaKind::Array(_), Value::Array(_))
            | (SchemaKind::AllOf(_), _)
            | (SchemaKind::OneOf(_) | SchemaKind::AnyOf(_), _)
    )
}

/// Why a secret field of `kind` in an object that is `owner`'s should not be in this answer,
/// or `None` when it may be.
fn secret_out_of_place(
    step: &TraceStep,
    role: Role,
    kind: SecretField,
    owner: &Whose,
) -> Option<String> {
    if role == Role::Anonymous {
        let issued = kind == SecretField::Token && step.op.method() != "GET";
        return (!issued).then(|| "in an answer to an unauthenticated request".to_string());
    }
    match (owner, kind) {
        (Whose::Caller, _) => None,
        (Whose::Other(other), SecretField::Password) => Some(format!("of {other}")),
        (Whose::Other(other), _) if role != Role::Admin => Some(format!("of {other}")),
        (Whose::Unknown, SecretField::Password) => {
            Some("of an object that is not the caller's".into())
        }
        _ => None,
    }
}

impl Oracle for DataExposure {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            if !matches!(step.purpose, Purpose::Sequence { .. }) || !step.succeeded() {
                continue;
            }
            let Some(body) = step.response_json() else {
                continue;
            };
            // An identity that made itself an admin sees what admins see (`mass-assignment`
            // reports the escalation).
            let escalated =
                super::common::escalated_before(cx, step.index).contains(&step.identity);
            for exposure in exposures(cx, step, body, escalated) {
                let role = acting_role(step);
                out.push(Violation {
                    oracle: Self::NAME.into(),
                    operation: step.op.clone(),
                    roles: vec![role],
                    step: step.index,
                    message: format!(
                        "{} ({role}) called {} and the answer carries `{}` at {}, {}",
                        step.identity,
                        step.op,
                        exposure.field,
                        if exposure.pointer.is_empty() {
                            "/"
                        } else {
                            &exposure.pointer
                        },
                        exposure.why
                    ),
                    rule: "an answer carries no secret but the caller's own".into(),
                    cause: Some(exposure.field),
                });
            }
        }
        out.finish()
    }
}

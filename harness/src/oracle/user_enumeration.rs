//! `user-enumeration`: the login operation answers a username nobody has otherwise than a known
//! username with a wrong password (another status, or another message once the usernames are
//! taken out), so anyone can tell which accounts exist.
//!
//! It takes two logins with the same wrong password, one as a made-up username and one as an
//! identity's. A campaign sends them as its first case ([`probe`]): one pair per campaign (and
//! its replays), so that no account is locked out, built from the first identity of the
//! identities file that logs in through an operation (its username as worker 1 has it when the
//! credentials hold `{worker}`). The oracle judges any such pair in a trace: two sequence
//! steps of one operation whose bodies differ in one username or email field only, one naming
//! an identity of the run and one naming none, both answered 4xx (429, a rate limit, aside).

use serde_json::{Map, Value};
use trespass_generators::ApiModel;
use trespass_generators::model::{OperationId, OwnerRef};
use trespass_generators::sequence::{Args, AuthMode, BodyArg, IdentityId, Sequence, Step};

use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Named, Purpose, TraceStep};
use crate::identity::{Auth, IdentityFile};

/// The password of both logins of the probe.
pub const WRONG_PASSWORD: &str = "Wr0ng-passw0rd-of-trespass";
/// The username nobody has.
pub const NOBODY: &str = "trespass-nobody-4f1c";
/// The email address nobody has.
pub const NOBODY_EMAIL: &str = "trespass-nobody-4f1c@example.invalid";

/// The `user-enumeration` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserEnumeration;

impl UserEnumeration {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "user-enumeration";
}

/// A username or an email field (`username`, `login`, `email`, ...), by its name.
fn naming(field: &str) -> Option<OwnerRef> {
    let normal: String = field
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match normal.as_str() {
        "email" | "mail" | "emailaddress" => Some(OwnerRef::Email),
        "username" | "login" | "user" | "handle" | "name" => Some(OwnerRef::Username),
        _ => None,
    }
}

/// The two logins of the probe, from the first identity that logs in through an operation of
/// `model` with a body holding a username (or email) field and a password field; `None` when
/// no identity does.
pub fn probe(model: &ApiModel, identities: &IdentityFile) -> Option<Sequence> {
    let file = if identities.uses_worker() {
        identities.for_worker(1)
    } else {
        identities.clone()
    };
    file.identities.iter().find_map(|identity| {
        let Auth::Login(flow) = &identity.auth else {
            return None;
        };
        let op = OperationId::new(&flow.method, &flow.path);
        model.operation(&op)?;
        let Value::Object(body) = flow.body.expose() else {
            return None;
        };
        let (name_field, holds) = body
            .iter()
            .find_map(|(k, v)| Some((k.clone(), naming(k).filter(|_| v.is_string())?)))?;
        let password = body
            .keys()
            .find(|k| k.to_ascii_lowercase().contains("pass"))?
            .clone();
        let mut known = body.clone();
        known.insert(password, Value::String(WRONG_PASSWORD.into()));
        let mut unknown = known.clone();
        let nobody = if holds == OwnerRef::Email {
            NOBODY_EMAIL
        } else {
            NOBODY
        };
        unknown.insert(name_field, Value::String(nobody.into()));
        let step = |body: Map<String, Value>| Step {
            identity: IdentityId::new(identity.name.clone()),
            op: op.clone(),
            auth: AuthMode::None,
            args: Args {
                body: Some(BodyArg {
                    media_type: "application/json".into(),
                    value: Value::Object(body),
                    refs: Vec::new(),
                }),
                ..Args::default()
            },
            violates: Vec::new(),
        };
        Some(Sequence {
            steps: vec![step(unknown), step(known)],
        })
    })
}

/// The one naming field two login bodies differ in, with both values; `None` unless the bodies
/// are objects with the same fields, a password field among them, that differ in exactly that
/// one.
fn differing_name(a: &Value, b: &Value) -> Option<(OwnerRef, String, String)> {
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return None;
    };
    if a.len() != b.len() || a.keys().any(|k| !b.contains_key(k)) {
        return None;
    }
    // A login: a password field, the same in both.
    if !a.keys().any(|k| k.to_ascii_lowercase().contains("pass")) {
        return None;
    }
    let mut differ = a.iter().filter(|(k, v)| b.get(*k) != Some(*v));
    let (field, value) = differ.next()?;
    if differ.next().is_some() {
        return None;
    }
    let holds = naming(field)?;
    Some((
        holds,
        value.as_str()?.to_string(),
        b.get(field)?.as_str()?.to_string(),
    ))
}

/// A refused login: 4xx, not a rate limit.
fn refused(step: &TraceStep) -> bool {
    step.status()
        .is_some_and(|s| (400..500).contains(&s) && s != 429)
}

impl Oracle for UserEnumeration {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let steps: Vec<&TraceStep> = cx
            .trace
            .steps
            .iter()
            .filter(|s| matches!(s.purpose, Purpose::Sequence { .. }) && refused(s))
            .collect();
        let known = cx.ownership.known();
        for (i, a) in steps.iter().enumerate() {
            for b in &steps[i + 1..] {
                if a.op != b.op {
                    continue;
                }
                let (Some(body_a), Some(body_b)) = (&a.body, &b.body) else {
                    continue;
                };
                let Some((holds, name_a, name_b)) = differing_name(body_a, body_b) else {
                    continue;
                };
                let who = |name: &str| match known.named(holds, name) {
                    Named::Identity(id) => Some(id),
                    _ => None,
                };
                let (nobody, somebody, identity) = match (who(&name_a), who(&name_b)) {
                    (None, Some(id)) => (a, b, id),
                    (Some(id), None) => (b, a, id),
                    _ => continue,
                };
                let names = [name_a.as_str(), name_b.as_str()];
                let answer = |s: &TraceStep| {
                    s.exchange
                        .outcome
                        .response()
                        .map(|r| super::fingerprint::of_response(r, &names))
                        .unwrap_or_default()
                };
                let (to_nobody, to_somebody) = (answer(nobody), answer(somebody));
                if to_nobody == to_somebody {
                    continue;
                }
                let role = acting_role(somebody);
                return vec![Violation {
                    oracle: Self::NAME.into(),
                    operation: somebody.op.clone(),
                    roles: vec![role],
                    step: b.index,
                    message: format!(
                        "{} answered a username nobody has with `{to_nobody}` and {identity}'s \
                         with a wrong password with `{to_somebody}`",
                        somebody.op
                    ),
                    rule: "a failed login does not tell whether the account exists".into(),
                    cause: None,
                }];
            }
        }
        Vec::new()
    }
}

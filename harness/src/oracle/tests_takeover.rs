//! The `account-takeover` oracle over hand-built traces, both ways, on a Swagger 2 API whose
//! members log in by email and whose `PATCH /members/{memberId}` changes an email or password.

use serde_json::{Value, json};
use trespass_generators::model::OwnerRef;

use super::testkit::{TraceBuilder, pairs};
use super::*;
use crate::exec::LoginCheck;

const MEMBERS: &str = r#"
swagger: "2.0"
info: {title: club, version: "1"}
securityDefinitions:
  session: {type: apiKey, in: header, name: X-Session}
security: [{session: []}]
paths:
  /session:
    post:
      security: []
      consumes: [application/json]
      parameters:
        - in: body
          name: credentials
          schema:
            type: object
            properties: {email: {type: string}, pass: {type: string}}
      responses:
        '200': {description: session}
        '403': {description: bad login}
  /members/{memberId}:
    patch:
      consumes: [application/json]
      parameters:
        - {name: memberId, in: path, required: true, type: integer}
        - in: body
          name: changes
          schema:
            type: object
            properties: {email: {type: string}, pass: {type: string}}
      responses:
        '200': {description: changed}
        '403': {description: not yours}
"#;

fn members() -> TraceBuilder {
    let model = trespass_generators::load_str(MEMBERS, "members.yaml").expect("loads");
    TraceBuilder::new(model)
        .knows("ann:user", OwnerRef::Email, "ann@club.test")
        .knows("ben:user", OwnerRef::Email, "ben@club.test")
}

const LOGIN: &str = "POST /session";

fn ann_login(pass: &str) -> Value {
    json!({"email": "ann@club.test", "pass": pass})
}

/// `writer` changes ann's (member 1) password, answered `status`; the checks answer
/// `before`, `configured` and `changed` (no check when `None`).
fn change(
    writer: &str,
    status: u16,
    before: u16,
    configured: Option<u16>,
    changed: Option<u16>,
) -> TraceBuilder {
    let mut t = members().login_check(
        "ann:user",
        LOGIN,
        ann_login("ann-pw-1"),
        before,
        LoginCheck::Before,
        1,
    );
    t = t.step(
        writer,
        "PATCH /members/{memberId}",
        &[("memberId", json!(1))],
        Some(json!({"pass": "ben-chose-this"})),
        status,
        json!({}),
    );
    if let Some(s) = configured {
        t = t.login_check(
            "ann:user",
            LOGIN,
            ann_login("ann-pw-1"),
            s,
            LoginCheck::Configured,
            1,
        );
    }
    if let Some(s) = changed {
        t = t.login_check(
            "ann:user",
            LOGIN,
            ann_login("ben-chose-this"),
            s,
            LoginCheck::Changed,
            1,
        );
    }
    t
}

#[test]
fn takeover_fires_when_the_new_value_logs_in_or_the_old_one_stops() {
    let v = change("ben:user", 200, 200, Some(403), Some(200)).check(&AccountTakeover);
    assert_eq!(
        pairs(&v),
        [(
            "account-takeover".into(),
            "PATCH /members/{memberId}".into()
        )]
    );
    assert_eq!(v[0].roles, [Role::User, Role::User]);
    assert_eq!(v[0].step, TraceIndex(1));
    assert!(
        v[0].message.contains("ben's new value logs in as ann"),
        "{}",
        v[0].message
    );

    // The new value does not work (a server that also requires a confirmation), but ann is
    // locked out.
    let v = change("ben:user", 200, 200, Some(403), Some(403)).check(&AccountTakeover);
    assert_eq!(v.len(), 1);
    assert!(
        v[0].message.contains("ann's own credentials"),
        "{}",
        v[0].message
    );

    // An anonymous writer too.
    let v = change("anon:anonymous", 200, 200, Some(200), Some(200)).check(&AccountTakeover);
    assert_eq!(v[0].roles, [Role::Anonymous, Role::User]);
}

#[test]
fn takeover_judges_the_checked_writes_of_non_admins() {
    let checked = change("ben:user", 200, 200, Some(200), Some(403));
    assert!(checked.check(&AccountTakeover).is_empty());
    assert_eq!(
        checked.judged(&AccountTakeover),
        [TraceIndex(1)],
        "judged though silent"
    );
    assert!(
        change("root:admin", 200, 200, Some(403), Some(200))
            .judged(&AccountTakeover)
            .is_empty(),
        "an admin's write is not judged"
    );
    assert!(
        change("ben:user", 403, 200, None, None)
            .judged(&AccountTakeover)
            .is_empty(),
        "a refused write is not judged"
    );
}

#[test]
fn takeover_is_silent_when_the_change_went_elsewhere_or_was_refused() {
    // Applied to ben's own account: ann still logs in, ben's value is not hers.
    assert!(
        change("ben:user", 200, 200, Some(200), Some(403))
            .check(&AccountTakeover)
            .is_empty()
    );
    // Refused.
    assert!(
        change("ben:user", 403, 200, None, None)
            .check(&AccountTakeover)
            .is_empty()
    );
    // Refused, yet (wrongly) checked: the oracle still judges only 2xx writes.
    assert!(
        change("ben:user", 403, 200, Some(403), Some(200))
            .check(&AccountTakeover)
            .is_empty()
    );
    // ann could not log in before either: her refusal after says nothing.
    assert!(
        change("ben:user", 200, 403, Some(403), Some(403))
            .check(&AccountTakeover)
            .is_empty()
    );
    // An admin may reset passwords.
    assert!(
        change("root:admin", 200, 200, Some(403), Some(200))
            .check(&AccountTakeover)
            .is_empty()
    );
    // The server broke (5xx): not a refusal of ann's credentials.
    assert!(
        change("ben:user", 200, 200, Some(503), None)
            .check(&AccountTakeover)
            .is_empty()
    );
}

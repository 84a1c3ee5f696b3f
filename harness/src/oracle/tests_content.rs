//! The content oracles on hand-built traces: `injection`, `data-exposure`, `error-disclosure`,
//! and how `server-error` leaves an injection to `injection`.

use std::time::Duration;

use serde_json::json;
use trespass_generators::model::OwnerRef;
use trespass_generators::sequence::AuthMode;

use super::testkit::{TraceBuilder, forum, pairs};
use super::{
    DataExposure, ErrorDisclosure, Injection, Redos, ServerError, SlowResponse, UserEnumeration,
};
use crate::exec::ResponseBody;

const SNIPPETS: &str = "GET /api/v2/snippets";

fn sql_error() -> serde_json::Value {
    json!({"error": "ERROR: syntax error at or near \"'\" LINE 1: ...WHERE author = '''"})
}

#[test]
fn injection_needs_the_payload_to_break_what_the_plain_value_does_not() {
    // The payload answers 500 with an SQL error, the plain twin 200.
    let b = TraceBuilder::new(forum())
        .step("alice:user", SNIPPETS, &[], None, 500, sql_error())
        .query("author", "'")
        .plain_twin(200, json!([]));
    let found = b.check(&Injection);
    assert_eq!(
        pairs(&found),
        [("injection".to_string(), SNIPPETS.to_string())]
    );
    assert_eq!(found[0].cause.as_deref(), Some("sql at query author"));
    assert!(
        found[0]
            .message
            .contains("500 with a PostgreSQL syntax error"),
        "{}",
        found[0].message
    );
    assert!(b.check(&ServerError).is_empty(), "one bug, one finding");

    // The same 500 whatever is sent: a crash, not an injection.
    let both = TraceBuilder::new(forum())
        .step("alice:user", SNIPPETS, &[], None, 500, sql_error())
        .query("author", "'")
        .plain_twin(500, json!({"error": "boom"}));
    assert!(both.check(&Injection).is_empty());
    assert_eq!(both.check(&ServerError).len(), 2);

    // No control was sent: nothing to compare, server-error keeps it.
    let alone = TraceBuilder::new(forum())
        .step("alice:user", SNIPPETS, &[], None, 500, sql_error())
        .query("author", "'");
    assert!(alone.check(&Injection).is_empty());
    assert_eq!(alone.check(&ServerError).len(), 1);

    // A plain value that fails, and a payload refused politely: no injection.
    let plain = TraceBuilder::new(forum())
        .step("alice:user", SNIPPETS, &[], None, 500, sql_error())
        .query("author", "bob")
        .plain_twin(200, json!([]));
    assert!(plain.check(&Injection).is_empty());
    let refused = TraceBuilder::new(forum())
        .step(
            "alice:user",
            SNIPPETS,
            &[],
            None,
            400,
            json!({"error": "bad author"}),
        )
        .query("author", "' OR '1'='1")
        .plain_twin(200, json!([]));
    assert!(refused.check(&Injection).is_empty());

    // A 4xx carrying the database's error is one too.
    let leaked = TraceBuilder::new(forum())
        .step(
            "alice:user",
            "GET /api/v2/snippets/{title}",
            &[("title", json!("');--"))],
            None,
            400,
            sql_error(),
        )
        .plain_twin(404, json!({"error": "no such snippet"}));
    let found = leaked.check(&Injection);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].cause.as_deref(), Some("sql at path title"));
}

#[test]
fn error_disclosure_fires_on_traces_below_500_only() {
    let panic = "thread 'tokio-runtime-worker' panicked at src/forum/users.rs:61:9:\nno user\n\
                 stack backtrace:\n   0: forum::users::profile";
    let b = TraceBuilder::new(forum()).step(
        "alice:user",
        "GET /api/v2/users/{username}",
        &[("username", json!("nobody"))],
        None,
        404,
        json!({"error": "no such user", "trace": panic}),
    );
    let found = b.check(&ErrorDisclosure);
    assert_eq!(
        pairs(&found),
        [(
            "error-disclosure".to_string(),
            "GET /api/v2/users/{username}".to_string()
        )]
    );
    assert_eq!(found[0].cause.as_deref(), Some("a Rust panic"));

    let html = TraceBuilder::new(forum())
        .step("alice:user", SNIPPETS, &[], None, 400, json!(null))
        .response_body(ResponseBody::Text(
            "<html><title>KeyError // Werkzeug Debugger</title>".into(),
        ));
    assert_eq!(html.check(&ErrorDisclosure).len(), 1);

    // A 500 with a trace is server-error's, which says what it saw.
    let crash = TraceBuilder::new(forum()).step(
        "alice:user",
        SNIPPETS,
        &[],
        None,
        500,
        json!({"error": panic}),
    );
    assert!(crash.check(&ErrorDisclosure).is_empty());
    let server = crash.check(&ServerError);
    assert!(
        server[0].message.contains("a Rust panic in the answer"),
        "{}",
        server[0].message
    );

    let clean = TraceBuilder::new(forum()).step(
        "alice:user",
        "GET /api/v2/users/{username}",
        &[("username", json!("nobody"))],
        None,
        404,
        json!({"error": "no such user"}),
    );
    assert!(clean.check(&ErrorDisclosure).is_empty());
}

fn forum_people() -> TraceBuilder {
    TraceBuilder::new(forum())
        .knows("alice:user", OwnerRef::Username, "alice")
        .knows("bob:user", OwnerRef::Username, "bob")
        .knows("root:admin", OwnerRef::Username, "root")
}

#[test]
fn data_exposure_fires_on_other_people_s_secrets() {
    let listed = json!([
        {"username": "alice", "bio": "", "passwordHash": "sha256$1f2e3d4c5b6a"},
        {"username": "bob", "bio": "", "passwordHash": "sha256$99aa88bb77cc"},
    ]);
    let b = forum_people().step(
        "alice:user",
        "GET /api/v2/users",
        &[],
        None,
        200,
        listed.clone(),
    );
    let found = b.check(&DataExposure);
    assert_eq!(
        pairs(&found),
        [("data-exposure".to_string(), "GET /api/v2/users".to_string())]
    );
    assert_eq!(found[0].cause.as_deref(), Some("passwordHash"));
    assert!(
        found[0].message.contains("/1/passwordHash, of bob"),
        "{}",
        found[0].message
    );

    // Unauthenticated, alice's own hash is exposed too.
    let anonymous = forum_people()
        .step(
            "guest:anonymous",
            "GET /api/v2/users",
            &[],
            None,
            200,
            listed,
        )
        .auth(AuthMode::None);
    assert_eq!(anonymous.check(&DataExposure).len(), 1);

    // Another user's API secret, by username.
    let secret = forum_people().step(
        "alice:user",
        "GET /api/v2/users/{username}",
        &[("username", json!("bob"))],
        None,
        200,
        json!({"username": "bob", "bio": "", "apiSecret": "fsk_bob_0123456789"}),
    );
    assert_eq!(secret.check(&DataExposure).len(), 1);

    // A configured credential of another identity, whatever the field is called.
    let leaked = forum_people()
        .credential("bob:user", "bob-forum-pw-2")
        .step(
            "alice:user",
            "GET /api/v2/users/{username}",
            &[("username", json!("bob"))],
            None,
            200,
            json!({"username": "bob", "bio": "bob-forum-pw-2"}),
        );
    let found = leaked.check(&DataExposure);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].cause.as_deref(), Some("configured credential"));
}

#[test]
fn data_exposure_leaves_the_caller_s_own_secrets_alone() {
    // Its own apiSecret on /me, its own account in an update.
    let me = forum_people()
        .step(
            "alice:user",
            "GET /api/v2/me",
            &[],
            None,
            200,
            json!({"username": "alice", "email": "alice@forum.test", "bio": "", "role": "user",
                   "apiSecret": "fsk_alice_0123456789"}),
        )
        .step(
            "alice:user",
            "GET /api/v2/me",
            &[],
            None,
            200,
            json!({"email": "alice@forum.test", "apiSecret": "fsk_alice_0123456789"}),
        );
    assert!(me.check(&DataExposure).is_empty());
    // A login answer's token to an unauthenticated caller, its own password echoed.
    let login = forum_people()
        .credential("alice:user", "alice-forum-pw-1")
        .step(
            "alice:user",
            "POST /api/v2/auth/login",
            &[],
            Some(json!({"username": "alice", "password": "alice-forum-pw-1"})),
            200,
            json!({"token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "password": "alice-forum-pw-1"}),
        )
        .auth(AuthMode::None);
    assert!(login.check(&DataExposure).is_empty());
    // An admin's console lists API secrets: the policy's call. Masks are no secrets.
    let admin = forum_people()
        .step(
            "root:admin",
            "GET /api/v2/admin/users",
            &[],
            None,
            200,
            json!([{"username": "bob", "email": "bob@forum.test", "bio": "", "role": "user",
                    "apiSecret": "fsk_bob_0123456789"}]),
        )
        .step(
            "alice:user",
            "GET /api/v2/users/{username}",
            &[("username", json!("bob"))],
            None,
            200,
            json!({"username": "bob", "bio": "", "password": "********"}),
        );
    assert!(admin.check(&DataExposure).is_empty());
}

/// A card API in another style: the card number is `writeOnly`, directly and inside a list
/// envelope's items.
fn cards() -> TraceBuilder {
    let spec = r##"
openapi: 3.0.3
info: {title: cards, version: "1"}
paths:
  /wallet/cards:
    get:
      responses:
        "200":
          description: the caller's cards
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {type: array, items: {$ref: "#/components/schemas/Card"}}
  /wallet/cards/{cardRef}:
    get:
      parameters: [{name: cardRef, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: one card
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Card"}
components:
  schemas:
    Card:
      type: object
      properties:
        cardRef: {type: string, readOnly: true}
        holder: {type: string}
        number: {type: string, writeOnly: true}
"##;
    let model = trespass_generators::load_str(spec, "cards.yaml").expect("the cards spec loads");
    TraceBuilder::new(model)
}

#[test]
fn data_exposure_fires_on_write_only_properties_in_answers() {
    let one = cards().step(
        "alice:user",
        "GET /wallet/cards/{cardRef}",
        &[("cardRef", json!("c-1"))],
        None,
        200,
        json!({"cardRef": "c-1", "holder": "Alice", "number": "4111111111111111"}),
    );
    let found = one.check(&DataExposure);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].cause.as_deref(), Some("number"));
    assert!(
        found[0].message.contains("writeOnly"),
        "{}",
        found[0].message
    );
    // Inside a list envelope, through the items' `$ref`.
    let listed = cards().step(
        "alice:user",
        "GET /wallet/cards",
        &[],
        None,
        200,
        json!({"data": [{"cardRef": "c-1", "holder": "Alice"},
                        {"cardRef": "c-2", "holder": "Alice", "number": "5500000000000004"}]}),
    );
    let found = listed.check(&DataExposure);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("/data/1/number"),
        "{}",
        found[0].message
    );
}

#[test]
fn data_exposure_leaves_answers_without_write_only_values_alone() {
    // The property absent, empty or masked, and the read-only and plain fields of the same
    // object: nothing.
    let clean = cards()
        .step(
            "alice:user",
            "GET /wallet/cards/{cardRef}",
            &[("cardRef", json!("c-1"))],
            None,
            200,
            json!({"cardRef": "c-1", "holder": "Alice"}),
        )
        .step(
            "alice:user",
            "GET /wallet/cards/{cardRef}",
            &[("cardRef", json!("c-1"))],
            None,
            200,
            json!({"cardRef": "c-1", "holder": "Alice", "number": "****************"}),
        )
        .step(
            "alice:user",
            "GET /wallet/cards",
            &[],
            None,
            200,
            json!({"data": [{"cardRef": "c-1", "holder": "Alice", "number": ""}]}),
        );
    assert!(clean.check(&DataExposure).is_empty());
}

const CREATE: &str = "POST /api/v2/snippets";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Growth probes at 8, 16 and 32 characters answered after `times`, then the step itself with
/// `step_length` characters after `step_time`.
fn grown(times: [u64; 3], step_length: usize, step_time: u64) -> TraceBuilder {
    let mut b = TraceBuilder::new(forum());
    for (length, t) in [8, 16, 32].into_iter().zip(times) {
        b = b.growth("alice:user", CREATE, "title", length, ms(t));
    }
    let title = format!("{}!", "a".repeat(step_length - 1));
    b.step(
        "alice:user",
        CREATE,
        &[],
        Some(json!({"title": title, "code": "x"})),
        201,
        json!({"status": "success"}),
    )
    .elapsed(ms(step_time))
}

#[test]
fn redos_fires_on_super_linear_growth_seen_twice() {
    // Exponential: 16 characters take 2 ms, 32 take 900 ms (the probe stopped there, and the
    // step was sent at 32 too).
    let b = grown([1, 2, 900], 32, 950);
    let found = b.check(&Redos);
    assert_eq!(pairs(&found), [("redos".to_string(), CREATE.to_string())]);
    assert!(
        found[0].message.contains("of 32 in 950 ms"),
        "{}",
        found[0].message
    );
    // Slower than slow-response's threshold too, but the growth is redos's finding.
    let slow = grown([1, 2, 6000], 32, 6100);
    assert_eq!(slow.check(&Redos).len(), 1);
    assert!(
        slow.check_with_threshold(&SlowResponse, ms(5000))
            .is_empty()
    );
}

#[test]
fn redos_is_silent_on_linear_growth_jitter_and_one_pause() {
    // Linear: four times the length, four times the time.
    assert!(grown([30, 60, 120], 64, 240).check(&Redos).is_empty());
    // Jitter of a few milliseconds is no growth, however large the ratio.
    assert!(grown([1, 1, 9], 64, 12).check(&Redos).is_empty());
    // One pause of the machine: the 32-character probe took 300 ms, the 64-character step 3 ms.
    assert!(grown([1, 1, 300], 64, 3).check(&Redos).is_empty());
    // A step with no growth probes: nothing to compare.
    let alone = TraceBuilder::new(forum()).step(
        "alice:user",
        CREATE,
        &[],
        Some(json!({"title": format!("{}!", "a".repeat(63)), "code": "x"})),
        201,
        json!({"status": "success"}),
    );
    assert!(alone.elapsed(ms(9000)).check(&Redos).is_empty());
}

const LOGIN: &str = "POST /api/v2/auth/login";

fn logins(to_nobody: (u16, &str), to_alice: (u16, &str)) -> TraceBuilder {
    forum_people()
        .step(
            "alice:user",
            LOGIN,
            &[],
            Some(json!({"username": "trespass-nobody-4f1c", "password": "Wr0ng"})),
            to_nobody.0,
            json!({"error": to_nobody.1}),
        )
        .auth(AuthMode::None)
        .step(
            "alice:user",
            LOGIN,
            &[],
            Some(json!({"username": "alice", "password": "Wr0ng"})),
            to_alice.0,
            json!({"error": to_alice.1}),
        )
        .auth(AuthMode::None)
}

#[test]
fn user_enumeration_compares_an_unknown_and_a_known_username() {
    let told = logins(
        (401, "Username does not exist"),
        (401, "Password is not correct"),
    );
    let found = told.check(&UserEnumeration);
    assert_eq!(
        pairs(&found),
        [("user-enumeration".to_string(), LOGIN.to_string())]
    );
    assert_eq!(
        found[0].roles,
        [trespass_generators::sequence::Role::Anonymous]
    );
    assert!(
        found[0].message.contains("Username does not exist"),
        "{}",
        found[0].message
    );
    // Another status says it too.
    assert_eq!(
        logins((404, "no"), (401, "no"))
            .check(&UserEnumeration)
            .len(),
        1
    );
    // The same answer, with the username in it taken out, says nothing.
    let same = logins(
        (
            401,
            "invalid username or password for 'trespass-nobody-4f1c'",
        ),
        (401, "invalid username or password for 'alice'"),
    );
    assert!(same.check(&UserEnumeration).is_empty());
    // A rate limit is no answer about the account.
    assert!(
        logins((401, "x"), (429, "slow down"))
            .check(&UserEnumeration)
            .is_empty()
    );
    // Two usernames nobody has: nothing to compare.
    let strangers = forum_people()
        .step(
            "alice:user",
            LOGIN,
            &[],
            Some(json!({"username": "zed", "password": "p"})),
            401,
            json!({"error": "a"}),
        )
        .step(
            "alice:user",
            LOGIN,
            &[],
            Some(json!({"username": "yan", "password": "p"})),
            404,
            json!({"error": "b"}),
        );
    assert!(strangers.check(&UserEnumeration).is_empty());
}

#[test]
fn the_probe_is_two_logins_with_one_wrong_password() {
    let file = crate::identity::IdentityFile::parse(
        include_str!("../../../corpus/identities/forum.toml"),
        "forum.toml",
        |_| None,
    )
    .expect("the forum identities parse");
    let probe = super::enumeration_probe(&forum(), &file).expect("alice logs in");
    let bodies: Vec<_> = probe
        .steps
        .iter()
        .map(|s| {
            assert_eq!(s.op.as_str(), LOGIN);
            assert_eq!(s.auth, AuthMode::None);
            s.args.body.as_ref().unwrap().value.clone()
        })
        .collect();
    assert_eq!(
        bodies,
        [
            json!({"username": "trespass-nobody-4f1c", "password": "Wr0ng-passw0rd-of-trespass"}),
            json!({"username": "alice", "password": "Wr0ng-passw0rd-of-trespass"}),
        ]
    );
    let apikeys = crate::identity::IdentityFile::parse(
        include_str!("../../../corpus/identities/notes.toml"),
        "notes.toml",
        |_| None,
    )
    .expect("the notes identities parse");
    assert!(super::enumeration_probe(&super::testkit::notes(), &apikeys).is_none());
}

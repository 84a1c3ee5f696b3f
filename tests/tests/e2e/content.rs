//! The content oracles over real traces of the forum demo, run by the executor on handcrafted
//! sequences: each fires on its planted bug (`forum-injection-snippets`,
//! `forum-data-exposure-users`, `forum-error-disclosure-register`, `forum-redos-snippet-title`,
//! `forum-user-enumeration-login`) and the secure build trips none of them. The injection and the ReDoS need attack payloads,
//! which the fuzzer sends only when its generators produce them; this sequence sends them by
//! hand. (The same oracles over
//! hand-built traces are unit tests in `harness/src/oracle/tests_content.rs`.)

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use trespass::exec::{ClientConfig, Executor, HttpClient, Purpose, RunResult};
use trespass::identity::{IdentityFile, Sessions};
use trespass::oracle::{CheckContext, Policy, Violation, check_all, select};
use trespass::redact::Redactor;
use trespass_generators::ApiModel;
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{Arg, Args, AuthMode, BodyArg, IdentityId, Sequence, Step};
use trespass_targets::{Mode, Service};

fn step(who: &str, op: &str, path: &[(&str, Value)], query: &[(&str, Value)]) -> Step {
    let mut args = Args::default();
    for (k, v) in path {
        args.path.insert((*k).into(), Arg::Value(v.clone()));
    }
    for (k, v) in query {
        args.query.insert((*k).into(), Arg::Value(v.clone()));
    }
    Step {
        identity: IdentityId::new(who),
        op: OperationId::parse(op).expect("METHOD /path"),
        auth: AuthMode::Normal,
        args,
        violates: Vec::new(),
    }
}

/// One step per planted content bug of the forum, and their plain counterparts.
fn sequence() -> Sequence {
    Sequence {
        steps: vec![
            step(
                "alice",
                "GET /api/v2/snippets",
                &[],
                &[("author", json!("'"))],
            ),
            step(
                "alice",
                "GET /api/v2/snippets",
                &[],
                &[("author", json!("bob"))],
            ),
            step("alice", "GET /api/v2/users", &[], &[]),
            step("anon", "GET /api/v2/users", &[], &[]),
            step(
                "alice",
                "GET /api/v2/users/{username}",
                &[("username", json!("nobody-here"))],
                &[],
            ),
            step("alice", "GET /api/v2/me", &[], &[]),
            step("root", "GET /api/v2/admin/users", &[], &[]),
            long_title(),
            short_password(),
        ],
    }
}

/// alice registers an account with a password of 3 characters (the minimum is 8).
fn short_password() -> Step {
    let mut register = step("alice", "POST /api/v2/users", &[], &[]);
    register.args.body = Some(BodyArg {
        media_type: "application/json".into(),
        value: json!({"username": "newcomer", "email": "newcomer@forum.test", "password": "abc"}),
        refs: Vec::new(),
    });
    register
}

/// alice shares a snippet whose title is a 64-character long string (`aaa…a!`).
fn long_title() -> Step {
    let mut create = step("alice", "POST /api/v2/snippets", &[], &[]);
    create.args.body = Some(BodyArg {
        media_type: "application/json".into(),
        value: json!({"title": format!("{}!", "a".repeat(63)), "code": "fn main() {}"}),
        refs: Vec::new(),
    });
    create
}

async fn run(mode: Mode) -> (ApiModel, IdentityFile, RunResult) {
    let running = trespass_targets::start(Service::Forum, mode, 0).expect("the forum starts");
    let (model, file) = trespass_tests::demo(Service::Forum);
    let client = HttpClient::new(ClientConfig::new(running.url().parse().expect("a URL")))
        .expect("a client");
    let sessions = Sessions::new(client, &file, Redactor::new());
    let executor = Executor::new(&model, &sessions, file.policy.shared_resources.clone());
    // The campaign's first case, the user-enumeration probe, then the content steps.
    let mut sequence = trespass::oracle::enumeration_probe(&model, &file).expect("a login flow");
    sequence.steps.extend(self::sequence().steps);
    let result = executor.run(&sequence).await;
    drop(running);
    assert!(result.trace.reject.is_none(), "{:?}", result.trace.reject);
    (model, file, result)
}

/// Every default oracle's violations (slow-response left out: tests do not judge timing).
fn violations(model: &ApiModel, file: &IdentityFile, result: &RunResult) -> Vec<Violation> {
    let oracles = select("-slow-response").expect("valid selection");
    let policy = Policy::new(model, &file.policy);
    let cx = CheckContext::new(
        model,
        &result.trace,
        &result.ownership,
        &policy,
        Duration::from_secs(5),
    );
    check_all(&oracles, &cx)
}

fn pairs(violations: &[Violation]) -> BTreeSet<(String, String)> {
    violations
        .iter()
        .map(|v| (v.oracle.clone(), v.operation.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_oracles_fire_on_the_forum_bugs() {
    let (model, file, result) = run(Mode::Vulnerable).await;
    // The quote answered 500 and the executor sent its control with a plain author.
    let twin = result
        .trace
        .steps
        .iter()
        .find(|s| matches!(s.purpose, Purpose::PlainTwin { .. }))
        .expect("a plain twin after the refused payload");
    assert_eq!(twin.status(), Some(200));
    assert_eq!(twin.exchange.request.query, [("author".into(), "a".into())]);
    let v = violations(&model, &file, &result);
    let expected: BTreeSet<(String, String)> = [
        ("injection", "GET /api/v2/snippets"),
        ("data-exposure", "GET /api/v2/users"),
        ("error-disclosure", "POST /api/v2/users"),
        ("redos", "POST /api/v2/snippets"),
        ("user-enumeration", "POST /api/v2/auth/login"),
    ]
    .iter()
    .map(|(o, op)| (o.to_string(), op.to_string()))
    .collect();
    assert_eq!(pairs(&v), expected, "{v:#?}");
    let injection = v.iter().find(|v| v.oracle == "injection").unwrap();
    assert_eq!(injection.cause.as_deref(), Some("sql at query author"));
    assert!(
        injection.message.contains("PostgreSQL syntax error"),
        "{}",
        injection.message
    );
    let exposed: BTreeSet<String> = v
        .iter()
        .filter(|v| v.oracle == "data-exposure")
        .map(|v| format!("{} {}", v.roles[0], v.message))
        .collect();
    assert!(
        exposed.iter().any(|m| m.starts_with("anonymous "))
            && exposed.iter().any(|m| m.starts_with("user ")),
        "{exposed:#?}"
    );
    // The planted bugs match the manifest's entries.
    let manifest: BTreeSet<(String, String)> = trespass_targets::planted::manifest(Service::Forum)
        .iter()
        .filter(|b| {
            [
                "injection",
                "data-exposure",
                "error-disclosure",
                "redos",
                "user-enumeration",
            ]
            .contains(&b.oracle)
        })
        .map(|b| (b.oracle.to_string(), b.operation.to_string()))
        .collect();
    assert!(manifest.is_subset(&expected), "{manifest:?}");
    assert_eq!(manifest.len(), 5);
    // The long title grew from 8 characters and stopped at the first slow answer, if any: no
    // request carried a longer title than that.
    let growth: Vec<(usize, u128)> = result
        .trace
        .steps
        .iter()
        .filter_map(|s| match s.purpose {
            Purpose::Growth { length, .. } => Some((length, s.exchange.elapsed.as_millis())),
            _ => None,
        })
        .collect();
    eprintln!("growth probes (length, ms): {growth:?}");
    assert_eq!(growth.first().map(|g| g.0), Some(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_oracles_are_silent_on_the_secure_forum() {
    let (model, file, result) = run(Mode::Secure).await;
    let v = violations(&model, &file, &result);
    assert!(v.is_empty(), "{v:#?}");
    // The quote was refused by nobody: the secure filter treats it as a name.
    let quoted = result
        .trace
        .steps
        .iter()
        .find(|s| s.exchange.request.query.iter().any(|(_, v)| v == "'"))
        .expect("the quoted author was sent");
    assert_eq!(quoted.status(), Some(200));
}

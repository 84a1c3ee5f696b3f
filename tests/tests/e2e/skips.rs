//! The executor on a live shop: a step that needs the answer of a step the target refused (or
//! that listed nothing) is skipped with every step that needs it, the other steps still run;
//! a reference to a field the answer lacks still rejects the sequence.

use serde_json::json;
use trespass::exec::{ClientConfig, Executor, HttpClient, Purpose, StepIndex};
use trespass::identity::Sessions;
use trespass::redact::Redactor;
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{
    Arg, Args, AuthMode, BodyArg, IdentityId, Ref, RefSource, Sequence, Step,
};
use trespass_targets::{Mode, Service};

fn body(step: usize, pointer: &str) -> Arg {
    Arg::Ref(Ref {
        step,
        source: RefSource::Body {
            pointer: pointer.into(),
        },
    })
}

fn step(who: &str, op: &str, path: Vec<(&str, Arg)>, value: Option<serde_json::Value>) -> Step {
    let mut args = Args::default();
    for (name, arg) in path {
        args.path.insert(name.into(), arg);
    }
    args.body = value.map(|value| BodyArg {
        media_type: "application/json".into(),
        value,
        refs: Vec::new(),
    });
    Step {
        identity: IdentityId::new(who),
        op: OperationId::parse(op).expect("METHOD /path"),
        auth: AuthMode::Normal,
        args,
        violates: Vec::new(),
    }
}

#[test]
fn steps_needing_a_refused_answer_are_skipped_and_the_rest_runs() {
    let order = "GET /users/{userId}/orders/{orderId}";
    let sequence = Sequence {
        steps: vec![
            step("alice", "GET /me", vec![], None),
            // Refused: anonymous callers place no orders.
            step(
                "anon",
                "POST /users/{userId}/orders",
                vec![("userId", body(0, "/id"))],
                Some(json!({"addressId": 1})),
            ),
            // Skipped: needs the refused order.
            step(
                "bob",
                order,
                vec![("userId", body(0, "/id")), ("orderId", body(1, "/id"))],
                None,
            ),
            // alice lists her orders: fewer than a hundred.
            step(
                "alice",
                "GET /users/{userId}/orders",
                vec![("userId", body(0, "/id"))],
                None,
            ),
            // Skipped: the list has no hundredth order.
            step(
                "carol",
                order,
                vec![("userId", body(0, "/id")), ("orderId", body(3, "/99/id"))],
                None,
            ),
            // Runs: needs nothing that was refused.
            step("bob", "GET /me", vec![], None),
            // Skipped: needs a skipped step's answer.
            step(
                "alice",
                order,
                vec![("userId", body(0, "/id")), ("orderId", body(2, "/id"))],
                None,
            ),
            // Rejected: bob's account has no such field.
            step(
                "bob",
                "GET /users/{userId}",
                vec![("userId", body(5, "/noSuchField"))],
                None,
            ),
            step("carol", "GET /me", vec![], None),
        ],
    };
    let running = trespass_targets::start(Service::Shop, Mode::Secure, 0).expect("starts");
    let (model, file) = trespass_tests::demo(Service::Shop);
    let client = HttpClient::new(ClientConfig::new(running.url().parse().expect("a URL")))
        .expect("a client");
    let sessions = Sessions::new(client, &file, Redactor::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = runtime.block_on(Executor::new(&model, &sessions, Vec::new()).run(&sequence));
    let sent: Vec<(usize, Option<u16>)> = result
        .trace
        .steps
        .iter()
        .filter_map(|s| match s.purpose {
            Purpose::Sequence { step } => Some((step.0, s.status())),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        [
            (0, Some(200)),
            (1, Some(401)),
            (3, Some(200)),
            (5, Some(200))
        ],
        "{:#?}",
        result.trace.reject
    );
    let reject = result
        .trace
        .reject
        .expect("a field the answer lacks rejects");
    assert_eq!(reject.step, StepIndex(7));
    assert_eq!(reject.whence.kind(), "unresolved-ref");
    assert!(
        reject.whence.to_string().ends_with("not in the answer"),
        "{}",
        reject.whence
    );
}

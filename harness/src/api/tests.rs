use std::path::PathBuf;
use std::time::Duration;

use trespass_generators::model::OperationId;
use trespass_generators::sequence::{Args, AuthMode, IdentityId, Role, Sequence, Step};

use super::snapshot::{entries, render, replay_line, slug, test_name};
use super::*;
use crate::exec::{Trace, TraceIndex};
use crate::finding::StepReport;
use crate::oracle::Violation;
use crate::redact::Redactor;

const SHOP_SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/specs/shop.yaml");
const SHOP_IDENTITIES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../corpus/identities/shop.toml"
);

fn step(identity: &str, op: &str) -> Step {
    Step {
        identity: IdentityId::new(identity),
        op: OperationId::parse(op).unwrap(),
        auth: AuthMode::Normal,
        args: Args::default(),
        violates: Vec::new(),
    }
}

fn report(index: usize, purpose: &str, identity: &str, method: &str, status: u16) -> StepReport {
    StepReport {
        index: TraceIndex(index),
        purpose: purpose.parse().unwrap(),
        sequence_step: None,
        identity: identity.into(),
        role: Role::User,
        auth: AuthMode::Normal,
        method: method.into(),
        path: format!("/orders/{}", 4000 + index),
        request_body: None,
        status: Some(status),
        response_body: None,
        error: None,
        elapsed_ms: 12 + index as u64,
    }
}

/// A BOLA finding as a run reports it: alice creates, bob reads.
fn bola() -> Finding {
    let operation = OperationId::parse("GET /orders/{orderId}").unwrap();
    let violation = Violation {
        oracle: "bola".into(),
        operation,
        roles: vec![Role::User, Role::User],
        step: TraceIndex(1),
        message: "bob read alice's order 4001".into(),
        rule: "objects are private to their owner".into(),
        cause: None,
    };
    let sequence = Sequence {
        steps: vec![
            step("alice", "POST /orders"),
            step("bob", "GET /orders/{orderId}"),
        ],
    };
    let mut finding = Finding::new(
        &violation,
        &sequence,
        &Trace::default(),
        41,
        7,
        &Redactor::new(),
    );
    finding.confirmed = true;
    finding.count = 17;
    finding.steps = vec![
        report(0, "sequence", "alice", "POST", 201),
        report(1, "verify_before", "alice", "GET", 200),
        report(2, "sequence", "bob", "GET", 200),
    ];
    finding
}

fn outcome_with(findings: Vec<Found>) -> Outcome {
    Outcome {
        summary: Summary {
            format_version: crate::campaign::REPORT_FORMAT_VERSION,
            seed: 7,
            shards: Vec::new(),
            cases: 10,
            requests: 50,
            rejected: 0,
            rejections: Default::default(),
            sharing: Default::default(),
            transport: Default::default(),
            peak_memory: None,
            elapsed: Duration::from_millis(10),
            oracles: vec!["bola".into()],
            findings: findings.iter().map(|f| f.finding.clone()).collect(),
            root_causes: Vec::new(),
            interrupted: false,
            coverage: Default::default(),
            operations: Default::default(),
            feedback: None,
        },
        findings,
        fixed: Vec::new(),
        seed: 7,
    }
}

fn found(file: &str) -> Found {
    Found {
        finding: bola(),
        file: PathBuf::from(file),
        replayed: false,
    }
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn assert_clean_panics_with_headline_replay_line_steps_and_seed() {
    let outcome = outcome_with(vec![found("corpus/findings/bola-x.json")]);
    let payload = std::panic::catch_unwind(|| outcome.assert_clean()).unwrap_err();
    let text = panic_text(payload);
    assert!(text.contains(&bola().headline()), "{text}");
    assert!(
        text.contains("replay: trespass replay corpus/findings/bola-x.json"),
        "{text}"
    );
    assert!(text.contains("1. alice POST /orders"), "{text}");
    assert!(text.contains("2. bob GET /orders/{orderId}"), "{text}");
    assert!(text.contains("TRESPASS_SEED=7"), "{text}");

    let clean = outcome_with(Vec::new());
    assert!(clean.failure_report().is_none());
    clean.assert_clean();
}

#[test]
fn replayed_findings_are_marked_in_the_report() {
    let mut saved = found("corpus/findings/bola-x.json");
    saved.replayed = true;
    let outcome = outcome_with(vec![saved]);
    assert_eq!(outcome.replayed().count(), 1);
    let text = outcome.failure_report().unwrap();
    assert!(text.contains("saved earlier, still fails"), "{text}");
    assert!(
        outcome
            .get("bola GET /orders/{orderId} [user,user]")
            .is_some()
    );
}

#[test]
fn a_missing_spec_is_an_error_naming_the_file() {
    let e = Harness::from_spec("no/such/openapi.yaml")
        .base_url("http://127.0.0.1:9")
        .identities_file(SHOP_IDENTITIES)
        .try_run()
        .unwrap_err();
    assert!(matches!(e, HarnessError::Spec(_)), "{e:?}");
    assert!(e.to_string().contains("no/such/openapi.yaml"), "{e}");
}

#[test]
fn a_bad_identities_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ids.toml");
    std::fs::write(&path, "[[identity]]\nname = 3\n").unwrap();
    let e = Harness::from_spec(SHOP_SPEC)
        .base_url("http://127.0.0.1:9")
        .identities_file(&path)
        .try_run()
        .unwrap_err();
    assert!(matches!(e, HarnessError::Identities(_)), "{e:?}");
    assert!(e.to_string().contains("ids.toml"), "{e}");

    let e = Harness::from_spec(SHOP_SPEC)
        .base_url("http://127.0.0.1:9")
        .try_run()
        .unwrap_err();
    assert!(
        e.to_string().contains("shop.yaml") && e.to_string().contains(".identities_file("),
        "{e}"
    );
    let e = Harness::from_spec(SHOP_SPEC)
        .identities_file(SHOP_IDENTITIES)
        .try_run()
        .unwrap_err();
    assert!(e.to_string().contains(".base_url("), "{e}");
}

#[test]
fn refused_credentials_are_an_error_naming_the_identity() {
    let target = trespass_targets::hostile::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("hostile.yaml");
    std::fs::write(&spec, trespass_targets::hostile::SPEC_YAML).unwrap();
    let ids = dir.path().join("ids.toml");
    std::fs::write(
        &ids,
        "[[identity]]\nname = \"mallory\"\nrole = \"user\"\nauth = { bearer = \"not-the-token-1234\" }\n",
    )
    .unwrap();
    let e = Harness::from_spec(&spec)
        .base_url(target.url())
        .identities_file(&ids)
        .corpus(dir.path().join("findings"))
        .cases(3)
        .try_run()
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("credentials of `mallory` are refused") && text.contains("answered 401"),
        "{text}"
    );
    assert!(!text.contains("not-the-token-1234"), "redacted: {text}");
    assert_eq!(
        target.requests(),
        crate::identity::PROBES as u64,
        "three probes, all refused, and no case ran"
    );
}

#[test]
fn an_unreachable_target_is_an_error_naming_the_url() {
    // A port that was just free: nothing listens on it any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let e = Harness::from_spec(SHOP_SPEC)
        .base_url(&url)
        .identities_file(SHOP_IDENTITIES)
        .try_run()
        .unwrap_err();
    assert!(matches!(e, HarnessError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains(&url), "{e}");

    let e = Harness::from_spec(SHOP_SPEC)
        .base_url("not a url")
        .identities_file(SHOP_IDENTITIES)
        .try_run()
        .unwrap_err();
    assert!(matches!(e, HarnessError::BadBaseUrl { .. }), "{e:?}");
}

#[test]
fn run_panics_with_the_error() {
    let payload = std::panic::catch_unwind(|| {
        Harness::from_spec("missing-spec.yaml")
            .base_url("http://127.0.0.1:9")
            .identities_file(SHOP_IDENTITIES)
            .run()
    })
    .unwrap_err();
    let text = panic_text(payload);
    assert!(
        text.starts_with("trespass could not run:") && text.contains("missing-spec.yaml"),
        "{text}"
    );
}

#[test]
fn bad_settings_are_errors() {
    let e = Harness::from_spec(SHOP_SPEC)
        .oracles("bola,nope")
        .try_run()
        .unwrap_err();
    assert!(e.to_string().contains("unknown oracle `nope`"), "{e}");
    let e = Harness::from_spec(SHOP_SPEC)
        .workers(0)
        .try_run()
        .unwrap_err();
    assert!(e.to_string().contains("workers must be at least 1"), "{e}");
}

#[test]
fn the_environment_overrides_seed_and_cases() {
    let builder = Harness::from_spec(SHOP_SPEC).seed(1).cases(5).workers(3);

    let (config, seed, cases, random) = builder.clone().env(&[]).resolve().unwrap();
    assert_eq!((seed, cases, random), (1, Some(5), false));
    assert_eq!(config.workers, 3);

    let overridden = builder
        .clone()
        .env(&[
            ("TRESPASS_SEED", "9"),
            ("TRESPASS_CASES", "300"),
            ("TRESPASS_WORKERS", "5"),
        ])
        .resolve()
        .unwrap();
    assert_eq!((overridden.1, overridden.2), (9, Some(300)));
    assert_eq!(
        overridden.0.workers, 3,
        "the builder's workers beat the env"
    );

    let (_, _, cases, random) = Harness::from_spec(SHOP_SPEC).env(&[]).resolve().unwrap();
    assert!(random, "no seed anywhere: a random one");
    assert_eq!(cases, None, "the configuration's default applies");

    let e = builder
        .env(&[("TRESPASS_SEED", "soon")])
        .resolve()
        .unwrap_err();
    assert!(e.to_string().contains("TRESPASS_SEED"), "{e}");
}

#[test]
fn builder_cases_and_a_duration_both_apply() {
    let (config, _, cases, _) = Harness::from_spec(SHOP_SPEC)
        .seed(1)
        .cases(5)
        .env(&[("TRESPASS_DURATION", "30s")])
        .resolve()
        .unwrap();
    assert_eq!(cases, Some(5), "the duration does not drop the cases");
    let settings = Settings::from_config(&config, 1);
    assert_eq!(settings.case_limit(), Some(5));
    assert_eq!(settings.duration, Some(Duration::from_secs(30)));

    let (config, _, cases, _) = Harness::from_spec(SHOP_SPEC)
        .seed(1)
        .cases(5)
        .env(&[("TRESPASS_CASES", "8"), ("TRESPASS_DURATION", "30s")])
        .resolve()
        .unwrap();
    assert_eq!(
        cases,
        Some(8),
        "TRESPASS_CASES beats the builder, with a duration too"
    );
    assert_eq!(Settings::from_config(&config, 1).case_limit(), Some(8));
}

#[test]
fn snapshot_names_are_readable_and_unique() {
    assert_eq!(
        slug("bola GET /orders/{orderId} [user,user]"),
        "bola-get-orders-orderid-user-user"
    );
    assert_eq!(
        test_name("examples::shop::vulnerable::__trespass_here"),
        "vulnerable"
    );
    assert_eq!(
        test_name("shop::in_async::{{closure}}::__trespass_here"),
        "in_async"
    );

    let mut other = found("corpus/findings/b.json");
    // Another signature with the same slug gets a suffix.
    other.finding.signature = crate::oracle::Signature::new(
        "bola",
        &OperationId::parse("GET /orders/orderId").unwrap(),
        &[Role::User, Role::User],
    );
    let outcome = outcome_with(vec![found("corpus/findings/a.json"), other]);
    let names: Vec<String> = entries(&outcome, "t").into_iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "t__bola-get-orders-orderid-user-user",
            "t__bola-get-orders-orderid-user-user-2",
            "t__findings"
        ]
    );
}

#[test]
fn a_snapshot_holds_only_what_is_stable() {
    let text = render(&found("corpus/findings/a.json"));
    assert_eq!(
        text,
        "signature: bola GET /orders/{orderId} [user,user]\n\
         oracle: bola\n\
         operation: GET /orders/{orderId}\n\
         roles: user, user\n\
         rule: objects are private to their owner\n\
         status: confirmed\n\
         steps:\n  \
         1. alice (user) POST /orders -> 201\n  \
         2. bob (user) GET /orders/{orderId} -> 200\n"
    );
    // No case number, count, concrete id or time.
    for volatile in ["41", "17", "4001", "12"] {
        assert!(!text.contains(volatile), "{volatile} in {text}");
    }

    let mut in_temp = found("x");
    in_temp.file = std::env::temp_dir().join(".tmpAbC").join("bola-x.json");
    assert_eq!(
        replay_line(&in_temp),
        "trespass replay [corpus]/bola-x.json"
    );
    assert_eq!(
        replay_line(&found("corpus/findings/bola-x.json")),
        "trespass replay corpus/findings/bola-x.json"
    );

    let index = entries(&outcome_with(Vec::new()), "t");
    assert_eq!(index.len(), 1);
    assert_eq!(index[0].content, "(no findings)\n");
}

#[cfg(feature = "cli")]
#[test]
fn a_demo_run_saves_findings_that_the_next_run_replays() {
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::demo(trespass_targets::Service::Shop)
        .seed(3)
        .cases(200)
        .workers(1)
        .oracles("bola")
        .corpus(dir.path())
        .env(&[]);
    let first = harness.run();
    assert!(!first.is_clean(), "the vulnerable shop has BOLA bugs");
    assert_eq!(first.replayed().count(), 0);
    for found in &first.findings {
        assert!(found.file.exists(), "{} saved", found.file.display());
    }

    let second = harness.clone().replay_only(&first.findings[0].file).run();
    assert_eq!(second.findings.len(), 1, "replay-only generates nothing");
    assert!(second.findings[0].replayed);
    assert_eq!(second.summary.cases, 0);

    let fixed = harness.secure(true).cases(5).run();
    assert!(fixed.is_clean(), "{:?}", fixed.failure_report());
    assert_eq!(fixed.fixed.len(), first.findings.len());
}

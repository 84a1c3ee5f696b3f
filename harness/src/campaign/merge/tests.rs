use std::time::Duration;

use trespass_generators::model::OperationId;
use trespass_generators::sequence::{Role, Sequence};

use super::*;
use crate::exec::{Trace, TraceIndex};
use crate::oracle::Violation;
use crate::redact::Redactor;

fn finding(oracle: &str, op: &str, count: u64, confirmed: bool, case: u64) -> Finding {
    let violation = Violation {
        oracle: oracle.into(),
        operation: OperationId::parse(op).unwrap(),
        roles: vec![Role::User, Role::User],
        step: TraceIndex(0),
        message: format!("{oracle} on {op}"),
        rule: "a rule".into(),
        cause: None,
    };
    let mut f = Finding::new(
        &violation,
        &Sequence::default(),
        &Trace::default(),
        case,
        7,
        &Redactor::new(),
    );
    f.confirmed = confirmed;
    f.count = count;
    f
}

fn shard_report(shard: &str, cases: u64, findings: Vec<Finding>) -> Summary {
    let mut summary = empty_summary(None);
    summary.seed = 7;
    summary.shards = vec![shard.parse().unwrap()];
    summary.cases = cases;
    summary.requests = cases * 6;
    summary.rejected = 1;
    summary.rejections = [("login-failed".to_string(), 1)].into();
    summary.elapsed = Duration::from_secs(cases);
    summary.oracles = vec!["bola".into(), "server-error".into()];
    summary.findings = findings;
    summary
}

#[test]
fn shards_add_their_counts_and_keep_one_finding_per_signature() {
    let read = "GET /orders/{orderId}";
    let mut merger = Merger::new();
    merger
        .report(shard_report(
            "1/3",
            34,
            vec![finding("bola", read, 2, false, 9)],
        ))
        .report(shard_report(
            "2/3",
            33,
            vec![
                finding("bola", read, 3, true, 4),
                finding("server-error", "POST /orders", 1, true, 1),
            ],
        ))
        .report(shard_report("3/3", 33, Vec::new()));
    let merge = merger.finish();
    let summary = &merge.summary;
    assert_eq!(summary.cases, 100);
    assert_eq!(summary.requests, 600);
    assert_eq!(
        (summary.rejected, summary.rejections["login-failed"]),
        (3, 3)
    );
    assert_eq!(
        summary.elapsed,
        Duration::from_secs(34),
        "shards run side by side"
    );
    assert_eq!(summary.oracles, ["bola", "server-error"]);
    assert_eq!(summary.shards.len(), 3);
    assert!(merge.notes.is_empty(), "{:?}", merge.notes);
    assert_eq!(summary.findings.len(), 2);
    let bola = summary
        .findings
        .iter()
        .find(|f| f.oracle == "bola")
        .unwrap();
    assert_eq!(bola.count, 5, "counts added");
    assert!(bola.confirmed, "the confirmed one is kept");
    assert_eq!(bola.case, 4);
    assert_eq!(summary.root_causes.len(), 2);
}

#[test]
fn missing_and_repeated_shards_and_mixed_seeds_are_said() {
    let mut other_seed = shard_report("2/4", 10, Vec::new());
    other_seed.seed = 8;
    let mut merger = Merger::new();
    merger
        .report(shard_report("1/4", 10, Vec::new()))
        .report(shard_report("1/4", 10, Vec::new()))
        .report(other_seed);
    let notes = merger.finish().notes;
    let text = notes.join("\n");
    assert!(text.contains("2 different seeds (7, 8)"), "{text}");
    assert!(text.contains("shards missing: 3/4, 4/4"), "{text}");
    assert!(text.contains("more than once: 1/4"), "{text}");
}

#[test]
fn a_folder_finding_of_a_reported_signature_is_not_counted_twice() {
    let read = "GET /orders/{orderId}";
    let mut merger = Merger::new();
    merger
        .report(shard_report(
            "1/2",
            5,
            vec![finding("bola", read, 4, true, 2)],
        ))
        .finding_file(
            PathBuf::from("a/bola.json"),
            finding("bola", read, 4, true, 2),
        )
        .finding_file(
            PathBuf::from("b/bola.json"),
            finding("bola", read, 1, false, 1),
        )
        .finding_file(
            PathBuf::from("b/crash.json"),
            finding("target-crash", "POST /orders", 2, true, 3),
        );
    let merge = merger.finish();
    let count = |oracle: &str| {
        merge
            .summary
            .findings
            .iter()
            .find(|f| f.oracle == oracle)
            .map(|f| f.count)
    };
    assert_eq!(
        count("bola"),
        Some(4),
        "the report's own finding file is the same finding"
    );
    assert_eq!(
        count("target-crash"),
        Some(2),
        "a finding only in a folder joins"
    );
    let bola = merge
        .files
        .values()
        .find(|p| p.ends_with("bola.json"))
        .unwrap();
    assert_eq!(
        bola,
        &PathBuf::from("a/bola.json"),
        "the confirmed file is kept"
    );
    assert_eq!(merge.files.len(), 2);
}

#[test]
fn finding_files_are_copied_with_their_reproducers_once() {
    let from = tempfile::tempdir().unwrap();
    let to = tempfile::tempdir().unwrap();
    let json = from.path().join("bola-x.json");
    std::fs::write(&json, "{}").unwrap();
    std::fs::write(from.path().join("bola-x.sh"), "#!/bin/sh\n").unwrap();
    let files = BTreeMap::from([("bola x".to_string(), json)]);
    let written = copy_findings(&files, to.path()).unwrap();
    assert_eq!(
        written.len(),
        2,
        "{written:?}: no .rs beside it, none copied"
    );
    assert_eq!(
        std::fs::read_to_string(to.path().join("bola-x.sh")).unwrap(),
        "#!/bin/sh\n"
    );
    let missing = BTreeMap::from([("y".to_string(), from.path().join("gone.json"))]);
    assert!(
        copy_findings(&missing, to.path()).is_err(),
        "a missing finding file is an error"
    );
}

#[test]
fn a_state_counts_for_a_shard_without_a_report_and_not_for_one_with_it() {
    let state = |shard: &str| CampaignState {
        seed: 7,
        shard: Some(shard.parse().unwrap()),
        cases: 12,
        requests: 70,
        ..Default::default()
    };
    let mut merger = Merger::new();
    merger
        .report(shard_report("1/2", 20, Vec::new()))
        .state(PathBuf::from("state-1"), state("1/2"))
        .state(PathBuf::from("state-2"), state("2/2"));
    let merge = merger.finish();
    assert_eq!(
        merge.summary.cases, 32,
        "the report's 20 and shard 2's state's 12"
    );
    assert_eq!(merge.summary.requests, 120 + 70);
    assert!(
        merge.summary.interrupted,
        "a state stands for a run without its report"
    );
    assert_eq!(merge.summary.shards.len(), 2);
    let notes = merge.notes.join("\n");
    assert!(notes.contains("state-1: a report covers"), "{notes}");
    assert!(!notes.contains("missing"), "{notes}");
}

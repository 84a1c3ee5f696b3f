//! Saved findings replay first: a second run on the same corpus reports them as replayed, a
//! run against the fixed (secure) target reports them fixed and keeps their files, and a
//! regression test can replay one finding alone.

use trespass::Harness;
use trespass_targets::{Mode, Running, Service};

fn shop(mode: Mode) -> Running {
    trespass_targets::start(Service::Shop, mode, 0).expect("the shop demo starts")
}

fn harness(target: &Running, corpus: &std::path::Path) -> Harness {
    Harness::from_spec("../corpus/specs/shop.yaml")
        .base_url(target.url())
        .identities_file("../corpus/identities/shop.toml")
        .oracles("bola,bfla")
        .seed(11)
        .cases(40)
        .workers(1)
        .corpus(corpus)
}

#[test]
fn saved_findings_replay_first_and_fixed_ones_are_reported() {
    let corpus = tempfile::tempdir().unwrap();
    let vulnerable = shop(Mode::Vulnerable);

    let first = harness(&vulnerable, corpus.path()).run();
    assert!(
        !first.is_clean(),
        "the vulnerable shop has BOLA and BFLA bugs"
    );
    assert_eq!(first.replayed().count(), 0, "the corpus was empty");
    for found in &first.findings {
        assert!(found.file.exists(), "saved: {}", found.file.display());
    }

    // Same corpus, nothing generated: every saved finding still fails and is replayed.
    let second = harness(&vulnerable, corpus.path()).cases(0).run();
    assert_eq!(second.summary.cases, 0);
    assert_eq!(second.signatures(), first.signatures());
    assert!(second.findings.iter().all(|f| f.replayed));
    assert!(second.fixed.is_empty());

    // The fixed target: every saved finding is reported fixed, its file kept.
    let secure = shop(Mode::Secure);
    let third = harness(&secure, corpus.path()).run();
    third.assert_clean();
    let fixed: Vec<_> = third.fixed.iter().map(|f| &f.finding.signature).collect();
    assert_eq!(fixed, first.signatures());
    assert!(third.fixed.iter().all(|f| f.file.exists()));
}

#[test]
fn a_regression_test_replays_one_finding_alone() {
    let corpus = tempfile::tempdir().unwrap();
    let vulnerable = shop(Mode::Vulnerable);
    let first = harness(&vulnerable, corpus.path()).oracles("bola").run();
    let saved = &first.findings.first().expect("a BOLA finding").file;

    // What a generated regression test does; it fails while the bug is there...
    let replayed = harness(&vulnerable, corpus.path()).replay_only(saved).run();
    assert_eq!(
        replayed.signatures(),
        [&first.findings[0].finding.signature]
    );
    let failure = std::panic::catch_unwind(|| replayed.assert_clean()).unwrap_err();
    let text = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains(&format!("trespass replay {}", saved.display())),
        "{text}"
    );

    // ...and passes once it is fixed.
    let secure = shop(Mode::Secure);
    let fixed = harness(&secure, corpus.path()).replay_only(saved).run();
    fixed.assert_clean();
    assert_eq!(fixed.fixed.len(), 1);
}

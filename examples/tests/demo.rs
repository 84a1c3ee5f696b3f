//! The embedded demo started by the harness itself (`Harness::demo`, one target per worker),
//! from a plain test and from inside `#[tokio::test]`.

use trespass::Harness;
use trespass_targets::Service;

fn notes(corpus: &std::path::Path) -> Harness {
    Harness::demo(Service::Notes)
        .seed(5)
        .cases(60)
        .workers(1)
        .corpus(corpus)
}

/// One worker: with several, two cases that find the same signature race to be its first
/// finding, and shrinking two different cases may end in two reproducers of the same size
/// with other steps or values, which a snapshot would see as a change. (Shrinking renames the
/// identities to the first of each role, so the identities no longer differ.) One worker finds
/// each signature first in its lowest case.
#[test]
fn vulnerable_notes() {
    let corpus = tempfile::tempdir().unwrap();
    let outcome = notes(corpus.path()).run();
    trespass::assert_findings_snapshot!(outcome);
}

/// `run()` starts its own runtime on a thread of its own, so it works inside a tokio test.
#[tokio::test]
async fn secure_notes_inside_tokio() {
    let corpus = tempfile::tempdir().unwrap();
    notes(corpus.path()).secure(true).run().assert_clean();
    // The async form does not block the test's runtime while it waits.
    let outcome = notes(corpus.path()).secure(true).run_async().await.unwrap();
    assert!(outcome.is_clean(), "{:?}", outcome.failure_report());
    assert_eq!(outcome.seed, 5);
}

//! trespass from `cargo test` against the shop demo, started in-process.
//!
//! Paths are relative to this package's directory, which `cargo test` makes the working
//! directory. Each test saves its findings to a temporary corpus; a real suite would keep the
//! default `corpus/findings` under version control so saved findings replay first.

use trespass::Harness;
use trespass_targets::{Mode, Running, Service};

const SPEC: &str = "../corpus/specs/shop.yaml";
const IDENTITIES: &str = "../corpus/identities/shop.toml";
const SEED: u64 = 11;
const CASES: u64 = 60;

fn shop(mode: Mode) -> Running {
    trespass_targets::start(Service::Shop, mode, 0).expect("the shop demo starts")
}

fn harness(target: &Running, corpus: &std::path::Path) -> Harness {
    Harness::from_spec(SPEC)
        .base_url(target.url())
        .identities_file(IDENTITIES)
        .seed(SEED)
        .cases(CASES)
        .workers(1)
        .corpus(corpus)
}

#[test]
fn vulnerable_shop() {
    let target = shop(Mode::Vulnerable);
    let corpus = tempfile::tempdir().unwrap();
    let outcome = harness(&target, corpus.path()).run();
    trespass::assert_findings_snapshot!(outcome);
}

#[test]
fn secure_shop_is_clean() {
    let target = shop(Mode::Secure);
    let corpus = tempfile::tempdir().unwrap();
    harness(&target, corpus.path()).run().assert_clean();
}

//! One `trespass demo` running as a process of its own, shared by 4 workers through
//! `--base-url`: the campaign finds the planted bugs that one worker per embedded target
//! finds (the manifest), each confirmed by a replay alone, nothing outside them (no artefact
//! of sequences running side by side), and sharing rejects no more sequences than one worker
//! alone does (no identity lost to another worker's sequence, although only the account writes
//! the target let through are followed by a reset).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use trespass::campaign::Summary;
use trespass_targets::Service;
use trespass_tests::{repo_root, trespass};

/// A `trespass demo` process, stopped when dropped.
struct DemoProcess {
    child: Child,
    url: String,
}

impl DemoProcess {
    /// Starts `trespass demo --service SERVICE --port 0` and reads its URL from its output.
    fn start(service: &str, out_dir: &std::path::Path) -> Self {
        let mut child = trespass!()
            .args(["demo", "--service", service, "--port", "0", "--out-dir"])
            .arg(out_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("trespass demo starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("trespass demo prints its URL before it ends")
                .expect("readable output");
            if let Some(url) = line.strip_prefix("url:") {
                break url.trim().to_string();
            }
        };
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        // Keep reading (and dropping) its output so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, url }
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn manifest(service: Service) -> BTreeSet<(String, String)> {
    trespass_targets::planted::manifest(service)
        .iter()
        .map(|b| (b.oracle.to_string(), b.operation.to_string()))
        .collect()
}

/// Fuzzes `url` (the shop) with `workers` workers and returns the JSON report.
fn fuzz_shop(url: &str, workers: usize, seed: u64, cases: u64) -> Summary {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    let report = dir.path().join("report.json");
    let out = trespass!()
        .current_dir(&root)
        .args(["fuzz", "--base-url", url])
        .args(["--spec", "corpus/specs/shop.yaml"])
        .args(["--identities", "corpus/identities/shop.toml"])
        .args(["--workers", &workers.to_string()])
        .args(["--seed", &seed.to_string(), "--cases", &cases.to_string()])
        .arg("--no-shrink")
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .arg(format!("--report=json:{}", report.display()))
        .output()
        .expect("trespass fuzz runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}\n{stderr}",
        out.status
    );
    let text = std::fs::read_to_string(&report).expect("the report is written");
    serde_json::from_str(&text).expect("the report is a summary")
}

#[test]
fn four_workers_on_one_demo_process_find_what_one_worker_per_target_finds() {
    let dir = tempfile::tempdir().unwrap();
    let demo = DemoProcess::start("shop", dir.path());
    let shared = fuzz_shop(&demo.url, 4, SEED, CASES);
    let expected = manifest(Service::Shop);
    let headlines: Vec<String> = shared
        .findings
        .iter()
        .map(|f| format!("{} (confirmed: {})", f.headline(), f.confirmed))
        .collect();
    let found: BTreeSet<(String, String)> = shared.oracle_operations().into_iter().collect();
    assert_eq!(found, expected, "{headlines:#?}");
    let confirmed: BTreeSet<(String, String)> = shared
        .findings
        .iter()
        .filter(|f| f.confirmed)
        .map(|f| (f.oracle.clone(), f.operation.to_string()))
        .collect();
    assert_eq!(
        confirmed, expected,
        "every planted bug confirmed alone: {headlines:#?}"
    );
    assert!(shared.cases >= CASES, "{} cases", shared.cases);
    assert!(shared.sharing.alone > 0, "account writes ran alone");
    // A reset follows the account writes that went through, not the ones the shop refused.
    assert!(
        shared.sharing.reset_after > 0 && shared.sharing.reset_after < shared.sharing.alone,
        "{:?}",
        shared.sharing
    );
    for reason in ["login-failed", "credentials-refused"] {
        assert_eq!(
            shared.rejections.get(reason),
            None,
            "no identity lost to another worker: {:?}",
            shared.rejections
        );
    }
    assert!(
        shared.rejected * 10 < shared.cases,
        "under a tenth of the sequences rejected: {} of {}: {:?}",
        shared.rejected,
        shared.cases,
        shared.rejections
    );
    // The same seed with one worker (the target to itself, reset before every sequence).
    let alone = fuzz_shop(&demo.url, 1, SEED, CASES);
    assert!(
        shared.rejected <= alone.rejected + CASES / 50,
        "sharing rejects {} of {} sequences, one worker {}: {:?} / {:?}",
        shared.rejected,
        shared.cases,
        alone.rejected,
        shared.rejections,
        alone.rejections
    );
}

/// The budget: the same seed family as the manifest tests of `fuzz.rs`.
const SEED: u64 = super::fuzz::SEED;
const CASES: u64 = super::fuzz::CASES;

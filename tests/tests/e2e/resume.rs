//! Resuming a campaign: `kill -9` at a random moment, run again with the same state, and the
//! second run goes on from where the first stopped; together they find exactly what one
//! uninterrupted run of the same cases and seed finds, and nothing saved is reported again.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use trespass_tests::trespass;

const CASES: &str = "200";
const SEED: &str = "11";

fn fuzz(dir: &Path) -> std::process::Command {
    let mut command = trespass!();
    command
        .args(["fuzz", "--workers", "1", "--cases", CASES, "--seed", SEED])
        // The coverage feedback's corpus is part of the state, and resumes with it.
        .args(["--feedback", "0.5"])
        .arg("--corpus")
        .arg(dir.join("findings"))
        .arg("--state")
        .arg(dir.join("state"))
        .arg("--report")
        .arg(format!("json:{}", dir.join("report.json").display()));
    command
}

fn signatures(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["signature"].as_str().unwrap().to_string())
        .collect()
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

#[test]
fn a_campaign_killed_at_a_random_moment_resumes_and_finds_what_one_run_finds() {
    let whole = tempfile::tempdir().unwrap();
    let out = fuzz(whole.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = signatures(&read_json(&whole.path().join("report.json")).unwrap());
    assert!(expected.len() > 3, "{expected:?}");

    // Killed once between 5 and 44 cases done (a moment that differs from run to run).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let kill_after = 5 + u64::from(nanos % 40);
    let cut = tempfile::tempdir().unwrap();
    let state_file = cut.path().join("state/state.json");
    let mut child = fuzz(cut.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let done = read_json(&state_file).map_or(0, |s| s["done_below"].as_u64().unwrap());
        if done >= kill_after {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was killed"
        );
        assert!(started.elapsed() < Duration::from_secs(300), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let state = read_json(&state_file).unwrap();
    let from = state["done_below"].as_u64().unwrap();
    assert!(from >= kill_after && from < 200, "{from}");
    let known: BTreeSet<String> = state["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();

    let out = fuzz(cut.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("resuming campaign") && first.contains(&format!("from case {from}:")),
        "{stderr}"
    );
    let report = read_json(&cut.path().join("report.json")).unwrap();
    assert_eq!(signatures(&report), expected, "{stderr}");
    assert!(
        report["feedback"]["focused"].as_u64().unwrap() > 0,
        "{}",
        report["feedback"]
    );
    assert_eq!(
        report["cases"], 200,
        "every case ran once, across the two runs"
    );
    // Only what the first run had not found is announced (a finding saved unconfirmed may be
    // confirmed, and announced, again).
    let stdout = String::from_utf8_lossy(&out.stdout);
    let announced = stdout.lines().filter(|l| l.starts_with('[')).count();
    let saved_unconfirmed = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| known.contains(f["signature"].as_str().unwrap()))
        .filter(|f| f["confirmed"] == false)
        .count();
    let new = expected.len() - known.intersection(&expected).count();
    assert!(
        announced >= new && announced <= new + saved_unconfirmed,
        "announced {announced}, new {new}:\n{stdout}"
    );

    // Run again once complete: the state is not resumed, the campaign starts afresh.
    let out = fuzz(cut.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("note: not resuming") && stderr.contains("are all done"),
        "{stderr}"
    );
    assert_eq!(
        signatures(&read_json(&cut.path().join("report.json")).unwrap()),
        expected
    );
}

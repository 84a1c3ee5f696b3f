//! Targets whose reset is flaky or broken: a campaign still runs its whole budget, and a replay
//! that could not run never claims "fixed".
//!
//! The reset is the identities file's `{ command = "..." }` form: a shell script that counts
//! its calls in a file and fails when told to, then calls the demo's own `POST /__reset` with
//! curl (as CI installs it for the reproducers).

use std::path::{Path, PathBuf};

use trespass_targets::{Mode, Service};
use trespass_tests::{trespass, write_demo_files};

/// Writes the shop's identities file with its reset replaced by a script that fails on every
/// call where `fails(n)` holds (`n` counts calls from 1), and returns its path and the counter
/// file's.
fn identities_with_reset(dir: &Path, url: &str, fails: &str) -> (PathBuf, PathBuf) {
    let (_, identities) = write_demo_files(Service::Shop, dir);
    let counter = dir.join("resets");
    let script = dir.join("reset.sh");
    std::fs::write(
        &script,
        format!(
            "n=$(cat '{counter}' 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > '{counter}'\n\
             if {fails}; then echo \"reset $n refused\" >&2; exit 1; fi\n\
             exec curl -sf -X POST '{url}/__reset' -o /dev/null\n",
            counter = counter.display(),
            url = url.trim_end_matches('/'),
        ),
    )
    .unwrap();
    let text = std::fs::read_to_string(&identities).unwrap();
    assert!(text.contains("reset = \"POST /__reset\""), "{text}");
    let text = text.replace(
        "reset = \"POST /__reset\"",
        &format!("reset = {{ command = \"sh '{}'\" }}", script.display()),
    );
    std::fs::write(&identities, text).unwrap();
    (identities, counter)
}

fn calls(counter: &Path) -> u64 {
    std::fs::read_to_string(counter)
        .map(|t| t.trim().parse().unwrap_or(0))
        .unwrap_or(0)
}

/// A reset that fails one time in three is retried: the campaign runs all its cases (one
/// worker, so every sequence is reset first) and finds bugs as usual.
#[test]
fn a_flaky_reset_does_not_stop_the_campaign() {
    let target = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (spec, _) = write_demo_files(Service::Shop, dir.path());
    let (identities, counter) =
        identities_with_reset(dir.path(), target.url(), "[ $((n % 3)) -eq 0 ]");
    let report = dir.path().join("report.json");
    let out = trespass!()
        .args(["fuzz", "--cases", "40", "--seed", "3", "--workers", "1"])
        .args(["--no-shrink", "--base-url", target.url()])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .arg("--report")
        .arg(format!("json:{}", report.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(summary["cases"], 40, "every case ran: {stderr}");
    assert!(
        calls(&counter) / 3 >= 10,
        "the reset was called ({}) and failed every third time",
        calls(&counter)
    );
    assert!(!stderr.contains("given up"), "no case given up: {stderr}");
}

/// A target whose reset works once (when the replay connects) and then keeps failing:
/// replaying a saved finding there cannot say anything, so it exits 2 with the reason, never
/// "fixed" with exit 0.
#[test]
fn a_replay_that_cannot_reset_exits_2_and_never_says_fixed() {
    let target = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let findings = dir.path().join("findings");
    let out = trespass!()
        .args(["fuzz", "--cases", "60", "--seed", "7", "--workers", "1"])
        .arg("--no-shrink")
        .arg("--corpus")
        .arg(&findings)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let finding = std::fs::read_dir(&findings)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a saved finding");

    let (spec, _) = write_demo_files(Service::Shop, dir.path());
    let (identities, counter) = identities_with_reset(dir.path(), target.url(), "[ $n -gt 1 ]");
    let out = trespass!()
        .arg("replay")
        .arg(&finding)
        .args(["--base-url", target.url()])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(!stdout.contains("fixed"), "{stdout}");
    assert!(
        stderr.contains("refused"),
        "the reset's own words: {stderr}"
    );
    assert_eq!(
        calls(&counter),
        4,
        "one good reset, then one replay's three tries"
    );
}

//! A target that misbehaves below HTTP (resets, garbage, cut bodies, redirect loops, slow and
//! endless answers; `trespass_targets::hostile`), run as its own server shared by two workers:
//! every misbehaviour is a finding or a counted transport result, the run ends within its
//! duration, memory stays bounded, and broken credentials or an unreachable target are exit 2
//! with a message, never a clean run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use trespass_targets::hostile::{self, Hostile};
use trespass_tests::trespass;

/// The hostile spec and an identities file (`identities`) in `dir`.
fn write_files(dir: &Path, identities: &str) -> (PathBuf, PathBuf) {
    let spec = dir.join("hostile.yaml");
    std::fs::write(&spec, hostile::SPEC_YAML).unwrap();
    let ids = dir.join("identities.toml");
    std::fs::write(&ids, identities).unwrap();
    (spec, ids)
}

/// A URL nothing listens on (a port just freed).
fn nothing_listening() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// A finished `trespass fuzz` of a hostile server, with what it left behind.
struct HostileRun {
    target: hostile::RunningHostile,
    _dir: tempfile::TempDir,
    spec: PathBuf,
    ids: PathBuf,
    corpus: PathBuf,
    took: Duration,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The JSON report.
    summary: Value,
}

/// Fuzzes a hostile server whose `/slow` answers after `slow` with two workers for `duration`,
/// requests timing out after `timeout`, answers slow past 500 ms, shrinking on.
fn fuzz_hostile(slow: Duration, duration: Duration, timeout: &str) -> HostileRun {
    let target = Hostile { slow }.start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (spec, ids) = write_files(dir.path(), &hostile::identities_toml());
    let report = dir.path().join("report.json");
    let corpus = dir.path().join("findings");
    let started = Instant::now();
    let out = trespass!()
        .args(["fuzz", "--seed", "3", "--workers", "2"])
        .arg("--duration")
        .arg(format!("{}s", duration.as_secs()))
        .args(["--base-url", target.url()])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&ids)
        .arg("--report")
        .arg(format!("json:{}", report.display()))
        .arg("--corpus")
        .arg(&corpus)
        .env("TRESPASS_REQUEST_TIMEOUT", timeout)
        .env("TRESPASS_SLOW_THRESHOLD", "500ms")
        .env("TRESPASS_MAX_SHRINK_TIME", "60s")
        .env("TRESPASS_MAX_BODY_BYTES", "262144")
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // Shown with --nocapture: what a user of this target sees.
    eprintln!("took {took:?}\n{stdout}\n{stderr}");
    assert!(
        took < duration + Duration::from_secs(5),
        "the run took {took:?} for a {duration:?} budget\n{stdout}\n{stderr}"
    );
    let summary = serde_json::from_slice(&std::fs::read(&report).unwrap())
        .unwrap_or_else(|e| panic!("the report: {e}\n{stderr}"));
    HostileRun {
        target,
        _dir: dir,
        spec,
        ids,
        corpus,
        took,
        code: out.status.code(),
        stdout,
        stderr,
        summary,
    }
}

#[test]
fn a_hostile_target_is_judged_counted_and_left_within_the_budget() {
    // `/slow` times out after 1 s.
    let run = fuzz_hostile(Duration::from_secs(2), Duration::from_secs(10), "1s");
    let HostileRun {
        target,
        spec,
        ids,
        corpus,
        stdout,
        stderr,
        summary,
        ..
    } = &run;
    assert_eq!(run.code, Some(1), "{stdout}\n{stderr}");

    let found: Vec<(String, String)> = summary["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["oracle"].as_str().unwrap().to_string(),
                f["operation"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (oracle, operation) in [
        ("transport-error", "GET /hang-up"),
        ("transport-error", "GET /garbage"),
        ("transport-error", "GET /short-body"),
        ("transport-error", "GET /loop"),
        ("slow-response", "GET /slow"),
    ] {
        assert!(
            found.contains(&(oracle.to_string(), operation.to_string())),
            "{oracle} on {operation} is missing from {found:?}\n{stdout}\n{stderr}"
        );
    }
    assert!(
        !found.iter().any(|(_, op)| op == "GET /health"),
        "a healthy route is no finding: {found:?}"
    );
    let transport = &summary["transport"];
    for kind in [
        "reset",
        "malformed",
        "truncated",
        "redirect",
        "timeout",
        "oversized",
    ] {
        assert!(
            transport[kind].as_u64().unwrap_or(0) > 0,
            "`{kind}` is counted: {transport}"
        );
    }
    assert!(
        stdout.contains("transport: ") && stdout.contains("oversized"),
        "the summary says it: {stdout}"
    );
    assert!(
        stderr.contains("got no whole answer"),
        "a transport failure is logged at the default level: {stderr}"
    );
    let peak = summary["peak_memory"]
        .as_u64()
        .expect("peak memory on Linux");
    assert!(peak < 100 * 1024 * 1024, "peak memory {peak} bytes");

    // A saved transport-error finding replays against the live target...
    let finding = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("transport-error"))
        })
        .expect("a saved transport-error finding");
    let out = trespass!()
        .arg("replay")
        .arg(&finding)
        .args(["--base-url", target.url()])
        .arg("--spec")
        .arg(spec)
        .arg("--identities")
        .arg(ids)
        .output()
        .unwrap();
    let replay_out = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{replay_out}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(replay_out.contains("still fails"), "{replay_out}");

    // ...and against no target at all it is exit 2 naming the URL, never "fixed".
    let gone = nothing_listening();
    let out = trespass!()
        .arg("replay")
        .arg(&finding)
        .args(["--base-url", &gone])
        .arg("--spec")
        .arg(spec)
        .arg("--identities")
        .arg(ids)
        .output()
        .unwrap();
    let replay_out = String::from_utf8_lossy(&out.stdout);
    let replay_err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{replay_out}\n{replay_err}");
    assert!(!replay_out.contains("fixed"), "{replay_out}");
    assert!(replay_err.contains(&gone), "{replay_err}");
}

#[test]
fn the_duration_is_a_hard_budget_even_with_requests_in_flight() {
    // `/slow` outlasts the request timeout: each call holds a worker (and a confirmation or a
    // shrink holds the target) for 7 s, so work is in flight at the deadline, and only the
    // hard budget ends the run on time (asserted by `fuzz_hostile`). Without it this run
    // takes 20 s and more.
    let run = fuzz_hostile(Duration::from_secs(8), Duration::from_secs(6), "7s");
    assert!(
        matches!(run.code, Some(0 | 1)),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(run.summary["cases"].as_u64().is_some(), "{}", run.summary);
    assert!(run.took >= Duration::from_secs(6), "ran to its duration");
}

#[test]
fn refused_credentials_and_an_unreachable_target_are_exit_2_before_the_first_case() {
    let target = hostile::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wrong = "wrong-token-a81c7e";
    let (spec, ids) = write_files(
        dir.path(),
        &format!(
            "[[identity]]\nname = \"user\"\nrole = \"user\"\nauth = {{ bearer = \"{wrong}\" }}\n"
        ),
    );
    let fuzz = |url: &str| {
        trespass!()
            .args(["fuzz", "--cases", "5", "--seed", "1"])
            .args(["--base-url", url])
            .arg("--spec")
            .arg(&spec)
            .arg("--identities")
            .arg(&ids)
            .arg("--corpus")
            .arg(dir.path().join("findings"))
            .output()
            .unwrap()
    };
    let out = fuzz(target.url());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("credentials of `user` are refused") && stderr.contains("answered 401"),
        "names the identity and the probe: {stderr}"
    );
    assert!(!stderr.contains(wrong), "the token is redacted: {stderr}");
    assert_eq!(
        target.requests(),
        3,
        "three probes (GETs the token fits), all refused: no case ran"
    );

    let gone = nothing_listening();
    let out = fuzz(&gone);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&gone) && stderr.contains("unreachable"),
        "{stderr}"
    );
}

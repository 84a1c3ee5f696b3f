//! `trespass fuzz --target-cmd`: one instance of the user's command per worker, each on its
//! own port and logging to `<corpus>/targets/worker-N.log`; the planted bugs are found as on
//! the embedded target; a crashed instance is restarted and the crash reported once; nothing
//! is left running after the run, after a Ctrl-C, or after two.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use trespass_targets::Service;
use trespass_tests::{repo_root, trespass};

use crate::fuzz::{CASES, SEED};

/// The shop's spec and identities as a user has them.
fn shop_files() -> (PathBuf, PathBuf) {
    let root = repo_root();
    (
        root.join("corpus/specs/shop.yaml"),
        root.join("corpus/identities/shop.toml"),
    )
}

/// `'PATH'`, quoted for `sh`.
fn quoted(path: impl AsRef<Path>) -> String {
    format!("'{}'", path.as_ref().display())
}

/// A command that records its process id in `pids` (one line per start) and then becomes
/// `server` (`exec`), so the recorded id is the server's.
fn recording(pids: &Path, server: &str) -> String {
    format!("echo $$ >> {}; exec {server}", quoted(pids))
}

/// The `trespass demo` of this build as a target command.
fn demo_command(out_dir: &Path) -> String {
    format!(
        "{} demo --service shop --port {{port}} --out-dir {}",
        quoted(env!("CARGO_BIN_EXE_trespass-dup")),
        quoted(out_dir)
    )
}

/// The process ids recorded in `pids`.
fn recorded(pids: &Path) -> Vec<String> {
    std::fs::read_to_string(pids)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Whether process `pid` still runs (a zombie waiting to be reaped does not: a process killed
/// as its parent quits is reaped by init, which in a container may never come).
fn alive(pid: &str) -> bool {
    let stat = Path::new("/proc").join(pid).join("stat");
    if Path::new("/proc/self/stat").exists() {
        return std::fs::read_to_string(stat).is_ok_and(|text| {
            let state = text
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next();
            !matches!(state, Some("Z" | "X"))
        });
    }
    Command::new("kill")
        .args(["-0", pid])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Waits (a bounded while: SIGKILL is delivered asynchronously) for `pid` to be gone.
fn gone(pid: &str) -> bool {
    let started = Instant::now();
    while alive(pid) {
        if started.elapsed() > Duration::from_secs(10) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// The ports of the `--- trespass: worker N runs `...` ---` lines of the worker logs.
fn ports_in_logs(corpus: &Path) -> BTreeSet<u16> {
    let mut ports = BTreeSet::new();
    for log in worker_logs(corpus) {
        let text = std::fs::read_to_string(&log).unwrap();
        for line in text
            .lines()
            .filter(|l| l.starts_with("--- trespass: worker"))
        {
            let port = line
                .split("--port ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("no port in {line:?}"));
            ports.insert(port);
        }
    }
    ports
}

/// The worker logs under `<corpus>/targets`.
fn worker_logs(corpus: &Path) -> Vec<PathBuf> {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(corpus.join("targets"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    logs.sort();
    logs
}

/// Nothing is left of the instances: no recorded process runs. (Their ports are no evidence:
/// tests running at the same time may be given the same free port right after.)
fn assert_all_stopped(pids: &Path) {
    for pid in recorded(pids) {
        assert!(gone(&pid), "instance {pid} is still running");
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// (oracle, operation) of every finding of a JSON report.
fn found(report: &Path) -> BTreeSet<(String, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["oracle"].as_str().unwrap().to_string(),
                f["operation"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn one_instance_per_worker_finds_the_planted_bugs_and_none_is_left_running() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("findings");
    let pids = dir.path().join("pids");
    let report = dir.path().join("report.json");
    let (spec, identities) = shop_files();
    let command = recording(&pids, &demo_command(&dir.path().join("demo")));
    let out = trespass!()
        .args(["fuzz", "--target-cmd", &command, "--workers", "2"])
        .args(["--seed", &SEED.to_string(), "--cases", &CASES.to_string()])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--report")
        .arg(format!("json:{}", report.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let logs = worker_logs(&corpus);
    let names: Vec<_> = logs.iter().map(|l| l.file_name().unwrap()).collect();
    assert_eq!(names, ["worker-0.log", "worker-1.log"], "{}", text(&out));
    let ports = ports_in_logs(&corpus);
    assert_eq!(ports.len(), 2, "two instances on two ports: {ports:?}");
    assert_eq!(
        recorded(&pids).len(),
        2,
        "started once each, never restarted"
    );
    for log in &logs {
        let log_text = std::fs::read_to_string(log).unwrap();
        assert!(log_text.contains("url:"), "the demo's output: {log_text}");
    }
    assert_all_stopped(&pids);
    let manifest: BTreeSet<(String, String)> = trespass_targets::planted::manifest(Service::Shop)
        .iter()
        .map(|b| (b.oracle.to_string(), b.operation.to_string()))
        .collect();
    assert_eq!(found(&report), manifest, "{}", text(&out));
}

#[test]
fn the_identities_file_may_name_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("findings");
    let pids = dir.path().join("pids");
    let (spec, identities) = shop_files();
    let command = recording(&pids, &demo_command(&dir.path().join("demo")));
    let toml = std::fs::read_to_string(&identities).unwrap().replace(
        "[target]\n",
        &format!("[target]\ncommand = {:?}\n", command),
    );
    let with_command = dir.path().join("shop.toml");
    std::fs::write(&with_command, toml).unwrap();
    let fuzz = |extra: &[&str]| {
        trespass!()
            .args(["fuzz", "--workers", "1", "--seed", "3", "--cases", "20"])
            .args(extra)
            .arg("--spec")
            .arg(&spec)
            .arg("--identities")
            .arg(&with_command)
            .arg("--corpus")
            .arg(&corpus)
            .output()
            .unwrap()
    };
    let out = fuzz(&[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    assert_eq!(recorded(&pids).len(), 1, "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 instance(s)"));
    // An explicit --base-url (here one where nothing listens) is fuzzed as it is.
    let out = fuzz(&["--base-url", "http://127.0.0.1:1/"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        recorded(&pids).len(),
        1,
        "--base-url alone runs no command: {stderr}"
    );
    assert!(stderr.contains("is not run"), "{stderr}");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_all_stopped(&pids);
}

#[test]
fn a_command_that_cannot_start_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("findings");
    let (spec, identities) = shop_files();
    let run = |command: &str| {
        trespass!()
            .args(["fuzz", "--target-cmd", command, "--cases", "5"])
            .arg("--spec")
            .arg(&spec)
            .arg("--identities")
            .arg(&identities)
            .arg("--corpus")
            .arg(&corpus)
            .output()
            .unwrap()
    };
    let out = run("echo 'no database at {port}' >&2; exit 3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr.contains("exited (exit status 3)"), "{stderr}");
    assert!(
        stderr.contains("no database at"),
        "the end of its log: {stderr}"
    );
    assert!(stderr.contains("worker-0.log"), "{stderr}");
    let out = run("./my-api --port 8080");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr.contains("has no `{port}`"), "{stderr}");
}

/// The crashing shop as a target command, recording its process ids in `pids`.
fn crashing_command(pids: &Path) -> String {
    let server = format!(
        "{} --port {{port}} --crash-on 'POST /users/*/cart/items'",
        quoted(env!("CARGO_BIN_EXE_crashing-shop"))
    );
    recording(pids, &server)
}

#[test]
fn a_crashed_instance_is_restarted_and_the_crash_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("findings");
    let pids = dir.path().join("pids");
    let report = dir.path().join("report.json");
    let (spec, identities) = shop_files();
    let command = crashing_command(&pids);
    let out = trespass!()
        .args(["fuzz", "--target-cmd", &command, "--workers", "2"])
        .args(["--seed", "7", "--cases", "300", "--oracles", "bola"])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--report")
        .arg(format!("json:{}", report.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let signature = "target-crash POST /users/{userId}/cart/items []";
    let headlines = stdout
        .lines()
        .filter(|l| l.starts_with("[target-crash] POST /users/{userId}/cart/items"))
        .count();
    assert_eq!(headlines, 1, "reported once: {}", text(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let crashes: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["oracle"] == "target-crash")
        .collect();
    assert_eq!(crashes.len(), 1, "{json:#}");
    let crash = crashes[0];
    assert_eq!(crash["signature"], signature);
    assert_eq!(
        crash["confirmed"], true,
        "it crashed again when replayed alone"
    );
    let starts = recorded(&pids).len();
    assert!(
        starts >= 4,
        "2 instances, restarted after the crash and its confirmation: {starts}"
    );
    let logs: String = worker_logs(&corpus)
        .iter()
        .map(|l| std::fs::read_to_string(l).unwrap())
        .collect();
    assert!(
        logs.contains("crashing-shop: crashing on POST /users/"),
        "{logs}"
    );
    assert_all_stopped(&pids);

    // The saved finding replays on a fresh instance: it still crashes.
    let file = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("target-crash")
        })
        .expect("the crash is saved");
    let replay_pids = dir.path().join("replay-pids");
    let replay = |command: &str| {
        trespass!()
            .arg("replay")
            .arg(&file)
            .args(["--target-cmd", command])
            .output()
            .unwrap()
    };
    let out = replay(&crashing_command(&replay_pids));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("still fails"));
    let healthy = recording(&replay_pids, &demo_command(&dir.path().join("demo")));
    let out = replay(&healthy);
    assert_eq!(
        out.status.code(),
        Some(0),
        "fixed on a target that does not crash: {}",
        text(&out)
    );
    assert_all_stopped(&replay_pids);
}

/// Starts `trespass fuzz --target-cmd` on two workers for a long budget and waits until both
/// instances are up. The instances ignore SIGTERM: stopping them takes the grace and SIGKILL.
fn long_run(dir: &Path, pids: &Path) -> Child {
    let (spec, identities) = shop_files();
    let command = format!(
        "trap '' TERM; {}",
        recording(pids, &demo_command(&dir.join("demo")))
    );
    let child = trespass!()
        .args(["fuzz", "--target-cmd", &command, "--workers", "2"])
        .args(["--duration", "5m", "--quiet"])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(dir.join("findings"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while recorded(pids).len() < 2 || ports_in_logs(&dir.join("findings")).len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the instances did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Both are recorded; give the second a moment to accept connections.
    std::thread::sleep(Duration::from_millis(500));
    child
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "trespass still runs when interrupted");
}

#[test]
fn ctrl_c_leaves_no_instance_behind() {
    for presses in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let mut child = long_run(dir.path(), &pids);
        interrupt(&child);
        if presses == 2 {
            // While the first press waits out the grace of instances that ignore SIGTERM, the
            // second quits at once and kills them.
            std::thread::sleep(Duration::from_millis(1000));
            interrupt(&child);
        }
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        // One press finishes the cases in flight: findings already confirmed make it exit 1.
        let expected: &[i32] = if presses == 1 { &[1, 130] } else { &[130] };
        if presses == 2 {
            assert!(stderr.contains("interrupted"), "{stderr}");
        }
        assert!(
            status.code().is_some_and(|c| expected.contains(&c)),
            "{presses} press(es): {status:?} {stderr}"
        );
        assert_eq!(
            ports_in_logs(&dir.path().join("findings")).len(),
            2,
            "{stderr}"
        );
        assert_eq!(recorded(&pids).len(), 2, "{stderr}");
        assert_all_stopped(&pids);
        eprintln!("{presses} press(es): no instance left");
    }
}

//! The `trespass` binary as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use trespass_targets::Service;
use trespass_tests::{
    assert_no_secret, assert_no_secret_under, demo_identities, trespass, write_demo_files,
};

#[test]
fn replay_of_a_bad_file_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("not-a-finding.json");
    std::fs::write(&not_json, "{\"oracle\": 1}").unwrap();
    for (file, needle) in [
        (dir.path().join("missing.json"), "missing.json"),
        (not_json, "not a trespass finding"),
    ] {
        let out = trespass!()
            .arg("replay")
            .arg(&file)
            .output()
            .expect("run trespass");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "stderr: {stderr}");
    }
}

#[test]
fn bad_arguments_exit_2() {
    let out = trespass!()
        .args(["demo", "--service", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `trespass demo` prints the URL, spec and identities, and serves the spec at /openapi.json.
#[test]
fn demo_serves_its_spec() {
    for service in Service::ALL.map(Service::name) {
        let dir = tempfile::tempdir().unwrap();
        let mut child = trespass!()
            .args(["demo", "--service", service, "--port", "0", "--out-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        for line in lines.by_ref().take(5) {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("url:") {
                url = Some(rest.trim().to_string());
            }
        }
        let url = url.expect("demo printed its url");
        let body: serde_json::Value = reqwest::blocking_get_json(&format!("{url}/openapi.json"));
        child.kill().unwrap();
        let _ = child.wait();
        assert!(body.get("openapi").is_some(), "{service}: {body}");
        assert!(dir.path().join(format!("{service}.yaml")).exists());
        assert!(dir.path().join(format!("{service}.toml")).exists());
    }
}

mod reqwest {
    pub fn blocking_get_json(url: &str) -> serde_json::Value {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            ::reqwest::get(url)
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    }
}

/// `trespass fuzz` on the embedded demo: findings as lines, a summary table, exit 1, and a
/// JSON report with every field and no secret of the identities file.
#[test]
fn fuzz_embedded_demo_reports_findings() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("out").join("report.json");
    let out = trespass!()
        .args(["fuzz", "--cases", "150", "--seed", "7", "--workers", "2"])
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .arg("--report")
        .arg(format!("json:{}", report.display()))
        .env("TRESPASS_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stderr.contains("seed 7"), "the seed is printed: {stderr}");
    // What stdout looks like (finding lines, table, summary) is a snapshot: snapshots.rs.

    let text = std::fs::read_to_string(&report).expect("report written");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["seed"], 7);
    let by_reason: u64 = json["rejections"]
        .as_object()
        .expect("rejections by reason")
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(
        Some(by_reason),
        json["rejected"].as_u64(),
        "{}",
        json["rejections"]
    );
    let findings = json["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for field in [
            "oracle",
            "operation",
            "signature",
            "message",
            "rule",
            "steps",
        ] {
            assert!(f.get(field).is_some(), "{field} in {f}");
        }
        let op = f["operation"].as_str().unwrap();
        assert!(f["signature"].as_str().unwrap().contains(op));
        for step in f["steps"].as_array().unwrap() {
            for field in ["identity", "method", "path"] {
                assert!(step.get(field).is_some(), "{field} in {step}");
            }
        }
    }
    let secrets = demo_identities(Service::Shop).secrets();
    assert!(!secrets.is_empty());
    assert_no_secret(&stdout, &secrets, "stdout");
    assert_no_secret(&stderr, &secrets, "stderr");
    // Every file the run wrote (report, finding files, reproducers): no secret in any.
    let written = assert_no_secret_under(dir.path(), &secrets);
    let findings_written = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p != &&report)
        // The campaign's state (for resuming) is no finding.
        .filter(|p| !p.ends_with("state.json"))
        .count();
    assert_eq!(
        findings_written,
        findings.len(),
        "one finding file per finding: {written:?}"
    );
}

#[test]
fn fuzz_secure_demo_finds_nothing() {
    let out = trespass!()
        .args([
            "fuzz",
            "--service",
            "notes",
            "--secure",
            "--cases",
            "60",
            "--seed",
            "3",
        ])
        .current_dir(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("no findings"), "{stdout}");
}

/// Any target: --base-url with --spec and --identities files.
#[test]
fn fuzz_a_target_by_url() {
    let target =
        trespass_targets::start(Service::Notes, trespass_targets::Mode::Vulnerable, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (spec, identities) = write_demo_files(Service::Notes, dir.path());
    let out = trespass!()
        .args([
            "fuzz",
            "--cases",
            "80",
            "--seed",
            "5",
            "--base-url",
            target.url(),
        ])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("[bfla] GET /admin/audit-log"), "{stdout}");
}

#[test]
fn fuzz_usage_errors_exit_2_with_a_sentence() {
    let cases: &[(&[&str], &str)] = &[
        (&["fuzz", "--base-url", "http://127.0.0.1:9"], "--spec"),
        (&["fuzz", "--oracles", "bola,nope"], "nope"),
        (&["fuzz", "--report", "xml:r.xml"], "json:PATH"),
        (&["fuzz", "--workers", "0"], "workers"),
        (&["fuzz", "--duration", "soon"], "soon"),
    ];
    for (args, needle) in cases {
        let out = trespass!().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

/// `--fail-on` decides the exit code: the same run with conformance and security findings exits
/// 0 when only a class it did not find counts, and 1 when a class it found does; every finding
/// is reported either way.
#[test]
fn fail_on_gates_the_exit_code_by_class() {
    let run = |fail_on: &str| {
        let dir = tempfile::tempdir().unwrap();
        let out = trespass!()
            .args(["fuzz", "--seed", "7", "--cases", "60", "--workers", "1"])
            .args(["--no-shrink", "--oracles", "bfla,status-conformance"])
            .args(["--fail-on", fail_on])
            .arg("--corpus")
            .arg(dir.path().join("findings"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.code(), stdout, stderr)
    };
    let (code, stdout, _) = run("all");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("[bfla]") && stdout.contains("[status-conformance]"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run("bola,server-error");
    assert_eq!(
        code,
        Some(0),
        "nothing of bola or server-error was found: {stdout}"
    );
    assert!(
        stdout.contains("[bfla]"),
        "findings are still reported: {stdout}"
    );
    assert!(stderr.contains("outside --fail-on"), "{stderr}");

    let (code, stdout, _) = run("security");
    assert_eq!(code, Some(1), "bfla is a security finding: {stdout}");

    let (code, _, stderr) = run("securty");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("all, security and conformance"), "{stderr}");
}

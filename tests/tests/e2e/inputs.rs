//! Untrusted input handled with care: a spec's `$ref`s read no file outside its own directory
//! unless allowed, logs redirected to a file carry no colour codes, result paths are checked
//! up front, and an interrupted run still tells what it did.

use trespass_tests::trespass;

const SPEC: &str = r#"openapi: 3.0.3
info: {title: refs, version: "1"}
paths:
  /things:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "../shared/thing.yaml#/Thing"}
"#;

#[test]
fn a_ref_outside_the_spec_directory_needs_allow_ref_dir() {
    let dir = tempfile::tempdir().unwrap();
    let spec_dir = dir.path().join("api");
    let shared = dir.path().join("shared");
    std::fs::create_dir_all(&spec_dir).unwrap();
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(
        shared.join("thing.yaml"),
        "Thing: {type: object, properties: {secretish: {type: string}}}\n",
    )
    .unwrap();
    let spec = spec_dir.join("openapi.yaml");
    std::fs::write(&spec, SPEC).unwrap();

    let out = trespass!().arg("spec").arg(&spec).output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("outside the spec's directory") && all.contains("--allow-ref-dir"),
        "the reference is refused with the way out: {all}"
    );
    assert!(!all.contains("secretish"), "the file is not read: {all}");

    let out = trespass!()
        .arg("spec")
        .arg(&spec)
        .arg("--allow-ref-dir")
        .arg(&shared)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("0 warnings") && stdout.contains("2 schemas"),
        "allowed, the referenced schema is loaded: {stdout}"
    );
}

#[test]
fn logs_to_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = trespass!()
        .args([
            "fuzz",
            "--cases",
            "3",
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-shrink",
        ])
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .env("TRESPASS_LOG", "debug")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DEBUG"),
        "debug lines were logged: {stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no escape codes: {stderr}");
}

#[test]
fn unwritable_report_and_corpus_paths_are_refused_before_fuzzing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = trespass!()
        .args(["fuzz", "--cases", "3", "--seed", "1"])
        .arg("--report")
        .arg(format!("json:{}", file.join("report.json").display()))
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write the report") && stderr.contains("not a folder"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("fuzzing"),
        "refused before starting: {stderr}"
    );
    assert!(!stderr.contains("Json("), "no Debug formatting: {stderr}");

    let out = trespass!()
        .args(["fuzz", "--cases", "3", "--seed", "1"])
        .arg("--corpus")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--corpus") && stderr.contains("not a folder"),
        "{stderr}"
    );
}

/// Ctrl-C (SIGINT) ends a long run early: no new case starts, the summary is printed and marked
/// interrupted, and the report holds the real counts and says so.
#[test]
fn an_interrupted_run_prints_its_summary_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mut child = trespass!()
        .args([
            "fuzz",
            "--duration",
            "300s",
            "--seed",
            "1",
            "--workers",
            "1",
        ])
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .arg("--report")
        .arg(format!("json:{}", report.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // A watchdog far below the 300 s budget: the run must end because it was interrupted.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the run did not stop on SIGINT");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(1) | Some(130)),
        "findings (1) or interrupted (130), never a signal death: {:?}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("interrupted:"), "{stdout}");
    assert!(
        stdout.contains("unique finding(s) in"),
        "the summary: {stdout}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true, "{summary}");
    assert!(summary["cases"].as_u64().unwrap() > 0, "{summary}");
    assert!(
        !summary["oracles"].as_array().unwrap().is_empty(),
        "{summary}"
    );
}

/// An identity that cannot log in stops the run before the first case with exit 2, naming the
/// identity and the target's answer, never the password.
#[test]
fn a_wrong_password_is_an_error_before_the_first_case() {
    use trespass_targets::{Mode, Service};
    let target = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (spec, identities) = trespass_tests::write_demo_files(Service::Shop, dir.path());
    let text = std::fs::read_to_string(&identities).unwrap();
    assert!(text.contains("alice-pass-1"), "{text}");
    std::fs::write(
        &identities,
        text.replace("alice-pass-1", "not-Alices-pw-42"),
    )
    .unwrap();
    let out = trespass!()
        .args([
            "fuzz",
            "--cases",
            "5",
            "--seed",
            "1",
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("login as `alice`") && stderr.contains("answered 401"),
        "{stderr}"
    );
    assert!(
        stderr.contains("invalid username or password"),
        "the target's answer: {stderr}"
    );
    assert!(!stderr.contains("not-Alices-pw-42") && !stdout.contains("not-Alices-pw-42"));
    assert!(stdout.trim().is_empty(), "no case ran: {stdout}");
}

/// The problems the loader worked around are said before fuzzing, not only by `trespass spec`.
#[test]
fn spec_warnings_are_summarised_before_fuzzing() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = String::from(
        "openapi: 3.0.3\ninfo: {title: broken, version: \"1\"}\npaths:\n  /ok:\n    get:\n      \
         security: []\n      responses: {\"200\": {description: ok}}\n",
    );
    for i in 0..5 {
        spec.push_str(&format!(
            "  /broken{i}:\n    get:\n      responses:\n        \"200\":\n          \
             description: ok\n          content:\n            application/json:\n              \
             schema: {{$ref: \"#/components/schemas/Missing{i}\"}}\n"
        ));
    }
    let spec_path = dir.path().join("broken.yaml");
    std::fs::write(&spec_path, spec).unwrap();
    let identities = dir.path().join("identities.toml");
    std::fs::write(
        &identities,
        "[[identity]]\nname = \"anon\"\nrole = \"anonymous\"\n",
    )
    .unwrap();
    let out = trespass!()
        .args(["fuzz", "--cases", "1", "--base-url", "http://127.0.0.1:1"])
        .arg("--spec")
        .arg(&spec_path)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has 5 problem(s)"), "{stderr}");
    assert!(
        stderr.contains("Missing0"),
        "the first ones are shown: {stderr}"
    );
    assert!(
        stderr.contains("and 2 more") && stderr.contains("trespass spec"),
        "{stderr}"
    );
}

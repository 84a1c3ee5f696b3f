//! Untrusted input handled with care: a spec's `$ref`s read no file outside its own directory
//! unless allowed, and logs redirected to a file carry no colour codes.

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

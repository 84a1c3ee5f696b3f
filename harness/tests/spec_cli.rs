//! `trespass spec`: the stable JSON form of the demo specs (insta snapshots), the human
//! summary, `--timings`, and the exit code and message of a spec that does not load.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use trespass_generators::spec::load_file;
use trespass_generators::summary::SpecSummary;

fn spec_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/specs")
        .join(name)
}

fn trespass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trespass"))
        .args(args)
        .env("TRESPASS_LOG", "warn")
        .output()
        .expect("the trespass binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

/// The JSON form of a demo spec, from the binary; checked against the library's summary and
/// for the absence of anything machine-specific.
fn json_of(name: &str) -> String {
    let path = spec_path(name);
    let out = trespass(&["spec", path.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "nothing on stderr without --timings");
    let text = stdout(&out);
    let model = load_file(&path).unwrap();
    let expected = SpecSummary::from_model(&model, name)
        .relative_to(path.parent().unwrap())
        .to_json();
    assert_eq!(text, expected, "the binary prints the library's summary");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    assert!(
        !text.contains(&root.display().to_string()),
        "no absolute path in the JSON form"
    );
    let parsed: SpecSummary = serde_json::from_str(&text).expect("the JSON form parses back");
    assert_eq!(parsed.counts.operations, parsed.operations.len());
    assert_eq!(parsed.counts.links, parsed.links.len());
    text
}

#[test]
fn shop_json_snapshot() {
    insta::assert_snapshot!("shop_json", json_of("shop.yaml"));
}

#[test]
fn notes_json_snapshot() {
    insta::assert_snapshot!("notes_json", json_of("notes.yaml"));
}

#[test]
fn json_form_is_stable_across_runs() {
    let first = json_of("notes.yaml");
    for _ in 0..3 {
        assert_eq!(json_of("notes.yaml"), first);
    }
}

#[test]
fn human_summary_has_every_section() {
    let path = spec_path("shop.yaml");
    let out = trespass(&["spec", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("shop demo 1.0.0 (OpenAPI 3.0.3, shop.yaml)\n"),
        "{text}"
    );
    assert!(
        text.contains("26 operations, 5 resource kinds, 71 links, 8 admin operations, 0 warnings"),
        "{text}"
    );
    for line in [
        "\noperations (26)\n",
        "  POST /auth/login ",
        "public (security: [])  [auth]",
        "\nresource kinds (5)\n",
        "  order: id field `id`, path {orderId}, parent user, schema Order\n",
        "    create POST /users/{userId}/orders\n",
        "\nlinks (71)\n",
        "\n  POST /users/{userId}/orders\n",
        "    201 body /id -> GET /users/{userId}/orders/{orderId} path orderId  (openapi link `GetOrder`)\n",
        "\nadmin operations (8)\n",
        "  DELETE /users/{userId}  tag:admin\n",
        "\nwarnings: none\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn timings_go_to_stderr() {
    let path = spec_path("notes.yaml");
    let out = trespass(&["spec", path.to_str().unwrap(), "--json", "--timings"]);
    assert!(out.status.success());
    serde_json::from_str::<serde_json::Value>(&stdout(&out)).expect("stdout stays JSON");
    let err = stderr(&out);
    for phase in ["read", "parse", "convert", "infer", "total"] {
        assert!(err.contains(phase), "{err}");
    }
    assert!(err.contains(" ms"), "{err}");
}

#[test]
fn warnings_show_with_relative_pointers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("api.yaml"),
        "openapi: 3.0.3\ninfo: {title: w, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'gone.yaml#/X'}\n",
    )
    .unwrap();
    let path = dir.path().join("api.yaml");
    let out = trespass(&["spec", path.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let summary: SpecSummary = serde_json::from_str(&text).unwrap();
    assert_eq!(summary.source, "api.yaml");
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.pointer == "#/paths/~1a~1{id}/get"
                && w.message.contains("path parameter `id` is not declared")),
        "{text}"
    );
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.message.contains("gone.yaml")),
        "{text}"
    );
    assert!(
        !text.contains(&dir.path().display().to_string()),
        "the temp dir is stripped: {text}"
    );
    let human = stdout(&trespass(&["spec", path.to_str().unwrap()]));
    assert!(human.contains("\nwarnings (2)\n"), "{human}");
    assert!(
        human.contains("  #/paths/~1a~1{id}/get: path parameter `id`"),
        "{human}"
    );
}

#[test]
fn a_spec_that_does_not_load_exits_2_naming_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "openapi: 3.0.3\ninfo: {title: bad, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'https://example.com/s.yaml#/S'}\n",
    )
    .unwrap();
    let out = trespass(&["spec", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("bad.yaml: /paths/~1x/get/responses/200/content/application~1json/schema/$ref: `$ref: https://example.com/s.yaml#/S` points to a remote URL"), "{err}");

    let missing = dir.path().join("missing.yaml");
    let out = trespass(&["spec", missing.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("missing.yaml: cannot read the file"), "{err}");
}

//! `trespass sample` as a user runs it: the binary on the demo specs and identities files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec(name: &str) -> PathBuf {
    root().join("corpus/specs").join(name)
}

fn identities(name: &str) -> PathBuf {
    root().join("corpus/identities").join(name)
}

fn sample(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trespass"))
        .arg("sample")
        .args(args)
        .env_remove("TRESPASS_SEED")
        .output()
        .expect("runs trespass")
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The lines of a successful run, parsed.
fn lines(out: &Output) -> Vec<Value> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .expect("utf-8 output")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

const FIELDS: &[&str] = &[
    "sequence",
    "step",
    "identity",
    "role",
    "auth",
    "operation",
    "operation_id",
    "method",
    "path",
    "query",
    "headers",
    "cookies",
    "media_type",
    "body",
    "violates",
];

#[test]
fn every_line_is_one_step_with_all_fields() {
    let shop = spec("shop.yaml");
    let ids = identities("shop.toml");
    let out = sample(&[
        "--spec",
        path_arg(&shop),
        "--identities",
        path_arg(&ids),
        "--count",
        "20",
        "--seed",
        "3",
    ]);
    let steps = lines(&out);
    assert!(!steps.is_empty());
    let roles: BTreeMap<&str, &str> = [
        ("alice", "user"),
        ("bob", "user"),
        ("carol", "admin"),
        ("anon", "anonymous"),
    ]
    .into();
    let mut symbolic = 0;
    let mut next_step: BTreeMap<u64, u64> = BTreeMap::new();
    for line in &steps {
        let obj = line.as_object().expect("an object per line");
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        assert_eq!(keys, FIELDS, "{line}");
        let identity = line["identity"].as_str().expect("identity");
        assert_eq!(
            Some(&line["role"].as_str().expect("role")),
            roles.get(identity),
            "{line}"
        );
        assert!(["normal", "none", "invalid"].contains(&line["auth"].as_str().expect("auth")));
        let operation = line["operation"].as_str().expect("operation");
        let method = line["method"].as_str().expect("method");
        assert!(operation.starts_with(&format!("{method} /")), "{line}");
        let path = line["path"].as_str().expect("path");
        assert!(path.starts_with('/'), "{line}");
        // Every template parameter is filled: by a value, or by a symbolic reference.
        let unfilled = path.replace("{{", "").replace("}}", "");
        assert!(!unfilled.contains('{'), "{line}");
        if path.contains("{{step") {
            symbolic += 1;
        }
        for map in ["query", "headers", "cookies"] {
            assert!(line[map].is_object(), "{line}");
        }
        assert_eq!(
            line["media_type"].is_null(),
            line["body"].is_null(),
            "{line}"
        );
        // Steps of a sequence are numbered from 0 without gaps.
        let seq = line["sequence"].as_u64().expect("sequence");
        let step = line["step"].as_u64().expect("step");
        let expected = next_step.entry(seq).or_insert(0);
        assert_eq!(step, *expected, "{line}");
        *expected += 1;
    }
    assert!(symbolic > 0, "references are shown symbolically");
    // References point to earlier steps of the same sequence.
    for line in &steps {
        let text = line.to_string();
        for part in text.split("{{step").skip(1) {
            let n: u64 = part
                .split('.')
                .next()
                .and_then(|d| d.parse().ok())
                .unwrap_or_else(|| panic!("a step number in {text}"));
            assert!(n < line["step"].as_u64().expect("step"), "{text}");
        }
    }
}

#[test]
fn same_seed_same_output() {
    let notes = spec("notes.yaml");
    let run = |seed: &str| {
        let out = sample(&["--spec", path_arg(&notes), "--count", "5", "--seed", seed]);
        assert_eq!(out.status.code(), Some(0));
        out.stdout
    };
    let first = run("11");
    assert!(!first.is_empty());
    assert_eq!(first, run("11"));
    assert_ne!(first, run("12"));
    // The seed may come from the environment instead.
    let out = Command::new(env!("CARGO_BIN_EXE_trespass"))
        .args(["sample", "--spec", path_arg(&notes), "--count", "5"])
        .env("TRESPASS_SEED", "11")
        .output()
        .expect("runs");
    assert_eq!(out.stdout, first);
    // The seed is printed on stderr, so a random run can be repeated.
    let out = sample(&["--spec", path_arg(&notes), "--count", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("with seed "), "{stderr}");
}

#[test]
fn count_is_honoured() {
    let shop = spec("shop.yaml");
    for count in [1u64, 4, 9] {
        let steps = lines(&sample(&[
            "--spec",
            path_arg(&shop),
            "--count",
            &count.to_string(),
            "--seed",
            "5",
        ]));
        let sequences: BTreeSet<u64> = steps
            .iter()
            .map(|l| l["sequence"].as_u64().expect("sequence"))
            .collect();
        assert_eq!(sequences, (0..count).collect(), "--count {count}");
    }
    let out = sample(&["--spec", path_arg(&shop), "--count", "0"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    // A larger count extends a smaller one: case N does not depend on the count.
    let few = sample(&["--spec", path_arg(&shop), "--count", "2", "--seed", "8"]).stdout;
    let more = sample(&["--spec", path_arg(&shop), "--count", "6", "--seed", "8"]).stdout;
    assert!(more.starts_with(&few));
}

#[test]
fn the_default_cast_acts_without_an_identities_file() {
    let notes = spec("notes.yaml");
    let steps = lines(&sample(&[
        "--spec",
        path_arg(&notes),
        "--count",
        "30",
        "--seed",
        "1",
    ]));
    let names: BTreeSet<&str> = steps
        .iter()
        .map(|l| l["identity"].as_str().expect("identity"))
        .collect();
    let default: BTreeSet<&str> = ["alice", "bob", "admin", "anonymous"].into();
    assert!(names.is_subset(&default), "{names:?}");
    assert!(names.len() >= 3, "{names:?}");
}

#[test]
fn an_identities_file_needs_no_secrets_to_sample() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ids.toml");
    std::fs::write(
        &file,
        "[[identity]]\nname = \"zoe\"\nrole = \"user\"\nauth.bearer = \"${TRESPASS_TEST_UNSET_TOKEN}\"\n\n\
         [[identity]]\nname = \"yann\"\nrole = \"user\"\nauth.bearer = \"t\"\n",
    )
    .expect("writes");
    let notes = spec("notes.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_trespass"))
        .args(["sample", "--spec", path_arg(&notes), "--count", "10"])
        .args(["--seed", "2", "--identities", path_arg(&file)])
        .env_remove("TRESPASS_TEST_UNSET_TOKEN")
        .output()
        .expect("runs");
    let names: BTreeSet<String> = lines(&out)
        .iter()
        .map(|l| l["identity"].as_str().expect("identity").to_string())
        .collect();
    assert_eq!(names, ["yann".to_string(), "zoe".to_string()].into());
}

/// Exit code 2, and stderr holds every fragment.
fn assert_usage_error(out: &Output, fragments: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    for f in fragments {
        assert!(stderr.contains(f), "`{f}` missing from: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_input_exits_2_naming_the_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("writes");
        p
    };
    let shop = spec("shop.yaml");

    // A spec that is not there.
    let missing = dir.path().join("missing.yaml");
    assert_usage_error(
        &sample(&["--spec", path_arg(&missing)]),
        &["missing.yaml", "cannot read"],
    );
    // A spec with a wrong value: the JSON pointer is named.
    let bad = write(
        "paths.yaml",
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: 5\n",
    );
    assert_usage_error(
        &sample(&["--spec", path_arg(&bad)]),
        &["paths.yaml", "/paths"],
    );
    // A spec that is not YAML: the line is named.
    let bad = write("syntax.yaml", "openapi: 3.0.3\ninfo: [\n");
    assert_usage_error(
        &sample(&["--spec", path_arg(&bad)]),
        &["syntax.yaml", "line 3"],
    );
    // An identities file with an unknown role: file and line.
    let ids = write(
        "role.toml",
        "[[identity]]\nname = \"a\"\nrole = \"superuser\"\n",
    );
    assert_usage_error(
        &sample(&["--spec", path_arg(&shop), "--identities", path_arg(&ids)]),
        &["role.toml:3", "superuser"],
    );
    // An identities file that is not TOML.
    let ids = write("syntax.toml", "[[identity]\nname = \"a\"\n");
    assert_usage_error(
        &sample(&["--spec", path_arg(&shop), "--identities", path_arg(&ids)]),
        &["syntax.toml:1"],
    );
    // An identities file that is not there.
    let ids = dir.path().join("none.toml");
    assert_usage_error(
        &sample(&["--spec", path_arg(&shop), "--identities", path_arg(&ids)]),
        &["none.toml"],
    );
    // Arguments clap refuses.
    assert_usage_error(
        &sample(&["--spec", path_arg(&shop), "--count", "many"]),
        &["--count"],
    );
}

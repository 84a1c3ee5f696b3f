//! `--shard K/N` and `trespass merge`: N shard processes, run side by side, then merged, find
//! exactly what one unsharded run of the same seed and cases finds (with the coverage feedback
//! off: each shard keeps a corpus of its own).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;
use trespass_tests::trespass;

const SEED: &str = "3";
const CASES: &str = "45";
const SHARDS: u32 = 3;

fn fuzz_args(dir: &Path, name: &str) -> Vec<String> {
    vec![
        "fuzz".into(),
        "--seed".into(),
        SEED.into(),
        "--cases".into(),
        CASES.into(),
        "--workers".into(),
        "1".into(),
        "--no-shrink".into(),
        // Each shard learns from its own cases only: with the coverage feedback on, N shards
        // extend N corpora and run other cases than one unsharded run.
        "--no-feedback".into(),
        "--quiet".into(),
        format!(
            "--report=json:{}",
            dir.join(format!("{name}.json")).display()
        ),
        format!("--corpus={}", dir.join(name).display()),
    ]
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Signature → count of a JSON report.
fn counts(report: &Value) -> BTreeMap<String, u64> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["signature"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn finding_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") || n.ends_with(".sh") || n.ends_with(".rs"))
        .collect();
    names.sort();
    names
}

fn ok_or_findings(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{what}: {:?}\n{stderr}",
        out.status
    );
}

#[test]
fn shards_merged_find_what_one_unsharded_run_finds() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let whole = trespass!().args(fuzz_args(dir, "whole")).output().unwrap();
    ok_or_findings(&whole, "the unsharded run");

    let shards: Vec<_> = (1..=SHARDS)
        .map(|k| {
            trespass!()
                .args(fuzz_args(dir, &format!("shard{k}")))
                .arg(format!("--shard={k}/{SHARDS}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (k, child) in shards.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        ok_or_findings(&out, &format!("shard {}", k + 1));
        let part = report(&dir.join(format!("shard{}.json", k + 1)));
        assert_eq!(
            part["shards"],
            serde_json::json!([format!("{}/{SHARDS}", k + 1)])
        );
        assert_eq!(
            part["cases"].as_u64().unwrap(),
            15,
            "45 cases in 3 shards: {part}"
        );
    }

    let mut merge = trespass!();
    merge.arg("merge");
    for k in 1..=SHARDS {
        merge.arg(dir.join(format!("shard{k}.json")));
        merge.arg(dir.join(format!("shard{k}")));
    }
    let merged_sarif = dir.join("merged.sarif");
    let out = merge
        .arg(format!(
            "--report=json:{}",
            dir.join("merged.json").display()
        ))
        .arg(format!("--report=sarif:{}", merged_sarif.display()))
        .arg(format!("--corpus={}", dir.join("merged").display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let whole = report(&dir.join("whole.json"));
    let merged = report(&dir.join("merged.json"));
    let expected_code = if counts(&whole).is_empty() { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected_code), "{stdout}\n{stderr}");
    assert!(!stderr.contains("shards missing"), "{stderr}");
    assert!(stdout.contains("shards 1/3, 2/3, 3/3"), "{stdout}");

    assert!(
        !counts(&whole).is_empty(),
        "the demo has planted bugs: {whole}"
    );
    assert_eq!(
        counts(&merged),
        counts(&whole),
        "the same findings, counted the same"
    );
    assert_eq!(merged["cases"], whole["cases"]);
    assert_eq!(merged["requests"], whole["requests"]);
    assert_eq!(
        finding_files(&dir.join("merged")),
        finding_files(&dir.join("whole")),
        "one finding file (and reproducers) per signature"
    );
    let sarif = report(&merged_sarif);
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        counts(&whole).len()
    );
}

#[test]
fn a_shard_needs_a_seed_and_a_valid_k_over_n() {
    let out = trespass!()
        .args(["fuzz", "--cases", "1", "--shard", "1/2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --seed"));
    let out = trespass!()
        .args(["fuzz", "--seed", "1", "--shard", "3/2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("from 1 to 2"));
}

#[test]
fn merge_names_an_input_that_is_not_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.json");
    std::fs::write(&bogus, "{\"hello\": 1}").unwrap();
    let out = trespass!().arg("merge").arg(&bogus).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("notes.json is not a report"), "{stderr}");
}

#[test]
fn a_shard_resumes_its_own_state_and_not_another_shards() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let run = |shard: &str, cases: &str| {
        let out = trespass!()
            .args([
                "fuzz",
                "--seed",
                "5",
                "--workers",
                "1",
                "--no-shrink",
                "--quiet",
            ])
            .args(["--shard", shard, "--cases", cases])
            .arg(format!("--state={}", dir.join("state").display()))
            .arg(format!("--corpus={}", dir.join("findings").display()))
            .arg(format!(
                "--report=json:{}",
                dir.join("report.json").display()
            ))
            .output()
            .unwrap();
        ok_or_findings(&out, shard);
        (
            String::from_utf8_lossy(&out.stderr).into_owned(),
            report(&dir.join("report.json")),
        )
    };
    let (_, first) = run("2/3", "15");
    assert_eq!(first["cases"], 5);
    let (stderr, second) = run("2/3", "30");
    // The shard's 6th case (its n = 5) is case 5·3 + 1 of the campaign.
    assert!(stderr.contains("from case 16"), "{stderr}");
    assert_eq!(second["cases"], 10, "5 resumed and 5 new: {second}");
    let (stderr, _) = run("3/3", "30");
    assert!(stderr.contains("this run is shard 3/3"), "{stderr}");
}

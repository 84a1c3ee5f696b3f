//! Snapshots of what a user reads: the stdout of `trespass fuzz` on the embedded demo, and a
//! curl script it writes beside a finding. One worker, a fixed seed and a small case budget make
//! the run deterministic; timings, request rates, the temporary folder and the hashes in file
//! names are masked.

use std::path::Path;

use tempfile::TempDir;
use trespass_tests::trespass;

const SEED: &str = "7";
const CASES: &str = "60";

/// `trespass fuzz` on the embedded shop demo into a fresh folder; its stdout.
fn fuzz_demo() -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = trespass!()
        .args(["fuzz", "--seed", SEED, "--cases", CASES, "--workers", "1"])
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .output()
        .expect("run trespass fuzz");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings expected:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, stdout)
}

/// `text` with the number just before each `unit` replaced by `mask`.
fn mask_number_before(text: &str, unit: &str, mask: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(unit) {
        let head = &rest[..at];
        let number = head.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        out.push_str(number);
        if number.len() < head.len() {
            out.push_str(mask);
        }
        out.push_str(unit);
        rest = &rest[at + unit.len()..];
    }
    out.push_str(rest);
    out
}

/// `text` with the 8 hex digits before each `-<hash><ext>` replaced by `[hash]`.
fn mask_file_hashes(text: &str, ext: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(ext) {
        let head = &rest[..at];
        let hex = head.len() - head.trim_end_matches(|c: char| c.is_ascii_hexdigit()).len();
        if hex == 8 && head[..head.len() - 8].ends_with('-') {
            out.push_str(&head[..head.len() - 8]);
            out.push_str("[hash]");
        } else {
            out.push_str(head);
        }
        out.push_str(ext);
        rest = &rest[at + ext.len()..];
    }
    out.push_str(rest);
    out
}

/// `text` without what changes from run to run or machine to machine.
fn normalise(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "[tmp]");
    let text = mask_number_before(&text, " ms", "[ms]");
    let text = mask_number_before(&text, " s (", "[s]");
    let text = mask_number_before(&text, " req/s)", "[rate]");
    let text = mask_file_hashes(&text, ".json");
    mask_file_hashes(&text, ".sh")
}

#[test]
fn normalise_masks_timings_paths_and_hashes() {
    let dir = Path::new("/tmp/.tmpAbC123");
    let text = "in 18 ms, 13 replay(s)\n    saved /tmp/.tmpAbC123/findings/bola-get-x-user-6a04dcf1.json\n\
                11 unique finding(s) in 60 case(s), 356 request(s) in 1.0 s (365 req/s), seed 7\n\
                keep-abc.json and deadbeef.json";
    assert_eq!(
        normalise(text, dir),
        "in [ms] ms, 13 replay(s)\n    saved [tmp]/findings/bola-get-x-user-[hash].json\n\
         11 unique finding(s) in 60 case(s), 356 request(s) in [s] s ([rate] req/s), seed 7\n\
         keep-abc.json and deadbeef.json"
    );
}

/// The headline of each finding as it is found, its shrink line and file, then the table and
/// the summary line.
#[test]
fn fuzz_stdout_on_the_embedded_demo() {
    let (dir, stdout) = fuzz_demo();
    insta::assert_snapshot!("fuzz_stdout", normalise(&stdout, dir.path()));
}

/// The summary table lists each bug once: one line per root cause (the same oracle and
/// operation never twice), every signature printed as found sits under exactly one of them, and
/// signatures of one bug (the same BOLA seen by a user on another user's object and on an
/// admin's) share a line.
#[test]
fn the_summary_lists_each_bug_once() {
    let (_dir, stdout) = fuzz_demo();
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("oracle "))
        .skip(1)
        .take_while(|l| !l.starts_with("authorization coverage"))
        .collect();
    let rows: Vec<(&str, &str)> = table
        .iter()
        .filter(|l| !l.starts_with(' '))
        .map(|l| {
            let mut cells = l.split("  ").map(str::trim).filter(|c| !c.is_empty());
            (cells.next().unwrap(), cells.next().unwrap())
        })
        .collect();
    assert!(!rows.is_empty(), "{stdout}");
    let mut unique = rows.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), rows.len(), "a bug listed twice:\n{stdout}");
    // The signatures as found: the first word of each shrink line.
    let found: Vec<&str> = stdout
        .lines()
        .filter_map(|l| {
            l.strip_prefix("  ")?
                .split_once(": minimized")
                .map(|(s, _)| s)
        })
        .collect();
    assert!(!found.is_empty(), "{stdout}");
    let listed: Vec<&str> = table
        .iter()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| !l.starts_with("cause: "))
        .map(|l| l.split(" (").next().unwrap())
        .collect();
    for signature in &found {
        assert_eq!(
            listed.iter().filter(|l| *l == signature).count(),
            1,
            "{signature} under one bug:\n{stdout}"
        );
    }
    let bolas = found
        .iter()
        .filter(|s| s.starts_with("bola GET /users/{userId}/addresses/{addressId} "))
        .count();
    assert_eq!(
        bolas, 2,
        "[user,user] and [user,admin] are found:\n{stdout}"
    );
    assert_eq!(
        rows.iter()
            .filter(|(_, op)| *op == "GET /users/{userId}/addresses/{addressId}")
            .filter(|(oracle, _)| oracle.contains("bola"))
            .count(),
        1,
        "one line for both:\n{stdout}"
    );
}

/// The curl script of the BOLA between two users: both log in, bob creates an address, alice
/// reads it.
#[test]
fn curl_script_of_a_bola_finding() {
    let (dir, _) = fuzz_demo();
    let findings = dir.path().join("findings");
    let scripts: Vec<_> = trespass_tests::files_under(&findings)
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e == "sh")
                && p.file_name().is_some_and(|n| {
                    n.to_string_lossy()
                        .starts_with("bola-get-users-userid-addresses-addressid-user-user-")
                })
        })
        .collect();
    assert_eq!(scripts.len(), 1, "one such script: {scripts:?}");
    let script = std::fs::read_to_string(&scripts[0]).unwrap();
    insta::assert_snapshot!("curl_script", normalise(&script, dir.path()));
}

//! Every file `trespass fuzz` writes (finding JSON, curl script, Rust test, report) is free of
//! the identities' secrets; every finding has its three files; and each curl script, run with
//! bash against a fresh demo target, shows the status the finding recorded.

use std::path::{Path, PathBuf};

use trespass_targets::{Mode, Service};
use trespass_tests::{
    assert_no_secret, assert_no_secret_under, demo_identities, run_curl_script, script_env,
    shown_status, trespass,
};

/// A budget that finds several bugs of each service without taking long.
const SEED: &str = "7";
const CASES: &str = "300";

fn fuzz_into(service: Service, dir: &Path) {
    let out = trespass!()
        .args([
            "fuzz",
            "--service",
            service.name(),
            "--seed",
            SEED,
            "--cases",
            CASES,
        ])
        .args(["--workers", "2", "--quiet", "--corpus"])
        .arg(dir.join("findings"))
        .arg("--report")
        .arg(format!("json:{}", dir.join("report.json").display()))
        .env("TRESPASS_LOG", "debug")
        .output()
        .expect("run trespass fuzz");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings expected:\n{stdout}\n{stderr}"
    );
    // What the run printed is an artifact too.
    std::fs::write(dir.join("stdout.txt"), stdout.as_bytes()).unwrap();
    std::fs::write(dir.join("stderr.txt"), stderr.as_bytes()).unwrap();
}

#[test]
fn no_artifact_holds_a_secret_and_every_curl_script_shows_its_finding() {
    for service in Service::ALL {
        let dir = tempfile::tempdir().unwrap();
        fuzz_into(service, dir.path());
        let secrets = demo_identities(service).secrets();
        assert!(
            secrets.len() >= 3,
            "the demo identities hold secrets: {secrets:?}"
        );
        let files = assert_no_secret_under(dir.path(), &secrets);
        assert!(
            files.iter().any(|f| f.ends_with("report.json")),
            "{files:?}"
        );

        let findings: Vec<&PathBuf> = files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
            .filter(|f| f.parent().is_some_and(|p| p.ends_with("findings")))
            .collect();
        assert!(findings.len() >= 2, "{service}: {files:?}");
        let env = script_env(&demo_identities(service));
        let mut checked = 0;
        for json in &findings {
            let script = json.with_extension("sh");
            assert!(script.is_file(), "no curl script beside {}", json.display());
            assert!(
                json.with_extension("rs").is_file(),
                "no Rust test beside {}",
                json.display()
            );
            let finding = trespass::finding::Finding::load(json).unwrap();
            let Some(recorded) = finding.violating_step().and_then(|s| s.status) else {
                continue;
            };
            if finding.flaky || finding.oracle == "slow-response" {
                continue;
            }
            let target = trespass_targets::start(service, Mode::Vulnerable, 0).unwrap();
            let (stdout, stderr) = run_curl_script(&script, target.url(), &env);
            assert_eq!(
                shown_status(&stdout),
                Some(recorded),
                "{} ({}):\n{stdout}\n{stderr}",
                script.display(),
                finding.headline()
            );
            assert_no_secret(
                &stdout,
                &secrets,
                &format!("{} (its output)", script.display()),
            );
            checked += 1;
        }
        assert!(checked >= 2, "{service}: {checked} scripts checked");
    }
}

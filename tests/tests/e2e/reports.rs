//! The CI reports of one run: JUnit parsed as XML, SARIF validated against the SARIF 2.1.0
//! schema (`tests/fixtures/sarif-schema-2.1.0.json`, the OASIS schema as shipped by the
//! `serde-sarif` crate), Markdown read as text; all from the same findings, none with a secret.

use quick_xml::Reader;
use quick_xml::events::Event;
use trespass_targets::{Mode, Service};
use trespass_tests::{assert_no_secret, demo_identities, repo_root, trespass, write_demo_files};

#[test]
fn junit_sarif_and_markdown_reports_of_one_run() {
    let target = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (spec, identities) = write_demo_files(Service::Shop, dir.path());
    let report = |kind: &str| dir.path().join(format!("report.{kind}"));
    let out = trespass!()
        .args([
            "fuzz",
            "--seed",
            "7",
            "--cases",
            "60",
            "--workers",
            "1",
            "--no-shrink",
        ])
        .args(["--base-url", target.url()])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .args(["json", "junit", "sarif", "md"].map(|k| {
            format!(
                "--report={}:{}",
                if k == "md" { "markdown" } else { k },
                report(k).display()
            )
        }))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report("json")).unwrap()).unwrap();
    let findings = summary["findings"].as_array().unwrap();
    assert!(findings.len() >= 2, "{summary}");
    let secrets = demo_identities(Service::Shop).secrets();

    // SARIF: valid against the 2.1.0 schema, one result per finding, located in the spec.
    let sarif_text = std::fs::read_to_string(report("sarif")).unwrap();
    assert_no_secret(&sarif_text, &secrets, "the SARIF report");
    let sarif: serde_json::Value = serde_json::from_str(&sarif_text).unwrap();
    let mut schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/fixtures/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    // The published schema's two `language` patterns have a stray `]` that strict regex
    // engines reject (a known erratum of SARIF 2.1.0); everything else is validated as published.
    for owner in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][owner]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = serde_json::json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    // Root causes: every finding's signature in exactly one, and each SARIF result names it.
    let root_causes = summary["root_causes"].as_array().unwrap();
    assert!(!root_causes.is_empty() && root_causes.len() <= findings.len());
    for f in findings {
        let holding: Vec<&serde_json::Value> = root_causes
            .iter()
            .filter(|g| {
                g["signatures"]
                    .as_array()
                    .unwrap()
                    .contains(&f["signature"])
            })
            .collect();
        assert_eq!(holding.len(), 1, "{}: {root_causes:?}", f["signature"]);
        let result = results
            .iter()
            .find(|r| r["partialFingerprints"]["trespassSignature/v1"] == f["signature"])
            .unwrap();
        assert_eq!(result["properties"]["rootCause"], holding[0]["id"]);
    }
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().any(|r| r["id"] == "bola"), "{rules:?}");
    let spec_text = std::fs::read_to_string(&spec).unwrap();
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            spec.display().to_string().replace('\\', "/")
        );
        let line = loc["region"]["startLine"].as_u64().unwrap() as usize;
        let operation = r["properties"]["operation"].as_str().unwrap();
        let method = operation.split(' ').next().unwrap().to_ascii_lowercase();
        let at = spec_text.lines().nth(line - 1).unwrap();
        assert!(
            at.trim_start().starts_with(&format!("{method}:")),
            "{operation} located at line {line}: {at}"
        );
    }

    // JUnit: well-formed XML, one failing test case per finding.
    let junit = std::fs::read_to_string(report("junit")).unwrap();
    assert_no_secret(&junit, &secrets, "the JUnit report");
    let mut reader = Reader::from_str(&junit);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => cases += 1,
            Event::Start(e) if e.name().as_ref() == b"failure" => failures += 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(failures, findings.len(), "{junit}");
    assert!(cases >= failures, "{junit}");

    // Markdown: a table row per root cause, with the replay command of each of its findings.
    let md = std::fs::read_to_string(report("md")).unwrap();
    assert_no_secret(&md, &secrets, "the Markdown report");
    assert!(
        md.starts_with(&format!(
            "## trespass: {} bug(s) from {} finding(s)",
            root_causes.len(),
            findings.len()
        )),
        "{md}"
    );
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.contains("`trespass replay "))
        .collect();
    assert_eq!(rows.len(), root_causes.len(), "{md}");
    assert_eq!(
        rows.iter()
            .map(|l| l.matches("`trespass replay ").count())
            .sum::<usize>(),
        findings.len(),
        "{md}"
    );
}

#[test]
fn an_unknown_report_kind_is_a_usage_error() {
    let out = trespass!()
        .args(["fuzz", "--cases", "1", "--report", "html:x.html"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("junit:PATH") && stderr.contains("sarif:PATH"),
        "{stderr}"
    );
}

//! Reports for CI from one [`Summary`]: JUnit XML (test runners' dashboards), SARIF 2.1.0
//! (code-scanning dashboards) and Markdown (a CI step summary or a pull-request comment).
//!
//! Everything here is written from the summary's findings, which are redacted when recorded, so
//! no report carries a secret.
//!
//! Bugs and signatures: the Markdown report has one row per root cause (one bug, see
//! [`RootCause`]) listing its signatures; JUnit and SARIF keep one test case or result per
//! finding (signature), so that a dashboard's history of a signature carries on, and name the
//! root cause of each (its id, key, and the other signatures of the same bug).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::{RootCause, Summary};
use crate::finding::Finding;

/// The root cause of `finding` among `groups`.
fn group_of<'g>(groups: &'g [RootCause], finding: &Finding) -> Option<&'g RootCause> {
    groups.iter().find(|g| g.contains(finding))
}

/// The replay command of `finding` when its file lives in `corpus`.
fn replay_command(finding: &Finding, corpus: Option<&Path>) -> String {
    let stem = finding.signature.file_stem();
    match corpus {
        Some(dir) => format!(
            "trespass replay {}",
            dir.join(format!("{stem}.json")).display()
        ),
        None => format!("trespass replay corpus/findings/{stem}.json"),
    }
}

/// Whether `oracle` is of the security class (else conformance).
fn is_security(oracle: &str) -> bool {
    crate::oracle::SECURITY.contains(&oracle)
}

/// The oracles that ran, then any other a finding names (a replayed finding's), in order.
fn oracles_of(summary: &Summary) -> Vec<&str> {
    let mut oracles: Vec<&str> = summary.oracles.iter().map(String::as_str).collect();
    for f in &summary.findings {
        if !oracles.contains(&f.oracle.as_str()) {
            oracles.push(&f.oracle);
        }
    }
    oracles
}

/// Escapes text for XML attributes and text nodes.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test suite per oracle that ran; in it one failing test case per finding
/// (named after its operation and identities, carrying the headline, the rule and the replay
/// command) and, for an oracle without findings, one passing case saying what was run.
pub fn junit(summary: &Summary, corpus: Option<&Path>) -> String {
    let mut suites = String::new();
    let oracles = oracles_of(summary);
    let time = summary.elapsed.as_secs_f64();
    let mut failures_total = 0;
    let mut tests_total = 0;
    let groups = summary.groups();
    for oracle in &oracles {
        let found: Vec<&Finding> = summary
            .findings
            .iter()
            .filter(|f| f.oracle == *oracle)
            .collect();
        let mut cases = String::new();
        for f in &found {
            let name = format!("{} [{}]", f.operation, f.identities().join(" -> "));
            let message = f.headline();
            let mut details = String::new();
            if let Some(cause) = &f.cause {
                let _ = write!(details, "\ncause: {cause}");
            }
            if let Some(note) = f.in_flight_note() {
                let _ = write!(details, "\nconcurrency: {note}");
            }
            if let Some(g) = group_of(&groups, f) {
                let _ = write!(details, "\nroot cause: {} ({})", g.id, g.key);
                for other in g.signatures.iter().filter(|s| **s != f.signature) {
                    let _ = write!(details, "\nsame root cause: {other}");
                }
            }
            let _ = write!(
                cases,
                "    <testcase classname=\"trespass.{oracle}\" name=\"{}\">\n      \
                 <failure message=\"{}\" type=\"{oracle}\">{}\n\nrule: {}\nstatus: {}{}\nreplay: {}</failure>\n    \
                 </testcase>\n",
                xml(&name),
                xml(&message),
                xml(&f.message),
                xml(&f.rule),
                f.status(),
                xml(&details),
                xml(&replay_command(f, corpus)),
            );
        }
        if found.is_empty() {
            let _ = writeln!(
                cases,
                "    <testcase classname=\"trespass.{oracle}\" name=\"no violation in {} case(s)\"/>",
                summary.cases
            );
        }
        let tests = found.len().max(1);
        tests_total += tests;
        failures_total += found.len();
        let _ = write!(
            suites,
            "  <testsuite name=\"{oracle}\" tests=\"{tests}\" failures=\"{}\" errors=\"0\" \
             skipped=\"0\" time=\"{time:.3}\">\n{cases}  </testsuite>\n",
            found.len()
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"trespass\" \
         tests=\"{tests_total}\" failures=\"{failures_total}\" errors=\"0\" time=\"{time:.3}\">\n\
         {suites}</testsuites>\n"
    )
}

/// The 1-based line of `operation` in the spec text: the line of its method key under the
/// line of its path key (YAML or pretty JSON); the path key's line when the method is not
/// found below it; `None` when the path is not found.
fn operation_line(spec_text: &str, path: &str, method: &str) -> Option<usize> {
    let lines: Vec<&str> = spec_text.lines().collect();
    let path_keys = [
        format!("{path}:"),
        format!("\"{path}\""),
        format!("'{path}':"),
    ];
    let at = lines.iter().position(|l| {
        let t = l.trim_start();
        path_keys.iter().any(|k| t.starts_with(k.as_str()))
    })?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let path_indent = indent(lines[at]);
    let method = method.to_ascii_lowercase();
    let method_keys = [format!("{method}:"), format!("\"{method}\"")];
    for (i, l) in lines.iter().enumerate().skip(at + 1) {
        if !l.trim().is_empty() && indent(l) <= path_indent {
            break;
        }
        let t = l.trim_start();
        if method_keys.iter().any(|k| t.starts_with(k.as_str())) {
            return Some(i + 1);
        }
    }
    Some(at + 1)
}

/// SARIF 2.1.0: one rule per oracle that ran, one result per finding located at the spec file
/// and its operation (the JSON pointer of the operation, and its line when the spec file can be
/// read). Security findings are errors, conformance findings warnings; unconfirmed findings
/// are notes. Each result's properties name its root cause (`rootCause`, `rootCauseKey`) and
/// the other signatures of the same bug (`relatedSignatures`).
pub fn sarif(summary: &Summary, corpus: Option<&Path>) -> Value {
    let oracles = oracles_of(summary);
    let groups = summary.groups();
    let rules: Vec<Value> = oracles
        .iter()
        .map(|o| {
            json!({
                "id": o,
                "name": o,
                "shortDescription": {"text": format!("trespass oracle `{o}`")},
                "properties": {"tags": [if is_security(o) { "security" } else { "conformance" }]},
            })
        })
        .collect();
    let mut spec_texts: std::collections::HashMap<String, Option<String>> = Default::default();
    let results: Vec<Value> = summary
        .findings
        .iter()
        .map(|f| {
            let level = if !f.confirmed {
                "note"
            } else if is_security(&f.oracle) {
                "error"
            } else {
                "warning"
            };
            let pointer = format!(
                "/paths/{}/{}",
                trespass_generators::pointer::escape(f.operation.path()),
                f.operation.method().to_ascii_lowercase()
            );
            let spec = f.origin.as_ref().map(|o| o.spec.clone());
            let mut location = json!({
                "logicalLocations": [{
                    "name": f.operation.as_str(),
                    "fullyQualifiedName": format!("{}#{pointer}", spec.as_deref().unwrap_or("spec")),
                    "kind": "function",
                }],
            });
            if let Some(spec) = spec.filter(|s| !s.starts_with("embedded:")) {
                let text = spec_texts
                    .entry(spec.clone())
                    .or_insert_with(|| std::fs::read_to_string(&spec).ok());
                let line = text
                    .as_deref()
                    .and_then(|t| operation_line(t, f.operation.path(), f.operation.method()))
                    .unwrap_or(1);
                location["physicalLocation"] = json!({
                    "artifactLocation": {"uri": spec.replace('\\', "/")},
                    "region": {"startLine": line},
                });
            }
            let group = group_of(&groups, f);
            let related: Vec<&str> = group
                .map(|g| g.signatures.iter().filter(|s| **s != f.signature).map(|s| s.as_str()).collect())
                .unwrap_or_default();
            json!({
                "ruleId": f.oracle,
                "ruleIndex": oracles.iter().position(|o| *o == f.oracle).unwrap_or(0),
                "level": level,
                "message": {"text": format!("{}\n\nRule: {}\nReplay: {}", f.message, f.rule, replay_command(f, corpus))},
                "locations": [location],
                "partialFingerprints": {"trespassSignature/v1": f.signature.to_string()},
                "properties": {
                    "operation": f.operation.as_str(),
                    "jsonPointer": format!("#{pointer}"),
                    "identities": f.identities(),
                    "status": f.status(),
                    "count": f.count,
                    "cause": f.cause,
                    "inFlight": f.in_flight,
                    "rootCause": group.map(|g| g.id.as_str()),
                    "rootCauseKey": group.map(|g| g.key.as_str()),
                    "relatedSignatures": related,
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trespass",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/trespass",
                "rules": rules,
            }},
            "results": results,
            "properties": {
                "seed": summary.seed,
                "cases": summary.cases,
                "requests": summary.requests,
                "interrupted": summary.interrupted,
            },
        }],
    })
}

/// Markdown: a headline, the bugs as a table (one row per root cause, with its signatures and
/// their replay commands) and the run's figures; fit for `$GITHUB_STEP_SUMMARY` or a
/// pull-request comment.
pub fn markdown(summary: &Summary, corpus: Option<&Path>) -> String {
    let mut out = String::new();
    let groups = summary.groups();
    let security = groups
        .iter()
        .filter(|g| g.oracles.iter().any(|o| is_security(o)))
        .count();
    let _ = writeln!(
        out,
        "## trespass: {} bug(s) from {} finding(s)\n",
        groups.len(),
        summary.findings.len()
    );
    if groups.is_empty() {
        out.push_str("No findings.\n\n");
    } else {
        let _ = writeln!(
            out,
            "{security} security, {} conformance.\n",
            groups.len() - security
        );
        out.push_str("| oracle | operation | signatures | status | replay |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        for g in &groups {
            let members: Vec<&Finding> = g
                .signatures
                .iter()
                .filter_map(|s| summary.findings.iter().find(|f| f.signature == *s))
                .collect();
            let mut signatures: Vec<String> = members
                .iter()
                .map(|f| {
                    let mut notes = vec![format!("{} case(s)", f.count)];
                    if f.status() != "confirmed" {
                        notes.push(f.status().to_string());
                    }
                    notes.extend(f.in_flight_note());
                    format!("`{}` ({})", cell(f.signature.as_str()), notes.join(", "))
                })
                .collect();
            if let Some(cause) = &g.cause {
                signatures.insert(0, format!("cause: `{}`", cell(cause)));
            }
            let replays: Vec<String> = members
                .iter()
                .map(|f| format!("`{}`", cell(&replay_command(f, corpus))))
                .collect();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} |",
                cell(&g.oracles.join(" + ")),
                cell(g.operation.as_str()),
                signatures.join("<br>"),
                g.status,
                replays.join("<br>"),
            );
        }
        out.push('\n');
    }
    out.push_str(&summary.operations.markdown());
    let _ = writeln!(
        out,
        "{} case(s), {} request(s) in {:.1} s, seed {}{}.",
        summary.cases,
        summary.requests,
        summary.elapsed.as_secs_f64(),
        summary.seed,
        if summary.interrupted {
            " (interrupted before the budget was spent)"
        } else {
            ""
        }
    );
    if let Some(line) = summary.rejection_line() {
        let _ = writeln!(out, "\nNote: {line}.");
    }
    if let Some(line) = summary.transport_line() {
        let _ = writeln!(out, "\nNote: {line}.");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(
            xml("a<b & \"c\"'\u{1}"),
            "a&lt;b &amp; &quot;c&quot;&apos;\u{fffd}"
        );
    }

    #[test]
    fn operation_lines_in_yaml_and_json() {
        let yaml = "paths:\n  /a:\n    get:\n      x: 1\n  /b/{id}:\n    put:\n      x: 1\n    delete:\n      x: 2\n";
        assert_eq!(operation_line(yaml, "/b/{id}", "DELETE"), Some(8));
        assert_eq!(operation_line(yaml, "/a", "GET"), Some(3));
        assert_eq!(
            operation_line(yaml, "/a", "POST"),
            Some(2),
            "the path's line"
        );
        assert_eq!(operation_line(yaml, "/c", "GET"), None);
        let json = "{\n  \"paths\": {\n    \"/a\": {\n      \"get\": {}\n    }\n  }\n}\n";
        assert_eq!(operation_line(json, "/a", "GET"), Some(4));
    }
}

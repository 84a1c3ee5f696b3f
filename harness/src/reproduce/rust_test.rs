//! The Rust regression test of a finding, for a user's test suite.

use std::fmt::Write as _;
use std::path::Path;

use crate::finding::{Finding, Origin};

/// The Rust regression test of `finding` (saved at `finding_path`), for a user's test suite:
/// replays the saved finding through the library API and fails while the bug is there.
pub fn rust_test(finding: &Finding, finding_path: &Path) -> String {
    let mut name: String = finding
        .signature
        .file_stem()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    name.insert_str(0, "trespass_");
    let path = rust_str(&finding_path.to_string_lossy());
    let origin = finding.origin.as_ref();
    let embedded = origin.and_then(Origin::embedded_service).map(|s| {
        let mut chars = s.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    });
    let mut out = String::new();
    let _ = writeln!(out, "/// Regression test for a trespass finding:");
    let _ = writeln!(out, "/// {}", finding.headline().replace('\n', " "));
    let _ = writeln!(out, "///");
    let _ = writeln!(out, "/// Rule: {}.", finding.rule.trim_end_matches('.'));
    let _ = writeln!(
        out,
        "/// Found with seed {}, case {}; replay it with `trespass replay {}`.",
        finding.seed,
        finding.case,
        finding_path.display()
    );
    let _ = writeln!(out, "/// Minimal steps:");
    for line in finding.sequence_lines() {
        let _ = writeln!(out, "/// {line}");
    }
    let _ = writeln!(out, "#[test]\nfn {name}() {{");
    match embedded {
        Some(service) => {
            let _ = writeln!(
                out,
                "    trespass::Harness::demo(trespass_targets::Service::{service})\n        \
                 .replay_only({path})\n        \
                 .run()\n        \
                 .assert_clean();"
            );
        }
        None => {
            let spec = origin.map_or("openapi.yaml", |o| o.spec.as_str());
            let identities = origin
                .and_then(|o| o.identities.as_deref())
                .unwrap_or("identities.toml");
            let _ = writeln!(
                out,
                "    let base_url = std::env::var(\"TRESPASS_BASE_URL\")\n        \
                 .expect(\"set TRESPASS_BASE_URL to the target's base URL\");\n    \
                 trespass::Harness::from_spec({})\n        \
                 .base_url(&base_url)\n        \
                 .identities_file({})\n        \
                 .replay_only({path})\n        \
                 .run()\n        \
                 .assert_clean();",
                rust_str(spec),
                rust_str(identities)
            );
        }
    }
    out.push_str("}\n");
    out
}

/// `text` as a Rust string literal.
fn rust_str(text: &str) -> String {
    format!("{text:?}")
}

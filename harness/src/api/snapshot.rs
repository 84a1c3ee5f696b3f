//! Findings as insta snapshots, for [`assert_findings_snapshot!`](crate::assert_findings_snapshot).
//!
//! One snapshot per finding, named after the test and the signature
//! (`<test>__bola-get-orders-orderid-user-user`), and one index snapshot (`<test>__findings`)
//! listing every signature, so a finding that appears or disappears fails the assertion. A
//! finding's snapshot holds what stays the same across runs with the same seed whatever the
//! workers' interleaving: oracle, operation, roles, rule, cause (of a `server-error`), status
//! and the minimized steps as identity, role, method, path template and status. No times,
//! counts, case numbers, concrete ids or timestamps. The replay command is in the snapshot's header (its `description`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use super::{Found, Outcome};
use crate::finding::{StepPurpose, auth_note};
use crate::redact::Redactor;

/// One snapshot to assert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The snapshot's name (insta prefixes it with the test file's module).
    pub name: String,
    /// The header line (`trespass replay corpus/findings/<file>.json`).
    pub description: String,
    /// The snapshot's text.
    pub content: String,
}

/// The snapshots of `outcome` for the test called `test`: one per finding (sorted by
/// signature), then the index.
pub fn entries(outcome: &Outcome, test: &str) -> Vec<Entry> {
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    let mut index = String::new();
    for found in &outcome.findings {
        let base = slug(found.finding.signature.as_str());
        let mut name = base.clone();
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        let _ = writeln!(index, "{}", found.finding.signature);
        out.push(Entry {
            name: format!("{test}__{name}"),
            description: replay_line(found),
            content: render(found),
        });
    }
    if index.is_empty() {
        index.push_str("(no findings)\n");
    }
    out.push(Entry {
        name: format!("{test}__findings"),
        description: format!(
            "{} finding(s); review changes with `cargo insta review`",
            outcome.findings.len()
        ),
        content: index,
    });
    out
}

/// The finding as its snapshot shows it.
pub fn render(found: &Found) -> String {
    let finding = &found.finding;
    let roles: Vec<&str> = finding.roles.iter().map(|r| r.as_str()).collect();
    let mut out = String::new();
    let _ = writeln!(out, "signature: {}", finding.signature);
    let _ = writeln!(out, "oracle: {}", finding.oracle);
    let _ = writeln!(out, "operation: {}", finding.operation);
    let _ = writeln!(out, "roles: {}", roles.join(", "));
    let _ = writeln!(out, "rule: {}", Redactor::volatile(&finding.rule));
    if let Some(cause) = &finding.cause {
        let _ = writeln!(out, "cause: {}", Redactor::volatile(cause));
    }
    let _ = writeln!(out, "status: {}", finding.status());
    let _ = writeln!(out, "steps:");
    // The reported exchanges of the sequence's own steps, in order (the executor's re-reads
    // are left out); a step that could not be sent has none.
    let mut sent = finding
        .steps
        .iter()
        .filter(|s| s.purpose == StepPurpose::Sequence)
        .peekable();
    for (n, step) in finding.sequence.steps.iter().enumerate() {
        let method = step.op.as_str().split(' ').next().unwrap_or_default();
        let status = match sent.peek() {
            Some(s) if s.identity == step.identity.as_str() && s.method == method => {
                let status = s
                    .status
                    .map_or_else(|| "no answer".into(), |c| c.to_string());
                let role = s.role.as_str();
                sent.next();
                Some((role, status))
            }
            _ => None,
        };
        let auth = auth_note(step.auth);
        let (role, status) = status.unwrap_or(("?", "not sent".into()));
        let _ = writeln!(
            out,
            "  {}. {} ({role}) {}{auth} -> {status}",
            n + 1,
            step.identity,
            step.op
        );
    }
    out
}

/// `trespass replay <file>`, with a file outside the working directory (a temporary corpus)
/// shown as `[corpus]/<name>` so that the header stays the same from run to run.
pub fn replay_line(found: &Found) -> String {
    let file = &found.file;
    let shown = if file.is_absolute() {
        Path::new("[corpus]")
            .join(file.file_name().unwrap_or_default())
            .display()
            .to_string()
    } else {
        file.display().to_string()
    };
    format!("trespass replay {shown}")
}

/// A readable, file-name-safe form of `signature`: lowercase letters and digits, runs of
/// anything else as one `-` (`bola-get-orders-orderid-user-user`).
pub fn slug(signature: &str) -> String {
    let mut out = String::new();
    for c in signature.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The test's name from the type name of a function declared in it
/// (`my_tests::vulnerable_shop::__trespass_here` → `vulnerable_shop`).
pub fn test_name(type_name: &str) -> String {
    let mut name = type_name
        .rsplit_once("::")
        .map_or(type_name, |(head, _)| head);
    while let Some(rest) = name.strip_suffix("::{{closure}}") {
        name = rest;
    }
    name.rsplit("::").next().unwrap_or(name).to_string()
}

/// Runs `assert` on every entry, even after one fails (so that every changed snapshot is
/// written for review at once), then panics if any failed, naming them.
#[track_caller]
pub fn check_all(entries: &[Entry], assert: impl Fn(&Entry)) {
    let mut failed = Vec::new();
    for entry in entries {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| assert(entry)));
        if result.is_err() {
            failed.push(entry.name.as_str());
        }
    }
    if !failed.is_empty() {
        panic!(
            "{} of {} finding snapshot(s) do not match: {}\nreview them with `cargo insta review`",
            failed.len(),
            entries.len(),
            failed.join(", ")
        );
    }
}

/// Snapshots the findings of an [`Outcome`](crate::Outcome) with insta, beside the calling
/// test (in its `snapshots/` folder): one snapshot per finding named after the test and the
/// signature, and one index of the signatures. See [`crate::api::snapshot`] for what a
/// snapshot holds. Review changes with `cargo insta review`.
///
/// ```no_run
/// # let outcome: trespass::Outcome = unimplemented!();
/// trespass::assert_findings_snapshot!(outcome);
/// // or with an explicit name instead of the test function's:
/// trespass::assert_findings_snapshot!("shop_vulnerable", outcome);
/// ```
#[macro_export]
macro_rules! assert_findings_snapshot {
    ($outcome:expr $(,)?) => {{
        fn __trespass_here() {}
        fn __trespass_type_name_of<T>(_: T) -> &'static str {
            ::std::any::type_name::<T>()
        }
        let __trespass_test =
            $crate::api::snapshot::test_name(__trespass_type_name_of(__trespass_here));
        $crate::assert_findings_snapshot!(__trespass_test.as_str(), $outcome)
    }};
    ($name:expr, $outcome:expr $(,)?) => {{
        let __trespass_entries = $crate::api::snapshot::entries(&$outcome, $name);
        $crate::api::snapshot::check_all(&__trespass_entries, |entry| {
            let mut settings = $crate::api::__insta::Settings::clone_current();
            settings.set_description(entry.description.as_str());
            settings.set_omit_expression(true);
            settings.bind(|| {
                $crate::api::__insta::assert_snapshot!(entry.name.as_str(), entry.content.as_str());
            });
        });
    }};
}

//! What a campaign reports: the [`Summary`] of the whole run (its findings are
//! [`crate::finding::Finding`]s) and where it goes (`--report`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::coverage::Coverage;
use super::operations::Operations;
use super::root_cause::RootCause;
use crate::artifact::write_atomically;
use crate::exec::{Received, RejectReason, Trace};
use crate::finding::Finding;
use crate::redact::Redactor;

/// The version of the report's JSON form; bumped on incompatible changes.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// [`REPORT_FORMAT_VERSION`].
    pub format_version: u32,
    /// The seed of the run.
    pub seed: u64,
    /// The shards of the case space this report covers (`--shard K/N`; several once
    /// `trespass merge` joined shards); empty for a whole campaign.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<super::Shard>,
    /// Sequences run.
    pub cases: u64,
    /// Requests sent (sequence steps and the executor's re-reads; logins and resets not
    /// counted).
    pub requests: u64,
    /// Sequences that stopped early because a step could not be sent.
    pub rejected: u64,
    /// Of `rejected`, how many per reason ([`RejectReason::kind`], e.g. `unresolved-ref`),
    /// sorted by reason; the counts add up to `rejected`. Empty in reports written before it.
    #[serde(default)]
    pub rejections: BTreeMap<String, u64>,
    /// How the workers shared one target: sequences run alone, identities healed. Zero in
    /// reports written before it.
    #[serde(default, skip_serializing_if = "SharingCounts::is_empty")]
    pub sharing: SharingCounts,
    /// Exchanges that got no whole HTTP answer, by [`TransportKind`] (`connect`, `reset`,
    /// `malformed`, `truncated`, `redirect`, `timeout`, `other`), and answers whose body was
    /// cut at the body cap ([`OVERSIZED`]), sorted by kind. Misbehaving answers are also
    /// judged by `transport-error`, timeouts by `slow-response`; refused connections and
    /// oversized bodies are only counted here. Empty in reports written before it.
    ///
    /// [`TransportKind`]: crate::http::TransportKind
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transport: BTreeMap<String, u64>,
    /// The process's peak resident memory in bytes at the end of the run, where the platform
    /// tells it (Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_memory: Option<u64>,
    /// Wall-clock time of the run.
    #[serde(with = "seconds")]
    pub elapsed: Duration,
    /// The oracles that judged the traces.
    pub oracles: Vec<String>,
    /// Unique findings, sorted by signature.
    pub findings: Vec<Finding>,
    /// The findings grouped by root cause, one per bug (see [`RootCause`]). Written from
    /// `findings` with every report; empty in reports written before it.
    #[serde(default)]
    pub root_causes: Vec<RootCause>,
    /// The run was interrupted (Ctrl-C, SIGTERM) before its budget was spent; the counts are
    /// what ran until then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// What the authorization oracles actually judged: cross-identity steps per kind, steps
    /// per oracle. Empty in reports written before it.
    #[serde(default)]
    pub coverage: Coverage,
    /// Per operation (`METHOD /path`): requests sent, statuses seen, whether any 2xx came
    /// back and, when none did, the dominant answer with a hint. Empty in reports written
    /// before it.
    #[serde(default, skip_serializing_if = "Operations::is_empty")]
    pub operations: Operations,
    /// The coverage feedback: its share of the cases, the feedback cases run and the
    /// features seen (see [`super::feedback`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<super::FeedbackSummary>,
}

/// The transport failures of a running campaign by kind, and the answers cut at the body cap:
/// what becomes [`Summary::transport`]. The first of each kind is logged as a warning (the
/// rest at debug), so a target that drops connections is never silent.
#[derive(Debug, Default)]
pub(super) struct TransportFailures {
    by_kind: Mutex<BTreeMap<&'static str, u64>>,
}

/// The [`Summary::transport`] key of answers whose body was longer than the body cap.
pub const OVERSIZED: &str = "oversized";

impl TransportFailures {
    /// Counts the failed and oversized exchanges of `trace`.
    pub(super) fn count(&self, trace: &Trace, redactor: &Redactor) {
        for step in &trace.steps {
            let (kind, what) = match &step.exchange.outcome {
                Received::Error { kind, message } => (
                    kind.as_str(),
                    format!("got no whole answer ({kind}): {}", redactor.text(message)),
                ),
                Received::Response(r) if r.truncated => (
                    OVERSIZED,
                    format!(
                        "answered {} with a body longer than the body cap (cut; \
                         TRESPASS_MAX_BODY_BYTES sets the cap)",
                        r.status
                    ),
                ),
                Received::Response(_) => continue,
            };
            let first = {
                let mut by_kind = self.by_kind.lock().unwrap_or_else(|e| e.into_inner());
                let n = by_kind.entry(kind).or_default();
                *n += 1;
                *n == 1
            };
            if first {
                tracing::warn!(
                    "{} {what} (further `{kind}` exchanges are counted in the summary; \
                     TRESPASS_LOG=debug shows each)",
                    step.op
                );
            } else {
                tracing::debug!("{} {what}", step.op);
            }
        }
    }

    /// The counts by kind name.
    pub(super) fn into_counts(self) -> BTreeMap<String, u64> {
        self.by_kind
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(|(kind, n)| (kind.to_string(), n))
            .collect()
    }
}

/// The process's peak resident memory in bytes (`VmHWM` of `/proc/self/status`), where the
/// platform tells it.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// How the workers of a campaign shared its targets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SharingCounts {
    /// Sequences that ran alone on a shared target because one of their operations disturbs
    /// the others (the reset, an account's change or deletion, a credential change,
    /// `[policy] exclusive_operations`).
    #[serde(default)]
    pub alone: u64,
    /// Of those, the ones after which the target was reset (and every identity logged in
    /// afresh): an exclusive operation of theirs was sent and not refused with a `4xx`, or
    /// they lost an identity. The others changed nothing the other sequences rely on.
    #[serde(default)]
    pub reset_after: u64,
    /// Sequences in which an identity's session failed where it had worked, run again alone
    /// after a reset and a fresh login without losing it again.
    #[serde(default)]
    pub healed: u64,
    /// Of those, the ones that lost an identity again when run alone (the sequence loses it
    /// itself: its operation may belong in `[policy] exclusive_operations`).
    #[serde(default)]
    pub unhealable: u64,
}

impl SharingCounts {
    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The [`SharingCounts`] of a running campaign.
#[derive(Debug, Default)]
pub(super) struct Sharing {
    pub(super) alone: AtomicU64,
    pub(super) reset_after: AtomicU64,
    pub(super) healed: AtomicU64,
    pub(super) unhealable: AtomicU64,
}

impl Sharing {
    /// What was counted.
    pub(super) fn counts(&self) -> SharingCounts {
        SharingCounts {
            alone: self.alone.load(Ordering::Relaxed),
            reset_after: self.reset_after.load(Ordering::Relaxed),
            healed: self.healed.load(Ordering::Relaxed),
            unhealable: self.unhealable.load(Ordering::Relaxed),
        }
    }
}

/// The rejected sequences of a running campaign, counted by reason ([`RejectReason::kind`]):
/// what becomes [`Summary::rejected`] and [`Summary::rejections`].
#[derive(Debug, Default)]
pub(super) struct Rejections {
    by_reason: Mutex<BTreeMap<&'static str, u64>>,
}

impl Rejections {
    /// Counts one sequence rejected for `reason`.
    pub(super) fn count(&self, reason: &RejectReason) {
        let mut by_reason = self.by_reason.lock().unwrap_or_else(|e| e.into_inner());
        *by_reason.entry(reason.kind()).or_default() += 1;
    }

    /// The total and the counts by reason.
    pub(super) fn into_counts(self) -> (u64, BTreeMap<String, u64>) {
        let by_reason = self
            .by_reason
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let total = by_reason.values().sum();
        let by_reason = by_reason
            .into_iter()
            .map(|(reason, n)| (reason.to_string(), n))
            .collect();
        (total, by_reason)
    }
}

mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs_f64(f64::deserialize(d)?.max(0.0)))
    }
}

impl Summary {
    /// `rejected 31 of 100 sequences: login-failed 20, unresolved-ref 9, missing-path-value 2`:
    /// the three most common reasons (ties by name), or `None` when no sequence was rejected.
    pub fn rejection_line(&self) -> Option<String> {
        if self.rejected == 0 {
            return None;
        }
        let mut reasons: Vec<(&String, &u64)> = self.rejections.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let top: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        let mut line = format!("rejected {} of {} sequences", self.rejected, self.cases);
        if !top.is_empty() {
            line.push_str(": ");
            line.push_str(&top.join(", "));
        }
        Some(line)
    }

    /// `shared target: 12 sequence(s) ran alone (5 followed by a reset), 3 lost identit(ies)
    /// healed, 1 not`, or `None` when nothing was counted.
    pub fn sharing_line(&self) -> Option<String> {
        let s = &self.sharing;
        if s.is_empty() {
            return None;
        }
        let mut line = format!(
            "shared target: {} sequence(s) ran alone ({} followed by a reset)",
            s.alone, s.reset_after
        );
        if s.healed + s.unhealable > 0 {
            line.push_str(&format!(
                ", {} lost identit(ies) healed, {} not",
                s.healed, s.unhealable
            ));
        }
        Some(line)
    }

    /// `transport: reset 9, truncated 3, oversized 1 (of 4031 requests)`: the exchanges that
    /// got no whole answer or a body cut at the cap, by kind, or `None` when there were none.
    pub fn transport_line(&self) -> Option<String> {
        if self.transport.values().all(|n| *n == 0) {
            return None;
        }
        let kinds: Vec<String> = self
            .transport
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        Some(format!(
            "transport: {} (of {} requests)",
            kinds.join(", "),
            self.requests
        ))
    }

    /// Requests per second over the run.
    pub fn requests_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        }
    }

    /// The (oracle, operation) pairs found, sorted and unique: what the demo manifests list.
    pub fn oracle_operations(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .findings
            .iter()
            .map(|f| (f.oracle.clone(), f.operation.as_str().to_string()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The findings grouped by root cause (computed from `findings`, so always in step with
    /// them).
    pub fn groups(&self) -> Vec<RootCause> {
        RootCause::group(&self.findings)
    }

    /// The summary as reports write it: `root_causes` computed from `findings`.
    pub fn with_root_causes(&self) -> Summary {
        let mut out = self.clone();
        out.root_causes = self.groups();
        out
    }

    /// The human summary: a table of bugs, one line per root cause (oracles, operation, cases,
    /// status) with its signatures under it, the authorization coverage (or a plain line saying
    /// nothing could be judged) and the run's figures.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let groups = self.groups();
        if groups.is_empty() {
            out.push_str("no findings\n");
        } else {
            self.write_groups(&groups, &mut out);
        }
        if self.cases > 0 {
            out.push_str(&self.coverage.text(&self.oracles));
            out.push_str(&self.operations.text());
        }
        let _ = writeln!(
            out,
            "{} bug(s) from {} unique finding(s) in {} case(s), {} request(s) in {:.1} s \
             ({:.0} req/s), seed {}",
            groups.len(),
            self.findings.len(),
            self.cases,
            self.requests,
            self.elapsed.as_secs_f64(),
            self.requests_per_second(),
            self.seed
        );
        if let Some(line) = self.transport_line() {
            let _ = writeln!(out, "{line}");
        }
        if self.interrupted {
            let _ = writeln!(
                out,
                "interrupted: the run stopped before its budget was spent; these are the cases \
                 that ran"
            );
        }
        out
    }

    /// One row per root cause, each followed by its cause (when it has one) and by its
    /// signatures with what sets each apart (cases when there are several, a status other
    /// than confirmed, other sequences in flight when it was first seen).
    fn write_groups(&self, groups: &[RootCause], out: &mut String) {
        let rows: Vec<[String; 4]> = groups
            .iter()
            .map(|g| {
                [
                    g.oracles.join(" + "),
                    g.operation.as_str().to_string(),
                    g.count.to_string(),
                    g.status.clone(),
                ]
            })
            .collect();
        let header = [
            "oracle".to_string(),
            "operation".into(),
            "cases".into(),
            "status".into(),
        ];
        let mut widths = header.clone().map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |row: &[String; 4]| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&header));
        for (group, row) in groups.iter().zip(&rows) {
            let _ = writeln!(out, "{}", line(row));
            if let Some(cause) = &group.cause {
                let _ = writeln!(out, "    cause: {cause}");
            }
            for signature in &group.signatures {
                let Some(f) = self.findings.iter().find(|f| &f.signature == signature) else {
                    continue;
                };
                let mut notes = Vec::new();
                if group.signatures.len() > 1 {
                    notes.push(format!("{} case(s)", f.count));
                }
                if f.status() != "confirmed" {
                    notes.push(f.status().to_string());
                }
                notes.extend(f.in_flight_note());
                let notes = if notes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", notes.join(", "))
                };
                let _ = writeln!(out, "    {signature}{notes}");
            }
        }
    }
}

/// A `--report` destination.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportSink {
    /// `json:PATH`: the [`Summary`] as pretty JSON.
    Json(PathBuf),
    /// `junit:PATH`: JUnit XML, a test suite per oracle, a failing case per finding.
    Junit(PathBuf),
    /// `sarif:PATH`: SARIF 2.1.0, a rule per oracle, a result per finding at its operation in
    /// the spec.
    Sarif(PathBuf),
    /// `markdown:PATH` (or `md:PATH`): a summary for a CI step summary or a PR comment.
    Markdown(PathBuf),
}

impl std::str::FromStr for ReportSink {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let sink = match s.split_once(':') {
            Some((_, "")) | None => None,
            Some(("json", path)) => Some(ReportSink::Json(PathBuf::from(path))),
            Some(("junit", path)) => Some(ReportSink::Junit(PathBuf::from(path))),
            Some(("sarif", path)) => Some(ReportSink::Sarif(PathBuf::from(path))),
            Some(("markdown" | "md", path)) => Some(ReportSink::Markdown(PathBuf::from(path))),
            Some(_) => None,
        };
        sink.ok_or_else(|| {
            format!(
                "`{s}` is not a report destination (expected `json:PATH`, `junit:PATH`, \
                 `sarif:PATH` or `markdown:PATH`)"
            )
        })
    }
}

impl ReportSink {
    /// Writes `summary` to the destination atomically (a temporary file renamed into place),
    /// so a reader never sees half a report and a crash never loses the previous one.
    pub fn write(&self, summary: &Summary) -> std::io::Result<()> {
        self.write_in(summary, None)
    }

    /// [`ReportSink::write`], naming finding files under `corpus` in replay commands.
    pub fn write_in(&self, summary: &Summary, corpus: Option<&Path>) -> std::io::Result<()> {
        let text = match self {
            ReportSink::Json(_) => serde_json::to_string_pretty(&summary.with_root_causes())
                .map_err(std::io::Error::other)?,
            ReportSink::Junit(_) => super::formats::junit(summary, corpus),
            ReportSink::Sarif(_) => {
                serde_json::to_string_pretty(&super::formats::sarif(summary, corpus))
                    .map_err(std::io::Error::other)?
            }
            ReportSink::Markdown(_) => super::formats::markdown(summary, corpus),
        };
        write_atomically(self.path(), text.as_bytes())
    }

    /// Where the report goes.
    pub fn path(&self) -> &Path {
        match self {
            ReportSink::Json(p)
            | ReportSink::Junit(p)
            | ReportSink::Sarif(p)
            | ReportSink::Markdown(p) => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(cases: u64, rejections: &[(&str, u64)]) -> Summary {
        Summary {
            format_version: REPORT_FORMAT_VERSION,
            seed: 7,
            shards: Vec::new(),
            cases,
            requests: 0,
            rejected: rejections.iter().map(|(_, n)| n).sum(),
            rejections: rejections
                .iter()
                .map(|(reason, n)| (reason.to_string(), *n))
                .collect(),
            sharing: Default::default(),
            transport: Default::default(),
            peak_memory: None,
            elapsed: Duration::ZERO,
            oracles: Vec::new(),
            findings: Vec::new(),
            root_causes: Vec::new(),
            interrupted: false,
            coverage: Coverage::default(),
            operations: Operations::default(),
            feedback: None,
        }
    }

    #[test]
    fn rejections_are_counted_by_reason() {
        use crate::exec::StepError;
        let rejections = Rejections::default();
        let missing = RejectReason::Verify(StepError::MissingPathValue("id".into()));
        let template = RejectReason::Verify(StepError::PathTemplate("/a/{id".into()));
        for reason in [
            &missing,
            &template,
            &missing,
            &RejectReason::Recorded("x".into()),
        ] {
            rejections.count(reason);
        }
        let (total, by_reason) = rejections.into_counts();
        assert_eq!(total, 4);
        assert_eq!(
            by_reason.into_iter().collect::<Vec<_>>(),
            [
                ("missing-path-value".to_string(), 2),
                ("path-template".to_string(), 1),
                ("recorded".to_string(), 1),
            ]
        );
        assert_eq!(Rejections::default().into_counts(), (0, BTreeMap::new()));
    }

    #[test]
    fn the_rejection_line_names_the_three_most_common_reasons() {
        assert_eq!(summary(100, &[]).rejection_line(), None);
        let run = summary(
            100,
            &[
                ("body-pointer", 1),
                ("login-failed", 20),
                ("missing-path-value", 2),
                ("path-template", 2),
                ("unresolved-ref", 9),
            ],
        );
        assert_eq!(
            run.rejection_line().as_deref(),
            Some(
                "rejected 34 of 100 sequences: login-failed 20, unresolved-ref 9, \
                 missing-path-value 2"
            )
        );
        let one = summary(5, &[("recorded", 1)]);
        assert_eq!(
            one.rejection_line().as_deref(),
            Some("rejected 1 of 5 sequences: recorded 1")
        );
    }

    #[test]
    fn reports_without_rejections_by_reason_still_read() {
        let mut json = serde_json::to_value(summary(3, &[("unresolved-ref", 2)])).unwrap();
        assert_eq!(json["rejections"]["unresolved-ref"], 2);
        json.as_object_mut().unwrap().remove("rejections");
        let read: Summary = serde_json::from_value(json).unwrap();
        assert_eq!(read.rejected, 2);
        assert!(read.rejections.is_empty());
    }

    #[test]
    fn transport_failures_are_counted_by_kind_and_said_in_one_line() {
        use crate::http::TransportKind;
        assert_eq!(summary(3, &[]).transport_line(), None);
        let mut run = summary(3, &[]);
        run.requests = 40;
        run.transport = [("reset".to_string(), 9), (OVERSIZED.to_string(), 1)]
            .into_iter()
            .collect();
        assert_eq!(
            run.transport_line().as_deref(),
            Some("transport: oversized 1, reset 9 (of 40 requests)")
        );
        assert!(run.table().contains("transport: oversized 1, reset 9"));
        let json = serde_json::to_value(&run).unwrap();
        assert_eq!(json["transport"]["reset"], 9);
        assert!(
            serde_json::to_value(summary(3, &[])).unwrap()["transport"].is_null(),
            "left out when empty"
        );

        use crate::oracle::testkit::{TraceBuilder, shop};
        let failures = TransportFailures::default();
        let get = || {
            TraceBuilder::new(shop()).step(
                "alice:user",
                "GET /users/{userId}/orders",
                &[("userId", serde_json::json!(1))],
                None,
                200,
                serde_json::json!([]),
            )
        };
        for trace in [
            get().no_answer(TransportKind::Reset),
            get().no_answer(TransportKind::Reset),
            get().no_answer(TransportKind::Connect),
            get().truncated(),
            get(),
        ] {
            failures.count(&trace.trace(), &Redactor::default());
        }
        assert_eq!(
            failures.into_counts().into_iter().collect::<Vec<_>>(),
            [
                ("connect".to_string(), 1),
                (OVERSIZED.to_string(), 1),
                ("reset".to_string(), 2)
            ]
        );
    }

    #[test]
    fn report_sinks_parse() {
        assert_eq!(
            "json:out/r.json".parse::<ReportSink>(),
            Ok(ReportSink::Json("out/r.json".into()))
        );
        assert!("json:".parse::<ReportSink>().is_err());
        assert!("xml:r.xml".parse::<ReportSink>().is_err());
        assert!("r.json".parse::<ReportSink>().is_err());
    }
}

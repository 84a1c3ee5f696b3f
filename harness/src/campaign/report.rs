//! What a campaign reports: the [`Summary`] of the whole run (its findings are
//! [`crate::finding::Finding`]s) and where it goes (`--report`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::artifact::write_atomically;
use crate::finding::Finding;

/// The version of the report's JSON form; bumped on incompatible changes.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// [`REPORT_FORMAT_VERSION`].
    pub format_version: u32,
    /// The seed of the run.
    pub seed: u64,
    /// Sequences run.
    pub cases: u64,
    /// Requests sent (sequence steps and the executor's re-reads; logins and resets not
    /// counted).
    pub requests: u64,
    /// Sequences that stopped early because a step could not be sent.
    pub rejected: u64,
    /// Wall-clock time of the run.
    #[serde(with = "seconds")]
    pub elapsed: Duration,
    /// The oracles that judged the traces.
    pub oracles: Vec<String>,
    /// Unique findings, sorted by signature.
    pub findings: Vec<Finding>,
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

    /// The human summary: a table of findings (oracle, operation, identities, count) and the
    /// run's figures.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let rows: Vec<[String; 4]> = self
            .findings
            .iter()
            .map(|f| {
                [
                    if f.confirmed {
                        f.oracle.clone()
                    } else {
                        format!("{} (unconfirmed)", f.oracle)
                    },
                    f.operation.as_str().to_string(),
                    f.identities().join(" → "),
                    f.count.to_string(),
                ]
            })
            .collect();
        if rows.is_empty() {
            out.push_str("no findings\n");
        } else {
            let header = [
                "oracle".to_string(),
                "operation".into(),
                "identities".into(),
                "count".into(),
            ];
            let mut widths = header.clone().map(|h| h.chars().count());
            for row in &rows {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            for row in std::iter::once(&header).chain(rows.iter()) {
                let line: Vec<String> = row
                    .iter()
                    .zip(widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                let _ = writeln!(out, "{}", line.join("  ").trim_end());
            }
        }
        let _ = writeln!(
            out,
            "{} unique finding(s) in {} case(s), {} request(s) in {:.1} s ({:.0} req/s), seed {}",
            self.findings.len(),
            self.cases,
            self.requests,
            self.elapsed.as_secs_f64(),
            self.requests_per_second(),
            self.seed
        );
        out
    }
}

/// A `--report` destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportSink {
    /// `json:PATH`: the [`Summary`] as pretty JSON.
    Json(PathBuf),
}

impl std::str::FromStr for ReportSink {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("json", path)) if !path.is_empty() => Ok(ReportSink::Json(PathBuf::from(path))),
            _ => Err(format!(
                "`{s}` is not a report destination (expected `json:PATH`)"
            )),
        }
    }
}

impl ReportSink {
    /// Writes `summary` to the destination atomically (a temporary file renamed into place),
    /// so a reader never sees half a report and a crash never loses the previous one.
    pub fn write(&self, summary: &Summary) -> std::io::Result<()> {
        match self {
            ReportSink::Json(path) => {
                let text = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
                write_atomically(path, text.as_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

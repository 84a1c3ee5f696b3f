//! Authorization coverage: what a campaign actually judged, so that "no findings" is told
//! apart from "nothing could be judged".
//!
//! Per kind, the cross-identity reads, writes and deletes ([`cross_identity_access`]: a
//! non-admin identity addressed an object another identity owns); per oracle, the steps it
//! judged ([`Oracle::judged`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use trespass_generators::model::CrudRole;

use crate::oracle::{Bola, CheckContext, ListLeak, Oracle, cross_identity_access};

/// The object-level oracles: listed in the coverage even when they judged nothing, since that
/// is what a user must see.
const OBJECT_LEVEL: &[&str] = &[Bola::NAME, ListLeak::NAME];

/// What the oracles of a campaign judged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Cross-identity steps per resource kind (kinds with none are left out).
    #[serde(default)]
    pub kinds: BTreeMap<String, KindCoverage>,
    /// Steps judged per oracle ([`Oracle::judged`]): `bola` and `list-leak` always (zero
    /// included), any other oracle that judged a step.
    #[serde(default)]
    pub oracles: BTreeMap<String, u64>,
}

/// Cross-identity steps on one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCoverage {
    /// Reads of another identity's object.
    pub reads: u64,
    /// Changes of another identity's object.
    pub writes: u64,
    /// Deletes of another identity's object.
    pub deletes: u64,
}

impl KindCoverage {
    /// Reads, writes and deletes together.
    pub fn total(&self) -> u64 {
        self.reads + self.writes + self.deletes
    }
}

/// The line a campaign's summary shows when no cross-identity access was judged.
pub const NOTHING_JUDGED: &str = "authorization: nothing judged — no object with a known owner \
was touched by another identity; see `trespass spec SPEC --identities FILE` for what is missing";

impl Coverage {
    /// The coverage of one run judged by `oracles` in `cx`.
    pub fn of_run(oracles: &[Box<dyn Oracle>], cx: &CheckContext<'_>) -> Self {
        let mut out = Coverage::default();
        for step in &cx.trace.steps {
            let Some((kind, role)) = cross_identity_access(cx, step) else {
                continue;
            };
            let counts = out.kinds.entry(kind).or_default();
            match role {
                CrudRole::Read => counts.reads += 1,
                CrudRole::Delete => counts.deletes += 1,
                _ => counts.writes += 1,
            }
        }
        for oracle in oracles {
            let judged = oracle.judged(cx).len() as u64;
            if judged > 0 || OBJECT_LEVEL.contains(&oracle.name()) {
                *out.oracles.entry(oracle.name().to_string()).or_default() += judged;
            }
        }
        out
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Coverage) {
        for (kind, c) in &other.kinds {
            let mine = self.kinds.entry(kind.clone()).or_default();
            mine.reads += c.reads;
            mine.writes += c.writes;
            mine.deletes += c.deletes;
        }
        for (oracle, n) in &other.oracles {
            *self.oracles.entry(oracle.clone()).or_default() += n;
        }
    }

    /// Cross-identity steps on every kind.
    pub fn cross_identity(&self) -> u64 {
        self.kinds.values().map(KindCoverage::total).sum()
    }

    /// The coverage block of a campaign's summary: a table of cross-identity steps per kind
    /// (or [`NOTHING_JUDGED`]) and the steps each oracle judged, in `order` (the campaign's
    /// oracles) first.
    pub fn text(&self, order: &[String]) -> String {
        let mut out = String::new();
        if self.cross_identity() == 0 {
            let _ = writeln!(out, "{NOTHING_JUDGED}");
        } else {
            let _ = writeln!(
                out,
                "authorization coverage: cross-identity steps judged (an identity addressed an \
                 object another identity owns)"
            );
            let width = self
                .kinds
                .keys()
                .map(|k| k.chars().count())
                .max()
                .unwrap_or(0)
                .max("kind".len());
            let _ = writeln!(out, "  {:<width$}  reads  writes  deletes", "kind");
            for (kind, c) in &self.kinds {
                let _ = writeln!(
                    out,
                    "  {kind:<width$}  {:>5}  {:>6}  {:>7}",
                    c.reads, c.writes, c.deletes
                );
            }
        }
        let mut names: Vec<&String> = order
            .iter()
            .filter(|o| self.oracles.contains_key(*o))
            .collect();
        names.extend(self.oracles.keys().filter(|o| !order.contains(o)));
        if !names.is_empty() {
            let parts: Vec<String> = names
                .iter()
                .map(|o| format!("{o} {}", self.oracles[*o]))
                .collect();
            let _ = writeln!(out, "steps judged by oracle: {}", parts.join(", "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coverage(kinds: &[(&str, u64, u64, u64)], oracles: &[(&str, u64)]) -> Coverage {
        Coverage {
            kinds: kinds
                .iter()
                .map(|(k, reads, writes, deletes)| {
                    (
                        k.to_string(),
                        KindCoverage {
                            reads: *reads,
                            writes: *writes,
                            deletes: *deletes,
                        },
                    )
                })
                .collect(),
            oracles: oracles.iter().map(|(o, n)| (o.to_string(), *n)).collect(),
        }
    }

    #[test]
    fn coverage_adds_up_and_prints_a_table() {
        let mut total = coverage(&[("order", 2, 0, 1)], &[("bola", 3), ("bfla", 0)]);
        total.add(&coverage(
            &[("order", 1, 1, 0), ("address", 0, 2, 0)],
            &[("bola", 1), ("custom", 2)],
        ));
        assert_eq!(total.cross_identity(), 7);
        let order = ["bola".to_string(), "bfla".to_string(), "custom".to_string()];
        assert_eq!(
            total.text(&order),
            "authorization coverage: cross-identity steps judged (an identity addressed an \
             object another identity owns)\n  \
             kind     reads  writes  deletes\n  \
             address      0       2        0\n  \
             order        3       1        1\n\
             steps judged by oracle: bola 4, bfla 0, custom 2\n"
        );
    }

    #[test]
    fn a_campaign_that_judged_nothing_says_so() {
        let none = coverage(&[], &[("bfla", 4)]);
        let text = none.text(&["bfla".to_string()]);
        assert!(text.starts_with(NOTHING_JUDGED), "{text}");
        assert!(text.ends_with("steps judged by oracle: bfla 4\n"), "{text}");
        assert_eq!(Coverage::default().text(&[]), format!("{NOTHING_JUDGED}\n"));
    }
}

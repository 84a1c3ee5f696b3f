//! Joining campaigns (`trespass merge`): the reports of the shards of one campaign
//! (`--shard K/N`), or of separate runs, into one [`Summary`], and their finding folders into
//! one folder.
//!
//! Findings are one per signature: their counts are added, and the one kept is the best
//! evidence (confirmed before unconfirmed, shrunk before not, fewer steps, then the earlier
//! case). Counts of cases, requests, rejections, transport failures and coverage are added;
//! `elapsed` and `peak_memory` are the largest (shards run side by side); `shards` is the
//! union, and [`Merge::notes`] says which shards of a split are missing or came twice. A
//! campaign state (`--state`) stands for a run without a report (killed before it wrote one):
//! its counts join, marked interrupted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::report::{REPORT_FORMAT_VERSION, Summary};
use super::resume::CampaignState;
use super::shard::Shard;
use crate::finding::Finding;

/// The merged findings and counts, and what a reader should know about them.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// The merged summary (root causes are grouped again when it is written).
    pub summary: Summary,
    /// For every signature of `summary`, the finding file it was read from, when one of the
    /// inputs was a finding folder holding it.
    pub files: BTreeMap<String, PathBuf>,
    /// Things worth saying: missing or repeated shards, reports of different seeds.
    pub notes: Vec<String>,
}

/// What a finding file says about its finding, to pick the best of several.
fn evidence_rank(finding: &Finding) -> (bool, bool, usize, u64) {
    (
        !finding.confirmed,
        finding.shrink.is_none(),
        finding.sequence.steps.len(),
        finding.case,
    )
}

/// Adds `new` into the findings of `by_signature`: counts added, the better evidence kept.
/// `count` is false when `new` is the same finding read again (a report and its own finding
/// folder), whose count is already in.
fn add_finding(by_signature: &mut BTreeMap<String, Finding>, new: Finding, count: bool) {
    let key = new.signature.to_string();
    let Some(old) = by_signature.get_mut(&key) else {
        by_signature.insert(key, new);
        return;
    };
    let total = if count {
        old.count + new.count
    } else {
        old.count.max(new.count)
    };
    if evidence_rank(&new) < evidence_rank(old) {
        *old = new;
    }
    old.count = total;
}

/// Joins reports and finding folders.
#[derive(Debug, Default)]
pub struct Merger {
    summaries: Vec<Summary>,
    states: Vec<(PathBuf, CampaignState)>,
    folder_findings: Vec<(PathBuf, Finding)>,
}

impl Merger {
    /// An empty merge.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a report.
    pub fn report(&mut self, summary: Summary) -> &mut Self {
        self.summaries.push(summary);
        self
    }

    /// Adds a campaign's state (`--state DIR`, e.g. of a shard killed before it wrote its
    /// report): its counts join the merge, its findings come from its finding folder. A state
    /// of a seed and shard that a report also covers is left out (the report has its counts).
    pub fn state(&mut self, dir: PathBuf, state: CampaignState) -> &mut Self {
        self.states.push((dir, state));
        self
    }

    /// Adds a finding file read from a folder (from [`crate::finding::FindingStore::load_all`]).
    pub fn finding_file(&mut self, path: PathBuf, finding: Finding) -> &mut Self {
        self.folder_findings.push((path, finding));
        self
    }

    /// The merge of everything added.
    pub fn finish(mut self) -> Merge {
        let mut notes = Vec::new();
        let covered: BTreeSet<(u64, Option<Shard>)> = self
            .summaries
            .iter()
            .flat_map(|s| {
                let shards: Vec<Option<Shard>> = if s.shards.is_empty() {
                    vec![None]
                } else {
                    s.shards.iter().copied().map(Some).collect()
                };
                shards.into_iter().map(move |shard| (s.seed, shard))
            })
            .collect();
        for (dir, state) in std::mem::take(&mut self.states) {
            if covered.contains(&(state.seed, state.shard)) {
                notes.push(format!(
                    "{}: a report covers this campaign state's cases; its counts are the \
                     report's",
                    dir.display()
                ));
                continue;
            }
            self.summaries.push(summary_of_state(state));
        }
        let mut summary = empty_summary(self.summaries.first());
        let mut by_signature = BTreeMap::new();
        let seeds: BTreeSet<u64> = self.summaries.iter().map(|s| s.seed).collect();
        if seeds.len() > 1 {
            notes.push(format!(
                "the reports come from {} different seeds ({}); the merged report names the \
                 first",
                seeds.len(),
                seeds
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut shards: Vec<Shard> = Vec::new();
        for part in self.summaries {
            shards.extend(part.shards.iter().copied());
            add_counts(&mut summary, &part);
            for finding in part.findings {
                add_finding(&mut by_signature, finding, true);
            }
        }
        notes.extend(shard_notes(&shards));
        shards.sort();
        shards.dedup();
        summary.shards = shards;

        let reported: BTreeSet<String> = by_signature.keys().cloned().collect();
        let mut files: BTreeMap<String, (PathBuf, Finding)> = BTreeMap::new();
        for (path, finding) in self.folder_findings {
            let key = finding.signature.to_string();
            let better = files
                .get(&key)
                .is_none_or(|(_, kept)| evidence_rank(&finding) < evidence_rank(kept));
            if better {
                files.insert(key, (path, finding));
            }
        }
        for (key, (_, finding)) in &files {
            // A folder's finding is the file a report's finding was saved as (same run), or
            // one of a run whose report was not given: counted once either way.
            add_finding(&mut by_signature, finding.clone(), !reported.contains(key));
        }
        summary.findings = by_signature.into_values().collect();
        summary.root_causes = super::RootCause::group(&summary.findings);
        Merge {
            summary,
            files: files
                .into_iter()
                .map(|(key, (path, _))| (key, path))
                .collect(),
            notes,
        }
    }
}

/// The counts of a campaign state as a report without findings.
fn summary_of_state(state: CampaignState) -> Summary {
    let mut summary = empty_summary(None);
    summary.seed = state.seed;
    summary.shards = state.shard.into_iter().collect();
    summary.cases = state.cases;
    summary.requests = state.requests;
    summary.coverage = state.coverage;
    summary.operations = state.operations;
    summary.interrupted = true;
    summary
}

fn empty_summary(first: Option<&Summary>) -> Summary {
    Summary {
        format_version: REPORT_FORMAT_VERSION,
        seed: first.map_or(0, |s| s.seed),
        shards: Vec::new(),
        cases: 0,
        requests: 0,
        rejected: 0,
        rejections: BTreeMap::new(),
        sharing: Default::default(),
        transport: BTreeMap::new(),
        peak_memory: None,
        elapsed: std::time::Duration::ZERO,
        oracles: Vec::new(),
        findings: Vec::new(),
        root_causes: Vec::new(),
        interrupted: false,
        coverage: Default::default(),
        operations: Default::default(),
        feedback: None,
    }
}

fn add_counts(into: &mut Summary, part: &Summary) {
    // Each shard keeps counts of its own: the feedback cases add up, the features seen are
    // at least the most one shard saw.
    if let Some(theirs) = &part.feedback {
        let ours = into
            .feedback
            .get_or_insert_with(|| crate::campaign::FeedbackSummary {
                share: theirs.share,
                ..Default::default()
            });
        ours.focused += theirs.focused;
        ours.features = ours.features.max(theirs.features);
    }
    into.cases += part.cases;
    into.requests += part.requests;
    into.rejected += part.rejected;
    for (kind, n) in &part.rejections {
        *into.rejections.entry(kind.clone()).or_default() += n;
    }
    for (kind, n) in &part.transport {
        *into.transport.entry(kind.clone()).or_default() += n;
    }
    into.sharing.alone += part.sharing.alone;
    into.sharing.reset_after += part.sharing.reset_after;
    into.sharing.healed += part.sharing.healed;
    into.sharing.unhealable += part.sharing.unhealable;
    into.peak_memory = into.peak_memory.max(part.peak_memory);
    into.elapsed = into.elapsed.max(part.elapsed);
    for oracle in &part.oracles {
        if !into.oracles.contains(oracle) {
            into.oracles.push(oracle.clone());
        }
    }
    into.interrupted |= part.interrupted;
    into.coverage.add(&part.coverage);
    into.operations.add(&part.operations);
}

/// Which shards of each split are missing or came more than once.
fn shard_notes(shards: &[Shard]) -> Vec<String> {
    let mut by_count: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for shard in shards {
        by_count
            .entry(shard.count())
            .or_default()
            .push(shard.number());
    }
    let mut notes = Vec::new();
    for (count, mut numbers) in by_count {
        numbers.sort_unstable();
        let twice: BTreeSet<u32> = numbers
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        let missing: Vec<String> = (1..=count)
            .filter(|n| numbers.binary_search(n).is_err())
            .map(|n| format!("{n}/{count}"))
            .collect();
        if !missing.is_empty() {
            notes.push(format!(
                "shards missing: {} (their cases were not run)",
                missing.join(", ")
            ));
        }
        if !twice.is_empty() {
            notes.push(format!(
                "shards given more than once: {} (their counts are added twice)",
                twice
                    .iter()
                    .map(|n| format!("{n}/{count}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    notes
}

/// Copies the finding files `files` (with their reproducers beside them: the curl script
/// `.sh` and the Rust test `.rs`) into `corpus`, one per signature, atomically. Returns the
/// paths written.
pub fn copy_findings(
    files: &BTreeMap<String, PathBuf>,
    corpus: &Path,
) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for source in files.values() {
        for extension in ["json", "sh", "rs"] {
            let from = source.with_extension(extension);
            let Some(name) = from.file_name() else {
                continue;
            };
            let to = corpus.join(name);
            if from == to {
                continue;
            }
            let bytes = match std::fs::read(&from) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && extension != "json" => {
                    continue;
                }
                Err(e) => return Err(e),
            };
            crate::artifact::write_atomically(&to, &bytes)?;
            copy_permissions(&from, &to)?;
            written.push(to);
        }
    }
    Ok(written)
}

fn copy_permissions(from: &Path, to: &Path) -> std::io::Result<()> {
    let permissions = std::fs::metadata(from)?.permissions();
    std::fs::set_permissions(to, permissions)
}

#[cfg(test)]
mod tests;

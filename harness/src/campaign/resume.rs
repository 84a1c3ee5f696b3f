//! Resuming a campaign: its state (the cases done, the signatures found, the statistics) is
//! written atomically to `state.json` in the state folder after every batch of cases and at
//! the end, so that a run stopped by Ctrl-C, `kill -9` or its budget goes on where it stopped
//! when run again with the same state.
//!
//! Case `n` of seed `s` is always the same sequence, so a resumed run that runs the cases the
//! first one did not runs, in all, exactly the cases of one uninterrupted run. Cases finish
//! out of order with several workers: the state keeps every case below a watermark as done,
//! and the few above it that are done too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::coverage::Coverage;
use super::operations::Operations;
use crate::artifact::write_atomically;

/// The version of `state.json`; a state of another version is not resumed.
pub const STATE_VERSION: u32 = 1;

/// The state written at most this often while cases finish (and always at the end).
const WRITE_EVERY: Duration = Duration::from_millis(500);

/// What a campaign has done so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignState {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// SHA-256 of the spec's text.
    pub spec_sha256: String,
    /// The seed of the campaign.
    pub seed: u64,
    /// The shard of the case space the campaign runs (`--shard K/N`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::Shard>,
    /// The cases the run that wrote it takes (its shard's share of the budget; `None`: a
    /// duration only).
    #[serde(default)]
    pub case_limit: Option<u64>,
    /// Every case below this is done (with a shard: counted in the shard's own cases, the
    /// shard's n-th case being case `n·N + K - 1` of the campaign).
    pub done_below: u64,
    /// Cases at or above `done_below` that are done too (counted as `done_below`).
    #[serde(default)]
    pub done_above: BTreeSet<u64>,
    /// Cases run, in all runs.
    pub cases: u64,
    /// Requests sent, in all runs.
    pub requests: u64,
    /// Signatures found so far (their findings are in the findings folder).
    #[serde(default)]
    pub signatures: Vec<String>,
    /// What the oracles judged so far.
    #[serde(default)]
    pub coverage: Coverage,
    /// What each operation was sent and answered so far.
    #[serde(default)]
    pub operations: Operations,
    /// The counts of the coverage feedback, the features seen and the cases of the epochs in
    /// progress.
    #[serde(default)]
    pub feedback: super::FeedbackState,
}

impl CampaignState {
    /// Whether every case of `case_limit` is done (a duration-only campaign never is).
    pub fn complete(&self, case_limit: Option<u64>) -> bool {
        case_limit.is_some_and(|n| self.done_below >= n)
    }
}

/// Which cases are done.
#[derive(Debug, Default)]
pub(super) struct DoneCases {
    pub(super) below: u64,
    pub(super) above: BTreeSet<u64>,
}

impl DoneCases {
    /// Marks `case` done.
    pub(super) fn mark(&mut self, case: u64) {
        if case < self.below {
            return;
        }
        self.above.insert(case);
        while self.above.remove(&self.below) {
            self.below += 1;
        }
    }

    /// Whether `case` is done.
    pub(super) fn contains(&self, case: u64) -> bool {
        case < self.below || self.above.contains(&case)
    }
}

/// Where a campaign's state goes (`DIR/state.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateFile {
    path: PathBuf,
}

/// Why a state could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot resume from {path}: {why} (--fresh starts afresh)")]
pub struct StateError {
    /// The state file.
    pub path: String,
    /// What is wrong.
    pub why: String,
}

impl StateFile {
    /// The state in folder `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join("state.json"),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state, `None` when there is none yet.
    pub fn load(&self) -> Result<Option<CampaignState>, StateError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(e.to_string())),
        };
        let state: CampaignState = serde_json::from_str(&text)
            .map_err(|e| self.error(format!("line {} column {}: {e}", e.line(), e.column())))?;
        if state.version != STATE_VERSION {
            return Err(self.error(format!(
                "version {} (this trespass writes version {STATE_VERSION})",
                state.version
            )));
        }
        Ok(Some(state))
    }

    /// Writes `state` atomically (a temporary file renamed into place).
    pub fn save(&self, state: &CampaignState) -> std::io::Result<()> {
        let text = serde_json::to_string(state).map_err(std::io::Error::other)?;
        write_atomically(&self.path, text.as_bytes())
    }

    fn error(&self, why: String) -> StateError {
        StateError {
            path: self.path.display().to_string(),
            why,
        }
    }
}

/// A running campaign's state file and when it was last written.
#[derive(Debug)]
pub(super) struct Persist {
    pub(super) file: StateFile,
    pub(super) spec_sha256: String,
    last: Mutex<Option<Instant>>,
}

impl Persist {
    pub(super) fn new(file: StateFile, spec_sha256: String) -> Self {
        Self {
            file,
            spec_sha256,
            last: Mutex::new(None),
        }
    }

    /// Whether a batch's worth of time passed since the last write (and, if so, counts this
    /// as one).
    pub(super) fn due(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|l| now.duration_since(l) < WRITE_EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_done_out_of_order_move_the_watermark() {
        let mut done = DoneCases::default();
        for case in [1, 3, 0] {
            done.mark(case);
        }
        assert_eq!(done.below, 2);
        assert_eq!(done.above, BTreeSet::from([3]));
        assert!(done.contains(0) && done.contains(3) && !done.contains(2));
        done.mark(2);
        assert_eq!((done.below, done.above.len()), (4, 0));
        done.mark(1);
        assert_eq!(done.below, 4, "a case below the watermark changes nothing");
    }

    #[test]
    fn the_state_is_written_atomically_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::in_dir(&dir.path().join("campaigns/abc"));
        assert!(file.load().unwrap().is_none());
        let state = CampaignState {
            version: STATE_VERSION,
            spec_sha256: "ab".repeat(32),
            seed: 7,
            case_limit: Some(50),
            done_below: 12,
            done_above: BTreeSet::from([14]),
            cases: 13,
            requests: 90,
            signatures: vec!["bola GET /a/{id} [user,user]".into()],
            ..Default::default()
        };
        file.save(&state).unwrap();
        assert_eq!(file.load().unwrap(), Some(state.clone()));
        assert!(!state.complete(Some(50)) && state.complete(Some(12)) && !state.complete(None));

        std::fs::write(file.path(), "{\"version\": 1,").unwrap();
        let e = file.load().unwrap_err().to_string();
        assert!(
            e.contains("state.json: line 1") && e.contains("--fresh"),
            "{e}"
        );
        let mut future = serde_json::to_value(&state).unwrap();
        future["version"] = 99.into();
        std::fs::write(file.path(), future.to_string()).unwrap();
        let e = file.load().unwrap_err().to_string();
        assert!(e.contains("version 99"), "{e}");
    }
}

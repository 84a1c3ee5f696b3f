//! Black-box coverage feedback: a campaign keeps the cases whose runs reached new behaviour
//! (its *corpus*) and spends a share of its cases extending them instead of drawing fresh
//! sequences only.
//!
//! *Behaviour* is what a black box shows of itself, as *features* of a run:
//!
//! - per step, its operation, its status and the shape of its answer (the type of the JSON
//!   body and, for an object, its top-level keys; for an array, whether it is empty and the
//!   keys of its first item): `op GET /orders/{id} 200 {id,owner,total}`;
//! - a cross-identity access answered 2xx on a kind (an identity reached an object another
//!   identity owns): `cross order read`;
//! - an oracle verdict: `verdict <signature>`.
//!
//! A case whose run shows a feature no earlier case showed enters the corpus. A *feedback
//! case* picks an entry of the corpus and extends its sequence with a few more moves drawn by
//! the same generators ([`SequenceStrategy::new_tree_extended`]): the moves reuse the objects
//! the entry's steps made, so a create that came back 2xx is followed by reads, changes and
//! deletes, by its owner and by others, that a fresh sequence reaches only by chance.
//!
//! Everything stays a function of the seed and the case number:
//!
//! - whether case `n` is a feedback case, and which entry it extends, is drawn from
//!   SHA-256 of `(seed, n)` ([`Feedback::choose`]);
//! - an entry is the list of cases whose runners generate it (a fresh case, then each case
//!   that extended it): the tree of a feedback case is regenerated from that list alone, so
//!   it is shrunk like any other, and a saved finding records the list
//!   ([`Finding::extends`](crate::finding::Finding::extends));
//! - the corpus changes only between *epochs* of [`EPOCH`] cases (counted in the run's own
//!   order, a shard's own cases with `--shard`): the cases of epoch `e` see the corpus built
//!   from the epochs before, in case order, whatever order the workers finished them in. A
//!   feedback case of a new epoch waits until every case of the epochs before has run.
//!
//! The corpus, the features seen and the cases of the epoch in progress are part of the
//! campaign's state (see [`super::resume`]): a resumed run goes on with the same corpus.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use trespass_generators::sequence::{Sequence, SequenceTree};

use super::worker::Shared;
use super::{Campaign, runner_for};
use crate::exec::RunResult;
use crate::oracle::{CheckContext, Violation, cross_identity_access};

#[cfg(doc)]
use trespass_generators::sequence::SequenceStrategy;

/// The share of cases spent on the corpus unless told otherwise (`--feedback`): off, since
/// the feedback benchmark (`benches/feedback.rs`) shows no gain yet over fresh cases on the
/// demos and the stubbed real specs (see the CHANGELOG).
pub const DEFAULT_FEEDBACK: f64 = 0.0;

/// Cases per epoch: the corpus a case extends is the one of the epochs before its own.
pub const EPOCH: u64 = 32;

/// Cases in an entry's list at most: an entry extended this often is not extended further.
const MAX_CHAIN: usize = 4;

/// Top-level keys of an answer kept in its shape at most (a map keyed by ids would otherwise
/// make every answer new).
const MAX_KEYS: usize = 24;

/// One sequence of the corpus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpusEntry {
    /// The cases whose runners generate it: a fresh case first, then each case that extended
    /// it (see [`super::Campaign::tree_for`]).
    pub cases: Vec<u64>,
    /// Features its run showed first.
    pub new: u32,
}

/// A case run in the epoch in progress, with what it showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFeatures {
    /// The cases that generate its sequence (empty: not generated, e.g. the
    /// `user-enumeration` probe).
    pub cases: Vec<u64>,
    /// The features its run showed.
    pub features: Vec<String>,
}

/// The corpus and what the campaign has seen (part of [`super::CampaignState`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackState {
    /// The share of cases that extend the corpus in the campaign (`--feedback`): a run with
    /// another share does not resume this state.
    #[serde(default)]
    pub share: f64,
    /// Epochs closed: the corpus holds what their cases found.
    pub epochs: u64,
    /// Every feature seen in the closed epochs.
    #[serde(default)]
    pub seen: BTreeSet<String>,
    /// The corpus, in the order its entries were found.
    #[serde(default)]
    pub corpus: Vec<CorpusEntry>,
    /// The cases run in epochs not closed yet, by their number in the run's own order.
    #[serde(default)]
    pub pending: BTreeMap<u64, CaseFeatures>,
    /// Feedback cases run (each extended an entry).
    #[serde(default)]
    pub extended: u64,
}

/// The feedback figures of a campaign's report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackSummary {
    /// The share of cases that extend the corpus (`--feedback`; 0: off).
    pub share: f64,
    /// Cases that extended an entry of the corpus.
    pub extended: u64,
    /// Entries in the corpus at the end.
    pub corpus: usize,
    /// Distinct features seen (operation × status × answer shape, cross-identity 2xx, oracle
    /// verdicts) in the closed epochs.
    pub features: usize,
}

/// What a feedback case is made of: `None` for a fresh case.
pub(super) type Extends = Option<Vec<u64>>;

/// The corpus of a running campaign.
#[derive(Debug)]
pub(super) struct Feedback {
    pub(super) share: f64,
    pub(super) state: std::sync::Mutex<FeedbackState>,
}

impl Feedback {
    pub(super) fn new(share: f64) -> Self {
        let share = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Self {
            share,
            state: std::sync::Mutex::new(FeedbackState {
                share,
                ..Default::default()
            }),
        }
    }

    /// The figures of the report.
    pub(super) fn summary(&self) -> FeedbackSummary {
        let state = self.lock();
        FeedbackSummary {
            share: self.share,
            extended: state.extended,
            corpus: state.corpus.len(),
            features: state.seen.len(),
        }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, FeedbackState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether case `case` of seed `seed` is a feedback case, and the number that picks its
    /// entry: both from SHA-256 of the seed and the case, never from timing.
    pub(super) fn choose(&self, seed: u64, case: u64) -> Option<u64> {
        if self.share <= 0.0 {
            return None;
        }
        let mut hasher = Sha256::new();
        hasher.update(b"trespass-feedback");
        hasher.update(seed.to_le_bytes());
        hasher.update(case.to_le_bytes());
        let bytes: [u8; 32] = hasher.finalize().into();
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let roll = (word(0) >> 11) as f64 / (1u64 << 53) as f64;
        (roll < self.share).then(|| word(1))
    }

    /// Whether the corpus the run's `nth` case sees is final (every epoch before its own is
    /// closed).
    pub(super) fn ready_for(&self, nth: u64) -> bool {
        self.lock().epochs >= nth / EPOCH
    }

    /// The entry `pick` chooses in the corpus (weighted by the features each showed first),
    /// `None` when the corpus is empty.
    pub(super) fn entry(&self, pick: u64) -> Option<Vec<u64>> {
        let state = self.lock();
        let weight = |e: &CorpusEntry| 1 + u64::from(e.new.min(8));
        let total: u64 = state.corpus.iter().map(weight).sum();
        if total == 0 {
            return None;
        }
        let mut roll = pick % total;
        for entry in &state.corpus {
            let w = weight(entry);
            if roll < w {
                return Some(entry.cases.clone());
            }
            roll -= w;
        }
        None
    }

    /// Records what the run's `nth` case showed (a case recorded already keeps its first
    /// record unless `replace`), and closes every epoch all of whose cases are recorded, in
    /// order.
    pub(super) fn record(&self, nth: u64, case: CaseFeatures, replace: bool) {
        let mut state = self.lock();
        if nth / EPOCH < state.epochs {
            return;
        }
        let known = state.pending.contains_key(&nth);
        if !known && case.cases.len() > 1 {
            state.extended += 1;
        }
        if replace || !known {
            state.pending.insert(nth, case);
        }
        state.close_epochs();
    }
}

impl FeedbackState {
    /// Closes the epochs in progress whose cases are all recorded: each case, in order, that
    /// showed a feature not seen before enters the corpus.
    fn close_epochs(&mut self) {
        loop {
            let start = self.epochs * EPOCH;
            let end = start + EPOCH;
            if self.pending.range(start..end).count() as u64 != EPOCH {
                return;
            }
            let mut rest = self.pending.split_off(&end);
            std::mem::swap(&mut rest, &mut self.pending);
            for (_, case) in rest {
                let mut new = 0u32;
                for feature in case.features {
                    if self.seen.insert(feature) {
                        new += 1;
                    }
                }
                if new > 0 && !case.cases.is_empty() && case.cases.len() < MAX_CHAIN {
                    self.corpus.push(CorpusEntry {
                        cases: case.cases,
                        new,
                    });
                }
            }
            self.epochs += 1;
        }
    }
}

/// The proptest runner that extends a sequence for feedback case `case` of a run seeded
/// `seed` (see [`super::runner_for`]; another tag, so it draws apart from the case's own).
pub fn extension_runner(seed: u64, case: u64) -> TestRunner {
    runner_tagged(b"trespass-extend", seed, case)
}

pub(super) fn runner_tagged(tag: &[u8], seed: u64, case: u64) -> TestRunner {
    let mut hasher = Sha256::new();
    hasher.update(tag);
    hasher.update(seed.to_le_bytes());
    hasher.update(case.to_le_bytes());
    let bytes: [u8; 32] = hasher.finalize().into();
    TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Why a worker waiting for an epoch to close stopped waiting.
pub(super) struct Stopped;

impl Campaign {
    /// The tree of the sequence that the cases `cases` generate: the first case's sequence
    /// (as [`Campaign::sequence_for`] draws it), extended once by each further case's
    /// [`extension_runner`]. `None` for no case, or when nothing can be generated.
    pub fn tree_for(&self, cases: &[u64]) -> Option<SequenceTree> {
        let seed = self.settings.seed;
        let (first, rest) = cases.split_first()?;
        if rest.is_empty() {
            return self.strategy.new_tree(&mut runner_for(seed, *first)).ok();
        }
        let mut runners = vec![runner_for(seed, *first)];
        runners.extend(rest.iter().map(|&c| extension_runner(seed, c)));
        self.strategy.new_tree_extended(&mut runners).ok()
    }

    /// What case `case` (the run's `nth`) extends, when it is a feedback case and the corpus
    /// has an entry: the entry's cases followed by `case`. Waits for the epochs before the
    /// case's own to close; `Err` when the run stops meanwhile.
    pub(super) async fn extends_for(
        &self,
        nth: u64,
        case: u64,
        shared: &Shared,
    ) -> Result<Extends, Stopped> {
        if self.probe_for(case).is_some() {
            return Ok(None);
        }
        let Some(pick) = shared.feedback.choose(self.settings.seed, case) else {
            return Ok(None);
        };
        while !shared.feedback.ready_for(nth) {
            if shared.stop.load(std::sync::atomic::Ordering::Relaxed)
                || crate::interrupt::stop_requested()
                || shared.budget.expired()
            {
                return Err(Stopped);
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        Ok(shared.feedback.entry(pick).map(|mut cases| {
            cases.push(case);
            cases
        }))
    }

    /// The sequence of case `case`, extending `extends` when it is a feedback case.
    pub(super) fn sequence_of(&self, case: u64, extends: &Extends) -> Option<Sequence> {
        let Some(cases) = extends else {
            return self.sequence_for(case);
        };
        let sequence = self.tree_for(cases)?.current();
        (!sequence.steps.is_empty()).then_some(sequence)
    }

    /// Records what the run's `nth` case (`case`, extending `extends`) showed, when the
    /// campaign keeps a corpus.
    pub(super) fn record_features(
        &self,
        shared: &Shared,
        nth: u64,
        case: u64,
        extends: &Extends,
        result: &RunResult,
        violations: &[Violation],
    ) {
        if shared.feedback.share <= 0.0 {
            return;
        }
        let cx = self.check_context(result);
        let cases = match extends {
            Some(cases) => cases.clone(),
            None if self.probe_for(case).is_some() => Vec::new(),
            None => vec![case],
        };
        let features = features(&cx, result, violations);
        shared
            .feedback
            .record(nth, CaseFeatures { cases, features }, true);
    }
}

/// The features of one run (see the module documentation), sorted and without repeats.
pub(super) fn features(
    cx: &CheckContext<'_>,
    result: &RunResult,
    violations: &[Violation],
) -> Vec<String> {
    let mut out = BTreeSet::new();
    for step in &result.trace.steps {
        let status = step
            .status()
            .map_or_else(|| "none".to_string(), |s| s.to_string());
        out.insert(format!(
            "op {} {status} {}",
            step.op,
            shape(step.response_json())
        ));
        if step.succeeded()
            && let Some((kind, role)) = cross_identity_access(cx, step)
        {
            out.insert(format!("cross {kind} {role:?}"));
        }
    }
    for violation in violations {
        out.insert(format!("verdict {}", violation.signature()));
    }
    out.into_iter().collect()
}

/// The shape of an answer: its JSON type, an object's top-level keys, an array's emptiness
/// and its first item's shape (one level down).
fn shape(body: Option<&Value>) -> String {
    fn keys(map: &serde_json::Map<String, Value>) -> String {
        if map.len() > MAX_KEYS {
            return "{many}".to_string();
        }
        let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
        keys.sort_unstable();
        format!("{{{}}}", keys.join(","))
    }
    match body {
        None => "-".to_string(),
        Some(Value::Object(map)) => keys(map),
        Some(Value::Array(items)) => match items.first() {
            None => "[]".to_string(),
            Some(Value::Object(map)) => format!("[{}]", keys(map)),
            Some(other) => format!("[{}]", type_name(other)),
        },
        Some(other) => type_name(other).to_string(),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(cases: &[u64], features: &[&str]) -> CaseFeatures {
        CaseFeatures {
            cases: cases.to_vec(),
            features: features.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn an_epoch_closes_when_all_its_cases_are_in_whatever_their_order() {
        let in_order = Feedback::new(0.5);
        let reversed = Feedback::new(0.5);
        for nth in 0..EPOCH {
            let f = format!("op GET /a {}", nth % 3);
            in_order.record(nth, case(&[nth], &[&f]), false);
        }
        for nth in (0..EPOCH).rev() {
            let f = format!("op GET /a {}", nth % 3);
            if nth == 0 {
                assert!(!reversed.ready_for(EPOCH), "epoch 0 is still open");
            }
            reversed.record(nth, case(&[nth], &[&f]), false);
        }
        let (a, b) = (in_order.lock().clone(), reversed.lock().clone());
        assert_eq!(
            a, b,
            "the corpus does not depend on the order cases finished in"
        );
        assert_eq!(a.epochs, 1);
        assert!(a.pending.is_empty());
        assert_eq!(
            a.corpus.iter().map(|e| e.cases.clone()).collect::<Vec<_>>(),
            [vec![0], vec![1], vec![2]],
            "the first case to show each feature"
        );
        assert!(in_order.ready_for(EPOCH) && !in_order.ready_for(2 * EPOCH));
    }

    #[test]
    fn long_chains_and_the_probe_stay_out_of_the_corpus_but_their_features_count() {
        let feedback = Feedback::new(1.0);
        feedback.record(0, case(&[], &["op POST /login 200 -"]), false);
        feedback.record(1, case(&[1, 5, 9, 13], &["op GET /b 200 -"]), false);
        feedback.record(2, case(&[2, 7], &["op GET /c 404 -"]), false);
        feedback.record(2, case(&[2], &["op GET /d 404 -"]), false);
        for nth in 3..EPOCH {
            feedback.record(nth, case(&[nth], &["op GET /b 200 -"]), false);
        }
        let state = feedback.lock().clone();
        assert_eq!(state.seen.len(), 3, "{:?}", state.seen);
        assert_eq!(state.corpus.len(), 1, "{:?}", state.corpus);
        assert_eq!(state.corpus[0].cases, [2, 7], "the first record stands");
        assert_eq!(feedback.entry(12345), Some(vec![2, 7]));
        assert_eq!(Feedback::new(1.0).entry(3), None, "an empty corpus");
    }

    #[test]
    fn the_choice_of_a_case_is_a_function_of_seed_and_case() {
        let feedback = Feedback::new(0.4);
        let picks: Vec<Option<u64>> = (0..1000).map(|c| feedback.choose(7, c)).collect();
        let again: Vec<Option<u64>> = (0..1000).map(|c| feedback.choose(7, c)).collect();
        assert_eq!(picks, again);
        let share = picks.iter().filter(|p| p.is_some()).count();
        assert!((330..470).contains(&share), "about 40 %: {share}");
        assert_ne!(
            picks,
            (0..1000).map(|c| feedback.choose(8, c)).collect::<Vec<_>>()
        );
        assert!((0..100).all(|c| Feedback::new(0.0).choose(7, c).is_none()));
        assert!((0..100).all(|c| Feedback::new(f64::NAN).choose(7, c).is_none()));
    }

    #[test]
    fn shapes_name_types_and_top_level_keys() {
        let shape_of = |v: Value| shape(Some(&v));
        assert_eq!(shape_of(serde_json::json!({"b": 1, "a": [2]})), "{a,b}");
        assert_eq!(shape_of(serde_json::json!([{"id": 1}])), "[{id}]");
        assert_eq!(shape_of(serde_json::json!([])), "[]");
        assert_eq!(shape_of(serde_json::json!(["x"])), "[string]");
        assert_eq!(shape_of(serde_json::json!("x")), "string");
        assert_eq!(shape(None), "-");
        let many: serde_json::Map<String, Value> =
            (0..30).map(|i| (i.to_string(), Value::Null)).collect();
        assert_eq!(shape_of(Value::Object(many)), "{many}");
    }
}

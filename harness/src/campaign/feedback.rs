//! Black-box coverage feedback: the campaign counts what its cases reached, and spends a
//! share of its cases going where fresh cases rarely go.
//!
//! What the campaign counts, per epoch of cases:
//!
//! - the requests sent to each operation (prerequisites included), and the feedback cases
//!   focused on it;
//! - the *features* of each run, what a black box shows of itself: per step, its operation,
//!   its status and the shape of its answer (the type of the JSON body and, for an object,
//!   its top-level keys; for an array, whether it is empty and the keys of its first item),
//!   `op GET /orders/{id} 200 {id,owner,total}`; a cross-identity access answered 2xx on a
//!   kind (`cross order read`); an oracle verdict (`verdict <signature>`). The distinct
//!   features are the campaign's behavioural coverage, in its report.
//!
//! A *feedback case* runs its own fresh sequence, then a *focused extension*
//! ([`SequenceStrategy::new_tree_focused`]): more moves of the same patterns (cross-identity,
//! no credentials, admin by non-admin, delete then use, negative bodies, ...) that all aim
//! at one operation, drawn the more likely the fewer requests the campaign has sent it
//! ([`Feedback::focus`]). Fresh sequences spend most of their steps on the operations that
//! make objects and accounts; an admin function, a nested child or an action whose
//! prerequisites are long is reached a few times in hundreds of cases, and the findings on
//! it come late. A feedback case keeps everything its fresh sequence would have found, since
//! that sequence runs first, unchanged.
//!
//! Extending the sequences that showed new features instead (a corpus of them, as
//! grey-box fuzzers keep) was measured and found fewer findings than fresh cases in the same
//! budget: replaying an old sequence spends a case on behaviour already seen.
//!
//! Everything stays a function of the seed and the case number:
//!
//! - whether case `n` is a feedback case, and the number that picks its focus, are drawn
//!   from SHA-256 of `(seed, n)` ([`Feedback::choose`]);
//! - the counts change only between *epochs* of [`EPOCH`] cases (counted in the run's own
//!   order, a shard's own cases with `--shard`), in case order, whatever order the workers
//!   finished them in; a case of epoch `e` is focused by the counts of the epochs before
//!   `e - 1`, so that it waits only for a case of two epochs back, which has almost always
//!   finished;
//! - a saved finding records its case's focus ([`Finding::focus`](crate::finding::Finding::focus)),
//!   from which its sequence is regenerated and shrunk like any other.
//!
//! The counts, the features seen and the cases of the epochs in progress are part of the
//! campaign's state (see [`super::resume`]): a resumed run goes on with them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{Extension, Sequence, SequenceTree};

use super::worker::Shared;
use super::{Campaign, runner_for};
use crate::exec::RunResult;
use crate::oracle::{CheckContext, Violation, cross_identity_access};

#[cfg(doc)]
use trespass_generators::sequence::SequenceStrategy;

/// The share of cases that are feedback cases unless told otherwise (`--feedback`); see
/// `benches/feedback.rs` for what it gains.
pub const DEFAULT_FEEDBACK: f64 = 0.4;

/// Cases per epoch: the counts that focus a case are those of the epochs before the one
/// before its own.
pub const EPOCH: u64 = 32;

/// What a feedback case focused on an operation counts for in the operation's rarity, in
/// requests (see [`Feedback::focus`]): an operation a focus cannot reach (its prerequisites
/// always fail) loses its weight to the cases spent trying.
const FOCUS_COST: u64 = 4;

/// Top-level keys of an answer kept in its shape at most (a map keyed by ids would otherwise
/// make every answer new).
const MAX_KEYS: usize = 24;

/// A case run in an epoch in progress, with what it showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFeatures {
    /// The features its run showed.
    pub features: Vec<String>,
    /// Requests its run sent, by operation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sent: BTreeMap<OperationId, u64>,
    /// The operation its extension was focused on, for a feedback case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<OperationId>,
}

/// Per operation, what the closed epochs of a campaign did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationCounts {
    /// Requests sent.
    #[serde(default)]
    pub sent: BTreeMap<OperationId, u64>,
    /// Feedback cases focused on it.
    #[serde(default)]
    pub focused: BTreeMap<OperationId, u64>,
}

/// What the coverage feedback of a campaign has counted (part of [`super::CampaignState`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackState {
    /// The share of feedback cases in the campaign (`--feedback`): a run with another share
    /// does not resume this state.
    #[serde(default)]
    pub share: f64,
    /// Epochs closed: the counts hold what their cases did.
    pub epochs: u64,
    /// Every feature seen in the closed epochs.
    #[serde(default)]
    pub seen: BTreeSet<String>,
    /// The counts of the closed epochs.
    #[serde(default)]
    pub counts: OperationCounts,
    /// The counts of the closed epochs but the last.
    #[serde(default)]
    pub before_last: OperationCounts,
    /// The cases run in epochs not closed yet, by their number in the run's own order.
    #[serde(default)]
    pub pending: BTreeMap<u64, CaseFeatures>,
    /// Feedback cases run.
    #[serde(default)]
    pub focused: u64,
}

/// The feedback figures of a campaign's report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackSummary {
    /// The share of feedback cases (`--feedback`; 0: off).
    pub share: f64,
    /// Feedback cases run (each extended its sequence with moves focused on one operation).
    pub focused: u64,
    /// Distinct features seen (operation × status × answer shape, cross-identity 2xx, oracle
    /// verdicts) in the closed epochs.
    pub features: usize,
}

/// What a case focuses its extension on: `None` for a fresh case.
pub(super) type Focus = Option<OperationId>;

/// The coverage feedback of a running campaign.
#[derive(Debug)]
pub(super) struct Feedback {
    pub(super) share: f64,
    pub(super) state: std::sync::Mutex<FeedbackState>,
    /// The operations a focus may name ([`SequenceStrategy::aimed_operations`]), listed once.
    aimed: std::sync::OnceLock<Vec<OperationId>>,
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
            aimed: std::sync::OnceLock::new(),
        }
    }

    /// The figures of the report.
    pub(super) fn summary(&self) -> FeedbackSummary {
        let state = self.lock();
        FeedbackSummary {
            share: self.share,
            focused: state.focused,
            features: state.seen.len(),
        }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, FeedbackState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether case `case` of seed `seed` is a feedback case, and then the number that picks
    /// its focus: both from SHA-256 of the seed and the case, never from timing.
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

    /// The epochs that must be closed before the run's `nth` case is focused: all but the
    /// one before its own.
    fn needed(nth: u64) -> u64 {
        (nth / EPOCH).saturating_sub(1)
    }

    /// Whether the counts that focus the run's `nth` case are final.
    pub(super) fn ready_for(&self, nth: u64) -> bool {
        self.lock().epochs >= Self::needed(nth)
    }

    /// The operation `pick` chooses among `aimed` for the run's `nth` case (once
    /// [`Feedback::ready_for`] it), the more likely the fewer requests the epochs before the
    /// one before its own sent it and the fewer feedback cases focused on it. `None` when
    /// nothing is aimed at.
    pub(super) fn focus(&self, nth: u64, pick: u64, aimed: &[OperationId]) -> Focus {
        let state = self.lock();
        let needed = Self::needed(nth);
        // The epoch before the case's own may have closed meanwhile, or not: the counts are
        // those of exactly `needed` epochs either way.
        let counts = if state.epochs > needed {
            &state.before_last
        } else {
            &state.counts
        };
        let weight = |op: &OperationId| {
            let sent = counts.sent.get(op).copied().unwrap_or(0);
            let focused = counts.focused.get(op).copied().unwrap_or(0);
            (1u64 << 40) / (1 + sent + FOCUS_COST * focused)
        };
        let total: u64 = aimed.iter().map(weight).sum();
        if total == 0 {
            return None;
        }
        let mut roll = pick % total;
        for op in aimed {
            let w = weight(op);
            if roll < w {
                return Some(op.clone());
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
        if !known && case.focus.is_some() {
            state.focused += 1;
        }
        if replace || !known {
            state.pending.insert(nth, case);
        }
        state.close_epochs();
    }
}

impl FeedbackState {
    /// Closes the epochs in progress whose cases are all recorded, adding what their cases
    /// did to the counts, in case order.
    fn close_epochs(&mut self) {
        loop {
            let start = self.epochs * EPOCH;
            let end = start + EPOCH;
            if self.pending.range(start..end).count() as u64 != EPOCH {
                return;
            }
            let mut rest = self.pending.split_off(&end);
            std::mem::swap(&mut rest, &mut self.pending);
            self.before_last = self.counts.clone();
            for (_, case) in rest {
                for (op, n) in case.sent {
                    *self.counts.sent.entry(op).or_default() += n;
                }
                if let Some(focus) = case.focus {
                    *self.counts.focused.entry(focus).or_default() += 1;
                }
                self.seen.extend(case.features);
            }
            self.epochs += 1;
        }
    }
}

/// The proptest runner that extends the sequence of feedback case `case` of a run seeded
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
    /// The tree of case `case`: its sequence as [`Campaign::sequence_for`] draws it and, for
    /// a feedback case focused on `focus`, extended by moves aimed at that operation (drawn
    /// by [`extension_runner`]). `None` when nothing can be generated.
    pub fn tree_for(&self, case: u64, focus: Option<&OperationId>) -> Option<SequenceTree> {
        let seed = self.settings.seed;
        let mut runner = runner_for(seed, case);
        let Some(focus) = focus else {
            return self.strategy.new_tree(&mut runner).ok();
        };
        let mut extension = extension_runner(seed, case);
        let focus = [focus.clone()];
        let mut extensions = [Extension {
            runner: &mut extension,
            focus: &focus,
        }];
        self.strategy
            .new_tree_focused(&mut runner, &mut extensions)
            .ok()
    }

    /// What case `case` (the run's `nth`) focuses on, when it is a feedback case. Waits for
    /// the epochs its focus is drawn from to close; `Err` when the run stops meanwhile.
    pub(super) async fn focus_for(
        &self,
        nth: u64,
        case: u64,
        shared: &Shared,
    ) -> Result<Focus, Stopped> {
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
        let aimed = shared
            .feedback
            .aimed
            .get_or_init(|| self.strategy.aimed_operations());
        Ok(shared.feedback.focus(nth, pick, aimed))
    }

    /// The sequence of case `case`, extended toward `focus` for a feedback case.
    pub(super) fn sequence_of(&self, case: u64, focus: &Focus) -> Option<Sequence> {
        let Some(focus) = focus else {
            return self.sequence_for(case);
        };
        let sequence = self.tree_for(case, Some(focus))?.current();
        (!sequence.steps.is_empty()).then_some(sequence)
    }

    /// Records what the run's `nth` case (focused on `focus`) did, when the campaign has
    /// feedback on.
    pub(super) fn record_features(
        &self,
        shared: &Shared,
        nth: u64,
        focus: &Focus,
        result: &RunResult,
        violations: &[Violation],
    ) {
        if shared.feedback.share <= 0.0 {
            return;
        }
        let cx = self.check_context(result);
        let mut sent = BTreeMap::new();
        for step in &result.trace.steps {
            *sent.entry(step.op.clone()).or_default() += 1;
        }
        let case = CaseFeatures {
            features: features(&cx, result, violations),
            sent,
            focus: focus.clone(),
        };
        shared.feedback.record(nth, case, true);
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

    fn op(text: &str) -> OperationId {
        OperationId::parse(text).unwrap()
    }

    fn case(sent: &[(&str, u64)], features: &[&str], focus: Option<&str>) -> CaseFeatures {
        CaseFeatures {
            features: features.iter().map(|f| f.to_string()).collect(),
            sent: sent.iter().map(|(o, n)| (op(o), *n)).collect(),
            focus: focus.map(op),
        }
    }

    #[test]
    fn an_epoch_closes_when_all_its_cases_are_in_whatever_their_order() {
        let in_order = Feedback::new(0.5);
        let reversed = Feedback::new(0.5);
        let of = |nth: u64| {
            let f = format!("op GET /a {}", nth % 3);
            case(
                &[("GET /a", 1 + nth % 2)],
                &[&f],
                nth.is_multiple_of(5).then_some("GET /b"),
            )
        };
        for nth in 0..EPOCH {
            in_order.record(nth, of(nth), false);
        }
        for nth in (0..EPOCH).rev() {
            if nth == 0 {
                assert!(!reversed.ready_for(2 * EPOCH), "epoch 0 is still open");
            }
            reversed.record(nth, of(nth), false);
        }
        let (a, b) = (in_order.lock().clone(), reversed.lock().clone());
        assert_eq!(
            a, b,
            "the counts do not depend on the order cases finished in"
        );
        assert_eq!(a.epochs, 1);
        assert!(a.pending.is_empty());
        assert_eq!(a.seen.len(), 3);
        assert_eq!(
            a.counts.sent[&op("GET /a")],
            48,
            "16 cases sent 1, 16 sent 2"
        );
        assert_eq!(a.counts.focused[&op("GET /b")], 7);
        assert_eq!(a.focused, 7);
        assert_eq!(a.before_last, OperationCounts::default());
        assert!(in_order.ready_for(2 * EPOCH) && !in_order.ready_for(3 * EPOCH));
    }

    #[test]
    fn the_focus_goes_to_rare_operations_and_leaves_those_it_cannot_reach() {
        let aimed = [op("GET /common"), op("GET /rare"), op("POST /unreachable")];
        let feedback = Feedback::new(1.0);
        let share = |feedback: &Feedback, nth: u64, name: &str| {
            let picks = (0..2000u64)
                .map(|p| p.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .filter(|&p| feedback.focus(nth, p, &aimed) == Some(op(name)))
                .count();
            picks as f64 / 2000.0
        };
        // No counts yet: every operation alike.
        assert!((0.25..0.42).contains(&share(&feedback, 0, "GET /rare")));
        // Epoch 0: the common operation 40 times a case, the rare one in 4 cases, and 16
        // cases focused on one whose prerequisites never hold (nothing sent).
        for nth in 0..EPOCH {
            let focus = (4..20).contains(&nth).then_some("POST /unreachable");
            let rare = u64::from(nth < 4);
            feedback.record(
                nth,
                case(&[("GET /common", 40), ("GET /rare", rare)], &[], focus),
                false,
            );
        }
        // Epoch 1's cases are still focused by no epoch; epoch 2's by epoch 0.
        assert!((0.25..0.42).contains(&share(&feedback, EPOCH, "GET /rare")));
        let rare = share(&feedback, 2 * EPOCH, "GET /rare");
        let common = share(&feedback, 2 * EPOCH, "GET /common");
        let unreachable = share(&feedback, 2 * EPOCH, "POST /unreachable");
        assert!(rare > 0.85, "{rare}");
        assert!(common < 0.01 && unreachable < 0.1, "{common} {unreachable}");
        // Once epoch 1 closes too, a case of epoch 2 still sees epoch 0's counts alone.
        for nth in EPOCH..2 * EPOCH {
            feedback.record(nth, case(&[("GET /rare", 100)], &[], None), false);
        }
        assert_eq!(share(&feedback, 2 * EPOCH, "GET /rare"), rare);
        assert!(share(&feedback, 3 * EPOCH, "GET /rare") < 0.05);
        assert_eq!(
            Feedback::new(1.0).focus(0, 7, &[]),
            None,
            "nothing aimed at"
        );
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

//! Shrinking a finding against the live target.
//!
//! [`shrink`] drives the sequence's [`SequenceTree`] (whose order is: cut the steps after the
//! violation, delete steps, simplify values, merge identities; see
//! [`trespass_generators::sequence`]) with proptest's protocol: every candidate is replayed on
//! the target through a [`Probe`] (which resets the target first when a reset is configured),
//! and kept only when the *same violation signature* fires again. When no candidate is left,
//! or the budget runs out, the smallest failing sequence is replayed
//! [`ShrinkBudget::confirmations`] more times; a finding that does not reproduce every time is
//! flaky.
//!
//! Each candidate costs a whole sequence of requests, so the shrinker never replays a candidate
//! it has already judged: the failing sequence the tree hands back after an undo is known to
//! fail, and a sequence seen before gets its earlier answer.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use proptest::strategy::ValueTree;
use serde::{Deserialize, Serialize};
use trespass_generators::sequence::{IdentityId, IdentitySpec, Sequence, SequenceTree};

use crate::exec::{Purpose, RunResult, StepIndex};
use crate::oracle::Violation;

/// How much shrinking one finding may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShrinkBudget {
    /// Wall-clock time for the candidates (`TRESPASS_MAX_SHRINK_TIME`, default 60 s). The
    /// final confirmations run even when it is spent.
    pub max_time: Duration,
    /// Candidate replays at most.
    pub max_replays: u32,
    /// Replays of the minimized sequence that must all show the violation
    /// (`TRESPASS_CONFIRMATIONS`, default 3).
    pub confirmations: u32,
    /// The run's deadline: no candidate and no confirmation starts after it. `None` (the
    /// default): only `max_time` and `max_replays` bound shrinking.
    pub deadline: Option<Instant>,
}

impl Default for ShrinkBudget {
    fn default() -> Self {
        Self {
            max_time: Duration::from_secs(60),
            max_replays: 2_000,
            confirmations: 3,
            deadline: None,
        }
    }
}

/// Replays a sequence on the target and says whether the violation being shrunk fires again.
pub trait Probe {
    /// Runs `sequence` (after a reset, when the target has one) and returns the violation with
    /// the signature being shrunk, with the run that showed it, or `None`.
    fn replay(&mut self, sequence: &Sequence) -> impl Future<Output = Option<Reproduction>>;

    /// Offers `tree` values to try in place of its references before shrinking starts
    /// ([`SequenceTree::suggest`]), e.g. ids of the target's seeded objects
    /// ([`crate::seeded::SeededObjects`]). The default offers none.
    fn offer(&mut self, tree: &mut SequenceTree) -> impl Future<Output = ()> {
        let _ = tree;
        std::future::ready(())
    }

    /// The identities the probe can act as, in the identities file's order: shrinking's last
    /// candidate renames the sequence's identities to the first ones of each role
    /// ([`canonical`]), so the same bug found by alice or by bob gives one reproducer. The
    /// default knows none (no renaming).
    fn cast(&self) -> Vec<IdentitySpec> {
        Vec::new()
    }
}

/// `sequence` with its identities renamed to the first identities of their roles in `cast`,
/// in order of first appearance (the first user to act becomes the file's first user, the
/// second user its second, ...), or `None` when that changes nothing or an identity is not in
/// `cast`. Distinct identities stay distinct.
pub fn canonical(sequence: &Sequence, cast: &[IdentitySpec]) -> Option<Sequence> {
    let mut renames: Vec<(IdentityId, IdentityId)> = Vec::new();
    for id in sequence.identities() {
        let role = cast.iter().find(|c| &c.id == id)?.role;
        let to = cast
            .iter()
            .find(|c| c.role == role && !renames.iter().any(|(_, taken)| *taken == c.id))?;
        renames.push((id.clone(), to.id.clone()));
    }
    if renames.iter().all(|(from, to)| from == to) {
        return None;
    }
    let mut out = sequence.clone();
    for step in &mut out.steps {
        if let Some((_, to)) = renames.iter().find(|(from, _)| *from == step.identity) {
            step.identity = to.clone();
        }
    }
    Some(out)
}

/// What shrinking did to one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShrinkStats {
    /// Steps of the sequence as generated.
    pub steps_before: usize,
    /// Steps of the minimized sequence.
    pub steps_after: usize,
    /// Identities acting in the sequence as generated.
    pub identities_before: usize,
    /// Identities acting in the minimized sequence.
    pub identities_after: usize,
    /// Candidate sequences replayed on the target.
    pub replays: u32,
    /// Wall-clock time spent, confirmations included.
    pub elapsed_ms: u64,
    /// Why shrinking stopped before it ran out of candidates (`time budget of 60s`), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Final confirmation runs of the minimized sequence (fewer than asked when the run's
    /// deadline came first).
    pub confirmations: u32,
    /// Of `confirmations`, the runs that showed the violation again.
    pub reproduced: u32,
}

/// The violation being shrunk, seen again, and the run that showed it.
#[derive(Debug, Clone)]
pub struct Reproduction {
    /// The violation (same signature as the one shrunk).
    pub violation: Violation,
    /// The run.
    pub run: RunResult,
}

/// The result of [`shrink`].
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest sequence that showed the violation.
    pub sequence: Sequence,
    /// The last run of `sequence` that showed it (a confirmation when one reproduced).
    pub reproduction: Option<Reproduction>,
    /// What it cost.
    pub stats: ShrinkStats,
}

impl Shrunk {
    /// Whether every confirmation run showed the violation again.
    pub fn reproduced_every_time(&self) -> bool {
        self.stats.reproduced == self.stats.confirmations
    }
}

/// Shrinks the sequence of `tree` (as generated, failing) while `probe` says the violation
/// holds. `violating_step` is the index, in the sequence, of the step the violation was seen
/// on: every later step is cut first (`None`: the violation is on no sequence step, nothing is
/// cut). `first_run` is the run that showed the violation, when
/// the caller has it: the values its references took are the first candidates for inlining.
pub async fn shrink<P: Probe>(
    mut tree: SequenceTree,
    violating_step: Option<StepIndex>,
    first_run: Option<&RunResult>,
    budget: ShrinkBudget,
    probe: &mut P,
) -> Shrunk {
    let started = Instant::now();
    if let Some(run) = first_run {
        observe(&mut tree, run);
    }
    probe.offer(&mut tree).await;
    let original = tree.current();
    let mut best = original.clone();
    let mut reproduction: Option<Reproduction> = None;
    let mut runs = Runs {
        probe,
        judged: HashMap::from([(key(&best), true)]),
        replays: 0,
        started,
        budget,
        stopped: None,
    };

    // Cutting the steps after the violation is a candidate like any other: kept if it holds.
    let mut cut = tree.clone();
    if let Some(step) = violating_step {
        cut.truncate_after(step.0);
    }
    let past_deadline = || {
        budget.deadline.is_some_and(|d| Instant::now() >= d) || crate::interrupt::stop_requested()
    };
    if cut.len() < tree.len() && !past_deadline() {
        let candidate = cut.current();
        if let (true, found) = runs.judge(&candidate).await {
            tree = cut;
            if let Some(found) = &found {
                observe(&mut tree, &found.run);
            }
            best = candidate;
            reproduction = found;
        }
    }

    // Two orders of the tree's passes from the same start (see `SequenceTree::merge_last`);
    // the second replays only what the first did not already judge.
    let mut merge_last = tree.clone();
    merge_last.merge_last();
    let first = runs
        .minimize(tree, best.clone(), reproduction.clone())
        .await;
    let second = runs.minimize(merge_last, best, reproduction).await;
    let size = |s: &Sequence| (s.steps.len(), s.identities().len());
    let (mut best, mut reproduction) = if size(&second.0) < size(&first.0) {
        second
    } else {
        first
    };
    // The same bug, whichever identities of a role found it: one reproducer.
    let cast = runs.probe.cast();
    if let Some(candidate) = canonical(&best, &cast)
        && !past_deadline()
        && let (true, found) = runs.judge(&candidate).await
    {
        best = candidate;
        if found.is_some() {
            reproduction = found;
        }
    }
    let Runs {
        probe,
        replays,
        stopped,
        ..
    } = runs;

    let mut reproduced = 0;
    let mut confirmations = 0;
    for _ in 0..budget.confirmations {
        if past_deadline() {
            break;
        }
        confirmations += 1;
        if let Some(found) = probe.replay(&best).await {
            reproduced += 1;
            reproduction = Some(found);
        }
    }
    let identities = |s: &Sequence| s.identities().len();
    Shrunk {
        stats: ShrinkStats {
            steps_before: original.steps.len(),
            steps_after: best.steps.len(),
            identities_before: identities(&original),
            identities_after: identities(&best),
            replays,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            stopped,
            confirmations,
            reproduced,
        },
        sequence: best,
        reproduction,
    }
}

/// The key of a judged candidate.
fn key(s: &Sequence) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Candidate replays through one probe, with what they cost so far and their answers.
struct Runs<'p, P: Probe> {
    probe: &'p mut P,
    /// Answers by candidate ([`key`]): a candidate judged once is never replayed.
    judged: HashMap<String, bool>,
    replays: u32,
    started: Instant,
    budget: ShrinkBudget,
    /// Why shrinking stopped early, when it did.
    stopped: Option<String>,
}

impl<P: Probe> Runs<'_, P> {
    /// Whether `candidate` shows the violation: the earlier answer when it was judged before,
    /// else a replay (counted and remembered), with its run when it showed it.
    async fn judge(&mut self, candidate: &Sequence) -> (bool, Option<Reproduction>) {
        if let Some(&known) = self.judged.get(&key(candidate)) {
            return (known, None);
        }
        self.replays += 1;
        let found = self.probe.replay(candidate).await;
        self.judged.insert(key(candidate), found.is_some());
        (found.is_some(), found)
    }

    /// Drives `tree` (whose current sequence is `best`, failing, with `reproduction`) with
    /// proptest's protocol until it has no candidate left or the budget is spent; returns the
    /// smallest failing sequence and the last run that showed it.
    async fn minimize(
        &mut self,
        mut tree: SequenceTree,
        mut best: Sequence,
        mut reproduction: Option<Reproduction>,
    ) -> (Sequence, Option<Reproduction>) {
        if !tree.simplify() {
            return (best, reproduction);
        }
        loop {
            if self.budget.deadline.is_some_and(|d| Instant::now() >= d) {
                self.stopped = Some("the run's deadline passed".into());
                break;
            }
            if crate::interrupt::stop_requested() {
                self.stopped = Some("the run was interrupted".into());
                break;
            }
            if self.started.elapsed() >= self.budget.max_time {
                self.stopped = Some(format!("time budget of {:?} spent", self.budget.max_time));
                break;
            }
            if self.replays >= self.budget.max_replays {
                self.stopped = Some(format!(
                    "replay budget of {} spent",
                    self.budget.max_replays
                ));
                break;
            }
            let candidate = tree.current();
            let (holds, found) = self.judge(&candidate).await;
            if let Some(found) = found {
                observe(&mut tree, &found.run);
                reproduction = Some(found);
            }
            if holds {
                best = candidate;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
        (best, reproduction)
    }
}

/// Tells the tree what the references of the sequence it just offered resolved to.
fn observe(tree: &mut SequenceTree, run: &RunResult) {
    for step in &run.trace.steps {
        if let Purpose::Sequence { step: index } = step.purpose {
            tree.observe(
                index.0,
                &step.path_params,
                &step.exchange.request.query,
                step.body.as_ref(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    //! The shrinker over a fake target: a probe that "fails" when a predicate over the sequence
    //! holds, so every answer is known.

    use proptest::strategy::Strategy;
    use trespass_generators::sequence::{IdentitySpec, Role, SequenceStrategy};

    use super::*;
    use crate::exec::{Trace, TraceIndex};

    struct Fake<F: Fn(&Sequence) -> bool> {
        fails: F,
        calls: u32,
        flaky_every: Option<u32>,
    }

    impl<F: Fn(&Sequence) -> bool> Probe for Fake<F> {
        async fn replay(&mut self, sequence: &Sequence) -> Option<Reproduction> {
            self.calls += 1;
            if self
                .flaky_every
                .is_some_and(|n| self.calls.is_multiple_of(n))
            {
                return None;
            }
            (self.fails)(sequence).then(|| Reproduction {
                violation: Violation {
                    oracle: "bola".into(),
                    operation: sequence.steps.last().expect("a step").op.clone(),
                    roles: vec![Role::User, Role::User],
                    step: TraceIndex(0),
                    message: String::new(),
                    rule: String::new(),
                    cause: None,
                },
                run: RunResult {
                    trace: Trace::default(),
                    ownership: crate::exec::Ownership::new(std::iter::empty()),
                },
            })
        }
    }

    fn notes_tree(case: u64) -> SequenceTree {
        static MODEL: std::sync::OnceLock<trespass_generators::model::ApiModel> =
            std::sync::OnceLock::new();
        let model = MODEL.get_or_init(|| {
            trespass_generators::load_str(
                trespass_targets::Service::Notes.spec_yaml(),
                "notes.yaml",
            )
            .expect("notes loads")
        });
        let cast = vec![
            IdentitySpec::new("alice", Role::User),
            IdentitySpec::new("bob", Role::User),
            IdentitySpec::new("admin", Role::Admin),
        ];
        let strategy = SequenceStrategy::new(model, &cast);
        let mut runner = crate::campaign::runner_for(1, case);
        strategy.new_tree(&mut runner).expect("a tree")
    }

    /// A generated sequence of at least four steps, by two identities or more, with no
    /// reference between its steps (so that any two of its steps make a valid sequence).
    /// Searched once for the three tests.
    fn failing_case() -> (SequenceTree, Sequence) {
        static CASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let case = *CASE.get_or_init(|| {
            (0..5000)
                .find(|&case| {
                    let s = notes_tree(case).current();
                    s.steps.len() >= 4
                        && fails(&s)
                        && s.steps.iter().all(|st| st.args.refs().next().is_none())
                })
                .expect("some case fails")
        });
        let tree = notes_tree(case);
        let sequence = tree.current();
        (tree, sequence)
    }

    /// "Fails" when two different identities act and the last step is a read.
    fn fails(s: &Sequence) -> bool {
        s.identities().len() >= 2 && s.steps.last().is_some_and(|l| l.op.method() == "GET")
    }

    fn run<F: Fn(&Sequence) -> bool>(
        tree: SequenceTree,
        budget: ShrinkBudget,
        probe: &mut Fake<F>,
    ) -> Shrunk {
        let step = Some(StepIndex(tree.len() - 1));
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(shrink(tree, step, None, budget, probe))
    }

    #[test]
    fn canonical_names_are_the_first_of_each_role_in_file_order() {
        use trespass_generators::sequence::Role;
        let cast = [
            IdentitySpec::new("alice", Role::User),
            IdentitySpec::new("bob", Role::User),
            IdentitySpec::new("carol", Role::User),
            IdentitySpec::new("root", Role::Admin),
        ];
        let (_, sequence) = failing_case();
        let mut seq = sequence.clone();
        let names = ["carol", "root", "bob", "carol"];
        for (i, step) in seq.steps.iter_mut().enumerate() {
            step.identity = IdentityId::new(names[i % names.len()]);
        }
        let renamed = canonical(&seq, &cast).expect("carol and bob are not the first users");
        let got: Vec<&str> = renamed.steps.iter().map(|s| s.identity.as_str()).collect();
        let want: Vec<&str> = (0..seq.steps.len())
            .map(|i| ["alice", "root", "bob", "alice"][i % 4])
            .collect();
        assert_eq!(got, want);
        // Already canonical, or someone the cast does not know: nothing to try.
        assert_eq!(canonical(&renamed, &cast), None);
        let mut stranger = renamed.clone();
        stranger.steps[0].identity = IdentityId::new("mallory");
        assert_eq!(canonical(&stranger, &cast), None);
    }

    #[test]
    fn shrinks_to_two_steps_and_two_identities_and_confirms() {
        let (tree, original) = failing_case();
        let mut probe = Fake {
            fails,
            calls: 0,
            flaky_every: None,
        };
        let shrunk = run(tree, ShrinkBudget::default(), &mut probe);
        assert!(fails(&shrunk.sequence), "the result still fails");
        assert_eq!(shrunk.sequence.steps.len(), 2, "{:#?}", shrunk.sequence);
        assert_eq!(shrunk.stats.identities_after, 2);
        assert_eq!(shrunk.stats.steps_before, original.steps.len());
        assert_eq!(
            (shrunk.stats.confirmations, shrunk.stats.reproduced),
            (3, 3)
        );
        assert!(shrunk.reproduced_every_time());
        assert!(shrunk.reproduction.is_some());
        assert!(shrunk.stats.stopped.is_none());
        assert_eq!(
            probe.calls,
            shrunk.stats.replays + 3,
            "every candidate replay is counted"
        );
    }

    #[test]
    fn the_replay_budget_stops_shrinking_and_keeps_the_last_failure() {
        let (tree, _) = failing_case();
        let mut probe = Fake {
            fails,
            calls: 0,
            flaky_every: None,
        };
        let budget = ShrinkBudget {
            max_replays: 1,
            ..ShrinkBudget::default()
        };
        let shrunk = run(tree, budget, &mut probe);
        assert_eq!(shrunk.stats.replays, 1);
        assert!(
            shrunk
                .stats
                .stopped
                .as_deref()
                .unwrap()
                .contains("replay budget")
        );
        assert!(fails(&shrunk.sequence), "what is kept still fails");
    }

    #[test]
    fn nothing_starts_past_the_deadline() {
        let (tree, original) = failing_case();
        let mut probe = Fake {
            fails,
            calls: 0,
            flaky_every: None,
        };
        let budget = ShrinkBudget {
            deadline: Some(Instant::now()),
            ..ShrinkBudget::default()
        };
        let shrunk = run(tree, budget, &mut probe);
        assert_eq!(
            (shrunk.stats.confirmations, shrunk.stats.reproduced),
            (0, 0)
        );
        assert!(shrunk.reproduced_every_time(), "not flaky: not replayed");
        assert_eq!(shrunk.sequence, original, "no candidate was tried");
        assert_eq!(probe.calls, 0);
        assert_eq!(shrunk.stats.replays, 0);
    }

    #[test]
    fn a_violation_that_comes_and_goes_is_not_reproduced_every_time() {
        let (tree, _) = failing_case();
        // Every second replay misses: some confirmations fail.
        let mut probe = Fake {
            fails,
            calls: 0,
            flaky_every: Some(2),
        };
        let shrunk = run(tree, ShrinkBudget::default(), &mut probe);
        assert!(shrunk.stats.reproduced < shrunk.stats.confirmations);
        assert!(!shrunk.reproduced_every_time());
    }
}

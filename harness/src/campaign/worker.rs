//! The worker loop: take the next case while the [`Budget`] allows one, and run it
//! ([`Campaign::run_case`]): generate, reset, run, judge, then confirm, save, publish and
//! shrink every new finding.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use trespass_generators::sequence::Sequence;

use super::budget::{Budget, ShrinkShare};
use super::coverage::Coverage;
use super::crash::Crash;
use super::feedback::{CaseFeatures, Feedback, Focus};
use super::in_flight::InFlight;
use super::lane::{Lane, LaneProbe};
use super::operations::Operations;
use super::report::{Rejections, Sharing, TransportFailures};
use super::resume::{CampaignState, DoneCases, Persist, STATE_VERSION};
use super::target::Access;
use super::{Campaign, Event};
use crate::exec::{Executor, Purpose, RunResult, StepIndex, Trace, TraceIndex};
use crate::finding::Finding;
use crate::oracle::{Signature, Violation};
use crate::shrink::{Probe, ShrinkBudget, shrink};

/// How many later sightings of a signature whose first finding did not reproduce (a race, a
/// hiccup) are confirmed in turn: the first that reproduces replaces it.
const RECONFIRMATIONS: u64 = 3;

/// What [`Campaign::run`] hands its workers' events to.
pub(super) type OnEvent<'a> = &'a (dyn Fn(Event<'_>) + Send + Sync);

/// State shared by the workers.
pub(super) struct Shared {
    pub(super) next_case: AtomicU64,
    pub(super) cases_done: AtomicU64,
    pub(super) requests: AtomicU64,
    pub(super) rejections: Rejections,
    pub(super) transport: TransportFailures,
    /// Sequences run alone, identities healed.
    pub(super) sharing: Sharing,
    /// Cases given up because the target's reset failed even after its retries.
    pub(super) resets_failed: AtomicU64,
    pub(super) stop: AtomicBool,
    pub(super) budget: Budget,
    /// Shrinking's share of the duration, across all findings.
    pub(super) shrink_share: ShrinkShare,
    pub(super) findings: Mutex<BTreeMap<Signature, Finding>>,
    /// What the oracles judged in the cases run so far.
    pub(super) coverage: Mutex<Coverage>,
    /// The sequences running on each lane.
    pub(super) in_flight: InFlight,
    /// What each operation was sent and answered.
    pub(super) operations: Mutex<Operations>,
    /// The cases done (in this run and the runs it resumes).
    pub(super) done: Mutex<DoneCases>,
    /// Where the state is written, if anywhere.
    pub(super) persist: Option<Persist>,
    /// Operations known to answer slowly to long strings.
    pub(super) growth: crate::exec::GrowthMemo,
    /// The corpus of the coverage feedback.
    pub(super) feedback: Feedback,
}

impl Shared {
    pub(super) fn new(
        budget: Budget,
        shrink_share: ShrinkShare,
        operations: Operations,
        feedback: f64,
    ) -> Self {
        Self {
            next_case: AtomicU64::new(0),
            cases_done: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            rejections: Rejections::default(),
            transport: TransportFailures::default(),
            sharing: Sharing::default(),
            resets_failed: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            budget,
            shrink_share,
            findings: Mutex::new(BTreeMap::new()),
            coverage: Mutex::new(Coverage::default()),
            in_flight: InFlight::default(),
            operations: Mutex::new(operations),
            done: Mutex::new(DoneCases::default()),
            persist: None,
            growth: crate::exec::GrowthMemo::default(),
            feedback: Feedback::new(feedback),
        }
    }
}

/// The case a worker runs: its number in the run's own order (`nth`) and in the campaign,
/// and what it focuses on when it is a feedback case.
#[derive(Clone, Copy)]
pub(super) struct ThisCase<'a> {
    pub(super) nth: u64,
    pub(super) case: u64,
    pub(super) focus: &'a Focus,
}

/// How a case ended.
enum CaseEnd {
    /// The case ran (or had no sequence to run).
    Done,
    /// The target could not be reset (even after the reset's retries): the case is given up.
    ResetFailed,
    /// The worker's instance crashed and could not be started again: the worker stops.
    TargetLost,
}

/// Cases in a row one worker gives up on failed resets before it stops the campaign: one
/// failed reset never ends a campaign, a target whose reset keeps failing does.
const MAX_FAILED_RESETS_IN_A_ROW: u32 = 5;

impl Campaign {
    /// One worker: runs cases on `lane` until the budget or a failed reset stops it.
    pub(super) async fn worker(&self, lane: &Lane, shared: &Shared, on_event: OnEvent<'_>) {
        let executor = Executor::new(&self.model, &lane.sessions, self.policy.shared_kinds())
            .growth_memo(&shared.growth);
        let mut failed_resets = 0;
        while !shared.stop.load(Ordering::Relaxed) && !crate::interrupt::stop_requested() {
            let nth = shared.next_case.fetch_add(1, Ordering::Relaxed);
            let case = self.settings.shard.map_or(nth, |shard| shard.case(nth));
            if !shared.budget.allows_case(case) {
                break;
            }
            // Done cases are counted in this run's own order (`nth`): with a shard, its cases
            // are every N-th, and a watermark over case numbers would never rise.
            if shared.done.lock().is_ok_and(|d| d.contains(nth)) {
                // Done by the run this one resumes (its features are in the state).
                shared.feedback.record(nth, CaseFeatures::default(), false);
                continue;
            }
            let Ok(focus) = self.focus_for(nth, case, shared).await else {
                break;
            };
            let Some(sequence) = self.sequence_of(case, &focus) else {
                shared.feedback.record(nth, CaseFeatures::default(), false);
                self.case_done(nth, shared);
                continue;
            };
            let this = ThisCase {
                nth,
                case,
                focus: &focus,
            };
            let end = self
                .run_case(lane, &executor, this, &sequence, shared, on_event)
                .await;
            // A case that ended before it was judged shows nothing new.
            shared.feedback.record(nth, CaseFeatures::default(), false);
            if let CaseEnd::TargetLost = end {
                break;
            }
            if let CaseEnd::ResetFailed = end {
                self.case_done(nth, shared);
                shared.resets_failed.fetch_add(1, Ordering::Relaxed);
                failed_resets += 1;
                if failed_resets >= MAX_FAILED_RESETS_IN_A_ROW {
                    tracing::error!(
                        "the target's reset failed for {failed_resets} cases in a row; stopping \
                         the campaign"
                    );
                    shared.stop.store(true, Ordering::Relaxed);
                    break;
                }
                continue;
            }
            failed_resets = 0;
            let cases = shared.cases_done.fetch_add(1, Ordering::Relaxed) + 1;
            self.case_done(nth, shared);
            let findings = shared.findings.lock().map(|f| f.len()).unwrap_or(0);
            let (tested, operations) = shared
                .operations
                .lock()
                .map(|o| (o.tested(), o.0.len()))
                .unwrap_or_default();
            on_event(Event::Progress {
                cases,
                requests: shared.requests.load(Ordering::Relaxed),
                findings,
                tested,
                operations,
            });
        }
    }

    /// Marks the run's `nth` case done (the campaign's case number without a shard), and
    /// writes the state when a batch's worth of time has passed.
    fn case_done(&self, nth: u64, shared: &Shared) {
        shared
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .mark(nth);
        if shared.persist.as_ref().is_some_and(Persist::due) {
            self.write_state(shared);
        }
    }

    /// Writes the campaign's state (when it has a state file): a failed write is logged, the
    /// campaign goes on.
    pub(super) fn write_state(&self, shared: &Shared) {
        let Some(persist) = &shared.persist else {
            return;
        };
        let (done_below, done_above) = {
            let done = shared.done.lock().unwrap_or_else(|e| e.into_inner());
            (done.below, done.above.clone())
        };
        let signatures = {
            let all = shared.findings.lock().unwrap_or_else(|e| e.into_inner());
            all.keys().map(|s| s.as_str().to_string()).collect()
        };
        // Read after the cases done: every case done was recorded before it was marked.
        let feedback = shared.feedback.lock().clone();
        let state = CampaignState {
            version: STATE_VERSION,
            spec_sha256: persist.spec_sha256.clone(),
            seed: self.settings.seed,
            shard: self.settings.shard,
            case_limit: self.settings.own_case_limit(),
            done_below,
            done_above,
            cases: shared.cases_done.load(Ordering::Relaxed),
            requests: shared.requests.load(Ordering::Relaxed),
            signatures,
            coverage: shared
                .coverage
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            operations: shared
                .operations
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            feedback,
        };
        if let Err(e) = persist.file.save(&state) {
            tracing::error!(
                "cannot write the campaign state {}: {e}",
                persist.file.path().display()
            );
        }
    }

    /// Sets `shared` up to go on from the resumed state, if any, and to write the state.
    pub(super) fn resume_into(&self, shared: &mut Shared) {
        if let Some((file, sha)) = &self.state {
            shared.persist = Some(Persist::new(file.clone(), sha.clone()));
        }
        let Some((state, known)) = &self.resumed else {
            return;
        };
        *shared.next_case.get_mut() = state.done_below;
        *shared.cases_done.get_mut() = state.cases;
        *shared.requests.get_mut() = state.requests;
        let done = shared.done.get_mut().unwrap_or_else(|e| e.into_inner());
        done.below = state.done_below;
        done.above = state.done_above.clone();
        shared
            .coverage
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .add(&state.coverage);
        shared
            .operations
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .add(&state.operations);
        *shared
            .feedback
            .state
            .get_mut()
            .unwrap_or_else(|e| e.into_inner()) = state.feedback.clone();
        let findings = shared.findings.get_mut().unwrap_or_else(|e| e.into_inner());
        for finding in known {
            findings.insert(finding.signature.clone(), finding.clone());
        }
    }

    /// Runs case `case` (`sequence`) on `lane`: reset (when the lane serves this worker alone),
    /// run, judge; then every new finding is confirmed, saved, published and shrunk.
    async fn run_case(
        &self,
        lane: &Lane,
        executor: &Executor<'_>,
        this: ThisCase<'_>,
        sequence: &Sequence,
        shared: &Shared,
        on_event: OnEvent<'_>,
    ) -> CaseEnd {
        let case = this.case;
        if !self.revive_before_sequence(lane).await {
            return CaseEnd::TargetLost;
        }
        let Some((result, in_flight)) = self
            .run_sequence(lane, executor, case, sequence, shared)
            .await
        else {
            return CaseEnd::ResetFailed;
        };
        shared
            .requests
            .fetch_add(result.trace.steps.len() as u64, Ordering::Relaxed);
        if let Some(reject) = &result.trace.reject {
            shared.rejections.count(&reject.whence);
        }
        shared.transport.count(&result.trace, &self.redactor);
        shared
            .operations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .count(sequence, &result.trace, &self.redactor);
        // A crashed instance: restarted, and the crash is the finding (not what it broke).
        match self
            .check_crash(lane, executor, case, sequence, &result, shared, on_event)
            .await
        {
            Crash::None => {}
            Crash::Handled => return CaseEnd::Done,
            Crash::Lost => return CaseEnd::TargetLost,
        }
        let judged = self.coverage(&result);
        shared
            .coverage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(&judged);
        let violations = self.violations(&result);
        self.record_features(shared, this.nth, this.focus, &result, &violations);
        let findings = self.judge(sequence, &result, violations, this, shared);
        if findings.is_empty() {
            return CaseEnd::Done;
        }
        // Confirmations and shrinking time a long string's growth afresh: without the
        // campaign's growth memo, which would send it short.
        let replayer = Executor::new(&self.model, &lane.sessions, self.policy.shared_kinds());
        for (mut finding, again) in findings {
            finding.origin = self.origin.clone();
            finding.in_flight = in_flight;
            if self.settings.confirm && !again {
                // Saved before it is replayed: a run cut at its deadline still keeps it.
                self.save(&finding);
            }
            let finding = self
                .confirm(finding, sequence, lane, &replayer, shared)
                .await;
            if again && !finding.confirmed {
                // The unconfirmed finding already saved and published stands.
                continue;
            }
            self.save(&finding);
            let published = publish(shared, finding);
            on_event(Event::Finding(&published));
            if !published.confirmed {
                continue;
            }
            let Some((budget, grant)) = self
                .settings
                .shrink
                .and_then(|b| shared.budget.shrink_budget(b))
                .and_then(|b| shared.shrink_share.grant(b))
            else {
                continue;
            };
            let shrinking = std::time::Instant::now();
            let at = sequence_step(&result.trace, published.step);
            let shrunk = {
                let _alone = lane.alone().await;
                let signature = published.signature.clone();
                let mut probe = LaneProbe::new(self, lane, &replayer, &signature);
                let shrunk = self
                    .shrink(published, case, at, &result, budget, &mut probe)
                    .await;
                probe.leave(case).await;
                shrunk
            };
            shared.shrink_share.settle(grant, shrinking.elapsed());
            if let Some(shrunk) = shrunk {
                self.save(&shrunk);
                let published = publish(shared, shrunk);
                on_event(Event::Shrunk(&published));
            }
        }
        CaseEnd::Done
    }

    /// Runs `sequence` (case `case`) on `lane`: together with the other workers' sequences,
    /// or alone on a shared endpoint when one of its operations is exclusive (see
    /// [`Campaign::run_alone`]).
    /// An identity lost on the way is healed: the sequence runs again alone, after a reset
    /// and a fresh login, and that run counts. `None` when a reset failed (even after its
    /// retries) before the sequence could run.
    async fn run_sequence(
        &self,
        lane: &Lane,
        executor: &Executor<'_>,
        case: u64,
        sequence: &Sequence,
        shared: &Shared,
    ) -> Option<(RunResult, u32)> {
        let target = &self.identities.target;
        let given_up = |e: super::ResetError| {
            let e = self.redactor.text(&e.to_string());
            tracing::warn!("case {case} given up: {e}");
        };
        let alone = lane.access == Access::Shared
            && sequence
                .steps
                .iter()
                .any(|s| self.exclusive.contains_key(&s.op));
        let _ = lane.sessions.take_lost();
        if alone {
            shared.sharing.alone.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("case {case} runs alone: it has an exclusive operation");
            return Some(self.run_alone(lane, executor, case, sequence, shared).await);
        }
        let first = {
            let _running = lane.together().await;
            if let Err(e) = self.reset_before_sequence(lane).await {
                given_up(e);
                return None;
            }
            counted(lane, executor, sequence, shared).await
        };
        let Some(lost) = lane.sessions.take_lost() else {
            return Some(first);
        };
        // On a target of this worker's own, nothing but the sequence's own steps could have
        // lost the identity: running it again would lose it again.
        if lane.access == Access::Exclusive {
            tracing::debug!(
                "case {case} lost `{}` on a target of its own (its own steps did): {}",
                lost.identity,
                lost.how
            );
            return Some(first);
        }
        tracing::debug!(
            "case {case} lost `{}` ({}); running it again alone after a reset and a fresh login",
            lost.identity,
            lost.how
        );
        shared
            .requests
            .fetch_add(first.0.trace.steps.len() as u64, Ordering::Relaxed);
        let _alone = lane.alone().await;
        if let Err(e) = lane.reset(target, true).await {
            shared.sharing.unhealable.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("case {case}: cannot heal `{}`: {e}", lost.identity);
            return Some(first);
        }
        let again = counted(lane, executor, sequence, shared).await;
        match lane.sessions.take_lost() {
            None => {
                shared.sharing.healed.fetch_add(1, Ordering::Relaxed);
            }
            Some(lost) => {
                shared.sharing.unhealable.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    "case {case} lost `{}` again when run alone ({}): its own steps do (an \
                     operation of it may belong in [policy] exclusive_operations)",
                    lost.identity,
                    lost.how
                );
                self.reset_after(lane, case).await;
            }
        }
        Some(again)
    }

    /// Resets a shared `lane` after a sequence that ran alone there, so that the others find
    /// the state they expect; the identities log in afresh.
    pub(super) async fn reset_after(&self, lane: &Lane, case: u64) {
        if lane.access != Access::Shared {
            return;
        }
        if let Err(e) = lane.reset(&self.identities.target, true).await {
            let e = self.redactor.text(&e.to_string());
            tracing::warn!("the reset after case {case}, which ran alone, failed: {e}");
        }
    }

    /// The violations of one run; counts known signatures and returns the new ones (claimed,
    /// so that no other worker reports them too).
    fn judge(
        &self,
        sequence: &Sequence,
        result: &RunResult,
        violations: Vec<Violation>,
        this: ThisCase<'_>,
        shared: &Shared,
    ) -> Vec<(Finding, bool)> {
        let mut seen = std::collections::BTreeSet::new();
        let mut new = Vec::new();
        for violation in violations {
            let signature = violation.signature();
            if !seen.insert(signature.clone()) {
                continue;
            }
            let report = || {
                let mut finding = Finding::new(
                    &violation,
                    sequence,
                    &result.trace,
                    this.case,
                    self.settings.seed,
                    &self.redactor,
                );
                finding.focus = this.focus.clone();
                finding
            };
            let mut all = shared.findings.lock().unwrap_or_else(|e| e.into_inner());
            match all.get_mut(&signature) {
                Some(known) => {
                    known.count += 1;
                    // First seen in a race (its replay did not show it), seen again: this
                    // sighting is confirmed in turn, a few times at most.
                    if !known.confirmed && known.count <= 1 + RECONFIRMATIONS {
                        new.push((report(), true));
                    }
                }
                None => {
                    let report = report();
                    all.insert(signature, report.clone());
                    new.push((report, false));
                }
            }
        }
        new
    }

    /// Replays `finding`'s sequence alone on `lane`, after a reset when one is configured (on a
    /// shared lane too), and marks it confirmed when the same signature fires again. Past the
    /// deadline no confirmation starts: the finding stays unconfirmed.
    async fn confirm(
        &self,
        mut finding: Finding,
        sequence: &Sequence,
        lane: &Lane,
        executor: &Executor<'_>,
        shared: &Shared,
    ) -> Finding {
        if !self.settings.confirm {
            finding.confirmed = true;
            return finding;
        }
        if shared.budget.expired() {
            return finding;
        }
        let _alone = lane.alone().await;
        let mut probe = LaneProbe::new(self, lane, executor, &finding.signature);
        // After a reset, on a shared target too: in the state the other sequences left, an
        // object another worker's alice shared with bob is, to this sequence, alice's object in
        // bob's list (a `list-leak` that no replay on a clean target shows).
        finding.confirmed = probe.replay(sequence).await.is_some();
        probe.leave(finding.case).await;
        finding
    }

    /// Shrinks `finding` (of case `case`, seen on sequence step `at` of `first_run`) through
    /// `probe`, whose lane the caller holds alone. `None` when the case cannot be regenerated
    /// (or is the `user-enumeration` probe, which is not generated).
    pub(super) async fn shrink(
        &self,
        mut finding: Finding,
        case: u64,
        at: Option<StepIndex>,
        first_run: &RunResult,
        budget: ShrinkBudget,
        probe: &mut LaneProbe<'_, '_>,
    ) -> Option<Finding> {
        // The `user-enumeration` probe is no generated case: nothing to shrink it through.
        if self.probe_for(case).is_some() {
            return None;
        }
        let tree = self.tree_for(case, finding.focus.as_ref())?;
        let shrunk = shrink(tree, at, Some(first_run), budget, probe).await;
        if let Some(reproduction) = &shrunk.reproduction {
            finding.set_evidence(
                &reproduction.violation,
                &shrunk.sequence,
                &reproduction.run.trace,
                &self.redactor,
            );
        }
        finding.flaky = !shrunk.reproduced_every_time();
        finding.shrink = Some(shrunk.stats);
        Some(finding)
    }

    /// Writes `finding` to the store, if the campaign has one, with its reproducers beside it
    /// (see [`crate::reproduce`]). A write that fails is logged: the campaign goes on, and the
    /// report still has the finding.
    pub(super) fn save(&self, finding: &Finding) {
        let Some(store) = &self.store else {
            return;
        };
        // The reproducers act as worker 1 (`{worker}` in credentials is 1).
        let identities = self.identities.for_worker(1);
        let saved = store.save(finding).and_then(|path| {
            crate::reproduce::write_beside(&path, finding, Some(&self.model), Some(&identities))
                .map_err(|source| crate::finding::FindingError::Io {
                    path: path.with_extension("sh"),
                    source,
                })
        });
        if let Err(e) = saved {
            tracing::error!("cannot save finding {}: {e}", finding.signature);
        }
    }
}

/// Runs `sequence` on `lane`, counted among the sequences in flight on its endpoint; returns
/// the run and how many other sequences ran on the endpoint meanwhile.
async fn counted(
    lane: &Lane,
    executor: &Executor<'_>,
    sequence: &Sequence,
    shared: &Shared,
) -> (RunResult, u32) {
    let flight = shared.in_flight.start(&*lane.gate);
    let run = executor.run(sequence).await;
    (run, flight.others())
}

/// Stores `finding` in the campaign's map, keeping the count other workers added, and returns
/// what was stored.
pub(super) fn publish(shared: &Shared, mut finding: Finding) -> Finding {
    let mut all = shared.findings.lock().unwrap_or_else(|e| e.into_inner());
    finding.count = all.get(&finding.signature).map_or(1, |f| f.count);
    all.insert(finding.signature.clone(), finding.clone());
    finding
}

/// The index in the sequence of trace step `index` (a re-read or login check counts as the
/// write it checks); `None` when it leads to no sequence step.
pub(super) fn sequence_step(trace: &Trace, index: TraceIndex) -> Option<StepIndex> {
    let mut at = index;
    loop {
        match trace.at(at).map(|s| s.purpose) {
            Some(Purpose::Sequence { step }) => return Some(step),
            Some(purpose) => match purpose.checks() {
                Some(of) if of != at => at = of,
                _ => return None,
            },
            None => return None,
        }
    }
}

//! Crashed instances of a target started from a command: after every sequence the lane's
//! [`Supervisor`] is asked whether the process exited. When it did, it is restarted (on the
//! same port) and the crash is a finding, `target-crash <operation> []`: the operation is
//! the first step sent that got no answer (the request the process died on), else the last
//! step sent. Like any finding it is confirmed by replaying its sequence alone on the fresh
//! instance (after a reset, when one is configured): confirmed when the instance crashes
//! again. The same signature is reported once and counted after that.
//!
//! An instance found dead before a sequence (it went down between sequences, so no sequence
//! is to blame) is restarted with a warning, and no finding.

use std::time::Duration;

use trespass_generators::sequence::Sequence;

use super::lane::Lane;
use super::worker::{OnEvent, Shared, publish};
use super::{Access, Campaign, CampaignError, Endpoint, Event, Replayed, Supervisor};
use crate::exec::{Executor, RunResult};
use crate::finding::Finding;
use crate::oracle::{TARGET_CRASH, Violation};

/// How long an instance that dropped a request is given to finish exiting before it is judged
/// alive (a process that aborts closes its sockets a moment before it is reaped).
const SETTLE: Duration = Duration::from_millis(500);

/// What the crash check decided.
pub(super) enum Crash {
    /// The instance runs: judge the sequence as usual.
    None,
    /// The instance crashed; it was restarted and the crash reported or counted. The trace
    /// is not judged further (its failures are the crash's).
    Handled,
    /// The instance crashed and could not be started again: the worker stops.
    Lost,
}

impl Campaign {
    /// Restarts `lane`'s instance when it went down between sequences (no finding: nothing
    /// ran on it). False when it cannot be started again.
    pub(super) async fn revive_before_sequence(&self, lane: &Lane) -> bool {
        let Some(supervisor) = &lane.supervisor else {
            return true;
        };
        let Some(status) = supervisor.exited() else {
            return true;
        };
        tracing::warn!(
            "the target of worker {} had exited ({status}) between sequences; starting it again \
             (its log: {})",
            supervisor.worker(),
            supervisor.log().display()
        );
        self.restart(lane, supervisor).await
    }

    /// After `sequence` (case `case`) ran on `lane` with `result`: when the instance crashed,
    /// restarts it and reports (or counts) the crash.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn check_crash(
        &self,
        lane: &Lane,
        executor: &Executor<'_>,
        case: u64,
        sequence: &Sequence,
        result: &RunResult,
        shared: &Shared,
        on_event: OnEvent<'_>,
    ) -> Crash {
        let Some(supervisor) = &lane.supervisor else {
            return Crash::None;
        };
        let Some(status) = crashed(supervisor, result).await else {
            return Crash::None;
        };
        let tail = self.redactor.text(&supervisor.log_tail());
        tracing::warn!(
            "the target of worker {} exited ({status}) during case {case}; starting it again; \
             the end of its log {}:\n{tail}",
            supervisor.worker(),
            supervisor.log().display()
        );
        let Some(violation) = crash_violation(supervisor, &status, result) else {
            return self.restarted(lane, supervisor).await;
        };
        let signature = violation.signature();
        let new = {
            let mut all = shared.findings.lock().unwrap_or_else(|e| e.into_inner());
            match all.get_mut(&signature) {
                Some(known) => {
                    known.count += 1;
                    None
                }
                None => {
                    let finding = Finding::new(
                        &violation,
                        sequence,
                        &result.trace,
                        case,
                        self.settings.seed,
                        &self.redactor,
                    );
                    all.insert(signature, finding.clone());
                    Some(finding)
                }
            }
        };
        if let Crash::Lost = self.restarted(lane, supervisor).await {
            return Crash::Lost;
        }
        let Some(mut finding) = new else {
            return Crash::Handled;
        };
        finding.origin = self.origin.clone();
        if self.settings.confirm {
            self.save(&finding);
            if !shared.budget.expired() {
                let _alone = lane.alone().await;
                finding.confirmed = self.crashes_again(lane, executor, sequence).await;
                if let Crash::Lost = self.restarted(lane, supervisor).await {
                    return Crash::Lost;
                }
            }
        } else {
            finding.confirmed = true;
        }
        self.save(&finding);
        let published = publish(shared, finding);
        on_event(Event::Finding(&published));
        Crash::Handled
    }

    /// Replays the sequence of `finding` (a `target-crash`) `runs` times on `endpoint`, whose
    /// instance `supervisor` watches (after a reset when one is configured; the instance is
    /// started again after every crash), and says how often it crashed there again.
    pub async fn replay_crash(
        &self,
        endpoint: &Endpoint,
        supervisor: &Supervisor,
        finding: &Finding,
        runs: u32,
    ) -> Result<Replayed, CampaignError> {
        let mut lane = self
            .lane(endpoint, Access::Exclusive, Default::default(), 1, true)
            .await?;
        lane.supervisor = Some(supervisor.clone());
        let executor = Executor::new(&self.model, &lane.sessions, self.policy.shared_kinds());
        let mut replayed = Replayed {
            runs: runs.max(1),
            reproduced: 0,
            evidence: None,
            not_run: Vec::new(),
        };
        for _ in 0..replayed.runs {
            if let Err(e) = self.reset_before_sequence(&lane).await {
                replayed.not_run.push(self.redactor.text(&e.to_string()));
                continue;
            }
            let run = executor.run(&finding.sequence).await;
            let Some(status) = crashed(supervisor, &run).await else {
                continue;
            };
            let violation = crash_violation(supervisor, &status, &run);
            if let Some(violation) = violation.filter(|v| v.signature() == finding.signature) {
                replayed.reproduced += 1;
                let mut shown = finding.clone();
                shown.set_evidence(&violation, &finding.sequence, &run.trace, &self.redactor);
                replayed.evidence = Some(shown);
            }
            if let Crash::Lost = self.restarted(&lane, supervisor).await {
                replayed
                    .not_run
                    .push("the target could not be started again".to_string());
                break;
            }
        }
        Ok(replayed)
    }

    /// Replays `sequence` alone on the fresh instance (after a reset when one is configured):
    /// whether the instance crashed again.
    async fn crashes_again(
        &self,
        lane: &Lane,
        executor: &Executor<'_>,
        sequence: &Sequence,
    ) -> bool {
        let Some(supervisor) = &lane.supervisor else {
            return false;
        };
        if let Err(e) = self.reset_before_sequence(lane).await {
            tracing::warn!(
                "cannot confirm the crash: {}",
                self.redactor.text(&e.to_string())
            );
            return false;
        }
        let run = executor.run(sequence).await;
        crashed(supervisor, &run).await.is_some()
    }

    /// Restarts the instance if it is down: [`Crash::Handled`], or [`Crash::Lost`] when it
    /// cannot be started again.
    async fn restarted(&self, lane: &Lane, supervisor: &Supervisor) -> Crash {
        if supervisor.exited().is_none() {
            return Crash::Handled;
        }
        if self.restart(lane, supervisor).await {
            Crash::Handled
        } else {
            Crash::Lost
        }
    }

    /// Starts the instance again on its port and logs every identity in again (the fresh
    /// process knows no session). False, with the reason logged, when it cannot.
    async fn restart(&self, lane: &Lane, supervisor: &Supervisor) -> bool {
        let worker = supervisor.worker();
        let restarting = supervisor.clone();
        let started = tokio::task::spawn_blocking(move || restarting.restart()).await;
        let failed = match started {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(e) = failed {
            tracing::error!(
                "the target of worker {worker} cannot be started again; the worker stops: {}",
                self.redactor.text(&e)
            );
            return false;
        }
        lane.sessions.forget_tokens().await;
        if let Err(e) = lane.sessions.log_in_all().await {
            tracing::error!(
                "after the restart of worker {worker}'s target, logging in failed; the worker \
                 stops: {}",
                self.redactor.text(&e.to_string())
            );
            return false;
        }
        true
    }
}

/// How the instance ended, if it exited during `result`'s run: an instance whose request got
/// no answer is given [`SETTLE`] to finish going down.
async fn crashed(supervisor: &Supervisor, result: &RunResult) -> Option<String> {
    if let Some(status) = supervisor.exited() {
        return Some(status);
    }
    let dropped = result.trace.steps.iter().any(|s| s.status().is_none());
    if !dropped {
        return None;
    }
    let watching = supervisor.clone();
    tokio::task::spawn_blocking(move || watching.exited_within(SETTLE))
        .await
        .ok()
        .flatten()
}

/// The crash as a violation: of the first step that got no answer (the request the process
/// died on), else of the last step sent; `None` when nothing was sent.
fn crash_violation(supervisor: &Supervisor, status: &str, result: &RunResult) -> Option<Violation> {
    let steps = &result.trace.steps;
    let step = steps
        .iter()
        .find(|s| s.status().is_none())
        .or_else(|| steps.last())?;
    Some(Violation {
        oracle: TARGET_CRASH.to_string(),
        operation: step.op.clone(),
        // A crash is no matter of who may do what: one signature whoever sent the request.
        roles: Vec::new(),
        step: step.index,
        message: format!(
            "the target process exited ({status}) when `{}` was sent by {}; its log: {}",
            step.op,
            step.identity,
            supervisor.log().display()
        ),
        rule: "the target keeps running whatever it is sent".to_string(),
        cause: None,
    })
}

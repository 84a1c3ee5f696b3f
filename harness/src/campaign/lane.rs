//! A lane: one worker's way to an endpoint, with its own sessions, its [`Access`] and the
//! [`Gate`] that the lanes of one endpoint share (sequences hold it together; confirmation,
//! shrinking, healing and exclusive sequences hold it alone); and the [`LaneProbe`] that
//! replays sequences on a lane for confirmation, shrinking and `replay`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use trespass_generators::sequence::{Sequence, SequenceTree};

use super::reset::{self, ResetError};
use super::target::{Access, Endpoint};
use super::{Campaign, CampaignError};
use crate::exec::{ClientConfig, Executor, HttpClient};
use crate::identity::Sessions;
use crate::oracle::{Signature, Verdict};
use crate::seeded::SeededObjects;
use crate::shrink::{Probe, Reproduction};

/// What the lanes of one endpoint share: the lock that lets one of them run alone, the turn to
/// hold it so, and how many resets the endpoint has had (a lane of a shared endpoint logs in
/// afresh after one).
#[derive(Debug, Default)]
pub(super) struct Gate {
    lock: RwLock<()>,
    /// Taken before `lock` is written, and held while it is: whoever holds the turn is the only
    /// one that holds the endpoint alone or may come to. A sequence that needs the endpoint
    /// alone only from a later step on takes the turn first, runs its first steps together
    /// with the others, then waits for them to finish: no other can hold the endpoint alone in
    /// between (and reset it under the objects the sequence made).
    turn: Mutex<()>,
    resets: AtomicU64,
}

#[cfg(test)]
impl Gate {
    /// Whether a sequence could start together with the others now.
    pub(super) fn try_read(&self) -> bool {
        self.lock.try_read().is_ok()
    }

    /// Whether the turn is free.
    pub(super) fn try_turn(&self) -> bool {
        self.turn.try_lock().is_ok()
    }

    /// Holds the endpoint together, as a sequence of another lane does.
    pub(super) async fn read(&self) -> RwLockReadGuard<'_, ()> {
        self.lock.read().await
    }
}

/// A lane's turn on its endpoint (see [`Gate`]): with the endpoint held alone, or together with
/// the others before the holder needs it alone or after it no longer does.
pub(super) struct Turn<'g> {
    gate: &'g Gate,
    alone: Option<RwLockWriteGuard<'g, ()>>,
    together: Option<RwLockReadGuard<'g, ()>>,
    // Dropped last: the lock is released before the turn.
    _turn: MutexGuard<'g, ()>,
}

impl<'g> Turn<'g> {
    /// The turn on `gate`, with the endpoint held together with the others.
    pub(super) async fn together(gate: &'g Gate) -> Self {
        Self::take(gate, false).await
    }

    /// The turn on `gate`, with the endpoint held alone.
    async fn alone(gate: &'g Gate) -> Self {
        Self::take(gate, true).await
    }

    /// The turn on `gate` (taken first), then its lock held `alone` or together.
    async fn take(gate: &'g Gate, alone: bool) -> Self {
        let turn = gate.turn.lock().await;
        let (alone, together) = if alone {
            (Some(gate.lock.write().await), None)
        } else {
            (None, Some(gate.lock.read().await))
        };
        Self {
            gate,
            alone,
            together,
            _turn: turn,
        }
    }

    /// Holds the endpoint alone: waits for the other sequences to finish theirs. No reset can
    /// have come meanwhile (only the holder of the turn resets a shared endpoint).
    pub(super) async fn hold_alone(&mut self) {
        if self.alone.is_none() {
            self.together = None;
            self.alone = Some(self.gate.lock.write().await);
        }
    }

    /// Lets the other sequences run again (none alone: the turn is still held).
    pub(super) fn let_in(&mut self) {
        if let Some(alone) = self.alone.take() {
            self.together = Some(alone.downgrade());
        }
    }
}

/// One worker's way to an endpoint: its sessions and the endpoint's gate.
pub(super) struct Lane {
    pub(super) sessions: Sessions,
    pub(super) gate: Arc<Gate>,
    pub(super) access: Access,
    /// The instance behind the endpoint, when the campaign's target started it from a
    /// command: asked after every sequence whether it crashed (see `crash.rs`).
    pub(super) supervisor: Option<super::Supervisor>,
    /// The endpoint's resets these sessions have caught up with.
    seen_resets: AtomicU64,
}

impl Lane {
    /// Waits until sequences may run together with others, and returns the guard.
    pub(super) async fn together(&self) -> RwLockReadGuard<'_, ()> {
        let guard = self.gate.lock.read().await;
        self.catch_up().await;
        guard
    }

    /// Waits until no other sequence runs on the endpoint, and returns the guard.
    pub(super) async fn alone(&self) -> Turn<'_> {
        let turn = Turn::alone(&self.gate).await;
        self.catch_up().await;
        turn
    }

    /// Waits for the endpoint's turn (see [`Gate`]), and returns it with the endpoint held
    /// together with the others.
    pub(super) async fn turn(&self) -> Turn<'_> {
        let turn = Turn::together(&self.gate).await;
        self.catch_up().await;
        turn
    }

    /// On a shared endpoint that was reset since these sessions last looked: forget the
    /// tokens, so every identity logs in afresh.
    async fn catch_up(&self) {
        let resets = self.gate.resets.load(Ordering::Acquire);
        if self.seen_resets.swap(resets, Ordering::AcqRel) != resets
            && self.access == Access::Shared
        {
            self.sessions.forget_tokens().await;
        }
    }

    /// Resets the endpoint (when a reset is configured); `relogin` makes this lane's
    /// identities log in afresh too (the other lanes of a shared endpoint always do).
    pub(super) async fn reset(
        &self,
        target: &crate::identity::TargetConfig,
        relogin: bool,
    ) -> Result<(), ResetError> {
        if target.reset.is_none() {
            if relogin {
                self.sessions.forget_tokens().await;
            }
            return Ok(());
        }
        let result = reset::reset_target(target, self.sessions.client()).await;
        let resets = self.gate.resets.fetch_add(1, Ordering::AcqRel) + 1;
        self.seen_resets.store(resets, Ordering::Release);
        if relogin {
            self.sessions.forget_tokens().await;
        }
        result
    }
}

impl Campaign {
    /// The lane of worker `worker` (from 1) on `endpoint`, through `gate` (one per endpoint),
    /// after the endpoint's initial reset when `first` (and the identities file names one).
    /// Credentials with `{worker}` are the worker's.
    pub(super) async fn lane(
        &self,
        endpoint: &Endpoint,
        access: Access,
        gate: Arc<Gate>,
        worker: usize,
        first: bool,
    ) -> Result<Lane, CampaignError> {
        let mut config = ClientConfig::new(endpoint.base_url.clone());
        config.timeout = self.settings.request_timeout;
        config.max_body_bytes = self.settings.max_body_bytes;
        let client = HttpClient::new(config)?.with_politeness(self.polite.clone());
        let identities = self.identities.for_worker(worker);
        let sessions = Sessions::new(client, &identities, self.redactor.clone());
        if first {
            reset::reset_target(&self.identities.target, sessions.client()).await?;
        }
        sessions.log_in_all().await?;
        sessions
            .probe_credentials(&self.model, |role, op| {
                !self.excluded.contains(op)
                    && !matches!(self.policy.may_call(role, op), Verdict::Deny(_))
            })
            .await?;
        let seen_resets = AtomicU64::new(gate.resets.load(Ordering::Acquire));
        Ok(Lane {
            sessions,
            gate,
            access,
            supervisor: None,
            seen_resets,
        })
    }

    /// Resets `lane`'s target before a sequence when the lane serves one worker and the
    /// identities file names a reset (retried as [`reset::reset_target`] says).
    pub(super) async fn reset_before_sequence(&self, lane: &Lane) -> Result<(), ResetError> {
        match lane.access {
            Access::Exclusive => {
                reset::reset_target(&self.identities.target, lane.sessions.client()).await
            }
            Access::Shared => Ok(()),
        }
    }
}

/// Replays sequences on one lane, resetting first, and looks for one signature.
pub(super) struct LaneProbe<'c, 'e> {
    pub(super) campaign: &'c Campaign,
    pub(super) lane: &'c Lane,
    pub(super) executor: &'c Executor<'e>,
    pub(super) signature: &'c Signature,
    /// Why the last replay could not run the sequence at all (the reset failed, or an
    /// identity could not log in), when that was the case; `None` after a replay that ran.
    pub(super) unrun: Option<String>,
    /// A replay's exclusive step went through (see `alone.rs`): the other sequences may find
    /// the target disturbed until it is reset.
    disturbed: bool,
}

impl<'c, 'e> LaneProbe<'c, 'e> {
    /// A probe of `signature` on `lane`.
    pub(super) fn new(
        campaign: &'c Campaign,
        lane: &'c Lane,
        executor: &'c Executor<'e>,
        signature: &'c Signature,
    ) -> Self {
        Self {
            campaign,
            lane,
            executor,
            signature,
            unrun: None,
            disturbed: false,
        }
    }

    /// Done with the replays of case `case`, which the caller ran alone: on a shared lane whose
    /// replays may have disturbed the other sequences (an exclusive step went through), the
    /// target is reset before they run again, as after a sequence that ran alone.
    pub(super) async fn leave(self, case: u64) {
        if self.disturbed {
            self.campaign.reset_after(self.lane, case).await;
        }
    }

    /// Resets the target when a reset is configured; false (logged, and kept in `unrun`)
    /// when the reset failed even after its retries.
    async fn reset(&mut self) -> bool {
        let target = &self.campaign.identities.target;
        if let Err(e) = self.lane.reset(target, false).await {
            let reason = self.campaign.redactor.text(&e.to_string());
            tracing::warn!("cannot replay for {}: {reason}", self.signature);
            self.unrun = Some(reason);
            return false;
        }
        true
    }
}

impl Probe for LaneProbe<'_, '_> {
    async fn replay(&mut self, sequence: &Sequence) -> Option<Reproduction> {
        self.unrun = None;
        if !self.reset().await {
            return None;
        }
        let run = self.executor.run(sequence).await;
        self.disturbed |= super::alone::disturbing(&self.campaign.exclusive, &run.trace.steps);
        let violation = self
            .campaign
            .violations(&run)
            .into_iter()
            .find(|v| self.signature.matches(&v.signature()));
        if violation.is_none()
            && let Some(reject) = &run.trace.reject
            && reject.whence.is_login_failure()
        {
            self.unrun = Some(self.campaign.redactor.text(&reject.whence.to_string()));
        }
        Some(Reproduction {
            violation: violation?,
            run,
        })
    }

    fn cast(&self) -> Vec<trespass_generators::sequence::IdentitySpec> {
        self.campaign.identities.cast()
    }

    /// Ids of the objects every identity lists right after a reset: the seeded data a
    /// reproducer can use instead of creating its own.
    async fn offer(&mut self, tree: &mut SequenceTree) {
        if !self.reset().await {
            return;
        }
        let model = &self.campaign.model;
        let cast = self.campaign.identities.cast();
        let seeded =
            SeededObjects::discover(model, self.executor, &cast, &self.campaign.excluded).await;
        if !seeded.is_empty() {
            tree.suggest(|_, name, producer, strict| seeded.offer(model, name, producer, strict));
        }
    }
}

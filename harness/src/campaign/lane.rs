//! A lane: one endpoint with its sessions, its [`Access`] and the gate that lets a
//! confirmation or a shrink run alone on it; and the [`LaneProbe`] that replays sequences on
//! a lane for confirmation, shrinking and `replay`.

use tokio::sync::RwLock;
use trespass_generators::sequence::{Sequence, SequenceTree};

use super::reset::{self, ResetError};
use super::target::{Access, Endpoint};
use super::{Campaign, CampaignError};
use crate::exec::{ClientConfig, Executor, HttpClient};
use crate::identity::Sessions;
use crate::oracle::{Signature, Verdict};
use crate::seeded::SeededObjects;
use crate::shrink::{Probe, Reproduction};

/// One endpoint with its sessions and the gate that lets a confirmation run alone.
pub(super) struct Lane {
    pub(super) sessions: Sessions,
    /// Sequences hold it shared; confirmations and shrinking hold it alone.
    pub(super) gate: RwLock<()>,
    pub(super) access: Access,
    /// The instance behind the endpoint, when the campaign's target started it from a
    /// command: asked after every sequence whether it crashed (see `crash.rs`).
    pub(super) supervisor: Option<super::Supervisor>,
}

impl Campaign {
    /// The lane of `endpoint`, after the initial reset (when the identities file names one).
    pub(super) async fn lane(
        &self,
        endpoint: &Endpoint,
        access: Access,
    ) -> Result<Lane, CampaignError> {
        let mut config = ClientConfig::new(endpoint.base_url.clone());
        config.timeout = self.settings.request_timeout;
        config.max_body_bytes = self.settings.max_body_bytes;
        let client = HttpClient::new(config)?;
        let sessions = Sessions::new(client, &self.identities, self.redactor.clone());
        reset::reset_target(&self.identities.target, sessions.client()).await?;
        sessions.log_in_all().await?;
        sessions
            .probe_credentials(&self.model, |role, op| {
                !matches!(self.policy.may_call(role, op), Verdict::Deny(_))
            })
            .await?;
        Ok(Lane {
            sessions,
            gate: RwLock::new(()),
            access,
            supervisor: None,
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
        }
    }

    /// Resets the target when a reset is configured; false (logged, and kept in `unrun`)
    /// when the reset failed even after its retries.
    async fn reset(&mut self) -> bool {
        let target = &self.campaign.identities.target;
        if let Err(e) = reset::reset_target(target, self.lane.sessions.client()).await {
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

    /// Ids of the objects every identity lists right after a reset: the seeded data a
    /// reproducer can use instead of creating its own.
    async fn offer(&mut self, tree: &mut SequenceTree) {
        if !self.reset().await {
            return;
        }
        let model = &self.campaign.model;
        let cast = self.campaign.identities.cast();
        let seeded = SeededObjects::discover(model, self.executor, &cast).await;
        if !seeded.is_empty() {
            tree.suggest(|_, name, producer, strict| seeded.offer(model, name, producer, strict));
        }
    }
}

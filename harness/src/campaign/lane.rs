//! A lane: one endpoint with its sessions, its [`Access`] and the gate that lets a
//! confirmation or a shrink run alone on it; and the [`LaneProbe`] that replays sequences on
//! a lane for confirmation, shrinking and `replay`.

use tokio::sync::RwLock;
use trespass_generators::sequence::{Sequence, SequenceTree};

use super::target::{Access, Endpoint};
use super::{Campaign, CampaignError, reset};
use crate::exec::{ClientConfig, Executor, HttpClient};
use crate::identity::Sessions;
use crate::oracle::Signature;
use crate::seeded::SeededObjects;
use crate::shrink::{Probe, Reproduction};

/// One endpoint with its sessions and the gate that lets a confirmation run alone.
pub(super) struct Lane {
    pub(super) sessions: Sessions,
    /// Sequences hold it shared; confirmations and shrinking hold it alone.
    pub(super) gate: RwLock<()>,
    pub(super) access: Access,
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
        if let Some(reset) = &self.identities.target.reset {
            reset::run_reset(reset, sessions.client())
                .await
                .map_err(CampaignError::Reset)?;
        }
        Ok(Lane {
            sessions,
            gate: RwLock::new(()),
            access,
        })
    }

    /// Resets `lane`'s target before a sequence when the lane serves one worker and the
    /// identities file names a reset. The error is the reset's, redacted.
    pub(super) async fn reset_before_sequence(&self, lane: &Lane) -> Result<(), String> {
        match (&self.identities.target.reset, lane.access) {
            (Some(reset), Access::Exclusive) => reset::run_reset(reset, lane.sessions.client())
                .await
                .map_err(|e| self.redactor.text(&e)),
            _ => Ok(()),
        }
    }
}

/// Replays sequences on one lane, resetting first, and looks for one signature.
pub(super) struct LaneProbe<'c, 'e> {
    pub(super) campaign: &'c Campaign,
    pub(super) lane: &'c Lane,
    pub(super) executor: &'c Executor<'e>,
    pub(super) signature: &'c Signature,
}

impl LaneProbe<'_, '_> {
    /// Resets the target when a reset is configured; false (logged) when the reset failed.
    async fn reset(&self) -> bool {
        if let Some(reset) = &self.campaign.identities.target.reset
            && let Err(e) = reset::run_reset(reset, self.lane.sessions.client()).await
        {
            tracing::warn!(
                "cannot replay for {}: {}",
                self.signature,
                self.campaign.redactor.text(&e)
            );
            return false;
        }
        true
    }
}

impl Probe for LaneProbe<'_, '_> {
    async fn replay(&mut self, sequence: &Sequence) -> Option<Reproduction> {
        if !self.reset().await {
            return None;
        }
        let run = self.executor.run(sequence).await;
        let violation = self
            .campaign
            .violations(&run)
            .into_iter()
            .find(|v| v.signature() == *self.signature)?;
        Some(Reproduction { violation, run })
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

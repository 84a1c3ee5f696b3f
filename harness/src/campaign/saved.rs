//! Shrinking a saved finding later (`trespass shrink FILE`): a finding a campaign saved as
//! found (`--no-shrink`, or past the shrink share of its duration) is regenerated from its
//! seed and case, replayed on the target until it shows its signature, shrunk there, and its
//! file and reproducers are rewritten.

use std::path::Path;

use proptest::strategy::ValueTree;

use super::lane::LaneProbe;
use super::worker::sequence_step;
use super::{Access, Campaign, CampaignError, Endpoint};
use crate::exec::Executor;
use crate::finding::{Finding, FindingError};
use crate::shrink::Probe;

/// What [`Campaign::shrink_saved`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reshrunk {
    /// Shrunk: the finding with its minimized sequence, fresh evidence and shrink figures.
    Shrunk(Box<Finding>),
    /// The finding's case does not regenerate the saved sequence (the spec, the identities or
    /// the operation selection changed since it was found): shrinking it would shrink
    /// something else.
    Regenerated {
        /// How the regenerated sequence differs.
        reason: String,
    },
    /// The regenerated sequence ran and did not show the finding's signature.
    NotReproduced,
    /// The sequence could not run (the reset failed, an identity could not log in).
    NotRun {
        /// Why, redacted.
        reason: String,
    },
}

impl Campaign {
    /// Regenerates `finding`'s case (its seed and case number with this campaign's model,
    /// identities and selection), replays it on `endpoint` (reset first when the identities
    /// file names a reset) and, when it shows the finding's signature, shrinks it within the
    /// settings' shrink budget.
    pub async fn shrink_saved(
        &self,
        endpoint: &Endpoint,
        finding: &Finding,
    ) -> Result<Reshrunk, CampaignError> {
        let Some(tree) = self.tree_for(finding.case, finding.focus.as_ref()) else {
            return Ok(Reshrunk::Regenerated {
                reason: format!("case {} generates no sequence", finding.case),
            });
        };
        let original = tree.current();
        if finding.shrink.is_none()
            && let Some(reason) = differs(&original, &finding.sequence)
        {
            return Ok(Reshrunk::Regenerated { reason });
        }
        let lane = self
            .lane(endpoint, Access::Exclusive, Default::default(), 1, true)
            .await?;
        let executor = Executor::new(&self.model, &lane.sessions, self.policy.shared_kinds());
        let mut probe = LaneProbe::new(self, &lane, &executor, &finding.signature);
        let Some(first) = probe.replay(&original).await else {
            return Ok(match probe.unrun.take() {
                Some(reason) => Reshrunk::NotRun { reason },
                None => Reshrunk::NotReproduced,
            });
        };
        let at = sequence_step(&first.run.trace, first.violation.step);
        let budget = self.settings.shrink.unwrap_or_default();
        // The campaign's seed is the finding's: `shrink` regenerates the case from it.
        let shrunk = self
            .shrink(
                finding.clone(),
                finding.case,
                at,
                &first.run,
                budget,
                &mut probe,
            )
            .await;
        Ok(match shrunk {
            Some(shrunk) => Reshrunk::Shrunk(Box::new(shrunk)),
            None => Reshrunk::Regenerated {
                reason: format!("case {} generates no sequence", finding.case),
            },
        })
    }

    /// Rewrites the finding file at `path` with `finding` and its reproducers beside it
    /// (each file written atomically).
    pub fn rewrite_finding(&self, path: &Path, finding: &Finding) -> Result<(), FindingError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| FindingError::Io { path, source }
        };
        crate::artifact::write_atomically(path, finding.to_json().as_bytes()).map_err(io(path))?;
        crate::reproduce::write_beside(path, finding, Some(&self.model), Some(&self.identities))
            .map_err(io(&path.with_extension("sh")))?;
        Ok(())
    }
}

/// How `regenerated` differs from the `saved` sequence, step by step (operation and identity;
/// values may be redacted in the saved one); `None` when it does not.
fn differs(
    regenerated: &trespass_generators::sequence::Sequence,
    saved: &trespass_generators::sequence::Sequence,
) -> Option<String> {
    if regenerated.steps.len() != saved.steps.len() {
        return Some(format!(
            "it has {} steps, the saved sequence {}",
            regenerated.steps.len(),
            saved.steps.len()
        ));
    }
    regenerated
        .steps
        .iter()
        .zip(&saved.steps)
        .enumerate()
        .find(|(_, (r, s))| r.op != s.op || r.identity != s.identity)
        .map(|(i, (r, s))| {
            format!(
                "step {i} is {} as {}, the saved one {} as {}",
                r.op, r.identity, s.op, s.identity
            )
        })
}

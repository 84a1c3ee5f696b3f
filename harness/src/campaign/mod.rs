//! Fuzz campaigns: generate sequences, run them on the target with several workers, judge every
//! trace with the oracles, and keep one [`Finding`] per unique signature.
//!
//! Case `n` of seed `s` is always the same sequence (its RNG is seeded from `s` and `n`), so a
//! finding is regenerated from `--seed s` whatever the number of workers. Each worker runs its
//! cases one after another against one [`Endpoint`], whose [`Access`] says how it is shared
//! (see [`target`] for how a worker gets one):
//!
//! - an [`Access::Exclusive`] endpoint (the embedded demo starts one target per worker) is
//!   reset before every sequence when the identities file names a reset, so each sequence
//!   starts from the same state;
//! - an [`Access::Shared`] endpoint is reset once at the start; sequences then run
//!   concurrently, each worker with sessions of its own (credentials with `{worker}` are the
//!   worker's own accounts), except those with an operation that disturbs the others (see
//!   [`exclusive`]): such a sequence runs alone, followed by a reset (and fresh logins) when
//!   one of its exclusive operations went through (see `worker.rs`).
//!
//! An identity whose session fails where it worked before (see
//! [`crate::identity::Sessions`]) is *healed*: the sequence runs again alone, after a reset
//! and a fresh login; the summary counts the healed and the unhealable ones.
//!
//! A new signature is *confirmed* by replaying its sequence alone (no other sequence in flight
//! on that endpoint; after a reset when one is configured, or on a shared endpoint first as
//! the other sequences left it) and checking that the same signature fires again; on a shared
//! endpoint, a reset follows when a replay's exclusive step went through, as after a sequence
//! that ran alone (shrinking's replays too). Findings that do not reproduce are kept and marked
//! unconfirmed.
//!
//! The run stops at whichever of its case count and its duration comes first; one deadline
//! ([`Budget`]) bounds generation, confirmation and shrinking alike.

mod alone;
mod budget;
mod command;
mod coverage;
mod crash;
mod exclusive;
pub mod feedback;
pub mod formats;
mod in_flight;
mod lane;
pub mod merge;
mod operations;
mod report;
mod reset;
mod resume;
pub mod root_cause;
mod running;
mod saved;
mod settings;
mod shard;
pub mod target;
mod worker;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use trespass_generators::model::ApiModel;
use trespass_generators::sequence::{Sequence, SequenceConfig, SequenceStrategy};

pub use crate::artifact::write_atomically;
pub use budget::{Budget, Grant, ShrinkShare, case_limit};
pub use command::{DEFAULT_START_TIMEOUT, PORT_PLACEHOLDER, free_port, stop_all as stop_started};
pub use coverage::{Coverage, KindCoverage, NOTHING_JUDGED};
pub use feedback::{
    CaseFeatures, DEFAULT_FEEDBACK, EPOCH, FeedbackState, FeedbackSummary, OperationCounts,
    extension_runner,
};
pub use operations::{OperationCoverage, Operations};
pub use report::{
    OVERSIZED, REPORT_FORMAT_VERSION, ReportSink, SharingCounts, Summary, peak_memory,
};
pub use reset::ResetError;
pub use resume::{CampaignState, STATE_VERSION, StateError, StateFile};
pub use root_cause::RootCause;
pub use running::worker_threads;
pub use saved::Reshrunk;
pub use settings::Settings;
pub use shard::{Shard, ShardError};
#[cfg(feature = "cli")]
pub use target::demo_subject;
pub use target::{
    Access, Endpoint, Endpoints, Supervisor, Target, TargetCommand, TargetError, TargetKind,
};

use crate::errors::ExecError;
use crate::exec::{Executor, RunResult};
use crate::finding::{Finding, FindingStore, Origin};
use crate::identity::IdentityFile;
use crate::oracle::{CheckContext, Oracle, Policy, Violation, check_all};
use crate::redact::Redactor;
use crate::shrink::Probe;
use lane::LaneProbe;

/// How long work still in flight at the deadline (a request, a confirmation, a shrink) may go
/// on before it is dropped: `--duration` is a budget for the whole run, not for starting cases.
const DEADLINE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// What a running campaign tells its caller.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A new unique finding (already confirmed or not, see [`Finding::confirmed`]), before
    /// shrinking; its file (when the campaign has a store) is written.
    Finding(&'a Finding),
    /// A finding after shrinking: its minimized sequence and [`Finding::shrink`] figures; its
    /// file is rewritten.
    Shrunk(&'a Finding),
    /// A case finished.
    Progress {
        /// Cases finished so far.
        cases: u64,
        /// Requests sent so far.
        requests: u64,
        /// Unique findings so far.
        findings: usize,
        /// Operations answered 2xx at least once so far.
        tested: usize,
        /// Operations of the spec.
        operations: usize,
    },
}

/// Why a campaign could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CampaignError {
    /// No endpoint was given.
    #[error("no target endpoint")]
    NoEndpoint,
    /// An endpoint's client could not be built.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The initial reset of the target failed (after its retries).
    #[error(transparent)]
    Reset(#[from] ResetError),
    /// An identity could not log in before the first case.
    #[error(transparent)]
    Login(#[from] crate::identity::SessionError),
    /// Exclusive endpoints were given for fewer workers than the campaign runs.
    #[error("{workers} workers need an endpoint each, and {endpoints} were given")]
    TooFewEndpoints {
        /// Workers of the campaign.
        workers: usize,
        /// Endpoints given.
        endpoints: usize,
    },
}

/// A configured campaign over one API.
pub struct Campaign {
    model: ApiModel,
    identities: IdentityFile,
    policy: Policy,
    oracles: Vec<Box<dyn Oracle>>,
    strategy: SequenceStrategy,
    /// Operations never sent (the reset, the policy's and the selection's exclusions): kept
    /// out of the sequences by the strategy, and out of the seeded-object listings here.
    excluded: std::collections::BTreeSet<trespass_generators::model::OperationId>,
    /// Why each excluded operation is never sent, by operation (for the coverage report).
    exclusions: std::collections::BTreeMap<String, String>,
    settings: Settings,
    redactor: Redactor,
    store: Option<FindingStore>,
    origin: Option<Origin>,
    /// The limits every client of the run shares (`--rate`, `--max-in-flight`, `Retry-After`).
    polite: std::sync::Arc<crate::http::Politeness>,
    /// Where the state goes (with the spec's SHA-256), and the state resumed with the findings
    /// it had saved.
    state: Option<(StateFile, String)>,
    resumed: Option<(CampaignState, Vec<Finding>)>,
    /// Operations whose sequences run alone on a shared target, with why.
    exclusive: std::collections::BTreeMap<trespass_generators::model::OperationId, String>,
}

impl std::fmt::Debug for Campaign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Campaign")
            .field("operations", &self.model.operations.len())
            .field("identities", &self.identities.identities.len())
            .field(
                "oracles",
                &self.oracles.iter().map(|o| o.name()).collect::<Vec<_>>(),
            )
            .field("settings", &self.settings)
            .finish()
    }
}

impl Campaign {
    /// A campaign over `model` acting as the identities of `identities` (whose policy and
    /// target reset apply), judged by `oracles`.
    pub fn new(
        model: ApiModel,
        identities: IdentityFile,
        oracles: Vec<Box<dyn Oracle>>,
        settings: Settings,
    ) -> Self {
        let policy = Policy::new(&model, &identities.policy);
        // The reset operation and the policy's exclusions are never sent, whoever builds the
        // campaign; `with_selection` narrows further.
        let selection = crate::identity::selection::default_selection(&model, &identities);
        let strategy = SequenceStrategy::new(&model, &identities.cast())
            .with_config(SequenceConfig::default().with_attack_rate(settings.attack_rate))
            .with_selection(&selection);
        let redactor = Redactor::new();
        let exclusive = exclusive::exclusive_operations(&model, &identities);
        let none = crate::identity::OperationFilter::new::<&str, &str>(&[], &[]);
        let exclusions = crate::identity::selection::excluded(&model, Some(&identities), &none)
            .unwrap_or_default()
            .into_iter()
            .map(|(op, why)| (op.to_string(), why.to_string()))
            .collect();
        for (op, why) in &exclusive {
            tracing::debug!("{op} runs alone on a shared target: {why}");
        }
        let polite = std::sync::Arc::new(crate::http::Politeness::new(
            settings.rate,
            settings.max_in_flight,
            settings.retry,
        ));
        Self {
            exclusive,
            polite,
            excluded: selection.exclude.clone(),
            exclusions,
            model,
            identities,
            policy,
            oracles,
            strategy,
            settings,
            redactor,
            store: None,
            origin: None,
            state: None,
            resumed: None,
        }
    }

    /// Writes the campaign's state to `file` (the spec's SHA-256 is `spec_sha256`) after every
    /// batch of cases and at the end; with `resumed`, goes on from that state, whose findings
    /// (`known`, loaded from the store) are not reported again.
    pub fn with_state(
        mut self,
        file: StateFile,
        spec_sha256: String,
        resumed: Option<(CampaignState, Vec<Finding>)>,
    ) -> Self {
        self.state = Some((file, spec_sha256));
        self.resumed = resumed;
        self
    }

    /// Adds an oracle (a business rule of the caller's own) after those given to
    /// [`Campaign::new`].
    pub fn with_oracle(mut self, oracle: impl Oracle + 'static) -> Self {
        self.oracles.push(Box::new(oracle));
        self
    }

    /// Writes every finding to `store` as soon as it is confirmed, and again once shrunk.
    pub fn with_store(mut self, store: FindingStore) -> Self {
        self.store = Some(store);
        self
    }

    /// Records where the spec, identities and target came from in every finding.
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    /// Narrows the operations sequences send to `selection` (see
    /// [`crate::identity::selection::resolve`]), on top of the reset and policy exclusions.
    pub fn with_selection(mut self, selection: &trespass_generators::sequence::Selection) -> Self {
        self.strategy = self.strategy.with_selection(selection);
        self.excluded.extend(selection.exclude.iter().cloned());
        for op in &selection.exclude {
            self.exclusions
                .entry(op.to_string())
                .or_insert_with(|| "--exclude".to_string());
        }
        self
    }

    /// The store findings are written to, if any.
    pub fn store(&self) -> Option<&FindingStore> {
        self.store.as_ref()
    }

    /// The model.
    pub fn model(&self) -> &ApiModel {
        &self.model
    }

    /// The redactor every report of this campaign goes through.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The limits every client of the run shares, with what they counted.
    pub fn politeness(&self) -> &crate::http::Politeness {
        &self.polite
    }

    /// The `user-enumeration` probe when it is case `case`: the first case, when that oracle
    /// judges the run and an identity logs in through an operation (one pair of logins per
    /// campaign). It is not generated, so it is not shrunk (it is two steps already).
    pub fn probe_for(&self, case: u64) -> Option<Sequence> {
        if case != 0
            || !self
                .oracles
                .iter()
                .any(|o| o.name() == crate::oracle::UserEnumeration::NAME)
        {
            return None;
        }
        crate::oracle::enumeration_probe(&self.model, &self.identities)
    }

    /// The sequence of case `case` (what the workers run).
    pub fn sequence_for(&self, case: u64) -> Option<Sequence> {
        if let Some(probe) = self.probe_for(case) {
            return Some(probe);
        }
        let mut runner = runner_for(self.settings.seed, case);
        let tree = self.strategy.new_tree(&mut runner).ok()?;
        let sequence = tree.current();
        (!sequence.steps.is_empty()).then_some(sequence)
    }

    /// Runs the campaign against `endpoints` (a [`Target`]'s, or a list of one exclusive
    /// [`Endpoint`] per worker), calling `on_event` from the workers as findings and cases
    /// come in.
    pub async fn run(
        &self,
        endpoints: impl Into<Endpoints>,
        on_event: &(dyn Fn(Event<'_>) + Send + Sync),
    ) -> Result<Summary, CampaignError> {
        let ready = self.prepare(endpoints.into()).await?;
        let lanes: Vec<&lane::Lane> = ready.lanes.iter().collect();
        let cut = self.run_workers(&lanes, &ready.shared, on_event).await;
        Ok(self.finish(ready, cut))
    }

    /// Replays `finding`'s stored sequence `runs` times on `endpoint` (resetting first when the
    /// identities file names a reset) and says how often its signature fired again.
    pub async fn replay(
        &self,
        endpoint: &Endpoint,
        finding: &Finding,
        runs: u32,
    ) -> Result<Replayed, CampaignError> {
        let lane = self
            .lane(endpoint, Access::Exclusive, Default::default(), 1, true)
            .await?;
        let executor = Executor::new(&self.model, &lane.sessions, self.policy.shared_kinds());
        let mut probe = LaneProbe::new(self, &lane, &executor, &finding.signature);
        let mut replayed = Replayed {
            runs: runs.max(1),
            reproduced: 0,
            evidence: None,
            not_run: Vec::new(),
        };
        for _ in 0..replayed.runs {
            let reproduction = probe.replay(&finding.sequence).await;
            if let Some(reason) = probe.unrun.take() {
                replayed.not_run.push(reason);
            }
            if let Some(reproduction) = reproduction {
                replayed.reproduced += 1;
                let mut shown = finding.clone();
                shown.set_evidence(
                    &reproduction.violation,
                    &finding.sequence,
                    &reproduction.run.trace,
                    &self.redactor,
                );
                replayed.evidence = Some(shown);
            }
        }
        Ok(replayed)
    }

    /// What the oracles say of one run.
    pub fn violations(&self, result: &RunResult) -> Vec<Violation> {
        check_all(&self.oracles, &self.check_context(result))
    }

    /// What the oracles judged in one run (see [`Coverage`]).
    pub fn coverage(&self, result: &RunResult) -> Coverage {
        Coverage::of_run(&self.oracles, &self.check_context(result))
    }

    /// The oracles' view of one run.
    fn check_context<'a>(&'a self, result: &'a RunResult) -> CheckContext<'a> {
        CheckContext::new(
            &self.model,
            &result.trace,
            &result.ownership,
            &self.policy,
            self.settings.slow_threshold,
        )
    }
}

/// What [`Campaign::replay`] saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Replayed {
    /// Replays run.
    pub runs: u32,
    /// Replays that showed the finding's signature again.
    pub reproduced: u32,
    /// The finding as the last reproducing replay showed it (fresh steps), if any did.
    pub evidence: Option<Finding>,
    /// Why each replay that could not run the sequence at all did not (the target's reset
    /// failed even after its retries, or an identity could not log in), redacted.
    pub not_run: Vec<String>,
}

impl Replayed {
    /// Whether the finding still fails (any replay showed it).
    pub fn still_fails(&self) -> bool {
        self.reproduced > 0
    }

    /// Whether the finding is known to be fixed: no replay showed it, and every replay ran.
    /// A replay that could not run says nothing, so a finding is never called fixed on it.
    pub fn fixed(&self) -> bool {
        self.reproduced == 0 && self.not_run.is_empty()
    }
}

/// The proptest runner of case `case` of a run seeded `seed`: ChaCha seeded with SHA-256 of the
/// seed and the case. Every command that generates sequences from a seed uses it, so the same
/// seed means the same sequences everywhere.
pub fn runner_for(seed: u64, case: u64) -> TestRunner {
    feedback::runner_tagged(b"trespass-case", seed, case)
}

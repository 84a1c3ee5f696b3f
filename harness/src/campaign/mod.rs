//! Fuzz campaigns: generate sequences, run them on the target with several workers, judge every
//! trace with the oracles, and keep one [`Finding`] per unique signature.
//!
//! Case `n` of seed `s` is always the same sequence (its RNG is seeded from `s` and `n`), so a
//! finding is regenerated from `--seed s` whatever the number of workers. Each worker runs its
//! cases one after another against one [`Endpoint`]:
//!
//! - an endpoint of its own (the embedded demo starts one target per worker) is reset before
//!   every sequence when the identities file names a reset, so each sequence starts from the
//!   same state;
//! - an endpoint shared by several workers is reset once at the start; sequences then run
//!   concurrently.
//!
//! A new signature is *confirmed* by replaying its sequence alone (no other sequence in flight
//! on that endpoint, after a reset when one is configured) and checking that the same signature
//! fires again. Findings that do not reproduce are kept and marked unconfirmed.

mod report;
mod reset;
mod target;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;
use trespass_generators::model::ApiModel;
use trespass_generators::sequence::{Sequence, SequenceStrategy, SequenceTree};
use url::Url;

pub use crate::artifact::write_atomically;
pub use report::{REPORT_FORMAT_VERSION, ReportSink, Summary};
#[cfg(feature = "cli")]
pub use target::demo_subject;

use crate::errors::ExecError;
use crate::exec::{ClientConfig, Executor, HttpClient, Purpose, RunResult, Trace};
use crate::finding::{Finding, FindingError, FindingStore, Origin};
use crate::identity::{IdentityFile, Sessions};
use crate::oracle::{CheckContext, Oracle, Policy, Signature, Violation, check_all};
use crate::redact::Redactor;
use crate::seeded::SeededObjects;
use crate::shrink::{Evidence, Probe, ShrinkBudget, shrink};

/// The budget and knobs of a campaign.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Settings {
    /// Most sequences to run; `None` with a `duration` means "until the time is up".
    pub cases: Option<u64>,
    /// Wall-clock budget; the run stops at whichever of `cases` and `duration` comes first.
    pub duration: Option<Duration>,
    /// The seed; case `n` is a function of `(seed, n)`.
    pub seed: u64,
    /// Sequences run at once.
    pub workers: usize,
    /// Answers slower than this are slow (`slow-response`).
    pub slow_threshold: Duration,
    /// Time allowed for one request.
    pub request_timeout: Duration,
    /// Response bodies are cut at this size.
    pub max_body_bytes: usize,
    /// Replay each new signature alone to confirm it (default on).
    pub confirm: bool,
    /// Shrink each confirmed finding against the target within this budget; `None` keeps
    /// findings as generated.
    pub shrink: Option<ShrinkBudget>,
}

impl Settings {
    /// Settings from the run configuration (`TRESPASS_*` defaults), with `seed` chosen.
    pub fn from_config(config: &crate::config::Config, seed: u64) -> Self {
        Self {
            cases: if config.duration.is_some() {
                None
            } else {
                Some(config.cases)
            },
            duration: config.duration,
            seed,
            workers: config.workers.max(1),
            slow_threshold: config.slow_threshold,
            request_timeout: config.request_timeout,
            max_body_bytes: config.max_body_bytes,
            confirm: true,
            shrink: Some(ShrinkBudget {
                max_time: config.max_shrink_time,
                confirmations: config.confirmations,
                ..ShrinkBudget::default()
            }),
        }
    }

    fn case_limit(&self) -> u64 {
        match (self.cases, self.duration) {
            (Some(n), _) => n,
            (None, Some(_)) => u64::MAX,
            (None, None) => 100,
        }
    }
}

/// Where the target listens. `exclusive` endpoints serve one worker only (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL.
    pub base_url: Url,
}

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
    /// The initial reset of the target failed.
    #[error("{0}")]
    Reset(String),
}

/// A configured campaign over one API.
pub struct Campaign {
    model: ApiModel,
    identities: IdentityFile,
    policy: Policy,
    oracles: Vec<Box<dyn Oracle>>,
    strategy: SequenceStrategy,
    settings: Settings,
    redactor: Redactor,
    store: Option<FindingStore>,
    origin: Option<Origin>,
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

/// One endpoint with its sessions and the gate that lets a confirmation run alone.
struct Lane {
    sessions: Sessions,
    gate: RwLock<()>,
    exclusive: bool,
}

/// State shared by the workers.
struct Shared {
    next_case: AtomicU64,
    cases_done: AtomicU64,
    requests: AtomicU64,
    rejected: AtomicU64,
    stop: AtomicBool,
    deadline: Option<Instant>,
    findings: Mutex<BTreeMap<Signature, Finding>>,
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
        let strategy = SequenceStrategy::new(&model, &identities.cast());
        let redactor = Redactor::new();
        Self {
            model,
            identities,
            policy,
            oracles,
            strategy,
            settings,
            redactor,
            store: None,
            origin: None,
        }
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

    /// The sequence of case `case` (what the workers run).
    pub fn sequence_for(&self, case: u64) -> Option<Sequence> {
        let mut runner = runner_for(self.settings.seed, case);
        let tree = self.strategy.new_tree(&mut runner).ok()?;
        let sequence = tree.current();
        (!sequence.steps.is_empty()).then_some(sequence)
    }

    /// Runs the campaign against `endpoints` (one per worker, or one shared by all), calling
    /// `on_event` from the workers as findings and cases come in.
    pub async fn run(
        &self,
        endpoints: &[Endpoint],
        on_event: &(dyn Fn(Event<'_>) + Send + Sync),
    ) -> Result<Summary, CampaignError> {
        if endpoints.is_empty() {
            return Err(CampaignError::NoEndpoint);
        }
        let workers = self.settings.workers.max(1);
        let exclusive = endpoints.len() >= workers;
        let mut lanes = Vec::with_capacity(endpoints.len());
        for endpoint in endpoints {
            lanes.push(self.lane(endpoint, exclusive).await?);
        }
        let started = Instant::now();
        let shared = Shared {
            next_case: AtomicU64::new(0),
            cases_done: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            deadline: self.settings.duration.map(|d| started + d),
            findings: Mutex::new(BTreeMap::new()),
        };
        let runs = (0..workers).map(|w| self.worker(&lanes[w % lanes.len()], &shared, on_event));
        futures_util::future::join_all(runs).await;
        let findings = shared
            .findings
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_values()
            .collect();
        Ok(Summary {
            format_version: REPORT_FORMAT_VERSION,
            seed: self.settings.seed,
            cases: shared.cases_done.load(Ordering::Relaxed),
            requests: shared.requests.load(Ordering::Relaxed),
            rejected: shared.rejected.load(Ordering::Relaxed),
            elapsed: started.elapsed(),
            oracles: self.oracles.iter().map(|o| o.name().to_string()).collect(),
            findings,
        })
    }

    /// The sessions of `endpoint`, after the initial reset.
    async fn lane(&self, endpoint: &Endpoint, exclusive: bool) -> Result<Lane, CampaignError> {
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
            exclusive,
        })
    }

    async fn worker(
        &self,
        lane: &Lane,
        shared: &Shared,
        on_event: &(dyn Fn(Event<'_>) + Send + Sync),
    ) {
        let executor = Executor::new(&self.model, &lane.sessions, self.policy.shared_kinds());
        let limit = self.settings.case_limit();
        loop {
            if shared.stop.load(Ordering::Relaxed)
                || shared.deadline.is_some_and(|d| Instant::now() >= d)
            {
                break;
            }
            let case = shared.next_case.fetch_add(1, Ordering::Relaxed);
            if case >= limit {
                break;
            }
            let Some(sequence) = self.sequence_for(case) else {
                continue;
            };
            let result = {
                let _running = lane.gate.read().await;
                if lane.exclusive
                    && let Some(reset) = &self.identities.target.reset
                    && let Err(e) = reset::run_reset(reset, lane.sessions.client()).await
                {
                    tracing::error!("{}; stopping the campaign", self.redactor.text(&e));
                    shared.stop.store(true, Ordering::Relaxed);
                    break;
                }
                executor.run(&sequence).await
            };
            shared
                .requests
                .fetch_add(result.trace.steps.len() as u64, Ordering::Relaxed);
            if result.trace.reject.is_some() {
                shared.rejected.fetch_add(1, Ordering::Relaxed);
            }
            for finding in self.judge(&sequence, &result, case, shared) {
                let mut finding = self.confirm(finding, &sequence, lane, &executor).await;
                finding.origin = self.origin.clone();
                self.save(&finding);
                let published = publish(shared, finding);
                on_event(Event::Finding(&published));
                let Some(budget) = self.settings.shrink.filter(|_| published.confirmed) else {
                    continue;
                };
                let at = sequence_step(&result.trace, published.step);
                let shrunk = {
                    let _alone = lane.gate.write().await;
                    let signature = published.signature.clone();
                    let mut probe = LaneProbe {
                        campaign: self,
                        lane,
                        executor: &executor,
                        signature: &signature,
                    };
                    self.shrink(published, case, at, &result, budget, &mut probe)
                        .await
                };
                if let Some(shrunk) = shrunk {
                    self.save(&shrunk);
                    let published = publish(shared, shrunk);
                    on_event(Event::Shrunk(&published));
                }
            }
            let cases = shared.cases_done.fetch_add(1, Ordering::Relaxed) + 1;
            let findings = shared.findings.lock().map(|f| f.len()).unwrap_or(0);
            on_event(Event::Progress {
                cases,
                requests: shared.requests.load(Ordering::Relaxed),
                findings,
            });
        }
    }

    /// The violations of one run; counts known signatures and returns the new ones (claimed,
    /// so that no other worker reports them too).
    fn judge(
        &self,
        sequence: &Sequence,
        result: &RunResult,
        case: u64,
        shared: &Shared,
    ) -> Vec<Finding> {
        let mut seen = std::collections::BTreeSet::new();
        let mut new = Vec::new();
        for violation in self.violations(result) {
            let signature = violation.signature();
            if !seen.insert(signature.clone()) {
                continue;
            }
            let mut all = shared.findings.lock().unwrap_or_else(|e| e.into_inner());
            match all.get_mut(&signature) {
                Some(known) => known.count += 1,
                None => {
                    let report = Finding::new(
                        &violation,
                        sequence,
                        &result.trace,
                        case,
                        self.settings.seed,
                        &self.redactor,
                    );
                    all.insert(signature, report.clone());
                    new.push(report);
                }
            }
        }
        new
    }

    /// Replays `finding`'s sequence alone on `lane` (after a reset, when configured) and marks
    /// it confirmed when the same signature fires again.
    async fn confirm(
        &self,
        mut finding: Finding,
        sequence: &Sequence,
        lane: &Lane,
        executor: &Executor<'_>,
    ) -> Finding {
        if !self.settings.confirm {
            finding.confirmed = true;
            return finding;
        }
        let _alone = lane.gate.write().await;
        let mut probe = LaneProbe {
            campaign: self,
            lane,
            executor,
            signature: &finding.signature,
        };
        finding.confirmed = probe.replay(sequence).await.is_some();
        finding
    }

    /// Shrinks `finding` (of case `case`, seen on sequence step `at` of `first_run`) through
    /// `probe`, whose lane the caller holds alone. `None` when the case cannot be regenerated.
    async fn shrink(
        &self,
        mut finding: Finding,
        case: u64,
        at: usize,
        first_run: &RunResult,
        budget: ShrinkBudget,
        probe: &mut LaneProbe<'_, '_>,
    ) -> Option<Finding> {
        let mut runner = runner_for(self.settings.seed, case);
        let tree = self.strategy.new_tree(&mut runner).ok()?;
        let shrunk = shrink(tree, at, Some(first_run), budget, probe).await;
        if let Some(evidence) = &shrunk.evidence {
            finding.set_evidence(
                &evidence.violation,
                &shrunk.sequence,
                &evidence.run.trace,
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
    fn save(&self, finding: &Finding) {
        let Some(store) = &self.store else {
            return;
        };
        let saved = store.save(finding).and_then(|path| {
            crate::reproduce::write_beside(
                &path,
                finding,
                Some(&self.model),
                Some(&self.identities),
            )
            .map_err(|source| FindingError::Io {
                path: path.with_extension("sh"),
                source,
            })
        });
        if let Err(e) = saved {
            tracing::error!("cannot save finding {}: {e}", finding.signature);
        }
    }

    /// Replays `finding`'s stored sequence `runs` times on `endpoint` (resetting first when the
    /// identities file names a reset) and says how often its signature fired again.
    pub async fn replay(
        &self,
        endpoint: &Endpoint,
        finding: &Finding,
        runs: u32,
    ) -> Result<Replayed, CampaignError> {
        let lane = self.lane(endpoint, true).await?;
        let executor = Executor::new(&self.model, &lane.sessions, self.policy.shared_kinds());
        let mut probe = LaneProbe {
            campaign: self,
            lane: &lane,
            executor: &executor,
            signature: &finding.signature,
        };
        let mut replayed = Replayed {
            runs: runs.max(1),
            reproduced: 0,
            evidence: None,
        };
        for _ in 0..replayed.runs {
            if let Some(evidence) = probe.replay(&finding.sequence).await {
                replayed.reproduced += 1;
                let mut shown = finding.clone();
                shown.set_evidence(
                    &evidence.violation,
                    &finding.sequence,
                    &evidence.run.trace,
                    &self.redactor,
                );
                replayed.evidence = Some(shown);
            }
        }
        Ok(replayed)
    }

    /// What the oracles say of one run.
    pub fn violations(&self, result: &RunResult) -> Vec<Violation> {
        let cx = CheckContext::new(
            &self.model,
            &result.trace,
            &result.ownership,
            &self.policy,
            self.settings.slow_threshold,
        );
        check_all(&self.oracles, &cx)
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
}

impl Replayed {
    /// Whether the finding still fails (any replay showed it).
    pub fn still_fails(&self) -> bool {
        self.reproduced > 0
    }
}

/// Replays sequences on one lane, resetting first, and looks for one signature.
struct LaneProbe<'c, 'e> {
    campaign: &'c Campaign,
    lane: &'c Lane,
    executor: &'c Executor<'e>,
    signature: &'c Signature,
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
    async fn replay(&mut self, sequence: &Sequence) -> Option<Evidence> {
        if !self.reset().await {
            return None;
        }
        let run = self.executor.run(sequence).await;
        let violation = self
            .campaign
            .violations(&run)
            .into_iter()
            .find(|v| v.signature() == *self.signature)?;
        Some(Evidence { violation, run })
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

/// Stores `finding` in the campaign's map, keeping the count other workers added, and returns
/// what was stored.
fn publish(shared: &Shared, mut finding: Finding) -> Finding {
    let mut all = shared.findings.lock().unwrap_or_else(|e| e.into_inner());
    finding.count = all.get(&finding.signature).map_or(1, |f| f.count);
    all.insert(finding.signature.clone(), finding.clone());
    finding
}

/// The index in the sequence of trace step `index` (a re-read counts as the write it checks).
fn sequence_step(trace: &Trace, index: usize) -> usize {
    let mut at = index;
    loop {
        match trace.steps.get(at).map(|s| s.purpose) {
            Some(Purpose::Sequence { step }) => return step,
            Some(Purpose::VerifyBefore { of } | Purpose::VerifyAfter { of }) if of != at => at = of,
            _ => return usize::MAX,
        }
    }
}

/// The proptest runner of case `case` of a run seeded `seed`: ChaCha seeded with SHA-256 of the
/// seed and the case. Every command that generates sequences from a seed uses it, so the same
/// seed means the same sequences everywhere.
pub fn runner_for(seed: u64, case: u64) -> TestRunner {
    let mut hasher = Sha256::new();
    hasher.update(b"trespass-case");
    hasher.update(seed.to_le_bytes());
    hasher.update(case.to_le_bytes());
    let bytes: [u8; 32] = hasher.finalize().into();
    TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

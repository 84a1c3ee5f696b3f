//! The `cargo test` API: run trespass from a test and assert on what it found.
//!
//! ```no_run
//! #[test]
//! fn authorization_invariants() {
//!     let outcome = trespass::Harness::from_spec("openapi.yaml")
//!         .base_url("http://127.0.0.1:8080")
//!         .identities_file("identities.toml")
//!         .cases(200) // TRESPASS_CASES overrides it
//!         .seed(7) // TRESPASS_SEED overrides it
//!         .run(); // replays saved findings first, then generates
//!     trespass::assert_findings_snapshot!(outcome); // or outcome.assert_clean()
//! }
//! ```
//!
//! [`Harness::run`] first replays every finding saved in the corpus folder (`corpus/findings`
//! relative to the test's package directory unless [`Harness::corpus`] says otherwise): those
//! that still fail are in the [`Outcome`] marked as replayed, those that no longer fail are
//! listed in [`Outcome::fixed`] (their files are kept). Then it generates new cases, shrinks
//! every confirmed finding against the target and saves it to the corpus.
//!
//! The seed is the builder's ([`Harness::seed`]) unless `TRESPASS_SEED` is set, and random
//! (printed on stderr) when neither is; `TRESPASS_CASES` likewise overrides
//! [`Harness::cases`], so CI can run deeper without a code change. Every other `TRESPASS_*`
//! variable applies as for the binary (see [`crate::config`]), below the builder's settings.
//!
//! [`Outcome::assert_clean`] panics with the headline, the replay command and the minimal steps
//! of every finding; [`assert_findings_snapshot!`](crate::assert_findings_snapshot) stores the
//! findings as insta snapshots beside the calling test (review changes with
//! `cargo insta review`).

mod custom;
mod outcome;
pub mod snapshot;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use outcome::{Fixed, Found, Outcome};

use custom::CustomOracles;

/// insta, for [`assert_findings_snapshot!`](crate::assert_findings_snapshot): callers need no
/// direct dependency on it.
#[doc(hidden)]
pub use insta as __insta;

use trespass_generators::model::ApiModel;
use url::Url;

use crate::campaign::{
    Campaign, CampaignError, Event, Settings, Summary, Target, TargetCommand, TargetError,
    TargetKind,
};
use crate::config::{Config, ConfigError};
use crate::errors::IdentityFileError;
use crate::finding::{Finding, FindingError, FindingStore, Origin};
use crate::identity::{IdentityFile, OperationFilter};

/// The corpus folder findings are saved to and replayed from unless [`Harness::corpus`] says
/// otherwise (relative to the working directory, which `cargo test` sets to the package's).
pub const DEFAULT_CORPUS: &str = "corpus/findings";

/// Why a [`Harness`] could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The spec cannot be read or used (the message names the file and the JSON pointer).
    #[error("{0}")]
    Spec(#[from] trespass_generators::SpecError),
    /// The identities file cannot be read or used (the message names the file).
    #[error("{0}")]
    Identities(#[from] IdentityFileError),
    /// A spec was given without an identities file.
    #[error(
        "no identities file for {spec}: call .identities_file(\"identities.toml\") on the Harness"
    )]
    NoIdentities {
        /// The spec.
        spec: PathBuf,
    },
    /// A spec was given without the target's URL.
    #[error("no target for {spec}: call .base_url(\"http://127.0.0.1:PORT\") on the Harness")]
    NoBaseUrl {
        /// The spec.
        spec: PathBuf,
    },
    /// The base URL is not a usable URL.
    #[error("base URL `{url}` cannot be used: {reason}")]
    BadBaseUrl {
        /// The URL given.
        url: String,
        /// Why.
        reason: String,
    },
    /// Nothing answers at the base URL.
    #[error("the target at {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL given.
        url: String,
        /// What connecting said.
        reason: String,
    },
    /// A `TRESPASS_*` variable has a value that cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A setting of the builder cannot be used (`workers(0)`, an unknown oracle).
    #[error("{0}")]
    Setting(String),
    /// A saved finding cannot be read (the message names the file).
    #[error(transparent)]
    Finding(#[from] FindingError),
    /// A saved finding's oracle is not built in, so it cannot be replayed.
    #[error("{file}: oracle `{oracle}` is not built in, so the finding cannot be replayed")]
    UnknownOracle {
        /// The finding file.
        file: PathBuf,
        /// The oracle it names.
        oracle: String,
    },
    /// A saved finding could not be replayed at all (the target's reset failed, an identity
    /// could not log in), so whether it is fixed is unknown.
    #[error("{file}: cannot replay `{signature}`: {reason}")]
    NotReplayed {
        /// The finding file.
        file: PathBuf,
        /// The finding's signature.
        signature: String,
        /// Why (redacted).
        reason: String,
    },
    /// The campaign could not run (its initial reset of the target failed, ...).
    #[error("{0}")]
    Campaign(#[from] CampaignError),
    /// The async runtime or an embedded demo target could not be started.
    #[error("{0}")]
    Start(String),
}

/// What the harness runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A spec file; the target is at [`Harness::base_url`].
    Spec(PathBuf),
    /// An embedded demo service, started in-process.
    #[cfg(feature = "cli")]
    Demo(trespass_targets::Service),
}

/// Runs trespass from a test: a builder over a spec (or an embedded demo), its identities, a
/// target and a budget. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a Harness does nothing until .run() or .try_run()"]
pub struct Harness {
    source: Source,
    base_url: Option<String>,
    target_command: Option<String>,
    identities: Option<PathBuf>,
    cases: Option<u64>,
    seed: Option<u64>,
    workers: Option<usize>,
    oracles: String,
    /// The caller's own oracles ([`Harness::oracle`]), after the selected built-in ones.
    custom: CustomOracles,
    corpus: PathBuf,
    shrink: bool,
    shrink_share: Option<u8>,
    /// In millionths (the builder stays `Eq`).
    attack_rate: Option<u32>,
    replay_only: Option<PathBuf>,
    secure: bool,
    /// `--include` / `--exclude` patterns.
    filter: OperationFilter,
    /// The environment to read `TRESPASS_*` from instead of the process's (for tests).
    env: Option<Vec<(String, String)>>,
}

impl Harness {
    fn with_source(source: Source) -> Self {
        Self {
            source,
            base_url: None,
            target_command: None,
            identities: None,
            cases: None,
            seed: None,
            workers: None,
            oracles: "default".into(),
            custom: CustomOracles::default(),
            corpus: PathBuf::from(DEFAULT_CORPUS),
            shrink: true,
            shrink_share: None,
            attack_rate: None,
            replay_only: None,
            secure: false,
            filter: OperationFilter::default(),
            env: None,
        }
    }

    /// A harness for the API described by the OpenAPI (or Swagger) file at `path`; give the
    /// target with [`Harness::base_url`] and the identities with [`Harness::identities_file`].
    pub fn from_spec(path: impl AsRef<Path>) -> Self {
        Self::with_source(Source::Spec(path.as_ref().to_path_buf()))
    }

    /// A harness for an embedded demo service, started in-process on a free port (one
    /// instance per worker) with its embedded spec and identities; vulnerable unless
    /// [`Harness::secure`].
    #[cfg(feature = "cli")]
    pub fn demo(service: trespass_targets::Service) -> Self {
        Self::with_source(Source::Demo(service))
    }

    /// Runs the embedded demo with its planted bugs fixed (`true`) or live (`false`, the
    /// default). Only [`Harness::demo`] harnesses use it.
    #[cfg(feature = "cli")]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Where the target listens (`http://127.0.0.1:8080`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Starts the target with this shell command, one instance per worker, `{port}` replaced
    /// by a free port on 127.0.0.1 (`./my-api --port {port}`); the instances log to
    /// `<corpus>/targets/worker-N.log` and are stopped when the run ends. With
    /// [`Harness::base_url`] too, only its path is used. Without either, the identities
    /// file's `[target] command` is used when it has one.
    pub fn target_command(mut self, command: impl Into<String>) -> Self {
        self.target_command = Some(command.into());
        self
    }

    /// The identities-and-policy file (TOML).
    pub fn identities_file(mut self, path: impl AsRef<Path>) -> Self {
        self.identities = Some(path.as_ref().to_path_buf());
        self
    }

    /// Sequences to generate (default [`crate::config::DEFAULT_CASES`]); `TRESPASS_CASES`
    /// overrides it. With a duration (`TRESPASS_DURATION`) the run stops at whichever comes
    /// first.
    pub fn cases(mut self, cases: u64) -> Self {
        self.cases = Some(cases);
        self
    }

    /// The seed (default: random, printed); `TRESPASS_SEED` overrides it.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sequences run at once (default `TRESPASS_WORKERS`, else 2). With one target URL and
    /// several workers, sequences share the target; one worker resets it (when the identities
    /// file names a reset) before every sequence.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers);
        self
    }

    /// The oracles, in the `--oracles` language (`default,+negative-acceptance`, `bola,bfla`;
    /// see [`crate::oracle::select`]).
    pub fn oracles(mut self, selection: impl Into<String>) -> Self {
        self.oracles = selection.into();
        self
    }

    /// Adds an oracle of the caller's own: a business rule of the API under test (an order's
    /// total is the sum of its items, a refund never exceeds the payment). It judges every
    /// trace after the built-in oracles [`Harness::oracles`] selects; its findings are
    /// confirmed, shrunk, saved and replayed like theirs. Its name must not be a built-in
    /// oracle's nor another added oracle's (the run stops with [`HarnessError::Setting`]).
    ///
    /// `examples/tests/business_rule.rs` has one (an order's total is the sum of its lines).
    pub fn oracle(mut self, oracle: impl crate::oracle::Oracle + 'static) -> Self {
        self.custom.0.push(std::sync::Arc::new(oracle));
        self
    }

    /// The folder findings are saved to and replayed from (default [`DEFAULT_CORPUS`]).
    pub fn corpus(mut self, dir: impl AsRef<Path>) -> Self {
        self.corpus = dir.as_ref().to_path_buf();
        self
    }

    /// Whether to shrink confirmed findings against the target (default `true`).
    pub fn shrink(mut self, shrink: bool) -> Self {
        self.shrink = shrink;
        self
    }

    /// With a duration (`TRESPASS_DURATION`): the percentage of it that shrinking may use in
    /// all, across every finding (0 to 100, capped at 100; default `TRESPASS_SHRINK_SHARE`,
    /// else 25). Findings past it are saved as found, not shrunk.
    pub fn shrink_share(mut self, percent: u8) -> Self {
        self.shrink_share = Some(percent.min(100));
        self
    }

    /// The chance (0 to 1, clamped) that a generated argument whose schema admits attack
    /// payloads carries one (default `TRESPASS_ATTACK_RATE`, else 0.1; 0 turns them off).
    pub fn attack_rate(mut self, rate: f64) -> Self {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self.attack_rate = Some((rate * 1_000_000.0).round() as u32);
        self
    }

    /// Aims only at the operations `pattern` selects (call again to add more; a comma list is
    /// split): `"METHOD /path"`, `tag:NAME`, a path glob `/admin/*` or an operationId, as
    /// `--include`. Operations that produce their inputs are still sent as setup steps.
    pub fn include(mut self, pattern: impl AsRef<str>) -> Self {
        let more = OperationFilter::new(&[pattern], &[] as &[&str]);
        self.filter.include.extend(more.include);
        self
    }

    /// Never sends the operations `pattern` selects (same forms, as `--exclude`), in addition
    /// to the policy's `exclude_operations` and the target's reset operation.
    pub fn exclude(mut self, pattern: impl AsRef<str>) -> Self {
        let more = OperationFilter::new(&[] as &[&str], &[pattern]);
        self.filter.exclude.extend(more.exclude);
        self
    }

    /// Replays just the finding saved at `finding` and generates nothing: what a regression
    /// test for one finding uses (`.replay_only(..).run().assert_clean()` fails while the bug
    /// is there).
    pub fn replay_only(mut self, finding: impl AsRef<Path>) -> Self {
        self.replay_only = Some(finding.as_ref().to_path_buf());
        self
    }

    /// Reads `TRESPASS_*` from `vars` instead of the process environment.
    #[cfg(test)]
    pub(crate) fn env(mut self, vars: &[(&str, &str)]) -> Self {
        self.env = Some(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    /// Runs: replays the saved findings, then generates (unless [`Harness::replay_only`]).
    ///
    /// # Panics
    /// When the harness cannot run (missing spec, bad identities file, unreachable target),
    /// with the message of [`Harness::try_run`]'s error. Findings do not panic: assert on the
    /// [`Outcome`].
    #[track_caller]
    pub fn run(&self) -> Outcome {
        match self.try_run() {
            Ok(outcome) => outcome,
            Err(e) => panic!("trespass could not run: {e}"),
        }
    }

    /// Like [`Harness::run`], with the reasons it cannot run returned as errors.
    ///
    /// The work runs on a runtime of its own in a separate thread, so this can be called from
    /// a plain `#[test]` as well as from inside `#[tokio::test]`. (A target served by tasks of
    /// a current-thread test runtime needs [`Harness::run_async`], which does not block it.)
    pub fn try_run(&self) -> Result<Outcome, HarnessError> {
        std::thread::scope(|scope| {
            let worker = std::thread::Builder::new()
                .name("trespass-harness".into())
                .spawn_scoped(scope, || self.execute())
                .map_err(|e| HarnessError::Start(format!("cannot start a thread: {e}")))?;
            worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// [`Harness::try_run`] for async tests: the run happens on a thread of its own, and the
    /// calling task waits without blocking its runtime (so a target served by that runtime
    /// keeps answering).
    pub async fn run_async(self) -> Result<Outcome, HarnessError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("trespass-harness".into())
            .spawn(move || {
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.execute()));
                let _ = tx.send(result);
            })
            .map_err(|e| HarnessError::Start(format!("cannot start a thread: {e}")))?;
        match rx.await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => Err(HarnessError::Start("the harness thread stopped".into())),
        }
    }

    /// The configuration of the environment, and the seed and case count after the
    /// environment's overrides.
    fn resolve(&self) -> Result<(Config, u64, Option<u64>, bool), HarnessError> {
        let vars: Vec<(String, String)> = match &self.env {
            Some(vars) => vars.clone(),
            None => std::env::vars().collect(),
        };
        let mut config = Config::default().overlay_env(vars)?;
        // TRESPASS_CASES beats the builder; either applies with a duration too.
        config.cases = config.cases.or(self.cases);
        if let Some(workers) = self.workers {
            if workers == 0 {
                return Err(HarnessError::Setting(
                    "workers must be at least 1 (Harness::workers)".into(),
                ));
            }
            config.workers = workers;
        }
        if let Some(share) = self.shrink_share {
            config.shrink_share = share;
        }
        if let Some(millionths) = self.attack_rate {
            config.attack_rate = f64::from(millionths) / 1_000_000.0;
        }
        let (seed, random) = match config.seed.or(self.seed) {
            Some(seed) => (seed, false),
            None => (random_seed(), true),
        };
        let cases = config.cases;
        Ok((config, seed, cases, random))
    }

    /// The run, on the current thread.
    fn execute(&self) -> Result<Outcome, HarnessError> {
        let (config, seed, _, random) = self.resolve()?;
        let mut settings = Settings::from_config(&config, seed);
        if !self.shrink {
            settings.shrink = None;
        }
        let oracles = self.selected_oracles()?;
        let store = FindingStore::new(&self.corpus);
        let saved = match &self.replay_only {
            Some(path) => vec![(path.clone(), Finding::load(path)?)],
            None => store.load_all()?,
        };
        let replay_oracles = self.replay_oracles(&saved)?;

        let started = self.start_target(settings.workers)?;
        eprintln!(
            "trespass: {} with seed {seed}{}",
            started.label,
            if random {
                format!(" (random; TRESPASS_SEED={seed} re-runs it)")
            } else {
                String::new()
            }
        );
        // Set-up and replays; the campaign's workers get threads of their own.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| HarnessError::Start(format!("cannot start the async runtime: {e}")))?;

        config.warn_unknown_vars(&started.identities.env_vars);
        for warning in started.identities.login_warnings(&started.model) {
            tracing::warn!("{warning}");
        }
        let (mut found, mut fixed) = replay_saved(
            &runtime,
            &started,
            saved,
            replay_oracles,
            &settings,
            config.confirmations,
        )?;

        let summary = if self.replay_only.is_some() {
            Summary {
                format_version: crate::campaign::REPORT_FORMAT_VERSION,
                seed,
                shards: Vec::new(),
                cases: 0,
                requests: 0,
                rejected: 0,
                rejections: Default::default(),
                sharing: Default::default(),
                transport: Default::default(),
                peak_memory: None,
                elapsed: Duration::ZERO,
                oracles: oracles.iter().map(|o| o.name().to_string()).collect(),
                root_causes: crate::campaign::RootCause::group(
                    &found.iter().map(|f| f.finding.clone()).collect::<Vec<_>>(),
                ),
                findings: found.iter().map(|f| f.finding.clone()).collect(),
                feedback: None,
                interrupted: false,
                coverage: Default::default(),
                operations: Default::default(),
            }
        } else {
            let selection = crate::identity::selection::resolve(
                &started.model,
                Some(&started.identities),
                &self.filter,
            )
            .map_err(|e| HarnessError::Setting(e.to_string()))?;
            let campaign = Campaign::new(started.model, started.identities, oracles, settings)
                .with_selection(&selection)
                .with_store(store.clone())
                .with_origin(started.origin);
            let on_event = |event: Event<'_>| {
                if let Event::Finding(finding) = event {
                    eprintln!("trespass: {}", finding.headline());
                }
            };
            let threads = crate::campaign::worker_threads();
            let summary = campaign.run_on_threads(&runtime, &started.target, &on_event, threads)?;
            for finding in &summary.findings {
                // A saved finding of an older form (no cause in its signature) is the same.
                fixed.retain(|f| !f.finding.signature.matches(&finding.signature));
                if !found
                    .iter()
                    .any(|f| f.finding.signature.matches(&finding.signature))
                {
                    found.push(Found {
                        finding: finding.clone(),
                        file: store.path_of(&finding.signature),
                        replayed: false,
                    });
                }
            }
            summary
        };
        drop(started.target);
        found.sort_by(|a, b| a.finding.signature.cmp(&b.finding.signature));
        fixed.sort_by(|a, b| a.finding.signature.cmp(&b.finding.signature));
        Ok(Outcome {
            findings: found,
            fixed,
            summary,
            seed,
        })
    }

    /// The oracles the builder selected, the caller's own last.
    fn selected_oracles(&self) -> Result<Vec<Box<dyn crate::oracle::Oracle>>, HarnessError> {
        let mut oracles = crate::oracle::select(&self.oracles)
            .map_err(|e| HarnessError::Setting(format!("oracles: {e}")))?;
        let mut names: Vec<&str> = Vec::new();
        for custom in &self.custom.0 {
            let name = custom.name();
            if name.trim().is_empty() {
                return Err(HarnessError::Setting(
                    "oracle: an added oracle has an empty name".into(),
                ));
            }
            if crate::oracle::BUILT_IN.contains(&name) || name == crate::oracle::TARGET_CRASH {
                return Err(HarnessError::Setting(format!(
                    "oracle: `{name}` is the name of a built-in oracle; give yours another"
                )));
            }
            if names.contains(&name) {
                return Err(HarnessError::Setting(format!(
                    "oracle: two added oracles are called `{name}`"
                )));
            }
            names.push(name);
            oracles.push(Box::new(std::sync::Arc::clone(custom)));
        }
        Ok(oracles)
    }

    /// The selected oracles and the built-in ones the `saved` findings need to be replayed.
    fn replay_oracles(
        &self,
        saved: &[(PathBuf, Finding)],
    ) -> Result<Vec<Box<dyn crate::oracle::Oracle>>, HarnessError> {
        let mut oracles = self.selected_oracles()?;
        for (file, finding) in saved {
            // A crash is judged by watching the instance (see `replay_saved`), not by an oracle.
            let crash = finding.oracle == crate::oracle::TARGET_CRASH;
            if !crash && !oracles.iter().any(|o| o.name() == finding.oracle) {
                oracles.push(crate::oracle::built_in(&finding.oracle).ok_or_else(|| {
                    HarnessError::UnknownOracle {
                        file: file.clone(),
                        oracle: finding.oracle.clone(),
                    }
                })?);
            }
        }
        Ok(oracles)
    }

    /// The model, identities and target to run on (demo targets started, a URL checked).
    fn start_target(&self, workers: usize) -> Result<StartedTarget, HarnessError> {
        match &self.source {
            Source::Spec(spec) => {
                let mut model = trespass_generators::load_file(spec)?;
                let text = std::fs::read_to_string(spec).map_err(|e| {
                    HarnessError::Start(format!("{}: cannot read the file: {e}", spec.display()))
                })?;
                let identities_path = self
                    .identities
                    .as_ref()
                    .ok_or_else(|| HarnessError::NoIdentities { spec: spec.clone() })?;
                let mut identities = IdentityFile::load(identities_path)?;
                identities.apply_resources(&mut model)?;
                let origin = Origin::new(spec.display().to_string(), &text)
                    .identities(identities_path.display().to_string());
                if let Some(command) = self.command(&identities).map(str::to_string) {
                    let command = command.as_str();
                    let target = self.start_command(command, workers)?;
                    return Ok(StartedTarget {
                        model,
                        identities,
                        target,
                        origin,
                        label: format!("fuzzing `{command}` ({})", spec.display()),
                    });
                }
                let url = self
                    .base_url
                    .as_ref()
                    .ok_or_else(|| HarnessError::NoBaseUrl { spec: spec.clone() })?;
                let base_url = Url::parse(url).map_err(|e| HarnessError::BadBaseUrl {
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
                let target = Target::start(TargetKind::Url(base_url.clone()), workers).map_err(
                    |e| match e {
                        TargetError::Unreachable { reason, .. } => HarnessError::Unreachable {
                            url: url.clone(),
                            reason,
                        },
                        other => HarnessError::Start(other.to_string()),
                    },
                )?;
                let origin = origin.base_url(crate::redact::Redactor::new().url(base_url.as_str()));
                Ok(StartedTarget {
                    model,
                    identities,
                    target,
                    origin,
                    label: format!("fuzzing {url} ({})", spec.display()),
                })
            }
            #[cfg(feature = "cli")]
            Source::Demo(service) => {
                let (model, identities) =
                    crate::campaign::demo_subject(*service).map_err(HarnessError::Start)?;
                let mode = if self.secure {
                    trespass_targets::Mode::Secure
                } else {
                    trespass_targets::Mode::Vulnerable
                };
                let kind = TargetKind::Embedded {
                    service: *service,
                    mode,
                };
                let target =
                    Target::start(kind, workers).map_err(|e| HarnessError::Start(e.to_string()))?;
                Ok(StartedTarget {
                    model,
                    identities,
                    target,
                    origin: Origin::embedded(service, service.spec_yaml()),
                    label: format!(
                        "fuzzing the embedded {service} demo ({})",
                        if self.secure { "secure" } else { "vulnerable" }
                    ),
                })
            }
        }
    }
}

impl Harness {
    /// The command that starts the target: [`Harness::target_command`], else the identities
    /// file's `[target] command` when no base URL is given.
    fn command<'a>(&'a self, identities: &'a IdentityFile) -> Option<&'a str> {
        self.target_command.as_deref().or(identities
            .target
            .command
            .as_deref()
            .filter(|_| self.base_url.is_none()))
    }

    /// Starts `command` once per worker, logging into `<corpus>/targets`.
    fn start_command(&self, command: &str, workers: usize) -> Result<Target, HarnessError> {
        let mut started = TargetCommand::new(command, self.corpus.join("targets"))
            .map_err(|e| HarnessError::Start(format!("the target command `{command}`: {e}")))?;
        if let Some(url) = &self.base_url {
            let base = Url::parse(url).map_err(|e| HarnessError::BadBaseUrl {
                url: url.clone(),
                reason: e.to_string(),
            })?;
            started = started.with_base_path_of(&base);
        }
        Target::start(TargetKind::Command(started), workers)
            .map_err(|e| HarnessError::Start(e.to_string()))
    }
}

/// Replays the `saved` findings on the first endpoint of `started`: those that still fail,
/// and those that no longer do.
fn replay_saved(
    runtime: &tokio::runtime::Runtime,
    started: &StartedTarget,
    saved: Vec<(PathBuf, Finding)>,
    oracles: Vec<Box<dyn crate::oracle::Oracle>>,
    settings: &Settings,
    confirmations: u32,
) -> Result<(Vec<Found>, Vec<Fixed>), HarnessError> {
    let mut found = Vec::new();
    let mut fixed = Vec::new();
    if saved.is_empty() {
        return Ok((found, fixed));
    }
    let replayer = Campaign::new(
        started.model.clone(),
        started.identities.clone(),
        oracles,
        settings.clone(),
    );
    let endpoints = started.target.endpoints();
    let endpoint = endpoints
        .first()
        .ok_or_else(|| HarnessError::Start("the target has no endpoint".into()))?;
    for (file, finding) in saved {
        // A flaky or unconfirmed finding gets as many chances as a confirmation.
        let runs = if finding.confirmed && !finding.flaky {
            1
        } else {
            confirmations.max(1)
        };
        let replayed = if finding.oracle == crate::oracle::TARGET_CRASH {
            let Some(supervisor) = endpoints.supervisor(0) else {
                return Err(HarnessError::NotReplayed {
                    file,
                    signature: finding.signature.to_string(),
                    reason: "a target crash replays on a target started from a command \
                             (Harness::target_command)"
                        .to_string(),
                });
            };
            runtime.block_on(replayer.replay_crash(endpoint, supervisor, &finding, runs))?
        } else {
            runtime.block_on(replayer.replay(endpoint, &finding, runs))?
        };
        match replayed.evidence {
            Some(shown) => {
                eprintln!("trespass: still fails (replayed): {}", shown.headline());
                found.push(Found {
                    finding: shown,
                    file,
                    replayed: true,
                });
            }
            None if !replayed.fixed() => {
                return Err(HarnessError::NotReplayed {
                    file,
                    signature: finding.signature.to_string(),
                    reason: replayed.not_run.join("; "),
                });
            }
            None => {
                eprintln!(
                    "trespass: fixed: {} ({})",
                    finding.signature,
                    file.display()
                );
                fixed.push(Fixed { finding, file });
            }
        }
    }
    Ok((found, fixed))
}

/// A started target with the model and identities to run on it.
struct StartedTarget {
    model: ApiModel,
    identities: IdentityFile,
    /// Stopped (embedded demos) when dropped.
    target: Target,
    origin: Origin,
    label: String,
}

/// A seed from the clock and the process's hash keys.
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

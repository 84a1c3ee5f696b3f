//! `trespass fuzz`: run a campaign against a target (or the embedded demo) and report.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trespass_generators::model::ApiModel;
use trespass_targets::{Mode, Service};
use url::Url;

use super::ExpectedError;
use super::args::FuzzArgs;
use super::demo::{demo_mode, mode_name};
use crate::campaign::{
    Campaign, CampaignState, Event, ReportSink, Settings, StateFile, Summary, Target,
    TargetCommand, TargetKind,
};
use crate::config::Config;
use crate::exit_codes;
use crate::finding::{Finding, FindingStore, Origin, ShrinkStats};
use crate::identity::{IdentityFile, OperationFilter, selection};

/// What to fuzz (or replay on): a running target with its model and identities.
pub(super) struct LiveTarget {
    pub(super) model: ApiModel,
    pub(super) identities: IdentityFile,
    /// The target, kept running for the run (embedded demos stop when it is dropped).
    pub(super) target: Target,
    pub(super) label: String,
    /// What findings record of where they came from.
    pub(super) origin: Origin,
}

/// The environment's configuration with the command line's budget, shrink share and workers
/// over it.
fn config_of(args: &FuzzArgs) -> Result<Config, ExpectedError> {
    let mut config = Config::from_env().map_err(ExpectedError::wrap)?;
    if let Some(cases) = args.cases {
        config.cases = Some(cases);
    }
    if let Some(duration) = args.duration {
        config.duration = Some(duration);
    }
    if let Some(share) = args.shrink_share {
        config.shrink_share = share;
    }
    if let Some(rate) = args.attack_rate {
        config.attack_rate = rate;
    }
    if let Some(workers) = args.workers {
        if workers == 0 {
            return Err(ExpectedError::usage("--workers must be at least 1"));
        }
        config.workers = workers;
    }
    Ok(config)
}

/// The seed the user gave (`--seed`, `TRESPASS_SEED`), which a shard cannot do without.
fn seed_of(args: &FuzzArgs, config: &Config) -> Result<Option<u64>, ExpectedError> {
    let seed = args.seed.or(config.seed);
    if let (Some(shard), None) = (args.shard, seed) {
        return Err(ExpectedError::usage(format!(
            "--shard {shard} needs --seed (or TRESPASS_SEED): every shard must split the same \
             case space, so all of them take the same seed"
        )));
    }
    Ok(seed)
}

/// The campaign's settings: the configuration's, with the flags that change them.
fn settings_of(args: &FuzzArgs, config: &Config, seed: u64) -> Settings {
    let mut settings = Settings::from_config(config, seed);
    settings.shard = args.shard;
    settings.confirm = !args.no_confirm;
    settings.rate = args.rate;
    settings.max_in_flight = args.max_in_flight.map(|n| n as usize);
    settings.feedback = feedback_share(args);
    if args.no_shrink || args.no_confirm {
        settings.shrink = None;
    }
    settings
}

/// The share of cases that extend the corpus (`--feedback`, `--no-feedback`).
fn feedback_share(args: &FuzzArgs) -> f64 {
    if args.no_feedback {
        0.0
    } else {
        args.feedback
            .unwrap_or(crate::campaign::feedback::DEFAULT_FEEDBACK)
    }
}

pub(crate) fn run(args: FuzzArgs) -> Result<u8, ExpectedError> {
    let config = config_of(&args)?;
    let explicit_seed = seed_of(&args, &config)?;
    let mut seed = explicit_seed.unwrap_or_else(crate::api::random_seed);
    let mut settings = settings_of(&args, &config, seed);
    let oracles = crate::oracle::select(&args.oracles).map_err(ExpectedError::usage)?;
    // Where results go is checked before the first request, not found broken after an hour.
    for sink in &args.report {
        check_writable_file(sink.path(), "the report")?;
    }
    check_writable_dir(&args.corpus, "the findings folder (--corpus)")?;

    // Kept to the end of the run: the thread that watches for Ctrl-C.
    let (_signals, runtime) = runtimes()?;
    let live = live_target(&args, settings.workers)?;
    config.warn_unknown_vars(&live.identities.env_vars);
    for warning in live.identities.login_warnings(&live.model) {
        tracing::warn!("{warning}");
    }
    let filter = OperationFilter::new(&args.include, &args.exclude);
    let selection = selection::resolve(&live.model, Some(&live.identities), &filter)
        .map_err(ExpectedError::wrap)?;
    let store = FindingStore::new(&args.corpus);
    let (state_file, resumed) = campaign_state(
        &args,
        &live,
        explicit_seed,
        settings.own_case_limit(),
        &store,
    )?;
    if let Some((state, _)) = &resumed {
        seed = state.seed;
        settings.seed = seed;
    }
    eprintln!(
        "fuzzing {} ({} operations) with seed {seed}, {} worker(s), {}",
        live.label,
        live.model.operations.len(),
        settings.workers,
        settings.describe_budget()
    );
    say_never_sent(&live, &filter)?;
    let spec_sha256 = live.origin.spec_sha256.clone();
    let campaign = Campaign::new(live.model, live.identities, oracles, settings)
        .with_state(state_file, spec_sha256, resumed)
        .with_selection(&selection)
        .with_store(store.clone())
        .with_origin(live.origin);
    if let Some(limits) = campaign.politeness().describe() {
        eprintln!("politeness: {limits}");
    }

    let progress = progress_bar(&args, &campaign);
    let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    let sinks = &args.report;
    let write_error: Mutex<Option<String>> = Mutex::new(None);
    let on_event = |event: Event<'_>| match event {
        Event::Finding(finding) | Event::Shrunk(finding) => {
            let shrunk = matches!(event, Event::Shrunk(_));
            progress.suspend(|| {
                if !shrunk {
                    println!("{}", finding.headline());
                } else if let Some(stats) = &finding.shrink {
                    println!(
                        "  {}: {}\n    saved {}",
                        finding.signature,
                        shrink_line(finding, stats),
                        store.path_of(&finding.signature).display()
                    );
                }
            });
            let mut all = found.lock().unwrap_or_else(|e| e.into_inner());
            all.retain(|f| f.signature != finding.signature);
            all.push(finding.clone());
            // Nothing found is lost: the report is rewritten (atomically) at once.
            let partial = partial_summary(&campaign, &all);
            for sink in sinks {
                if let Err(e) = sink.write_in(&partial, Some(&args.corpus)) {
                    *write_error.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(format!("cannot write the report {}: {e}", sink_path(sink)));
                }
            }
        }
        Event::Progress {
            cases,
            requests,
            findings,
            tested,
            operations,
        } => {
            progress.set_position(cases);
            let secs = progress.elapsed().as_secs_f64();
            let rate = if secs > 0.0 {
                requests as f64 / secs
            } else {
                0.0
            };
            progress.set_message(format!(
                "{requests} requests ({rate:.0}/s), {tested}/{operations} operations 2xx, \
                 {findings} findings"
            ));
        }
    };
    let summary = campaign
        .run_on_threads(
            &runtime,
            &live.target,
            &on_event,
            crate::campaign::worker_threads(),
        )
        .map_err(ExpectedError::wrap)?;
    progress.finish_and_clear();
    write_reports(&args, &summary, write_error.into_inner())?;
    println!();
    print!("{}", summary.table());
    say_notes(&campaign, &summary);
    Ok(exit_code(&args, &summary))
}

/// The runtime that watches for signals (started at once, before any target is, so that a
/// second Ctrl-C stops the instances of --target-cmd even while they start), and the one the
/// campaign's set-up runs on. It is a current-thread runtime: the workers of one thread are
/// futures of one task, so the threads of a multi-thread runtime gave them no parallelism,
/// only a wake-up of another thread for every answer (half the CPU of a run went to those);
/// the campaign spreads its workers over threads of their own instead.
fn runtimes() -> Result<(tokio::runtime::Runtime, tokio::runtime::Runtime), ExpectedError> {
    let cannot =
        |e: std::io::Error| ExpectedError::usage(format!("cannot start the async runtime: {e}"));
    let signals = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(cannot)?;
    signals.spawn(stop_on_signals());
    let campaign = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(cannot)?;
    Ok((signals, campaign))
}

/// Writes the final reports; says (as a warning) when a report written during the run failed.
fn write_reports(
    args: &FuzzArgs,
    summary: &Summary,
    failed_during_run: std::sync::LockResult<Option<String>>,
) -> Result<(), ExpectedError> {
    for sink in &args.report {
        sink.write_in(summary, Some(&args.corpus)).map_err(|e| {
            ExpectedError::usage(format!("cannot write the report {}: {e}", sink_path(sink)))
        })?;
    }
    if let Some(e) = failed_during_run.unwrap_or_else(|e| e.into_inner()) {
        tracing::warn!("{e}");
    }
    Ok(())
}

/// The run's notes, on stderr as the log (stdout carries the findings and the summary table).
fn say_notes(campaign: &Campaign, summary: &Summary) {
    let polite = campaign.politeness();
    if polite.retried() > 0 {
        eprintln!(
            "note: {} request(s) sent again after 429/503 with Retry-After ({:.1} s waited in \
             all)",
            polite.retried(),
            polite.waited().as_secs_f64()
        );
    }
    if let Some(line) = summary.rejection_line() {
        eprintln!("note: {line} (a step could not be sent; TRESPASS_LOG=debug shows each)");
    }
    if let Some(line) = summary.sharing_line() {
        eprintln!("note: {line} (TRESPASS_LOG=debug shows why)");
    }
}

/// A state to resume, with the findings it saved.
type Resumed = (CampaignState, Vec<Finding>);

/// The campaign's state file and the state to resume (with the findings it saved)
/// unless `--fresh`, there is none, or it is of another spec or seed or complete; says on
/// stderr (first) when it resumes, and why it does not when a state is there.
fn campaign_state(
    args: &FuzzArgs,
    live: &LiveTarget,
    explicit_seed: Option<u64>,
    case_limit: Option<u64>,
    store: &FindingStore,
) -> Result<(StateFile, Option<Resumed>), ExpectedError> {
    let sha = &live.origin.spec_sha256;
    // Each shard keeps a state of its own: shards run side by side on one machine too.
    let shard = args
        .shard
        .map(|s| format!("\nshard {s}"))
        .unwrap_or_default();
    let key = crate::finding::sha256_hex(format!("{sha}\n{}{shard}", live.label).as_bytes());
    let key = key[..16].to_string();
    let dir = args.state.clone().unwrap_or_else(|| {
        let corpus_parent = args.corpus.parent().unwrap_or(Path::new(""));
        corpus_parent.join("campaigns").join(&key)
    });
    check_writable_dir(&dir, "the campaign state (--state)")?;
    let file = StateFile::in_dir(&dir);
    if args.fresh {
        return Ok((file, None));
    }
    let Some(state) = file.load().map_err(ExpectedError::wrap)? else {
        return Ok((file, None));
    };
    let afresh = |why: String| {
        eprintln!(
            "note: not resuming {}: {why}; starting afresh",
            dir.display()
        )
    };
    if &state.spec_sha256 != sha {
        afresh("it is a campaign of another spec".into());
        return Ok((file, None));
    }
    if state.shard != args.shard {
        let of = |shard: Option<crate::campaign::Shard>| {
            shard.map_or("the whole case space".to_string(), |s| format!("shard {s}"))
        };
        afresh(format!(
            "it is a campaign of {}, this run is {}",
            of(state.shard),
            of(args.shard)
        ));
        return Ok((file, None));
    }
    if let Some(seed) = explicit_seed.filter(|s| *s != state.seed) {
        afresh(format!(
            "it is a campaign of seed {} and --seed is {seed} (--seed {} resumes it)",
            state.seed, state.seed
        ));
        return Ok((file, None));
    }
    let share = feedback_share(args);
    if state.feedback.share != share {
        afresh(format!(
            "it is a campaign with --feedback {} and this run has --feedback {share}",
            state.feedback.share
        ));
        return Ok((file, None));
    }
    if state.complete(case_limit) {
        afresh(format!(
            "its {} case(s) are all done (a larger --cases goes on from it)",
            state.done_below
        ));
        return Ok((file, None));
    }
    let signatures: std::collections::BTreeSet<&str> =
        state.signatures.iter().map(String::as_str).collect();
    let known: Vec<Finding> = store
        .load_all()
        .map_err(ExpectedError::wrap)?
        .into_iter()
        .map(|(_, f)| f)
        .filter(|f| signatures.contains(f.signature.as_str()))
        .collect();
    eprintln!(
        "resuming campaign {key} ({}) from case {}: seed {}, {} finding(s) already saved (not \
         reported again); --fresh starts afresh",
        dir.display(),
        state
            .shard
            .map_or(state.done_below, |shard| shard.case(state.done_below)),
        state.seed,
        known.len()
    );
    Ok((file, Some((state, known))))
}

/// Says on stderr which operations sequences never send, and why.
fn say_never_sent(live: &LiveTarget, filter: &OperationFilter) -> Result<(), ExpectedError> {
    let never = selection::excluded(&live.model, Some(&live.identities), filter)
        .map_err(ExpectedError::wrap)?;
    if !never.is_empty() {
        let list: Vec<String> = never
            .iter()
            .map(|(op, why)| format!("{op} ({why})"))
            .collect();
        eprintln!("never sent: {}", list.join(", "));
    }
    Ok(())
}

/// 1 when a reproduced finding of the `--fail-on` oracles is in `summary` (any finding under
/// `--no-confirm`), 130 when the run was interrupted, else 0; says on stderr what was spared.
fn exit_code(args: &FuzzArgs, summary: &Summary) -> u8 {
    let gated: Vec<&Finding> = summary
        .findings
        .iter()
        .filter(|f| args.fail_on.counts(&f.oracle))
        .collect();
    let spared = summary.findings.len() - gated.len();
    if spared > 0 {
        eprintln!(
            "note: {spared} finding(s) of oracles outside --fail-on do not fail the run \
             (still reported and saved)"
        );
    }
    // A finding that did not reproduce when replayed alone (a race between workers, a flaky
    // target) is reported and saved, but only a reproduced one fails the run; with
    // --no-confirm nothing is replayed, so every finding counts.
    let failing = gated
        .iter()
        .filter(|f| args.no_confirm || f.confirmed)
        .count();
    let unconfirmed = gated.len() - failing;
    if unconfirmed > 0 {
        eprintln!(
            "note: {unconfirmed} finding(s) did not reproduce when replayed alone and do not \
             fail the run (still reported and saved as unconfirmed)"
        );
    }
    if failing > 0 {
        exit_codes::FINDINGS
    } else if summary.interrupted {
        // Not "clean": the budget was not spent.
        exit_codes::INTERRUPTED
    } else {
        exit_codes::OK
    }
}

/// The first Ctrl-C or SIGTERM stops new cases (the run then finishes writing and prints its
/// summary, marked interrupted); the second quits at once.
async fn stop_on_signals() {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(not(unix))]
    let mut term: Option<()> = None;
    next_signal(&mut term).await;
    crate::interrupt::request_stop();
    eprintln!(
        "interrupted: finishing the cases in flight and writing the results \
         (interrupt again to quit at once)"
    );
    next_signal(&mut term).await;
    // Quitting without unwinding: the instances started from --target-cmd are killed here.
    crate::campaign::stop_started();
    std::process::exit(i32::from(exit_codes::INTERRUPTED));
}

/// The next Ctrl-C, or SIGTERM where there is one.
#[cfg(unix)]
async fn next_signal(term: &mut Option<tokio::signal::unix::Signal>) {
    match term.as_mut() {
        Some(term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The next Ctrl-C.
#[cfg(not(unix))]
async fn next_signal(_: &mut Option<()>) {
    let _ = tokio::signal::ctrl_c().await;
}

/// Most spec warnings `fuzz` prints before pointing at `trespass spec`.
const SPEC_WARNINGS_SHOWN: usize = 3;

/// Says on stderr how many problems the loader worked around (a skipped operation, an
/// unresolvable `$ref`), with the first few: a spec that fuzzes 2 of its 26 operations must not
/// do so silently.
fn warn_of_spec_problems(spec: &Path, model: &ApiModel) {
    let n = model.warnings.len();
    if n == 0 {
        return;
    }
    let mut text = format!(
        "warning: {} has {n} problem(s) that were worked around (skipped or loosened):",
        spec.display()
    );
    for w in model.warnings.iter().take(SPEC_WARNINGS_SHOWN) {
        text.push_str(&format!("\n  {}: {}", w.pointer, w.message));
    }
    if n > SPEC_WARNINGS_SHOWN {
        text.push_str(&format!(
            "\n  … and {} more: `trespass spec {}` lists them all",
            n - SPEC_WARNINGS_SHOWN,
            spec.display()
        ));
    }
    eprintln!("{text}");
}

/// `` `report.json` ``: where a report goes, for messages.
fn sink_path(sink: &ReportSink) -> String {
    format!("`{}`", sink.path().display())
}

/// Fails with a plain sentence unless a file can be written at `path` (its folder exists, or
/// can be made, and takes files).
pub(super) fn check_writable_file(path: &Path, what: &str) -> Result<(), ExpectedError> {
    if path.is_dir() {
        return Err(ExpectedError::usage(format!(
            "cannot write {what} to `{}`: it is a folder",
            path.display()
        )));
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    check_writable_dir(folder, what)
}

/// Fails with a plain sentence unless `dir` exists (or can be made) and takes new files.
pub(super) fn check_writable_dir(dir: &Path, what: &str) -> Result<(), ExpectedError> {
    let cannot = |why: String| {
        ExpectedError::usage(format!("cannot write {what} in `{}`: {why}", dir.display()))
    };
    if dir.exists() && !dir.is_dir() {
        return Err(cannot("it is a file, not a folder".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| cannot(e.to_string()))?;
    let probe = dir.join(format!(".trespass-probe.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| cannot(e.to_string()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `minimized to 2 steps, 2 identities (from 9, 3) in 41 ms, 17 replays; reproduced 3/3`.
pub(super) fn shrink_line(finding: &Finding, stats: &ShrinkStats) -> String {
    let stopped = stats
        .stopped
        .as_ref()
        .map(|why| format!(" (stopped: {why})"))
        .unwrap_or_default();
    let flaky = if finding.flaky { " — flaky" } else { "" };
    format!(
        "minimized to {} step(s), {} identit{} (from {}, {}) in {} ms, {} replay(s){stopped}; reproduced {}/{}{flaky}",
        stats.steps_after,
        stats.identities_after,
        if stats.identities_after == 1 {
            "y"
        } else {
            "ies"
        },
        stats.steps_before,
        stats.identities_before,
        stats.elapsed_ms,
        stats.replays,
        stats.reproduced,
        stats.confirmations,
    )
}

/// The summary as far as the run has got, for the reports written as findings come in.
fn partial_summary(campaign: &Campaign, found: &[Finding]) -> Summary {
    let mut findings = found.to_vec();
    findings.sort_by(|a, b| a.signature.cmp(&b.signature));
    Summary {
        format_version: crate::campaign::REPORT_FORMAT_VERSION,
        seed: campaign.settings().seed,
        shards: campaign.settings().shard.into_iter().collect(),
        cases: 0,
        requests: 0,
        rejected: 0,
        rejections: Default::default(),
        sharing: Default::default(),
        transport: Default::default(),
        peak_memory: None,
        elapsed: std::time::Duration::ZERO,
        oracles: Vec::new(),
        root_causes: crate::campaign::RootCause::group(&findings),
        findings,
        interrupted: crate::interrupt::stop_requested(),
        coverage: Default::default(),
        operations: Default::default(),
        feedback: None,
    }
}

fn live_target(args: &FuzzArgs, workers: usize) -> Result<LiveTarget, ExpectedError> {
    let external = args.base_url.is_some() || args.target_cmd.is_some();
    match (&args.spec, &args.identities) {
        (None, None) if !external => {
            embedded(args.service.into(), demo_mode(args.secure), workers.max(1))
        }
        (Some(spec), Some(identities)) => {
            let target = ExternalTarget {
                base: args.base_url.as_deref(),
                command: args.target_cmd.as_deref(),
                logs: args.corpus.join("targets"),
            };
            remote(spec, identities, &target, workers)
        }
        _ if external => Err(ExpectedError::usage(
            "--base-url and --target-cmd need --spec and --identities as well",
        )),
        _ => Err(ExpectedError::usage(
            "--spec and --identities go together, with --base-url or --target-cmd (or a \
             [target] command in the identities file); without them the embedded demo target \
             is fuzzed",
        )),
    }
}

/// Where an external target is: at a URL, or started from a command (whose instances log in
/// `logs`).
pub(super) struct ExternalTarget<'a> {
    /// `--base-url`.
    pub(super) base: Option<&'a str>,
    /// `--target-cmd`.
    pub(super) command: Option<&'a str>,
    /// Where the instances of a command log.
    pub(super) logs: std::path::PathBuf,
}

/// A target described by the spec and identities files, at `target.base` or started from a
/// command (`--target-cmd`, else the `[target] command` of the identities file when no base
/// URL is given), for `workers` workers.
pub(super) fn remote(
    spec: &std::path::Path,
    identities: &std::path::Path,
    target: &ExternalTarget<'_>,
    workers: usize,
) -> Result<LiveTarget, ExpectedError> {
    let base_url = target.base.map(parse_base_url).transpose()?;
    let text = std::fs::read_to_string(spec)
        .map_err(|e| ExpectedError::usage(format!("{}: {e}", spec.display())))?;
    let mut model = super::load_spec(spec)?;
    warn_of_spec_problems(spec, &model);
    let mut identities_file = IdentityFile::load(identities).map_err(ExpectedError::wrap)?;
    identities_file
        .apply_resources(&mut model)
        .map_err(ExpectedError::wrap)?;
    let from_file = identities_file.target.command.as_deref();
    if target.command.is_none() && base_url.is_some() && from_file.is_some() {
        eprintln!(
            "note: --base-url is given, so the [target] command of {} is not run",
            identities.display()
        );
    }
    let command = target.command.or(from_file.filter(|_| base_url.is_none()));
    let origin =
        Origin::new(spec.display().to_string(), &text).identities(identities.display().to_string());
    let (kind, label, origin) = match (command, base_url) {
        (Some(command), base) => {
            let mut started = TargetCommand::new(command, &target.logs).map_err(|e| {
                ExpectedError::usage(format!("the target command `{command}`: {e}"))
            })?;
            if let Some(base) = &base {
                started = started.with_base_path_of(base);
            }
            let label = format!(
                "`{command}` ({} instance(s), logs in {})",
                workers.max(1),
                target.logs.display()
            );
            // The instances' URLs die with the run: a replay starts the command again.
            (TargetKind::Command(started), label, origin)
        }
        (None, Some(base)) => {
            let origin = origin.base_url(crate::redact::Redactor::new().url(base.as_str()));
            (TargetKind::Url(base.clone()), base.to_string(), origin)
        }
        (None, None) => {
            return Err(ExpectedError::usage(format!(
                "no target: give --base-url or --target-cmd (or a [target] command in {})",
                identities.display()
            )));
        }
    };
    Ok(LiveTarget {
        model,
        identities: identities_file,
        target: start(kind, workers)?,
        label,
        origin,
    })
}

/// The embedded demo target: one instance per worker, each on its own port.
pub(super) fn embedded(
    service: Service,
    mode: Mode,
    workers: usize,
) -> Result<LiveTarget, ExpectedError> {
    let (model, identities) =
        crate::campaign::demo_subject(service).map_err(ExpectedError::usage)?;
    Ok(LiveTarget {
        model,
        identities,
        target: start(TargetKind::Embedded { service, mode }, workers)?,
        label: format!("the embedded {service} demo ({})", mode_name(mode)),
        origin: Origin::embedded(service, service.spec_yaml()),
    })
}

/// A demo service served elsewhere (`trespass demo`) at `base`: its embedded spec and
/// identities apply.
pub(super) fn demo_at(service: Service, base: &str) -> Result<LiveTarget, ExpectedError> {
    let base_url = parse_base_url(base)?;
    let (model, identities) =
        crate::campaign::demo_subject(service).map_err(ExpectedError::usage)?;
    Ok(LiveTarget {
        model,
        identities,
        target: start(TargetKind::Url(base_url), 1)?,
        label: base.to_string(),
        origin: Origin::embedded(service, service.spec_yaml()),
    })
}

fn parse_base_url(base: &str) -> Result<Url, ExpectedError> {
    Url::parse(base)
        .map_err(|e| ExpectedError::usage(format!("--base-url `{base}` is not a URL: {e}")))
}

fn start(kind: TargetKind, workers: usize) -> Result<Target, ExpectedError> {
    Target::start(kind, workers).map_err(ExpectedError::wrap)
}

fn progress_bar(args: &FuzzArgs, campaign: &Campaign) -> ProgressBar {
    let settings = campaign.settings();
    let bar = match settings.own_case_limit() {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    // Hidden in CI (`CI` set, as every CI service does) and when not drawn on a terminal.
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if args.quiet || ci || !std::io::stderr().is_terminal() || !std::io::stdout().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} cases, {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

//! `trespass fuzz`: run a campaign against a target (or the embedded demo) and report.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trespass_generators::model::ApiModel;
use trespass_targets::{Mode, Service};
use url::Url;

use super::ExpectedError;
use super::args::FuzzArgs;
use super::demo::{demo_mode, mode_name};
use crate::campaign::{Campaign, Event, Settings, Summary, Target, TargetKind};
use crate::config::Config;
use crate::exit_codes;
use crate::finding::{Finding, FindingStore, Origin, ShrinkStats};
use crate::identity::IdentityFile;

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

pub(crate) fn run(args: FuzzArgs) -> Result<u8, ExpectedError> {
    let mut config = Config::from_env().map_err(ExpectedError::wrap)?;
    if let Some(cases) = args.cases {
        config.cases = Some(cases);
    }
    if let Some(duration) = args.duration {
        config.duration = Some(duration);
    }
    if let Some(workers) = args.workers {
        if workers == 0 {
            return Err(ExpectedError::usage("--workers must be at least 1"));
        }
        config.workers = workers;
    }
    let seed = args
        .seed
        .or(config.seed)
        .unwrap_or_else(crate::api::random_seed);
    let mut settings = Settings::from_config(&config, seed);
    settings.confirm = !args.no_confirm;
    if args.no_shrink || args.no_confirm {
        settings.shrink = None;
    }
    let oracles = crate::oracle::select(&args.oracles).map_err(ExpectedError::usage)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ExpectedError::usage(format!("cannot start the async runtime: {e}")))?;
    let live = live_target(&args, settings.workers)?;
    eprintln!(
        "fuzzing {} ({} operations) with seed {seed}, {} worker(s), {}",
        live.label,
        live.model.operations.len(),
        settings.workers,
        settings.describe_budget()
    );
    let store = FindingStore::new(&args.corpus);
    let campaign = Campaign::new(live.model, live.identities, oracles, settings)
        .with_store(store.clone())
        .with_origin(live.origin);

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
                if let Err(e) = sink.write(&partial) {
                    *write_error.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(format!("cannot write report {sink:?}: {e}"));
                }
            }
        }
        Event::Progress {
            cases,
            requests,
            findings,
        } => {
            progress.set_position(cases);
            progress.set_message(format!("{requests} requests, {findings} findings"));
        }
    };
    let summary = runtime
        .block_on(campaign.run(&live.target, &on_event))
        .map_err(ExpectedError::wrap)?;
    progress.finish_and_clear();
    for sink in sinks {
        sink.write(&summary)
            .map_err(|e| ExpectedError::usage(format!("cannot write report {sink:?}: {e}")))?;
    }
    if let Some(e) = write_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        tracing::warn!("{e}");
    }
    println!();
    print!("{}", summary.table());
    // On stderr, as the log: stdout carries the findings and the summary table.
    if let Some(line) = summary.rejection_line() {
        eprintln!("note: {line} (a step could not be sent; TRESPASS_LOG=debug shows each)");
    }
    let failing = summary
        .findings
        .iter()
        .filter(|f| args.fail_on.counts(&f.oracle))
        .count();
    let spared = summary.findings.len() - failing;
    if spared > 0 {
        eprintln!(
            "note: {spared} finding(s) of oracles outside --fail-on do not fail the run \
             (still reported and saved)"
        );
    }
    Ok(if failing == 0 {
        exit_codes::OK
    } else {
        exit_codes::FINDINGS
    })
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
        cases: 0,
        requests: 0,
        rejected: 0,
        rejections: Default::default(),
        elapsed: std::time::Duration::ZERO,
        oracles: Vec::new(),
        findings,
        coverage: Default::default(),
    }
}

fn live_target(args: &FuzzArgs, workers: usize) -> Result<LiveTarget, ExpectedError> {
    match &args.base_url {
        Some(base) => {
            let (Some(spec), Some(identities)) = (&args.spec, &args.identities) else {
                return Err(ExpectedError::usage(
                    "--base-url needs --spec and --identities as well",
                ));
            };
            remote(spec, identities, base, workers)
        }
        None => {
            if args.spec.is_some() || args.identities.is_some() {
                return Err(ExpectedError::usage(
                    "--spec and --identities go with --base-url; without it the embedded demo target is fuzzed",
                ));
            }
            embedded(args.service.into(), demo_mode(args.secure), workers.max(1))
        }
    }
}

/// A target at `base`, described by the spec and identities files, for `workers` workers.
pub(super) fn remote(
    spec: &std::path::Path,
    identities: &std::path::Path,
    base: &str,
    workers: usize,
) -> Result<LiveTarget, ExpectedError> {
    let base_url = parse_base_url(base)?;
    let text = std::fs::read_to_string(spec)
        .map_err(|e| ExpectedError::usage(format!("{}: {e}", spec.display())))?;
    let mut model = trespass_generators::load_file(spec).map_err(ExpectedError::wrap)?;
    let identities_file = IdentityFile::load(identities).map_err(ExpectedError::wrap)?;
    identities_file
        .apply_resources(&mut model)
        .map_err(ExpectedError::wrap)?;
    let origin = Origin::new(spec.display().to_string(), &text)
        .identities(identities.display().to_string())
        .base_url(crate::redact::Redactor::new().url(base_url.as_str()));
    Ok(LiveTarget {
        model,
        identities: identities_file,
        target: start(TargetKind::Url(base_url.clone()), workers)?,
        label: base_url.to_string(),
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
    let bar = match settings.case_limit() {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    if args.quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} cases, {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

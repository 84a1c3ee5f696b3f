//! `trespass replay FINDING.json`: re-run one saved finding; exit 1 if it still fails.

use std::path::{Path, PathBuf};

use trespass_targets::Service;

use super::ExpectedError;
use super::args::ReplayArgs;
use super::demo::demo_mode;
use super::fuzz::{ExternalTarget, LiveTarget, demo_at, embedded, remote};
use crate::campaign::{Campaign, Settings};
use crate::config::Config;
use crate::exit_codes;
use crate::finding::{Finding, Origin};

pub(crate) fn run(args: ReplayArgs) -> Result<u8, ExpectedError> {
    let finding = Finding::load(&args.finding).map_err(ExpectedError::wrap)?;
    if args.runs == 0 {
        return Err(ExpectedError::usage("--runs must be at least 1"));
    }
    // Its own thread, so that a Ctrl-C while the target starts stops the instances started
    // from a command (they run in process groups of their own, which Ctrl-C does not reach).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| ExpectedError::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            crate::campaign::stop_started();
            std::process::exit(i32::from(exit_codes::INTERRUPTED));
        }
    });
    let live = live_target(&args, &finding)?;
    if let Some(saved) = &finding.origin
        && saved.spec_sha256 != live.origin.spec_sha256
    {
        eprintln!(
            "warning: the spec changed since the finding was saved ({} then, {} now); the \
             replay uses the saved sequence as is",
            saved.spec, live.origin.spec
        );
    }
    // A crash is judged by watching the instance, not by an oracle.
    let crash = finding.oracle == crate::oracle::TARGET_CRASH;
    let supervisor = live.target.supervisors().into_iter().next();
    if crash && supervisor.is_none() {
        return Err(ExpectedError::usage(format!(
            "{}: a `{}` finding replays on a target started from a command: give \
             --target-cmd (or a [target] command in the identities file)",
            args.finding.display(),
            finding.oracle
        )));
    }
    let oracles: Vec<_> = crate::oracle::built_in(&finding.oracle)
        .into_iter()
        .collect();
    if !crash && oracles.is_empty() {
        return Err(ExpectedError::usage(format!(
            "{}: oracle `{}` is not built in; replay it through the library API with the same oracle",
            args.finding.display(),
            finding.oracle
        )));
    }
    let config = Config::from_env().map_err(ExpectedError::wrap)?;
    config.warn_unknown_vars(&live.identities.env_vars);
    let mut settings = Settings::from_config(&config, finding.seed);
    settings.confirm = false;
    settings.shrink = None;
    let campaign = Campaign::new(live.model, live.identities, oracles, settings);
    let endpoints = live.target.endpoints();
    let endpoint = endpoints
        .first()
        .ok_or_else(|| ExpectedError::usage("no target to replay on"))?;

    println!("replaying {}\n  on {}", finding.headline(), live.label);
    for line in finding.sequence_lines() {
        println!("    {line}");
    }
    let replayed = match &supervisor {
        Some(supervisor) if crash => {
            runtime.block_on(campaign.replay_crash(endpoint, supervisor, &finding, args.runs))
        }
        _ => runtime.block_on(campaign.replay(endpoint, &finding, args.runs)),
    }
    .map_err(ExpectedError::wrap)?;
    let runs = if replayed.runs == 1 { "run" } else { "runs" };
    if replayed.evidence.is_none() && !replayed.fixed() {
        return Err(ExpectedError::usage(format!(
            "could not replay `{}` ({} of {} {runs} did not run): {}",
            finding.signature,
            replayed.not_run.len(),
            replayed.runs,
            replayed.not_run.join("; ")
        )));
    }
    if let Some(shown) = &replayed.evidence {
        println!(
            "still fails ({}/{} {runs}): {}",
            replayed.reproduced, replayed.runs, shown.message
        );
        Ok(exit_codes::FINDINGS)
    } else {
        println!(
            "fixed: 0/{} {runs} showed `{}`",
            replayed.runs, finding.signature
        );
        Ok(exit_codes::OK)
    }
}

/// The target to replay on: the flags, else what the finding recorded.
pub(super) fn live_target(
    args: &ReplayArgs,
    finding: &Finding,
) -> Result<LiveTarget, ExpectedError> {
    let origin = finding.origin.as_ref();
    let embedded_service = origin
        .and_then(Origin::embedded_service)
        .map(|name| {
            name.parse::<Service>().map_err(|_| {
                ExpectedError::usage(format!(
                    "{}: unknown embedded demo service `{name}`",
                    args.finding.display()
                ))
            })
        })
        .transpose()?;
    let recorded = |value: Option<&String>| -> Option<PathBuf> {
        value
            .filter(|v| !v.starts_with("embedded:"))
            .map(PathBuf::from)
    };
    let base_url = args
        .base_url
        .clone()
        .or_else(|| origin.and_then(|o| o.base_url.clone()));
    match (base_url, embedded_service) {
        (None, Some(service)) if args.target_cmd.is_none() => {
            if args.spec.is_some() || args.identities.is_some() {
                return Err(ExpectedError::usage(
                    "the finding comes from the embedded demo: --spec and --identities go with --base-url",
                ));
            }
            embedded(service, demo_mode(args.secure), 1)
        }
        (Some(base), Some(service))
            if args.spec.is_none() && args.identities.is_none() && args.target_cmd.is_none() =>
        {
            // A demo target served elsewhere (`trespass demo`): its embedded spec and
            // identities apply.
            demo_at(service, &base)
        }
        (base, _) => {
            let spec = args
                .spec
                .clone()
                .or_else(|| recorded(origin.map(|o| &o.spec)));
            let identities = args
                .identities
                .clone()
                .or_else(|| recorded(origin.and_then(|o| o.identities.as_ref())));
            let logs = args
                .finding
                .parent()
                .unwrap_or(Path::new("."))
                .join("targets");
            let target = ExternalTarget {
                base: base.as_deref(),
                command: args.target_cmd.as_deref(),
                logs,
            };
            match (spec, identities) {
                (Some(spec), Some(identities)) => remote(
                    existing(&spec, "--spec")?,
                    existing(&identities, "--identities")?,
                    &target,
                    1,
                ),
                _ => Err(ExpectedError::usage(format!(
                    "{}: give --spec and --identities (the finding does not record them){}",
                    args.finding.display(),
                    if target.base.is_none() && target.command.is_none() {
                        ", and --base-url or --target-cmd"
                    } else {
                        ""
                    }
                ))),
            }
        }
    }
}

fn existing<'p>(path: &'p Path, flag: &str) -> Result<&'p Path, ExpectedError> {
    if path.exists() {
        Ok(path)
    } else {
        Err(ExpectedError::usage(format!(
            "{flag} {}: no such file",
            path.display()
        )))
    }
}

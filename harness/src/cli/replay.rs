//! `trespass replay FINDING.json`: re-run one saved finding; exit 1 if it still fails.

use std::path::{Path, PathBuf};

use trespass_targets::Service;

use super::ExpectedError;
use super::args::ReplayArgs;
use super::demo::demo_mode;
use super::fuzz::{LiveTarget, demo_at, embedded, remote};
use crate::campaign::{Campaign, Settings};
use crate::config::Config;
use crate::exit_codes;
use crate::finding::{Finding, Origin};

pub(crate) fn run(args: ReplayArgs) -> Result<u8, ExpectedError> {
    let finding = Finding::load(&args.finding).map_err(ExpectedError::wrap)?;
    if args.runs == 0 {
        return Err(ExpectedError::usage("--runs must be at least 1"));
    }
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
    let oracle = crate::oracle::built_in(&finding.oracle).ok_or_else(|| {
        ExpectedError::usage(format!(
            "{}: oracle `{}` is not built in; replay it through the library API with the same oracle",
            args.finding.display(),
            finding.oracle
        ))
    })?;
    let config = Config::from_env().map_err(ExpectedError::wrap)?;
    config.warn_unknown_vars(&live.identities.env_vars);
    let mut settings = Settings::from_config(&config, finding.seed);
    settings.confirm = false;
    settings.shrink = None;
    let campaign = Campaign::new(live.model, live.identities, vec![oracle], settings);
    let endpoints = live.target.endpoints();
    let endpoint = endpoints
        .first()
        .ok_or_else(|| ExpectedError::usage("no target to replay on"))?;

    println!("replaying {}\n  on {}", finding.headline(), live.label);
    for line in finding.sequence_lines() {
        println!("    {line}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ExpectedError::usage(format!("cannot start the async runtime: {e}")))?;
    let replayed = runtime
        .block_on(campaign.replay(endpoint, &finding, args.runs))
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
        (None, Some(service)) => {
            if args.spec.is_some() || args.identities.is_some() {
                return Err(ExpectedError::usage(
                    "the finding comes from the embedded demo: --spec and --identities go with --base-url",
                ));
            }
            embedded(service, demo_mode(args.secure), 1)
        }
        (Some(base), Some(service)) if args.spec.is_none() && args.identities.is_none() => {
            // A demo target served elsewhere (`trespass demo`): its embedded spec and
            // identities apply.
            demo_at(service, &base)
        }
        (Some(base), _) => {
            let spec = args
                .spec
                .clone()
                .or_else(|| recorded(origin.map(|o| &o.spec)));
            let identities = args
                .identities
                .clone()
                .or_else(|| recorded(origin.and_then(|o| o.identities.as_ref())));
            match (spec, identities) {
                (Some(spec), Some(identities)) => remote(
                    existing(&spec, "--spec")?,
                    existing(&identities, "--identities")?,
                    &base,
                    1,
                ),
                _ => Err(ExpectedError::usage(format!(
                    "{}: give --spec and --identities (the finding does not record them)",
                    args.finding.display()
                ))),
            }
        }
        (None, None) => Err(ExpectedError::usage(format!(
            "{}: the finding records no target; give --base-url, --spec and --identities",
            args.finding.display()
        ))),
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

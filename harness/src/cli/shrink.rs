//! `trespass shrink FINDING.json`: shrink a finding that was saved as found (`--no-shrink`, or
//! past the shrink share of a `--duration`) against the live target, and rewrite its file and
//! reproducers.

use super::ExpectedError;
use super::args::{ReplayArgs, ShrinkArgs};
use crate::campaign::{Campaign, Reshrunk, Settings};
use crate::config::Config;
use crate::exit_codes;
use crate::finding::Finding;
use crate::identity::{OperationFilter, selection};

pub(crate) fn run(args: ShrinkArgs) -> Result<u8, ExpectedError> {
    let finding = Finding::load(&args.finding).map_err(ExpectedError::wrap)?;
    let target = ReplayArgs {
        finding: args.finding.clone(),
        base_url: args.base_url.clone(),
        target_cmd: args.target_cmd.clone(),
        spec: args.spec.clone(),
        identities: args.identities.clone(),
        secure: args.secure,
        runs: 1,
    };
    let live = super::replay::live_target(&target, &finding)?;
    let oracle = crate::oracle::built_in(&finding.oracle).ok_or_else(|| {
        ExpectedError::usage(format!(
            "{}: oracle `{}` is not built in; shrink it through the library API",
            args.finding.display(),
            finding.oracle
        ))
    })?;
    let filter = OperationFilter::new(&args.include, &args.exclude);
    let selection = selection::resolve(&live.model, Some(&live.identities), &filter)
        .map_err(ExpectedError::wrap)?;
    let config = Config::from_env().map_err(ExpectedError::wrap)?;
    config.warn_unknown_vars(&live.identities.env_vars);
    // The case is regenerated from the finding's seed, as the run that found it generated it.
    let mut settings = Settings::from_config(&config, finding.seed);
    settings.confirm = false;
    let campaign = Campaign::new(live.model, live.identities, vec![oracle], settings)
        .with_selection(&selection);
    let endpoints = live.target.endpoints();
    let endpoint = endpoints
        .first()
        .ok_or_else(|| ExpectedError::usage("no target to shrink on"))?;

    println!(
        "shrinking {} ({} steps, case {} of seed {})\n  on {}",
        finding.headline(),
        finding.sequence.steps.len(),
        finding.case,
        finding.seed,
        live.label
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ExpectedError::usage(format!("cannot start the async runtime: {e}")))?;
    let reshrunk = runtime
        .block_on(campaign.shrink_saved(endpoint, &finding))
        .map_err(ExpectedError::wrap)?;
    let file = args.finding.display();
    let shrunk = match reshrunk {
        Reshrunk::Shrunk(shrunk) => shrunk,
        Reshrunk::Regenerated { reason } => {
            return Err(ExpectedError::usage(format!(
                "{file}: case {} of seed {} does not regenerate the saved sequence ({reason}); \
                 the spec, the identities or --include/--exclude differ from the run that \
                 found it. The file is left unchanged.",
                finding.case, finding.seed
            )));
        }
        Reshrunk::NotReproduced => {
            return Err(ExpectedError::usage(format!(
                "{file}: the regenerated sequence did not show `{}`, so there is nothing to \
                 shrink; the file is left unchanged (`trespass replay` says whether it is fixed)",
                finding.signature
            )));
        }
        Reshrunk::NotRun { reason } => {
            return Err(ExpectedError::usage(format!(
                "{file}: could not run the sequence: {reason}; the file is left unchanged"
            )));
        }
    };
    let before = finding.sequence.steps.len();
    let after = shrunk.sequence.steps.len();
    if finding.shrink.is_some() && after >= before {
        println!("already minimal: {after} steps; the file is left unchanged");
        return Ok(exit_codes::OK);
    }
    campaign
        .rewrite_finding(&args.finding, &shrunk)
        .map_err(ExpectedError::wrap)?;
    if let Some(stats) = &shrunk.shrink {
        println!(
            "shrunk: {before} -> {after} steps, {} -> {} identities, {} replays in {} ms{}{}",
            stats.identities_before,
            stats.identities_after,
            stats.replays,
            stats.elapsed_ms,
            stats
                .stopped
                .as_ref()
                .map(|s| format!(" (stopped: {s})"))
                .unwrap_or_default(),
            if shrunk.flaky {
                format!(
                    "; flaky: {}/{} confirmations showed it",
                    stats.reproduced, stats.confirmations
                )
            } else {
                String::new()
            }
        );
    }
    for line in shrunk.sequence_lines() {
        println!("    {line}");
    }
    println!("  saved {file}");
    Ok(exit_codes::OK)
}

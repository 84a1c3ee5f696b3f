//! `trespass merge`: join the reports and finding folders of shards (`--shard K/N`) or of
//! separate runs into one report set and one finding folder.

use std::path::Path;

use super::ExpectedError;
use super::args::MergeArgs;
use crate::campaign::Summary;
use crate::campaign::merge::{Merger, copy_findings};
use crate::finding::{Finding, FindingStore};

pub(crate) fn run(args: MergeArgs) -> Result<u8, ExpectedError> {
    for sink in &args.report {
        super::fuzz::check_writable_file(sink.path(), "the report")?;
    }
    if let Some(corpus) = &args.corpus {
        super::fuzz::check_writable_dir(corpus, "the merged findings folder (--corpus)")?;
    }
    let mut merger = Merger::new();
    let (mut reports, mut states, mut files) = (0, 0, 0);
    for input in &args.inputs {
        let state = crate::campaign::StateFile::in_dir(input);
        if input.is_dir() && state.path().is_file() {
            if let Some(state) = state.load().map_err(ExpectedError::wrap)? {
                merger.state(input.clone(), state);
                states += 1;
            }
        } else if input.is_dir() {
            let found = FindingStore::new(input)
                .load_all()
                .map_err(ExpectedError::wrap)?;
            if found.is_empty() {
                tracing::warn!("{}: no finding file in this folder", input.display());
            }
            files += found.len();
            for (path, finding) in found {
                merger.finding_file(path, finding);
            }
        } else {
            merger.report(load_report(input)?);
            reports += 1;
        }
    }
    let merge = merger.finish();
    for note in &merge.notes {
        eprintln!("note: {note}");
    }
    if let Some(corpus) = &args.corpus {
        let written = copy_findings(&merge.files, corpus).map_err(|e| {
            ExpectedError::usage(format!(
                "cannot copy finding files into {}",
                corpus.display()
            ))
            .caused_by(e)
        })?;
        eprintln!(
            "{} finding file(s) (with their reproducers: {} file(s)) in {}",
            merge.files.len(),
            written.len(),
            corpus.display()
        );
    }
    let summary = merge.summary;
    for sink in &args.report {
        sink.write_in(&summary, args.corpus.as_deref())
            .map_err(|e| {
                ExpectedError::usage(format!("cannot write {}", sink.path().display())).caused_by(e)
            })?;
    }
    print!("{}", summary.table());
    println!(
        "merged {reports} report(s), {states} campaign state(s) and {files} finding file(s){}: {} \
         unique finding(s) in {} case(s), {} request(s)",
        shards_note(&summary),
        summary.findings.len(),
        summary.cases,
        summary.requests
    );
    let failing = summary
        .findings
        .iter()
        .filter(|f| args.fail_on.counts(&f.oracle) && f.confirmed)
        .count();
    Ok(if failing > 0 {
        crate::exit_codes::FINDINGS
    } else {
        crate::exit_codes::OK
    })
}

fn shards_note(summary: &Summary) -> String {
    if summary.shards.is_empty() {
        return String::new();
    }
    let shards: Vec<String> = summary.shards.iter().map(|s| s.to_string()).collect();
    format!(" (shards {})", shards.join(", "))
}

/// A JSON report written by `trespass fuzz --report json:PATH` (or by `merge`); a finding
/// file given where a report was expected is named as such.
fn load_report(path: &Path) -> Result<Summary, ExpectedError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ExpectedError::usage(format!("cannot read {}", path.display())).caused_by(e)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        let hint = if Finding::parse(&text, path).is_ok() {
            " (it is a finding file: give its folder instead)"
        } else {
            " (expected a JSON report from `trespass fuzz --report json:PATH`, or a findings \
             folder)"
        };
        ExpectedError::usage(format!("{} is not a report{hint}", path.display())).caused_by(e)
    })
}

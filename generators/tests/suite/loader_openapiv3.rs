//! The evidence behind the loader's design: how many specs of `shared/specs/real` the
//! `openapiv3` crate takes, next to our loader.
//!
//! `openapiv3` models OpenAPI 3.0 only, so Swagger 2.0 and 3.1 documents are out by design; of
//! the 3.0 ones it rejects the documents that break its typed structs. It is measured twice:
//! reading the text with `serde_yaml_ng` (the usual pairing; a libyaml port that rejects tabs
//! in block scalars) and deserialising from the tree our own YAML reader builds.
//!
//! It checks that our loader takes every spec and more than `openapiv3` does (and no Swagger
//! 2.0 spec gets through `openapiv3`); `--nocapture` prints the figures per version:
//! `cargo test -p trespass-generators --test loader_openapiv3 -- --nocapture`.

use std::collections::BTreeMap;

use trespass_generators::model::SpecVersion;
use trespass_generators::spec::{load_file, parse_text};

use crate::common;

#[derive(Default)]
struct Tally {
    files: usize,
    ours: usize,
    openapiv3_text: usize,
    openapiv3_tree: usize,
}

#[test]
fn openapiv3_versus_our_loader_on_the_real_corpus() {
    let dir = common::real_dir();
    if !dir.is_dir() {
        eprintln!("SKIPPED: no real-spec corpus at {}", dir.display());
        return;
    }
    let files = common::spec_files(&dir);
    let mut by_family: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut rejected_30 = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let ours = load_file(file);
        let family = match &ours {
            Ok(m) => match m.version {
                SpecVersion::Swagger2 => "2.0",
                SpecVersion::OpenApi30 => "3.0",
                SpecVersion::OpenApi31 => "3.1",
                _ => "other",
            },
            Err(_) => "unloadable",
        };
        let is_json = file.extension().is_some_and(|e| e == "json");
        let from_text = if is_json {
            serde_json::from_str::<openapiv3::OpenAPI>(&text).map_err(|e| e.to_string())
        } else {
            serde_yaml_ng::from_str::<openapiv3::OpenAPI>(&text).map_err(|e| e.to_string())
        };
        let from_tree = parse_text(&text, &name)
            .map_err(|e| e.to_string())
            .and_then(|v| {
                serde_json::from_value::<openapiv3::OpenAPI>(v).map_err(|e| e.to_string())
            });
        let t = by_family.entry(family).or_default();
        t.files += 1;
        t.ours += usize::from(ours.is_ok());
        t.openapiv3_text += usize::from(from_text.is_ok());
        t.openapiv3_tree += usize::from(from_tree.is_ok());
        if family == "3.0"
            && let Err(e) = &from_tree
        {
            rejected_30.push(format!(
                "{name}: {}",
                e.chars().take(160).collect::<String>()
            ));
        }
    }
    let total = |f: fn(&Tally) -> usize| by_family.values().map(f).sum::<usize>();
    eprintln!(
        "{:<10} {:>5} {:>5} {:>16} {:>16}",
        "family", "files", "ours", "openapiv3(text)", "openapiv3(tree)"
    );
    for (family, t) in &by_family {
        eprintln!(
            "{family:<10} {:>5} {:>5} {:>16} {:>16}",
            t.files, t.ours, t.openapiv3_text, t.openapiv3_tree
        );
    }
    eprintln!(
        "{:<10} {:>5} {:>5} {:>16} {:>16}",
        "all",
        total(|t| t.files),
        total(|t| t.ours),
        total(|t| t.openapiv3_text),
        total(|t| t.openapiv3_tree)
    );
    for r in &rejected_30 {
        eprintln!("openapiv3 rejects 3.0 spec {r}");
    }
    assert_eq!(total(|t| t.files), files.len());
    // openapiv3 takes no Swagger 2.0 document: the conversion is ours to do.
    if let Some(v2) = by_family.get("2.0") {
        assert_eq!(v2.openapiv3_text, 0);
        assert_eq!(v2.ours, v2.files);
    }
    assert!(total(|t| t.ours) > total(|t| t.openapiv3_text));
    assert!(total(|t| t.ours) > total(|t| t.openapiv3_tree));
}

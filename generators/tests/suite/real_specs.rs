//! Data-driven: every spec of `shared/specs/real` either loads or fails with a clear error.

use std::time::Instant;

use trespass_generators::spec::load_file;

use crate::common;

#[test]
fn real_specs_load() {
    let dir = common::real_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: the real-spec corpus is not at {} (clone `shared/` beside the repository)",
            dir.display()
        );
        return;
    }
    let files = common::spec_files(&dir);
    assert!(
        files.len() >= 100,
        "expected the 120-file corpus, found {}",
        files.len()
    );
    let mut loaded = 0usize;
    let mut failures = Vec::new();
    let mut ops = 0usize;
    let mut warnings = 0usize;
    for file in &files {
        let start = Instant::now();
        match load_file(file) {
            Ok(model) => {
                loaded += 1;
                ops += model.operations.len();
                warnings += model.warnings.len();
                eprintln!(
                    "ok   {:>6} ms {:>4} ops {:>4} warnings {:>3} resources {:>3} links  {}",
                    start.elapsed().as_millis(),
                    model.operations.len(),
                    model.warnings.len(),
                    model.resources.len(),
                    model.links.len(),
                    file.file_name().unwrap_or_default().to_string_lossy()
                );
                for w in &model.warnings {
                    eprintln!("     warning {}: {}", w.pointer, w.message);
                }
                // Every schema id the model hands out is valid and renders.
                for op in &model.operations {
                    for p in &op.parameters {
                        assert!(model.schemas.try_get(p.schema).is_some());
                    }
                }
            }
            Err(e) => {
                let text = e.to_string();
                // A clear error: names the file and says something.
                assert!(text.contains(&e.file), "{text}");
                assert!(text.len() > e.file.len() + 10, "{text}");
                failures.push(text);
            }
        }
    }
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    eprintln!(
        "{loaded}/{} loaded, {ops} operations, {warnings} warnings",
        files.len()
    );
    let rate = loaded as f64 / files.len() as f64;
    assert!(
        rate >= 0.98,
        "only {loaded}/{} loaded: {failures:#?}",
        files.len()
    );
}

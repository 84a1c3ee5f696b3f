//! Validity is a property: for every schema of every spec (the real-world corpus in
//! `shared/specs/real` and the demo specs), generated positive values validate against the
//! schema rendered as JSON Schema 2020-12 (`Schemas::to_json_schema_for`), checked by the
//! `jsonschema` crate with format assertion on.
//!
//! Schemas are the component schemas, parameter schemas and request bodies (request direction:
//! read-only properties left out) and response bodies and headers (response direction). A
//! schema the generator reports as unsatisfiable is counted as skipped with its reason; any
//! generated value that does not validate is a failure.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::common::{demo_dir, real_dir, spec_files};
use jsonschema::Draft;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use trespass_generators::ApiModel;
use trespass_generators::model::SchemaId;
use trespass_generators::spec::load_file;
use trespass_generators::values::{self, Direction, ValueContext};

/// Values generated per schema of a real spec.
const REAL_SAMPLES: usize = 8;
/// Values generated per schema of a demo spec.
const DEMO_SAMPLES: usize = 40;
/// Share of schemas that must be covered (generated and validated).
const COVERAGE_FLOOR: f64 = 0.99;

/// Every schema of the model that values are generated for, with its direction.
fn roots(model: &ApiModel) -> Vec<(SchemaId, Direction)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |id: SchemaId, d: Direction| {
        if seen.insert((id, d)) {
            out.push((id, d));
        }
    };
    for (id, s) in model.schemas.iter() {
        if s.name.is_some() {
            add(id, Direction::Request);
        }
    }
    for op in &model.operations {
        for p in &op.parameters {
            add(p.schema, Direction::Request);
        }
        if let Some(body) = &op.request_body {
            for mt in body.content.values() {
                if let Some(s) = mt.schema {
                    add(s, Direction::Request);
                }
            }
        }
        for response in op.responses.values() {
            for mt in response.content.values() {
                if let Some(s) = mt.schema {
                    add(s, Direction::Response);
                }
            }
            for h in response.headers.values() {
                add(h.schema, Direction::Response);
            }
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    specs: usize,
    schemas: usize,
    covered: usize,
    values: usize,
    /// Reason -> (count, examples).
    skipped: BTreeMap<String, (usize, Vec<String>)>,
    failures: Vec<String>,
    slowest: Vec<(u128, String)>,
}

impl Tally {
    fn skip(&mut self, reason: &str, example: String) {
        let entry = self.skipped.entry(reason.to_string()).or_default();
        entry.0 += 1;
        if entry.1.len() < 4 {
            entry.1.push(example);
        }
    }

    fn skipped(&self) -> usize {
        self.skipped.values().map(|(n, _)| n).sum()
    }
}

fn check_spec(file: &Path, samples: usize, tally: &Mutex<Tally>) {
    let name = file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let start = Instant::now();
    let model = match load_file(file) {
        Ok(m) => m,
        Err(e) => {
            // Loading is `real_specs.rs`'s business; a spec that does not load has no schemas.
            eprintln!("not loaded: {name}: {e}");
            return;
        }
    };
    let mut local = Tally {
        specs: 1,
        ..Tally::default()
    };
    let config = Config {
        max_local_rejects: 100_000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    for (id, direction) in roots(&model) {
        local.schemas += 1;
        let ctx = match direction {
            Direction::Response => ValueContext::response(),
            _ => ValueContext::request(),
        };
        let pointer = model.schemas.get(id).pointer.clone();
        let strategy = match values::strategy(&model.schemas, id, &ctx) {
            Ok(s) => s,
            Err(e) => {
                local.skip(&format!("unsatisfiable: {}", e.kind), format!("{name} {e}"));
                continue;
            }
        };
        let schema = model.schemas.to_json_schema_for(id, direction);
        let validator = match jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
        {
            Ok(v) => v,
            Err(e) => {
                local.skip(
                    "the jsonschema crate rejects the rendered schema",
                    format!("{name} {pointer}: {e}"),
                );
                continue;
            }
        };
        let mut ok = true;
        for _ in 0..samples {
            let value = match strategy.new_tree(&mut runner) {
                Ok(tree) => tree.current(),
                Err(e) => {
                    local.failures.push(format!(
                        "{name} {pointer} ({direction:?}): no value generated: {e}"
                    ));
                    ok = false;
                    break;
                }
            };
            local.values += 1;
            if !validator.is_valid(&value) {
                let errors: Vec<String> = validator
                    .iter_errors(&value)
                    .take(3)
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                local.failures.push(format!(
                    "{name} {pointer} ({direction:?}): {}\n      value: {}\n      errors: {}",
                    "invalid value",
                    truncate(&value.to_string(), 400),
                    errors.join("; ")
                ));
                ok = false;
                break;
            }
            // The crate's own checker agrees.
            if !values::is_valid(&model.schemas, id, &ctx, &value) {
                local.failures.push(format!(
                    "{name} {pointer} ({direction:?}): values::is_valid rejects {}",
                    truncate(&value.to_string(), 400)
                ));
                ok = false;
                break;
            }
        }
        local.covered += usize::from(ok);
    }
    let elapsed = start.elapsed().as_millis();
    let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
    t.specs += local.specs;
    t.schemas += local.schemas;
    t.covered += local.covered;
    t.values += local.values;
    t.failures.extend(local.failures);
    for (reason, (n, examples)) in local.skipped {
        let entry = t.skipped.entry(reason).or_default();
        entry.0 += n;
        for e in examples {
            if entry.1.len() < 6 {
                entry.1.push(e);
            }
        }
    }
    t.slowest
        .push((elapsed, format!("{name} ({} schemas)", local.schemas)));
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_string()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    }
}

fn run(files: Vec<(PathBuf, usize)>) -> Tally {
    let tally = Mutex::new(Tally::default());
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((file, samples)) = files.get(i) else {
                        break;
                    };
                    check_spec(file, *samples, &tally);
                }
            });
        }
    });
    tally.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn report(label: &str, t: &mut Tally) {
    eprintln!(
        "{label}: {} specs, {} schemas, {} covered, {} skipped, {} failed, {} values validated",
        t.specs,
        t.schemas,
        t.covered,
        t.skipped(),
        t.failures.len(),
        t.values
    );
    for (reason, (n, examples)) in &t.skipped {
        eprintln!("  skipped {n:>5}  {reason}");
        for e in examples {
            eprintln!("           e.g. {}", truncate(e, 300));
        }
    }
    for f in t.failures.iter().take(40) {
        eprintln!("  FAIL {f}");
    }
    t.slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (ms, name) in t.slowest.iter().take(5) {
        eprintln!("  slowest {ms:>6} ms  {name}");
    }
}

/// The validator used here really asserts what the property relies on: formats, `required`
/// per direction, patterns. Without this, a permissive validator would make the property
/// vacuous.
#[test]
fn the_validator_is_strict() {
    let model = trespass_generators::spec::load_str(
        r"openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    S:
      type: object
      required: [id, when, code]
      properties:
        id: {type: integer, readOnly: true}
        when: {type: string, format: date}
        code: {type: string, pattern: '^[A-Z]{2}$'}
",
        "strict.yaml",
    )
    .unwrap();
    let id = model.schemas.by_name("S").unwrap();
    let build = |d: Direction| {
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&model.schemas.to_json_schema_for(id, d))
            .unwrap()
    };
    let request = build(Direction::Request);
    let response = build(Direction::Response);
    let ok = serde_json::json!({"when": "2024-02-29", "code": "AB"});
    assert!(request.is_valid(&ok));
    assert!(!response.is_valid(&ok), "id is required in responses");
    assert!(!request.is_valid(&serde_json::json!({"when": "2023-02-29", "code": "AB"})));
    assert!(!request.is_valid(&serde_json::json!({"when": "2024-02-29", "code": "ABC"})));
}

#[test]
fn generated_values_validate_for_every_schema_of_every_spec() {
    let start = Instant::now();
    let demo: Vec<(PathBuf, usize)> = spec_files(&demo_dir())
        .into_iter()
        .map(|f| (f, DEMO_SAMPLES))
        .collect();
    assert!(demo.len() >= 2, "the demo specs are missing");
    let mut demo_tally = run(demo);
    report("demo specs", &mut demo_tally);

    let samples = std::env::var("TRESPASS_VALUES_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(REAL_SAMPLES);
    let real: Vec<(PathBuf, usize)> = spec_files(&real_dir())
        .into_iter()
        .map(|f| (f, samples))
        .collect();
    let mut real_tally = run(real);
    if real_tally.specs == 0 {
        eprintln!(
            "the real-spec corpus is not at {} (clone `shared/` beside the repository)",
            real_dir().display()
        );
    } else {
        report("real specs", &mut real_tally);
    }
    eprintln!("total time {} ms", start.elapsed().as_millis());

    // The demo specs: everything is generated and valid.
    assert!(demo_tally.schemas >= 10, "{} schemas", demo_tally.schemas);
    assert_eq!(demo_tally.skipped(), 0, "demo schemas skipped");
    assert!(demo_tally.failures.is_empty(), "{:#?}", demo_tally.failures);
    assert_eq!(demo_tally.covered, demo_tally.schemas);

    if real_tally.specs > 0 {
        assert!(
            real_tally.specs >= 100,
            "{} real specs loaded",
            real_tally.specs
        );
        // No generated value is ever invalid.
        assert!(
            real_tally.failures.is_empty(),
            "{} failures",
            real_tally.failures.len()
        );
        let share = real_tally.covered as f64 / real_tally.schemas as f64;
        assert!(
            share >= COVERAGE_FLOOR,
            "only {:.2}% of {} schemas covered",
            share * 100.0,
            real_tally.schemas
        );
        // Every skip has a recorded reason (the map key) and an example.
        assert!(
            real_tally
                .skipped
                .values()
                .all(|(n, e)| *n > 0 && !e.is_empty())
        );
    }
}

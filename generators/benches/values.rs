//! Value generation speed on the request bodies of the demo specs (and of the largest real spec
//! by bytes, when the corpus is present; its bodies are forms, generated as objects all the same).
//!
//! `cargo bench -p trespass-generators --bench values` (add `-- --quick` for a short run).
//! Per spec, one iteration produces one value for each JSON request body:
//!
//! - `generate`: from strategies built beforehand (what a campaign pays per step),
//! - `build`: building the strategies (paid once per operation and model),
//! - `negatives`: all negative values of one valid body each,
//! - `baseline`: `serde_json::to_value` of a fixed body of the same operation, the cost of
//!   merely producing a JSON value of that shape.
//!
//! After criterion's report the bench prints values per second and the ratio of each to the
//! baseline, measured in the same run.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use proptest::strategy::{SBoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;
use trespass_generators::ApiModel;
use trespass_generators::model::SchemaId;
use trespass_generators::spec::load_file;
use trespass_generators::values::{self, ValueContext};

/// The request bodies of one spec, ready to generate from.
struct Input {
    label: String,
    model: ApiModel,
    bodies: Vec<SchemaId>,
    strategies: Vec<SBoxedStrategy<Value>>,
    /// One generated value per body, for the baseline and the negatives.
    fixed: Vec<Value>,
}

impl Input {
    fn read(label: String, path: &Path) -> Option<Self> {
        let model = load_file(path).ok()?;
        let ctx = ValueContext::request();
        let mut bodies = Vec::new();
        let mut strategies = Vec::new();
        for op in &model.operations {
            // The JSON body, else the first declared one (form bodies are objects too).
            let Some(id) = op.json_request_schema().or_else(|| {
                op.request_body
                    .as_ref()
                    .and_then(|b| b.content.values().find_map(|mt| mt.schema))
            }) else {
                continue;
            };
            if let Ok(s) = values::strategy(&model.schemas, id, &ctx) {
                bodies.push(id);
                strategies.push(s);
            }
        }
        if bodies.is_empty() {
            return None;
        }
        let mut runner = TestRunner::deterministic();
        let fixed = strategies
            .iter()
            .map(|s| {
                s.new_tree(&mut runner)
                    .map(|t| t.current())
                    .unwrap_or(Value::Null)
            })
            .collect();
        Some(Self {
            label,
            model,
            bodies,
            strategies,
            fixed,
        })
    }

    fn generate(&self, runner: &mut TestRunner) -> usize {
        let mut bytes = 0;
        for s in &self.strategies {
            if let Ok(tree) = s.new_tree(runner) {
                bytes += usize::from(!black_box(tree.current()).is_null());
            }
        }
        bytes
    }

    fn build(&self) -> usize {
        let ctx = ValueContext::request();
        self.bodies
            .iter()
            .filter(|&&id| values::strategy(&self.model.schemas, id, &ctx).is_ok())
            .count()
    }

    fn negatives(&self) -> usize {
        let ctx = ValueContext::request();
        self.bodies
            .iter()
            .zip(&self.fixed)
            .map(|(&id, base)| values::negatives(&self.model.schemas, id, &ctx, base).len())
            .sum()
    }

    fn baseline(&self) -> usize {
        self.fixed
            .iter()
            .map(|v| {
                usize::from(
                    !serde_json::to_value(black_box(v))
                        .unwrap_or(Value::Null)
                        .is_null(),
                )
            })
            .sum()
    }
}

fn inputs() -> Vec<Input> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Input> = ["shop.yaml", "notes.yaml"]
        .iter()
        .filter_map(|name| Input::read(name.to_string(), &root.join("../corpus/specs").join(name)))
        .collect();
    let real = root.join("../../shared/specs/real");
    if let Ok(entries) = std::fs::read_dir(&real) {
        let largest = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
            .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0));
        if let Some(path) = largest {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            out.extend(Input::read(format!("largest {name}"), &path));
        }
    } else {
        eprintln!("note: no real-spec corpus at {}", real.display());
    }
    out
}

fn bench(c: &mut Criterion, inputs: &[Input]) {
    let mut group = c.benchmark_group("values");
    for input in inputs {
        group.throughput(Throughput::Elements(input.bodies.len() as u64));
        group.bench_function(BenchmarkId::new("generate", &input.label), |b| {
            let mut runner = TestRunner::deterministic();
            b.iter(|| input.generate(&mut runner));
        });
        group.bench_function(BenchmarkId::new("baseline", &input.label), |b| {
            b.iter(|| input.baseline());
        });
        group.bench_function(BenchmarkId::new("build", &input.label), |b| {
            b.iter(|| input.build());
        });
        group.bench_function(BenchmarkId::new("negatives", &input.label), |b| {
            b.iter(|| input.negatives());
        });
    }
    group.finish();
}

/// Median wall time of `f` over enough runs to fill about `budget`.
fn median(budget: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 10_000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn report(inputs: &[Input]) {
    let budget = Duration::from_millis(600);
    println!();
    println!("values per second and ratio to the baseline (medians measured in this run)");
    println!(
        "  {:<44} {:>6} {:>14} {:>14} {:>14} {:>14}",
        "spec (request bodies)", "bodies", "baseline/s", "generate/s", "build/s", "negatives/s"
    );
    for input in inputs {
        let n = input.bodies.len() as f64;
        let mut runner = TestRunner::deterministic();
        let base = median(budget, || {
            black_box(input.baseline());
        });
        let generate = median(budget, || {
            black_box(input.generate(&mut runner));
        });
        let build = median(budget, || {
            black_box(input.build());
        });
        let negatives = median(budget, || {
            black_box(input.negatives());
        });
        let rate = |d: Duration| n / d.as_secs_f64();
        let ratio = |d: Duration| d.as_secs_f64() / base.as_secs_f64();
        println!(
            "  {:<44} {:>6} {:>14.0} {:>7.0} ({:>4.0}x) {:>7.0} ({:>4.0}x) {:>7.0} ({:>4.0}x)",
            input.label,
            input.bodies.len(),
            rate(base),
            rate(generate),
            ratio(generate),
            rate(build),
            ratio(build),
            rate(negatives),
            ratio(negatives),
        );
    }
    println!("  (ratios: time per value relative to serde_json::to_value of a fixed body)");
}

fn main() {
    let inputs = inputs();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &inputs);
    c.final_summary();
    // `cargo test --benches` runs the bench once as a smoke test; skip the extra timing there.
    if std::env::args().any(|a| a == "--bench") {
        report(&inputs);
    }
}

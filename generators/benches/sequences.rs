//! Sequence generation speed on the demo specs and on the largest real spec by bytes.
//!
//! `cargo bench -p trespass-generators --bench sequences` (add `-- --quick` for a short run).
//! Per spec, one iteration generates one sequence:
//!
//! - `aimed`: the default [`SequenceStrategy`] (the patterns of the oracles, prerequisites,
//!   random steps), what a campaign generates per case;
//! - `baseline`: a plain random single-step sequence from the same model and cast (one random
//!   move, the aimed patterns weighted 0): the cost of one operation with its values and no aim;
//! - `strategy`: building the strategy (model catalogue and value strategies), paid once per
//!   run, for scale.
//!
//! After criterion's report the bench prints sequences per second and the ratio of each to the
//! baseline, measured in the same run, with the average steps per aimed sequence.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use trespass_generators::ApiModel;
use trespass_generators::sequence::{
    IdentitySpec, PatternWeights, Role, SequenceConfig, SequenceStrategy,
};

/// One spec with its strategies.
struct Input {
    label: String,
    model: ApiModel,
    aimed: SequenceStrategy,
    baseline: SequenceStrategy,
}

fn cast() -> Vec<IdentitySpec> {
    vec![
        IdentitySpec::new("alice", Role::User),
        IdentitySpec::new("bob", Role::User),
        IdentitySpec::new("carol", Role::Admin),
        IdentitySpec::new("anon", Role::Anonymous),
    ]
}

/// A single random step: no aimed pattern, one move.
fn single_random_step() -> SequenceConfig {
    let mut weights = PatternWeights::default();
    weights.cross_identity = 0;
    weights.foreign_parent = 0;
    weights.admin_by_non_admin = 0;
    weights.no_credentials = 0;
    weights.mass_assignment = 0;
    weights.delete_then_use = 0;
    weights.random = 1;
    let mut config = SequenceConfig::default();
    config.max_moves = 1;
    config.weights = weights;
    config
}

impl Input {
    fn read(label: String, path: &Path) -> Option<Self> {
        let model = match trespass_generators::load_file(path) {
            Ok(model) => model,
            Err(e) => {
                eprintln!("note: skipping {label}: {e}");
                return None;
            }
        };
        let aimed = SequenceStrategy::new(&model, &cast());
        let baseline = SequenceStrategy::new(&model, &cast()).with_config(single_random_step());
        Some(Self {
            label,
            model,
            aimed,
            baseline,
        })
    }
}

/// Steps of one sequence of `strategy` (0 when generation gave up).
fn one(strategy: &SequenceStrategy, runner: &mut TestRunner) -> usize {
    strategy
        .new_tree(runner)
        .map_or(0, |tree| tree.current().steps.len())
}

fn inputs() -> Vec<Input> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Input> = ["shop.yaml", "notes.yaml"]
        .iter()
        .filter_map(|name| Input::read(name.to_string(), &root.join("../corpus/specs").join(name)))
        .collect();
    let real = root.join("../../shared/specs/real");
    match std::fs::read_dir(&real) {
        Ok(entries) => {
            let largest = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
                .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0));
            if let Some(path) = largest {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                out.extend(Input::read(format!("largest {name}"), &path));
            }
        }
        Err(_) => eprintln!("note: no real-spec corpus at {}", real.display()),
    }
    out
}

fn bench(c: &mut Criterion, inputs: &[Input]) {
    let mut group = c.benchmark_group("sequences");
    for input in inputs {
        group.bench_function(BenchmarkId::new("aimed", &input.label), |b| {
            let mut runner = TestRunner::deterministic();
            b.iter(|| one(&input.aimed, &mut runner));
        });
        group.bench_function(BenchmarkId::new("baseline", &input.label), |b| {
            let mut runner = TestRunner::deterministic();
            b.iter(|| one(&input.baseline, &mut runner));
        });
        group.bench_function(BenchmarkId::new("strategy", &input.label), |b| {
            b.iter(|| SequenceStrategy::new(black_box(&input.model), &cast()));
        });
    }
    group.finish();
}

/// Mean wall time of one call of `f`, over enough calls to fill about `budget`.
fn mean(budget: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut calls = 0u32;
    while calls < 5 || (start.elapsed() < budget && calls < 100_000) {
        f();
        calls += 1;
    }
    start.elapsed() / calls
}

fn report(inputs: &[Input]) {
    let budget = Duration::from_millis(800);
    println!();
    println!("sequences per second and ratio to the baseline (means measured in this run)");
    println!(
        "  {:<40} {:>5} {:>12} {:>20} {:>9} {:>18}",
        "spec", "ops", "baseline/s", "aimed/s", "steps", "strategy build"
    );
    for input in inputs {
        let mut runner = TestRunner::deterministic();
        let base = mean(budget, || {
            black_box(one(&input.baseline, &mut runner));
        });
        let mut runner = TestRunner::deterministic();
        let mut sequences = 0usize;
        let mut steps = 0usize;
        let aimed = mean(budget, || {
            steps += one(&input.aimed, &mut runner);
            sequences += 1;
        });
        let build = mean(budget, || {
            drop(black_box(SequenceStrategy::new(&input.model, &cast())));
        });
        let rate = |d: Duration| 1.0 / d.as_secs_f64();
        let ratio = |d: Duration| d.as_secs_f64() / base.as_secs_f64();
        println!(
            "  {:<40} {:>5} {:>12.0} {:>10.0} ({:>5.1}x) {:>9.1} {:>8.2} ms ({:>4.0}x)",
            input.label,
            input.model.operations.len(),
            rate(base),
            rate(aimed),
            ratio(aimed),
            steps as f64 / sequences.max(1) as f64,
            build.as_secs_f64() * 1e3,
            ratio(build),
        );
    }
    println!("  (ratios: time per sequence relative to a random single-step sequence)");
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

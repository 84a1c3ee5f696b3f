//! Load time of specs: the largest real spec of `shared/specs/real` (by size) and the one
//! with the most operations, against the demo specs as the baseline.
//!
//! `cargo bench -p trespass-generators --bench load` (add `-- --quick` for a short run). After
//! criterion's own report, the bench prints the ratios of each spec's median load time to the
//! `shop.yaml` baseline, measured in the same run, and the per-operation cost; a regression
//! shows as a ratio that grows while the baseline stays.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use trespass_generators::spec::{load_str, parse_text};

/// One spec to load.
struct Input {
    label: String,
    text: String,
    operations: usize,
}

impl Input {
    fn read(label: &str, path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        let operations = load_str(&text, label).ok()?.operations.len();
        Some(Self {
            label: label.to_string(),
            text,
            operations,
        })
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo specs, then the largest real spec by bytes and the one with the most operations
/// (the same file when one spec is both).
fn inputs() -> Vec<Input> {
    let specs = manifest_dir().join("../corpus/specs");
    let mut out: Vec<Input> = ["shop.yaml", "notes.yaml"]
        .iter()
        .filter_map(|name| Input::read(name, &specs.join(name)))
        .collect();
    let real = manifest_dir().join("../../shared/specs/real");
    let Some(mut files) = common::specs_with_sizes(&real) else {
        eprintln!(
            "note: no real-spec corpus at {}; benchmarking the demo specs only",
            real.display()
        );
        return out;
    };
    files.sort();
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if let Some((_, largest)) = files.last() {
        out.extend(Input::read(&format!("largest {}", name(largest)), largest));
    }
    let most_ops = files
        .iter()
        .filter_map(|(_, p)| {
            let text = std::fs::read_to_string(p).ok()?;
            let ops = load_str(&text, "x").ok()?.operations.len();
            Some((ops, p.clone()))
        })
        .max();
    if let Some((_, path)) = most_ops
        && files.last().is_none_or(|(_, largest)| *largest != path)
    {
        out.extend(Input::read(&format!("most-ops {}", name(&path)), &path));
    }
    out
}

fn bench_load(c: &mut Criterion, inputs: &[Input]) {
    let mut group = c.benchmark_group("load");
    for input in inputs {
        group.throughput(Throughput::Bytes(input.text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("load_str", &input.label),
            &input.text,
            |b, text| b.iter(|| load_str(black_box(text), "bench").map(|m| m.operations.len())),
        );
        group.bench_with_input(
            BenchmarkId::new("parse_only", &input.label),
            &input.text,
            |b, text| b.iter(|| parse_text(black_box(text), "bench").is_ok()),
        );
    }
    group.finish();
}

/// Median wall time of `f` over enough runs to fill about `budget`.
fn median(budget: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 1000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

/// Ratios against the first input (`shop.yaml`), measured now, in this process.
fn report_ratios(inputs: &[Input]) {
    let Some(baseline) = inputs.first() else {
        return;
    };
    let budget = Duration::from_millis(700);
    let measure = |input: &Input| {
        median(budget, || {
            black_box(load_str(black_box(&input.text), "bench").map(|m| m.operations.len())).ok();
        })
    };
    let base = measure(baseline);
    println!();
    println!(
        "load time ratios against {} (median of repeated loads in this run)",
        baseline.label
    );
    println!(
        "  {:<52} {:>9} {:>5} {:>11} {:>8} {:>10}",
        "spec", "bytes", "ops", "median", "ratio", "per op"
    );
    for input in inputs {
        let t = if std::ptr::eq(input, baseline) {
            base
        } else {
            measure(input)
        };
        let per_op = t.as_secs_f64() * 1e6 / input.operations.max(1) as f64;
        println!(
            "  {:<52} {:>9} {:>5} {:>8.2} ms {:>7.1}x {:>7.1} us",
            input.label,
            input.text.len(),
            input.operations,
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / base.as_secs_f64(),
            per_op
        );
    }
}

fn main() {
    let inputs = inputs();
    let mut c = Criterion::default().configure_from_args();
    bench_load(&mut c, &inputs);
    c.final_summary();
    // `cargo test --benches` runs the bench once as a smoke test; skip the extra timing there.
    if std::env::args().any(|a| a == "--bench") {
        report_ratios(&inputs);
    }
}

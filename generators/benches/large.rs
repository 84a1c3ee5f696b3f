//! Load time and peak memory of large synthetic specs (issue 16: loading must stay near-linear
//! in the number of operations).
//!
//! ```text
//! cargo bench -p trespass-generators --bench large
//! TRESPASS_LARGE_MAX=16000 cargo bench -p trespass-generators --bench large
//! ```
//!
//! For 1k, 4k, 16k and 64k operations (sizes above `TRESPASS_LARGE_MAX` skipped), the bench
//! generates a deterministic OpenAPI 3.0 spec (`tests/suite/synthetic.rs`: many resource kinds,
//! creates answering ids, nested kinds, bodies naming other kinds' ids), writes it to a
//! temporary file and loads it with [`load_file_timed`], printing each phase (parse, convert,
//! inference), the peak resident set of the process during the load (`VmHWM`, reset before
//! each load through `/proc/self/clear_refs`; Linux only) and, per size, the time per operation against the 1k baseline of the same
//! run: a ratio that grows with the size is a super-linear cost. Small sizes are loaded several
//! times and the median kept. `cargo test --benches` runs only the smallest size, once.
//!
//! `TRESPASS_LARGE_KEEP=DIR` also writes each spec to `DIR/synthetic-<ops>.json`, to load it
//! with the CLI (`trespass spec DIR/synthetic-64000.json --timings`) or another build.

use std::io::Write;
use std::time::Duration;

use trespass_generators::spec::{LoadOptions, LoadTimings, load_file_timed};

#[path = "../tests/suite/synthetic.rs"]
mod synthetic;

/// The process's peak resident set (`VmHWM` of `/proc/self/status`) in bytes, when readable.
fn vm_hwm() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: usize = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Resets the peak resident set to the current one (Linux: `5` to `/proc/self/clear_refs`);
/// false when that is not possible (the peaks printed are then the process's so far).
fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The sizes measured, in operations.
const SIZES: &[usize] = &[1_000, 4_000, 16_000, 64_000];

/// One measured size.
struct Row {
    ops: usize,
    bytes: usize,
    timings: LoadTimings,
    peak: usize,
    resources: usize,
    links: usize,
}

/// Loads `text` once from a temporary file: the phase timings, the peak resident set of the
/// process during the load (the spec text included), and the counts of what inference found.
fn load_once(text: &str) -> (LoadTimings, usize, usize, usize, usize) {
    let mut file = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .expect("temporary file");
    file.write_all(text.as_bytes()).expect("write spec");
    reset_hwm();
    let (model, timings) =
        load_file_timed(file.path(), &LoadOptions::default()).expect("the synthetic spec loads");
    let peak = vm_hwm().unwrap_or(0);
    let counts = (
        model.operations.len(),
        model.resources.len(),
        model.links.len(),
    );
    drop(model);
    (timings, peak, counts.0, counts.1, counts.2)
}

fn measure(n: usize, runs: usize) -> Row {
    let text = synthetic::spec_text(n);
    if let Some(dir) = std::env::var_os("TRESPASS_LARGE_KEEP") {
        let path = std::path::Path::new(&dir).join(format!("synthetic-{n}.json"));
        std::fs::write(&path, &text).expect("write the kept spec");
    }
    let mut loads: Vec<(LoadTimings, usize, usize, usize, usize)> =
        (0..runs).map(|_| load_once(&text)).collect();
    loads.sort_by_key(|l| l.0.total());
    let (timings, peak, ops, resources, links) = loads.swap_remove(loads.len() / 2);
    Row {
        ops,
        bytes: text.len(),
        timings,
        peak,
        resources,
        links,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    // `cargo test --benches` runs the bench without `--bench`: a smoke test of the smallest size.
    let full = std::env::args().any(|a| a == "--bench");
    let max = std::env::var("TRESPASS_LARGE_MAX")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    let sizes: Vec<usize> = if full {
        SIZES.iter().copied().filter(|&n| n <= max).collect()
    } else {
        SIZES[..1].to_vec()
    };
    if !reset_hwm() {
        println!("note: /proc/self/clear_refs not writable; peaks are the process's so far");
    }
    println!(
        "{:>7} {:>11} {:>5} {:>7} {:>9} {:>9} {:>10} {:>10} {:>8} {:>8} {:>10}",
        "ops",
        "bytes",
        "kinds",
        "links",
        "parse ms",
        "conv ms",
        "infer ms",
        "total ms",
        "us/op",
        "ratio",
        "peak MiB"
    );
    let mut base: Option<f64> = None;
    for n in sizes {
        let runs = if full { (4_000 / n).clamp(1, 5) } else { 1 };
        let row = measure(n, runs);
        let t = row.timings;
        let per_op = t.total().as_secs_f64() * 1e6 / row.ops.max(1) as f64;
        let base_per_op = *base.get_or_insert(per_op);
        println!(
            "{:>7} {:>11} {:>5} {:>7} {:>9.1} {:>9.1} {:>10.1} {:>10.1} {:>8.1} {:>7.2}x {:>10.1}",
            row.ops,
            row.bytes,
            row.resources,
            row.links,
            ms(t.parse),
            ms(t.convert),
            ms(t.infer),
            ms(t.total()),
            per_op,
            per_op / base_per_op,
            row.peak as f64 / (1024.0 * 1024.0),
        );
        // Let a watcher see each row as it comes (the largest sizes may take long).
        std::io::stdout().flush().ok();
    }
}

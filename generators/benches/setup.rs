//! The generator's set-up against loading the spec (issue 15 item 4): for each spec, the time
//! and peak resident memory of loading it (what `trespass spec` does) and of loading it, building
//! the sequence strategy (catalog of operations, value strategies) and drawing one sequence
//! (what `trespass sample --count 1` does), and their ratios.
//!
//! ```text
//! cargo bench --workspace --locked --bench setup
//! TRESPASS_SETUP_SPECS=a.yaml,b.json cargo bench --workspace --locked --bench setup
//! TRESPASS_SETUP_MAX=4000 cargo bench --workspace --locked --bench setup
//! ```
//!
//! Specs measured: the largest real specs of `shared/specs/real` (by size; truora, rebilly,
//! cloudformation, linode, vimeo) and influxdata (the worst ratio after rebilly in a survey of
//! all 120), or the files of `TRESPASS_SETUP_SPECS`; then synthetic OpenAPI 3.0 specs of about
//! 1k, 2k, 4k and 8k operations (sizes above `TRESPASS_SETUP_MAX` skipped) in the style of large
//! real APIs (see [`synthetic`]).
//!
//! Every figure comes from a fresh child process (the bench runs itself with
//! `TRESPASS_SETUP_CHILD`), so the peak resident set (`VmHWM`) is the one a user of the CLI sees
//! and no allocator state carries over from one spec to the next; each is the median of
//! `TRESPASS_SETUP_RUNS` runs (default 3). The last columns show the set-up's cost per operation
//! against the first synthetic size: a ratio that grows with the size is a super-linear cost.
//! `cargo test --benches` runs only the smallest synthetic size, once.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};
use trespass_generators::sequence::{IdentitySpec, SequenceStrategy};

/// The synthetic sizes, in operations.
const SIZES: &[usize] = &[1_000, 2_000, 4_000, 8_000];

/// Real specs measured when present, besides the largest few.
const NAMED: &[&str] = &["rebilly.com", "influxdata.com", "truora.com"];

/// How many of the largest real specs are measured.
const LARGEST: usize = 5;

fn main() {
    if let Ok(job) = std::env::var("TRESPASS_SETUP_CHILD") {
        child(&job);
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("TRESPASS_SETUP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 3 } else { 1 })
        .max(1);
    let max = std::env::var("TRESPASS_SETUP_MAX")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut inputs: Vec<(String, PathBuf)> = if full { real_specs() } else { Vec::new() };
    let sizes: Vec<usize> = if full {
        SIZES.iter().copied().filter(|&n| n <= max).collect()
    } else {
        SIZES[..1].to_vec()
    };
    for &n in &sizes {
        let path = dir.path().join(format!("synthetic-{n}.json"));
        std::fs::write(&path, synthetic::spec(n).to_string()).expect("write the spec");
        if let Some(keep) = std::env::var_os("TRESPASS_SETUP_KEEP") {
            std::fs::copy(&path, Path::new(&keep).join(format!("synthetic-{n}.json")))
                .expect("keep the spec");
        }
        inputs.push((format!("synthetic {n}"), path));
    }
    println!(
        "{:<28} {:>6} {:>6} {:>9} {:>9} {:>7} {:>9} {:>9} {:>7} {:>9}",
        "spec",
        "kB",
        "ops",
        "load ms",
        "setup ms",
        "time x",
        "load MiB",
        "setup MiB",
        "mem x",
        "us/op"
    );
    let mut base: Option<f64> = None;
    for (label, path) in &inputs {
        let load = median(runs, || run_child(path, "load"));
        let setup = median(runs, || run_child(path, "setup"));
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let per_op = setup.nanos as f64 / 1e3 / setup.operations.max(1) as f64;
        let growth = if label.starts_with("synthetic") {
            let b = *base.get_or_insert(per_op);
            format!(" ({:.2}x)", per_op / b)
        } else {
            String::new()
        };
        println!(
            "{:<28} {:>6} {:>6} {:>9.0} {:>9.0} {:>6.2}x {:>9.1} {:>9.1} {:>6.2}x {:>9.1}{growth}",
            label,
            bytes / 1000,
            setup.operations,
            load.nanos as f64 / 1e6,
            setup.nanos as f64 / 1e6,
            setup.nanos as f64 / load.nanos.max(1) as f64,
            load.peak_kb as f64 / 1024.0,
            setup.peak_kb as f64 / 1024.0,
            setup.peak_kb as f64 / load.peak_kb.max(1) as f64,
            per_op,
        );
        std::io::stdout().flush().ok();
    }
}

/// The largest real specs and the named ones, labelled by their file name's first part.
fn real_specs() -> Vec<(String, PathBuf)> {
    if let Ok(list) = std::env::var("TRESPASS_SETUP_SPECS") {
        return list
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| (label_of(Path::new(s)), PathBuf::from(s)))
            .collect();
    }
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs/real");
    let Some(mut files) = common::specs_with_sizes(&real) else {
        eprintln!("note: no real-spec corpus at {}", real.display());
        return Vec::new();
    };
    files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out: Vec<PathBuf> = files.iter().take(LARGEST).map(|(_, p)| p.clone()).collect();
    for name in NAMED {
        if let Some((_, p)) = files.iter().find(|(_, p)| label_of(p).starts_with(name))
            && !out.contains(p)
        {
            out.push(p.clone());
        }
    }
    out.into_iter().map(|p| (label_of(&p), p)).collect()
}

fn label_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split("__").take(2).collect::<Vec<_>>().join(" ")
}

/// One child's figures.
#[derive(Clone, Copy)]
struct Figures {
    nanos: u128,
    peak_kb: u64,
    operations: usize,
}

fn median(runs: usize, mut f: impl FnMut() -> Figures) -> Figures {
    let mut all: Vec<Figures> = (0..runs).map(|_| f()).collect();
    all.sort_by_key(|f| f.nanos);
    let mut out = all[all.len() / 2];
    // Memory hardly varies; the median of its own.
    let mut peaks: Vec<u64> = all.iter().map(|f| f.peak_kb).collect();
    peaks.sort_unstable();
    out.peak_kb = peaks[peaks.len() / 2];
    out
}

fn run_child(spec: &Path, phase: &str) -> Figures {
    let exe = std::env::current_exe().expect("the bench's own path");
    let out = Command::new(exe)
        .env(
            "TRESPASS_SETUP_CHILD",
            format!("{phase}:{}", spec.display()),
        )
        .output()
        .expect("run the bench's child");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("figures "))
        .unwrap_or_else(|| {
            panic!(
                "the child measuring {} printed no figures: {}",
                spec.display(),
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let fields: Vec<u128> = line
        .split_whitespace()
        .map(|f| f.parse().expect("a number"))
        .collect();
    Figures {
        nanos: fields[0],
        peak_kb: fields[1] as u64,
        operations: fields[2] as usize,
    }
}

/// In the child: load (`load:PATH`) or load and set up (`setup:PATH`), then print the wall
/// time, the peak resident set in kB and the number of operations.
fn child(job: &str) {
    let (phase, path) = job.split_once(':').expect("PHASE:PATH");
    let start = Instant::now();
    let model = trespass_generators::load_file(path).expect("the spec loads");
    if phase == "setup" {
        let strategy = SequenceStrategy::new(&model, &IdentitySpec::default_cast());
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
        );
        let sequence = strategy.new_tree(&mut runner).map(|t| t.current());
        std::hint::black_box(&sequence);
    }
    let nanos = start.elapsed().as_nanos();
    println!(
        "figures {nanos} {} {}",
        vm_hwm_kb().unwrap_or(0),
        model.operations.len()
    );
}

/// The process's peak resident set (`VmHWM` of `/proc/self/status`) in kB, when readable.
fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Synthetic specs in the style of large real APIs (Stripe-, Rebilly-like): resources with
/// create, list, read, replace, patch, delete and an action, every fourth nested below the
/// previous one; schemas built from shared components (timestamps through `allOf`, money,
/// address with a pattern, free-form metadata, a `oneOf` payment method with a discriminator,
/// the error and the list envelope with links); list filters and pagination in the query.
mod synthetic {
    use super::*;

    const NOUNS: &[&str] = &[
        "customer", "invoice", "plan", "coupon", "order", "product", "shipment", "ticket",
        "account", "webhook", "report", "dispute", "refund", "payout", "session", "token",
    ];

    /// A spec of about `n` operations (7 per resource).
    pub fn spec(n: usize) -> Value {
        let count = (n / 7).max(1);
        let mut schemas = shared();
        let mut paths = Map::new();
        for i in 0..count {
            resource(i, &mut schemas, &mut paths);
        }
        json!({
            "openapi": "3.0.3",
            "info": {"title": format!("synthetic {n}"), "version": "1"},
            "components": {
                "schemas": schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
            "security": [{"bearer": []}],
            "paths": paths,
        })
    }

    fn r(name: &str) -> Value {
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    fn shared() -> Map<String, Value> {
        let mut s = Map::new();
        s.insert(
            "Timestamps".into(),
            json!({"type": "object", "properties": {
            "createdTime": {"type": "string", "format": "date-time", "readOnly": true},
            "updatedTime": {"type": "string", "format": "date-time", "readOnly": true}}}),
        );
        s.insert(
            "Money".into(),
            json!({"type": "object", "required": ["amount", "currency"],
            "properties": {"amount": {"type": "number", "minimum": 0, "multipleOf": 0.01},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}),
        );
        s.insert(
            "Address".into(),
            json!({"type": "object", "properties": {
            "line1": {"type": "string", "maxLength": 255},
            "city": {"type": "string", "maxLength": 100},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "postalCode": {"type": "string", "maxLength": 12},
            "email": {"type": "string", "format": "email"}}}),
        );
        s.insert(
            "Metadata".into(),
            json!({"type": "object",
            "additionalProperties": {"type": "string", "maxLength": 500}}),
        );
        s.insert(
            "Card".into(),
            json!({"type": "object", "required": ["method", "pan"],
            "properties": {"method": {"type": "string", "enum": ["card"]},
                "pan": {"type": "string", "pattern": "^[0-9]{16}$"},
                "expMonth": {"type": "integer", "minimum": 1, "maximum": 12}}}),
        );
        s.insert(
            "BankAccount".into(),
            json!({"type": "object", "required": ["method", "iban"],
            "properties": {"method": {"type": "string", "enum": ["bank"]},
                "iban": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"}}}),
        );
        s.insert(
            "PaymentInstrument".into(),
            json!({"oneOf": [r("Card"), r("BankAccount")],
            "discriminator": {"propertyName": "method",
                "mapping": {"card": "#/components/schemas/Card",
                    "bank": "#/components/schemas/BankAccount"}}}),
        );
        s.insert(
            "Error".into(),
            json!({"type": "object", "properties": {
            "title": {"type": "string"}, "detail": {"type": "string"},
            "status": {"type": "integer"}}}),
        );
        s.insert(
            "SelfLink".into(),
            json!({"type": "object", "properties": {
            "rel": {"type": "string", "enum": ["self", "next", "prev"]},
            "href": {"type": "string", "format": "uri"}}}),
        );
        s
    }

    /// Resource `i`: `{Noun}{i}` with its create and list schemas and its seven operations.
    fn resource(i: usize, schemas: &mut Map<String, Value>, paths: &mut Map<String, Value>) {
        let noun = format!("{}{i}", NOUNS[i % NOUNS.len()]);
        let kind = format!("{}{}", noun[..1].to_uppercase(), &noun[1..]);
        let id_param = format!("{noun}Id");
        let parent = (i % 4 == 3).then(|| {
            let p = format!("{}{}", NOUNS[(i - 1) % NOUNS.len()], i - 1);
            (format!("/{p}s/{{{p}Id}}"), format!("{p}Id"))
        });
        let mut props = json!({
            "id": {"type": "string", "format": "uuid", "readOnly": true},
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "status": {"type": "string", "enum": ["active", "paused", "archived"]},
            "customerId": {"type": "string", "format": "uuid"},
            "amount": r("Money"),
            "address": r("Address"),
            "metadata": r("Metadata"),
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 20},
                "maxItems": 10, "uniqueItems": true},
            "_links": {"type": "array", "readOnly": true, "items": r("SelfLink")},
        });
        if i.is_multiple_of(3) {
            props["paymentInstrument"] = r("PaymentInstrument");
        }
        if i > 0 {
            let other = format!("{}{}", NOUNS[(i - 1) % NOUNS.len()], i - 1);
            props[format!("{other}Id")] = json!({"type": "string", "format": "uuid"});
        }
        if let Some((_, parent_id)) = &parent {
            props[parent_id.as_str()] =
                json!({"type": "string", "format": "uuid", "readOnly": true});
        }
        schemas.insert(
            kind.clone(),
            json!({"allOf": [r("Timestamps"),
            {"type": "object", "required": ["name"], "properties": props}]}),
        );
        schemas.insert(
            format!("{kind}List"),
            json!({"type": "object", "properties": {
            "data": {"type": "array", "items": r(&kind)},
            "total": {"type": "integer", "minimum": 0},
            "_links": {"type": "array", "items": r("SelfLink")}}}),
        );
        let prefix = parent.as_ref().map(|(p, _)| p.as_str()).unwrap_or("");
        let collection = format!("/v1{prefix}/{noun}s");
        let item = format!("{collection}/{{{id_param}}}");
        let mut params = vec![];
        if let Some((_, parent_id)) = &parent {
            params.push(json!({"name": parent_id, "in": "path", "required": true,
                "schema": {"type": "string", "format": "uuid"}}));
        }
        let body = json!({"required": true,
            "content": {"application/json": {"schema": r(&kind)}}});
        let one = json!({"description": "the object",
            "content": {"application/json": {"schema": r(&kind)}}});
        let error = json!({"description": "error",
            "content": {"application/json": {"schema": r("Error")}}});
        let list_params: Vec<Value> = params
            .iter()
            .cloned()
            .chain([
                json!({"name": "limit", "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}),
                json!({"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}),
                json!({"name": "sort", "in": "query",
                    "schema": {"type": "string", "enum": ["createdTime", "-createdTime", "name"]}}),
                json!({"name": "filter", "in": "query", "schema": {"type": "string"}}),
            ])
            .collect();
        paths.insert(
            collection,
            json!({
                "post": {"operationId": format!("create{kind}"), "parameters": params,
                    "requestBody": body, "responses": {"201": one, "422": error}},
                "get": {"operationId": format!("list{kind}s"), "parameters": list_params,
                    "responses": {"200": {"description": "the list",
                        "content": {"application/json": {"schema": r(&format!("{kind}List"))}}}}},
            }),
        );
        let mut item_params = params.clone();
        item_params.push(json!({"name": id_param, "in": "path", "required": true,
            "schema": {"type": "string", "format": "uuid"}}));
        paths.insert(
            item.clone(),
            json!({
                "parameters": item_params,
                "get": {"operationId": format!("get{kind}"),
                    "responses": {"200": one, "404": error}},
                "put": {"operationId": format!("put{kind}"), "requestBody": body,
                    "responses": {"200": one, "404": error, "422": error}},
                "patch": {"operationId": format!("patch{kind}"), "requestBody": body,
                    "responses": {"200": one, "404": error}},
                "delete": {"operationId": format!("delete{kind}"),
                    "responses": {"204": {"description": "deleted"}, "404": error}},
            }),
        );
        paths.insert(
            format!("{item}/archive"),
            json!({
                "parameters": item_params,
                "post": {"operationId": format!("archive{kind}"),
                    "responses": {"200": one, "409": error}},
            }),
        );
    }
}

//! Negative values break exactly one named constraint: each one fails JSON Schema validation
//! (the `jsonschema` crate, formats asserted) while the valid value it was derived from passes,
//! for every schema of the demo specs and a sample of the real-world corpus.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{demo_dir, real_dir, spec_files};
use jsonschema::Draft;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use trespass_generators::ApiModel;
use trespass_generators::model::SchemaId;
use trespass_generators::spec::load_file;
use trespass_generators::values::{self, Direction, Mutation, ValueContext};

/// Base values per schema.
const BASES: usize = 4;
/// Schemas per real spec (the first ones by id).
const REAL_SCHEMAS_PER_SPEC: usize = 25;

/// Request-side roots: component schemas, parameters and request bodies.
fn roots(model: &ApiModel) -> Vec<SchemaId> {
    let mut out: Vec<SchemaId> = model
        .schemas
        .iter()
        .filter(|(_, s)| s.name.is_some())
        .map(|(id, _)| id)
        .collect();
    for op in &model.operations {
        out.extend(op.parameters.iter().map(|p| p.schema));
        if let Some(body) = &op.request_body {
            out.extend(body.content.values().filter_map(|mt| mt.schema));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[derive(Default)]
struct Tally {
    schemas: usize,
    bases: usize,
    negatives: usize,
    by_kind: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

fn check(file: &Path, limit: usize, tally: &mut Tally) {
    let Ok(model) = load_file(file) else {
        return;
    };
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let ctx = ValueContext::request();
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    for id in roots(&model).into_iter().take(limit) {
        let Ok(strategy) = values::strategy(&model.schemas, id, &ctx) else {
            continue;
        };
        let schema = model.schemas.to_json_schema_for(id, Direction::Request);
        let Ok(validator) = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
        else {
            continue;
        };
        tally.schemas += 1;
        let pointer = &model.schemas.get(id).pointer;
        for _ in 0..BASES {
            let base = strategy.new_tree(&mut runner).unwrap().current();
            tally.bases += 1;
            if !validator.is_valid(&base) {
                tally
                    .failures
                    .push(format!("{name} {pointer}: base value {base} is invalid"));
                continue;
            }
            for n in values::negatives(&model.schemas, id, &ctx, &base) {
                tally.negatives += 1;
                *tally.by_kind.entry(n.mutation.name()).or_default() += 1;
                if validator.is_valid(&n.value) {
                    tally
                        .failures
                        .push(format!("{name} {pointer}: {n} is valid: {}", n.value));
                }
                // The named constraint is a keyword of a schema of this spec.
                let keyword = n.constraint.rsplit('/').next().unwrap_or("");
                if !n.constraint.starts_with('#') || keyword.is_empty() {
                    tally
                        .failures
                        .push(format!("{name} {pointer}: bad constraint pointer in {n}"));
                }
                // The changed place exists in the negative value (or, for a removed property,
                // its parent does).
                let place = match &n.mutation {
                    Mutation::MissingRequired { .. } => parent(&n.instance),
                    _ => n.instance.clone(),
                };
                if n.value.pointer(&place).is_none() {
                    tally
                        .failures
                        .push(format!("{name} {pointer}: {n}: {place} not in {}", n.value));
                }
            }
        }
    }
}

fn parent(pointer: &str) -> String {
    pointer
        .rsplit_once('/')
        .map_or(String::new(), |(p, _)| p.to_string())
}

fn report(label: &str, t: &Tally) {
    eprintln!(
        "{label}: {} schemas, {} base values, {} negatives, {} failures",
        t.schemas,
        t.bases,
        t.negatives,
        t.failures.len()
    );
    for (kind, n) in &t.by_kind {
        eprintln!("  {n:>6}  {kind}");
    }
    for f in t.failures.iter().take(30) {
        eprintln!("  FAIL {f}");
    }
}

#[test]
fn negatives_fail_validation_and_their_bases_pass() {
    let mut demo = Tally::default();
    for file in spec_files(&demo_dir()) {
        check(&file, usize::MAX, &mut demo);
    }
    report("demo specs", &demo);
    assert!(demo.failures.is_empty());
    // The oracle needs each of these on the demo APIs.
    for kind in [
        "wrong-type",
        "missing-required",
        "extra-property",
        "too-long",
        "too-short",
        "below-minimum",
        "above-maximum",
        "enum-outsider",
        "pattern-mismatch",
        "format-mismatch",
    ] {
        assert!(
            demo.by_kind.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} negative on the demo specs"
        );
    }

    let mut real = Tally::default();
    for file in spec_files(&real_dir()) {
        check(&file, REAL_SCHEMAS_PER_SPEC, &mut real);
    }
    if real.schemas > 0 {
        report("real specs", &real);
        assert!(real.failures.is_empty());
        assert!(real.negatives > 10_000, "{} negatives", real.negatives);
    }
}

#[test]
fn negative_strategy_yields_tagged_invalid_values() {
    let model = load_file(demo_dir().join("shop.yaml")).unwrap();
    let id = model.schemas.by_name("Product").unwrap();
    let ctx = ValueContext::request();
    let strategy = values::negative_strategy(&model.schemas, id, &ctx).unwrap();
    let mut runner = TestRunner::deterministic();
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let n = strategy.new_tree(&mut runner).unwrap().current();
        assert!(!values::is_valid(&model.schemas, id, &ctx, &n.value), "{n}");
        kinds.insert(n.mutation.name());
    }
    assert!(kinds.len() >= 5, "{kinds:?}");
    // A schema without constraints has nothing to break.
    let any = trespass_generators::spec::load_str(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Any: {}\n",
        "any.yaml",
    )
    .unwrap();
    let e = values::negative_strategy(&any.schemas, any.schemas.by_name("Any").unwrap(), &ctx)
        .unwrap_err();
    assert_eq!(e.kind, values::UnsatisfiableKind::Unconstrained);
}

//! Unit tests of the value generators, one or more per feature, by topic. Every generated value
//! is also validated with the `jsonschema` crate against the rendered JSON Schema.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use super::*;
use crate::model::{ApiModel, SchemaId};

mod scalars;
mod shrinking;
mod structures;

fn model(schemas_yaml: &str) -> ApiModel {
    model_v("3.0.3", schemas_yaml)
}

fn model_v(version: &str, schemas_yaml: &str) -> ApiModel {
    let indented: String = schemas_yaml.lines().map(|l| format!("    {l}\n")).collect();
    let text = format!(
        "openapi: {version}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{indented}"
    );
    crate::spec::load_str(&text, "unit.yaml").unwrap()
}

fn id(m: &ApiModel, name: &str) -> SchemaId {
    m.schemas.by_name(name).unwrap()
}

fn runner() -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}

/// `n` values of `name`, each checked by the crate's checker and by `jsonschema`.
fn samples_ctx(m: &ApiModel, name: &str, ctx: ValueContext, n: usize) -> Vec<Value> {
    let schema_id = id(m, name);
    let s = strategy(&m.schemas, schema_id, &ctx).unwrap();
    let rendered = m.schemas.to_json_schema_for(schema_id, ctx.direction);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&rendered)
        .unwrap();
    let mut r = runner();
    (0..n)
        .map(|_| {
            let v = s.new_tree(&mut r).unwrap().current();
            assert!(
                validator.is_valid(&v),
                "{name}: {v} is invalid: {:?}\nschema: {rendered}",
                validator
                    .iter_errors(&v)
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            );
            assert!(is_valid(&m.schemas, schema_id, &ctx, &v), "{name}: {v}");
            v
        })
        .collect()
}

fn samples(m: &ApiModel, name: &str, n: usize) -> Vec<Value> {
    samples_ctx(m, name, ValueContext::request(), n)
}

fn unsatisfiable(m: &ApiModel, name: &str) -> Unsatisfiable {
    match strategy(&m.schemas, id(m, name), &ValueContext::request()) {
        Ok(_) => panic!("{name} should be unsatisfiable"),
        Err(e) => e,
    }
}

/// Drives the tree of one value all the way down with `simplify` (and, if asked, a
/// `complicate` after every third step, as a test that passes on some candidates would),
/// checking that every value on the
/// way is valid and that the walk ends. Returns the final value.
fn shrink_walk(
    m: &ApiModel,
    name: &str,
    tree: &mut dyn ValueTree<Value = Value>,
    complicate: bool,
) -> Value {
    let schema_id = id(m, name);
    let ctx = ValueContext::request();
    let mut steps = 0;
    while tree.simplify() {
        steps += 1;
        assert!(steps < 10_000, "{name}: shrinking does not end");
        let v = tree.current();
        assert!(
            is_valid(&m.schemas, schema_id, &ctx, &v),
            "{name}: shrank to invalid {v}"
        );
        if complicate && steps % 3 == 0 && tree.complicate() {
            let v = tree.current();
            assert!(
                is_valid(&m.schemas, schema_id, &ctx, &v),
                "{name}: complicated to invalid {v}"
            );
        }
    }
    tree.current()
}

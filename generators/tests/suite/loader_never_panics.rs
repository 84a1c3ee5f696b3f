//! The loader never panics: mutated specs (nodes deleted, replaced by values of the wrong
//! type, `$ref`s broken or pointed at odd places, keys renamed, subtrees copied elsewhere, text
//! truncated or garbled) load or fail with an error naming the file; never a panic. The
//! summary of whatever loads is built too, and every schema renders to JSON Schema.
//!
//! Inputs: both demo specs and a few small real specs (Swagger 2.0 and OpenAPI 3.1) when the
//! corpus is present; `TRESPASS_FUZZ_ALL_REAL=1` takes every real spec instead (a longer hunt,
//! with `PROPTEST_CASES` to taste). A failure is saved by proptest under
//! `proptest-regressions/`.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::common;
use proptest::prelude::*;
use serde_json::{Value, json};
use trespass_generators::pointer;
use trespass_generators::spec::{load_str, parse_text};
use trespass_generators::summary::SpecSummary;

/// Real specs mixed in when `shared/specs/real` exists: two Swagger 2.0, two OpenAPI 3.1.
const REAL: &[&str] = &[
    "landregistry.gov.uk__deed__1.0.0.yaml",
    "walmart.com__item__3.0.1.yaml",
    "urlbox.io__urlbox__v1.json",
    "placekit.co__placekit__1.0.0.json",
];

struct Input {
    name: String,
    text: String,
    value: Value,
}

fn inputs() -> &'static [Input] {
    static INPUTS: OnceLock<Vec<Input>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let mut paths = vec![
            common::demo_spec("shop.yaml"),
            common::demo_spec("notes.yaml"),
        ];
        let real = common::real_dir();
        if std::env::var_os("TRESPASS_FUZZ_ALL_REAL").is_some() {
            // A longer hunt: every real spec (`TRESPASS_FUZZ_ALL_REAL=1 PROPTEST_CASES=...`).
            let mut all: Vec<PathBuf> = std::fs::read_dir(&real)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            all.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"));
            all.sort();
            paths.extend(all);
        } else {
            paths.extend(REAL.iter().map(|f| real.join(f)).filter(|p| p.is_file()));
        }
        paths
            .into_iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&p).expect("spec is readable");
                let value = parse_text(&text, &name).expect("the unmutated spec parses");
                Input { name, text, value }
            })
            .collect()
    })
}

/// Loads `text` and checks the outcome: a model (which then summarises and renders) or an
/// error that names the file and says something.
fn check(text: &str, name: &str) -> Result<(), TestCaseError> {
    match load_str(text, name) {
        Ok(model) => {
            let summary = SpecSummary::from_model(&model, name);
            prop_assert_eq!(summary.counts.operations, model.operations.len());
            for (id, _) in model.schemas.iter() {
                let rendered = model.schemas.to_json_schema(id);
                prop_assert!(rendered.is_object() || rendered.is_boolean());
            }
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.starts_with(name), "{}", message);
            prop_assert!(message.len() > name.len() + 5, "{}", message);
        }
    }
    Ok(())
}

/// Pointers (as token lists) to every node of `v`, the root first.
fn node_paths(v: &Value) -> Vec<Vec<Token>> {
    let mut out = Vec::new();
    let mut stack = vec![(v, Vec::new())];
    while let Some((node, path)) = stack.pop() {
        match node {
            Value::Object(m) => {
                for (k, child) in m {
                    let mut p = path.clone();
                    p.push(Token::Key(k.clone()));
                    stack.push((child, p));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let mut p = path.clone();
                    p.push(Token::Index(i));
                    stack.push((child, p));
                }
            }
            _ => {}
        }
        out.push(path);
    }
    out
}

#[derive(Debug, Clone)]
enum Token {
    Key(String),
    Index(usize),
}

fn get_mut<'a>(v: &'a mut Value, path: &[Token]) -> Option<&'a mut Value> {
    let mut cur = v;
    for t in path {
        cur = match (t, cur) {
            (Token::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Token::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn get<'a>(v: &'a Value, path: &[Token]) -> Option<&'a Value> {
    let mut cur = v;
    for t in path {
        cur = match (t, cur) {
            (Token::Key(k), Value::Object(m)) => m.get(k)?,
            (Token::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Values of the wrong type, odd numbers and strings, and `$ref`s of every broken kind.
fn palette(seed: u32) -> Value {
    let refs = [
        "#/nope",
        "#",
        "",
        "#/",
        "#/paths",
        "#/info",
        "#/components",
        "#/components/schemas",
        "#/definitions",
        "#/components/schemas/~2bad",
        "#/components/schemas/%zz",
        "#/paths/~1users~1%7Bid%7D",
        "other.yaml#/components/schemas/X",
        "../../../../etc/passwd",
        "https://example.invalid/x.yaml#/a",
        "//example.invalid/a",
        "urn:x:y",
        "no-pointer",
        "#no-slash",
        "#/components/schemas/A/properties/b/items",
    ];
    let plain = [
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1e300),
        json!(-1.5),
        json!(u64::MAX),
        json!(""),
        json!("x"),
        json!("3.1.0"),
        json!("2.0"),
        json!("{id}"),
        json!([]),
        json!([null]),
        json!({}),
        json!({"type": "object"}),
        json!({"type": ["string", "null", 3]}),
        json!({"type": "array"}),
        json!({"type": "array", "items": []}),
        json!({"allOf": [{}, true, false, 1]}),
        json!({"oneOf": "x", "discriminator": {"propertyName": 1, "mapping": {"a": "#/x"}}}),
        json!({"enum": 3, "required": "id", "properties": []}),
        json!({"minimum": "ten", "multipleOf": 0, "exclusiveMinimum": "x"}),
        json!({"name": "id", "in": "path"}),
        json!({"name": 1, "in": "body", "schema": 2}),
        json!({"in": "formData", "name": "f", "type": "file"}),
        json!({"get": {"responses": {"200": {"description": "ok"}}}}),
        json!({"responses": []}),
        json!({"content": {"application/json": {"schema": 1}}}),
        json!({"links": {"l": {"operationId": 1, "parameters": {"x": "$response.body#/id"}}}}),
        json!({"security": [{"nope": ["a"]}, "x"]}),
    ];
    let n = (seed as usize) % (refs.len() + plain.len());
    if n < refs.len() {
        json!({"$ref": refs[n]})
    } else {
        plain[n - refs.len()].clone()
    }
}

fn odd_key(seed: u32) -> String {
    const KEYS: &[&str] = &[
        "",
        "/",
        "~",
        "{",
        "}",
        "x-",
        "get",
        "GET",
        "$ref",
        "200",
        "2XX",
        "default",
        "99",
        "/a/{b",
        "/{x}/{x}",
        "properties",
        "type",
        "paths",
        "parameters",
        "🦀",
    ];
    KEYS[(seed as usize) % KEYS.len()].to_string()
}

/// Applies one mutation chosen by `op` at the node chosen by `at`.
fn mutate(v: &mut Value, op: u8, at: u32, seed: u32, limit: usize) {
    let paths = node_paths(v);
    let path = &paths[(at as usize) % paths.len()];
    match op % 6 {
        // Delete the node (the root becomes null).
        0 => match path.split_last() {
            None => *v = Value::Null,
            Some((last, parent)) => match (last, get_mut(v, parent)) {
                (Token::Key(k), Some(Value::Object(m))) => {
                    m.remove(k);
                }
                (Token::Index(i), Some(Value::Array(a))) if *i < a.len() => {
                    a.remove(*i);
                }
                _ => {}
            },
        },
        // Replace it with a value of another type or a broken `$ref`.
        1 | 2 => {
            if let Some(node) = get_mut(v, path) {
                *node = palette(seed);
            }
        }
        // Rename a key of an object.
        3 => {
            if let Some(Value::Object(m)) = get_mut(v, path)
                && let Some(k) = m.keys().nth((seed as usize) % m.len().max(1)).cloned()
                && let Some(child) = m.remove(&k)
            {
                m.insert(odd_key(seed / 7), child);
            }
        }
        // Copy another subtree (possibly an ancestor) here, within a size limit.
        4 => {
            let from = &paths[(seed as usize) % paths.len()];
            if let Some(copy) = get(v, from).cloned()
                && copy.to_string().len() < limit
                && let Some(node) = get_mut(v, path)
            {
                *node = copy;
            }
        }
        // Point a `$ref` somewhere in the document (including at itself).
        _ => {
            let to = &paths[(seed as usize) % paths.len()];
            let pointer: String = to
                .iter()
                .map(|t| match t {
                    Token::Key(k) => format!("/{}", pointer::escape(k)),
                    Token::Index(i) => format!("/{i}"),
                })
                .collect();
            if let Some(node) = get_mut(v, path) {
                *node = json!({ "$ref": format!("#{pointer}") });
            }
        }
    }
}

/// `cases` unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn mutated_trees_never_panic(
        which in any::<u16>(),
        mutations in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 1..8),
    ) {
        let inputs = inputs();
        let input = &inputs[(which as usize) % inputs.len()];
        let mut v = input.value.clone();
        let limit = input.text.len() * 2;
        for (op, at, seed) in mutations {
            mutate(&mut v, op, at, seed, limit);
        }
        check(&v.to_string(), &input.name)?;
    }

    #[test]
    fn truncated_and_garbled_text_never_panics(
        which in any::<u16>(),
        cut in 0.0f64..1.0,
        garble in prop::collection::vec((0.0f64..1.0, prop::sample::select(vec![
            "\t", ":", "- ", "{", "}", "[", "]", "\"", "'", "&a", "*a", "<<: *a", "!!binary",
            "\n", "\n  ", "#", "%YAML 1.2\n", "---\n", "\u{feff}", "\u{0}", "é", "$ref: '#'",
        ])), 0..4),
    ) {
        let inputs = inputs();
        let input = &inputs[(which as usize) % inputs.len()];
        let mut text = input.text.clone();
        for (at, insert) in garble {
            let mut i = ((text.len() as f64) * at) as usize;
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            text.insert_str(i, insert);
        }
        let mut end = ((text.len() as f64) * cut) as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        check(&text[..end], &input.name)?;
    }
}

#[test]
fn the_unmutated_inputs_load() {
    for input in inputs() {
        let model = load_str(&input.text, &input.name).unwrap_or_else(|e| panic!("{e}"));
        // (Some real specs hold webhooks only; the curated inputs all have operations.)
        let curated = input.name.ends_with(".yaml") && !input.name.contains("__")
            || REAL.contains(&input.name.as_str());
        assert!(!curated || !model.operations.is_empty(), "{}", input.name);
    }
    assert!(inputs().len() >= 2);
}

#[test]
fn deep_nesting_and_self_references_are_errors_or_models() {
    // Deep nesting: the parser's depth limit, not the stack.
    let deep = format!(
        "{}{}",
        "{\"a\":".repeat(100_000),
        "1".to_string() + &"}".repeat(100_000)
    );
    let e = load_str(&deep, "deep.json").unwrap_err();
    assert!(e.to_string().starts_with("deep.json"), "{e}");
    let deep_yaml = format!("openapi: 3.0.0\npaths:\n  /x: {}\n", "[".repeat(50_000));
    assert!(load_str(&deep_yaml, "deep.yaml").is_err());
    // A schema that is its own `$ref`, a path item that refers to `paths`, a parameter that
    // refers to the root.
    let text = r##"
openapi: 3.0.3
info: {title: self, version: '1'}
paths:
  /a:
    $ref: '#/paths'
  /b:
    get:
      parameters:
        - $ref: '#'
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Self'}
components:
  schemas:
    Self: {$ref: '#/components/schemas/Self'}
"##;
    match load_str(text, "self.yaml") {
        Ok(m) => assert!(!m.warnings.is_empty()),
        Err(e) => assert!(e.to_string().starts_with("self.yaml"), "{e}"),
    }
}

//! Shrinking and proptest's strategy contract: values shrink toward simple ones, trees
//! simplify and complicate consistently, the same seed gives the same values.

use serde_json::{Value, json};

use super::*;

#[test]
fn values_shrink_toward_simple_ones() {
    let m = model(
        "Simple:
  type: object
  required: [n, s, list]
  properties:
    n: {type: integer, minimum: -50, maximum: 50}
    s: {type: string, minLength: 2}
    list: {type: array, items: {type: integer, minimum: 3}}
    f: {type: number, minimum: 1.5}",
    );
    let s = strategy(&m.schemas, id(&m, "Simple"), &ValueContext::request()).unwrap();
    let mut r = runner();
    for _ in 0..30 {
        let mut tree = s.new_tree(&mut r).unwrap();
        let last = shrink_walk(&m, "Simple", &mut tree, false);
        assert_eq!(
            last,
            json!({"n": 0, "s": "aa", "list": []}),
            "shrank to {last}"
        );
    }
}

/// `proptest::strategy::check_strategy_sanity` for boxed strategies, whose trees cannot be
/// cloned: a clone is replaced by regenerating the tree from the same seed and replaying the
/// same `simplify` / `complicate` calls. Checks, on `cases` trees, that every value is valid,
/// that shrinking converges, and that `simplify()` followed by `complicate()` until it returns
/// false comes back to the value before the `simplify()` (proptest's own contract).
fn check_strategy_sanity(m: &ApiModel, name: &str, cases: u8) {
    let schema_id = id(m, name);
    let ctx = ValueContext::request();
    let s = strategy(&m.schemas, schema_id, &ctx).unwrap();
    sanity(&s, name, cases, |v| {
        is_valid(&m.schemas, schema_id, &ctx, v)
    });
}

/// See [`check_strategy_sanity`].
fn sanity(
    s: &proptest::strategy::SBoxedStrategy<Value>,
    name: &str,
    cases: u8,
    valid: impl Fn(&Value) -> bool,
) {
    let replay = |seed: u8, ops: &[bool]| {
        let mut r = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
        );
        let mut tree = s.new_tree(&mut r).unwrap();
        for &simplify in ops {
            if simplify {
                tree.simplify();
            } else {
                tree.complicate();
            }
        }
        tree
    };
    for seed in 0..cases {
        let mut ops: Vec<bool> = Vec::new();
        loop {
            assert!(ops.len() < 2_000, "{name}: shrinking does not converge");
            let before = replay(seed, &ops).current();
            assert!(valid(&before), "{name}: {before}");
            let mut tree = replay(seed, &ops);
            if !tree.simplify() {
                break;
            }
            ops.push(true);
            let mut complicated = replay(seed, &ops);
            let mut n = 0;
            while complicated.complicate() {
                n += 1;
                assert!(n < 65_536, "{name}: complicate() does not end");
            }
            assert_eq!(
                complicated.current(),
                before,
                "{name} (seed {seed}, {} simplifications): simplify then complicate did not come back",
                ops.len()
            );
        }
    }
}

#[test]
fn check_strategy_sanity_on_value_strategies() {
    let m = model(
        r"Pet:
  type: object
  required: [name, tags]
  properties:
    name: {type: string, pattern: '^[A-Z][a-z]{1,10}$'}
    tags: {type: array, uniqueItems: true, items: {type: string, enum: [a, b, c]}}
    born: {type: string, format: date}
    weight: {type: number, exclusiveMinimum: true, minimum: 0, multipleOf: 0.5}
Product:
  type: object
  required: [name, price]
  properties:
    name: {type: string, minLength: 1, maxLength: 100}
    price: {type: integer, minimum: 0, maximum: 10000000}
    stock: {type: integer, minimum: 0}
Choice:
  oneOf:
    - {type: integer, minimum: 0}
    - {type: integer, maximum: 10}
    - {type: string, format: email}
Tree:
  type: object
  properties:
    left: {$ref: '#/components/schemas/Tree'}
    right: {$ref: '#/components/schemas/Tree'}
    label: {type: string, nullable: true}",
    );
    for name in ["Product", "Pet", "Choice", "Tree"] {
        check_strategy_sanity(&m, name, 12);
    }
    // And walks that mix simplify and complicate stay valid.
    for name in ["Pet", "Choice", "Tree"] {
        let s = strategy(&m.schemas, id(&m, name), &ValueContext::request()).unwrap();
        let mut r = runner();
        for _ in 0..20 {
            let mut tree = s.new_tree(&mut r).unwrap();
            shrink_walk(&m, name, &mut tree, true);
        }
    }
}

#[test]
fn same_seed_same_values() {
    let m = model(
        "V: {type: object, required: [a], properties: {a: {type: string, format: email}, b: {type: integer}}}",
    );
    let a = samples(&m, "V", 20);
    let b = samples(&m, "V", 20);
    assert_eq!(a, b);
}

#[test]
fn unions_keep_the_complicate_contract() {
    // proptest's own `Union` of these two fails the contract (its tree complicates an
    // alternative whose last simplification failed); `one_of` fuses the alternatives.
    use proptest::prelude::*;
    let email = crate::values::formats::strategy("email")
        .unwrap()
        .prop_map(Value::String)
        .sboxed();
    let ints = (0i64..1000).prop_map(Value::from).sboxed();
    let u = crate::values::filter::one_of(vec![(1, ints), (1, email)]);
    sanity(&u, "one_of", 24, |_| true);
}

#[test]
fn check_strategy_sanity_on_the_demo_specs_and_every_format() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/specs");
    for file in ["shop.yaml", "notes.yaml"] {
        let m = crate::spec::load_file(root.join(file)).unwrap();
        let names: Vec<String> = m
            .schemas
            .iter()
            .filter_map(|(_, s)| s.name.clone())
            .collect();
        assert!(names.len() > 5, "{file}");
        for name in names {
            check_strategy_sanity(&m, &name, 3);
        }
    }
    let m = model(
        r"Everything:
  type: object
  required: [f, p, m, t]
  minProperties: 5
  properties:
    f:
      type: object
      properties:
        date: {type: string, format: date}
        time: {type: string, format: date-time}
        email: {type: string, format: email}
        uri: {type: string, format: uri}
        host: {type: string, format: hostname}
        ip: {type: string, format: ipv6}
        byte: {type: string, format: byte}
        uuid: {type: string, format: uuid}
        dur: {type: string, format: duration}
        i64: {type: string, format: int64}
    p: {type: string, pattern: '^(ab|cd)+[0-9]{2,4}$'}
    m: {type: object, additionalProperties: {type: array, items: {type: integer}}}
    t: {type: array, items: {type: number, multipleOf: 0.25}, maxItems: 3}
    extra: {type: boolean}",
    );
    check_strategy_sanity(&m, "Everything", 16);
}

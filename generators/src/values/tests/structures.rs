//! Structures and compositions: arrays, enums, properties, `allOf` / `oneOf` / `not`,
//! directions, recursion.

use serde_json::{Value, json};

use super::*;

#[test]
fn arrays_lengths_and_unique_items() {
    let m = model(
        "A:
  type: object
  required: [tags, pair, colors]
  properties:
    tags: {type: array, items: {type: string, maxLength: 3}, minItems: 2, maxItems: 4}
    pair: {type: array, items: {type: integer}, minItems: 2, maxItems: 2}
    colors: {type: array, uniqueItems: true, minItems: 3, items: {type: string, enum: [red, green, blue, black]}}",
    );
    for v in samples(&m, "A", 200) {
        let tags = v["tags"].as_array().unwrap();
        assert!((2..=4).contains(&tags.len()), "{v}");
        assert_eq!(v["pair"].as_array().unwrap().len(), 2);
        let colors = v["colors"].as_array().unwrap();
        assert!(colors.len() >= 3);
        let mut sorted: Vec<String> = colors.iter().map(|c| c.to_string()).collect();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), colors.len(), "{v}");
    }
    let m = model("U: {type: array, uniqueItems: true, minItems: 3, items: {type: boolean}}");
    assert_eq!(
        unsatisfiable(&m, "U").kind,
        UnsatisfiableKind::Contradiction
    );
    let m = model("R: {type: array, minItems: 3, maxItems: 2}");
    assert_eq!(
        unsatisfiable(&m, "R").kind,
        UnsatisfiableKind::Contradiction
    );
}

#[test]
fn enums_consts_and_nullable() {
    let m = model_v(
        "3.1.0",
        "E:
  type: object
  required: [status, kind, maybe, never]
  properties:
    status: {type: string, enum: [open, closed, 7]}
    kind: {const: fixed}
    maybe: {type: [string, 'null'], maxLength: 2}
    never: {type: integer}",
    );
    let (mut nulls, mut strings) = (0, 0);
    for v in samples(&m, "E", 300) {
        assert!(
            v["status"] == json!("open") || v["status"] == json!("closed"),
            "{v}"
        );
        assert_eq!(v["kind"], json!("fixed"));
        if v["maybe"].is_null() {
            nulls += 1;
        } else {
            strings += 1;
        }
        assert!(v["never"].is_i64());
    }
    assert!(
        nulls > 10 && strings > 100,
        "{nulls} nulls, {strings} strings"
    );
    // 3.0 nullable with an enum.
    let m = model("N: {type: string, enum: [a, b], nullable: true}");
    let values = samples(&m, "N", 200);
    assert!(values.contains(&Value::Null) && values.contains(&json!("a")));
    let m = model("Z: {type: string, enum: [1, 2]}");
    assert_eq!(
        unsatisfiable(&m, "Z").kind,
        UnsatisfiableKind::Contradiction
    );
}

#[test]
fn required_and_optional_properties() {
    let m = model(
        "O:
  type: object
  required: [a]
  properties:
    a: {type: string}
    b: {type: integer}
    c: {type: boolean}",
    );
    let values = samples(&m, "O", 200);
    assert!(values.iter().all(|v| v.get("a").is_some()));
    assert!(values.iter().any(|v| v.get("b").is_some()));
    assert!(values.iter().any(|v| v.get("b").is_none()));
    assert!(
        values
            .iter()
            .any(|v| v.get("c").is_some() && v.get("b").is_some())
    );
    // Shrinking drops optional properties and simplifies the rest.
    let s = strategy(&m.schemas, id(&m, "O"), &ValueContext::request()).unwrap();
    let mut r = runner();
    for _ in 0..20 {
        let mut tree = s.new_tree(&mut r).unwrap();
        let last = shrink_walk(&m, "O", &mut tree, false);
        assert_eq!(last, json!({"a": ""}), "shrank to {last}");
    }
}

#[test]
fn additional_properties() {
    let m = model(
        "Closed:
  type: object
  additionalProperties: false
  minProperties: 2
  properties:
    a: {type: string}
    b: {type: string}
    c: {type: string}
Map:
  type: object
  additionalProperties: {type: integer, minimum: 100}
Counted:
  type: object
  minProperties: 3
  additionalProperties: {type: boolean}
TooFew:
  type: object
  additionalProperties: false
  minProperties: 2
  properties:
    a: {type: string}",
    );
    for v in samples(&m, "Closed", 100) {
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert!(keys.len() >= 2, "{v}");
        assert!(keys.iter().all(|k| ["a", "b", "c"].contains(&k.as_str())));
    }
    let maps = samples(&m, "Map", 100);
    assert!(maps.iter().any(|v| !v.as_object().unwrap().is_empty()));
    for v in &maps {
        assert!(
            v.as_object()
                .unwrap()
                .values()
                .all(|x| x.as_i64().unwrap() >= 100)
        );
    }
    for v in samples(&m, "Counted", 50) {
        assert!(v.as_object().unwrap().len() >= 3, "{v}");
    }
    assert_eq!(
        unsatisfiable(&m, "TooFew").kind,
        UnsatisfiableKind::Contradiction
    );
}

#[test]
fn all_of_is_merged_and_contradictions_reported() {
    let m = model(
        "Base:
  type: object
  required: [id]
  properties:
    id: {type: integer, minimum: 1}
    name: {type: string, maxLength: 10}
Derived:
  allOf:
    - $ref: '#/components/schemas/Base'
    - type: object
      required: [extra]
      properties:
        name: {type: string, minLength: 8}
        extra: {type: boolean}
TwoPatterns:
  allOf:
    - {type: string, pattern: '^[a-z]+$'}
    - {type: string, pattern: 'x', maxLength: 4}
Broken:
  allOf:
    - {type: string}
    - {type: integer}",
    );
    for v in samples(&m, "Derived", 200) {
        assert!(v["id"].as_i64().unwrap() >= 1);
        assert!(v["extra"].is_boolean());
        if let Some(name) = v.get("name") {
            let n = name.as_str().unwrap().chars().count();
            assert!((8..=10).contains(&n), "{v}");
        }
    }
    for v in samples(&m, "TwoPatterns", 50) {
        let s = v.as_str().unwrap();
        assert!(s.contains('x') && s.len() <= 4, "{s}");
    }
    let e = unsatisfiable(&m, "Broken");
    assert_eq!(e.kind, UnsatisfiableKind::Contradiction);
    assert!(e.pointer.contains("Broken"), "{e}");
}

#[test]
fn one_of_with_discriminator_sets_the_mapped_value() {
    let m = model(
        "Pet:
  oneOf:
    - $ref: '#/components/schemas/Cat'
    - $ref: '#/components/schemas/Dog'
    - $ref: '#/components/schemas/Fish'
  discriminator:
    propertyName: petType
    mapping:
      cat: '#/components/schemas/Cat'
      doggo: '#/components/schemas/Dog'
Fish:
  type: object
  required: [petType]
  properties:
    petType: {type: string, enum: [fish]}
Cat:
  type: object
  required: [petType]
  properties:
    petType: {type: string}
    meows: {type: boolean}
Dog:
  type: object
  required: [petType]
  properties:
    petType: {type: string}
    barks: {type: boolean}",
    );
    let (mut cats, mut dogs) = (0, 0);
    for v in samples(&m, "Pet", 200) {
        match v["petType"].as_str().unwrap() {
            "cat" => {
                cats += 1;
                assert!(v.get("barks").is_none(), "{v}");
            }
            "doggo" => {
                dogs += 1;
                assert!(v.get("meows").is_none(), "{v}");
            }
            // `Fish` is named `Fish` by the implicit mapping, which its own enum forbids: it
            // cannot be selected, so it is never generated.
            other => panic!("unmapped discriminator value {other}"),
        }
    }
    assert!(cats > 20 && dogs > 20, "{cats} cats, {dogs} dogs");
}

#[test]
fn one_of_values_match_exactly_one_variant() {
    let m = model(
        "Either:
  oneOf:
    - {type: integer, minimum: 0}
    - {type: integer, maximum: 10}
Any:
  anyOf:
    - {type: string, maxLength: 2}
    - {type: integer}
Same:
  oneOf:
    - {type: string}
    - {type: string}",
    );
    for v in samples(&m, "Either", 200) {
        let n = v.as_i64().unwrap();
        assert!(!(0..=10).contains(&n), "{n} matches both variants");
    }
    let any = samples(&m, "Any", 100);
    assert!(any.iter().any(Value::is_string) && any.iter().any(Value::is_i64));
    let e = unsatisfiable(&m, "Same");
    assert!(e.reason.contains("also match"), "{e}");
}

#[test]
fn read_only_and_write_only_by_direction() {
    let m = model(
        "Account:
  type: object
  required: [id, name, password]
  properties:
    id: {type: string, format: uuid, readOnly: true}
    name: {type: string}
    password: {type: string, writeOnly: true, minLength: 8}",
    );
    for v in samples_ctx(&m, "Account", ValueContext::request(), 50) {
        assert!(v.get("id").is_none() && v.get("password").is_some(), "{v}");
    }
    for v in samples_ctx(&m, "Account", ValueContext::response(), 50) {
        assert!(v.get("id").is_some() && v.get("password").is_none(), "{v}");
    }
}

#[test]
fn recursion_is_bounded_by_depth() {
    let m = model(
        "Node:
  type: object
  required: [value]
  properties:
    value: {type: integer}
    children: {type: array, items: {$ref: '#/components/schemas/Node'}}
    parent: {$ref: '#/components/schemas/Node'}
Chain:
  type: object
  required: [next]
  properties:
    next: {$ref: '#/components/schemas/Chain'}
Nullable:
  type: object
  required: [next]
  properties:
    next:
      allOf: [{$ref: '#/components/schemas/Nullable'}]
      nullable: true",
    );
    fn depth(v: &Value) -> usize {
        match v {
            Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }
    let values = samples(&m, "Node", 100);
    let deepest = values.iter().map(depth).max().unwrap();
    assert!(deepest >= 3, "never nests: {deepest}");
    assert!(
        deepest <= 2 * ValueContext::DEFAULT_MAX_DEPTH as usize + 2,
        "{deepest}"
    );
    let shallow = ValueContext::request().with_max_depth(1);
    for v in samples_ctx(&m, "Node", shallow, 50) {
        assert!(depth(&v) <= 3, "{v}");
    }
    let e = unsatisfiable(&m, "Chain");
    assert_eq!(e.kind, UnsatisfiableKind::Recursion);
    for v in samples(&m, "Nullable", 30) {
        assert!(v.get("next").is_some());
    }
}

#[test]
fn not_and_any() {
    let m = model(
        "NotString: {not: {type: string}}
Anything: {}
NotSmall: {type: integer, not: {maximum: 100}}",
    );
    for v in samples(&m, "NotString", 100) {
        assert!(!v.is_string(), "{v}");
    }
    let any = samples(&m, "Anything", 100);
    assert!(any.iter().any(Value::is_string) && any.iter().any(Value::is_boolean));
    for v in samples(&m, "NotSmall", 100) {
        assert!(v.as_i64().unwrap() > 100, "{v}");
    }
}

#[test]
fn unknown_ids_and_false_schemas() {
    let m = model("Nothing: {not: {}}");
    let e = strategy(&m.schemas, SchemaId(9_999), &ValueContext::request()).unwrap_err();
    assert_eq!(e.kind, UnsatisfiableKind::UnknownSchema);
    assert!(strategy(&m.schemas, id(&m, "Nothing"), &ValueContext::request()).is_err());
}

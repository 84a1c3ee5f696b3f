//! Scalars: formats, numeric bounds, string lengths and patterns.

use serde_json::json;

use super::*;

#[test]
fn formats() {
    let m = model(
        "F:
  type: object
  required: [date, dateTime, time, uuid, email, uri, url, hostname, ipv4, ipv6, byte, binary, duration, pointer]
  properties:
    date: {type: string, format: date}
    dateTime: {type: string, format: date-time}
    time: {type: string, format: time}
    uuid: {type: string, format: uuid}
    email: {type: string, format: email}
    uri: {type: string, format: uri}
    url: {type: string, format: url}
    hostname: {type: string, format: hostname}
    ipv4: {type: string, format: ipv4}
    ipv6: {type: string, format: ipv6}
    byte: {type: string, format: byte}
    binary: {type: string, format: binary}
    duration: {type: string, format: duration}
    pointer: {type: string, format: json-pointer}",
    );
    for v in samples(&m, "F", 100) {
        let uuid = v["uuid"].as_str().unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4", "{uuid}");
        assert!(v["url"].as_str().unwrap().starts_with("https://"));
        let byte = v["byte"].as_str().unwrap();
        assert_eq!(byte.len() % 4, 0, "{byte}");
        assert!(
            byte.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
        );
        assert!(v["email"].as_str().unwrap().contains('@'));
    }
}

#[test]
fn integer_formats_bound_values() {
    let m = model(
        "I:
  type: object
  required: [a, b, c]
  properties:
    a: {type: integer, format: int32}
    b: {type: integer, format: int64}
    c: {type: string, format: int64}",
    );
    let mut big = false;
    for v in samples(&m, "I", 300) {
        let a = v["a"].as_i64().unwrap();
        assert!(i32::try_from(a).is_ok(), "{a}");
        let b = v["b"].as_i64().unwrap();
        big |= b.unsigned_abs() > u64::from(u32::MAX);
        assert!(v["c"].as_str().unwrap().parse::<i64>().is_ok());
    }
    assert!(big, "int64 values never leave the int32 range");
}

#[test]
fn numeric_bounds_exclusive_and_multiple_of() {
    let m = model(
        "N:
  type: object
  required: [i, f, price, step]
  properties:
    i: {type: integer, minimum: 10, exclusiveMinimum: true, maximum: 20, exclusiveMaximum: true, multipleOf: 3}
    f: {type: number, minimum: 0, maximum: 1, exclusiveMaximum: true}
    price: {type: number, minimum: 0.5, multipleOf: 0.01}
    step: {type: number, multipleOf: 2.5, minimum: -10, maximum: 10}",
    );
    let mut seen_i = std::collections::BTreeSet::new();
    for v in samples(&m, "N", 300) {
        let i = v["i"].as_i64().unwrap();
        assert!([12, 15, 18].contains(&i), "{i}");
        seen_i.insert(i);
        let f = v["f"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&f), "{f}");
        assert!(v["price"].as_f64().unwrap() >= 0.5);
    }
    assert_eq!(seen_i.len(), 3, "{seen_i:?}");
    // 3.1: numeric exclusive bounds.
    let m31 = model_v(
        "3.1.0",
        "E:
  type: integer
  exclusiveMinimum: 0
  exclusiveMaximum: 3",
    );
    for v in samples(&m31, "E", 50) {
        assert!(matches!(v.as_i64(), Some(1 | 2)), "{v}");
    }
    let empty = model("X: {type: integer, minimum: 5, maximum: 5, exclusiveMaximum: true}");
    assert_eq!(
        unsatisfiable(&empty, "X").kind,
        UnsatisfiableKind::Contradiction
    );
}

#[test]
fn string_lengths_count_characters() {
    let m = model(
        "S:
  type: object
  required: [plain, accents, bounded]
  properties:
    plain: {type: string, minLength: 5, maxLength: 7}
    accents: {type: string, pattern: '^[é]+$', minLength: 3, maxLength: 3}
    bounded: {type: string, maxLength: 0}",
    );
    for v in samples(&m, "S", 100) {
        let n = v["plain"].as_str().unwrap().chars().count();
        assert!((5..=7).contains(&n), "{v}");
        assert_eq!(v["accents"], json!("ééé"));
        assert_eq!(v["bounded"], json!(""));
    }
}

#[test]
fn patterns() {
    let m = model(
        r"P:
  type: object
  required: [code, iban, sku]
  properties:
    code: {type: string, pattern: '^\d{3}-\d{4}$'}
    iban: {type: string, pattern: '^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$', maxLength: 12}
    sku: {type: string, pattern: '[A-Z]{3}', minLength: 10}",
    );
    for v in samples(&m, "P", 100) {
        assert_eq!(v["code"].as_str().unwrap().len(), 8);
        assert!(v["iban"].as_str().unwrap().len() <= 12);
        assert!(v["sku"].as_str().unwrap().len() >= 10);
    }
    let m = model(
        "L: {type: string, pattern: '^(?!admin).*$'}
B: {type: string, pattern: '^a$', minLength: 2}",
    );
    let e = unsatisfiable(&m, "L");
    assert_eq!(e.kind, UnsatisfiableKind::UnsupportedPattern);
    assert!(e.reason.contains("lookahead"), "{e}");
    assert!(e.pointer.ends_with("/L"), "{e}");
    assert!(unsatisfiable(&m, "B").reason.contains("pattern"));
}

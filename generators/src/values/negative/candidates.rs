//! Candidate mutations of one value against the constraints of one schema, each with the
//! spec's name of the keyword it breaks (`exclusiveMinimum`). The walker keeps the candidates
//! the checker proves.

use serde_json::{Map, Value, json};

use super::{EXTRA_PROPERTY, Mutation, structural_kinds};
use crate::model::json_schema::number;
use crate::model::{
    Additional, ArraySchema, NumberBounds, ObjectSchema, Schema, SchemaKind, StringBounds,
};
use crate::values::check::{Source, json_eq, required, type_matches};
use crate::values::context::Direction;
use crate::values::formats;

/// A mutation, the name of the keyword it breaks, and the mutated node.
pub(super) type Candidate = (Mutation, &'static str, Value);

/// Every candidate mutation of `node` against the constraints of `s`, in the order they are
/// tried: `enum`, `const`, `format`, `type`, then the keywords of each type `s` admits.
pub(super) fn candidates<S: Source + ?Sized>(
    src: &S,
    direction: Direction,
    s: &Schema,
    node: &Value,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    annotations(s, node, &mut out);
    let kinds = structural_kinds(&s.kind);
    if kinds.iter().any(|k| k.type_name().is_some()) {
        wrong_types(s, kinds, &mut out);
    }
    for kind in kinds {
        match (kind, node) {
            (SchemaKind::Integer(b) | SchemaKind::Number(b), Value::Number(n)) => {
                let integer = matches!(kind, SchemaKind::Integer(_));
                numbers(b, integer, n.as_f64().unwrap_or(0.0), &mut out);
            }
            (SchemaKind::String(b), Value::String(text)) => strings(b, text, &mut out),
            (SchemaKind::Array(a), Value::Array(items)) => arrays(a, items, &mut out),
            (SchemaKind::Object(o), Value::Object(map)) => {
                objects(src, direction, o, map, &mut out);
            }
            _ => {}
        }
    }
    out
}

/// Values outside `enum` / `const`, and strings that break an asserted `format`.
fn annotations(s: &Schema, node: &Value, out: &mut Vec<Candidate>) {
    if let Some(values) = &s.enum_values {
        for v in outsiders(values, node) {
            out.push((Mutation::EnumOutsider, "enum", v));
        }
    }
    if let Some(c) = &s.const_value {
        for v in outsiders(std::slice::from_ref(c), node) {
            out.push((Mutation::ConstMismatch, "const", v));
        }
    }
    if let (Some(f), Value::String(text)) = (&s.format, node)
        && formats::is_asserted(f)
        && let Some(bad) = formats::violation(f)
    {
        out.push((Mutation::FormatMismatch, "format", json!(bad)));
        let len = text.chars().count();
        let padded: String = bad
            .chars()
            .chain(std::iter::repeat('x'))
            .take(len.max(bad.len()))
            .collect();
        out.push((Mutation::FormatMismatch, "format", json!(padded)));
    }
}

/// One value of another type (the first that fits) and `null` when not nullable.
fn wrong_types(s: &Schema, kinds: &[SchemaKind], out: &mut Vec<Candidate>) {
    let others = [
        json!("not-a-number"),
        json!(12345),
        json!(1.5),
        json!(["item"]),
        json!({"key": "value"}),
        json!(true),
    ];
    let mut wrong: Vec<Value> = others
        .into_iter()
        .filter(|v| !kinds.iter().any(|k| type_matches(k, v)))
        .take(1)
        .collect();
    if !s.nullable {
        wrong.push(Value::Null);
    }
    for v in wrong {
        out.push((Mutation::WrongType, "type", v));
    }
}

/// Numbers beyond the bounds of `b`, and near `x` but off its `multipleOf`.
fn numbers(b: &NumberBounds, integer: bool, x: f64, out: &mut Vec<Candidate>) {
    let step = b.multiple_of.unwrap_or(1.0);
    if let Some(m) = b.minimum {
        let key = if b.exclusive_minimum {
            "exclusiveMinimum"
        } else {
            "minimum"
        };
        for v in below(m, b.exclusive_minimum, step, integer) {
            out.push((Mutation::BelowMinimum, key, v));
        }
    }
    if let Some(m) = b.maximum {
        let key = if b.exclusive_maximum {
            "exclusiveMaximum"
        } else {
            "maximum"
        };
        for v in above(m, b.exclusive_maximum, step, integer) {
            out.push((Mutation::AboveMaximum, key, v));
        }
    }
    if let Some(m) = b.multiple_of {
        let mut options = vec![number(x + m / 2.0), number(x + 1.0), number(x - 1.0)];
        if m > 1.0 {
            options.push(number(x + m - 1.0));
        }
        for v in options {
            out.push((Mutation::NotMultipleOf, "multipleOf", v));
        }
    }
}

/// Strings shorter than `minLength`, longer than `maxLength`, or off the `pattern`, derived
/// from `text`.
fn strings(b: &StringBounds, text: &str, out: &mut Vec<Candidate>) {
    let chars: Vec<char> = text.chars().collect();
    if let Some(min) = b.min_length.filter(|&m| m > 0) {
        let short = (min - 1) as usize;
        let truncated: String = chars.iter().take(short).collect();
        out.push((Mutation::TooShort, "minLength", json!(truncated)));
        out.push((Mutation::TooShort, "minLength", json!("a".repeat(short))));
        out.push((Mutation::TooShort, "minLength", json!("1".repeat(short))));
    }
    if let Some(max) = b.max_length.filter(|&m| m < 100_000) {
        let long = (max + 1) as usize;
        let extended: String = chars
            .iter()
            .copied()
            .chain(std::iter::repeat(chars.last().copied().unwrap_or('a')))
            .take(long)
            .collect();
        out.push((Mutation::TooLong, "maxLength", json!(extended)));
        let cycled: String = chars.iter().copied().cycle().take(long).collect();
        if !cycled.is_empty() {
            out.push((Mutation::TooLong, "maxLength", json!(cycled)));
        }
        out.push((Mutation::TooLong, "maxLength", json!("a".repeat(long))));
    }
    if b.pattern.is_some() {
        let len = chars.len();
        for v in [
            "!".repeat(len.max(1)),
            format!("{text}!"),
            format!("!{text}"),
            " ".repeat(len.max(1)),
            String::new(),
            "~".to_string(),
        ] {
            out.push((Mutation::PatternMismatch, "pattern", json!(v)));
        }
    }
}

/// Arrays with too few or too many items, or a repeated one, derived from `items`.
fn arrays(a: &ArraySchema, items: &[Value], out: &mut Vec<Candidate>) {
    if let Some(min) = a.min_items.filter(|&m| m > 0) {
        let mut fewer = items.to_vec();
        fewer.truncate((min - 1) as usize);
        out.push((Mutation::TooFewItems, "minItems", Value::Array(fewer)));
    }
    if let (Some(max), Some(first)) = (a.max_items.filter(|&m| m < 10_000), items.first()) {
        // Copies of the first item, and distinct variations of it (for `uniqueItems`).
        let mut copies = items.to_vec();
        let mut varied = items.to_vec();
        let mut i = 0;
        while (copies.len() as u64) <= max {
            i += 1;
            copies.push(first.clone());
            varied.push(perturb(first, i));
        }
        out.push((Mutation::TooManyItems, "maxItems", Value::Array(copies)));
        out.push((Mutation::TooManyItems, "maxItems", Value::Array(varied)));
    }
    if a.unique_items
        && let Some(first) = items.first()
    {
        let mut dup = items.to_vec();
        dup.push(first.clone());
        out.push((Mutation::DuplicateItems, "uniqueItems", Value::Array(dup)));
    }
}

/// Objects without a required property, with a forbidden one, or with too few or too many
/// properties, derived from `map`.
fn objects<S: Source + ?Sized>(
    src: &S,
    direction: Direction,
    o: &ObjectSchema,
    map: &Map<String, Value>,
    out: &mut Vec<Candidate>,
) {
    for name in required(src, o, Some(direction)) {
        if map.contains_key(name) {
            let mut less = map.clone();
            less.shift_remove(name);
            let property = name.clone();
            out.push((
                Mutation::MissingRequired { property },
                "required",
                Value::Object(less),
            ));
        }
    }
    if matches!(o.additional, Additional::Forbidden) && !map.contains_key(EXTRA_PROPERTY) {
        let mut more = map.clone();
        more.insert(EXTRA_PROPERTY.into(), json!("x"));
        out.push((
            Mutation::ExtraProperty {
                property: EXTRA_PROPERTY.into(),
            },
            "additionalProperties",
            Value::Object(more),
        ));
    }
    if let Some(min) = o.min_properties.filter(|&m| m > 0) {
        let keep: Map<String, Value> = map
            .iter()
            .take((min - 1) as usize)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.push((
            Mutation::TooFewProperties,
            "minProperties",
            Value::Object(keep),
        ));
    }
    if let Some(max) = o.max_properties.filter(|&m| m < 10_000) {
        // Fillers: a string, or a copy of an existing undeclared entry's value (which the
        // `additionalProperties` schema admits).
        let mut fillers = vec![json!("x")];
        if let Some((_, v)) = map.iter().find(|(k, _)| !o.properties.contains_key(*k)) {
            fillers.insert(0, v.clone());
        }
        for filler in fillers {
            let mut more = map.clone();
            let mut i = 0;
            while more.len() as u64 <= max {
                i += 1;
                more.insert(format!("{EXTRA_PROPERTY}{i}"), filler.clone());
            }
            out.push((
                Mutation::TooManyProperties,
                "maxProperties",
                Value::Object(more),
            ));
        }
    }
}

/// Values near `values` that are none of them: same type first.
fn outsiders(values: &[Value], node: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
    if let Some(first) = strings.first().or(node.as_str().as_ref()) {
        let mut chars: Vec<char> = first.chars().collect();
        if let Some(last) = chars.last_mut() {
            *last = if *last == 'z' { 'y' } else { 'z' };
        }
        out.push(json!(chars.into_iter().collect::<String>()));
        out.push(json!(format!("{first}_other")));
        out.push(json!("zzz"));
    }
    let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
    if !numbers.is_empty() || node.is_number() {
        let max = numbers
            .iter()
            .copied()
            .fold(node.as_f64().unwrap_or(0.0), f64::max);
        let min = numbers
            .iter()
            .copied()
            .fold(node.as_f64().unwrap_or(0.0), f64::min);
        out.push(number(max + 1.0));
        out.push(number(min - 1.0));
    }
    if values.iter().any(Value::is_boolean) || node.is_boolean() {
        out.push(json!(true));
        out.push(json!(false));
    }
    out.retain(|v| !values.iter().any(|e| json_eq(e, v)));
    out
}

/// A variation of `v` that differs from it (and from the other variations), to add distinct
/// items.
pub(super) fn perturb(v: &Value, i: usize) -> Value {
    match v {
        Value::String(s) => {
            let letter = char::from(b'a' + (i % 26) as u8);
            Value::String(format!("{s}{}", letter.to_string().repeat(i.div_ceil(26))))
        }
        Value::Number(n) => match n.as_i64() {
            // Below `x` when above it would overflow (a base value near `i64::MAX`).
            Some(x) => json!(x.checked_add(i as i64).unwrap_or(x - i as i64)),
            None => number(n.as_f64().unwrap_or(0.0) + i as f64),
        },
        Value::Bool(b) if i == 1 => json!(!b),
        Value::Object(map) => {
            let mut map = map.clone();
            map.insert(format!("{EXTRA_PROPERTY}{i}"), json!(i));
            Value::Object(map)
        }
        other => json!([other.clone(), i]),
    }
}

fn below(m: f64, exclusive: bool, step: f64, integer: bool) -> Vec<Value> {
    let mut out = Vec::new();
    if exclusive {
        out.push(number(m));
    }
    if integer {
        out.push(number(m.ceil() - 1.0));
        out.push(number(m.ceil() - step.max(1.0)));
    } else {
        out.push(number(m - step));
        out.push(number(m - 1.0));
        out.push(number(m - 0.5));
    }
    out
}

fn above(m: f64, exclusive: bool, step: f64, integer: bool) -> Vec<Value> {
    let mut out = Vec::new();
    if exclusive {
        out.push(number(m));
    }
    if integer {
        out.push(number(m.floor() + 1.0));
        out.push(number(m.floor() + step.max(1.0)));
    } else {
        out.push(number(m + step));
        out.push(number(m + 1.0));
        out.push(number(m + 0.5));
    }
    out
}

//! The one place the sequence generators get argument values from.
//!
//! [`schema_strategy`] is the seam to the value generators: every parameter, body and extra
//! field of a step is generated through it, so switching to another value generator changes
//! this file only. Until `crate::values` lands this is a small private generator that produces
//! plausible (not exhaustively valid) values and shrinks toward simple ones.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::model::{ApiModel, SchemaId, SchemaKind};

/// How deep nested objects and arrays are generated before falling back to `null`.
const MAX_DEPTH: u32 = 4;

/// A strategy for values of schema `id` of `model`, as sent in a request (read-only properties
/// left out).
pub(crate) fn schema_strategy(model: &ApiModel, id: SchemaId) -> SBoxedStrategy<Value> {
    fallback(model, id, 0)
}

fn fallback(model: &ApiModel, id: SchemaId, depth: u32) -> SBoxedStrategy<Value> {
    let Some(schema) = model.schemas.try_get(id) else {
        return Just(Value::Null).sboxed();
    };
    if let Some(c) = &schema.const_value {
        return Just(c.clone()).sboxed();
    }
    if let Some(values) = schema.enum_values.as_ref().filter(|v| !v.is_empty()) {
        return proptest::sample::select(values.clone()).sboxed();
    }
    if depth > MAX_DEPTH {
        return Just(Value::Null).sboxed();
    }
    kind_strategy(model, &schema.kind, schema.format.as_deref(), depth)
}

fn kind_strategy(
    model: &ApiModel,
    kind: &SchemaKind,
    format: Option<&str>,
    depth: u32,
) -> SBoxedStrategy<Value> {
    match kind {
        SchemaKind::Null | SchemaKind::Never => Just(Value::Null).sboxed(),
        SchemaKind::Any => prop_oneof![Just(json!("x")), (0i64..10).prop_map(Value::from)].sboxed(),
        SchemaKind::Boolean => any::<bool>().prop_map(Value::Bool).sboxed(),
        SchemaKind::Integer(b) => {
            let mut lo = b.minimum.map_or(0, |m| m.ceil() as i64);
            let mut hi = b
                .maximum
                .map_or(lo.saturating_add(1000), |m| m.floor() as i64);
            if b.exclusive_minimum && b.minimum.is_some_and(|m| m.fract() == 0.0) {
                lo = lo.saturating_add(1);
            }
            if b.exclusive_maximum && b.maximum.is_some_and(|m| m.fract() == 0.0) {
                hi = hi.saturating_sub(1);
            }
            if hi < lo {
                return Just(Value::from(lo)).sboxed();
            }
            let step = b
                .multiple_of
                .filter(|m| *m >= 1.0 && m.fract() == 0.0)
                .map_or(1, |m| m as i64);
            (lo..=hi)
                .prop_map(move |v| {
                    let r = v - v.rem_euclid(step);
                    Value::from(if r < lo { r + step } else { r })
                })
                .sboxed()
        }
        SchemaKind::Number(b) => {
            let lo = b.minimum.unwrap_or(0.0);
            let hi = b.maximum.unwrap_or(lo + 1000.0);
            if hi <= lo || !lo.is_finite() || !hi.is_finite() {
                return Just(json!(lo)).sboxed();
            }
            // Integral values inside the bounds: valid, short and easy to read.
            let (ilo, ihi) = (lo.ceil() as i64 + 1, hi.floor() as i64 - 1);
            if ihi >= ilo {
                (ilo..=ihi).prop_map(|v| json!(v as f64)).sboxed()
            } else {
                Just(json!((lo + hi) / 2.0)).sboxed()
            }
        }
        SchemaKind::String(b) => {
            let min = b.min_length.unwrap_or(0).min(64) as usize;
            let max = b
                .max_length
                .map_or(min + 12, |m| m.min(64) as usize)
                .max(min);
            if let Some(s) = format_strategy(format) {
                return s;
            }
            if let Some(pattern) = &b.pattern
                && let Ok(s) = proptest::string::string_regex(pattern)
            {
                return s.prop_map(Value::String).sboxed();
            }
            vec(proptest::char::range('a', 'z'), min..=max)
                .prop_map(|c| Value::String(c.into_iter().collect()))
                .sboxed()
        }
        SchemaKind::Array(a) => {
            let min = a.min_items.unwrap_or(0).min(8) as usize;
            let max = a.max_items.map_or(min + 2, |m| m.min(8) as usize).max(min);
            vec(fallback(model, a.items, depth + 1), min..=max)
                .prop_map(Value::Array)
                .sboxed()
        }
        SchemaKind::Object(o) => {
            let mut fields: Vec<SBoxedStrategy<Option<(String, Value)>>> = Vec::new();
            for (name, prop) in &o.properties {
                let read_only = model.schemas.try_get(*prop).is_some_and(|s| s.read_only);
                if read_only {
                    continue;
                }
                let name = name.clone();
                let s = fallback(model, *prop, depth + 1);
                if o.is_required(&name) {
                    fields.push(s.prop_map(move |v| Some((name.clone(), v))).sboxed());
                } else {
                    fields.push(
                        proptest::option::weighted(0.5, s)
                            .prop_map(move |v| v.map(|v| (name.clone(), v)))
                            .sboxed(),
                    );
                }
            }
            fields
                .prop_map(|pairs| Value::Object(pairs.into_iter().flatten().collect()))
                .sboxed()
        }
        SchemaKind::OneOf(c) | SchemaKind::AnyOf(c) => match c.variants.first() {
            None => Just(Value::Null).sboxed(),
            Some(_) => {
                let variants: Vec<_> = c
                    .variants
                    .iter()
                    .map(|v| fallback(model, *v, depth + 1))
                    .collect();
                proptest::strategy::Union::new(variants).sboxed()
            }
        },
        SchemaKind::AllOf(parts) => {
            let parts: Vec<_> = parts
                .iter()
                .map(|p| fallback(model, *p, depth + 1))
                .collect();
            parts
                .prop_map(|values| {
                    let mut merged = Map::new();
                    let mut last = Value::Null;
                    for v in values {
                        match v {
                            Value::Object(m) => merged.extend(m),
                            other => last = other,
                        }
                    }
                    if merged.is_empty() {
                        last
                    } else {
                        Value::Object(merged)
                    }
                })
                .sboxed()
        }
        SchemaKind::Union(kinds) => match kinds.first() {
            Some(k) => kind_strategy(model, k, format, depth),
            None => Just(Value::Null).sboxed(),
        },
        SchemaKind::Not(_) => Just(Value::Null).sboxed(),
    }
}

fn format_strategy(format: Option<&str>) -> Option<SBoxedStrategy<Value>> {
    Some(match format? {
        "uuid" => any::<u128>()
            .prop_map(|n| {
                let h = format!("{n:032x}");
                Value::String(format!(
                    "{}-{}-4{}-8{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[13..16],
                    &h[17..20],
                    &h[20..32]
                ))
            })
            .sboxed(),
        "email" => vec(proptest::char::range('a', 'z'), 1..=8)
            .prop_map(|c| {
                Value::String(format!("{}@example.com", c.into_iter().collect::<String>()))
            })
            .sboxed(),
        "date" => (1u32..=28)
            .prop_map(|d| Value::String(format!("2024-01-{d:02}")))
            .sboxed(),
        "date-time" => (0u32..24)
            .prop_map(|h| Value::String(format!("2024-01-01T{h:02}:00:00Z")))
            .sboxed(),
        "uri" | "url" => Just(json!("https://example.com/")).sboxed(),
        "hostname" => Just(json!("example.com")).sboxed(),
        "ipv4" => Just(json!("192.0.2.1")).sboxed(),
        "ipv6" => Just(json!("2001:db8::1")).sboxed(),
        _ => return None,
    })
}

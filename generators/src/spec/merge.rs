//! Merging `allOf` into one schema where the parts are compatible.
//!
//! Parts are flattened (nested `allOf`s included). A `oneOf`/`anyOf` part that lists the
//! merged schema itself among its variants is the polymorphic base of an inheritance
//! hierarchy (`Cat: allOf: [Pet, {...}]` with `Pet: oneOf: [Cat, Dog]`) and is left out. The
//! remaining parts merge when they are all objects, all the same scalar type, or "any". When
//! they cannot (a `oneOf` part, conflicting types, two patterns), the `allOf` is kept.

use crate::model::{
    Additional, ArraySchema, NumberBounds, ObjectSchema, Schema, SchemaId, SchemaKind, Schemas,
    StringBounds,
};

/// Most nested parts followed while flattening one `allOf`.
const MAX_PARTS: usize = 512;

/// Merges every `allOf` schema in `ids` that can be merged.
pub(crate) fn merge_all(schemas: &mut Schemas, ids: &[SchemaId]) {
    for &id in ids {
        merge_one(schemas, id, 0);
    }
}

/// Tries to merge the `allOf` at `id` in place; returns whether it did.
fn merge_one(schemas: &mut Schemas, id: SchemaId, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    let Some(SchemaKind::AllOf(parts)) = schemas.try_get(id).map(|s| &s.kind) else {
        return false;
    };
    let mut leaves: Vec<SchemaId> = Vec::new();
    let mut wrappers: Vec<SchemaId> = Vec::new();
    let mut stack: Vec<SchemaId> = parts.iter().rev().copied().collect();
    let mut steps = 0;
    while let Some(p) = stack.pop() {
        steps += 1;
        if steps > MAX_PARTS || p == id {
            return false;
        }
        let Some(part) = schemas.try_get(p) else {
            return false;
        };
        match &part.kind {
            SchemaKind::AllOf(sub) => {
                wrappers.push(p);
                stack.extend(sub.iter().rev().copied());
            }
            SchemaKind::OneOf(c) | SchemaKind::AnyOf(c) if c.variants.contains(&id) => {}
            _ => leaves.push(p),
        }
    }
    let mut kind = SchemaKind::Any;
    for &leaf in &leaves {
        let other = schemas.get(leaf).kind.clone();
        match merge_kinds(schemas, kind, other, depth) {
            Some(k) => kind = k,
            None => return false,
        }
    }
    let all_nullable = !leaves.is_empty()
        && leaves.iter().all(|&l| {
            let s = schemas.get(l);
            s.nullable || matches!(s.kind, SchemaKind::Any)
        });
    let contributors: Vec<Schema> = wrappers
        .iter()
        .chain(leaves.iter())
        .map(|&p| schemas.get(p).clone())
        .collect();
    let Some(target) = schemas.get_mut(id) else {
        return false;
    };
    target.kind = kind;
    target.nullable |= all_nullable;
    for c in &contributors {
        target.read_only |= c.read_only;
        target.write_only |= c.write_only;
        if target.format.is_none() {
            target.format.clone_from(&c.format);
        }
        if target.enum_values.is_none() {
            target.enum_values.clone_from(&c.enum_values);
        }
        if target.const_value.is_none() {
            target.const_value.clone_from(&c.const_value);
        }
        if target.default.is_none() {
            target.default.clone_from(&c.default);
        }
        if target.examples.is_empty() {
            target.examples.clone_from(&c.examples);
        }
        if target.title.is_none() {
            target.title.clone_from(&c.title);
        }
    }
    true
}

fn merge_kinds(
    schemas: &mut Schemas,
    a: SchemaKind,
    b: SchemaKind,
    depth: usize,
) -> Option<SchemaKind> {
    use SchemaKind as K;
    Some(match (a, b) {
        (K::Any, x) | (x, K::Any) => x,
        (K::Never, _) | (_, K::Never) => K::Never,
        (K::Null, K::Null) => K::Null,
        (K::Boolean, K::Boolean) => K::Boolean,
        (K::Integer(x), K::Integer(y))
        | (K::Integer(x), K::Number(y))
        | (K::Number(x), K::Integer(y)) => K::Integer(merge_numbers(x, y)),
        (K::Number(x), K::Number(y)) => K::Number(merge_numbers(x, y)),
        (K::String(x), K::String(y)) => K::String(merge_strings(x, y)?),
        (K::Array(x), K::Array(y)) => K::Array(merge_arrays(schemas, x, y, depth)?),
        (K::Object(x), K::Object(y)) => K::Object(merge_objects(schemas, x, y, depth)),
        _ => return None,
    })
}

fn merge_numbers(a: NumberBounds, b: NumberBounds) -> NumberBounds {
    let (minimum, exclusive_minimum) = match (a.minimum, b.minimum) {
        (Some(x), Some(y)) if y > x => (Some(y), b.exclusive_minimum),
        (Some(x), Some(y)) if x == y => (Some(x), a.exclusive_minimum || b.exclusive_minimum),
        (Some(x), _) => (Some(x), a.exclusive_minimum),
        (None, y) => (y, b.exclusive_minimum),
    };
    let (maximum, exclusive_maximum) = match (a.maximum, b.maximum) {
        (Some(x), Some(y)) if y < x => (Some(y), b.exclusive_maximum),
        (Some(x), Some(y)) if x == y => (Some(x), a.exclusive_maximum || b.exclusive_maximum),
        (Some(x), _) => (Some(x), a.exclusive_maximum),
        (None, y) => (y, b.exclusive_maximum),
    };
    NumberBounds {
        minimum,
        maximum,
        exclusive_minimum,
        exclusive_maximum,
        multiple_of: match (a.multiple_of, b.multiple_of) {
            (Some(x), Some(y)) if (x / y).fract() == 0.0 => Some(x),
            (Some(x), Some(y)) if (y / x).fract() == 0.0 => Some(y),
            (Some(x), Some(y)) => Some(x * y),
            (x, y) => x.or(y),
        },
    }
}

fn merge_strings(a: StringBounds, b: StringBounds) -> Option<StringBounds> {
    let pattern = match (a.pattern, b.pattern) {
        (Some(x), Some(y)) if x != y => return None,
        (x, y) => x.or(y),
    };
    Some(StringBounds {
        min_length: max_opt(a.min_length, b.min_length),
        max_length: min_opt(a.max_length, b.max_length),
        pattern,
    })
}

fn merge_arrays(
    schemas: &mut Schemas,
    a: ArraySchema,
    b: ArraySchema,
    depth: usize,
) -> Option<ArraySchema> {
    if !a.prefix_items.is_empty() && !b.prefix_items.is_empty() && a.prefix_items != b.prefix_items
    {
        return None;
    }
    let items = both(schemas, a.items, b.items, depth);
    Some(ArraySchema {
        items,
        prefix_items: if a.prefix_items.is_empty() {
            b.prefix_items
        } else {
            a.prefix_items
        },
        min_items: max_opt(a.min_items, b.min_items),
        max_items: min_opt(a.max_items, b.max_items),
        unique_items: a.unique_items || b.unique_items,
    })
}

fn merge_objects(
    schemas: &mut Schemas,
    a: ObjectSchema,
    b: ObjectSchema,
    depth: usize,
) -> ObjectSchema {
    let mut properties = a.properties;
    for (name, id) in b.properties {
        let merged = match properties.get(&name) {
            Some(&existing) => both(schemas, existing, id, depth),
            None => id,
        };
        properties.insert(name, merged);
    }
    let mut required = a.required;
    for r in b.required {
        if !required.contains(&r) {
            required.push(r);
        }
    }
    // Parts of an allOf usually describe one object together, so a part's
    // `additionalProperties: false` is read as closing the union, not each part.
    let additional = match (a.additional, b.additional) {
        (Additional::Schema(s), _) | (_, Additional::Schema(s)) => Additional::Schema(s),
        (Additional::Forbidden, Additional::Forbidden) => Additional::Forbidden,
        _ => Additional::Any,
    };
    ObjectSchema {
        properties,
        required,
        additional,
        min_properties: max_opt(a.min_properties, b.min_properties),
        max_properties: min_opt(a.max_properties, b.max_properties),
    }
}

/// A schema that is both `a` and `b`: one of them when they are the same or one is "any",
/// else a new merged `allOf`.
fn both(schemas: &mut Schemas, a: SchemaId, b: SchemaId, depth: usize) -> SchemaId {
    if a == b || is_any(schemas, b) {
        return a;
    }
    if is_any(schemas, a) {
        return b;
    }
    let pointer = schemas.get(b).pointer.clone();
    let id = schemas.push(Schema::of(SchemaKind::AllOf(vec![a, b]), pointer));
    merge_one(schemas, id, depth + 1);
    id
}

fn is_any(schemas: &Schemas, id: SchemaId) -> bool {
    let s = schemas.get(id);
    matches!(s.kind, SchemaKind::Any)
        && s.enum_values.is_none()
        && s.const_value.is_none()
        && s.format.is_none()
}

fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

//! Negative values: a valid value with exactly one constraint broken, tagged with what it
//! breaks, for the negative-acceptance oracle ("the API accepted a body it declares invalid").
//!
//! Mutations are tried at the root and inside the value (object properties, the first items of
//! arrays) against every schema that applies there (`allOf` parts, the `oneOf` / `anyOf`
//! variants the value matches). Each candidate is kept only if the [`Checker`] proves the
//! claim: the mutated document is invalid, and it becomes valid when that one keyword of that
//! one schema is switched off. A mutation that would break two constraints at once (shortening
//! a string below `minLength` that also breaks its `pattern`) is dropped, not mislabelled.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::check::{Borrowed, Checker, Keyword, Source, required};
use super::context::{Direction, ValueContext};
use super::error::{Unsatisfiable, UnsatisfiableKind};
use super::filter::{Checked, Predicate, probe};
use super::formats;
use crate::model::json_schema::number;
use crate::model::{Additional, SchemaId, SchemaKind, Schemas};

/// Negative values produced per base value at most.
const MAX_NEGATIVES: usize = 64;
/// Nesting levels of the value visited.
const MAX_NESTING: usize = 8;
/// Properties per object and items per array visited.
const MAX_CHILDREN: usize = 32;
/// Name of the property added to break `additionalProperties: false`.
const EXTRA_PROPERTY: &str = "trespass_unexpected";

/// The one constraint a negative value breaks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mutation {
    /// A value of a JSON type the schema does not admit (`null` included, when not nullable).
    WrongType,
    /// A number below `minimum` (or equal to an exclusive one).
    BelowMinimum,
    /// A number above `maximum` (or equal to an exclusive one).
    AboveMaximum,
    /// A number that is not a multiple of `multipleOf`.
    NotMultipleOf,
    /// A string shorter than `minLength`.
    TooShort,
    /// A string longer than `maxLength`.
    TooLong,
    /// A string that does not match `pattern`.
    PatternMismatch,
    /// A string that is not a value of the asserted `format`.
    FormatMismatch,
    /// An array with fewer items than `minItems`.
    TooFewItems,
    /// An array with more items than `maxItems`.
    TooManyItems,
    /// An array with a repeated item despite `uniqueItems`.
    DuplicateItems,
    /// An object without a required property.
    MissingRequired {
        /// The property left out.
        property: String,
    },
    /// An object with a property that `additionalProperties: false` forbids.
    ExtraProperty {
        /// The property added.
        property: String,
    },
    /// An object with fewer properties than `minProperties`.
    TooFewProperties,
    /// An object with more properties than `maxProperties`.
    TooManyProperties,
    /// A value outside `enum`.
    EnumOutsider,
    /// A value other than `const`.
    ConstMismatch,
}

impl Mutation {
    /// A short kebab-case name (`missing-required`), for logs and finding titles.
    pub fn name(&self) -> &'static str {
        match self {
            Mutation::WrongType => "wrong-type",
            Mutation::BelowMinimum => "below-minimum",
            Mutation::AboveMaximum => "above-maximum",
            Mutation::NotMultipleOf => "not-multiple-of",
            Mutation::TooShort => "too-short",
            Mutation::TooLong => "too-long",
            Mutation::PatternMismatch => "pattern-mismatch",
            Mutation::FormatMismatch => "format-mismatch",
            Mutation::TooFewItems => "too-few-items",
            Mutation::TooManyItems => "too-many-items",
            Mutation::DuplicateItems => "duplicate-items",
            Mutation::MissingRequired { .. } => "missing-required",
            Mutation::ExtraProperty { .. } => "extra-property",
            Mutation::TooFewProperties => "too-few-properties",
            Mutation::TooManyProperties => "too-many-properties",
            Mutation::EnumOutsider => "enum-outsider",
            Mutation::ConstMismatch => "const-mismatch",
        }
    }

    /// The keyword this mutation breaks, which the checker switches off to prove it.
    fn keyword(&self) -> Keyword {
        match self {
            Mutation::WrongType => Keyword::Type,
            Mutation::BelowMinimum => Keyword::Minimum,
            Mutation::AboveMaximum => Keyword::Maximum,
            Mutation::NotMultipleOf => Keyword::MultipleOf,
            Mutation::TooShort => Keyword::MinLength,
            Mutation::TooLong => Keyword::MaxLength,
            Mutation::PatternMismatch => Keyword::Pattern,
            Mutation::FormatMismatch => Keyword::Format,
            Mutation::TooFewItems => Keyword::MinItems,
            Mutation::TooManyItems => Keyword::MaxItems,
            Mutation::DuplicateItems => Keyword::UniqueItems,
            Mutation::MissingRequired { property } => Keyword::Required(property.clone()),
            Mutation::ExtraProperty { .. } => Keyword::AdditionalProperties,
            Mutation::TooFewProperties => Keyword::MinProperties,
            Mutation::TooManyProperties => Keyword::MaxProperties,
            Mutation::EnumOutsider => Keyword::Enum,
            Mutation::ConstMismatch => Keyword::Const,
        }
    }
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mutation::MissingRequired { property } | Mutation::ExtraProperty { property } => {
                write!(f, "{} `{property}`", self.name())
            }
            _ => f.write_str(self.name()),
        }
    }
}

/// A value that breaks exactly one constraint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Negative {
    /// What is broken.
    pub mutation: Mutation,
    /// The JSON pointer of the broken keyword in the spec
    /// (`#/components/schemas/Pet/properties/name/maxLength`).
    pub constraint: String,
    /// The JSON pointer, inside the value, of the part that was changed (`/name`; empty for
    /// the whole value). For a missing or an added property, the pointer of that property.
    pub instance: String,
    /// The whole invalid value.
    pub value: Value,
}

impl fmt::Display for Negative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance.is_empty() {
            "the value"
        } else {
            &self.instance
        };
        write!(f, "{} at {at} (breaks {})", self.mutation, self.constraint)
    }
}

/// Every negative value derived from `base` (a valid value of schema `id`), shallow ones first,
/// at most 64. Empty when the schema constrains nothing (`{}`) or `base` is not valid.
pub fn negatives(
    schemas: &Schemas,
    id: SchemaId,
    ctx: &ValueContext,
    base: &Value,
) -> Vec<Negative> {
    let src = Borrowed::new(schemas);
    collect(&src, id, ctx.direction, base, MAX_NEGATIVES)
}

/// A strategy of negative values of schema `id`: a generated valid value with one of its
/// negatives, chosen at random. Shrinks with the valid value it derives from.
///
/// # Errors
/// The errors of [`super::strategy`], and [`UnsatisfiableKind::Unconstrained`] when the
/// generated values have no constraint to break.
pub fn negative_strategy(
    schemas: &Schemas,
    id: SchemaId,
    ctx: &ValueContext,
) -> Result<SBoxedStrategy<Negative>, Unsatisfiable> {
    let positive = super::strategy(schemas, id, ctx)?;
    let env = Arc::new(Borrowed::new(schemas).env(id));
    let direction = ctx.direction;
    // Whether there is one negative: the walk stops at the first.
    let has_negative: Predicate = {
        let env = Arc::clone(&env);
        Arc::new(move |v: &Value| !collect(&*env, id, direction, v, 1).is_empty())
    };
    if !probe(&positive, &has_negative) {
        let pointer = schemas
            .try_get(id)
            .map_or("#".into(), |s| s.pointer.clone());
        return Err(Unsatisfiable::new(
            pointer,
            UnsatisfiableKind::Unconstrained,
            "the generated values have no constraint to break",
        ));
    }
    let checked = Checked::new(positive, has_negative, "values with a negative");
    // `checked` only yields values that have negatives, so the filter never rejects.
    Ok((checked, any::<Index>())
        .prop_filter_map("a value without negatives", move |(v, index)| {
            let mut all = collect(&*env, id, direction, &v, MAX_NEGATIVES);
            if all.is_empty() {
                return None;
            }
            let i = index.index(all.len());
            Some(all.swap_remove(i))
        })
        .sboxed())
}

/// The negatives of `base`, shallow ones first, at most `limit`.
fn collect<S: Source + ?Sized>(
    src: &S,
    root: SchemaId,
    direction: Direction,
    base: &Value,
    limit: usize,
) -> Vec<Negative> {
    let full = Checker::new(src, Some(direction));
    if !full.valid(root, base) {
        return Vec::new();
    }
    let mut w = Walker {
        src,
        direction,
        root,
        base,
        limit,
        out: Vec::new(),
        seen: HashSet::new(),
    };
    // Breadth-first: shallow mutations first.
    let mut queue: std::collections::VecDeque<(Vec<SchemaId>, Vec<String>)> =
        std::collections::VecDeque::new();
    queue.push_back((vec![root], Vec::new()));
    while let Some((ids, path)) = queue.pop_front() {
        if w.out.len() >= w.limit {
            break;
        }
        let Some(node) = lookup(base, &path) else {
            continue;
        };
        let leaves = w.applicable(&ids, node);
        for &leaf in &leaves {
            w.mutate_at(leaf, &path, node);
        }
        if path.len() >= MAX_NESTING {
            continue;
        }
        match node {
            Value::Object(map) => {
                for key in map.keys().take(MAX_CHILDREN) {
                    let children = child_schemas(src, &leaves, |kind| match kind {
                        SchemaKind::Object(o) => match o.properties.get(key) {
                            Some(&p) => Some(p),
                            None => match o.additional {
                                Additional::Schema(s) => Some(s),
                                _ => None,
                            },
                        },
                        _ => None,
                    });
                    if !children.is_empty() {
                        let mut p = path.clone();
                        p.push(key.clone());
                        queue.push_back((children, p));
                    }
                }
            }
            Value::Array(items) => {
                for i in 0..items.len().min(MAX_CHILDREN) {
                    let children = child_schemas(src, &leaves, |kind| match kind {
                        SchemaKind::Array(a) => {
                            Some(a.prefix_items.get(i).copied().unwrap_or(a.items))
                        }
                        _ => None,
                    });
                    if !children.is_empty() {
                        let mut p = path.clone();
                        p.push(i.to_string());
                        queue.push_back((children, p));
                    }
                }
            }
            _ => {}
        }
    }
    w.out
}

/// The schemas that apply to a child, from the kinds of the schemas of its parent.
fn child_schemas<S: Source + ?Sized>(
    src: &S,
    leaves: &[SchemaId],
    pick: impl Fn(&SchemaKind) -> Option<SchemaId>,
) -> Vec<SchemaId> {
    let mut out = Vec::new();
    for &leaf in leaves {
        let Some(s) = src.schema(leaf) else {
            continue;
        };
        for kind in structural_kinds(&s.kind) {
            if let Some(child) = pick(kind)
                && !out.contains(&child)
            {
                out.push(child);
            }
        }
    }
    out
}

/// The kinds a value of `kind` has one of: the members of a type union, else `kind` itself.
fn structural_kinds(kind: &SchemaKind) -> &[SchemaKind] {
    match kind {
        SchemaKind::Union(members) => members,
        other => std::slice::from_ref(other),
    }
}

fn lookup<'v>(root: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut node = root;
    for token in path {
        node = match node {
            Value::Object(map) => map.get(token)?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn replace(root: &Value, path: &[String], new: Value) -> Value {
    let mut out = root.clone();
    let mut node = &mut out;
    for token in path {
        node = match node {
            Value::Object(map) => match map.get_mut(token) {
                Some(n) => n,
                None => return out,
            },
            Value::Array(items) => match token.parse::<usize>().ok().and_then(|i| items.get_mut(i))
            {
                Some(n) => n,
                None => return out,
            },
            _ => return out,
        };
    }
    *node = new;
    out
}

fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
        .collect()
}

struct Walker<'s, S: Source + ?Sized> {
    src: &'s S,
    direction: Direction,
    root: SchemaId,
    base: &'s Value,
    /// Negatives wanted at most.
    limit: usize,
    out: Vec<Negative>,
    seen: HashSet<(String, String, String)>,
}

impl<S: Source + ?Sized> Walker<'_, S> {
    /// The schemas that apply to `node`: the given ones, the parts of their `allOf`s and the
    /// variants of their `oneOf` / `anyOf` that `node` matches.
    fn applicable(&self, ids: &[SchemaId], node: &Value) -> Vec<SchemaId> {
        let checker = Checker::new(self.src, Some(self.direction));
        let mut out = Vec::new();
        let mut stack: Vec<SchemaId> = ids.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            if out.contains(&id) || out.len() > 64 {
                continue;
            }
            let Some(s) = self.src.schema(id) else {
                continue;
            };
            out.push(id);
            match &s.kind {
                SchemaKind::AllOf(parts) => stack.extend(parts.iter().rev()),
                SchemaKind::OneOf(c) | SchemaKind::AnyOf(c) => {
                    stack.extend(c.variants.iter().rev().filter(|&&v| checker.valid(v, node)))
                }
                _ => {}
            }
        }
        out
    }

    /// Tries every mutation of `node` against the constraints of schema `leaf`.
    fn mutate_at(&mut self, leaf: SchemaId, path: &[String], node: &Value) {
        if self.out.len() >= self.limit {
            return;
        }
        let Some(s) = self.src.schema(leaf) else {
            return;
        };
        // Each candidate with the spec's name of the keyword it breaks (`exclusiveMinimum`).
        let mut candidates: Vec<(Mutation, &'static str, Value)> = Vec::new();
        let mut add = |mutation, key, value| candidates.push((mutation, key, value));
        if let Some(values) = &s.enum_values {
            for v in outsiders(values, node) {
                add(Mutation::EnumOutsider, "enum", v);
            }
        }
        if let Some(c) = &s.const_value {
            for v in outsiders(std::slice::from_ref(c), node) {
                add(Mutation::ConstMismatch, "const", v);
            }
        }
        if let (Some(f), Value::String(text)) = (&s.format, node)
            && formats::is_asserted(f)
            && let Some(bad) = formats::violation(f)
        {
            add(Mutation::FormatMismatch, "format", json!(bad));
            let len = text.chars().count();
            let padded: String = bad
                .chars()
                .chain(std::iter::repeat('x'))
                .take(len.max(bad.len()))
                .collect();
            add(Mutation::FormatMismatch, "format", json!(padded));
        }
        let kinds = structural_kinds(&s.kind);
        let typed = kinds.iter().any(|k| k.type_name().is_some());
        if typed {
            // One value of another type (the first that fits) and `null` when not nullable.
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
                .filter(|v| !kinds.iter().any(|k| super::check::type_matches(k, v)))
                .take(1)
                .collect();
            if !s.nullable {
                wrong.push(Value::Null);
            }
            for v in wrong {
                add(Mutation::WrongType, "type", v);
            }
        }
        for kind in kinds {
            match (kind, node) {
                (SchemaKind::Integer(b) | SchemaKind::Number(b), Value::Number(n)) => {
                    let integer = matches!(kind, SchemaKind::Integer(_));
                    let x = n.as_f64().unwrap_or(0.0);
                    let step = b.multiple_of.unwrap_or(1.0);
                    if let Some(m) = b.minimum {
                        let key = if b.exclusive_minimum {
                            "exclusiveMinimum"
                        } else {
                            "minimum"
                        };
                        for v in below(m, b.exclusive_minimum, step, integer) {
                            add(Mutation::BelowMinimum, key, v);
                        }
                    }
                    if let Some(m) = b.maximum {
                        let key = if b.exclusive_maximum {
                            "exclusiveMaximum"
                        } else {
                            "maximum"
                        };
                        for v in above(m, b.exclusive_maximum, step, integer) {
                            add(Mutation::AboveMaximum, key, v);
                        }
                    }
                    if let Some(m) = b.multiple_of {
                        let mut options =
                            vec![number(x + m / 2.0), number(x + 1.0), number(x - 1.0)];
                        if m > 1.0 {
                            options.push(number(x + m - 1.0));
                        }
                        for v in options {
                            add(Mutation::NotMultipleOf, "multipleOf", v);
                        }
                    }
                }
                (SchemaKind::String(b), Value::String(text)) => {
                    let chars: Vec<char> = text.chars().collect();
                    if let Some(min) = b.min_length.filter(|&m| m > 0) {
                        let short = (min - 1) as usize;
                        let truncated: String = chars.iter().take(short).collect();
                        add(Mutation::TooShort, "minLength", json!(truncated));
                        add(Mutation::TooShort, "minLength", json!("a".repeat(short)));
                        add(Mutation::TooShort, "minLength", json!("1".repeat(short)));
                    }
                    if let Some(max) = b.max_length.filter(|&m| m < 100_000) {
                        let long = (max + 1) as usize;
                        let extended: String = chars
                            .iter()
                            .copied()
                            .chain(std::iter::repeat(chars.last().copied().unwrap_or('a')))
                            .take(long)
                            .collect();
                        add(Mutation::TooLong, "maxLength", json!(extended));
                        let cycled: String = chars.iter().copied().cycle().take(long).collect();
                        if !cycled.is_empty() {
                            add(Mutation::TooLong, "maxLength", json!(cycled));
                        }
                        add(Mutation::TooLong, "maxLength", json!("a".repeat(long)));
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
                            add(Mutation::PatternMismatch, "pattern", json!(v));
                        }
                    }
                }
                (SchemaKind::Array(a), Value::Array(items)) => {
                    if let Some(min) = a.min_items.filter(|&m| m > 0) {
                        let mut fewer = items.clone();
                        fewer.truncate((min - 1) as usize);
                        add(Mutation::TooFewItems, "minItems", Value::Array(fewer));
                    }
                    if let (Some(max), Some(first)) =
                        (a.max_items.filter(|&m| m < 10_000), items.first())
                    {
                        // Copies of the first item, and distinct variations of it (for
                        // `uniqueItems`).
                        let mut copies = items.clone();
                        let mut varied = items.clone();
                        let mut i = 0;
                        while (copies.len() as u64) <= max {
                            i += 1;
                            copies.push(first.clone());
                            varied.push(perturb(first, i));
                        }
                        add(Mutation::TooManyItems, "maxItems", Value::Array(copies));
                        add(Mutation::TooManyItems, "maxItems", Value::Array(varied));
                    }
                    if a.unique_items
                        && let Some(first) = items.first()
                    {
                        let mut dup = items.clone();
                        dup.push(first.clone());
                        add(Mutation::DuplicateItems, "uniqueItems", Value::Array(dup));
                    }
                }
                (SchemaKind::Object(o), Value::Object(map)) => {
                    for name in required(self.src, o, Some(self.direction)) {
                        if map.contains_key(name) {
                            let mut less = map.clone();
                            less.shift_remove(name);
                            let property = name.clone();
                            add(
                                Mutation::MissingRequired { property },
                                "required",
                                Value::Object(less),
                            );
                        }
                    }
                    if matches!(o.additional, Additional::Forbidden)
                        && !map.contains_key(EXTRA_PROPERTY)
                    {
                        let mut more = map.clone();
                        more.insert(EXTRA_PROPERTY.into(), json!("x"));
                        add(
                            Mutation::ExtraProperty {
                                property: EXTRA_PROPERTY.into(),
                            },
                            "additionalProperties",
                            Value::Object(more),
                        );
                    }
                    if let Some(min) = o.min_properties.filter(|&m| m > 0) {
                        let keep: Map<String, Value> = map
                            .iter()
                            .take((min - 1) as usize)
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        add(
                            Mutation::TooFewProperties,
                            "minProperties",
                            Value::Object(keep),
                        );
                    }
                    if let Some(max) = o.max_properties.filter(|&m| m < 10_000) {
                        // Fillers: a string, or a copy of an existing undeclared entry's value
                        // (which the `additionalProperties` schema admits).
                        let mut fillers = vec![json!("x")];
                        if let Some((_, v)) =
                            map.iter().find(|(k, _)| !o.properties.contains_key(*k))
                        {
                            fillers.insert(0, v.clone());
                        }
                        for filler in fillers {
                            let mut more = map.clone();
                            let mut i = 0;
                            while more.len() as u64 <= max {
                                i += 1;
                                more.insert(format!("{EXTRA_PROPERTY}{i}"), filler.clone());
                            }
                            add(
                                Mutation::TooManyProperties,
                                "maxProperties",
                                Value::Object(more),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        let full = Checker::new(self.src, Some(self.direction));
        for (mutation, key, value) in candidates {
            if self.out.len() >= self.limit {
                return;
            }
            // A missing or added property is named by its own pointer.
            let instance = match &mutation {
                Mutation::MissingRequired { property } | Mutation::ExtraProperty { property } => {
                    let mut p = path.to_vec();
                    p.push(property.clone());
                    pointer(&p)
                }
                _ => pointer(path),
            };
            let dedupe = (
                mutation.name().to_string(),
                instance.clone(),
                value.to_string(),
            );
            if self.seen.contains(&dedupe)
                || (mutation != Mutation::WrongType && self.taken(&mutation, &instance))
            {
                continue;
            }
            let document = replace(self.base, path, value);
            if full.valid(self.root, &document) {
                continue;
            }
            let relaxed =
                Checker::new(self.src, Some(self.direction)).ignoring(leaf, mutation.keyword());
            if !relaxed.valid(self.root, &document) {
                continue;
            }
            self.seen.insert(dedupe);
            self.out.push(Negative {
                mutation,
                constraint: format!("{}/{key}", s.pointer),
                instance: instance.clone(),
                value: document,
            });
        }
    }

    /// Whether a negative with this mutation at this place exists already (one per kind and
    /// place is enough; wrong types keep one per type).
    fn taken(&self, mutation: &Mutation, instance: &str) -> bool {
        self.out
            .iter()
            .any(|n| &n.mutation == mutation && n.instance == instance)
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
    out.retain(|v| !values.iter().any(|e| super::check::json_eq(e, v)));
    out
}

/// A variation of `v` that differs from it (and from the other variations), to add distinct
/// items.
fn perturb(v: &Value, i: usize) -> Value {
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

/// A JSON number: an integer when `x` is integral and in range.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::values::is_valid;

    #[test]
    fn every_mutation_kind_is_found_and_proven() {
        let model = crate::spec::load_str(
            r"openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    All:
      type: object
      required: [id, name, code, count, price, tags, kind, fixed, opts, when]
      additionalProperties: false
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, minLength: 2, maxLength: 5}
        code: {type: string, pattern: '^[a-z]+$'}
        count: {type: integer, minimum: 1, maximum: 9}
        price: {type: number, multipleOf: 0.5}
        tags: {type: array, minItems: 1, maxItems: 2, uniqueItems: true, items: {type: string}}
        kind: {type: string, enum: [a, b]}
        fixed: {type: string, enum: [only]}
        opts: {type: object, minProperties: 1, maxProperties: 2, additionalProperties: {type: boolean}}
        when: {type: string, format: date}
",
            "all.yaml",
        )
        .unwrap();
        let id = model.schemas.by_name("All").unwrap();
        let ctx = ValueContext::request();
        let base = serde_json::json!({
            "name": "abc", "code": "xyz", "count": 5, "price": 1.5, "tags": ["t"],
            "kind": "a", "fixed": "only", "opts": {"x": true}, "when": "2024-02-29"
        });
        assert!(is_valid(&model.schemas, id, &ctx, &base));
        let all = negatives(&model.schemas, id, &ctx, &base);
        let kinds: BTreeSet<&str> = all.iter().map(|n| n.mutation.name()).collect();
        for kind in [
            "wrong-type",
            "below-minimum",
            "above-maximum",
            "not-multiple-of",
            "too-short",
            "too-long",
            "pattern-mismatch",
            "format-mismatch",
            "too-few-items",
            "too-many-items",
            "duplicate-items",
            "missing-required",
            "extra-property",
            "too-few-properties",
            "too-many-properties",
            "enum-outsider",
        ] {
            assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
        }
        for n in &all {
            assert!(!is_valid(&model.schemas, id, &ctx, &n.value), "{n}");
        }
        // Read-only `id` is not required in requests: removing nothing there.
        assert!(!all.iter().any(|n| n.mutation
            == Mutation::MissingRequired {
                property: "id".into()
            }));
        let missing = all
            .iter()
            .find(|n| matches!(&n.mutation, Mutation::MissingRequired { property } if property == "code"))
            .unwrap();
        assert_eq!(missing.instance, "/code");
        assert!(
            missing
                .constraint
                .ends_with("/components/schemas/All/required")
        );
        assert!(missing.value.get("code").is_none());
        let short = all
            .iter()
            .find(|n| n.mutation == Mutation::TooShort)
            .unwrap();
        assert_eq!(short.value["name"], serde_json::json!("a"));
        assert!(
            short.constraint.ends_with("/properties/name/minLength"),
            "{short}"
        );
        assert_eq!(
            short.to_string(),
            format!("too-short at /name (breaks {})", short.constraint)
        );
    }

    #[test]
    fn mutations_breaking_two_constraints_are_dropped() {
        // Shortening below minLength also breaks the pattern: no too-short is claimed.
        let model = crate::spec::load_str(
            r"openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Code: {type: string, minLength: 4, pattern: '^[0-9]{4}$'}
",
            "code.yaml",
        )
        .unwrap();
        let id = model.schemas.by_name("Code").unwrap();
        let ctx = ValueContext::request();
        let all = negatives(&model.schemas, id, &ctx, &serde_json::json!("1234"));
        assert!(
            all.iter().all(|n| n.mutation != Mutation::TooShort),
            "{all:?}"
        );
        assert!(all.iter().any(|n| n.mutation == Mutation::PatternMismatch));
        // An invalid base has no negatives.
        assert!(negatives(&model.schemas, id, &ctx, &serde_json::json!("x")).is_empty());
    }

    #[test]
    fn integers_at_the_edge_of_i64_are_perturbed_without_overflow() {
        assert_eq!(perturb(&json!(i64::MAX), 2), json!(i64::MAX - 2));
        assert_eq!(perturb(&json!(5), 2), json!(7));
    }
}

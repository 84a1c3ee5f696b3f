//! Validation of values against the schema IR, with the semantics of the JSON Schema that
//! [`crate::model::Schemas::to_json_schema_for`] renders: `nullable` admits `null`, `oneOf`
//! means exactly one, `additionalProperties` of one schema applies to the names that schema
//! does not declare, `required` leaves out read-only properties in requests (write-only ones
//! in responses), and the formats of [`super::formats::is_asserted`] are asserted.
//!
//! The builder uses it for what construction cannot guarantee (which `oneOf` variant a value
//! matches, `not`, enum values that must also satisfy the rest of the schema), the negative
//! generator to prove that a mutation breaks exactly the constraint it names.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::Value;

use super::context::Direction;
use super::discriminator_values;
use super::numbers::{NumberRange, is_multiple_of};
use super::regex::Pattern;
use crate::model::{
    Additional, ArraySchema, Composition, NumberBounds, ObjectSchema, Schema, SchemaId, SchemaKind,
    Schemas, StringBounds,
};

/// Most nested checks before a value is declared invalid: guards against schemas that refer to
/// themselves without consuming any of the value (`A: {allOf: [A]}`).
const MAX_NESTING: u32 = 256;

/// One member of a conjunction of constraints: what the value builder and the checker work on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Part {
    /// Everything schema `id` says.
    Full(SchemaId),
    /// Only the kind-independent annotations of `id`: `enum`, `const`, `format`.
    Annot(SchemaId),
    /// The annotations of `id` and member `n` of its [`SchemaKind::Union`].
    Member(SchemaId, u16),
    /// The value is this string (a discriminator value).
    Const(Arc<str>),
    /// An object whose property `.0` is the string `.1` (a discriminator).
    Tag(Arc<str>, Arc<str>),
}

/// A constraint keyword, to name what a negative value breaks and to switch one check off.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Keyword {
    Type,
    Minimum,
    Maximum,
    MultipleOf,
    MinLength,
    MaxLength,
    Pattern,
    Format,
    MinItems,
    MaxItems,
    UniqueItems,
    Required(String),
    AdditionalProperties,
    MinProperties,
    MaxProperties,
    Enum,
    Const,
}

/// Compiled patterns kept process-wide at most.
const MAX_CACHED_PATTERNS: usize = 4_096;

/// Process-wide pattern cache (see [`Borrowed::compile`]).
static PATTERNS: LazyLock<Mutex<HashMap<String, Option<Arc<Pattern>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Where schemas and compiled patterns come from.
pub(crate) trait Source {
    /// The schema `id`, if known.
    fn schema(&self, id: SchemaId) -> Option<&Schema>;
    /// The compiled `pattern`, or `None` when it cannot be compiled (then it is not checked).
    fn pattern(&self, pattern: &str) -> Option<Arc<Pattern>>;
}

/// The schemas of an arena borrowed for the time of a build, with a pattern cache.
pub(crate) struct Borrowed<'a> {
    pub(crate) schemas: &'a Schemas,
    patterns: RefCell<HashMap<String, Option<Arc<Pattern>>>>,
}

impl<'a> Borrowed<'a> {
    pub(crate) fn new(schemas: &'a Schemas) -> Self {
        Self {
            schemas,
            patterns: RefCell::new(HashMap::new()),
        }
    }

    /// The compiled pattern, or `None` when it cannot be used; cached here and process-wide
    /// (patterns are pure functions of their text, and real specs repeat a few of them in
    /// hundreds of schemas).
    pub(crate) fn compile(&self, pattern: &str) -> Option<Arc<Pattern>> {
        if let Some(p) = self.patterns.borrow().get(pattern) {
            return p.clone();
        }
        let compiled = {
            let mut cache = PATTERNS.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(p) = cache.get(pattern) {
                p.clone()
            } else {
                let compiled = Pattern::parse(pattern, "").ok().map(Arc::new);
                if cache.len() >= MAX_CACHED_PATTERNS {
                    cache.clear();
                }
                cache.insert(pattern.to_string(), compiled.clone());
                compiled
            }
        };
        self.patterns
            .borrow_mut()
            .insert(pattern.to_string(), compiled.clone());
        compiled
    }

    /// An owned copy of every schema reachable from `root`, with their compiled patterns, for
    /// checks that run inside strategies.
    pub(crate) fn env(&self, root: SchemaId) -> Env {
        let mut schemas = HashMap::new();
        let mut patterns = HashMap::new();
        let mut stack = vec![root];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(s) = self.schemas.try_get(id) else {
                continue;
            };
            let mut kinds = vec![&s.kind];
            while let Some(kind) = kinds.pop() {
                match kind {
                    SchemaKind::String(b) => {
                        if let Some(p) = &b.pattern {
                            patterns.insert(p.clone(), self.compile(p));
                        }
                    }
                    SchemaKind::Union(members) => kinds.extend(members.iter()),
                    _ => {}
                }
            }
            stack.extend(s.kind.children());
            schemas.insert(id, s.clone());
        }
        Env { schemas, patterns }
    }
}

impl Source for Borrowed<'_> {
    fn schema(&self, id: SchemaId) -> Option<&Schema> {
        self.schemas.try_get(id)
    }

    fn pattern(&self, pattern: &str) -> Option<Arc<Pattern>> {
        self.compile(pattern)
    }
}

/// Owned schemas and patterns (see [`Borrowed::env`]).
#[derive(Debug)]
pub(crate) struct Env {
    schemas: HashMap<SchemaId, Schema>,
    patterns: HashMap<String, Option<Arc<Pattern>>>,
}

impl Source for Env {
    fn schema(&self, id: SchemaId) -> Option<&Schema> {
        self.schemas.get(&id)
    }

    fn pattern(&self, pattern: &str) -> Option<Arc<Pattern>> {
        self.patterns.get(pattern).cloned().flatten()
    }
}

/// Validates values against schemas of a [`Source`].
pub(crate) struct Checker<'s, S: Source + ?Sized> {
    src: &'s S,
    direction: Option<Direction>,
    /// A keyword of one schema that is not checked.
    ignore: Option<(SchemaId, Keyword)>,
}

impl<'s, S: Source + ?Sized> Checker<'s, S> {
    pub(crate) fn new(src: &'s S, direction: Option<Direction>) -> Self {
        Self {
            src,
            direction,
            ignore: None,
        }
    }

    /// The same checker with `keyword` of schema `id` switched off.
    pub(crate) fn ignoring(mut self, id: SchemaId, keyword: Keyword) -> Self {
        self.ignore = Some((id, keyword));
        self
    }

    fn ignored(&self, id: SchemaId, keyword: &Keyword) -> bool {
        self.ignore
            .as_ref()
            .is_some_and(|(i, k)| *i == id && k == keyword)
    }

    /// Whether `v` satisfies every part.
    pub(crate) fn parts(&self, parts: &[Part], v: &Value) -> bool {
        parts.iter().all(|p| self.part(p, v, 0))
    }

    /// Whether `v` satisfies schema `id`.
    pub(crate) fn valid(&self, id: SchemaId, v: &Value) -> bool {
        self.schema(id, v, 0)
    }

    fn part(&self, part: &Part, v: &Value, n: u32) -> bool {
        match part {
            Part::Full(id) => self.schema(*id, v, n),
            Part::Annot(id) => self
                .src
                .schema(*id)
                .is_some_and(|s| self.annotations(*id, s, v)),
            Part::Member(id, m) => {
                let Some(s) = self.src.schema(*id) else {
                    return false;
                };
                let SchemaKind::Union(kinds) = &s.kind else {
                    return false;
                };
                let Some(kind) = kinds.get(usize::from(*m)) else {
                    return false;
                };
                self.annotations(*id, s, v)
                    && ((s.nullable && v.is_null()) || self.kind(*id, kind, false, v, n + 1))
            }
            Part::Const(c) => v.as_str() == Some(&**c),
            Part::Tag(name, value) => match v {
                Value::Object(map) => map.get(&**name).and_then(Value::as_str) == Some(&**value),
                _ => true,
            },
        }
    }

    fn schema(&self, id: SchemaId, v: &Value, n: u32) -> bool {
        if n > MAX_NESTING {
            return false;
        }
        let Some(s) = self.src.schema(id) else {
            return false;
        };
        self.annotations(id, s, v) && self.kind(id, &s.kind, s.nullable, v, n + 1)
    }

    /// `enum`, `const` and `format`, as rendered (a nullable schema's enum admits `null`).
    fn annotations(&self, id: SchemaId, s: &Schema, v: &Value) -> bool {
        if let Some(values) = &s.enum_values
            && !self.ignored(id, &Keyword::Enum)
            && !(values.iter().any(|e| json_eq(e, v)) || (s.nullable && v.is_null()))
        {
            return false;
        }
        if let Some(c) = &s.const_value
            && !self.ignored(id, &Keyword::Const)
        {
            // A nullable const renders as `enum: [c, null]` unless an enum is present too.
            let null_ok = s.nullable && s.enum_values.is_none() && v.is_null();
            if !(json_eq(c, v) || null_ok) {
                return false;
            }
        }
        if let (Some(f), Value::String(text)) = (&s.format, v)
            && !self.ignored(id, &Keyword::Format)
            && !super::formats::check(f, text)
        {
            return false;
        }
        true
    }

    fn kind(&self, id: SchemaId, kind: &SchemaKind, nullable: bool, v: &Value, n: u32) -> bool {
        let null = nullable && v.is_null();
        match kind {
            SchemaKind::Any => true,
            SchemaKind::Never => false,
            SchemaKind::Null => v.is_null() || self.ignored(id, &Keyword::Type),
            SchemaKind::OneOf(c) => {
                let matching = c
                    .variants
                    .iter()
                    .filter(|&&variant| self.variant(c, variant, v, n))
                    .count();
                matching + usize::from(null) == 1
            }
            SchemaKind::AnyOf(c) => null || c.variants.iter().any(|&x| self.variant(c, x, v, n)),
            SchemaKind::AllOf(parts) => null || parts.iter().all(|&x| self.schema(x, v, n)),
            SchemaKind::Not(inner) => null || !self.schema(*inner, v, n),
            SchemaKind::Union(kinds) => {
                if null {
                    return true;
                }
                if !self.ignored(id, &Keyword::Type) && !kinds.iter().any(|k| type_matches(k, v)) {
                    return false;
                }
                for k in kinds {
                    match k {
                        SchemaKind::String(b) if v.is_string() && !self.string(id, b, v) => {
                            return false;
                        }
                        SchemaKind::Array(a) if v.is_array() && !self.array(id, a, v, n) => {
                            return false;
                        }
                        SchemaKind::Object(o) if v.is_object() && !self.object(id, o, v, n) => {
                            return false;
                        }
                        _ => {}
                    }
                }
                union_bounds(kinds).is_none_or(|b| self.number(id, &b, v))
            }
            SchemaKind::Boolean
            | SchemaKind::Integer(_)
            | SchemaKind::Number(_)
            | SchemaKind::String(_)
            | SchemaKind::Array(_)
            | SchemaKind::Object(_) => {
                if null {
                    return true;
                }
                if !self.ignored(id, &Keyword::Type) && !type_matches(kind, v) {
                    return false;
                }
                match kind {
                    SchemaKind::Integer(b) | SchemaKind::Number(b) => self.number(id, b, v),
                    SchemaKind::String(b) => self.string(id, b, v),
                    SchemaKind::Array(a) => self.array(id, a, v, n),
                    SchemaKind::Object(o) => self.object(id, o, v, n),
                    _ => true,
                }
            }
        }
    }

    /// Whether `v` matches `variant` of composition `c`: the variant's schema, and the
    /// discriminator value that names it, if the discriminator can name it.
    pub(crate) fn matches_variant(&self, c: &Composition, variant: SchemaId, v: &Value) -> bool {
        self.variant(c, variant, v, 0)
    }

    fn variant(&self, c: &Composition, variant: SchemaId, v: &Value, n: u32) -> bool {
        if !self.schema(variant, v, n) {
            return false;
        }
        let Some(d) = &c.discriminator else {
            return true;
        };
        let name = self.src.schema(variant).and_then(|s| s.name.as_deref());
        let values = discriminator_values(d, variant, name);
        if values.is_empty() {
            return true;
        }
        match v {
            Value::Object(map) => map
                .get(&d.property_name)
                .and_then(Value::as_str)
                .is_some_and(|x| values.iter().any(|y| y == x)),
            _ => true,
        }
    }

    fn number(&self, id: SchemaId, b: &NumberBounds, v: &Value) -> bool {
        let Some(x) = v.as_f64() else {
            return true;
        };
        if let Some(m) = b.minimum
            && !self.ignored(id, &Keyword::Minimum)
            && !(if b.exclusive_minimum { x > m } else { x >= m })
        {
            return false;
        }
        if let Some(m) = b.maximum
            && !self.ignored(id, &Keyword::Maximum)
            && !(if b.exclusive_maximum { x < m } else { x <= m })
        {
            return false;
        }
        if let Some(m) = b.multiple_of
            && !self.ignored(id, &Keyword::MultipleOf)
            && !is_multiple_of(x, m)
        {
            return false;
        }
        true
    }

    fn string(&self, id: SchemaId, b: &StringBounds, v: &Value) -> bool {
        let Some(text) = v.as_str() else {
            return true;
        };
        let len = text.chars().count() as u64;
        if b.min_length.is_some_and(|m| len < m) && !self.ignored(id, &Keyword::MinLength) {
            return false;
        }
        if b.max_length.is_some_and(|m| len > m) && !self.ignored(id, &Keyword::MaxLength) {
            return false;
        }
        if let Some(p) = &b.pattern
            && !self.ignored(id, &Keyword::Pattern)
            && let Some(compiled) = self.src.pattern(p)
            && !compiled.is_match(text)
        {
            return false;
        }
        true
    }

    fn array(&self, id: SchemaId, a: &ArraySchema, v: &Value, n: u32) -> bool {
        let Some(items) = v.as_array() else {
            return true;
        };
        let len = items.len() as u64;
        if a.min_items.is_some_and(|m| len < m) && !self.ignored(id, &Keyword::MinItems) {
            return false;
        }
        if a.max_items.is_some_and(|m| len > m) && !self.ignored(id, &Keyword::MaxItems) {
            return false;
        }
        if a.unique_items && !self.ignored(id, &Keyword::UniqueItems) {
            for (i, x) in items.iter().enumerate() {
                if items[..i].iter().any(|y| json_eq(x, y)) {
                    return false;
                }
            }
        }
        items.iter().enumerate().all(|(i, item)| {
            let schema = a.prefix_items.get(i).copied().unwrap_or(a.items);
            self.schema(schema, item, n)
        })
    }

    fn object(&self, id: SchemaId, o: &ObjectSchema, v: &Value, n: u32) -> bool {
        let Some(map) = v.as_object() else {
            return true;
        };
        let count = map.len() as u64;
        if o.min_properties.is_some_and(|m| count < m) && !self.ignored(id, &Keyword::MinProperties)
        {
            return false;
        }
        if o.max_properties.is_some_and(|m| count > m) && !self.ignored(id, &Keyword::MaxProperties)
        {
            return false;
        }
        for name in required(self.src, o, self.direction) {
            if !map.contains_key(name) && !self.ignored(id, &Keyword::Required(name.clone())) {
                return false;
            }
        }
        for (name, value) in map {
            let ok = match o.properties.get(name) {
                Some(&p) => self.schema(p, value, n),
                None => match o.additional {
                    Additional::Any => true,
                    Additional::Forbidden => self.ignored(id, &Keyword::AdditionalProperties),
                    Additional::Schema(s) => self.schema(s, value, n),
                },
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// The required property names of `o` in `direction`: read-only properties are not required
/// in requests, write-only ones not in responses (OpenAPI 3.0 §4.7.25).
pub(crate) fn required<'o, S: Source + ?Sized>(
    src: &S,
    o: &'o ObjectSchema,
    direction: Option<Direction>,
) -> impl Iterator<Item = &'o String> {
    o.required.iter().filter(move |name| {
        let Some(direction) = direction else {
            return true;
        };
        !o.properties
            .get(*name)
            .and_then(|&p| src.schema(p))
            .is_some_and(|s| direction.excludes(s.read_only, s.write_only))
    })
}

/// Whether `v` has the JSON type of a single structural kind.
pub(crate) fn type_matches(kind: &SchemaKind, v: &Value) -> bool {
    match kind {
        SchemaKind::Null => v.is_null(),
        SchemaKind::Boolean => v.is_boolean(),
        SchemaKind::Integer(_) => is_integer(v),
        SchemaKind::Number(_) => v.is_number(),
        SchemaKind::String(_) => v.is_string(),
        SchemaKind::Array(_) => v.is_array(),
        SchemaKind::Object(_) => v.is_object(),
        _ => true,
    }
}

/// Whether `v` is a JSON number with an integral value (`1.0` included, as in JSON Schema).
pub(crate) fn is_integer(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|x| x.fract() == 0.0)
        }
        _ => false,
    }
}

/// The numeric keywords of a union, as rendered: later members' keywords win per keyword.
fn overlay(base: Option<NumberBounds>, b: &NumberBounds) -> NumberBounds {
    let mut out = base.unwrap_or_default();
    if b.minimum.is_some() {
        out.minimum = b.minimum;
        out.exclusive_minimum = b.exclusive_minimum;
    }
    if b.maximum.is_some() {
        out.maximum = b.maximum;
        out.exclusive_maximum = b.exclusive_maximum;
    }
    if b.multiple_of.is_some() {
        out.multiple_of = b.multiple_of;
    }
    out
}

/// The numeric keywords of a [`SchemaKind::Union`] (`None` without a numeric member).
fn union_bounds(kinds: &[SchemaKind]) -> Option<NumberBounds> {
    let mut bounds: Option<NumberBounds> = None;
    for k in kinds {
        if let SchemaKind::Integer(b) | SchemaKind::Number(b) = k {
            bounds = Some(overlay(bounds.take(), b));
        }
    }
    bounds
}

/// The numeric constraints of a [`SchemaKind::Union`] as one range.
pub(crate) fn union_numbers(kinds: &[SchemaKind]) -> Option<NumberRange> {
    union_bounds(kinds).map(|b| {
        let mut r = NumberRange::default();
        r.add(&b);
        r
    })
}

/// JSON Schema equality: numbers by value (`1 == 1.0`), objects regardless of key order.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| json_eq(a, b)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;
    use serde_json::json;

    use super::*;

    fn arena() -> (Schemas, SchemaId) {
        let mut s = Schemas::new();
        let name = s.push(Schema::of(
            SchemaKind::String(StringBounds {
                min_length: Some(2),
                pattern: Some("^[a-z]+$".into()),
                ..Default::default()
            }),
            "#/name",
        ));
        let mut id = Schema::of(SchemaKind::Integer(NumberBounds::default()), "#/id");
        id.read_only = true;
        let id = s.push(id);
        let mut props = IndexMap::new();
        props.insert("id".to_string(), id);
        props.insert("name".to_string(), name);
        let obj = s.push(Schema::of(
            SchemaKind::Object(ObjectSchema {
                properties: props,
                required: vec!["id".into(), "name".into()],
                additional: Additional::Forbidden,
                ..Default::default()
            }),
            "#/obj",
        ));
        (s, obj)
    }

    #[test]
    fn required_read_only_is_for_responses() {
        let (s, obj) = arena();
        let src = Borrowed::new(&s);
        let request = Checker::new(&src, Some(Direction::Request));
        let response = Checker::new(&src, Some(Direction::Response));
        let v = json!({"name": "ab"});
        assert!(request.valid(obj, &v));
        assert!(!response.valid(obj, &v));
        assert!(response.valid(obj, &json!({"name": "ab", "id": 3})));
        assert!(!request.valid(obj, &json!({"name": "a"})));
        assert!(!request.valid(obj, &json!({"name": "AB"})));
        assert!(!request.valid(obj, &json!({"name": "ab", "x": 1})));
        let lenient = Checker::new(&src, Some(Direction::Request))
            .ignoring(obj, Keyword::AdditionalProperties);
        assert!(lenient.valid(obj, &json!({"name": "ab", "x": 1})));
    }

    #[test]
    fn one_of_means_exactly_one() {
        let mut s = Schemas::new();
        let any_int = s.push(Schema::of(
            SchemaKind::Integer(NumberBounds::default()),
            "#/a",
        ));
        let small = s.push(Schema::of(
            SchemaKind::Integer(NumberBounds {
                maximum: Some(10.0),
                ..Default::default()
            }),
            "#/b",
        ));
        let one = s.push(Schema::of(
            SchemaKind::OneOf(Composition {
                variants: vec![any_int, small],
                discriminator: None,
            }),
            "#/c",
        ));
        let src = Borrowed::new(&s);
        let c = Checker::new(&src, None);
        assert!(c.valid(one, &json!(11)));
        assert!(!c.valid(one, &json!(5)));
        assert!(!c.valid(one, &json!("x")));
    }

    #[test]
    fn equality_is_numeric() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!({"a": [1, 2]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
        assert!(is_integer(&json!(3.0)) && !is_integer(&json!(3.5)));
    }
}

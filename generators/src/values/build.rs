//! Building positive-value strategies from the schema IR.
//!
//! The builder works on conjunctions of [`Part`]s: a schema id is the conjunction of itself,
//! an `allOf` the conjunction of its parts (flattened here, whatever the loader could not
//! merge), a `oneOf` / `anyOf` / type union is distributed into one conjunction per variant,
//! `not` becomes a check. What remains is merged into one set of constraints per JSON type
//! (bounds intersected, patterns and formats collected, object properties combined with the
//! JSON Schema rule that a part's `additionalProperties` applies to the names it does not
//! declare) and generated constructively. Where construction cannot guarantee validity (which
//! `oneOf` variant a value matches, `not`, a second pattern, a format with length bounds) the
//! [`Checker`] decides, through a [`Checked`] strategy that is only built after a probe showed
//! it accepts enough candidates: a schema that cannot be satisfied is reported as
//! [`Unsatisfiable`], never looped on.
//!
//! Strategies are memoised per (conjunction, depth), so shared and recursive schemas are built
//! once per level. Up to `max_depth` levels of objects and arrays get optional content; below
//! that only what is required, and [`EXTRA_DEPTH`] levels further a schema that still requires
//! nesting is reported as [`UnsatisfiableKind::Recursion`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::check::{Borrowed, Checker, Env, Part, json_eq, required, union_numbers};
use super::context::ValueContext;
use super::discriminator_values;
use super::error::{Unsatisfiable, UnsatisfiableKind};
use super::filter::{Checked, FuseExt, Predicate, one_of, probe};
use super::formats;
use super::numbers::NumberRange;
use super::regex::Pattern;
use crate::model::{Additional, ArraySchema, ObjectSchema, Schema, SchemaId, SchemaKind, Schemas};

/// A boxed, thread-safe strategy of JSON values.
pub(crate) type Strat = SBoxedStrategy<Value>;
type Built = Result<Strat, Unsatisfiable>;

/// Levels past `max_depth` at which a schema that still requires nesting is given up.
const EXTRA_DEPTH: u32 = 6;
/// Variants of one `oneOf` / `anyOf` considered.
const MAX_VARIANTS: usize = 48;
/// Conjunctions built per call before giving up on a huge schema graph.
const MAX_BUILDS: usize = 50_000;
/// Items generated beyond `minItems` (while depth allows optional content).
const EXTRA_ITEMS: u64 = 3;
/// Characters generated beyond `minLength` for plain strings.
const EXTRA_CHARS: u64 = 12;
/// Largest `minItems` / `minLength` / `minProperties` generated.
const MAX_MIN: u64 = 4_096;
/// Entries generated at most for an `additionalProperties` schema (a map).
const MAP_ENTRIES: usize = 2;

const BOOL: u8 = 1;
const INT: u8 = 2;
/// Non-integral numbers.
const NUM: u8 = 4;
const STR: u8 = 8;
const ARR: u8 = 16;
const OBJ: u8 = 32;
const ALL: u8 = 63;

/// Builds strategies for one root schema.
pub(crate) struct Builder<'a> {
    schemas: &'a Schemas,
    src: Borrowed<'a>,
    root: SchemaId,
    ctx: ValueContext,
    env: Option<Arc<Env>>,
    memo: HashMap<(Vec<Part>, u32), Built>,
    active: HashSet<(Vec<Part>, u32)>,
    builds: usize,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(schemas: &'a Schemas, root: SchemaId, ctx: ValueContext) -> Self {
        Self {
            schemas,
            src: Borrowed::new(schemas),
            root,
            ctx,
            env: None,
            memo: HashMap::new(),
            active: HashSet::new(),
            builds: 0,
        }
    }

    /// The strategy of the root schema.
    pub(crate) fn root(&mut self) -> Built {
        let root = self.root;
        self.schema(root)?;
        self.conj(&[Part::Full(root)], 0)
    }

    /// The owned schemas for checks inside strategies, created on first use.
    pub(crate) fn env(&mut self) -> Arc<Env> {
        if let Some(env) = &self.env {
            return Arc::clone(env);
        }
        let env = Arc::new(self.src.env(self.root));
        self.env = Some(Arc::clone(&env));
        env
    }

    fn schema(&self, id: SchemaId) -> Result<&'a Schema, Unsatisfiable> {
        self.schemas.try_get(id).ok_or_else(|| {
            Unsatisfiable::new(
                format!("{id}"),
                UnsatisfiableKind::UnknownSchema,
                "the schema id is not in the model's arena",
            )
        })
    }

    fn checker(&self) -> Checker<'_, Borrowed<'a>> {
        Checker::new(&self.src, Some(self.ctx.direction))
    }

    /// `source` restricted to the values `predicate` accepts, if it accepts enough of them.
    fn checked(
        &mut self,
        source: Strat,
        predicate: Predicate,
        pointer: &str,
        kind: UnsatisfiableKind,
        what: impl Into<String>,
    ) -> Built {
        let what = what.into();
        if !probe(&source, &predicate) {
            return Err(Unsatisfiable::new(pointer, kind, what));
        }
        Ok(Checked::new(source, predicate, format!("{pointer}: {what}")).fused())
    }

    /// The strategy of the conjunction of `parts` at nesting `depth`, memoised.
    pub(crate) fn conj(&mut self, parts: &[Part], depth: u32) -> Built {
        let mut key: Vec<Part> = parts.to_vec();
        key.sort();
        key.dedup();
        if depth > self.ctx.max_depth + EXTRA_DEPTH {
            return Err(Unsatisfiable::new(
                self.pointer_of(&key),
                UnsatisfiableKind::Recursion,
                format!(
                    "every value nests deeper than {} levels (a required property or item refers back to its own schema)",
                    self.ctx.max_depth + EXTRA_DEPTH
                ),
            ));
        }
        let memo_key = (key, depth);
        if let Some(built) = self.memo.get(&memo_key) {
            return built.clone();
        }
        if !self.active.insert(memo_key.clone()) {
            return Err(Unsatisfiable::new(
                self.pointer_of(&memo_key.0),
                UnsatisfiableKind::Recursion,
                "the schema refers to itself without any nesting",
            ));
        }
        self.builds += 1;
        let built = if self.builds > MAX_BUILDS {
            Err(Unsatisfiable::new(
                self.pointer_of(&memo_key.0),
                UnsatisfiableKind::Recursion,
                format!("the schema graph needs more than {MAX_BUILDS} strategies"),
            ))
        } else {
            self.conj_inner(&memo_key.0, depth)
        };
        self.active.remove(&memo_key);
        self.memo.insert(memo_key, built.clone());
        built
    }

    fn pointer_of(&self, parts: &[Part]) -> String {
        parts
            .iter()
            .find_map(|p| match p {
                Part::Full(id) | Part::Annot(id) | Part::Member(id, _) => {
                    self.schemas.try_get(*id).map(|s| s.pointer.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| "#".into())
    }

    fn conj_inner(&mut self, parts: &[Part], depth: u32) -> Built {
        let null_ok = self.checker().parts(parts, &Value::Null);
        let flat = self.flatten(parts);
        let non_null = match flat {
            Err(e) => Err(e),
            Ok(flat) => match flat.iter().position(|p| self.is_composite(p)) {
                Some(at) => self.distribute(&flat, at, parts, depth),
                None => self.merged(&flat, parts, depth),
            },
        };
        match (non_null, null_ok) {
            (Ok(s), true) => Ok(one_of(vec![(6, s), (1, Just(Value::Null).fused())])),
            (Ok(s), false) => Ok(s),
            (Err(_), true) => Ok(Just(Value::Null).fused()),
            (Err(e), false) => Err(e),
        }
    }

    /// Expands `allOf` parts (keeping their own annotations) and rejects `false` schemas.
    fn flatten(&self, parts: &[Part]) -> Result<Vec<Part>, Unsatisfiable> {
        let mut out: Vec<Part> = Vec::new();
        let mut expanded = HashSet::new();
        let mut stack: Vec<Part> = parts.iter().rev().cloned().collect();
        while let Some(p) = stack.pop() {
            if let Part::Full(id) = p {
                let s = self.schema(id)?;
                match &s.kind {
                    SchemaKind::AllOf(children) => {
                        if expanded.insert(id) {
                            out.push(Part::Annot(id));
                            stack.extend(children.iter().rev().map(|&c| Part::Full(c)));
                        }
                        continue;
                    }
                    SchemaKind::Never => {
                        return Err(Unsatisfiable::new(
                            &s.pointer,
                            UnsatisfiableKind::Never,
                            "the schema is `false` (or a contradiction the loader detected)",
                        ));
                    }
                    _ => {}
                }
            }
            if !out.contains(&p) {
                out.push(p);
            }
        }
        Ok(out)
    }

    fn is_composite(&self, part: &Part) -> bool {
        let Part::Full(id) = part else {
            return false;
        };
        self.schemas.try_get(*id).is_some_and(|s| {
            matches!(
                s.kind,
                SchemaKind::OneOf(_)
                    | SchemaKind::AnyOf(_)
                    | SchemaKind::Union(_)
                    | SchemaKind::Not(_)
            )
        })
    }

    /// One alternative per variant of the composite part at `flat[at]`.
    fn distribute(&mut self, flat: &[Part], at: usize, all: &[Part], depth: u32) -> Built {
        let Part::Full(id) = flat[at] else {
            return self.merged(flat, all, depth);
        };
        let s = self.schema(id)?;
        let mut rest: Vec<Part> = flat
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|(_, p)| p.clone())
            .collect();
        match &s.kind {
            SchemaKind::OneOf(c) | SchemaKind::AnyOf(c) => {
                rest.push(Part::Annot(id));
                let exclusive = matches!(s.kind, SchemaKind::OneOf(_));
                let mut alternatives = Vec::new();
                for (i, &variant) in c.variants.iter().enumerate().take(MAX_VARIANTS) {
                    let mut parts = rest.clone();
                    parts.push(Part::Full(variant));
                    let tag = c.discriminator.as_ref().and_then(|d| {
                        let name = self.schemas.try_get(variant)?.name.as_deref();
                        let value = discriminator_values(d, variant, name).into_iter().next()?;
                        Some(Part::Tag(
                            Arc::from(d.property_name.as_str()),
                            Arc::from(value.as_str()),
                        ))
                    });
                    // A variant the discriminator can name carries its value (the rendered
                    // schema requires it); if the variant does not admit that value, it
                    // cannot be selected at all.
                    if let Some(tag) = tag {
                        parts.push(tag);
                    }
                    let built = self.conj(&parts, depth);
                    let built = match built {
                        Ok(strategy) if exclusive && c.variants.len() > 1 => {
                            let composition = c.clone();
                            let env = self.env();
                            let direction = self.ctx.direction;
                            let predicate: Predicate = Arc::new(move |v: &Value| {
                                let checker = Checker::new(&*env, Some(direction));
                                !composition.variants.iter().enumerate().any(|(j, &o)| {
                                    j != i && checker.matches_variant(&composition, o, v)
                                })
                            });
                            let pointer = self.schema(variant)?.pointer.clone();
                            self.checked(
                                strategy,
                                predicate,
                                &pointer,
                                UnsatisfiableKind::Contradiction,
                                format!(
                                    "values of oneOf variant {} of {} also match another variant",
                                    i, s.pointer
                                ),
                            )
                        }
                        other => other,
                    };
                    alternatives.push(built);
                }
                choice(alternatives, || {
                    Unsatisfiable::new(
                        &s.pointer,
                        UnsatisfiableKind::Never,
                        "a oneOf / anyOf without variants admits nothing",
                    )
                })
            }
            SchemaKind::Union(kinds) => {
                let alternatives = (0..kinds.len().min(usize::from(u16::MAX)))
                    .map(|m| {
                        let mut parts = rest.clone();
                        parts.push(Part::Member(id, m as u16));
                        self.conj(&parts, depth)
                    })
                    .collect();
                choice(alternatives, || {
                    Unsatisfiable::new(&s.pointer, UnsatisfiableKind::Never, "empty type list")
                })
            }
            SchemaKind::Not(inner) => {
                rest.push(Part::Annot(id));
                let source = self.conj(&rest, depth)?;
                let inner = *inner;
                let env = self.env();
                let direction = self.ctx.direction;
                let predicate: Predicate = Arc::new(move |v: &Value| {
                    !Checker::new(&*env, Some(direction)).valid(inner, v)
                });
                self.checked(
                    source,
                    predicate,
                    &s.pointer,
                    UnsatisfiableKind::Contradiction,
                    "generated values all match the `not` schema",
                )
            }
            _ => self.merged(flat, all, depth),
        }
    }

    /// Merges the non-composite parts and generates from the result.
    fn merged(&mut self, flat: &[Part], all: &[Part], depth: u32) -> Built {
        let m = self.merge(flat);
        let pointer = m.pointer.clone();
        if m.types == 0 {
            return Err(Unsatisfiable::new(
                pointer,
                UnsatisfiableKind::Contradiction,
                "the combined schemas admit no common (non-null) type",
            ));
        }
        if let Some(values) = &m.enums {
            let checker = self.checker();
            let candidates: Vec<Value> = values
                .iter()
                .filter(|v| !v.is_null() && checker.parts(all, v))
                .cloned()
                .collect();
            if candidates.is_empty() {
                return Err(Unsatisfiable::new(
                    pointer,
                    UnsatisfiableKind::Contradiction,
                    format!(
                        "no value of the enum ({} listed) satisfies the rest of the schema",
                        values.len()
                    ),
                ));
            }
            return Ok(proptest::sample::select(candidates).fused());
        }
        let order: &[u8] = if m.types == ALL {
            if m.formats.is_empty() {
                &[STR, INT, BOOL]
            } else {
                &[STR]
            }
        } else {
            &[BOOL, INT, NUM, STR, ARR, OBJ]
        };
        let mut alternatives: Vec<(u32, Strat)> = Vec::new();
        let mut first_error = None;
        let mut scalar = false;
        for &t in order {
            if m.types & t == 0 {
                continue;
            }
            let built = match t {
                BOOL => Ok(any::<bool>().prop_map(Value::Bool).fused()),
                INT if m.types & NUM == 0 => m.numbers.integers().map_err(|why| {
                    Unsatisfiable::new(&pointer, UnsatisfiableKind::Contradiction, why)
                }),
                INT => continue,
                NUM => m.numbers.numbers().map_err(|why| {
                    Unsatisfiable::new(&pointer, UnsatisfiableKind::Contradiction, why)
                }),
                STR => self.string(&m),
                ARR => self.array(&m, depth),
                _ => self.object(&m, depth),
            };
            scalar |= matches!(t, BOOL | INT | NUM | STR);
            match built {
                Ok(s) => alternatives.push((4, s)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if alternatives.is_empty() {
            return Err(first_error.unwrap_or_else(|| {
                Unsatisfiable::new(
                    pointer,
                    UnsatisfiableKind::Contradiction,
                    "no type admitted",
                )
            }));
        }
        if scalar && !m.examples.is_empty() {
            let checker = self.checker();
            let examples: Vec<Value> = m
                .examples
                .iter()
                .filter(|v| {
                    !v.is_null() && !v.is_object() && !v.is_array() && checker.parts(all, v)
                })
                .cloned()
                .collect();
            if !examples.is_empty() {
                alternatives.push((1, proptest::sample::select(examples).fused()));
            }
        }
        if alternatives.len() == 1
            && let Some((_, s)) = alternatives.pop()
        {
            return Ok(s);
        }
        Ok(one_of(alternatives))
    }

    fn merge(&self, flat: &[Part]) -> Merged<'a> {
        let mut m = Merged {
            types: ALL,
            pointer: self.pointer_of(flat),
            ..Merged::default()
        };
        for part in flat {
            match part {
                Part::Full(id) => {
                    if let Some(s) = self.schemas.try_get(*id) {
                        m.annotations(s);
                        m.kind(&s.kind, None);
                    }
                }
                Part::Annot(id) => {
                    if let Some(s) = self.schemas.try_get(*id) {
                        m.annotations(s);
                    }
                }
                Part::Member(id, n) => {
                    if let Some(s) = self.schemas.try_get(*id) {
                        m.annotations(s);
                        if let SchemaKind::Union(kinds) = &s.kind
                            && let Some(kind) = kinds.get(usize::from(*n))
                        {
                            m.kind(kind, union_numbers(kinds));
                        }
                    }
                }
                Part::Const(c) => m.restrict_enum(&[Value::String(c.to_string())]),
                Part::Tag(name, value) => m.tags.push((Arc::clone(name), Arc::clone(value))),
            }
        }
        for f in &m.formats {
            m.numbers.apply_format(f);
        }
        m
    }

    fn string(&mut self, m: &Merged<'a>) -> Built {
        let pointer = m.pointer.as_str();
        let min = m.min_len;
        if m.max_len.is_some_and(|max| max < min) || min > MAX_MIN {
            return Err(Unsatisfiable::new(
                pointer,
                UnsatisfiableKind::Contradiction,
                format!(
                    "string length bounds [{min}, {}] cannot be generated",
                    m.max_len.map_or("inf".into(), |x| x.to_string())
                ),
            ));
        }
        let mut patterns = Vec::new();
        for p in &m.patterns {
            match self.src.compile(p) {
                Some(compiled) => patterns.push(compiled),
                None => {
                    return Err(Pattern::parse(p, pointer).err().unwrap_or_else(|| {
                        Unsatisfiable::new(
                            pointer,
                            UnsatisfiableKind::UnsupportedPattern,
                            format!("pattern `{p}` cannot be compiled"),
                        )
                    }));
                }
            }
        }
        let first_pattern = patterns.first().cloned();
        let asserted: Vec<String> = m
            .formats
            .iter()
            .filter(|f| formats::is_asserted(f))
            .map(|f| f.to_string())
            .collect();
        let (min_len, max_len) = (min, m.max_len);
        let predicate: Predicate = Arc::new(move |v: &Value| {
            let Some(s) = v.as_str() else {
                return false;
            };
            let len = s.chars().count() as u64;
            len >= min_len
                && max_len.is_none_or(|max| len <= max)
                && patterns.iter().all(|p| p.is_match(s))
                && asserted.iter().all(|f| formats::check(f, s))
        });
        let by_format = m.formats.iter().find_map(|f| formats::strategy(f));
        let what = format!(
            "no generated string satisfies pattern {:?}, formats {:?} and lengths [{min}, {}] together",
            m.patterns,
            m.formats,
            m.max_len.map_or("inf".into(), |x| x.to_string())
        );
        // A format's own generator gives the most natural values (`ab@example.com` rather
        // than what a permissive e-mail pattern produces); the pattern is the fallback.
        if let Some(generated) = by_format.clone() {
            let source = generated.prop_map(Value::String).fused();
            let built = self.checked(
                source,
                Arc::clone(&predicate),
                pointer,
                UnsatisfiableKind::Contradiction,
                what.clone(),
            );
            if built.is_ok() || m.patterns.is_empty() {
                return built;
            }
        }
        let Some(first) = first_pattern else {
            return Ok(plain_string(min, m.max_len));
        };
        let raw = first.strategy(pointer, u32::try_from(min).unwrap_or(u32::MAX))?;
        let base = if min > 0 {
            let pad = usize::try_from(min).unwrap_or(usize::MAX);
            raw.prop_map(move |mut s| {
                let len = s.chars().count();
                if len < pad {
                    s.extend(std::iter::repeat_n('a', pad - len));
                }
                s
            })
            .fused()
        } else {
            raw
        };
        let source = base.prop_map(Value::String).fused();
        self.checked(
            source,
            predicate,
            pointer,
            UnsatisfiableKind::UnsupportedPattern,
            what,
        )
    }

    fn array(&mut self, m: &Merged<'a>, depth: u32) -> Built {
        let pointer = m.pointer.clone();
        let arrays = &m.arrays;
        let min = arrays.iter().filter_map(|a| a.min_items).max().unwrap_or(0);
        let max = arrays.iter().filter_map(|a| a.max_items).min();
        let unique = arrays.iter().any(|a| a.unique_items);
        if max.is_some_and(|max| max < min) || min > MAX_MIN {
            return Err(Unsatisfiable::new(
                pointer,
                UnsatisfiableKind::Contradiction,
                format!("array length bounds minItems {min} / maxItems {max:?} cannot be met"),
            ));
        }
        let optional = depth < self.ctx.max_depth;
        let mut hi = if optional { min + EXTRA_ITEMS } else { min };
        if let Some(max) = max {
            hi = hi.min(max);
        }
        let prefix_len = arrays
            .iter()
            .map(|a| a.prefix_items.len() as u64)
            .max()
            .unwrap_or(0);
        let mut prefix: Vec<Strat> = Vec::new();
        for i in 0..prefix_len.min(hi) {
            let parts: Vec<Part> = arrays
                .iter()
                .map(|a| Part::Full(a.prefix_items.get(i as usize).copied().unwrap_or(a.items)))
                .collect();
            match self.conj(&parts, depth + 1) {
                Ok(s) => prefix.push(s),
                Err(e) if i < min => return Err(e),
                Err(_) => {
                    hi = i;
                    break;
                }
            }
        }
        let mut tail: Option<Strat> = None;
        if hi > prefix_len {
            let parts: Vec<Part> = arrays.iter().map(|a| Part::Full(a.items)).collect();
            match self.conj(&parts, depth + 1) {
                Ok(s) => tail = Some(s),
                Err(e) if min > prefix_len => return Err(e),
                Err(_) => hi = prefix_len,
            }
        }
        let generated = prefix.len() as u64;
        let strategy: Strat = if generated == 0 {
            match tail {
                Some(items) => vec(items, min as usize..=hi as usize)
                    .prop_map(Value::Array)
                    .fused(),
                None => Just(Value::Array(Vec::new())).fused(),
            }
        } else {
            let tail_lo = min.saturating_sub(prefix_len) as usize;
            let tail_hi = hi.saturating_sub(prefix_len) as usize;
            let tail = match tail {
                Some(items) if tail_hi > 0 => vec(items, tail_lo..=tail_hi).fused(),
                _ => Just(Vec::new()).fused(),
            };
            let keep_lo = min.min(generated) as usize;
            let full = generated == prefix_len;
            (prefix.fused(), keep_lo..=generated as usize, tail)
                .prop_map(move |(mut items, keep, tail)| {
                    let complete = full && keep == items.len();
                    items.truncate(keep);
                    if complete {
                        items.extend(tail);
                    }
                    Value::Array(items)
                })
                .fused()
        };
        if !unique {
            return Ok(strategy);
        }
        let deduped = strategy
            .prop_map(|v| {
                let Value::Array(items) = v else {
                    return v;
                };
                let mut out: Vec<Value> = Vec::with_capacity(items.len());
                for item in items {
                    if !out.iter().any(|o| json_eq(o, &item)) {
                        out.push(item);
                    }
                }
                Value::Array(out)
            })
            .fused();
        let predicate: Predicate =
            Arc::new(move |v: &Value| v.as_array().is_some_and(|items| items.len() as u64 >= min));
        self.checked(
            deduped,
            predicate,
            &pointer,
            UnsatisfiableKind::Contradiction,
            format!("not enough distinct items for uniqueItems with minItems {min}"),
        )
    }

    fn object(&mut self, m: &Merged<'a>, depth: u32) -> Built {
        let pointer = m.pointer.clone();
        let direction = self.ctx.direction;
        let decls = &m.objects;
        let optional_on = depth < self.ctx.max_depth;

        let mut names: Vec<String> = Vec::new();
        let mut required_names: Vec<String> = Vec::new();
        for o in decls {
            for name in o.properties.keys() {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            for name in required(&self.src, o, Some(direction)) {
                if !required_names.contains(name) {
                    required_names.push(name.clone());
                }
            }
        }
        for (name, _) in &m.tags {
            let name = name.to_string();
            if !required_names.contains(&name) {
                required_names.push(name.clone());
            }
        }
        for name in &required_names {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        // What the parts say about names they do not declare.
        let mut extra_parts: Vec<Part> = Vec::new();
        let mut extras_forbidden = false;
        for o in decls {
            match o.additional {
                Additional::Forbidden => extras_forbidden = true,
                Additional::Schema(s) => extra_parts.push(Part::Full(s)),
                _ => {}
            }
        }
        let min_props = decls.iter().filter_map(|o| o.min_properties).max();
        let max_props = decls.iter().filter_map(|o| o.max_properties).min();

        struct Field {
            name: String,
            strategy: Strat,
            required: bool,
        }
        let mut required_fields: Vec<Field> = Vec::new();
        let mut optional_fields: Vec<Field> = Vec::new();
        for name in &names {
            let mut parts: Vec<Part> = Vec::new();
            let mut forbidden = false;
            for o in decls {
                match o.properties.get(name) {
                    Some(&p) => parts.push(Part::Full(p)),
                    None => match o.additional {
                        Additional::Forbidden => forbidden = true,
                        Additional::Schema(s) => parts.push(Part::Full(s)),
                        _ => {}
                    },
                }
            }
            let tag = m
                .tags
                .iter()
                .find(|(n, _)| **n == **name)
                .map(|(_, v)| Arc::clone(v));
            if let Some(value) = &tag {
                parts.push(Part::Const(Arc::clone(value)));
            }
            let is_required = required_names.contains(name);
            if forbidden {
                if is_required {
                    return Err(Unsatisfiable::new(
                        pointer,
                        UnsatisfiableKind::Contradiction,
                        format!(
                            "property `{name}` is required but `additionalProperties: false` of another part forbids it"
                        ),
                    ));
                }
                continue;
            }
            let excluded = tag.is_none()
                && parts.iter().any(|p| match p {
                    Part::Full(id) => self
                        .schemas
                        .try_get(*id)
                        .is_some_and(|s| self.ctx.excludes(s.read_only, s.write_only)),
                    _ => false,
                });
            if !is_required && (excluded || !optional_on) {
                continue;
            }
            match self.conj(&parts, depth + 1) {
                Ok(strategy) => {
                    let field = Field {
                        name: name.clone(),
                        strategy,
                        required: is_required,
                    };
                    if is_required {
                        required_fields.push(field);
                    } else {
                        optional_fields.push(field);
                    }
                }
                Err(e) if is_required => return Err(e),
                Err(_) => {}
            }
        }
        if let Some(max) = max_props
            && required_fields.len() as u64 > max
        {
            return Err(Unsatisfiable::new(
                pointer,
                UnsatisfiableKind::Contradiction,
                format!(
                    "{} required properties but maxProperties {max}",
                    required_fields.len()
                ),
            ));
        }
        // minProperties: make optional properties required first, then add extra names.
        let mut forced_extras = 0usize;
        if let Some(min) = min_props {
            if min > MAX_MIN {
                return Err(Unsatisfiable::new(
                    pointer,
                    UnsatisfiableKind::Contradiction,
                    format!("minProperties {min} is too large to generate"),
                ));
            }
            let mut count = required_fields.len() as u64;
            for f in &mut optional_fields {
                if count >= min {
                    break;
                }
                f.required = true;
                count += 1;
            }
            if count < min {
                if extras_forbidden {
                    return Err(Unsatisfiable::new(
                        pointer,
                        UnsatisfiableKind::Contradiction,
                        format!(
                            "minProperties {min} but only {count} properties may appear (additionalProperties: false)"
                        ),
                    ));
                }
                forced_extras = (min - count) as usize;
            }
        }
        let declared: Arc<HashSet<String>> = Arc::new(names.iter().cloned().collect());
        let map_entries = !extras_forbidden && !extra_parts.is_empty() && optional_on;
        let extra_value: Option<Strat> = if forced_extras > 0 || map_entries {
            match self.conj(&extra_parts, depth + 1) {
                Ok(s) => Some(s),
                Err(e) if forced_extras > 0 => return Err(e),
                Err(_) => None,
            }
        } else {
            None
        };

        let mut fields: Vec<SBoxedStrategy<Option<(String, Value)>>> = Vec::new();
        for f in required_fields.into_iter().chain(optional_fields) {
            let name = f.name;
            if f.required {
                fields.push(
                    f.strategy
                        .prop_map(move |v| Some((name.clone(), v)))
                        .fused(),
                );
            } else {
                fields.push(
                    proptest::option::weighted(0.6, f.strategy)
                        .prop_map(move |v| v.map(|v| (name.clone(), v)))
                        .fused(),
                );
            }
        }
        let extras: SBoxedStrategy<Vec<(String, Value)>> = match extra_value {
            Some(value) => {
                let forced = vec(value.clone(), forced_extras..=forced_extras)
                    .prop_map(|values| {
                        values
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (format!("extra{}", i + 1), v))
                            .collect::<Vec<_>>()
                    })
                    .fused();
                let free_count = if map_entries { MAP_ENTRIES } else { 0 };
                let free = vec((map_key(), value).fused(), 0..=free_count).fused();
                (forced, free)
                    .prop_map(|(mut forced, free)| {
                        forced.extend(free);
                        forced
                    })
                    .fused()
            }
            None => Just(Vec::new()).fused(),
        };
        let required_set: Arc<HashSet<String>> = Arc::new(required_names.into_iter().collect());
        Ok((fields.fused(), extras)
            .prop_map(move |(fields, extras)| {
                let mut map = Map::new();
                for (k, v) in fields.into_iter().flatten() {
                    map.insert(k, v);
                }
                for (k, v) in extras {
                    if !declared.contains(&k) && !map.contains_key(&k) {
                        map.insert(k, v);
                    }
                }
                if let Some(max) = max_props {
                    while map.len() as u64 > max {
                        let Some(drop) = map
                            .keys()
                            .rev()
                            .find(|k| !required_set.contains(*k))
                            .cloned()
                        else {
                            break;
                        };
                        map.remove(&drop);
                    }
                }
                Value::Object(map)
            })
            .fused())
    }
}

/// A uniform choice among the alternatives that could be built, or the first error when none
/// could (`none()` when there were no alternatives at all).
fn choice(alternatives: Vec<Built>, none: impl FnOnce() -> Unsatisfiable) -> Built {
    let mut built = Vec::new();
    let mut first_error = None;
    for alternative in alternatives {
        match alternative {
            Ok(strategy) => built.push((1, strategy)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if built.is_empty() {
        return Err(first_error.unwrap_or_else(none));
    }
    Ok(one_of(built))
}

/// Keys of generated map entries.
fn map_key() -> SBoxedStrategy<String> {
    vec(prop::char::range('a', 'z'), 1..=8)
        .prop_map(|c| c.into_iter().collect())
        .fused()
}

/// Strings of plain characters, `min` to a few more than `min` long, shrinking toward short
/// runs of `a`.
fn plain_string(min: u64, max: Option<u64>) -> Strat {
    let lo = min as usize;
    let hi = max.map_or(min + EXTRA_CHARS, |m| m.min(min + EXTRA_CHARS)) as usize;
    let chars = one_of(vec![
        (8, prop::char::range('a', 'z').fused()),
        (
            2,
            prop::char::ranges(vec!['A'..='Z', '0'..='9'].into()).fused(),
        ),
        (1, prop::sample::select(vec!['-', '_', '.', ' ']).fused()),
    ]);
    vec(chars, lo..=hi.max(lo))
        .prop_map(|c| Value::String(c.into_iter().collect()))
        .fused()
}

/// The constraints of a conjunction without compositions, per type.
#[derive(Default)]
struct Merged<'a> {
    /// Admitted non-null types (bits).
    types: u8,
    enums: Option<Vec<Value>>,
    formats: Vec<&'a str>,
    numbers: NumberRange,
    min_len: u64,
    max_len: Option<u64>,
    patterns: Vec<&'a str>,
    arrays: Vec<&'a ArraySchema>,
    objects: Vec<&'a ObjectSchema>,
    tags: Vec<(Arc<str>, Arc<str>)>,
    examples: Vec<Value>,
    pointer: String,
}

impl<'a> Merged<'a> {
    fn restrict_enum(&mut self, values: &[Value]) {
        self.enums = Some(match self.enums.take() {
            None => values.to_vec(),
            Some(current) => current
                .into_iter()
                .filter(|v| values.iter().any(|w| json_eq(v, w)))
                .collect(),
        });
    }

    fn annotations(&mut self, s: &'a Schema) {
        if let Some(values) = &s.enum_values {
            self.restrict_enum(values);
        }
        if let Some(c) = &s.const_value {
            self.restrict_enum(std::slice::from_ref(c));
        }
        if let Some(f) = &s.format
            && !self.formats.contains(&f.as_str())
        {
            self.formats.push(f);
        }
        self.examples.extend(s.examples.iter().cloned());
        if let Some(d) = &s.default {
            self.examples.push(d.clone());
        }
    }

    fn kind(&mut self, kind: &'a SchemaKind, union_range: Option<NumberRange>) {
        match kind {
            SchemaKind::Any => {}
            SchemaKind::Null | SchemaKind::Never => self.types = 0,
            SchemaKind::Boolean => self.types &= BOOL,
            SchemaKind::Integer(b) | SchemaKind::Number(b) => {
                self.types &= if matches!(kind, SchemaKind::Integer(_)) {
                    INT
                } else {
                    INT | NUM
                };
                match union_range {
                    Some(r) => {
                        if let Some((x, e)) = r.lo {
                            self.numbers.raise(x, e);
                        }
                        if let Some((x, e)) = r.hi {
                            self.numbers.lower(x, e);
                        }
                        for m in r.multiples {
                            if !self.numbers.multiples.contains(&m) {
                                self.numbers.multiples.push(m);
                            }
                        }
                    }
                    None => self.numbers.add(b),
                }
            }
            SchemaKind::String(b) => {
                self.types &= STR;
                if let Some(n) = b.min_length {
                    self.min_len = self.min_len.max(n);
                }
                if let Some(n) = b.max_length {
                    self.max_len = Some(self.max_len.map_or(n, |m| m.min(n)));
                }
                if let Some(p) = &b.pattern
                    && !self.patterns.contains(&p.as_str())
                {
                    self.patterns.push(p);
                }
            }
            SchemaKind::Array(a) => {
                self.types &= ARR;
                self.arrays.push(a);
            }
            SchemaKind::Object(o) => {
                self.types &= OBJ;
                self.objects.push(o);
            }
            // Compositions are distributed before merging.
            _ => {}
        }
    }
}

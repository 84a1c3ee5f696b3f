//! Negative values: a valid value with exactly one constraint broken, tagged with what it
//! breaks, for the negative-acceptance oracle ("the API accepted a body it declares invalid").
//!
//! Mutations are tried at the root and inside the value (object properties, the first items of
//! arrays) against every schema that applies there (`allOf` parts, the `oneOf` / `anyOf`
//! variants the value matches). Each candidate is kept only if the [`Checker`] proves the
//! claim: the mutated document is invalid, and it becomes valid when that one keyword of that
//! one schema is switched off. A mutation that would break two constraints at once (shortening
//! a string below `minLength` that also breaks its `pattern`) is dropped, not mislabelled.

mod candidates;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;
use serde::Serialize;
use serde_json::Value;

use candidates::Candidate;

use super::check::{Borrowed, Checker, Keyword, Source};
use super::context::{Direction, ValueContext};
use super::error::{Unsatisfiable, UnsatisfiableKind};
use super::filter::{Checked, Predicate, probe};
use crate::model::{Additional, SchemaId, SchemaKind, Schemas};
use crate::pointer;

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

    /// The JSON Schema keyword this mutation breaks (`minLength`, `required`), as in
    /// `violates` labels.
    pub fn keyword_name(&self) -> &'static str {
        match self {
            Mutation::WrongType => "type",
            Mutation::BelowMinimum => "minimum",
            Mutation::AboveMaximum => "maximum",
            Mutation::NotMultipleOf => "multipleOf",
            Mutation::TooShort => "minLength",
            Mutation::TooLong => "maxLength",
            Mutation::PatternMismatch => "pattern",
            Mutation::FormatMismatch => "format",
            Mutation::TooFewItems => "minItems",
            Mutation::TooManyItems => "maxItems",
            Mutation::DuplicateItems => "uniqueItems",
            Mutation::MissingRequired { .. } => "required",
            Mutation::ExtraProperty { .. } => "additionalProperties",
            Mutation::TooFewProperties => "minProperties",
            Mutation::TooManyProperties => "maxProperties",
            Mutation::EnumOutsider => "enum",
            Mutation::ConstMismatch => "const",
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

impl Negative {
    /// Its `violates` label: the keyword and where in the value (`minLength at /username`,
    /// `type at body` for the whole value).
    pub fn label(&self) -> String {
        let at = if self.instance.is_empty() {
            "body"
        } else {
            &self.instance
        };
        format!("{} at {at}", self.mutation.keyword_name())
    }
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
    negative_from(schemas, id, ctx, positive)
}

/// [`negative_strategy`] from the positive strategy of `id` in `ctx`, already built.
pub(crate) fn negative_from(
    schemas: &Schemas,
    id: SchemaId,
    ctx: &ValueContext,
    positive: SBoxedStrategy<Value>,
) -> Result<SBoxedStrategy<Negative>, Unsatisfiable> {
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
        let candidates = candidates::candidates(self.src, self.direction, s, node);
        self.prove(leaf, &s.pointer, path, candidates);
    }

    /// Keeps the `candidates` (mutations of the node at `path` against schema `leaf`, at
    /// `schema_pointer`) that the checker proves break exactly that keyword, new ones only.
    fn prove(
        &mut self,
        leaf: SchemaId,
        schema_pointer: &str,
        path: &[String],
        candidates: Vec<Candidate>,
    ) {
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
                    pointer::join(&p)
                }
                _ => pointer::join(path),
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
                constraint: format!("{schema_pointer}/{key}"),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::candidates::perturb;
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

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

mod array;
mod compose;
mod merged;
mod object;
mod string;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::Value;

use super::check::{Borrowed, Checker, Env, Part};
use super::context::ValueContext;
use super::error::{Unsatisfiable, UnsatisfiableKind};
use super::filter::{Checked, FuseExt, Predicate, one_of, probe};
use crate::model::{Schema, SchemaId, SchemaKind, Schemas};

/// A boxed, thread-safe strategy of JSON values.
pub(crate) type Strat = SBoxedStrategy<Value>;
type Built = Result<Strat, Unsatisfiable>;

/// Levels past `max_depth` at which a schema that still requires nesting is given up.
const EXTRA_DEPTH: u32 = 6;
/// Conjunctions built per call before giving up on a huge schema graph.
const MAX_BUILDS: usize = 50_000;
/// Largest `minItems` / `minLength` / `minProperties` generated.
const MAX_MIN: u64 = 4_096;

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

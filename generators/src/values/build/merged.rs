//! Merging a conjunction without compositions into one set of constraints per JSON type, and
//! generating from it: an `enum`, or one alternative per admitted type (with the schemas'
//! examples and defaults among scalar values).

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::Value;

use super::{Builder, Built, Strat};
use crate::model::{ArraySchema, ObjectSchema, Schema, SchemaKind};
use crate::values::check::{Part, json_eq, union_numbers};
use crate::values::error::{Unsatisfiable, UnsatisfiableKind};
use crate::values::filter::{FuseExt, one_of};
use crate::values::numbers::NumberRange;

const BOOL: u8 = 1;
const INT: u8 = 2;
/// Non-integral numbers.
const NUM: u8 = 4;
const STR: u8 = 8;
const ARR: u8 = 16;
const OBJ: u8 = 32;
const ALL: u8 = 63;

impl<'a> Builder<'a> {
    /// Merges the non-composite parts and generates from the result.
    pub(super) fn merged(&mut self, flat: &[Part], all: &[Part], depth: u32) -> Built {
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
}

/// The constraints of a conjunction without compositions, per type.
#[derive(Default)]
pub(super) struct Merged<'a> {
    /// Admitted non-null types (bits).
    pub(super) types: u8,
    pub(super) enums: Option<Vec<Value>>,
    pub(super) formats: Vec<&'a str>,
    pub(super) numbers: NumberRange,
    pub(super) min_len: u64,
    pub(super) max_len: Option<u64>,
    pub(super) patterns: Vec<&'a str>,
    pub(super) arrays: Vec<&'a ArraySchema>,
    pub(super) objects: Vec<&'a ObjectSchema>,
    pub(super) tags: Vec<(Arc<str>, Arc<str>)>,
    pub(super) examples: Vec<Value>,
    pub(super) pointer: String,
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

//! Objects: the properties of every part combined (a part's `additionalProperties` applies to
//! the names it does not declare), required ones always, optional ones while depth allows,
//! discriminator tags, `minProperties` / `maxProperties`, and map entries for an
//! `additionalProperties` schema.

use std::collections::HashSet;
use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::merged::Merged;
use super::{Builder, Built, MAX_MIN, Strat};
use crate::model::Additional;
use crate::values::check::{Part, required};
use crate::values::error::{Unsatisfiable, UnsatisfiableKind};
use crate::values::filter::FuseExt;

/// Entries generated at most for an `additionalProperties` schema (a map).
const MAP_ENTRIES: usize = 2;

/// A property that can be generated.
struct Field {
    name: String,
    strategy: Strat,
    required: bool,
}

/// A strategy of one property: its name and value, or `None` when left out.
type FieldStrat = SBoxedStrategy<Option<(String, Value)>>;
/// A strategy of the entries of undeclared names.
type ExtrasStrat = SBoxedStrategy<Vec<(String, Value)>>;

impl<'a> Builder<'a> {
    pub(super) fn object(&mut self, m: &Merged<'a>, depth: u32) -> Built {
        let pointer = m.pointer.clone();
        let decls = &m.objects;
        let optional_on = depth < self.ctx.max_depth;
        let (names, required_names) = self.property_names(m);
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

        let (required_fields, mut optional_fields) =
            self.fields(m, &names, &required_names, depth)?;
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
        let forced_extras = match min_props {
            Some(min) => force_min_properties(
                min,
                required_fields.len(),
                &mut optional_fields,
                extras_forbidden,
                &pointer,
            )?,
            None => 0,
        };
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

        let fields = field_strategies(required_fields, optional_fields);
        let extras = extras_strategy(extra_value, forced_extras, map_entries);
        let required_set: Arc<HashSet<String>> = Arc::new(required_names.into_iter().collect());
        Ok(assemble(fields, extras, declared, required_set, max_props))
    }

    /// Every property name of the parts (declared or required, tags included), and the
    /// required ones, in order of appearance.
    fn property_names(&self, m: &Merged<'a>) -> (Vec<String>, Vec<String>) {
        let direction = self.ctx.direction;
        let mut names: Vec<String> = Vec::new();
        let mut required_names: Vec<String> = Vec::new();
        for o in &m.objects {
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
        (names, required_names)
    }

    /// The properties that can be generated, required ones and optional ones. Optional ones
    /// are left out below `max_depth`, when excluded in this direction, or when they cannot
    /// be built.
    fn fields(
        &mut self,
        m: &Merged<'a>,
        names: &[String],
        required_names: &[String],
        depth: u32,
    ) -> Result<(Vec<Field>, Vec<Field>), Unsatisfiable> {
        let decls = &m.objects;
        let optional_on = depth < self.ctx.max_depth;
        let mut required_fields: Vec<Field> = Vec::new();
        let mut optional_fields: Vec<Field> = Vec::new();
        for name in names {
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
                        m.pointer.clone(),
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
        Ok((required_fields, optional_fields))
    }
}

/// `minProperties`: makes optional properties required first, then returns how many extra
/// names must be added.
fn force_min_properties(
    min: u64,
    required: usize,
    optional_fields: &mut [Field],
    extras_forbidden: bool,
    pointer: &str,
) -> Result<usize, Unsatisfiable> {
    if min > MAX_MIN {
        return Err(Unsatisfiable::new(
            pointer,
            UnsatisfiableKind::Contradiction,
            format!("minProperties {min} is too large to generate"),
        ));
    }
    let mut count = required as u64;
    for f in optional_fields {
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
        return Ok((min - count) as usize);
    }
    Ok(0)
}

/// One strategy per field, required ones first; optional ones are present with probability
/// 0.6.
fn field_strategies(required_fields: Vec<Field>, optional_fields: Vec<Field>) -> Vec<FieldStrat> {
    let mut fields: Vec<FieldStrat> = Vec::new();
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
    fields
}

/// The entries of undeclared names: `forced` ones (`extra1`, ...) for `minProperties`, then
/// up to [`MAP_ENTRIES`] random ones when `map_entries`.
fn extras_strategy(value: Option<Strat>, forced: usize, map_entries: bool) -> ExtrasStrat {
    match value {
        Some(value) => {
            let forced = vec(value.clone(), forced..=forced)
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
    }
}

/// The objects of `fields` and `extras` (an extra never replaces a declared name), with
/// optional properties dropped, last first, down to `max_props`.
fn assemble(
    fields: Vec<FieldStrat>,
    extras: ExtrasStrat,
    declared: Arc<HashSet<String>>,
    required_set: Arc<HashSet<String>>,
    max_props: Option<u64>,
) -> Strat {
    (fields.fused(), extras)
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
        .fused()
}

/// Keys of generated map entries.
fn map_key() -> SBoxedStrategy<String> {
    vec(prop::char::range('a', 'z'), 1..=8)
        .prop_map(|c| c.into_iter().collect())
        .fused()
}

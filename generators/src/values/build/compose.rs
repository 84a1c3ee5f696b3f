//! Compositions: a `oneOf` / `anyOf` or a type union is distributed into one conjunction per
//! variant, a `not` becomes a check on the values of the rest.

use std::sync::Arc;

use serde_json::Value;

use super::{Builder, Built, choice};
use crate::model::{Composition, Schema, SchemaId, SchemaKind};
use crate::values::check::{Checker, Part};
use crate::values::discriminator_values;
use crate::values::error::{Unsatisfiable, UnsatisfiableKind};
use crate::values::filter::Predicate;

/// Variants of one `oneOf` / `anyOf` considered.
const MAX_VARIANTS: usize = 48;

impl<'a> Builder<'a> {
    /// One alternative per variant of the composite part at `flat[at]`.
    pub(super) fn distribute(
        &mut self,
        flat: &[Part],
        at: usize,
        all: &[Part],
        depth: u32,
    ) -> Built {
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
                self.variants(s, c, exclusive, &rest, depth)
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
                self.not(s, *inner, &rest, depth)
            }
            _ => self.merged(flat, all, depth),
        }
    }

    /// A choice among the variants of `c` (the composition of `s`), each combined with `rest`;
    /// for a `oneOf` (`exclusive`), only values that match no other variant.
    fn variants(
        &mut self,
        s: &'a Schema,
        c: &'a Composition,
        exclusive: bool,
        rest: &[Part],
        depth: u32,
    ) -> Built {
        let mut alternatives = Vec::new();
        for (i, &variant) in c.variants.iter().enumerate().take(MAX_VARIANTS) {
            let mut parts = rest.to_vec();
            parts.push(Part::Full(variant));
            let tag = c.discriminator.as_ref().and_then(|d| {
                let name = self.schemas.try_get(variant)?.name.as_deref();
                let value = discriminator_values(d, variant, name).into_iter().next()?;
                Some(Part::Tag(
                    Arc::from(d.property_name.as_str()),
                    Arc::from(value.as_str()),
                ))
            });
            // A variant the discriminator can name carries its value (the rendered schema
            // requires it); if the variant does not admit that value, it cannot be selected
            // at all.
            if let Some(tag) = tag {
                parts.push(tag);
            }
            let built = self.conj(&parts, depth);
            let built = match built {
                Ok(strategy) if exclusive && c.variants.len() > 1 => {
                    let composition = c.clone();
                    let env = self.env();
                    let direction = self.ctx.direction;
                    let predicate: Predicate =
                        Arc::new(move |v: &Value| {
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

    /// The values of `rest` that are not valid values of `inner` (the `not` of `s`).
    fn not(&mut self, s: &'a Schema, inner: SchemaId, rest: &[Part], depth: u32) -> Built {
        let source = self.conj(rest, depth)?;
        let env = self.env();
        let direction = self.ctx.direction;
        let predicate: Predicate =
            Arc::new(move |v: &Value| !Checker::new(&*env, Some(direction)).valid(inner, v));
        self.checked(
            source,
            predicate,
            &s.pointer,
            UnsatisfiableKind::Contradiction,
            "generated values all match the `not` schema",
        )
    }
}

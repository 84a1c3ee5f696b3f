//! Values from schemas: proptest strategies of valid (positive) values for any schema of the
//! IR, and negative values that break exactly one named constraint.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! use trespass_generators::values::{self, ValueContext};
//!
//! let model = trespass_generators::spec::load_str(
//!     r#"
//! openapi: 3.0.3
//! info: {title: t, version: '1'}
//! paths: {}
//! components:
//!   schemas:
//!     Pet:
//!       type: object
//!       required: [id, name]
//!       properties:
//!         id: {type: integer, readOnly: true}
//!         name: {type: string, minLength: 1, maxLength: 20}
//!         tag: {type: string, enum: [cat, dog]}
//! "#,
//!     "pets.yaml",
//! )
//! .unwrap();
//! let pet = model.schemas.by_name("Pet").unwrap();
//! let strategy = values::strategy(&model.schemas, pet, &ValueContext::request()).unwrap();
//! let value = strategy.new_tree(&mut TestRunner::deterministic()).unwrap().current();
//! assert!(value.get("id").is_none(), "read-only properties are not sent");
//! assert!(values::is_valid(&model.schemas, pet, &ValueContext::request(), &value));
//!
//! for negative in values::negatives(&model.schemas, pet, &ValueContext::request(), &value) {
//!     assert!(!values::is_valid(&model.schemas, pet, &ValueContext::request(), &negative.value));
//! }
//! ```
//!
//! Positive values cover every type and keyword of the IR: formats (dates, times, UUIDs,
//! e-mails, URIs, host names, IP addresses, base64 `byte`, `binary`, integer formats),
//! `pattern` (ECMA-262, through `regex-syntax`), numeric bounds with exclusive bounds and
//! `multipleOf`, string lengths in characters, array lengths and `uniqueItems`, `enum` and
//! `const`, `nullable`, required and optional properties, `additionalProperties`, `allOf`
//! (merged), `oneOf` / `anyOf` (exactly one variant matches a `oneOf` value; a discriminator
//! property gets its mapped value), `not`, and recursion bounded by
//! [`ValueContext::max_depth`]. Read-only properties are left out of requests, write-only ones
//! out of responses. Strategies are built from proptest's combinators, so values shrink toward
//! simple ones: short strings, numbers near zero or the nearest bound, optional properties
//! absent, the first variant.
//!
//! A schema that admits no value the generator can produce is an [`Unsatisfiable`] with the
//! JSON pointer of the schema at fault and the reason (contradictory `allOf`, impossible
//! pattern, required recursion, ...); building never loops.

pub mod attack;
mod build;
mod check;
mod context;
mod error;
mod filter;
mod formats;
mod negative;
mod numbers;
pub mod payload;
mod regex;

use std::collections::HashMap;

use proptest::strategy::SBoxedStrategy;
use serde_json::Value;

pub use context::{Direction, ValueContext};
pub use error::{Unsatisfiable, UnsatisfiableKind};
pub use negative::{Mutation, Negative, negative_strategy, negatives};

use crate::model::{Discriminator, SchemaId, Schemas};

/// A strategy of valid values of schema `id`, as sent in `ctx`'s direction.
///
/// # Errors
/// [`Unsatisfiable`] when the schema admits no value that can be generated: contradictory
/// constraints, a `false` schema, a pattern with lookaround or backreferences, recursion that
/// every value must follow deeper than the depth budget, or an id outside `schemas`.
pub fn strategy(
    schemas: &Schemas,
    id: SchemaId,
    ctx: &ValueContext,
) -> Result<SBoxedStrategy<Value>, Unsatisfiable> {
    build::Builder::new(schemas, id, *ctx).root()
}

/// Strategies of one model's schemas, each built once per schema and context: the sequence
/// generators ask for the same schemas many times (a body shared by a create, a replace and an
/// update; its negatives; a parameter of every operation), and a strategy is a pure function
/// of the schemas, the id and the context.
pub(crate) struct Memo<'a> {
    schemas: &'a Schemas,
    positive: HashMap<(SchemaId, ValueContext), Result<SBoxedStrategy<Value>, Unsatisfiable>>,
    negative: HashMap<(SchemaId, ValueContext), Result<SBoxedStrategy<Negative>, Unsatisfiable>>,
}

impl<'a> Memo<'a> {
    pub(crate) fn new(schemas: &'a Schemas) -> Self {
        Self {
            schemas,
            positive: HashMap::new(),
            negative: HashMap::new(),
        }
    }

    /// [`strategy`], memoised.
    pub(crate) fn strategy(
        &mut self,
        id: SchemaId,
        ctx: &ValueContext,
    ) -> Result<SBoxedStrategy<Value>, Unsatisfiable> {
        let schemas = self.schemas;
        self.positive
            .entry((id, *ctx))
            .or_insert_with(|| strategy(schemas, id, ctx))
            .clone()
    }

    /// [`negative_strategy`], memoised (its positive strategy too).
    pub(crate) fn negative(
        &mut self,
        id: SchemaId,
        ctx: &ValueContext,
    ) -> Result<SBoxedStrategy<Negative>, Unsatisfiable> {
        if let Some(built) = self.negative.get(&(id, *ctx)) {
            return built.clone();
        }
        let built = self
            .strategy(id, ctx)
            .and_then(|positive| negative::negative_from(self.schemas, id, ctx, positive));
        self.negative.insert((id, *ctx), built.clone());
        built
    }
}

/// Whether `value` is a valid value of schema `id` in `ctx`'s direction, with the semantics of
/// [`Schemas::to_json_schema_for`] (formats asserted; an unsupported pattern is not checked).
pub fn is_valid(schemas: &Schemas, id: SchemaId, ctx: &ValueContext, value: &Value) -> bool {
    let src = check::Borrowed::new(schemas);
    check::Checker::new(&src, Some(ctx.direction)).valid(id, value)
}

/// The discriminator values that select `variant` (named `name` in the components): its
/// `mapping` entries, or else its component name (OpenAPI's implicit mapping). Empty when the
/// discriminator cannot name the variant (an inline schema without mapping).
pub(crate) fn discriminator_values(
    d: &Discriminator,
    variant: SchemaId,
    name: Option<&str>,
) -> Vec<String> {
    let mapped: Vec<String> = d
        .mapping
        .iter()
        .filter(|(_, target)| **target == variant)
        .map(|(value, _)| value.clone())
        .collect();
    if !mapped.is_empty() {
        return mapped;
    }
    name.map(|n| vec![n.to_string()]).unwrap_or_default()
}

#[cfg(test)]
mod tests;

//! Why a schema admits no value that trespass can generate.

use std::fmt;

/// What makes a schema unsatisfiable (or unsupported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnsatisfiableKind {
    /// The constraints contradict each other (`minimum > maximum`, an `allOf` of a string and
    /// an integer, a required property that `additionalProperties: false` forbids, ...).
    Contradiction,
    /// The schema is `false` or otherwise admits nothing.
    Never,
    /// A `pattern` uses a construct the generator does not support (lookaround,
    /// backreferences) or does not parse at all.
    UnsupportedPattern,
    /// Every value would nest deeper than the recursion budget allows.
    Recursion,
    /// The schema id does not belong to the arena.
    UnknownSchema,
    /// The schema admits every value, so there is no constraint for a negative value to
    /// break.
    Unconstrained,
}

impl fmt::Display for UnsatisfiableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnsatisfiableKind::Contradiction => "contradictory constraints",
            UnsatisfiableKind::Never => "admits no value",
            UnsatisfiableKind::UnsupportedPattern => "unsupported pattern",
            UnsatisfiableKind::Recursion => "recursion budget exhausted",
            UnsatisfiableKind::UnknownSchema => "unknown schema id",
            UnsatisfiableKind::Unconstrained => "nothing to violate",
        })
    }
}

/// A schema for which no positive value can be generated, with the place and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsatisfiable {
    /// The pointer of the schema at fault (`#/components/schemas/User/properties/age`).
    pub pointer: String,
    /// The category.
    pub kind: UnsatisfiableKind,
    /// A human sentence naming the constraint.
    pub reason: String,
}

impl Unsatisfiable {
    pub(crate) fn new(
        pointer: impl Into<String>,
        kind: UnsatisfiableKind,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            kind,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Unsatisfiable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "schema {} {}: {}", self.pointer, self.kind, self.reason)
    }
}

impl std::error::Error for Unsatisfiable {}

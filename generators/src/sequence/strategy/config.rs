//! [`SequenceConfig`] and [`PatternWeights`]: how long sequences get and how often each pattern
//! is chosen.

/// The aimed patterns, in the order of [`PatternWeights`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pattern {
    Cross,
    ForeignParent,
    AdminByNonAdmin,
    NoCredentials,
    MassAssignment,
    DeleteThenUse,
    Echo,
    ChangeThenObserve,
    Negative,
    Random,
}

/// Relative weights of the patterns (0 turns one off).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatternWeights {
    /// X obtains an object, another identity touches it. Default 30.
    pub cross_identity: u32,
    /// Another identity creates or lists children under X's parent object. Default 10.
    pub foreign_parent: u32,
    /// A non-admin calls an admin operation. Default 10.
    pub admin_by_non_admin: u32,
    /// A secured operation with no or invalid credentials. Default 10.
    pub no_credentials: u32,
    /// A create or update carrying read-only or privileged fields. Default 10.
    pub mass_assignment: u32,
    /// A delete followed by a use of the deleted object. Default 10.
    pub delete_then_use: u32,
    /// A plain random step whose preconditions hold. Default 20.
    pub random: u32,
    /// A step whose query parameter or body field takes a value from an earlier response
    /// (`?status=` from an order's `status`, a search `q` from a title, a `userId` from a
    /// `User`'s `id`), sometimes sent twice. Default 10.
    pub echo: u32,
    /// X changes its object (an update or an action such as `/cancel`), then reads it back,
    /// and another identity lists that kind. Default 10.
    pub change_then_observe: u32,
    /// A step whose body breaks exactly one constraint of its schema. Default 5.
    pub negative: u32,
}

impl Default for PatternWeights {
    fn default() -> Self {
        Self {
            cross_identity: 30,
            foreign_parent: 10,
            admin_by_non_admin: 10,
            no_credentials: 10,
            mass_assignment: 10,
            delete_then_use: 10,
            random: 20,
            echo: 10,
            change_then_observe: 10,
            negative: 5,
        }
    }
}

impl PatternWeights {
    pub(super) fn table(&self) -> [(Pattern, u32); 10] {
        [
            (Pattern::Cross, self.cross_identity),
            (Pattern::ForeignParent, self.foreign_parent),
            (Pattern::AdminByNonAdmin, self.admin_by_non_admin),
            (Pattern::NoCredentials, self.no_credentials),
            (Pattern::MassAssignment, self.mass_assignment),
            (Pattern::DeleteThenUse, self.delete_then_use),
            (Pattern::Random, self.random),
            (Pattern::Echo, self.echo),
            (Pattern::ChangeThenObserve, self.change_then_observe),
            (Pattern::Negative, self.negative),
        ]
    }
}

/// Limits and weights of [`SequenceStrategy`](super::SequenceStrategy).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SequenceConfig {
    /// Most steps in one sequence. Default 16.
    pub max_steps: usize,
    /// Most moves (patterns) in one sequence; each adds one to a few steps. Default 4.
    pub max_moves: usize,
    /// Pattern weights.
    pub weights: PatternWeights,
    /// The chance (0 to 1) that a generated argument whose schema admits attack payloads
    /// (a path or query parameter, or a body with a free string somewhere) carries one; see
    /// [`crate::values::attack`]. Default [`SequenceConfig::DEFAULT_ATTACK_RATE`]; 0 turns
    /// payloads off.
    pub attack_rate: f64,
    /// The longest string of the long (ReDoS) family, where `maxLength` allows more. Default
    /// [`crate::values::attack::DEFAULT_LONG_CAP`].
    pub long_cap: usize,
}

impl SequenceConfig {
    /// The default of [`SequenceConfig::attack_rate`].
    pub const DEFAULT_ATTACK_RATE: f64 = 0.1;

    /// The same configuration with another attack rate (clamped to 0..=1; not a number is 0).
    #[must_use]
    pub fn with_attack_rate(mut self, rate: f64) -> Self {
        self.attack_rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self
    }

    /// The attack rate in millionths, as the generator draws it.
    pub(super) fn attack_millionths(&self) -> usize {
        (self.attack_rate.clamp(0.0, 1.0) * 1_000_000.0).round() as usize
    }
}

impl Default for SequenceConfig {
    fn default() -> Self {
        Self {
            max_steps: 16,
            max_moves: 4,
            weights: PatternWeights::default(),
            attack_rate: Self::DEFAULT_ATTACK_RATE,
            long_cap: crate::values::attack::DEFAULT_LONG_CAP,
        }
    }
}

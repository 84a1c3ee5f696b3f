//! What a value is generated for: its direction and its depth budget.

/// Whether a value travels to the server or comes back from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Direction {
    /// Sent by the client: `readOnly` properties are left out (and are not required).
    #[default]
    Request,
    /// Sent by the server: `writeOnly` properties are left out (and are not required).
    Response,
}

impl Direction {
    /// Whether a property with these annotations is left out in this direction.
    pub(crate) fn excludes(self, read_only: bool, write_only: bool) -> bool {
        match self {
            Direction::Request => read_only,
            Direction::Response => write_only,
        }
    }
}

/// Options of [`crate::values::strategy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ValueContext {
    /// The direction; see [`Direction`].
    pub direction: Direction,
    /// How many levels of objects and arrays are generated with optional content. Below this
    /// depth only what the schema requires is generated (required properties, `minItems`
    /// items), so recursive schemas terminate. Default 4.
    pub max_depth: u32,
}

impl Default for ValueContext {
    fn default() -> Self {
        Self::request()
    }
}

impl ValueContext {
    /// Default depth budget.
    pub const DEFAULT_MAX_DEPTH: u32 = 4;

    /// A request value (readOnly left out) with the default depth.
    pub fn request() -> Self {
        Self {
            direction: Direction::Request,
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }

    /// A response value (writeOnly left out) with the default depth.
    pub fn response() -> Self {
        Self {
            direction: Direction::Response,
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }

    /// The same context with another depth budget.
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Whether a property with these annotations is left out in this direction.
    pub fn excludes(&self, read_only: bool, write_only: bool) -> bool {
        self.direction.excludes(read_only, write_only)
    }
}

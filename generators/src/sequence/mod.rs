//! Stateful request sequences across identities: the step types, the reference state machine
//! that generates them ([`SequenceStrategy`]) and the shrinking tree ([`SequenceTree`]).

mod arg_values;
pub use arg_values::fills_path_segment;
mod catalog;
pub use catalog::ACCOUNT_SEGMENTS;
mod select;
mod state;
mod step;
mod strategy;
mod tree;

pub use select::{Selection, parse_pattern, select};
pub use step::{
    Arg, Args, AuthMode, BodyArg, BodyRef, IdentityId, IdentitySpec, Ref, RefSource, Role,
    Sequence, Step,
};
pub use strategy::{PatternWeights, SequenceConfig, SequenceStrategy};
pub use tree::SequenceTree;

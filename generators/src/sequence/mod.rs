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
pub use strategy::{Extension, PatternWeights, SequenceConfig, SequenceStrategy};
pub use tree::SequenceTree;

/// Warnings for the operations the generators never send because a required parameter or the
/// required body admits no value they can produce: at the operation's place in the spec
/// (`#/paths/~1users/get`), naming the schema and the reason. `trespass spec` lists them with
/// the loader's warnings.
pub fn skipped_operations(model: &crate::model::ApiModel) -> Vec<crate::model::Warning> {
    catalog::Catalog::new(model)
        .skipped()
        .map(|(op, why)| crate::model::Warning {
            pointer: format!(
                "#/paths/{}/{}",
                crate::pointer::escape(op.path()),
                op.method().to_ascii_lowercase()
            ),
            message: format!("operation {op} skipped: {why}"),
        })
        .collect()
}

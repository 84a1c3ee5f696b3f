//! The integration tests of `trespass-generators`, one module per topic, linked into one test
//! binary (one link instead of one per file). `common` says where the spec files are.
//!
//! Run one topic with a filter: `cargo test -p trespass-generators --test suite loader_refs::`.

mod common;

mod demo_specs;
mod infer_idioms;
mod infer_large;
mod loader_never_panics;
mod loader_openapiv3;
mod loader_refs;
mod loader_versions;
mod real_census;
mod real_specs;
mod sequence_extend;
mod sequence_labels;
mod sequence_patterns;
mod sequence_select;
mod sequence_shrink;
mod synthetic;
mod values_negative;
mod values_validity;

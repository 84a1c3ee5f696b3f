//! Spec loading, the API model, value strategies and stateful sequence strategies of trespass.
//!
//! ```
//! let model = trespass_generators::spec::load_str(
//!     "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n      responses:\n        '200': {description: ok}\n",
//!     "inline.yaml",
//! )
//! .unwrap();
//! assert_eq!(model.operations[0].id.as_str(), "GET /ping");
//! ```

#![warn(missing_docs)]

pub mod deps;
pub mod errors;
pub mod fuzz;
pub mod model;
pub mod pointer;
pub mod sequence;
pub mod spec;
pub mod summary;
pub mod values;

pub use errors::{SpecError, SpecErrorKind};
pub use model::ApiModel;
pub use spec::{LoadOptions, load_file, load_str};

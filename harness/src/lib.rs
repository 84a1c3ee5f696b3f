//! trespass finds business-logic and authorization bugs in HTTP APIs from their OpenAPI spec.
//!
//! It loads the spec, derives stateful request sequences across several identities, replays
//! them against the target, and judges every trace with invariant oracles (BOLA, BFLA,
//! ignored authentication, mass assignment, use after delete, conformance, server errors).
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `TRESPASS_LOG` | log filter for stderr (`info`, `debug`, `trespass=trace`, ...) | `info` |

#![warn(missing_docs)]

pub mod api;
pub mod artifact;
pub mod campaign;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod errors;
pub mod exec;
pub mod exit_codes;
pub mod finding;
pub mod http;
pub mod identity;
pub mod oracle;
pub mod redact;
pub mod reproduce;
pub mod seeded;
pub mod shrink;

pub use api::{Harness, Outcome};

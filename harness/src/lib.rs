//! trespass finds business-logic and authorization bugs in HTTP APIs from their OpenAPI spec.
//!
//! It loads the spec, derives stateful request sequences across several identities, replays
//! them against the target, and judges every trace with invariant oracles (BOLA, BFLA,
//! ignored authentication, mass assignment, use after delete, conformance, server errors).
//!
//! # Environment variables
//!
//! Every `TRESPASS_*` variable trespass reads. The CLI flags and the [`Harness`] builder win
//! over them, except that in the `cargo test` API `TRESPASS_SEED` and `TRESPASS_CASES` win over
//! `.seed()` and `.cases()` (see [`config`]). An unknown `TRESPASS_*` name is warned about; a
//! malformed value is an error naming the variable.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `TRESPASS_CASES` | number of generated sequences (cases) to run | 100 |
//! | `TRESPASS_SEED` | seed of the generators; the same seed gives the same cases | random, printed |
//! | `TRESPASS_DURATION` | wall-clock budget (`250ms`, `30s`, `5m`, `1h`); the run stops at whichever of it and the cases comes first | none |
//! | `TRESPASS_WORKERS` | sequences run concurrently (at least 1) | 2 |
//! | `TRESPASS_MAX_SHRINK_TIME` | time budget for shrinking one finding | 60 s |
//! | `TRESPASS_SHRINK_SHARE` | with a duration: percentage of it shrinking may use in all, across findings | 25 |
//! | `TRESPASS_CONFIRMATIONS` | replays of a shrunk finding that must all show it, else it is flaky | 3 |
//! | `TRESPASS_REQUEST_TIMEOUT` | time allowed for one request | 10 s |
//! | `TRESPASS_SLOW_THRESHOLD` | answers slower than this are reported by `slow-response` | 5 s |
//! | `TRESPASS_MAX_BODY_BYTES` | response bodies are cut at this many bytes | 1 MiB |
//! | `TRESPASS_LOG` | log filter for stderr, read by the binary (`info`, `debug`, `trespass=trace`, ...) | `info` |
//!
//! The reproducers written beside each finding read their own variables (`BASE_URL`,
//! `TRESPASS_PASSWORD_<ID>`, `TRESPASS_TOKEN_<ID>`, `TRESPASS_RESET`, `TRESPASS_BASE_URL`, ...):
//! see `docs/findings.md`; trespass itself never reads them.

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
pub mod interrupt;
pub mod oracle;
pub mod redact;
pub mod reproduce;
pub mod seeded;
pub mod shrink;

pub use api::{Harness, Outcome};

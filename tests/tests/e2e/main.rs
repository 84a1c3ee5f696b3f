//! End-to-end tests: one binary, one module per area.

mod artifacts;
mod cli;
mod conformance;
mod coverage;
mod fuzz;
mod replay;
mod resets;
mod shrink;
mod snapshots;

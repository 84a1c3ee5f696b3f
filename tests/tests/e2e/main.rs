//! End-to-end tests: one binary, one module per area.

mod artifacts;
mod cli;
mod fuzz;
mod replay;
mod shrink;

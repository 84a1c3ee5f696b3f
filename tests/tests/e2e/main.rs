//! End-to-end tests: one binary, one module per area.

mod artifacts;
mod cli;
mod conformance;
mod content;
mod coverage;
mod demos;
mod fuzz;
mod gate;
mod hostile;
mod init;
mod inputs;
mod replay;
mod reports;
mod resets;
mod selection;
mod shared;
mod shrink;
mod skips;
mod snapshots;
mod target_cmd;

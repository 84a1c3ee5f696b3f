//! End-to-end tests: one binary, one module per area.

mod artifacts;
mod auth;
mod cli;
mod conformance;
mod content;
mod coverage;
mod demos;
mod feedback;
mod fuzz;
mod gate;
mod hostile;
mod init;
mod inputs;
mod recipes;
mod replay;
mod reports;
mod resets;
mod resume;
mod selection;
mod shards;
mod shared;
mod shrink;
mod skips;
mod snapshots;
mod target_cmd;

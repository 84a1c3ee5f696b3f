//! The `trespass` command line. The binary's `main` only calls [`main_impl`], so the test
//! crate can build an identical binary of its own.

mod args;
mod demo;
mod fuzz;
mod replay;
mod sample;
mod spec;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

use crate::exit_codes;

/// An error the CLI expects and reports without a backtrace: a sentence and an exit code.
#[derive(Debug)]
pub struct ExpectedError {
    message: String,
    code: u8,
}

impl ExpectedError {
    /// A usage or input error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: exit_codes::USAGE,
        }
    }

    /// The exit code this error ends the process with.
    pub fn process_exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for ExpectedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExpectedError {}

/// Parses the process arguments, runs the command and returns its exit code.
pub fn main_impl() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit_codes::USAGE
            } else {
                exit_codes::OK
            });
        }
    };
    init_logging();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.process_exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<u8, ExpectedError> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Fuzz(args) => fuzz::run(args),
        Command::Spec(args) => spec::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Replay(args) => replay::run(args),
    }
}

/// One subscriber for the whole process: stderr only, filtered by `TRESPASS_LOG` (default
/// `info`). stdout is kept for results.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("TRESPASS_LOG") {
        Ok(spec) => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!("warning: ignoring invalid TRESPASS_LOG={spec:?}: {e}");
            EnvFilter::new("info")
        }),
        Err(_) => EnvFilter::new("info"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

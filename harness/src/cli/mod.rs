//! The `trespass` command line. The binary's `main` only calls [`main_impl`], so the test
//! crate can build an identical binary of its own.

mod args;
mod demo;
mod explain;
mod fuzz;
mod init;
mod merge;
mod replay;
mod sample;
mod shrink;
mod spec;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

use trespass_generators::model::ApiModel;
use trespass_generators::spec::LoadOptions;

use crate::exit_codes;

/// An error the CLI expects and reports without a backtrace: a sentence, an exit code, and
/// optionally the error that caused it, whose chain is printed under "Caused by:".
#[derive(Debug)]
pub struct ExpectedError {
    message: String,
    code: u8,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ExpectedError {
    /// A usage or input error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: exit_codes::USAGE,
            source: None,
        }
    }

    /// A usage or input error that is `error`: its text is the message and `error` the source,
    /// so its chain is printed (what the message already says is not repeated). Replaces
    /// `ExpectedError::usage(e.to_string())`, which loses the chain.
    pub fn wrap(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::usage(error.to_string()).caused_by(error)
    }

    /// The same error, caused by `source` (kept, not flattened into the message).
    pub fn caused_by(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
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

impl std::error::Error for ExpectedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `error: MESSAGE`, then (as anyhow's `{:?}`) a "Caused by:" paragraph with each source of
/// the chain on its own indented line, numbered when there are several. A source whose text
/// the line before already ends with (`cannot read x: No such file`) is not repeated.
pub(crate) fn error_report(error: &dyn std::error::Error) -> String {
    let mut out = format!("error: {error}");
    let mut causes: Vec<String> = Vec::new();
    let mut last = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !last.ends_with(&text) {
            causes.push(text.clone());
        }
        last = text;
        source = cause.source();
    }
    if !causes.is_empty() {
        out.push_str("\n\nCaused by:");
        let numbered = causes.len() > 1;
        for (i, cause) in causes.iter().enumerate() {
            if numbered {
                out.push_str(&format!("\n    {i}: {cause}"));
            } else {
                out.push_str(&format!("\n    {cause}"));
            }
        }
    }
    out
}

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
    let mut options = LoadOptions::default();
    options.allowed_ref_dirs = cli.allow_ref_dir.clone();
    let _ = LOAD_OPTIONS.set(options);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{}", error_report(&e));
            ExitCode::from(e.process_exit_code())
        }
    }
}

/// How every command loads specs (from the global options, e.g. `--allow-ref-dir`).
static LOAD_OPTIONS: std::sync::OnceLock<LoadOptions> = std::sync::OnceLock::new();

/// Loads the spec at `path` as the command line asked.
pub(crate) fn load_spec(path: &std::path::Path) -> Result<ApiModel, ExpectedError> {
    let options = LOAD_OPTIONS.get().cloned().unwrap_or_default();
    trespass_generators::spec::load_file_with(path, &options).map_err(ExpectedError::wrap)
}

/// The load options of this run (for commands that time the load themselves).
pub(crate) fn load_options() -> LoadOptions {
    LOAD_OPTIONS.get().cloned().unwrap_or_default()
}

fn run(cli: Cli) -> Result<u8, ExpectedError> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Fuzz(args) => fuzz::run(*args),
        Command::Spec(args) => spec::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Shrink(args) => shrink::run(args),
        Command::Init(args) => init::run(args),
        Command::Merge(args) => merge::run(args),
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
    // Colour codes only for a terminal: logs redirected to a file stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Layer {
        text: &'static str,
        #[source]
        source: Option<Box<Layer>>,
    }

    fn chain(texts: &[&'static str]) -> Option<Box<Layer>> {
        texts
            .iter()
            .rev()
            .fold(None, |source, text| Some(Box::new(Layer { text, source })))
    }

    #[test]
    fn errors_without_a_source_read_as_one_line() {
        let e = ExpectedError::usage("--workers must be at least 1");
        assert_eq!(error_report(&e), "error: --workers must be at least 1");
        assert_eq!(e.process_exit_code(), exit_codes::USAGE);
    }

    #[test]
    fn sources_are_listed_under_caused_by() {
        let one = ExpectedError::usage("cannot load the spec")
            .caused_by(*chain(&["no such file"]).unwrap());
        assert_eq!(
            error_report(&one),
            "error: cannot load the spec\n\nCaused by:\n    no such file"
        );
        let two = ExpectedError::usage("cannot load the spec")
            .caused_by(*chain(&["cannot read spec.yaml", "permission denied"]).unwrap());
        assert_eq!(
            error_report(&two),
            "error: cannot load the spec\n\nCaused by:\n    0: cannot read spec.yaml\n    1: permission denied"
        );
    }

    #[test]
    fn wrapped_errors_read_as_before_and_add_their_chain() {
        let io = std::io::Error::other("permission denied");
        let file = crate::errors::IdentityFileError {
            file: "ids.toml".into(),
            line: None,
            kind: crate::errors::IdentityFileErrorKind::Io(io),
        };
        let text = file.to_string();
        assert_eq!(
            error_report(&ExpectedError::wrap(file)),
            format!("error: {text}")
        );
        let e = ExpectedError::wrap(*chain(&["cannot load the spec", "no such file"]).unwrap());
        assert_eq!(
            error_report(&e),
            "error: cannot load the spec\n\nCaused by:\n    no such file"
        );
    }

    #[test]
    fn a_source_already_in_the_message_is_not_repeated() {
        let e = ExpectedError::usage("cannot read spec.yaml: permission denied")
            .caused_by(*chain(&["permission denied", "os error 13"]).unwrap());
        assert_eq!(
            error_report(&e),
            "error: cannot read spec.yaml: permission denied\n\nCaused by:\n    os error 13"
        );
    }
}

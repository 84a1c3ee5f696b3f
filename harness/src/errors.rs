//! Library errors of the harness, with the place they come from.

use std::path::PathBuf;

/// An identities-and-policy file that cannot be used: names the file, the line and the key.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {kind}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct IdentityFileError {
    /// The file (or a name given for in-memory text).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    #[source]
    pub kind: IdentityFileErrorKind,
}

/// What is wrong with an identities file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityFileErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[source] std::io::Error),
    /// Not valid TOML, or not the expected shape.
    #[error("{0}")]
    Syntax(String),
    /// `${VAR}` names an environment variable that is not set.
    #[error("`{key}` uses ${{{var}}}, but the environment variable {var} is not set")]
    MissingEnv {
        /// Dotted key path (`identity[0].auth.bearer`).
        key: String,
        /// The variable's name.
        var: String,
    },
    /// A value that parses but makes no sense.
    #[error("`{key}`: {message}")]
    Invalid {
        /// Dotted key path.
        key: String,
        /// The sentence.
        message: String,
    },
    /// A `[[resource]]` table that does not fit the spec: an operation pattern that matches
    /// nothing, a key parameter the kind's operations do not take, an unknown parent kind.
    #[error("`{key}`: {message}")]
    Declaration {
        /// Dotted key path (`resource[0].read[1]`).
        key: String,
        /// The sentence, with the closest match when one is near.
        message: String,
    },
}

/// The executor cannot run at all (as opposed to a request that fails, which is recorded).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The base URL cannot be used.
    #[error("base URL `{url}` cannot be used: {reason}")]
    BadBaseUrl {
        /// The URL given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

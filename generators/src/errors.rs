//! Errors of spec loading: the file, the JSON pointer inside it and a human sentence.

use std::fmt;

use thiserror::Error;

/// A spec that could not be loaded.
///
/// Displays as `<file>: <pointer>: <sentence>` (the pointer is omitted when the problem is the
/// file as a whole), for example
/// `api.yaml: /paths/~1users/get/responses: expected a mapping of status codes, found a list`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", self.render())]
pub struct SpecError {
    /// The file the problem is in (the name given to `load_str` for in-memory text).
    pub file: String,
    /// JSON pointer to the place (`/paths/~1users/get`); empty for the whole document.
    pub pointer: String,
    /// What is wrong.
    pub kind: SpecErrorKind,
}

impl SpecError {
    /// A new error.
    pub fn new(file: impl Into<String>, pointer: impl Into<String>, kind: SpecErrorKind) -> Self {
        Self {
            file: file.into(),
            pointer: pointer.into(),
            kind,
        }
    }

    fn render(&self) -> String {
        if self.pointer.is_empty() {
            format!("{}: {}", self.file, self.kind)
        } else {
            format!("{}: {}: {}", self.file, self.pointer, self.kind)
        }
    }
}

/// What is wrong with a spec.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SpecErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The text is neither valid JSON nor valid YAML.
    #[error("not valid {format} at line {line}, column {column}: {message}")]
    Syntax {
        /// `JSON` or `YAML`.
        format: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The document is not an OpenAPI or Swagger document.
    #[error("{0}")]
    NotOpenApi(String),
    /// An `openapi`/`swagger` version this loader does not know.
    #[error("unsupported version `{0}` (supported: Swagger 2.0, OpenAPI 3.0.x and 3.1.x)")]
    UnsupportedVersion(String),
    /// A value of the wrong shape.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the spec format requires here.
        expected: String,
        /// What the document has (`a list`, `the string "abc"`, ...).
        found: String,
    },
    /// A required field is absent.
    #[error("the required field `{0}` is missing")]
    MissingField(String),
    /// A `$ref` to a remote URL: trespass never fetches from the network.
    #[error(
        "`$ref: {0}` points to a remote URL; trespass does not fetch over the network \
         (download the file and refer to it by a relative path)"
    )]
    RemoteRef(String),
    /// A `$ref` whose target does not exist.
    #[error("`$ref: {reference}` cannot be resolved: {reason}")]
    UnresolvedRef {
        /// The reference as written.
        reference: String,
        /// Why (file missing, pointer missing, ...).
        reason: String,
    },
    /// A chain of `$ref`s that loops without reaching a value.
    #[error("`$ref: {0}` is part of a reference cycle that never reaches a value")]
    RefCycle(String),
    /// A chain of more `$ref`s than the loader follows (no cycle, but absurdly long).
    #[error("a chain of more than {0} `$ref`s without reaching a value")]
    RefChainTooLong(usize),
    /// Any other invalid content.
    #[error("{0}")]
    Invalid(String),
}

/// A short description of a JSON value's type, for messages (`a list`, `the number 3`).
pub(crate) fn describe(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            if short.len() < s.len() {
                format!("the string \"{short}...\"")
            } else {
                format!("the string \"{short}\"")
            }
        }
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// Adapter so a `SpecError` can be shown without its file (for warnings that already carry a
/// pointer).
pub(crate) struct KindOnly<'a>(pub &'a SpecErrorKind);

impl fmt::Display for KindOnly<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_pointer_and_sentence() {
        let e = SpecError::new(
            "api.yaml",
            "/paths/~1users",
            SpecErrorKind::RemoteRef("https://x.invalid/a.yaml".into()),
        );
        let text = e.to_string();
        assert!(text.starts_with("api.yaml: /paths/~1users: `$ref: https://x.invalid/a.yaml`"));
        let whole = SpecError::new("api.yaml", "", SpecErrorKind::Io("gone".into()));
        assert_eq!(whole.to_string(), "api.yaml: cannot read the file: gone");
    }
}

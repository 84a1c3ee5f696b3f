//! A string that never prints.

use std::fmt;

/// A credential (token, password, API key, a login body). `Debug` and `Display` print
/// `[redacted]`; the value is reachable only through [`Secret::expose`], so it cannot slip into
/// a log by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret<T = String>(T);

impl<T> Secret<T> {
    /// The credential itself, for the one place that must send it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl Secret<String> {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
}

impl Secret<serde_json::Value> {
    /// Wraps a JSON value that holds credentials (a login body).
    pub fn json(value: serde_json::Value) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2");
    }
}

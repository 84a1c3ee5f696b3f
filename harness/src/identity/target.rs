//! The `[target]` section of the identities file: how to reset the target and how to start it.

/// How to treat the target.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TargetConfig {
    /// Run between sequences to restore a known state, when given.
    pub reset: Option<Reset>,
    /// How many times a failed reset is tried in all (with growing pauses) before the case is
    /// given up: [`DEFAULT_RESET_ATTEMPTS`] unless `[target] reset_attempts` says otherwise.
    pub reset_attempts: u32,
    /// The shell command that starts one instance of the target on the port that replaces
    /// `{port}` (`[target] command`): `trespass fuzz` starts one per worker.
    pub command: Option<String>,
}

impl Default for TargetConfig {
    fn default() -> Self {
        Self {
            reset: None,
            reset_attempts: DEFAULT_RESET_ATTEMPTS,
            command: None,
        }
    }
}

/// Where the port of an instance goes in a target command.
pub const PORT_PLACEHOLDER: &str = "{port}";

/// Why `command` cannot start a target (empty, or no `{port}`), if it cannot.
pub fn check_target_command(command: &str) -> Result<(), String> {
    if command.trim().is_empty() {
        return Err("the command is empty".to_string());
    }
    if !command.contains(PORT_PLACEHOLDER) {
        return Err(format!(
            "the command has no `{PORT_PLACEHOLDER}`: trespass picks a free port for every \
             instance and puts it there (`my-api --port {PORT_PLACEHOLDER}`)"
        ));
    }
    Ok(())
}

/// Tries of a failed reset before the case is given up, unless the identities file says.
pub const DEFAULT_RESET_ATTEMPTS: u32 = 3;

/// A target reset.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reset {
    /// Send a request without a body, e.g. `POST /__reset`.
    Request {
        /// HTTP method (uppercase).
        method: String,
        /// Path on the target.
        path: String,
    },
    /// Run a shell command (`sh -c`), which must exit 0.
    Command(String),
}

//! The target reset hook: a request or a shell command run to restore a known state, retried
//! with growing pauses when it fails (a service's seeding can be flaky).

use std::time::Duration;

use crate::exec::{HttpClient, Request};
use crate::identity::{Reset, TargetConfig};

/// How long a reset command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// The pause before the first retry; each later one is four times longer.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
/// The longest pause between two tries.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// Why a reset failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResetError {
    /// The reset request answered outside 2xx.
    #[error("reset `{method} {path}` answered {status}")]
    Status {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
        /// What it answered.
        status: u16,
    },
    /// The reset request got no HTTP answer.
    #[error("reset `{method} {path}` got no answer")]
    NoAnswer {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
    },
    /// The reset command ran too long.
    #[error("reset command `{command}` ran longer than {COMMAND_TIMEOUT:?}")]
    Timeout {
        /// The command.
        command: String,
    },
    /// The reset command could not start.
    #[error("reset command `{command}` could not start: {reason}")]
    Start {
        /// The command.
        command: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The reset command exited non-zero.
    #[error("reset command `{command}` failed ({status}): {stderr}")]
    Exit {
        /// The command.
        command: String,
        /// Its exit status.
        status: String,
        /// What it wrote on stderr, trimmed.
        stderr: String,
    },
    /// Every try failed; the last error is the source.
    #[error("the target reset failed {attempts} times in a row; the last time: {last}")]
    Exhausted {
        /// Tries made.
        attempts: u32,
        /// The last try's error.
        #[source]
        last: Box<ResetError>,
    },
}

/// Runs the reset of `target` (if any) against the target of `client`, tried up to
/// `target.reset_attempts` times with pauses of 100 ms, 400 ms, 1.6 s … (at most 5 s) between
/// tries. Each failed try is logged at debug; the error names the last.
pub(crate) async fn reset_target(
    target: &TargetConfig,
    client: &HttpClient,
) -> Result<(), ResetError> {
    let Some(reset) = &target.reset else {
        return Ok(());
    };
    let attempts = target.reset_attempts.max(1);
    let mut pause = FIRST_PAUSE;
    let mut tried = 0;
    loop {
        tried += 1;
        match run_reset(reset, client).await {
            Ok(()) => return Ok(()),
            Err(e) if tried >= attempts => {
                return Err(if attempts == 1 {
                    e
                } else {
                    ResetError::Exhausted {
                        attempts,
                        last: Box::new(e),
                    }
                });
            }
            Err(e) => {
                tracing::debug!(try_number = tried, "{e}; trying again in {pause:?}");
                tokio::time::sleep(pause).await;
                pause = (pause * 4).min(MAX_PAUSE);
            }
        }
    }
}

/// Runs `reset` once against the target of `client`. A request must answer 2xx; a command
/// must exit 0.
async fn run_reset(reset: &Reset, client: &HttpClient) -> Result<(), ResetError> {
    match reset {
        Reset::Request { method, path } => {
            let request = Request::new(method.clone(), path.clone());
            let (outcome, _) = client.send(&request, &[], &[]).await;
            match outcome.status() {
                Some(status) if (200..300).contains(&status) => Ok(()),
                Some(status) => Err(ResetError::Status {
                    method: method.clone(),
                    path: path.clone(),
                    status,
                }),
                None => Err(ResetError::NoAnswer {
                    method: method.clone(),
                    path: path.clone(),
                }),
            }
        }
        Reset::Command(command) => {
            let child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .kill_on_drop(true)
                .output();
            match tokio::time::timeout(COMMAND_TIMEOUT, child).await {
                Err(_) => Err(ResetError::Timeout {
                    command: command.clone(),
                }),
                Ok(Err(e)) => Err(ResetError::Start {
                    command: command.clone(),
                    reason: e.to_string(),
                }),
                Ok(Ok(out)) if out.status.success() => Ok(()),
                Ok(Ok(out)) => Err(ResetError::Exit {
                    command: command.clone(),
                    status: out.status.to_string(),
                    stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                }),
            }
        }
    }
}

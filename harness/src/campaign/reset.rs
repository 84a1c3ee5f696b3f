//! The target reset hook: a request or a shell command run to restore a known state.

use std::time::Duration;

use crate::exec::{HttpClient, Request};
use crate::identity::Reset;

/// How long a reset command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `reset` against the target of `client`. A request must answer 2xx; a command must exit
/// 0. The error says which and why.
pub(crate) async fn run_reset(reset: &Reset, client: &HttpClient) -> Result<(), String> {
    match reset {
        Reset::Request { method, path } => {
            let request = Request::new(method.clone(), path.clone());
            let (outcome, _) = client.send(&request, &[], &[]).await;
            match outcome.status() {
                Some(status) if (200..300).contains(&status) => Ok(()),
                Some(status) => Err(format!("reset `{method} {path}` answered {status}")),
                None => Err(format!("reset `{method} {path}` got no answer")),
            }
        }
        Reset::Command(command) => {
            let child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .kill_on_drop(true)
                .output();
            match tokio::time::timeout(COMMAND_TIMEOUT, child).await {
                Err(_) => Err(format!(
                    "reset command `{command}` ran longer than {COMMAND_TIMEOUT:?}"
                )),
                Ok(Err(e)) => Err(format!("reset command `{command}` could not start: {e}")),
                Ok(Ok(out)) if out.status.success() => Ok(()),
                Ok(Ok(out)) => Err(format!(
                    "reset command `{command}` failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                )),
            }
        }
    }
}

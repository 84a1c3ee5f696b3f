//! `error-disclosure`: an answer shows a stack trace or a framework's debug page (a Python
//! traceback, Java or .NET stack frames, a Rust panic, the Werkzeug, Django or Rails debug
//! pages, PHP errors): the service tells a caller its code's inner workings.
//!
//! A conformance oracle, like `status-conformance`. 5xx answers are left to `server-error`,
//! whose message names the trace it saw, and answers to an attack payload that `injection`
//! reports are left to it: one bug, one finding. The cause is what the answer shows (`a Rust
//! panic`), so two kinds of trace on one operation are two findings.

use super::common::Dedup;
use super::content::step_stack_trace;
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};

/// The `error-disclosure` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorDisclosure;

impl ErrorDisclosure {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "error-disclosure";
}

impl Oracle for ErrorDisclosure {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for (step, status) in cx.trace.answered() {
            if status >= 500 {
                continue;
            }
            let Some(what) = step_stack_trace(step) else {
                continue;
            };
            if super::injection::shows_injection(cx, step).is_some() {
                continue;
            }
            let role = acting_role(step);
            out.push(Violation {
                oracle: Self::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) called {} and got {status} with {what} in the answer",
                    step.identity, step.op
                ),
                rule: "answers show no stack trace or debug page".into(),
                cause: Some(what.to_string()),
            });
        }
        out.finish()
    }
}

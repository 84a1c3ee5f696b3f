//! `slow-response`: an answer took longer than [`CheckContext::slow_threshold`] (default 5 s), a
//! hint of a catastrophic regular expression or unbounded work behind the operation.
//!
//! The time is the exchange's `elapsed`, from sending to the end of the body. A request that
//! timed out without an answer counts too when its wait exceeded the threshold: no answer at
//! all is the slowest answer.
//!
//! The executor's growth probes before a step that sends a long string, and a step whose growth
//! `redos` reports, are left to `redos`.

use std::time::Duration;

use super::common::Dedup;
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Received, TransportKind};

/// The `slow-response` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlowResponse;

impl SlowResponse {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "slow-response";
}

impl Oracle for SlowResponse {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        let threshold = cx.slow_threshold;
        for step in &cx.trace.steps {
            let elapsed = step.exchange.elapsed;
            if elapsed <= threshold {
                continue;
            }
            // Growth probes, and the steps whose growth shows a catastrophic pattern, are
            // `redos`'s to judge.
            if matches!(step.purpose, crate::exec::Purpose::Growth { .. })
                || super::redos::growth(cx, step).is_some()
            {
                continue;
            }
            let what = match &step.exchange.outcome {
                Received::Response(r) => format!("answered {} after {}", r.status, ms(elapsed)),
                Received::Error {
                    kind: TransportKind::Timeout,
                    ..
                } => {
                    format!("timed out after {} without an answer", ms(elapsed))
                }
                // A refused connection or a reset is not slowness, however long it took.
                Received::Error { .. } => continue,
            };
            let role = acting_role(step);
            out.push(Violation {
                oracle: SlowResponse::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) called {}, which {what}",
                    step.identity, step.op
                ),
                rule: format!("every answer arrives within {}", ms(threshold)),
                cause: None,
            });
        }
        out.finish()
    }
}

/// `1500 ms`, `12 ms`.
fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

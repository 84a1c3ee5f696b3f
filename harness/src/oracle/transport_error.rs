//! `transport-error`: the target broke an exchange instead of answering it: it closed or reset
//! the connection before answering, answered with something that is not HTTP, cut a body short
//! of its `Content-Length`, or sent the client round a redirect loop.
//!
//! What a crashing handler looks like from outside: the worker dies and drops the connection,
//! and no 5xx is ever sent. A refused connection (the target is not there) and a timeout
//! (judged by `slow-response`) are not this oracle's: they are counted in the summary by kind.
//! Like every finding it is confirmed by running the sequence again before it is reported, so a
//! connection lost once to the network does not become a finding.

use super::common::Dedup;
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Received, TransportKind};

/// The `transport-error` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransportError;

impl TransportError {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "transport-error";
}

impl Oracle for TransportError {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            let Received::Error { kind, .. } = &step.exchange.outcome else {
                continue;
            };
            if !kind.is_misbehaviour() {
                continue;
            }
            let role = acting_role(step);
            out.push(Violation {
                oracle: TransportError::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) called {}, and {}",
                    step.identity,
                    step.op,
                    what_happened(*kind)
                ),
                rule: "every request gets a whole HTTP answer".into(),
                cause: None,
            });
        }
        out.finish()
    }
}

/// The failure, as the end of a sentence.
fn what_happened(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Reset => "the target closed the connection without answering",
        TransportKind::Malformed => "the target answered with something that is not HTTP",
        TransportKind::Truncated => "the answer's body was cut short",
        TransportKind::Redirect => "the target redirected in a loop",
        TransportKind::Connect => "the target could not be reached",
        TransportKind::Timeout => "the target did not answer in time",
        _ => "the exchange failed",
    }
}

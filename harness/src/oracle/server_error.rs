//! `server-error`: the target answered with a 5xx status.
//!
//! Every step counts, verification re-reads included: a 5xx is a crash or an unhandled error
//! whoever caused it. An undeclared 5xx is reported here only; `status-conformance` leaves
//! 5xx statuses to this oracle so that one planted crash is one finding.
//!
//! 5xx answers of different causes are different findings: the [`fingerprint`] of the error
//! answer (status, content type, and its title with numbers, ids and quoted values taken out)
//! is the violation's cause, and a short hash of it is part of the signature
//! (`server-error POST /orders [user] #1a2b3c4d`).
//!
//! A 5xx answer to an attack payload that the same request with a plain value does not get
//! is `injection`'s finding and is not reported here. When the answer shows a stack trace or
//! a debug page, the message says so (`error-disclosure` leaves 5xx answers to this oracle).
//!
//! [`fingerprint`]: super::fingerprint

use trespass_generators::sequence::Role;

use super::common::Dedup;
use super::{CheckContext, Oracle, Violation};
use crate::exec::TraceStep;

/// The `server-error` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerError;

impl ServerError {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "server-error";
}

impl Oracle for ServerError {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        let mut identities: Vec<&str> =
            cx.trace.steps.iter().map(|s| s.identity.as_str()).collect();
        identities.sort_unstable();
        identities.dedup();
        for (step, status) in cx.trace.answered() {
            if !(500..600).contains(&status) {
                continue;
            }
            // A payload the server interpreted is `injection`'s finding, not a second one.
            if super::injection::shows_injection(cx, step).is_some() {
                continue;
            }
            let disclosed = super::content::step_stack_trace(step)
                .map(|what| format!(", with {what} in the answer"))
                .unwrap_or_default();
            let role = acting_role(step);
            let fingerprint = step
                .exchange
                .outcome
                .response()
                .map(|r| super::fingerprint::of_response(r, &identities));
            out.push(Violation {
                oracle: ServerError::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) called {} and got {status}{disclosed}",
                    step.identity, step.op
                ),
                rule: "the service never answers with a 5xx status".into(),
                cause: fingerprint,
            });
        }
        out.finish()
    }
}

/// The role a step acted with: the identity's, or `anonymous` when it sent no credentials or
/// made-up ones.
pub(super) fn acting_role(step: &TraceStep) -> Role {
    if step.authenticated() {
        step.role
    } else {
        Role::Anonymous
    }
}

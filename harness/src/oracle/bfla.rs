//! `bfla`: broken function-level authorization. A user, with its own credentials, gets 2xx on
//! an admin-only operation (by the spec's tags, paths, extensions, scopes, or the policy).
//!
//! Anonymous callers reaching an admin operation are `ignored-auth`'s to report; an identity
//! that escalated its own role earlier in the trace is `mass-assignment`'s.

use super::common::{Dedup, escalated_before, is_user_step};
use super::{CheckContext, Oracle, Verdict, Violation};
use crate::exec::TraceIndex;

/// The `bfla` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bfla;

impl Bfla {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "bfla";
}

impl Oracle for Bfla {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            if !is_user_step(step) || !step.succeeded() {
                continue;
            }
            let Verdict::Deny(rule) = cx.policy.may_call(step.role, &step.op) else {
                continue;
            };
            if escalated_before(cx, step.index).contains(&step.identity) {
                continue;
            }
            out.push(Violation {
                oracle: Bfla::NAME.into(),
                operation: step.op.clone(),
                roles: vec![step.role],
                step: step.index,
                message: format!(
                    "{} ({}) called {} and got {}",
                    step.identity,
                    step.role,
                    step.op,
                    step.status().unwrap_or_default()
                ),
                rule,
                cause: None,
            });
        }
        out.finish()
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        cx.trace
            .steps
            .iter()
            .filter(|s| {
                is_user_step(s) && matches!(cx.policy.may_call(s.role, &s.op), Verdict::Deny(_))
            })
            .map(|s| s.index)
            .collect()
    }
}

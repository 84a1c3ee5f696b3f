//! `status-conformance`: the target answered with a status the operation does not declare.
//!
//! A status is declared when the operation's responses list it exactly, by its range (`4XX`)
//! or through `default` ([`Operation::declares_status`]). 5xx statuses are left to
//! `server-error`, which reports every one of them: an undeclared 500 is one finding, not
//! two. An operation that declares no response at all gives nothing to judge against, and
//! stays silent.
//!
//! [`Operation::declares_status`]: trespass_generators::model::Operation::declares_status

use super::common::Dedup;
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};

/// The `status-conformance` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusConformance;

impl StatusConformance {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "status-conformance";
}

impl Oracle for StatusConformance {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for (step, status) in cx.trace.answered() {
            if status >= 500 {
                continue;
            }
            let Some(op) = cx.model.operation(&step.op) else {
                continue;
            };
            if op.responses.is_empty() || op.declares_status(status) {
                continue;
            }
            let declared: Vec<String> = op.responses.keys().map(ToString::to_string).collect();
            let role = acting_role(step);
            out.push(Violation {
                oracle: StatusConformance::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) called {} and got {status}, which the operation does not declare \
                     (it declares {})",
                    step.identity,
                    step.op,
                    declared.join(", ")
                ),
                rule: format!(
                    "{} answers only with the statuses its spec declares",
                    step.op
                ),
                cause: None,
            });
        }
        out.finish()
    }
}

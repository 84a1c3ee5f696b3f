//! `injection`: a value the server interprets. A step that sent an attack payload
//! ([`payload::classify`] recognises one among its path, query and body values) got a 5xx, or
//! an answer that carries a database or interpreter error (an SQL syntax error, a stack trace),
//! while the same request with plain values in place of the payloads, which the executor sends
//! right after it ([`crate::exec::Purpose::PlainTwin`]), got neither: the differential that
//! tells a payload the server executes from an operation that fails whatever it is sent.
//! A finding is confirmed by replaying it, like every other.
//!
//! The cause is the payload's family and where it went (`sql at query author`). A 5xx that
//! this oracle reports is not reported again by `server-error`, nor a trace by
//! `error-disclosure`: one bug, one finding.
//!
//! [`payload::classify`]: trespass_generators::values::payload::classify

use super::common::Dedup;
use super::content::{SentPayload, payloads_sent, step_error_marker};
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Purpose, TraceStep};

/// The `injection` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct Injection;

impl Injection {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "injection";
}

/// How a step's answer shows that its payload was interpreted: `500` or `400 with a
/// PostgreSQL syntax error`.
fn broken(step: &TraceStep) -> Option<String> {
    let status = step.status()?;
    match (status >= 500, step_error_marker(step)) {
        (_, Some(marker)) => Some(format!("{status} with {marker}")),
        (true, None) => Some(status.to_string()),
        (false, None) => None,
    }
}

/// The payload `step` sent and how its answer broke, when `step` shows an injection: a
/// sequence step with a payload whose answer broke while its plain twin's did not.
pub(crate) fn shows_injection(
    cx: &CheckContext<'_>,
    step: &TraceStep,
) -> Option<(SentPayload, String)> {
    if !matches!(step.purpose, Purpose::Sequence { .. }) {
        return None;
    }
    // The plain twin first: most steps have none, and it costs nothing to look (reading the
    // answers for error markers does).
    let twin = cx
        .trace
        .steps
        .iter()
        .find(|s| s.purpose == Purpose::PlainTwin { of: step.index })?;
    let how = broken(step)?;
    let payload = payloads_sent(step)
        .into_iter()
        .find(|p| p.family != trespass_generators::values::payload::Family::Long)?;
    (twin.status().is_some() && broken(twin).is_none()).then_some((payload, how))
}

impl Oracle for Injection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            let Some((payload, how)) = shows_injection(cx, step) else {
                continue;
            };
            let twin_status = cx
                .trace
                .steps
                .iter()
                .find(|s| s.purpose == Purpose::PlainTwin { of: step.index })
                .and_then(TraceStep::status)
                .unwrap_or_default();
            let role = acting_role(step);
            out.push(Violation {
                oracle: Self::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) sent the {} payload at {} and got {how}; the same request with \
                     a plain value got {twin_status}",
                    step.identity, payload.family, payload.at
                ),
                rule: "values are data: no payload changes how the service runs".into(),
                cause: Some(format!("{} at {}", payload.family, payload.at)),
            });
        }
        out.finish()
    }
}

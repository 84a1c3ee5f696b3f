//! `ignored-auth`: an operation with declared security answers 2xx to a request with no
//! credentials or made-up ones.

use trespass_generators::sequence::{AuthMode, Role};

use super::common::Dedup;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Purpose, TraceIndex};

/// The `ignored-auth` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct IgnoredAuth;

impl IgnoredAuth {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "ignored-auth";
}

impl Oracle for IgnoredAuth {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            if !matches!(step.purpose, Purpose::Sequence { .. }) || !step.succeeded() {
                continue;
            }
            let how = match (step.role, step.exchange.auth) {
                (_, AuthMode::Invalid) => "made-up credentials",
                (Role::Anonymous, _) | (_, AuthMode::None) => "no credentials",
                _ => continue,
            };
            let Some(rule) = cx.policy.security_rule(&step.op) else {
                continue;
            };
            out.push(Violation {
                oracle: IgnoredAuth::NAME.into(),
                operation: step.op.clone(),
                roles: vec![Role::Anonymous],
                step: step.index,
                message: format!(
                    "{} with {how} called {} and got {}",
                    step.identity,
                    step.op,
                    step.status().unwrap_or_default()
                ),
                rule: rule.to_string(),
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
                matches!(s.purpose, Purpose::Sequence { .. })
                    && (s.role == Role::Anonymous || s.exchange.auth != AuthMode::Normal)
                    && cx.policy.security_rule(&s.op).is_some()
            })
            .map(|s| s.index)
            .collect()
    }
}

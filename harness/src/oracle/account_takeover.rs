//! `account-takeover`: an identity changed another identity's credentials (its password or
//! email address) and the change took.
//!
//! Judged on the login checks the executor adds around a 2xx write by a non-admin that
//! carries a credential field and names another identity's account (see
//! [`crate::exec::LoginCheck`]). Fires when the writer's new value logs in as the account holder
//! ([`LoginCheck::Changed`] answers 2xx), or when the holder's configured credentials, which
//! logged in just before the write, no longer do ([`LoginCheck::Configured`] answers a 4xx).
//!
//! Silent when the API applied the change to the caller's own account instead (the holder's
//! credentials still work and the new value does not log in as the holder), when the write was
//! refused, when the writer is an admin, or when the holder's login failed before the write too.

use trespass_generators::sequence::Role;

use super::common::Dedup;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{LoginCheck, Purpose, TraceIndex, TraceStep};

/// The `account-takeover` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountTakeover;

impl AccountTakeover {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "account-takeover";
}

impl Oracle for AccountTakeover {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        // The new value logging in is the stronger evidence: reported first.
        for wanted in [LoginCheck::Changed, LoginCheck::Configured] {
            for step in &cx.trace.steps {
                let Purpose::LoginCheck { of, check } = step.purpose else {
                    continue;
                };
                if check == wanted
                    && let Some(v) = judge(cx, of, check, step)
                {
                    out.push(v);
                }
            }
        }
        out.finish()
    }

    fn judged(&self, cx: &CheckContext<'_>) -> Vec<TraceIndex> {
        // A non-admin's accepted write of another identity's credentials that the executor
        // checked with logins.
        let mut writes: Vec<TraceIndex> = cx
            .trace
            .steps
            .iter()
            .filter_map(|s| match s.purpose {
                Purpose::LoginCheck { of, .. } => cx
                    .trace
                    .at(of)
                    .filter(|w| w.succeeded() && w.role != Role::Admin && w.identity != s.identity)
                    .map(|w| w.index),
                _ => None,
            })
            .collect();
        writes.sort();
        writes.dedup();
        writes
    }
}

fn judge(
    cx: &CheckContext<'_>,
    of: TraceIndex,
    check: LoginCheck,
    login: &TraceStep,
) -> Option<Violation> {
    let write = cx.trace.at(of)?;
    if !write.succeeded() || write.role == Role::Admin || write.identity == login.identity {
        return None;
    }
    let before = |c: LoginCheck| {
        cx.trace
            .steps
            .iter()
            .find(|s| s.purpose == Purpose::LoginCheck { of, check: c })
    };
    let evidence = match check {
        LoginCheck::Changed if login.succeeded() => format!(
            "then {writer}'s new value logs in as {holder} through {login_op} ({status})",
            writer = write.identity,
            holder = login.identity,
            login_op = login.op,
            status = login.status()?,
        ),
        LoginCheck::Configured
            if matches!(login.status(), Some(400..=499))
                && before(LoginCheck::Before).is_some_and(TraceStep::succeeded) =>
        {
            format!(
                "then {holder}'s own credentials, which logged in before, are refused by \
                 {login_op} ({status})",
                holder = login.identity,
                login_op = login.op,
                status = login.status()?,
            )
        }
        _ => return None,
    };
    Some(Violation {
        oracle: AccountTakeover::NAME.into(),
        operation: write.op.clone(),
        roles: vec![write.role, login.role],
        step: write.index,
        message: format!(
            "{writer} ({role}) changed {holder}'s credentials through {op} ({status}), and {evidence}",
            writer = write.identity,
            role = write.role,
            holder = login.identity,
            op = write.op,
            status = write.status().unwrap_or_default(),
        ),
        rule: "only the account holder (or an admin) changes an account's credentials".into(),
        cause: None,
    })
}

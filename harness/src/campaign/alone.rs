//! A sequence with an exclusive operation on a shared endpoint runs alone there (see
//! [`super::exclusive`]): the other sequences finish theirs and wait. No reset comes before
//! it, since every alone sequence that may have disturbed the others is followed by one. One
//! follows it when an exclusive step went through (any answer but a `4xx`) or it lost an
//! identity; when the target refused every exclusive step, nothing the others rely on changed,
//! and they run again from its last exclusive step on.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use tokio::sync::{RwLockReadGuard, RwLockWriteGuard};
use trespass_generators::model::OperationId;
use trespass_generators::sequence::Sequence;

use super::Campaign;
use super::lane::Lane;
use super::worker::Shared;
use crate::exec::{Executor, RunResult, StepGate, StepIndex, TraceStep};

impl Campaign {
    /// Runs `sequence` alone on a shared `lane` (no other sequence in flight there). No reset
    /// comes before it: every alone sequence that may have disturbed the others is followed
    /// by one, so the accounts it needs are as they were. It is followed by one when it may
    /// have disturbed the others (see [`disturbing`]) or lost an identity. When the target
    /// refused every exclusive step, the other sequences run again from its last one on
    /// (the lock is downgraded: no other exclusive sequence can slip in meanwhile).
    pub(super) async fn run_alone(
        &self,
        lane: &Lane,
        executor: &Executor<'_>,
        case: u64,
        sequence: &Sequence,
        shared: &Shared,
    ) -> (RunResult, u32) {
        let last = sequence
            .steps
            .iter()
            .rposition(|s| self.exclusive.contains_key(&s.op));
        let mut alone = Alone::new(&self.exclusive, last, lane.alone().await);
        let flight = shared.in_flight.start(&*lane.gate);
        let run = executor.run_gated(sequence, &mut alone).await;
        let run = (run, flight.others());
        let lost = lane.sessions.take_lost();
        if lost.is_some() || alone.disturbed {
            shared.sharing.reset_after.fetch_add(1, Ordering::Relaxed);
            alone.regain(lane).await;
            self.reset_after(lane, case).await;
        }
        if let Some(lost) = lost {
            // Alone (or, after its last exclusive step, beside sequences that disturb nobody),
            // nothing but the sequence's own steps could have lost the identity: running it
            // again would lose it again.
            tracing::debug!(
                "case {case} lost `{}` while running alone (its own steps did): {}",
                lost.identity,
                lost.how
            );
        }
        run
    }
}

/// Whether an exchange in `sent` is of an exclusive operation and was not refused: answered
/// other than `4xx` (a success, a `5xx` that may have half-done it) or not answered whole.
/// A refused one changed nothing the other sequences rely on.
pub(super) fn disturbing(exclusive: &BTreeMap<OperationId, String>, sent: &[TraceStep]) -> bool {
    sent.iter().any(|step| {
        exclusive.contains_key(&step.op) && !step.status().is_some_and(|s| (400..500).contains(&s))
    })
}

/// The [`StepGate`] of a sequence that runs alone: it lets the others run again after its
/// last exclusive step when the target refused every one.
struct Alone<'l> {
    exclusive: &'l BTreeMap<OperationId, String>,
    /// The index of the sequence's last exclusive step.
    last: Option<usize>,
    alone: Option<RwLockWriteGuard<'l, ()>>,
    together: Option<RwLockReadGuard<'l, ()>>,
    /// An exclusive step went through.
    disturbed: bool,
}

impl<'l> Alone<'l> {
    /// The gate of a sequence whose last exclusive step is `last`, holding `alone`.
    fn new(
        exclusive: &'l BTreeMap<OperationId, String>,
        last: Option<usize>,
        alone: RwLockWriteGuard<'l, ()>,
    ) -> Self {
        Self {
            exclusive,
            last,
            alone: Some(alone),
            together: None,
            disturbed: false,
        }
    }
}

impl<'l> Alone<'l> {
    /// Holds `lane` alone again, if the sequence let the others in.
    async fn regain(&mut self, lane: &'l Lane) {
        if self.alone.is_none() {
            self.together = None;
            self.alone = Some(lane.alone().await);
        }
    }
}

impl StepGate for Alone<'_> {
    async fn after(&mut self, index: StepIndex, sent: &[TraceStep]) {
        self.disturbed |= disturbing(self.exclusive, sent);
        if !self.disturbed
            && self.last == Some(index.0)
            && let Some(alone) = self.alone.take()
        {
            self.together = Some(alone.downgrade());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::exec::TransportKind;
    use crate::oracle::testkit::{TraceBuilder, op, shop};

    const PATCH: &str = "PATCH /users/{userId}";

    fn exclusive() -> BTreeMap<OperationId, String> {
        [(
            op(PATCH),
            "changes or deletes an account (user)".to_string(),
        )]
        .into()
    }

    /// What sending `operation` as alice added to the trace, answered `status`.
    fn sent(operation: &str, status: u16) -> Vec<TraceStep> {
        let path = if operation == PATCH {
            vec![("userId", json!(1))]
        } else {
            Vec::new()
        };
        TraceBuilder::new(shop())
            .step("alice:user", operation, &path, None, status, json!({}))
            .trace()
            .steps
    }

    #[test]
    fn only_exclusive_steps_the_target_let_through_disturb() {
        let ex = exclusive();
        for status in [200, 204, 302, 500] {
            assert!(disturbing(&ex, &sent(PATCH, status)), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422] {
            assert!(!disturbing(&ex, &sent(PATCH, status)), "{status}");
        }
        let unanswered = TraceBuilder::new(shop())
            .step(
                "alice:user",
                PATCH,
                &[("userId", json!(1))],
                None,
                200,
                json!({}),
            )
            .no_answer(TransportKind::Timeout)
            .trace()
            .steps;
        assert!(disturbing(&ex, &unanswered), "no whole answer");
        assert!(!disturbing(&ex, &sent("GET /me", 200)), "not exclusive");
        assert!(!disturbing(&ex, &[]), "not sent");
    }

    #[tokio::test]
    async fn an_alone_sequence_lets_the_others_in_after_its_last_exclusive_step_is_refused() {
        let lock = tokio::sync::RwLock::new(());
        let ex = exclusive();
        // GET /me, PATCH (refused), GET /me.
        let mut alone = Alone::new(&ex, Some(1), lock.write().await);
        alone.after(StepIndex(0), &sent("GET /me", 200)).await;
        assert!(lock.try_read().is_err(), "alone up to its exclusive step");
        alone.after(StepIndex(1), &sent(PATCH, 403)).await;
        assert!(!alone.disturbed);
        assert!(lock.try_read().is_ok(), "the others run again");
        assert!(lock.try_write().is_err(), "but none alone");
        alone.after(StepIndex(2), &sent("GET /me", 200)).await;
        drop(alone);

        // PATCH (let through), GET /me: alone to the end.
        let mut alone = Alone::new(&ex, Some(0), lock.write().await);
        alone.after(StepIndex(0), &sent(PATCH, 200)).await;
        alone.after(StepIndex(1), &sent("GET /me", 200)).await;
        assert!(alone.disturbed);
        assert!(lock.try_read().is_err(), "alone to its end");
    }
}

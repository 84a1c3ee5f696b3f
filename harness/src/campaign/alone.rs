//! A sequence with an exclusive operation on a shared endpoint runs alone there (see
//! [`super::exclusive`]) from its first exclusive step on: it takes the endpoint's turn (no
//! other sequence can come to run alone meanwhile), runs its first steps together with the
//! others, then waits for them to finish theirs. No reset comes before it, since every alone
//! sequence that may have disturbed the others is followed by one. One follows it when an
//! exclusive step went through (any answer but a `4xx`) or it lost an identity; when the
//! target refused every exclusive step, nothing the others rely on changed, and they run again
//! from its last exclusive step on.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use trespass_generators::model::OperationId;
use trespass_generators::sequence::Sequence;

use super::Campaign;
use super::lane::{Lane, Turn};
use super::worker::Shared;
use crate::exec::{Executor, RunResult, StepGate, StepIndex, TraceStep};

impl Campaign {
    /// Runs `sequence` alone on a shared `lane` from its first exclusive step on (no other
    /// sequence in flight there; its steps before run beside the others', in the endpoint's
    /// turn, so no other can run alone and reset in between). No reset comes before it: every
    /// alone sequence that may have disturbed the others is followed by one, so the accounts
    /// it needs are as they were. It is followed by one when it may have disturbed the others
    /// (see [`disturbing`]) or lost an identity. When the target refused every exclusive step,
    /// the other sequences run again from its last one on (still in the turn: no other
    /// exclusive sequence can slip in meanwhile).
    pub(super) async fn run_alone(
        &self,
        lane: &Lane,
        executor: &Executor<'_>,
        case: u64,
        sequence: &Sequence,
        shared: &Shared,
    ) -> (RunResult, u32) {
        let mut alone = Alone::new(&self.exclusive, sequence, lane.turn().await);
        let flight = shared.in_flight.start(&*lane.gate);
        let run = executor.run_gated(sequence, &mut alone).await;
        let run = (run, flight.others());
        let lost = lane.sessions.take_lost();
        if lost.is_some() || alone.disturbed {
            shared.sharing.reset_after.fetch_add(1, Ordering::Relaxed);
            alone.turn.hold_alone().await;
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

/// The [`StepGate`] of a sequence that runs alone from its first exclusive step on: it holds
/// the endpoint alone from there, and lets the others run again after its last exclusive step
/// when the target refused every one.
struct Alone<'l> {
    exclusive: &'l BTreeMap<OperationId, String>,
    /// The index of the sequence's first exclusive step.
    first: Option<usize>,
    /// The index of the sequence's last exclusive step.
    last: Option<usize>,
    turn: Turn<'l>,
    /// An exclusive step went through.
    disturbed: bool,
}

impl<'l> Alone<'l> {
    /// The gate of `sequence`, in `turn`.
    fn new(
        exclusive: &'l BTreeMap<OperationId, String>,
        sequence: &Sequence,
        turn: Turn<'l>,
    ) -> Self {
        let is_exclusive = |s: &trespass_generators::sequence::Step| exclusive.contains_key(&s.op);
        Self {
            exclusive,
            first: sequence.steps.iter().position(is_exclusive),
            last: sequence.steps.iter().rposition(is_exclusive),
            turn,
            disturbed: false,
        }
    }
}

impl StepGate for Alone<'_> {
    async fn before(&mut self, index: StepIndex) {
        if self.first == Some(index.0) {
            self.turn.hold_alone().await;
        }
    }

    async fn after(&mut self, index: StepIndex, sent: &[TraceStep]) {
        self.disturbed |= disturbing(self.exclusive, sent);
        if !self.disturbed && self.last == Some(index.0) {
            self.turn.let_in();
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::campaign::lane::Gate;
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

    /// A sequence of `ops`, sent by alice.
    fn sequence(ops: &[&str]) -> Sequence {
        let steps: Vec<_> = ops
            .iter()
            .map(|op| json!({"identity": "alice", "op": op, "args": {}}))
            .collect();
        serde_json::from_value(json!({ "steps": steps })).expect("a sequence")
    }

    #[tokio::test]
    async fn an_alone_sequence_keeps_the_others_out_only_around_its_exclusive_steps() {
        let gate = Gate::default();
        let ex = exclusive();
        // GET /me, PATCH (refused), GET /me.
        let seq = sequence(&["GET /me", PATCH, "GET /me"]);
        let mut alone = Alone::new(&ex, &seq, Turn::together(&gate).await);
        alone.before(StepIndex(0)).await;
        assert!(gate.try_read(), "together up to its exclusive step");
        assert!(
            !gate.try_turn(),
            "but in the turn: none can come to run alone"
        );
        alone.after(StepIndex(0), &sent("GET /me", 200)).await;
        alone.before(StepIndex(1)).await;
        assert!(!gate.try_read(), "alone for its exclusive step");
        alone.after(StepIndex(1), &sent(PATCH, 403)).await;
        assert!(!alone.disturbed);
        assert!(gate.try_read(), "the others run again");
        assert!(!gate.try_turn(), "but none alone");
        alone.before(StepIndex(2)).await;
        alone.after(StepIndex(2), &sent("GET /me", 200)).await;
        drop(alone);
        assert!(gate.try_turn(), "the turn is given back");

        // PATCH (let through), GET /me: alone to the end.
        let seq = sequence(&[PATCH, "GET /me"]);
        let mut alone = Alone::new(&ex, &seq, Turn::together(&gate).await);
        alone.before(StepIndex(0)).await;
        alone.after(StepIndex(0), &sent(PATCH, 200)).await;
        alone.before(StepIndex(1)).await;
        alone.after(StepIndex(1), &sent("GET /me", 200)).await;
        assert!(alone.disturbed);
        assert!(!gate.try_read(), "alone to its end");
        alone.turn.hold_alone().await;
        assert!(!gate.try_read(), "still alone when held again");
    }

    #[tokio::test]
    async fn the_turn_waits_for_the_others_before_its_exclusive_step() {
        let gate = std::sync::Arc::new(Gate::default());
        let ex = exclusive();
        let seq = sequence(&["GET /me", PATCH]);
        let other = gate.read().await;
        let mut alone = Alone::new(&ex, &seq, Turn::together(&gate).await);
        alone.before(StepIndex(0)).await;
        let exclusive_step = alone.before(StepIndex(1));
        tokio::pin!(exclusive_step);
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), &mut exclusive_step);
        assert!(
            waited.await.is_err(),
            "an other sequence is still in flight"
        );
        drop(other);
        exclusive_step.await;
        assert!(!gate.try_read(), "alone once the other finished");
    }
}

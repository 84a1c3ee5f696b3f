//! What happened when a sequence ran: every exchange, with the step it came from.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{IdentityId, Role};

use super::reject::RejectReason;
use crate::http::Exchange;

/// The position of a step in a generated sequence (`Sequence::steps`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct StepIndex(pub usize);

/// The position of a step in a [`Trace`]: the sequence's steps plus the reads the executor
/// adds around other identities' writes, so it is not the [`StepIndex`] of the same request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct TraceIndex(pub usize);

impl std::fmt::Display for StepIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for TraceIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The exchanges of one sequence run, in order, with the steps the executor added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Every step sent, in order.
    pub steps: Vec<TraceStep>,
    /// Set when the run stopped early because a step could not be sent (see [`Reject`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject: Option<Reject>,
}

impl Trace {
    /// The trace step that ran sequence step `index`.
    pub fn for_sequence_step(&self, index: StepIndex) -> Option<&TraceStep> {
        self.steps
            .iter()
            .find(|s| s.purpose == Purpose::Sequence { step: index })
    }

    /// The step at `index`.
    pub fn at(&self, index: TraceIndex) -> Option<&TraceStep> {
        self.steps.get(index.0)
    }

    /// The index the next step pushed will have.
    pub fn next_index(&self) -> TraceIndex {
        TraceIndex(self.steps.len())
    }

    /// Steps that answered with an HTTP status.
    pub fn answered(&self) -> impl Iterator<Item = (&TraceStep, u16)> {
        self.steps
            .iter()
            .filter_map(|s| s.exchange.outcome.status().map(|status| (s, status)))
    }
}

/// Why a step was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// Step `step` of the sequence.
    Sequence {
        /// Index in the sequence.
        step: StepIndex,
    },
    /// The owner reads the object before another identity's write or delete (baseline).
    VerifyBefore {
        /// Index (in the trace) of the write it prepares.
        of: TraceIndex,
    },
    /// The owner re-reads the object after another identity's write or delete.
    VerifyAfter {
        /// Index (in the trace) of the write it checks.
        of: TraceIndex,
    },
    /// The account holder logs in around another identity's change of its credentials (see
    /// [`super::LoginCheck`]).
    LoginCheck {
        /// Index (in the trace) of the write it checks.
        of: TraceIndex,
        /// Which login.
        check: super::LoginCheck,
    },
    /// The same request as a sequence step that sent an attack payload and was refused or
    /// failed, with every payload replaced by a plain value of the same length (the `injection`
    /// oracle's control; see [`super::plain_twin`]).
    PlainTwin {
        /// Index (in the trace) of the step it repeats.
        of: TraceIndex,
    },
    /// Before a sequence step that sends a long string (the ReDoS family): the same request
    /// with the string `length` characters long (see [`super::growth_lengths`]).
    Growth {
        /// Index in the sequence of the step it probes.
        step: StepIndex,
        /// The length of the string sent.
        length: usize,
    },
}

impl Purpose {
    /// The trace index of the write an added step checks (`None` for a sequence step, and for
    /// a growth probe, which comes before the step it probes).
    pub fn checks(self) -> Option<TraceIndex> {
        match self {
            Purpose::Sequence { .. } | Purpose::Growth { .. } => None,
            Purpose::VerifyBefore { of }
            | Purpose::VerifyAfter { of }
            | Purpose::LoginCheck { of, .. }
            | Purpose::PlainTwin { of } => Some(of),
        }
    }
}

/// One request of a trace with what the oracles need to know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    /// Position in the trace.
    pub index: TraceIndex,
    /// Why it was sent.
    pub purpose: Purpose,
    /// The operation.
    pub op: OperationId,
    /// Who sent it.
    pub identity: IdentityId,
    /// The identity's role.
    pub role: Role,
    /// Concrete path parameter values sent (refs resolved).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub path_params: IndexMap<String, Value>,
    /// The concrete JSON body sent, if any (refs resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The request and its outcome.
    pub exchange: Exchange,
}

impl TraceStep {
    /// The status code, if the target answered.
    pub fn status(&self) -> Option<u16> {
        self.exchange.outcome.status()
    }

    /// Whether the target answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }

    /// The JSON response body, if any.
    pub fn response_json(&self) -> Option<&Value> {
        self.exchange.outcome.response().and_then(|r| r.json())
    }

    /// Whether the step authenticated with the identity's own credentials.
    pub fn authenticated(&self) -> bool {
        self.exchange.auth == trespass_generators::sequence::AuthMode::Normal
            && self.role != Role::Anonymous
    }
}

/// A step that could not be sent, which makes the rest of the sequence meaningless: not a
/// finding, not silently skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    /// Index of the sequence step that could not be sent.
    pub step: StepIndex,
    /// Where and why, typed; serialized as its sentence, e.g. `DELETE /orders/{id} as bob:
    /// step 0 body /id: POST /orders as alice answered 401`.
    pub whence: RejectReason,
}

//! Why a sequence was rejected: the typed reasons a step cannot be sent.
//!
//! A rejection is not a finding: the rest of the sequence is meaningless once one step cannot
//! be sent. One kind of reason skips the step instead ([`RejectReason::skips_step`]): a step
//! that needs the answer of an earlier step the target refused. Each reason has a stable short [`RejectReason::kind`] label, so rejections can be
//! counted by where they happened (as proptest counts its rejections by "whence"), and a
//! [`Display`](std::fmt::Display) that is the sentence recorded in the trace.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{IdentityId, Ref};

use crate::identity::SessionError;

/// Why a sequence step could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RejectReason {
    /// Rendering or sending operation `op` as `identity` failed.
    #[error("{op} as {identity}: {cause}")]
    Step {
        /// The operation of the step.
        op: OperationId,
        /// Who was to send it.
        identity: IdentityId,
        /// What failed.
        cause: StepError,
    },
    /// The owner's re-read around another identity's write could not be prepared.
    #[error(transparent)]
    Verify(StepError),
    /// A reason read back from a serialized trace: only its sentence is known.
    #[error("{0}")]
    Recorded(String),
}

impl RejectReason {
    /// A stable short label of where the rejection happened (`unresolved-ref`), for counting.
    pub fn kind(&self) -> &'static str {
        match self {
            RejectReason::Step { cause, .. } | RejectReason::Verify(cause) => cause.kind(),
            RejectReason::Recorded(_) => "recorded",
        }
    }

    /// Whether the step is skipped rather than the sequence rejected: it needs the answer of
    /// an earlier step that the target refused (answered other than 2xx), that got no answer,
    /// that listed nothing where the step counts on the first object listed, or that was itself
    /// skipped (`skipped`: the indices of the sequence steps skipped so far). The target's
    /// answer to that earlier step is the end of what the steps needing it could show (and
    /// the oracles judge it); the sequence's other steps still run. Any other reason (a field
    /// the answer lacks, a session that cannot act, a malformed step) rejects the sequence.
    pub fn skips_step(&self, skipped: &[usize]) -> bool {
        let RejectReason::Step {
            cause: StepError::UnresolvedRef { reference, problem },
            ..
        } = self
        else {
            return false;
        };
        match problem {
            RefProblem::Failed { .. }
            | RefProblem::NoAnswer { .. }
            | RefProblem::NotListed { .. } => true,
            RefProblem::NotRun => skipped.contains(&reference.step),
            RefProblem::Missing => false,
        }
    }

    /// Whether an identity could not log in: the sequence says nothing of the target then.
    pub fn is_login_failure(&self) -> bool {
        matches!(
            self,
            RejectReason::Step { cause, .. } | RejectReason::Verify(cause)
                if matches!(cause, StepError::Session(SessionError::Login { .. }))
        )
    }
}

/// Serialized as its sentence (the form of the `whence` string it replaces).
impl Serialize for RejectReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read back as [`RejectReason::Recorded`].
impl<'de> Deserialize<'de> for RejectReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(RejectReason::Recorded)
    }
}

/// What failed while rendering or sending one step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// The spec has no such operation.
    #[error("the spec has no operation {0}")]
    UnknownOperation(OperationId),
    /// A reference to an earlier response cannot be resolved.
    #[error("{reference}: {problem}")]
    UnresolvedRef {
        /// The reference.
        reference: Ref,
        /// Why it cannot be resolved.
        problem: RefProblem,
    },
    /// The operation's path template has an unclosed `{`.
    #[error("unclosed `{{` in path template {0}")]
    PathTemplate(String),
    /// A path parameter has no value.
    #[error("no value for path parameter `{0}`")]
    MissingPathValue(String),
    /// A path parameter's value would leave its segment empty or make it a dot segment
    /// (`""`, `.`, `..`): the request would reach another route, so it is not sent.
    #[error("path parameter `{name}` would be `{value}`: the request would reach another route")]
    UnroutablePathValue {
        /// The parameter.
        name: String,
        /// Its value, as JSON.
        value: String,
    },
    /// A referenced value cannot be placed in the body.
    #[error("body {at}: {error}")]
    BodyPointer {
        /// The JSON pointer in the body.
        at: String,
        /// Why it cannot be set.
        error: PointerError,
    },
    /// The identity's session cannot send (unknown identity, failed login).
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl StepError {
    /// See [`RejectReason::kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            StepError::UnknownOperation(_) => "unknown-operation",
            StepError::UnresolvedRef { .. } => "unresolved-ref",
            StepError::PathTemplate(_) => "path-template",
            StepError::MissingPathValue(_) => "missing-path-value",
            StepError::UnroutablePathValue { .. } => "unroutable-path-value",
            StepError::BodyPointer { .. } => "body-pointer",
            StepError::Session(SessionError::UnknownIdentity(_)) => "unknown-identity",
            StepError::Session(SessionError::Login { .. }) => "login-failed",
            StepError::Session(SessionError::Refused { .. }) => "credentials-refused",
        }
    }
}

/// Why a reference to an earlier response has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefProblem {
    /// The producing step did not run.
    #[error("that step did not run")]
    NotRun,
    /// The producing step got no HTTP answer.
    #[error("{op} as {identity} got no answer")]
    NoAnswer {
        /// The producer's operation.
        op: OperationId,
        /// The producer's identity.
        identity: IdentityId,
    },
    /// The producing step answered with a status other than 2xx.
    #[error("{op} as {identity} answered {status}")]
    Failed {
        /// The producer's operation.
        op: OperationId,
        /// The producer's identity.
        identity: IdentityId,
        /// Its status.
        status: u16,
    },
    /// The producing step answered 2xx with fewer listed objects than the reference counts
    /// on (an empty list).
    #[error("{op} as {identity} listed nothing there")]
    NotListed {
        /// The producer's operation.
        op: OperationId,
        /// The producer's identity.
        identity: IdentityId,
    },
    /// The answer does not hold the referenced value.
    #[error("not in the answer")]
    Missing,
}

/// Why a value cannot be set at a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PointerError {
    /// The text is not a JSON pointer.
    #[error("`{0}` is not a JSON pointer")]
    NotAPointer(String),
    /// A token that should index an array does not.
    #[error("`{0}` is not an array index")]
    NotAnIndex(String),
    /// An array index past the end.
    #[error("index {index} is past the end ({len})")]
    PastTheEnd {
        /// The index.
        index: usize,
        /// The array's length.
        len: usize,
    },
    /// The pointer goes through a number, string, boolean or null.
    #[error("cannot descend into a scalar at `{0}`")]
    Scalar(String),
}

#[cfg(test)]
mod tests {
    use trespass_generators::sequence::RefSource;

    use super::*;

    fn reference() -> Ref {
        Ref {
            step: 0,
            source: RefSource::Body {
                pointer: "/id".into(),
            },
        }
    }

    #[test]
    fn reasons_read_as_before_and_have_kinds() {
        let op = OperationId::new("GET", "/orders/{orderId}");
        let bob = IdentityId::new("bob");
        let at = |cause: StepError| RejectReason::Step {
            op: op.clone(),
            identity: bob.clone(),
            cause,
        };
        let unresolved = at(StepError::UnresolvedRef {
            reference: reference(),
            problem: RefProblem::Failed {
                op: OperationId::new("POST", "/orders"),
                identity: IdentityId::new("alice"),
                status: 401,
            },
        });
        assert_eq!(
            unresolved.to_string(),
            format!(
                "GET /orders/{{orderId}} as bob: {}: POST /orders as alice answered 401",
                reference()
            )
        );
        assert_eq!(unresolved.kind(), "unresolved-ref");
        let body = at(StepError::BodyPointer {
            at: "/items/3".into(),
            error: PointerError::PastTheEnd { index: 3, len: 1 },
        });
        assert_eq!(
            body.to_string(),
            "GET /orders/{orderId} as bob: body /items/3: index 3 is past the end (1)"
        );
        assert_eq!(body.kind(), "body-pointer");
        let verify = RejectReason::Verify(StepError::MissingPathValue("orderId".into()));
        assert_eq!(verify.to_string(), "no value for path parameter `orderId`");
        assert_eq!(verify.kind(), "missing-path-value");
        let empty = RejectReason::Verify(StepError::UnroutablePathValue {
            name: "userId".into(),
            value: "\"\"".into(),
        });
        assert_eq!(
            empty.to_string(),
            "path parameter `userId` would be `\"\"`: the request would reach another route"
        );
        assert_eq!(empty.kind(), "unroutable-path-value");
        let login = at(StepError::Session(SessionError::Login {
            identity: "bob".into(),
            operation: "POST /login".into(),
            reason: "the target answered 500".into(),
        }));
        assert_eq!(login.kind(), "login-failed");
        assert!(login.is_login_failure());
    }

    #[test]
    fn a_refused_producer_skips_the_step_anything_else_rejects() {
        let op = OperationId::new("GET", "/orders/{orderId}");
        let alice = IdentityId::new("alice");
        let needing = |problem: RefProblem| RejectReason::Step {
            op: op.clone(),
            identity: IdentityId::new("bob"),
            cause: StepError::UnresolvedRef {
                reference: reference(),
                problem,
            },
        };
        let failed = RefProblem::Failed {
            op: op.clone(),
            identity: alice.clone(),
            status: 403,
        };
        let unanswered = RefProblem::NoAnswer {
            op: op.clone(),
            identity: alice.clone(),
        };
        let empty = RefProblem::NotListed {
            op: op.clone(),
            identity: alice.clone(),
        };
        for problem in [failed, unanswered, empty.clone()] {
            assert!(needing(problem.clone()).skips_step(&[]), "{problem}");
        }
        assert_eq!(
            needing(empty).to_string(),
            format!(
                "GET /orders/{{orderId}} as bob: {}: GET /orders/{{orderId}} as alice listed nothing there",
                reference()
            )
        );
        // A step that did not run: skipped only when it was itself skipped.
        assert!(needing(RefProblem::NotRun).skips_step(&[0]));
        assert!(!needing(RefProblem::NotRun).skips_step(&[1]));
        // A field a 2xx answer lacks is the generators' miss: the sequence is rejected.
        assert!(!needing(RefProblem::Missing).skips_step(&[0]));
        assert!(
            !RejectReason::Verify(StepError::MissingPathValue("orderId".into())).skips_step(&[0])
        );
    }

    #[test]
    fn reasons_serialize_as_their_sentence() {
        let reason =
            RejectReason::Verify(StepError::UnknownOperation(OperationId::new("GET", "/x")));
        let json = serde_json::to_value(&reason).unwrap();
        assert_eq!(json, serde_json::json!("the spec has no operation GET /x"));
        let back: RejectReason = serde_json::from_value(json).unwrap();
        assert_eq!(back.to_string(), reason.to_string());
        assert_eq!(back.kind(), "recorded");
    }
}

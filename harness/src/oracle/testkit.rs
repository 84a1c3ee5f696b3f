//! Hand-built traces over the demo models, for the oracles' unit tests.

use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value;
use trespass_generators::ApiModel;
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{AuthMode, IdentityId, Role};

use super::{CheckContext, Oracle, Policy, Violation};
use crate::exec::{
    Exchange, Ownership, Purpose, Received, Request, Response, ResponseBody, StepIndex, Trace,
    TraceIndex, TraceStep,
};
use crate::identity;

pub(crate) fn shop() -> ApiModel {
    trespass_generators::load_str(include_str!("../../../corpus/specs/shop.yaml"), "shop.yaml")
        .expect("the shop spec loads")
}

pub(crate) fn notes() -> ApiModel {
    trespass_generators::load_str(
        include_str!("../../../corpus/specs/notes.yaml"),
        "notes.yaml",
    )
    .expect("the notes spec loads")
}

/// Builds a trace step by step; ownership is learned as the executor would.
pub(crate) struct TraceBuilder {
    model: ApiModel,
    steps: Vec<TraceStep>,
    sequence_steps: usize,
    policy: identity::PolicySection,
}

impl TraceBuilder {
    pub(crate) fn new(model: ApiModel) -> Self {
        Self {
            model,
            steps: Vec::new(),
            sequence_steps: 0,
            policy: identity::PolicySection::default(),
        }
    }

    pub(crate) fn shared(mut self, kinds: &[&str]) -> Self {
        self.policy.shared_resources = kinds.iter().map(|k| k.to_string()).collect();
        self
    }

    /// A sequence step: `who` (`"alice:user"`) sends `op` with path parameters and body, and
    /// gets `status` with `response`.
    pub(crate) fn step(
        mut self,
        who: &str,
        op: &str,
        path: &[(&str, Value)],
        body: Option<Value>,
        status: u16,
        response: Value,
    ) -> Self {
        let purpose = Purpose::Sequence {
            step: StepIndex(self.sequence_steps),
        };
        self.sequence_steps += 1;
        self.push(who, op, path, body, status, response, purpose);
        self
    }

    /// The owner's read before the write that follows.
    pub(crate) fn verify_before(
        mut self,
        who: &str,
        op: &str,
        path: &[(&str, Value)],
        status: u16,
        response: Value,
    ) -> Self {
        let of = self.steps.len() + 1;
        self.push(
            who,
            op,
            path,
            None,
            status,
            response,
            Purpose::VerifyBefore { of: TraceIndex(of) },
        );
        self
    }

    /// The owner's re-read after the write just added.
    pub(crate) fn verify_after(
        mut self,
        who: &str,
        op: &str,
        path: &[(&str, Value)],
        status: u16,
        response: Value,
    ) -> Self {
        let of = self.steps.len() - 1;
        self.push(
            who,
            op,
            path,
            None,
            status,
            response,
            Purpose::VerifyAfter { of: TraceIndex(of) },
        );
        self
    }

    /// Sets how the last step authenticated.
    pub(crate) fn auth(mut self, mode: AuthMode) -> Self {
        if let Some(last) = self.steps.last_mut() {
            last.exchange.auth = mode;
        }
        self
    }

    /// Adds a header to the last step's response.
    pub(crate) fn response_header(mut self, name: &str, value: &str) -> Self {
        if let Some(Received::Response(r)) = self.steps.last_mut().map(|s| &mut s.exchange.outcome)
        {
            r.headers.push((name.to_string(), value.to_string()));
        }
        self
    }

    /// Sets the `Content-Type` of the last step's response (`None` removes it).
    pub(crate) fn content_type(mut self, value: Option<&str>) -> Self {
        if let Some(Received::Response(r)) = self.steps.last_mut().map(|s| &mut s.exchange.outcome)
        {
            r.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            if let Some(v) = value {
                r.headers.push(("content-type".to_string(), v.to_string()));
            }
        }
        self
    }

    /// Replaces the last step's response body.
    pub(crate) fn response_body(mut self, body: ResponseBody) -> Self {
        if let Some(Received::Response(r)) = self.steps.last_mut().map(|s| &mut s.exchange.outcome)
        {
            r.body = body;
        }
        self
    }

    /// Marks the last step's response body as cut at the size cap.
    pub(crate) fn truncated(mut self) -> Self {
        if let Some(Received::Response(r)) = self.steps.last_mut().map(|s| &mut s.exchange.outcome)
        {
            r.truncated = true;
        }
        self
    }

    /// Sets how long the last step took.
    pub(crate) fn elapsed(mut self, elapsed: Duration) -> Self {
        if let Some(last) = self.steps.last_mut() {
            last.exchange.elapsed = elapsed;
        }
        self
    }

    /// Replaces the last step's answer by a transport error (`timeout`: it timed out).
    pub(crate) fn no_answer(mut self, timeout: bool) -> Self {
        if let Some(last) = self.steps.last_mut() {
            last.exchange.outcome = Received::Error {
                message: if timeout {
                    "timed out"
                } else {
                    "connection refused"
                }
                .to_string(),
                timeout,
            };
        }
        self
    }

    /// Adds a query parameter to the last step's request.
    pub(crate) fn query(mut self, name: &str, value: &str) -> Self {
        if let Some(last) = self.steps.last_mut() {
            last.exchange
                .request
                .query
                .push((name.to_string(), value.to_string()));
        }
        self
    }

    /// Sets the body the last step's request carried on the wire (the step's JSON `body` is
    /// left as given to [`TraceBuilder::step`]).
    pub(crate) fn request_body(mut self, body: Option<crate::exec::Body>) -> Self {
        if let Some(last) = self.steps.last_mut() {
            last.exchange.request.body = body;
        }
        self
    }

    /// The trace built so far.
    pub(crate) fn trace(&self) -> Trace {
        Trace {
            steps: self.steps.clone(),
            reject: None,
        }
    }

    /// Runs `oracle` over the trace built so far, with answers slower than `slow_threshold`
    /// counting as slow.
    pub(crate) fn check_with_threshold(
        &self,
        oracle: &dyn Oracle,
        slow_threshold: Duration,
    ) -> Vec<Violation> {
        let mut ownership = Ownership::new(self.policy.shared_resources.iter().cloned());
        for step in &self.steps {
            ownership.observe(&self.model, step);
        }
        let trace = Trace {
            steps: self.steps.clone(),
            reject: None,
        };
        let policy = Policy::new(&self.model, &self.policy);
        let cx = CheckContext::new(&self.model, &trace, &ownership, &policy, slow_threshold);
        oracle.check(&cx)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        who: &str,
        op: &str,
        path: &[(&str, Value)],
        body: Option<Value>,
        status: u16,
        response: Value,
        purpose: Purpose,
    ) {
        let (name, role) = who.split_once(':').expect("who is name:role");
        let role = match role {
            "user" => Role::User,
            "admin" => Role::Admin,
            _ => Role::Anonymous,
        };
        let op = OperationId::parse(op).expect("op is METHOD /path");
        assert!(
            self.model.operation(&op).is_some(),
            "the spec has no operation {op}"
        );
        let path_params: IndexMap<String, Value> = path
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let body_out = match &response {
            Value::Null => ResponseBody::Empty,
            other => ResponseBody::Json(other.clone()),
        };
        self.steps.push(TraceStep {
            index: TraceIndex(self.steps.len()),
            purpose,
            op: op.clone(),
            identity: IdentityId::new(name),
            role,
            path_params,
            body: body.clone(),
            exchange: Exchange {
                identity: name.to_string(),
                auth: AuthMode::Normal,
                request: Request::new(op.method(), op.path()),
                outcome: Received::Response(Response {
                    status,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: body_out,
                    truncated: false,
                }),
                elapsed: Duration::from_millis(3),
            },
        });
    }

    /// Runs `oracle` over the trace built so far.
    pub(crate) fn check(&self, oracle: &dyn Oracle) -> Vec<Violation> {
        let mut ownership = Ownership::new(self.policy.shared_resources.iter().cloned());
        for step in &self.steps {
            ownership.observe(&self.model, step);
        }
        let trace = Trace {
            steps: self.steps.clone(),
            reject: None,
        };
        let policy = Policy::new(&self.model, &self.policy);
        let cx = CheckContext::new(
            &self.model,
            &trace,
            &ownership,
            &policy,
            Duration::from_secs(5),
        );
        oracle.check(&cx)
    }
}

/// `(oracle, operation)` of each violation.
pub(crate) fn pairs(violations: &[Violation]) -> Vec<(String, String)> {
    violations
        .iter()
        .map(|v| (v.oracle.clone(), v.operation.to_string()))
        .collect()
}

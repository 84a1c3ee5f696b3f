//! Hand-built traces over the demo models, for the oracles' unit tests.

use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value;
use trespass_generators::ApiModel;
use trespass_generators::model::{OperationId, OwnerRef};
use trespass_generators::sequence::{AuthMode, IdentityId, Role};

use super::{CheckContext, Oracle, Policy, Violation};
use crate::exec::{
    Exchange, Known, LoginCheck, Ownership, Purpose, Received, Request, Response, ResponseBody,
    StepIndex, Trace, TraceIndex, TraceStep, TransportKind,
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

pub(crate) fn forum() -> ApiModel {
    trespass_generators::load_str(
        include_str!("../../../corpus/specs/forum.yaml"),
        "forum.yaml",
    )
    .expect("the forum spec loads")
}

/// Builds a trace step by step; ownership is learned as the executor would.
pub(crate) struct TraceBuilder {
    model: ApiModel,
    steps: Vec<TraceStep>,
    sequence_steps: usize,
    policy: identity::PolicySection,
    known: Known,
}

impl TraceBuilder {
    pub(crate) fn new(model: ApiModel) -> Self {
        Self {
            model,
            steps: Vec::new(),
            sequence_steps: 0,
            policy: identity::PolicySection::default(),
            known: Known::default(),
        }
    }

    /// `who` (`"alice:user"`) is an identity of the run that goes by `value` (a username or
    /// an email address), as its login body would say.
    pub(crate) fn knows(mut self, who: &str, holds: OwnerRef, value: &str) -> Self {
        let (name, role) = who_is(who);
        let id = IdentityId::new(name);
        self.known.set_role(&id, role);
        self.known.add(&id, holds, value);
        self
    }

    /// `who` (`"alice:user"`) has `value` as a configured credential (a password of its
    /// login body, a token, an API key).
    pub(crate) fn credential(mut self, who: &str, value: &str) -> Self {
        let (name, role) = who_is(who);
        let id = IdentityId::new(name);
        self.known.set_role(&id, role);
        self.known.add_credential(&id, value);
        self
    }

    /// The executor's plain twin of the last step: the same request, answered `status` with
    /// `response`.
    pub(crate) fn plain_twin(mut self, status: u16, response: Value) -> Self {
        let last = self.steps.last().expect("a step to repeat").clone();
        let of = last.index;
        let who = format!("{}:{}", last.identity, last.role.as_str());
        let path: Vec<(String, Value)> = last
            .path_params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let path: Vec<(&str, Value)> = path.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.push(
            &who,
            last.op.as_str(),
            &path,
            last.body.clone(),
            status,
            response,
            Purpose::PlainTwin { of },
        );
        self
    }

    /// A growth probe before the next sequence step: `who` sends `op` with a body whose `field`
    /// is a long string of `length` characters, answered 201 after `elapsed`.
    pub(crate) fn growth(
        mut self,
        who: &str,
        op: &str,
        field: &str,
        length: usize,
        elapsed: Duration,
    ) -> Self {
        let purpose = Purpose::Growth {
            step: StepIndex(self.sequence_steps),
            length,
        };
        let text = format!("{}!", "a".repeat(length - 1));
        let body = serde_json::json!({ field: text });
        self.push(
            who,
            op,
            &[],
            Some(body),
            201,
            serde_json::json!({"status": "success"}),
            purpose,
        );
        self.elapsed(elapsed)
    }

    /// The ownership learned from the trace built so far, as the executor would learn it.
    pub(crate) fn ownership(&self) -> Ownership {
        let mut ownership = Ownership::new(self.policy.shared_resources.iter().cloned())
            .with_known(self.known.clone());
        for step in &self.steps {
            ownership.observe(&self.model, step);
        }
        ownership
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

    /// A login check of `who` through `op` with `body` around the write at trace index `of`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn login_check(
        mut self,
        who: &str,
        op: &str,
        body: Value,
        status: u16,
        check: LoginCheck,
        of: usize,
    ) -> Self {
        let response = if status == 200 {
            serde_json::json!({"token": "t0k3n-value"})
        } else {
            serde_json::json!({"error": "bad login"})
        };
        let purpose = Purpose::LoginCheck {
            of: TraceIndex(of),
            check,
        };
        self.push(who, op, &[], Some(body), status, response, purpose);
        self.auth(AuthMode::None)
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

    /// Replaces the last step's answer by a transport failure of `kind`.
    pub(crate) fn no_answer(mut self, kind: TransportKind) -> Self {
        if let Some(last) = self.steps.last_mut() {
            last.exchange.outcome = Received::Error {
                message: format!("{kind} (made up by the test)"),
                kind,
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
        let ownership = self.ownership();
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
        let (name, role) = who_is(who);
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
        self.with_context(|cx| oracle.check(cx))
    }

    /// The steps `oracle` says it judged on the trace built so far.
    pub(crate) fn judged(&self, oracle: &dyn Oracle) -> Vec<TraceIndex> {
        self.with_context(|cx| oracle.judged(cx))
    }

    fn with_context<T>(&self, f: impl FnOnce(&CheckContext<'_>) -> T) -> T {
        let ownership = self.ownership();
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
        f(&cx)
    }
}

/// `"alice:user"` -> `("alice", Role::User)`.
fn who_is(who: &str) -> (&str, Role) {
    let (name, role) = who.split_once(':').expect("who is name:role");
    let role = match role {
        "user" => Role::User,
        "admin" => Role::Admin,
        _ => Role::Anonymous,
    };
    (name, role)
}

/// `(oracle, operation)` of each violation.
pub(crate) fn pairs(violations: &[Violation]) -> Vec<(String, String)> {
    violations
        .iter()
        .map(|v| (v.oracle.clone(), v.operation.to_string()))
        .collect()
}

/// `model` with `resource` in place of every kind that claimed one of its operations.
pub(crate) fn with_resource(
    mut model: ApiModel,
    resource: trespass_generators::model::Resource,
) -> ApiModel {
    let ops: Vec<OperationId> = resource.operations().map(|(_, op)| op.clone()).collect();
    model
        .resources
        .retain(|r| r.kind != resource.kind && !r.operations().any(|(_, op)| ops.contains(op)));
    model.resources.push(resource);
    model
}

/// An operation id from `"METHOD /path"`.
pub(crate) fn op(text: &str) -> OperationId {
    OperationId::parse(text).expect("op is METHOD /path")
}

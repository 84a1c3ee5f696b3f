//! Running one sequence: resolve refs, send each step as its identity, learn ownership, and
//! add the owner's re-reads around another identity's write or delete.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::Value;
use trespass_generators::model::{ApiModel, CrudRole, OperationId};
use trespass_generators::sequence::{AuthMode, IdentityId, Ref, RefSource, Role, Sequence, Step};

use super::known::Known;
use super::ownership::{ObjectKey, Ownership, object_of};
use super::reject::{RefProblem, RejectReason, StepError};
use super::render::{fill_path, render};
use super::takeover::{CredentialChange, LoginCheck, credential_change};
use super::trace::{Purpose, Reject, StepIndex, Trace, TraceIndex, TraceStep};
use crate::http::{Body, Request};
use crate::identity::Sessions;
use crate::redact::SecretKind;

/// What a run tells before and after each step of its sequence ([`Executor::run_gated`]): a
/// campaign on a shared target keeps the other sequences out only while a sequence's
/// disturbing steps are under way.
pub(crate) trait StepGate {
    /// Before step `index` is sent.
    async fn before(&mut self, index: StepIndex);

    /// After step `index` was sent (`sent`: the exchanges it added to the trace, none when it
    /// could not be sent).
    async fn after(&mut self, index: StepIndex, sent: &[TraceStep]);
}

/// A gate that is told nothing.
struct Ungated;

impl StepGate for Ungated {
    async fn before(&mut self, _: StepIndex) {}
    async fn after(&mut self, _: StepIndex, _: &[TraceStep]) {}
}

/// Runs sequences against one target.
#[derive(Debug)]
pub struct Executor<'a> {
    model: &'a ApiModel,
    sessions: &'a Sessions,
    roles: HashMap<IdentityId, Role>,
    /// The identities and the names they go by, as every run starts knowing them.
    known: Known,
    shared_kinds: Vec<String>,
    verify_writes: bool,
    growth: Option<&'a super::GrowthMemo>,
}

/// The outcome of running a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Everything sent and received.
    pub trace: Trace,
    /// Owners and deletions learned along the way.
    pub ownership: Ownership,
}

impl<'a> Executor<'a> {
    /// An executor over `model`, sending through `sessions`. `shared_kinds` are the resource
    /// kinds the policy lets every user read.
    pub fn new(model: &'a ApiModel, sessions: &'a Sessions, shared_kinds: Vec<String>) -> Self {
        let roles = sessions
            .identities()
            .iter()
            .map(|i| (IdentityId::new(i.name.clone()), i.role))
            .collect();
        Self {
            model,
            sessions,
            roles,
            known: Known::from_identities(sessions.identities()),
            shared_kinds,
            verify_writes: true,
            growth: None,
        }
    }

    /// Shares what growth probes showed with the other runs of a campaign (see
    /// [`super::GrowthMemo`]).
    pub fn growth_memo(mut self, memo: &'a super::GrowthMemo) -> Self {
        self.growth = Some(memo);
        self
    }

    /// Whether to add the owner's re-reads around other identities' writes (default on; the
    /// `bola` effect check needs them).
    pub fn verify_writes(mut self, on: bool) -> Self {
        self.verify_writes = on;
        self
    }

    /// The role of `identity` (unknown identities count as anonymous).
    pub fn role_of(&self, identity: &IdentityId) -> Role {
        self.roles.get(identity).copied().unwrap_or(Role::Anonymous)
    }

    /// Runs `sequence`. Never fails: a step that cannot be sent ends the run with a
    /// [`Reject`] in the trace, except a step that needs the answer of an earlier step the
    /// target refused (non-2xx, no answer, an empty list: see [`RejectReason::skips_step`]).
    /// That step is skipped, and every later step that needs its answer; the others still run.
    pub async fn run(&self, sequence: &Sequence) -> RunResult {
        self.run_gated(sequence, &mut Ungated).await
    }

    /// Runs `sequence` as [`Executor::run`] does, telling `gate` after each step.
    pub(crate) async fn run_gated(
        &self,
        sequence: &Sequence,
        gate: &mut impl StepGate,
    ) -> RunResult {
        let mut trace = Trace::default();
        let mut ownership =
            Ownership::new(self.shared_kinds.iter().cloned()).with_known(self.known.clone());
        let mut skipped: Vec<usize> = Vec::new();
        for (index, step) in sequence.steps.iter().enumerate() {
            let index = StepIndex(index);
            let from = trace.steps.len();
            gate.before(index).await;
            let ran = self.run_step(index, step, &mut trace, &mut ownership).await;
            gate.after(index, &trace.steps[from..]).await;
            let Err(whence) = ran else {
                continue;
            };
            // Formatted (and redacted) only when the debug log is on.
            let reason = self.sessions.redactor().display(&whence);
            if whence.skips_step(&skipped) {
                tracing::debug!(step = index.0, "step skipped: {reason}");
                skipped.push(index.0);
                continue;
            }
            tracing::debug!(
                step = index.0,
                kind = whence.kind(),
                "sequence rejected: {reason}"
            );
            trace.reject = Some(Reject {
                step: index,
                whence,
            });
            break;
        }
        if !skipped.is_empty() {
            tracing::debug!(
                "sequence ran to its end with {} step(s) skipped: {skipped:?}",
                skipped.len()
            );
        }
        RunResult { trace, ownership }
    }

    async fn run_step(
        &self,
        index: StepIndex,
        step: &Step,
        trace: &mut Trace,
        ownership: &mut Ownership,
    ) -> Result<(), RejectReason> {
        // A long string grows from short to the length sent, stopped at the first slow answer.
        let grown;
        let step = match self.grow(index, step, trace, ownership).await? {
            Some(length) => {
                grown = super::probe::with_long_length(step, length);
                &grown
            }
            None => step,
        };
        let rendered = render(self.model, step, &|r: &Ref| resolve(trace, r))
            .map_err(|cause| step_rejected(step, cause))?;
        let role = self.role_of(&step.identity);

        // The object this step writes, if another (non-anonymous) identity owns it.
        let foreign_write = if self.verify_writes {
            self.foreign_write_target(step, &rendered.path_params, ownership)
        } else {
            None
        };
        let change = if self.verify_writes {
            credential_change(
                self.model,
                self.sessions.identities(),
                ownership,
                &step.identity,
                role,
                &step.op,
                &rendered.path_params,
                rendered.body.as_ref(),
            )
        } else {
            None
        };
        let write_index = TraceIndex(
            trace.steps.len()
                + usize::from(foreign_write.is_some())
                + usize::from(change.is_some()),
        );
        if let Some((owner, read_op, params)) = &foreign_write {
            self.verify(
                owner,
                read_op,
                params,
                Purpose::VerifyBefore { of: write_index },
                trace,
                ownership,
            )
            .await?;
        }
        if let Some(change) = &change {
            let body = change.flow.body.expose().clone();
            self.login_check(change, body, LoginCheck::Before, write_index, trace)
                .await?;
        }

        self.send_rendered(
            step,
            rendered,
            Purpose::Sequence { step: index },
            trace,
            ownership,
        )
        .await?;

        if let Some((owner, read_op, params)) = &foreign_write {
            self.verify(
                owner,
                read_op,
                params,
                Purpose::VerifyAfter { of: write_index },
                trace,
                ownership,
            )
            .await?;
        }
        let wrote = trace.at(write_index).is_some_and(TraceStep::succeeded);
        if let Some(change) = change.filter(|_| wrote) {
            for value in change.new_values.iter().filter(|v| worth_redacting(v)) {
                self.sessions.redactor().add(value, SecretKind::Password);
            }
            let body = change.flow.body.expose().clone();
            self.login_check(&change, body, LoginCheck::Configured, write_index, trace)
                .await?;
            if let Some(body) = change.changed_body.clone() {
                self.login_check(&change, body, LoginCheck::Changed, write_index, trace)
                    .await?;
            }
            // The holder's token may be dead now: later steps log in afresh.
            self.sessions.forget_tokens().await;
        }
        self.plain_control(index, step, trace, ownership).await
    }

    /// Before a sequence step that sends a long string: the growth probes
    /// ([`Purpose::Growth`]). Returns the length of the first probe that answered slower than
    /// [`super::GROWTH_STOP`] or not at all, which the step then sends instead of its own.
    async fn grow(
        &self,
        index: StepIndex,
        step: &Step,
        trace: &mut Trace,
        ownership: &mut Ownership,
    ) -> Result<Option<usize>, RejectReason> {
        let Some(len) = super::probe::long_length(step) else {
            return Ok(None);
        };
        if let Some(fast) = self.growth.and_then(|m| m.known_fast_length(&step.op)) {
            return Ok(Some(fast.min(len)));
        }
        for length in super::probe::growth_lengths(len) {
            let probe = super::probe::with_long_length(step, length);
            let purpose = Purpose::Growth {
                step: index,
                length,
            };
            let sent = self
                .render_and_send(&probe, purpose, trace, ownership)
                .await?;
            if sent.elapsed >= super::GROWTH_STOP || sent.outcome.status().is_none() {
                if let Some(memo) = self.growth {
                    memo.note_slow(&step.op, length);
                }
                return Ok(Some(length));
            }
        }
        Ok(None)
    }

    /// After a sequence step that sent an attack payload and got no 2xx: the same request
    /// with plain values ([`Purpose::PlainTwin`]), the `injection` oracle's control.
    async fn plain_control(
        &self,
        index: StepIndex,
        step: &Step,
        trace: &mut Trace,
        ownership: &mut Ownership,
    ) -> Result<(), RejectReason> {
        let Some(sent) = trace.for_sequence_step(index) else {
            return Ok(());
        };
        if sent.status().is_none_or(|s| s < 400) {
            return Ok(());
        }
        let of = sent.index;
        let Some(twin) = super::probe::plain_twin(step, &|r| resolve(trace, r).ok()) else {
            return Ok(());
        };
        self.render_and_send(&twin, Purpose::PlainTwin { of }, trace, ownership)
            .await?;
        Ok(())
    }

    /// Renders `step` against `trace`, then [`Executor::send_rendered`].
    async fn render_and_send<'t>(
        &self,
        step: &Step,
        purpose: Purpose,
        trace: &'t mut Trace,
        ownership: &mut Ownership,
    ) -> Result<&'t crate::http::Exchange, RejectReason> {
        let rendered = render(self.model, step, &|r: &Ref| resolve(trace, r))
            .map_err(|cause| step_rejected(step, cause))?;
        self.send_rendered(step, rendered, purpose, trace, ownership)
            .await
    }

    /// Sends the rendered `step` as `purpose`, records the exchange in `trace` (and what it
    /// tells of ownership) and returns it.
    async fn send_rendered<'t>(
        &self,
        step: &Step,
        rendered: super::render::Rendered,
        purpose: Purpose,
        trace: &'t mut Trace,
        ownership: &mut Ownership,
    ) -> Result<&'t crate::http::Exchange, RejectReason> {
        let exchange = self
            .sessions
            .send(
                step.identity.as_str(),
                step.auth,
                &step.op,
                &rendered.request,
            )
            .await
            .map_err(|e| step_rejected(step, e.into()))?;
        let sent = TraceStep {
            index: trace.next_index(),
            purpose,
            op: step.op.clone(),
            identity: step.identity.clone(),
            role: self.role_of(&step.identity),
            path_params: rendered.path_params,
            body: rendered.body,
            exchange,
        };
        ownership.observe(self.model, &sent);
        trace.steps.push(sent);
        Ok(&trace.steps[trace.steps.len() - 1].exchange)
    }

    /// The account holder of `change` logs in with `body` (no credentials of its own).
    async fn login_check(
        &self,
        change: &CredentialChange,
        body: Value,
        check: LoginCheck,
        of: TraceIndex,
        trace: &mut Trace,
    ) -> Result<(), RejectReason> {
        let op = OperationId::new(&change.flow.method, &change.flow.path);
        let request = Request {
            body: Some(Body::Json(body.clone())),
            ..Request::new(change.flow.method.clone(), change.flow.path.clone())
        };
        let exchange = self
            .sessions
            .send(change.holder.as_str(), AuthMode::None, &op, &request)
            .await
            .map_err(|e| RejectReason::Step {
                op: op.clone(),
                identity: change.holder.clone(),
                cause: e.into(),
            })?;
        trace.steps.push(TraceStep {
            index: trace.next_index(),
            purpose: Purpose::LoginCheck { of, check },
            op,
            identity: change.holder.clone(),
            role: self.role_of(&change.holder),
            path_params: IndexMap::new(),
            body: Some(body),
            exchange,
        });
        Ok(())
    }

    /// For an update or delete of an object owned by someone else: the owner, a read
    /// operation of the object, and its path parameters.
    fn foreign_write_target(
        &self,
        step: &Step,
        path_params: &IndexMap<String, Value>,
        ownership: &Ownership,
    ) -> Option<(IdentityId, OperationId, IndexMap<String, Value>)> {
        let (resource, crud) = self.model.resource_of(&step.op)?;
        if !matches!(crud, CrudRole::Update | CrudRole::Delete) {
            return None;
        }
        let key: ObjectKey = object_of(self.model, &step.op, path_params)?;
        let (owner, _) = ownership.owner(&key)?;
        if *owner == step.identity || self.role_of(owner) == Role::Anonymous {
            return None;
        }
        // A read operation whose path parameters are all known.
        let read_op = resource.read.iter().find(|op| {
            self.model.operation(op).is_some_and(|o| {
                trespass_generators::model::path_template_params(&o.path)
                    .iter()
                    .all(|p| path_params.contains_key(*p))
            })
        })?;
        Some((owner.clone(), read_op.clone(), path_params.clone()))
    }

    async fn verify(
        &self,
        owner: &IdentityId,
        read_op: &OperationId,
        params: &IndexMap<String, Value>,
        purpose: Purpose,
        trace: &mut Trace,
        ownership: &mut Ownership,
    ) -> Result<(), RejectReason> {
        let op = self
            .model
            .operation(read_op)
            .ok_or_else(|| RejectReason::Verify(StepError::UnknownOperation(read_op.clone())))?;
        let path = fill_path(op, params).map_err(RejectReason::Verify)?;
        let request = Request::new(op.method.as_str(), path);
        let exchange = self
            .sessions
            .send(owner.as_str(), AuthMode::Normal, read_op, &request)
            .await
            .map_err(|e| RejectReason::Step {
                op: read_op.clone(),
                identity: owner.clone(),
                cause: e.into(),
            })?;
        let step = TraceStep {
            index: trace.next_index(),
            purpose,
            op: read_op.clone(),
            identity: owner.clone(),
            role: self.role_of(owner),
            path_params: params.clone(),
            body: None,
            exchange,
        };
        ownership.observe(self.model, &step);
        trace.steps.push(step);
        Ok(())
    }
}

/// The value `r` points at in the trace: the producer must have answered 2xx and hold it.
/// Whether a credential this run set (an account-takeover check's new password) is worth
/// redacting by value: not an attack payload (a public constant) and not one character repeated
/// (a payload's plain twin, `aaaaaaaa`). Registered, those would be cut out of every long
/// string (`aaa…a!`) of every report and finding file, which then no longer replay.
fn worth_redacting(value: &str) -> bool {
    let mut chars = value.chars();
    let first = chars.next();
    trespass_generators::values::payload::classify(value).is_none()
        && !chars.all(|c| Some(c) == first)
}

fn resolve(trace: &Trace, r: &Ref) -> Result<Value, StepError> {
    let unresolved = |problem: RefProblem| StepError::UnresolvedRef {
        reference: r.clone(),
        problem,
    };
    let producer = trace
        .for_sequence_step(StepIndex(r.step))
        .ok_or_else(|| unresolved(RefProblem::NotRun))?;
    let response = producer.exchange.outcome.response().ok_or_else(|| {
        unresolved(RefProblem::NoAnswer {
            op: producer.op.clone(),
            identity: producer.identity.clone(),
        })
    })?;
    if !response.is_success() {
        return Err(unresolved(RefProblem::Failed {
            op: producer.op.clone(),
            identity: producer.identity.clone(),
            status: response.status,
        }));
    }
    let value = match &r.source {
        RefSource::Body { pointer } => {
            let body = response.json();
            let value = body.and_then(|b| b.pointer(pointer)).cloned();
            if value.is_none() && body.is_some_and(|b| past_the_end(b, pointer)) {
                return Err(unresolved(RefProblem::NotListed {
                    op: producer.op.clone(),
                    identity: producer.identity.clone(),
                }));
            }
            value
        }
        RefSource::Header { name } => response.header(name).map(|h| Value::String(h.to_string())),
        RefSource::Location => response
            .header("location")
            .and_then(super::ownership::location_key)
            .map(Value::String),
        RefSource::Request { pointer } => match &producer.exchange.request.body {
            Some(Body::Json(body)) => body.pointer(pointer).cloned(),
            Some(Body::Form(pairs)) => pointer
                .strip_prefix('/')
                .and_then(|name| pairs.iter().find(|(k, _)| k == name))
                .map(|(_, v)| Value::String(v.clone())),
            _ => None,
        },
    };
    value.ok_or_else(|| unresolved(RefProblem::Missing))
}

/// Whether `pointer` misses in `body` because it indexes past the end of an array (`/0/id`
/// in `[]`, `/items/0/id` in `{"items": []}`): the answer listed fewer objects than the
/// reference counts on, not a field the answer lacks.
fn past_the_end(body: &Value, pointer: &str) -> bool {
    let mut current = body;
    for token in trespass_generators::pointer::split(pointer) {
        current = match current {
            Value::Array(items) => match token.parse::<usize>() {
                Ok(i) if i >= items.len() => return true,
                Ok(i) => &items[i],
                Err(_) => return false,
            },
            Value::Object(map) => match map.get(&token) {
                Some(next) => next,
                None => return false,
            },
            _ => return false,
        };
    }
    false
}

/// `step` could not be sent because of `cause`.
fn step_rejected(step: &Step, cause: StepError) -> RejectReason {
    RejectReason::Step {
        op: step.op.clone(),
        identity: step.identity.clone(),
        cause,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::oracle::testkit::{TraceBuilder, shop};

    fn body_ref(step: usize, pointer: &str) -> Ref {
        Ref {
            step,
            source: RefSource::Body {
                pointer: pointer.into(),
            },
        }
    }

    #[test]
    fn references_resolve_or_say_why_not() {
        let trace = TraceBuilder::new(shop())
            .step(
                "alice:user",
                "POST /users/{userId}/addresses",
                &[("userId", json!(1))],
                Some(json!({"recipient": "A"})),
                201,
                json!({"id": 7}),
            )
            .step(
                "bob:user",
                "GET /users/{userId}/addresses/{addressId}",
                &[("userId", json!(1)), ("addressId", json!(7))],
                None,
                404,
                json!({}),
            )
            .trace();
        assert_eq!(resolve(&trace, &body_ref(0, "/id")), Ok(json!(7)));
        let why = |r: Ref| {
            let e = resolve(&trace, &r).expect_err("unresolved");
            (e.kind(), e.to_string())
        };
        assert_eq!(
            why(body_ref(0, "/nope")),
            (
                "unresolved-ref",
                "step 0 body /nope: not in the answer".into()
            )
        );
        assert_eq!(
            why(body_ref(1, "/id")),
            (
                "unresolved-ref",
                "step 1 body /id: GET /users/{userId}/addresses/{addressId} as bob answered 404"
                    .into()
            )
        );
        let listed = TraceBuilder::new(shop())
            .step(
                "alice:user",
                "GET /users/{userId}/orders",
                &[("userId", json!(1))],
                None,
                200,
                json!([]),
            )
            .step(
                "alice:user",
                "POST /users/{userId}/cart/items",
                &[("userId", json!(1))],
                Some(json!({"productId": 1, "quantity": 1})),
                200,
                json!({"items": [{"id": 4}]}),
            )
            .trace();
        let problem = |r: Ref| match resolve(&listed, &r) {
            Err(StepError::UnresolvedRef { problem, .. }) => problem,
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            problem(body_ref(0, "/0/id")),
            RefProblem::NotListed { .. }
        ));
        assert!(matches!(
            problem(body_ref(1, "/items/1/id")),
            RefProblem::NotListed { .. }
        ));
        assert_eq!(problem(body_ref(1, "/items/0/sku")), RefProblem::Missing);
        assert_eq!(problem(body_ref(1, "/total")), RefProblem::Missing);
        assert_eq!(resolve(&listed, &body_ref(1, "/items/0/id")), Ok(json!(4)));
        assert_eq!(
            why(body_ref(5, "/id")),
            (
                "unresolved-ref",
                "step 5 body /id: that step did not run".into()
            )
        );
    }
}

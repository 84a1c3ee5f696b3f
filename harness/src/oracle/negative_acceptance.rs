//! `negative-acceptance` (off by default): a request that violates the operation's request
//! schema was answered 2xx. The request actually sent is judged, not how it was generated:
//!
//! - the JSON body against the request body schema (`readOnly` properties are not required);
//!   a missing required body; a body of a media type the operation does not accept;
//! - path, query and header parameter values against their schemas (scalars only; a value
//!   passes if it validates as the text sent or as the JSON scalar that text spells, since the
//!   wire cannot tell `"17"` from `17`); a missing required query parameter.
//!
//! Only the sequence's own steps are judged (verification re-reads are well-formed by
//! construction). Off by default because many services accept more than their spec allows on
//! purpose; turn it on with `--oracles +negative-acceptance`.

use serde_json::Value;
use trespass_generators::model::{
    ApiModel, Operation, ParameterLocation, SchemaId, SchemaKind, is_json_media_type,
};

use super::common::Dedup;
use super::schema_conformance::{Direction, Validators, best_media_match, media_list};
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Body, Purpose, TraceStep};

/// The `negative-acceptance` oracle. Holds a cache of compiled validators: build one per run
/// and share it.
#[derive(Debug)]
pub struct NegativeAcceptance {
    validators: Validators,
}

impl NegativeAcceptance {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "negative-acceptance";

    /// The oracle, with `format` asserted.
    pub fn new() -> Self {
        Self {
            validators: Validators::new(Direction::Request, true),
        }
    }

    /// What makes the request of `step` invalid, if anything.
    fn judge(&self, model: &ApiModel, op: &Operation, step: &TraceStep) -> Option<String> {
        self.judge_body(model, op, step)
            .or_else(|| self.judge_params(model, op, step))
    }

    fn judge_body(&self, model: &ApiModel, op: &Operation, step: &TraceStep) -> Option<String> {
        let declared = op.request_body.as_ref()?;
        let sent: Option<(String, Option<&Value>)> = match &step.exchange.request.body {
            Some(Body::Json(v)) => Some((
                "application/json".into(),
                Some(step.body.as_ref().unwrap_or(v)),
            )),
            Some(Body::Form(_)) => Some(("application/x-www-form-urlencoded".into(), None)),
            Some(Body::Text { content_type, .. }) => Some((content_type.clone(), None)),
            None => step
                .body
                .as_ref()
                .map(|v| ("application/json".to_string(), Some(v))),
        };
        let Some((media, value)) = sent else {
            return declared
                .required
                .then(|| "without its required body".to_string());
        };
        if declared.content.is_empty() {
            return None;
        }
        let Some((_, mt)) = best_media_match(&declared.content, &media) else {
            return Some(format!(
                "a `{media}` body, which it does not accept (it accepts {})",
                media_list(&declared.content)
            ));
        };
        let (Some(schema), Some(value)) = (mt.schema, value) else {
            return None;
        };
        if !is_json_media_type(&media) {
            return None;
        }
        let mismatch = self.validators.check(model, schema, value)?;
        Some(format!("a body that violates its schema: {mismatch}"))
    }

    fn judge_params(&self, model: &ApiModel, op: &Operation, step: &TraceStep) -> Option<String> {
        for (name, value) in &step.path_params {
            let Some(param) = op.parameter(ParameterLocation::Path, name) else {
                continue;
            };
            let Some(text) = wire_text(value).filter(|_| is_scalar(model, param.schema)) else {
                continue;
            };
            if !self.scalar_valid(model, param.schema, &text) {
                return Some(format!(
                    "path parameter `{name}` = {}, which violates its schema",
                    quoted(&text)
                ));
            }
        }
        let request = &step.exchange.request;
        for param in &op.parameters {
            let sent: Vec<&str> = match param.location {
                ParameterLocation::Query => request
                    .query
                    .iter()
                    .filter(|(k, _)| k == &param.name)
                    .map(|(_, v)| v.as_str())
                    .collect(),
                ParameterLocation::Header => request
                    .headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(&param.name))
                    .map(|(_, v)| v.as_str())
                    .collect(),
                ParameterLocation::Path | ParameterLocation::Cookie => continue,
            };
            if sent.is_empty() {
                if param.required && param.location == ParameterLocation::Query {
                    return Some(format!(
                        "without its required query parameter `{}`",
                        param.name
                    ));
                }
                continue;
            }
            if !is_scalar(model, param.schema) {
                continue;
            }
            if let Some(bad) = sent
                .iter()
                .find(|text| !self.scalar_valid(model, param.schema, text))
            {
                return Some(format!(
                    "{} parameter `{}` = {}, which violates its schema",
                    param.location,
                    param.name,
                    quoted(bad)
                ));
            }
        }
        None
    }

    /// Whether `text`, as sent on the wire, is valid for a scalar schema: as a string, or as
    /// the number, boolean or null it spells.
    fn scalar_valid(&self, model: &ApiModel, schema: SchemaId, text: &str) -> bool {
        if self
            .validators
            .is_valid(model, schema, &Value::String(text.to_string()))
        {
            return true;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => {
                self.validators.is_valid(model, schema, &v)
            }
            _ => false,
        }
    }
}

impl Default for NegativeAcceptance {
    fn default() -> Self {
        Self::new()
    }
}

impl Oracle for NegativeAcceptance {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            if !matches!(step.purpose, Purpose::Sequence { .. }) || !step.succeeded() {
                continue;
            }
            let Some(op) = cx.model.operation(&step.op) else {
                continue;
            };
            let Some(problem) = self.judge(cx.model, op, step) else {
                continue;
            };
            let role = acting_role(step);
            out.push(Violation {
                oracle: NegativeAcceptance::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) sent {} {problem}, and got {}",
                    step.identity,
                    step.op,
                    step.status().unwrap_or_default()
                ),
                rule: format!("{} refuses requests its spec does not allow", step.op),
                cause: None,
            });
        }
        out.finish()
    }
}

/// The text a path value travels as; `None` for arrays and objects (styles vary).
fn wire_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Whether a parameter schema admits scalars only (arrays and objects have serialisation
/// styles this oracle does not undo).
fn is_scalar(model: &ApiModel, id: SchemaId) -> bool {
    fn scalar(kind: &SchemaKind) -> bool {
        match kind {
            SchemaKind::Null
            | SchemaKind::Boolean
            | SchemaKind::Integer(_)
            | SchemaKind::Number(_)
            | SchemaKind::String(_) => true,
            SchemaKind::Union(kinds) => kinds.iter().all(scalar),
            _ => false,
        }
    }
    model.schemas.try_get(id).is_some_and(|s| scalar(&s.kind))
}

/// `"abc"`, cut when long.
fn quoted(text: &str) -> String {
    if text.chars().count() <= 40 {
        format!("{text:?}")
    } else {
        format!("a text of {} characters", text.chars().count())
    }
}

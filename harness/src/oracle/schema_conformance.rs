//! `schema-conformance`: an answer whose body does not match what the spec declares for its
//! status: a JSON body that does not validate against the declared schema, a content type
//! the status does not declare, a body where none is declared, or no body where one is.
//!
//! Only declared statuses are judged (an undeclared one is `status-conformance`'s, or
//! `server-error`'s for a 5xx). Schemas are the model's, rendered to JSON Schema 2020-12 by
//! [`Schemas::to_json_schema`](trespass_generators::model::Schemas::to_json_schema) and
//! compiled once per schema by the [`jsonschema`] crate; validators are cached inside the
//! oracle, so that judging a step costs one validation. `format` is asserted (`date-time`,
//! `uuid`, `email`, ...); formats the validator does not know (`int64`, `password`) are
//! annotations. Properties that are `writeOnly` are not required in answers (OpenAPI's rule).
//!
//! What is not judged: truncated bodies, bodies of non-JSON media types (beyond their content
//! type), answers without a `Content-Type` whose body is not JSON, and schemas the validator
//! cannot compile (a warning is logged once per schema).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::Value;
use trespass_generators::model::{ApiModel, MediaType, SchemaId, is_json_media_type};

use super::common::Dedup;
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Received, Response, ResponseBody, TraceStep};

/// The `schema-conformance` oracle. Holds a cache of compiled validators: build one per run
/// and share it (it is `Send + Sync`).
#[derive(Debug)]
pub struct SchemaConformance {
    validators: Validators,
}

impl SchemaConformance {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "schema-conformance";

    /// The oracle, with `format` asserted.
    pub fn new() -> Self {
        Self {
            validators: Validators::new(Direction::Response, true),
        }
    }

    /// Whether `format` keywords are asserted (default `true`). With `false` they are
    /// annotations only, as JSON Schema 2020-12 has it by default.
    pub fn validate_formats(self, on: bool) -> Self {
        Self {
            validators: Validators::new(Direction::Response, on),
        }
    }

    /// What is wrong with the answer of `step`, if anything.
    fn judge(&self, model: &ApiModel, step: &TraceStep, resp: &Response) -> Option<String> {
        if resp.truncated {
            return None;
        }
        let op = model.operation(&step.op)?;
        let declared = op.response_for(resp.status)?;
        let status = resp.status;
        let media = resp.media_type().filter(|m| !m.is_empty());
        if declared.content.is_empty() {
            return has_body(resp).then(|| {
                format!(
                    "a {} body, where the spec declares no body for {status}",
                    media.as_deref().unwrap_or("untyped")
                )
            });
        }
        if !has_body(resp) {
            let bodyless = status == 204
                || status == 205
                || status == 304
                || step.exchange.request.method == "HEAD";
            return (!bodyless).then(|| {
                format!(
                    "an empty body, where the spec declares {} for {status}",
                    media_list(&declared.content)
                )
            });
        }
        let (media_type, schema) = match &media {
            Some(m) => match best_media_match(&declared.content, m) {
                Some((_, mt)) => (m.as_str(), mt.schema),
                None => {
                    return Some(format!(
                        "content type `{m}`, which the spec does not declare for {status} (it \
                         declares {})",
                        media_list(&declared.content)
                    ));
                }
            },
            // No Content-Type: a JSON body is judged against the declared JSON media type.
            None => match (&resp.body, declared.json_schema()) {
                (ResponseBody::Json(_), Some(id)) => ("application/json", Some(id)),
                _ => return None,
            },
        };
        let schema = schema?;
        if !is_json_media_type(media_type) {
            return None;
        }
        let ResponseBody::Json(value) = &resp.body else {
            return Some(format!("a `{media_type}` body that is not valid JSON"));
        };
        let mismatch = self.validators.check(model, schema, value)?;
        Some(format!("a body that does not match its schema: {mismatch}"))
    }
}

impl Default for SchemaConformance {
    fn default() -> Self {
        Self::new()
    }
}

impl Oracle for SchemaConformance {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            let Received::Response(resp) = &step.exchange.outcome else {
                continue;
            };
            let Some(problem) = self.judge(cx.model, step, resp) else {
                continue;
            };
            let role = acting_role(step);
            out.push(Violation {
                oracle: SchemaConformance::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) called {} and got {} with {problem}",
                    step.identity, step.op, resp.status
                ),
                rule: format!(
                    "answers of {} carry the body and content type its spec declares for their \
                     status",
                    step.op
                ),
                cause: None,
            });
        }
        out.finish()
    }
}

fn has_body(resp: &Response) -> bool {
    match &resp.body {
        ResponseBody::Empty => false,
        ResponseBody::Json(_) => true,
        ResponseBody::Text(t) => !t.is_empty(),
        ResponseBody::Binary(n) => *n > 0,
    }
}

/// `application/json or text/plain`.
pub(super) fn media_list(content: &indexmap::IndexMap<String, MediaType>) -> String {
    let names: Vec<String> = content.keys().map(|k| format!("`{k}`")).collect();
    names.join(" or ")
}

/// The essence of a media type: lowercase, without parameters.
fn essence(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The declared media type that best covers `actual`: an exact match, then `type/*`, then
/// `*/*`.
pub(super) fn best_media_match<'a>(
    content: &'a indexmap::IndexMap<String, MediaType>,
    actual: &str,
) -> Option<(&'a str, &'a MediaType)> {
    let actual = essence(actual);
    let top = actual.split('/').next().unwrap_or("");
    content
        .iter()
        .filter_map(|(declared, mt)| {
            let d = essence(declared);
            let score = if d == actual {
                3
            } else if d.strip_suffix("/*") == Some(top) {
                2
            } else if d == "*/*" || d == "*" {
                1
            } else {
                return None;
            };
            Some((score, declared.as_str(), mt))
        })
        .max_by_key(|(score, _, _)| *score)
        .map(|(_, d, mt)| (d, mt))
}

// ---------------------------------------------------------------------------------------------
// compiled validators, shared with `negative-acceptance`

/// Which side of an exchange a schema judges: `readOnly` properties are not required in
/// requests, `writeOnly` ones not in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Request,
    Response,
}

impl Direction {
    /// The annotation whose properties this direction does not require.
    fn exempt(self) -> &'static str {
        match self {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        }
    }
}

/// The validators of one model's schemas, compiled on first use and kept. A check against
/// another model (a different spec hash or arena) starts the cache afresh.
#[derive(Debug)]
pub(super) struct Validators {
    direction: Direction,
    formats: bool,
    cache: RwLock<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    model: Option<(String, usize)>,
    compiled: HashMap<SchemaId, Arc<Compiled>>,
}

#[derive(Debug)]
enum Compiled {
    Ready(Box<jsonschema::Validator>),
    /// The schema did not compile; nothing is judged against it.
    Broken,
}

/// The first error of an instance that does not validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mismatch {
    /// JSON pointer of the failing instance (`""` for the whole value).
    pub(super) pointer: String,
    /// The schema keyword that failed (`type`, `required`, ...).
    pub(super) keyword: String,
    /// Where the keyword is in the rendered schema (`/$defs/Order/properties/cancelledAt/type`).
    pub(super) schema_path: String,
    /// The error in words, the value shown only when short.
    pub(super) detail: String,
    /// How many more errors the instance has.
    pub(super) more: usize,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "the top level"
        } else {
            self.pointer.as_str()
        };
        write!(
            f,
            "at {at}, {} (keyword `{}` at #{})",
            self.detail, self.keyword, self.schema_path
        )?;
        match self.more {
            0 => Ok(()),
            1 => write!(f, "; 1 more error"),
            n => write!(f, "; {n} more errors"),
        }
    }
}

impl Validators {
    pub(super) fn new(direction: Direction, formats: bool) -> Self {
        Self {
            direction,
            formats,
            cache: RwLock::new(Cache::default()),
        }
    }

    /// The first reason `value` does not validate against schema `id` of `model`; `None` when
    /// it validates or the schema cannot be compiled.
    pub(super) fn check(&self, model: &ApiModel, id: SchemaId, value: &Value) -> Option<Mismatch> {
        let compiled = self.get(model, id);
        let Compiled::Ready(validator) = &*compiled else {
            return None;
        };
        if validator.is_valid(value) {
            return None;
        }
        let mut errors = validator.iter_errors(value);
        let first = errors.next()?;
        let more = errors.take(999).count();
        let shown = shown(first.instance());
        Some(Mismatch {
            pointer: first.instance_path().as_str().to_string(),
            keyword: first.kind().keyword().to_string(),
            schema_path: first.schema_path().as_str().to_string(),
            detail: first.masked_with(shown).to_string(),
            more,
        })
    }

    /// Whether `value` validates against schema `id` (`true` when the schema cannot be
    /// compiled: nothing is judged against it).
    pub(super) fn is_valid(&self, model: &ApiModel, id: SchemaId, value: &Value) -> bool {
        match &*self.get(model, id) {
            Compiled::Ready(v) => v.is_valid(value),
            Compiled::Broken => true,
        }
    }

    fn get(&self, model: &ApiModel, id: SchemaId) -> Arc<Compiled> {
        // Compared in place: the spec hash is not copied for every answer judged.
        let same_model = |cache: &Cache| {
            cache
                .model
                .as_ref()
                .is_some_and(|(hash, len)| *hash == model.spec_hash && *len == model.schemas.len())
        };
        {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            if same_model(&cache)
                && let Some(c) = cache.compiled.get(&id)
            {
                return c.clone();
            }
        }
        // Compile outside the lock: other workers keep validating meanwhile. Two workers may
        // compile the same schema once each; the first result is kept.
        let compiled = Arc::new(self.compile(model, id));
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if !same_model(&cache) {
            cache.model = Some((model.spec_hash.clone(), model.schemas.len()));
            cache.compiled.clear();
        }
        cache.compiled.entry(id).or_insert(compiled).clone()
    }

    fn compile(&self, model: &ApiModel, id: SchemaId) -> Compiled {
        let mut schema = model.schemas.to_json_schema(id);
        relax_required(&mut schema, self.direction.exempt());
        match jsonschema::draft202012::options()
            .should_validate_formats(self.formats)
            .build(&schema)
        {
            Ok(v) => Compiled::Ready(Box::new(v)),
            Err(e) => {
                let pointer = model
                    .schemas
                    .try_get(id)
                    .map(|s| s.pointer.as_str())
                    .unwrap_or("?");
                tracing::warn!(
                    "schema {pointer} cannot be compiled, not validating against it: {e}"
                );
                Compiled::Broken
            }
        }
    }
}

/// How an instance is named in a mismatch: short scalars verbatim, the rest by shape (bodies
/// may carry personal data; the report holds the whole exchange anyway).
fn shown(value: &Value) -> String {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::String(s) if s.chars().count() <= 40 => value.to_string(),
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(_) => "the object".to_string(),
    }
}

/// Drops from every `required` list the properties marked `exempt` (`readOnly` or
/// `writeOnly`), directly, through a `$ref` into `$defs` or through an `allOf` part.
fn relax_required(schema: &mut Value, exempt: &str) {
    let marked_defs = marked_defs(schema, exempt);
    walk(schema, exempt, &marked_defs);

    fn walk(v: &mut Value, exempt: &str, defs: &[String]) {
        match v {
            Value::Object(map) => {
                let drop: Vec<String> = match (map.get("properties"), map.get("required")) {
                    (Some(Value::Object(props)), Some(Value::Array(_))) => props
                        .iter()
                        .filter(|(_, p)| is_marked(p, exempt, defs))
                        .map(|(k, _)| k.clone())
                        .collect(),
                    _ => Vec::new(),
                };
                if !drop.is_empty()
                    && let Some(Value::Array(required)) = map.get_mut("required")
                {
                    required.retain(|r| r.as_str().is_none_or(|r| !drop.iter().any(|d| d == r)));
                }
                for child in map.values_mut() {
                    walk(child, exempt, defs);
                }
            }
            Value::Array(items) => {
                for child in items {
                    walk(child, exempt, defs);
                }
            }
            _ => {}
        }
    }
}

/// Keys of `$defs` entries marked `exempt` (to a fixed point, through `$ref` and `allOf`).
fn marked_defs(schema: &Value, exempt: &str) -> Vec<String> {
    let Some(Value::Object(defs)) = schema.get("$defs") else {
        return Vec::new();
    };
    let mut marked: Vec<String> = Vec::new();
    loop {
        let before = marked.len();
        for (key, def) in defs {
            if !marked.contains(key) && is_marked(def, exempt, &marked) {
                marked.push(key.clone());
            }
        }
        if marked.len() == before {
            return marked;
        }
    }
}

fn is_marked(schema: &Value, exempt: &str, defs: &[String]) -> bool {
    if schema.get(exempt) == Some(&Value::Bool(true)) {
        return true;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str)
        && let Some(key) = r.strip_prefix("#/$defs/")
        && defs.iter().any(|d| d == key)
    {
        return true;
    }
    schema
        .get("allOf")
        .and_then(Value::as_array)
        .is_some_and(|parts| parts.iter().any(|p| is_marked(p, exempt, defs)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn read_only_properties_are_not_required_in_requests() {
        let mut schema = json!({
            "$ref": "#/$defs/Address",
            "$defs": {
                "Address": {
                    "type": "object",
                    "required": ["id", "city", "role", "secret"],
                    "properties": {
                        "id": {"type": "integer", "readOnly": true},
                        "city": {"type": "string"},
                        "role": {"allOf": [{"$ref": "#/$defs/Role"}]},
                        "secret": {"type": "string", "writeOnly": true}
                    }
                },
                "Role": {"enum": ["user"], "readOnly": true}
            }
        });
        let mut response = schema.clone();
        relax_required(&mut schema, Direction::Request.exempt());
        assert_eq!(
            schema["$defs"]["Address"]["required"],
            json!(["city", "secret"])
        );
        relax_required(&mut response, Direction::Response.exempt());
        assert_eq!(
            response["$defs"]["Address"]["required"],
            json!(["id", "city", "role"])
        );
    }

    #[test]
    fn media_types_match_exactly_then_by_wildcard() {
        let mut content = indexmap::IndexMap::new();
        content.insert("*/*".to_string(), MediaType::default());
        content.insert("application/json".to_string(), MediaType::default());
        content.insert("text/*".to_string(), MediaType::default());
        fn best(content: &indexmap::IndexMap<String, MediaType>, m: &str) -> Option<String> {
            best_media_match(content, m).map(|(d, _)| d.to_string())
        }
        assert_eq!(
            best(&content, "application/json; charset=utf-8").as_deref(),
            Some("application/json")
        );
        assert_eq!(best(&content, "TEXT/HTML").as_deref(), Some("text/*"));
        assert_eq!(best(&content, "image/png").as_deref(), Some("*/*"));
        content.shift_remove("*/*");
        assert_eq!(best(&content, "image/png"), None);
        assert_eq!(
            best(&content, "application/problem+json"),
            None,
            "a structured suffix is another media type"
        );
    }
}

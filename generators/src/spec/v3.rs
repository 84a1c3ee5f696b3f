//! OpenAPI 3.0 / 3.1 operations: parameters with `schema` or `content`, request bodies,
//! responses with headers and links.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::Loader;
use super::operations::{PathCtx, location_of};
use super::refs::Loc;
use crate::errors::{SpecError, describe};
use crate::model::{
    Header, MediaType, Method, OpenApiLink, Operation, OperationId, Parameter, ParameterLocation,
    ParameterStyle, RequestBody, Response, Schema, SecurityRequirement,
};

impl Loader {
    pub(crate) fn v3_operations(
        &mut self,
        root: &Map<String, Value>,
        global_security: &[SecurityRequirement],
    ) -> Result<Vec<Operation>, SpecError> {
        let global = global_security.to_vec();
        self.walk_paths(root, |l, ctx, method, op_loc, op| {
            l.v3_operation(ctx, method, op_loc, op, &global)
        })
    }

    fn v3_operation(
        &mut self,
        ctx: &PathCtx<'_>,
        method: Method,
        op_loc: &Loc,
        op: &Map<String, Value>,
        global_security: &[SecurityRequirement],
    ) -> Result<Operation, SpecError> {
        let mut operation = self.operation_skeleton(ctx, method, op_loc, op, global_security);
        // Operation servers win over path servers.
        let servers = match op.get("servers") {
            Some(s) => self.servers(&op_loc.key("servers"), Some(s)),
            None => self.servers(&ctx.item_loc.key("servers"), ctx.item.get("servers")),
        };
        operation.servers = servers;
        for (ploc, p) in self.raw_parameters(ctx, op_loc, op)? {
            if let Some(param) = self.v3_parameter(&ploc, &p)? {
                operation.parameters.push(param);
            }
        }
        self.ensure_path_parameters(op_loc, &mut operation);
        if let Some(raw) = op.get("requestBody") {
            let (bloc, body) = self.docs.deref(&op_loc.key("requestBody"), raw)?;
            operation.request_body = Some(RequestBody {
                required: body
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                content: self.content(&bloc.key("content"), body.get("content"))?,
            });
        }
        operation.responses = self.responses(op_loc, op, Self::v3_response)?;
        Ok(operation)
    }

    fn v3_parameter(
        &mut self,
        loc: &Loc,
        p: &Map<String, Value>,
    ) -> Result<Option<Parameter>, SpecError> {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let in_value = p.get("in").and_then(Value::as_str).unwrap_or_default();
        let Some(location) = location_of(in_value) else {
            self.skip(
                loc,
                format!("parameter `{name}` has unknown location `{in_value}`; ignored"),
            )?;
            return Ok(None);
        };
        let mut media_type = None;
        let schema = if let Some(s) = p.get("schema") {
            self.schema_at(&loc.key("schema"), s)?
        } else if let Some(Value::Object(content)) = p.get("content") {
            match content.iter().next() {
                Some((media, mt)) => {
                    media_type = Some(media.clone());
                    match mt.get("schema") {
                        Some(s) => {
                            self.schema_at(&loc.key("content").key(media).key("schema"), s)?
                        }
                        None => self.add(Schema::any(self.docs.display(loc))),
                    }
                }
                None => self.add(Schema::any(self.docs.display(loc))),
            }
        } else {
            self.add(Schema::any(self.docs.display(loc)))
        };
        let style = match p.get("style").and_then(Value::as_str) {
            Some("matrix") => ParameterStyle::Matrix,
            Some("label") => ParameterStyle::Label,
            Some("form") => ParameterStyle::Form,
            Some("simple") => ParameterStyle::Simple,
            Some("spaceDelimited") => ParameterStyle::SpaceDelimited,
            Some("pipeDelimited") => ParameterStyle::PipeDelimited,
            Some("deepObject") => ParameterStyle::DeepObject,
            _ => ParameterStyle::default_for(location),
        };
        let explode = p
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(style == ParameterStyle::Form);
        Ok(Some(Parameter {
            required: location == ParameterLocation::Path
                || p.get("required").and_then(Value::as_bool).unwrap_or(false),
            name,
            location,
            schema,
            style,
            explode,
            media_type,
            allow_empty_value: p
                .get("allowEmptyValue")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            deprecated: p
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }))
    }

    /// A `content` map of media types.
    fn content(
        &mut self,
        loc: &Loc,
        value: Option<&Value>,
    ) -> Result<IndexMap<String, MediaType>, SpecError> {
        let mut out = IndexMap::new();
        let Some(value) = value else { return Ok(out) };
        let Value::Object(map) = value else {
            self.skip(
                loc,
                format!(
                    "`content` must be a mapping, found {}; ignored",
                    describe(value)
                ),
            )?;
            return Ok(out);
        };
        for (media, mt) in map {
            let mloc = loc.key(media);
            let schema = match mt.get("schema") {
                Some(s) => Some(self.schema_at(&mloc.key("schema"), s)?),
                None => None,
            };
            let mut encoding = IndexMap::new();
            if let Some(Value::Object(enc)) = mt.get("encoding") {
                for (prop, e) in enc {
                    if let Some(ct) = e.get("contentType").and_then(Value::as_str) {
                        encoding.insert(prop.clone(), ct.to_string());
                    }
                }
            }
            let mut examples = Vec::new();
            if let Some(e) = mt.get("example") {
                examples.push(e.clone());
            }
            if let Some(Value::Object(named)) = mt.get("examples") {
                for (name, ex) in named {
                    let eloc = mloc.key("examples").key(name);
                    if let Ok((_, ex)) = self.docs.deref(&eloc, ex)
                        && let Some(v) = ex.get("value")
                    {
                        examples.push(v.clone());
                    }
                }
            }
            out.insert(
                media.clone(),
                MediaType {
                    schema,
                    encoding,
                    examples,
                },
            );
        }
        Ok(out)
    }

    fn v3_response(&mut self, loc: &Loc, value: &Value) -> Result<Response, SpecError> {
        let mut response = Response {
            description: value
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            content: self.content(&loc.key("content"), value.get("content"))?,
            ..Default::default()
        };
        if let Some(Value::Object(headers)) = value.get("headers") {
            for (name, raw) in headers {
                let (hloc, h) = self.docs.deref(&loc.key("headers").key(name), raw)?;
                let schema = match (h.get("schema"), h.get("content").and_then(Value::as_object)) {
                    (Some(s), _) => self.schema_at(&hloc.key("schema"), s)?,
                    (None, Some(c)) => match c
                        .iter()
                        .next()
                        .and_then(|(m, mt)| mt.get("schema").map(|s| (m, s)))
                    {
                        Some((m, s)) => {
                            self.schema_at(&hloc.key("content").key(m).key("schema"), s)?
                        }
                        None => self.add(Schema::any(self.docs.display(&hloc))),
                    },
                    _ => self.add(Schema::any(self.docs.display(&hloc))),
                };
                let required = h.get("required").and_then(Value::as_bool).unwrap_or(false);
                response
                    .headers
                    .insert(name.clone(), Header { schema, required });
            }
        }
        if let Some(Value::Object(links)) = value.get("links") {
            for (name, raw) in links {
                let lloc = loc.key("links").key(name);
                let (_, link) = match self.docs.deref(&lloc, raw) {
                    Ok(x) => x,
                    Err(e) => {
                        self.skip_error(&lloc, e)?;
                        continue;
                    }
                };
                let operation = link
                    .get("operationRef")
                    .and_then(Value::as_str)
                    .and_then(operation_from_ref);
                response.links.push(OpenApiLink {
                    name: name.clone(),
                    operation,
                    operation_id: link
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    parameters: link
                        .get("parameters")
                        .and_then(Value::as_object)
                        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                    request_body: link.get("requestBody").cloned(),
                });
            }
        }
        Ok(response)
    }
}

/// The operation named by a local `operationRef` (`#/paths/~1users~1{id}/get`).
fn operation_from_ref(reference: &str) -> Option<OperationId> {
    let fragment = reference.split_once('#')?.1;
    let fragment = super::refs::percent_decode(fragment);
    let mut tokens = fragment.strip_prefix("/paths/")?.rsplitn(2, '/');
    let method = tokens.next()?;
    let path = crate::pointer::unescape(tokens.next()?).into_owned();
    Method::from_key(method)?;
    Some(OperationId::new(method, &path))
}

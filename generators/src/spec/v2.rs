//! Swagger 2.0 operations: `body` and `formData` parameters become request bodies,
//! `consumes`/`produces` become media types, `collectionFormat` becomes a style, response
//! `schema` and header objects become the OpenAPI 3 shapes.

use serde_json::{Map, Value};

use super::Loader;
use super::operations::{PathCtx, location_of};
use super::refs::Loc;
use crate::errors::SpecError;
use crate::model::{
    Additional, Header, MediaType, Method, ObjectSchema, Operation, Parameter, ParameterLocation,
    ParameterStyle, RequestBody, Response, Schema, SchemaId, SchemaKind, SecurityRequirement,
};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data";

impl Loader {
    pub(crate) fn v2_operations(
        &mut self,
        root: &Map<String, Value>,
        global_security: &[SecurityRequirement],
    ) -> Result<Vec<Operation>, SpecError> {
        let global = global_security.to_vec();
        let consumes = media_list(root.get("consumes"));
        let produces = media_list(root.get("produces"));
        self.walk_paths(root, |l, ctx, method, op_loc, op| {
            l.v2_operation(ctx, method, op_loc, op, &global, &consumes, &produces)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn v2_operation(
        &mut self,
        ctx: &PathCtx<'_>,
        method: Method,
        op_loc: &Loc,
        op: &Map<String, Value>,
        global_security: &[SecurityRequirement],
        global_consumes: &[String],
        global_produces: &[String],
    ) -> Result<Operation, SpecError> {
        let mut operation = self.operation_skeleton(ctx, method, op_loc, op, global_security);
        let consumes = op
            .get("consumes")
            .map(|c| media_list(Some(c)))
            .unwrap_or_else(|| global_consumes.to_vec());
        let produces = op
            .get("produces")
            .map(|c| media_list(Some(c)))
            .unwrap_or_else(|| global_produces.to_vec());

        let mut params = V2Params::default();
        for (ploc, p) in self.raw_parameters(ctx, op_loc, op)? {
            if let Some(parameter) = self.v2_parameter(ploc, &p, &consumes, &mut params)? {
                operation.parameters.push(parameter);
            }
        }
        let mut body = params.body;
        if let Some(loc) = params.form_loc {
            let content = self.v2_form_body(&loc, params.form, params.form_has_file, &consumes);
            if body.is_some() {
                self.warn(
                    op_loc,
                    "both `body` and `formData` parameters; the form is ignored",
                );
            } else {
                body = Some(content);
            }
        }
        operation.request_body = body;
        self.ensure_path_parameters(op_loc, &mut operation);

        operation.responses = self.responses(op_loc, op, |this, loc, value| {
            this.v2_response(loc, value, &produces)
        })?;
        Ok(operation)
    }

    /// One Swagger 2.0 parameter: a `body` or `formData` parameter goes into `params` (the
    /// request body to be), any other becomes the returned [`Parameter`].
    fn v2_parameter(
        &mut self,
        ploc: Loc,
        p: &Map<String, Value>,
        consumes: &[String],
        params: &mut V2Params,
    ) -> Result<Option<Parameter>, SpecError> {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let in_value = p.get("in").and_then(Value::as_str).unwrap_or_default();
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        match in_value {
            "body" => {
                let schema = match p.get("schema") {
                    Some(s) => self.schema_at(&ploc.key("schema"), s)?,
                    None => self.add(Schema::any(self.docs.display(&ploc))),
                };
                let media: Vec<String> = if consumes.is_empty() {
                    vec![JSON.into()]
                } else {
                    consumes.to_vec()
                };
                let content = media_content(media, schema);
                params.body = Some(RequestBody { required, content });
                Ok(None)
            }
            "formData" => {
                if p.get("type").and_then(Value::as_str) == Some("file") {
                    params.form_has_file = true;
                }
                let schema = self.schema_at(&ploc, &Value::Object(param_schema(p)))?;
                params.form.properties.insert(name.clone(), schema);
                if required {
                    params.form.required.push(name);
                }
                params.form_loc.get_or_insert(ploc);
                Ok(None)
            }
            other => {
                let Some(location) = location_of(other) else {
                    self.skip(
                        &ploc,
                        format!("parameter `{name}` has unknown location `{other}`; ignored"),
                    )?;
                    return Ok(None);
                };
                let schema = self.schema_at(&ploc, &Value::Object(param_schema(p)))?;
                let (style, explode) = match p.get("collectionFormat").and_then(Value::as_str) {
                    Some("multi") => (ParameterStyle::Form, true),
                    Some("ssv") => (ParameterStyle::SpaceDelimited, false),
                    Some("tsv") => (ParameterStyle::TabDelimited, false),
                    Some("pipes") => (ParameterStyle::PipeDelimited, false),
                    _ => (ParameterStyle::default_for(location), false),
                };
                Ok(Some(Parameter {
                    name,
                    location,
                    required: required || location == ParameterLocation::Path,
                    schema,
                    style,
                    explode,
                    media_type: None,
                    allow_empty_value: p
                        .get("allowEmptyValue")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    deprecated: false,
                }))
            }
        }
    }

    /// The request body made of the `formData` parameters (`form`, first seen at `loc`).
    fn v2_form_body(
        &mut self,
        loc: &Loc,
        mut form: ObjectSchema,
        has_file: bool,
        consumes: &[String],
    ) -> RequestBody {
        let required = !form.required.is_empty();
        form.additional = Additional::Any;
        let schema = self.add(Schema::of(SchemaKind::Object(form), self.docs.display(loc)));
        let mut media: Vec<String> = consumes
            .iter()
            .filter(|m| m.starts_with(FORM) || m.starts_with(MULTIPART))
            .cloned()
            .collect();
        if media.is_empty() {
            media.push(if has_file { MULTIPART } else { FORM }.to_string());
        }
        RequestBody {
            required,
            content: media_content(media, schema),
        }
    }

    fn v2_response(
        &mut self,
        loc: &Loc,
        value: &Value,
        produces: &[String],
    ) -> Result<Response, SpecError> {
        let mut response = Response {
            description: value
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            ..Default::default()
        };
        if let Some(s) = value.get("schema") {
            let schema = self.schema_at(&loc.key("schema"), s)?;
            let media: Vec<String> = if produces.is_empty() {
                vec![JSON.into()]
            } else {
                produces.to_vec()
            };
            let examples = value.get("examples").and_then(Value::as_object);
            for m in media {
                let example = examples.and_then(|e| e.get(&m)).cloned();
                response.content.insert(
                    m,
                    MediaType {
                        schema: Some(schema),
                        examples: example.into_iter().collect(),
                        ..Default::default()
                    },
                );
            }
        }
        if let Some(Value::Object(headers)) = value.get("headers") {
            for (name, h) in headers {
                let schema = self.schema_at(&loc.key("headers").key(name), h)?;
                response.headers.insert(
                    name.clone(),
                    Header {
                        schema,
                        required: false,
                    },
                );
            }
        }
        Ok(response)
    }
}

/// The schema part of a 2.0 non-body parameter (its type keywords without `name`, `in`,
/// `required` and `description`).
fn param_schema(p: &Map<String, Value>) -> Map<String, Value> {
    p.iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "name" | "in" | "required" | "description" | "collectionFormat" | "allowEmptyValue"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn media_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// What the `body` and `formData` parameters of one operation add up to.
#[derive(Default)]
struct V2Params {
    body: Option<RequestBody>,
    form: ObjectSchema,
    form_has_file: bool,
    form_loc: Option<Loc>,
}

/// `schema` under each media type of `media`.
fn media_content(media: Vec<String>, schema: SchemaId) -> indexmap::IndexMap<String, MediaType> {
    media
        .into_iter()
        .map(|m| {
            (
                m,
                MediaType {
                    schema: Some(schema),
                    ..Default::default()
                },
            )
        })
        .collect()
}

//! The version-independent walk over `paths`: path items, methods, parameter merging,
//! security, tags, extensions. Version-specific pieces live in `v2.rs` and `v3.rs`.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::Loader;
use super::refs::Loc;
use crate::errors::{KindOnly, SpecError, SpecErrorKind, describe};
use crate::model::{
    Method, Operation, OperationId, Parameter, ParameterLocation, Response, SecurityRequirement,
    StatusKey,
};

/// A dereferenced parameter object with its location.
pub(crate) type RawParameter = (Loc, Map<String, Value>);

/// One path item being converted.
pub(crate) struct PathCtx<'a> {
    pub path: &'a str,
    pub item_loc: Loc,
    pub item: Map<String, Value>,
}

impl Loader {
    /// Walks `paths`, calling `convert` for every operation; failures of one operation are
    /// skipped with a warning (errors in strict mode).
    pub(crate) fn walk_paths<F>(
        &mut self,
        root: &Map<String, Value>,
        mut convert: F,
    ) -> Result<Vec<Operation>, SpecError>
    where
        F: FnMut(
            &mut Loader,
            &PathCtx<'_>,
            Method,
            &Loc,
            &Map<String, Value>,
        ) -> Result<Operation, SpecError>,
    {
        let paths_loc = Loc::new(0, "/paths");
        let paths = match root.get("paths") {
            Some(Value::Object(p)) => p.clone(),
            None | Some(Value::Null) if self.version == crate::model::SpecVersion::OpenApi31 => {
                Map::new()
            }
            None => {
                return Err(self.docs.error(
                    &Loc::new(0, ""),
                    SpecErrorKind::MissingField("paths".into()),
                ));
            }
            Some(other) => {
                return Err(self.docs.error(
                    &paths_loc,
                    SpecErrorKind::WrongType {
                        expected: "a mapping of paths to path items".into(),
                        found: describe(other),
                    },
                ));
            }
        };
        let mut out = Vec::new();
        for (path, raw_item) in &paths {
            let item_loc = paths_loc.key(path);
            if path.starts_with("x-") {
                continue;
            }
            if !path.starts_with('/') {
                self.skip(
                    &item_loc,
                    format!("path `{path}` does not start with `/`; skipped"),
                )?;
                continue;
            }
            let (item_loc, item) = match self.docs.deref(&item_loc, raw_item) {
                Ok((l, Value::Object(m))) => (l, m),
                Ok((l, other)) => {
                    self.skip(
                        &l,
                        format!(
                            "a path item must be a mapping, found {}; skipped",
                            describe(&other)
                        ),
                    )?;
                    continue;
                }
                Err(e) => {
                    self.skip_error(&item_loc, e)?;
                    continue;
                }
            };
            let ctx = PathCtx {
                path,
                item_loc,
                item,
            };
            for (key, op_value) in &ctx.item {
                let Some(method) = Method::from_key(key) else {
                    continue;
                };
                let op_loc = ctx.item_loc.key(key);
                let Value::Object(op_map) = op_value else {
                    self.skip(
                        &op_loc,
                        format!(
                            "an operation must be a mapping, found {}; skipped",
                            describe(op_value)
                        ),
                    )?;
                    continue;
                };
                match convert(self, &ctx, method, &op_loc, op_map) {
                    Ok(op) => out.push(op),
                    Err(e) => self.skip_error(&op_loc, e)?,
                }
            }
        }
        Ok(out)
    }

    /// The `responses` of operation `op` by status key, each converted by `convert` (the
    /// version-specific part); `x-` keys are skipped, bad keys and a non-mapping are skips.
    pub(crate) fn responses(
        &mut self,
        op_loc: &Loc,
        op: &Map<String, Value>,
        mut convert: impl FnMut(&mut Self, &Loc, &Value) -> Result<Response, SpecError>,
    ) -> Result<IndexMap<StatusKey, Response>, SpecError> {
        let mut out = IndexMap::new();
        match op.get("responses") {
            Some(Value::Object(responses)) => {
                let rloc = op_loc.key("responses");
                for (key, raw) in responses {
                    if key.starts_with("x-") {
                        continue;
                    }
                    let Ok(status) = key.parse::<StatusKey>() else {
                        self.skip(
                            &rloc.key(key),
                            format!("`{key}` is not a status code; response ignored"),
                        )?;
                        continue;
                    };
                    let (loc, value) = self.docs.deref(&rloc.key(key), raw)?;
                    let response = convert(self, &loc, &value)?;
                    out.insert(status, response);
                }
            }
            Some(other) => {
                self.skip(
                    &op_loc.key("responses"),
                    format!(
                        "`responses` must be a mapping, found {}; ignored",
                        describe(other)
                    ),
                )?;
            }
            None => self.warn(op_loc, "the operation declares no responses"),
        }
        Ok(out)
    }

    /// A skip: a warning, or an error in strict mode.
    pub(crate) fn skip(&mut self, loc: &Loc, message: String) -> Result<(), SpecError> {
        if self.strict {
            return Err(self.docs.error(loc, SpecErrorKind::Invalid(message)));
        }
        self.warn(loc, message);
        Ok(())
    }

    /// A skipped element because of `e`; remote references and strict mode stay errors.
    pub(crate) fn skip_error(&mut self, loc: &Loc, e: SpecError) -> Result<(), SpecError> {
        if self.strict || matches!(e.kind, SpecErrorKind::RemoteRef(_)) {
            return Err(e);
        }
        let place = if e.pointer.is_empty() {
            String::new()
        } else {
            format!(" (at {}#{})", e.file, e.pointer)
        };
        self.warn(loc, format!("skipped: {}{place}", KindOnly(&e.kind)));
        Ok(())
    }

    /// The fields every version shares; parameters, body and responses are filled by the
    /// caller.
    pub(crate) fn operation_skeleton(
        &mut self,
        ctx: &PathCtx<'_>,
        method: Method,
        op_loc: &Loc,
        op: &Map<String, Value>,
        global_security: &[SecurityRequirement],
    ) -> Operation {
        let security = self.security_requirements(&op_loc.key("security"), op.get("security"));
        let effective_security = security.clone().unwrap_or_else(|| global_security.to_vec());
        let mut extensions = IndexMap::new();
        for (k, v) in ctx.item.iter().chain(op.iter()) {
            if k.starts_with("x-") {
                extensions.insert(k.clone(), v.clone());
            }
        }
        let tags = match op.get("tags") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        if op
            .get("callbacks")
            .is_some_and(|c| c.as_object().is_some_and(|m| !m.is_empty()))
        {
            self.warn(
                &op_loc.key("callbacks"),
                "callbacks are not exercised; skipped",
            );
        }
        Operation {
            id: OperationId::new(method.as_str(), ctx.path),
            operation_id: op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string),
            method,
            path: ctx.path.to_string(),
            summary: op
                .get("summary")
                .and_then(Value::as_str)
                .map(str::to_string),
            tags,
            parameters: Vec::new(),
            request_body: None,
            responses: IndexMap::new(),
            security,
            effective_security,
            servers: Vec::new(),
            deprecated: op
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            extensions,
        }
    }

    /// Path-level then operation-level parameters, dereferenced, the latter overriding the
    /// former by (name, location). Returns each with its location.
    pub(crate) fn raw_parameters(
        &mut self,
        ctx: &PathCtx<'_>,
        op_loc: &Loc,
        op: &Map<String, Value>,
    ) -> Result<Vec<RawParameter>, SpecError> {
        let mut out: Vec<RawParameter> = Vec::new();
        let sources = [
            (ctx.item_loc.key("parameters"), ctx.item.get("parameters")),
            (op_loc.key("parameters"), op.get("parameters")),
        ];
        for (list_loc, list) in sources {
            let Some(list) = list else { continue };
            let Some(items) = list.as_array() else {
                self.skip(
                    &list_loc,
                    format!(
                        "`parameters` must be a list, found {}; ignored",
                        describe(list)
                    ),
                )?;
                continue;
            };
            for (i, raw) in items.iter().enumerate() {
                let loc = list_loc.index(i);
                let (ploc, value) = self.docs.deref(&loc, raw)?;
                let Value::Object(p) = value else {
                    self.skip(
                        &ploc,
                        format!(
                            "a parameter must be a mapping, found {}; ignored",
                            describe(&value)
                        ),
                    )?;
                    continue;
                };
                let name = p.get("name").and_then(Value::as_str);
                let location = p.get("in").and_then(Value::as_str);
                if name.is_none() || location.is_none() {
                    self.skip(&ploc, "a parameter needs `name` and `in`; ignored".into())?;
                    continue;
                }
                out.retain(|(_, q)| {
                    !(q.get("name").and_then(Value::as_str) == name
                        && q.get("in").and_then(Value::as_str) == location)
                });
                out.push((ploc, p));
            }
        }
        Ok(out)
    }

    /// Adds path parameters that the template names but the spec forgot to declare (as
    /// required strings), with a warning.
    pub(crate) fn ensure_path_parameters(&mut self, op_loc: &Loc, op: &mut Operation) {
        for name in crate::model::path_template_params(&op.path) {
            if op.parameter(ParameterLocation::Path, name).is_none() {
                self.warn(
                    op_loc,
                    format!(
                        "path parameter `{name}` is not declared; assumed to be a required string"
                    ),
                );
                let schema = self.add(crate::model::Schema::of(
                    crate::model::SchemaKind::String(Default::default()),
                    self.docs.display(op_loc),
                ));
                op.parameters.push(Parameter {
                    name: name.to_string(),
                    location: ParameterLocation::Path,
                    required: true,
                    schema,
                    style: crate::model::ParameterStyle::Simple,
                    explode: false,
                    media_type: None,
                    allow_empty_value: false,
                    deprecated: false,
                });
            }
        }
    }
}

/// The parameter location of an `in` value (`None` for 2.0 `body`/`formData` and unknowns).
pub(crate) fn location_of(value: &str) -> Option<ParameterLocation> {
    Some(match value {
        "path" => ParameterLocation::Path,
        "query" => ParameterLocation::Query,
        "header" => ParameterLocation::Header,
        "cookie" => ParameterLocation::Cookie,
        _ => return None,
    })
}

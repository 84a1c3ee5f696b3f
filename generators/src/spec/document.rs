//! The document level: version detection, `info`, servers, security schemes and the
//! assembly of the model.

use indexmap::IndexMap;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::Loader;
use super::refs::Loc;
use crate::errors::{SpecError, SpecErrorKind, describe};
use crate::model::{
    ApiModel, Method, OAuthFlow, OperationId, ParameterLocation, SecurityRequirement,
    SecurityScheme, Server, SpecVersion,
};

/// The version family and exact version string of a parsed document.
pub(crate) fn detect_version(value: &Value) -> Result<(SpecVersion, String), SpecErrorKind> {
    let Some(map) = value.as_object() else {
        return Err(SpecErrorKind::NotOpenApi(format!(
            "the document must be a mapping with an `openapi` or `swagger` field, found {}",
            describe(value)
        )));
    };
    let as_text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(v) = map.get("openapi") {
        let text = as_text(v).unwrap_or_else(|| describe(v));
        return if text.starts_with("3.0") {
            Ok((SpecVersion::OpenApi30, text))
        } else if text.starts_with("3.1") {
            Ok((SpecVersion::OpenApi31, text))
        } else {
            Err(SpecErrorKind::UnsupportedVersion(text))
        };
    }
    if let Some(v) = map.get("swagger") {
        let text = as_text(v).unwrap_or_else(|| describe(v));
        return if text == "2.0" || text == "2" {
            Ok((SpecVersion::Swagger2, "2.0".into()))
        } else {
            Err(SpecErrorKind::UnsupportedVersion(text))
        };
    }
    Err(SpecErrorKind::NotOpenApi(
        "this is not an OpenAPI document: it has neither an `openapi` nor a `swagger` field".into(),
    ))
}

impl Loader {
    /// Builds the model from the root document (no dependency inference yet).
    pub(crate) fn build_model(
        &mut self,
        spec_version: String,
        text: &str,
    ) -> Result<ApiModel, SpecError> {
        let root = self.docs.root();
        let Some(map) = root.as_object() else {
            return Err(self.docs.error(
                &Loc::new(0, ""),
                SpecErrorKind::NotOpenApi("not a mapping".into()),
            ));
        };
        let info = map.get("info").and_then(Value::as_object);
        let info_text = |k: &str| {
            info.and_then(|i| i.get(k))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_default()
        };
        let title = info_text("title");
        let api_version = info_text("version");

        // Named schemas first, so that they get the lowest ids in spec order.
        let components_ptr = if self.version == SpecVersion::Swagger2 {
            "/definitions"
        } else {
            "/components/schemas"
        };
        let comp_loc = Loc::new(0, components_ptr);
        if let Some(Value::Object(defs)) = root.pointer(components_ptr) {
            for name in defs.keys() {
                let reference = format!("#{}", comp_loc.key(name).ptr);
                self.schema_ref(&comp_loc.key(name), &reference)?;
            }
            // Keep component order: the queue is a stack.
            self.pending.reverse();
        }

        let servers = match self.version {
            SpecVersion::Swagger2 => v2_servers(map),
            _ => self.servers(&Loc::new(0, "/servers"), map.get("servers")),
        };
        let security_schemes = self.security_schemes(map);
        let global_security = self
            .security_requirements(&Loc::new(0, "/security"), map.get("security"))
            .unwrap_or_default();

        let mut operations = match self.version {
            SpecVersion::Swagger2 => self.v2_operations(map, &global_security)?,
            _ => self.v3_operations(map, &global_security)?,
        };
        if self.version == SpecVersion::OpenApi31
            && let Some(Value::Object(hooks)) = map.get("webhooks")
            && !hooks.is_empty()
        {
            self.warn(
                &Loc::new(0, "/webhooks"),
                format!(
                    "{} webhook(s) skipped: trespass tests the API's own operations",
                    hooks.len()
                ),
            );
        }
        self.finish_schemas()?;
        operations.sort_by(|a, b| {
            a.path
                .cmp(&b.path)
                .then_with(|| method_rank(a.method).cmp(&method_rank(b.method)))
        });
        // Resolve OpenAPI links given by operationId.
        let by_operation_id: IndexMap<String, OperationId> = operations
            .iter()
            .filter_map(|op| op.operation_id.clone().map(|o| (o, op.id.clone())))
            .collect();
        let mut unresolved = Vec::new();
        for op in &mut operations {
            for (status, response) in &mut op.responses {
                for link in &mut response.links {
                    if link.operation.is_none() {
                        match link
                            .operation_id
                            .as_ref()
                            .and_then(|o| by_operation_id.get(o))
                        {
                            Some(target) => link.operation = Some(target.clone()),
                            None => unresolved.push((op.id.clone(), *status, link.name.clone())),
                        }
                    }
                }
            }
        }
        for (op, status, name) in unresolved {
            self.warnings.push(crate::model::Warning {
                pointer: format!(
                    "#/paths/{}/{}/responses/{status}/links/{name}",
                    crate::pointer::escape(op.path()),
                    op.method().to_ascii_lowercase()
                ),
                message: format!("link `{name}` of {op} names no known operation; ignored"),
            });
        }

        let spec_hash = format!("{:x}", Sha256::digest(text.as_bytes()));
        Ok(ApiModel {
            version: self.version,
            spec_version,
            title,
            api_version,
            spec_hash,
            servers,
            operations,
            schemas: std::mem::take(&mut self.schemas),
            security_schemes,
            global_security,
            resources: Vec::new(),
            links: Vec::new(),
            admin_operations: Vec::new(),
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    /// OpenAPI 3 `servers`, with variables replaced by their defaults.
    pub(crate) fn servers(&mut self, loc: &Loc, value: Option<&Value>) -> Vec<Server> {
        let Some(value) = value else {
            return Vec::new();
        };
        let Some(list) = value.as_array() else {
            self.warn(
                loc,
                format!(
                    "`servers` must be a list, found {}; ignored",
                    describe(value)
                ),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in list {
            let Some(url) = item.get("url").and_then(Value::as_str) else {
                continue;
            };
            let mut url = url.to_string();
            if let Some(Value::Object(vars)) = item.get("variables") {
                for (name, var) in vars {
                    let default = var
                        .get("default")
                        .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_string))
                        .unwrap_or_default();
                    url = url.replace(&format!("{{{name}}}"), &default);
                }
            }
            out.push(Server {
                url,
                description: item
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
        out
    }

    /// A `security` list: `None` when absent, `Some` (possibly empty) when present.
    pub(crate) fn security_requirements(
        &mut self,
        loc: &Loc,
        value: Option<&Value>,
    ) -> Option<Vec<SecurityRequirement>> {
        let value = value?;
        let Some(list) = value.as_array() else {
            self.warn(
                loc,
                format!(
                    "`security` must be a list, found {}; ignored",
                    describe(value)
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let Some(obj) = item.as_object() else {
                self.warn(
                    &loc.index(i),
                    format!(
                        "a security requirement must be a mapping, found {}; ignored",
                        describe(item)
                    ),
                );
                continue;
            };
            let mut req = IndexMap::new();
            for (scheme, scopes) in obj {
                let scopes = scopes
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                req.insert(scheme.clone(), scopes);
            }
            out.push(SecurityRequirement(req));
        }
        Some(out)
    }

    fn security_schemes(&mut self, map: &Map<String, Value>) -> IndexMap<String, SecurityScheme> {
        let (ptr, value) = if self.version == SpecVersion::Swagger2 {
            ("/securityDefinitions", map.get("securityDefinitions"))
        } else {
            (
                "/components/securitySchemes",
                map.get("components").and_then(|c| c.get("securitySchemes")),
            )
        };
        let mut out = IndexMap::new();
        let Some(Value::Object(schemes)) = value else {
            return out;
        };
        let base = Loc::new(0, ptr);
        for (name, raw) in schemes {
            let loc = base.key(name);
            let (loc, scheme) = match self.docs.deref(&loc, raw) {
                Ok(x) => x,
                Err(e) => {
                    self.warn(
                        &loc,
                        format!("{}; scheme skipped", crate::errors::KindOnly(&e.kind)),
                    );
                    continue;
                }
            };
            match parse_scheme(&scheme, self.version) {
                Ok(s) => {
                    out.insert(name.clone(), s);
                }
                Err(msg) => self.warn(&loc, format!("security scheme `{name}` skipped: {msg}")),
            }
        }
        out
    }
}

fn method_rank(m: Method) -> usize {
    Method::ALL
        .iter()
        .position(|x| *x == m)
        .unwrap_or(usize::MAX)
}

fn v2_servers(map: &Map<String, Value>) -> Vec<Server> {
    let host = map.get("host").and_then(Value::as_str);
    let base = map.get("basePath").and_then(Value::as_str).unwrap_or("");
    let schemes: Vec<&str> = map
        .get("schemes")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match host {
        None => {
            if base.is_empty() {
                Vec::new()
            } else {
                vec![Server {
                    url: base.to_string(),
                    description: None,
                }]
            }
        }
        Some(host) => {
            let schemes = if schemes.is_empty() {
                vec!["https"]
            } else {
                schemes
            };
            schemes
                .into_iter()
                .map(|s| Server {
                    url: format!("{s}://{host}{base}"),
                    description: None,
                })
                .collect()
        }
    }
}

fn parse_scheme(v: &Value, version: SpecVersion) -> Result<SecurityScheme, String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let kind = s("type").ok_or("it has no `type`")?;
    Ok(match kind.as_str() {
        "apiKey" => SecurityScheme::ApiKey {
            name: s("name").ok_or("an apiKey scheme needs `name`")?,
            location: match s("in").as_deref() {
                Some("header") => ParameterLocation::Header,
                Some("query") => ParameterLocation::Query,
                Some("cookie") => ParameterLocation::Cookie,
                other => return Err(format!("unknown apiKey location {other:?}")),
            },
        },
        "basic" => SecurityScheme::Http {
            scheme: "basic".into(),
            bearer_format: None,
        },
        "http" => SecurityScheme::Http {
            scheme: s("scheme")
                .unwrap_or_else(|| "bearer".into())
                .to_ascii_lowercase(),
            bearer_format: s("bearerFormat"),
        },
        "oauth2" => {
            let scopes_of = |f: &Value| -> IndexMap<String, String> {
                f.get("scopes")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let flow_of = |kind: &str, f: &Value| OAuthFlow {
                kind: kind.to_string(),
                authorization_url: f
                    .get("authorizationUrl")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                token_url: f
                    .get("tokenUrl")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                scopes: scopes_of(f),
            };
            let flows = if version == SpecVersion::Swagger2 {
                let kind = match s("flow").as_deref() {
                    Some("application") => "clientCredentials",
                    Some("accessCode") => "authorizationCode",
                    Some("implicit") => "implicit",
                    Some("password") => "password",
                    _ => "unknown",
                };
                vec![flow_of(kind, v)]
            } else {
                v.get("flows")
                    .and_then(Value::as_object)
                    .map(|m| m.iter().map(|(k, f)| flow_of(k, f)).collect())
                    .unwrap_or_default()
            };
            SecurityScheme::OAuth2 { flows }
        }
        "openIdConnect" => SecurityScheme::OpenIdConnect {
            url: s("openIdConnectUrl").unwrap_or_default(),
        },
        "mutualTLS" => SecurityScheme::MutualTls,
        other => return Err(format!("unknown type `{other}`")),
    })
}

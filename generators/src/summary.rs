//! A stable, serializable summary of an [`ApiModel`]: what `trespass spec` prints, and the
//! JSON form scripts read (`trespass spec PATH --json`).
//!
//! The summary is its own set of types, not the model: the model may grow and change shape,
//! the summary changes only with [`FORMAT_VERSION`]. Every list has a documented, total
//! order (no hash-map order), every reference to a schema is by component name or JSON
//! pointer (never an arena id), and no absolute path or time appears in it (see
//! [`SpecSummary::relative_to`]), so that the JSON of a spec is byte-for-byte the same on every
//! machine and every run.
//!
//! ```
//! let model = trespass_generators::spec::load_str(
//!     "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n      responses:\n        '200': {description: ok}\n",
//!     "inline.yaml",
//! )
//! .unwrap();
//! let summary = trespass_generators::summary::SpecSummary::from_model(&model, "inline.yaml");
//! assert_eq!(summary.counts.operations, 1);
//! assert_eq!(summary.operations[0].id, "GET /ping");
//! assert_eq!(summary.operations[0].auth, "none");
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::{
    AdminReason, ApiModel, Evidence, LinkSource, LinkTarget, OperationId, ParameterLocation,
    ParameterStyle, SchemaId, SecurityRequirement, SecurityScheme, SpecVersion,
};

/// The version of the JSON form; bumped whenever a field changes meaning or disappears.
pub const FORMAT_VERSION: u32 = 1;

/// The summary of one loaded spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpecSummary {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The spec's file name (no directory).
    pub source: String,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub api_version: String,
    /// The `openapi` / `swagger` version string as written (`3.0.3`, `2.0`).
    pub spec_version: String,
    /// The family: `2.0`, `3.0` or `3.1`.
    pub family: String,
    /// SHA-256 (hex) of the spec text.
    pub spec_hash: String,
    /// How many of each thing there are.
    pub counts: Counts,
    /// Server URLs, in spec order.
    pub servers: Vec<String>,
    /// Security schemes by name, sorted by name: a short description each (`http bearer`,
    /// `apiKey header X-Api-Key`, `oauth2 clientCredentials(read, write)`).
    pub security_schemes: Vec<SchemeSummary>,
    /// Operations, sorted by path, then by method in path-item order (get, put, post, delete,
    /// options, head, patch, trace).
    pub operations: Vec<OperationSummary>,
    /// Resource kinds, sorted by kind.
    pub resources: Vec<ResourceSummary>,
    /// Producer -> consumer links, sorted by producer, then consumer (both in operation
    /// order), then target, then source.
    pub links: Vec<LinkSummary>,
    /// Admin-only operations, in operation order.
    pub admin_operations: Vec<AdminSummary>,
    /// What the loader skipped or doubted, in document order.
    pub warnings: Vec<WarningSummary>,
}

/// Sizes of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Counts {
    /// Operations.
    pub operations: usize,
    /// Schemas in the arena (named and inline).
    pub schemas: usize,
    /// Resource kinds.
    pub resources: usize,
    /// Links.
    pub links: usize,
    /// Admin-only operations.
    pub admin_operations: usize,
    /// Warnings.
    pub warnings: usize,
}

/// One security scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SchemeSummary {
    /// Its name in the spec.
    pub name: String,
    /// What it is (`http bearer`, `apiKey header X-Api-Key`, ...).
    pub describes: String,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperationSummary {
    /// `METHOD /path/template`.
    pub id: String,
    /// The spec's `operationId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Tags, in spec order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `required` (credentials needed), `optional` (an empty `{}` alternative exists) or
    /// `none` (no requirement applies).
    pub auth: String,
    /// The requirements that apply, as alternatives (any one suffices): scheme names joined
    /// by ` + `, with scopes in parentheses (`oauth(read, write)`); `{}` is `anonymous`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<String>,
    /// `operation` when the operation declares its own `security` (including the empty
    /// override `security: []`), `global` when it inherits the top-level one.
    pub security_from: String,
    /// Parameters, in the model's order (path-level first, then operation-level).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParameterSummary>,
    /// Request body media types, in spec order (empty: no body).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_body: Vec<String>,
    /// Whether the request body is required.
    #[serde(default, skip_serializing_if = "is_false")]
    pub request_body_required: bool,
    /// Response status keys (`200`, `2XX`, `default`), in spec order.
    pub responses: Vec<String>,
    /// `kind:role` when the operation belongs to a resource kind (`order:create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Whether it is an admin operation.
    #[serde(default, skip_serializing_if = "is_false")]
    pub admin: bool,
    /// `deprecated`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ParameterSummary {
    /// `path`, `query`, `header` or `cookie`.
    #[serde(rename = "in")]
    pub location: String,
    /// The name.
    pub name: String,
    /// Whether it must be sent.
    pub required: bool,
    /// Serialisation style (`simple`, `form`, `deepObject`, ...).
    pub style: String,
    /// Whether arrays and objects explode.
    pub explode: bool,
}

/// One resource kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResourceSummary {
    /// The kind (`order`).
    pub kind: String,
    /// The object's id field, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_field: Option<String>,
    /// Path parameters carrying the id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_params: Vec<String>,
    /// The kind it is nested under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The object's schema: its component name, or the JSON pointer of an inline schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Operations creating an object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create: Vec<String>,
    /// Operations reading one object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<String>,
    /// Operations changing one object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update: Vec<String>,
    /// Operations deleting one object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<String>,
    /// Operations listing objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub list: Vec<String>,
}

/// One producer -> consumer link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LinkSummary {
    /// The operation whose response holds the value.
    pub producer: String,
    /// Where in that response: `<status> body <pointer>` or `<status> header <name>`.
    pub source: String,
    /// The operation that takes the value.
    pub consumer: String,
    /// Where in the request: `<in> <name>` for a parameter (`path orderId`) or
    /// `body <pointer>`.
    pub target: String,
    /// The kind of evidence: `openapi_link`, `location_header`, `path_nesting` or
    /// `name_match`.
    pub evidence: String,
    /// The evidence in words (`openapi link `GetOrder``).
    pub because: String,
}

/// One admin-only operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AdminSummary {
    /// The operation.
    pub operation: String,
    /// Every rule that matched: `tag:<tag>`, `path:<path>`, `extension:<key>`,
    /// `scope:<scheme>:<scope>` or `policy:<pattern>`.
    pub reasons: Vec<String>,
}

/// One warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WarningSummary {
    /// `#/json/pointer` in the spec, or `other.yaml#/pointer` in a referenced file.
    pub pointer: String,
    /// What was skipped or doubted.
    pub message: String,
}

impl SpecSummary {
    /// Summarises `model`; `source` names the spec (a file name, not a path).
    pub fn from_model(model: &ApiModel, source: &str) -> Self {
        let rank = OperationRank::new(model);
        let resources = resource_summaries(model, &rank);
        let links = link_summaries(model, &rank);
        let admin_operations = admin_summaries(model, &rank);
        let warnings: Vec<WarningSummary> = model
            .warnings
            .iter()
            .map(|w| WarningSummary {
                pointer: w.pointer.clone(),
                message: w.message.clone(),
            })
            .collect();

        Self {
            format_version: FORMAT_VERSION,
            source: source.to_string(),
            title: model.title.clone(),
            api_version: model.api_version.clone(),
            spec_version: model.spec_version.clone(),
            family: family(model.version).to_string(),
            spec_hash: model.spec_hash.clone(),
            counts: Counts {
                operations: model.operations.len(),
                schemas: model.schemas.len(),
                resources: resources.len(),
                links: links.len(),
                admin_operations: admin_operations.len(),
                warnings: warnings.len(),
            },
            servers: model.servers.iter().map(|s| s.url.clone()).collect(),
            security_schemes: scheme_summaries(model),
            operations: model
                .operations
                .iter()
                .map(|op| operation_summary(model, op))
                .collect(),
            resources,
            links,
            admin_operations,
            warnings,
        }
    }

    /// Removes the directory `dir` (and its trailing separator) wherever it appears in
    /// warnings, so that files referenced by the spec show relative to it. Use the directory
    /// of the spec file: then the summary holds no path that depends on where the spec lives.
    pub fn relative_to(mut self, dir: &Path) -> Self {
        let dir = dir.display().to_string();
        if dir.is_empty() {
            return self;
        }
        let prefixes = [
            format!("{dir}{}", std::path::MAIN_SEPARATOR),
            format!("{dir}/"),
        ];
        let strip = |text: &str| -> String {
            let mut out = text.to_string();
            for p in &prefixes {
                out = out.replace(p.as_str(), "");
            }
            out
        };
        for w in &mut self.warnings {
            w.pointer = strip(&w.pointer);
            w.message = strip(&w.message);
        }
        self
    }

    /// The summary as pretty-printed JSON (two-space indent, a final newline).
    pub fn to_json(&self) -> String {
        // Serialising plain strings, numbers and lists cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Operations ranked by their place in the spec, so summaries list them in spec order.
struct OperationRank<'m>(HashMap<&'m OperationId, usize>);

impl<'m> OperationRank<'m> {
    fn new(model: &'m ApiModel) -> Self {
        Self(
            model
                .operations
                .iter()
                .enumerate()
                .map(|(i, op)| (&op.id, i))
                .collect(),
        )
    }

    fn of(&self, id: &OperationId) -> usize {
        self.0.get(id).copied().unwrap_or(usize::MAX)
    }

    /// `ops` in spec order, as text.
    fn ids(&self, ops: &[OperationId]) -> Vec<String> {
        let mut v: Vec<&OperationId> = ops.iter().collect();
        v.sort_by_key(|id| self.of(id));
        v.into_iter().map(ToString::to_string).collect()
    }
}

fn scheme_summaries(model: &ApiModel) -> Vec<SchemeSummary> {
    let mut schemes: Vec<SchemeSummary> = model
        .security_schemes
        .iter()
        .map(|(name, scheme)| SchemeSummary {
            name: name.clone(),
            describes: describe_scheme(scheme),
        })
        .collect();
    schemes.sort_by(|a, b| a.name.cmp(&b.name));
    schemes
}

fn operation_summary(model: &ApiModel, op: &crate::model::Operation) -> OperationSummary {
    let alternatives = &op.effective_security;
    let auth = if alternatives.iter().all(SecurityRequirement::is_empty) {
        "none"
    } else if alternatives.iter().any(SecurityRequirement::is_empty) {
        "optional"
    } else {
        "required"
    };
    OperationSummary {
        id: op.id.to_string(),
        operation_id: op.operation_id.clone(),
        tags: op.tags.clone(),
        auth: auth.to_string(),
        security: alternatives.iter().map(describe_requirement).collect(),
        security_from: if op.security.is_some() {
            "operation"
        } else {
            "global"
        }
        .to_string(),
        parameters: op
            .parameters
            .iter()
            .map(|p| ParameterSummary {
                location: location_name(p.location).to_string(),
                name: p.name.clone(),
                required: p.required,
                style: style_name(p.style).to_string(),
                explode: p.explode,
            })
            .collect(),
        request_body: op
            .request_body
            .as_ref()
            .map(|b| b.content.keys().cloned().collect())
            .unwrap_or_default(),
        request_body_required: op.request_body.as_ref().is_some_and(|b| b.required),
        responses: op.responses.keys().map(ToString::to_string).collect(),
        resource: model
            .resource_of(&op.id)
            .map(|(r, role)| format!("{}:{}", r.kind, serde_plain(&role).unwrap_or_default())),
        admin: model.is_admin(&op.id),
        deprecated: op.deprecated,
    }
}

fn resource_summaries(model: &ApiModel, rank: &OperationRank<'_>) -> Vec<ResourceSummary> {
    let mut resources: Vec<ResourceSummary> = model
        .resources
        .iter()
        .map(|r| ResourceSummary {
            kind: r.kind.clone(),
            id_field: r.id_field.clone(),
            id_params: r.id_params.clone(),
            parent: r.parent.clone(),
            schema: r.schema.map(|s| schema_name(model, s)),
            create: rank.ids(&r.create),
            read: rank.ids(&r.read),
            update: rank.ids(&r.update),
            delete: rank.ids(&r.delete),
            list: rank.ids(&r.list),
        })
        .collect();
    resources.sort_by(|a, b| a.kind.cmp(&b.kind));
    resources
}

fn link_summaries(model: &ApiModel, rank: &OperationRank<'_>) -> Vec<LinkSummary> {
    let mut links: Vec<(usize, usize, LinkSummary)> = model
        .links
        .iter()
        .map(|l| {
            (
                rank.of(&l.producer),
                rank.of(&l.consumer),
                LinkSummary {
                    producer: l.producer.to_string(),
                    source: describe_source(&l.source),
                    consumer: l.consumer.to_string(),
                    target: describe_target(&l.target),
                    evidence: evidence_kind(&l.evidence).to_string(),
                    because: l.evidence.describe(),
                },
            )
        })
        .collect();
    links.sort_by(|a, b| {
        (a.0, a.1, &a.2.target, &a.2.source).cmp(&(b.0, b.1, &b.2.target, &b.2.source))
    });
    links.into_iter().map(|(_, _, l)| l).collect()
}

fn admin_summaries(model: &ApiModel, rank: &OperationRank<'_>) -> Vec<AdminSummary> {
    let mut admin: Vec<&crate::model::AdminOperation> = model.admin_operations.iter().collect();
    admin.sort_by_key(|a| rank.of(&a.operation));
    admin
        .into_iter()
        .map(|a| AdminSummary {
            operation: a.operation.to_string(),
            reasons: a.reasons.iter().map(describe_reason).collect(),
        })
        .collect()
}

fn family(v: SpecVersion) -> &'static str {
    match v {
        SpecVersion::Swagger2 => "2.0",
        SpecVersion::OpenApi30 => "3.0",
        SpecVersion::OpenApi31 => "3.1",
    }
}

/// The serde name of a unit enum variant (`create`).
fn serde_plain<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value).ok()? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

fn location_name(l: ParameterLocation) -> &'static str {
    match l {
        ParameterLocation::Path => "path",
        ParameterLocation::Query => "query",
        ParameterLocation::Header => "header",
        ParameterLocation::Cookie => "cookie",
    }
}

fn style_name(s: ParameterStyle) -> &'static str {
    match s {
        ParameterStyle::Matrix => "matrix",
        ParameterStyle::Label => "label",
        ParameterStyle::Form => "form",
        ParameterStyle::Simple => "simple",
        ParameterStyle::SpaceDelimited => "spaceDelimited",
        ParameterStyle::PipeDelimited => "pipeDelimited",
        ParameterStyle::DeepObject => "deepObject",
        ParameterStyle::TabDelimited => "tabDelimited",
    }
}

fn schema_name(model: &ApiModel, id: SchemaId) -> String {
    match model.schemas.try_get(id) {
        Some(s) => s.name.clone().unwrap_or_else(|| s.pointer.clone()),
        None => format!("{id}"),
    }
}

fn describe_scheme(s: &SecurityScheme) -> String {
    match s {
        SecurityScheme::ApiKey { name, location } => {
            format!("apiKey {} {name}", location_name(*location))
        }
        SecurityScheme::Http {
            scheme,
            bearer_format,
        } => match bearer_format {
            Some(f) => format!("http {scheme} ({f})"),
            None => format!("http {scheme}"),
        },
        SecurityScheme::OAuth2 { flows } => {
            let flows: Vec<String> = flows
                .iter()
                .map(|f| {
                    let scopes: Vec<&str> = f.scopes.keys().map(String::as_str).collect();
                    if scopes.is_empty() {
                        f.kind.clone()
                    } else {
                        format!("{}({})", f.kind, scopes.join(", "))
                    }
                })
                .collect();
            if flows.is_empty() {
                "oauth2".to_string()
            } else {
                format!("oauth2 {}", flows.join(" "))
            }
        }
        SecurityScheme::OpenIdConnect { url } => format!("openIdConnect {url}"),
        SecurityScheme::MutualTls => "mutualTLS".to_string(),
    }
}

fn describe_requirement(r: &SecurityRequirement) -> String {
    if r.is_empty() {
        return "anonymous".to_string();
    }
    r.schemes()
        .map(|(name, scopes)| {
            if scopes.is_empty() {
                name.to_string()
            } else {
                format!("{name}({})", scopes.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn describe_source(s: &LinkSource) -> String {
    match s {
        LinkSource::ResponseBody { status, pointer } => {
            if pointer.is_empty() {
                format!("{status} body")
            } else {
                format!("{status} body {pointer}")
            }
        }
        LinkSource::LocationHeader { status } => format!("{status} header Location"),
        LinkSource::ResponseHeader { status, name } => format!("{status} header {name}"),
        LinkSource::RequestBody { pointer } => format!("request body {pointer}"),
    }
}

fn describe_target(t: &LinkTarget) -> String {
    match t {
        LinkTarget::Parameter { location, name } => {
            format!("{} {name}", location_name(*location))
        }
        LinkTarget::Body { pointer } => {
            if pointer.is_empty() {
                "body".to_string()
            } else {
                format!("body {pointer}")
            }
        }
    }
}

fn evidence_kind(e: &Evidence) -> &'static str {
    match e {
        Evidence::OpenApiLink { .. } => "openapi_link",
        Evidence::LocationHeader => "location_header",
        Evidence::PathNesting { .. } => "path_nesting",
        Evidence::NameMatch { .. } => "name_match",
    }
}

fn describe_reason(r: &AdminReason) -> String {
    match r {
        AdminReason::Tag(t) => format!("tag:{t}"),
        AdminReason::Path(p) => format!("path:{p}"),
        AdminReason::Extension(x) => format!("extension:{x}"),
        AdminReason::Scope(s) => format!("scope:{s}"),
        AdminReason::Policy(p) => format!("policy:{p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
security: [{oauth: [read]}]
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: /token, scopes: {read: r, admin: a}}
    key: {type: apiKey, in: header, name: X-Key}
paths:
  /orders:
    post:
      responses:
        '201':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: integer}}}
  /orders/{orderId}:
    parameters: [{name: orderId, in: path, required: true, schema: {type: integer}}]
    get:
      security: [{}, {key: []}]
      responses: {'200': {description: ok}}
    delete:
      security: [{oauth: [admin]}]
      responses: {'204': {description: ok}}
  /health:
    get:
      security: []
      responses: {default: {description: ok}}
"#;

    #[test]
    fn summary_fields_and_order() {
        let model = crate::spec::load_str(SPEC, "s.yaml").unwrap();
        let s = SpecSummary::from_model(&model, "s.yaml");
        let ids: Vec<&str> = s.operations.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "GET /health",
                "POST /orders",
                "GET /orders/{orderId}",
                "DELETE /orders/{orderId}"
            ]
        );
        assert_eq!(s.operations[0].auth, "none");
        assert_eq!(s.operations[0].security_from, "operation");
        assert_eq!(s.operations[1].auth, "required");
        assert_eq!(s.operations[1].security, ["oauth(read)"]);
        assert_eq!(s.operations[1].security_from, "global");
        assert_eq!(s.operations[2].auth, "optional");
        assert_eq!(s.operations[2].security, ["anonymous", "key"]);
        assert_eq!(s.operations[0].responses, ["default"]);
        assert_eq!(s.operations[1].resource.as_deref(), Some("order:create"));
        assert_eq!(
            s.security_schemes
                .iter()
                .map(|x| (x.name.as_str(), x.describes.as_str()))
                .collect::<Vec<_>>(),
            [
                ("key", "apiKey header X-Key"),
                ("oauth", "oauth2 clientCredentials(read, admin)")
            ]
        );
        assert_eq!(s.admin_operations.len(), 1);
        assert_eq!(s.admin_operations[0].reasons, ["scope:oauth:admin"]);
        assert!(s.operations[3].admin);
        let link = s
            .links
            .iter()
            .find(|l| l.consumer == "GET /orders/{orderId}")
            .expect("a link to the read");
        assert_eq!(link.producer, "POST /orders");
        assert_eq!(link.source, "201 body /id");
        assert_eq!(link.target, "path orderId");
        assert_eq!(link.evidence, "path_nesting");
        assert_eq!(s.counts.links, s.links.len());
        // The JSON form round-trips and ends with a newline.
        let json = s.to_json();
        assert!(json.ends_with("}\n"));
        let back: SpecSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn relative_to_strips_the_spec_directory() {
        let mut s =
            SpecSummary::from_model(&crate::spec::load_str(SPEC, "s.yaml").unwrap(), "s.yaml");
        s.warnings.push(WarningSummary {
            pointer: "/tmp/x/specs/other.yaml#/a".into(),
            message: "cannot read `/tmp/x/specs/gone.yaml`".into(),
        });
        let s = s.relative_to(Path::new("/tmp/x/specs"));
        let w = s.warnings.last().unwrap();
        assert_eq!(w.pointer, "other.yaml#/a");
        assert_eq!(w.message, "cannot read `gone.yaml`");
    }
}

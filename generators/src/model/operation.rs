//! Operations: one HTTP method on one path template, with parameters, bodies, responses and
//! security.

use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::ids::{OperationId, SchemaId};

/// An HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// `HEAD`
    Head,
    /// `PATCH`
    Patch,
    /// `TRACE`
    Trace,
}

impl Method {
    /// Every method, in the order path items list them in the OpenAPI specification.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ];

    /// The uppercase name, `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }

    /// The method for a path-item key (`get`, `post`, ...; case-insensitive).
    pub fn from_key(key: &str) -> Option<Self> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(key))
    }

    /// Whether requests with this method change nothing on a well-behaved server.
    pub fn is_safe(self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Options | Method::Trace
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation of the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// `"METHOD /path/template"`.
    pub id: OperationId,
    /// The spec's `operationId`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// The HTTP method.
    pub method: Method,
    /// The path template as written in the spec (`/users/{userId}`).
    pub path: String,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `tags`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Parameters, path-level ones merged with operation-level ones (the latter win).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// The request body (2.0 `in: body` and `in: formData` parameters end here too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<RequestBody>,
    /// Responses by status key, in spec order.
    #[serde(default)]
    pub responses: IndexMap<StatusKey, Response>,
    /// The operation's own `security`: `None` inherits the global requirements,
    /// `Some(vec![])` explicitly declares the operation public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Vec<SecurityRequirement>>,
    /// The requirements that apply: the operation's own, or else the global ones. Alternatives
    /// (any one suffices); an empty list or an empty requirement means no authentication.
    #[serde(default)]
    pub effective_security: Vec<SecurityRequirement>,
    /// Servers declared for this operation or its path (empty: the API's servers apply).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// `deprecated`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    /// `x-*` extensions of the operation (and of its path item, operation wins), verbatim.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: IndexMap<String, Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Operation {
    /// An operation with no parameters, body, responses or security: a starting point for
    /// hand-built models in tests and tools.
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            id: OperationId::new(method.as_str(), path),
            operation_id: None,
            method,
            path: path.to_string(),
            summary: None,
            tags: vec![],
            parameters: vec![],
            request_body: None,
            responses: IndexMap::new(),
            security: None,
            effective_security: vec![],
            servers: vec![],
            deprecated: false,
            extensions: IndexMap::new(),
        }
    }

    /// Whether the spec declares a response for `status`: exactly, by range (`2XX`) or by
    /// `default`.
    pub fn declares_status(&self, status: u16) -> bool {
        self.response_for(status).is_some()
    }

    /// The response that documents `status`: the exact code first, then its range, then
    /// `default`.
    pub fn response_for(&self, status: u16) -> Option<&Response> {
        self.responses
            .get(&StatusKey::Code(status))
            .or_else(|| {
                u8::try_from(status / 100)
                    .ok()
                    .and_then(|r| self.responses.get(&StatusKey::Range(r)))
            })
            .or_else(|| self.responses.get(&StatusKey::Default))
    }

    /// Declared success responses (`2xx` codes and `2XX`), in spec order.
    pub fn success_responses(&self) -> impl Iterator<Item = (&StatusKey, &Response)> {
        self.responses.iter().filter(|(k, _)| k.is_success())
    }

    /// The parameter `name` in `location`.
    pub fn parameter(&self, location: ParameterLocation, name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.location == location && p.name == name)
    }

    /// The path parameters, in the order they appear in the path template.
    pub fn path_parameters(&self) -> Vec<&Parameter> {
        let mut out: Vec<&Parameter> = Vec::new();
        for segment in path_template_params(&self.path) {
            if let Some(p) = self.parameter(ParameterLocation::Path, segment) {
                out.push(p);
            }
        }
        out
    }

    /// Whether any effective requirement is satisfiable without credentials (no requirement,
    /// or an empty `{}` alternative).
    pub fn allows_anonymous(&self) -> bool {
        self.effective_security.is_empty() || self.effective_security.iter().any(|r| r.is_empty())
    }

    /// The schema of the first JSON-like request body media type, if any.
    pub fn json_request_schema(&self) -> Option<SchemaId> {
        self.request_body
            .as_ref()
            .and_then(|b| json_schema_of(&b.content))
    }
}

/// The names inside `{...}` of a path template, in order.
pub fn path_template_params(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// The schema of the first JSON-like media type (`application/json`, `*+json`, `*/*`) in a
/// content map.
pub fn json_schema_of(content: &IndexMap<String, MediaType>) -> Option<SchemaId> {
    content
        .iter()
        .find(|(m, _)| is_json_media_type(m))
        .or_else(|| content.iter().find(|(m, _)| m.as_str() == "*/*"))
        .and_then(|(_, mt)| mt.schema)
}

/// Whether `media` is `application/json` or a `+json` type (parameters ignored).
pub fn is_json_media_type(media: &str) -> bool {
    let essence = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence == "text/json"
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterLocation {
    /// In the path template.
    Path,
    /// In the query string.
    Query,
    /// An HTTP header.
    Header,
    /// A cookie.
    Cookie,
}

impl fmt::Display for ParameterLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
            ParameterLocation::Cookie => "cookie",
        })
    }
}

/// How a parameter value is serialised (OpenAPI 3 `style`; 2.0 `collectionFormat` is mapped
/// onto it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ParameterStyle {
    /// `;name=value` path style.
    Matrix,
    /// `.value` path style.
    Label,
    /// `name=value` (default for query and cookie).
    Form,
    /// `a,b,c` (default for path and header).
    Simple,
    /// `a b c` (2.0 `ssv`).
    SpaceDelimited,
    /// `a|b|c` (2.0 `pipes`).
    PipeDelimited,
    /// `name[key]=value`.
    DeepObject,
    /// `a\tb\tc` (2.0 `tsv`, no OpenAPI 3 equivalent).
    TabDelimited,
}

impl ParameterStyle {
    /// The default style for a location.
    pub fn default_for(location: ParameterLocation) -> Self {
        match location {
            ParameterLocation::Query | ParameterLocation::Cookie => ParameterStyle::Form,
            ParameterLocation::Path | ParameterLocation::Header => ParameterStyle::Simple,
        }
    }
}

/// One parameter of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// The parameter name (case preserved; header names compare case-insensitively on the
    /// wire).
    pub name: String,
    /// Where it travels.
    pub location: ParameterLocation,
    /// Whether it must be sent (always true for path parameters).
    pub required: bool,
    /// Its schema.
    pub schema: SchemaId,
    /// Serialisation style.
    pub style: ParameterStyle,
    /// Whether arrays and objects explode into several name=value pairs.
    pub explode: bool,
    /// The media type when the parameter uses `content` instead of `schema`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// `allowEmptyValue`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_empty_value: bool,
    /// `deprecated`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestBody {
    /// Whether a body must be sent.
    pub required: bool,
    /// The accepted media types with their schemas, in spec order.
    pub content: IndexMap<String, MediaType>,
}

/// One media type of a body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaType {
    /// The schema, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaId>,
    /// Per-property encodings of form and multipart bodies (`contentType` of each part).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub encoding: IndexMap<String, String>,
    /// `example` / `examples` values, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Value>,
}

/// The key of a response: an exact code, a range (`2XX`) or `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusKey {
    /// An exact status code.
    Code(u16),
    /// A range: `2` for `2XX`.
    Range(u8),
    /// `default`.
    Default,
}

impl StatusKey {
    /// Whether this key covers 2xx statuses only.
    pub fn is_success(self) -> bool {
        match self {
            StatusKey::Code(c) => (200..300).contains(&c),
            StatusKey::Range(r) => r == 2,
            StatusKey::Default => false,
        }
    }

    /// Whether `status` falls under this key (`default` covers everything).
    pub fn covers(self, status: u16) -> bool {
        match self {
            StatusKey::Code(c) => c == status,
            StatusKey::Range(r) => u16::from(r) == status / 100,
            StatusKey::Default => true,
        }
    }
}

impl fmt::Display for StatusKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusKey::Code(c) => write!(f, "{c}"),
            StatusKey::Range(r) => write!(f, "{r}XX"),
            StatusKey::Default => f.write_str("default"),
        }
    }
}

/// The error of parsing a [`StatusKey`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidStatusKey(pub String);

impl fmt::Display for InvalidStatusKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a response status (expected a code 100-599, a range like 2XX, or default)",
            self.0
        )
    }
}

impl std::error::Error for InvalidStatusKey {}

impl FromStr for StatusKey {
    type Err = InvalidStatusKey;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("default") {
            return Ok(StatusKey::Default);
        }
        let bytes = t.as_bytes();
        if bytes.len() == 3
            && (b'1'..=b'5').contains(&bytes[0])
            && bytes[1..].iter().all(|b| b.eq_ignore_ascii_case(&b'x'))
        {
            return Ok(StatusKey::Range(bytes[0] - b'0'));
        }
        match t.parse::<u16>() {
            Ok(c) if (100..=599).contains(&c) => Ok(StatusKey::Code(c)),
            _ => Err(InvalidStatusKey(s.to_string())),
        }
    }
}

impl Serialize for StatusKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StatusKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One documented response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// `description`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Body media types with their schemas (empty: no body documented).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub content: IndexMap<String, MediaType>,
    /// Response headers with their schemas (names as written).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Header>,
    /// OpenAPI `links` declared on this response.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<OpenApiLink>,
}

impl Response {
    /// The schema of the first JSON-like body media type.
    pub fn json_schema(&self) -> Option<SchemaId> {
        json_schema_of(&self.content)
    }

    /// The header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&Header> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, h)| h)
    }
}

/// A response header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Its schema.
    pub schema: SchemaId,
    /// `required`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
}

/// An OpenAPI link object, as declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenApiLink {
    /// The link's name (its key in `links`).
    pub name: String,
    /// The target operation, resolved from `operationId` or `operationRef` (`None` when it
    /// could not be resolved; a warning says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationId>,
    /// The `operationId` as declared, when the link names its target that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Parameter name (optionally `path.name`, `query.name`, ...) to runtime expression or
    /// constant, as declared.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub parameters: IndexMap<String, Value>,
    /// `requestBody`: a runtime expression or constant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
}

/// One security requirement: every named scheme must be satisfied, with these scopes. An empty
/// requirement (`{}`) means "no authentication".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecurityRequirement(pub IndexMap<String, Vec<String>>);

impl SecurityRequirement {
    /// Whether this is the empty `{}` requirement.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scheme names with their scopes.
    pub fn schemes(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// A server URL (with its variables substituted by their defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    /// The URL; may be relative (`/v1`).
    pub url: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A security scheme of `components.securitySchemes` / 2.0 `securityDefinitions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SecurityScheme {
    /// An API key in a header, query parameter or cookie.
    ApiKey {
        /// Header, query parameter or cookie name.
        name: String,
        /// Where it travels.
        location: ParameterLocation,
    },
    /// HTTP authentication (`basic`, `bearer`, ...).
    Http {
        /// The scheme, lowercase (`basic`, `bearer`).
        scheme: String,
        /// `bearerFormat` hint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bearer_format: Option<String>,
    },
    /// OAuth 2 with its flows.
    #[serde(rename = "oauth2")]
    OAuth2 {
        /// The declared flows.
        flows: Vec<OAuthFlow>,
    },
    /// OpenID Connect discovery.
    OpenIdConnect {
        /// The discovery URL.
        url: String,
    },
    /// Mutual TLS (3.1).
    MutualTls,
}

/// One OAuth 2 flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthFlow {
    /// `implicit`, `password`, `clientCredentials` or `authorizationCode` (2.0 names are
    /// mapped: `application` -> `clientCredentials`, `accessCode` -> `authorizationCode`).
    pub kind: String,
    /// `authorizationUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// `tokenUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Scope name to description.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub scopes: IndexMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_keys_parse_and_print() {
        assert_eq!("200".parse::<StatusKey>(), Ok(StatusKey::Code(200)));
        assert_eq!("2XX".parse::<StatusKey>(), Ok(StatusKey::Range(2)));
        assert_eq!("4xx".parse::<StatusKey>(), Ok(StatusKey::Range(4)));
        assert_eq!("default".parse::<StatusKey>(), Ok(StatusKey::Default));
        assert!("99".parse::<StatusKey>().is_err());
        assert!("6XX".parse::<StatusKey>().is_err());
        assert_eq!(StatusKey::Range(5).to_string(), "5XX");
        assert_eq!(
            serde_json::to_string(&StatusKey::Code(404)).unwrap(),
            "\"404\""
        );
    }

    #[test]
    fn response_lookup_prefers_exact_then_range_then_default() {
        let mut op = Operation {
            id: OperationId::new("GET", "/x/{a}/{b}"),
            operation_id: None,
            method: Method::Get,
            path: "/x/{a}/{b}".into(),
            summary: None,
            tags: vec![],
            parameters: vec![],
            request_body: None,
            responses: IndexMap::new(),
            security: None,
            effective_security: vec![],
            servers: vec![],
            deprecated: false,
            extensions: IndexMap::new(),
        };
        assert!(!op.declares_status(200));
        op.responses.insert(
            StatusKey::Range(2),
            Response {
                description: "range".into(),
                ..Default::default()
            },
        );
        op.responses.insert(
            StatusKey::Code(201),
            Response {
                description: "exact".into(),
                ..Default::default()
            },
        );
        assert_eq!(op.response_for(201).unwrap().description, "exact");
        assert_eq!(op.response_for(204).unwrap().description, "range");
        assert!(!op.declares_status(404));
        op.responses.insert(StatusKey::Default, Response::default());
        assert!(op.declares_status(404));
        assert!(op.allows_anonymous());
        assert_eq!(path_template_params(&op.path), vec!["a", "b"]);
    }

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type("application/problem+json"));
        assert!(!is_json_media_type("multipart/form-data"));
    }
}

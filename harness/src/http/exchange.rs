//! What was sent and what came back.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use trespass_generators::sequence::AuthMode;

/// A concrete request: method, path (already encoded, without query), query, headers, body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// HTTP method, uppercase.
    pub method: String,
    /// Concrete path with path parameters filled in and percent-encoded (`/users/2/orders`).
    pub path: String,
    /// Query parameters, in order (already serialised per the parameter's style).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
    /// Extra headers (credentials are added by the session, not stored here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

impl Request {
    /// A request without query, headers or body.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            method: method.into().to_ascii_uppercase(),
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// With a JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(Body::Json(body));
        self
    }

    /// With one more query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// With one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `path?query` as sent (query values percent-encoded).
    pub fn path_and_query(&self) -> String {
        self.path_and_query_with(&[])
    }

    /// The path and query string with `extra` query parameters after the request's own (the
    /// credentials a session adds).
    pub fn path_and_query_with(&self, extra: &[(String, String)]) -> String {
        if self.query.is_empty() && extra.is_empty() {
            return self.path.clone();
        }
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.query.iter().chain(extra) {
            url.append_pair(k, v);
        }
        format!("{}?{}", self.path, url.finish())
    }
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// `application/json`.
    Json(Value),
    /// `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
    /// Any other media type, as text.
    Text {
        /// The `Content-Type` sent.
        content_type: String,
        /// The body.
        text: String,
    },
}

/// A response as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, in order, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: ResponseBody,
    /// Whether the body was cut at the size cap.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of the body (`application/json`), without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The JSON body, when the body is JSON.
    pub fn json(&self) -> Option<&Value> {
        match &self.body {
            ResponseBody::Json(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseBody {
    /// No body.
    Empty,
    /// A body that parsed as JSON (whatever the declared content type).
    Json(Value),
    /// A text body that is not JSON.
    Text(String),
    /// A body that is not UTF-8, by length.
    Binary(usize),
}

/// What came back for one request: an answer, or the transport error instead (the `outcome`
/// of an [`Exchange`]; not to be confused with [`crate::api::Outcome`], the result of a run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Received {
    /// An HTTP answer.
    Response(Response),
    /// No (whole) HTTP answer: connection refused or reset, not HTTP, a body cut short, a
    /// redirect loop, a timeout.
    Error {
        /// What happened, redacted.
        message: String,
        /// What kind of failure it was.
        #[serde(default)]
        kind: TransportKind,
    },
}

/// What went wrong when a request got no whole HTTP answer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection: refused, or the host did not resolve. The target is down, not
    /// misbehaving.
    Connect,
    /// The connection was closed or reset before the answer's head arrived (what a handler
    /// that crashes its worker looks like).
    Reset,
    /// What came back is not HTTP.
    Malformed,
    /// The answer's head arrived but its body ended early: shorter than its `Content-Length`,
    /// or a connection reset mid-body.
    Truncated,
    /// A redirect loop, or more redirects than allowed.
    Redirect,
    /// No whole answer within the request timeout.
    Timeout,
    /// Anything else (a request that could not be built or sent).
    #[default]
    Other,
    /// A 429 (or a 503 with `Retry-After`) still there after waiting as it asked and sending
    /// again (see [`super::Politeness`]): the target would not take the request now, which
    /// says nothing of the API, so no oracle judges it.
    RateLimited,
}

impl TransportKind {
    /// Every kind, in order.
    pub const ALL: [TransportKind; 8] = [
        TransportKind::Connect,
        TransportKind::Reset,
        TransportKind::Malformed,
        TransportKind::Truncated,
        TransportKind::Redirect,
        TransportKind::Timeout,
        TransportKind::Other,
        TransportKind::RateLimited,
    ];

    /// The kind's name in summaries and reports: `reset`, `malformed`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Connect => "connect",
            TransportKind::Reset => "reset",
            TransportKind::Malformed => "malformed",
            TransportKind::Truncated => "truncated",
            TransportKind::Redirect => "redirect",
            TransportKind::Timeout => "timeout",
            TransportKind::Other => "other",
            TransportKind::RateLimited => "rate-limited",
        }
    }

    /// Whether the target answered wrongly (a reset, garbage, a cut body, a redirect loop),
    /// as opposed to not being there ([`TransportKind::Connect`]), being slow
    /// ([`TransportKind::Timeout`], judged by `slow-response`) or the request failing on our
    /// side ([`TransportKind::Other`]).
    pub fn is_misbehaviour(self) -> bool {
        matches!(
            self,
            TransportKind::Reset
                | TransportKind::Malformed
                | TransportKind::Truncated
                | TransportKind::Redirect
        )
    }
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Received {
    /// The response, if there was one.
    pub fn response(&self) -> Option<&Response> {
        match self {
            Received::Response(r) => Some(r),
            Received::Error { .. } => None,
        }
    }

    /// The status code, if there was a response.
    pub fn status(&self) -> Option<u16> {
        self.response().map(|r| r.status)
    }

    /// The kind of transport failure, if there was no whole answer.
    pub fn transport_failure(&self) -> Option<TransportKind> {
        match self {
            Received::Response(_) => None,
            Received::Error { kind, .. } => Some(*kind),
        }
    }
}

/// One request and its outcome, as one identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// The identity's name.
    pub identity: String,
    /// How it authenticated.
    pub auth: AuthMode,
    /// What was sent (without credentials).
    pub request: Request,
    /// What came back.
    pub outcome: Received,
    /// Time from sending to the end of the body.
    #[serde(with = "duration_ms")]
    pub elapsed: Duration,
}

mod duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1000.0)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Ok(Duration::from_secs_f64((ms / 1000.0).max(0.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_puts_extra_parameters_after_the_requests_own() {
        let bare = Request::new("get", "/users/1");
        assert_eq!(bare.path_and_query_with(&[]), "/users/1");
        let key = [("api_key".to_string(), "k&=y z".to_string())];
        assert_eq!(
            bare.path_and_query_with(&key),
            "/users/1?api_key=k%26%3Dy+z"
        );
        let own = Request::new("get", "/search")
            .query("q", "a b")
            .query("q", "é/");
        assert_eq!(own.path_and_query(), "/search?q=a+b&q=%C3%A9%2F");
        assert_eq!(
            own.path_and_query_with(&key),
            "/search?q=a+b&q=%C3%A9%2F&api_key=k%26%3Dy+z"
        );
    }
}

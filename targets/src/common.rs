//! Pieces every demo service shares: a route table that records what it serves, the JSON
//! error type, and a JSON body extractor whose rejections are declared errors (400), never
//! axum's undeclared 415/422, and the logical-clock timestamp.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::handler::Handler;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, get, on, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;

/// A service's router together with the list of (method, path) it serves, so tests can
/// compare the real routes with the spec. Built by the service modules.
pub struct RouteList {
    router: Router,
    entries: Vec<(String, String)>,
}

impl std::fmt::Debug for RouteList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteList")
            .field("entries", &self.entries)
            .finish()
    }
}

impl RouteList {
    /// The (method, path) pairs, in registration order. Paths use axum's `{param}` syntax,
    /// which is also OpenAPI's.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.entries.clone()
    }

    /// Answers every request that matches no route, or a route but not its method, with a
    /// 404 in the `Error` shape instead of axum's empty 404 and 405. A service whose path
    /// parameters are free text needs it: a client normalises a `.` or `..` value away, and
    /// the request lands beside the route it meant.
    pub(crate) fn with_json_not_found(mut self) -> Self {
        async fn not_found() -> ApiError {
            ApiError::new(StatusCode::NOT_FOUND, "no such resource")
        }
        self.router = self
            .router
            .fallback(not_found)
            .method_not_allowed_fallback(not_found);
        self
    }

    pub(crate) fn into_router(self, spec_yaml: &'static str) -> Router {
        let spec_json: Arc<Result<serde_json::Value, String>> = Arc::new(
            serde_yaml_ng::from_str::<serde_json::Value>(spec_yaml).map_err(|e| e.to_string()),
        );
        self.router
            .route(
                "/openapi.json",
                get(move || {
                    let spec_json = Arc::clone(&spec_json);
                    async move {
                        match spec_json.as_ref() {
                            Ok(v) => Json(v.clone()).into_response(),
                            Err(e) => {
                                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.clone())
                                    .into_response()
                            }
                        }
                    }
                }),
            )
            .route(
                "/openapi.yaml",
                get(move || async move {
                    ([(header::CONTENT_TYPE, "application/yaml")], spec_yaml)
                }),
            )
    }
}

/// Builds a [`RouteList`]: every route goes through [`RouteBuilder::route`], which both
/// registers it with axum and records it.
pub(crate) struct RouteBuilder<S> {
    router: Router<S>,
    entries: Vec<(String, String)>,
    state: S,
}

impl<S: Clone + Send + Sync + 'static> RouteBuilder<S> {
    pub(crate) fn new(state: S) -> Self {
        Self {
            router: Router::new(),
            entries: Vec::new(),
            state,
        }
    }

    /// Registers `handler` for `method` on `path` (axum/OpenAPI `{param}` syntax).
    pub(crate) fn route<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|_| panic!("unsupported method {method} on {path}"));
        self.router = self.router.route(path, on(filter, handler));
        self.entries.push((method.to_string(), path.to_string()));
        self
    }

    /// Finishes the table; `reset` restores the seeded state on `POST /__reset`.
    pub(crate) fn finish(self, reset: impl Fn(&S) + Send + Sync + 'static) -> RouteList {
        let reset = Arc::new(reset);
        let router = self
            .router
            .route(
                "/__reset",
                post(
                    move |axum::extract::State(state): axum::extract::State<S>| {
                        let reset = Arc::clone(&reset);
                        async move {
                            reset(&state);
                            StatusCode::NO_CONTENT
                        }
                    },
                ),
            )
            .with_state(self.state);
        RouteList {
            router,
            entries: self.entries,
        }
    }
}

/// An error answer: `{"error": "<message>"}` with a status. Every service declares this shape
/// (`Error` schema) for its 4xx answers.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication required")
    }
    pub(crate) fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden")
    }
    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

/// A JSON request body whose every rejection (bad JSON, wrong type, missing content type) is a
/// declared 400 with the `Error` shape.
#[derive(Debug, Clone)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => Err(ApiError::bad_request(rejection_message(&rejection))),
        }
    }
}

fn rejection_message(rejection: &JsonRejection) -> String {
    rejection.body_text()
}

/// Path parameters whose rejection (a non-integer id, a malformed UUID) is a declared 400 with
/// the `Error` shape.
#[derive(Debug, Clone)]
pub(crate) struct PathParams<T>(pub(crate) T);

impl<S, T> axum::extract::FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(PathParams(v)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// Query parameters whose rejection is a declared 400 with the `Error` shape.
#[derive(Debug, Clone)]
pub(crate) struct QueryParams<T>(pub(crate) T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryParams(v)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// A point in time on the logical clock, in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp(pub(crate) i64);

impl Timestamp {
    /// RFC 3339 in UTC (`2025-01-01T00:01:00Z`).
    pub(crate) fn rfc3339(self) -> String {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The email pattern every demo's spec declares for `format: email` fields.
pub(crate) const EMAIL_PATTERN: &str = r"^[A-Za-z0-9_+-]{1,32}(\.[A-Za-z0-9_+-]{1,32}){0,3}@([A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20}){0,2}\.){1,3}[A-Za-z]{2,12}$";

/// `pattern` compiled; the patterns are constants covered by unit tests, so a failure would
/// only disable the field (every value rejected), never panic.
pub(crate) fn compiled(pattern: &'static str) -> Option<regex::Regex> {
    regex::Regex::new(pattern).ok()
}

/// `value` of `field` matches the compiled pattern `re`, else a 400.
pub(crate) fn matches(
    re: &std::sync::LazyLock<Option<regex::Regex>>,
    field: &str,
    value: &str,
) -> Result<(), ApiError> {
    match re.as_ref() {
        Some(re) if re.is_match(value) => Ok(()),
        _ => Err(ApiError::bad_request(format!("`{field}` is malformed"))),
    }
}

/// A string of `min..=max` characters (Unicode scalar values, as JSON Schema counts).
pub(crate) fn text(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ApiError::bad_request(format!(
            "`{field}` must be {min} to {max} characters long"
        )));
    }
    Ok(())
}

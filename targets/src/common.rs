//! Pieces every demo service shares: a route table that records what it serves, the JSON
//! error type, and a JSON body extractor whose rejections are declared errors (400), never
//! axum's undeclared 415/422.

// Remove once both services use every helper.
#![allow(dead_code)]

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

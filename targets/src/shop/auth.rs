//! Authentication in the shop's styles ([`super::styles`]): `POST /auth/login`, `POST /token`,
//! `GET /me`, and the extractors that turn a bearer token or a session cookie into the calling
//! user.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::{Method, StatusCode, header, request::Parts};
use axum::response::{AppendHeaders, IntoResponse, Response};

use super::api::{LoginIn, LoginOut, UserOut};
use super::store::{Role, Session, Shop};
use super::styles::{AuthStyle, CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE};
use crate::common::{ApiError, JsonBody};

/// The authenticated user making a request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    pub(crate) id: i64,
    pub(crate) role: Role,
}

impl Caller {
    pub(crate) fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// 403 unless the caller is an admin.
    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, "admin role required"))
        }
    }

    /// 403 unless the caller is `user_id` (writes to a user's resources are owner-only).
    pub(crate) fn require_self(&self, user_id: i64) -> Result<(), ApiError> {
        if self.id == user_id {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// 403 unless the caller is `user_id` or an admin (reads).
    pub(crate) fn require_self_or_admin(&self, user_id: i64) -> Result<(), ApiError> {
        if self.id == user_id || self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The caller named by the request's credentials (a bearer token, or the session cookie in
/// the cookie style), if they name a live session of an existing user; with the session.
fn caller_of(parts: &Parts, shop: &Shop) -> Option<(Caller, Session)> {
    let token = match shop.auth.style {
        AuthStyle::Cookie => cookie(parts, SESSION_COOKIE)?,
        AuthStyle::Bearer | AuthStyle::OAuth2Password => {
            let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
            let (scheme, token) = value.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            token.trim().to_string()
        }
    };
    let session = shop.session(&token)?;
    let role = shop.db().users.get(&session.user_id)?.role;
    let caller = Caller {
        id: session.user_id,
        role,
    };
    Some((caller, session))
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<Arc<Shop>> for Caller {
    type Rejection = ApiError;

    /// 401 without valid credentials; in the cookie style, 403 for an unsafe method whose
    /// `X-CSRF-Token` is not the session's.
    async fn from_request_parts(parts: &mut Parts, shop: &Arc<Shop>) -> Result<Self, ApiError> {
        let (caller, session) = caller_of(parts, shop).ok_or_else(ApiError::unauthorized)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && let Some(expected) = &session.csrf {
            let echoed = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if echoed != Some(expected.as_str()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "the CSRF token is missing or wrong",
                ));
            }
        }
        Ok(caller)
    }
}

/// The caller if the credentials are valid, `None` if they are missing or invalid.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MaybeCaller(pub(crate) Option<Caller>);

impl FromRequestParts<Arc<Shop>> for MaybeCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        shop: &Arc<Shop>,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeCaller(
            caller_of(parts, shop).map(|(caller, _)| caller),
        ))
    }
}

fn check_password(shop: &Shop, username: &str, password: &str) -> Option<i64> {
    shop.db()
        .users
        .values()
        .find(|u| u.username == username && u.password == password)
        .map(|u| u.id)
}

/// `POST /auth/login`: a bearer token, or (cookie style) the session and CSRF cookies.
pub(crate) async fn login(
    State(shop): State<Arc<Shop>>,
    JsonBody(body): JsonBody<LoginIn>,
) -> Result<Response, ApiError> {
    let user_id = check_password(&shop, &body.username, &body.password)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "invalid username or password"))?;
    if shop.auth.style != AuthStyle::Cookie {
        return Ok(Json(LoginOut {
            access_token: shop.open_session(user_id, None),
            token_type: "Bearer",
            user_id,
        })
        .into_response());
    }
    let csrf = uuid::Uuid::new_v4().simple().to_string();
    let session = shop.open_session(user_id, Some(csrf.clone()));
    let max_age = shop
        .auth
        .lifetime
        .map(|l| format!("; Max-Age={}", l.as_secs().max(1)))
        .unwrap_or_default();
    let cookies = AppendHeaders([
        (
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict{max_age}"),
        ),
        (
            header::SET_COOKIE,
            format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict{max_age}"),
        ),
    ]);
    let body = serde_json::json!({ "userId": user_id, "csrfToken": csrf });
    Ok((cookies, Json(body)).into_response())
}

/// `TokenRequest`: the OAuth2 password grant's form.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenIn {
    grant_type: String,
    username: String,
    password: String,
    #[serde(default)]
    #[allow(dead_code)]
    scope: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    client_id: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    client_secret: Option<String>,
}

/// `POST /token` (OAuth2 style): the password grant, RFC 6749 section 4.3.
pub(crate) async fn token(
    State(shop): State<Arc<Shop>>,
    form: Result<Form<TokenIn>, FormRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Form(form) = form.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if form.grant_type != "password" {
        return Err(ApiError::bad_request("unsupported_grant_type"));
    }
    if form.username.is_empty() || form.password.is_empty() {
        return Err(ApiError::bad_request("invalid_request"));
    }
    let user_id = check_password(&shop, &form.username, &form.password)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_grant"))?;
    let mut answer = serde_json::json!({
        "access_token": shop.open_session(user_id, None),
        "token_type": "bearer",
    });
    if let Some(lifetime) = shop.auth.lifetime {
        answer["expires_in"] = lifetime.as_secs().max(1).into();
    }
    Ok(Json(answer))
}

/// `GET /me`.
pub(crate) async fn me(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
) -> Result<Json<UserOut>, ApiError> {
    let db = shop.db();
    let user = db
        .users
        .get(&caller.id)
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(UserOut::from(user)))
}

//! Bearer-token authentication: `POST /auth/login`, `GET /me`, and the extractors that turn an
//! `Authorization: Bearer <token>` header into the calling user.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::{StatusCode, header, request::Parts};

use super::api::{LoginIn, LoginOut, UserOut};
use super::store::{Role, Shop};
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

/// The caller named by the request's bearer token, if it names a live session of an existing
/// user.
fn caller_of(parts: &Parts, shop: &Shop) -> Option<Caller> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let user_id = shop.session_user(token.trim())?;
    let role = shop.db().users.get(&user_id)?.role;
    Some(Caller { id: user_id, role })
}

impl FromRequestParts<Arc<Shop>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shop: &Arc<Shop>) -> Result<Self, ApiError> {
        caller_of(parts, shop).ok_or_else(ApiError::unauthorized)
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
        Ok(MaybeCaller(caller_of(parts, shop)))
    }
}

/// `POST /auth/login`.
pub(crate) async fn login(
    State(shop): State<Arc<Shop>>,
    JsonBody(body): JsonBody<LoginIn>,
) -> Result<Json<LoginOut>, ApiError> {
    let user_id = shop
        .db()
        .users
        .values()
        .find(|u| u.username == body.username && u.password == body.password)
        .map(|u| u.id)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "invalid username or password"))?;
    Ok(Json(LoginOut {
        access_token: shop.open_session(user_id),
        token_type: "Bearer",
        user_id,
    }))
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

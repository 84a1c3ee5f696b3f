//! Users: read, partial update, delete (admin) and the admin user list.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::api::{UserOut, UserPatchIn};
use super::auth::{Caller, MaybeCaller};
use super::store::Shop;
use super::validate;
use crate::common::{ApiError, JsonBody, PathParams};

#[derive(Debug, Deserialize)]
pub(crate) struct UserPath {
    #[serde(rename = "userId")]
    pub(crate) user_id: i64,
}

/// `GET /users/{userId}`: the caller's own profile, or anyone's for an admin.
pub(crate) async fn get_user(
    State(shop): State<Arc<Shop>>,
    MaybeCaller(caller): MaybeCaller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
) -> Result<Json<UserOut>, ApiError> {
    // PLANTED shop-ignored-auth-get-user: the vulnerable build treats a missing or invalid
    // token as "no caller", and the ownership filter below only runs for callers.
    let caller = if shop.secure() {
        Some(caller.ok_or_else(ApiError::unauthorized)?)
    } else {
        caller
    };
    if let Some(caller) = caller {
        caller.require_self_or_admin(user_id)?;
    }
    let db = shop.db();
    let user = db
        .users
        .get(&user_id)
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(UserOut::from(user)))
}

/// `PATCH /users/{userId}`: email and display name; `role` only for admins.
pub(crate) async fn patch_user(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
    JsonBody(patch): JsonBody<UserPatchIn>,
) -> Result<Json<UserOut>, ApiError> {
    caller.require_self_or_admin(user_id)?;
    if let Some(email) = &patch.email {
        validate::email(email)?;
    }
    if let Some(name) = &patch.display_name {
        validate::text("displayName", name, 1, 64)?;
    }
    let mut db = shop.db();
    let user = db
        .users
        .get_mut(&user_id)
        .ok_or_else(|| ApiError::not_found("user"))?;
    if let Some(email) = patch.email {
        user.email = email;
    }
    if let Some(name) = patch.display_name {
        user.display_name = name;
    }
    if let Some(role) = patch.role {
        // `role` is read-only except for admins; for everyone else it is ignored.
        // PLANTED shop-mass-assignment-role: the vulnerable build forgets the admin check.
        if caller.is_admin() || !shop.secure() {
            user.role = role;
        }
    }
    Ok(Json(UserOut::from(&*user)))
}

/// `DELETE /users/{userId}` (admin): removes the account and its addresses, cart and orders.
pub(crate) async fn delete_user(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let mut db = shop.db();
    if !db.users.contains_key(&user_id) {
        return Err(ApiError::not_found("user"));
    }
    if user_id == caller.id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "admins cannot delete their own account",
        ));
    }
    db.users.remove(&user_id);
    db.addresses.retain(|_, a| a.user_id != user_id);
    db.carts.remove(&user_id);
    db.orders.retain(|_, o| o.user_id != user_id);
    let orders = std::mem::take(&mut db.cancellations);
    db.cancellations = orders
        .into_iter()
        .filter(|id| db.orders.contains_key(id))
        .collect();
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/users` (admin).
pub(crate) async fn list_users(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    caller.require_admin()?;
    let db = shop.db();
    Ok(Json(db.users.values().map(UserOut::from).collect()))
}

//! A user's shipping addresses (soft-deleted, since orders keep pointing at them).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::{AddressIn, AddressOut};
use super::auth::Caller;
use super::store::{Address, Shop};
use super::users::UserPath;
use super::validate;
use crate::common::{ApiError, JsonBody, PathParams};

#[derive(Debug, Deserialize)]
pub(crate) struct AddressPath {
    #[serde(rename = "userId")]
    user_id: i64,
    #[serde(rename = "addressId")]
    address_id: i64,
}

fn check(body: &AddressIn) -> Result<(), ApiError> {
    validate::text("recipient", &body.recipient, 1, 100)?;
    validate::text("line1", &body.line1, 1, 200)?;
    if let Some(line2) = &body.line2 {
        validate::text("line2", line2, 0, 200)?;
    }
    validate::text("city", &body.city, 1, 100)?;
    validate::postal_code(&body.postal_code)?;
    validate::country(&body.country)
}

/// `GET /users/{userId}/addresses`.
pub(crate) async fn list(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
) -> Result<Json<Vec<AddressOut>>, ApiError> {
    caller.require_self_or_admin(user_id)?;
    let db = shop.db();
    if !db.users.contains_key(&user_id) {
        return Err(ApiError::not_found("user"));
    }
    Ok(Json(
        db.addresses
            .values()
            .filter(|a| a.user_id == user_id && !a.deleted)
            .map(AddressOut::from)
            .collect(),
    ))
}

/// `POST /users/{userId}/addresses`: 201 with a `Location` header.
pub(crate) async fn create(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
    JsonBody(body): JsonBody<AddressIn>,
) -> Result<Response, ApiError> {
    caller.require_self(user_id)?;
    check(&body)?;
    let mut db = shop.db();
    if !db.users.contains_key(&user_id) {
        return Err(ApiError::not_found("user"));
    }
    db.next.address += 1;
    let id = db.next.address;
    let created_at = db.now();
    let address = Address {
        id,
        user_id,
        recipient: body.recipient,
        line1: body.line1,
        line2: body.line2,
        city: body.city,
        postal_code: body.postal_code,
        country: body.country,
        created_at,
        deleted: false,
    };
    let out = AddressOut::from(&address);
    db.addresses.insert(id, address);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/users/{user_id}/addresses/{id}"))],
        Json(out),
    )
        .into_response())
}

/// `GET /users/{userId}/addresses/{addressId}`.
pub(crate) async fn get(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(p): PathParams<AddressPath>,
) -> Result<Json<AddressOut>, ApiError> {
    // PLANTED shop-bola-read-address: the vulnerable build has no ownership check here.
    if shop.secure() {
        caller.require_self_or_admin(p.user_id)?;
    }
    let db = shop.db();
    let address = db
        .addresses
        .get(&p.address_id)
        .filter(|a| a.user_id == p.user_id)
        // PLANTED shop-use-after-delete-address: the vulnerable read path forgets the
        // soft-delete flag.
        .filter(|a| !a.deleted || !shop.secure())
        .ok_or_else(|| ApiError::not_found("address"))?;
    Ok(Json(AddressOut::from(address)))
}

/// `PUT /users/{userId}/addresses/{addressId}`: full replacement.
pub(crate) async fn replace(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(p): PathParams<AddressPath>,
    JsonBody(body): JsonBody<AddressIn>,
) -> Result<Json<AddressOut>, ApiError> {
    if shop.secure() {
        caller.require_self(p.user_id)?;
    }
    check(&body)?;
    let mut db = shop.db();
    let address = db
        .addresses
        .get_mut(&p.address_id)
        .filter(|a| a.user_id == p.user_id && !a.deleted)
        .ok_or_else(|| ApiError::not_found("address"))?;
    address.recipient = body.recipient;
    address.line1 = body.line1;
    address.line2 = body.line2;
    address.city = body.city;
    address.postal_code = body.postal_code;
    address.country = body.country;
    // PLANTED shop-bola-write-address-403: the vulnerable build checks ownership only after
    // the update is applied, so the 403 comes too late.
    caller.require_self(p.user_id)?;
    Ok(Json(AddressOut::from(&*address)))
}

/// `DELETE /users/{userId}/addresses/{addressId}`: soft delete, 204.
pub(crate) async fn delete(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(p): PathParams<AddressPath>,
) -> Result<StatusCode, ApiError> {
    caller.require_self(p.user_id)?;
    let mut db = shop.db();
    let address = db
        .addresses
        .get_mut(&p.address_id)
        .filter(|a| a.user_id == p.user_id && !a.deleted)
        .ok_or_else(|| ApiError::not_found("address"))?;
    address.deleted = true;
    Ok(StatusCode::NO_CONTENT)
}

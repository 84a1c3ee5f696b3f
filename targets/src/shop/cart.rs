//! A user's cart: read, add an item, remove an item.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::api::{CartItemIn, CartOut};
use super::auth::Caller;
use super::store::{CartLine, Shop};
use super::users::UserPath;
use super::validate::{self, MAX_QUANTITY};
use crate::common::{ApiError, JsonBody, PathParams};

#[derive(Debug, Deserialize)]
pub(crate) struct CartItemPath {
    #[serde(rename = "userId")]
    user_id: i64,
    #[serde(rename = "itemId")]
    item_id: i64,
}

/// `GET /users/{userId}/cart`.
pub(crate) async fn get(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
) -> Result<Json<CartOut>, ApiError> {
    caller.require_self_or_admin(user_id)?;
    let db = shop.db();
    if !db.users.contains_key(&user_id) {
        return Err(ApiError::not_found("user"));
    }
    Ok(Json(CartOut::render(&db, user_id)))
}

/// `POST /users/{userId}/cart/items`: adds `quantity` of a product (summed with what the cart
/// already holds), within the product's stock.
pub(crate) async fn add_item(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
    JsonBody(item): JsonBody<CartItemIn>,
) -> Result<Json<CartOut>, ApiError> {
    caller.require_self(user_id)?;
    validate::int("quantity", item.quantity, 1, MAX_QUANTITY)?;
    let mut db = shop.db();
    let stock = db
        .products
        .get(&item.product_id)
        .map(|p| p.stock)
        .ok_or_else(|| ApiError::not_found("product"))?;
    let existing = db
        .carts
        .get(&user_id)
        .and_then(|lines| lines.iter().find(|l| l.product_id == item.product_id))
        .map(|l| (l.id, l.quantity));
    let wanted = existing.map_or(0, |(_, q)| q) + item.quantity;
    if wanted > MAX_QUANTITY {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_QUANTITY} of one product per cart"
        )));
    }
    if wanted > stock {
        // PLANTED shop-undeclared-409-cart: the vulnerable build answers 409 Conflict, which
        // the spec does not declare for this operation (it declares 400).
        let status = if shop.secure() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::CONFLICT
        };
        return Err(ApiError::new(status, format!("only {stock} left in stock")));
    }
    let id = match existing {
        Some((id, _)) => id,
        None => {
            db.next.cart_item += 1;
            db.next.cart_item
        }
    };
    let lines = db.carts.entry(user_id).or_default();
    match lines.iter_mut().find(|l| l.id == id) {
        Some(line) => line.quantity = wanted,
        None => lines.push(CartLine {
            id,
            product_id: item.product_id,
            quantity: wanted,
        }),
    }
    Ok(Json(CartOut::render(&db, user_id)))
}

/// `DELETE /users/{userId}/cart/items/{itemId}`.
pub(crate) async fn remove_item(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(p): PathParams<CartItemPath>,
) -> Result<StatusCode, ApiError> {
    caller.require_self(p.user_id)?;
    let mut db = shop.db();
    let lines = db.carts.entry(p.user_id).or_default();
    let before = lines.len();
    lines.retain(|l| l.id != p.item_id);
    if lines.len() == before {
        return Err(ApiError::not_found("cart item"));
    }
    Ok(StatusCode::NO_CONTENT)
}

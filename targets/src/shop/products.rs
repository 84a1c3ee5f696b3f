//! The product catalogue: public reads, admin-only writes.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::{ProductIn, ProductOut, ProductPatchIn};
use super::auth::Caller;
use super::store::{Product, Shop};
use super::validate::{self, MAX_PRICE_CENTS};
use crate::common::{ApiError, JsonBody, PathParams};

#[derive(Debug, Deserialize)]
pub(crate) struct ProductPath {
    #[serde(rename = "productId")]
    product_id: i64,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    validate::text("name", name, 1, 100)
}
fn check_description(description: &str) -> Result<(), ApiError> {
    validate::text("description", description, 0, 1000)
}
fn check_price(price: i64) -> Result<(), ApiError> {
    validate::int("priceCents", price, 1, MAX_PRICE_CENTS)
}
fn check_stock(stock: i64) -> Result<(), ApiError> {
    validate::int("stock", stock, 0, i64::MAX)
}

fn check_full(body: &ProductIn) -> Result<(), ApiError> {
    check_name(&body.name)?;
    if let Some(d) = &body.description {
        check_description(d)?;
    }
    check_price(body.price_cents)?;
    check_stock(body.stock)
}

/// `GET /products` (public).
pub(crate) async fn list(State(shop): State<Arc<Shop>>) -> Json<Vec<ProductOut>> {
    Json(shop.db().products.values().map(ProductOut::from).collect())
}

/// `GET /products/{productId}` (public).
pub(crate) async fn get(
    State(shop): State<Arc<Shop>>,
    PathParams(ProductPath { product_id }): PathParams<ProductPath>,
) -> Result<Json<ProductOut>, ApiError> {
    let db = shop.db();
    let product = db
        .products
        .get(&product_id)
        .ok_or_else(|| ApiError::not_found("product"))?;
    Ok(Json(ProductOut::from(product)))
}

/// `POST /products` (admin): 201 with a `Location` header.
pub(crate) async fn create(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    JsonBody(body): JsonBody<ProductIn>,
) -> Result<Response, ApiError> {
    // PLANTED shop-bfla-create-product: the vulnerable build lets any signed-in user create
    // products.
    if shop.secure() {
        caller.require_admin()?;
    }
    check_full(&body)?;
    let mut db = shop.db();
    db.next.product += 1;
    let id = db.next.product;
    let created_at = db.now();
    let product = Product {
        id,
        name: body.name,
        description: body.description.unwrap_or_default(),
        price_cents: body.price_cents,
        stock: body.stock,
        created_at,
    };
    let out = ProductOut::from(&product);
    db.products.insert(id, product);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/products/{id}"))],
        Json(out),
    )
        .into_response())
}

/// `PUT /products/{productId}` (admin): full replacement.
pub(crate) async fn replace(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(ProductPath { product_id }): PathParams<ProductPath>,
    JsonBody(body): JsonBody<ProductIn>,
) -> Result<Json<ProductOut>, ApiError> {
    caller.require_admin()?;
    check_full(&body)?;
    let mut db = shop.db();
    let product = db
        .products
        .get_mut(&product_id)
        .ok_or_else(|| ApiError::not_found("product"))?;
    product.name = body.name;
    product.description = body.description.unwrap_or_default();
    product.price_cents = body.price_cents;
    product.stock = body.stock;
    Ok(Json(ProductOut::from(&*product)))
}

/// `PATCH /products/{productId}` (admin): partial update.
pub(crate) async fn patch(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(ProductPath { product_id }): PathParams<ProductPath>,
    JsonBody(body): JsonBody<ProductPatchIn>,
) -> Result<Json<ProductOut>, ApiError> {
    // PLANTED shop-bfla-patch-product: PUT checks the admin role, the vulnerable PATCH does
    // not.
    if shop.secure() {
        caller.require_admin()?;
    }
    if let Some(name) = &body.name {
        check_name(name)?;
    }
    if let Some(d) = &body.description {
        check_description(d)?;
    }
    if let Some(price) = body.price_cents {
        check_price(price)?;
    }
    if let Some(stock) = body.stock {
        check_stock(stock)?;
    }
    let mut db = shop.db();
    let product = db
        .products
        .get_mut(&product_id)
        .ok_or_else(|| ApiError::not_found("product"))?;
    if let Some(name) = body.name {
        product.name = name;
    }
    if let Some(d) = body.description {
        product.description = d;
    }
    if let Some(price) = body.price_cents {
        product.price_cents = price;
    }
    if let Some(stock) = body.stock {
        product.stock = stock;
    }
    Ok(Json(ProductOut::from(&*product)))
}

/// `DELETE /products/{productId}` (admin): also drops it from every cart.
pub(crate) async fn delete(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(ProductPath { product_id }): PathParams<ProductPath>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let mut db = shop.db();
    if db.products.remove(&product_id).is_none() {
        return Err(ApiError::not_found("product"));
    }
    for lines in db.carts.values_mut() {
        lines.retain(|l| l.product_id != product_id);
    }
    Ok(StatusCode::NO_CONTENT)
}

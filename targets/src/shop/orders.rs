//! Orders, nested under their user: place from the cart, list (with a status filter), read,
//! cancel.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::{OrderIn, OrderOut, OrderQuery};
use super::auth::Caller;
use super::store::{CartLine, Db, Order, OrderLine, OrderStatus, Shop};
use super::users::UserPath;
use super::validate;
use crate::common::{ApiError, JsonBody, PathParams, QueryParams};

#[derive(Debug, Deserialize)]
pub(crate) struct OrderPath {
    #[serde(rename = "userId")]
    user_id: i64,
    #[serde(rename = "orderId")]
    order_id: i64,
}

/// Known coupon codes and their percentage off.
const COUPONS: [(&str, i64); 2] = [("WELCOME10", 10), ("SPRING25", 25)];

/// Why an order could not be priced.
#[derive(Debug, PartialEq, Eq)]
enum PricingError {
    /// Nothing to price.
    NoLines,
    /// A cart line names a product that no longer exists.
    UnknownProduct(i64),
    /// A cart line wants more than the stock.
    OutOfStock(String),
}

impl From<PricingError> for ApiError {
    fn from(e: PricingError) -> Self {
        match e {
            // Callers check for an empty cart first; reaching this is a server bug.
            PricingError::NoLines => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: cannot price an empty order",
            ),
            PricingError::UnknownProduct(id) => {
                ApiError::bad_request(format!("product {id} in the cart no longer exists"))
            }
            PricingError::OutOfStock(name) => {
                ApiError::new(StatusCode::CONFLICT, format!("`{name}` is out of stock"))
            }
        }
    }
}

struct Pricing {
    lines: Vec<OrderLine>,
    subtotal: i64,
    discount: i64,
}

fn price(db: &Db, cart: &[CartLine], percent_off: i64) -> Result<Pricing, PricingError> {
    if cart.is_empty() {
        return Err(PricingError::NoLines);
    }
    let mut lines = Vec::with_capacity(cart.len());
    let mut subtotal = 0i64;
    for line in cart {
        let p = db
            .products
            .get(&line.product_id)
            .ok_or(PricingError::UnknownProduct(line.product_id))?;
        if p.stock < line.quantity {
            return Err(PricingError::OutOfStock(p.name.clone()));
        }
        subtotal = subtotal.saturating_add(p.price_cents.saturating_mul(line.quantity));
        lines.push(OrderLine {
            product_id: p.id,
            name: p.name.clone(),
            unit_price_cents: p.price_cents,
            quantity: line.quantity,
        });
    }
    let discount = subtotal / 100 * percent_off;
    Ok(Pricing {
        lines,
        subtotal,
        discount,
    })
}

/// `GET /users/{userId}/orders[?status=...]`.
pub(crate) async fn list(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
    QueryParams(query): QueryParams<OrderQuery>,
) -> Result<Json<Vec<OrderOut>>, ApiError> {
    caller.require_self_or_admin(user_id)?;
    let db = shop.db();
    if !db.users.contains_key(&user_id) {
        return Err(ApiError::not_found("user"));
    }
    let orders: Vec<OrderOut> = match query.status {
        // Cancelled orders come from the cancellation log, in cancellation order.
        Some(OrderStatus::Cancelled) => db
            .cancellations
            .iter()
            .filter_map(|id| db.orders.get(id))
            .filter(|o| o.status == OrderStatus::Cancelled)
            // PLANTED shop-list-leak-cancelled-orders: the vulnerable build forgets to filter
            // the log by user.
            .filter(|o| o.user_id == user_id || !shop.secure())
            .map(OrderOut::from)
            .collect(),
        Some(status) => db
            .orders
            .values()
            .filter(|o| o.user_id == user_id && o.status == status)
            .map(OrderOut::from)
            .collect(),
        None => db
            .orders
            .values()
            .filter(|o| o.user_id == user_id)
            .map(OrderOut::from)
            .collect(),
    };
    Ok(Json(orders))
}

/// `POST /users/{userId}/orders`: places an order from the cart, ships it to one of the
/// caller's addresses, takes the stock, empties the cart. 201 with a `Location` header.
pub(crate) async fn create(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(UserPath { user_id }): PathParams<UserPath>,
    JsonBody(body): JsonBody<OrderIn>,
) -> Result<Response, ApiError> {
    caller.require_self(user_id)?;
    let percent_off = match &body.coupon_code {
        None => 0,
        Some(code) => {
            validate::coupon(code)?;
            COUPONS
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, pct)| *pct)
                .ok_or_else(|| ApiError::bad_request("unknown coupon code"))?
        }
    };
    let mut db = shop.db();
    let address_ok = db
        .addresses
        .get(&body.address_id)
        .is_some_and(|a| a.user_id == user_id && !a.deleted);
    if !address_ok {
        return Err(ApiError::bad_request(
            "`addressId` must name one of your addresses",
        ));
    }
    let cart = db.carts.get(&user_id).cloned().unwrap_or_default();
    // PLANTED shop-500-empty-cart-order: the vulnerable build skips this check and the
    // pricing step fails with a 500.
    if cart.is_empty() && shop.secure() {
        return Err(ApiError::bad_request("the cart is empty"));
    }
    let mut pricing = price(&db, &cart, percent_off)?;
    // PLANTED shop-order-total-quantity (a business-rule bug no built-in oracle can see; the
    // custom oracle of `examples/tests/business_rule.rs` does): the vulnerable build re-prices the
    // order from its lines' unit prices and forgets their quantities, so a line of 3 is
    // charged as 1.
    if !shop.secure() {
        pricing.subtotal = pricing.lines.iter().map(|l| l.unit_price_cents).sum();
        pricing.discount = pricing.subtotal / 100 * percent_off;
    }
    for line in &pricing.lines {
        if let Some(p) = db.products.get_mut(&line.product_id) {
            p.stock -= line.quantity;
        }
    }
    db.carts.insert(user_id, Vec::new());
    db.next.order += 1;
    let id = db.next.order;
    let created_at = db.now();
    let order = Order {
        id,
        user_id,
        address_id: body.address_id,
        status: OrderStatus::Placed,
        lines: pricing.lines,
        subtotal_cents: pricing.subtotal,
        discount_cents: pricing.discount,
        total_cents: pricing.subtotal - pricing.discount,
        coupon_code: body.coupon_code,
        created_at,
        cancelled_at: None,
    };
    let out = OrderOut::from(&order);
    db.orders.insert(id, order);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/users/{user_id}/orders/{id}"))],
        Json(out),
    )
        .into_response())
}

/// `GET /users/{userId}/orders/{orderId}`.
pub(crate) async fn get(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(p): PathParams<OrderPath>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require_self_or_admin(p.user_id)?;
    let db = shop.db();
    let order = db
        .orders
        .get(&p.order_id)
        // PLANTED shop-order-ignores-parent: the vulnerable build loads the order by id alone,
        // without checking it belongs to the user in the path.
        .filter(|o| o.user_id == p.user_id || !shop.secure())
        .ok_or_else(|| ApiError::not_found("order"))?;
    let mut body = serde_json::to_value(OrderOut::from(order))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    // PLANTED shop-schema-cancelled-at: the vulnerable detail view writes `cancelledAt` as
    // Unix seconds, not as the RFC 3339 date-time the spec declares.
    if let (Some(at), false, Some(fields)) =
        (order.cancelled_at, shop.secure(), body.as_object_mut())
    {
        fields.insert("cancelledAt".to_string(), serde_json::Value::from(at.0));
    }
    Ok(Json(body))
}

/// `POST /users/{userId}/orders/{orderId}/cancel`: only `placed` orders; the stock returns.
pub(crate) async fn cancel(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    PathParams(p): PathParams<OrderPath>,
) -> Result<Json<OrderOut>, ApiError> {
    caller.require_self(p.user_id)?;
    let mut db = shop.db();
    let status = db
        .orders
        .get(&p.order_id)
        .filter(|o| o.user_id == p.user_id)
        .map(|o| o.status)
        .ok_or_else(|| ApiError::not_found("order"))?;
    if status != OrderStatus::Placed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "only placed orders can be cancelled",
        ));
    }
    let now = db.now();
    let lines = match db.orders.get_mut(&p.order_id) {
        Some(order) => {
            order.status = OrderStatus::Cancelled;
            order.cancelled_at = Some(now);
            order.lines.clone()
        }
        None => return Err(ApiError::not_found("order")),
    };
    for line in lines {
        if let Some(product) = db.products.get_mut(&line.product_id) {
            product.stock = product.stock.saturating_add(line.quantity);
        }
    }
    db.cancellations.push(p.order_id);
    let order = db
        .orders
        .get(&p.order_id)
        .ok_or_else(|| ApiError::not_found("order"))?;
    Ok(Json(OrderOut::from(order)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pricing_an_empty_cart_is_an_error_not_a_panic() {
        let db = Db::seed();
        assert_eq!(price(&db, &[], 0).err(), Some(PricingError::NoLines));
    }

    #[test]
    fn pricing_applies_the_coupon() {
        let db = Db::seed();
        let cart = [CartLine {
            id: 1,
            product_id: 1,
            quantity: 2,
        }];
        let p = price(&db, &cart, 10).ok();
        assert_eq!(
            p.as_ref().map(|p| (p.subtotal, p.discount)),
            Some((2500, 250))
        );
    }
}

//! Admin refunds: a full refund of a shipped, delivered or placed order. Correct in both modes.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::api::{RefundIn, RefundOut};
use super::auth::Caller;
use super::store::{OrderStatus, Refund, Shop};
use super::validate;
use crate::common::{ApiError, JsonBody};

/// `POST /admin/refunds` (admin): 201; the order becomes `refunded`.
pub(crate) async fn create(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
    JsonBody(body): JsonBody<RefundIn>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    validate::text("reason", &body.reason, 1, 200)?;
    let mut db = shop.db();
    let (user_id, amount, status) = db
        .orders
        .get(&body.order_id)
        .map(|o| (o.user_id, o.total_cents, o.status))
        .ok_or_else(|| ApiError::not_found("order"))?;
    if matches!(status, OrderStatus::Cancelled | OrderStatus::Refunded) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the order is cancelled or already refunded",
        ));
    }
    let created_at = db.now();
    if let Some(order) = db.orders.get_mut(&body.order_id) {
        order.status = OrderStatus::Refunded;
    }
    db.next.refund += 1;
    let id = db.next.refund;
    let refund = Refund {
        id,
        order_id: body.order_id,
        user_id,
        amount_cents: amount,
        reason: body.reason,
        created_at,
    };
    let out = RefundOut::from(&refund);
    db.refunds.insert(id, refund);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// `GET /admin/refunds` (admin).
pub(crate) async fn list(
    State(shop): State<Arc<Shop>>,
    caller: Caller,
) -> Result<Json<Vec<RefundOut>>, ApiError> {
    caller.require_admin()?;
    Ok(Json(
        shop.db().refunds.values().map(RefundOut::from).collect(),
    ))
}

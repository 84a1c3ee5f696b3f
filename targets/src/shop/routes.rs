//! The route table of the shop: every operation of `corpus/specs/shop.yaml`.

use std::sync::Arc;

use axum::http::Method;

use super::store::Shop;
use super::styles::{AuthStyle, ShopAuth};
use super::{addresses, auth, cart, orders, products, refunds, users};
use crate::Mode;
use crate::common::{RouteBuilder, RouteList};

pub(crate) fn build(mode: Mode, style: ShopAuth) -> RouteList {
    let builder = RouteBuilder::new(Arc::new(Shop::new(mode, style)));
    let builder = match style.style {
        AuthStyle::OAuth2Password => builder.route(Method::POST, "/token", auth::token),
        AuthStyle::Bearer | AuthStyle::Cookie => {
            builder.route(Method::POST, "/auth/login", auth::login)
        }
    };
    builder
        .route(Method::GET, "/me", auth::me)
        .route(Method::GET, "/users/{userId}", users::get_user)
        .route(Method::PATCH, "/users/{userId}", users::patch_user)
        .route(Method::DELETE, "/users/{userId}", users::delete_user)
        .route(Method::GET, "/users/{userId}/addresses", addresses::list)
        .route(Method::POST, "/users/{userId}/addresses", addresses::create)
        .route(
            Method::GET,
            "/users/{userId}/addresses/{addressId}",
            addresses::get,
        )
        .route(
            Method::PUT,
            "/users/{userId}/addresses/{addressId}",
            addresses::replace,
        )
        .route(
            Method::DELETE,
            "/users/{userId}/addresses/{addressId}",
            addresses::delete,
        )
        .route(Method::GET, "/users/{userId}/cart", cart::get)
        .route(Method::POST, "/users/{userId}/cart/items", cart::add_item)
        .route(
            Method::DELETE,
            "/users/{userId}/cart/items/{itemId}",
            cart::remove_item,
        )
        .route(Method::GET, "/users/{userId}/orders", orders::list)
        .route(Method::POST, "/users/{userId}/orders", orders::create)
        .route(Method::GET, "/users/{userId}/orders/{orderId}", orders::get)
        .route(
            Method::POST,
            "/users/{userId}/orders/{orderId}/cancel",
            orders::cancel,
        )
        .route(Method::GET, "/products", products::list)
        .route(Method::POST, "/products", products::create)
        .route(Method::GET, "/products/{productId}", products::get)
        .route(Method::PUT, "/products/{productId}", products::replace)
        .route(Method::PATCH, "/products/{productId}", products::patch)
        .route(Method::DELETE, "/products/{productId}", products::delete)
        .route(Method::GET, "/admin/users", users::list_users)
        .route(Method::GET, "/admin/refunds", refunds::list)
        .route(Method::POST, "/admin/refunds", refunds::create)
        .finish(|shop: &Arc<Shop>| shop.reset())
}

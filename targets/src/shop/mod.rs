//! The `shop` demo service: users, addresses, carts, orders nested under users, a product
//! catalogue managed by admins, and admin refunds. Bearer tokens from `POST /auth/login` (or
//! another [`AuthStyle`]: the OAuth2 password grant, cookie sessions with CSRF; tokens that
//! expire with [`ShopAuth::lifetime`]), integer ids, in-memory store seeded with alice and bob (users) and carol (admin).
//!
//! Seed (restored by `POST /__reset`, ids and the logical clock restart too): users 1 `alice`
//! and 2 `bob` (role `user`, passwords `alice-pass-1`, `bob-pass-2`) each with address 1 / 2,
//! a delivered / shipped order 1 / 2 (not cancellable) and one cart item; user 3 `carol`
//! (`admin`, `carol-pass-3`) with address 3; products 1-5, product 4 sold out and product 3
//! with a stock of 2. Bearer sessions survive a reset.
//!
//! Every planted bug is guarded by `shop.secure()` and marked `PLANTED <bug id>` where it
//! lives; [`PLANTED`] lists them:
//!
//! | bug | file | shortest reproducer |
//! | --- | --- | --- |
//! | `shop-bola-read-address` | `addresses.rs` | bob `GET /users/1/addresses/1` |
//! | `shop-bola-write-address-403` | `addresses.rs` | bob `PUT /users/1/addresses/1` (403), alice re-reads |
//! | `shop-order-ignores-parent` | `orders.rs` | alice `GET /users/1/orders/2` |
//! | `shop-list-leak-cancelled-orders` | `orders.rs` | bob places and cancels, alice `GET /users/1/orders?status=cancelled` |
//! | `shop-bfla-create-product` | `products.rs` | alice `POST /products` |
//! | `shop-bfla-patch-product` | `products.rs` | alice `PATCH /products/1` |
//! | `shop-mass-assignment-role` | `users.rs` | alice `PATCH /users/1 {"role":"admin"}`, then `GET /admin/users` |
//! | `shop-undeclared-409-cart` | `cart.rs` | alice adds product 4 to her cart |
//! | `shop-500-empty-cart-order` | `orders.rs` | alice places two orders in a row |
//! | `shop-schema-cancelled-at` | `orders.rs` | place, cancel, `GET` the order |
//! | `shop-use-after-delete-address` | `addresses.rs` | alice deletes address 1, then reads it |
//! | `shop-ignored-auth-get-user` | `users.rs` | `GET /users/1` without a token |

mod addresses;
mod api;
mod auth;
mod bugs;
mod cart;
mod orders;
mod products;
mod refunds;
mod routes;
mod store;
mod styles;
mod users;
mod validate;

use crate::Mode;
use crate::common::RouteList;

pub use bugs::{PLANTED, PLANTED_FOR_CUSTOM_ORACLES};
pub use styles::{AuthStyle, CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, ShopAuth};

/// The service's OpenAPI document (`corpus/specs/shop.yaml`).
pub const SPEC_YAML: &str = include_str!("../../../corpus/specs/shop.yaml");
/// The service's identities-and-policy file (`corpus/identities/shop.toml`).
pub const IDENTITIES_TOML: &str = include_str!("../../../corpus/identities/shop.toml");

pub(crate) fn routes(mode: Mode) -> RouteList {
    routes::build(mode, ShopAuth::default())
}

/// The shop's routes with authentication `auth` ([`styles`]).
pub(crate) fn styled_routes(mode: Mode, auth: ShopAuth) -> RouteList {
    routes::build(mode, auth)
}

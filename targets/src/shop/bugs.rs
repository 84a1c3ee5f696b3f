//! The planted-bug manifest of the shop. Each bug is marked `PLANTED <bug id>` in the code.

use crate::Service;
use crate::planted::PlantedBug;
use crate::planted::oracle::{
    BFLA, BOLA, IGNORED_AUTH, LIST_LEAK, MASS_ASSIGNMENT, RESOURCE_HIERARCHY, SCHEMA_CONFORMANCE,
    SERVER_ERROR, STATUS_CONFORMANCE, USE_AFTER_DELETE,
};
use crate::planted::role::{ANONYMOUS, USER};

const fn bug(
    bug: &'static str,
    oracle: &'static str,
    operation: &'static str,
    roles: &'static [&'static str],
    min_steps: usize,
    description: &'static str,
) -> PlantedBug {
    PlantedBug {
        bug,
        service: Service::Shop,
        oracle,
        operation,
        roles,
        min_steps,
        description,
    }
}

/// Bugs planted for an oracle a user writes, not a built-in one, so no entry of [`PLANTED`]
/// (whose entries the built-in oracles must report): `shop-order-total-quantity`, an order
/// whose `subtotalCents` counts each line once whatever its quantity (`orders.rs`), which the
/// business-rule oracle of `examples/tests/business_rule.rs` finds.
pub const PLANTED_FOR_CUSTOM_ORACLES: &[&str] = &["shop-order-total-quantity"];

/// The planted bugs of the shop, one entry per (oracle, operation) a correct tool reports.
pub const PLANTED: &[PlantedBug] = &[
    bug(
        "shop-bola-read-address",
        BOLA,
        "GET /users/{userId}/addresses/{addressId}",
        &[USER, USER],
        2,
        "Any signed-in user reads any user's address: the read has no ownership check.",
    ),
    bug(
        "shop-bola-write-address-403",
        BOLA,
        "PUT /users/{userId}/addresses/{addressId}",
        &[USER, USER],
        2,
        "Replacing another user's address answers 403, but only after the update was applied.",
    ),
    bug(
        "shop-order-ignores-parent",
        RESOURCE_HIERARCHY,
        "GET /users/{userId}/orders/{orderId}",
        &[USER],
        1,
        "The order is loaded by id alone: /users/{me}/orders/{someone else's order} returns it.",
    ),
    bug(
        "shop-order-ignores-parent",
        BOLA,
        "GET /users/{userId}/orders/{orderId}",
        &[USER, USER],
        2,
        "Through its own user path, a user reads another user's order.",
    ),
    bug(
        "shop-list-leak-cancelled-orders",
        LIST_LEAK,
        "GET /users/{userId}/orders",
        &[USER, USER],
        3,
        "With ?status=cancelled the list reads the cancellation log without filtering by user.",
    ),
    bug(
        "shop-list-leak-cancelled-orders",
        RESOURCE_HIERARCHY,
        "GET /users/{userId}/orders",
        &[USER, USER],
        3,
        "The same list returns orders of another user under /users/{me}/orders.",
    ),
    bug(
        "shop-bfla-create-product",
        BFLA,
        "POST /products",
        &[USER],
        1,
        "Creating a product (admin) is accepted from any signed-in user.",
    ),
    bug(
        "shop-bfla-patch-product",
        BFLA,
        "PATCH /products/{productId}",
        &[USER],
        1,
        "PUT on a product checks the admin role; PATCH on the same product does not.",
    ),
    bug(
        "shop-mass-assignment-role",
        MASS_ASSIGNMENT,
        "PATCH /users/{userId}",
        &[USER],
        2,
        "A user sets the read-only `role` of their own account to admin and gains admin access.",
    ),
    bug(
        "shop-undeclared-409-cart",
        STATUS_CONFORMANCE,
        "POST /users/{userId}/cart/items",
        &[USER],
        1,
        "Adding more than the stock answers 409, which the operation does not declare.",
    ),
    bug(
        "shop-500-empty-cart-order",
        SERVER_ERROR,
        "POST /users/{userId}/orders",
        &[USER],
        1,
        "Placing an order with an empty cart fails in the pricing step with a 500.",
    ),
    bug(
        "shop-schema-cancelled-at",
        SCHEMA_CONFORMANCE,
        "GET /users/{userId}/orders/{orderId}",
        &[USER],
        3,
        "Once an order is cancelled, its detail view writes `cancelledAt` as Unix seconds.",
    ),
    bug(
        "shop-use-after-delete-address",
        USE_AFTER_DELETE,
        "GET /users/{userId}/addresses/{addressId}",
        &[USER],
        2,
        "A deleted address still answers 200: the read path ignores the soft-delete flag.",
    ),
    bug(
        "shop-ignored-auth-get-user",
        IGNORED_AUTH,
        "GET /users/{userId}",
        &[ANONYMOUS],
        1,
        "Without a token, or with an invalid one, a user's profile is returned to anyone.",
    ),
];

//! The planted bugs: one test per bug, both modes.

use super::*;

#[tokio::test]
async fn shop_bola_read_address() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let r = shop
            .call(Method::GET, "/users/1/addresses/1", Some(&t.bob), None)
            .await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 200);
                assert_eq!(r.body["userId"], 1, "bob reads alice's address");
            }
            Mode::Secure => assert_eq!(r.status, 403),
        }
        // The owner and the admin read it in both modes.
        for token in [&t.alice, &t.carol] {
            let r = shop
                .call(Method::GET, "/users/1/addresses/1", Some(token), None)
                .await;
            assert_eq!(r.status, 200);
        }
    }
}

#[tokio::test]
async fn shop_bola_write_address_403() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let evil = json!({"recipient": "Mallory", "line1": "6 Drop Box Row", "city": "Nowhere",
                          "postalCode": "ZZ9 9ZZ", "country": "GB"});
        let r = shop
            .call(
                Method::PUT,
                "/users/1/addresses/1",
                Some(&t.bob),
                Some(evil),
            )
            .await;
        assert_eq!(
            r.status, 403,
            "{mode:?}: the answer is a refusal in both modes"
        );
        let reread = shop
            .call(Method::GET, "/users/1/addresses/1", Some(&t.alice), None)
            .await;
        assert_eq!(reread.status, 200);
        let expected = match mode {
            Mode::Vulnerable => "Mallory",
            Mode::Secure => "Alice Liddell",
        };
        assert_eq!(reread.body["recipient"], expected, "{mode:?}");
    }
}

#[tokio::test]
async fn shop_order_ignores_parent() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        // Order 2 is bob's; alice asks for it under her own user.
        let r = shop
            .call(Method::GET, "/users/1/orders/2", Some(&t.alice), None)
            .await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 200);
                assert_eq!(r.body["userId"], 2, "a child of another parent");
            }
            Mode::Secure => assert_eq!(r.status, 404),
        }
        // The direct path stays forbidden in both modes.
        let r = shop
            .call(Method::GET, "/users/2/orders/2", Some(&t.alice), None)
            .await;
        assert_eq!(r.status, 403);
    }
}

#[tokio::test]
async fn shop_list_leak_cancelled_orders() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        // Seeded orders are not cancelled, so nothing leaks before these steps.
        let before = shop
            .call(
                Method::GET,
                "/users/1/orders?status=cancelled",
                Some(&t.alice),
                None,
            )
            .await;
        assert_eq!(before.body, json!([]));
        let placed = shop
            .call(
                Method::POST,
                "/users/2/orders",
                Some(&t.bob),
                Some(json!({"addressId": 2})),
            )
            .await;
        assert_eq!(placed.status, 201);
        let id = placed.body["id"].as_i64().expect("order id");
        let cancelled = shop
            .call(
                Method::POST,
                &format!("/users/2/orders/{id}/cancel"),
                Some(&t.bob),
                None,
            )
            .await;
        assert_eq!(cancelled.status, 200);
        let list = shop
            .call(
                Method::GET,
                "/users/1/orders?status=cancelled",
                Some(&t.alice),
                None,
            )
            .await;
        assert_eq!(list.status, 200);
        let ids: Vec<i64> = list
            .body
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|o| o["id"].as_i64())
            .collect();
        match mode {
            Mode::Vulnerable => assert_eq!(ids, vec![id], "bob's order in alice's list"),
            Mode::Secure => assert!(ids.is_empty()),
        }
        // Without the filter, nothing leaks in either mode.
        let all = shop
            .call(Method::GET, "/users/1/orders", Some(&t.alice), None)
            .await;
        assert!(
            all.body
                .as_array()
                .expect("a list")
                .iter()
                .all(|o| o["userId"] == 1)
        );
    }
}

#[tokio::test]
async fn shop_bfla_create_product() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let product =
            json!({"name": "Knock-off mug", "description": "", "priceCents": 1, "stock": 1});
        let r = shop
            .call(
                Method::POST,
                "/products",
                Some(&t.alice),
                Some(product.clone()),
            )
            .await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 201);
                assert_eq!(r.location.as_deref(), Some("/products/6"));
            }
            Mode::Secure => assert_eq!(r.status, 403),
        }
        let admin = shop
            .call(Method::POST, "/products", Some(&t.carol), Some(product))
            .await;
        assert_eq!(admin.status, 201);
    }
}

#[tokio::test]
async fn shop_bfla_patch_product() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let put = json!({"name": "Enamel mug", "description": "", "priceCents": 1, "stock": 40});
        let r = shop
            .call(Method::PUT, "/products/1", Some(&t.alice), Some(put))
            .await;
        assert_eq!(r.status, 403, "{mode:?}: PUT checks the role in both modes");
        let r = shop
            .call(
                Method::PATCH,
                "/products/1",
                Some(&t.alice),
                Some(json!({"priceCents": 1})),
            )
            .await;
        let price =
            shop.call(Method::GET, "/products/1", None, None).await.body["priceCents"].clone();
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 200);
                assert_eq!(price, 1);
            }
            Mode::Secure => {
                assert_eq!(r.status, 403);
                assert_eq!(price, 1250);
            }
        }
    }
}

#[tokio::test]
async fn shop_mass_assignment_role() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let denied = shop
            .call(Method::GET, "/admin/users", Some(&t.alice), None)
            .await;
        assert_eq!(denied.status, 403);
        let r = shop
            .call(
                Method::PATCH,
                "/users/1",
                Some(&t.alice),
                Some(json!({"role": "admin"})),
            )
            .await;
        assert_eq!(r.status, 200, "{mode:?}: {}", r.raw);
        let me = shop.call(Method::GET, "/me", Some(&t.alice), None).await;
        let admin_list = shop
            .call(Method::GET, "/admin/users", Some(&t.alice), None)
            .await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(me.body["role"], "admin");
                assert_eq!(admin_list.status, 200, "the escalation took");
            }
            Mode::Secure => {
                assert_eq!(me.body["role"], "user");
                assert_eq!(admin_list.status, 403);
            }
        }
        // An admin may change roles in both modes.
        let r = shop
            .call(
                Method::PATCH,
                "/users/2",
                Some(&t.carol),
                Some(json!({"role": "admin"})),
            )
            .await;
        assert_eq!(r.body["role"], "admin");
    }
}

#[tokio::test]
async fn shop_undeclared_409_cart() {
    let spec = spec();
    let op = "POST /users/{userId}/cart/items";
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        // Product 4 is sold out.
        let r = shop
            .call(
                Method::POST,
                "/users/1/cart/items",
                Some(&t.alice),
                Some(json!({"productId": 4, "quantity": 1})),
            )
            .await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 409);
                let err = conformance(&spec, op, &r).expect_err("409 is undeclared");
                assert_eq!(err.0, oracle::STATUS_CONFORMANCE);
            }
            Mode::Secure => {
                assert_eq!(r.status, 400);
                assert_conforms(&spec, op, &r);
            }
        }
        let ok = shop
            .call(
                Method::POST,
                "/users/1/cart/items",
                Some(&t.alice),
                Some(json!({"productId": 3, "quantity": 2})),
            )
            .await;
        assert_eq!(ok.status, 200);
        assert_conforms(&spec, op, &ok);
    }
}

#[tokio::test]
async fn shop_500_empty_cart_order() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let order = json!({"addressId": 1});
        let first = shop
            .call(
                Method::POST,
                "/users/1/orders",
                Some(&t.alice),
                Some(order.clone()),
            )
            .await;
        assert_eq!(first.status, 201, "the seeded cart has a mug");
        assert_eq!(first.location.as_deref(), Some("/users/1/orders/3"));
        let second = shop
            .call(Method::POST, "/users/1/orders", Some(&t.alice), Some(order))
            .await;
        match mode {
            Mode::Vulnerable => assert_eq!(second.status, 500),
            Mode::Secure => {
                assert_eq!(second.status, 400);
                assert_eq!(second.body["error"], "the cart is empty");
            }
        }
    }
}

#[tokio::test]
async fn shop_schema_cancelled_at() {
    let spec = spec();
    let op = "GET /users/{userId}/orders/{orderId}";
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let placed = shop
            .call(
                Method::POST,
                "/users/1/orders",
                Some(&t.alice),
                Some(json!({"addressId": 1, "couponCode": "WELCOME10"})),
            )
            .await;
        assert_eq!(placed.status, 201);
        // The vulnerable build charges the line of 2 as 1 (`shop-order-total-quantity`).
        let total = if mode == Mode::Secure { 2250 } else { 1130 };
        assert_eq!(placed.body["totalCents"], total);
        let path = format!("/users/1/orders/{}", placed.body["id"]);
        let before = shop.call(Method::GET, &path, Some(&t.alice), None).await;
        assert_conforms(&spec, op, &before);
        let cancelled = shop
            .call(
                Method::POST,
                &format!("{path}/cancel"),
                Some(&t.alice),
                None,
            )
            .await;
        assert_eq!(cancelled.status, 200);
        assert_conforms(
            &spec,
            "POST /users/{userId}/orders/{orderId}/cancel",
            &cancelled,
        );
        let after = shop.call(Method::GET, &path, Some(&t.alice), None).await;
        assert_eq!(after.status, 200);
        match mode {
            Mode::Vulnerable => {
                assert!(after.body["cancelledAt"].is_i64());
                let err =
                    conformance(&spec, op, &after).expect_err("cancelledAt is not a date-time");
                assert_eq!(err.0, oracle::SCHEMA_CONFORMANCE);
            }
            Mode::Secure => {
                assert!(after.body["cancelledAt"].is_string());
                assert_conforms(&spec, op, &after);
            }
        }
    }
}

#[tokio::test]
async fn shop_use_after_delete_address() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let r = shop
            .call(Method::DELETE, "/users/1/addresses/1", Some(&t.alice), None)
            .await;
        assert_eq!(r.status, 204);
        let r = shop
            .call(Method::GET, "/users/1/addresses/1", Some(&t.alice), None)
            .await;
        match mode {
            Mode::Vulnerable => assert_eq!(r.status, 200, "deleted, still served"),
            Mode::Secure => assert_eq!(r.status, 404),
        }
        // The list, a second delete and a replace treat it as gone in both modes.
        let list = shop
            .call(Method::GET, "/users/1/addresses", Some(&t.alice), None)
            .await;
        assert_eq!(list.body, json!([]));
        let again = shop
            .call(Method::DELETE, "/users/1/addresses/1", Some(&t.alice), None)
            .await;
        assert_eq!(again.status, 404);
    }
}

#[tokio::test]
async fn shop_ignored_auth_get_user() {
    for mode in MODES {
        let shop = Shop::start(mode);
        for auth in [None, Some("Bearer not-a-token"), Some("Basic YWxpY2U6eA==")] {
            let r = shop.request(Method::GET, "/users/1", auth, None).await;
            match mode {
                Mode::Vulnerable => {
                    assert_eq!(r.status, 200, "{auth:?}");
                    assert_eq!(r.body["username"], "alice");
                }
                Mode::Secure => assert_eq!(r.status, 401, "{auth:?}"),
            }
            // Other secured operations check credentials in both modes.
            let r = shop
                .request(Method::GET, "/users/1/addresses", auth, None)
                .await;
            assert_eq!(r.status, 401);
        }
        let t = shop.tokens().await;
        let r = shop.call(Method::GET, "/users/1", Some(&t.bob), None).await;
        assert_eq!(r.status, 403, "a signed-in user is still filtered");
    }
}

//! The spec, the routes, the manifest, the identities file and reset.

use super::*;

#[test]
fn the_conformance_checker_catches_bad_answers() {
    let spec = spec();
    let op = "GET /me";
    let answer = |status: u16, body: Value| Resp {
        status,
        content_type: Some("application/json".to_string()),
        location: None,
        raw: body.to_string(),
        body,
    };
    let good = json!({"id": 1, "username": "alice", "email": "alice@shop.example",
                      "displayName": "Alice", "role": "user", "createdAt": "2025-01-01T00:01:00Z"});
    assert_conforms(&spec, op, &answer(200, good.clone()));
    let kind = |r: &Resp| conformance(&spec, op, r).err().map(|e| e.0);
    let mut bad = good.clone();
    bad["createdAt"] = json!("yesterday");
    assert_eq!(
        kind(&answer(200, bad)),
        Some(oracle::SCHEMA_CONFORMANCE),
        "date-time format"
    );
    let mut bad = good.clone();
    bad["email"] = json!("not-an-email");
    assert_eq!(
        kind(&answer(200, bad)),
        Some(oracle::SCHEMA_CONFORMANCE),
        "email"
    );
    // Edge cases of the server's email pattern are valid `format: email` too.
    for email in [
        "-@a.bc",
        "_+@a-b.cd",
        "a.b.c.d@x.y.z.abcdefghijkl",
        "1@1.ab",
        "A-@0-0-0.ZZ",
    ] {
        let mut edge = good.clone();
        edge["email"] = json!(email);
        assert_conforms(&spec, op, &answer(200, edge));
    }
    let mut bad = good.clone();
    bad["extra"] = json!(1);
    assert_eq!(
        kind(&answer(200, bad)),
        Some(oracle::SCHEMA_CONFORMANCE),
        "extra field"
    );
    assert_eq!(
        kind(&answer(404, json!({"error": "x"}))),
        Some(oracle::STATUS_CONFORMANCE)
    );
    assert_eq!(
        kind(&answer(500, json!({"error": "x"}))),
        Some(oracle::SERVER_ERROR)
    );
    let mut text = answer(401, json!({"error": "x"}));
    text.content_type = Some("text/plain".to_string());
    assert_eq!(
        kind(&text),
        Some(oracle::SCHEMA_CONFORMANCE),
        "content type"
    );
}

#[test]
fn routes_and_spec_operations_are_the_same_set() {
    let spec = spec();
    let routed: BTreeSet<String> = Service::Shop
        .routes()
        .into_iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let declared = spec_operations(&spec);
    let unrouted: Vec<_> = declared.difference(&routed).collect();
    let undeclared: Vec<_> = routed.difference(&declared).collect();
    assert!(unrouted.is_empty(), "in the spec, not routed: {unrouted:?}");
    assert!(
        undeclared.is_empty(),
        "routed, not in the spec: {undeclared:?}"
    );
}

#[test]
fn spec_is_complete_and_precise() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.0.3");
    let ops = spec_operations(&spec);
    assert!(ops.len() >= 15, "only {} operations", ops.len());
    let public: BTreeSet<&str> = [
        "POST /auth/login",
        "GET /products",
        "GET /products/{productId}",
    ]
    .into_iter()
    .collect();
    assert!(spec["security"][0].get("bearerAuth").is_some());
    let mut ids = BTreeSet::new();
    for op in &ops {
        let o = operation(&spec, op);
        let id = o["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
        assert!(
            o["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{op} has tags"
        );
        let is_public = o.get("security") == Some(&json!([]));
        assert_eq!(is_public, public.contains(op.as_str()), "{op}: security");
        let responses = o["responses"].as_object().expect("responses");
        assert!(!responses.contains_key("default"), "{op} has no default");
        if !is_public {
            assert!(responses.contains_key("401"), "{op} declares 401");
        }
        let admin = o["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("admin")));
        if admin {
            assert!(responses.contains_key("403"), "{op} (admin) declares 403");
        }
        if op.contains('{') || o.get("requestBody").is_some() {
            assert!(responses.contains_key("400"), "{op} declares 400");
        }
        for (status, r) in responses {
            let r = deref(&spec, r);
            if status != "204" {
                assert!(
                    r["content"]["application/json"]["schema"].is_object(),
                    "{op} {status} has a JSON schema"
                );
            }
        }
    }
    // Links and Location headers appear on some operations, not all.
    let created_with_location = ops
        .iter()
        .filter(|op| {
            let r = deref(&spec, &operation(&spec, op)["responses"]["201"]);
            r.pointer("/headers/Location").is_some()
        })
        .count();
    assert!(created_with_location >= 2);
    // Every planted operation is in the spec.
    for bug in planted::manifest(Service::Shop) {
        assert!(
            ops.contains(bug.operation),
            "{} not in the spec",
            bug.operation
        );
        assert_eq!(bug.service, Service::Shop);
    }
}

#[test]
fn manifest_lists_the_twelve_planted_bugs() {
    let expected: BTreeSet<&str> = [
        "shop-bola-read-address",
        "shop-bola-write-address-403",
        "shop-order-ignores-parent",
        "shop-list-leak-cancelled-orders",
        "shop-bfla-create-product",
        "shop-bfla-patch-product",
        "shop-mass-assignment-role",
        "shop-undeclared-409-cart",
        "shop-500-empty-cart-order",
        "shop-schema-cancelled-at",
        "shop-use-after-delete-address",
        "shop-ignored-auth-get-user",
    ]
    .into_iter()
    .collect();
    assert_eq!(planted_bug_ids(), expected);
    let manifest = planted::manifest(Service::Shop);
    let pairs: BTreeSet<(&str, &str)> = manifest.iter().map(|b| (b.oracle, b.operation)).collect();
    assert_eq!(
        pairs.len(),
        manifest.len(),
        "one entry per (oracle, operation)"
    );
    assert_eq!(manifest.len(), 14);
    // The source marks every bug where it lives.
    let sources = [
        include_str!("../../src/shop/addresses.rs"),
        include_str!("../../src/shop/users.rs"),
        include_str!("../../src/shop/orders.rs"),
        include_str!("../../src/shop/products.rs"),
        include_str!("../../src/shop/cart.rs"),
    ]
    .concat();
    for id in expected {
        assert!(
            sources.contains(&format!("PLANTED {id}")),
            "{id} is marked in the code"
        );
    }
}

#[tokio::test]
async fn openapi_json_serves_the_spec() {
    let shop = Shop::start(Mode::Secure);
    let r = shop.request(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, spec());
}

#[tokio::test]
async fn identities_file_credentials_work() {
    let file: toml::Value = toml::from_str(Service::Shop.identities_toml()).expect("TOML");
    let identities = file["identity"].as_array().expect("identities");
    let roles: Vec<&str> = identities
        .iter()
        .filter_map(|i| i["role"].as_str())
        .collect();
    assert_eq!(roles.iter().filter(|r| **r == "user").count(), 2);
    assert_eq!(roles.iter().filter(|r| **r == "admin").count(), 1);
    assert_eq!(roles.iter().filter(|r| **r == "anonymous").count(), 1);
    let ops = spec_operations(&spec());
    for public in file["policy"]["public_operations"]
        .as_array()
        .expect("public ops")
    {
        assert!(ops.contains(public.as_str().expect("a string")), "{public}");
    }
    let shop = Shop::start(Mode::Secure);
    for identity in identities {
        let role = identity["role"].as_str().expect("role");
        let Some(login) = identity.get("auth").and_then(|a| a.get("login")) else {
            assert_eq!(role, "anonymous");
            continue;
        };
        let (method, path) = login["operation"]
            .as_str()
            .expect("op")
            .split_once(' ')
            .expect("op");
        assert_eq!((method, path), ("POST", "/auth/login"));
        let body = serde_json::to_value(&login["body"]).expect("JSON body");
        let r = shop.call(Method::POST, path, None, Some(body)).await;
        assert_eq!(r.status, 200, "{}: {}", identity["name"], r.raw);
        let pointer = login["token"].as_str().expect("token pointer");
        let token = r
            .body
            .pointer(pointer)
            .and_then(Value::as_str)
            .expect("token");
        let me = shop.call(Method::GET, "/me", Some(token), None).await;
        assert_eq!(me.status, 200);
        assert_eq!(
            me.body["username"],
            identity["name"].as_str().expect("name")
        );
        assert_eq!(me.body["role"], role);
    }
    let wrong = shop
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": "alice", "password": "nope"})),
        )
        .await;
    assert_eq!(wrong.status, 401);
}

#[tokio::test]
async fn reset_restores_the_seed_and_restarts_ids() {
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let seed_addresses = shop
            .call(Method::GET, "/users/1/addresses", Some(&t.alice), None)
            .await;
        let seed_products = shop.call(Method::GET, "/products", None, None).await;
        let seed_orders = shop
            .call(Method::GET, "/users/2/orders", Some(&t.bob), None)
            .await;
        let seed_cart = shop
            .call(Method::GET, "/users/1/cart", Some(&t.alice), None)
            .await;

        let address = json!({"recipient": "A", "line1": "1 Road", "city": "Town",
                             "postalCode": "AB1 2CD", "country": "GB"});
        let created = shop
            .call(
                Method::POST,
                "/users/1/addresses",
                Some(&t.alice),
                Some(address.clone()),
            )
            .await;
        assert_eq!(created.status, 201);
        let first_id = created.body["id"].clone();
        let r = shop
            .call(Method::DELETE, "/products/1", Some(&t.carol), None)
            .await;
        assert_eq!(r.status, 204);
        let r = shop
            .call(
                Method::POST,
                "/users/2/orders",
                Some(&t.bob),
                Some(json!({"addressId": 2})),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = shop
            .call(Method::DELETE, "/users/1", Some(&t.carol), None)
            .await;
        assert_eq!(r.status, 204);

        shop.reset().await;
        // Sessions survive the reset; the data is the seed again.
        let after = shop
            .call(Method::GET, "/users/1/addresses", Some(&t.alice), None)
            .await;
        assert_eq!(after.body, seed_addresses.body, "{mode:?}");
        let products = shop.call(Method::GET, "/products", None, None).await;
        assert_eq!(products.body, seed_products.body);
        let orders = shop
            .call(Method::GET, "/users/2/orders", Some(&t.bob), None)
            .await;
        assert_eq!(orders.body, seed_orders.body);
        let cart = shop
            .call(Method::GET, "/users/1/cart", Some(&t.alice), None)
            .await;
        assert_eq!(cart.body, seed_cart.body);
        let again = shop
            .call(
                Method::POST,
                "/users/1/addresses",
                Some(&t.alice),
                Some(address),
            )
            .await;
        assert_eq!(again.body["id"], first_id, "ids restart");
        assert_eq!(
            again.body["createdAt"], created.body["createdAt"],
            "the clock restarts"
        );
    }
}

//! A spec-driven sweep of malformed and cross-identity requests, and the carts, refunds and
//! authorization probes.

use super::*;

/// A valid request body for each operation that takes one (seeded ids).
fn valid_body(operation_id: &str) -> Value {
    match operation_id {
        "login" => json!({"username": "alice", "password": "alice-pass-1"}),
        "updateUser" => json!({"displayName": "Alice L.", "email": "alice.l@mail.example"}),
        "createAddress" | "replaceAddress" => json!({"recipient": "A. Person", "line1": "1 Road",
            "line2": "Flat 2", "city": "Town", "postalCode": "AB1 2CD", "country": "GB"}),
        "addCartItem" => json!({"productId": 5, "quantity": 1}),
        "createOrder" => json!({"addressId": 1, "couponCode": "SPRING25"}),
        "createProduct" | "replaceProduct" => {
            json!({"name": "Pen", "description": "Blue ink.", "priceCents": 199, "stock": 10})
        }
        "updateProduct" => json!({"priceCents": 299}),
        "adminCreateRefund" => json!({"orderId": 1, "reason": "arrived damaged"}),
        other => panic!("no valid body for {other}"),
    }
}

/// Request bodies derived from a valid one: wrong types, out-of-range values, extra and
/// read-only fields, non-objects, non-JSON, missing content type.
fn body_variants(valid: &Value) -> Vec<(&'static str, String)> {
    let json = "application/json";
    let mut out = vec![
        (json, valid.to_string()),
        (json, "{}".to_string()),
        (json, "[]".to_string()),
        (json, "null".to_string()),
        (json, "\"text\"".to_string()),
        (json, "{\"unterminated\": ".to_string()),
        ("text/plain", valid.to_string()),
        ("", valid.to_string()),
    ];
    let fields = valid.as_object().expect("an object body");
    let replacements = [
        json!(true),
        Value::Null,
        json!(""),
        json!("x".repeat(1001)),
        json!(-1),
        json!(0),
        json!(1_000_000_000_000i64),
        json!(1.5),
        json!({}),
        json!("ADMIN"),
    ];
    for key in fields.keys() {
        for r in &replacements {
            let mut b = valid.clone();
            b[key] = r.clone();
            out.push((json, b.to_string()));
        }
        let mut without = valid.clone();
        without.as_object_mut().expect("object").remove(key);
        out.push((json, without.to_string()));
    }
    for (key, value) in [
        ("id", json!(99)),
        ("userId", json!(2)),
        ("role", json!("admin")),
        ("createdAt", json!("not a date")),
        ("status", json!("refunded")),
        ("unexpected", json!(1)),
    ] {
        let mut b = valid.clone();
        b[key] = value;
        out.push((json, b.to_string()));
    }
    out
}

const PATH_VALUES: [&str; 8] = [
    "1",
    "2",
    "3",
    "abc",
    "0",
    "-5",
    "99999999999999999999",
    "1.5",
];

fn fill(template: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(value);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Sends the sweep to a shop and returns every non-conformance as (oracle, operation, detail),
/// and how many answers had each status.
async fn sweep(mode: Mode) -> (Vec<(&'static str, String, String)>, BTreeMap<u16, usize>) {
    let spec = spec();
    let shop = Shop::start(mode);
    let t = shop.tokens().await;
    let bearer = |tok: &str| format!("Bearer {tok}");
    let auths: Vec<Option<String>> = vec![
        None,
        Some("Bearer not-a-real-token".to_string()),
        Some("Basic YWxpY2U6YWxpY2UtcGFzcy0x".to_string()),
        Some(bearer(&t.alice)),
        Some(bearer(&t.bob)),
        Some(bearer(&t.carol)),
    ];
    let mut findings = Vec::new();
    let mut statuses = BTreeMap::<u16, usize>::new();
    for op in spec_operations(&spec) {
        let o = operation(&spec, &op);
        let operation_id = o["operationId"].as_str().expect("operationId");
        let (method, template) = op.split_once(' ').expect("METHOD /path");
        let method: Method = method.parse().expect("a method");
        let valid = o.get("requestBody").map(|_| valid_body(operation_id));
        let mut check = |r: &Resp, detail: String| {
            *statuses.entry(r.status).or_default() += 1;
            if let Err((oracle, msg)) = conformance(&spec, &op, r) {
                findings.push((oracle, op.clone(), format!("{detail}: {msg}")));
            }
        };
        // Every identity on every kind of path value, with a valid body.
        for auth in &auths {
            shop.reset().await;
            let values: &[&str] = if template.contains('{') {
                &PATH_VALUES
            } else {
                &["-"]
            };
            let queries: &[&str] = if operation_id == "listOrders" {
                &[
                    "",
                    "?status=cancelled",
                    "?status=placed",
                    "?status=bogus",
                    "?status=",
                    "?status=placed&status=shipped",
                    "?other=1",
                ]
            } else {
                &[""]
            };
            for (value, query) in values
                .iter()
                .flat_map(|v| queries.iter().map(move |q| (v, q)))
            {
                let path = format!("{}{query}", fill(template, value));
                let body = valid.as_ref().map(|b| ("application/json", b.to_string()));
                let r = shop
                    .request(method.clone(), &path, auth.as_deref(), body)
                    .await;
                check(&r, format!("{path} as {auth:?}"));
            }
        }
        // Every body variant, on seeded ids, as a user, an admin and nobody.
        if let Some(valid) = &valid {
            for auth in [&auths[0], &auths[3], &auths[5]] {
                shop.reset().await;
                let path = fill(template, "1");
                for (content_type, body) in body_variants(valid) {
                    let detail = format!("{path} as {auth:?} with {content_type} {body:.80}");
                    let r = shop
                        .request(
                            method.clone(),
                            &path,
                            auth.as_deref(),
                            Some((content_type, body)),
                        )
                        .await;
                    check(&r, detail);
                }
            }
        }
    }
    (findings, statuses)
}

#[tokio::test]
async fn secure_mode_answers_only_declared_statuses_with_valid_bodies() {
    let (findings, statuses) = sweep(Mode::Secure).await;
    let sent: usize = statuses.values().sum();
    eprintln!("secure sweep: {sent} requests, statuses {statuses:?}");
    assert!(sent > 1000, "the sweep sent {sent} requests");
    for status in [200, 201, 204, 400, 401, 403, 404, 409] {
        assert!(
            statuses.contains_key(&status),
            "the sweep reaches {status}: {statuses:?}"
        );
    }
    let shown: Vec<String> = findings.iter().take(10).map(|f| format!("{f:?}")).collect();
    assert!(
        findings.is_empty(),
        "{} non-conforming answers in secure mode, first ones:\n{}",
        findings.len(),
        shown.join("\n")
    );
}

#[tokio::test]
async fn vulnerable_mode_conformance_findings_are_all_planted() {
    let (findings, _) = sweep(Mode::Vulnerable).await;
    let planted: BTreeSet<(&str, &str)> = planted::manifest(Service::Shop)
        .iter()
        .map(|b| (b.oracle, b.operation))
        .collect();
    for (oracle, op, detail) in &findings {
        assert!(
            planted.contains(&(*oracle, op.as_str())),
            "unplanted {oracle} on {op}: {detail}"
        );
    }
    // The sweep reaches the one-step conformance bugs on its own.
    let seen: BTreeSet<(&str, &str)> = findings
        .iter()
        .map(|(o, op, _)| (*o, op.as_str()))
        .collect();
    assert!(seen.contains(&(oracle::SERVER_ERROR, "POST /users/{userId}/orders")));
}

#[tokio::test]
async fn cart_items_have_their_own_ids() {
    let spec = spec();
    let shop = Shop::start(Mode::Secure);
    let t = shop.tokens().await;
    let cart = shop
        .call(Method::GET, "/users/1/cart", Some(&t.alice), None)
        .await;
    assert_conforms(&spec, "GET /users/{userId}/cart", &cart);
    assert_eq!(cart.body["items"][0]["id"], 1);
    assert_eq!(cart.body["items"][0]["productId"], 1);
    let add = json!({"productId": 1, "quantity": 3});
    let r = shop
        .call(
            Method::POST,
            "/users/1/cart/items",
            Some(&t.alice),
            Some(add),
        )
        .await;
    assert_eq!(r.body["items"][0]["quantity"], 5, "the same line grows");
    let add = json!({"productId": 2, "quantity": 1});
    let r = shop
        .call(
            Method::POST,
            "/users/1/cart/items",
            Some(&t.alice),
            Some(add),
        )
        .await;
    assert_eq!(r.body["items"][1]["id"], 3, "a new line gets the next id");
    assert_eq!(r.body["totalCents"], 5 * 1250 + 1800);
    // Bob cannot touch alice's cart; alice removes a line by its id.
    let r = shop
        .call(Method::DELETE, "/users/1/cart/items/3", Some(&t.bob), None)
        .await;
    assert_eq!(r.status, 403);
    let r = shop
        .call(
            Method::DELETE,
            "/users/1/cart/items/3",
            Some(&t.alice),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = shop
        .call(
            Method::DELETE,
            "/users/1/cart/items/3",
            Some(&t.alice),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let product = shop.call(Method::GET, "/products/2", None, None).await;
    assert_eq!(
        product.status, 200,
        "removing a cart item leaves the product alone"
    );
}

#[tokio::test]
async fn refunds_are_admin_only_and_once_per_order() {
    let spec = spec();
    for mode in MODES {
        let shop = Shop::start(mode);
        let t = shop.tokens().await;
        let refund = json!({"orderId": 1, "reason": "arrived damaged"});
        let r = shop
            .call(
                Method::POST,
                "/admin/refunds",
                Some(&t.alice),
                Some(refund.clone()),
            )
            .await;
        assert_eq!(r.status, 403, "{mode:?}");
        let r = shop
            .call(
                Method::POST,
                "/admin/refunds",
                Some(&t.carol),
                Some(refund.clone()),
            )
            .await;
        assert_eq!(r.status, 201);
        assert_conforms(&spec, "POST /admin/refunds", &r);
        assert_eq!(r.body["amountCents"], 1800);
        let r = shop
            .call(Method::POST, "/admin/refunds", Some(&t.carol), Some(refund))
            .await;
        assert_eq!(r.status, 409);
        let order = shop
            .call(Method::GET, "/users/1/orders/1", Some(&t.alice), None)
            .await;
        assert_eq!(order.body["status"], "refunded");
        let list = shop
            .call(Method::GET, "/admin/refunds", Some(&t.carol), None)
            .await;
        assert_eq!(list.body.as_array().map(Vec::len), Some(1));
    }
}

/// Every operation as nobody (401 expected unless public), as bob on an admin operation (403
/// expected) and as bob on alice's objects (no 2xx expected). Returns the deviations.
async fn authorization_probe(mode: Mode) -> BTreeSet<(&'static str, String)> {
    let spec = spec();
    let shop = Shop::start(mode);
    let t = shop.tokens().await;
    let mut deviations = BTreeSet::new();
    for op in spec_operations(&spec) {
        let o = operation(&spec, &op);
        let operation_id = o["operationId"].as_str().expect("operationId");
        let (method, template) = op.split_once(' ').expect("METHOD /path");
        let method: Method = method.parse().expect("a method");
        let body = o.get("requestBody").map(|_| valid_body(operation_id));
        // Every id names something of alice's (user 1, address 1, order 1, cart item 1).
        let path = fill(template, "1");
        let public = o.get("security") == Some(&json!([]));
        let admin = o["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("admin")));

        shop.reset().await;
        let r = shop.call(method.clone(), &path, None, body.clone()).await;
        if !public && r.status != 401 {
            deviations.insert((oracle::IGNORED_AUTH, op.clone()));
        }
        shop.reset().await;
        let r = shop
            .call(method.clone(), &path, Some(&t.bob), body.clone())
            .await;
        let ok = (200..300).contains(&r.status);
        if admin && ok {
            deviations.insert((oracle::BFLA, op.clone()));
        }
        if template.starts_with("/users/{userId}") && ok {
            deviations.insert((oracle::BOLA, op.clone()));
        }
    }
    deviations
}

#[tokio::test]
async fn authorization_probe_finds_exactly_the_status_visible_planted_bugs() {
    assert_eq!(authorization_probe(Mode::Secure).await, BTreeSet::new());
    let expected: BTreeSet<(&str, String)> = [
        (oracle::IGNORED_AUTH, "GET /users/{userId}"),
        (oracle::BFLA, "POST /products"),
        (oracle::BFLA, "PATCH /products/{productId}"),
        (oracle::BOLA, "GET /users/{userId}/addresses/{addressId}"),
    ]
    .into_iter()
    .map(|(o, op)| (o, op.to_string()))
    .collect();
    assert_eq!(authorization_probe(Mode::Vulnerable).await, expected);
}

//! The `shop` demo service against its spec, its identities file and its planted-bug manifest:
//! every planted bug is demonstrated in vulnerable mode and shown absent in secure mode, and a
//! spec-driven sweep of malformed requests checks that secure mode answers only declared
//! statuses with schema-valid bodies.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Value, json};
use trespass_targets::planted::{self, oracle};
use trespass_targets::{Mode, Running, Service};

const MODES: [Mode; 2] = [Mode::Vulnerable, Mode::Secure];

// ---------------------------------------------------------------------------------------------
// helpers

/// One answer of the service.
#[derive(Debug)]
struct Resp {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    raw: String,
    body: Value,
}

/// A shop running in one mode, with an HTTP client.
struct Shop {
    running: Running,
    http: reqwest::Client,
}

/// Bearer tokens of the seeded accounts.
struct Tokens {
    alice: String,
    bob: String,
    carol: String,
}

impl Shop {
    fn start(mode: Mode) -> Shop {
        let running = trespass_targets::start(Service::Shop, mode, 0).expect("shop starts");
        Shop {
            running,
            http: reqwest::Client::new(),
        }
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.running.url(), path));
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        if let Some((content_type, body)) = body {
            if !content_type.is_empty() {
                req = req.header("content-type", content_type);
            }
            req = req.body(body);
        }
        let res = req.send().await.expect("the shop answers");
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type");
        let location = header("location");
        let raw = res.text().await.expect("a readable body");
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            content_type,
            location,
            raw,
            body,
        }
    }

    /// A JSON request as the holder of `token` (`None`: no credentials).
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let body = body.map(|b| ("application/json", b.to_string()));
        self.request(method, path, auth.as_deref(), body).await
    }

    async fn login(&self, username: &str, password: &str) -> (String, i64) {
        let r = self
            .call(
                Method::POST,
                "/auth/login",
                None,
                Some(json!({ "username": username, "password": password })),
            )
            .await;
        assert_eq!(r.status, 200, "login of {username}: {}", r.raw);
        let token = r.body["accessToken"].as_str().expect("a token").to_string();
        let id = r.body["userId"].as_i64().expect("a user id");
        (token, id)
    }

    async fn tokens(&self) -> Tokens {
        Tokens {
            alice: self.login("alice", "alice-pass-1").await.0,
            bob: self.login("bob", "bob-pass-2").await.0,
            carol: self.login("carol", "carol-pass-3").await.0,
        }
    }

    async fn reset(&self) {
        let r = self.request(Method::POST, "/__reset", None, None).await;
        assert_eq!(r.status, 204);
    }
}

fn spec() -> Value {
    serde_yaml_ng::from_str(Service::Shop.spec_yaml()).expect("the shop spec parses")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation of the spec as `"METHOD /path"`.
fn spec_operations(spec: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                ops.insert(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    ops
}

fn operation<'a>(spec: &'a Value, op: &str) -> &'a Value {
    let (method, path) = op.split_once(' ').expect("METHOD /path");
    &spec["paths"][path][method.to_lowercase()]
}

fn deref<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            spec.pointer(pointer).expect("a resolvable $ref")
        }
        None => v,
    }
}

/// Why an answer does not conform to the spec, named by the oracle that would report it.
fn conformance(spec: &Value, op: &str, r: &Resp) -> Result<(), (&'static str, String)> {
    if r.status >= 500 {
        return Err((
            oracle::SERVER_ERROR,
            format!("{op}: {} {}", r.status, r.raw),
        ));
    }
    let responses = &operation(spec, op)["responses"];
    let Some(declared) = responses.get(r.status.to_string()) else {
        return Err((
            oracle::STATUS_CONFORMANCE,
            format!("{op}: undeclared {} {}", r.status, r.raw),
        ));
    };
    let declared = deref(spec, declared);
    let Some(content) = declared.get("content") else {
        return if r.raw.is_empty() {
            Ok(())
        } else {
            Err((
                oracle::SCHEMA_CONFORMANCE,
                format!("{op}: {} declares no body but got {}", r.status, r.raw),
            ))
        };
    };
    let ct = r.content_type.as_deref().unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err((
            oracle::SCHEMA_CONFORMANCE,
            format!("{op}: {} content type `{ct}`", r.status),
        ));
    }
    let mut schema = content["application/json"]["schema"].clone();
    schema["components"] = spec["components"].clone();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("a valid schema");
    let body: Value = match serde_json::from_str(&r.raw) {
        Ok(v) => v,
        Err(e) => {
            return Err((
                oracle::SCHEMA_CONFORMANCE,
                format!("{op}: {} body is not JSON ({e}): {}", r.status, r.raw),
            ));
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err((
            oracle::SCHEMA_CONFORMANCE,
            format!("{op}: {} {}: {}", r.status, r.raw, errors.join("; ")),
        ))
    }
}

fn assert_conforms(spec: &Value, op: &str, r: &Resp) {
    if let Err((oracle, msg)) = conformance(spec, op, r) {
        panic!("{oracle}: {msg}");
    }
}

fn planted_bug_ids() -> BTreeSet<&'static str> {
    planted::manifest(Service::Shop)
        .iter()
        .map(|b| b.bug)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// spec, routes, identities, reset

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
        include_str!("../src/shop/addresses.rs"),
        include_str!("../src/shop/users.rs"),
        include_str!("../src/shop/orders.rs"),
        include_str!("../src/shop/products.rs"),
        include_str!("../src/shop/cart.rs"),
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

// ---------------------------------------------------------------------------------------------
// planted bugs: one test per bug, both modes

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
        assert_eq!(placed.body["totalCents"], 2250);
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

// ---------------------------------------------------------------------------------------------
// spec-driven sweep of malformed and cross-identity requests

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

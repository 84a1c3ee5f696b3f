//! The conformance oracles (`server-error`, `status-conformance`, `schema-conformance`,
//! `slow-response`, `negative-acceptance`) over hand-built traces of the demo APIs, each both
//! ways. The same oracles over real traces of the demo targets are end-to-end tests
//! (`tests/tests/e2e/conformance.rs`).

use std::time::Duration;

use serde_json::{Value, json};
use trespass_generators::sequence::AuthMode;

use super::testkit::{TraceBuilder, notes, pairs, shop};
use super::*;
use crate::exec::{Body, ResponseBody, TransportKind};

const ORDERS: &str = "/users/{userId}/orders";
const ORDER: &str = "/users/{userId}/orders/{orderId}";
const CART_ITEMS: &str = "/users/{userId}/cart/items";
const DOC: &str = "/teams/{teamId}/documents/{documentId}";
const MEMBERS: &str = "/teams/{teamId}/members";
const COMMENTS: &str = "/teams/{teamId}/documents/{documentId}/comments";

const TEAM: &str = "7ea70000-0000-4000-8000-00000000a001";
const DOC_ID: &str = "d0c00000-0000-4000-8000-00000000a001";
const BOB: &str = "0b0b0000-0000-4000-8000-000000000002";

fn error(text: &str) -> Value {
    json!({ "error": text })
}

fn order(status: &str, cancelled_at: Option<Value>) -> Value {
    let mut o = json!({"id": 4, "userId": 1, "addressId": 1, "status": status,
        "items": [{"productId": 1, "name": "Enamel mug", "unitPriceCents": 1250, "quantity": 1}],
        "subtotalCents": 1250, "discountCents": 0, "totalCents": 1250,
        "createdAt": "2025-01-01T00:10:00Z"});
    if let Some(at) = cancelled_at {
        o["cancelledAt"] = at;
    }
    o
}

fn document(archived_at: Value) -> Value {
    json!({"id": DOC_ID, "teamId": TEAM, "title": "Roadmap", "body": "",
        "status": if archived_at.is_null() { "active" } else { "archived" },
        "authorId": "0a11ce00-0000-4000-8000-000000000001", "archivedAt": archived_at,
        "createdAt": "2025-01-01T00:01:00Z", "updatedAt": "2025-01-01T00:02:00Z"})
}

fn member() -> Value {
    json!({"userId": BOB, "username": "bob", "role": "member", "addedAt": "2025-01-01T00:03:00Z"})
}

fn cart() -> Value {
    json!({"userId": 1, "items": [{"id": 1, "productId": 1, "name": "Enamel mug",
        "unitPriceCents": 1250, "quantity": 2, "lineTotalCents": 2500}], "totalCents": 2500})
}

/// alice (shop) reads one order, answered `status` with `body`.
fn get_order(status: u16, body: Value) -> TraceBuilder {
    TraceBuilder::new(shop()).step(
        "alice:user",
        &format!("GET {ORDER}"),
        &[("userId", json!(1)), ("orderId", json!(4))],
        None,
        status,
        body,
    )
}

/// alice (notes) reads her document, answered 200 with `body`.
fn get_document(body: Value) -> TraceBuilder {
    TraceBuilder::new(notes()).step(
        "alice:user",
        &format!("GET {DOC}"),
        &[("teamId", json!(TEAM)), ("documentId", json!(DOC_ID))],
        None,
        200,
        body,
    )
}

/// alice (shop) places an order from her cart, answered `status`.
fn place_order(status: u16, body: Value) -> TraceBuilder {
    TraceBuilder::new(shop()).step(
        "alice:user",
        &format!("POST {ORDERS}"),
        &[("userId", json!(1))],
        Some(json!({"addressId": 1})),
        status,
        body,
    )
}

/// alice (shop) adds `body` to her cart, answered `status` with `response`.
fn add_to_cart(body: Option<Value>, status: u16, response: Value) -> TraceBuilder {
    TraceBuilder::new(shop()).step(
        "alice:user",
        &format!("POST {CART_ITEMS}"),
        &[("userId", json!(1))],
        body,
        status,
        response,
    )
}

// ---------------------------------------------------------------------------------------------
// server-error

#[test]
fn server_error_fires_on_any_5xx_once_per_signature() {
    let v = place_order(500, error("internal error")).check(&ServerError);
    assert_eq!(
        pairs(&v),
        [("server-error".into(), format!("POST {ORDERS}"))]
    );
    assert_eq!(v[0].roles, [Role::User]);
    assert!(v[0].message.contains("alice") && v[0].message.contains("500"));
    assert!(v[0].rule.contains("5xx"), "{}", v[0].rule);

    let twice = place_order(500, error("order 17 of 'alice' failed"))
        .step(
            "bob:user",
            &format!("POST {ORDERS}"),
            &[("userId", json!(2))],
            Some(json!({"addressId": 2})),
            500,
            error("order 18 of 'bob' failed"),
        )
        .check(&ServerError);
    assert_eq!(
        twice.len(),
        1,
        "same oracle, operation, roles and cause (other ids): one finding"
    );
    assert_eq!(
        twice[0].cause.as_deref(),
        Some("500 application/json: order <n> of <v> failed")
    );
    assert_eq!(twice[0].signature().cause_hash().map(str::len), Some(8));

    let two_causes = place_order(500, error("internal error: cannot price an empty order"))
        .step(
            "bob:user",
            &format!("POST {ORDERS}"),
            &[("userId", json!(2))],
            Some(json!({"addressId": 2})),
            500,
            error("database is locked"),
        )
        .check(&ServerError);
    assert_eq!(two_causes.len(), 2, "two causes: two findings");
    assert_ne!(two_causes[0].signature(), two_causes[1].signature());
    let statuses = place_order(502, Value::Null)
        .step(
            "bob:user",
            &format!("POST {ORDERS}"),
            &[("userId", json!(2))],
            Some(json!({"addressId": 2})),
            503,
            Value::Null,
        )
        .check(&ServerError);
    assert_eq!(statuses.len(), 2, "502 and 503 are two causes");

    let notes_comment = TraceBuilder::new(notes())
        .step(
            "alice:user",
            &format!("POST {COMMENTS}"),
            &[("teamId", json!(TEAM)), ("documentId", json!(DOC_ID))],
            Some(json!({"body": "x".repeat(2001)})),
            500,
            error("store refused the comment"),
        )
        .check(&ServerError);
    assert_eq!(
        pairs(&notes_comment),
        [("server-error".into(), format!("POST {COMMENTS}"))]
    );
}

#[test]
fn server_error_is_silent_below_500_and_names_anonymous_callers() {
    for status in [200, 201, 400, 404, 409, 499] {
        assert!(
            place_order(status, error("x"))
                .check(&ServerError)
                .is_empty(),
            "{status} is no server error"
        );
    }
    let v = place_order(500, Value::Null)
        .auth(AuthMode::None)
        .check(&ServerError);
    assert_eq!(v[0].roles, [Role::Anonymous], "no credentials: anonymous");
    assert!(
        place_order(500, Value::Null)
            .no_answer(TransportKind::Connect)
            .check(&ServerError)
            .is_empty(),
        "no answer at all is no status"
    );
}

// ---------------------------------------------------------------------------------------------
// status-conformance

#[test]
fn status_conformance_fires_on_the_planted_409s() {
    let v = add_to_cart(
        Some(json!({"productId": 3, "quantity": 5})),
        409,
        error("not enough stock"),
    )
    .check(&StatusConformance);
    assert_eq!(
        pairs(&v),
        [("status-conformance".into(), format!("POST {CART_ITEMS}"))]
    );
    assert_eq!(v[0].roles, [Role::User]);
    assert!(
        v[0].message.contains("409") && v[0].message.contains("200, 400, 401, 403, 404"),
        "{}",
        v[0].message
    );

    let member_again = TraceBuilder::new(notes())
        .step(
            "alice:user",
            &format!("POST {MEMBERS}"),
            &[("teamId", json!(TEAM))],
            Some(json!({"userId": BOB})),
            409,
            error("already a member"),
        )
        .check(&StatusConformance);
    assert_eq!(
        pairs(&member_again),
        [("status-conformance".into(), format!("POST {MEMBERS}"))]
    );
}

#[test]
fn status_conformance_accepts_declared_statuses_and_leaves_5xx_to_server_error() {
    for (status, body) in [
        (200, cart()),
        (400, error("bad")),
        (401, error("who")),
        (404, error("none")),
    ] {
        let t = add_to_cart(Some(json!({"productId": 1, "quantity": 1})), status, body);
        assert!(
            t.check(&StatusConformance).is_empty(),
            "{status} is declared"
        );
    }
    // The planted empty-cart 500 is undeclared, but it is one finding: server-error's.
    let crash = place_order(500, error("pricing failed"));
    assert!(crash.check(&StatusConformance).is_empty());
    assert_eq!(crash.check(&ServerError).len(), 1);
    let member_exists = TraceBuilder::new(notes()).step(
        "alice:user",
        &format!("POST {MEMBERS}"),
        &[("teamId", json!(TEAM))],
        Some(json!({"userId": BOB})),
        200,
        member(),
    );
    assert!(member_exists.check(&StatusConformance).is_empty());
}

#[test]
fn status_conformance_honours_ranges_and_default() {
    let spec = r#"
openapi: 3.0.3
info: {title: ranges, version: "1"}
paths:
  /ranged:
    get:
      responses:
        "2XX": {description: ok}
        "404": {description: missing}
  /defaulted:
    get:
      responses:
        "200": {description: ok}
        default: {description: anything else}
  /undocumented:
    get:
      responses: {}
"#;
    let model = trespass_generators::load_str(spec, "ranges.yaml").expect("the spec loads");
    let one = |op: &str, status: u16| {
        TraceBuilder::new(model.clone())
            .step("alice:user", op, &[], None, status, Value::Null)
            .check(&StatusConformance)
    };
    assert!(one("GET /ranged", 201).is_empty(), "2XX covers 201");
    assert!(one("GET /ranged", 404).is_empty());
    assert_eq!(
        one("GET /ranged", 409).len(),
        1,
        "409 is outside 2XX and 404"
    );
    assert_eq!(one("GET /ranged", 302).len(), 1);
    assert!(one("GET /defaulted", 418).is_empty(), "default covers all");
    assert!(
        one("GET /undocumented", 409).is_empty(),
        "no declared response: nothing to judge against"
    );
}

// ---------------------------------------------------------------------------------------------
// schema-conformance

#[test]
fn schema_conformance_fires_on_the_planted_epoch_timestamps() {
    let oracle = SchemaConformance::new();
    let v = get_document(document(json!(1_735_689_900))).check(&oracle);
    assert_eq!(
        pairs(&v),
        [("schema-conformance".into(), format!("GET {DOC}"))]
    );
    assert_eq!(v[0].roles, [Role::User]);
    let m = &v[0].message;
    assert!(m.contains("/archivedAt"), "names the JSON pointer: {m}");
    assert!(m.contains("keyword `type`"), "names the keyword: {m}");
    assert!(m.contains("1735689900"), "shows a short scalar: {m}");

    let v = get_order(200, order("cancelled", Some(json!(1_735_690_000)))).check(&oracle);
    assert_eq!(
        pairs(&v),
        [("schema-conformance".into(), format!("GET {ORDER}"))]
    );
    assert!(v[0].message.contains("/cancelledAt"), "{}", v[0].message);
}

#[test]
fn schema_conformance_is_silent_on_conformant_answers() {
    let oracle = SchemaConformance::new();
    for archived_at in [Value::Null, json!("2025-01-01T00:05:00Z")] {
        let v = get_document(document(archived_at.clone())).check(&oracle);
        assert!(v.is_empty(), "archivedAt {archived_at}: {v:?}");
    }
    let cancelled = order("cancelled", Some(json!("2025-01-01T00:20:00Z")));
    for (status, body) in [
        (200, order("placed", None)),
        (200, cancelled),
        (404, error("no such order")),
        (403, error("not yours")),
    ] {
        let v = get_order(status, body).check(&oracle);
        assert!(v.is_empty(), "{status}: {v:?}");
    }
    // Content type parameters and case do not matter.
    let v = get_order(200, order("placed", None))
        .content_type(Some("Application/JSON; charset=utf-8"))
        .check(&oracle);
    assert!(v.is_empty(), "{v:?}");
    // A 204 without a body.
    let deleted = TraceBuilder::new(shop())
        .step(
            "alice:user",
            "DELETE /users/{userId}/addresses/{addressId}",
            &[("userId", json!(1)), ("addressId", json!(1))],
            None,
            204,
            Value::Null,
        )
        .content_type(None);
    assert!(deleted.check(&oracle).is_empty());
}

#[test]
fn schema_conformance_names_the_keyword_of_each_kind_of_mismatch() {
    let oracle = SchemaConformance::new();
    let first = |body: Value| {
        let v = get_order(200, body).check(&oracle);
        assert_eq!(v.len(), 1, "{v:?}");
        v[0].message.clone()
    };
    let mut missing = order("placed", None);
    missing.as_object_mut().unwrap().remove("totalCents");
    let m = first(missing);
    assert!(
        m.contains("keyword `required`") && m.contains("totalCents"),
        "{m}"
    );

    let mut extra = order("placed", None);
    extra["internalNote"] = json!("vip");
    let m = first(extra);
    assert!(m.contains("keyword `additionalProperties`"), "{m}");

    let m = first(order("lost", None));
    assert!(m.contains("at /status") && m.contains("`enum`"), "{m}");

    let mut nested = order("placed", None);
    nested["items"][0]["quantity"] = json!(0);
    let m = first(nested);
    assert!(
        m.contains("at /items/0/quantity") && m.contains("`minimum`"),
        "{m}"
    );

    let m = first(order("cancelled", Some(json!("yesterday"))));
    assert!(m.contains("`format`") && m.contains("/cancelledAt"), "{m}");

    let mut two = order("placed", Some(json!(5)));
    two["totalCents"] = json!(-1);
    let m = first(two);
    assert!(m.contains("1 more error"), "counts the rest: {m}");

    // Formats are annotations when turned off.
    let lax = SchemaConformance::new().validate_formats(false);
    assert!(
        get_order(200, order("cancelled", Some(json!("yesterday"))))
            .check(&lax)
            .is_empty()
    );
}

#[test]
fn schema_conformance_judges_content_types_and_empty_bodies() {
    let oracle = SchemaConformance::new();
    let html = get_order(200, Value::Null)
        .response_body(ResponseBody::Text("<html>oops</html>".into()))
        .content_type(Some("text/html"))
        .check(&oracle);
    assert_eq!(html.len(), 1);
    assert!(
        html[0].message.contains("content type `text/html`")
            && html[0].message.contains("`application/json`"),
        "{}",
        html[0].message
    );

    let not_json = get_order(200, Value::Null)
        .response_body(ResponseBody::Text("{\"id\": 4,".into()))
        .check(&oracle);
    assert_eq!(not_json.len(), 1);
    assert!(
        not_json[0].message.contains("not valid JSON"),
        "{}",
        not_json[0].message
    );

    let empty = get_order(200, Value::Null).check(&oracle);
    assert_eq!(empty.len(), 1);
    assert!(
        empty[0].message.contains("an empty body"),
        "{}",
        empty[0].message
    );

    let body_on_204 = TraceBuilder::new(shop())
        .step(
            "alice:user",
            "DELETE /users/{userId}/addresses/{addressId}",
            &[("userId", json!(1)), ("addressId", json!(1))],
            None,
            204,
            json!({"deleted": true}),
        )
        .check(&oracle);
    assert_eq!(body_on_204.len(), 1);
    assert!(
        body_on_204[0].message.contains("declares no body"),
        "{}",
        body_on_204[0].message
    );

    // No Content-Type: a JSON body is still judged as JSON, anything else is not judged.
    let untyped = get_order(200, order("lost", None))
        .content_type(None)
        .check(&oracle);
    assert_eq!(untyped.len(), 1, "{untyped:?}");
    let untyped_text = get_order(200, Value::Null)
        .response_body(ResponseBody::Text("fine".into()))
        .content_type(None)
        .check(&oracle);
    assert!(untyped_text.is_empty(), "{untyped_text:?}");
}

#[test]
fn schema_conformance_leaves_undeclared_statuses_and_cut_bodies_alone() {
    let oracle = SchemaConformance::new();
    let conflict = add_to_cart(
        Some(json!({"productId": 3, "quantity": 5})),
        409,
        json!({"message": "not an Error"}),
    );
    assert!(
        conflict.check(&oracle).is_empty(),
        "undeclared: status-conformance's"
    );
    assert!(
        place_order(500, json!("boom")).check(&oracle).is_empty(),
        "undeclared 500: server-error's"
    );
    let cut = get_order(200, order("lost", None)).truncated();
    assert!(cut.check(&oracle).is_empty(), "a cut body cannot be judged");
}

#[test]
fn schema_conformance_keeps_validators_apart_across_models() {
    // One oracle instance, two specs whose schema ids overlap: each is judged by its own.
    let oracle = SchemaConformance::new();
    assert_eq!(
        get_document(document(json!(5))).check(&oracle).len(),
        1,
        "notes first"
    );
    assert!(
        get_order(200, order("placed", None))
            .check(&oracle)
            .is_empty()
    );
    assert_eq!(get_order(200, order("lost", None)).check(&oracle).len(), 1);
    assert!(
        get_document(document(Value::Null))
            .check(&oracle)
            .is_empty()
    );
}

#[test]
fn schema_conformance_does_not_require_read_only_fields_in_requests_but_does_in_answers() {
    // The Address schema requires the read-only `id`; an answer without it does not conform.
    let mut address = json!({"id": 7, "userId": 1, "recipient": "A", "line1": "1 Road",
        "city": "X", "postalCode": "123", "country": "NL", "createdAt": "2026-01-01T00:00:00Z"});
    address.as_object_mut().unwrap().remove("id");
    let v = TraceBuilder::new(shop())
        .step(
            "alice:user",
            "POST /users/{userId}/addresses",
            &[("userId", json!(1))],
            Some(json!({"recipient": "A"})),
            201,
            address,
        )
        .check(&SchemaConformance::new());
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("\"id\""), "{}", v[0].message);
}

// ---------------------------------------------------------------------------------------------
// slow-response

#[test]
fn slow_response_fires_above_the_threshold_only() {
    let slow = get_order(200, order("placed", None)).elapsed(Duration::from_millis(6_000));
    let v = slow.check(&SlowResponse);
    assert_eq!(
        pairs(&v),
        [("slow-response".into(), format!("GET {ORDER}"))]
    );
    assert!(
        v[0].message.contains("6000 ms") && v[0].rule.contains("5000 ms"),
        "{} / {}",
        v[0].message,
        v[0].rule
    );
    assert!(
        slow.check_with_threshold(&SlowResponse, Duration::from_secs(10))
            .is_empty(),
        "the threshold comes from the context"
    );
    let quick = get_order(200, order("placed", None)).elapsed(Duration::from_millis(4_999));
    assert!(quick.check(&SlowResponse).is_empty());
    assert_eq!(
        quick
            .check_with_threshold(&SlowResponse, Duration::from_millis(100))
            .len(),
        1
    );
}

#[test]
fn slow_response_counts_timeouts_but_not_refused_connections() {
    let timed_out = get_order(200, Value::Null)
        .no_answer(TransportKind::Timeout)
        .elapsed(Duration::from_secs(10))
        .check(&SlowResponse);
    assert_eq!(timed_out.len(), 1);
    assert!(
        timed_out[0].message.contains("timed out"),
        "{}",
        timed_out[0].message
    );
    let refused = get_order(200, Value::Null)
        .no_answer(TransportKind::Connect)
        .elapsed(Duration::from_secs(10))
        .check(&SlowResponse);
    assert!(refused.is_empty());
}

// ---------------------------------------------------------------------------------------------
// transport-error

#[test]
fn transport_error_fires_on_a_broken_exchange() {
    for (kind, said) in [
        (
            TransportKind::Reset,
            "closed the connection without answering",
        ),
        (TransportKind::Malformed, "not HTTP"),
        (TransportKind::Truncated, "cut short"),
        (TransportKind::Redirect, "redirected in a loop"),
    ] {
        let v = get_order(200, Value::Null)
            .no_answer(kind)
            .check(&TransportError);
        assert_eq!(
            pairs(&v),
            [("transport-error".into(), format!("GET {ORDER}"))],
            "{kind}"
        );
        assert!(v[0].message.contains(said), "{kind}: {}", v[0].message);
        assert_eq!(v[0].roles, [Role::User]);
    }
}

#[test]
fn transport_error_is_silent_on_answers_refusals_and_timeouts() {
    for status in [200, 404, 500] {
        assert!(
            get_order(status, Value::Null)
                .check(&TransportError)
                .is_empty(),
            "{status} is an answer"
        );
    }
    for kind in [
        TransportKind::Connect,
        TransportKind::Timeout,
        TransportKind::Other,
    ] {
        assert!(
            get_order(200, Value::Null)
                .no_answer(kind)
                .check(&TransportError)
                .is_empty(),
            "{kind} is not the target answering wrongly"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// negative-acceptance

#[test]
fn negative_acceptance_fires_on_an_invalid_body_answered_2xx() {
    let oracle = NegativeAcceptance::new();
    let v = add_to_cart(Some(json!({"productId": 1, "quantity": 101})), 200, cart()).check(&oracle);
    assert_eq!(
        pairs(&v),
        [("negative-acceptance".into(), format!("POST {CART_ITEMS}"))]
    );
    let m = &v[0].message;
    assert!(m.contains("/quantity") && m.contains("`maximum`"), "{m}");

    // The planted long comment, had it been accepted.
    let long = TraceBuilder::new(notes())
        .step(
            "alice:user",
            &format!("POST {COMMENTS}"),
            &[("teamId", json!(TEAM)), ("documentId", json!(DOC_ID))],
            Some(json!({"body": "x".repeat(2001)})),
            201,
            json!({}),
        )
        .check(&oracle);
    assert_eq!(long.len(), 1);
    assert!(
        long[0].message.contains("`maxLength`"),
        "{}",
        long[0].message
    );

    let missing = add_to_cart(None, 200, cart()).check(&oracle);
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].message.contains("required body"),
        "{}",
        missing[0].message
    );

    let text = add_to_cart(None, 200, cart())
        .request_body(Some(Body::Text {
            content_type: "text/plain".into(),
            text: "two mugs".into(),
        }))
        .check(&oracle);
    assert_eq!(text.len(), 1);
    assert!(
        text[0].message.contains("`text/plain`"),
        "{}",
        text[0].message
    );
}

#[test]
fn negative_acceptance_is_silent_on_valid_or_refused_requests() {
    let oracle = NegativeAcceptance::new();
    let valid = json!({"productId": 1, "quantity": 2});
    assert!(
        add_to_cart(Some(valid), 200, cart())
            .check(&oracle)
            .is_empty()
    );
    let invalid = json!({"productId": 1, "quantity": 101});
    for status in [400, 404, 409, 500] {
        assert!(
            add_to_cart(Some(invalid.clone()), status, error("no"))
                .check(&oracle)
                .is_empty(),
            "{status}: refused"
        );
    }
    // Read-only properties (id, userId, createdAt) are not required in a request body.
    let address = TraceBuilder::new(shop()).step(
        "alice:user",
        "POST /users/{userId}/addresses",
        &[("userId", json!(1))],
        Some(json!({"recipient": "A", "line1": "1 Road", "city": "X",
                    "postalCode": "123", "country": "NL"})),
        201,
        json!({}),
    );
    assert!(address.check(&oracle).is_empty());
}

#[test]
fn negative_acceptance_judges_path_and_query_parameters_as_sent() {
    let oracle = NegativeAcceptance::new();
    let read = |user: Value, status: Option<&str>| {
        let t = TraceBuilder::new(shop()).step(
            "alice:user",
            &format!("GET {ORDERS}"),
            &[("userId", user)],
            None,
            200,
            json!([]),
        );
        match status {
            Some(s) => t.query("status", s),
            None => t,
        }
        .check(&oracle)
    };
    assert!(read(json!(1), None).is_empty());
    assert!(
        read(json!("1"), None).is_empty(),
        "a path value taken from a Location header is text"
    );
    assert!(read(json!(1), Some("cancelled")).is_empty());

    let v = read(json!("abc"), None);
    assert_eq!(v.len(), 1);
    assert!(
        v[0].message.contains("path parameter `userId`"),
        "{}",
        v[0].message
    );
    let v = read(json!(0), None);
    assert_eq!(v.len(), 1, "below the minimum of 1");
    let v = read(json!(1), Some("lost"));
    assert_eq!(v.len(), 1);
    assert!(
        v[0].message.contains("query parameter `status`"),
        "{}",
        v[0].message
    );
}

#[test]
fn negative_acceptance_is_off_by_default() {
    assert!(OFF_BY_DEFAULT.contains(&"negative-acceptance"));
    assert!(defaults().iter().all(|o| o.name() != "negative-acceptance"));
}

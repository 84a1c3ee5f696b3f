//! Resource, link and admin inference on the demo specs of `corpus/specs`, against what a
//! person reading the specs draws by hand.
//!
//! The link sets are compared for equality: a missing link fails, and so does any link not
//! on the lists (a false link). Every link below is one a tester would use: the value it
//! carries is a real id of the kind the consumer expects.

use std::collections::BTreeSet;

use crate::common;
use trespass_generators::model::{
    AdminReason, ApiModel, Evidence, KeySource, LinkSource, LinkTarget, OperationId, OwnerField,
    OwnerRef, Resource, StatusKey,
};
use trespass_generators::spec::load_file;

fn load(name: &str) -> ApiModel {
    load_file(common::demo_spec(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// (producer, consumer, target) with the target as `path userId` or `body /addressId`.
type Key = (String, String, String);

fn target_text(t: &LinkTarget) -> String {
    match t {
        LinkTarget::Parameter { location, name } => format!("{location} {name}"),
        LinkTarget::Body { pointer } => format!("body {pointer}"),
        other => panic!("unexpected target {other:?}"),
    }
}

fn found(model: &ApiModel) -> BTreeSet<Key> {
    let keys: Vec<Key> = model
        .links
        .iter()
        .map(|l| {
            (
                l.producer.to_string(),
                l.consumer.to_string(),
                target_text(&l.target),
            )
        })
        .collect();
    let set: BTreeSet<Key> = keys.iter().cloned().collect();
    assert_eq!(set.len(), keys.len(), "links are unique per target");
    set
}

/// Every producer feeds `target` of every consumer.
fn all(producers: &[&str], consumers: &[&str], target: &str) -> Vec<Key> {
    producers
        .iter()
        .flat_map(|p| {
            consumers
                .iter()
                .map(move |c| (p.to_string(), c.to_string(), target.to_string()))
        })
        .collect()
}

fn assert_same_links(model: &ApiModel, expected: Vec<Key>) {
    let expected: BTreeSet<Key> = expected.into_iter().collect();
    let found = found(model);
    let missing: Vec<&Key> = expected.difference(&found).collect();
    let extra: Vec<&Key> = found.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing links: {missing:#?}\nlinks no one would draw: {extra:#?}"
    );
}

fn link<'a>(
    model: &'a ApiModel,
    producer: &str,
    consumer: &str,
    target: &str,
) -> &'a trespass_generators::model::Link {
    model
        .links
        .iter()
        .find(|l| {
            l.producer.as_str() == producer
                && l.consumer.as_str() == consumer
                && target_text(&l.target) == target
        })
        .unwrap_or_else(|| panic!("no link {producer} -> {consumer} {target}"))
}

fn resource<'a>(model: &'a ApiModel, kind: &str) -> &'a Resource {
    model
        .resource(kind)
        .unwrap_or_else(|| panic!("no resource kind {kind}"))
}

fn ids(ops: &[trespass_generators::model::OperationId]) -> Vec<&str> {
    ops.iter().map(|o| o.as_str()).collect()
}

fn schema_name(model: &ApiModel, r: &Resource) -> Option<String> {
    r.schema.and_then(|s| model.schemas.get(s).name.clone())
}

const SHOP_USER_CONSUMERS: &[&str] = &[
    "GET /users/{userId}",
    "PATCH /users/{userId}",
    "DELETE /users/{userId}",
    "GET /users/{userId}/addresses",
    "POST /users/{userId}/addresses",
    "GET /users/{userId}/addresses/{addressId}",
    "PUT /users/{userId}/addresses/{addressId}",
    "DELETE /users/{userId}/addresses/{addressId}",
    "GET /users/{userId}/cart",
    "POST /users/{userId}/cart/items",
    "DELETE /users/{userId}/cart/items/{itemId}",
    "GET /users/{userId}/orders",
    "POST /users/{userId}/orders",
    "GET /users/{userId}/orders/{orderId}",
    "POST /users/{userId}/orders/{orderId}/cancel",
];

#[test]
fn shop_links_are_the_ones_a_person_draws() {
    let m = load("shop.yaml");
    let mut expected = Vec::new();
    // The signed-in user's id: from the login answer, from `GET /me`, and (for admins) from
    // the user list, into every `{userId}`.
    expected.extend(all(
        &["POST /auth/login", "GET /me", "GET /admin/users"],
        SHOP_USER_CONSUMERS,
        "path userId",
    ));
    // Addresses: created or listed, then read, replaced, deleted, and shipped to.
    let address_producers = [
        "POST /users/{userId}/addresses",
        "GET /users/{userId}/addresses",
    ];
    expected.extend(all(
        &address_producers,
        &[
            "GET /users/{userId}/addresses/{addressId}",
            "PUT /users/{userId}/addresses/{addressId}",
            "DELETE /users/{userId}/addresses/{addressId}",
        ],
        "path addressId",
    ));
    expected.extend(all(
        &address_producers,
        &["POST /users/{userId}/orders"],
        "body /addressId",
    ));
    // Cart items: adding one answers with the whole cart, whose `items[].id` is the item id.
    expected.extend(all(
        &[
            "POST /users/{userId}/cart/items",
            "GET /users/{userId}/cart",
        ],
        &["DELETE /users/{userId}/cart/items/{itemId}"],
        "path itemId",
    ));
    // Orders: placed or listed, then read, cancelled, and (by an admin) refunded.
    let order_producers = ["POST /users/{userId}/orders", "GET /users/{userId}/orders"];
    expected.extend(all(
        &order_producers,
        &[
            "GET /users/{userId}/orders/{orderId}",
            "POST /users/{userId}/orders/{orderId}/cancel",
        ],
        "path orderId",
    ));
    expected.extend(all(
        &order_producers,
        &["POST /admin/refunds"],
        "body /orderId",
    ));
    // Products: created or listed, then read, changed, deleted, and put in a cart.
    let product_producers = ["POST /products", "GET /products"];
    expected.extend(all(
        &product_producers,
        &[
            "GET /products/{productId}",
            "PUT /products/{productId}",
            "PATCH /products/{productId}",
            "DELETE /products/{productId}",
        ],
        "path productId",
    ));
    expected.extend(all(
        &product_producers,
        &["POST /users/{userId}/cart/items"],
        "body /productId",
    ));
    assert_eq!(expected.len(), 71);
    assert_same_links(&m, expected);

    // The evidence and the source of some of them.
    let l = link(
        &m,
        "POST /users/{userId}/orders",
        "GET /users/{userId}/orders/{orderId}",
        "path orderId",
    );
    assert_eq!(
        l.evidence,
        Evidence::OpenApiLink {
            name: "GetOrder".into()
        }
    );
    assert_eq!(
        l.source,
        LinkSource::ResponseBody {
            status: StatusKey::Code(201),
            pointer: "/id".into()
        }
    );
    let l = link(
        &m,
        "GET /users/{userId}/orders",
        "POST /users/{userId}/orders/{orderId}/cancel",
        "path orderId",
    );
    assert!(
        matches!(&l.evidence, Evidence::PathNesting { field, parameter } if field == "id" && parameter == "orderId")
    );
    assert_eq!(
        l.source,
        LinkSource::ResponseBody {
            status: StatusKey::Code(200),
            pointer: "/0/id".into()
        }
    );
    let l = link(
        &m,
        "POST /users/{userId}/cart/items",
        "DELETE /users/{userId}/cart/items/{itemId}",
        "path itemId",
    );
    assert_eq!(
        l.source,
        LinkSource::ResponseBody {
            status: StatusKey::Code(200),
            pointer: "/items/0/id".into()
        }
    );
    let l = link(
        &m,
        "POST /auth/login",
        "GET /users/{userId}/orders",
        "path userId",
    );
    assert!(matches!(&l.evidence, Evidence::NameMatch { field, .. } if field == "userId"));
    let l = link(&m, "POST /auth/login", "GET /users/{userId}", "path userId");
    assert_eq!(
        l.evidence,
        Evidence::OpenApiLink {
            name: "GetSignedInUser".into()
        }
    );
    // `userId` of an address is read-only: never a link target, whoever produces user ids.
    assert!(
        !m.links
            .iter()
            .any(|l| matches!(&l.target, LinkTarget::Body { pointer } if pointer == "/userId"))
    );
}

#[test]
fn shop_resources_and_admin_operations() {
    let m = load("shop.yaml");
    let kinds: Vec<&str> = m.resources.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["address", "item", "order", "product", "user"]);

    let r = resource(&m, "address");
    assert_eq!(r.id_field.as_deref(), Some("id"));
    assert_eq!(r.id_params, ["addressId"]);
    assert_eq!(r.parent.as_deref(), Some("user"));
    assert_eq!(schema_name(&m, r).as_deref(), Some("Address"));
    assert_eq!(ids(&r.create), ["POST /users/{userId}/addresses"]);
    assert_eq!(ids(&r.read), ["GET /users/{userId}/addresses/{addressId}"]);
    assert_eq!(
        ids(&r.update),
        ["PUT /users/{userId}/addresses/{addressId}"]
    );
    assert_eq!(
        ids(&r.delete),
        ["DELETE /users/{userId}/addresses/{addressId}"]
    );
    assert_eq!(ids(&r.list), ["GET /users/{userId}/addresses"]);

    // A cart item: created by adding to the cart (which answers with the cart), deleted by
    // id; its object is the cart's element schema.
    let r = resource(&m, "item");
    assert_eq!(r.id_field.as_deref(), Some("id"));
    assert_eq!(r.parent.as_deref(), Some("user"));
    assert_eq!(schema_name(&m, r).as_deref(), Some("CartItem"));
    assert_eq!(ids(&r.create), ["POST /users/{userId}/cart/items"]);
    assert_eq!(
        ids(&r.delete),
        ["DELETE /users/{userId}/cart/items/{itemId}"]
    );
    assert!(r.read.is_empty() && r.list.is_empty() && r.update.is_empty());

    let r = resource(&m, "order");
    assert_eq!(r.id_field.as_deref(), Some("id"));
    assert_eq!(r.parent.as_deref(), Some("user"));
    assert_eq!(schema_name(&m, r).as_deref(), Some("Order"));
    assert_eq!(ids(&r.create), ["POST /users/{userId}/orders"]);
    assert_eq!(ids(&r.read), ["GET /users/{userId}/orders/{orderId}"]);
    assert_eq!(
        ids(&r.update),
        ["POST /users/{userId}/orders/{orderId}/cancel"]
    );
    assert!(r.delete.is_empty());
    assert_eq!(ids(&r.list), ["GET /users/{userId}/orders"]);

    let r = resource(&m, "product");
    assert_eq!(r.id_field.as_deref(), Some("id"));
    assert_eq!(r.parent, None);
    assert_eq!(ids(&r.create), ["POST /products"]);
    assert_eq!(
        ids(&r.update),
        ["PUT /products/{productId}", "PATCH /products/{productId}"]
    );
    assert_eq!(ids(&r.list), ["GET /products"]);

    // Users are not created through the API (accounts exist up front); `GET /me` reads the
    // caller's own, which makes `user` a singleton kind.
    let r = resource(&m, "user");
    assert_eq!(r.id_field.as_deref(), Some("id"));
    assert_eq!(r.id_params, ["userId"]);
    assert!(r.create.is_empty());
    assert_eq!(ids(&r.read), ["GET /users/{userId}", "GET /me"]);
    assert_eq!(ids(&r.delete), ["DELETE /users/{userId}"]);
    assert!(r.singleton);
    assert!(r.key_sources.is_empty(), "{:?}", r.key_sources);
    assert_eq!(r.owner, None);

    // Keys come from the create's answer and from the lists; owners are named by id.
    let r = resource(&m, "order");
    assert_eq!(
        r.key_sources,
        [
            KeySource::ResponseBody {
                pointer: "/id".into()
            },
            KeySource::List {
                operation: OperationId::new("GET", "/users/{userId}/orders"),
                pointer: "/id".into()
            }
        ]
    );
    assert_eq!(
        r.owner,
        Some(OwnerField {
            pointer: "/userId".into(),
            holds: OwnerRef::Id
        })
    );
    assert!(!r.singleton);
    assert_eq!(resource(&m, "product").owner, None);

    let admin: Vec<(&str, &[AdminReason])> = m
        .admin_operations
        .iter()
        .map(|a| (a.operation.as_str(), a.reasons.as_slice()))
        .collect();
    let tag = || AdminReason::Tag("admin".into());
    let path = |p: &str| AdminReason::Path(p.into());
    assert_eq!(
        admin,
        [
            ("GET /admin/refunds", &[tag(), path("/admin/refunds")][..]),
            ("POST /admin/refunds", &[tag(), path("/admin/refunds")][..]),
            ("GET /admin/users", &[tag(), path("/admin/users")][..]),
            ("POST /products", &[tag()][..]),
            ("PUT /products/{productId}", &[tag()][..]),
            ("DELETE /products/{productId}", &[tag()][..]),
            ("PATCH /products/{productId}", &[tag()][..]),
            ("DELETE /users/{userId}", &[tag()][..]),
        ]
    );
    assert!(m.warnings.is_empty(), "{:#?}", m.warnings);
}

const NOTES_TEAM_CONSUMERS: &[&str] = &[
    "PUT /admin/teams/{teamId}/plan",
    "GET /teams/{teamId}",
    "PATCH /teams/{teamId}",
    "GET /teams/{teamId}/members",
    "POST /teams/{teamId}/members",
    "GET /teams/{teamId}/documents",
    "POST /teams/{teamId}/documents",
    "GET /teams/{teamId}/documents/{documentId}",
    "PATCH /teams/{teamId}/documents/{documentId}",
    "DELETE /teams/{teamId}/documents/{documentId}",
    "GET /teams/{teamId}/documents/{documentId}/comments",
    "POST /teams/{teamId}/documents/{documentId}/comments",
    "GET /teams/{teamId}/documents/{documentId}/comments/{commentId}",
    "DELETE /teams/{teamId}/documents/{documentId}/comments/{commentId}",
    "POST /teams/{teamId}/documents/{documentId}/shares",
];

const NOTES_DOCUMENT_CONSUMERS: &[&str] = &[
    "GET /teams/{teamId}/documents/{documentId}",
    "PATCH /teams/{teamId}/documents/{documentId}",
    "DELETE /teams/{teamId}/documents/{documentId}",
    "GET /teams/{teamId}/documents/{documentId}/comments",
    "POST /teams/{teamId}/documents/{documentId}/comments",
    "GET /teams/{teamId}/documents/{documentId}/comments/{commentId}",
    "DELETE /teams/{teamId}/documents/{documentId}/comments/{commentId}",
    "POST /teams/{teamId}/documents/{documentId}/shares",
];

#[test]
fn notes_links_are_the_ones_a_person_draws() {
    let m = load("notes.yaml");
    let mut expected = Vec::new();
    // Team ids: created, listed, and the `teamId` of every document in `GET /documents`
    // (the parent of each listed document, needed with its id).
    expected.extend(all(
        &["POST /teams", "GET /teams", "GET /documents"],
        NOTES_TEAM_CONSUMERS,
        "path teamId",
    ));
    // The spec's own link `GetDocument` passes the new document's `teamId` along.
    expected.push((
        "POST /teams/{teamId}/documents".into(),
        "GET /teams/{teamId}/documents/{documentId}".into(),
        "path teamId".into(),
    ));
    expected.extend(all(
        &[
            "POST /teams/{teamId}/documents",
            "GET /teams/{teamId}/documents",
            "GET /documents",
        ],
        NOTES_DOCUMENT_CONSUMERS,
        "path documentId",
    ));
    expected.extend(all(
        &[
            "POST /teams/{teamId}/documents/{documentId}/comments",
            "GET /teams/{teamId}/documents/{documentId}/comments",
        ],
        &[
            "GET /teams/{teamId}/documents/{documentId}/comments/{commentId}",
            "DELETE /teams/{teamId}/documents/{documentId}/comments/{commentId}",
        ],
        "path commentId",
    ));
    // Share links live at a top-level path; only their creation yields the id.
    expected.extend(all(
        &["POST /teams/{teamId}/documents/{documentId}/shares"],
        &["GET /shares/{shareId}", "DELETE /shares/{shareId}"],
        "path shareId",
    ));
    // User ids (there is no user resource, only the `User` schema): the caller's own, every
    // account for admins, and team members; into the suspension and into adding a member.
    expected.extend(all(
        &[
            "GET /me",
            "GET /admin/users",
            "GET /teams/{teamId}/members",
            "POST /teams/{teamId}/members",
        ],
        &["POST /admin/users/{userId}/suspend"],
        "path userId",
    ));
    expected.extend(all(
        &["GET /me", "GET /admin/users"],
        &["POST /teams/{teamId}/members"],
        "body /userId",
    ));
    assert_eq!(expected.len(), 82);
    assert_same_links(&m, expected);

    let l = link(
        &m,
        "POST /teams/{teamId}/documents/{documentId}/shares",
        "DELETE /shares/{shareId}",
        "path shareId",
    );
    assert_eq!(
        l.evidence,
        Evidence::OpenApiLink {
            name: "RevokeShare".into()
        }
    );
    let l = link(
        &m,
        "GET /documents",
        "GET /teams/{teamId}/documents/{documentId}",
        "path teamId",
    );
    assert_eq!(
        l.source,
        LinkSource::ResponseBody {
            status: StatusKey::Code(200),
            pointer: "/0/teamId".into()
        }
    );
    let l = link(
        &m,
        "GET /me",
        "POST /teams/{teamId}/members",
        "body /userId",
    );
    assert!(
        matches!(&l.evidence, Evidence::NameMatch { field, parameter } if field == "id" && parameter == "userId")
    );
    let l = link(
        &m,
        "GET /teams",
        "GET /teams/{teamId}/documents/{documentId}/comments",
        "path teamId",
    );
    assert!(matches!(l.evidence, Evidence::PathNesting { .. }));
}

#[test]
fn notes_resources_and_admin_operations() {
    let m = load("notes.yaml");
    let kinds: Vec<&str> = m.resources.iter().map(|r| r.kind.as_str()).collect();
    // `user`: `GET /me` reads the caller's own account (a singleton kind), the admin's
    // suspension changes one.
    assert_eq!(kinds, ["comment", "document", "share", "team", "user"]);
    let r = resource(&m, "user");
    assert!(r.singleton);
    assert_eq!(ids(&r.read), ["GET /me"]);
    assert_eq!(ids(&r.update), ["POST /admin/users/{userId}/suspend"]);
    assert_eq!(ids(&r.list), ["GET /admin/users"]);

    let r = resource(&m, "team");
    assert_eq!(r.id_field.as_deref(), Some("id"));
    assert_eq!(r.parent, None);
    assert_eq!(ids(&r.create), ["POST /teams"]);
    assert_eq!(ids(&r.read), ["GET /teams/{teamId}"]);
    // Adding a member is an action on the team (members have no path of their own), and so
    // is the admin's `PUT` of its plan.
    assert_eq!(
        ids(&r.update),
        [
            "PUT /admin/teams/{teamId}/plan",
            "PATCH /teams/{teamId}",
            "POST /teams/{teamId}/members"
        ]
    );
    assert_eq!(
        r.owner,
        Some(OwnerField {
            pointer: "/ownerId".into(),
            holds: OwnerRef::Id
        })
    );
    assert_eq!(ids(&r.list), ["GET /teams"]);

    let r = resource(&m, "document");
    assert_eq!(r.parent.as_deref(), Some("team"));
    assert_eq!(r.id_params, ["documentId"]);
    assert_eq!(schema_name(&m, r).as_deref(), Some("Document"));
    // `GET /documents` searches the documents of every team the caller can see: a list of the
    // kind even though no `/documents/{id}` path sits under it.
    assert_eq!(
        ids(&r.list),
        ["GET /documents", "GET /teams/{teamId}/documents"]
    );

    let r = resource(&m, "comment");
    assert_eq!(r.parent.as_deref(), Some("document"));
    assert_eq!(r.id_field.as_deref(), Some("id"));
    assert!(r.update.is_empty());

    // Shares are created under a document but read and revoked at `/shares/{shareId}`; the
    // public read answers with `shareId`, which is therefore the id field.
    let r = resource(&m, "share");
    assert_eq!(r.parent.as_deref(), Some("document"));
    assert_eq!(r.id_field.as_deref(), Some("shareId"));
    assert_eq!(
        ids(&r.create),
        ["POST /teams/{teamId}/documents/{documentId}/shares"]
    );
    assert_eq!(ids(&r.read), ["GET /shares/{shareId}"]);
    assert_eq!(ids(&r.delete), ["DELETE /shares/{shareId}"]);

    let admin: Vec<&str> = m
        .admin_operations
        .iter()
        .map(|a| a.operation.as_str())
        .collect();
    assert_eq!(
        admin,
        [
            "GET /admin/audit-log",
            "PUT /admin/teams/{teamId}/plan",
            "GET /admin/users",
            "POST /admin/users/{userId}/suspend"
        ]
    );
    for a in &m.admin_operations {
        assert!(a.reasons.contains(&AdminReason::Tag("admin".into())));
        assert!(
            a.reasons
                .iter()
                .any(|r| matches!(r, AdminReason::Path(p) if p.starts_with("/admin/")))
        );
    }
    // The public share read keeps its empty security override.
    let share = m
        .operation(&trespass_generators::model::OperationId::new(
            "GET",
            "/shares/{shareId}",
        ))
        .expect("share read");
    assert_eq!(share.security.as_deref(), Some(&[][..]));
    assert!(share.allows_anonymous());
    assert!(m.warnings.is_empty(), "{:#?}", m.warnings);
}

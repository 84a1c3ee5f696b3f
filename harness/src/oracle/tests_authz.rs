//! The authorization oracles over hand-built traces of the demo APIs, each both ways: it fires
//! on the bug and stays silent on the correct behaviour.

use serde_json::json;
use trespass_generators::sequence::AuthMode;

use super::testkit::{TraceBuilder, notes, pairs, shop};
use super::*;

const ADDR: &str = "/users/{userId}/addresses/{addressId}";

fn address(id: u64, user: u64) -> serde_json::Value {
    json!({"id": id, "userId": user, "recipient": "A", "line1": "1 Road", "city": "X",
           "postalCode": "123", "country": "NL", "createdAt": "2026-01-01T00:00:00Z"})
}

/// alice creates an address; `then` continues the trace.
fn alice_creates_address() -> TraceBuilder {
    TraceBuilder::new(shop()).step(
        "alice:user",
        "POST /users/{userId}/addresses",
        &[("userId", json!(1))],
        Some(json!({"recipient": "A"})),
        201,
        address(7, 1),
    )
}

#[test]
fn bola_fires_when_another_user_reads_and_not_when_refused_or_owner() {
    let read = |who: &str, status: u16| {
        alice_creates_address().step(
            who,
            &format!("GET {ADDR}"),
            &[("userId", json!(1)), ("addressId", json!(7))],
            None,
            status,
            if status == 200 {
                address(7, 1)
            } else {
                json!({"error": "no"})
            },
        )
    };
    let v = read("bob:user", 200).check(&Bola);
    assert_eq!(pairs(&v), [("bola".into(), format!("GET {ADDR}"))]);
    assert_eq!(v[0].roles, [Role::User, Role::User]);
    assert!(
        v[0].message.contains("bob") && v[0].message.contains("alice"),
        "{}",
        v[0].message
    );
    assert!(
        read("bob:user", 404).check(&Bola).is_empty(),
        "refused: fine"
    );
    assert!(
        read("alice:user", 200).check(&Bola).is_empty(),
        "the owner: fine"
    );
    assert!(
        read("carol:admin", 200).check(&Bola).is_empty(),
        "an admin: fine"
    );
}

#[test]
fn bola_effect_check_sees_a_refused_write_that_took_effect() {
    let path = [("userId", json!(1)), ("addressId", json!(7))];
    let write_then_reread = |after: serde_json::Value| {
        alice_creates_address()
            .verify_before(
                "alice:user",
                &format!("GET {ADDR}"),
                &path,
                200,
                address(7, 1),
            )
            .step(
                "bob:user",
                &format!("PUT {ADDR}"),
                &path,
                Some(json!({"recipient": "B"})),
                403,
                json!({"error": "forbidden"}),
            )
            .verify_after("alice:user", &format!("GET {ADDR}"), &path, 200, after)
    };
    let mut changed = address(7, 1);
    changed["recipient"] = json!("B");
    let v = write_then_reread(changed).check(&Bola);
    assert_eq!(pairs(&v), [("bola".into(), format!("PUT {ADDR}"))]);
    assert!(v[0].message.contains("403"), "{}", v[0].message);
    assert!(write_then_reread(address(7, 1)).check(&Bola).is_empty());
}

#[test]
fn bola_is_silent_after_the_owner_shares() {
    // notes: alice adds bob to her team; bob then edits her document: legitimate.
    let alice_id = "00000000-0000-4000-8000-00000000000a";
    let bob_id = "00000000-0000-4000-8000-00000000000b";
    let team = "10000000-0000-4000-8000-000000000001";
    let doc = "20000000-0000-4000-8000-000000000001";
    let document = json!({"id": doc, "teamId": team, "title": "t", "body": "b",
        "status": "active", "authorId": alice_id, "archivedAt": null,
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"});
    let base = || {
        TraceBuilder::new(notes())
            .step(
                "bob:user",
                "GET /me",
                &[],
                None,
                200,
                json!({"id": bob_id, "username": "bob"}),
            )
            .step(
                "alice:user",
                "POST /teams/{teamId}/documents",
                &[("teamId", json!(team))],
                Some(json!({"title": "t", "body": "b"})),
                201,
                document.clone(),
            )
    };
    let bob_edits = |b: TraceBuilder| {
        b.step(
            "bob:user",
            "PATCH /teams/{teamId}/documents/{documentId}",
            &[("teamId", json!(team)), ("documentId", json!(doc))],
            Some(json!({"title": "mine"})),
            200,
            document.clone(),
        )
    };
    let v = bob_edits(base()).check(&Bola);
    assert_eq!(v.len(), 1, "without sharing, bob's edit is bola: {v:?}");
    let shared = base().step(
        "alice:user",
        "POST /teams/{teamId}/members",
        &[("teamId", json!(team))],
        Some(json!({"userId": bob_id})),
        201,
        json!({"userId": bob_id, "teamId": team, "role": "member"}),
    );
    assert!(bob_edits(shared).check(&Bola).is_empty());
}

#[test]
fn bfla_fires_for_users_on_admin_operations_only() {
    let create = |who: &str, status: u16| {
        TraceBuilder::new(shop()).step(
            who,
            "POST /products",
            &[],
            Some(json!({"name": "x"})),
            status,
            json!({"id": 9}),
        )
    };
    assert_eq!(
        pairs(&create("bob:user", 201).check(&Bfla)),
        [("bfla".into(), "POST /products".into())]
    );
    assert!(create("bob:user", 403).check(&Bfla).is_empty());
    assert!(create("carol:admin", 201).check(&Bfla).is_empty());
    assert!(
        TraceBuilder::new(shop())
            .step("bob:user", "GET /products", &[], None, 200, json!([]))
            .check(&Bfla)
            .is_empty(),
        "not an admin operation"
    );
}

#[test]
fn ignored_auth_fires_without_credentials_only_on_secured_operations() {
    let get_user = |who: &str, mode: AuthMode, status: u16| {
        TraceBuilder::new(shop())
            .step(
                who,
                "GET /users/{userId}",
                &[("userId", json!(1))],
                None,
                status,
                json!({"id": 1}),
            )
            .auth(mode)
    };
    for (who, mode) in [
        ("anon:anonymous", AuthMode::Normal),
        ("bob:user", AuthMode::None),
        ("bob:user", AuthMode::Invalid),
    ] {
        let v = get_user(who, mode, 200).check(&IgnoredAuth);
        assert_eq!(
            pairs(&v),
            [("ignored-auth".into(), "GET /users/{userId}".into())]
        );
        assert_eq!(v[0].roles, [Role::Anonymous]);
        assert!(get_user(who, mode, 401).check(&IgnoredAuth).is_empty());
    }
    assert!(
        get_user("alice:user", AuthMode::Normal, 200)
            .check(&IgnoredAuth)
            .is_empty()
    );
    let public = TraceBuilder::new(shop())
        .step("anon:anonymous", "GET /products", &[], None, 200, json!([]))
        .check(&IgnoredAuth);
    assert!(public.is_empty(), "public operations are public");
}

fn order(id: u64, user: u64, status: &str) -> serde_json::Value {
    json!({"id": id, "userId": user, "addressId": 1, "status": status, "items": [],
           "subtotalCents": 0, "discountCents": 0, "totalCents": 0,
           "createdAt": "2026-01-01T00:00:00Z"})
}

#[test]
fn list_leak_fires_on_another_users_created_object() {
    let list = |items: serde_json::Value| {
        TraceBuilder::new(shop())
            .step(
                "bob:user",
                "POST /users/{userId}/orders",
                &[("userId", json!(2))],
                Some(json!({"addressId": 2})),
                201,
                order(5, 2, "pending"),
            )
            .step(
                "alice:user",
                "GET /users/{userId}/orders",
                &[("userId", json!(1))],
                None,
                200,
                items,
            )
    };
    let v = list(json!([order(1, 1, "delivered"), order(5, 2, "cancelled")])).check(&ListLeak);
    assert_eq!(
        pairs(&v),
        [("list-leak".into(), "GET /users/{userId}/orders".into())]
    );
    assert!(
        list(json!([order(1, 1, "delivered")]))
            .check(&ListLeak)
            .is_empty()
    );
}

#[test]
fn resource_hierarchy_compares_parent_fields_with_the_path() {
    let read = |owner: u64| {
        TraceBuilder::new(shop()).step(
            "alice:user",
            "GET /users/{userId}/orders/{orderId}",
            &[("userId", json!(1)), ("orderId", json!(5))],
            None,
            200,
            order(5, owner, "pending"),
        )
    };
    let v = read(2).check(&ResourceHierarchy);
    assert_eq!(
        pairs(&v),
        [(
            "resource-hierarchy".into(),
            "GET /users/{userId}/orders/{orderId}".into()
        )]
    );
    assert!(read(1).check(&ResourceHierarchy).is_empty());
    assert_eq!(
        read(1).judged(&ResourceHierarchy),
        [TraceIndex(0)],
        "judged though silent"
    );
    let unnamed = TraceBuilder::new(shop()).step(
        "alice:user",
        "GET /users/{userId}/orders/{orderId}",
        &[("userId", json!(1)), ("orderId", json!(5))],
        None,
        200,
        json!({"id": 5}),
    );
    assert!(
        unnamed.judged(&ResourceHierarchy).is_empty(),
        "an order that does not name its user cannot be judged"
    );
}

/// `trace`, then alice deletes address `id` of user 1 (204) and `reader` reads it back with
/// `status` (the address itself on 200).
fn delete_then_read(trace: TraceBuilder, id: u64, reader: &str, status: u16) -> TraceBuilder {
    let path = [("userId", json!(1)), ("addressId", json!(id))];
    let answer = if status == 200 {
        address(id, 1)
    } else {
        json!({"error": "gone"})
    };
    trace
        .step(
            "alice:user",
            &format!("DELETE {ADDR}"),
            &path,
            None,
            204,
            json!(null),
        )
        .step(reader, &format!("GET {ADDR}"), &path, None, status, answer)
}

#[test]
fn use_after_delete_fires_when_a_deleted_object_still_answers() {
    let after_delete =
        |status: u16| delete_then_read(alice_creates_address(), 7, "alice:user", status);
    let v = after_delete(200).check(&UseAfterDelete);
    assert_eq!(
        pairs(&v),
        [("use-after-delete".into(), format!("GET {ADDR}"))]
    );
    assert!(after_delete(404).check(&UseAfterDelete).is_empty());
}

/// A seeded object nobody created or listed in the trace: the deleter reading it back is a
/// use after delete; another identity reading it after a delete by someone who is not known to
/// own it is not judged (that delete may only have hidden it from the deleter).
#[test]
fn use_after_delete_on_seeded_objects_is_judged_for_the_deleter_only() {
    let seeded = |reader: &str| delete_then_read(TraceBuilder::new(shop()), 1, reader, 200);
    assert_eq!(
        pairs(&seeded("alice:user").check(&UseAfterDelete)),
        [("use-after-delete".into(), format!("GET {ADDR}"))]
    );
    assert!(seeded("bob:user").check(&UseAfterDelete).is_empty());
}

fn user(role: &str) -> serde_json::Value {
    json!({"id": 1, "username": "alice", "email": "a@example.com", "role": role,
           "createdAt": "2026-01-01T00:00:00Z"})
}

#[test]
fn mass_assignment_needs_evidence_that_the_field_took() {
    let patch = |role_after: &str| {
        TraceBuilder::new(shop())
            .step("alice:user", "GET /me", &[], None, 200, user("user"))
            .step(
                "alice:user",
                "PATCH /users/{userId}",
                &[("userId", json!(1))],
                Some(json!({"role": "admin"})),
                200,
                user(role_after),
            )
    };
    // Escalation used: an admin-only call succeeds afterwards.
    let escalated =
        patch("admin").step("alice:user", "GET /admin/users", &[], None, 200, json!([]));
    let v = escalated.check(&MassAssignment);
    assert_eq!(
        pairs(&v),
        [("mass-assignment".into(), "PATCH /users/{userId}".into())]
    );
    assert!(
        escalated.check(&Bfla).is_empty(),
        "an escalated user's admin calls are mass-assignment's, not bfla's"
    );
    // A later read shows it.
    let shown = patch("admin").step("alice:user", "GET /me", &[], None, 200, user("admin"));
    assert_eq!(shown.check(&MassAssignment).len(), 1);
    // Ignored by the server: the re-read still says user, admin calls are refused.
    let ignored = patch("user")
        .step("alice:user", "GET /me", &[], None, 200, user("user"))
        .step(
            "alice:user",
            "GET /admin/users",
            &[],
            None,
            403,
            json!({"error": "no"}),
        );
    assert!(ignored.check(&MassAssignment).is_empty());
}

#[test]
fn bola_is_silent_on_kinds_the_policy_declares_shared() {
    let bob_reads = |b: TraceBuilder| {
        b.step(
            "bob:user",
            &format!("GET {ADDR}"),
            &[("userId", json!(1)), ("addressId", json!(7))],
            None,
            200,
            address(7, 1),
        )
    };
    assert_eq!(bob_reads(alice_creates_address()).check(&Bola).len(), 1);
    let shared = TraceBuilder::new(shop()).shared(&["address"]).step(
        "alice:user",
        "POST /users/{userId}/addresses",
        &[("userId", json!(1))],
        Some(json!({"recipient": "A"})),
        201,
        address(7, 1),
    );
    assert!(bob_reads(shared).check(&Bola).is_empty());
}

#[test]
fn bola_learns_the_created_id_from_the_location_header() {
    let created = |location: Option<&str>| {
        let b = TraceBuilder::new(shop()).step(
            "alice:user",
            "POST /users/{userId}/addresses",
            &[("userId", json!(1))],
            Some(json!({"recipient": "A"})),
            201,
            json!({"recipient": "A"}),
        );
        let b = match location {
            Some(l) => b.response_header("Location", l),
            None => b,
        };
        b.step(
            "bob:user",
            &format!("GET {ADDR}"),
            &[("userId", json!(1)), ("addressId", json!(7))],
            None,
            200,
            address(7, 1),
        )
    };
    assert_eq!(
        pairs(&created(Some("/users/1/addresses/7")).check(&Bola)),
        [("bola".into(), format!("GET {ADDR}"))]
    );
    assert!(
        created(None).check(&Bola).is_empty(),
        "no id, no owner: nothing to claim"
    );
}

#[test]
fn bola_is_silent_when_the_reader_owns_the_container() {
    // notes: bob creates a team; dana (admin) writes a document in it; bob, the team's owner,
    // reads it: legitimate. alice, who has nothing to do with the team, reading it is BOLA.
    let team = "10000000-0000-4000-8000-000000000002";
    let doc = "20000000-0000-4000-8000-000000000002";
    let document = json!({"id": doc, "teamId": team, "title": "t", "body": "b",
        "status": "active", "authorId": "d", "archivedAt": null,
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"});
    let read_by = |who: &str| {
        TraceBuilder::new(notes())
            .step(
                "bob:user",
                "POST /teams",
                &[],
                Some(json!({"name": "n"})),
                201,
                json!({"id": team, "name": "n", "ownerId": "b", "plan": "free",
                       "createdAt": "2026-01-01T00:00:00Z"}),
            )
            .step(
                "dana:admin",
                "POST /teams/{teamId}/documents",
                &[("teamId", json!(team))],
                Some(json!({"title": "t", "body": "b"})),
                201,
                document.clone(),
            )
            .step(
                who,
                "GET /teams/{teamId}/documents/{documentId}",
                &[("teamId", json!(team)), ("documentId", json!(doc))],
                None,
                200,
                document.clone(),
            )
            .check(&Bola)
    };
    assert!(read_by("bob:user").is_empty(), "the team owner may read");
    assert_eq!(read_by("alice:user").len(), 1, "a stranger may not");
}

#[test]
fn bola_ignores_identities_whose_account_was_deleted() {
    // shop: carol (admin) deletes bob's account; bob's stale credentials then reach alice's
    // record. That is the target ignoring authentication (another oracle's business), not bob
    // reading what alice owns.
    let me = |id: u64, name: &str| {
        json!({"id": id, "username": name, "email": "e@x.io",
        "displayName": name, "role": "user", "createdAt": "2025-01-01T00:00:00Z"})
    };
    let trace = |delete_bob: bool| {
        let b = TraceBuilder::new(shop())
            .step("alice:user", "GET /me", &[], None, 200, me(1, "alice"))
            .step("bob:user", "GET /me", &[], None, 200, me(2, "bob"));
        let b = if delete_bob {
            b.step(
                "carol:admin",
                "DELETE /users/{userId}",
                &[("userId", json!(2))],
                None,
                204,
                serde_json::Value::Null,
            )
        } else {
            b
        };
        b.step(
            "bob:user",
            "GET /users/{userId}",
            &[("userId", json!(1))],
            None,
            200,
            me(1, "alice"),
        )
        .check(&Bola)
    };
    assert_eq!(trace(false).len(), 1, "bob reading alice's account is BOLA");
    assert!(trace(true).is_empty(), "not once bob's account is gone");
}

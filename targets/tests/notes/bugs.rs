//! One test per planted bug, both modes.

use super::*;

#[tokio::test]
async fn notes_bola_delete_document() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let r = api
            .send(
                "DELETE",
                DOC,
                &[&seed.alice_team, &seed.alice_doc],
                Some(&api.keys.bob),
                Body::None,
            )
            .await;
        let reread = api
            .get(DOC, &[&seed.alice_team, &seed.alice_doc], &api.keys.alice)
            .await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 204, "bob deletes alice's document");
                assert_eq!(reread.status, 404, "alice's document is gone");
            }
            Mode::Secure => {
                assert_eq!(r.status, 403);
                assert_eq!(reread.status, 200);
            }
        }
        // the owner herself may always delete it
        let own = api
            .send(
                "DELETE",
                DOC,
                &[&seed.bob_team, &seed.bob_doc],
                Some(&api.keys.bob),
                Body::None,
            )
            .await;
        assert_eq!(own.status, 204);
    }
}

#[tokio::test]
async fn notes_bola_update_document() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let r = api
            .send(
                "PATCH",
                DOC,
                &[&seed.alice_team, &seed.alice_doc],
                Some(&api.keys.bob),
                Body::Json(json!({"title": "bob was here"})),
            )
            .await;
        let reread = api
            .get(DOC, &[&seed.alice_team, &seed.alice_doc], &api.keys.alice)
            .await;
        assert_eq!(reread.status, 200);
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 200);
                assert_eq!(reread.body["title"], "bob was here");
            }
            Mode::Secure => {
                assert_eq!(r.status, 403);
                assert_eq!(reread.body["title"], "Quarterly roadmap");
            }
        }
    }
}

#[tokio::test]
async fn notes_hierarchy_comment() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        // alice's own team and document, bob's comment
        let r = api
            .get(
                COMMENT,
                &[&seed.alice_team, &seed.alice_doc, &seed.bob_comment],
                &api.keys.alice,
            )
            .await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 200);
                assert_eq!(r.body["id"], json!(seed.bob_comment));
                assert_eq!(
                    r.body["documentId"],
                    json!(seed.bob_doc),
                    "not the path's document"
                );
                assert_eq!(r.body["authorId"], json!(seed.bob));
            }
            Mode::Secure => assert_eq!(r.status, 404),
        }
        // bob's own path to it works in both modes; alice's through bob's path never does
        let own = api
            .get(
                COMMENT,
                &[&seed.bob_team, &seed.bob_doc, &seed.bob_comment],
                &api.keys.bob,
            )
            .await;
        assert_eq!(own.status, 200);
        let foreign = api
            .get(
                COMMENT,
                &[&seed.bob_team, &seed.bob_doc, &seed.bob_comment],
                &api.keys.alice,
            )
            .await;
        assert_eq!(foreign.status, 403);
        let ok = api
            .get(
                COMMENT,
                &[&seed.alice_team, &seed.alice_doc, &seed.alice_comment],
                &api.keys.alice,
            )
            .await;
        assert_eq!(ok.status, 200);
    }
}

#[tokio::test]
async fn notes_list_leak_document_search() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let ids = |r: &Resp| -> Vec<String> {
            r.body
                .as_array()
                .expect("a list")
                .iter()
                .map(|d| s(&d["id"]))
                .collect()
        };
        let plain = api.get("/documents", &[], &api.keys.alice).await;
        assert_eq!(plain.status, 200);
        assert_eq!(
            ids(&plain),
            vec![seed.alice_doc.clone()],
            "unfiltered: no leak in any mode"
        );
        // "runbook" is only in bob's document
        let searched = api.get("/documents?q=runbook", &[], &api.keys.alice).await;
        assert_eq!(searched.status, 200);
        match mode {
            Mode::Vulnerable => assert_eq!(ids(&searched), vec![seed.bob_doc.clone()]),
            Mode::Secure => assert!(ids(&searched).is_empty()),
        }
        let own = api.get("/documents?q=roadmap", &[], &api.keys.alice).await;
        assert_eq!(ids(&own), vec![seed.alice_doc.clone()]);
    }
}

#[tokio::test]
async fn notes_bfla_audit_log() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        // make an entry
        let r = api
            .send(
                "PATCH",
                "/teams/{teamId}",
                &[&seed.bob_team],
                Some(&api.keys.bob),
                Body::Json(json!({"name": "Ops"})),
            )
            .await;
        assert_eq!(r.status, 200);
        let as_alice = api.get("/admin/audit-log", &[], &api.keys.alice).await;
        let as_dana = api.get("/admin/audit-log", &[], &api.keys.dana).await;
        assert_eq!(as_dana.status, 200);
        assert_eq!(as_dana.body[0]["action"], "team.update");
        assert_eq!(as_dana.body[0]["actor"], "bob");
        match mode {
            Mode::Vulnerable => {
                assert_eq!(as_alice.status, 200, "a user reads the admin audit log");
                assert_eq!(as_alice.body, as_dana.body);
            }
            Mode::Secure => assert_eq!(as_alice.status, 403),
        }
        // the other admin operations are guarded in both modes
        let users = api.get("/admin/users", &[], &api.keys.alice).await;
        assert_eq!(users.status, 403);
        let suspend = api
            .send(
                "POST",
                "/admin/users/{userId}/suspend",
                &[&seed.bob],
                Some(&api.keys.alice),
                Body::None,
            )
            .await;
        assert_eq!(suspend.status, 403);
    }
}

#[tokio::test]
async fn notes_ignored_auth_team_documents() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let path = "/teams/{teamId}/documents";
        let anonymous = api
            .send("GET", path, &[&seed.alice_team], None, Body::None)
            .await;
        let unknown_key = api
            .send(
                "GET",
                path,
                &[&seed.alice_team],
                Some("nk_nobody"),
                Body::None,
            )
            .await;
        match mode {
            Mode::Vulnerable => {
                for r in [&anonymous, &unknown_key] {
                    assert_eq!(r.status, 200);
                    assert_eq!(r.body[0]["id"], json!(seed.alice_doc));
                }
            }
            Mode::Secure => {
                assert_eq!(anonymous.status, 401);
                assert_eq!(unknown_key.status, 401);
            }
        }
        // a valid key of a non-member is refused in both modes
        let bob = api.get(path, &[&seed.alice_team], &api.keys.bob).await;
        assert_eq!(bob.status, 403);
    }
}

#[tokio::test]
async fn notes_use_after_revoke_share() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let created = api
            .send(
                "POST",
                "/teams/{teamId}/documents/{documentId}/shares",
                &[&seed.alice_team, &seed.alice_doc],
                Some(&api.keys.alice),
                Body::None,
            )
            .await;
        assert_eq!(created.status, 201);
        let share = s(&created.body["id"]);
        assert_eq!(
            created.location.as_deref(),
            Some(format!("/shares/{share}").as_str())
        );
        let open = api
            .send("GET", "/shares/{shareId}", &[&share], None, Body::None)
            .await;
        assert_eq!(open.status, 200);
        assert_eq!(open.body["title"], "Quarterly roadmap");
        let revoked = api
            .send(
                "DELETE",
                "/shares/{shareId}",
                &[&share],
                Some(&api.keys.alice),
                Body::None,
            )
            .await;
        assert_eq!(revoked.status, 204);
        let after = api
            .send("GET", "/shares/{shareId}", &[&share], None, Body::None)
            .await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(after.status, 200, "a revoked link still opens");
                assert_eq!(after.body["title"], "Quarterly roadmap");
            }
            Mode::Secure => assert_eq!(after.status, 404),
        }
        let again = api
            .send(
                "DELETE",
                "/shares/{shareId}",
                &[&share],
                Some(&api.keys.alice),
                Body::None,
            )
            .await;
        assert_eq!(again.status, 404);
    }
}

#[tokio::test]
async fn notes_mass_assignment_team_plan() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let r = api
            .send(
                "PATCH",
                "/teams/{teamId}",
                &[&seed.alice_team],
                Some(&api.keys.alice),
                Body::Json(json!({"name": "Research", "plan": "enterprise"})),
            )
            .await;
        let after = api
            .get("/teams/{teamId}", &[&seed.alice_team], &api.keys.alice)
            .await;
        assert_eq!(after.status, 200);
        match mode {
            Mode::Vulnerable => {
                assert_eq!(r.status, 200);
                assert_eq!(after.body["plan"], "enterprise");
            }
            Mode::Secure => {
                assert_eq!(r.status, 400);
                assert_eq!(after.body["plan"], "free");
            }
        }
        // the admin operation sets it in both modes
        let admin = api
            .send(
                "PUT",
                "/admin/teams/{teamId}/plan",
                &[&seed.bob_team],
                Some(&api.keys.dana),
                Body::Json(json!({"plan": "enterprise"})),
            )
            .await;
        assert_eq!(admin.status, 200);
        assert_eq!(admin.body["plan"], "enterprise");
    }
}

#[tokio::test]
async fn notes_server_error_long_comment() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let at_limit = post_comment(&api, &seed, "é".repeat(2000)).await;
        assert_eq!(at_limit.status, 201, "2000 characters are allowed");
        let too_long = post_comment(&api, &seed, "x".repeat(2001)).await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(too_long.status, 500);
                assert!(nonconformance(&api.spec, "POST", COMMENTS, &too_long).is_some());
            }
            Mode::Secure => assert_eq!(too_long.status, 400),
        }
        let empty = post_comment(&api, &seed, String::new()).await;
        assert_eq!(empty.status, 400);
    }
}

#[tokio::test]
async fn notes_schema_archived_at_epoch() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let params = [seed.alice_team.as_str(), seed.alice_doc.as_str()];
        let before = api.get(DOC, &params, &api.keys.alice).await;
        assert_eq!(before.body["archivedAt"], Value::Null);
        assert!(nonconformance(&api.spec, "GET", DOC, &before).is_none());
        let archived = api
            .send(
                "PATCH",
                DOC,
                &params,
                Some(&api.keys.alice),
                Body::Json(json!({"status": "archived"})),
            )
            .await;
        assert_eq!(archived.status, 200);
        assert!(
            archived.body["archivedAt"].is_string(),
            "PATCH answers a date-time"
        );
        let after = api.get(DOC, &params, &api.keys.alice).await;
        assert_eq!(after.status, 200);
        match mode {
            Mode::Vulnerable => {
                assert!(after.body["archivedAt"].is_number(), "{}", after.body);
                let why = nonconformance(&api.spec, "GET", DOC, &after).expect("schema violation");
                assert!(why.contains("archivedAt"), "{why}");
            }
            Mode::Secure => {
                assert_eq!(after.body["archivedAt"], archived.body["archivedAt"]);
            }
        }
        let listed = api
            .get("/documents?status=archived", &[], &api.keys.alice)
            .await;
        assert_eq!(listed.body[0]["archivedAt"], archived.body["archivedAt"]);
    }
}

#[tokio::test]
async fn notes_undeclared_409_member() {
    for mode in MODES {
        let api = Api::start(mode);
        let seed = api.seed().await;
        let path = "/teams/{teamId}/members";
        let first = add_member(&api, &seed.alice_team, &seed.bob).await;
        assert_eq!(first.status, 201);
        assert_eq!(first.body["role"], "member");
        let again = add_member(&api, &seed.alice_team, &seed.bob).await;
        let owner = add_member(&api, &seed.alice_team, &seed.alice).await;
        match mode {
            Mode::Vulnerable => {
                for r in [&again, &owner] {
                    assert_eq!(r.status, 409);
                    assert!(
                        nonconformance(&api.spec, "POST", path, r)
                            .is_some_and(|w| w.contains("undeclared status 409"))
                    );
                }
            }
            Mode::Secure => {
                assert_eq!(again.status, 200);
                assert_eq!(owner.status, 200);
                assert_eq!(owner.body["role"], "owner");
            }
        }
        // now a member, bob sees alice's team
        let seen = api
            .get(DOC, &[&seed.alice_team, &seed.alice_doc], &api.keys.bob)
            .await;
        assert_eq!(seen.status, 200);
    }
}

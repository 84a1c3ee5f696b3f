//! Reset and credentials.

use super::*;

#[tokio::test]
async fn reset_restores_the_seed_exactly() {
    let api = Api::start(Mode::Vulnerable);
    let seed = api.seed().await;
    let snapshot = || async {
        let mut out = Vec::new();
        for key in [&api.keys.alice, &api.keys.bob, &api.keys.dana] {
            out.push(api.get("/me", &[], key).await.body);
            out.push(api.get("/teams", &[], key).await.body);
            out.push(api.get("/documents", &[], key).await.body);
        }
        out.push(
            api.get(
                COMMENTS,
                &[&seed.alice_team, &seed.alice_doc],
                &api.keys.alice,
            )
            .await
            .body,
        );
        out.push(
            api.get(COMMENTS, &[&seed.bob_team, &seed.bob_doc], &api.keys.bob)
                .await
                .body,
        );
        out.push(api.get("/admin/users", &[], &api.keys.dana).await.body);
        out.push(api.get("/admin/audit-log", &[], &api.keys.dana).await.body);
        out
    };
    let before = snapshot().await;
    // change a lot
    let team = api
        .send(
            "POST",
            "/teams",
            &[],
            Some(&api.keys.alice),
            Body::Json(json!({"name": "New"})),
        )
        .await;
    assert_eq!(team.status, 201);
    assert_eq!(
        team.location.as_deref(),
        Some(format!("/teams/{}", s(&team.body["id"])).as_str())
    );
    let d = api
        .send(
            "DELETE",
            DOC,
            &[&seed.bob_team, &seed.bob_doc],
            Some(&api.keys.bob),
            Body::None,
        )
        .await;
    assert_eq!(d.status, 204);
    let c = api
        .send(
            "DELETE",
            COMMENT,
            &[&seed.alice_team, &seed.alice_doc, &seed.alice_comment],
            Some(&api.keys.alice),
            Body::None,
        )
        .await;
    assert_eq!(c.status, 204);
    let susp = api
        .send(
            "POST",
            "/admin/users/{userId}/suspend",
            &[&seed.bob],
            Some(&api.keys.dana),
            Body::None,
        )
        .await;
    assert_eq!(susp.status, 200);
    assert_eq!(
        api.get("/me", &[], &api.keys.bob).await.status,
        401,
        "suspended"
    );
    assert_ne!(snapshot().await, before);
    api.reset().await;
    assert_eq!(
        snapshot().await,
        before,
        "same ids, same timestamps, same everything"
    );
    api.reset().await;
    assert_eq!(snapshot().await, before);
}

#[tokio::test]
async fn identities_file_credentials_work() {
    let ids = identities();
    let roles: Vec<(&str, &str)> = ids
        .iter()
        .map(|i| (i.name.as_str(), i.role.as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("alice", "user"),
            ("bob", "user"),
            ("dana", "admin"),
            ("anon", "anonymous")
        ]
    );
    let policy: toml::Value = toml::from_str(Service::Notes.identities_toml()).expect("toml");
    assert_eq!(
        policy["policy"]["admin_operations"][0].as_str(),
        Some("tag:admin")
    );
    assert_eq!(
        policy["policy"]["public_operations"][0].as_str(),
        Some("GET /shares/{shareId}")
    );
    for mode in MODES {
        let api = Api::start(mode);
        for (key, name, role) in [
            (&api.keys.alice, "alice", "user"),
            (&api.keys.bob, "bob", "user"),
            (&api.keys.dana, "dana", "admin"),
        ] {
            let me = api.get("/me", &[], key).await;
            assert_eq!(me.status, 200);
            assert_eq!(me.body["username"], name);
            assert_eq!(me.body["role"], role);
        }
        let anon = api.send("GET", "/me", &[], None, Body::None).await;
        assert_eq!(anon.status, 401);
        assert!(anon.body["error"].is_string());
    }
}

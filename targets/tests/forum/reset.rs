//! `POST /__reset` restores the seed; sessions survive it.

use super::*;

#[tokio::test]
async fn reset_restores_the_seed_and_keeps_sessions() {
    for mode in MODES {
        let api = Api::start(mode);
        let alice = api.login("alice").await;
        let seeded = api.snippets(&alice).await;
        assert_eq!(seeded.len(), 3, "one seeded snippet per account");
        let me_before = api.get(ME, &[], &alice).await.body;

        // Change everything a fuzzer could change.
        let title = &seeded
            .iter()
            .find(|(_, a)| a == "alice")
            .expect("alice's")
            .0;
        let r = api
            .send(DELETE_SNIPPET, &[&segment(title)], Some(&alice), Body::None)
            .await;
        assert_eq!(r.status, 204);
        let r = api
            .json(
                CREATE_SNIPPET,
                &[],
                Some(&alice),
                json!({"title": "new one", "code": ""}),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = api
            .json(
                CREATE_NOTEBOOK,
                &[],
                Some(&alice),
                json!({"name": "nb", "content": ""}),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = api
            .json(
                UPDATE_ME,
                &[],
                Some(&alice),
                json!({"bio": "changed", "email": "alice2@forum.test"}),
            )
            .await;
        assert_eq!(r.status, 200);
        let r = api
            .json(
                PASSWORD,
                &["alice"],
                Some(&alice),
                json!({"password": "changed-pass-1"}),
            )
            .await;
        assert_eq!(r.status, 204);
        let r = api
            .json(
                REGISTER,
                &[],
                None,
                json!({"username": "eve", "email": "eve@forum.test", "password": "eve-pass-1"}),
            )
            .await;
        assert_eq!(r.status, 201);
        assert!(
            api.try_login("alice", &password_of("alice"))
                .await
                .is_none()
        );

        api.reset().await;

        assert_eq!(api.snippets(&alice).await, seeded, "{mode:?}: session kept");
        assert_eq!(api.get(ME, &[], &alice).await.body, me_before);
        assert!(
            api.try_login("alice", &password_of("alice"))
                .await
                .is_some()
        );
        assert!(api.try_login("eve", "eve-pass-1").await.is_none());
        let nb = api.get(NOTEBOOK, &["nb"], &alice).await;
        assert_eq!(nb.status, 404);
        let users = api.send(USERS, &[], None, Body::None).await;
        assert_eq!(users.body.as_array().map(Vec::len), Some(3));
    }
}

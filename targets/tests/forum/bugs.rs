//! Each planted bug over real HTTP: present in the vulnerable mode, absent in the secure mode.

use super::*;

/// `forum-bola-read-snippet`: bob learns alice's seeded snippet from the list and reads it.
#[tokio::test]
async fn bola_read_snippet_only_in_vulnerable_mode() {
    for mode in MODES {
        let api = Api::start(mode);
        let (alice, bob, root) = (
            api.login("alice").await,
            api.login("bob").await,
            api.login("root").await,
        );
        let list = api.snippets(&bob).await;
        let (title, _) = list
            .iter()
            .find(|(_, author)| author == "alice")
            .expect("alice's seeded snippet is listed")
            .clone();
        let own = api.get(SNIPPET, &[&segment(&title)], &alice).await;
        assert_eq!(own.status, 200, "{mode:?}: {}", own.raw);
        let admin = api.get(SNIPPET, &[&segment(&title)], &root).await;
        assert_eq!(admin.status, 200, "{mode:?}: an admin reads any snippet");
        let other = api.get(SNIPPET, &[&segment(&title)], &bob).await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(other.status, 200, "{}", other.raw);
                assert_eq!(other.body["author"], "alice");
                assert_eq!(other.body["secretNote"], own.body["secretNote"]);
            }
            Mode::Secure => {
                assert_eq!(other.status, 401, "{}", other.raw);
                assert_eq!(other.body, json!({"error": "not yours"}));
            }
        }
        // The same holds for a snippet alice creates, with a title that needs encoding.
        let title = "ünïcode / 100% \"quoted\" ?#";
        let r = api
            .json(
                CREATE_SNIPPET,
                &[],
                Some(&alice),
                json!({"title": title, "code": "x = 1"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        assert_eq!(r.body, json!({"status": "success"}));
        let other = api.get(SNIPPET, &[&segment(title)], &bob).await;
        let expected = if mode == Mode::Vulnerable { 200 } else { 401 };
        assert_eq!(other.status, expected, "{mode:?}: {}", other.raw);
        // Deleting stays the author's: 401 for bob in both modes.
        let del = api
            .send(DELETE_SNIPPET, &[&segment(title)], Some(&bob), Body::None)
            .await;
        assert_eq!(del.status, 401, "{mode:?}");
    }
}

/// `forum-bola-write-notebook`: bob overwrites the notebook alice just created.
#[tokio::test]
async fn bola_write_notebook_only_in_vulnerable_mode() {
    for mode in MODES {
        let api = Api::start(mode);
        let (alice, bob) = (api.login("alice").await, api.login("bob").await);
        let name = "Q3 plans / draft";
        let r = api
            .json(
                CREATE_NOTEBOOK,
                &[],
                Some(&alice),
                json!({"name": name, "content": "ship it"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        assert_eq!(r.raw, "", "an empty body");
        let location = r.header("location").expect("a Location header").to_string();
        assert_eq!(location, format!("/notebooks/v1/{}", segment(name)));
        let key = location.trim_start_matches("/notebooks/v1/").to_string();
        let read = api.get(NOTEBOOK, &[&key], &alice).await;
        assert_eq!(read.status, 200, "{}", read.raw);
        assert_eq!(read.body["name"], name);
        assert_eq!(read.body["createdBy"], "alice@forum.test");
        // Bob may not read it in either mode.
        assert_eq!(api.get(NOTEBOOK, &[&key], &bob).await.status, 401);
        let write = api
            .json(
                REPLACE_NOTEBOOK,
                &[&key],
                Some(&bob),
                json!({"content": "bob was here"}),
            )
            .await;
        let after = api.get(NOTEBOOK, &[&key], &alice).await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(write.status, 200, "{}", write.raw);
                assert_eq!(write.body["createdBy"], "alice@forum.test");
                assert_eq!(after.body["content"], "bob was here");
            }
            Mode::Secure => {
                assert_eq!(write.status, 401, "{}", write.raw);
                assert_eq!(write.body, json!({"error": "not yours"}));
                assert_eq!(after.body["content"], "ship it");
            }
        }
        // The owner's own replace works in both modes.
        let own = api
            .json(
                REPLACE_NOTEBOOK,
                &[&key],
                Some(&alice),
                json!({"content": "v2"}),
            )
            .await;
        assert_eq!(own.status, 200, "{mode:?}: {}", own.raw);
        assert_eq!(own.body["content"], "v2");
    }
}

/// `forum-account-takeover-password`: bob changes alice's password through the path. The
/// secure build applies the change to bob's own account instead.
#[tokio::test]
async fn account_takeover_only_in_vulnerable_mode_and_secure_changes_the_caller() {
    for mode in MODES {
        let api = Api::start(mode);
        let alice = api.login("alice").await;
        let bob = api.login("bob").await;
        let me = api.get(ME, &[], &alice).await;
        let victim = text(&me.body["username"]);
        let new = "taken-over-123";
        let r = api
            .json(PASSWORD, &[&victim], Some(&bob), json!({"password": new}))
            .await;
        assert_eq!(r.status, 204, "{mode:?}: {}", r.raw);
        let alice_old = api.try_login("alice", &password_of("alice")).await;
        let alice_new = api.try_login("alice", new).await;
        let bob_old = api.try_login("bob", &password_of("bob")).await;
        let bob_new = api.try_login("bob", new).await;
        match mode {
            Mode::Vulnerable => {
                assert!(alice_old.is_none(), "alice is locked out");
                let token = alice_new.expect("bob signs in as alice");
                assert_eq!(api.get(ME, &[], &token).await.body["username"], "alice");
                assert!(bob_old.is_some() && bob_new.is_none(), "bob's is unchanged");
            }
            Mode::Secure => {
                assert!(
                    alice_old.is_some() && alice_new.is_none(),
                    "alice unchanged"
                );
                assert!(bob_old.is_none(), "the change applied to the caller");
                assert!(bob_new.is_some(), "bob signs in with his new password");
            }
        }
        // An unknown account: 404 where the path counts, the caller's change otherwise.
        let unknown = api
            .json(
                PASSWORD,
                &["nobody-here"],
                Some(&alice),
                json!({"password": "another-pass-1"}),
            )
            .await;
        let expected = if mode == Mode::Vulnerable { 404 } else { 204 };
        assert_eq!(unknown.status, expected, "{mode:?}: {}", unknown.raw);
    }
}

/// `forum-mass-assignment-me`: `role` sent along with a profile update.
#[tokio::test]
async fn mass_assignment_on_me_only_in_vulnerable_mode() {
    for mode in MODES {
        let api = Api::start(mode);
        let alice = api.login("alice").await;
        assert_eq!(api.get(ADMIN_USERS, &[], &alice).await.status, 401);
        let r = api
            .json(
                UPDATE_ME,
                &[],
                Some(&alice),
                json!({"bio": "new bio", "role": "admin"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.raw);
        assert_eq!(r.body["bio"], "new bio");
        let me = api.get(ME, &[], &alice).await;
        let admin = api.get(ADMIN_USERS, &[], &alice).await;
        match mode {
            Mode::Vulnerable => {
                assert_eq!(me.body["role"], "admin");
                assert_eq!(admin.status, 200, "{}", admin.raw);
            }
            Mode::Secure => {
                assert_eq!(me.body["role"], "user");
                assert_eq!(admin.status, 401);
                assert_eq!(admin.body, json!({"error": "admin only"}));
            }
        }
    }
}

/// `forum-mass-assignment-register`: an anonymous registration with `role: admin`.
#[tokio::test]
async fn mass_assignment_on_registration_only_in_vulnerable_mode() {
    for mode in MODES {
        let api = Api::start(mode);
        let r = api
            .json(
                REGISTER,
                &[],
                None,
                json!({"username": "mallory", "email": "mallory@evil.example",
                       "password": "mallory-pass", "role": "admin"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        assert_eq!(
            r.body,
            json!({"status": "success", "message": "registered"})
        );
        let root = api.login("root").await;
        let all = api.get(ADMIN_USERS, &[], &root).await;
        let mallory = all
            .body
            .as_array()
            .expect("a list")
            .iter()
            .find(|u| u["username"] == "mallory")
            .expect("mallory is listed")
            .clone();
        let token = api
            .try_login("mallory", "mallory-pass")
            .await
            .expect("the new account signs in");
        let me = api.get(ME, &[], &token).await;
        let expected = if mode == Mode::Vulnerable {
            "admin"
        } else {
            "user"
        };
        assert_eq!(mallory["role"], expected, "{mode:?}");
        assert_eq!(me.body["role"], expected, "{mode:?}");
        assert_eq!(me.body["email"], "mallory@evil.example");
    }
}

/// Every manifest entry names an operation of the spec, a `PLANTED <bug>` marker in the
/// forum's code and a reproducer of at least two steps (every key is learnt from an answer).
#[test]
fn the_manifest_matches_the_code_and_the_spec() {
    let spec = spec();
    let ops = spec_operations(&spec);
    let source: String = ["users.rs", "snippets.rs", "notebooks.rs", "auth.rs"]
        .iter()
        .map(|f| {
            let path = format!("{}/src/forum/{f}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
        .collect();
    let manifest = planted::manifest(Service::Forum);
    assert_eq!(manifest.len(), 10);
    for bug in manifest {
        assert!(
            ops.contains(bug.operation),
            "{}: {}",
            bug.bug,
            bug.operation
        );
        assert!(
            source.contains(&format!("PLANTED {}", bug.bug)),
            "no marker for {}",
            bug.bug
        );
        assert_eq!(bug.service, Service::Forum);
        // One step where the tool's seeding or the identities file gives the key (a seeded
        // snippet's title, the victim's username), two where the owner must act first.
        assert!((1..=2).contains(&bug.min_steps), "{}", bug.bug);
    }
    let oracles: BTreeSet<&str> = manifest.iter().map(|b| b.oracle).collect();
    assert_eq!(
        oracles,
        BTreeSet::from([
            oracle::BOLA,
            oracle::ACCOUNT_TAKEOVER,
            oracle::MASS_ASSIGNMENT,
            oracle::DATA_EXPOSURE,
            oracle::INJECTION,
            oracle::ERROR_DISCLOSURE,
            oracle::REDOS,
            oracle::USER_ENUMERATION,
        ])
    );
    let markers = source.matches("PLANTED forum-").count();
    assert_eq!(markers, planted_bug_ids().len(), "one marker per bug");
}

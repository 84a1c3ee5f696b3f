//! A walk over every operation with well-formed, malformed and hostile inputs, in both modes:
//! every answer conforms to the spec (checked by `Api::send`), and every status the spec
//! declares is actually sent by the service (nothing declared in vain).

use super::*;

/// Bodies every JSON operation must answer 400 to.
fn malformed() -> Vec<Body<'static>> {
    vec![
        Body::None,
        Body::Raw("{not json", Some("application/json")),
        Body::Raw("[]", Some("application/json")),
        Body::Raw("{}", Some("text/plain")),
        Body::Json(json!(null)),
        Body::Json(json!({"title": 1, "name": [], "content": {}, "password": 5,
                          "username": true, "email": 7, "code": 1.5, "bio": 3})),
    ]
}

/// Titles and names that need encoding, or are odd in other ways.
const ODD_KEYS: [&str; 9] = [
    "with space",
    "slash/inside",
    "100% sure?",
    "#hash&amp;",
    "ünïcödé ✓ 🚀",
    "tab\tand\nnewline",
    "...",
    "a",
    "+plus+",
];

/// Path values that a client normalises away or that are not UTF-8 once decoded.
const HOSTILE_SEGMENTS: [&str; 5] = [".", "..", "", "%2E%2E", "%FF%FE"];

#[tokio::test]
async fn every_answer_conforms_and_every_declared_status_is_sent() {
    for mode in MODES {
        let api = Api::start(mode);
        let sent = walk(&api).await;
        let spec = spec();
        let declared: BTreeSet<(String, u16)> = spec_operations(&spec)
            .into_iter()
            .flat_map(|op| {
                declared_statuses(&spec, &op)
                    .into_iter()
                    .map(move |s| (op.clone(), s))
            })
            .collect();
        let seen = api.seen.lock().expect("not poisoned").clone();
        let never: Vec<_> = declared.difference(&seen).collect();
        assert!(
            never.is_empty(),
            "{mode:?}: declared, never sent: {never:?}"
        );
        assert!(sent > 150, "{mode:?}: only {sent} requests");
    }
}

/// Sends the walk; returns how many requests it made.
async fn walk(api: &Api) -> usize {
    api.reset().await;
    let alice = api.login("alice").await;
    let bob = api.login("bob").await;
    let root = api.login("root").await;
    let mut n = 0;
    n += auth_and_accounts(api, &alice, &bob, &root).await;
    n += snippets(api, &alice, &bob).await;
    n += notebooks(api, &alice, &bob).await;
    n
}

async fn auth_and_accounts(api: &Api, alice: &str, bob: &str, root: &str) -> usize {
    let mut n = 0;
    let mut send = async |op: &str, path: &[&str], token: Option<&str>, body: Body<'_>| {
        n += 1;
        api.send(op, path, token, body).await
    };
    assert_eq!(
        send(
            LOGIN,
            &[],
            None,
            Body::Json(json!({"username": "alice", "password": "nope"}))
        )
        .await
        .status,
        401
    );
    let valid = json!({"username": "carl", "email": "carl@forum.test", "password": "carl-pass"});
    assert_eq!(
        send(REGISTER, &[], None, Body::Json(valid.clone()))
            .await
            .status,
        201
    );
    assert_eq!(
        send(REGISTER, &[], None, Body::Json(valid)).await.status,
        409
    );
    let same_email =
        json!({"username": "carl2", "email": "carl@forum.test", "password": "x-pass-12"});
    assert_eq!(
        send(REGISTER, &[], None, Body::Json(same_email))
            .await
            .status,
        409
    );
    for bad in [
        json!({"username": "a b", "email": "ab@forum.test", "password": "12345678"}),
        json!({"username": "abc", "email": "not-an-email", "password": "12345678"}),
        json!({"username": "abc", "email": "abc@forum.test", "password": "short"}),
        json!({"username": "abc", "email": "abc@forum.test"}),
    ] {
        assert_eq!(send(REGISTER, &[], None, Body::Json(bad)).await.status, 400);
    }
    let odd_role = json!({"username": "dora", "email": "dora@forum.test",
                          "password": "dora-pass", "role": "superuser"});
    let expected = if api.mode() == Mode::Secure { 201 } else { 400 };
    assert_eq!(
        send(REGISTER, &[], None, Body::Json(odd_role)).await.status,
        expected
    );
    for op in [LOGIN, REGISTER, UPDATE_ME] {
        for body in malformed() {
            let r = send(op, &[], Some(alice), body).await;
            assert_eq!(r.status, 400, "{op}: {}", r.raw);
        }
    }
    for token in [None, Some("not-a-token"), Some(alice)] {
        assert_eq!(send(USERS, &[], token, Body::None).await.status, 200);
        for op in [ME, ADMIN_USERS] {
            let expected = if token == Some(alice) && op == ME {
                200
            } else {
                401
            };
            assert_eq!(
                send(op, &[], token, Body::None).await.status,
                expected,
                "{op}"
            );
        }
    }
    assert_eq!(
        send(ADMIN_USERS, &[], Some(root), Body::None).await.status,
        200
    );
    assert_eq!(send(PROFILE, &["bob"], None, Body::None).await.status, 200);
    assert_eq!(
        send(PROFILE, &["nobody"], None, Body::None).await.status,
        404
    );
    for segment in HOSTILE_SEGMENTS {
        let r = send(PROFILE, &[segment], None, Body::None).await;
        assert!(matches!(r.status, 400 | 404), "{segment:?}: {}", r.status);
        let r = send(
            PASSWORD,
            &[segment],
            Some(alice),
            Body::Json(json!({"password": "p4ssw0rd!"})),
        )
        .await;
        assert!(
            matches!(r.status, 204 | 400 | 404),
            "{segment:?}: {}",
            r.status
        );
    }
    for (body, expected) in [
        (json!({"bio": "x".repeat(281)}), 400),
        (json!({"email": "bob@forum.test"}), 409),
        (json!({"email": "alice@forum.test", "bio": ""}), 200),
        (json!({}), 200),
    ] {
        assert_eq!(
            send(UPDATE_ME, &[], Some(alice), Body::Json(body))
                .await
                .status,
            expected
        );
    }
    assert_eq!(
        send(UPDATE_ME, &[], None, Body::Json(json!({})))
            .await
            .status,
        401
    );
    let new = Body::Json(json!({"password": "bob-forum-pw-2"}));
    assert_eq!(send(PASSWORD, &["bob"], Some(bob), new).await.status, 204);
    let short = Body::Json(json!({"password": "short"}));
    assert_eq!(send(PASSWORD, &["bob"], Some(bob), short).await.status, 400);
    let none = Body::Json(json!({"password": "whatever-1"}));
    assert_eq!(send(PASSWORD, &["bob"], None, none).await.status, 401);
    for body in malformed() {
        assert_eq!(send(PASSWORD, &["bob"], Some(bob), body).await.status, 400);
    }
    n
}

async fn snippets(api: &Api, alice: &str, bob: &str) -> usize {
    let mut n = 0;
    let mut send = async |op: &str, path: &[&str], token: Option<&str>, body: Body<'_>| {
        n += 1;
        api.send(op, path, token, body).await
    };
    for key in ODD_KEYS {
        let body = json!({"title": key, "code": "print(1)"});
        let r = send(CREATE_SNIPPET, &[], Some(alice), Body::Json(body.clone())).await;
        assert_eq!(r.status, 201, "{key:?}: {}", r.raw);
        assert_eq!(
            send(CREATE_SNIPPET, &[], Some(bob), Body::Json(body))
                .await
                .status,
            409
        );
        let r = send(SNIPPET, &[&segment(key)], Some(alice), Body::None).await;
        assert_eq!(r.status, 200, "{key:?}: {}", r.raw);
        assert_eq!(r.body["title"], key, "the title round-trips");
        assert_eq!(r.body["author"], "alice");
    }
    let long = "é".repeat(100);
    let body = Body::Json(json!({"title": long, "code": "x".repeat(2000)}));
    assert_eq!(send(CREATE_SNIPPET, &[], Some(bob), body).await.status, 201);
    assert_eq!(
        send(SNIPPET, &[&segment(&long)], Some(bob), Body::None)
            .await
            .status,
        200
    );
    for bad in [
        json!({"title": "", "code": ""}),
        json!({"title": "é".repeat(101), "code": ""}),
        json!({"title": "ok", "code": "x".repeat(2001)}),
        json!({"title": "ok"}),
    ] {
        assert_eq!(
            send(CREATE_SNIPPET, &[], Some(alice), Body::Json(bad))
                .await
                .status,
            400
        );
    }
    for body in malformed() {
        assert_eq!(
            send(CREATE_SNIPPET, &[], Some(alice), body).await.status,
            400
        );
    }
    let body = Body::Json(json!({"title": "t", "code": ""}));
    assert_eq!(send(CREATE_SNIPPET, &[], None, body).await.status, 401);
    assert_eq!(send(SNIPPETS, &[], None, Body::None).await.status, 401);
    let listed = send(SNIPPETS, &[], Some(bob), Body::None).await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(3 + ODD_KEYS.len() + 1)
    );
    for op in [SNIPPET, DELETE_SNIPPET] {
        assert_eq!(
            send(op, &["missing"], Some(alice), Body::None).await.status,
            404
        );
        assert_eq!(send(op, &["a"], None, Body::None).await.status, 401);
        for segment in HOSTILE_SEGMENTS {
            let r = send(op, &[segment], Some(alice), Body::None).await;
            assert!(
                matches!(r.status, 400 | 404),
                "{op} {segment:?}: {}",
                r.status
            );
        }
    }
    assert_eq!(
        send(DELETE_SNIPPET, &["a"], Some(bob), Body::None)
            .await
            .status,
        401
    );
    assert_eq!(
        send(DELETE_SNIPPET, &["a"], Some(alice), Body::None)
            .await
            .status,
        204
    );
    assert_eq!(
        send(SNIPPET, &["a"], Some(alice), Body::None).await.status,
        404
    );
    n
}

async fn notebooks(api: &Api, alice: &str, bob: &str) -> usize {
    let mut n = 0;
    let mut send = async |op: &str, path: &[&str], token: Option<&str>, body: Body<'_>| {
        n += 1;
        api.send(op, path, token, body).await
    };
    for key in ODD_KEYS {
        let body = json!({"name": key, "content": "notes"});
        let r = send(CREATE_NOTEBOOK, &[], Some(alice), Body::Json(body.clone())).await;
        assert_eq!(r.status, 201, "{key:?}: {}", r.raw);
        let location = r.header("location").expect("Location").to_string();
        let path = location.strip_prefix("/notebooks/v1/").expect("the prefix");
        assert_eq!(
            send(CREATE_NOTEBOOK, &[], Some(bob), Body::Json(body))
                .await
                .status,
            409
        );
        let r = send(NOTEBOOK, &[path], Some(alice), Body::None).await;
        assert_eq!(r.status, 200, "{key:?}: {}", r.raw);
        assert_eq!(r.body["name"], key, "the name round-trips through Location");
        let r = send(
            REPLACE_NOTEBOOK,
            &[path],
            Some(alice),
            Body::Json(json!({"content": ""})),
        )
        .await;
        assert_eq!(r.status, 200);
    }
    for bad in [
        json!({"name": "", "content": ""}),
        json!({"name": "é".repeat(101), "content": ""}),
        json!({"name": "ok", "content": "x".repeat(5001)}),
        json!({"content": "no name"}),
    ] {
        assert_eq!(
            send(CREATE_NOTEBOOK, &[], Some(alice), Body::Json(bad))
                .await
                .status,
            400
        );
    }
    for body in malformed() {
        assert_eq!(
            send(CREATE_NOTEBOOK, &[], Some(alice), body).await.status,
            400
        );
    }
    for body in malformed() {
        assert_eq!(
            send(REPLACE_NOTEBOOK, &["a"], Some(alice), body)
                .await
                .status,
            400
        );
    }
    let body = || Body::Json(json!({"content": "c"}));
    let created = Body::Json(json!({"name": "n", "content": ""}));
    assert_eq!(send(CREATE_NOTEBOOK, &[], None, created).await.status, 401);
    assert_eq!(
        send(NOTEBOOK, &["a"], Some(bob), Body::None).await.status,
        401
    );
    assert_eq!(send(NOTEBOOK, &["a"], None, Body::None).await.status, 401);
    assert_eq!(
        send(REPLACE_NOTEBOOK, &["a"], None, body()).await.status,
        401
    );
    let long = Body::Json(json!({"content": "x".repeat(5001)}));
    assert_eq!(
        send(REPLACE_NOTEBOOK, &["a"], Some(alice), long)
            .await
            .status,
        400
    );
    for segment in ["missing"].into_iter().chain(HOSTILE_SEGMENTS) {
        let r = send(NOTEBOOK, &[segment], Some(alice), Body::None).await;
        assert!(matches!(r.status, 400 | 404), "{segment:?}: {}", r.status);
        let r = send(REPLACE_NOTEBOOK, &[segment], Some(alice), body()).await;
        assert!(matches!(r.status, 400 | 404), "{segment:?}: {}", r.status);
    }
    n
}

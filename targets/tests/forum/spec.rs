//! The routes against the spec, the spec's shape, the identities file against the live service,
//! and the conformance checker the other tests rely on.

use super::*;

#[test]
fn routes_and_spec_operations_are_the_same_set() {
    let routed: BTreeSet<String> = Service::Forum
        .routes()
        .into_iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let declared = spec_operations(&spec());
    assert_eq!(routed, declared);
    assert_eq!(declared.len(), 15);
}

/// The idioms the forum exists for are in its spec, and every answer shape is declared.
#[test]
fn the_spec_has_the_third_party_idioms() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.0.3");
    assert_eq!(spec["security"], json!([{"bearerAuth": []}]));
    let ops = spec_operations(&spec);
    let with_id = ops
        .iter()
        .filter(|op| operation(&spec, op).get("operationId").is_some())
        .count();
    assert!(
        with_id > 0 && with_id < ops.len(),
        "some operations have ids, some not: {with_id}/{}",
        ops.len()
    );
    let user = &spec["components"]["schemas"]["User"]["properties"];
    assert_eq!(user["role"]["readOnly"], true);
    assert_eq!(user["apiSecret"]["readOnly"], true);
    assert_eq!(user["email"]["format"], "email");
    let notebook = &spec["components"]["schemas"]["Notebook"]["properties"];
    assert_eq!(notebook["createdBy"]["format"], "email");
    let patch = &spec["components"]["schemas"]["MeUpdate"]["properties"];
    assert!(patch.get("role").is_none(), "the update schema has no role");
    let created = &operation(&spec, CREATE_NOTEBOOK)["responses"]["201"];
    assert_eq!(created["headers"]["Location"]["required"], true);
    assert!(created.get("content").is_none(), "an empty 201");
    assert_eq!(
        operation(&spec, ADMIN_USERS)["tags"],
        json!(["admin"]),
        "the admin operation is tagged"
    );
    for op in &ops {
        let responses = operation(&spec, op)["responses"]
            .as_object()
            .expect("responses");
        assert!(!responses.contains_key("403"), "{op}: this API answers 401");
        for (status, r) in responses {
            if status.starts_with('4') {
                let schema = &deref(&spec, r)["content"]["application/json"]["schema"];
                assert_eq!(
                    schema["$ref"], "#/components/schemas/Error",
                    "{op} {status}"
                );
            }
        }
        let public = operation(&spec, op).get("security") == Some(&json!([]));
        assert_eq!(
            responses.contains_key("401"),
            !public || op == LOGIN,
            "{op}: 401 exactly where a token is needed (and for a failed login)"
        );
    }
}

/// The identities file: the three seeded accounts log in as it says and have the roles it
/// says; its public operations are exactly the spec's; reset is `POST /__reset`.
#[tokio::test]
async fn the_identities_file_matches_the_service() {
    let file = identities();
    let names: Vec<(&str, &str)> = file
        .identity
        .iter()
        .map(|i| (i.name.as_str(), i.role.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("alice", "user"),
            ("bob", "user"),
            ("root", "admin"),
            ("anon", "anonymous")
        ]
    );
    assert_eq!(file.target["reset"].as_str(), Some("POST /__reset"));
    assert_eq!(
        file.policy["admin_operations"],
        toml::Value::Array(vec![toml::Value::String("tag:admin".into())])
    );
    let spec = spec();
    let public_in_spec: BTreeSet<String> = spec_operations(&spec)
        .into_iter()
        .filter(|op| operation(&spec, op).get("security") == Some(&json!([])))
        .collect();
    let public_in_file: BTreeSet<String> = file.policy["public_operations"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect();
    assert_eq!(public_in_spec, public_in_file);
    let api = Api::start(Mode::Secure);
    for identity in file.identity.iter().filter(|i| i.auth.is_some()) {
        let login = &identity.auth.as_ref().expect("auth")["login"];
        assert_eq!(login["operation"].as_str(), Some(LOGIN));
        assert_eq!(login["token"].as_str(), Some("/token"));
        let token = api.login(&identity.name).await;
        assert_eq!(token.split('.').count(), 3, "a JWT-shaped token");
        let me = api.get(ME, &[], &token).await;
        assert_eq!(me.body["username"], identity.name.as_str());
        assert_eq!(me.body["role"], identity.role.as_str());
        assert_eq!(
            me.body["email"],
            format!("{}@forum.test", identity.name).as_str()
        );
    }
}

/// The checker behind every test: it rejects what the oracles would report.
#[test]
fn the_conformance_checker_catches_bad_answers() {
    let spec = spec();
    let answer = |status: u16, body: Value| Resp {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        raw: body.to_string(),
        body,
    };
    let good = json!({"username": "alice", "email": "alice@forum.test", "bio": "",
                      "role": "user", "apiSecret": "fsk_x"});
    assert!(conformance(&spec, ME, &answer(200, good.clone())).is_ok());
    let kind = |op: &str, r: &Resp| conformance(&spec, op, r).err().map(|e| e.0);
    for (field, value) in [
        ("email", json!("not-an-email")),
        ("role", json!("superuser")),
        ("extra", json!(1)),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        assert_eq!(
            kind(ME, &answer(200, bad)),
            Some(oracle::SCHEMA_CONFORMANCE),
            "{field}"
        );
    }
    assert_eq!(
        kind(ME, &answer(403, json!({"error": "x"}))),
        Some(oracle::STATUS_CONFORMANCE)
    );
    assert_eq!(
        kind(ME, &answer(500, json!({"error": "x"}))),
        Some(oracle::SERVER_ERROR)
    );
    let no_location = Resp {
        status: 201,
        headers: vec![],
        raw: String::new(),
        body: Value::Null,
    };
    assert_eq!(
        kind(CREATE_NOTEBOOK, &no_location),
        Some(oracle::SCHEMA_CONFORMANCE)
    );
    let notebook = json!({"name": "n", "content": "", "createdBy": "alice"});
    assert_eq!(
        kind(NOTEBOOK, &answer(200, notebook)),
        Some(oracle::SCHEMA_CONFORMANCE),
        "createdBy is an email"
    );
    let mut text = answer(401, json!({"error": "x"}));
    text.headers = vec![("content-type".into(), "text/plain".into())];
    assert_eq!(kind(ME, &text), Some(oracle::SCHEMA_CONFORMANCE));
}

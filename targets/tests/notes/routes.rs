//! Routes, spec and manifest.

use super::*;

#[test]
fn routes_and_spec_operations_are_the_same() {
    let routed: BTreeSet<(String, String)> = Service::Notes.routes().into_iter().collect();
    let specified = spec_operations(&spec());
    let unspecified: Vec<_> = routed.difference(&specified).collect();
    let unrouted: Vec<_> = specified.difference(&routed).collect();
    assert!(
        unspecified.is_empty(),
        "routed but not in the spec: {unspecified:?}"
    );
    assert!(
        unrouted.is_empty(),
        "in the spec but not routed: {unrouted:?}"
    );
}

#[test]
fn spec_is_openapi_3_1_with_complete_operations() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    let ops = spec_operations(&spec);
    assert!(ops.len() >= 15, "only {} operations", ops.len());
    let mut ids = BTreeSet::new();
    for (method, path) in &ops {
        let op = &spec["paths"][path][method.to_lowercase()];
        let id = op["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path} has no tags"
        );
        let public = op.get("security") == Some(&json!([]));
        assert_eq!(
            public,
            (method.as_str(), path.as_str()) == ("GET", "/shares/{shareId}")
        );
        let responses = op["responses"].as_object().expect("responses");
        if !public {
            assert!(responses.contains_key("401"), "{method} {path} lacks 401");
        }
        if path.contains('{') || op.get("requestBody").is_some() {
            assert!(responses.contains_key("400"), "{method} {path} lacks 400");
        }
        let admin = path.starts_with("/admin/");
        let tagged_admin = op["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("admin")));
        assert_eq!(admin, tagged_admin, "{method} {path}: admin tag vs path");
        for (status, resp) in responses {
            let resp = deref(&spec, resp);
            if status != "204" {
                assert!(
                    resp["content"]["application/json"]["schema"].is_object(),
                    "{method} {path} {status} has no JSON schema"
                );
            }
        }
    }
    // 3.1 idioms: a type array with "null", a const, examples.
    let text = Service::Notes.spec_yaml();
    assert!(text.contains("type: [string, \"null\"]"));
    assert!(text.contains("const: read"));
    assert!(text.contains("examples:"));
    assert_eq!(
        spec["components"]["securitySchemes"]["apiKey"]["name"],
        "X-Api-Key"
    );
}

#[tokio::test]
async fn openapi_json_serves_the_spec() {
    let api = Api::start(Mode::Secure);
    let r = reqwest::get(format!("{}/openapi.json", api.running.url()))
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 200);
    let served: Value = r.json().await.expect("json");
    assert_eq!(served, spec());
}

#[test]
fn manifest_names_spec_operations_on_distinct_operations() {
    let spec = spec();
    let ops = spec_operations(&spec);
    let bugs = planted::manifest(Service::Notes);
    assert!(bugs.len() >= 12);
    let mut by_bug: std::collections::BTreeMap<&str, BTreeSet<&str>> = Default::default();
    let mut pairs = BTreeSet::new();
    for b in bugs {
        assert_eq!(b.service, Service::Notes);
        let (m, p) = b.operation.split_once(' ').expect("METHOD /path");
        assert!(
            ops.contains(&(m.to_string(), p.to_string())),
            "{} not in spec",
            b.operation
        );
        assert!(pairs.insert((b.oracle, b.operation)), "duplicate {b:?}");
        assert!(!b.roles.is_empty() && b.min_steps >= 1);
        by_bug.entry(b.bug).or_default().insert(b.operation);
    }
    assert_eq!(by_bug.len(), 11, "eleven planted bugs");
    let operations: BTreeSet<&str> = by_bug.values().flatten().copied().collect();
    assert_eq!(operations.len(), 11, "each bug on its own operation");
    let hierarchy: BTreeSet<&str> = bugs
        .iter()
        .filter(|b| b.bug == "notes-hierarchy-comment")
        .map(|b| b.oracle)
        .collect();
    assert_eq!(
        hierarchy,
        BTreeSet::from([oracle::RESOURCE_HIERARCHY, oracle::BOLA])
    );
}

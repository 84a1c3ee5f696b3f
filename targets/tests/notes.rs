//! The `notes` demo service: routes against its spec, every planted bug present in the
//! vulnerable mode and absent in the secure mode, reset, credentials, and secure-mode
//! conformance (every answer of the secure mode in these tests is checked against the spec).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use trespass_targets::planted::{self, oracle};
use trespass_targets::{Mode, Running, Service};

// ---------------------------------------------------------------------------------------------
// spec helpers

fn spec() -> Value {
    serde_yaml_ng::from_str(Service::Notes.spec_yaml()).expect("notes spec parses")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every (METHOD, path) of the spec.
fn spec_operations(spec: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Follows a local `$ref` once (responses, parameters).
fn deref<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => spec
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => v,
    }
}

/// What the spec declares for `status` of an operation: `None` if undeclared, else the JSON
/// schema of its `application/json` content (`None` inside when there is no content).
fn declared(spec: &Value, method: &str, path: &str, status: u16) -> Option<Option<Value>> {
    let op = &spec["paths"][path][method.to_lowercase()];
    assert!(op.is_object(), "no operation {method} {path} in the spec");
    let resp = op["responses"].get(status.to_string())?;
    let resp = deref(spec, resp);
    Some(
        resp.get("content")
            .map(|c| c["application/json"]["schema"].clone()),
    )
}

/// Validates `instance` against `schema` (which may `$ref` into the spec's components), with
/// formats asserted.
fn schema_errors(spec: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": spec["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .expect("response schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Why an answer does not conform to the spec, if it does not.
fn nonconformance(spec: &Value, method: &str, path: &str, r: &Resp) -> Option<String> {
    match declared(spec, method, path, r.status) {
        None => Some(format!("{method} {path}: undeclared status {}", r.status)),
        Some(None) => (!r.raw.is_empty())
            .then(|| format!("{method} {path}: {} has a body but declares none", r.status)),
        Some(Some(schema)) => {
            if !r.content_type.starts_with("application/json") {
                return Some(format!(
                    "{method} {path}: {} content type {:?}",
                    r.status, r.content_type
                ));
            }
            let errors = schema_errors(spec, &schema, &r.body);
            (!errors.is_empty()).then(|| {
                format!(
                    "{method} {path}: {} body {} does not match: {errors:?}",
                    r.status, r.body
                )
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// identities

struct Keys {
    alice: String,
    bob: String,
    dana: String,
}

#[derive(serde::Deserialize)]
struct IdentityFile {
    identity: Vec<Identity>,
}

#[derive(serde::Deserialize)]
struct Identity {
    name: String,
    role: String,
    #[serde(default)]
    auth: Option<toml::Value>,
}

fn identities() -> Vec<Identity> {
    toml::from_str::<IdentityFile>(Service::Notes.identities_toml())
        .expect("identities file parses")
        .identity
}

fn keys() -> Keys {
    let ids = identities();
    let key = |name: &str| -> String {
        let id = ids
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("identity {name}"));
        let auth = id.auth.as_ref().expect("auth");
        assert_eq!(auth["api_key"]["name"].as_str(), Some("X-Api-Key"));
        assert_eq!(auth["api_key"]["in"].as_str(), Some("header"));
        auth["api_key"]["value"]
            .as_str()
            .expect("api key value")
            .to_string()
    };
    Keys {
        alice: key("alice"),
        bob: key("bob"),
        dana: key("dana"),
    }
}

// ---------------------------------------------------------------------------------------------
// client

#[derive(Debug)]
struct Resp {
    status: u16,
    body: Value,
    raw: String,
    content_type: String,
    location: Option<String>,
}

enum Body<'a> {
    None,
    Json(Value),
    Raw(&'a str, Option<&'a str>),
}

/// A client for one running notes service. In secure mode every answer is checked against
/// the spec and a non-conforming one fails the test.
struct Api {
    running: Running,
    client: reqwest::Client,
    spec: Value,
    keys: Keys,
}

impl Api {
    fn start(mode: Mode) -> Api {
        Api {
            running: trespass_targets::start(Service::Notes, mode, 0).expect("notes starts"),
            client: reqwest::Client::new(),
            spec: spec(),
            keys: keys(),
        }
    }

    fn secure(&self) -> bool {
        self.running.mode() == Mode::Secure
    }

    /// Sends `method` to `template` (`/teams/{teamId}?q=x`) with its `{params}` replaced in
    /// order by `params`.
    async fn send(
        &self,
        method: &str,
        template: &str,
        params: &[&str],
        key: Option<&str>,
        body: Body<'_>,
    ) -> Resp {
        let (path_t, query) = match template.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (template, None),
        };
        let mut path = String::new();
        let mut rest = path_t;
        let mut params = params.iter();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').expect("closing brace") + open;
            path.push_str(&rest[..open]);
            path.push_str(params.next().expect("enough params"));
            rest = &rest[close + 1..];
        }
        path.push_str(rest);
        let url = match query {
            Some(q) => format!("{}{path}?{q}", self.running.url()),
            None => format!("{}{path}", self.running.url()),
        };
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(m, url);
        if let Some(key) = key {
            req = req.header("X-Api-Key", key);
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Raw(text, ct) => {
                let req = req.body(text.to_string());
                match ct {
                    Some(ct) => req.header("content-type", ct),
                    None => req,
                }
            }
        };
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let raw = resp.text().await.expect("body read");
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        let r = Resp {
            status,
            body,
            raw,
            content_type,
            location,
        };
        if self.secure()
            && let Some(why) = nonconformance(&self.spec, method, path_t, &r)
        {
            panic!("secure mode does not conform: {why}");
        }
        r
    }

    async fn get(&self, template: &str, params: &[&str], key: &str) -> Resp {
        self.send("GET", template, params, Some(key), Body::None)
            .await
    }

    async fn reset(&self) {
        let r = self
            .client
            .post(format!("{}/__reset", self.running.url()))
            .send()
            .await
            .expect("reset sent");
        assert_eq!(r.status().as_u16(), 204);
    }

    /// The seeded objects, discovered through the API.
    async fn seed(&self) -> Seed {
        let me = |key: String| async move {
            let r = self.get("/me", &[], &key).await;
            assert_eq!(r.status, 200, "{r:?}");
            s(&r.body["id"])
        };
        let alice = me(self.keys.alice.clone()).await;
        let bob = me(self.keys.bob.clone()).await;
        let first = |key: String| async move {
            let teams = self.get("/teams", &[], &key).await;
            assert_eq!(teams.status, 200);
            let team = s(&teams.body[0]["id"]);
            let docs = self.get("/teams/{teamId}/documents", &[&team], &key).await;
            assert_eq!(docs.status, 200);
            let doc = s(&docs.body[0]["id"]);
            let comments = self
                .get(
                    "/teams/{teamId}/documents/{documentId}/comments",
                    &[&team, &doc],
                    &key,
                )
                .await;
            assert_eq!(comments.status, 200);
            (team, doc, s(&comments.body[0]["id"]))
        };
        let (alice_team, alice_doc, alice_comment) = first(self.keys.alice.clone()).await;
        let (bob_team, bob_doc, bob_comment) = first(self.keys.bob.clone()).await;
        Seed {
            alice,
            bob,
            alice_team,
            alice_doc,
            alice_comment,
            bob_team,
            bob_doc,
            bob_comment,
        }
    }
}

struct Seed {
    alice: String,
    bob: String,
    alice_team: String,
    alice_doc: String,
    alice_comment: String,
    bob_team: String,
    bob_doc: String,
    bob_comment: String,
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_string()
}

const DOC: &str = "/teams/{teamId}/documents/{documentId}";
const COMMENTS: &str = "/teams/{teamId}/documents/{documentId}/comments";
const COMMENT: &str = "/teams/{teamId}/documents/{documentId}/comments/{commentId}";

const MODES: [Mode; 2] = [Mode::Vulnerable, Mode::Secure];

async fn post_comment(api: &Api, seed: &Seed, body: String) -> Resp {
    api.send(
        "POST",
        COMMENTS,
        &[&seed.alice_team, &seed.alice_doc],
        Some(&api.keys.alice),
        Body::Json(json!({ "body": body })),
    )
    .await
}

async fn add_member(api: &Api, team: &str, user: &str) -> Resp {
    api.send(
        "POST",
        "/teams/{teamId}/members",
        &[team],
        Some(&api.keys.alice),
        Body::Json(json!({ "userId": user })),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// routes, spec, manifest

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

// ---------------------------------------------------------------------------------------------
// one test per planted bug, both modes

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

// ---------------------------------------------------------------------------------------------
// reset and credentials

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

// ---------------------------------------------------------------------------------------------
// secure-mode conformance

/// Every operation of the spec, with malformed and hostile inputs, in secure mode: only
/// declared statuses, bodies matching their schemas (checked by `Api::send`), `{error}` on
/// every 4xx, and never a 5xx.
#[tokio::test]
async fn secure_mode_answers_malformed_input_as_declared() {
    let (answered, deviations) = sweep(Mode::Secure).await;
    assert!(answered > 300, "only {answered} requests");
    assert!(deviations.is_empty(), "{deviations:?}");
}

/// The same sweep in vulnerable mode: the only operations that answer outside the spec are
/// those with a planted server-error, status or schema bug (the sweep reaches the long-comment
/// 500; the other two need states it does not build).
#[tokio::test]
async fn vulnerable_mode_deviates_only_on_planted_conformance_bugs() {
    let (answered, deviations) = sweep(Mode::Vulnerable).await;
    assert!(answered > 300, "only {answered} requests");
    let planted: BTreeSet<String> = planted::manifest(Service::Notes)
        .iter()
        .filter(|b| {
            [
                oracle::SERVER_ERROR,
                oracle::STATUS_CONFORMANCE,
                oracle::SCHEMA_CONFORMANCE,
            ]
            .contains(&b.oracle)
        })
        .map(|b| b.operation.to_string())
        .collect();
    let seen: BTreeSet<String> = deviations.iter().map(|(op, _)| op.clone()).collect();
    assert!(
        seen.is_subset(&planted),
        "unplanted deviations: {deviations:?}"
    );
    assert!(
        seen.contains("POST /teams/{teamId}/documents/{documentId}/comments"),
        "{deviations:?}"
    );
}

/// Sends malformed and hostile requests to every operation; returns how many it sent and the
/// answers that do not conform to the spec (never any in secure mode: `Api::send` panics).
async fn sweep(mode: Mode) -> (usize, Vec<(String, String)>) {
    let api = Api::start(mode);
    let spec = spec();
    let mut answered = 0usize;
    let mut deviations = Vec::new();
    for (method, path) in spec_operations(&spec) {
        api.reset().await;
        let seed = api.seed().await;
        let share = api
            .send(
                "POST",
                "/teams/{teamId}/documents/{documentId}/shares",
                &[&seed.alice_team, &seed.alice_doc],
                Some(&api.keys.alice),
                Body::None,
            )
            .await;
        let share = s(&share.body["id"]);
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let valid: Vec<String> = names
            .iter()
            .map(|n| match *n {
                "teamId" => seed.alice_team.clone(),
                "documentId" => seed.alice_doc.clone(),
                "commentId" => seed.alice_comment.clone(),
                "shareId" => share.clone(),
                "userId" => seed.bob.clone(),
                other => panic!("unexpected parameter {other}"),
            })
            .collect();
        let refs = |v: &[String]| v.to_vec();
        let mut param_sets: Vec<Vec<String>> = Vec::new();
        for i in 0..valid.len() {
            for bad in [
                "not-a-uuid",
                "00000000-0000-4000-8000-000000000000",
                "12345",
                "%F0%9F%92%A9",
            ] {
                let mut v = refs(&valid);
                v[i] = bad.to_string();
                param_sets.push(v);
            }
        }
        // the other tenant's ids under alice's path and vice versa
        param_sets.push(
            names
                .iter()
                .map(|n| match *n {
                    "teamId" => seed.bob_team.clone(),
                    "documentId" => seed.bob_doc.clone(),
                    "commentId" => seed.bob_comment.clone(),
                    "shareId" => share.clone(),
                    _ => seed.alice.clone(),
                })
                .collect(),
        );
        let bodies: Vec<Body<'_>> = vec![
            Body::Raw("{", Some("application/json")),
            Body::Raw("[]", Some("application/json")),
            Body::Raw("null", Some("application/json")),
            Body::Raw("name=x", Some("application/x-www-form-urlencoded")),
            Body::Raw("{\"title\":\"x\"}", None),
            Body::Json(json!({"body": "x".repeat(2001)})),
            Body::Json(json!({"unexpected": true})),
            Body::Json(
                json!({"name": 5, "title": 5, "body": 5, "userId": 5, "plan": 5, "status": 5}),
            ),
            Body::Json(
                json!({"name": "", "title": "", "body": "", "userId": "nope", "plan": "gold", "status": "deleted"}),
            ),
            Body::Json(
                json!({"name": "x".repeat(101), "title": "x".repeat(201), "body": "x".repeat(20001), "description": "x".repeat(501)}),
            ),
            Body::Json(
                json!({"id": seed.bob, "ownerId": seed.bob, "authorId": seed.bob, "plan": "enterprise", "role": "admin"}),
            ),
        ];
        let has_body = spec["paths"][&path][method.to_lowercase()]
            .get("requestBody")
            .is_some();
        let mut cases: Vec<(Vec<String>, Option<String>, Body<'_>)> = vec![
            (valid.clone(), None, Body::None),
            (valid.clone(), Some("nk_nobody".into()), Body::None),
            (valid.clone(), Some("".into()), Body::None),
            (valid.clone(), Some(api.keys.bob.clone()), Body::None),
        ];
        for p in param_sets {
            cases.push((p, Some(api.keys.alice.clone()), Body::None));
        }
        if has_body {
            for b in bodies {
                cases.push((valid.clone(), Some(api.keys.alice.clone()), b));
            }
        }
        let mut queries = vec![String::new()];
        if method == "GET" && (path.ends_with("/documents") || path == "/admin/audit-log") {
            queries.extend(
                [
                    "?status=bogus",
                    "?q=",
                    "?q=a&q=b",
                    "?limit=0",
                    "?limit=201",
                    "?limit=-1",
                    "?limit=abc",
                    "?status=archived&q=x",
                ]
                .map(str::to_string),
            );
        }
        for (params, key, body) in cases {
            let params: Vec<&str> = params.iter().map(String::as_str).collect();
            let r = api
                .send(&method, &path, &params, key.as_deref(), body)
                .await;
            answered += 1;
            if let Some(why) = nonconformance(&spec, &method, &path, &r) {
                deviations.push((format!("{method} {path}"), why));
            } else if r.status >= 400 {
                assert!(r.body["error"].is_string(), "{method} {path}: {r:?}");
            }
        }
        for q in queries.iter().skip(1) {
            for key in [
                Some(api.keys.alice.as_str()),
                Some(api.keys.dana.as_str()),
                None,
            ] {
                let t = format!("{path}{q}");
                let r = api
                    .send(
                        &method,
                        &t,
                        &valid.iter().map(String::as_str).collect::<Vec<_>>(),
                        key,
                        Body::None,
                    )
                    .await;
                answered += 1;
                if let Some(why) = nonconformance(&spec, &method, &path, &r) {
                    deviations.push((format!("{method} {path}"), why));
                }
            }
        }
    }
    (answered, deviations)
}

/// A realistic session touching every operation with valid input, in secure mode; every
/// answer is checked against the spec by `Api::send`.
#[tokio::test]
async fn secure_mode_happy_path_conforms() {
    let api = Api::start(Mode::Secure);
    let seed = api.seed().await;
    let (a, b, d) = (&api.keys.alice, &api.keys.bob, &api.keys.dana);
    let team = api
        .send(
            "POST",
            "/teams",
            &[],
            Some(a),
            Body::Json(json!({"name": "Design", "description": null})),
        )
        .await;
    assert_eq!(team.status, 201);
    let t = s(&team.body["id"]);
    let patched = api
        .send(
            "PATCH",
            "/teams/{teamId}",
            &[&t],
            Some(a),
            Body::Json(json!({"description": "UI and UX"})),
        )
        .await;
    assert_eq!(patched.body["description"], "UI and UX");
    let cleared = api
        .send(
            "PATCH",
            "/teams/{teamId}",
            &[&t],
            Some(a),
            Body::Json(json!({"description": null})),
        )
        .await;
    assert_eq!(cleared.body["description"], Value::Null);
    let added = api
        .send(
            "POST",
            "/teams/{teamId}/members",
            &[&t],
            Some(a),
            Body::Json(json!({"userId": seed.bob})),
        )
        .await;
    assert_eq!(added.status, 201);
    assert_eq!(
        api.get("/teams/{teamId}/members", &[&t], b)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        api.get("/teams/{teamId}", &[&t], b).await.body["memberCount"],
        2
    );
    let doc = api
        .send(
            "POST",
            "/teams/{teamId}/documents",
            &[&t],
            Some(b),
            Body::Json(json!({"title": "Palette"})),
        )
        .await;
    assert_eq!(doc.status, 201);
    let dd = s(&doc.body["id"]);
    assert_eq!(doc.location, Some(format!("/teams/{t}/documents/{dd}")));
    assert_eq!(doc.body["body"], "");
    let c = api
        .send(
            "POST",
            COMMENTS,
            &[&t, &dd],
            Some(a),
            Body::Json(json!({"body": "More contrast"})),
        )
        .await;
    assert_eq!(c.status, 201);
    let cc = s(&c.body["id"]);
    assert_eq!(
        api.get(COMMENT, &[&t, &dd, &cc], b).await.body["body"],
        "More contrast"
    );
    // bob (the document's author, not the comment's) may not delete alice's comment
    let denied = api
        .send("DELETE", COMMENT, &[&t, &dd, &cc], Some(b), Body::None)
        .await;
    assert_eq!(denied.status, 403);
    let share = api
        .send(
            "POST",
            "/teams/{teamId}/documents/{documentId}/shares",
            &[&t, &dd],
            Some(b),
            Body::None,
        )
        .await;
    let sh = s(&share.body["id"]);
    assert_eq!(share.body["access"], "read");
    assert_eq!(
        api.send("GET", "/shares/{shareId}", &[&sh], None, Body::None)
            .await
            .status,
        200
    );
    // the team owner may revoke a member's link
    assert_eq!(
        api.send("DELETE", "/shares/{shareId}", &[&sh], Some(a), Body::None)
            .await
            .status,
        204
    );
    assert_eq!(
        api.get("/documents?q=palette&status=active", &[], b)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        api.get("/admin/users", &[], d)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(
        api.get("/admin/audit-log?limit=2", &[], d)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let plan = api
        .send(
            "PUT",
            "/admin/teams/{teamId}/plan",
            &[&t],
            Some(d),
            Body::Json(json!({"plan": "enterprise"})),
        )
        .await;
    assert_eq!(plan.body["plan"], "enterprise");
    assert_eq!(
        api.send("DELETE", COMMENT, &[&t, &dd, &cc], Some(a), Body::None)
            .await
            .status,
        204
    );
    assert_eq!(api.get(COMMENT, &[&t, &dd, &cc], a).await.status, 404);
    assert_eq!(
        api.send("DELETE", DOC, &[&t, &dd], Some(a), Body::None)
            .await
            .status,
        204
    );
    assert_eq!(api.get(DOC, &[&t, &dd], b).await.status, 404);
    assert_eq!(
        api.get("/teams", &[], b)
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let suspended = api
        .send(
            "POST",
            "/admin/users/{userId}/suspend",
            &[&seed.bob],
            Some(d),
            Body::None,
        )
        .await;
    assert_eq!(suspended.body["suspended"], true);
    assert_eq!(api.get("/teams", &[], b).await.status, 401);
}

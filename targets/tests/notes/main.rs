//! The `notes` demo service: routes against its spec, every planted bug present in the
//! vulnerable mode and absent in the secure mode, reset, credentials, and secure-mode
//! conformance (every answer of the secure mode in these tests is checked against the spec).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use trespass_targets::planted::{self, oracle};
use trespass_targets::{Mode, Running, Service};

mod bugs;
mod conformance;
mod reset;
mod routes;

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

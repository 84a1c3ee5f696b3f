//! The `forum` demo service over real HTTP: routes against its spec, every planted bug present
//! in the vulnerable mode and absent in the secure mode, reset, the identities file, and
//! conformance. Every answer of either mode in these tests is checked against the spec (the
//! forum's planted bugs are all authorization bugs: no mode may answer outside its spec).

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::{Value, json};
use trespass_targets::planted::{self, oracle};
use trespass_targets::{Mode, Running, Service};

mod bugs;
mod reset;
mod spec;
mod sweep;

const MODES: [Mode; 2] = [Mode::Vulnerable, Mode::Secure];

// ---------------------------------------------------------------------------------------------
// spec helpers

fn spec() -> Value {
    serde_yaml_ng::from_str(Service::Forum.spec_yaml()).expect("the forum spec parses")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation of the spec as `"METHOD /path"`.
fn spec_operations(spec: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                ops.insert(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    ops
}

fn operation<'a>(spec: &'a Value, op: &str) -> &'a Value {
    let (method, path) = op.split_once(' ').expect("METHOD /path");
    let found = &spec["paths"][path][method.to_lowercase()];
    assert!(found.is_object(), "no operation {op} in the spec");
    found
}

/// Follows a local `$ref` once.
fn deref<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => spec
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => v,
    }
}

/// The declared statuses of `op`.
fn declared_statuses(spec: &Value, op: &str) -> BTreeSet<u16> {
    operation(spec, op)["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .map(|k| k.parse().expect("numeric status"))
        .collect()
}

/// Why an answer to `op` does not conform to the spec, named by the oracle that would report
/// it.
fn conformance(spec: &Value, op: &str, r: &Resp) -> Result<(), (&'static str, String)> {
    if r.status >= 500 {
        return Err((
            oracle::SERVER_ERROR,
            format!("{op}: {} {}", r.status, r.raw),
        ));
    }
    let Some(declared) = operation(spec, op)["responses"].get(r.status.to_string()) else {
        return Err((
            oracle::STATUS_CONFORMANCE,
            format!("{op}: undeclared {} {}", r.status, r.raw),
        ));
    };
    let declared = deref(spec, declared);
    if let Some(headers) = declared.get("headers").and_then(Value::as_object) {
        for (name, h) in headers {
            if h["required"] == json!(true) && r.header(name).is_none() {
                return Err((
                    oracle::SCHEMA_CONFORMANCE,
                    format!("{op}: {} lacks the required header {name}", r.status),
                ));
            }
        }
    }
    let Some(content) = declared.get("content") else {
        return if r.raw.is_empty() {
            Ok(())
        } else {
            Err((
                oracle::SCHEMA_CONFORMANCE,
                format!("{op}: {} declares no body but got {}", r.status, r.raw),
            ))
        };
    };
    let ct = r.header("content-type").unwrap_or_default();
    if !ct.starts_with("application/json") {
        return Err((
            oracle::SCHEMA_CONFORMANCE,
            format!("{op}: {} content type `{ct}`", r.status),
        ));
    }
    let body: Value = serde_json::from_str(&r.raw).map_err(|e| {
        (
            oracle::SCHEMA_CONFORMANCE,
            format!("{op}: {} body is not JSON ({e}): {}", r.status, r.raw),
        )
    })?;
    let errors = schema_errors(spec, &content["application/json"]["schema"], &body);
    if errors.is_empty() {
        Ok(())
    } else {
        Err((
            oracle::SCHEMA_CONFORMANCE,
            format!("{op}: {} {}: {}", r.status, r.raw, errors.join("; ")),
        ))
    }
}

/// Validates `instance` against `schema` (which may `$ref` into the spec's components), with
/// formats asserted.
fn schema_errors(spec: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut schema = schema.clone();
    schema["components"] = spec["components"].clone();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("a valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// identities

#[derive(serde::Deserialize)]
struct IdentityFile {
    identity: Vec<Identity>,
    policy: toml::Value,
    target: toml::Value,
}

#[derive(serde::Deserialize)]
struct Identity {
    name: String,
    role: String,
    #[serde(default)]
    auth: Option<toml::Value>,
}

fn identities() -> IdentityFile {
    toml::from_str(Service::Forum.identities_toml()).expect("the identities file parses")
}

/// The password of a seeded account, as the identities file logs in with it.
fn password_of(name: &str) -> String {
    let file = identities();
    let id = file
        .identity
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("identity {name}"));
    let login = &id.auth.as_ref().expect("auth")["login"];
    login["body"]["password"]
        .as_str()
        .expect("a password")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// client

/// One answer of the service.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    raw: String,
    body: Value,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request body.
enum Body<'a> {
    None,
    Json(Value),
    /// Raw text with an optional content type.
    Raw(&'a str, Option<&'a str>),
}

/// A forum running in one mode, with a client that checks every answer against the spec and
/// records which (operation, status) pairs it saw.
struct Api {
    running: Running,
    client: reqwest::Client,
    spec: Value,
    seen: Mutex<BTreeSet<(String, u16)>>,
}

impl Api {
    fn start(mode: Mode) -> Api {
        Api {
            running: trespass_targets::start(Service::Forum, mode, 0).expect("the forum starts"),
            client: reqwest::Client::new(),
            spec: spec(),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    fn mode(&self) -> Mode {
        self.running.mode()
    }

    /// Sends `op` (`"METHOD /path/{template}"`) with its `{params}` replaced in order by
    /// `path` (raw: the caller percent-encodes), as the holder of `token`.
    async fn send(&self, op: &str, path: &[&str], token: Option<&str>, body: Body<'_>) -> Resp {
        let (method, template) = op.split_once(' ').expect("METHOD /path");
        let mut url = self.running.url().to_string();
        let mut rest = template;
        let mut params = path.iter();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').expect("closing brace") + open;
            url.push_str(&rest[..open]);
            url.push_str(params.next().expect("enough path values"));
            rest = &rest[close + 1..];
        }
        url.push_str(rest);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, url);
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
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
        let res = req.send().await.expect("the forum answers");
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let raw = res.text().await.expect("a readable body");
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        let r = Resp {
            status,
            headers,
            raw,
            body,
        };
        if let Err((oracle, why)) = conformance(&self.spec, op, &r) {
            panic!("{:?} mode does not conform ({oracle}): {why}", self.mode());
        }
        self.seen
            .lock()
            .expect("not poisoned")
            .insert((op.to_string(), status));
        r
    }

    async fn json(&self, op: &str, path: &[&str], token: Option<&str>, body: Value) -> Resp {
        self.send(op, path, token, Body::Json(body)).await
    }

    async fn get(&self, op: &str, path: &[&str], token: &str) -> Resp {
        self.send(op, path, Some(token), Body::None).await
    }

    /// Signs in; `None` if the service refuses the credentials.
    async fn try_login(&self, username: &str, password: &str) -> Option<String> {
        let r = self
            .json(
                LOGIN,
                &[],
                None,
                json!({ "username": username, "password": password }),
            )
            .await;
        match r.status {
            200 => Some(r.body["token"].as_str().expect("a token").to_string()),
            401 => None,
            other => panic!("login of {username}: {other} {}", r.raw),
        }
    }

    async fn login(&self, name: &str) -> String {
        let password = password_of(name);
        self.try_login(name, &password)
            .await
            .unwrap_or_else(|| panic!("{name} signs in"))
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

    /// The snippet list as (title, author), as `token` sees it.
    async fn snippets(&self, token: &str) -> Vec<(String, String)> {
        let r = self.get(SNIPPETS, &[], token).await;
        assert_eq!(r.status, 200, "{}", r.raw);
        r.body
            .as_array()
            .expect("a list")
            .iter()
            .map(|s| (text(&s["title"]), text(&s["author"])))
            .collect()
    }
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_string()
}

/// Percent-encodes `raw` as one path segment, as trespass's executor does.
fn segment(raw: &str) -> String {
    let mut out = String::new();
    for byte in raw.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

const LOGIN: &str = "POST /api/v2/auth/login";
const REGISTER: &str = "POST /api/v2/users";
const USERS: &str = "GET /api/v2/users";
const PROFILE: &str = "GET /api/v2/users/{username}";
const PASSWORD: &str = "PUT /api/v2/users/{username}/password";
const ME: &str = "GET /api/v2/me";
const UPDATE_ME: &str = "PATCH /api/v2/me";
const ADMIN_USERS: &str = "GET /api/v2/admin/users";
const CREATE_SNIPPET: &str = "POST /api/v2/snippets";
const SNIPPETS: &str = "GET /api/v2/snippets";
const SNIPPET: &str = "GET /api/v2/snippets/{title}";
const DELETE_SNIPPET: &str = "DELETE /api/v2/snippets/{title}";
const CREATE_NOTEBOOK: &str = "POST /notebooks/v1";
const NOTEBOOK: &str = "GET /notebooks/v1/{name}";
const REPLACE_NOTEBOOK: &str = "PUT /notebooks/v1/{name}";

/// Bug ids of the manifest.
fn planted_bug_ids() -> BTreeSet<&'static str> {
    planted::manifest(Service::Forum)
        .iter()
        .map(|b| b.bug)
        .collect()
}

//! The `shop` demo service against its spec, its identities file and its planted-bug manifest:
//! every planted bug is demonstrated in vulnerable mode and shown absent in secure mode, and a
//! spec-driven sweep of malformed requests checks that secure mode answers only declared
//! statuses with schema-valid bodies.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Value, json};
use trespass_targets::planted::{self, oracle};
use trespass_targets::{Mode, Running, Service};

mod bugs;
mod spec;
mod sweep;

const MODES: [Mode; 2] = [Mode::Vulnerable, Mode::Secure];

// ---------------------------------------------------------------------------------------------
// helpers

/// One answer of the service.
#[derive(Debug)]
struct Resp {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    raw: String,
    body: Value,
}

/// A shop running in one mode, with an HTTP client.
struct Shop {
    running: Running,
    http: reqwest::Client,
}

/// Bearer tokens of the seeded accounts.
struct Tokens {
    alice: String,
    bob: String,
    carol: String,
}

impl Shop {
    fn start(mode: Mode) -> Shop {
        let running = trespass_targets::start(Service::Shop, mode, 0).expect("shop starts");
        Shop {
            running,
            http: reqwest::Client::new(),
        }
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.running.url(), path));
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        if let Some((content_type, body)) = body {
            if !content_type.is_empty() {
                req = req.header("content-type", content_type);
            }
            req = req.body(body);
        }
        let res = req.send().await.expect("the shop answers");
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type");
        let location = header("location");
        let raw = res.text().await.expect("a readable body");
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            content_type,
            location,
            raw,
            body,
        }
    }

    /// A JSON request as the holder of `token` (`None`: no credentials).
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let body = body.map(|b| ("application/json", b.to_string()));
        self.request(method, path, auth.as_deref(), body).await
    }

    async fn login(&self, username: &str, password: &str) -> (String, i64) {
        let r = self
            .call(
                Method::POST,
                "/auth/login",
                None,
                Some(json!({ "username": username, "password": password })),
            )
            .await;
        assert_eq!(r.status, 200, "login of {username}: {}", r.raw);
        let token = r.body["accessToken"].as_str().expect("a token").to_string();
        let id = r.body["userId"].as_i64().expect("a user id");
        (token, id)
    }

    async fn tokens(&self) -> Tokens {
        Tokens {
            alice: self.login("alice", "alice-pass-1").await.0,
            bob: self.login("bob", "bob-pass-2").await.0,
            carol: self.login("carol", "carol-pass-3").await.0,
        }
    }

    async fn reset(&self) {
        let r = self.request(Method::POST, "/__reset", None, None).await;
        assert_eq!(r.status, 204);
    }
}

fn spec() -> Value {
    serde_yaml_ng::from_str(Service::Shop.spec_yaml()).expect("the shop spec parses")
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
    &spec["paths"][path][method.to_lowercase()]
}

fn deref<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            spec.pointer(pointer).expect("a resolvable $ref")
        }
        None => v,
    }
}

/// Why an answer does not conform to the spec, named by the oracle that would report it.
fn conformance(spec: &Value, op: &str, r: &Resp) -> Result<(), (&'static str, String)> {
    if r.status >= 500 {
        return Err((
            oracle::SERVER_ERROR,
            format!("{op}: {} {}", r.status, r.raw),
        ));
    }
    let responses = &operation(spec, op)["responses"];
    let Some(declared) = responses.get(r.status.to_string()) else {
        return Err((
            oracle::STATUS_CONFORMANCE,
            format!("{op}: undeclared {} {}", r.status, r.raw),
        ));
    };
    let declared = deref(spec, declared);
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
    let ct = r.content_type.as_deref().unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err((
            oracle::SCHEMA_CONFORMANCE,
            format!("{op}: {} content type `{ct}`", r.status),
        ));
    }
    let mut schema = content["application/json"]["schema"].clone();
    schema["components"] = spec["components"].clone();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("a valid schema");
    let body: Value = match serde_json::from_str(&r.raw) {
        Ok(v) => v,
        Err(e) => {
            return Err((
                oracle::SCHEMA_CONFORMANCE,
                format!("{op}: {} body is not JSON ({e}): {}", r.status, r.raw),
            ));
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err((
            oracle::SCHEMA_CONFORMANCE,
            format!("{op}: {} {}: {}", r.status, r.raw, errors.join("; ")),
        ))
    }
}

fn assert_conforms(spec: &Value, op: &str, r: &Resp) {
    if let Err((oracle, msg)) = conformance(spec, op, r) {
        panic!("{oracle}: {msg}");
    }
}

fn planted_bug_ids() -> BTreeSet<&'static str> {
    planted::manifest(Service::Shop)
        .iter()
        .map(|b| b.bug)
        .collect()
}

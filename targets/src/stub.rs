//! A generic, stateful stub of any OpenAPI document: a target for specs that have no service
//! at hand (benchmarks, smoke runs of real specs), not a demo with planted bugs.
//!
//! - `POST` to a collection (a path whose last segment is not a parameter, with an item path
//!   `…/{param}` beside it) stores the body with a fresh id (in the property the item path's
//!   parameter names, else `id`) and answers it with the first 2xx the operation declares;
//! - `GET`, `PUT`, `PATCH` and `DELETE` on an item path (`…/{param}`) answer the stored object
//!   (`DELETE`: the declared 2xx, no body), replace or merge it, for a stored id, and 404
//!   otherwise; `GET` on a collection lists what was stored under it (in the array the answer's
//!   schema has, or as the answer itself);
//! - any other operation answers its first declared 2xx with a body made from its schema;
//! - a required parameter or body that is missing, or a body that does not match its schema
//!   (`type`, `required`, `properties`, `items`, `enum`), gets 400; an operation with declared
//!   security and no credentials at all (no `Authorization`, no API key where the scheme puts
//!   it) gets 401. Any credentials are accepted: the stub knows no users, and every object is
//!   everyone's.
//!
//! `POST /__reset` forgets every object. Paths match with or without the base path of the
//! first server (`servers[0].url`, Swagger 2 `basePath`).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// How deep `$ref`s and schemas are followed.
const MAX_DEPTH: usize = 12;

/// Why a stub could not start.
#[derive(Debug)]
pub enum StubError {
    /// The spec is neither JSON nor YAML, or has no `paths`.
    Spec(String),
    /// The listener could not be bound or served.
    Io(std::io::Error),
}

impl std::fmt::Display for StubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StubError::Spec(why) => write!(f, "cannot stub the spec: {why}"),
            StubError::Io(e) => write!(f, "cannot serve the stub: {e}"),
        }
    }
}

impl std::error::Error for StubError {}

/// One operation of the spec.
#[derive(Debug)]
struct Route {
    method: Method,
    /// Literal segments, `None` for a parameter.
    segments: Vec<Option<String>>,
    /// The parameter's name when the last segment is one.
    item_param: Option<String>,
    op: Value,
    /// Path-level parameters.
    shared_params: Vec<Value>,
}

/// The spec and the objects stored, by collection path.
#[derive(Debug)]
struct Stub {
    spec: Value,
    base: String,
    routes: Vec<Route>,
    store: Mutex<HashMap<String, BTreeMap<String, Value>>>,
    next_id: Mutex<u64>,
}

/// A running stub; dropped, it stops.
#[derive(Debug)]
pub struct RunningStub {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningStub {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for RunningStub {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts a stub of `spec` (JSON or YAML text) on 127.0.0.1:`port` (0: any free port), in a
/// thread of its own.
pub fn start_stub(spec: &str, port: u16) -> Result<RunningStub, StubError> {
    let stub = Arc::new(Stub::new(spec)?);
    let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .map_err(StubError::Io)?;
    let app = axum::Router::new().fallback(move |method, uri, headers, body| {
        let stub = stub.clone();
        async move { stub.answer(method, uri, headers, body) }
    });
    let (addr, tx, thread) =
        crate::serve_on_thread(listener, app, "trespass-stub".into()).map_err(StubError::Io)?;
    Ok(RunningStub {
        addr,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

impl Stub {
    fn new(text: &str) -> Result<Self, StubError> {
        let spec: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => serde_yaml_ng::from_str(text).map_err(|e| StubError::Spec(e.to_string()))?,
        };
        let paths = spec
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| StubError::Spec("no `paths` object at #/paths".into()))?;
        let mut routes = Vec::new();
        for (path, item) in paths {
            let segments: Vec<Option<String>> = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_string()))
                .collect();
            let item_param = path
                .rsplit('/')
                .next()
                .and_then(|s| s.strip_prefix('{'))
                .and_then(|s| s.strip_suffix('}'))
                .map(str::to_string);
            let shared_params = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                routes.push(Route {
                    method: method.to_uppercase().parse().unwrap_or(Method::GET),
                    segments: segments.clone(),
                    item_param: item_param.clone(),
                    op: op.clone(),
                    shared_params: shared_params.clone(),
                });
            }
        }
        // Literal segments win over parameters (`/products/v2` before `/products/{id}`).
        routes.sort_by_key(|r| r.segments.iter().filter(|s| s.is_none()).count());
        let base = spec
            .pointer("/servers/0/url")
            .or_else(|| spec.get("basePath"))
            .and_then(Value::as_str)
            .map(|u| {
                let path = u
                    .split("://")
                    .nth(1)
                    .map_or(u, |rest| rest.find('/').map_or("", |i| &rest[i..]));
                path.trim_end_matches('/').to_string()
            })
            .unwrap_or_default();
        Ok(Self {
            spec,
            base,
            routes,
            store: Mutex::default(),
            next_id: Mutex::new(0),
        })
    }

    /// `value` with its `$ref` followed (local references only).
    fn deref<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..MAX_DEPTH {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix('#').and_then(|p| self.spec.pointer(p)) {
                    Some(target) => value = target,
                    None => return value,
                },
                None => return value,
            }
        }
        value
    }

    fn answer(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let path = uri.path();
        if method == Method::POST && path == "/__reset" {
            self.store.lock().unwrap_or_else(|e| e.into_inner()).clear();
            return StatusCode::NO_CONTENT.into_response();
        }
        let path = path.strip_prefix(self.base.as_str()).unwrap_or(path);
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let matches = |r: &&Route| {
            r.segments.len() == segments.len()
                && r.segments
                    .iter()
                    .zip(&segments)
                    .all(|(want, got)| want.as_deref().is_none_or(|w| w == *got))
        };
        let candidates: Vec<&Route> = self.routes.iter().filter(matches).collect();
        let Some(route) = candidates.iter().find(|r| r.method == method) else {
            let status = if candidates.is_empty() {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::METHOD_NOT_ALLOWED
            };
            return error(status, "no such operation");
        };
        if !self.authenticated(route, &headers, uri.query()) {
            return error(StatusCode::UNAUTHORIZED, "credentials required");
        }
        let body: Option<Value> = if body.is_empty() {
            None
        } else {
            match serde_json::from_slice(&body) {
                Ok(v) => Some(v),
                Err(e) => return error(StatusCode::BAD_REQUEST, &format!("body: {e}")),
            }
        };
        if let Err(why) = self.check_request(route, &headers, uri.query(), body.as_ref()) {
            return error(StatusCode::BAD_REQUEST, &why);
        }
        self.act(route, &segments, body)
    }

    /// Whether the request carries credentials when the operation declares security.
    fn authenticated(&self, route: &Route, headers: &HeaderMap, query: Option<&str>) -> bool {
        let security = route
            .op
            .get("security")
            .or_else(|| self.spec.get("security"))
            .and_then(Value::as_array);
        let Some(requirements) = security else {
            return true;
        };
        if requirements.is_empty()
            || requirements
                .iter()
                .any(|r| r.as_object().is_some_and(Map::is_empty))
        {
            return true;
        }
        let schemes = self
            .spec
            .pointer("/components/securitySchemes")
            .or_else(|| self.spec.get("securityDefinitions"));
        let query = query.unwrap_or_default();
        requirements.iter().filter_map(Value::as_object).any(|r| {
            r.keys().all(|name| {
                let scheme = schemes.and_then(|s| s.get(name)).map(|s| self.deref(s));
                let api_key = scheme.filter(|s| s["type"] == "apiKey");
                match api_key {
                    Some(s) => {
                        let key = s["name"].as_str().unwrap_or_default();
                        match s["in"].as_str() {
                            Some("query") => {
                                query.split('&').any(|kv| kv.split('=').next() == Some(key))
                            }
                            Some("cookie") => headers
                                .get("cookie")
                                .and_then(|c| c.to_str().ok())
                                .is_some_and(|c| c.contains(&format!("{key}="))),
                            _ => headers.contains_key(key),
                        }
                    }
                    None => headers.contains_key("authorization"),
                }
            })
        })
    }

    /// The parameters of `route` (path-level ones included), `$ref`s followed.
    fn params<'a>(&'a self, route: &'a Route) -> impl Iterator<Item = &'a Value> + 'a {
        let own = route.op.get("parameters").and_then(Value::as_array);
        route
            .shared_params
            .iter()
            .chain(own.into_iter().flatten())
            .map(|p| self.deref(p))
    }

    /// The schema of the request body, and whether the body is required.
    fn body_schema<'a>(&'a self, route: &'a Route) -> Option<(&'a Value, bool)> {
        if let Some(body) = route.op.get("requestBody").map(|b| self.deref(b)) {
            let content = body.get("content")?.as_object()?;
            let media = content
                .iter()
                .find(|(k, _)| k.contains("json"))
                .or_else(|| content.iter().next())?
                .1;
            let schema = media.get("schema").map_or(&Value::Null, |s| s);
            return Some((schema, body["required"] == true));
        }
        self.params(route).find(|p| p["in"] == "body").map(|p| {
            (
                p.get("schema").unwrap_or(&Value::Null),
                p["required"] == true,
            )
        })
    }

    /// Missing required parameters and bodies, and bodies that do not match their schema.
    fn check_request(
        &self,
        route: &Route,
        headers: &HeaderMap,
        query: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(), String> {
        let query = query.unwrap_or_default();
        for p in self.params(route) {
            if p["required"] != true {
                continue;
            }
            let name = p["name"].as_str().unwrap_or_default();
            let present = match p["in"].as_str() {
                Some("query") => query
                    .split('&')
                    .any(|kv| kv.split('=').next() == Some(name)),
                Some("header") => headers.contains_key(name),
                _ => true,
            };
            if !present {
                return Err(format!("the required parameter `{name}` is missing"));
            }
        }
        match (self.body_schema(route), body) {
            (Some((_, true)), None) => Err("the required body is missing".into()),
            (Some((schema, _)), Some(body)) => self.check(schema, body, "", 0),
            _ => Ok(()),
        }
    }

    /// Whether `value` matches `schema` (`type`, `required`, `properties`, `items`, `enum`),
    /// the first mismatch named by its JSON pointer.
    fn check(&self, schema: &Value, value: &Value, at: &str, depth: usize) -> Result<(), String> {
        let schema = self.deref(schema);
        if depth > MAX_DEPTH || !schema.is_object() {
            return Ok(());
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.check(s, value, at, depth + 1)?;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            return Err(format!("{at}: not one of the allowed values"));
        }
        let nullable = schema["nullable"] == true && value.is_null();
        let type_ok = match schema.get("type").and_then(Value::as_str) {
            Some("object") => value.is_object(),
            Some("array") => value.is_array(),
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            _ => true,
        };
        if !type_ok && !nullable {
            return Err(format!("{at}: expected {}", schema["type"]));
        }
        if let Some(object) = value.as_object() {
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                if !object.contains_key(name) {
                    return Err(format!("{at}/{name}: required"));
                }
            }
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, v) in object {
                    if let Some(s) = props.get(name) {
                        self.check(s, v, &format!("{at}/{name}"), depth + 1)?;
                    }
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, v) in array.iter().enumerate() {
                self.check(items, v, &format!("{at}/{i}"), depth + 1)?;
            }
        }
        Ok(())
    }

    /// The first 2xx the operation declares, and the schema of its JSON answer.
    fn success<'a>(&'a self, route: &'a Route) -> (StatusCode, Option<&'a Value>) {
        let responses = route.op.get("responses").and_then(Value::as_object);
        let found = responses.into_iter().flatten().find_map(|(code, r)| {
            let code: u16 = code.parse().ok().filter(|c| (200..300).contains(c))?;
            let r = self.deref(r);
            let schema = r
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.iter().find(|(k, _)| k.contains("json")).map(|(_, m)| m))
                .and_then(|m| m.get("schema"))
                .or_else(|| r.get("schema"))
                .map(|s| self.deref(s));
            Some((code, schema))
        });
        match found {
            Some((code, schema)) => (StatusCode::from_u16(code).unwrap_or(StatusCode::OK), schema),
            None => (StatusCode::OK, None),
        }
    }

    fn act(&self, route: &Route, segments: &[&str], body: Option<Value>) -> Response {
        let (status, schema) = self.success(route);
        let collection = segments.join("/");
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let is_collection = route.item_param.is_none() && self.has_item_route(route);
        match (route.method.clone(), &route.item_param) {
            (Method::POST, None) if is_collection => {
                let field = self.id_field(route, schema);
                let id = {
                    let mut next = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
                    *next += 1;
                    *next
                };
                let mut object = match body {
                    Some(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                let id_value = id_like(schema.and_then(|s| self.property(s, &field)), id);
                object.insert(field, id_value.clone());
                let mut stored = Value::Object(object);
                self.fill(schema, &mut stored, 0);
                let key = id_text(&id_value);
                store
                    .entry(collection)
                    .or_default()
                    .insert(key, stored.clone());
                json_response(status, stored)
            }
            (Method::GET, None) if is_collection => {
                let items: Vec<Value> = store
                    .get(&collection)
                    .map(|m| m.values().cloned().collect())
                    .unwrap_or_default();
                json_response(status, self.listing(schema, items))
            }
            (method, Some(_)) if method != Method::POST => {
                let (parent, id) = segments.split_at(segments.len().saturating_sub(1));
                let parent = parent.join("/");
                let id = id.first().copied().unwrap_or_default();
                let Some(objects) = store.get_mut(&parent) else {
                    return error(StatusCode::NOT_FOUND, "no such object");
                };
                let Some(object) = objects.get_mut(id) else {
                    return error(StatusCode::NOT_FOUND, "no such object");
                };
                match method {
                    Method::DELETE => {
                        objects.remove(id);
                        status.into_response()
                    }
                    Method::PUT | Method::PATCH => {
                        if let (Some(Value::Object(new)), Some(old)) =
                            (body, object.as_object_mut())
                        {
                            for (k, v) in new {
                                old.insert(k, v);
                            }
                        }
                        json_response(status, object.clone())
                    }
                    _ => json_response(status, object.clone()),
                }
            }
            _ => match schema {
                Some(schema) => json_response(status, self.example(schema, 0)),
                None => status.into_response(),
            },
        }
    }

    /// Whether the route's path has an item path beside it (`/a` and `/a/{id}`).
    fn has_item_route(&self, route: &Route) -> bool {
        self.routes.iter().any(|r| {
            r.segments.len() == route.segments.len() + 1
                && r.item_param.is_some()
                && r.segments[..route.segments.len()] == route.segments[..]
        })
    }

    /// The property a created object's id goes in: the item path's parameter when the answer
    /// has such a property, else `id` (`productUuid` → `uuid` when that is the property).
    fn id_field(&self, route: &Route, schema: Option<&Value>) -> String {
        let param = self
            .routes
            .iter()
            .find(|r| {
                r.segments.len() == route.segments.len() + 1
                    && r.segments[..route.segments.len()] == route.segments[..]
            })
            .and_then(|r| r.item_param.clone())
            .unwrap_or_else(|| "id".into());
        let has = |name: &str| schema.is_some_and(|s| self.property(s, name).is_some());
        if has(&param) {
            return param;
        }
        for suffix in ["Uuid", "Id", "Sid", "Name"] {
            if let Some(stem) = param.strip_suffix(suffix) {
                let short = suffix.to_lowercase();
                if has(&short) {
                    return short;
                }
                if has(stem) {
                    return stem.to_string();
                }
            }
        }
        "id".into()
    }

    fn property<'a>(&'a self, schema: &'a Value, name: &str) -> Option<&'a Value> {
        let schema = self.deref(schema);
        if let Some(p) = schema.pointer(&format!("/properties/{name}")) {
            return Some(self.deref(p));
        }
        schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(|s| self.property(s, name))
    }

    /// A listing of `items` shaped as `schema` says: the array itself, or an object whose
    /// first array property holds them.
    fn listing(&self, schema: Option<&Value>, items: Vec<Value>) -> Value {
        let Some(schema) = schema.map(|s| self.deref(s)) else {
            return Value::Array(items);
        };
        if schema["type"] == "array" || schema.get("items").is_some() {
            return Value::Array(items);
        }
        let mut out = self.example(schema, 0);
        let array = schema
            .get("properties")
            .and_then(Value::as_object)
            .and_then(|p| {
                p.iter()
                    .find(|(_, s)| self.deref(s)["type"] == "array")
                    .map(|(k, _)| k.clone())
            });
        match (array, out.as_object_mut()) {
            (Some(name), Some(map)) => {
                map.insert(name, Value::Array(items));
                out
            }
            _ => Value::Array(items),
        }
    }

    /// Adds to `value` the required properties `schema` names that it lacks.
    fn fill(&self, schema: Option<&Value>, value: &mut Value, depth: usize) {
        let (Some(schema), Some(map)) = (schema.map(|s| self.deref(s)), value.as_object_mut())
        else {
            return;
        };
        for name in schema["required"].as_array().into_iter().flatten() {
            let Some(name) = name.as_str() else { continue };
            if !map.contains_key(name) {
                let example = self
                    .property(schema, name)
                    .map_or(Value::Null, |s| self.example(s, depth + 1));
                map.insert(name.to_string(), example);
            }
        }
    }

    /// A small value valid against `schema` (its example, default or first enum value, or
    /// the least of its type, with its required properties).
    fn example(&self, schema: &Value, depth: usize) -> Value {
        let schema = self.deref(schema);
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        for key in ["example", "default"] {
            if let Some(v) = schema.get(key) {
                return v.clone();
            }
        }
        if let Some(v) = schema.get("enum").and_then(|e| e.get(0)) {
            return v.clone();
        }
        if let Some(first) = schema.pointer("/allOf/0") {
            let mut out = self.example(first, depth + 1);
            self.fill(Some(schema), &mut out, depth);
            return out;
        }
        match schema["type"].as_str() {
            Some("array") => json!([]),
            Some("string") => json!("x"),
            Some("integer") | Some("number") => json!(0),
            Some("boolean") => json!(false),
            _ if schema.get("properties").is_some() || schema["type"] == "object" => {
                let mut out = json!({});
                self.fill(Some(schema), &mut out, depth);
                out
            }
            _ => Value::Null,
        }
    }
}

/// A fresh id of the type `schema` (the id property's) asks for.
fn id_like(schema: Option<&Value>, n: u64) -> Value {
    let schema = schema.unwrap_or(&Value::Null);
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("integer") | Some("number"), _) => json!(n),
        (_, Some("uuid")) => json!(format!("00000000-0000-4000-8000-{n:012x}")),
        _ => json!(format!("id{n}")),
    }
}

fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests;

//! A deterministic synthetic OpenAPI 3.0 spec with about `n` operations, for the large-spec
//! benchmark (`benches/large.rs`, which includes this file by path) and the tests that pin what
//! inference finds in it.
//!
//! The spec is made of groups of 13 operations; group `i` has three resource kinds:
//!
//! - `thing{i}`: `POST|GET /v1/thing{i}s` (create answering `Thing{i}` with its `id`; list
//!   answering `{"data": [Thing{i}]}`) and `GET|PUT|DELETE /v1/thing{i}s/{thing{i}Id}`;
//! - `org{i}`: `POST|GET /v1/org{i}s` (the list a bare array) and
//!   `GET|PATCH /v1/org{i}s/{org{i}Id}`;
//! - `member{i}`, nested: `POST|GET /v1/org{i}s/{org{i}Id}/member{i}s` and
//!   `GET|DELETE /v1/org{i}s/{org{i}Id}/member{i}s/{member{i}Id}`; a member carries its
//!   parent's `org{i}Id`.
//!
//! The request of a new thing names an org of the next group (`org{i+1}Id`, a body field of
//! rule 3) and a `userId`; every object carries an `ownerId`. One `GET /v1/me` answers the
//! `User` component. Every fifth org create documents an OpenAPI `links` entry to its read.

use serde_json::{Map, Value, json};

/// Operations per group.
pub const OPS_PER_GROUP: usize = 13;

/// The spec as JSON text: `GET /v1/me` and `max(1, n / 13)` groups.
pub fn spec_text(n: usize) -> String {
    spec(n).to_string()
}

/// The spec as a JSON value (see the module docs).
pub fn spec(n: usize) -> Value {
    let groups = (n / OPS_PER_GROUP).max(1);
    let mut paths = Map::new();
    let mut schemas = Map::new();
    paths.insert(
        "/v1/me".into(),
        json!({"get": {"operationId": "getMe", "responses": {"200": ok(reference("User"))}}}),
    );
    schemas.insert(
        "User".into(),
        json!({"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string", "format": "uuid"},
            "username": {"type": "string"},
            "email": {"type": "string", "format": "email"},
        }}),
    );
    for i in 0..groups {
        group(i, groups, &mut paths, &mut schemas);
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": format!("synthetic {n}"), "version": "1"},
        "servers": [{"url": "http://localhost:8080"}],
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn ok(schema: Value) -> Value {
    json!({"description": "ok", "content": {"application/json": {"schema": schema}}})
}

fn id_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
}

fn body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn string() -> Value {
    json!({"type": "string"})
}

/// The operations and schemas of group `i` (of `groups`).
fn group(
    i: usize,
    groups: usize,
    paths: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
) {
    let next = (i + 1) % groups;
    let (thing, org, member) = (format!("Thing{i}"), format!("Org{i}"), format!("Member{i}"));
    let (thing_id, org_id, member_id) = (
        format!("thing{i}Id"),
        format!("org{i}Id"),
        format!("member{i}Id"),
    );
    let next_org_id = format!("org{next}Id");
    let read_only_id = json!({"type": "string", "readOnly": true});

    schemas.insert(
        thing.clone(),
        json!({"type": "object", "required": ["id", "name"], "properties": {
            "id": read_only_id,
            "name": string(),
            "ownerId": string(),
            next_org_id.clone(): string(),
            "tags": {"type": "array", "items": string()},
        }}),
    );
    schemas.insert(
        format!("New{thing}"),
        json!({"type": "object", "required": ["name"], "properties": {
            "name": string(),
            next_org_id.clone(): string(),
            "userId": string(),
        }}),
    );
    schemas.insert(
        org.clone(),
        json!({"type": "object", "properties": {
            "id": read_only_id,
            "name": string(),
            "ownerId": string(),
        }}),
    );
    schemas.insert(
        member.clone(),
        json!({"type": "object", "properties": {
            "id": read_only_id,
            org_id.clone(): string(),
            "role": {"type": "string", "enum": ["admin", "member"]},
            "ownerId": string(),
        }}),
    );

    let things = format!("/v1/thing{i}s");
    paths.insert(
        things.clone(),
        json!({
            "post": {
                "operationId": format!("create{thing}"),
                "requestBody": body(reference(&format!("New{thing}"))),
                "responses": {"201": ok(reference(&thing))},
            },
            "get": {
                "operationId": format!("list{thing}s"),
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": ok(json!({"type": "object", "properties": {
                    "data": {"type": "array", "items": reference(&thing)},
                    "next": string(),
                }}))},
            },
        }),
    );
    paths.insert(
        format!("{things}/{{{thing_id}}}"),
        json!({
            "parameters": [id_param(&thing_id)],
            "get": {"operationId": format!("get{thing}"), "responses": {"200": ok(reference(&thing))}},
            "put": {
                "operationId": format!("update{thing}"),
                "requestBody": body(reference(&format!("New{thing}"))),
                "responses": {"200": ok(reference(&thing))},
            },
            "delete": {"operationId": format!("delete{thing}"), "responses": {"204": {"description": "gone"}}},
        }),
    );

    let orgs = format!("/v1/org{i}s");
    let mut create_org = json!({"description": "created", "content": {"application/json": {"schema": reference(&org)}}});
    if i.is_multiple_of(5) {
        create_org["links"] = json!({format!("Get{org}"): {
            "operationId": format!("get{org}"),
            "parameters": {org_id.clone(): "$response.body#/id"},
        }});
    }
    paths.insert(
        orgs.clone(),
        json!({
            "post": {
                "operationId": format!("create{org}"),
                "requestBody": body(json!({"type": "object", "properties": {"name": string()}})),
                "responses": {"201": create_org},
            },
            "get": {
                "operationId": format!("list{org}s"),
                "responses": {"200": ok(json!({"type": "array", "items": reference(&org)}))},
            },
        }),
    );
    paths.insert(
        format!("{orgs}/{{{org_id}}}"),
        json!({
            "parameters": [id_param(&org_id)],
            "get": {"operationId": format!("get{org}"), "responses": {"200": ok(reference(&org))}},
            "patch": {
                "operationId": format!("patch{org}"),
                "requestBody": body(json!({"type": "object", "properties": {"name": string()}})),
                "responses": {"200": ok(reference(&org))},
            },
        }),
    );

    let members = format!("{orgs}/{{{org_id}}}/member{i}s");
    paths.insert(
        members.clone(),
        json!({
            "parameters": [id_param(&org_id)],
            "post": {
                "operationId": format!("add{member}"),
                "requestBody": body(json!({"type": "object", "properties": {
                    "userId": string(),
                    "role": {"type": "string"},
                }})),
                "responses": {"201": ok(reference(&member))},
            },
            "get": {
                "operationId": format!("list{member}s"),
                "responses": {"200": ok(json!({"type": "object", "properties": {
                    "items": {"type": "array", "items": reference(&member)},
                }}))},
            },
        }),
    );
    paths.insert(
        format!("{members}/{{{member_id}}}"),
        json!({
            "parameters": [id_param(&org_id), id_param(&member_id)],
            "get": {"operationId": format!("get{member}"), "responses": {"200": ok(reference(&member))}},
            "delete": {"operationId": format!("remove{member}"), "responses": {"204": {"description": "gone"}}},
        }),
    );
}

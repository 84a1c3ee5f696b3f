//! Privileged fields: what a mass-assignment body carries that an ordinary client should not
//! be able to set, and the values to try for each.

use proptest::strategy::{SBoxedStrategy, Strategy};
use serde_json::Value;

use super::super::arg_values::memo_strategy;
use crate::model::{ApiModel, CrudRole, Method, Operation, SchemaId, SchemaKind};
use crate::values::Memo;

/// Body and parameter names that an ordinary client should not be able to set.
const PRIVILEGED_NAMES: &[&str] = &[
    "role",
    "roles",
    "admin",
    "isadmin",
    "is_admin",
    "owner",
    "ownerid",
    "owner_id",
    "userid",
    "user_id",
    "permissions",
    "scope",
    "scopes",
    "verified",
    "isverified",
    "status",
    "balance",
    "credit",
    "price",
    "plan",
    "tier",
    "createdat",
    "created_at",
    "id",
];

/// Enum values that grant more than an ordinary user has, the most powerful first.
const ESCALATING: &[&str] = &[
    "admin",
    "administrator",
    "superuser",
    "root",
    "owner",
    "staff",
    "moderator",
    "enterprise",
    "premium",
    "unlimited",
    "pro",
];

/// Normalized field name: `is_admin`, `isAdmin` and `ISADMIN` alike.
fn normal(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `name` is privileged by name.
fn is_privileged(name: &str) -> bool {
    let n = normal(name);
    PRIVILEGED_NAMES.iter().any(|p| normal(p) == n)
}

/// The value that claims the most for a privileged field of this name and schema, when one is
/// known: an escalating enum value (`role: admin`, `plan: enterprise`), `true` for a flag
/// (`isAdmin`, `verified`), `"admin"` for a free-text role, a large amount for a balance.
fn escalating_value(model: &ApiModel, name: &str, schema: SchemaId) -> Option<Value> {
    let s = model.schemas.try_get(schema)?;
    if let Some(values) = &s.enum_values {
        // The most powerful first: `admin` before `moderator`, whatever the enum's order.
        return ESCALATING.iter().find_map(|wanted| {
            values
                .iter()
                .find(|v| v.as_str().is_some_and(|t| t.eq_ignore_ascii_case(wanted)))
                .cloned()
        });
    }
    let n = normal(name);
    let role_like = [
        "role",
        "roles",
        "group",
        "groups",
        "accesslevel",
        "permissions",
        "scopes",
    ]
    .contains(&n.as_str());
    match &s.kind {
        SchemaKind::Boolean if is_privileged(name) => Some(Value::Bool(true)),
        SchemaKind::String(_) if role_like => Some(Value::from("admin")),
        SchemaKind::String(_) if n == "plan" || n == "tier" => Some(Value::from("enterprise")),
        SchemaKind::Integer(_) | SchemaKind::Number(_)
            if ["balance", "credit", "credits"].contains(&n.as_str()) =>
        {
            Some(Value::from(1_000_000))
        }
        SchemaKind::Array(items) if role_like => {
            let item = escalating_value(model, "role", items.items)?;
            Some(Value::Array(vec![item]))
        }
        _ => None,
    }
}

/// Values for a privileged field: its escalating value when it has one, else any value of its
/// schema.
fn privileged_strategy(
    memo: &mut Memo<'_>,
    model: &ApiModel,
    name: &str,
    schema: SchemaId,
) -> SBoxedStrategy<Value> {
    match escalating_value(model, name, schema) {
        Some(value) => proptest::strategy::Just(value).sboxed(),
        None => memo_strategy(memo, model, schema),
    }
}

/// A path without parameters whose last segment names the caller's own record (`/me`).
fn is_account_path(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    !path.contains('{')
        && matches!(
            path.rsplit('/').next().unwrap_or(""),
            "me" | "account" | "profile" | "whoami" | "self" | "user"
        )
}

/// The schemas what reads return for objects of `kind` (the kind's own schema, the answers of
/// its reads and updates), and for a write to the caller's own record (`PATCH /me`) the answer
/// of the `GET` of the same path; `op`'s own success answers last.
fn read_schemas(model: &ApiModel, op: &Operation, kind: Option<&str>) -> Vec<SchemaId> {
    let answers = |o: &Operation| -> Vec<SchemaId> {
        o.success_responses()
            .filter_map(|(_, r)| r.json_schema())
            .collect()
    };
    let mut out = Vec::new();
    if let Some(resource) = kind.and_then(|k| model.resource(k)) {
        out.extend(resource.schema);
        for read in resource.read.iter().chain(&resource.update) {
            out.extend(model.operation(read).map(answers).unwrap_or_default());
        }
    }
    if is_account_path(&op.path) {
        let read = model
            .operations
            .iter()
            .find(|o| o.method == Method::Get && o.path == op.path);
        out.extend(read.map(answers).unwrap_or_default());
    }
    out.extend(answers(op));
    let mut seen = Vec::new();
    out.retain(|s| {
        let new = !seen.contains(s);
        seen.push(*s);
        new
    });
    out
}

/// Whether a property of this schema can be sent as one value: a scalar, or an array of
/// scalars (`roles: ["admin"]`).
fn sendable(model: &ApiModel, schema: SchemaId) -> bool {
    match model.schemas.try_get(schema).map(|s| &s.kind) {
        Some(SchemaKind::Object(_)) | None => false,
        Some(SchemaKind::Array(a)) => model
            .schemas
            .try_get(a.items)
            .is_some_and(|s| !matches!(s.kind, SchemaKind::Object(_) | SchemaKind::Array(_))),
        Some(_) => true,
    }
}

/// Fields of a create or update body (`request`) of `op` on objects of `kind` that a client
/// should not be able to set: read-only or privileged by name in the request schema, or
/// present in what reads of the kind return (or, for a write to the caller's own record such
/// as `PATCH /me`, in its `GET /me`) but not in the request schema, when read-only there or
/// privileged by name. Each comes with the values to try (see [`escalating_value`]).
pub(super) fn privileged_fields(
    memo: &mut Memo<'_>,
    model: &ApiModel,
    op: &Operation,
    request: SchemaId,
    kind: Option<&(String, CrudRole)>,
) -> Vec<(String, SBoxedStrategy<Value>, String)> {
    let account_write = op.method != Method::Get && is_account_path(&op.path);
    let kind_name = match kind {
        Some((kind, CrudRole::Create | CrudRole::Update)) => Some(kind.as_str()),
        Some(_) => return Vec::new(),
        None if account_write => None,
        None => return Vec::new(),
    };
    let mut out: Vec<(String, SBoxedStrategy<Value>, String)> = Vec::new();
    let request_props = model.schemas.object_properties(request).cloned();
    if let Some(props) = &request_props {
        for (name, schema) in props {
            let read_only = model.schemas.try_get(*schema).is_some_and(|s| s.read_only);
            if read_only || is_privileged(name) {
                let keyword = if read_only { "readOnly" } else { "privileged" };
                out.push((
                    name.clone(),
                    privileged_strategy(memo, model, name, *schema),
                    label(keyword, name),
                ));
            }
        }
    }
    for object in read_schemas(model, op, kind_name) {
        let Some(object_props) = model.schemas.object_properties(object) else {
            continue;
        };
        for (name, schema) in object_props {
            let in_request = request_props.as_ref().is_some_and(|p| p.contains_key(name));
            if in_request || out.iter().any(|(n, _, _)| n == name) {
                continue;
            }
            let read_only = model.schemas.try_get(*schema).is_some_and(|s| s.read_only);
            if (read_only || is_privileged(name)) && sendable(model, *schema) {
                // Read-only in the object schema: the value strategy would leave it out, so
                // use the property's schema without the flag.
                let keyword = if read_only {
                    "readOnly"
                } else if forbids_others(model, request) {
                    "additionalProperties"
                } else {
                    "privileged"
                };
                out.push((
                    name.clone(),
                    privileged_strategy(memo, model, name, *schema),
                    label(keyword, name),
                ));
            }
        }
    }
    out
}

/// The `violates` label of privileged field `name`: `readOnly at /role`.
fn label(keyword: &str, name: &str) -> String {
    format!("{keyword} at /{}", crate::pointer::escape(name))
}

/// Whether object schema `id` forbids properties it does not declare.
fn forbids_others(model: &ApiModel, id: SchemaId) -> bool {
    matches!(
        model.schemas.try_get(id).map(|s| &s.kind),
        Some(SchemaKind::Object(o)) if o.additional == crate::model::Additional::Forbidden
    )
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;
    use crate::model::{OperationId, Resource};

    /// A forum-like API: `PATCH /me` takes `email` and `bio`, `GET /me` shows a read-only
    /// `role` (enum) and `apiSecret`; a public registration takes `username` and `password`.
    const FORUM: &str = r#"
openapi: 3.0.3
info: {title: f, version: "1"}
components:
  schemas:
    User:
      type: object
      properties:
        username: {type: string}
        email: {type: string}
        bio: {type: string}
        role: {type: string, enum: [user, moderator, admin], readOnly: true}
        apiSecret: {type: string, readOnly: true}
        settings: {type: object, readOnly: true}
paths:
  /api/me:
    get:
      responses:
        '200': {description: me, content: {application/json: {schema: {$ref: '#/components/schemas/User'}}}}
    patch:
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {email: {type: string}, bio: {type: string}}}
      responses:
        '200': {description: me, content: {application/json: {schema: {$ref: '#/components/schemas/User'}}}}
  /api/users:
    post:
      security: []
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties: {username: {type: string}, password: {type: string}}
      responses:
        '201': {description: registered}
  /api/users/{username}:
    get:
      parameters: [{name: username, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: one, content: {application/json: {schema: {$ref: '#/components/schemas/User'}}}}
"#;

    /// Another style: Swagger 2, flags and amounts, no enum.
    const BANK: &str = r#"
swagger: "2.0"
info: {title: b, version: "1"}
definitions:
  Account:
    type: object
    properties:
      id: {type: integer, readOnly: true}
      name: {type: string}
      isAdmin: {type: boolean}
      verified: {type: boolean}
      balance: {type: number}
      roles: {type: array, items: {type: string}}
paths:
  /accounts:
    post:
      consumes: [application/json]
      produces: [application/json]
      parameters: [{in: body, name: a, schema: {type: object, properties: {name: {type: string}}}}]
      responses:
        '201': {description: made, schema: {$ref: '#/definitions/Account'}}
  /accounts/{id}:
    get:
      produces: [application/json]
      parameters: [{name: id, in: path, required: true, type: integer}]
      responses:
        '200': {description: one, schema: {$ref: '#/definitions/Account'}}
"#;

    fn fields(model: &ApiModel, op: &str) -> Vec<(String, Value)> {
        labelled(model, op)
            .into_iter()
            .map(|(n, v, _)| (n, v))
            .collect()
    }

    fn labelled(model: &ApiModel, op: &str) -> Vec<(String, Value, String)> {
        let id = OperationId::parse(op).expect("op");
        let op = model.operation(&id).expect("the op");
        let request = op.json_request_schema().expect("a body");
        let kind = model
            .resource_of(&id)
            .map(|(r, role)| (r.kind.clone(), role));
        let mut runner = TestRunner::deterministic();
        let mut memo = Memo::new(&model.schemas);
        privileged_fields(&mut memo, model, op, request, kind.as_ref())
            .into_iter()
            .map(|(name, s, label)| {
                let value = s.new_tree(&mut runner).expect("a value").current();
                (name, value, label)
            })
            .collect()
    }

    #[test]
    fn a_write_to_me_carries_what_get_me_shows_read_only() {
        let mut model = crate::load_str(FORUM, "forum.yaml").expect("loads");
        model.resources.clear();
        let patch = fields(&model, "PATCH /api/me");
        assert!(
            patch.contains(&("role".into(), Value::from("admin"))),
            "the enum value naming admin: {patch:?}"
        );
        assert!(patch.iter().any(|(n, _)| n == "apiSecret"), "{patch:?}");
        assert!(
            !patch.iter().any(|(n, _)| n == "settings" || n == "email"),
            "objects and request fields are not injected: {patch:?}"
        );
        // Registration: a create of `user`, whose reads show `role`.
        let mut user = Resource::new("user");
        user.create = vec![OperationId::new("POST", "/api/users")];
        user.read = vec![OperationId::new("GET", "/api/users/{username}")];
        model.resources.push(user);
        let register = fields(&model, "POST /api/users");
        assert!(
            register.contains(&("role".into(), Value::from("admin"))),
            "{register:?}"
        );
        // Without a kind and not the caller's own record: nothing.
        model.resources.clear();
        assert!(fields(&model, "POST /api/users").is_empty());
    }

    #[test]
    fn flags_amounts_and_role_lists_get_privileged_values() {
        let mut model = crate::load_str(BANK, "bank.yaml").expect("loads");
        model.resources.clear();
        let mut account = Resource::new("account");
        account.create = vec![OperationId::new("POST", "/accounts")];
        account.read = vec![OperationId::new("GET", "/accounts/{id}")];
        model.resources.push(account);
        let create = fields(&model, "POST /accounts");
        for expected in [
            ("isAdmin", Value::Bool(true)),
            ("verified", Value::Bool(true)),
            ("balance", Value::from(1_000_000)),
            ("roles", serde_json::json!(["admin"])),
        ] {
            assert!(
                create.contains(&(expected.0.to_string(), expected.1.clone())),
                "{expected:?} in {create:?}"
            );
        }
        assert!(
            create.iter().any(|(n, _)| n == "id"),
            "read-only id: {create:?}"
        );
        assert!(!create.iter().any(|(n, _)| n == "name"), "{create:?}");
        let labels: Vec<String> = labelled(&model, "POST /accounts")
            .into_iter()
            .map(|(_, _, l)| l)
            .collect();
        assert!(
            labels.contains(&"readOnly at /id".to_string()),
            "{labels:?}"
        );
        assert!(
            labels.contains(&"privileged at /isAdmin".to_string()),
            "{labels:?}"
        );
    }
}

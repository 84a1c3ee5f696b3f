//! Privileged fields: what a mass-assignment body carries that an ordinary client should not
//! be able to set, and the values to try for each.

use proptest::strategy::{SBoxedStrategy, Strategy};
use serde_json::Value;

use super::super::arg_values::schema_strategy;
use crate::model::{ApiModel, CrudRole, Operation, SchemaKind};

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

/// Enum values that grant more than an ordinary user has.
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

/// Values for a privileged field: its escalating enum value when it has one (`role: admin`,
/// `plan: enterprise`), else any value of its schema.
fn privileged_strategy(model: &ApiModel, schema: crate::model::SchemaId) -> SBoxedStrategy<Value> {
    let escalating = model
        .schemas
        .try_get(schema)
        .and_then(|s| s.enum_values.as_ref())
        .and_then(|values| {
            values.iter().find(|v| {
                v.as_str()
                    .is_some_and(|t| ESCALATING.contains(&t.to_ascii_lowercase().as_str()))
            })
        })
        .cloned();
    match escalating {
        Some(value) => proptest::strategy::Just(value).sboxed(),
        None => schema_strategy(model, schema),
    }
}

/// Fields of a create or update body (`request`) of `op` on objects of `kind` that a client
/// should not be able to set: read-only or privileged by name in the request schema, or
/// present in the object's schema (what reads return) but not in the request schema.
pub(super) fn privileged_fields(
    model: &ApiModel,
    op: &Operation,
    request: crate::model::SchemaId,
    kind: Option<&(String, CrudRole)>,
) -> Vec<(String, SBoxedStrategy<Value>)> {
    let Some((kind, role)) = kind else {
        return Vec::new();
    };
    if !matches!(role, CrudRole::Create | CrudRole::Update) {
        return Vec::new();
    }
    let mut out: Vec<(String, SBoxedStrategy<Value>)> = Vec::new();
    let request_props = model.schemas.object_properties(request).cloned();
    if let Some(props) = &request_props {
        for (name, schema) in props {
            let read_only = model.schemas.try_get(*schema).is_some_and(|s| s.read_only);
            if read_only || PRIVILEGED_NAMES.contains(&name.to_ascii_lowercase().as_str()) {
                out.push((name.clone(), privileged_strategy(model, *schema)));
            }
        }
    }
    // Present in the object's own schema (what reads return) but not in the request schema.
    let object_schema = model
        .resource(kind)
        .and_then(|r| r.schema)
        .or_else(|| op.success_responses().find_map(|(_, r)| r.json_schema()));
    if let Some(object_props) = object_schema.and_then(|s| model.schemas.object_properties(s)) {
        for (name, schema) in object_props {
            let in_request = request_props.as_ref().is_some_and(|p| p.contains_key(name));
            if in_request || out.iter().any(|(n, _)| n == name) {
                continue;
            }
            let read_only = model.schemas.try_get(*schema).is_some_and(|s| s.read_only);
            let privileged = PRIVILEGED_NAMES.contains(&name.to_ascii_lowercase().as_str());
            let scalar = model
                .schemas
                .try_get(*schema)
                .is_some_and(|s| !matches!(s.kind, SchemaKind::Object(_) | SchemaKind::Array(_)));
            if (read_only || privileged) && scalar {
                // Read-only in the object schema: the value strategy would leave it out, so
                // use the property's schema without the flag.
                out.push((name.clone(), privileged_strategy(model, *schema)));
            }
        }
    }
    out
}

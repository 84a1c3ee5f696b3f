//! What the sequence generators need to know about a model, computed once per model: for every
//! operation, which of its arguments name an object of which kind, how a new object's id is read
//! from a producer's response, which operations are admin-only or secured, and which body fields
//! are privileged. Built from `ApiModel.resources`, `links` and `admin_operations`.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use proptest::strategy::{SBoxedStrategy, Strategy};
use serde_json::Value;

use super::arg_values::{minimal_strategy, schema_strategy};
use super::step::RefSource;
use crate::model::{
    ApiModel, CrudRole, LinkSource, LinkTarget, Method, Operation, OperationId, ParameterLocation,
    SchemaKind, SecurityScheme,
};
use crate::values::{self, ValueContext};

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

/// Last path segments of operations that return the caller's own account.
const ACCOUNT_SEGMENTS: &[&str] = &[
    "me",
    "self",
    "whoami",
    "current",
    "current-user",
    "currentuser",
    "account",
    "profile",
    "user",
];

/// One argument of an operation.
#[derive(Debug, Clone)]
pub(crate) struct ParamInfo {
    pub location: ParameterLocation,
    pub name: String,
    pub required: bool,
    /// The kind of object this argument names, when objects of that kind can be obtained.
    pub kind: Option<String>,
    pub strategy: SBoxedStrategy<Value>,
    /// Fields of earlier responses that may supply this argument's value (query parameters
    /// that name no object).
    pub echoes: Vec<Echo>,
}

/// A field of an operation's success response that can supply an argument of another step:
/// one named the same that is not free text (`status` from an order's `/status`), an id named after the schema it
/// identifies (`userId` from a `User`'s `/id`), or, for a free-text query parameter, any
/// free-text field (a search `q` from a document's `/title`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Echo {
    /// The operation whose response holds the field.
    pub producer: usize,
    /// Where in that response (`/status`).
    pub pointer: String,
}

/// The request body of an operation.
#[derive(Debug, Clone)]
pub(crate) struct BodyInfo {
    pub media_type: String,
    pub strategy: SBoxedStrategy<Value>,
    /// Only the required fields: for the creates that set up prerequisites.
    pub minimal: SBoxedStrategy<Value>,
    /// Fields a client should not set (read-only, absent from the request schema but present
    /// in the object's schema, or privileged by name), with a strategy for their values.
    pub privileged: Vec<(String, SBoxedStrategy<Value>)>,
    /// Body fields (JSON pointers) that take the id of an object of a kind.
    pub links: Vec<(String, String)>,
    /// Top-level body fields (JSON pointers) that earlier responses may supply, other than
    /// `links`.
    pub echoes: Vec<(String, Vec<Echo>)>,
    /// Bodies with exactly one constraint broken, when the schema has constraints to break.
    pub negative: Option<SBoxedStrategy<Value>>,
}

/// One operation as the generators see it.
#[derive(Debug, Clone)]
pub(crate) struct OpInfo {
    pub id: OperationId,
    pub kind: Option<(String, CrudRole)>,
    pub params: Vec<ParamInfo>,
    pub body: Option<BodyInfo>,
    pub admin: bool,
    /// Whether the operation requires credentials.
    pub secured: bool,
    /// The kind of the caller's own account, when this operation returns it (`GET /me`), with
    /// where its id is.
    pub account: Option<(String, RefSource)>,
    /// Scalar top-level fields of the success response: name and shape.
    pub outputs: Vec<(String, Shape)>,
    /// Name of the success response's schema (`User`), when it has one.
    pub output_name: Option<String>,
}

/// The scalar shape of a schema, to match arguments with response fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape {
    /// `string`, `integer`, `number` or `boolean`.
    pub ty: &'static str,
    pub enum_values: Option<Vec<Value>>,
    pub format: Option<String>,
    /// A string with no enum, const, format or pattern: free text.
    pub free: bool,
}

/// The scalar shape of schema `id` (through a single-part `allOf`); `None` for objects, arrays
/// and compositions.
fn shape(model: &ApiModel, id: crate::model::SchemaId) -> Option<Shape> {
    let s = model.schemas.try_get(id)?;
    if let SchemaKind::AllOf(parts) = &s.kind
        && let [one] = parts.as_slice()
    {
        let mut inner = shape(model, *one)?;
        if s.enum_values.is_some() {
            inner.enum_values = s.enum_values.clone();
            inner.free = false;
        }
        return Some(inner);
    }
    let (ty, pattern) = match &s.kind {
        SchemaKind::String(b) => ("string", b.pattern.is_some()),
        SchemaKind::Integer(_) => ("integer", false),
        SchemaKind::Number(_) => ("number", false),
        SchemaKind::Boolean => ("boolean", false),
        _ => return None,
    };
    let free = ty == "string"
        && !pattern
        && s.enum_values.is_none()
        && s.const_value.is_none()
        && s.format.is_none();
    Some(Shape {
        ty,
        enum_values: s.enum_values.clone(),
        format: s.format.clone(),
        free,
    })
}

impl Shape {
    /// Whether a value of shape `out` is a value of this shape (same type family, enum values
    /// among ours, same format).
    fn accepts(&self, out: &Shape) -> bool {
        let numeric = |t: &str| t == "integer" || t == "number";
        let same_type = self.ty == out.ty || (numeric(self.ty) && numeric(out.ty));
        let enum_ok = match (&self.enum_values, &out.enum_values) {
            (None, _) => true,
            (Some(ours), Some(theirs)) => theirs.iter().all(|v| ours.contains(v)),
            (Some(_), None) => false,
        };
        let format_ok = self.format.is_none() || self.format == out.format;
        same_type && enum_ok && format_ok
    }
}

/// The name an id argument is named after (`user` for `userId` or `user_id`).
fn id_subject(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .strip_suffix("_id")
        .or_else(|| lower.strip_suffix("id"))?;
    (!stem.is_empty()).then(|| stem.to_string())
}

/// The response fields of every operation that can supply an argument `name` of shape `arg`;
/// free-text fields count only with `free_text`.
fn echoes_for(ops: &[OpInfo], name: &str, arg: &Shape, free_text: bool) -> Vec<Echo> {
    let subject = id_subject(name);
    let mut out = Vec::new();
    for (producer, op) in ops.iter().enumerate() {
        for (field, shape) in &op.outputs {
            // Same name: identifiers and enums (`status`, `userId`), not prose, which only
            // free-text search parameters take.
            let same_name = field.eq_ignore_ascii_case(name) && !arg.free && arg.accepts(shape);
            let id_of_subject = field == "id"
                && subject.as_ref().is_some_and(|subject| {
                    op.output_name
                        .as_ref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(subject))
                })
                && arg.accepts(shape);
            let text = free_text && arg.free && shape.free;
            if same_name || id_of_subject || text {
                out.push(Echo {
                    producer,
                    pointer: format!("/{}", escape_pointer(field)),
                });
            }
        }
    }
    out
}

fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// One kind of object.
#[derive(Debug, Clone, Default)]
pub(crate) struct KindInfo {
    /// Operations that create an object of the kind, with where the new id is read from.
    pub create: Vec<(usize, RefSource)>,
    /// Operations returning the caller's own object of this kind.
    pub account: Vec<usize>,
    pub read: Vec<usize>,
    pub update: Vec<usize>,
    pub delete: Vec<usize>,
    pub list: Vec<usize>,
    pub parent: Option<String>,
}

impl KindInfo {
    /// Whether objects of this kind can be obtained at all.
    pub fn producible(&self) -> bool {
        !self.create.is_empty() || !self.account.is_empty()
    }

    /// Operations that touch one existing object (read, update, delete).
    pub fn item_ops(&self) -> impl Iterator<Item = usize> + '_ {
        self.read
            .iter()
            .chain(&self.update)
            .chain(&self.delete)
            .copied()
    }
}

/// Everything computed from one model.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub ops: Vec<OpInfo>,
    pub kinds: IndexMap<String, KindInfo>,
}

fn ref_source(source: &LinkSource) -> Option<RefSource> {
    Some(match source {
        LinkSource::ResponseBody { pointer, .. } => RefSource::Body {
            pointer: pointer.clone(),
        },
        LinkSource::LocationHeader { .. } => RefSource::Location,
        LinkSource::ResponseHeader { name, .. } => RefSource::Header { name: name.clone() },
    })
}

/// The property names of the JSON success response of `op` (empty when not an object).
fn response_properties(model: &ApiModel, op: &Operation) -> Vec<String> {
    op.success_responses()
        .find_map(|(_, r)| r.json_schema())
        .and_then(|s| model.schemas.object_properties(s))
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The scalar top-level fields of the JSON success response of `op`, with their shapes.
fn outputs(model: &ApiModel, op: &Operation) -> Vec<(String, Shape)> {
    op.success_responses()
        .find_map(|(_, r)| r.json_schema())
        .and_then(|s| model.schemas.object_properties(s))
        .map(|props| {
            props
                .iter()
                .filter_map(|(name, id)| Some((name.clone(), shape(model, *id)?)))
                .collect()
        })
        .unwrap_or_default()
}

fn has_location(op: &Operation) -> bool {
    op.success_responses()
        .any(|(_, r)| r.header("Location").is_some())
}

/// Names of parameters that carry credentials (API keys), which the harness sets itself.
fn credential_params(model: &ApiModel) -> BTreeSet<(ParameterLocation, String)> {
    model
        .security_schemes
        .values()
        .filter_map(|s| match s {
            SecurityScheme::ApiKey { name, location } => {
                Some((*location, name.to_ascii_lowercase()))
            }
            _ => None,
        })
        .collect()
}

impl Catalog {
    /// The read of the object that operation `op` changes or deletes, when its path names the
    /// object with parameters `op` has too (`GET /orders/{orderId}` for `PATCH
    /// /orders/{orderId}` or `POST /orders/{orderId}/cancel`): what a shrinker can send in
    /// its place when only the object's state matters.
    pub fn read_instead(&self, op: usize) -> Option<OperationId> {
        let info = self.ops.get(op)?;
        let (kind, CrudRole::Update | CrudRole::Delete) = info.kind.as_ref()? else {
            return None;
        };
        let path_params = |o: &OpInfo| -> Vec<String> {
            o.params
                .iter()
                .filter(|p| p.location == ParameterLocation::Path)
                .map(|p| p.name.clone())
                .collect()
        };
        let have = path_params(info);
        self.kinds.get(kind)?.read.iter().find_map(|&r| {
            let read = &self.ops[r];
            let need = path_params(read);
            (!need.is_empty() && need.iter().all(|n| have.contains(n))).then(|| read.id.clone())
        })
    }

    /// Computes the catalog of `model`.
    pub fn new(model: &ApiModel) -> Self {
        let index: IndexMap<&OperationId, usize> = model
            .operations
            .iter()
            .enumerate()
            .map(|(i, op)| (&op.id, i))
            .collect();
        let mut kinds: IndexMap<String, KindInfo> = IndexMap::new();
        for r in &model.resources {
            let k = kinds.entry(r.kind.clone()).or_default();
            k.parent = r.parent.clone();
            for (role, op) in r.operations() {
                let Some(&i) = index.get(op) else { continue };
                match role {
                    CrudRole::Create => {}
                    CrudRole::Read => k.read.push(i),
                    CrudRole::Update => k.update.push(i),
                    CrudRole::Delete => k.delete.push(i),
                    CrudRole::List => k.list.push(i),
                }
            }
            // Where a created object's id is: a link from the create operation to an operation
            // of the same kind, else the id field, else the Location header, else `/id`.
            for op in &r.create {
                let Some(&i) = index.get(op) else { continue };
                let operation = &model.operations[i];
                let from_link = model
                    .links_from(op)
                    .filter(|l| {
                        r.role_of(&l.consumer).is_some_and(|role| role != CrudRole::Create)
                            && matches!(&l.target, LinkTarget::Parameter { name, .. }
                                if r.id_params.contains(name)
                                    || model.operation(&l.consumer).and_then(|c| c.path_parameters().last().map(|p| &p.name == name)).unwrap_or(false))
                    })
                    .find_map(|l| ref_source(&l.source));
                let props = response_properties(model, operation);
                let source = from_link
                    .or_else(|| {
                        r.id_field
                            .as_ref()
                            .filter(|f| props.is_empty() || props.contains(f))
                            .map(|f| RefSource::Body {
                                pointer: format!("/{f}"),
                            })
                    })
                    .or_else(|| has_location(operation).then_some(RefSource::Location))
                    .or_else(|| {
                        props.iter().any(|p| p == "id").then(|| RefSource::Body {
                            pointer: "/id".into(),
                        })
                    });
                if let Some(source) = source {
                    k.create.push((i, source));
                }
            }
        }

        let credentials = credential_params(model);
        let mut ops: Vec<OpInfo> = model
            .operations
            .iter()
            .map(|op| {
                let kind = model
                    .resource_of(&op.id)
                    .map(|(r, role)| (r.kind.clone(), role));
                let params = op
                    .parameters
                    .iter()
                    .filter(|p| {
                        let authorization = p.location == ParameterLocation::Header
                            && p.name.eq_ignore_ascii_case("authorization");
                        let credential =
                            credentials.contains(&(p.location, p.name.to_ascii_lowercase()));
                        !authorization && !credential
                    })
                    .map(|p| ParamInfo {
                        location: p.location,
                        name: p.name.clone(),
                        required: p.required || p.location == ParameterLocation::Path,
                        kind: None,
                        strategy: schema_strategy(model, p.schema),
                        echoes: Vec::new(),
                    })
                    .collect();
                let body = op.request_body.as_ref().and_then(|b| {
                    let (media, mt) = b
                        .content
                        .iter()
                        .find(|(m, _)| crate::model::is_json_media_type(m))
                        .or_else(|| b.content.first())?;
                    let schema = mt.schema?;
                    Some(BodyInfo {
                        media_type: media.clone(),
                        strategy: schema_strategy(model, schema),
                        minimal: minimal_strategy(model, schema),
                        privileged: privileged_fields(model, op, schema, kind.as_ref()),
                        links: Vec::new(),
                        echoes: Vec::new(),
                        negative: values::negative_strategy(
                            &model.schemas,
                            schema,
                            &ValueContext::request(),
                        )
                        .ok()
                        .map(|n| n.prop_map(|n| n.value).sboxed()),
                    })
                });
                OpInfo {
                    id: op.id.clone(),
                    kind,
                    params,
                    body,
                    admin: model.is_admin(&op.id),
                    secured: !op.allows_anonymous(),
                    account: None,
                    outputs: outputs(model, op),
                    output_name: op
                        .success_responses()
                        .find_map(|(_, r)| r.json_schema())
                        .and_then(|s| model.schemas.try_get(s))
                        .and_then(|s| s.name.clone()),
                }
            })
            .collect();

        // Own-account operations: `GET /me`-like, no path parameters, credentials required.
        for (i, op) in model.operations.iter().enumerate() {
            if op.method != Method::Get || !op.path_parameters().is_empty() || op.allows_anonymous()
            {
                continue;
            }
            let last = op
                .path
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let linked = model.links_from(&op.id).find_map(|l| {
                let LinkTarget::Parameter { name, .. } = &l.target else {
                    return None;
                };
                let kind = param_kind_by_name(model, &l.consumer, name)?;
                Some((kind, ref_source(&l.source)?))
            });
            let by_name = || {
                if !ACCOUNT_SEGMENTS.contains(&last.as_str()) {
                    return None;
                }
                let r = ["user", "account", "member", "profile"]
                    .iter()
                    .find_map(|k| model.resource(k))?;
                let props = response_properties(model, op);
                let field = r
                    .id_field
                    .clone()
                    .filter(|f| props.contains(f))
                    .or_else(|| props.iter().find(|p| *p == "id").cloned())?;
                Some((
                    r.kind.clone(),
                    RefSource::Body {
                        pointer: format!("/{field}"),
                    },
                ))
            };
            let found = if ACCOUNT_SEGMENTS.contains(&last.as_str()) {
                linked.or_else(by_name)
            } else {
                None
            };
            if let Some((kind, source)) = found {
                kinds.entry(kind.clone()).or_default().account.push(i);
                ops[i].account = Some((kind, source));
            }
        }

        // Which arguments name objects of which kind.
        for (i, op) in model.operations.iter().enumerate() {
            let path_params = op.path_parameters();
            let last_path = path_params.last().map(|p| p.name.clone());
            let mut params = std::mem::take(&mut ops[i].params);
            for p in &mut params {
                let own = match (&ops_kind(model, op), &last_path) {
                    (Some((k, role)), Some(last))
                        if p.location == ParameterLocation::Path
                            && &p.name == last
                            && *role != CrudRole::Create
                            && *role != CrudRole::List =>
                    {
                        Some(k.clone())
                    }
                    _ => None,
                };
                let kind = own
                    .or_else(|| {
                        model.links_to(&op.id).find_map(|l| match &l.target {
                            LinkTarget::Parameter { location, name }
                                if *location == p.location && *name == p.name =>
                            {
                                producer_kind(model, &ops, &l.producer)
                            }
                            _ => None,
                        })
                    })
                    .or_else(|| param_kind_by_name(model, &op.id, &p.name));
                p.kind = kind.filter(|k| kinds.get(k).is_some_and(KindInfo::producible));
            }
            ops[i].params = params;
            let body_links: Vec<(String, String)> = model
                .links_to(&op.id)
                .filter_map(|l| match &l.target {
                    LinkTarget::Body { pointer } => {
                        let kind = producer_kind(model, &ops, &l.producer)?;
                        kinds
                            .get(&kind)
                            .is_some_and(KindInfo::producible)
                            .then(|| (pointer.clone(), kind))
                    }
                    _ => None,
                })
                .collect();
            if let Some(body) = &mut ops[i].body {
                for link in body_links {
                    if !body.links.contains(&link) {
                        body.links.push(link);
                    }
                }
            }
        }
        // Values earlier responses can supply: query parameters that name no object, and
        // top-level body fields that are not links.
        for i in 0..ops.len() {
            let op = &model.operations[i];
            let mut params = std::mem::take(&mut ops[i].params);
            for p in &mut params {
                if p.kind.is_some() || p.location != ParameterLocation::Query {
                    continue;
                }
                let Some(arg) = op
                    .parameter(p.location, &p.name)
                    .and_then(|q| shape(model, q.schema))
                else {
                    continue;
                };
                p.echoes = echoes_for(&ops, &p.name, &arg, true);
            }
            ops[i].params = params;
            let Some(schema) = op.json_request_schema() else {
                continue;
            };
            let Some(props) = model.schemas.object_properties(schema) else {
                continue;
            };
            let mut body_echoes = Vec::new();
            for (name, prop) in props {
                let at = format!("/{}", escape_pointer(name));
                let linked = ops[i]
                    .body
                    .as_ref()
                    .is_some_and(|b| b.links.iter().any(|(p, _)| *p == at));
                let Some(arg) = shape(model, *prop) else {
                    continue;
                };
                // Read-only fields are not sent (the mass-assignment pattern sends them, as a
                // user, on purpose): an admin echoing its own `role: admin` into a user's
                // update would promote that user.
                let read_only = model.schemas.try_get(*prop).is_some_and(|s| s.read_only);
                if linked || read_only {
                    continue;
                }
                let echoes = echoes_for(&ops, name, &arg, false);
                if !echoes.is_empty() {
                    body_echoes.push((at, echoes));
                }
            }
            if let Some(body) = &mut ops[i].body {
                body.echoes = body_echoes;
            }
        }
        // Create operations of kinds whose id could not be located are still useful as plain
        // steps; kinds nobody produces stay without objects.
        Catalog { ops, kinds }
    }
}

fn ops_kind(model: &ApiModel, op: &Operation) -> Option<(String, CrudRole)> {
    model
        .resource_of(&op.id)
        .map(|(r, role)| (r.kind.clone(), role))
}

/// The kind whose objects a producer's response describes: the kind it creates, or the kind of
/// the account it returns.
fn producer_kind(model: &ApiModel, ops: &[OpInfo], producer: &OperationId) -> Option<String> {
    if let Some((r, CrudRole::Create | CrudRole::Read)) = model.resource_of(producer) {
        return Some(r.kind.clone());
    }
    ops.iter()
        .find(|o| &o.id == producer)
        .and_then(|o| o.account.as_ref().map(|(k, _)| k.clone()))
}

/// The kind a parameter called `name` of `op` names: the resource whose id parameters include
/// it, preferring the kind of `op` itself and its parents.
fn param_kind_by_name(model: &ApiModel, op: &OperationId, name: &str) -> Option<String> {
    let candidates: Vec<&crate::model::Resource> = model
        .resources
        .iter()
        .filter(|r| r.id_params.iter().any(|p| p == name))
        .collect();
    match candidates.as_slice() {
        [] => None,
        [one] => Some(one.kind.clone()),
        many => {
            // Ambiguous (`{id}` everywhere): the kind of the operation, if it is one of them.
            let own = model.resource_of(op).map(|(r, _)| r.kind.clone());
            many.iter()
                .find(|r| Some(&r.kind) == own.as_ref())
                .map(|r| r.kind.clone())
        }
    }
}

/// Fields of a create or update body that a client should not be able to set.
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

fn privileged_fields(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(name: &str) -> (ApiModel, Catalog) {
        let path = format!("{}/../corpus/specs/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
        let model = crate::load_file(path).expect("demo spec loads");
        let catalog = Catalog::new(&model);
        (model, catalog)
    }

    fn op<'c>(c: &'c Catalog, id: &str) -> &'c OpInfo {
        c.ops
            .iter()
            .find(|o| o.id.as_str() == id)
            .unwrap_or_else(|| panic!("no {id}"))
    }

    /// `(producer, pointer)` of each echo, readable.
    fn sources(c: &Catalog, echoes: &[Echo]) -> Vec<String> {
        echoes
            .iter()
            .map(|e| format!("{} {}", c.ops[e.producer].id, e.pointer))
            .collect()
    }

    fn param_echoes(c: &Catalog, id: &str, name: &str) -> Vec<String> {
        let p = op(c, id)
            .params
            .iter()
            .find(|p| p.name == name)
            .expect("param");
        sources(c, &p.echoes)
    }

    #[test]
    fn a_filter_takes_the_field_of_the_same_name_with_a_value_it_admits() {
        let (_, c) = demo("shop");
        let status = param_echoes(&c, "GET /users/{userId}/orders", "status");
        assert!(
            status.contains(&"POST /users/{userId}/orders/{orderId}/cancel /status".to_string()),
            "{status:?}"
        );
        assert!(
            status.iter().all(|s| s.ends_with("/status")),
            "only `status` fields: {status:?}"
        );
        // An enum filter is not free text: no other string field feeds it.
        assert!(!status.iter().any(|s| s.contains("/name")), "{status:?}");
    }

    #[test]
    fn free_text_search_takes_any_free_text_field_an_id_takes_its_subject() {
        let (_, c) = demo("notes");
        let q = param_echoes(&c, "GET /documents", "q");
        assert!(
            q.contains(&"POST /teams/{teamId}/documents /title".to_string()),
            "{q:?}"
        );
        // Not a UUID, a date or an enum.
        assert!(
            !q.iter()
                .any(|s| s.ends_with("/id") || s.ends_with("At") || s.ends_with("/status")),
            "{q:?}"
        );
        let body = op(&c, "POST /teams/{teamId}/members")
            .body
            .as_ref()
            .expect("a body");
        let (at, echoes) = body.echoes.first().expect("userId is echoed");
        assert_eq!(at, "/userId");
        let from = sources(&c, echoes);
        assert!(from.contains(&"GET /me /id".to_string()), "{from:?}");
        assert!(
            from.contains(&"POST /teams/{teamId}/members /userId".to_string()),
            "{from:?}"
        );
        // Body fields never echo free text from elsewhere: a comment body keeps its values.
        let comment = op(&c, "POST /teams/{teamId}/documents/{documentId}/comments")
            .body
            .as_ref()
            .expect("a body");
        assert!(comment.echoes.is_empty(), "{:?}", comment.echoes);
        // A read-only field is never echoed into a body (`role: admin` from an admin's `/me`).
        let (_, shop) = demo("shop");
        let update = op(&shop, "PATCH /users/{userId}")
            .body
            .as_ref()
            .expect("a body");
        assert!(
            update.echoes.iter().all(|(at, _)| at != "/role"),
            "{:?}",
            update.echoes
        );
        assert!(
            comment.negative.is_some(),
            "the comment body has constraints"
        );
    }

    #[test]
    fn shapes_accept_only_compatible_values() {
        let text = Shape {
            ty: "string",
            enum_values: None,
            format: None,
            free: true,
        };
        let status = Shape {
            ty: "string",
            enum_values: Some(vec![Value::from("placed"), Value::from("cancelled")]),
            format: None,
            free: false,
        };
        let cancelled = Shape {
            enum_values: Some(vec![Value::from("cancelled")]),
            ..status.clone()
        };
        let uuid = Shape {
            format: Some("uuid".into()),
            free: false,
            ..text.clone()
        };
        let int = Shape {
            ty: "integer",
            enum_values: None,
            format: None,
            free: false,
        };
        assert!(status.accepts(&cancelled));
        assert!(!cancelled.accepts(&status), "`placed` is not admitted");
        assert!(!status.accepts(&text));
        assert!(text.accepts(&status) && text.accepts(&uuid));
        assert!(!uuid.accepts(&text));
        assert!(!text.accepts(&int) && !int.accepts(&text));
        assert_eq!(id_subject("userId").as_deref(), Some("user"));
        assert_eq!(id_subject("owner_id").as_deref(), Some("owner"));
        assert_eq!(id_subject("id"), None);
        assert_eq!(id_subject("title"), None);
    }
}

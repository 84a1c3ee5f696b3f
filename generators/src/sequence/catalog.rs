//! What the sequence generators need to know about a model, computed once per model: for every
//! operation, which of its arguments name an object of which kind, how a new object's id is read
//! from a producer's response, which operations are admin-only or secured, and which body fields
//! are privileged. Built from `ApiModel.resources`, `links` and `admin_operations`.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use proptest::strategy::{SBoxedStrategy, Strategy};
use serde_json::Value;

mod echoes;
mod kinds;
mod privileged;

use super::arg_values::path_only;
use super::step::RefSource;
use crate::model::{
    ApiModel, CrudRole, Operation, OperationId, ParameterLocation, SchemaKind, SecurityScheme,
};
use crate::values::attack::{Admits, Labelled};
use crate::values::{self, ValueContext};
pub(crate) use echoes::Echoes;
use echoes::find_echoes;
pub use kinds::ACCOUNT_SEGMENTS;
use kinds::{bind_kinds, find_accounts, kinds_of, unique_keys};
use privileged::privileged_fields;

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
    pub echoes: Echoes,
    /// The lengths of attack payloads this argument admits, when its schema admits them (a
    /// path or query parameter only: header and cookie values cannot carry every payload).
    pub admits: Option<Admits>,
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
    /// Each with its `violates` label (`readOnly at /role`).
    pub privileged: Vec<(String, SBoxedStrategy<Value>, String)>,
    /// Body fields (JSON pointers) that take the id of an object of a kind.
    pub links: Vec<(String, String)>,
    /// Top-level body fields (JSON pointers) that earlier responses may supply, other than
    /// `links`.
    pub echoes: Vec<(String, Echoes)>,
    /// Bodies with exactly one constraint broken, when the schema has constraints to break,
    /// labelled with it (`minLength at /username`).
    pub negative: Option<SBoxedStrategy<Labelled>>,
    /// The places of the body that admit attack payloads (see [`values::attack::sites`]).
    pub sites: Vec<(String, Admits)>,
    /// The natural key a create sends (`title` of a snippet), whose values are made unique.
    pub key: Option<UniqueKey>,
}

/// A natural key a create sends and the server keys the new object by (`title`, `username`):
/// its values are made unique per step, so that two creates of a case, or a create and an
/// object the service seeded, never collide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UniqueKey {
    /// The top-level body field.
    pub field: String,
    /// Whether values must be email addresses.
    pub email: bool,
    /// `minLength` and `maxLength` of the field.
    pub min_len: usize,
    pub max_len: Option<usize>,
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
    /// Why the operation is never sent, when a required argument admits no value that can be
    /// generated (the schema pointer and the reason): sending `null` instead would be an
    /// invalid request passed off as a valid one.
    pub skipped: Option<String>,
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
    /// Lists whose elements carry the key, with where the first element's key is: objects
    /// made by anyone (seeded by the service too) are found there.
    pub listed: Vec<(usize, RefSource)>,
    pub parent: Option<String>,
    /// Whether every identity has exactly one object of the kind (its account).
    pub singleton: bool,
}

impl KindInfo {
    /// Whether objects of this kind can be obtained at all.
    pub fn producible(&self) -> bool {
        !self.create.is_empty() || !self.account.is_empty() || !self.listed.is_empty()
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
    /// Per operation: never sent ([`super::Selection::exclude`]).
    excluded: Vec<bool>,
    /// Per operation: patterns may aim at it; the others are sent only to produce inputs.
    aimed: Vec<bool>,
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
            (!need.is_empty() && need.iter().all(|n| have.contains(n)) && self.aimed(r))
                .then(|| read.id.clone())
        })
    }

    /// Computes the catalog of `model`.
    pub fn new(model: &ApiModel) -> Self {
        let mut kinds = kinds_of(model);
        let credentials = credential_params(model);
        // Operations share schemas (bodies, parameters): each strategy is built once.
        let mut memo = values::Memo::new(&model.schemas);
        let mut ops: Vec<OpInfo> = model
            .operations
            .iter()
            .map(|op| op_info(&mut memo, model, op, &credentials))
            .collect();
        drop(memo);
        find_accounts(model, &mut ops, &mut kinds);
        bind_kinds(model, &mut ops, &kinds);
        unique_keys(model, &mut ops, &kinds);
        find_echoes(model, &mut ops);
        // Create operations of kinds whose id could not be located are still useful as plain
        // steps; kinds nobody produces stay without objects.
        let excluded: Vec<bool> = ops.iter().map(|o| o.skipped.is_some()).collect();
        let n = ops.len();
        let mut catalog = Catalog {
            ops,
            kinds,
            excluded,
            aimed: vec![true; n],
        };
        if catalog.excluded.contains(&true) {
            catalog.drop_excluded();
        }
        catalog
    }

    /// The operations never sent because a required argument admits no value, with why.
    pub fn skipped(&self) -> impl Iterator<Item = (&OperationId, &str)> {
        self.ops
            .iter()
            .filter_map(|o| o.skipped.as_deref().map(|why| (&o.id, why)))
    }

    /// Narrows the catalog to `selection`: excluded operations leave every list a pattern or a
    /// prerequisite draws from (creates, accounts, reads, lists, echo producers), and only the
    /// operations it aims at stay [`Catalog::aimed`]. Applied on top of earlier narrowing.
    pub fn restrict(&mut self, selection: &super::Selection) {
        for (i, op) in self.ops.iter().enumerate() {
            self.excluded[i] |= selection.excludes(&op.id);
            self.aimed[i] &= selection.aims_at(&op.id);
        }
        self.drop_excluded();
    }

    /// Takes the excluded operations out of every list a pattern or a prerequisite draws from.
    fn drop_excluded(&mut self) {
        let off = self.excluded.clone();
        let keep = |op: &usize| !off[*op];
        for k in self.kinds.values_mut() {
            k.create.retain(|(op, _)| keep(op));
            k.listed.retain(|(op, _)| keep(op));
            for list in [
                &mut k.account,
                &mut k.read,
                &mut k.update,
                &mut k.delete,
                &mut k.list,
            ] {
                list.retain(keep);
            }
        }
        // Lists shared by many arguments stay shared once narrowed.
        let mut narrowed = echoes::Narrowed::new(&off);
        for op in &mut self.ops {
            for p in &mut op.params {
                p.echoes = narrowed.of(&p.echoes);
            }
            if let Some(b) = &mut op.body {
                for (_, echoes) in &mut b.echoes {
                    *echoes = narrowed.of(echoes);
                }
                b.echoes.retain(|(_, echoes)| !echoes.is_empty());
            }
        }
    }

    /// Whether operation `op` is never sent.
    pub fn excluded(&self, op: usize) -> bool {
        self.excluded.get(op).copied().unwrap_or(false)
    }

    /// The indexes of `ops` among the operations patterns may aim at, in the catalog's order.
    pub fn focus(&self, ops: &[OperationId]) -> Vec<usize> {
        if ops.is_empty() {
            return Vec::new();
        }
        (0..self.ops.len())
            .filter(|&i| !self.excluded(i) && self.aimed(i) && ops.contains(&self.ops[i].id))
            .collect()
    }

    /// Whether patterns may aim at operation `op` (else it is sent only to produce inputs).
    pub fn aimed(&self, op: usize) -> bool {
        self.aimed.get(op).copied().unwrap_or(true)
    }
}

/// Operation `op` as the generators see it, before accounts, object arguments and echoes are
/// known: its arguments but the credentials the harness sets itself, its body, whether it is
/// admin-only or secured, and what its answer holds.
fn op_info(
    memo: &mut values::Memo<'_>,
    model: &ApiModel,
    op: &Operation,
    credentials: &BTreeSet<(ParameterLocation, String)>,
) -> OpInfo {
    let kind = model
        .resource_of(&op.id)
        .map(|(r, role)| (r.kind.clone(), role));
    let mut skipped = None;
    let params = op
        .parameters
        .iter()
        .filter(|p| {
            let authorization = p.location == ParameterLocation::Header
                && p.name.eq_ignore_ascii_case("authorization");
            let credential = credentials.contains(&(p.location, p.name.to_ascii_lowercase()));
            !authorization && !credential
        })
        .filter_map(|p| {
            let required = p.required || p.location == ParameterLocation::Path;
            let strategy = match memo.strategy(p.schema, &ValueContext::request()) {
                Ok(strategy) => strategy,
                Err(e) => {
                    // An optional parameter without values is left out; a required one makes the
                    // operation unsendable.
                    if required && skipped.is_none() {
                        skipped = Some(format!(
                            "no valid value for {} parameter `{}` (schema {}): {}",
                            location_name(p.location),
                            p.name,
                            e.pointer,
                            e.reason
                        ));
                    }
                    return None;
                }
            };
            Some(ParamInfo {
                location: p.location,
                name: p.name.clone(),
                required,
                kind: None,
                strategy: if p.location == ParameterLocation::Path {
                    path_only(strategy)
                } else {
                    strategy
                },
                echoes: Echoes::default(),
                admits: matches!(
                    p.location,
                    ParameterLocation::Path | ParameterLocation::Query
                )
                .then(|| values::attack::admits(&model.schemas, p.schema))
                .flatten(),
            })
        })
        .collect();
    let body = match body_info(memo, model, op, kind.as_ref()) {
        Ok(body) => body,
        Err(why) => {
            if op.request_body.as_ref().is_some_and(|b| b.required) && skipped.is_none() {
                skipped = Some(why);
            }
            None
        }
    };
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
        skipped,
    }
}

/// `path`, `query`, `header` or `cookie`.
pub(crate) fn location_name(location: ParameterLocation) -> &'static str {
    match location {
        ParameterLocation::Path => "path",
        ParameterLocation::Query => "query",
        ParameterLocation::Header => "header",
        ParameterLocation::Cookie => "cookie",
    }
}

/// The request body of `op` (the JSON one when there are several), with its value strategies
/// and privileged fields; links and echoes come later. `Ok(None)` without a body; an error
/// (why, naming the schema) when the body's schema admits no value that can be generated.
fn body_info(
    memo: &mut values::Memo<'_>,
    model: &ApiModel,
    op: &Operation,
    kind: Option<&(String, CrudRole)>,
) -> Result<Option<BodyInfo>, String> {
    let Some(b) = op.request_body.as_ref() else {
        return Ok(None);
    };
    let Some((media, mt)) = b
        .content
        .iter()
        .find(|(m, _)| crate::model::is_json_media_type(m))
        .or_else(|| b.content.first())
    else {
        return Ok(None);
    };
    let Some(schema) = mt.schema else {
        return Ok(None);
    };
    let strategy = memo
        .strategy(schema, &ValueContext::request())
        .map_err(|e| format!("no valid request body (schema {}): {}", e.pointer, e.reason))?;
    // Only the required fields; when they alone cannot be generated (recursion the depth
    // budget cuts), the full strategy, never a stand-in that breaks the schema.
    let minimal = memo
        .strategy(schema, &ValueContext::request().with_max_depth(0))
        .unwrap_or_else(|_| strategy.clone());
    Ok(Some(BodyInfo {
        media_type: media.clone(),
        strategy,
        minimal,
        privileged: privileged_fields(memo, model, op, schema, kind),
        links: Vec::new(),
        echoes: Vec::new(),
        negative: memo
            .negative(schema, &ValueContext::request())
            .ok()
            .map(|n| n.prop_map(|n| (n.value.clone(), vec![n.label()])).sboxed()),
        sites: values::attack::sites(&model.schemas, schema),
        key: None,
    }))
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
        // The member's `userId` names an account: `GET /me` makes `user` a kind whose objects
        // are the identities' own accounts, so the field is a link to one, not an echo.
        assert_eq!(body.links, [("/userId".to_string(), "user".to_string())]);
        assert!(body.echoes.iter().all(|(at, _)| at != "/userId"));
        let me = op(&c, "GET /me");
        assert_eq!(
            me.account,
            Some((
                "user".to_string(),
                RefSource::Body {
                    pointer: "/id".into()
                }
            ))
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
        assert_eq!(echoes::id_subject("userId").as_deref(), Some("user"));
        assert_eq!(echoes::id_subject("owner_id").as_deref(), Some("owner"));
        assert_eq!(echoes::id_subject("id"), None);
        assert_eq!(echoes::id_subject("title"), None);
    }
}

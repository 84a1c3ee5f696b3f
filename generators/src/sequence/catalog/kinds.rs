//! Kinds of objects: which operations create, read, update, delete or list each, where a
//! created object's id is, which operations return the caller's own account, and which
//! arguments and body fields name an object of which kind.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::super::step::RefSource;
use super::{KindInfo, OpInfo, UniqueKey};
use crate::deps::resources::{create_key_sources, list_pointer};
use crate::model::{
    ApiModel, CrudRole, KeySource, Link, LinkSource, LinkTarget, Method, Operation, OperationId,
    ParameterLocation, Resource,
};

/// Last path segments of operations that return the caller's own account (`GET /me`).
pub const ACCOUNT_SEGMENTS: &[&str] = &[
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

fn ref_source(source: &LinkSource) -> Option<RefSource> {
    Some(match source {
        LinkSource::ResponseBody { pointer, .. } => RefSource::Body {
            pointer: pointer.clone(),
        },
        LinkSource::LocationHeader { .. } => RefSource::Location,
        LinkSource::ResponseHeader { name, .. } => RefSource::Header { name: name.clone() },
        LinkSource::RequestBody { pointer } => RefSource::Request {
            pointer: pointer.clone(),
        },
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

fn has_location(op: &Operation) -> bool {
    op.success_responses()
        .any(|(_, r)| r.header("Location").is_some())
}

/// The kinds of `model`'s resources, with their operations and where a created object's id is
/// (accounts come later, from [`find_accounts`]).
pub(super) fn kinds_of(model: &ApiModel) -> IndexMap<String, KindInfo> {
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
        k.singleton = r.singleton;
        for (role, op) in r.operations() {
            let Some(&i) = index.get(op) else { continue };
            // The caller's own object (`GET|PATCH /me`) names no object of anyone else: it
            // is an account (see `find_accounts`), not an item operation.
            let keyless = r.singleton && model.operations[i].path_parameters().is_empty();
            match role {
                CrudRole::Create => {}
                CrudRole::Read | CrudRole::Update if keyless => {}
                CrudRole::Read => k.read.push(i),
                CrudRole::Update => k.update.push(i),
                CrudRole::Delete => k.delete.push(i),
                CrudRole::List => k.list.push(i),
            }
        }
        for source in &r.key_sources {
            let KeySource::List { operation, pointer } = source else {
                continue;
            };
            if let (Some(&i), Some(pointer)) = (
                index.get(operation),
                list_pointer(model, operation, pointer),
            ) {
                k.listed.push((i, RefSource::Body { pointer }));
            }
        }
        for op in &r.create {
            let Some(&i) = index.get(op) else { continue };
            if let Some(source) = create_source(model, r, op, &model.operations[i]) {
                k.create.push((i, source));
            }
        }
    }
    kinds
}

/// Where an object created by `op` (`operation`) of resource `r` has its id: a link from the
/// create operation to an operation of the same kind, else the id field, else the Location
/// header, else `/id`.
fn create_source(
    model: &ApiModel,
    r: &crate::model::Resource,
    op: &OperationId,
    operation: &Operation,
) -> Option<RefSource> {
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
    let from_keys = || {
        create_key_sources(model, r, operation)
            .into_iter()
            .find_map(|source| match source {
                KeySource::ResponseBody { pointer } => Some(RefSource::Body { pointer }),
                KeySource::RequestBody { pointer } => Some(RefSource::Request { pointer }),
                KeySource::Location => Some(RefSource::Location),
                _ => None,
            })
    };
    from_link
        .or_else(from_keys)
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
        })
}

/// Own-account operations: `GET /me`-like, no path parameters, credentials required. Each
/// found is recorded on its operation and its kind.
pub(super) fn find_accounts(
    model: &ApiModel,
    ops: &mut [OpInfo],
    kinds: &mut IndexMap<String, KindInfo>,
) {
    for (i, op) in model.operations.iter().enumerate() {
        if op.method != Method::Get || !op.path_parameters().is_empty() || op.allows_anonymous() {
            continue;
        }
        if let Some((kind, source)) = account_of(model, op) {
            kinds.entry(kind.clone()).or_default().account.push(i);
            ops[i].account = Some((kind, source));
        }
    }
}

/// The kind of the caller's own account that `op` returns, with where its id is, when the
/// operation's last path segment names an account (`/me`): from a link of its answer to a
/// parameter that names a kind, else from the `user`, `account`, `member` or `profile`
/// resource's id field.
fn account_of(model: &ApiModel, op: &Operation) -> Option<(String, RefSource)> {
    if let Some((r, CrudRole::Read)) = model.resource_of(&op.id)
        && r.singleton
        && let Some(source) = singleton_source(model, r, op)
    {
        return Some((r.kind.clone(), source));
    }
    let last = op
        .path
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if !ACCOUNT_SEGMENTS.contains(&last.as_str()) {
        return None;
    }
    let linked = model.links_from(&op.id).find_map(|l| {
        let LinkTarget::Parameter { name, .. } = &l.target else {
            return None;
        };
        let kind = param_kind_by_name(model, &l.consumer, name)?;
        Some((kind, ref_source(&l.source)?))
    });
    linked.or_else(|| {
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
    })
}

/// Where the key of kind `r` is in the answer of its own-object read `op` (`GET /me`): a
/// link's source from `op` to a key parameter of the kind, else the key field.
fn singleton_source(
    model: &ApiModel,
    r: &crate::model::Resource,
    op: &Operation,
) -> Option<RefSource> {
    let linked = model.links_from(&op.id).find_map(|l| match &l.target {
        LinkTarget::Parameter { name, .. } if r.id_params.contains(name) => ref_source(&l.source),
        _ => None,
    });
    linked.or_else(|| {
        let schema = op
            .success_responses()
            .find_map(|(_, resp)| resp.json_schema())?;
        let field = r.id_field.as_ref()?;
        let (_, pointer) = crate::deps::resources::find_field(
            &model.schemas,
            schema,
            std::slice::from_ref(field),
        )?;
        Some(RefSource::Body { pointer })
    })
}

/// What [`bind_kinds`] looks up for every argument, indexed once, so that set-up stays linear
/// in the operations (each argument used to scan every link and every resource). Each lookup
/// answers what the model's own scan would: the first match in the model's order.
struct Lookup<'m> {
    /// Links by consumer, in the model's order.
    links_to: HashMap<&'m OperationId, Vec<&'m Link>>,
    /// The kind and role of an operation ([`ApiModel::resource_of`]).
    roles: HashMap<&'m OperationId, (&'m str, CrudRole)>,
    /// Resources by the names of their id parameters, in the model's order.
    by_id_param: HashMap<&'m str, Vec<&'m Resource>>,
    /// Operations by id (the first of an id).
    ops: HashMap<OperationId, usize>,
}

impl<'m> Lookup<'m> {
    fn new(model: &'m ApiModel, ops: &[OpInfo]) -> Self {
        let mut links_to: HashMap<&OperationId, Vec<&Link>> = HashMap::new();
        for link in &model.links {
            links_to.entry(&link.consumer).or_default().push(link);
        }
        let mut roles = HashMap::new();
        let mut by_id_param: HashMap<&str, Vec<&Resource>> = HashMap::new();
        for r in &model.resources {
            for (role, op) in r.operations() {
                roles.entry(op).or_insert((r.kind.as_str(), role));
            }
            for name in &r.id_params {
                let list = by_id_param.entry(name.as_str()).or_default();
                if !list.last().is_some_and(|last| std::ptr::eq(*last, r)) {
                    list.push(r);
                }
            }
        }
        let mut by_id = HashMap::new();
        for (i, o) in ops.iter().enumerate() {
            by_id.entry(o.id.clone()).or_insert(i);
        }
        Self {
            links_to,
            roles,
            by_id_param,
            ops: by_id,
        }
    }

    fn links_to(&self, op: &OperationId) -> &[&'m Link] {
        self.links_to.get(op).map_or(&[], Vec::as_slice)
    }

    fn kind_of(&self, op: &OperationId) -> Option<(&'m str, CrudRole)> {
        self.roles.get(op).copied()
    }

    /// The kind of the objects `producer` answers with: its own kind for a create or a read,
    /// else the kind of the account it returns.
    fn producer_kind(&self, ops: &[OpInfo], producer: &OperationId) -> Option<String> {
        if let Some((kind, CrudRole::Create | CrudRole::Read)) = self.kind_of(producer) {
            return Some(kind.to_string());
        }
        let i = *self.ops.get(producer)?;
        ops[i].account.as_ref().map(|(k, _)| k.clone())
    }

    /// The kind a parameter called `name` of `op` names: the resource whose id parameters
    /// include it, preferring the kind of `op` itself when several do.
    fn param_kind_by_name(&self, op: &OperationId, name: &str) -> Option<String> {
        match self.by_id_param.get(name).map(Vec::as_slice) {
            None | Some([]) => None,
            Some([one]) => Some(one.kind.clone()),
            Some(many) => {
                // Ambiguous (`{id}` everywhere): the kind of the operation, if it is one of them.
                let own = self.kind_of(op).map(|(kind, _)| kind);
                many.iter()
                    .find(|r| Some(r.kind.as_str()) == own)
                    .map(|r| r.kind.clone())
            }
        }
    }
}

/// Which arguments name objects of which (producible) kind: the last path parameter of an
/// operation on one object names its own kind, others the kind of a link's producer or the
/// kind whose id parameters have their name; body fields link to the kinds of links'
/// producers.
pub(super) fn bind_kinds(model: &ApiModel, ops: &mut [OpInfo], kinds: &IndexMap<String, KindInfo>) {
    let lookup = Lookup::new(model, ops);
    for (i, op) in model.operations.iter().enumerate() {
        let path_params = op.path_parameters();
        let last_path = path_params.last().map(|p| p.name.clone());
        let own_kind = lookup.kind_of(&op.id);
        let links = lookup.links_to(&op.id);
        let mut params = std::mem::take(&mut ops[i].params);
        for p in &mut params {
            let own = match (own_kind, &last_path) {
                (Some((k, role)), Some(last))
                    if p.location == ParameterLocation::Path
                        && &p.name == last
                        && role != CrudRole::Create
                        && role != CrudRole::List =>
                {
                    Some(k.to_string())
                }
                _ => None,
            };
            let kind = own
                .or_else(|| {
                    links.iter().find_map(|l| match &l.target {
                        LinkTarget::Parameter { location, name }
                            if *location == p.location && *name == p.name =>
                        {
                            lookup.producer_kind(ops, &l.producer)
                        }
                        _ => None,
                    })
                })
                .or_else(|| lookup.param_kind_by_name(&op.id, &p.name));
            p.kind = kind.filter(|k| kinds.get(k).is_some_and(KindInfo::producible));
        }
        ops[i].params = params;
        let body_links: Vec<(String, String)> = links
            .iter()
            .filter_map(|l| match &l.target {
                LinkTarget::Body { pointer } => {
                    let kind = lookup.producer_kind(ops, &l.producer)?;
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

/// The natural keys creates send (a create whose new object's key is read back from its own
/// request, `RefSource::Request` at a top-level field): recorded on the create's body when the
/// field is a plain string (no enum or pattern) long enough to hold a unique value.
pub(super) fn unique_keys(
    model: &ApiModel,
    ops: &mut [OpInfo],
    kinds: &IndexMap<String, KindInfo>,
) {
    for info in kinds.values() {
        for (op, source) in &info.create {
            let RefSource::Request { pointer } = source else {
                continue;
            };
            let field = crate::pointer::unescape(pointer.trim_start_matches('/')).into_owned();
            if field.is_empty() || pointer[1..].contains('/') {
                continue;
            }
            let Some(key) = unique_key(model, &model.operations[*op], field) else {
                continue;
            };
            if let Some(body) = &mut ops[*op].body {
                body.key = Some(key);
            }
        }
    }
}

/// The unique-key description of `field` of the JSON request body of `op`, when values of the
/// form `k<step>x<random>` (or that `@example.com`) fit its schema.
fn unique_key(model: &ApiModel, op: &Operation, field: String) -> Option<UniqueKey> {
    let body = op.json_request_schema()?;
    let &schema = model.schemas.object_properties(body)?.get(&field)?;
    let s = model.schemas.try_get(schema)?;
    let crate::model::SchemaKind::String(bounds) = &s.kind else {
        return None;
    };
    if bounds.pattern.is_some() || s.enum_values.is_some() || s.const_value.is_some() {
        return None;
    }
    let email = s.format.as_deref() == Some("email");
    if s.format.is_some() && !email {
        return None;
    }
    let max_len = bounds.max_length.map(|m| m as usize);
    // `k<step>x` and six random characters (and the domain) must fit.
    let needed = 12 + if email { 12 } else { 0 };
    if max_len.is_some_and(|m| m < needed) {
        return None;
    }
    Some(UniqueKey {
        field,
        email,
        min_len: bounds.min_length.unwrap_or(0) as usize,
        max_len,
    })
}

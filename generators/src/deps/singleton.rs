//! The caller's own objects, addressed without a key: `GET|PUT|PATCH /me`, `/users/me`,
//! `/account`, `/profile`, GitHub's `/user`. Each joins the kind whose schema it returns (the
//! `User` schema -> kind `user`), else the kind named after its segment, as a read or an
//! update; that kind is then a singleton: every identity has exactly one.

use indexmap::IndexMap;

use super::keys::success_json_schema;
use super::resources::{Segment, segments, singular};
use crate::model::{ApiModel, Method, Operation, Resource, SchemaId, Schemas};

/// Segments that stand for the caller wherever they are (`/me`, `/users/me`).
const PRONOUNS: &[&str] = &[
    "me",
    "self",
    "myself",
    "whoami",
    "current",
    "current-user",
    "currentuser",
    "current_user",
];

/// Segments that name the caller's own object when they are the whole path (`/user`,
/// `/account`, `/profile`).
const OWN_OBJECTS: &[&str] = &["user", "account", "profile", "my-account", "myaccount"];

/// Whether a literal segment stands for the caller (`me`, `user` of `/user/repos`).
pub(crate) fn names_caller(segment: &str) -> bool {
    let l = segment.to_ascii_lowercase();
    PRONOUNS.contains(&l.as_str()) || OWN_OBJECTS.contains(&l.as_str())
}

/// The segment that makes `op` the caller's own object, and the collection before it
/// (`users` of `/users/me`), when `op` is one: a GET, PUT or PATCH with no path parameter
/// whose path is a pronoun (`/me`, `/users/me`) or an own-object word alone (`/user`).
pub(crate) fn own_object_segment(op: &Operation) -> Option<(String, Option<String>)> {
    if !matches!(op.method, Method::Get | Method::Put | Method::Patch) {
        return None;
    }
    let segs = segments(&op.path);
    if segs.iter().any(|s| matches!(s, Segment::Param(_))) {
        return None;
    }
    let literal = |s: &Segment<'_>| match s {
        Segment::Literal(l) => l.to_ascii_lowercase(),
        Segment::Param(p) => (*p).to_string(),
    };
    match segs.as_slice() {
        [one] => {
            let l = literal(one);
            (PRONOUNS.contains(&l.as_str()) || OWN_OBJECTS.contains(&l.as_str()))
                .then_some((l, None))
        }
        [.., coll, last] => {
            let l = literal(last);
            PRONOUNS
                .contains(&l.as_str())
                .then(|| (l, Some(literal(coll))))
        }
        [] => None,
    }
}

/// Adds the caller's own-object operations of `model` to `kinds` (a map by kind name, whose
/// schemas are already known), creating kinds when no existing one fits, and marks their kinds
/// as singletons.
pub(crate) fn join_singletons(model: &ApiModel, kinds: &mut IndexMap<String, Resource>) {
    // GETs first: a PATCH without an answer schema joins the kind its path's GET joined.
    let mut ops: Vec<&Operation> = model
        .operations
        .iter()
        .filter(|op| own_object_segment(op).is_some())
        .collect();
    ops.sort_by_key(|op| op.method != Method::Get);
    let mut by_path: IndexMap<&str, String> = IndexMap::new();
    for op in ops {
        let Some((segment, collection)) = own_object_segment(op) else {
            continue;
        };
        let schema = success_json_schema(op);
        let kind = schema
            .and_then(|s| kind_by_schema(&model.schemas, kinds, s))
            .or_else(|| by_path.get(op.path.as_str()).cloned())
            .or_else(|| {
                let coll = singular(collection.as_deref()?);
                kinds.contains_key(&coll).then_some(coll)
            })
            .unwrap_or_else(|| new_kind_name(&model.schemas, schema, &segment, collection));
        by_path.insert(op.path.as_str(), kind.clone());
        let r = kinds
            .entry(kind.clone())
            .or_insert_with(|| Resource::new(kind.clone()));
        let list = if op.method == Method::Get {
            &mut r.read
        } else {
            &mut r.update
        };
        if !list.contains(&op.id) {
            list.push(op.id.clone());
        }
        r.singleton = true;
        if r.schema.is_none() {
            r.schema = schema;
        }
    }
}

/// The kind whose schema is `schema` (the same id or component name), else the kind named like
/// the schema (`User` -> `user`).
fn kind_by_schema(
    schemas: &Schemas,
    kinds: &IndexMap<String, Resource>,
    schema: SchemaId,
) -> Option<String> {
    let name = schemas.try_get(schema).and_then(|s| s.name.clone());
    let same = |other: SchemaId| {
        other == schema
            || name.is_some() && schemas.try_get(other).and_then(|s| s.name.clone()) == name
    };
    if let Some(r) = kinds.values().find(|r| r.schema.is_some_and(same)) {
        return Some(r.kind.clone());
    }
    let lower = name?.to_ascii_lowercase();
    kinds.contains_key(&lower).then_some(lower)
}

/// The name of a kind made for an own-object operation no existing kind fits: the answer's
/// component name (`Account`), else the collection (`users` of `/users/me`), else the segment
/// (`profile`), else `user` for a pronoun.
fn new_kind_name(
    schemas: &Schemas,
    schema: Option<SchemaId>,
    segment: &str,
    collection: Option<String>,
) -> String {
    if let Some(name) = schema
        .and_then(|s| schemas.try_get(s))
        .and_then(|s| s.name.as_deref())
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return name.to_ascii_lowercase();
    }
    if let Some(coll) = collection {
        return singular(&coll);
    }
    if PRONOUNS.contains(&segment) {
        "user".to_string()
    } else {
        singular(segment)
    }
}

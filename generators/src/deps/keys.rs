//! The key of a resource kind: which field of an object the path parameter carries (an id, or
//! a natural key such as `username`, `title`, `slug`), and where the key of a new object is
//! found ([`KeySource`]): the create's answer, the create's own request, its `Location` header,
//! or a list that shows every object's key.

use crate::model::{
    ApiModel, KeySource, Operation, OperationId, Resource, SchemaId, SchemaKind, Schemas,
};

/// Field names that name an object without being an id, tried when the path parameter says
/// nothing about the field (`{id}` with no `id` field, `{repo}` for a repo).
pub(crate) const NATURAL_KEYS: &[&str] = &[
    "username", "login", "slug", "name", "title", "email", "sku", "handle", "key", "code",
];

/// Names of the same key (normalized), tried after the parameter's own name.
const SYNONYMS: &[&[&str]] = &[&["username", "login", "handle"]];

/// Parameter names that say nothing about which field they carry.
const GENERIC_PARAMS: &[&str] = &["id", "key", "identifier", "ident", "ref", "uid"];

/// Envelopes one object may be wrapped in (`{"data": {...}}`).
const OBJECT_ENVELOPES: &[&str] = &["data", "item", "result"];

/// Envelopes a list may be wrapped in (`{"data": [...]}`).
const LIST_ENVELOPES: &[&str] = &["data", "items", "results", "content"];

/// Lowercase with `_` and `-` removed: `owner_id`, `ownerId` and `OwnerID` compare equal.
pub(crate) fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The part of a parameter after the kind's name (`title` for `book_title`, `bookTitle` or
/// `book-title` of kind `book`), when there is one.
fn after_kind(param: &str, kind: &str) -> Option<String> {
    let lower = param.to_ascii_lowercase();
    if !lower.starts_with(kind) || lower.len() <= kind.len() {
        return None;
    }
    let rest = &param[kind.len()..];
    let rest = rest.trim_start_matches(['_', '-']);
    let mut chars = rest.chars();
    let first = chars.next()?;
    Some(first.to_ascii_lowercase().to_string() + chars.as_str())
}

/// The field names a kind's key may have, best first: each path parameter's own name, its
/// part after the kind's name (`title` of `{book_title}`), then `id`, `<kind>Id`, `<kind>_id`,
/// `uuid`; for a parameter that names no field (`{id}`, `{repo}` of a repo), the common
/// natural keys too (after the ids for `{id}`, before them otherwise).
pub(crate) fn key_candidates(kind: &str, id_params: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let push = |s: String, out: &mut Vec<String>| {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&s)) {
            out.push(s);
        }
    };
    let mut generic_id = false;
    let mut generic_name = false;
    for p in id_params {
        push(p.clone(), &mut out);
        let n = normalized(p);
        // `title` of `{book_title}`, but not `name` of a user's `{username}`.
        if let Some(rest) = after_kind(p, kind).filter(|_| !NATURAL_KEYS.contains(&n.as_str())) {
            push(rest, &mut out);
        }
        // The same thing under another name: GitHub's `{username}` is a `login`.
        if let Some(same) = SYNONYMS.iter().find(|group| group.contains(&n.as_str())) {
            for s in *same {
                push((*s).to_string(), &mut out);
            }
        }
        if n == "id" {
            generic_id = true;
        } else if GENERIC_PARAMS.contains(&n.as_str()) || n == kind || n == format!("{kind}s") {
            generic_name = true;
        }
    }
    let ids = [
        "id".to_string(),
        format!("{kind}Id"),
        format!("{kind}_id"),
        "uuid".to_string(),
    ];
    if generic_name {
        for k in NATURAL_KEYS {
            push((*k).to_string(), &mut out);
        }
    }
    for id in ids {
        push(id, &mut out);
    }
    if generic_id {
        for k in NATURAL_KEYS {
            push((*k).to_string(), &mut out);
        }
    }
    out
}

/// The first of `candidates` that is a property of object schema `schema`, directly or inside
/// one `data`/`item`/`result` envelope: the property's name and the JSON pointer to it.
pub(crate) fn find_field(
    schemas: &Schemas,
    schema: SchemaId,
    candidates: &[String],
) -> Option<(String, String)> {
    let find_in = |id: SchemaId| -> Option<String> {
        let props = schemas.object_properties(id)?;
        candidates
            .iter()
            .find_map(|c| props.keys().find(|k| k.eq_ignore_ascii_case(c)).cloned())
    };
    if let Some(f) = find_in(schema) {
        return Some((f.clone(), format!("/{}", crate::pointer::escape(&f))));
    }
    let props = schemas.object_properties(schema)?;
    for env in OBJECT_ENVELOPES {
        if let Some(&inner) = props.get(*env)
            && let Some(f) = find_in(inner)
        {
            return Some((f.clone(), format!("/{env}/{}", crate::pointer::escape(&f))));
        }
    }
    None
}

/// The key field of a kind's schema, with the JSON pointer to it in a response body (see
/// [`key_candidates`] for the names tried).
pub(crate) fn find_id_field(
    schemas: &Schemas,
    schema: SchemaId,
    kind: &str,
    id_params: &[String],
) -> Option<(String, String)> {
    find_field(schemas, schema, &key_candidates(kind, id_params))
}

/// The object schema inside `schema`: itself, or the object of its one
/// `data`/`item`/`result` envelope when it has no other properties of interest, with the
/// pointer prefix to it.
pub(crate) fn unwrap_object(
    schemas: &Schemas,
    schema: SchemaId,
    has: impl Fn(SchemaId) -> bool,
) -> Option<(SchemaId, String)> {
    if has(schema) {
        return Some((schema, String::new()));
    }
    let props = schemas.object_properties(schema)?;
    OBJECT_ENVELOPES.iter().find_map(|env| {
        let inner = *props.get(*env)?;
        has(inner).then(|| (inner, format!("/{env}")))
    })
}

/// The element schema when `schema` is an array (or an envelope `{data: [...]}`, or an object
/// whose only array is named after what it holds: `{users: [...]}`), with the pointer prefix
/// of the first element.
pub(crate) fn list_element(schemas: &Schemas, schema: SchemaId) -> Option<(SchemaId, String)> {
    let array_items = |id: SchemaId| match &schemas.try_get(id)?.kind {
        SchemaKind::Array(a) => Some(a.items),
        _ => None,
    };
    match &schemas.try_get(schema)?.kind {
        SchemaKind::Array(a) => Some((a.items, "/0".into())),
        SchemaKind::Object(o) => {
            let named = LIST_ENVELOPES.iter().find_map(|env| {
                let items = array_items(*o.properties.get(*env)?)?;
                Some((items, format!("/{env}/0")))
            });
            // An object with an id of its own is an object, not a list in an envelope.
            let has_id = o.properties.keys().any(|k| k.eq_ignore_ascii_case("id"));
            let nested = o
                .properties
                .values()
                .filter(|&&id| schemas.object_properties(id).is_some())
                .count();
            named.or_else(|| {
                if has_id || nested > 0 {
                    return None;
                }
                let mut arrays = o
                    .properties
                    .iter()
                    .filter_map(|(name, &id)| Some((name, array_items(id)?)));
                let (name, items) = arrays.next()?;
                let object_items = schemas.object_properties(items).is_some();
                (arrays.next().is_none() && object_items)
                    .then(|| (items, format!("/{}/0", crate::pointer::escape(name))))
            })
        }
        _ => None,
    }
}

/// The schema of the first 2xx JSON response of `op`.
pub(crate) fn success_json_schema(op: &Operation) -> Option<SchemaId> {
    op.success_responses().find_map(|(_, r)| r.json_schema())
}

/// Whether a create documents a `Location` header on a success answer.
pub(crate) fn documents_location(op: &Operation) -> bool {
    op.success_responses()
        .any(|(_, r)| r.header("Location").is_some())
}

/// Whether a create answers `201` without any body schema (where servers put the new object's
/// address in `Location`, documented or not).
fn created_without_body(op: &Operation) -> bool {
    let mut success = op.success_responses().peekable();
    success.peek().is_some()
        && op.success_responses().all(|(status, r)| {
            r.content.is_empty()
                && matches!(
                    status,
                    crate::model::StatusKey::Code(201) | crate::model::StatusKey::Code(204)
                )
        })
}

/// The key field of a kind in the create's own JSON request body (not read-only), with its
/// pointer: the kind's key field by name, else any of the key's candidate names that is not an
/// id (a client rarely chooses the id).
pub(crate) fn request_key(model: &ApiModel, r: &Resource, op: &Operation) -> Option<String> {
    let body = op.json_request_schema()?;
    let props = model.schemas.object_properties(body)?;
    let writable = |name: &str| {
        props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .filter(|(_, s)| !model.schemas.try_get(**s).is_some_and(|s| s.read_only))
            .map(|(k, _)| k.clone())
    };
    if let Some(field) = &r.id_field {
        return writable(field);
    }
    key_candidates(&r.kind, &r.id_params)
        .iter()
        .filter(|c| {
            let n = normalized(c);
            n != "id" && n != "uuid" && !n.ends_with("id")
        })
        .find_map(|c| writable(c))
}

/// Where the key of an object made by create operation `op` of kind `r` is found, best first:
/// the answer's key field; a documented `Location` header; the request's key field (the
/// server keys the object by a value the caller chose); `Location` again when the create
/// answers 201 with no body and sends nothing that could be the key.
pub(crate) fn create_key_sources(model: &ApiModel, r: &Resource, op: &Operation) -> Vec<KeySource> {
    let mut out = Vec::new();
    let candidates = key_candidates(&r.kind, &r.id_params);
    let candidates: Vec<String> = r.id_field.iter().cloned().chain(candidates).collect();
    if let Some(schema) = success_json_schema(op)
        && let Some((_, pointer)) = find_field(&model.schemas, schema, &candidates)
    {
        out.push(KeySource::ResponseBody { pointer });
        return out;
    }
    if documents_location(op) {
        out.push(KeySource::Location);
    }
    if let Some(field) = request_key(model, r, op) {
        out.push(KeySource::RequestBody {
            pointer: format!("/{}", crate::pointer::escape(&field)),
        });
    }
    if out.is_empty() && created_without_body(op) {
        out.push(KeySource::Location);
    }
    out
}

/// The lists of kind `r` whose elements carry the key field: where objects made by anyone
/// (seeded by the service included) are found. The pointer is within one element.
pub(crate) fn list_key_sources(model: &ApiModel, r: &Resource) -> Vec<KeySource> {
    let Some(field) = &r.id_field else {
        return Vec::new();
    };
    let candidates = [field.clone()];
    r.list
        .iter()
        .filter_map(|id| {
            let op = model.operation(id)?;
            let (element, _) = list_element(&model.schemas, success_json_schema(op)?)?;
            let (_, pointer) = find_field(&model.schemas, element, &candidates)?;
            Some(KeySource::List {
                operation: id.clone(),
                pointer,
            })
        })
        .collect()
}

/// Every key source of kind `r`: its creates' (in order, without repeats), then its lists'.
pub(crate) fn key_sources(model: &ApiModel, r: &Resource) -> Vec<KeySource> {
    let mut out: Vec<KeySource> = Vec::new();
    let creates = r.create.iter().filter_map(|id| model.operation(id));
    for source in creates.flat_map(|op| create_key_sources(model, r, op)) {
        if !out.contains(&source) {
            out.push(source);
        }
    }
    out.extend(list_key_sources(model, r));
    out
}

/// The schema of one element of list `op`'s answer (an array's items, or those of an
/// envelope's array).
pub fn list_element_schema(model: &ApiModel, op: &OperationId) -> Option<SchemaId> {
    let op = model.operation(op)?;
    list_element(&model.schemas, success_json_schema(op)?).map(|(element, _)| element)
}

/// The full pointer (from the answer's root) of the key in the first element of list `op`,
/// for a [`KeySource::List`] whose element pointer is `pointer`.
pub fn list_pointer(model: &ApiModel, op: &OperationId, pointer: &str) -> Option<String> {
    let op = model.operation(op)?;
    let (_, prefix) = list_element(&model.schemas, success_json_schema(op)?)?;
    Some(format!("{prefix}{pointer}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn candidates_follow_the_parameter() {
        let c = key_candidates("book", &strings(&["book_title"]));
        assert_eq!(&c[..3], &strings(&["book_title", "title", "id"])[..]);
        let c = key_candidates("user", &strings(&["username"]));
        assert_eq!(c[0], "username");
        assert!(!c.contains(&"name".to_string()), "{c:?}");
        // `{id}` stays id first; natural keys come after.
        let c = key_candidates("order", &strings(&["id"]));
        assert_eq!(c[0], "id");
        assert!(c.contains(&"slug".to_string()));
        // `{repo}` says nothing: natural keys before the ids.
        let c = key_candidates("repo", &strings(&["repo"]));
        let name = c.iter().position(|x| x == "name").expect("name");
        let id = c.iter().position(|x| x == "id").expect("id");
        assert!(name < id, "{c:?}");
        assert_eq!(after_kind("bookTitle", "book").as_deref(), Some("title"));
        assert_eq!(after_kind("book-name", "book").as_deref(), Some("name"));
        assert_eq!(after_kind("book", "book"), None);
        assert_eq!(normalized("owner_ID"), "ownerid");
    }
}

//! Grouping operations into resource kinds from their path templates.
//!
//! `/orders` (a literal) followed by `/orders/{orderId}` (a parameter) make the kind `order`:
//! `POST /orders` creates, `GET /orders` lists, `GET|PUT|PATCH|DELETE /orders/{orderId}`
//! read, update and delete, and a POST-only action below the item
//! (`/orders/{orderId}/cancel`) updates. The same kind under other parents
//! (`/users/{userId}/orders/{orderId}`) joins the same resource; the nearest item segment
//! before the collection names the parent kind.

use indexmap::IndexMap;

use crate::model::{
    ApiModel, CrudRole, Method, Operation, OperationId, Resource, SchemaId, SchemaKind, Schemas,
};

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    /// A literal segment (`orders`).
    Literal(&'a str),
    /// A whole-segment parameter (`{orderId}`).
    Param(&'a str),
}

/// The segments of a path template (empty segments dropped; a segment mixing text and a
/// parameter counts as a literal).
pub(crate) fn segments(path: &str) -> Vec<Segment<'_>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                Some(name) if !name.contains('{') && !name.contains('}') => Segment::Param(name),
                _ => Segment::Literal(s),
            },
        )
        .collect()
}

/// The singular, lowercase form of a collection name (`orders` -> `order`, `addresses` ->
/// `address`, `categories` -> `category`).
pub fn singular(word: &str) -> String {
    let w = word.to_ascii_lowercase();
    if let Some(stem) = w.strip_suffix("ies")
        && stem.len() > 1
    {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes", "zzes"] {
        if w.ends_with(suffix) {
            return w[..w.len() - 2].to_string();
        }
    }
    if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && w.len() > 1 {
        return w[..w.len() - 1].to_string();
    }
    w
}

/// Where an operation sits in a resource.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    pub kind: String,
    pub role: CrudRole,
    /// The item parameter of the kind in this path, if the path addresses one object.
    pub id_param: Option<String>,
    pub parent: Option<String>,
}

/// Classifies one operation (with the set of all paths, to tell collections from actions).
pub(crate) fn place(op: &Operation, all_paths: &[&str]) -> Option<Placement> {
    let segs = segments(&op.path);
    let n = segs.len();
    if n == 0 {
        return None;
    }
    let parent_of = |upto: usize| -> Option<String> {
        // The kind of the nearest `literal/{param}` pair before `upto`.
        (1..upto)
            .rev()
            .find_map(|i| match (&segs[i - 1], &segs[i]) {
                (Segment::Literal(l), Segment::Param(_)) => Some(singular(l)),
                _ => None,
            })
    };
    match (&segs[n - 1], n.checked_sub(2).map(|i| &segs[i])) {
        // `/orders/{orderId}`: one object.
        (Segment::Param(p), Some(Segment::Literal(coll))) => {
            let role = match op.method {
                Method::Get | Method::Head => CrudRole::Read,
                Method::Put | Method::Patch | Method::Post => CrudRole::Update,
                Method::Delete => CrudRole::Delete,
                _ => return None,
            };
            Some(Placement {
                kind: singular(coll),
                role,
                id_param: Some((*p).to_string()),
                parent: parent_of(n - 2),
            })
        }
        // `/orders`: a collection when some path puts an item below it.
        (Segment::Literal(coll), _) => {
            let item_prefix = format!("{}/{{", op.path.trim_end_matches('/'));
            let is_collection = all_paths.iter().any(|p| p.starts_with(&item_prefix));
            // `/documents/{documentId}/shares` when `/shares/{shareId}` exists elsewhere: the
            // collection of a kind whose items live at a top-level path. And a top-level
            // `GET /documents` when documents live under teams (`/teams/{t}/documents/{d}`): a
            // list (a search across parents) of that kind, never its create.
            let under_parent = n >= 2 && matches!(segs[n - 2], Segment::Param(_));
            let top_level_list = n == 1 && op.method == Method::Get;
            let items_elsewhere = (under_parent || top_level_list)
                && all_paths.iter().any(|p| {
                    let other = segments(p);
                    other.windows(2).any(|w| {
                        w[0] == Segment::Literal(coll) && matches!(w[1], Segment::Param(_))
                    })
                });
            if is_collection || items_elsewhere {
                let role = match op.method {
                    Method::Get => CrudRole::List,
                    Method::Post => CrudRole::Create,
                    _ => return None,
                };
                return Some(Placement {
                    kind: singular(coll),
                    role,
                    id_param: None,
                    parent: parent_of(n - 1),
                });
            }
            // `/orders/{orderId}/cancel`: an action on the object before it (POST only).
            if n >= 3
                && op.method == Method::Post
                && let (Segment::Param(p), Segment::Literal(owner)) = (&segs[n - 2], &segs[n - 3])
            {
                return Some(Placement {
                    kind: singular(owner),
                    role: CrudRole::Update,
                    id_param: Some((*p).to_string()),
                    parent: parent_of(n - 3),
                });
            }
            None
        }
        _ => None,
    }
}

/// Builds the resources of `model`, sorted by kind.
pub fn infer_resources(model: &ApiModel) -> Vec<Resource> {
    let all_paths: Vec<&str> = model.operations.iter().map(|o| o.path.as_str()).collect();
    let mut by_kind: IndexMap<String, Resource> = IndexMap::new();
    for op in &model.operations {
        let Some(pl) = place(op, &all_paths) else {
            continue;
        };
        let r = by_kind
            .entry(pl.kind.clone())
            .or_insert_with(|| Resource::new(pl.kind.clone()));
        let list = match pl.role {
            CrudRole::Create => &mut r.create,
            CrudRole::Read => &mut r.read,
            CrudRole::Update => &mut r.update,
            CrudRole::Delete => &mut r.delete,
            CrudRole::List => &mut r.list,
        };
        list.push(op.id.clone());
        if let Some(p) = pl.id_param
            && !r.id_params.contains(&p)
        {
            r.id_params.push(p);
        }
        if r.parent.is_none() {
            r.parent = pl.parent;
        }
    }
    let mut out: Vec<Resource> = by_kind
        .into_values()
        .filter(|r| !r.read.is_empty() || !r.delete.is_empty() || !r.create.is_empty())
        .collect();
    for r in &mut out {
        r.schema = resource_schema(model, r);
        r.id_field = r
            .schema
            .and_then(|s| find_id_field(&model.schemas, s, &r.kind, &r.id_params))
            .map(|(field, _)| field);
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    out
}

/// The object schema of a kind: the 2xx JSON response of its first read, else of its first
/// create. A kind without a read whose create answers with an object holding a list of
/// objects with ids, and no id of its own (adding an item to a cart answers with the whole
/// cart), has the list's element schema.
fn resource_schema(model: &ApiModel, r: &Resource) -> Option<SchemaId> {
    let schema = r
        .read
        .iter()
        .chain(r.create.iter())
        .filter_map(|id| model.operation(id))
        .find_map(success_json_schema)?;
    if r.read.is_empty()
        && matches!(
            model.schemas.try_get(schema).map(|s| &s.kind),
            Some(SchemaKind::Object(_))
        )
        && find_id_field(&model.schemas, schema, &r.kind, &r.id_params).is_none()
        && let Some((element, _)) = list_element(&model.schemas, schema)
        && find_id_field(&model.schemas, element, &r.kind, &r.id_params).is_some()
    {
        return Some(element);
    }
    Some(schema)
}

/// The schema of the first 2xx JSON response of `op`.
pub(crate) fn success_json_schema(op: &Operation) -> Option<SchemaId> {
    op.success_responses().find_map(|(_, r)| r.json_schema())
}

/// The id field of a kind's schema, with the JSON pointer to it in a response body: the path
/// parameter's own name, `id`, `<kind>Id`, `<kind>_id`, `uuid`; directly or inside one
/// `data`/`item`/`result` envelope.
pub(crate) fn find_id_field(
    schemas: &Schemas,
    schema: SchemaId,
    kind: &str,
    id_params: &[String],
) -> Option<(String, String)> {
    let mut candidates: Vec<String> = id_params.to_vec();
    candidates.push("id".into());
    candidates.push(format!("{kind}Id"));
    candidates.push(format!("{kind}_id"));
    candidates.push("uuid".into());
    let find_in = |id: SchemaId| -> Option<String> {
        let props = schemas.object_properties(id)?;
        candidates
            .iter()
            .find(|c| props.keys().any(|k| k.eq_ignore_ascii_case(c)))
            .and_then(|c| props.keys().find(|k| k.eq_ignore_ascii_case(c)).cloned())
    };
    if let Some(f) = find_in(schema) {
        return Some((f.clone(), format!("/{}", crate::pointer::escape(&f))));
    }
    let props = schemas.object_properties(schema)?;
    for env in ["data", "item", "result"] {
        if let Some(&inner) = props.get(env)
            && let Some(f) = find_in(inner)
        {
            return Some((f.clone(), format!("/{env}/{}", crate::pointer::escape(&f))));
        }
    }
    None
}

/// The element schema when `schema` is an array (or an envelope `{data: [...]}`), with the
/// pointer prefix of the first element.
pub(crate) fn list_element(schemas: &Schemas, schema: SchemaId) -> Option<(SchemaId, String)> {
    match &schemas.try_get(schema)?.kind {
        SchemaKind::Array(a) => Some((a.items, "/0".into())),
        SchemaKind::Object(o) => ["data", "items", "results", "content"]
            .iter()
            .find_map(|env| {
                let inner = *o.properties.get(*env)?;
                match &schemas.try_get(inner)?.kind {
                    SchemaKind::Array(a) => Some((a.items, format!("/{env}/0"))),
                    _ => None,
                }
            }),
        _ => None,
    }
}

/// Which resource `op` belongs to, with its role, by id.
pub fn role_of<'a>(
    resources: &'a [Resource],
    op: &OperationId,
) -> Option<(&'a Resource, CrudRole)> {
    resources
        .iter()
        .find_map(|r| r.role_of(op).map(|role| (r, role)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singulars() {
        assert_eq!(singular("orders"), "order");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("Users"), "user");
    }

    fn op(method: Method, path: &str) -> Operation {
        Operation::new(method, path)
    }

    #[test]
    fn a_nested_collection_of_a_top_level_kind_creates_it() {
        let paths = [
            "/documents/{documentId}",
            "/documents/{documentId}/shares",
            "/documents/{documentId}/archive",
            "/shares/{shareId}",
        ];
        let place_of = |m, p| place(&op(m, p), &paths).map(|pl| (pl.kind, pl.role, pl.parent));
        assert_eq!(
            place_of(Method::Post, "/documents/{documentId}/shares"),
            Some(("share".into(), CrudRole::Create, Some("document".into())))
        );
        assert_eq!(
            place_of(Method::Post, "/documents/{documentId}/archive"),
            Some(("document".into(), CrudRole::Update, None))
        );
    }

    #[test]
    fn a_top_level_get_of_a_nested_kind_lists_it() {
        let paths = [
            "/documents",
            "/teams/{teamId}/documents",
            "/teams/{teamId}/documents/{documentId}",
            "/reports",
        ];
        let place_of = |m, p| place(&op(m, p), &paths).map(|pl| (pl.kind, pl.role, pl.parent));
        assert_eq!(
            place_of(Method::Get, "/documents"),
            Some(("document".into(), CrudRole::List, None))
        );
        // Never a create without its parent, and no kind without items anywhere.
        assert_eq!(place_of(Method::Post, "/documents"), None);
        assert_eq!(place_of(Method::Get, "/reports"), None);
    }

    #[test]
    fn segments_of_templates() {
        assert_eq!(
            segments("/users/{userId}/orders"),
            vec![
                Segment::Literal("users"),
                Segment::Param("userId"),
                Segment::Literal("orders")
            ]
        );
        assert_eq!(
            segments("/files/{name}.json"),
            vec![Segment::Literal("files"), Segment::Literal("{name}.json")]
        );
    }
}

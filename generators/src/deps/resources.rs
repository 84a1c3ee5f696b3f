//! Grouping operations into resource kinds from their path templates.
//!
//! `/orders` (a literal) followed by `/orders/{orderId}` (a parameter) make the kind `order`:
//! `POST /orders` creates, `GET /orders` lists, `GET|PUT|PATCH|DELETE /orders/{orderId}`
//! read, update and delete, and an action below the item (`POST /orders/{orderId}/cancel`,
//! `PUT /users/{username}/password`) updates. The same kind under other parents
//! (`/users/{userId}/orders/{orderId}`) joins the same resource; the nearest item segment
//! before the collection names the parent kind.
//!
//! Version and prefix segments (`api`, `rest`, `v1`, `v1beta1`, `v2.1`, `2020-08-11`,
//! `latest`) are skipped wherever they are: `/api/v2/orders/{id}` and `/orders/v2/{id}` are
//! both an order. Keys may be natural (`{username}`, `{slug}`, `{book_title}`), see
//! [`super::keys`]; the caller's own objects (`/me`) join their kind, see
//! [`super::singleton`]; owners are found by [`super::owner`].

use std::collections::HashSet;

use indexmap::IndexMap;

pub(crate) use super::keys::{
    create_key_sources, find_field, find_id_field, list_element, success_json_schema,
};
use super::keys::{key_candidates, key_sources};
pub use super::keys::{list_element_schema, list_pointer};
use super::owner::find_owner;
use super::singleton::{join_singletons, own_object_segment};
use crate::model::{
    ApiModel, CrudRole, Method, Operation, OperationId, Resource, SchemaId, SchemaKind,
};

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Segment<'a> {
    /// A literal segment (`orders`).
    Literal(&'a str),
    /// A whole-segment parameter (`{orderId}`).
    Param(&'a str),
}

/// Whether a literal path segment is a version or prefix rather than a collection: `api`,
/// `rest`, `latest`, `v1`, `v2.1`, `v1beta1`, a date (`2020-08-11`) or a number.
pub fn is_version_segment(segment: &str) -> bool {
    let s = segment.to_ascii_lowercase();
    if matches!(s.as_str(), "api" | "rest" | "latest") {
        return true;
    }
    let versionish = |rest: &str| {
        rest.starts_with(|c: char| c.is_ascii_digit())
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if let Some(rest) = s.strip_prefix('v')
        && versionish(rest)
    {
        return true;
    }
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

/// The segments of a path template (empty segments and version or prefix segments dropped; a
/// segment mixing text and a parameter counts as a literal).
pub(crate) fn segments(path: &str) -> Vec<Segment<'_>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                Some(name) if !name.contains('{') && !name.contains('}') => Segment::Param(name),
                _ => Segment::Literal(s),
            },
        )
        .filter(|s| !matches!(s, Segment::Literal(l) if is_version_segment(l)))
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

/// Last segments below a collection that register a new object of its kind
/// (`POST /users/register`).
const REGISTER: &[&str] = &["register", "signup", "sign-up", "registration"];

/// Where an operation sits in a resource.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    pub kind: String,
    pub role: CrudRole,
    /// The item parameter of the kind in this path, if the path addresses one object.
    pub id_param: Option<String>,
    pub parent: Option<String>,
}

/// The role of an operation on one object, by method.
fn item_role(method: Method) -> Option<CrudRole> {
    Some(match method {
        Method::Get | Method::Head => CrudRole::Read,
        Method::Put | Method::Patch | Method::Post => CrudRole::Update,
        Method::Delete => CrudRole::Delete,
        _ => return None,
    })
}

/// What [`place`] asks of the set of all paths, indexed once per model (asking every path
/// for every operation is quadratic in the number of operations).
pub(crate) struct PathIndex<'a> {
    /// Literals that some path follows with a parameter (`orders` of `/orders/{orderId}`).
    item_literals: HashSet<&'a str>,
    /// Every path prefix that some path follows with a parameter (`[orders]` of
    /// `/orders/{orderId}`, `[users, {userId}, orders]` of `/users/{userId}/orders/{orderId}`).
    item_prefixes: HashSet<Vec<Segment<'a>>>,
}

impl<'a> PathIndex<'a> {
    /// Indexes `paths`.
    pub(crate) fn new<'p>(paths: impl IntoIterator<Item = &'p &'a str>) -> Self
    where
        'a: 'p,
    {
        let mut index = Self {
            item_literals: HashSet::new(),
            item_prefixes: HashSet::new(),
        };
        for path in paths {
            let segs = segments(path);
            for (i, seg) in segs.iter().enumerate() {
                if !matches!(seg, Segment::Param(_)) {
                    continue;
                }
                if i > 0
                    && let Segment::Literal(l) = segs[i - 1]
                {
                    index.item_literals.insert(l);
                }
                if !index.item_prefixes.contains(&segs[..i]) {
                    index.item_prefixes.insert(segs[..i].to_vec());
                }
            }
        }
        index
    }

    /// Whether some path has a parameter right after the literal `coll`.
    fn has_items(&self, coll: &str) -> bool {
        self.item_literals.contains(coll)
    }

    /// Whether some path is `segs` followed by a parameter (then `segs` is a collection).
    fn is_collection(&self, segs: &[Segment<'_>]) -> bool {
        self.item_prefixes.contains(segs)
    }
}

/// Classifies one operation (with the set of all paths, to tell collections from actions).
#[cfg(test)]
pub(crate) fn place(op: &Operation, all_paths: &[&str]) -> Option<Placement> {
    place_in(op, &PathIndex::new(all_paths))
}

/// [`place`] with the paths indexed.
pub(crate) fn place_in(op: &Operation, all: &PathIndex<'_>) -> Option<Placement> {
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
        (Segment::Param(p), Some(Segment::Literal(coll))) => Some(Placement {
            kind: singular(coll),
            role: item_role(op.method)?,
            id_param: Some((*p).to_string()),
            parent: parent_of(n - 2),
        }),
        // `/repos/{owner}/{repo}`: one object keyed by two parameters after its collection.
        (Segment::Param(p), Some(Segment::Param(_))) if n >= 3 => {
            let Segment::Literal(coll) = &segs[n - 3] else {
                return None;
            };
            Some(Placement {
                kind: singular(coll),
                role: item_role(op.method)?,
                id_param: Some((*p).to_string()),
                parent: parent_of(n - 3),
            })
        }
        (Segment::Literal(coll), _) => place_literal(op, &segs, all, coll, parent_of),
        _ => None,
    }
}

/// [`place`] for a path ending in a literal: a collection, a registration, or an action on
/// the object before it.
fn place_literal(
    op: &Operation,
    segs: &[Segment<'_>],
    all: &PathIndex<'_>,
    coll: &str,
    parent_of: impl Fn(usize) -> Option<String>,
) -> Option<Placement> {
    let n = segs.len();
    // `/orders`: a collection when some path puts an item below it.
    let is_collection = all.is_collection(segs);
    // `/documents/{documentId}/shares` when `/shares/{shareId}` exists elsewhere: the
    // collection of a kind whose items live at a top-level path; the same below the caller
    // (`/user/repos` when repositories live at `/repos/{owner}/{repo}`). And a top-level
    // `GET /documents` when documents live under teams (`/teams/{t}/documents/{d}`): a list
    // (a search across parents) of that kind, never its create.
    let under_parent = n >= 2
        && match &segs[n - 2] {
            Segment::Param(_) => true,
            Segment::Literal(l) => n == 2 && super::singleton::names_caller(l),
        };
    let top_level_list = n == 1 && op.method == Method::Get;
    let items_elsewhere = (under_parent || top_level_list) && all.has_items(coll);
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
    // `POST /users/register`: a new object of the collection before it.
    if n >= 2
        && op.method == Method::Post
        && REGISTER.contains(&coll.to_ascii_lowercase().as_str())
        && let Segment::Literal(users) = &segs[n - 2]
        && all.has_items(users)
    {
        return Some(Placement {
            kind: singular(users),
            role: CrudRole::Create,
            id_param: None,
            parent: parent_of(n - 2),
        });
    }
    // `/orders/{orderId}/cancel`, `PUT /users/{username}/password`: an action on the object
    // before it.
    if n >= 3
        && matches!(op.method, Method::Post | Method::Put | Method::Patch)
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

/// Builds the resources of `model`, sorted by kind.
pub fn infer_resources(model: &ApiModel) -> Vec<Resource> {
    let all_paths: Vec<&str> = model.operations.iter().map(|o| o.path.as_str()).collect();
    let all_paths = PathIndex::new(&all_paths);
    let mut by_kind: IndexMap<String, Resource> = IndexMap::new();
    for op in &model.operations {
        if own_object_segment(op).is_some() {
            continue;
        }
        let Some(pl) = place_in(op, &all_paths) else {
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
    for r in by_kind.values_mut() {
        r.schema = resource_schema(model, r);
    }
    join_singletons(model, &mut by_kind);
    let mut out: Vec<Resource> = by_kind
        .into_values()
        .filter(|r| !r.read.is_empty() || !r.delete.is_empty() || !r.create.is_empty())
        .collect();
    for r in &mut out {
        r.id_field = key_field(model, r);
        r.key_sources = key_sources(model, r);
        r.owner = find_owner(model, r);
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    out
}

/// The key field of kind `r`: in its schema; else in the elements of its lists; else, for a
/// kind whose path carries a key, the create's request field named like it. A singleton kind
/// with no key parameter may be keyed by a natural key (`username` of `/me`).
fn key_field(model: &ApiModel, r: &Resource) -> Option<String> {
    let mut candidates = key_candidates(&r.kind, &r.id_params);
    if r.id_params.is_empty() && r.singleton {
        candidates.extend(super::keys::NATURAL_KEYS.iter().map(|k| k.to_string()));
    }
    let schemas = &model.schemas;
    let in_schema = r
        .schema
        .and_then(|s| super::keys::find_field(schemas, s, &candidates));
    let in_list = || {
        r.list.iter().find_map(|id| {
            let schema = success_json_schema(model.operation(id)?)?;
            let (element, _) = list_element(schemas, schema)?;
            super::keys::find_field(schemas, element, &candidates)
        })
    };
    let in_request = || {
        if r.id_params.is_empty() {
            return None;
        }
        r.create
            .iter()
            .filter_map(|id| model.operation(id))
            .find_map(|op| super::keys::request_key(model, r, op))
    };
    in_schema
        .or_else(in_list)
        .map(|(field, _)| field)
        .or_else(in_request)
}

/// The object schema of a kind: the 2xx JSON response of its first read; else of its first
/// create when that answer holds the key. A kind without a read whose create answers with an
/// object holding a list of keyed objects, and no key of its own (adding an item to a cart
/// answers with the whole cart), has the list's element schema; else the element of one of its
/// lists when that has the key; else the create's answer whatever it holds.
fn resource_schema(model: &ApiModel, r: &Resource) -> Option<SchemaId> {
    let first = |ops: &[OperationId]| {
        ops.iter()
            .filter_map(|id| model.operation(id))
            .find_map(success_json_schema)
    };
    if let Some(read) = first(&r.read) {
        return Some(read);
    }
    let keyed = |s: SchemaId| find_id_field(&model.schemas, s, &r.kind, &r.id_params).is_some();
    let created = first(&r.create);
    if let Some(schema) = created {
        if keyed(schema) {
            return Some(schema);
        }
        if matches!(
            model.schemas.try_get(schema).map(|s| &s.kind),
            Some(SchemaKind::Object(_))
        ) && let Some((element, _)) = list_element(&model.schemas, schema)
            && keyed(element)
        {
            return Some(element);
        }
    }
    let listed = r.list.iter().find_map(|id| {
        let schema = success_json_schema(model.operation(id)?)?;
        let (element, _) = list_element(&model.schemas, schema)?;
        keyed(element).then_some(element)
    });
    listed.or(created)
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

    #[test]
    fn version_segments_are_never_kinds() {
        for v in [
            "api",
            "rest",
            "v1",
            "v2",
            "V3",
            "v1beta1",
            "v2.1",
            "2020-08-11",
            "latest",
            "1.0",
        ] {
            assert!(is_version_segment(v), "{v}");
        }
        for k in ["orders", "videos", "v", "vendors", "apis", "users"] {
            assert!(!is_version_segment(k), "{k}");
        }
        let paths = [
            "/api/v2/orders",
            "/api/v2/orders/{id}",
            "/articles/v3",
            "/articles/v3/{slug}",
            "/users/v1/register",
            "/users/v1/{username}",
            "/users/v1/{username}/password",
            "/repos/{owner}/{repo}",
            "/user/repos",
        ];
        let place_of = |m, p| place(&op(m, p), &paths).map(|pl| (pl.kind, pl.role, pl.id_param));
        assert_eq!(
            place_of(Method::Get, "/api/v2/orders/{id}"),
            Some(("order".into(), CrudRole::Read, Some("id".into())))
        );
        assert_eq!(
            place_of(Method::Post, "/api/v2/orders"),
            Some(("order".into(), CrudRole::Create, None))
        );
        assert_eq!(
            place_of(Method::Get, "/articles/v3/{slug}"),
            Some(("article".into(), CrudRole::Read, Some("slug".into())))
        );
        assert_eq!(
            place_of(Method::Post, "/users/v1/register"),
            Some(("user".into(), CrudRole::Create, None))
        );
        assert_eq!(
            place_of(Method::Put, "/users/v1/{username}/password"),
            Some(("user".into(), CrudRole::Update, Some("username".into())))
        );
        assert_eq!(
            place_of(Method::Get, "/repos/{owner}/{repo}"),
            Some(("repo".into(), CrudRole::Read, Some("repo".into())))
        );
        assert_eq!(
            place_of(Method::Post, "/user/repos"),
            Some(("repo".into(), CrudRole::Create, None))
        );
        // A GET below an object is no action.
        assert_eq!(place_of(Method::Get, "/users/v1/{username}/password"), None);
    }
}

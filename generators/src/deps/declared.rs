//! Declared resource kinds: what a user says about a kind (the identities file's `[[resource]]`
//! tables) applied over the inferred model. Declared beats inferred:
//!
//! - a declared kind replaces the inferred kind of the same name field by field, only the
//!   fields given (a role list given replaces that role's operations; `operations` given
//!   replaces every role not listed explicitly, roles inferred from method and path);
//! - its operations are taken away from every other kind (an inferred kind left with no
//!   operation is dropped);
//! - its `origin` is [`Origin::Declared`];
//! - links are inferred again afterwards ([`super::links::infer_links`]), so a declared create
//!   or key feeds the kind's item operations.
//!
//! [`apply_declarations`] is pure over the model; every problem is a [`DeclarationError`] that
//! names the declaration and the field, for the caller to turn into a file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::admin::OperationPattern;
use crate::model::{
    ApiModel, CrudRole, KeySource, Method, Operation, OperationId, Origin, OwnerField, Resource,
    path_template_params,
};

/// Where the key of a new object of a declared kind is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFrom {
    /// A field of the create's answer.
    Response,
    /// A field of the create's own request body (the caller chooses the key).
    Request,
    /// The last path segment of the create's `Location` header.
    Location,
    /// A field of each element of the kind's list answers.
    List,
}

impl KeyFrom {
    /// `response`, `request`, `location` or `list`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyFrom::Response => "response",
            KeyFrom::Request => "request",
            KeyFrom::Location => "location",
            KeyFrom::List => "list",
        }
    }
}

/// A declared key: the path parameter that carries it, the object's field that holds it, and
/// where a new object's key is found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyDeclaration {
    /// The path parameter of the item operations (`book_title`).
    pub param: Option<String>,
    /// JSON pointer (or bare name) of the field holding the key (`/title`).
    pub field: Option<String>,
    /// Where a new object's key is found (default: the create's answer).
    pub from: Option<KeyFrom>,
}

/// One declared (or corrected) kind.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ResourceDeclaration {
    /// The kind's name (`book`).
    pub kind: String,
    /// Operations of the kind, roles inferred from method and path.
    pub operations: Vec<OperationPattern>,
    /// Operations by role, when given; `None` keeps what `operations` or inference says.
    pub create: Option<Vec<OperationPattern>>,
    /// Operations reading one object.
    pub read: Option<Vec<OperationPattern>>,
    /// Operations changing one object.
    pub update: Option<Vec<OperationPattern>>,
    /// Operations deleting one object.
    pub delete: Option<Vec<OperationPattern>>,
    /// Operations listing objects.
    pub list: Option<Vec<OperationPattern>>,
    /// The key.
    pub key: Option<KeyDeclaration>,
    /// The owner field.
    pub owner: Option<OwnerField>,
    /// The kind this one is nested under.
    pub parent: Option<String>,
    /// Whether every identity has exactly one object of the kind, addressed without a key.
    pub singleton: Option<bool>,
}

impl ResourceDeclaration {
    /// A declaration of `kind` that changes nothing yet.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            ..Self::default()
        }
    }

    /// The role lists given explicitly, in role order.
    fn role_lists(&self) -> [(CrudRole, Option<&Vec<OperationPattern>>); 5] {
        [
            (CrudRole::Create, self.create.as_ref()),
            (CrudRole::Read, self.read.as_ref()),
            (CrudRole::Update, self.update.as_ref()),
            (CrudRole::Delete, self.delete.as_ref()),
            (CrudRole::List, self.list.as_ref()),
        ]
    }
}

/// Which part of a declaration an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeclarationField {
    /// `kind`.
    Kind,
    /// `operations[i]`.
    Operations(usize),
    /// `create[i]`, `read[i]`, ...
    Role(CrudRole, usize),
    /// `key.param`.
    KeyParam,
    /// `key.field`.
    KeyField,
    /// `key.from`.
    KeyFrom,
    /// `parent`.
    Parent,
}

impl fmt::Display for DeclarationField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kind => f.write_str("kind"),
            Self::Operations(i) => write!(f, "operations[{i}]"),
            Self::Role(role, i) => write!(f, "{}[{i}]", role_name(*role)),
            Self::KeyParam => f.write_str("key.param"),
            Self::KeyField => f.write_str("key.field"),
            Self::KeyFrom => f.write_str("key.from"),
            Self::Parent => f.write_str("parent"),
        }
    }
}

/// A declaration that cannot be applied: which one (its index), which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationError {
    /// Index of the declaration in the list given.
    pub index: usize,
    /// The field at fault.
    pub field: DeclarationField,
    /// The sentence, with a suggestion when one is close.
    pub message: String,
}

impl fmt::Display for DeclarationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "resource[{}].{}: {}",
            self.index, self.field, self.message
        )
    }
}

impl std::error::Error for DeclarationError {}

/// `create`, `read`, `update`, `delete` or `list`.
pub fn role_name(role: CrudRole) -> &'static str {
    match role {
        CrudRole::Create => "create",
        CrudRole::Read => "read",
        CrudRole::Update => "update",
        CrudRole::Delete => "delete",
        CrudRole::List => "list",
    }
}

/// Applies `declarations` to `model` (see the module documentation) and infers its links
/// again. Nothing changes when `declarations` is empty; on error the model is left unchanged.
pub fn apply_declarations(
    model: &mut ApiModel,
    declarations: &[ResourceDeclaration],
) -> Result<(), DeclarationError> {
    if declarations.is_empty() {
        return Ok(());
    }
    let mut resolved = Vec::with_capacity(declarations.len());
    let mut claimed: BTreeMap<OperationId, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, decl) in declarations.iter().enumerate() {
        let err = |field, message: String| DeclarationError {
            index,
            field,
            message,
        };
        let kind = decl.kind.trim();
        if kind.is_empty() {
            return Err(err(DeclarationField::Kind, "the kind is empty".into()));
        }
        if let Some(first) = kinds.insert(kind, index) {
            return Err(err(
                DeclarationField::Kind,
                format!("kind `{kind}` is declared twice (resource[{first}] and here)"),
            ));
        }
        let roles = resolve_roles(model, index, decl)?;
        for op in roles.all() {
            if let Some(other) = claimed.insert(op.clone(), index)
                && other != index
            {
                return Err(err(
                    roles.field_of(op),
                    format!(
                        "`{op}` is declared in kind `{}` (resource[{other}]) and in kind \
                         `{kind}`: an operation belongs to one kind",
                        declarations[other].kind
                    ),
                ));
            }
        }
        resolved.push(roles);
    }
    let mut resources = model.resources.clone();
    for r in resources.iter_mut() {
        if !kinds.contains_key(r.kind.as_str()) {
            for list in role_vecs(r) {
                list.retain(|op| !claimed.contains_key(op));
            }
        }
    }
    resources.retain(|r| kinds.contains_key(r.kind.as_str()) || r.operations().next().is_some());
    for (index, (decl, roles)) in declarations.iter().zip(&resolved).enumerate() {
        let kind = decl.kind.trim();
        let position = match resources.iter().position(|r| r.kind == kind) {
            Some(p) => p,
            None => {
                resources.push(Resource::new(kind));
                resources.len() - 1
            }
        };
        let mut merged = resources[position].clone();
        merge(model, index, decl, roles, &mut merged)?;
        resources[position] = merged;
    }
    let known: Vec<String> = resources.iter().map(|r| r.kind.clone()).collect();
    for (index, decl) in declarations.iter().enumerate() {
        if let Some(parent) = &decl.parent {
            check_parent(index, decl.kind.trim(), parent, &known)?;
        }
    }
    resources.sort_by(|a, b| a.kind.cmp(&b.kind));
    model.resources = resources;
    model.links = super::links::infer_links(model);
    Ok(())
}

/// The operations of one declaration by role, resolved against the model.
#[derive(Debug, Default)]
struct Roles {
    /// Per role: `Some` replaces the kind's operations of that role.
    by_role: BTreeMap<RoleKey, Vec<OperationId>>,
    /// Where each operation was declared.
    fields: BTreeMap<OperationId, DeclarationField>,
}

/// [`CrudRole`] in a stable order, as a map key.
type RoleKey = u8;

fn role_key(role: CrudRole) -> RoleKey {
    match role {
        CrudRole::Create => 0,
        CrudRole::Read => 1,
        CrudRole::Update => 2,
        CrudRole::Delete => 3,
        CrudRole::List => 4,
    }
}

impl Roles {
    fn all(&self) -> impl Iterator<Item = &OperationId> {
        self.by_role.values().flatten()
    }

    fn field_of(&self, op: &OperationId) -> DeclarationField {
        self.fields
            .get(op)
            .copied()
            .unwrap_or(DeclarationField::Kind)
    }

    fn add(&mut self, role: CrudRole, op: &OperationId, field: DeclarationField) {
        let list = self.by_role.entry(role_key(role)).or_default();
        if !list.contains(op) {
            list.push(op.clone());
        }
        self.fields.entry(op.clone()).or_insert(field);
    }
}

fn resolve_roles(
    model: &ApiModel,
    index: usize,
    decl: &ResourceDeclaration,
) -> Result<Roles, DeclarationError> {
    let mut roles = Roles::default();
    for (role, patterns) in decl.role_lists() {
        let Some(patterns) = patterns else {
            continue;
        };
        roles.by_role.entry(role_key(role)).or_default();
        for (i, pattern) in patterns.iter().enumerate() {
            let field = DeclarationField::Role(role, i);
            for op in matching(model, index, pattern, field)? {
                roles.add(role, &op.id, field);
            }
        }
    }
    if decl.operations.is_empty() {
        return Ok(roles);
    }
    // `operations` replaces every role not listed explicitly.
    for (role, patterns) in decl.role_lists() {
        if patterns.is_none() {
            roles.by_role.entry(role_key(role)).or_default();
        }
    }
    let explicit: BTreeSet<OperationId> = roles.all().cloned().collect();
    let key_param = decl
        .key
        .as_ref()
        .and_then(|k| k.param.as_deref())
        .map(|p| p.trim().trim_start_matches('{').trim_end_matches('}'));
    let singleton = decl.singleton.unwrap_or(false);
    for (i, pattern) in decl.operations.iter().enumerate() {
        let field = DeclarationField::Operations(i);
        for op in matching(model, index, pattern, field)? {
            if explicit.contains(&op.id) {
                continue;
            }
            let Some(role) = role_by_shape(op, key_param, singleton) else {
                continue;
            };
            let given = decl
                .role_lists()
                .into_iter()
                .any(|(r, p)| r == role && p.is_some());
            if !given {
                roles.add(role, &op.id, field);
            }
        }
    }
    Ok(roles)
}

/// The role of an operation from its method and path: on a path that carries the key
/// (`key_param`, else a path ending in a parameter) GET reads, PUT/PATCH/POST update and
/// DELETE deletes; elsewhere GET lists (reads, for a singleton), POST creates, PUT/PATCH
/// update and DELETE deletes. Other methods have no role.
pub fn role_by_shape(op: &Operation, key_param: Option<&str>, singleton: bool) -> Option<CrudRole> {
    let item = match key_param {
        Some(p) => path_template_params(&op.path).contains(&p),
        None => op.path.trim_end_matches('/').ends_with('}'),
    };
    Some(match (op.method, item) {
        (Method::Get | Method::Head, true) => CrudRole::Read,
        (Method::Get | Method::Head, false) if singleton => CrudRole::Read,
        (Method::Get | Method::Head, false) => CrudRole::List,
        (Method::Post, false) if !singleton => CrudRole::Create,
        (Method::Put | Method::Patch | Method::Post, _) => CrudRole::Update,
        (Method::Delete, _) => CrudRole::Delete,
        _ => return None,
    })
}

/// The operations `pattern` selects; none is an error with the closest operation suggested.
fn matching<'m>(
    model: &'m ApiModel,
    index: usize,
    pattern: &OperationPattern,
    field: DeclarationField,
) -> Result<Vec<&'m Operation>, DeclarationError> {
    let ops: Vec<&Operation> = model
        .operations
        .iter()
        .filter(|op| pattern.matches(op))
        .collect();
    if ops.is_empty() {
        let hint = suggest(model, pattern)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(DeclarationError {
            index,
            field,
            message: format!("no operation matches `{pattern}`{hint}"),
        });
    }
    Ok(ops)
}

/// Merges one declaration into `r` (the inferred kind of that name, or a new one).
fn merge(
    model: &ApiModel,
    index: usize,
    decl: &ResourceDeclaration,
    roles: &Roles,
    r: &mut Resource,
) -> Result<(), DeclarationError> {
    for (role, list) in [
        (CrudRole::Create, &mut r.create),
        (CrudRole::Read, &mut r.read),
        (CrudRole::Update, &mut r.update),
        (CrudRole::Delete, &mut r.delete),
        (CrudRole::List, &mut r.list),
    ] {
        if let Some(ops) = roles.by_role.get(&role_key(role)) {
            *list = ops.clone();
        }
    }
    if let Some(key) = &decl.key {
        apply_key(model, index, key, r)?;
    }
    if r.id_params.is_empty()
        && let Some(param) = item_ops(model, r).find_map(|op| last_param(&op.path))
    {
        r.id_params = vec![param.to_string()];
    }
    if r.schema.is_none() {
        r.schema = object_schema(model, r);
    }
    if let Some(owner) = &decl.owner {
        r.owner = Some(OwnerField {
            pointer: as_pointer(&owner.pointer),
            holds: owner.holds,
        });
    }
    if let Some(parent) = &decl.parent {
        r.parent = Some(parent.trim().to_string());
    }
    if let Some(singleton) = decl.singleton {
        r.singleton = singleton;
    }
    r.origin = Origin::Declared;
    Ok(())
}

fn apply_key(
    model: &ApiModel,
    index: usize,
    key: &KeyDeclaration,
    r: &mut Resource,
) -> Result<(), DeclarationError> {
    let err = |field, message: String| DeclarationError {
        index,
        field,
        message,
    };
    if let Some(param) = &key.param {
        let param = param.trim().trim_start_matches('{').trim_end_matches('}');
        let items: Vec<&Operation> = item_ops(model, r).collect();
        if items.is_empty() {
            return Err(err(
                DeclarationField::KeyParam,
                format!(
                    "kind `{}` has no read, update or delete operation to take the key \
                     `{{{param}}}`: declare them (read = [\"GET /…/{{{param}}}\"])",
                    r.kind
                ),
            ));
        }
        if !items
            .iter()
            .any(|op| path_template_params(&op.path).contains(&param))
        {
            let taken: BTreeSet<String> = items
                .iter()
                .flat_map(|op| path_template_params(&op.path))
                .map(|p| format!("{{{p}}}"))
                .collect();
            let taken: Vec<String> = taken.into_iter().collect();
            let which = if taken.is_empty() {
                "none takes a path parameter".to_string()
            } else {
                format!("they take {}", taken.join(", "))
            };
            return Err(err(
                DeclarationField::KeyParam,
                format!(
                    "`{param}` is not a path parameter of kind `{}`'s item operations \
                     ({}): {which}",
                    r.kind,
                    items
                        .iter()
                        .map(|op| op.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        r.id_params = vec![param.to_string()];
    }
    let from = key.from.unwrap_or(KeyFrom::Response);
    let pointer = key.field.as_deref().map(as_pointer);
    if let Some(p) = &pointer {
        r.id_field = p
            .rsplit('/')
            .next()
            .filter(|last| !last.is_empty())
            .map(|last| crate::pointer::unescape(last).into_owned());
    }
    let Some(pointer) = pointer.or_else(|| (key.from.is_some()).then(String::new)) else {
        return Ok(());
    };
    if pointer.is_empty() && from != KeyFrom::Location {
        return Err(err(
            DeclarationField::KeyField,
            format!(
                "`key.field` is needed with from = \"{}\" (the JSON pointer of the key, e.g. \"/id\")",
                from.as_str()
            ),
        ));
    }
    let lists = r.list.iter().map(|op| KeySource::List {
        operation: op.clone(),
        pointer: pointer.clone(),
    });
    r.key_sources = match from {
        KeyFrom::Response => std::iter::once(KeySource::ResponseBody {
            pointer: pointer.clone(),
        })
        .chain(lists)
        .collect(),
        KeyFrom::Request => std::iter::once(KeySource::RequestBody {
            pointer: pointer.clone(),
        })
        .chain(lists)
        .collect(),
        KeyFrom::Location if pointer.is_empty() => vec![KeySource::Location],
        KeyFrom::Location => std::iter::once(KeySource::Location).chain(lists).collect(),
        KeyFrom::List => {
            if r.list.is_empty() {
                return Err(err(
                    DeclarationField::KeyFrom,
                    format!(
                        "from = \"list\" but kind `{}` has no list operation: declare one \
                         (list = [\"GET /…\"])",
                        r.kind
                    ),
                ));
            }
            lists.collect()
        }
    };
    Ok(())
}

fn check_parent(
    index: usize,
    kind: &str,
    parent: &str,
    known: &[String],
) -> Result<(), DeclarationError> {
    let parent = parent.trim();
    let err = |message: String| DeclarationError {
        index,
        field: DeclarationField::Parent,
        message,
    };
    if parent == kind {
        return Err(err(format!("kind `{kind}` cannot be its own parent")));
    }
    if known.iter().any(|k| k == parent) {
        return Ok(());
    }
    let hint = closest(parent, known.iter().map(String::as_str))
        .map(|k| format!("did you mean `{k}`? "))
        .unwrap_or_default();
    Err(err(format!(
        "unknown parent kind `{parent}`; {hint}the kinds are: {}",
        known.join(", ")
    )))
}

/// The kind's read, update and delete operations.
fn item_ops<'m>(
    model: &'m ApiModel,
    r: &Resource,
) -> impl Iterator<Item = &'m Operation> + use<'m> {
    let ids: Vec<OperationId> = r
        .read
        .iter()
        .chain(&r.update)
        .chain(&r.delete)
        .cloned()
        .collect();
    model
        .operations
        .iter()
        .filter(move |op| ids.contains(&op.id))
}

fn last_param(path: &str) -> Option<&str> {
    path_template_params(path).last().copied()
}

/// The schema of one object: a read's answer, else a create's.
fn object_schema(model: &ApiModel, r: &Resource) -> Option<crate::model::SchemaId> {
    r.read
        .iter()
        .chain(&r.create)
        .filter_map(|id| model.operation(id))
        .find_map(|op| {
            op.success_responses()
                .find_map(|(_, resp)| resp.json_schema())
        })
}

fn role_vecs(r: &mut Resource) -> [&mut Vec<OperationId>; 5] {
    [
        &mut r.create,
        &mut r.read,
        &mut r.update,
        &mut r.delete,
        &mut r.list,
    ]
}

/// `title` -> `/title`; pointers stay as they are.
fn as_pointer(field: &str) -> String {
    let field = field.trim();
    if field.is_empty() || field.starts_with('/') {
        field.to_string()
    } else {
        format!("/{}", crate::pointer::escape(field))
    }
}

/// The operation (or path, tag, operationId) closest to what a pattern that matched nothing
/// asked for.
pub(crate) fn suggest(model: &ApiModel, pattern: &OperationPattern) -> Option<String> {
    match pattern {
        OperationPattern::Operation { method, path } => {
            let wanted = normalise_params(path);
            let params = path_template_params(path).len();
            model
                .operations
                .iter()
                .min_by_key(|op| {
                    (
                        usize::from(method != "*" && op.method.as_str() != method),
                        path_template_params(&op.path).len().abs_diff(params),
                        levenshtein(&wanted, &normalise_params(&op.path)),
                    )
                })
                .map(|op| op.id.to_string())
        }
        OperationPattern::Path(glob) => {
            let paths: BTreeSet<&str> = model.operations.iter().map(|o| o.path.as_str()).collect();
            closest(glob, paths.into_iter()).map(|p| format!("path:{p}"))
        }
        OperationPattern::OperationId(name) => closest(
            name,
            model
                .operations
                .iter()
                .filter_map(|o| o.operation_id.as_deref()),
        )
        .map(|o| format!("operationId:{o}")),
        OperationPattern::Tag(tag) => closest(
            tag,
            model
                .operations
                .iter()
                .flat_map(|o| o.tags.iter().map(String::as_str)),
        )
        .map(|t| format!("tag:{t}")),
    }
}

/// The candidate with the smallest edit distance to `wanted` (case-insensitive).
fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = wanted.to_ascii_lowercase();
    candidates.min_by_key(|c| levenshtein(&wanted, &c.to_ascii_lowercase()))
}

/// `/books/{book_title}` -> `/books/{}`: parameter names do not count in suggestions.
fn normalise_params(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                "{}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
        .to_ascii_lowercase()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
#[path = "declared_tests.rs"]
mod tests;

//! The owner field of a resource kind: the field of its objects that names who owns them
//! (`owner`, `author`, `createdBy`, `userId`, `owner.username`), and whether it holds the
//! owner's id, username or email.

use super::keys::{list_element, normalized, success_json_schema, unwrap_object};
use crate::model::{ApiModel, OwnerField, OwnerRef, Resource, SchemaId, SchemaKind, Schemas};

/// Field names (normalized: lowercase, no `_` or `-`) that name an object's owner, best first.
const OWNER_NAMES: &[&str] = &[
    "owner",
    "ownerid",
    "ownerusername",
    "ownername",
    "owneremail",
    "ownedby",
    "author",
    "authorid",
    "authorusername",
    "authorname",
    "authoremail",
    "createdby",
    "createdbyid",
    "createdbyusername",
    "createdbyemail",
    "creator",
    "creatorid",
    "creatoremail",
    "postedby",
    "submittedby",
    "uploadedby",
    "user",
    "userid",
    "username",
    "useremail",
    "accountid",
    "memberid",
    "customerid",
];

/// Fields of a nested owner object (`owner: {login, id}`) naming the owner, best first.
const NESTED_NAMES: &[&str] = &[
    "username", "login", "handle", "email", "id", "userid", "name",
];

/// Names that are an account kind's own key rather than an owner.
const ACCOUNT_KINDS: &[&str] = &["user", "account", "member", "customer", "profile"];

/// The owner field of kind `r`: in its schema (the read's answer), else in the elements of
/// one of its lists. The kind's own key is never its owner (`username` of a `user`).
pub(crate) fn find_owner(model: &ApiModel, r: &Resource) -> Option<OwnerField> {
    let schemas = &model.schemas;
    let list_elements = r.list.iter().filter_map(|id| {
        let schema = success_json_schema(model.operation(id)?)?;
        list_element(schemas, schema).map(|(element, _)| element)
    });
    r.schema
        .into_iter()
        .chain(list_elements)
        .find_map(|schema| owner_in(schemas, schema, r))
}

/// The owner field of an object schema of kind `r` (directly or in one envelope), with its
/// pointer within the object (`/customer_id` of `{"data": {"customer_id": 7}}`).
fn owner_in(schemas: &Schemas, schema: SchemaId, r: &Resource) -> Option<OwnerField> {
    let own_key = |name: &str| {
        let n = normalized(name);
        r.id_field.as_deref().is_some_and(|f| normalized(f) == n)
            || n == format!("{}id", r.kind)
            || (ACCOUNT_KINDS.contains(&r.kind.as_str())
                && [
                    "user",
                    "userid",
                    "username",
                    "useremail",
                    "accountid",
                    "memberid",
                    "customerid",
                ]
                .contains(&n.as_str()))
    };
    let (object, prefix) = unwrap_object(schemas, schema, |s| {
        schemas.object_properties(s).is_some_and(|props| {
            props
                .keys()
                .any(|k| OWNER_NAMES.contains(&normalized(k).as_str()) && !own_key(k))
        })
    })?;
    let props = schemas.object_properties(object)?;
    let (name, &field) = OWNER_NAMES.iter().find_map(|wanted| {
        props
            .iter()
            .find(|(k, _)| normalized(k) == *wanted && !own_key(k))
    })?;
    // Within the object: an envelope around a read's answer is not part of the pointer.
    let _envelope = prefix;
    let pointer = format!("/{}", crate::pointer::escape(name));
    // A nested owner object: the field inside it that names the owner.
    if let Some(inner) = schemas.object_properties(field) {
        let (inner_name, &inner_field) = NESTED_NAMES
            .iter()
            .find_map(|wanted| inner.iter().find(|(k, _)| normalized(k) == *wanted))?;
        return Some(OwnerField {
            pointer: format!("{pointer}/{}", crate::pointer::escape(inner_name)),
            holds: holds(schemas, inner_name, inner_field),
        });
    }
    Some(OwnerField {
        pointer,
        holds: holds(schemas, name, field),
    })
}

/// What an owner field holds: an email when its schema or name says so, an id when its name
/// ends in `Id`/`_id` or its value is an integer or a uuid, else a username.
fn holds(schemas: &Schemas, name: &str, field: SchemaId) -> OwnerRef {
    let schema = schemas.try_get(field);
    let format = schema.and_then(|s| s.format.as_deref());
    let n = normalized(name);
    if format == Some("email") || n.contains("email") {
        return OwnerRef::Email;
    }
    let integer = schema.is_some_and(|s| matches!(s.kind, SchemaKind::Integer(_)));
    if n == "id"
        || name.ends_with("Id")
        || name.ends_with("ID")
        || n.ends_with("id") && name.contains('_')
        || integer
        || format == Some("uuid")
    {
        return OwnerRef::Id;
    }
    OwnerRef::Username
}

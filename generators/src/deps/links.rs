//! Producer -> consumer links, each with its evidence:
//!
//! 1. OpenAPI `links` of a response (`$response.body#/id`, `$response.header.Location`).
//! 2. Resource kinds: an operation that returns an object of kind `order` (its create, its
//!    list, or any operation whose response has the kind's schema, like `GET /me` for `user`)
//!    feeds the `{orderId}` parameter that follows an `orders` segment, in any path
//!    (`/orders/{orderId}`, `/users/{userId}/orders/{orderId}/cancel`). Evidence: the
//!    path nesting when the consumer's path extends the producer's, else a name match; the
//!    `Location` header when the producer has no id field but documents one.
//! 3. Body fields and query parameters named `<kind>Id` / `<kind>_id` take the kind's id.
//! 4. A response field named exactly like a path parameter ending in `id` (`userId` in a
//!    login response -> `{userId}`), when the types agree; also in the elements of a list
//!    (`teamId` of each document listed by `GET /documents` -> `{teamId}`).
//! 5. `<x>Id` parameters and body fields with no resource kind `x` behind them, fed by the
//!    operations that return the component schema `X` (`GET /me` returns `User` -> `userId`).
//!
//! A create that answers without the key produces it from its own request body (`title` of
//! `POST /snippets` answering `{"status": "success"}`) or from its `Location` header; the
//! caller's own object (`GET /me`) produces the key of its kind (`username` -> `{username}`).
//!
//! Read-only request body fields are never link targets: the server sets them.
//!
//! A producer never feeds a parameter it takes itself (reading `/orders/{orderId}` does not
//! produce order ids), and links are unique per (producer, consumer, target).

use std::collections::HashSet;

use serde_json::Value;

use super::keys::{create_key_sources, find_id_field, list_element};
use super::resources::{Segment, segments, singular};
use crate::model::{
    ApiModel, Evidence, KeySource, Link, LinkSource, LinkTarget, Operation, OperationId,
    ParameterLocation, Resource, SchemaId, SchemaKind, Schemas, StatusKey, json_schema_of,
};

/// Most name-match producers kept per consumer target (rule 4), so that large specs where
/// every response carries `accountId` do not explode.
const MAX_NAME_MATCH_PRODUCERS: usize = 8;

/// Infers the links of `model` (its resources must already be inferred).
pub fn infer_links(model: &ApiModel) -> Vec<Link> {
    let mut out = Links::default();
    openapi_links(model, &mut out);
    for r in &model.resources {
        kind_links(model, r, &mut out);
    }
    field_links(model, &mut out);
    name_links(model, &mut out);
    schema_name_links(model, &mut out);
    out.links
}

#[derive(Default)]
struct Links {
    links: Vec<Link>,
    seen: HashSet<(OperationId, OperationId, LinkTarget)>,
}

impl Links {
    fn push(&mut self, link: Link) -> bool {
        if link.producer == link.consumer {
            return false;
        }
        let key = (
            link.producer.clone(),
            link.consumer.clone(),
            link.target.clone(),
        );
        if self.seen.insert(key) {
            self.links.push(link);
            true
        } else {
            false
        }
    }
}

fn openapi_links(model: &ApiModel, out: &mut Links) {
    for op in &model.operations {
        for (status, response) in &op.responses {
            for link in &response.links {
                let Some(consumer) = link.operation.as_ref().and_then(|id| model.operation(id))
                else {
                    continue;
                };
                for (key, expr) in &link.parameters {
                    let Some(source) = expr.as_str().and_then(|e| source_of(e, *status)) else {
                        continue;
                    };
                    let (hint, name) = match key.split_once('.') {
                        Some((loc, n)) if location_of(loc).is_some() => (location_of(loc), n),
                        _ => (None, key.as_str()),
                    };
                    let Some(param) = consumer
                        .parameters
                        .iter()
                        .find(|p| p.name == name && hint.is_none_or(|h| h == p.location))
                    else {
                        continue;
                    };
                    out.push(Link {
                        producer: op.id.clone(),
                        source,
                        consumer: consumer.id.clone(),
                        target: LinkTarget::Parameter {
                            location: param.location,
                            name: param.name.clone(),
                        },
                        evidence: Evidence::OpenApiLink {
                            name: link.name.clone(),
                        },
                    });
                }
                if let Some(source) = link
                    .request_body
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|e| source_of(e, *status))
                {
                    out.push(Link {
                        producer: op.id.clone(),
                        source,
                        consumer: consumer.id.clone(),
                        target: LinkTarget::Body {
                            pointer: String::new(),
                        },
                        evidence: Evidence::OpenApiLink {
                            name: link.name.clone(),
                        },
                    });
                }
            }
        }
    }
}

/// The source of a runtime expression about the response (`$response.body#/id`,
/// `$response.header.Location`); request expressions and constants produce nothing.
fn source_of(expr: &str, status: StatusKey) -> Option<LinkSource> {
    let expr = expr.trim().trim_start_matches('{').trim_end_matches('}');
    if let Some(rest) = expr.strip_prefix("$response.body") {
        let pointer = rest.strip_prefix('#').unwrap_or("").to_string();
        return Some(LinkSource::ResponseBody { status, pointer });
    }
    let header = expr.strip_prefix("$response.header.")?;
    if header.eq_ignore_ascii_case("location") {
        Some(LinkSource::LocationHeader { status })
    } else {
        Some(LinkSource::ResponseHeader {
            status,
            name: header.to_string(),
        })
    }
}

fn location_of(s: &str) -> Option<ParameterLocation> {
    Some(match s {
        "path" => ParameterLocation::Path,
        "query" => ParameterLocation::Query,
        "header" => ParameterLocation::Header,
        "cookie" => ParameterLocation::Cookie,
        _ => return None,
    })
}

/// Where a producer finds ids of kind `r`.
struct Production {
    op: OperationId,
    source: LinkSource,
    field: Option<String>,
    path: String,
}

fn productions(model: &ApiModel, r: &Resource) -> Vec<Production> {
    let mut out = Vec::new();
    for op in &model.operations {
        if takes_any(op, &r.id_params) {
            continue;
        }
        let is_create = r.create.contains(&op.id);
        let is_list = r.list.contains(&op.id);
        // A read or update that takes no key: the caller's own object (`GET /me`).
        let is_own = r.read.contains(&op.id) || r.update.contains(&op.id);
        let before = out.len();
        for (status, response) in op.success_responses() {
            let schema = response.json_schema();
            let mut found = None;
            if let Some(s) = schema {
                let same_kind = r
                    .schema
                    .is_some_and(|rs| same_schema(&model.schemas, rs, s));
                if is_create || is_own || same_kind {
                    found = find_id_field(&model.schemas, s, &r.kind, &r.id_params);
                }
                if found.is_none()
                    && (is_list || is_create || r.schema.is_some())
                    && let Some((element, prefix)) = list_element(&model.schemas, s)
                {
                    let element_is_kind = r
                        .schema
                        .is_some_and(|rs| same_schema(&model.schemas, rs, element));
                    if is_list || element_is_kind {
                        found = find_id_field(&model.schemas, element, &r.kind, &r.id_params)
                            .map(|(f, p)| (f, format!("{prefix}{p}")));
                    }
                }
            }
            if let Some((field, pointer)) = found {
                out.push(Production {
                    op: op.id.clone(),
                    source: LinkSource::ResponseBody {
                        status: *status,
                        pointer,
                    },
                    field: Some(field),
                    path: op.path.clone(),
                });
                break;
            }
            if is_create && response.header("Location").is_some() {
                out.push(Production {
                    op: op.id.clone(),
                    source: LinkSource::LocationHeader { status: *status },
                    field: None,
                    path: op.path.clone(),
                });
                break;
            }
        }
        if is_create && out.len() == before {
            out.extend(unanswered_create(model, r, op));
        }
    }
    out
}

/// A create whose answer has no key: the key is the field it sent (`title` of
/// `POST /snippets` answering `{"status": "success"}`), or its `Location` when it answers 201
/// with no body and sends no key.
fn unanswered_create(model: &ApiModel, r: &Resource, op: &Operation) -> Option<Production> {
    let status = op
        .success_responses()
        .map(|(s, _)| *s)
        .next()
        .unwrap_or(StatusKey::Code(201));
    let (source, field) = match create_key_sources(model, r, op).into_iter().next()? {
        KeySource::RequestBody { pointer } => {
            let field = crate::pointer::unescape(pointer.trim_start_matches('/')).into_owned();
            (LinkSource::RequestBody { pointer }, Some(field))
        }
        KeySource::Location => (LinkSource::LocationHeader { status }, None),
        _ => return None,
    };
    Some(Production {
        op: op.id.clone(),
        source,
        field,
        path: op.path.clone(),
    })
}

fn kind_links(model: &ApiModel, r: &Resource, out: &mut Links) {
    if r.id_params.is_empty() {
        return;
    }
    let producers = productions(model, r);
    if producers.is_empty() {
        return;
    }
    for consumer in &model.operations {
        let segs = segments(&consumer.path);
        for i in 1..segs.len() {
            let Segment::Param(p) = &segs[i] else {
                continue;
            };
            // The collection before the key, over other parameters (`/repos/{owner}/{repo}`).
            let coll = segs[..i].iter().rev().find_map(|s| match s {
                Segment::Literal(l) => Some(*l),
                Segment::Param(_) => None,
            });
            if coll.is_none_or(|c| singular(c) != r.kind) || !r.id_params.iter().any(|x| x == p) {
                continue;
            }
            for prod in &producers {
                let nested = consumer
                    .path
                    .starts_with(&format!("{}/", prod.path.trim_end_matches('/')));
                let evidence = match (&prod.source, &prod.field) {
                    (LinkSource::LocationHeader { .. }, _) => Evidence::LocationHeader,
                    (_, Some(field)) if nested => Evidence::PathNesting {
                        field: field.clone(),
                        parameter: (*p).to_string(),
                    },
                    (_, field) => Evidence::NameMatch {
                        field: field.clone().unwrap_or_default(),
                        parameter: (*p).to_string(),
                    },
                };
                out.push(Link {
                    producer: prod.op.clone(),
                    source: prod.source.clone(),
                    consumer: consumer.id.clone(),
                    target: LinkTarget::Parameter {
                        location: ParameterLocation::Path,
                        name: (*p).to_string(),
                    },
                    evidence,
                });
            }
        }
    }
}

/// Rule 3: request body fields and query parameters named after a kind's id.
fn field_links(model: &ApiModel, out: &mut Links) {
    for r in &model.resources {
        let names = [format!("{}id", r.kind), format!("{}_id", r.kind)];
        let matches_kind = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
        let producers: Vec<Production> = productions(model, r)
            .into_iter()
            .filter(|p| p.field.is_some())
            .collect();
        if producers.is_empty() {
            continue;
        }
        for consumer in &model.operations {
            let mut targets: Vec<(LinkTarget, String)> = Vec::new();
            for p in &consumer.parameters {
                if p.location == ParameterLocation::Query && matches_kind(&p.name) {
                    targets.push((
                        LinkTarget::Parameter {
                            location: p.location,
                            name: p.name.clone(),
                        },
                        p.name.clone(),
                    ));
                }
            }
            if let Some(body) = consumer
                .request_body
                .as_ref()
                .and_then(|b| json_schema_of(&b.content))
                && let Some(props) = model.schemas.object_properties(body)
            {
                for (name, &prop) in props {
                    // A read-only field is the server's to set: never a place to send an id.
                    let read_only = model.schemas.try_get(prop).is_some_and(|s| s.read_only);
                    if matches_kind(name) && !read_only {
                        targets.push((
                            LinkTarget::Body {
                                pointer: format!("/{}", crate::pointer::escape(name)),
                            },
                            name.clone(),
                        ));
                    }
                }
            }
            for (target, name) in targets {
                for prod in &producers {
                    out.push(Link {
                        producer: prod.op.clone(),
                        source: prod.source.clone(),
                        consumer: consumer.id.clone(),
                        target: target.clone(),
                        evidence: Evidence::NameMatch {
                            field: prod.field.clone().unwrap_or_default(),
                            parameter: name.clone(),
                        },
                    });
                }
            }
        }
    }
}

/// Rule 4: a response field named exactly like a path parameter ending in `id`, in an object
/// response or in the elements of a list response, when the types agree. It adds producers to
/// a target no other rule linked, and, even where others did, three kinds of strong
/// evidence: a response with no `id` of its own that names the id (a login answering `userId`
/// -> `{userId}`), a list answer whose records have no `id` of their own and name it (a team's
/// members, each a `userId`), and a record's parent id (`GET /documents` lists documents with their
/// `teamId` -> the `{teamId}` of `/teams/{teamId}/documents/{documentId}`). At most
/// [`MAX_NAME_MATCH_PRODUCERS`] producers per consumer target.
fn name_links(model: &ApiModel, out: &mut Links) {
    for consumer in &model.operations {
        for param in consumer
            .parameters
            .iter()
            .filter(|p| p.location == ParameterLocation::Path)
        {
            // `<x>Id` only: a bare `{id}` says nothing about whose id it is.
            if id_name_kind(&param.name).is_none() {
                continue;
            }
            let already = out.links.iter().any(|l| {
                l.consumer == consumer.id
                    && matches!(&l.target, LinkTarget::Parameter { name, .. } if *name == param.name)
            });
            let mut added = 0;
            for producer in &model.operations {
                if added >= MAX_NAME_MATCH_PRODUCERS {
                    break;
                }
                if producer.id == consumer.id
                    || takes_any(producer, std::slice::from_ref(&param.name))
                {
                    continue;
                }
                let Some((status, schema)) = producer
                    .success_responses()
                    .find_map(|(s, r)| r.json_schema().map(|id| (*s, id)))
                else {
                    continue;
                };
                let Some((field_schema, pointer, record)) =
                    field_of(&model.schemas, schema, &param.name)
                else {
                    continue;
                };
                if !types_agree(&model.schemas, field_schema, param.schema) {
                    continue;
                }
                // A record with no id of its own that names the id: the answer itself (a
                // login), or each element of a list answer (a team's members).
                let names_the_id = (record == schema || is_array(&model.schemas, schema))
                    && has_no_id(&model.schemas, record);
                if already && !names_the_id && !is_parent_id(model, record, &param.name) {
                    continue;
                }
                let pushed = out.push(Link {
                    producer: producer.id.clone(),
                    source: LinkSource::ResponseBody { status, pointer },
                    consumer: consumer.id.clone(),
                    target: LinkTarget::Parameter {
                        location: ParameterLocation::Path,
                        name: param.name.clone(),
                    },
                    evidence: Evidence::NameMatch {
                        field: param.name.clone(),
                        parameter: param.name.clone(),
                    },
                });
                if pushed {
                    added += 1;
                }
            }
        }
    }
}

/// Whether `schema` is an array (a list answer, not an object holding one).
fn is_array(schemas: &Schemas, schema: SchemaId) -> bool {
    matches!(
        schemas.try_get(schema).map(|s| &s.kind),
        Some(SchemaKind::Array(_))
    )
}

/// Whether the object schema has no `id` field of its own.
fn has_no_id(schemas: &Schemas, schema: SchemaId) -> bool {
    schemas
        .object_properties(schema)
        .is_some_and(|p| !p.keys().any(|k| k.eq_ignore_ascii_case("id")))
}

/// Whether `field` of a `record` schema holds the id of the record's parent: the record is
/// the object of a kind nested under a kind whose id parameter is `field`.
fn is_parent_id(model: &ApiModel, record: SchemaId, field: &str) -> bool {
    model.resources.iter().any(|r| {
        r.schema
            .is_some_and(|s| same_schema(&model.schemas, s, record))
            && r.parent
                .as_deref()
                .and_then(|p| model.resource(p))
                .is_some_and(|p| p.id_params.iter().any(|x| x == field))
    })
}

/// The field `name` of an object schema (pointer `/name`), or of the elements of a list
/// schema (`/0/name`, `/data/0/name`), with the schema of the object holding it.
fn field_of(
    schemas: &Schemas,
    schema: SchemaId,
    name: &str,
) -> Option<(SchemaId, String, SchemaId)> {
    let token = crate::pointer::escape(name);
    if let Some(&field) = schemas.object_properties(schema).and_then(|p| p.get(name)) {
        return Some((field, format!("/{token}"), schema));
    }
    let (element, prefix) = list_element(schemas, schema)?;
    let field = *schemas.object_properties(element)?.get(name)?;
    Some((field, format!("{prefix}/{token}"), element))
}

/// Rule 5: `<x>Id` / `<x>_id` parameters and request body fields where `x` is no resource kind
/// with producers, but a component schema is named `X` and has an id field: the operations
/// that return that schema (or a list of it) produce the ids (`GET /me` returns `User` ->
/// `{userId}` of `POST /admin/users/{userId}/suspend` and `userId` of a member to add).
fn schema_name_links(model: &ApiModel, out: &mut Links) {
    let produced: HashSet<&str> = model
        .resources
        .iter()
        .filter(|r| !productions(model, r).is_empty())
        .map(|r| r.kind.as_str())
        .collect();
    for consumer in &model.operations {
        let mut targets: Vec<(LinkTarget, String)> = Vec::new();
        for p in &consumer.parameters {
            if matches!(
                p.location,
                ParameterLocation::Path | ParameterLocation::Query
            ) {
                targets.push((
                    LinkTarget::Parameter {
                        location: p.location,
                        name: p.name.clone(),
                    },
                    p.name.clone(),
                ));
            }
        }
        if let Some(body) = consumer.json_request_schema()
            && let Some(props) = model.schemas.object_properties(body)
        {
            for (name, &prop) in props {
                if !model.schemas.try_get(prop).is_some_and(|s| s.read_only) {
                    targets.push((
                        LinkTarget::Body {
                            pointer: format!("/{}", crate::pointer::escape(name)),
                        },
                        name.clone(),
                    ));
                }
            }
        }
        for (target, name) in targets {
            let Some(kind) = id_name_kind(&name) else {
                continue;
            };
            if produced.contains(kind.as_str()) {
                continue;
            }
            let Some((component, field)) = named_component(&model.schemas, &kind) else {
                continue;
            };
            let mut added = 0;
            for producer in &model.operations {
                if added >= MAX_NAME_MATCH_PRODUCERS {
                    break;
                }
                if producer.id == consumer.id || takes_any(producer, std::slice::from_ref(&name)) {
                    continue;
                }
                let found = producer.success_responses().find_map(|(status, r)| {
                    let schema = r.json_schema()?;
                    let token = crate::pointer::escape(&field);
                    if same_schema(&model.schemas, schema, component) {
                        return Some((*status, format!("/{token}")));
                    }
                    let (element, prefix) = list_element(&model.schemas, schema)?;
                    same_schema(&model.schemas, element, component)
                        .then(|| (*status, format!("{prefix}/{token}")))
                });
                let Some((status, pointer)) = found else {
                    continue;
                };
                let pushed = out.push(Link {
                    producer: producer.id.clone(),
                    source: LinkSource::ResponseBody { status, pointer },
                    consumer: consumer.id.clone(),
                    target: target.clone(),
                    evidence: Evidence::NameMatch {
                        field: field.clone(),
                        parameter: name.clone(),
                    },
                });
                if pushed {
                    added += 1;
                }
            }
        }
    }
}

/// `user` for `userId`, `user_id`, `UserID`, `user-id`; `None` for names that are not
/// `<x>Id` (`id`, `paid`).
fn id_name_kind(name: &str) -> Option<String> {
    let stem = ["_id", "-id", "_ID", "Id", "ID"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))?;
    (!stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| stem.to_ascii_lowercase())
}

/// The component schema named like `kind` (case-insensitive, `User` for `user`) that has an id
/// field, with that field.
fn named_component(schemas: &Schemas, kind: &str) -> Option<(SchemaId, String)> {
    schemas.iter().find_map(|(id, s)| {
        let name = s.name.as_deref()?;
        if !name.eq_ignore_ascii_case(kind) {
            return None;
        }
        let (field, _) = find_id_field(schemas, id, kind, &[])?;
        Some((id, field))
    })
}

/// Whether `op` takes one of `names` as a path parameter.
fn takes_any(op: &Operation, names: &[String]) -> bool {
    op.parameters
        .iter()
        .any(|p| p.location == ParameterLocation::Path && names.contains(&p.name))
}

/// The same schema: the same id, or the same component name.
fn same_schema(schemas: &Schemas, a: SchemaId, b: SchemaId) -> bool {
    if a == b {
        return true;
    }
    let (Some(x), Some(y)) = (schemas.try_get(a), schemas.try_get(b)) else {
        return false;
    };
    x.name.is_some() && x.name == y.name
}

/// Whether values of `a` can be used for `b` (both strings, both numbers, or either open).
fn types_agree(schemas: &Schemas, a: SchemaId, b: SchemaId) -> bool {
    let class = |id: SchemaId| match schemas.try_get(id).map(|s| &s.kind) {
        Some(SchemaKind::String(_)) => Some("string"),
        Some(SchemaKind::Integer(_) | SchemaKind::Number(_)) => Some("number"),
        Some(SchemaKind::Any) | None => None,
        Some(_) => Some("other"),
    };
    match (class(a), class(b)) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_names() {
        assert_eq!(id_name_kind("userId").as_deref(), Some("user"));
        assert_eq!(id_name_kind("user_id").as_deref(), Some("user"));
        assert_eq!(id_name_kind("UserID").as_deref(), Some("user"));
        assert_eq!(id_name_kind("linode-id").as_deref(), Some("linode"));
        assert_eq!(id_name_kind("id"), None);
        assert_eq!(id_name_kind("_id"), None);
        assert_eq!(id_name_kind("paid"), None);
        assert_eq!(id_name_kind("name"), None);
    }

    #[test]
    fn runtime_expressions() {
        let s = StatusKey::Code(201);
        assert_eq!(
            source_of("$response.body#/id", s),
            Some(LinkSource::ResponseBody {
                status: s,
                pointer: "/id".into()
            })
        );
        assert_eq!(
            source_of("$response.header.Location", s),
            Some(LinkSource::LocationHeader { status: s })
        );
        assert_eq!(source_of("$request.path.userId", s), None);
        assert_eq!(source_of("42", s), None);
    }
}

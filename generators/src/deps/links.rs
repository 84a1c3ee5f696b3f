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
//!    login response -> `{userId}`), when the types agree.
//!
//! A producer never feeds a parameter it takes itself (reading `/orders/{orderId}` does not
//! produce order ids), and links are unique per (producer, consumer, target).

use std::collections::HashSet;

use serde_json::Value;

use super::resources::{Segment, find_id_field, list_element, segments, singular};
use crate::model::{
    ApiModel, Evidence, Link, LinkSource, LinkTarget, Operation, OperationId, ParameterLocation,
    Resource, SchemaId, SchemaKind, Schemas, StatusKey, json_schema_of,
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
        for (status, response) in op.success_responses() {
            let schema = response.json_schema();
            let mut found = None;
            if let Some(s) = schema {
                let same_kind = r
                    .schema
                    .is_some_and(|rs| same_schema(&model.schemas, rs, s));
                if is_create || same_kind {
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
    }
    out
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
            let (Segment::Literal(coll), Segment::Param(p)) = (&segs[i - 1], &segs[i]) else {
                continue;
            };
            if singular(coll) != r.kind || !r.id_params.iter().any(|x| x == p) {
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
                for name in props.keys() {
                    if matches_kind(name) {
                        targets.push((
                            LinkTarget::Body {
                                pointer: format!("/{}", crate::spec::escape_pointer_token(name)),
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

/// Rule 4: a response field named exactly like a path parameter (ending in `id`).
fn name_links(model: &ApiModel, out: &mut Links) {
    for consumer in &model.operations {
        for param in consumer
            .parameters
            .iter()
            .filter(|p| p.location == ParameterLocation::Path)
        {
            if !param.name.to_ascii_lowercase().ends_with("id") {
                continue;
            }
            let already = out
                .links
                .iter()
                .any(|l| l.consumer == consumer.id && matches!(&l.target, LinkTarget::Parameter { name, .. } if *name == param.name));
            if already {
                continue;
            }
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
                let Some(props) = model.schemas.object_properties(schema) else {
                    continue;
                };
                let Some(&field_schema) = props.get(&param.name) else {
                    continue;
                };
                if !types_agree(&model.schemas, field_schema, param.schema) {
                    continue;
                }
                let pushed = out.push(Link {
                    producer: producer.id.clone(),
                    source: LinkSource::ResponseBody {
                        status,
                        pointer: format!("/{}", crate::spec::escape_pointer_token(&param.name)),
                    },
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

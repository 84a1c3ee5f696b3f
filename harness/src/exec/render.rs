//! Turning a step (operation + arguments with refs) into a concrete request.

use indexmap::IndexMap;
use serde_json::Value;
use trespass_generators::model::{ApiModel, Operation, Parameter, ParameterLocation, SchemaKind};
use trespass_generators::pointer;
use trespass_generators::sequence::{Arg, Ref, Step};

use super::params;
use super::reject::{PointerError, StepError};
use crate::http::{Body, Request};

/// A step made concrete.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rendered {
    pub(crate) request: Request,
    pub(crate) path_params: IndexMap<String, Value>,
    pub(crate) body: Option<Value>,
}

/// Renders `step`; `resolve` gives the value of a reference to an earlier response (or says
/// why it cannot).
pub(crate) fn render(
    model: &ApiModel,
    step: &Step,
    resolve: &dyn Fn(&Ref) -> Result<Value, StepError>,
) -> Result<Rendered, StepError> {
    let op = model
        .operation(&step.op)
        .ok_or_else(|| StepError::UnknownOperation(step.op.clone()))?;
    let value_of = |arg: &Arg| -> Result<Value, StepError> {
        match arg {
            Arg::Value(v) => Ok(v.clone()),
            Arg::Ref(r) => resolve(r),
        }
    };

    let mut path_params = IndexMap::new();
    for (name, arg) in &step.args.path {
        path_params.insert(name.clone(), value_of(arg)?);
    }
    let path = fill_path(op, &path_params)?;

    let mut request = Request::new(op.method.as_str(), path);
    for (name, arg) in &step.args.query {
        let mut value = value_of(arg)?;
        if matches!(arg, Arg::Ref(_)) {
            value = fit_length(model, param(op, ParameterLocation::Query, name), value);
        }
        request.query.extend(params::query_pairs(
            name,
            &value,
            param(op, ParameterLocation::Query, name),
        ));
    }
    for (name, arg) in &step.args.header {
        let value = value_of(arg)?;
        request.headers.push((
            name.clone(),
            params::simple(&value, explode(op, ParameterLocation::Header, name)),
        ));
    }
    let mut cookies = Vec::new();
    for (name, arg) in &step.args.cookie {
        let value = value_of(arg)?;
        cookies.push(format!("{name}={}", params::simple(&value, false)));
    }
    if !cookies.is_empty() {
        request
            .headers
            .push(("cookie".to_string(), cookies.join("; ")));
    }

    let mut body_json = None;
    if let Some(body) = &step.args.body {
        let mut value = body.value.clone();
        for r in &body.refs {
            let filled = resolve(&r.from)?;
            set_pointer(&mut value, &r.at, filled).map_err(|error| StepError::BodyPointer {
                at: r.at.clone(),
                error,
            })?;
        }
        let media = body.media_type.to_ascii_lowercase();
        request.body = Some(if media.contains("json") {
            Body::Json(value.clone())
        } else if media == "application/x-www-form-urlencoded" {
            Body::Form(params::form_pairs(&value))
        } else {
            Body::Text {
                content_type: body.media_type.clone(),
                text: match &value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            }
        });
        body_json = Some(value);
    }
    Ok(Rendered {
        request,
        path_params,
        body: body_json,
    })
}

/// A string taken from an earlier response, cut to the parameter's `maxLength` (in
/// characters): a search parameter fed a long title searches for its beginning.
fn fit_length(model: &ApiModel, param: Option<&Parameter>, value: Value) -> Value {
    let max = param
        .and_then(|p| model.schemas.try_get(p.schema))
        .and_then(|s| match &s.kind {
            SchemaKind::String(b) => b.max_length,
            _ => None,
        });
    match (value, max) {
        (Value::String(text), Some(max)) if text.chars().count() as u64 > max => {
            Value::String(text.chars().take(max as usize).collect())
        }
        (value, _) => value,
    }
}

fn param<'a>(op: &'a Operation, location: ParameterLocation, name: &str) -> Option<&'a Parameter> {
    op.parameter(location, name)
}

fn explode(op: &Operation, location: ParameterLocation, name: &str) -> bool {
    param(op, location, name).is_some_and(|p| p.explode)
}

/// Fills the path template of `op` with percent-encoded values; a value that would leave its
/// segment empty or make it a dot segment is refused ([`StepError::UnroutablePathValue`]).
pub(crate) fn fill_path(
    op: &Operation,
    values: &IndexMap<String, Value>,
) -> Result<String, StepError> {
    let mut out = String::with_capacity(op.path.len() + 16);
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| StepError::PathTemplate(op.path.clone()))?;
        let name = &after[..end];
        let value = values
            .get(name)
            .ok_or_else(|| StepError::MissingPathValue(name.to_string()))?;
        if !trespass_generators::sequence::fills_path_segment(value) {
            return Err(StepError::UnroutablePathValue {
                name: name.to_string(),
                value: value.to_string(),
            });
        }
        let p = param(op, ParameterLocation::Path, name);
        out.push_str(&params::path_segment(value, p));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Sets the value at JSON pointer `pointer` in `target`, creating objects on the way.
pub(crate) fn set_pointer(
    target: &mut Value,
    pointer: &str,
    value: Value,
) -> Result<(), PointerError> {
    if pointer.is_empty() {
        *target = value;
        return Ok(());
    }
    if !pointer.starts_with('/') {
        return Err(PointerError::NotAPointer(pointer.to_string()));
    }
    let tokens = pointer::split(pointer);
    let mut current = target;
    for (i, token) in tokens.iter().enumerate() {
        let last = i + 1 == tokens.len();
        current = match current {
            Value::Object(map) => {
                if last {
                    map.insert(token.clone(), value);
                    return Ok(());
                }
                map.entry(token.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(items) => {
                let index: usize = token
                    .parse()
                    .map_err(|_| PointerError::NotAnIndex(token.clone()))?;
                let len = items.len();
                let slot = items
                    .get_mut(index)
                    .ok_or(PointerError::PastTheEnd { index, len })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => return Err(PointerError::Scalar(token.clone())),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_referenced_string_is_cut_to_the_query_parameter_max_length() {
        let model = trespass_generators::spec::load_str(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /docs:\n    get:\n      \
             parameters:\n        - {name: q, in: query, schema: {type: string, maxLength: 5}}\n        \
             - {name: tag, in: query, schema: {type: string}}\n      \
             responses: {'200': {description: ok}}\n",
            "fit.yaml",
        )
        .expect("loads");
        let long = json!("Quarterly roadmap");
        let resolved = |_: &Ref| Ok(long.clone());
        let reference = Arg::Ref(Ref {
            step: 0,
            source: trespass_generators::sequence::RefSource::Body {
                pointer: "/title".into(),
            },
        });
        let step = |q: Arg, tag: Arg| {
            let mut args = trespass_generators::sequence::Args::default();
            args.query.insert("q".into(), q);
            args.query.insert("tag".into(), tag);
            Step {
                identity: trespass_generators::sequence::IdentityId::new("bob"),
                op: trespass_generators::model::OperationId::new("GET", "/docs"),
                auth: Default::default(),
                args,
                violates: Vec::new(),
            }
        };
        let query = |s: &Step| render(&model, s, &resolved).expect("renders").request.query;
        // A reference: its beginning, as long as the parameter admits; no limit, no cut.
        assert_eq!(
            query(&step(reference.clone(), reference.clone())),
            [
                ("q".to_string(), "Quart".to_string()),
                ("tag".to_string(), "Quarterly roadmap".to_string())
            ]
        );
        // A generated value goes as generated, even when too long (a negative value).
        assert_eq!(
            query(&step(Arg::Value(long.clone()), Arg::Value(json!("x"))))[0],
            ("q".to_string(), "Quarterly roadmap".to_string())
        );
        // Characters, not bytes.
        let accented = |_: &Ref| Ok(json!("ééééééé"));
        let rendered = render(
            &model,
            &step(reference.clone(), Arg::Value(json!("x"))),
            &accented,
        )
        .expect("renders");
        assert_eq!(rendered.request.query[0].1, "ééééé");
    }

    #[test]
    fn a_path_value_that_would_reach_another_route_is_refused() {
        let model = trespass_generators::spec::load_str(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /users/{id}/email:\n    get:\n      \
             parameters:\n        - {name: id, in: path, required: true, schema: {type: string}}\n      \
             responses: {'200': {description: ok}}\n",
            "route.yaml",
        )
        .expect("loads");
        let op = model
            .operation(&trespass_generators::model::OperationId::new(
                "GET",
                "/users/{id}/email",
            ))
            .expect("declared");
        let fill = |v: serde_json::Value| {
            let mut values = IndexMap::new();
            values.insert("id".to_string(), v);
            fill_path(op, &values)
        };
        assert_eq!(fill(json!("a b/c")).unwrap(), "/users/a%20b%2Fc/email");
        assert_eq!(fill(json!("...")).unwrap(), "/users/.../email");
        assert_eq!(fill(json!(7)).unwrap(), "/users/7/email");
        for unroutable in [json!(""), json!("."), json!(".."), json!(null), json!([])] {
            let e = fill(unroutable.clone()).unwrap_err();
            assert!(
                matches!(e, StepError::UnroutablePathValue { ref name, .. } if name == "id"),
                "{unroutable}: {e}"
            );
        }
    }

    #[test]
    fn pointers_are_set_creating_objects() {
        let mut v = json!({"a": {"b": 1}, "list": [1, 2]});
        set_pointer(&mut v, "/a/c", json!(2)).unwrap();
        set_pointer(&mut v, "/x/y", json!("z")).unwrap();
        set_pointer(&mut v, "/list/1", json!(9)).unwrap();
        set_pointer(&mut v, "/sl~1ash", json!(true)).unwrap();
        assert_eq!(
            v,
            json!({"a": {"b": 1, "c": 2}, "list": [1, 9], "x": {"y": "z"}, "sl/ash": true})
        );
        assert!(set_pointer(&mut v, "/list/7", json!(0)).is_err());
        assert!(set_pointer(&mut v, "/a/b/c", json!(0)).is_err());
        assert!(set_pointer(&mut v, "nope", json!(0)).is_err());
    }
}

//! Serialising parameter values the way OpenAPI's `style` / `explode` say (the common
//! styles: `simple`, `label`, `matrix` for paths; `form`, `spaceDelimited`, `pipeDelimited`,
//! `deepObject` for queries).

use serde_json::Value;
use trespass_generators::model::{Parameter, ParameterStyle};

/// A scalar as a string: strings verbatim, other values as JSON text.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `simple` style: arrays `a,b`; objects `k,v,k2,v2` (or `k=v,k2=v2` exploded).
pub(crate) fn simple(value: &Value, explode: bool) -> String {
    match value {
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                if explode {
                    format!("{k}={}", scalar(v))
                } else {
                    format!("{k},{}", scalar(v))
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        other => scalar(other),
    }
}

/// One path segment, percent-encoded (a `/` in a value never splits the path).
pub(crate) fn path_segment(value: &Value, param: Option<&Parameter>) -> String {
    let explode = param.is_some_and(|p| p.explode);
    let name = param.map_or("", |p| p.name.as_str());
    let raw = match param.map(|p| p.style) {
        Some(ParameterStyle::Label) => format!(".{}", simple(value, explode)),
        Some(ParameterStyle::Matrix) => format!(";{name}={}", simple(value, explode)),
        _ => simple(value, explode),
    };
    percent_encode_segment(&raw)
}

fn percent_encode_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            // Sub-delimiters a path segment may carry (label and matrix styles use them).
            b',' | b';' | b'=' | b':' | b'@' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Query pairs (unencoded; the request encodes them) for `name` = `value`.
pub(crate) fn query_pairs(
    name: &str,
    value: &Value,
    param: Option<&Parameter>,
) -> Vec<(String, String)> {
    let style = param.map_or(ParameterStyle::Form, |p| p.style);
    let explode = param.is_none_or(|p| p.explode);
    match (value, style) {
        (Value::Array(items), ParameterStyle::SpaceDelimited) => {
            vec![(
                name.to_string(),
                items.iter().map(scalar).collect::<Vec<_>>().join(" "),
            )]
        }
        (Value::Array(items), ParameterStyle::PipeDelimited) => {
            vec![(
                name.to_string(),
                items.iter().map(scalar).collect::<Vec<_>>().join("|"),
            )]
        }
        (Value::Array(items), _) if explode => items
            .iter()
            .map(|v| (name.to_string(), scalar(v)))
            .collect(),
        (Value::Array(_), _) => vec![(name.to_string(), simple(value, false))],
        (Value::Object(map), ParameterStyle::DeepObject) => map
            .iter()
            .map(|(k, v)| (format!("{name}[{k}]"), scalar(v)))
            .collect(),
        (Value::Object(map), _) if explode => {
            map.iter().map(|(k, v)| (k.clone(), scalar(v))).collect()
        }
        (Value::Object(_), _) => vec![(name.to_string(), simple(value, false))],
        (other, _) => vec![(name.to_string(), scalar(other))],
    }
}

/// Pairs of a form body from a JSON object (nested values as JSON text).
pub(crate) fn form_pairs(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match v {
                Value::Array(items) => items.iter().map(|i| (k.clone(), scalar(i))).collect(),
                other => vec![(k.clone(), scalar(other))],
            })
            .collect(),
        other => vec![("value".to_string(), scalar(other))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_values_are_encoded_as_one_segment() {
        assert_eq!(path_segment(&json!(42), None), "42");
        assert_eq!(path_segment(&json!("a/b c"), None), "a%2Fb%20c");
        assert_eq!(path_segment(&json!(["x", "y"]), None), "x,y");
        assert_eq!(path_segment(&json!("é"), None), "%C3%A9");
    }

    #[test]
    fn query_styles() {
        assert_eq!(
            query_pairs("ids", &json!([1, 2]), None),
            vec![("ids".into(), "1".into()), ("ids".into(), "2".into())]
        );
        assert_eq!(
            query_pairs("status", &json!("cancelled"), None),
            vec![("status".into(), "cancelled".into())]
        );
        assert_eq!(
            query_pairs("f", &json!({"a": 1, "b": "x"}), None),
            vec![("a".into(), "1".into()), ("b".into(), "x".into())]
        );
    }
}

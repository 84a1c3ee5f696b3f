//! Text to `serde_json::Value`: JSON, or YAML through `yaml-rust2`.
//!
//! `yaml-rust2` was chosen on measurement over the 120 real specs: it parses all 120, while
//! `serde_yaml_ng` and `serde_norway` (both libyaml ports) parse 117: they reject the tab
//! characters that some OpenAPI 3.1 specs have inside block scalars, and an integer outside
//! the 64-bit range. Converting its tree ourselves also lets us stringify non-string keys
//! (`200:` response codes) and apply `<<` merge keys.

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

use crate::errors::SpecErrorKind;

/// Deepest nesting accepted, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Parses JSON or YAML text into a JSON value. JSON is tried first when the text starts with
/// `{` or `[`; any other text is YAML (a superset of JSON).
pub(crate) fn parse(text: &str) -> Result<Value, SpecErrorKind> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => return Ok(v),
            Err(e) if trimmed.starts_with('{') && !looks_like_flow_yaml(trimmed) => {
                return Err(SpecErrorKind::Syntax {
                    format: "JSON",
                    line: e.line(),
                    column: e.column(),
                    message: strip_position(&e.to_string()),
                });
            }
            Err(_) => {}
        }
    }
    parse_yaml(trimmed)
}

/// A `{`-started text that is not JSON might still be YAML flow style (`{a: 1}`).
fn looks_like_flow_yaml(text: &str) -> bool {
    let head: String = text.chars().take(200).collect();
    !head.contains('"')
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn parse_yaml(text: &str) -> Result<Value, SpecErrorKind> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        let m = e.marker();
        SpecErrorKind::Syntax {
            format: "YAML",
            line: m.line(),
            column: m.col() + 1,
            message: e.info().to_string(),
        }
    })?;
    let Some(doc) = docs.into_iter().next() else {
        return Err(SpecErrorKind::NotOpenApi("the document is empty".into()));
    };
    convert(&doc, 0)
}

fn convert(y: &Yaml, depth: usize) -> Result<Value, SpecErrorKind> {
    if depth > MAX_DEPTH {
        return Err(SpecErrorKind::Invalid(format!(
            "the document nests deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(match y {
        Yaml::Real(s) => real(s),
        Yaml::Integer(i) => Value::Number(Number::from(*i)),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Null | Yaml::BadValue => Value::Null,
        Yaml::Alias(_) => Value::Null,
        Yaml::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| convert(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Hash(hash) => {
            let mut map = Map::new();
            let mut merges = Vec::new();
            for (k, v) in hash {
                let key = key_string(k);
                if key == "<<" {
                    merges.push(v);
                    continue;
                }
                map.insert(key, convert(v, depth + 1)?);
            }
            // `<<` merge keys: keys of the merged mappings that the mapping does not set.
            for m in merges {
                let sources: Vec<&Yaml> = match m {
                    Yaml::Array(list) => list.iter().collect(),
                    other => vec![other],
                };
                for s in sources {
                    if let Value::Object(extra) = convert(s, depth + 1)? {
                        for (k, v) in extra {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            Value::Object(map)
        }
    })
}

/// A YAML float. Out-of-range integers arrive here too (`-9223372036854776000`); infinities
/// and NaN have no JSON form and become strings (`".inf"`), which schema readers ignore.
fn real(s: &str) -> Value {
    let parsed = match s.trim_start_matches('+') {
        ".inf" | ".Inf" | ".INF" => None,
        t => t.parse::<f64>().ok(),
    };
    match parsed.and_then(Number::from_f64) {
        Some(n) => Value::Number(n),
        None => Value::String(s.to_string()),
    }
}

fn key_string(k: &Yaml) -> String {
    match k {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null => "null".to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn yaml_with_integer_keys_merge_keys_and_tabs() {
        let text = "base: &b {x: 1, y: 2}\nobj:\n  <<: *b\n  y: 3\nresponses:\n  200: {description: ok}\ndesc: |-\n    first\n    \t\n    last\n";
        let v = parse(text).unwrap();
        assert_eq!(v["obj"], json!({"y": 3, "x": 1}));
        assert_eq!(v["responses"]["200"]["description"], json!("ok"));
        assert!(v["desc"].as_str().unwrap().starts_with("first"));
    }

    #[test]
    fn json_and_errors() {
        assert_eq!(parse("{\"a\": [1, 2.5]}").unwrap(), json!({"a": [1, 2.5]}));
        let e = parse("{\"a\": ").unwrap_err();
        assert!(
            matches!(e, SpecErrorKind::Syntax { format: "JSON", .. }),
            "{e:?}"
        );
        let e = parse("a: [1, 2\nb: }").unwrap_err();
        assert!(
            matches!(
                e,
                SpecErrorKind::Syntax {
                    format: "YAML",
                    line: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(parse("").is_err());
        assert_eq!(
            parse("x: -9223372036854776000").unwrap()["x"].as_f64(),
            Some(-9.223372036854776e18)
        );
        assert_eq!(parse("x: .inf").unwrap()["x"], json!(".inf"));
    }
}

//! The one place the sequence generators get argument values from.
//!
//! [`memo_strategy`] is the seam to the value generators: every parameter, body and extra
//! field of a step is generated through [`crate::values::strategy`] (memoised per catalog by
//! [`crate::values::Memo`]) here, so switching to another value generator changes this file
//! only.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::model::{ApiModel, SchemaId, SchemaKind};
use crate::values::{self, ValueContext};

/// A strategy for values of schema `id` of `model`, as sent in a request (read-only properties
/// left out).
///
/// A schema that admits no generable value (see [`values::Unsatisfiable`]) is logged and gets a
/// trivial stand-in: an empty object for object schemas, `null` otherwise. The request is then
/// likely refused by the server, which the sequence treats like any other refusal.
#[cfg(test)]
pub(crate) fn schema_strategy(model: &ApiModel, id: SchemaId) -> SBoxedStrategy<Value> {
    memo_strategy(&mut values::Memo::new(&model.schemas), model, id)
}

/// Like [`schema_strategy`], for a path parameter: only values that fill a path segment, never
/// an empty one nor a dot segment (`.`, `..`), which would send the request to another route
/// (`GET /users/` for `GET /users/{id}`). Shrinking keeps to them too: a simplified value that
/// would leave the segment empty is not taken. A schema that admits no such value leaves the
/// operation without values for the parameter (the step is not generated).
#[cfg(test)]
pub(crate) fn path_strategy(model: &ApiModel, id: SchemaId) -> SBoxedStrategy<Value> {
    path_only(schema_strategy(model, id))
}

/// `strategy` narrowed to the values that fill a path segment (see [`path_strategy`]).
pub(crate) fn path_only(strategy: SBoxedStrategy<Value>) -> SBoxedStrategy<Value> {
    strategy
        .prop_filter("a path segment is never empty nor a dot segment", |v| {
            fills_path_segment(v)
        })
        .sboxed()
}

/// Whether `value`, sent as a path parameter, fills its segment: it is not null, not an empty
/// string, array or object, and not `.` or `..` (which a server or proxy would resolve).
pub fn fills_path_segment(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !matches!(s.as_str(), "" | "." | ".."),
        Value::Array(items) => match items.as_slice() {
            [] => false,
            [only] => fills_path_segment(only),
            _ => true,
        },
        Value::Object(map) => !map.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// A strategy for values of schema `id` of `model`, as sent in a request, built through
/// `memo` (once per schema for a whole catalog). A schema that admits no generable value (see
/// [`values::Unsatisfiable`]) is logged, every time it is asked for, and gets a trivial
/// stand-in: an empty object for object schemas, `null` otherwise. The request is then likely
/// refused by the server, which the sequence treats like any other refusal.
pub(crate) fn memo_strategy(
    memo: &mut values::Memo<'_>,
    model: &ApiModel,
    id: SchemaId,
) -> SBoxedStrategy<Value> {
    or_stand_in(model, id, memo.strategy(id, &ValueContext::request()))
}

/// `built`, or when it failed, the stand-in [`memo_strategy`] describes.
fn or_stand_in(
    model: &ApiModel,
    id: SchemaId,
    built: Result<SBoxedStrategy<Value>, values::Unsatisfiable>,
) -> SBoxedStrategy<Value> {
    match built {
        Ok(strategy) => strategy,
        Err(e) => {
            tracing::warn!(schema = %e.pointer, kind = %e.kind, "no valid value can be generated: {}", e.reason);
            let object = model
                .schemas
                .try_get(id)
                .is_some_and(|s| matches!(s.kind, SchemaKind::Object(_)));
            if object {
                Just(Value::Object(Map::new())).sboxed()
            } else {
                Just(Value::Null).sboxed()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;

    fn model(yaml: &str) -> ApiModel {
        crate::spec::load_str(yaml, "seam.yaml").unwrap()
    }

    #[test]
    fn values_come_from_the_value_generators() {
        let m = model(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    \
             Item:\n      type: object\n      required: [id, sku]\n      properties:\n        \
             id: {type: integer, readOnly: true}\n        sku: {type: string, pattern: '^[A-Z]{3}-[0-9]{4}$'}\n",
        );
        let id = m.schemas.by_name("Item").unwrap();
        let s = schema_strategy(&m, id);
        let mut runner = TestRunner::deterministic();
        for _ in 0..20 {
            let v = s.new_tree(&mut runner).unwrap().current();
            assert!(v.get("id").is_none(), "{v}");
            let sku = v["sku"].as_str().unwrap();
            assert_eq!(sku.len(), 8, "{sku}");
            assert!(values::is_valid(
                &m.schemas,
                id,
                &ValueContext::request(),
                &v
            ));
        }
    }

    #[test]
    fn path_values_fill_their_segment_even_when_shrunk() {
        let m = model(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    \
             Name: {type: string, maxLength: 3}\n    Dots: {type: string, enum: ['', '.', '..', 'a']}\n    \
             Never: {type: string, enum: ['', '..']}\n",
        );
        let name = m.schemas.by_name("Name").unwrap();
        let mut runner = TestRunner::deterministic();
        let mut seen_empty_plain = false;
        for _ in 0..200 {
            let plain = schema_strategy(&m, name)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            seen_empty_plain |= plain == Value::String(String::new());
            let mut tree = path_strategy(&m, name).new_tree(&mut runner).unwrap();
            assert!(fills_path_segment(&tree.current()), "{}", tree.current());
            while tree.simplify() {
                assert!(fills_path_segment(&tree.current()), "{}", tree.current());
            }
            assert_eq!(
                tree.current().as_str().map(str::len),
                Some(1),
                "shrinks to one character"
            );
        }
        assert!(seen_empty_plain, "the schema alone admits the empty string");
        let dots = m.schemas.by_name("Dots").unwrap();
        for _ in 0..50 {
            let v = path_strategy(&m, dots)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            assert_eq!(v, Value::String("a".into()));
        }
        let never = m.schemas.by_name("Never").unwrap();
        assert!(path_strategy(&m, never).new_tree(&mut runner).is_err());
    }

    #[test]
    fn what_fills_a_path_segment() {
        for (value, fills) in [
            (serde_json::json!(""), false),
            (serde_json::json!("."), false),
            (serde_json::json!(".."), false),
            (serde_json::json!("..."), true),
            (serde_json::json!(null), false),
            (serde_json::json!([]), false),
            (serde_json::json!([""]), false),
            (serde_json::json!(["", ""]), true),
            (serde_json::json!({}), false),
            (serde_json::json!(0), true),
            (serde_json::json!(false), true),
            (serde_json::json!("a b"), true),
        ] {
            assert_eq!(fills_path_segment(&value), fills, "{value}");
        }
    }

    #[test]
    fn unsatisfiable_schemas_get_a_trivial_stand_in() {
        let m = model(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    \
             Bad:\n      type: object\n      required: [n]\n      properties:\n        \
             n: {type: integer, minimum: 5, maximum: 1}\n    Lookahead: {type: string, pattern: '^(?!x)'}\n",
        );
        let bad = m.schemas.by_name("Bad").unwrap();
        let v = schema_strategy(&m, bad)
            .new_tree(&mut TestRunner::deterministic())
            .unwrap()
            .current();
        assert_eq!(v, Value::Object(Map::new()));
        let lookahead = m.schemas.by_name("Lookahead").unwrap();
        let v = schema_strategy(&m, lookahead)
            .new_tree(&mut TestRunner::deterministic())
            .unwrap()
            .current();
        assert_eq!(v, Value::Null);
    }
}

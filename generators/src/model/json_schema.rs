//! Rendering the schema IR back to JSON Schema draft 2020-12, for value generation and for
//! response validation.
//!
//! Named schemas and schemas that sit on a cycle go to `$defs` and are referenced with
//! `{"$ref": "#/$defs/<key>"}`; everything else is inlined. `nullable` becomes a type array
//! (`["string", "null"]`) or an `anyOf` with `{"type": "null"}`; `readOnly` and `writeOnly` stay
//! as annotations.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::ids::SchemaId;
use super::schema::{
    Additional, ArraySchema, Composition, NumberBounds, ObjectSchema, Schema, SchemaKind, Schemas,
    StringBounds,
};
use crate::values::{Direction, discriminator_values};

const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

impl Schemas {
    /// The JSON Schema (draft 2020-12) of `id`, self-contained: every definition it needs is
    /// in its `$defs`. An id outside the arena renders as `false` (nothing validates).
    pub fn to_json_schema(&self, id: SchemaId) -> Value {
        self.render(id, None)
    }

    /// Like [`Schemas::to_json_schema`], for values travelling in `direction`: read-only
    /// properties are not required in requests, write-only ones not in responses. This is the
    /// schema that positive values of [`crate::values::strategy`] validate against.
    pub fn to_json_schema_for(&self, id: SchemaId, direction: Direction) -> Value {
        self.render(id, Some(direction))
    }

    fn render(&self, id: SchemaId, direction: Option<Direction>) -> Value {
        if self.try_get(id).is_none() {
            return Value::Bool(false);
        }
        let mut r = Renderer::new(self, id, direction);
        let mut root = match r.render_ref_or_inline(id, true) {
            Value::Object(map) => map,
            other => return other,
        };
        let mut defs = Map::new();
        while let Some(next) = r.pending.pop() {
            if defs.contains_key(&r.keys[&next]) {
                continue;
            }
            let key = r.keys[&next].clone();
            // Placeholder so that a nested render does not queue it again.
            defs.insert(key.clone(), Value::Null);
            let body = r.render_body(next);
            defs.insert(key, body);
        }
        root.insert("$schema".into(), Value::String(DIALECT.into()));
        if !defs.is_empty() {
            let mut sorted: Vec<(String, Value)> = defs.into_iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            root.insert("$defs".into(), Value::Object(sorted.into_iter().collect()));
        }
        Value::Object(root)
    }
}

struct Renderer<'a> {
    schemas: &'a Schemas,
    /// Ids rendered as `$ref` into `$defs`, with their key.
    keys: HashMap<SchemaId, String>,
    pending: Vec<SchemaId>,
    direction: Option<Direction>,
}

impl<'a> Renderer<'a> {
    fn new(schemas: &'a Schemas, root: SchemaId, direction: Option<Direction>) -> Self {
        let needs_def = find_def_ids(schemas, root);
        let mut keys = HashMap::new();
        let mut used = HashSet::new();
        let mut ordered: Vec<SchemaId> = needs_def.into_iter().collect();
        ordered.sort();
        for id in ordered {
            let base = schemas
                .get(id)
                .name
                .as_deref()
                .map(sanitize)
                .unwrap_or_else(|| format!("schema{}", id.0));
            let mut key = base.clone();
            let mut n = 2;
            while !used.insert(key.clone()) {
                key = format!("{base}_{n}");
                n += 1;
            }
            keys.insert(id, key);
        }
        Self {
            schemas,
            keys,
            pending: Vec::new(),
            direction,
        }
    }

    /// A reference to `id` (queued for `$defs`) or its inline body.
    fn render_ref_or_inline(&mut self, id: SchemaId, _root: bool) -> Value {
        if let Some(key) = self.keys.get(&id) {
            self.pending.push(id);
            json!({ "$ref": format!("#/$defs/{key}") })
        } else {
            self.render_body(id)
        }
    }

    fn child(&mut self, id: SchemaId) -> Value {
        if self.schemas.try_get(id).is_none() {
            return Value::Bool(false);
        }
        self.render_ref_or_inline(id, false)
    }

    fn render_body(&mut self, id: SchemaId) -> Value {
        let schema: &Schema = self.schemas.get(id);
        let mut out = Map::new();
        self.render_kind(&schema.kind, schema.nullable, &mut out);
        if let Some(values) = &schema.enum_values {
            let mut values = values.clone();
            if schema.nullable && !values.contains(&Value::Null) {
                values.push(Value::Null);
            }
            out.insert("enum".into(), Value::Array(values));
        }
        if let Some(c) = &schema.const_value {
            if schema.nullable && schema.enum_values.is_none() && !c.is_null() {
                out.insert("enum".into(), Value::Array(vec![c.clone(), Value::Null]));
            } else {
                out.insert("const".into(), c.clone());
            }
        }
        if let Some(f) = &schema.format {
            out.insert("format".into(), Value::String(f.clone()));
        }
        if schema.read_only {
            out.insert("readOnly".into(), Value::Bool(true));
        }
        if schema.write_only {
            out.insert("writeOnly".into(), Value::Bool(true));
        }
        if schema.deprecated {
            out.insert("deprecated".into(), Value::Bool(true));
        }
        if let Some(t) = &schema.title {
            out.insert("title".into(), Value::String(t.clone()));
        }
        if let Some(d) = &schema.default {
            out.insert("default".into(), d.clone());
        }
        if !schema.examples.is_empty() {
            out.insert("examples".into(), Value::Array(schema.examples.clone()));
        }
        if matches!(schema.kind, SchemaKind::Never) && out.len() == 1 {
            return Value::Bool(false);
        }
        Value::Object(out)
    }

    fn render_kind(&mut self, kind: &SchemaKind, nullable: bool, out: &mut Map<String, Value>) {
        match kind {
            SchemaKind::Any | SchemaKind::Boolean => {}
            SchemaKind::Never => {
                out.insert("not".into(), json!({}));
            }
            SchemaKind::Union(kinds) => return self.render_union(kinds, nullable, out),
            SchemaKind::Null => {
                out.insert("type".into(), json!("null"));
                return;
            }
            SchemaKind::Integer(b) | SchemaKind::Number(b) => render_number(b, out),
            SchemaKind::String(s) => render_string(s, out),
            SchemaKind::Array(a) => self.render_array(a, out),
            SchemaKind::Object(o) => self.render_object(o, out),
            SchemaKind::OneOf(c) | SchemaKind::AnyOf(c) => {
                let key = if matches!(kind, SchemaKind::OneOf(_)) {
                    "oneOf"
                } else {
                    "anyOf"
                };
                return self.render_choice(key, c, nullable, out);
            }
            SchemaKind::AllOf(parts) => {
                let parts: Vec<Value> = parts.iter().map(|&p| self.child(p)).collect();
                wrap_nullable(out, "allOf", Value::Array(parts), nullable);
                return;
            }
            SchemaKind::Not(inner) => {
                let inner = self.child(*inner);
                wrap_nullable(out, "not", inner, nullable);
                return;
            }
        }
        if let Some(t) = kind.type_name() {
            let ty = if nullable {
                json!([t, "null"])
            } else {
                json!(t)
            };
            out.insert("type".into(), ty);
        }
    }

    /// A type union: the types in one `type` array, each kind's keywords side by side.
    fn render_union(&mut self, kinds: &[SchemaKind], nullable: bool, out: &mut Map<String, Value>) {
        let mut types: Vec<Value> = Vec::new();
        for k in kinds {
            if let Some(t) = k.type_name() {
                types.push(Value::String(t.into()));
            }
            // Keywords of different types never collide (minimum vs minLength vs ...),
            // and JSON Schema applies each only to its own type.
            let mut inner = Map::new();
            self.render_kind(k, false, &mut inner);
            inner.remove("type");
            out.extend(inner);
        }
        if nullable {
            types.push(Value::String("null".into()));
        }
        out.insert("type".into(), Value::Array(types));
    }

    fn render_array(&mut self, a: &ArraySchema, out: &mut Map<String, Value>) {
        if !a.prefix_items.is_empty() {
            let items: Vec<Value> = a.prefix_items.iter().map(|&i| self.child(i)).collect();
            out.insert("prefixItems".into(), Value::Array(items));
        }
        let items = self.child(a.items);
        if items != json!({}) {
            out.insert("items".into(), items);
        }
        if let Some(n) = a.min_items {
            out.insert("minItems".into(), json!(n));
        }
        if let Some(n) = a.max_items {
            out.insert("maxItems".into(), json!(n));
        }
        if a.unique_items {
            out.insert("uniqueItems".into(), Value::Bool(true));
        }
    }

    fn render_object(&mut self, o: &ObjectSchema, out: &mut Map<String, Value>) {
        if !o.properties.is_empty() {
            let mut props = Map::new();
            for (name, &id) in &o.properties {
                props.insert(name.clone(), self.child(id));
            }
            out.insert("properties".into(), Value::Object(props));
        }
        let required: Vec<&String> = o
            .required
            .iter()
            .filter(|name| !self.left_out(o.properties.get(*name).copied()))
            .collect();
        if !required.is_empty() {
            out.insert("required".into(), json!(required));
        }
        match o.additional {
            Additional::Any => {}
            Additional::Forbidden => {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Additional::Schema(id) => {
                let s = self.child(id);
                out.insert("additionalProperties".into(), s);
            }
        }
        if let Some(n) = o.min_properties {
            out.insert("minProperties".into(), json!(n));
        }
        if let Some(n) = o.max_properties {
            out.insert("maxProperties".into(), json!(n));
        }
    }

    /// `oneOf` / `anyOf` (`key`); a discriminator pins each variant's property to its values.
    fn render_choice(
        &mut self,
        key: &str,
        c: &Composition,
        nullable: bool,
        out: &mut Map<String, Value>,
    ) {
        let mut variants: Vec<Value> = c
            .variants
            .iter()
            .map(|&v| {
                let rendered = self.child(v);
                let Some(d) = &c.discriminator else {
                    return rendered;
                };
                let name = self.schemas.try_get(v).and_then(|s| s.name.as_deref());
                let values = discriminator_values(d, v, name);
                if values.is_empty() {
                    return rendered;
                }
                json!({"allOf": [rendered, {
                    "properties": {d.property_name.as_str(): {"enum": values}},
                    "required": [d.property_name.as_str()],
                }]})
            })
            .collect();
        if nullable {
            variants.push(json!({"type": "null"}));
        }
        out.insert(key.into(), Value::Array(variants));
    }
}

fn render_number(b: &NumberBounds, out: &mut Map<String, Value>) {
    if let Some(m) = b.minimum {
        let key = if b.exclusive_minimum {
            "exclusiveMinimum"
        } else {
            "minimum"
        };
        out.insert(key.into(), number(m));
    }
    if let Some(m) = b.maximum {
        let key = if b.exclusive_maximum {
            "exclusiveMaximum"
        } else {
            "maximum"
        };
        out.insert(key.into(), number(m));
    }
    if let Some(m) = b.multiple_of {
        out.insert("multipleOf".into(), number(m));
    }
}

fn render_string(s: &StringBounds, out: &mut Map<String, Value>) {
    if let Some(n) = s.min_length {
        out.insert("minLength".into(), json!(n));
    }
    if let Some(n) = s.max_length {
        out.insert("maxLength".into(), json!(n));
    }
    if let Some(p) = &s.pattern {
        out.insert("pattern".into(), Value::String(p.clone()));
    }
}

impl Renderer<'_> {
    /// Whether a property with schema `id` is not required in the rendered direction.
    fn left_out(&self, id: Option<SchemaId>) -> bool {
        let (Some(direction), Some(schema)) =
            (self.direction, id.and_then(|id| self.schemas.try_get(id)))
        else {
            return false;
        };
        direction.excludes(schema.read_only, schema.write_only)
    }
}

/// `allOf`/`not` with `nullable`: `anyOf: [{type: null}, {<keyword>: ...}]`.
fn wrap_nullable(out: &mut Map<String, Value>, keyword: &str, value: Value, nullable: bool) {
    if nullable {
        let mut inner = Map::new();
        inner.insert(keyword.into(), value);
        out.insert(
            "anyOf".into(),
            json!([{ "type": "null" }, Value::Object(inner)]),
        );
    } else {
        out.insert(keyword.into(), value);
    }
}

/// `x` as JSON: an integer when it is one (and exact in an `f64`), else a float; `null` when
/// not finite.
pub(crate) fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Ids reachable from `root` that must live in `$defs`: named schemas (other than a
/// non-recursive root) and every schema that is the target of a back edge (a cycle).
fn find_def_ids(schemas: &Schemas, root: SchemaId) -> HashSet<SchemaId> {
    let mut defs = HashSet::new();
    let mut state: HashMap<SchemaId, u8> = HashMap::new(); // 1 = on stack, 2 = done
    // Iterative DFS to survive deep schemas.
    let mut stack: Vec<(SchemaId, Vec<SchemaId>, usize)> = Vec::new();
    state.insert(root, 1);
    stack.push((root, schemas.get(root).kind.children(), 0));
    while let Some((id, children, idx)) = stack.last_mut() {
        if *idx >= children.len() {
            state.insert(*id, 2);
            stack.pop();
            continue;
        }
        let child = children[*idx];
        *idx += 1;
        let Some(child_schema) = schemas.try_get(child) else {
            continue;
        };
        if child_schema.name.is_some() {
            defs.insert(child);
        }
        match state.get(&child) {
            Some(1) => {
                defs.insert(child);
            }
            Some(_) => {}
            None => {
                state.insert(child, 1);
                let grandchildren = child_schema.kind.children();
                stack.push((child, grandchildren, 0));
            }
        }
    }
    defs
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;
    use crate::model::schema::{ArraySchema, NumberBounds, ObjectSchema, StringBounds};

    #[test]
    fn nullable_string_uses_a_type_array() {
        let mut s = Schemas::new();
        let mut schema = Schema::of(
            SchemaKind::String(StringBounds {
                min_length: Some(1),
                ..Default::default()
            }),
            "#/x",
        );
        schema.nullable = true;
        schema.read_only = true;
        let id = s.push(schema);
        let js = s.to_json_schema(id);
        assert_eq!(js["type"], json!(["string", "null"]));
        assert_eq!(js["minLength"], json!(1));
        assert_eq!(js["readOnly"], json!(true));
        assert_eq!(js["$schema"], json!(DIALECT));
    }

    #[test]
    fn recursion_goes_through_defs() {
        let mut s = Schemas::new();
        let node = s.reserve("#/components/schemas/Node");
        let children = s.push(Schema::of(
            SchemaKind::Array(ArraySchema {
                items: node,
                prefix_items: vec![],
                min_items: None,
                max_items: None,
                unique_items: false,
            }),
            "#/components/schemas/Node/properties/children",
        ));
        let value = s.push(Schema::of(
            SchemaKind::Integer(NumberBounds {
                minimum: Some(0.0),
                exclusive_minimum: true,
                ..Default::default()
            }),
            "#/components/schemas/Node/properties/value",
        ));
        let mut props = IndexMap::new();
        props.insert("children".to_string(), children);
        props.insert("value".to_string(), value);
        let body = s.get_mut(node).unwrap();
        body.kind = SchemaKind::Object(ObjectSchema {
            properties: props,
            required: vec!["value".into()],
            additional: Additional::Forbidden,
            ..Default::default()
        });
        body.name = Some("Node".into());
        let js = s.to_json_schema(node);
        assert_eq!(js["$ref"], json!("#/$defs/Node"));
        let def = &js["$defs"]["Node"];
        assert_eq!(
            def["properties"]["children"]["items"]["$ref"],
            json!("#/$defs/Node")
        );
        assert_eq!(def["properties"]["value"]["exclusiveMinimum"], json!(0));
        assert_eq!(def["additionalProperties"], json!(false));
    }

    #[test]
    fn nullable_one_of_adds_a_null_variant() {
        let mut s = Schemas::new();
        let a = s.push(Schema::of(SchemaKind::Boolean, "#/a"));
        let mut schema = Schema::of(
            SchemaKind::OneOf(crate::model::schema::Composition {
                variants: vec![a],
                discriminator: None,
            }),
            "#/b",
        );
        schema.nullable = true;
        let b = s.push(schema);
        let js = s.to_json_schema(b);
        assert_eq!(js["oneOf"], json!([{"type": "boolean"}, {"type": "null"}]));
        assert_eq!(s.to_json_schema(SchemaId(99)), json!(false));
    }

    #[test]
    fn required_depends_on_the_direction() {
        let mut s = Schemas::new();
        let mut id = Schema::of(SchemaKind::Integer(NumberBounds::default()), "#/id");
        id.read_only = true;
        let id = s.push(id);
        let mut secret = Schema::of(SchemaKind::String(StringBounds::default()), "#/secret");
        secret.write_only = true;
        let secret = s.push(secret);
        let mut props = IndexMap::new();
        props.insert("id".to_string(), id);
        props.insert("secret".to_string(), secret);
        let obj = s.push(Schema::of(
            SchemaKind::Object(ObjectSchema {
                properties: props,
                required: vec!["id".into(), "secret".into()],
                ..Default::default()
            }),
            "#/obj",
        ));
        assert_eq!(s.to_json_schema(obj)["required"], json!(["id", "secret"]));
        assert_eq!(
            s.to_json_schema_for(obj, Direction::Request)["required"],
            json!(["secret"])
        );
        assert_eq!(
            s.to_json_schema_for(obj, Direction::Response)["required"],
            json!(["id"])
        );
    }

    #[test]
    fn discriminators_select_the_variant_and_nullable_const_admits_null() {
        let mut s = Schemas::new();
        let mut cat = Schema::of(SchemaKind::Object(ObjectSchema::default()), "#/Cat");
        cat.name = Some("Cat".into());
        let cat = s.push(cat);
        let inline = s.push(Schema::of(SchemaKind::Boolean, "#/inline"));
        let mut mapping = IndexMap::new();
        mapping.insert("kitty".to_string(), cat);
        let pet = s.push(Schema::of(
            SchemaKind::OneOf(crate::model::schema::Composition {
                variants: vec![cat, inline],
                discriminator: Some(crate::model::schema::Discriminator {
                    property_name: "type".into(),
                    mapping,
                }),
            }),
            "#/Pet",
        ));
        let js = s.to_json_schema(pet);
        assert_eq!(
            js["oneOf"][0]["allOf"][1],
            json!({"properties": {"type": {"enum": ["kitty"]}}, "required": ["type"]})
        );
        assert_eq!(js["oneOf"][1], json!({"type": "boolean"}));
        let mut c = Schema::of(SchemaKind::Any, "#/c");
        c.const_value = Some(json!(3));
        c.nullable = true;
        let c = s.push(c);
        assert_eq!(s.to_json_schema(c)["enum"], json!([3, null]));
    }
}

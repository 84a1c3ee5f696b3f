//! Schema conversion: a JSON schema value (2.0, 3.0 or 3.1 dialect) to the arena IR.
//!
//! `$ref` targets are converted once: a reference reserves an id for its target and queues it,
//! so recursive schemas point back to their own id and the conversion recursion only follows
//! inline nesting. `allOf` schemas are merged afterwards (see `merge.rs`), once every part
//! exists.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::Loader;
use super::refs::{Loc, ref_of};
use crate::errors::{SpecError, SpecErrorKind, describe};
use crate::model::{
    Additional, ArraySchema, Composition, Discriminator, NumberBounds, ObjectSchema, Schema,
    SchemaId, SchemaKind, SpecVersion, StringBounds,
};

/// Keys next to a `$ref` that change nothing about the values it admits.
const INERT_SIBLINGS: &[&str] = &[
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "$comment",
    "externalDocs",
    "xml",
];

/// Keys next to a `$ref` that only annotate (kept on a one-part `allOf` wrapper).
const ANNOTATION_SIBLINGS: &[&str] = &[
    "readOnly",
    "writeOnly",
    "nullable",
    "x-nullable",
    "deprecated",
    "default",
];

/// Deepest inline schema nesting converted; deeper schemas become "any value" with a warning.
const MAX_INLINE_DEPTH: usize = 64;

impl Loader {
    /// Converts the schema `v` found at `loc` and returns its id.
    pub(crate) fn schema_at(&mut self, loc: &Loc, v: &Value) -> Result<SchemaId, SpecError> {
        if let Some(map) = v.as_object()
            && let Some(reference) = ref_of(v)
            && map
                .keys()
                .all(|k| k == "$ref" || k.starts_with("x-") || INERT_SIBLINGS.contains(&k.as_str()))
        {
            let reference = reference.to_string();
            return self.schema_ref(&loc.key("$ref"), &reference);
        }
        if self.depth >= MAX_INLINE_DEPTH {
            self.warn(
                loc,
                format!("schema nests deeper than {MAX_INLINE_DEPTH} levels; treated as any value"),
            );
            return Ok(self.add(Schema::any(self.docs.display(loc))));
        }
        self.depth += 1;
        let built = self.build(loc, v);
        self.depth -= 1;
        Ok(self.add(built?))
    }

    /// Adds a finished schema to the arena, remembering `allOf`s for the merge pass.
    pub(crate) fn add(&mut self, schema: Schema) -> SchemaId {
        let is_all_of = matches!(schema.kind, SchemaKind::AllOf(_));
        let id = self.schemas.push(schema);
        if is_all_of {
            self.all_of.push(id);
        }
        id
    }

    /// The id of the schema `reference` points to (written at `at`), converting it later if it
    /// is new. In lenient mode an unresolvable target becomes "any value" with a warning.
    pub(crate) fn schema_ref(&mut self, at: &Loc, reference: &str) -> Result<SchemaId, SpecError> {
        let key = (at.doc, reference.to_string());
        if let Some(&id) = self.failed_refs.get(&key) {
            return Ok(id);
        }
        let mut current_at = at.clone();
        let mut current_ref = reference.to_string();
        let mut seen = std::collections::HashSet::new();
        let resolved = loop {
            if seen.len() >= super::refs::MAX_HOPS {
                break Err(self
                    .docs
                    .error(at, SpecErrorKind::RefChainTooLong(super::refs::MAX_HOPS)));
            }
            let target = match self.docs.resolve(&current_at, &current_ref) {
                Ok(t) => t,
                Err(e) => break Err(e),
            };
            if !seen.insert(target.clone()) {
                break Err(self
                    .docs
                    .error(at, SpecErrorKind::RefCycle(reference.to_string())));
            }
            if let Some(&id) = self.memo.get(&target) {
                return Ok(id);
            }
            let value = self.docs.get(&target).unwrap_or(Value::Null);
            // A target that is itself a plain reference: an alias, follow it.
            if let Some(next) = ref_of(&value)
                && value.as_object().is_some_and(|m| {
                    m.keys().all(|k| {
                        k == "$ref" || k.starts_with("x-") || INERT_SIBLINGS.contains(&k.as_str())
                    })
                })
            {
                current_ref = next.to_string();
                current_at = target.key("$ref");
                continue;
            }
            break Ok((target, value));
        };
        match resolved {
            Ok((target, value)) => {
                let mut slot = Schema::any(self.docs.display(&target));
                slot.name = component_name(&target.ptr);
                let id = self.schemas.push(slot);
                self.memo.insert(target.clone(), id);
                self.pending.push((id, target, value));
                Ok(id)
            }
            Err(e) if self.strict || matches!(e.kind, SpecErrorKind::RemoteRef(_)) => Err(e),
            Err(e) => {
                self.warn(
                    at,
                    format!("{}; treated as any value", crate::errors::KindOnly(&e.kind)),
                );
                let id = self.schemas.push(Schema::any(self.docs.display(at)));
                self.failed_refs.insert(key, id);
                Ok(id)
            }
        }
    }

    /// Converts every queued reference target.
    pub(crate) fn drain_schemas(&mut self) -> Result<(), SpecError> {
        while let Some((id, loc, value)) = self.pending.pop() {
            let mut schema = self.build(&loc, &value)?;
            let Some(slot) = self.schemas.get_mut(id) else {
                continue;
            };
            schema.name = slot.name.take();
            let is_all_of = matches!(schema.kind, SchemaKind::AllOf(_));
            *slot = schema;
            if is_all_of {
                self.all_of.push(id);
            }
        }
        Ok(())
    }

    fn build(&mut self, loc: &Loc, v: &Value) -> Result<Schema, SpecError> {
        let pointer = self.docs.display(loc);
        let map = match v {
            Value::Object(map) => map,
            Value::Bool(true) => return Ok(Schema::any(pointer)),
            Value::Bool(false) => return Ok(Schema::of(SchemaKind::Never, pointer)),
            other => {
                self.warn(
                    loc,
                    format!(
                        "a schema must be a mapping, found {}; treated as any value",
                        describe(other)
                    ),
                );
                return Ok(Schema::any(pointer));
            }
        };
        if let Some(reference) = ref_of(v) {
            return self.build_ref_with_siblings(loc, map, reference.to_string());
        }
        let mut schema = Schema::any(pointer.clone());
        self.read_annotations(loc, map, &mut schema);

        let (own, nullable_from_type) = self.own_kind(loc, map, &mut schema)?;
        schema.nullable |= nullable_from_type;

        let mut all_of = Vec::new();
        if let Some(parts) = map.get("allOf") {
            all_of = self.schema_list(&loc.key("allOf"), parts)?;
        }
        let discriminator = self.discriminator(loc, map)?;
        let mut comps = Vec::new();
        for key in ["oneOf", "anyOf"] {
            if let Some(list) = map.get(key) {
                let variants = self.schema_list(&loc.key(key), list)?;
                let c = Composition {
                    variants,
                    discriminator: discriminator.clone(),
                };
                comps.push(if key == "oneOf" {
                    SchemaKind::OneOf(c)
                } else {
                    SchemaKind::AnyOf(c)
                });
            }
        }
        if let Some(inner) = map.get("not") {
            let id = self.schema_at(&loc.key("not"), inner)?;
            comps.push(SchemaKind::Not(id));
        }
        let own_trivial = is_trivial(&own);
        schema.kind = if all_of.is_empty() && comps.is_empty() {
            own
        } else if all_of.is_empty() && comps.len() == 1 && own_trivial {
            comps.pop().unwrap_or(SchemaKind::Any)
        } else {
            let mut parts = all_of;
            if !own_trivial {
                parts.push(self.add(Schema::of(own, pointer.clone())));
            }
            for c in comps {
                parts.push(self.add(Schema::of(c, pointer.clone())));
            }
            SchemaKind::AllOf(parts)
        };
        Ok(schema)
    }

    /// `$ref` with sibling keywords: annotations make a one-part `allOf` wrapper. Constraining
    /// siblings (`type`, `properties`, `maxLength` ...) make a two-part one in 3.1, where they
    /// apply together with the reference; in 2.0 and 3.0 a `$ref` replaces its object, so they
    /// are ignored, with a warning naming them (a sibling `type: object` beside a reference to
    /// a string schema must not make the schema unsatisfiable).
    fn build_ref_with_siblings(
        &mut self,
        loc: &Loc,
        map: &Map<String, Value>,
        reference: String,
    ) -> Result<Schema, SpecError> {
        let target = self.schema_ref(&loc.key("$ref"), &reference)?;
        let mut schema = Schema::any(self.docs.display(loc));
        self.read_annotations(loc, map, &mut schema);
        let constraining = map.keys().any(|k| {
            k != "$ref"
                && !k.starts_with("x-")
                && !INERT_SIBLINGS.contains(&k.as_str())
                && !ANNOTATION_SIBLINGS.contains(&k.as_str())
                && k != "format"
        });
        let mut parts = vec![target];
        if constraining && self.version != SpecVersion::OpenApi31 {
            let mut ignored: Vec<&str> = map
                .keys()
                .map(String::as_str)
                .filter(|k| {
                    *k != "$ref"
                        && !k.starts_with("x-")
                        && !INERT_SIBLINGS.contains(k)
                        && !ANNOTATION_SIBLINGS.contains(k)
                        && *k != "format"
                })
                .collect();
            ignored.sort_unstable();
            self.warn(
                loc,
                format!(
                    "keywords beside `$ref` ({}) are ignored before OpenAPI 3.1: the reference \
                     alone defines the schema",
                    ignored.join(", ")
                ),
            );
        } else if constraining {
            let mut rest = map.clone();
            rest.remove("$ref");
            let own = self.build(loc, &Value::Object(rest))?;
            parts.push(self.add(own));
        }
        schema.kind = SchemaKind::AllOf(parts);
        Ok(schema)
    }

    fn schema_list(&mut self, loc: &Loc, list: &Value) -> Result<Vec<SchemaId>, SpecError> {
        let Some(items) = list.as_array() else {
            self.warn(
                loc,
                format!(
                    "expected a list of schemas, found {}; ignored",
                    describe(list)
                ),
            );
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(self.schema_at(&loc.index(i), item)?);
        }
        Ok(out)
    }

    fn read_annotations(&mut self, loc: &Loc, map: &Map<String, Value>, s: &mut Schema) {
        let flag = |k: &str| map.get(k).and_then(Value::as_bool).unwrap_or(false);
        s.nullable = flag("nullable") || flag("x-nullable");
        s.read_only = flag("readOnly");
        s.write_only = flag("writeOnly");
        s.deprecated = flag("deprecated");
        s.format = map
            .get("format")
            .and_then(Value::as_str)
            .map(str::to_string);
        s.title = map.get("title").and_then(Value::as_str).map(str::to_string);
        s.default = map.get("default").cloned();
        s.const_value = map.get("const").cloned();
        match map.get("enum") {
            None => {}
            Some(Value::Array(values)) => s.enum_values = Some(values.clone()),
            Some(other) => self.warn(
                &loc.key("enum"),
                format!("`enum` must be a list, found {}; ignored", describe(other)),
            ),
        }
        if let Some(e) = map.get("example") {
            s.examples.push(e.clone());
        }
        if let Some(Value::Array(list)) = map.get("examples") {
            s.examples.extend(list.iter().cloned());
        }
    }

    /// The structural kind from `type` (or, without it, from the keywords present), and
    /// whether `null` was listed in a type array.
    fn own_kind(
        &mut self,
        loc: &Loc,
        map: &Map<String, Value>,
        schema: &mut Schema,
    ) -> Result<(SchemaKind, bool), SpecError> {
        let mut types: Vec<String> = Vec::new();
        match map.get("type") {
            None => {}
            Some(Value::String(t)) => types.push(t.clone()),
            Some(Value::Array(list)) => {
                for t in list {
                    match t.as_str() {
                        Some(t) => types.push(t.to_string()),
                        None => self.warn(
                            &loc.key("type"),
                            format!(
                                "a type name must be a string, found {}; ignored",
                                describe(t)
                            ),
                        ),
                    }
                }
            }
            Some(other) => self.warn(
                &loc.key("type"),
                format!(
                    "`type` must be a string or a list, found {}; ignored",
                    describe(other)
                ),
            ),
        }
        let nullable = types.iter().any(|t| t == "null");
        let mut non_null: Vec<String> = types.iter().filter(|t| *t != "null").cloned().collect();
        non_null.dedup();
        if non_null.is_empty() {
            if nullable {
                return Ok((SchemaKind::Null, false));
            }
            let inferred = infer_type(map);
            return match inferred {
                Some(t) => Ok((self.kind_for(loc, map, t, schema)?, false)),
                None => Ok((SchemaKind::Any, false)),
            };
        }
        if non_null.len() == 1 {
            return Ok((self.kind_for(loc, map, &non_null[0], schema)?, nullable));
        }
        let mut kinds = Vec::new();
        for t in &non_null {
            let k = self.kind_for(loc, map, t, schema)?;
            if matches!(k, SchemaKind::Any) {
                return Ok((SchemaKind::Any, nullable));
            }
            kinds.push(k);
        }
        Ok((SchemaKind::Union(kinds), nullable))
    }

    fn kind_for(
        &mut self,
        loc: &Loc,
        map: &Map<String, Value>,
        t: &str,
        schema: &mut Schema,
    ) -> Result<SchemaKind, SpecError> {
        Ok(match t {
            "integer" => SchemaKind::Integer(self.number_bounds(loc, map)),
            "number" => SchemaKind::Number(self.number_bounds(loc, map)),
            "boolean" => SchemaKind::Boolean,
            "null" => SchemaKind::Null,
            "string" => SchemaKind::String(string_bounds(map)),
            "file" => {
                // Swagger 2.0 `type: file`: an uploaded file.
                if schema.format.is_none() {
                    schema.format = Some("binary".into());
                }
                SchemaKind::String(StringBounds::default())
            }
            "array" => SchemaKind::Array(self.array(loc, map)?),
            "object" => SchemaKind::Object(self.object(loc, map)?),
            other => {
                self.warn(
                    &loc.key("type"),
                    format!("unknown type `{other}`; treated as any value"),
                );
                SchemaKind::Any
            }
        })
    }

    fn number_bounds(&mut self, loc: &Loc, map: &Map<String, Value>) -> NumberBounds {
        let mut b = NumberBounds {
            minimum: number(map.get("minimum")),
            maximum: number(map.get("maximum")),
            ..Default::default()
        };
        match map.get("exclusiveMinimum") {
            Some(Value::Bool(true)) if b.minimum.is_some() => b.exclusive_minimum = true,
            Some(v @ (Value::Number(_) | Value::String(_))) => {
                if let Some(x) = number(Some(v))
                    && b.minimum.is_none_or(|m| x >= m)
                {
                    b.minimum = Some(x);
                    b.exclusive_minimum = true;
                }
            }
            _ => {}
        }
        match map.get("exclusiveMaximum") {
            Some(Value::Bool(true)) if b.maximum.is_some() => b.exclusive_maximum = true,
            Some(v @ (Value::Number(_) | Value::String(_))) => {
                if let Some(x) = number(Some(v))
                    && b.maximum.is_none_or(|m| x <= m)
                {
                    b.maximum = Some(x);
                    b.exclusive_maximum = true;
                }
            }
            _ => {}
        }
        if let Some(m) = number(map.get("multipleOf")) {
            if m > 0.0 && m.is_finite() {
                b.multiple_of = Some(m);
            } else {
                self.warn(
                    &loc.key("multipleOf"),
                    format!("`multipleOf` must be greater than 0, found {m}; ignored"),
                );
            }
        }
        b
    }

    fn array(&mut self, loc: &Loc, map: &Map<String, Value>) -> Result<ArraySchema, SpecError> {
        let mut prefix_items = Vec::new();
        let items = match map.get("items") {
            None => self.add(Schema::any(self.docs.display(&loc.key("items")))),
            Some(Value::Array(list)) => {
                // Draft 4 tuple form.
                prefix_items = self.schema_list(&loc.key("items"), &Value::Array(list.clone()))?;
                self.add(Schema::any(self.docs.display(&loc.key("items"))))
            }
            Some(v) => self.schema_at(&loc.key("items"), v)?,
        };
        if let Some(list) = map.get("prefixItems") {
            prefix_items = self.schema_list(&loc.key("prefixItems"), list)?;
        }
        Ok(ArraySchema {
            items,
            prefix_items,
            min_items: count(map.get("minItems")),
            max_items: count(map.get("maxItems")),
            unique_items: map
                .get("uniqueItems")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    fn object(&mut self, loc: &Loc, map: &Map<String, Value>) -> Result<ObjectSchema, SpecError> {
        let mut properties = IndexMap::new();
        match map.get("properties") {
            None => {}
            Some(Value::Object(props)) => {
                let ploc = loc.key("properties");
                for (name, p) in props {
                    let id = self.schema_at(&ploc.key(name), p)?;
                    properties.insert(name.clone(), id);
                }
            }
            Some(other) => self.warn(
                &loc.key("properties"),
                format!(
                    "`properties` must be a mapping, found {}; ignored",
                    describe(other)
                ),
            ),
        }
        let required = match map.get("required") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let additional = match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => Additional::Any,
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(v @ Value::Object(m)) if !m.is_empty() => {
                Additional::Schema(self.schema_at(&loc.key("additionalProperties"), v)?)
            }
            Some(_) => Additional::Any,
        };
        Ok(ObjectSchema {
            properties,
            required,
            additional,
            min_properties: count(map.get("minProperties")),
            max_properties: count(map.get("maxProperties")),
        })
    }

    fn discriminator(
        &mut self,
        loc: &Loc,
        map: &Map<String, Value>,
    ) -> Result<Option<Discriminator>, SpecError> {
        let Some(d) = map.get("discriminator") else {
            return Ok(None);
        };
        let (property_name, mapping) = match d {
            // Swagger 2.0: the property name only.
            Value::String(p) => (p.clone(), None),
            Value::Object(o) => match o.get("propertyName").and_then(Value::as_str) {
                Some(p) => (p.to_string(), o.get("mapping").and_then(Value::as_object)),
                None => {
                    self.warn(
                        &loc.key("discriminator"),
                        "`discriminator` has no `propertyName`; ignored",
                    );
                    return Ok(None);
                }
            },
            other => {
                self.warn(
                    &loc.key("discriminator"),
                    format!(
                        "`discriminator` must be a mapping, found {}; ignored",
                        describe(other)
                    ),
                );
                return Ok(None);
            }
        };
        let mut resolved = IndexMap::new();
        if let Some(mapping) = mapping {
            let mloc = loc.key("discriminator").key("mapping");
            for (value, target) in mapping {
                let Some(target) = target.as_str() else {
                    continue;
                };
                let reference =
                    if target.contains('#') || target.contains('/') || target.contains('.') {
                        target.to_string()
                    } else if self.version == SpecVersion::Swagger2 {
                        format!("#/definitions/{target}")
                    } else {
                        format!("#/components/schemas/{target}")
                    };
                let id = self.schema_ref(&mloc.key(value), &reference)?;
                resolved.insert(value.clone(), id);
            }
        }
        Ok(Some(Discriminator {
            property_name,
            mapping: resolved,
        }))
    }
}

/// A kind that adds nothing next to a composition (`{}` or a bare `type: object`).
fn is_trivial(kind: &SchemaKind) -> bool {
    match kind {
        SchemaKind::Any => true,
        SchemaKind::Object(o) => {
            o.properties.is_empty()
                && o.required.is_empty()
                && o.additional == Additional::Any
                && o.min_properties.is_none()
                && o.max_properties.is_none()
        }
        _ => false,
    }
}

/// The type implied by the keywords of a schema without `type`.
fn infer_type(map: &Map<String, Value>) -> Option<&'static str> {
    let has = |keys: &[&str]| keys.iter().any(|k| map.contains_key(*k));
    if has(&[
        "properties",
        "additionalProperties",
        "minProperties",
        "maxProperties",
    ]) || map.get("required").is_some_and(Value::is_array)
    {
        Some("object")
    } else if has(&[
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "uniqueItems",
    ]) {
        Some("array")
    } else if has(&["minLength", "maxLength", "pattern"]) {
        Some("string")
    } else if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        Some("number")
    } else {
        None
    }
}

fn string_bounds(map: &Map<String, Value>) -> StringBounds {
    StringBounds {
        min_length: count(map.get("minLength")),
        max_length: count(map.get("maxLength")),
        pattern: map
            .get("pattern")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// A finite number, also from a numeric string (`"10"`, seen in real specs).
fn number(v: Option<&Value>) -> Option<f64> {
    let x = match v? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// A non-negative integer count.
fn count(v: Option<&Value>) -> Option<u64> {
    let x = number(v)?;
    (x >= 0.0 && x.fract() == 0.0 && x < 1.8e19).then_some(x as u64)
}

/// The component name of a pointer like `/components/schemas/User` or `/definitions/User`.
fn component_name(ptr: &str) -> Option<String> {
    let tokens: Vec<&str> = ptr.split('/').skip(1).collect();
    let name = match tokens.as_slice() {
        ["components", "schemas", name] | ["definitions", name] | ["$defs", name] => *name,
        _ => return None,
    };
    Some(crate::pointer::unescape(name).into_owned())
}

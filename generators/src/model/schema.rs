//! The resolved schema IR: an arena of [`Schema`]s addressed by [`SchemaId`], with no `$ref`
//! left. Recursive schemas point back to their own id, so nothing is ever expanded forever.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ids::SchemaId;

/// The arena of every schema of one API model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schemas {
    items: Vec<Schema>,
}

impl Schemas {
    /// An empty arena.
    pub fn new() -> Self {
        Self::default()
    }

    /// The schema with this id.
    ///
    /// # Panics
    /// If the id does not come from this arena (ids are only created by [`Schemas::push`] and
    /// [`Schemas::reserve`], so an id from the same model is always valid). Use
    /// [`Schemas::try_get`] for ids of unknown origin.
    pub fn get(&self, id: SchemaId) -> &Schema {
        &self.items[id.index()]
    }

    /// The schema with this id, or `None` when the id is out of range.
    pub fn try_get(&self, id: SchemaId) -> Option<&Schema> {
        self.items.get(id.index())
    }

    /// Mutable access, for the loader while it fills reserved slots.
    pub fn get_mut(&mut self, id: SchemaId) -> Option<&mut Schema> {
        self.items.get_mut(id.index())
    }

    /// Adds a schema and returns its id.
    pub fn push(&mut self, schema: Schema) -> SchemaId {
        let id = SchemaId(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
        self.items.push(schema);
        id
    }

    /// Reserves a slot (filled with [`SchemaKind::Any`]) whose content is set later; this is how
    /// recursive schemas get an id before their body is converted.
    pub fn reserve(&mut self, pointer: impl Into<String>) -> SchemaId {
        self.push(Schema::any(pointer))
    }

    /// Number of schemas in the arena.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the arena is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every schema with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (SchemaId, &Schema)> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, s)| (SchemaId(i as u32), s))
    }

    /// The id of the component schema with this name (`#/components/schemas/<name>` or
    /// `#/definitions/<name>`), if any.
    pub fn by_name(&self, name: &str) -> Option<SchemaId> {
        self.iter()
            .find(|(_, s)| s.name.as_deref() == Some(name))
            .map(|(id, _)| id)
    }

    /// The schema behind `id` after following [`SchemaKind::AllOf`] chains of one element and
    /// returning the first object-like view. Convenience for inference code.
    pub fn object_properties(&self, id: SchemaId) -> Option<&IndexMap<String, SchemaId>> {
        let mut current = id;
        for _ in 0..16 {
            match &self.try_get(current)?.kind {
                SchemaKind::Object(o) => return Some(&o.properties),
                SchemaKind::AllOf(parts) if parts.len() == 1 => current = parts[0],
                _ => return None,
            }
        }
        None
    }
}

/// One resolved schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// What values the schema admits, structurally.
    pub kind: SchemaKind,
    /// Whether `null` is admitted besides `kind` (3.0 `nullable`, `x-nullable`, 3.1 `"null"`
    /// in a type array).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// `readOnly`: sent by the server only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// `writeOnly`: sent by the client only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub write_only: bool,
    /// `deprecated`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    /// `format` (`uuid`, `date-time`, `int64`, `binary`, ...), kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `enum`: the only admitted values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
    /// `const` (3.1): the only admitted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub const_value: Option<Value>,
    /// `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// `example` and `examples`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Value>,
    /// `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The component name when this is a named schema (`User` for
    /// `#/components/schemas/User`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the schema was defined, as `file#/json/pointer` for other files or `#/json/pointer`
    /// in the root document; for messages.
    pub pointer: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Schema {
    /// A schema admitting anything (`{}`), defined at `pointer`.
    pub fn any(pointer: impl Into<String>) -> Self {
        Self::of(SchemaKind::Any, pointer)
    }

    /// A schema of this kind with no annotations.
    pub fn of(kind: SchemaKind, pointer: impl Into<String>) -> Self {
        Self {
            kind,
            nullable: false,
            read_only: false,
            write_only: false,
            deprecated: false,
            format: None,
            enum_values: None,
            const_value: None,
            default: None,
            examples: Vec::new(),
            title: None,
            name: None,
            pointer: pointer.into(),
        }
    }
}

/// The structural part of a schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SchemaKind {
    /// Any JSON value (`{}` or a schema without `type`).
    Any,
    /// Only `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A JSON integer.
    Integer(NumberBounds),
    /// Any JSON number.
    Number(NumberBounds),
    /// A string.
    String(StringBounds),
    /// An array.
    Array(ArraySchema),
    /// An object.
    Object(ObjectSchema),
    /// Exactly one of the variants (`oneOf`).
    OneOf(Composition),
    /// At least one of the variants (`anyOf`).
    AnyOf(Composition),
    /// All of the parts; only kept when the parts could not be merged into one schema.
    AllOf(Vec<SchemaId>),
    /// Anything the inner schema rejects (`not`).
    Not(SchemaId),
    /// One of several structural kinds (3.1 `type: [string, integer]`). `null` is never a
    /// member: it sets [`Schema::nullable`] instead.
    Union(Vec<SchemaKind>),
    /// Nothing validates (the `false` schema, or an `allOf` with contradictory types).
    Never,
}

/// Bounds of an integer or number schema. 3.0's boolean `exclusiveMinimum` and 3.1's numeric
/// `exclusiveMinimum` both end here as a bound plus a flag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NumberBounds {
    /// Lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    /// Upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<f64>,
    /// Whether `minimum` itself is excluded.
    #[serde(default, skip_serializing_if = "is_false")]
    pub exclusive_minimum: bool,
    /// Whether `maximum` itself is excluded.
    #[serde(default, skip_serializing_if = "is_false")]
    pub exclusive_maximum: bool,
    /// `multipleOf` (strictly positive when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple_of: Option<f64>,
}

/// Constraints of a string schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StringBounds {
    /// `minLength`, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// `maxLength`, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// `pattern`, verbatim (ECMA-262 dialect; it may not compile with the `regex` crate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// Constraints of an array schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArraySchema {
    /// The schema of every item (`items`); [`SchemaKind::Any`] when absent.
    pub items: SchemaId,
    /// Schemas of the leading items (2020-12 `prefixItems`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix_items: Vec<SchemaId>,
    /// `minItems`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// `maxItems`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// `uniqueItems`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique_items: bool,
}

/// Constraints of an object schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectSchema {
    /// Declared properties, in spec order.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub properties: IndexMap<String, SchemaId>,
    /// Names of required properties, in spec order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    /// What other properties may appear.
    #[serde(default)]
    pub additional: Additional,
    /// `minProperties`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_properties: Option<u64>,
    /// `maxProperties`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_properties: Option<u64>,
}

impl ObjectSchema {
    /// Whether `name` is required.
    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }
}

/// `additionalProperties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "schema", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Additional {
    /// Absent or `true`: anything.
    #[default]
    Any,
    /// `false`: no other property.
    Forbidden,
    /// Other properties must match this schema.
    Schema(SchemaId),
}

/// The variants of a `oneOf` / `anyOf`, with their discriminator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Composition {
    /// The alternatives, in spec order.
    pub variants: Vec<SchemaId>,
    /// The OpenAPI discriminator, if declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discriminator: Option<Discriminator>,
}

/// An OpenAPI discriminator: the property that names the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discriminator {
    /// `propertyName`.
    pub property_name: String,
    /// `mapping`, resolved to schema ids (values that could not be resolved are dropped with a
    /// warning).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub mapping: IndexMap<String, SchemaId>,
}

impl SchemaKind {
    /// The JSON Schema `type` name of a single structural kind (`None` for compositions and
    /// `Any`).
    pub fn type_name(&self) -> Option<&'static str> {
        Some(match self {
            SchemaKind::Null => "null",
            SchemaKind::Boolean => "boolean",
            SchemaKind::Integer(_) => "integer",
            SchemaKind::Number(_) => "number",
            SchemaKind::String(_) => "string",
            SchemaKind::Array(_) => "array",
            SchemaKind::Object(_) => "object",
            _ => return None,
        })
    }

    /// Every schema id this kind refers to directly.
    pub fn children(&self) -> Vec<SchemaId> {
        let mut out = Vec::new();
        self.push_children(&mut out);
        out
    }

    fn push_children(&self, out: &mut Vec<SchemaId>) {
        match self {
            SchemaKind::Array(a) => {
                out.extend(a.prefix_items.iter().copied());
                out.push(a.items);
            }
            SchemaKind::Object(o) => {
                out.extend(o.properties.values().copied());
                if let Additional::Schema(s) = o.additional {
                    out.push(s);
                }
            }
            SchemaKind::OneOf(c) | SchemaKind::AnyOf(c) => {
                out.extend(c.variants.iter().copied());
                if let Some(d) = &c.discriminator {
                    out.extend(d.mapping.values().copied());
                }
            }
            SchemaKind::AllOf(parts) => out.extend(parts.iter().copied()),
            SchemaKind::Not(s) => out.push(*s),
            SchemaKind::Union(kinds) => {
                for k in kinds {
                    k.push_children(out);
                }
            }
            SchemaKind::Any
            | SchemaKind::Null
            | SchemaKind::Boolean
            | SchemaKind::Integer(_)
            | SchemaKind::Number(_)
            | SchemaKind::String(_)
            | SchemaKind::Never => {}
        }
    }
}

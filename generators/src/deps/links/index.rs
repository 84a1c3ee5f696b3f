//! The lookups of link inference, built once per model: operations by id, by the schemas
//! they return and the fields they answer with, path parameters by the collection before
//! them, consumer fields by name, resources by schema and kind, named schemas by name.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::super::keys::list_element;
use super::super::resources::{Segment, segments, singular};
use super::{Production, productions};
use crate::model::{
    ApiModel, Operation, OperationId, ParameterLocation, Resource, SchemaId, SchemaKind, Schemas,
    StatusKey, json_schema_of,
};

/// What [`same_schema`] compares: the component name of a named schema, else the id. Two
/// schemas are the same exactly when their keys are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum SchemaKey<'m> {
    Name(&'m str),
    Id(SchemaId),
}

pub(super) fn schema_key(schemas: &Schemas, id: SchemaId) -> SchemaKey<'_> {
    match schemas.try_get(id).and_then(|s| s.name.as_deref()) {
        Some(name) => SchemaKey::Name(name),
        None => SchemaKey::Id(id),
    }
}

/// One id-like field a consumer may take (rule 3's targets, in the consumer's order: its query
/// parameters, then its writable JSON request body fields).
pub(super) struct FieldTarget<'m> {
    pub(super) op: usize,
    pub(super) position: usize,
    pub(super) query: bool,
    pub(super) name: &'m str,
}

/// A candidate producer of rule 4 for one parameter name and type class, with what does not
/// depend on the consumer already checked.
pub(super) struct NameProducer {
    pub(super) op: usize,
    pub(super) status: StatusKey,
    pub(super) pointer: String,
    /// Strong evidence: a record with no id of its own that names the id, or a parent's id.
    pub(super) strong: bool,
}

/// A producer of rule 5 for one parameter or field name.
pub(super) struct SchemaProducer {
    pub(super) op: usize,
    pub(super) status: StatusKey,
    pub(super) pointer: String,
}

/// The type class of a value for rule 4: values of one schema can be used for another when the
/// classes are equal (both strings, both numbers) or either is open (`None`).
pub(super) fn type_class(schemas: &Schemas, id: SchemaId) -> Option<&'static str> {
    match schemas.try_get(id).map(|s| &s.kind) {
        Some(SchemaKind::String(_)) => Some("string"),
        Some(SchemaKind::Integer(_) | SchemaKind::Number(_)) => Some("number"),
        Some(SchemaKind::Any) | None => None,
        Some(_) => Some("other"),
    }
}

/// The lookups of link inference, built once per model.
pub(super) struct Index<'m> {
    pub(super) model: &'m ApiModel,
    /// Operation positions by id.
    pub(super) positions: HashMap<&'m OperationId, usize>,
    /// Operations (positions, in order) with a 2xx JSON answer that is, or lists, a schema.
    pub(super) returning: HashMap<SchemaKey<'m>, Vec<usize>>,
    /// Operations (positions, in order) whose first 2xx JSON answer has a field, or lists
    /// objects with it.
    pub(super) answering_field: HashMap<&'m str, Vec<usize>>,
    /// `(kind of the collection, parameter)` -> (operation, segment) of every path parameter
    /// that follows a collection, in order.
    pub(super) collection_params: HashMap<(String, &'m str), Vec<(usize, usize)>>,
    /// Query parameters and writable request body fields by lowercase name.
    pub(super) field_targets: HashMap<String, Vec<FieldTarget<'m>>>,
    /// The productions of each resource of the model, in order.
    pub(super) productions: Vec<Vec<Production>>,
    /// Resources by the key of their schema.
    pub(super) resources_by_schema: HashMap<SchemaKey<'m>, Vec<&'m Resource>>,
    /// Resources by kind (the first of each kind).
    pub(super) resources_by_kind: HashMap<&'m str, &'m Resource>,
    /// Named schemas by lowercase name, in arena order.
    pub(super) schemas_by_name: HashMap<String, Vec<SchemaId>>,
    /// Rule 4's candidates per parameter name and type class.
    pub(super) name_producers: RefCell<HashMap<NameKey, Rc<Vec<NameProducer>>>>,
    /// Rule 5's producers (with the component's id field) per parameter or field name.
    pub(super) schema_producers: RefCell<HashMap<String, SchemaProducers>>,
}

/// A path parameter's name and type class (rule 4's candidates depend on nothing else).
pub(super) type NameKey = (String, Option<&'static str>);

/// Rule 5's producers of one name, with the id field of the component they return.
pub(super) type SchemaProducers = Rc<(String, Vec<SchemaProducer>)>;

impl<'m> Index<'m> {
    pub(super) fn new(model: &'m ApiModel) -> Self {
        let schemas = &model.schemas;
        let mut index = Index {
            model,
            positions: HashMap::new(),
            returning: HashMap::new(),
            answering_field: HashMap::new(),
            collection_params: HashMap::new(),
            field_targets: HashMap::new(),
            productions: Vec::new(),
            resources_by_schema: HashMap::new(),
            resources_by_kind: HashMap::new(),
            schemas_by_name: HashMap::new(),
            name_producers: Default::default(),
            schema_producers: Default::default(),
        };
        for (i, op) in model.operations.iter().enumerate() {
            index.positions.entry(&op.id).or_insert(i);
            index.index_answers(i, op);
            let segs = segments(&op.path);
            for j in 1..segs.len() {
                let Segment::Param(p) = segs[j] else {
                    continue;
                };
                let coll = segs[..j].iter().rev().find_map(|s| match s {
                    Segment::Literal(l) => Some(*l),
                    Segment::Param(_) => None,
                });
                if let Some(coll) = coll {
                    index
                        .collection_params
                        .entry((singular(coll), p))
                        .or_default()
                        .push((i, j));
                }
            }
            index.index_field_targets(i, op);
        }
        for r in &model.resources {
            index.resources_by_kind.entry(r.kind.as_str()).or_insert(r);
            if let Some(s) = r.schema {
                index
                    .resources_by_schema
                    .entry(schema_key(schemas, s))
                    .or_default()
                    .push(r);
            }
        }
        for (id, s) in schemas.iter() {
            if let Some(name) = &s.name {
                index
                    .schemas_by_name
                    .entry(name.to_ascii_lowercase())
                    .or_default()
                    .push(id);
            }
        }
        index.productions = model
            .resources
            .iter()
            .map(|r| productions(&index, r))
            .collect();
        index
    }

    /// Indexes the answers of operation `i`: the schemas it returns (and lists), the fields of
    /// its first JSON answer.
    fn index_answers(&mut self, i: usize, op: &'m Operation) {
        let schemas = &self.model.schemas;
        for (_, response) in op.success_responses() {
            let Some(s) = response.json_schema() else {
                continue;
            };
            let mut keys = vec![schema_key(schemas, s)];
            if let Some((element, _)) = list_element(schemas, s) {
                keys.push(schema_key(schemas, element));
            }
            for key in keys {
                let ops = self.returning.entry(key).or_default();
                if ops.last() != Some(&i) {
                    ops.push(i);
                }
            }
        }
        let Some(first) = op.success_responses().find_map(|(_, r)| r.json_schema()) else {
            return;
        };
        let direct = schemas.object_properties(first).into_iter();
        let listed = list_element(schemas, first)
            .and_then(|(element, _)| schemas.object_properties(element))
            .into_iter();
        for props in direct.chain(listed) {
            for name in props.keys() {
                let ops = self.answering_field.entry(name.as_str()).or_default();
                if ops.last() != Some(&i) {
                    ops.push(i);
                }
            }
        }
    }

    /// Indexes the query parameters and writable JSON request body fields of operation `i`.
    fn index_field_targets(&mut self, i: usize, op: &'m Operation) {
        let schemas = &self.model.schemas;
        let mut position = 0;
        let mut add = |name: &'m str, query: bool| {
            self.field_targets
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(FieldTarget {
                    op: i,
                    position,
                    query,
                    name,
                });
            position += 1;
        };
        for p in &op.parameters {
            if p.location == ParameterLocation::Query {
                add(p.name.as_str(), true);
            }
        }
        if let Some(body) = op
            .request_body
            .as_ref()
            .and_then(|b| json_schema_of(&b.content))
            && let Some(props) = schemas.object_properties(body)
        {
            for (name, &prop) in props {
                let read_only = schemas.try_get(prop).is_some_and(|s| s.read_only);
                if !read_only {
                    add(name.as_str(), false);
                }
            }
        }
    }

    pub(super) fn op(&self, position: usize) -> &'m Operation {
        &self.model.operations[position]
    }

    /// The positions of `ids` that are operations of the model.
    pub(super) fn positions_of<'a>(
        &'a self,
        ids: &'a [OperationId],
    ) -> impl Iterator<Item = usize> + 'a {
        ids.iter().filter_map(|id| self.positions.get(id).copied())
    }
}

//! Echoes: the response fields of earlier operations that can supply an argument (a query
//! parameter that names no object, a top-level body field that is not a link).
//!
//! Every operation's scalar response fields are indexed once by name (and the `id` and free-text
//! ones apart), so finding the sources of one argument reads only the fields that can match it,
//! not every field of every operation; and the list of sources depends only on the argument's
//! name and shape, so arguments alike (`status` in every update body, `q` in every search) share
//! one list. On a spec with thousands of operations, both were quadratic in time and memory.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Echo, OpInfo, Shape, shape};
use crate::model::{ApiModel, ParameterLocation};

/// The sources of one argument, shared by every argument with the same name and shape.
pub(crate) type Echoes = Arc<Vec<Echo>>;

/// The name an id argument is named after (`user` for `userId` or `user_id`).
pub(super) fn id_subject(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .strip_suffix("_id")
        .or_else(|| lower.strip_suffix("id"))?;
    (!stem.is_empty()).then(|| stem.to_string())
}

/// A response field: its operation and its place among that operation's outputs.
type Field = (usize, usize);

/// The scalar response fields of every operation, by what an argument can match them on.
struct Index {
    /// By lower-case name.
    by_name: HashMap<String, Vec<Field>>,
    /// Fields named `id`.
    ids: Vec<Field>,
    /// Free-text fields.
    free: Vec<Field>,
    /// The lists already computed, by argument (lower-case name, shape, free text).
    lists: HashMap<String, Echoes>,
}

impl Index {
    fn new(ops: &[OpInfo]) -> Self {
        let mut index = Index {
            by_name: HashMap::new(),
            ids: Vec::new(),
            free: Vec::new(),
            lists: HashMap::new(),
        };
        for (producer, op) in ops.iter().enumerate() {
            for (at, (field, shape)) in op.outputs.iter().enumerate() {
                index
                    .by_name
                    .entry(field.to_ascii_lowercase())
                    .or_default()
                    .push((producer, at));
                if field == "id" {
                    index.ids.push((producer, at));
                }
                if shape.free {
                    index.free.push((producer, at));
                }
            }
        }
        index
    }

    /// The response fields of every operation that can supply an argument `name` of shape
    /// `arg`, in the order of the operations and their fields; free-text fields count only
    /// with `free_text`.
    fn echoes_for(&mut self, ops: &[OpInfo], name: &str, arg: &Shape, free_text: bool) -> Echoes {
        let key = format!("{}\u{0}{free_text}\u{0}{arg:?}", name.to_ascii_lowercase());
        if let Some(list) = self.lists.get(&key) {
            return Arc::clone(list);
        }
        let subject = id_subject(name);
        // The fields that can match at all; each is then tested as every field once was.
        let mut candidates: Vec<Field> = Vec::new();
        if !arg.free
            && let Some(named) = self.by_name.get(&name.to_ascii_lowercase())
        {
            candidates.extend(named);
        }
        if subject.is_some() {
            candidates.extend(&self.ids);
        }
        if free_text && arg.free {
            candidates.extend(&self.free);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut out = Vec::new();
        for (producer, at) in candidates {
            let op = &ops[producer];
            let (field, shape) = &op.outputs[at];
            // Same name: identifiers and enums (`status`, `userId`), not prose, which only
            // free-text search parameters take.
            let same_name = field.eq_ignore_ascii_case(name) && !arg.free && arg.accepts(shape);
            let id_of_subject = field == "id"
                && subject.as_ref().is_some_and(|subject| {
                    op.output_name
                        .as_ref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(subject))
                })
                && arg.accepts(shape);
            let text = free_text && arg.free && shape.free;
            if same_name || id_of_subject || text {
                out.push(Echo {
                    producer,
                    pointer: crate::pointer::join([field]),
                });
            }
        }
        let list = Arc::new(out);
        self.lists.insert(key, Arc::clone(&list));
        list
    }
}

/// Values earlier responses can supply: query parameters that name no object, and top-level
/// body fields that are not links.
pub(super) fn find_echoes(model: &ApiModel, ops: &mut [OpInfo]) {
    let mut index = Index::new(ops);
    for i in 0..ops.len() {
        let op = &model.operations[i];
        let mut params = std::mem::take(&mut ops[i].params);
        for p in &mut params {
            if p.kind.is_some() || p.location != ParameterLocation::Query {
                continue;
            }
            let Some(arg) = op
                .parameter(p.location, &p.name)
                .and_then(|q| shape(model, q.schema))
            else {
                continue;
            };
            p.echoes = index.echoes_for(ops, &p.name, &arg, true);
        }
        ops[i].params = params;
        let body_echoes = body_echoes(model, ops, i, &mut index);
        if let Some(body) = &mut ops[i].body {
            body.echoes = body_echoes;
        }
    }
}

/// The top-level fields of the JSON body of operation `i` that earlier responses can supply,
/// with their sources; links and read-only fields excluded.
fn body_echoes(
    model: &ApiModel,
    ops: &[OpInfo],
    i: usize,
    index: &mut Index,
) -> Vec<(String, Echoes)> {
    let mut body_echoes = Vec::new();
    let Some(schema) = model.operations[i].json_request_schema() else {
        return body_echoes;
    };
    let Some(props) = model.schemas.object_properties(schema) else {
        return body_echoes;
    };
    for (name, prop) in props {
        let at = crate::pointer::join([name]);
        let linked = ops[i]
            .body
            .as_ref()
            .is_some_and(|b| b.links.iter().any(|(p, _)| *p == at));
        let Some(arg) = shape(model, *prop) else {
            continue;
        };
        // Read-only fields are not sent (the mass-assignment pattern sends them, as a user, on
        // purpose): an admin echoing its own `role: admin` into a user's update would promote
        // that user.
        let read_only = model.schemas.try_get(*prop).is_some_and(|s| s.read_only);
        if linked || read_only {
            continue;
        }
        let echoes = index.echoes_for(ops, name, &arg, false);
        if !echoes.is_empty() {
            body_echoes.push((at, echoes));
        }
    }
    body_echoes
}

/// Echo lists narrowed to the operations that are not excluded, each shared list narrowed once.
pub(super) struct Narrowed<'a> {
    off: &'a [bool],
    /// By the address of the list narrowed: that list (held, so that the address stays its
    /// own) and its narrowed copy.
    done: HashMap<*const Vec<Echo>, (Echoes, Echoes)>,
}

impl<'a> Narrowed<'a> {
    pub(super) fn new(off: &'a [bool]) -> Self {
        Self {
            off,
            done: HashMap::new(),
        }
    }

    /// `echoes` without the excluded producers.
    pub(super) fn of(&mut self, echoes: &Echoes) -> Echoes {
        if !echoes.iter().any(|e| self.off[e.producer]) {
            return Arc::clone(echoes);
        }
        let off = self.off;
        let (_, narrowed) = self.done.entry(Arc::as_ptr(echoes)).or_insert_with(|| {
            let kept = echoes
                .iter()
                .filter(|e| !off[e.producer])
                .cloned()
                .collect();
            (Arc::clone(echoes), Arc::new(kept))
        });
        Arc::clone(narrowed)
    }
}

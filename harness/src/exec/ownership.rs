//! Who owns which object, learned from the trace as it runs.
//!
//! - An object returned by a create belongs to its creator.
//! - An object that appears in exactly one user's lists (and was created by nobody in the run,
//!   such as seeded data) is attributed to that user; once two users' lists show it, it is
//!   shared and has no owner.
//! - Each identity owns its own account record, found through a `/me`-like operation.
//! - An object whose answer (a read, an update, or an element of a list, whoever sent it:
//!   objects seeded by the service are found this way) carries the kind's owner field
//!   ([`Resource::owner`]: `author: "alice"`, `createdBy: "alice@forum.test"`, `ownerId: 7`)
//!   belongs to the identity that field names ([`Claim::OwnerField`]): a username or email is
//!   matched against what [`Known`] holds of each identity (its login body, its basic-auth
//!   username, its own `/me`-like read), an id against the account ids learned from `/me`-like
//!   reads. The owner field outranks an attribution from lists; a create or an account record
//!   outranks it.
//! - An owner field naming none of the identities makes the object *foreign*: it belongs to an
//!   account of the service trespass does not act as. Foreign objects have no owner (no oracle
//!   judges them: whether such an account shares its objects, trespass cannot know) and are
//!   never attributed from lists either. A value learned later (`/me` of an identity) that
//!   matches a foreign owner turns it into that identity's object.
//! - The key of a created object is where [`Resource::key_sources`] says (the create's answer,
//!   its own request body, its `Location` header), else the id field of the answer or the
//!   `Location` header; list elements are keyed by the [`KeySource::List`] pointer of that
//!   list, else the id field.
//! - Objects of kinds the policy declares shared (a product catalogue) have no owner.
//!
//! Admins' and anonymous answers never attribute anything: they see everything or nothing.
//!
//! Sharing: when an identity's successful create or update carries another identity's account
//! id or name (adding a team member, sharing a document), the first has *granted* the second
//! access; authorization oracles then cannot decide about the second touching the first's
//! objects, and stay silent.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use trespass_generators::model::{ApiModel, CrudRole, KeySource, OperationId, OwnerRef, Resource};
use trespass_generators::sequence::{IdentityId, Role};

use super::known::{Known, Named, naming_field};
use super::trace::{TraceIndex, TraceStep};

/// One object: its resource kind and its id (as text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectKey {
    /// Resource kind (`order`).
    pub kind: String,
    /// The id, as text (`17`, a UUID).
    pub id: String,
}

/// How an owner was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Claim {
    /// The owner created it at trace step `step`.
    Created {
        /// Trace index.
        step: TraceIndex,
    },
    /// Only the owner's lists showed it (first at trace step `step`).
    Listed {
        /// Trace index.
        step: TraceIndex,
    },
    /// It is the owner's own account record (seen at trace step `step`).
    Account {
        /// Trace index.
        step: TraceIndex,
    },
    /// Its owner field (`author`, `createdBy`, `ownerId`) named the owner by `holds`, first at
    /// trace step `step`.
    OwnerField {
        /// Trace index.
        step: TraceIndex,
        /// What the field held: the owner's username, email address or account id.
        holds: OwnerRef,
    },
}

/// How a report says it: "created it in step 3" (steps counted from 1, as reports number them).
impl std::fmt::Display for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Claim::Created { step } => write!(f, "created it in step {}", step.0 + 1),
            Claim::Listed { step } => {
                write!(f, "only their lists showed it, from step {}", step.0 + 1)
            }
            Claim::Account { step } => write!(f, "their own account, seen in step {}", step.0 + 1),
            Claim::OwnerField { step, holds } => write!(
                f,
                "its owner field names their {}, seen in step {}",
                holds.as_str(),
                step.0 + 1
            ),
        }
    }
}

/// Owners and deletions of the objects of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ownership {
    owners: BTreeMap<ObjectKey, (IdentityId, Claim)>,
    creators: BTreeMap<ObjectKey, (IdentityId, TraceIndex)>,
    shared: BTreeSet<ObjectKey>,
    deleted: BTreeMap<ObjectKey, (IdentityId, TraceIndex)>,
    accounts: BTreeMap<IdentityId, BTreeSet<String>>,
    grants: BTreeSet<(IdentityId, IdentityId)>,
    /// Owners of the containers an object was created in (a document created by an admin in
    /// bob's team is bob's to read too).
    keepers: BTreeMap<ObjectKey, BTreeSet<IdentityId>>,
    shared_kinds: BTreeSet<String>,
    /// The identities and the names they go by.
    known: Known,
    /// Objects whose owner field names no identity (yet): what it held, and where it was seen.
    named: BTreeMap<ObjectKey, (OwnerRef, String, TraceIndex)>,
}

impl Ownership {
    /// Empty, with the kinds every user may read (`policy.shared_resources`).
    pub fn new(shared_kinds: impl IntoIterator<Item = String>) -> Self {
        Self {
            shared_kinds: shared_kinds.into_iter().collect(),
            ..Self::default()
        }
    }

    /// The same, knowing the identities of the run and their names (see [`Known`]).
    pub fn with_known(mut self, known: Known) -> Self {
        self.known = known;
        self
    }

    /// The identities of the run and the names they go by.
    pub fn known(&self) -> &Known {
        &self.known
    }

    /// Whether an owner field named someone who is none of the identities as the owner of
    /// `key` (see the module docs: such objects are not judged).
    pub fn is_foreign(&self, key: &ObjectKey) -> bool {
        self.named
            .get(key)
            .is_some_and(|(holds, value, _)| self.named_by(*holds, value) == Named::Foreign)
    }

    /// The owner of `key`, with how it was learned.
    pub fn owner(&self, key: &ObjectKey) -> Option<(&IdentityId, Claim)> {
        self.owners.get(key).map(|(i, c)| (i, *c))
    }

    /// Who deleted `key` with a 2xx, and at which trace step.
    pub fn deleted(&self, key: &ObjectKey) -> Option<(&IdentityId, TraceIndex)> {
        self.deleted.get(key).map(|(i, s)| (i, *s))
    }

    /// Whether `identity`'s own account was deleted with a 2xx before trace step `before`: its
    /// later requests carry credentials of an account that no longer exists, so what they
    /// reach says nothing about what that identity may do.
    pub fn account_deleted_before(&self, identity: &IdentityId, before: TraceIndex) -> bool {
        self.deleted.iter().any(|(key, (_, step))| {
            *step < before
                && matches!(
                    self.owners.get(key),
                    Some((owner, Claim::Account { .. })) if owner == identity
                )
        })
    }

    /// Every owned object.
    pub fn owned(&self) -> impl Iterator<Item = (&ObjectKey, &IdentityId, Claim)> {
        self.owners.iter().map(|(k, (i, c))| (k, i, *c))
    }

    /// Who created `key` with a 2xx, and at which trace step (for every kind, shared ones too).
    pub fn creator(&self, key: &ObjectKey) -> Option<(&IdentityId, TraceIndex)> {
        self.creators.get(key).map(|(i, s)| (i, *s))
    }

    /// Whether `owner` granted `other` access to its objects (see the module docs).
    pub fn granted(&self, owner: &IdentityId, other: &IdentityId) -> bool {
        self.grants.contains(&(owner.clone(), other.clone()))
    }

    /// Whether `identity` owns a container (a parent object in the create's path) that `key`
    /// was created in, which entitles it to the object whoever created it.
    pub fn keeps(&self, key: &ObjectKey, identity: &IdentityId) -> bool {
        self.keepers.get(key).is_some_and(|k| k.contains(identity))
    }

    /// The account ids learned for `identity`.
    pub fn account_ids(&self, identity: &IdentityId) -> impl Iterator<Item = &str> {
        self.accounts
            .get(identity)
            .into_iter()
            .flat_map(|ids| ids.iter().map(String::as_str))
    }

    /// Whether `kind` is declared shared by the policy.
    pub fn is_shared_kind(&self, kind: &str) -> bool {
        self.shared_kinds.contains(kind)
    }

    /// Learns from one answered step.
    pub fn observe(&mut self, model: &ApiModel, step: &TraceStep) {
        if !step.succeeded() {
            return;
        }
        self.observe_grants(model, step);
        let Some(body) = step.response_json() else {
            return self.observe_without_body(model, step);
        };
        if is_account_operation(step) && step.authenticated() {
            return self.observe_account(model, step, body);
        }
        let Some((resource, role)) = model.resource_of(&step.op) else {
            return;
        };
        if role == CrudRole::Create
            && step.authenticated()
            && let Some(id) = created_key(resource, step)
        {
            self.creators
                .entry(ObjectKey {
                    kind: resource.kind.clone(),
                    id,
                })
                .or_insert_with(|| (step.identity.clone(), step.index));
        }
        if role == CrudRole::Delete {
            return self.observe_delete(model, step);
        }
        if self.is_shared_kind(&resource.kind) {
            return;
        }
        match role {
            CrudRole::Create if step.authenticated() => {
                if let Some(id) = created_key(resource, step) {
                    let key = ObjectKey {
                        kind: resource.kind.clone(),
                        id,
                    };
                    self.observe_containers(model, step, key.clone());
                    self.claim(key, &step.identity, Claim::Created { step: step.index });
                }
            }
            CrudRole::Read | CrudRole::Update => {
                if let Some(key) = object_of(model, &step.op, &step.path_params) {
                    self.observe_owner_field(resource, key, body, step.index);
                }
            }
            CrudRole::List => {
                for item in list_items(body) {
                    let Some(id) = item_key(resource, &step.op, item) else {
                        continue;
                    };
                    let key = ObjectKey {
                        kind: resource.kind.clone(),
                        id,
                    };
                    if self.observe_owner_field(resource, key.clone(), item, step.index) {
                        continue;
                    }
                    if step.role == Role::User && step.authenticated() {
                        self.attribute(key, &step.identity, step.index);
                    }
                }
            }
            _ => {}
        }
    }

    /// The caller's own account record: its id, the names it shows (username, email), and the
    /// record itself as the caller's object.
    fn observe_account(&mut self, model: &ApiModel, step: &TraceStep, body: &Value) {
        let record = account_record(model, step, body);
        let id = record
            .as_ref()
            .map(|(_, id)| id.clone())
            .or_else(|| body.get("id").and_then(id_text));
        if let Some(id) = id {
            self.accounts
                .entry(step.identity.clone())
                .or_default()
                .insert(id);
        }
        if let Value::Object(fields) = body {
            for (field, value) in fields {
                if let Some((holds, text)) = naming_field(field, value) {
                    self.known.add(&step.identity, holds, &text);
                }
            }
        }
        if let Some((resource, id)) = record {
            self.claim(
                ObjectKey {
                    kind: resource.kind.clone(),
                    id,
                },
                &step.identity,
                Claim::Account { step: step.index },
            );
        }
        self.resolve_named();
    }

    /// Claims `key` for the identity the kind's owner field of `object` names; returns whether
    /// the object had an owner field (whoever it named).
    fn observe_owner_field(
        &mut self,
        resource: &Resource,
        key: ObjectKey,
        object: &Value,
        step: TraceIndex,
    ) -> bool {
        let Some(field) = &resource.owner else {
            return false;
        };
        let Some(value) = object.pointer(&field.pointer).and_then(id_text) else {
            return false;
        };
        match self.named_by(field.holds, &value) {
            Named::Identity(owner) => {
                let claim = Claim::OwnerField {
                    step,
                    holds: field.holds,
                };
                self.claim(key, &owner, claim);
            }
            Named::Foreign | Named::Unknown => {
                // An attribution from lists was a guess the owner field refutes; a create or
                // an account record is not.
                if matches!(self.owners.get(&key), Some((_, Claim::Listed { .. }))) {
                    self.owners.remove(&key);
                }
                if !self.owners.contains_key(&key) {
                    self.named.entry(key).or_insert((field.holds, value, step));
                }
            }
        }
        true
    }

    /// Who an owner field's `value` names.
    fn named_by(&self, holds: OwnerRef, value: &str) -> Named {
        if holds != OwnerRef::Id {
            return self.known.named(holds, value);
        }
        let matches: Vec<&IdentityId> = self
            .accounts
            .iter()
            .filter(|(_, ids)| ids.contains(value))
            .map(|(who, _)| who)
            .collect();
        let all_known = self.known.identities().all(|who| {
            self.known.role(who) == Some(Role::Anonymous) || self.accounts.contains_key(who)
        });
        match matches.as_slice() {
            [one] => Named::Identity((*one).clone()),
            [] if all_known && self.known.identities().next().is_some() => Named::Foreign,
            _ => Named::Unknown,
        }
    }

    /// Owner fields that named nobody known may name an identity now that more is known.
    fn resolve_named(&mut self) {
        let resolved: Vec<(ObjectKey, IdentityId, OwnerRef, TraceIndex)> = self
            .named
            .iter()
            .filter_map(
                |(key, (holds, value, step))| match self.named_by(*holds, value) {
                    Named::Identity(who) => Some((key.clone(), who, *holds, *step)),
                    _ => None,
                },
            )
            .collect();
        for (key, who, holds, step) in resolved {
            self.named.remove(&key);
            self.claim(key, &who, Claim::OwnerField { step, holds });
        }
    }

    /// A write whose body names another identity (by account id or name) grants it access.
    fn observe_grants(&mut self, model: &ApiModel, step: &TraceStep) {
        let Some(body) = &step.body else { return };
        if !step.authenticated() {
            return;
        }
        let writes = model
            .resource_of(&step.op)
            .is_none_or(|(_, role)| matches!(role, CrudRole::Create | CrudRole::Update));
        if !writes {
            return;
        }
        let mut leaves = Vec::new();
        scalar_leaves(body, &mut leaves);
        let others: Vec<IdentityId> = self
            .accounts
            .iter()
            .filter(|(who, ids)| {
                **who != step.identity
                    && leaves
                        .iter()
                        .any(|leaf| ids.contains(leaf) || *leaf == who.as_str())
            })
            .map(|(who, _)| who.clone())
            .collect();
        for other in others {
            self.grants.insert((step.identity.clone(), other));
        }
    }

    fn observe_without_body(&mut self, model: &ApiModel, step: &TraceStep) {
        match model.resource_of(&step.op) {
            Some((_, CrudRole::Delete)) => self.observe_delete(model, step),
            Some((resource, CrudRole::Create)) if step.authenticated() => {
                if let Some(id) = created_key(resource, step) {
                    let key = ObjectKey {
                        kind: resource.kind.clone(),
                        id: id.clone(),
                    };
                    self.creators
                        .entry(key)
                        .or_insert_with(|| (step.identity.clone(), step.index));
                    if self.is_shared_kind(&resource.kind) {
                        return;
                    }
                    self.claim(
                        ObjectKey {
                            kind: resource.kind.clone(),
                            id,
                        },
                        &step.identity,
                        Claim::Created { step: step.index },
                    );
                }
            }
            _ => {}
        }
    }

    fn observe_delete(&mut self, model: &ApiModel, step: &TraceStep) {
        if let Some(key) = object_of(model, &step.op, &step.path_params) {
            self.deleted
                .entry(key)
                .or_insert_with(|| (step.identity.clone(), step.index));
        }
    }

    /// Records the owners of the objects named by the path parameters of `step` (a create) as
    /// keepers of the created object `key`.
    fn observe_containers(&mut self, model: &ApiModel, step: &TraceStep, key: ObjectKey) {
        for (name, value) in &step.path_params {
            let Some(id) = id_text(value) else { continue };
            let Some(parent) = model
                .resources
                .iter()
                .find(|r| r.kind != key.kind && r.id_params.iter().any(|p| p == name))
            else {
                continue;
            };
            let parent_key = ObjectKey {
                kind: parent.kind.clone(),
                id,
            };
            let mut keepers: BTreeSet<IdentityId> =
                self.keepers.get(&parent_key).cloned().unwrap_or_default();
            if let Some((owner, _)) = self.owners.get(&parent_key) {
                keepers.insert(owner.clone());
            }
            keepers.remove(&step.identity);
            if !keepers.is_empty() {
                self.keepers.entry(key.clone()).or_default().extend(keepers);
            }
        }
    }

    fn claim(&mut self, key: ObjectKey, identity: &IdentityId, claim: Claim) {
        match self.owners.get(&key) {
            // A create or account claim is stronger than an attribution from lists.
            Some((_, Claim::Listed { .. })) | None => {
                self.shared.remove(&key);
                self.named.remove(&key);
                self.owners.insert(key, (identity.clone(), claim));
            }
            // A create or an account record outranks an owner field.
            Some((_, Claim::OwnerField { .. }))
                if matches!(claim, Claim::Created { .. } | Claim::Account { .. }) =>
            {
                self.owners.insert(key, (identity.clone(), claim));
            }
            Some(_) => {}
        }
    }

    fn attribute(&mut self, key: ObjectKey, identity: &IdentityId, step: TraceIndex) {
        if self.shared.contains(&key) || self.named.contains_key(&key) {
            return;
        }
        match self.owners.get(&key) {
            None => {
                self.owners
                    .insert(key, (identity.clone(), Claim::Listed { step }));
            }
            Some((owner, Claim::Listed { .. })) if owner != identity => {
                self.owners.remove(&key);
                self.shared.insert(key);
            }
            Some(_) => {}
        }
    }
}

fn scalar_leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| scalar_leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| scalar_leaves(v, out)),
        other => out.extend(id_text(other)),
    }
}

/// The object a read, update or delete of `op` with these path parameters targets: its kind
/// and the id in its path.
pub fn object_of(
    model: &ApiModel,
    op: &OperationId,
    path_params: &IndexMap<String, Value>,
) -> Option<ObjectKey> {
    let (resource, role) = model.resource_of(op)?;
    if !matches!(role, CrudRole::Read | CrudRole::Update | CrudRole::Delete) {
        return None;
    }
    let op = model.operation(op)?;
    let params = trespass_generators::model::path_template_params(&op.path);
    let name = params
        .iter()
        .rev()
        .find(|p| resource.id_params.iter().any(|id| id == *p))
        .or_else(|| params.last())?;
    let id = id_text(path_params.get(*name)?)?;
    Some(ObjectKey {
        kind: resource.kind.clone(),
        id,
    })
}

/// The key of the object a successful create made: where the kind's
/// [`Resource::key_sources`] say (its answer, its own request body, its `Location` header),
/// else the id field of its answer or its `Location` header.
pub fn created_key(resource: &Resource, step: &TraceStep) -> Option<String> {
    let answer = step.response_json();
    let from_source = resource.key_sources.iter().find_map(|source| match source {
        KeySource::ResponseBody { pointer } => answer?.pointer(pointer).and_then(id_text),
        KeySource::RequestBody { pointer } => {
            step.body.as_ref()?.pointer(pointer).and_then(id_text)
        }
        KeySource::Location => location_id(step),
        _ => None,
    });
    from_source
        .or_else(|| answer.and_then(|body| id_in(resource, body)))
        .or_else(|| location_id(step))
}

/// The key of one element of the answer of list operation `list`: at the pointer of the kind's
/// [`KeySource::List`] for that list, else its id field.
pub fn item_key(resource: &Resource, list: &OperationId, item: &Value) -> Option<String> {
    resource
        .key_sources
        .iter()
        .find_map(|source| match source {
            KeySource::List { operation, pointer } if operation == list => {
                item.pointer(pointer).and_then(id_text)
            }
            _ => None,
        })
        .or_else(|| id_in(resource, item))
}

/// The id of an object in a response body, by the resource's id field.
pub fn id_in(resource: &Resource, object: &Value) -> Option<String> {
    let field = resource.id_field.as_deref().unwrap_or("id");
    let value = if field.starts_with('/') {
        object.pointer(field)
    } else {
        object.get(field)
    }?;
    id_text(value)
}

/// Ids compared as text: `17` and `"17"` are the same id.
pub fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The items of a list answer: the array itself, or the first array among the top-level
/// fields (`items`, `data`, `results`, ...).
pub fn list_items(body: &Value) -> Vec<&Value> {
    match body {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => {
            for key in ["items", "data", "results", "content", "records", "entries"] {
                if let Some(Value::Array(items)) = map.get(key) {
                    return items.iter().collect();
                }
            }
            map.values()
                .find_map(|v| v.as_array())
                .map(|items| items.iter().collect())
                .unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

fn location_id(step: &TraceStep) -> Option<String> {
    location_key(step.exchange.outcome.response()?.header("location")?)
}

/// The key a `Location` header names: its path's last segment, percent-decoded (a key sent
/// again is encoded again when the path is rendered, so `a%20b` must come back as `a b`, not
/// be sent as `a%2520b`).
pub(crate) fn location_key(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next()?;
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    if last.is_empty() {
        return None;
    }
    Some(
        percent_encoding::percent_decode_str(last)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// `GET /me`, `/users/me`, `/account`, `/profile`, `/whoami`, `/self`, `/user`: the caller's
/// own record.
pub fn is_account_operation(step: &TraceStep) -> bool {
    if step.op.method() != "GET" {
        return false;
    }
    let path = step.op.path().trim_end_matches('/');
    let last = path.rsplit('/').next().unwrap_or("");
    !path.contains('{')
        && matches!(
            last,
            "me" | "account" | "profile" | "whoami" | "self" | "user"
        )
}

fn account_record<'a>(
    model: &'a ApiModel,
    step: &TraceStep,
    body: &Value,
) -> Option<(&'a Resource, String)> {
    let op = model.operation(&step.op)?;
    let schema = op
        .response_for(step.status()?)
        .and_then(|r| r.json_schema());
    let resource = model
        .resources
        .iter()
        .find(|r| r.schema.is_some() && r.schema == schema)
        .or_else(|| {
            model
                .resources
                .iter()
                .find(|r| matches!(r.kind.as_str(), "user" | "account" | "member" | "profile"))
        })?;
    let id = id_in(resource, body).or_else(|| body.get("id").and_then(id_text))?;
    Some((resource, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_location_names_its_last_segment_decoded() {
        for (location, key) in [
            ("/api/v2/notebooks/my%20notes", Some("my notes")),
            ("https://api.example/v1/books/caf%C3%A9/", Some("café")),
            ("/orders/42?expand=items#top", Some("42")),
            ("/orders/", Some("orders")),
            ("", None),
        ] {
            assert_eq!(location_key(location).as_deref(), key, "{location}");
        }
    }

    #[test]
    fn ids_compare_as_text() {
        assert_eq!(id_text(&json!(17)), Some("17".into()));
        assert_eq!(id_text(&json!("17")), Some("17".into()));
        assert_eq!(id_text(&json!("")), None);
        assert_eq!(id_text(&json!(null)), None);
    }

    #[test]
    fn list_items_are_found_in_envelopes() {
        assert_eq!(list_items(&json!([{"id": 1}])).len(), 1);
        assert_eq!(
            list_items(&json!({"items": [{"id": 1}, {"id": 2}], "total": 2})).len(),
            2
        );
        assert_eq!(list_items(&json!({"orders": [{"id": 1}]})).len(), 1);
        assert!(list_items(&json!({"id": 1})).is_empty());
    }
}

//! Objects that exist on the target before any sequence runs (seeded data), found by listing.
//!
//! A person writing a reproducer by hand does not create a team to put a document in when the
//! account already has one: they read its id off a listing and use it. The shrinker does the
//! same through [`SeededObjects`]: right after a reset, every identity runs the list operations
//! of the spec (`GET /teams`, then `GET /teams/{teamId}/documents` with the teams just found,
//! and so on), and the ids in the answers, by kind and by who saw them, become the values the
//! shrinker tries in place of references
//! ([`trespass_generators::sequence::SequenceTree::suggest`]). A value is only kept when the
//! candidate sequence still shows the violation, so a wrong guess costs one replay.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::Value;
use trespass_generators::model::{ApiModel, OperationId, ParameterLocation};
use trespass_generators::sequence::{
    Arg, Args, AuthMode, IdentityId, IdentitySpec, Role, Sequence, Step,
};

use crate::exec::{Executor, Trace};

/// Rounds of listing: each round may use the ids the previous ones found as path parameters
/// (teams, then a team's documents, then a document's comments).
const ROUNDS: usize = 3;
/// Objects of one kind per identity used to fill path parameters of the next round.
const PARENTS_PER_KIND: usize = 2;
/// Values offered for one reference.
const OFFERED: usize = 5;

/// Ids of seeded objects, by kind, each with the identities whose listings showed it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeededObjects {
    by_kind: IndexMap<String, Vec<(Value, Vec<IdentityId>)>>,
    /// The identities with the `user` role: whose listings say whose an object is.
    users: Vec<IdentityId>,
}

impl SeededObjects {
    /// Lists what every non-anonymous identity of `cast` sees through `executor`, from the
    /// target's current state (the caller resets it first). Requests that fail only leave
    /// their kinds out.
    pub async fn discover(
        model: &ApiModel,
        executor: &Executor<'_>,
        cast: &[IdentitySpec],
        excluded: &BTreeSet<OperationId>,
    ) -> Self {
        let mut seeded = Self::for_cast(cast);
        let mut done: Vec<Step> = Vec::new();
        for _ in 0..ROUNDS {
            let steps: Vec<Step> = list_steps(model, cast, &seeded)
                .into_iter()
                .filter(|s| !done.contains(s) && !excluded.contains(&s.op))
                .collect();
            if steps.is_empty() {
                break;
            }
            done.extend(steps.iter().cloned());
            let run = executor.run(&Sequence { steps }).await;
            seeded.learn(model, &run.trace);
        }
        seeded
    }

    /// Nothing found yet, for `cast`.
    fn for_cast(cast: &[IdentitySpec]) -> Self {
        Self {
            by_kind: IndexMap::new(),
            users: cast
                .iter()
                .filter(|c| c.role == Role::User)
                .map(|c| c.id.clone())
                .collect(),
        }
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }

    /// Ids found of `kind`, in the order found.
    pub fn ids(&self, kind: &str) -> impl Iterator<Item = &Value> {
        self.by_kind.get(kind).into_iter().flatten().map(|(v, _)| v)
    }

    /// Values to try for parameter (or body field) `name`, whose reference reads an answer
    /// sent by `producer`: ids of the kind the name carries. Among the users (admins see
    /// everything, so only users' listings say whose an object is), those only `producer` saw
    /// (its own objects) come first, then those every user saw (a public catalogue); an admin
    /// producer's own are those no user saw. When `strict` (a kept step of `producer` uses the
    /// value, see [`SequenceTree::suggest`]) that is all: a document the admin creates in
    /// alice's team is not the admin's. Otherwise the other objects of the kind follow.
    ///
    /// [`SequenceTree::suggest`]: trespass_generators::sequence::SequenceTree::suggest
    pub fn offer(
        &self,
        model: &ApiModel,
        name: &str,
        producer: &IdentityId,
        strict: bool,
    ) -> Vec<Value> {
        let Some(kind) = kind_of_name(model, name) else {
            return Vec::new();
        };
        let Some(found) = self.by_kind.get(&kind) else {
            return Vec::new();
        };
        let is_user = self.users.contains(producer);
        let users_seeing =
            |seen: &[IdentityId]| seen.iter().filter(|w| self.users.contains(w)).count();
        let own = |seen: &[IdentityId]| {
            seen.contains(producer) && users_seeing(seen) == usize::from(is_user)
        };
        let public =
            |seen: &[IdentityId]| self.users.len() > 1 && users_seeing(seen) == self.users.len();
        let mut out: Vec<&Value> = found
            .iter()
            .filter(|(_, seen)| own(seen))
            .chain(found.iter().filter(|(_, seen)| !own(seen) && public(seen)))
            .map(|(v, _)| v)
            .collect();
        if !strict {
            out.extend(
                found
                    .iter()
                    .filter(|(_, seen)| !own(seen) && !public(seen))
                    .map(|(v, _)| v),
            );
        }
        out.into_iter().take(OFFERED).cloned().collect()
    }

    /// Records the ids of the objects in the list answers of `trace`.
    fn learn(&mut self, model: &ApiModel, trace: &Trace) {
        for step in &trace.steps {
            if !step.succeeded() {
                continue;
            }
            let Some((resource, _)) = model.resource_of(&step.op) else {
                continue;
            };
            let (Some(field), Some(body)) = (&resource.id_field, step.response_json()) else {
                continue;
            };
            for object in listed_objects(body) {
                if let Some(id) = object.get(field)
                    && (id.is_string() || id.is_number())
                {
                    self.record(&resource.kind, id.clone(), &step.identity);
                }
            }
        }
    }

    fn record(&mut self, kind: &str, id: Value, who: &IdentityId) {
        let found = self.by_kind.entry(kind.to_string()).or_default();
        match found.iter_mut().find(|(v, _)| *v == id) {
            Some((_, seen)) if !seen.contains(who) => seen.push(who.clone()),
            Some(_) => {}
            None => found.push((id, vec![who.clone()])),
        }
    }
}

/// The objects of a list answer: the elements of a top-level array, or of the arrays directly
/// under a top-level object (`{"items": [...]}`).
fn listed_objects(body: &Value) -> Vec<&serde_json::Map<String, Value>> {
    let arrays: Vec<&Vec<Value>> = match body {
        Value::Array(items) => vec![items],
        Value::Object(map) => map.values().filter_map(Value::as_array).collect(),
        _ => Vec::new(),
    };
    arrays
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .collect()
}

/// The kind whose id parameter (or id-carrying field) is `name`: `teamId` is a team's.
fn kind_of_name(model: &ApiModel, name: &str) -> Option<String> {
    if let Some(r) = model
        .resources
        .iter()
        .find(|r| r.id_params.iter().any(|p| p == name))
    {
        return Some(r.kind.clone());
    }
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .strip_suffix("_id")
        .or_else(|| lower.strip_suffix("id"))?;
    model
        .resources
        .iter()
        .find(|r| r.kind == stem)
        .map(|r| r.kind.clone())
}

/// The list operations every identity can run now: no required parameter other than path
/// parameters, each filled with an id of its kind that identity saw.
fn list_steps(model: &ApiModel, cast: &[IdentitySpec], seeded: &SeededObjects) -> Vec<Step> {
    let mut steps = Vec::new();
    for identity in cast.iter().filter(|c| c.role != Role::Anonymous) {
        for resource in &model.resources {
            for op_id in &resource.list {
                // An admin-only list (`GET /admin/users`) is seeded by admins only.
                if model.is_admin(op_id) && identity.role != Role::Admin {
                    continue;
                }
                steps.extend(list_step(model, op_id, &identity.id, seeded));
            }
        }
    }
    steps
}

/// `op` by `who` with its path parameters filled from what `who` saw (one step per choice of
/// parents, at most [`PARENTS_PER_KIND`] per parameter), or nothing.
fn list_step(
    model: &ApiModel,
    op: &OperationId,
    who: &IdentityId,
    seeded: &SeededObjects,
) -> Vec<Step> {
    let Some(operation) = model.operation(op) else {
        return Vec::new();
    };
    let mut choices: Vec<Args> = vec![Args::default()];
    for p in &operation.parameters {
        if p.location != ParameterLocation::Path {
            if p.required {
                return Vec::new();
            }
            continue;
        }
        let Some(kind) = kind_of_name(model, &p.name) else {
            return Vec::new();
        };
        let own: Vec<&Value> = seeded
            .by_kind
            .get(&kind)
            .into_iter()
            .flatten()
            .filter(|(_, seen)| seen.contains(who))
            .map(|(v, _)| v)
            .take(PARENTS_PER_KIND)
            .collect();
        if own.is_empty() {
            return Vec::new();
        }
        choices = choices
            .into_iter()
            .flat_map(|args| {
                own.iter().map(move |v| {
                    let mut args = args.clone();
                    args.path.insert(p.name.clone(), Arg::Value((*v).clone()));
                    args
                })
            })
            .collect();
    }
    if operation.request_body.as_ref().is_some_and(|b| b.required) {
        return Vec::new();
    }
    choices
        .into_iter()
        .map(|args| Step {
            identity: who.clone(),
            op: op.clone(),
            auth: AuthMode::Normal,
            args,
            violates: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes() -> ApiModel {
        trespass_generators::load_str(trespass_targets::Service::Notes.spec_yaml(), "notes.yaml")
            .expect("notes loads")
    }

    #[test]
    fn names_carry_kinds() {
        let m = notes();
        assert_eq!(kind_of_name(&m, "teamId").as_deref(), Some("team"));
        assert_eq!(kind_of_name(&m, "documentId").as_deref(), Some("document"));
        assert_eq!(kind_of_name(&m, "q"), None);
    }

    #[test]
    fn offers_the_producers_own_objects_then_public_ones_and_others_only_when_loose() {
        let m = notes();
        let cast = [
            IdentitySpec::new("alice", Role::User),
            IdentitySpec::new("bob", Role::User),
            IdentitySpec::new("dana", Role::Admin),
        ];
        let [alice, bob, dana] = cast.clone().map(|c| c.id);
        let mut s = SeededObjects::for_cast(&cast);
        // The admin lists every team; alice and bob their own; every user the public one.
        for (team, seen_by) in [
            ("t-a", vec![&alice, &dana]),
            ("t-b", vec![&bob, &dana]),
            ("t-public", vec![&alice, &bob, &dana]),
            ("t-staff", vec![&dana]),
        ] {
            for who in seen_by {
                s.record("team", Value::from(team), who);
            }
        }
        assert_eq!(s.offer(&m, "teamId", &alice, true), ["t-a", "t-public"]);
        assert_eq!(s.offer(&m, "teamId", &bob, true), ["t-b", "t-public"]);
        assert_eq!(s.offer(&m, "teamId", &dana, true), ["t-staff", "t-public"]);
        // Where only other identities use the value, any object of the kind may stand in.
        assert_eq!(
            s.offer(&m, "teamId", &alice, false),
            ["t-a", "t-public", "t-b", "t-staff"]
        );
        assert!(s.offer(&m, "q", &alice, false).is_empty());
        assert_eq!(s.ids("team").count(), 4);
    }

    #[test]
    fn list_answers_give_their_objects() {
        let bare = serde_json::json!([{"id": 1}, {"id": 2}, 3]);
        assert_eq!(listed_objects(&bare).len(), 2);
        let wrapped = serde_json::json!({"items": [{"id": 1}], "total": 1});
        assert_eq!(listed_objects(&wrapped).len(), 1);
        assert!(listed_objects(&serde_json::json!({"id": 1})).is_empty());
    }

    #[test]
    fn first_round_lists_need_no_parent_then_parents_come_from_what_was_seen() {
        let m = notes();
        let cast = vec![
            IdentitySpec::new("alice", Role::User),
            IdentitySpec::new("anon", Role::Anonymous),
        ];
        let mut s = SeededObjects::for_cast(&cast);
        let ops = |s: &SeededObjects| -> Vec<String> {
            list_steps(&m, &cast, s)
                .iter()
                .map(|st| format!("{} {}", st.identity, st.op))
                .collect()
        };
        assert_eq!(
            ops(&s),
            ["alice GET /documents", "alice GET /teams"],
            "the anonymous caller lists nothing; nested lists wait for their parents"
        );
        s.record("team", Value::from("t-1"), &IdentityId::new("alice"));
        assert!(ops(&s).contains(&"alice GET /teams/{teamId}/documents".to_string()));
    }
}

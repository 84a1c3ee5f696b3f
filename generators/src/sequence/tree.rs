//! [`SequenceTree`]: the shrinking side of the sequence strategy.
//!
//! The tree decides which smaller candidate comes next; whether the candidate still fails is the
//! executor's business. The order:
//!
//! 1. [`SequenceTree::truncate_after`], called by the executor with the step of the first
//!    violation, cuts every later step;
//! 2. steps are deleted one at a time, from the last down; references to a deleted step are
//!    re-targeted to an earlier step of the same operation by the same identity, body
//!    references with no such step are dropped (the leaf keeps its generated value), and a
//!    deletion that would leave a parameter reference dangling is never offered, nor one that
//!    would leave no step at all;
//! 3. the owner's read of an object another identity just changed is added
//!    ([`with_dormant_reads`]): what the executor's re-read showed, an explicit step shows once
//!    the writer merges into the owner;
//! 4. identities are merged: into an earlier identity of the same role first, then into one of
//!    another role (never the anonymous one); the executor's judge keeps a merge only when the
//!    violation's signature, roles included, still holds. Merging comes before inlining, while
//!    an account's id is still a reference to the account's own lookup (`GET /me`) that a
//!    merge moves along, or, after [`SequenceTree::merge_last`], at the end of the round;
//! 5. a step that changes or deletes an object is sent as the read of that object instead,
//!    from the last down (what a later step needs may be the object's state, not the change;
//!    before inlining, while later steps still read the step's answer by reference);
//! 6. references are replaced by literal values ([`SequenceTree::observe`],
//!    [`SequenceTree::suggest`]), the references to one value together, which may free the
//!    steps that produced them: deletions, merges and reads instead then run once more;
//! 7. argument values are simplified (below);
//! 8. when the round changed the sequence, the next one tries every pass again (an inlined
//!    reference or a merge may let a step go), up to [`MAX_ROUNDS`] more rounds.
//!
//! Argument values are simplified one at a time, in step order, each through its own value
//! tree; when a value tree cannot go back any further after a passing candidate, the value
//! returns to the last one that failed and shrinking moves on to the next value (proptest's
//! runner stops shrinking at the first `complicate` that answers false, so the tree never
//! answers false while it still has candidates to offer).
//!
//! Every candidate is a valid sequence: all references point backwards. The tree follows
//! proptest's protocol: `simplify` is called on a failing candidate, `complicate` on a passing
//! one, and after the last answer `current` is the smallest failing sequence found. Against a
//! live target every candidate costs a whole sequence of requests, so `complicate` does not hand
//! back the failing sequence just to have it re-run: it undoes the rejected change and moves
//! straight on to the next candidate. The failing sequence comes back only once, at the very
//! end, or when a value tree's own partial undo lands on it.

use std::fmt;

use indexmap::IndexMap;
use proptest::strategy::{Just, SBoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Reason, TestRunner};
use serde_json::Value;

use super::step::{
    Arg, Args, AuthMode, BodyArg, BodyRef, IdentityId, IdentitySpec, Ref, Sequence, Step,
};
use crate::model::{OperationId, ParameterLocation};

/// An argument as generated: a value slot of the tree, or a reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ArgPlan {
    /// The value of slot `n`.
    Value(usize),
    /// A value from an earlier response.
    Ref(Ref),
}

/// A body as generated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BodyPlan {
    pub media_type: String,
    pub slot: usize,
    /// Extra (privileged) fields, each from its own slot.
    pub extra: Vec<(String, usize)>,
    pub refs: Vec<BodyRef>,
}

/// A step as generated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StepPlan {
    pub identity: IdentityId,
    pub op: OperationId,
    /// The read of the object this step changes or deletes, which shrinking may send instead
    /// (when only the object's state matters to the violation, e.g. a later search by its
    /// title).
    pub read_instead: Option<OperationId>,
    pub auth: AuthMode,
    pub params: Vec<(ParameterLocation, String, ArgPlan)>,
    pub body: Option<BodyPlan>,
}

impl StepPlan {
    fn slots(&self) -> impl Iterator<Item = usize> + '_ {
        let params = self.params.iter().filter_map(|(_, _, a)| match a {
            ArgPlan::Value(s) => Some(*s),
            ArgPlan::Ref(_) => None,
        });
        let body = self
            .body
            .iter()
            .flat_map(|b| std::iter::once(b.slot).chain(b.extra.iter().map(|(_, s)| *s)));
        params.chain(body)
    }
}

/// One generated value with its own value tree. The current value is kept at hand; the tree is
/// rebuilt only when a clone first shrinks, by replaying the recorded calls on a fresh tree
/// from the same runner state, so clones are cheap, independent and identical.
pub(crate) struct ValueSlot {
    runner: TestRunner,
    strategy: SBoxedStrategy<Value>,
    /// Every `simplify` (true) and `complicate` (false) call, in order.
    log: Vec<bool>,
    /// Length of `log` when the value was last known to fail: `simplify` is only called on a
    /// failing sequence, so every call records the point to come back to.
    failing: usize,
    /// The tree's current value.
    value: Value,
    /// The value tree; `None` in a clone until it is first needed.
    tree: Option<Box<dyn ValueTree<Value = Value>>>,
}

impl ValueSlot {
    /// Draws a value from `strategy` with `runner`.
    pub fn new(strategy: SBoxedStrategy<Value>, runner: &mut TestRunner) -> Result<Self, Reason> {
        let snapshot = runner.clone();
        let tree = strategy.new_tree(runner)?;
        Ok(Self {
            runner: snapshot,
            strategy,
            log: Vec::new(),
            failing: 0,
            value: tree.current(),
            tree: Some(tree),
        })
    }

    fn current(&self) -> Value {
        self.value.clone()
    }

    /// A fresh tree with the first `calls` recorded calls replayed.
    fn replay(&self, calls: usize) -> Box<dyn ValueTree<Value = Value>> {
        let mut runner = self.runner.clone();
        match self.strategy.new_tree(&mut runner) {
            Ok(mut tree) => {
                for &simplify in &self.log[..calls] {
                    if simplify {
                        tree.simplify();
                    } else {
                        tree.complicate();
                    }
                }
                tree
            }
            // Generation is deterministic for a given runner state, so this does not happen;
            // if it did, the value stays as it is and shrinks no further.
            Err(_) => Box::new(Just(self.value.clone())),
        }
    }

    fn tree(&mut self) -> &mut Box<dyn ValueTree<Value = Value>> {
        let tree = match self.tree.take() {
            Some(tree) => tree,
            None => self.replay(self.log.len()),
        };
        self.tree.insert(tree)
    }

    fn simplify(&mut self) -> bool {
        self.failing = self.log.len();
        // The tree first: a clone rebuilds it from the calls logged so far.
        let tree = self.tree();
        let changed = tree.simplify();
        self.value = tree.current();
        self.log.push(true);
        changed
    }

    fn complicate(&mut self) -> bool {
        let tree = self.tree();
        let changed = tree.complicate();
        self.value = tree.current();
        self.log.push(false);
        changed
    }

    /// Goes back to the value that last failed (the one `simplify` was last called on), for
    /// when the value tree cannot complicate any more: proptest's trees leave their current
    /// value unspecified then.
    fn restore_failing(&mut self) {
        let tree = self.replay(self.failing);
        self.log.truncate(self.failing);
        self.value = tree.current();
        self.tree = Some(tree);
    }
}

impl Clone for ValueSlot {
    fn clone(&self) -> Self {
        Self {
            runner: self.runner.clone(),
            strategy: self.strategy.clone(),
            log: self.log.clone(),
            failing: self.failing,
            value: self.value.clone(),
            tree: None,
        }
    }
}

impl fmt::Debug for ValueSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueSlot")
            .field("current", &self.current())
            .field("calls", &self.log.len())
            .finish()
    }
}

/// Shrinking rounds after the first, at most (each one only while the last changed something).
const MAX_ROUNDS: usize = 3;

/// The passes of one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Delete,
    Wake,
    Merge,
    Substitute,
    Inline,
    Values,
}

/// The default order: identities merge while references are still references.
const MERGE_FIRST: [Pass; 6] = [
    Pass::Delete,
    Pass::Wake,
    Pass::Merge,
    Pass::Substitute,
    Pass::Inline,
    Pass::Values,
];
/// [`SequenceTree::merge_last`]: references are inlined while each still belongs to the
/// identity that produced it.
const MERGE_LAST: [Pass; 6] = [
    Pass::Delete,
    Pass::Wake,
    Pass::Substitute,
    Pass::Inline,
    Pass::Values,
    Pass::Merge,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Next deletion candidate is the kept step below this index.
    Delete(usize),
    /// Trying to replace the reference at this position of the candidate list by the value it
    /// took in the last failing run.
    Inline(usize),
    /// Simplifying the value slot at this position of the active-slot list.
    Values(usize),
    /// Trying to send, instead of the change or delete below this step index, the read of
    /// the same object.
    Substitute(usize),
    /// Trying to add the dormant read below this step index.
    Wake(usize),
    /// Trying the identity merge at this position of the candidate list.
    Identities(usize),
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Prev {
    Delete(usize),
    Substitute(usize),
    Wake(usize),
    Inline(Vec<RefSite>),
    Value(usize),
    Merge(IdentityId),
}

/// Where a reference sits in the plans: a parameter (original step, index in its params) or a
/// body leaf (original step, JSON pointer).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RefSite {
    Param(usize, usize),
    Body(usize, String),
}

/// The value tree of a generated [`Sequence`], shrinking in the order described in the module
/// documentation. Built by [`super::SequenceStrategy`].
#[derive(Debug, Clone)]
pub struct SequenceTree {
    plans: Vec<StepPlan>,
    slots: Vec<ValueSlot>,
    cast: Vec<IdentitySpec>,
    kept: Vec<bool>,
    /// Steps sent as the read of their object ([`StepPlan::read_instead`]).
    substituted: Vec<bool>,
    /// For each plan, its index in the sequence as generated (a dormant read: the index of the
    /// change it follows).
    generated: Vec<usize>,
    /// For each plan, `Some(change)` when it is a dormant read: the owner's read of the object
    /// that the step `change` just before it changes, not in the sequence as generated; the
    /// wake pass may add it.
    dormant: Vec<Option<usize>>,
    /// Dormant reads woken once: a later round may delete one again, and it then stays out
    /// (waking it again would only undo that deletion, round after round).
    woken: Vec<bool>,
    /// Steps at or after this index are cut.
    limit: usize,
    /// Identities merged into others while shrinking.
    merged: IndexMap<IdentityId, IdentityId>,
    phase: Phase,
    prev: Option<Prev>,
    /// Identity merges to try, computed when the phase starts.
    merge_candidates: Vec<(IdentityId, IdentityId)>,
    /// Values references took in the last failing run ([`SequenceTree::observe`]).
    observed: IndexMap<RefSite, Value>,
    /// References replaced by their observed value.
    inlined: IndexMap<RefSite, Value>,
    /// Values offered by the caller for references ([`SequenceTree::suggest`]): ids of
    /// objects that exist after every reset, tried before the observed value. By reference,
    /// then by the identity whose answer it reads: `[strict, loose]` offers.
    suggested: IndexMap<RefSite, IndexMap<IdentityId, [Vec<Value>; 2]>>,
    /// Shrinking rounds started after the first: when a round changed the sequence, the next
    /// one tries every pass again (a merge of identities may let a reference be inlined, and
    /// that a step be deleted).
    rounds: usize,
    /// Whether a candidate was kept in this round.
    progress: bool,
    /// The order of the passes: merges first ([`MERGE_FIRST`]) or last.
    merge_first: bool,
    /// Inlining candidates (the references to one earlier value, and the value to put in
    /// their place), computed when the phase starts.
    inline_candidates: Vec<(Vec<RefSite>, Value)>,
    /// Whether the deletions ran again after a reference was inlined.
    deleted_after_inline: bool,
}

impl SequenceTree {
    pub(crate) fn new(
        plans: Vec<StepPlan>,
        slots: Vec<ValueSlot>,
        cast: Vec<IdentitySpec>,
    ) -> Self {
        let (plans, generated, dormant) = with_dormant_reads(plans);
        let n = plans.len();
        Self {
            kept: dormant.iter().map(Option::is_none).collect(),
            woken: vec![false; n],
            plans,
            generated,
            dormant,
            slots,
            cast,
            substituted: vec![false; n],
            limit: n,
            merged: IndexMap::new(),
            phase: Phase::Delete(n),
            prev: None,
            merge_candidates: Vec::new(),
            observed: IndexMap::new(),
            inlined: IndexMap::new(),
            suggested: IndexMap::new(),
            rounds: 0,
            progress: false,
            merge_first: true,
            inline_candidates: Vec::new(),
            deleted_after_inline: false,
        }
    }

    /// Cuts every step after `step` (an index into the current sequence, as the executor sees
    /// it: usually the step of the first violation), and restarts shrinking from the deletions.
    /// An index past the end changes nothing.
    pub fn truncate_after(&mut self, step: usize) {
        let original = self.visible().nth(step);
        if let Some(original) = original {
            self.limit = original + 1;
            // The owner's read of what the violating step changed may be woken.
            while self.dormant.get(self.limit).is_some_and(Option::is_some) {
                self.limit += 1;
            }
            self.phase = Phase::Delete(self.limit);
            self.prev = None;
        }
    }

    /// Records the concrete values the references of step `step` of the current sequence took
    /// when it was last sent (its resolved path parameters and body), from a run that still
    /// showed the violation. Shrinking then tries to replace each reference by that value, so
    /// that the step producing it can go: ids that stay the same after the target's reset (an
    /// account's own id, seeded objects) need no step to look them up.
    ///
    /// `query` is the query string as sent (name, serialised value): a query reference is
    /// inlined as the text it was sent as.
    pub fn observe(
        &mut self,
        step: usize,
        path: &IndexMap<String, Value>,
        query: &[(String, String)],
        body: Option<&Value>,
    ) {
        let Some(original) = self.visible().nth(step) else {
            return;
        };
        let plan = &self.plans[original];
        for (index, (location, name, arg)) in plan.params.iter().enumerate() {
            if !matches!(arg, ArgPlan::Ref(_)) {
                continue;
            }
            let value = match location {
                ParameterLocation::Path => path.get(name).cloned(),
                ParameterLocation::Query => query
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| Value::String(v.clone())),
                ParameterLocation::Header | ParameterLocation::Cookie => None,
            };
            if let Some(value) = value {
                self.observed.insert(RefSite::Param(original, index), value);
            }
        }
        if let (Some(plan_body), Some(sent)) = (&plan.body, body) {
            for r in &plan_body.refs {
                if let Some(value) = sent.pointer(&r.at) {
                    self.observed
                        .insert(RefSite::Body(original, r.at.clone()), value.clone());
                }
            }
        }
    }

    /// Merges identities last in each round instead of first. Neither order always wins: a
    /// merge first carries an account id that is still a reference (to the account's `GET
    /// /me`) over to the identity it merges into; inlining first lets a reference read from
    /// one identity's step take another user's seeded object, which a merge would make the
    /// same identity's and so offer only its own. A shrinker may run both from the same start
    /// and keep the smaller result.
    pub fn merge_last(&mut self) {
        self.merge_first = false;
    }

    /// Offers values to try in place of references, before the value a reference took: for
    /// each reference of the sequence (in a path or query parameter, or a body field) and each
    /// identity that may end up sending the step it reads (identities merge while shrinking),
    /// `values` gets the operation of the step that holds the reference, the parameter's name
    /// (the field's name for a body reference), that identity, and whether the offer must be
    /// *strict*, and returns the values to try, best first. The caller knows what the sequence
    /// cannot: which objects exist after every reset of the target (seeded data), and whose
    /// they are. A reference to the team a user just created can then become the user's seeded
    /// team, and the create can go.
    ///
    /// An offer is strict when a step of the producing identity itself sends a change (any
    /// method but `GET`) with the reference: the value then stands for that identity's own
    /// object in a kept write, so it must be one (a document the admin creates in alice's team
    /// would make the admin's document sit in alice's team, and alice's delete of it look like
    /// a BOLA). When only reads by that identity or steps of others use it, any object of the
    /// kind may do: the oracles know owners only from the steps kept, and each candidate is
    /// judged on the target.
    pub fn suggest(
        &mut self,
        mut values: impl FnMut(&OperationId, &str, &IdentityId, bool) -> Vec<Value>,
    ) {
        let mut sites: Vec<(RefSite, OperationId, String)> = Vec::new();
        for (i, plan) in self.plans.iter().enumerate() {
            for (index, (_, name, arg)) in plan.params.iter().enumerate() {
                if let ArgPlan::Ref(_) = arg {
                    sites.push((RefSite::Param(i, index), plan.op.clone(), name.clone()));
                }
            }
            for r in plan.body.iter().flat_map(|b| &b.refs) {
                let field = r.at.rsplit('/').next().unwrap_or_default().to_string();
                sites.push((RefSite::Body(i, r.at.clone()), plan.op.clone(), field));
            }
        }
        let mut suggested = IndexMap::new();
        for (site, op, name) in sites {
            let mut by_identity = IndexMap::new();
            for c in &self.cast {
                let offers = [
                    values(&op, &name, &c.id, true),
                    values(&op, &name, &c.id, false),
                ];
                if offers.iter().any(|o| !o.is_empty()) {
                    by_identity.insert(c.id.clone(), offers);
                }
            }
            if !by_identity.is_empty() {
                suggested.insert(site, by_identity);
            }
        }
        self.suggested = suggested;
    }

    /// The references of the current steps that have an observed value and are not inlined
    /// yet, grouped by the value they refer to (the same field of the same earlier answer: they
    /// are replaced together, so the step that produced it can go), each group with the values
    /// to try: small ids first (`1`, `2`, `3`) when the observed value is a larger integer (a
    /// seeded object that exists after every reset may do), then the values suggested for the
    /// first reference of the group ([`SequenceTree::suggest`]), then the observed value.
    fn compute_inlines(&self) -> Vec<(Vec<RefSite>, Value)> {
        // By the value referred to: the identity that sends the step it is read from, and the
        // references.
        type Group = (Option<IdentityId>, Vec<RefSite>);
        let mut groups: IndexMap<(Ref, String), Group> = IndexMap::new();
        for i in self.visible() {
            let plan = &self.plans[i];
            let mut sites: Vec<(RefSite, &Ref)> = Vec::new();
            for (index, (_, _, arg)) in plan.params.iter().enumerate() {
                if let ArgPlan::Ref(r) = arg {
                    sites.push((RefSite::Param(i, index), r));
                }
            }
            // A substituted step sends no body.
            let body = plan.body.as_ref().filter(|_| !self.substituted[i]);
            for r in body.iter().flat_map(|b| &b.refs) {
                sites.push((RefSite::Body(i, r.at.clone()), &r.from));
            }
            for (site, r) in sites {
                if self.inlined.contains_key(&site) {
                    continue;
                }
                let Some(observed) = self.observed.get(&site) else {
                    continue;
                };
                groups
                    .entry((r.clone(), observed.to_string()))
                    .or_insert_with(|| {
                        let producer = self.resolve(r, i).map(|t| self.identity_of(t).clone());
                        (producer, Vec::new())
                    })
                    .1
                    .push(site);
            }
        }
        let mut out = Vec::new();
        for (producer, sites) in groups.into_values() {
            let observed = self.observed[&sites[0]].clone();
            let mut values: Vec<Value> = Vec::new();
            if let Some(n) = observed.as_u64() {
                values.extend((1..n).take(3).map(Value::from));
            }
            // Strict when the producing identity itself sends a change with the value (see
            // `suggest`): a read by that identity claims nothing.
            let strict = sites.iter().any(|site| {
                let (RefSite::Param(i, _) | RefSite::Body(i, _)) = site;
                let reads = self.substituted[*i] || self.plans[*i].op.method() == "GET";
                producer.as_ref() == Some(self.identity_of(*i)) && !reads
            });
            let offered = producer
                .and_then(|p| self.suggested.get(&sites[0])?.get(&p))
                .map(|offers| &offers[usize::from(!strict)]);
            for v in offered.into_iter().flatten() {
                if !values.contains(v) && v != &observed {
                    values.push(v.clone());
                }
            }
            values.push(observed);
            out.extend(values.into_iter().map(|v| (sites.clone(), v)));
        }
        out
    }

    /// Number of steps of the current sequence.
    pub fn len(&self) -> usize {
        self.visible().count()
    }

    /// Whether the current sequence has no step.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// For each step of the current sequence, its index in the sequence as generated (before
    /// any shrinking): tells a reporter which original steps a minimized sequence kept.
    pub fn kept_steps(&self) -> Vec<usize> {
        self.visible().map(|i| self.generated[i]).collect()
    }

    /// Original indices of the steps in the current sequence.
    fn visible(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.limit).filter(|&i| self.kept[i])
    }

    /// Who sends original step `step` now: its identity, followed through the merges (one
    /// identity merged into another that was merged later).
    fn identity_of(&self, step: usize) -> &IdentityId {
        let mut id = &self.plans[step].identity;
        for _ in 0..=self.merged.len() {
            match self.merged.get(id) {
                Some(into) => id = into,
                None => break,
            }
        }
        id
    }

    /// Where a reference of step `consumer` to original step `r.step` points now: the step
    /// itself if kept, else the latest earlier kept step of the same operation and identity.
    fn resolve(&self, r: &Ref, consumer: usize) -> Option<usize> {
        let target = r.step;
        if target >= consumer || target >= self.plans.len() {
            return None;
        }
        if self.kept[target] {
            return Some(target);
        }
        let op = &self.plans[target].op;
        let who = self.identity_of(target);
        (0..target)
            .rev()
            .find(|&t| self.kept[t] && &self.plans[t].op == op && self.identity_of(t) == who)
    }

    /// Whether every parameter reference of the kept steps resolves.
    fn params_resolve(&self) -> bool {
        self.visible().all(|i| {
            self.plans[i]
                .params
                .iter()
                .enumerate()
                .all(|(index, (_, _, a))| match a {
                    ArgPlan::Ref(r) => {
                        self.inlined.contains_key(&RefSite::Param(i, index))
                            || self.resolve(r, i).is_some()
                    }
                    ArgPlan::Value(_) => true,
                })
        })
    }

    /// Slots used by the current steps, in step order, without repeats.
    fn active_slots(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for i in self.visible().filter(|&i| !self.substituted[i]) {
            for s in self.plans[i].slots() {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }

    fn role_of(&self, id: &IdentityId) -> Option<super::step::Role> {
        self.cast.iter().find(|c| &c.id == id).map(|c| c.role)
    }

    /// Merges to try: each acting identity, from the last to appear, into an earlier acting
    /// identity of the same role; then each into any other acting identity of another role
    /// (an admin's setup steps done by the user who reads, when the violation's roles do not
    /// name the admin). The anonymous identity never merges: its steps carry no credentials.
    /// Every candidate is judged against the violation's signature, roles included.
    fn compute_merges(&self) -> Vec<(IdentityId, IdentityId)> {
        let mut acting: Vec<IdentityId> = Vec::new();
        for i in self.visible() {
            let id = self.identity_of(i).clone();
            if !acting.contains(&id) {
                acting.push(id);
            }
        }
        let mut out = Vec::new();
        for (pos, later) in acting.iter().enumerate().rev() {
            let Some(role) = self.role_of(later) else {
                continue;
            };
            if let Some(earlier) = acting[..pos].iter().find(|e| self.role_of(e) == Some(role)) {
                out.push((later.clone(), earlier.clone()));
            }
        }
        let named = |id: &IdentityId| {
            self.role_of(id)
                .filter(|r| *r != super::step::Role::Anonymous)
        };
        for from in acting.iter().rev() {
            for into in &acting {
                if let (Some(a), Some(b)) = (named(from), named(into))
                    && a != b
                {
                    out.push((from.clone(), into.clone()));
                }
            }
        }
        out
    }

    fn value(&self, slot: usize) -> Value {
        self.slots.get(slot).map_or(Value::Null, ValueSlot::current)
    }

    fn build_step(&self, i: usize, new_index: &[Option<usize>]) -> Step {
        let plan = &self.plans[i];
        // A substituted step is the read: the path parameters it names, no body.
        let read = plan.read_instead.as_ref().filter(|_| self.substituted[i]);
        let read_params: Vec<&str> =
            read.map_or_else(Vec::new, |r| crate::model::path_template_params(r.path()));
        let remap = |r: &Ref| -> Option<Ref> {
            let target = self.resolve(r, i)?;
            Some(Ref {
                step: new_index[target]?,
                source: r.source.clone(),
            })
        };
        let mut args = Args::default();
        for (index, (location, name, arg)) in plan.params.iter().enumerate() {
            if read.is_some()
                && (*location != ParameterLocation::Path || !read_params.contains(&name.as_str()))
            {
                continue;
            }
            let arg = match arg {
                ArgPlan::Value(s) => Arg::Value(self.value(*s)),
                ArgPlan::Ref(_) if self.inlined.contains_key(&RefSite::Param(i, index)) => {
                    Arg::Value(self.inlined[&RefSite::Param(i, index)].clone())
                }
                // Candidates with dangling parameter references are never offered.
                ArgPlan::Ref(r) => remap(r).map_or(Arg::Value(Value::Null), Arg::Ref),
            };
            let map = match location {
                ParameterLocation::Path => &mut args.path,
                ParameterLocation::Query => &mut args.query,
                ParameterLocation::Header => &mut args.header,
                ParameterLocation::Cookie => &mut args.cookie,
            };
            map.insert(name.clone(), arg);
        }
        if let Some(body) = plan.body.as_ref().filter(|_| read.is_none()) {
            let mut value = self.value(body.slot);
            if let Value::Object(map) = &mut value {
                for (name, slot) in &body.extra {
                    map.insert(name.clone(), self.value(*slot));
                }
            }
            let mut refs = Vec::new();
            for r in &body.refs {
                if let Some(literal) = self.inlined.get(&RefSite::Body(i, r.at.clone())) {
                    if ensure_leaf(&mut value, &r.at)
                        && let Some(leaf) = value.pointer_mut(&r.at)
                    {
                        *leaf = literal.clone();
                    }
                    continue;
                }
                let Some(from) = remap(&r.from) else { continue };
                if ensure_leaf(&mut value, &r.at) {
                    refs.push(BodyRef {
                        at: r.at.clone(),
                        from,
                    });
                }
            }
            args.body = Some(BodyArg {
                media_type: body.media_type.clone(),
                value,
                refs,
            });
        }
        Step {
            identity: self.identity_of(i).clone(),
            op: read.unwrap_or(&plan.op).clone(),
            auth: plan.auth,
            args,
        }
    }
}

/// Inserts after each change or delete of an object produced in the sequence by another
/// identity a dormant read of that object by its owner (the identity that produced it): the
/// plans, each one's index in the sequence as generated, and for each dormant read the index
/// of the change it follows. References are re-numbered.
///
/// What the executor shows through its own re-read after another identity's write (the
/// owner's view of the changed object) a person shows with the owner's write and an explicit
/// read: once the writer merges into the owner the executor no longer re-reads, so the read has
/// to be in the sequence.
#[allow(clippy::type_complexity)]
fn with_dormant_reads(plans: Vec<StepPlan>) -> (Vec<StepPlan>, Vec<usize>, Vec<Option<usize>>) {
    let mut out: Vec<StepPlan> = Vec::with_capacity(plans.len());
    let mut generated = Vec::with_capacity(plans.len());
    let mut dormant = Vec::with_capacity(plans.len());
    let mut new_index = Vec::with_capacity(plans.len());
    for (g, plan) in plans.iter().enumerate() {
        new_index.push(out.len());
        out.push(plan.clone());
        generated.push(g);
        dormant.push(None);
        let Some(read) = &plan.read_instead else {
            continue;
        };
        let names = crate::model::path_template_params(read.path());
        let params: Vec<(ParameterLocation, String, ArgPlan)> = plan
            .params
            .iter()
            .filter(|(l, n, _)| *l == ParameterLocation::Path && names.contains(&n.as_str()))
            .cloned()
            .collect();
        // The object's id is the read's last path parameter; its producer owns it.
        let owner = params.iter().rev().find_map(|(_, n, a)| match a {
            ArgPlan::Ref(r) if names.last() == Some(&n.as_str()) => plans.get(r.step),
            _ => None,
        });
        let Some(owner) = owner.map(|p| p.identity.clone()) else {
            continue;
        };
        if owner == plan.identity || plan.auth != AuthMode::Normal {
            continue;
        }
        let change = out.len() - 1;
        out.push(StepPlan {
            identity: owner,
            op: read.clone(),
            read_instead: None,
            auth: AuthMode::Normal,
            params,
            body: None,
        });
        generated.push(g);
        dormant.push(Some(change));
    }
    for plan in &mut out {
        for (_, _, arg) in &mut plan.params {
            if let ArgPlan::Ref(r) = arg {
                r.step = new_index[r.step];
            }
        }
        for r in plan.body.iter_mut().flat_map(|b| &mut b.refs) {
            r.from.step = new_index[r.from.step];
        }
    }
    (out, generated, dormant)
}

/// Makes sure the leaf at JSON pointer `at` exists (as `null` when missing) under an existing
/// object; false when its parent is not an object.
fn ensure_leaf(value: &mut Value, at: &str) -> bool {
    if value.pointer(at).is_some() {
        return true;
    }
    let Some((parent, last)) = at.rsplit_once('/') else {
        return false;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key, Value::Null);
            true
        }
        _ => false,
    }
}

impl ValueTree for SequenceTree {
    type Value = Sequence;

    fn current(&self) -> Sequence {
        let mut new_index = vec![None; self.plans.len()];
        for (n, i) in self.visible().enumerate() {
            new_index[i] = Some(n);
        }
        Sequence {
            steps: self
                .visible()
                .map(|i| self.build_step(i, &new_index))
                .collect(),
        }
    }

    fn simplify(&mut self) -> bool {
        // `simplify` is called on a failing candidate: the change that made it was kept.
        if self.prev.take().is_some() {
            self.progress = true;
        }
        while let Phase::Delete(next) = self.phase {
            if next == 0 {
                self.advance(Pass::Delete);
                return self.simplify();
            }
            let i = next - 1;
            self.phase = Phase::Delete(i);
            if !self.kept[i] {
                continue;
            }
            // An empty sequence shows nothing: the last step standing stays.
            if self.len() <= 1 {
                continue;
            }
            self.kept[i] = false;
            if self.params_resolve() {
                self.prev = Some(Prev::Delete(i));
                return true;
            }
            self.kept[i] = true;
        }
        while let Phase::Identities(pos) = self.phase {
            let Some((from, into)) = self.merge_candidates.get(pos).cloned() else {
                self.advance(Pass::Merge);
                return self.simplify();
            };
            self.phase = Phase::Identities(pos + 1);
            if self.merged.contains_key(&from) || self.merged.contains_key(&into) {
                continue;
            }
            self.merged.insert(from.clone(), into);
            if self.params_resolve() {
                self.prev = Some(Prev::Merge(from));
                return true;
            }
            self.merged.shift_remove(&from);
        }
        while let Phase::Wake(next) = self.phase {
            let Some(i) = next.checked_sub(1) else {
                self.advance(Pass::Wake);
                return self.simplify();
            };
            self.phase = Phase::Wake(i);
            let Some(change) = self.dormant[i] else {
                continue;
            };
            if self.kept[i] || self.woken[i] || !self.kept[change] {
                continue;
            }
            self.kept[i] = true;
            if self.params_resolve() {
                self.woken[i] = true;
                self.prev = Some(Prev::Wake(i));
                return true;
            }
            self.kept[i] = false;
        }
        while let Phase::Substitute(next) = self.phase {
            let Some(i) = next.checked_sub(1) else {
                self.advance(Pass::Substitute);
                return self.simplify();
            };
            self.phase = Phase::Substitute(i);
            if !self.kept[i] || self.substituted[i] || self.plans[i].read_instead.is_none() {
                continue;
            }
            self.substituted[i] = true;
            self.prev = Some(Prev::Substitute(i));
            return true;
        }
        while let Phase::Inline(pos) = self.phase {
            let Some((sites, value)) = self.inline_candidates.get(pos).cloned() else {
                self.advance(Pass::Inline);
                return self.simplify();
            };
            self.phase = Phase::Inline(pos + 1);
            let live = sites.iter().all(|site| {
                let (RefSite::Param(i, _) | RefSite::Body(i, _)) = site;
                self.kept[*i] && !self.inlined.contains_key(site)
            });
            if !live {
                continue;
            }
            for site in &sites {
                self.inlined.insert(site.clone(), value.clone());
            }
            self.prev = Some(Prev::Inline(sites));
            return true;
        }
        while let Phase::Values(pos) = self.phase {
            let active = self.active_slots();
            let Some(&slot) = active.get(pos) else {
                self.advance(Pass::Values);
                return self.simplify();
            };
            if self.slots[slot].simplify() {
                self.prev = Some(Prev::Value(slot));
                return true;
            }
            self.phase = Phase::Values(pos + 1);
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.prev.take() {
            None => false,
            Some(Prev::Delete(i)) => {
                self.kept[i] = true;
                self.next_after_undo()
            }
            Some(Prev::Substitute(i)) => {
                self.substituted[i] = false;
                self.next_after_undo()
            }
            Some(Prev::Wake(i)) => {
                self.kept[i] = false;
                self.woken[i] = false;
                self.next_after_undo()
            }
            Some(Prev::Inline(sites)) => {
                for site in &sites {
                    self.inlined.shift_remove(site);
                }
                self.next_after_undo()
            }
            Some(Prev::Value(slot)) => {
                if self.slots[slot].complicate() {
                    self.prev = Some(Prev::Value(slot));
                    return true;
                }
                // The value tree is exhausted: go back to its last failing value and move on
                // to the next slot.
                self.slots[slot].restore_failing();
                if let Phase::Values(pos) = self.phase {
                    self.phase = Phase::Values(pos + 1);
                }
                self.next_after_undo()
            }
            Some(Prev::Merge(from)) => {
                self.merged.shift_remove(&from);
                self.next_after_undo()
            }
        }
    }
}

impl SequenceTree {
    /// Moves on from pass `done` to the next one of this tree's order (setting up its
    /// candidates), to the next round, or to the end.
    fn advance(&mut self, done: Pass) {
        // Inlined references may have freed the steps that produced them: delete again, once
        // a round.
        if done == Pass::Inline && !self.inlined.is_empty() && !self.deleted_after_inline {
            self.deleted_after_inline = true;
            self.phase = Phase::Delete(self.limit);
            return;
        }
        let order = if self.merge_first {
            &MERGE_FIRST
        } else {
            &MERGE_LAST
        };
        let next = order
            .iter()
            .position(|p| *p == done)
            .and_then(|i| order.get(i + 1));
        self.phase = match next {
            Some(Pass::Delete) => Phase::Delete(self.limit),
            Some(Pass::Wake) => Phase::Wake(self.limit),
            Some(Pass::Merge) => {
                self.merge_candidates = self.compute_merges();
                Phase::Identities(0)
            }
            Some(Pass::Substitute) => Phase::Substitute(self.limit),
            Some(Pass::Inline) => {
                self.inline_candidates = self.compute_inlines();
                Phase::Inline(0)
            }
            Some(Pass::Values) => Phase::Values(0),
            None if self.progress && self.rounds < MAX_ROUNDS => {
                self.rounds += 1;
                self.progress = false;
                self.deleted_after_inline = false;
                Phase::Delete(self.limit)
            }
            None => Phase::Done,
        };
    }

    /// After a rejected change was undone (the current sequence is the last failing one again):
    /// moves on to the next candidate when there is one. Answers true either way, since the
    /// undo changed the current sequence; without a next candidate the runner re-runs the
    /// failing sequence once and its `simplify` then answers false.
    fn next_after_undo(&mut self) -> bool {
        self.simplify();
        true
    }
}

#[cfg(test)]
mod tests {
    //! The shrink order on hand-built trees, where every step and value is known; the same
    //! order on generated sequences of the demo specs is in `tests/sequence_shrink.rs`.

    use proptest::strategy::NewTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng};
    use serde_json::json;

    use super::*;
    use crate::sequence::step::{RefSource, Role};

    fn runner() -> TestRunner {
        TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
        )
    }

    fn cast() -> Vec<IdentitySpec> {
        vec![
            IdentitySpec::new("alice", Role::User),
            IdentitySpec::new("bob", Role::User),
            IdentitySpec::new("carol", Role::Admin),
            IdentitySpec::new("dave", Role::Admin),
            IdentitySpec::new("anon", Role::Anonymous),
        ]
    }

    fn id_ref(step: usize) -> Ref {
        Ref {
            step,
            source: RefSource::Body {
                pointer: "/id".into(),
            },
        }
    }

    fn plan(who: &str, op: &str, params: Vec<(&str, ArgPlan)>) -> StepPlan {
        StepPlan {
            identity: IdentityId::new(who),
            op: OperationId::parse(op).expect("operation id"),
            read_instead: None,
            auth: AuthMode::Normal,
            params: params
                .into_iter()
                .map(|(name, arg)| (ParameterLocation::Path, name.to_string(), arg))
                .collect(),
            body: None,
        }
    }

    /// Slots with the given strategies, drawn from one seeded runner.
    fn slots(strategies: Vec<SBoxedStrategy<Value>>) -> Vec<ValueSlot> {
        let mut runner = runner();
        strategies
            .into_iter()
            .map(|s| ValueSlot::new(s, &mut runner).expect("draws"))
            .collect()
    }

    /// Drives `tree` as proptest's runner does: `simplify` after a failure, `complicate` after
    /// a pass. Returns every candidate with whether it failed; checks the protocol's promise
    /// that `current` ends on the last failure.
    fn shrink(
        tree: &mut SequenceTree,
        fails: impl Fn(&Sequence) -> bool,
    ) -> Vec<(Sequence, Vec<usize>, bool)> {
        let mut last_failure = tree.current();
        assert!(fails(&last_failure), "the start must fail");
        let mut seen = Vec::new();
        if tree.simplify() {
            loop {
                assert!(seen.len() < 10_000, "shrinking does not end");
                let candidate = tree.current();
                candidate.validate_refs().expect("every candidate is valid");
                let failed = fails(&candidate);
                seen.push((candidate.clone(), tree.kept_steps(), failed));
                if failed {
                    last_failure = candidate;
                    if !tree.simplify() {
                        break;
                    }
                } else if !tree.complicate() {
                    break;
                }
            }
        }
        assert_eq!(tree.current(), last_failure, "ends on the last failure");
        seen
    }

    fn ops(seq: &Sequence) -> Vec<String> {
        seq.steps
            .iter()
            .map(|s| format!("{} {}", s.identity, s.op))
            .collect()
    }

    #[test]
    fn deletions_go_from_the_last_step_down_and_retarget_refs() {
        // 0 alice creates a team, 1 alice creates another, 2 bob reads the second, 3 bob lists.
        let plans = vec![
            plan("alice", "POST /teams", vec![]),
            plan("alice", "POST /teams", vec![]),
            plan(
                "bob",
                "GET /teams/{teamId}",
                vec![("teamId", ArgPlan::Ref(id_ref(1)))],
            ),
            plan("bob", "GET /teams", vec![]),
        ];
        let mut tree = SequenceTree::new(plans, Vec::new(), cast());
        let bob_reads_alices_team = |s: &Sequence| {
            s.steps.iter().any(|st| {
                st.op.as_str() == "GET /teams/{teamId}"
                    && st.identity.as_str() == "bob"
                    && matches!(st.args.path.get("teamId"), Some(Arg::Ref(r))
                        if s.steps[r.step].identity.as_str() == "alice")
            })
        };
        let seen = shrink(&mut tree, bob_reads_alices_team);
        let trail: Vec<(Vec<usize>, bool)> = seen.iter().map(|(_, k, f)| (k.clone(), *f)).collect();
        assert_eq!(
            trail,
            vec![
                (vec![0, 1, 2], true), // the last step goes first
                (vec![0, 1], false),   // then the read: needed; restored, and straight on to
                (vec![0, 2], true),    // the second team: the read re-targets to the first
                (vec![0, 2], false),   // the first team cannot go (the read would dangle), so
                // bob merged into alice is next: it passes, undone
                // The round changed the sequence, so a second one tries every pass again
                // (the shrinker answers repeats from its cache, without a replay):
                (vec![0], false),    // the read still cannot go
                (vec![0, 2], false), // nor can bob merge into alice
                (vec![0, 2], true),  // nothing left: the failing sequence, once, to end on
            ],
            "{trail:?}"
        );
        let merged = &seen[3].0;
        assert_eq!(
            ops(merged),
            ["alice POST /teams", "alice GET /teams/{teamId}"],
            "bob merged into alice, the other user"
        );
        let end = tree.current();
        assert_eq!(
            ops(&end),
            ["alice POST /teams", "bob GET /teams/{teamId}"],
            "the read now names the first team"
        );
        assert_eq!(
            end.steps[1].args.path.get("teamId"),
            Some(&Arg::Ref(id_ref(0)))
        );
        assert_eq!(end, seen[2].0);
    }

    #[test]
    fn a_parameter_ref_never_dangles_a_body_ref_is_dropped() {
        let body = BodyPlan {
            media_type: "application/json".into(),
            slot: 0,
            extra: Vec::new(),
            refs: vec![BodyRef {
                at: "/addressId".into(),
                from: id_ref(0),
            }],
        };
        let mut order = plan("alice", "POST /orders", vec![]);
        order.body = Some(body);
        let plans = vec![
            plan("alice", "POST /addresses", vec![]),
            order,
            plan(
                "bob",
                "GET /orders/{orderId}",
                vec![("orderId", ArgPlan::Ref(id_ref(1)))],
            ),
        ];
        let values = slots(vec![Just(json!({"addressId": 5, "note": "x"})).sboxed()]);
        let mut tree = SequenceTree::new(plans, values, cast());
        let bob_reads_an_order = |s: &Sequence| {
            s.steps
                .iter()
                .any(|st| st.op.as_str() == "GET /orders/{orderId}")
        };
        let seen = shrink(&mut tree, bob_reads_an_order);
        let trail: Vec<(Vec<usize>, bool)> = seen.iter().map(|(_, k, f)| (k.clone(), *f)).collect();
        // Deleting the read fails the predicate; the order cannot go (the read's parameter
        // would dangle); the address can (the order's body reference is dropped).
        assert_eq!(trail[..2], [(vec![0, 1], false), (vec![1, 2], true)]);
        let without_address = &seen[1].0;
        let body = without_address.steps[0].args.body.as_ref().expect("body");
        assert!(body.refs.is_empty(), "{body:?}");
        assert_eq!(
            body.value,
            json!({"addressId": 5, "note": "x"}),
            "the leaf keeps its value"
        );
        assert_eq!(
            without_address.steps[1].args.path.get("orderId"),
            Some(&Arg::Ref(id_ref(0)))
        );
        // No candidate ever names a step that is not there.
        for (candidate, _, _) in &seen {
            for step in &candidate.steps {
                assert!(
                    !step
                        .args
                        .path
                        .values()
                        .any(|a| *a == Arg::Value(Value::Null))
                );
            }
        }
    }

    #[test]
    fn the_last_step_standing_is_never_deleted() {
        let mut tree = SequenceTree::new(
            vec![plan("alice", "GET /teams", vec![])],
            Vec::new(),
            cast(),
        );
        assert!(!tree.simplify(), "nothing smaller than one step");
        assert_eq!(tree.len(), 1);
        let mut tree = SequenceTree::new(
            vec![
                plan("alice", "GET /teams", vec![]),
                plan("alice", "GET /me", vec![]),
            ],
            Vec::new(),
            cast(),
        );
        let seen = shrink(&mut tree, |_| true);
        assert!(seen.iter().all(|(s, _, _)| !s.steps.is_empty()));
        assert_eq!(tree.kept_steps(), [0]);
    }

    #[test]
    fn truncate_after_cuts_the_later_steps() {
        let plans: Vec<StepPlan> = (0..5)
            .map(|i| plan("alice", &format!("GET /s{i}"), vec![]))
            .collect();
        let mut tree = SequenceTree::new(plans, Vec::new(), cast());
        let before = tree.current();
        tree.truncate_after(2);
        assert_eq!(tree.current().steps, before.steps[..3]);
        tree.truncate_after(9);
        assert_eq!(tree.len(), 3, "an index past the end changes nothing");
        // After a deletion, the index is one of the current sequence.
        assert!(tree.simplify());
        assert_eq!(tree.kept_steps(), [0, 1]);
        tree.truncate_after(0);
        assert_eq!(tree.kept_steps(), [0]);
    }

    /// Counts down by one per `simplify` and cannot go back: `complicate` answers false and
    /// leaves the passing value in place, which proptest's contract allows.
    #[derive(Debug, Clone)]
    struct Countdown(i64);

    impl Strategy for Countdown {
        type Tree = Countdown;
        type Value = Value;
        fn new_tree(&self, _: &mut TestRunner) -> NewTree<Self> {
            Ok(self.clone())
        }
    }

    impl ValueTree for Countdown {
        type Value = Value;
        fn current(&self) -> Value {
            json!(self.0)
        }
        fn simplify(&mut self) -> bool {
            if self.0 == 0 {
                return false;
            }
            self.0 -= 1;
            true
        }
        fn complicate(&mut self) -> bool {
            false
        }
    }

    #[test]
    fn values_shrink_one_at_a_time_in_step_order() {
        let plans = vec![
            plan(
                "alice",
                "GET /a/{x}/{y}",
                vec![("x", ArgPlan::Value(0)), ("y", ArgPlan::Value(1))],
            ),
            plan("bob", "GET /b/{z}", vec![("z", ArgPlan::Value(2))]),
        ];
        let values = slots(vec![
            Countdown(8).sboxed(),
            (0i64..1000).prop_map(Value::from).sboxed(),
            Countdown(3).sboxed(),
        ]);
        let mut tree = SequenceTree::new(plans, values, cast());
        let number = |s: &Sequence, step: usize, name: &str| match s.steps[step].args.path.get(name)
        {
            Some(Arg::Value(v)) => v.as_i64().expect("a number"),
            other => panic!("{other:?}"),
        };
        let start = tree.current();
        assert!(number(&start, 0, "y") >= 37, "{start:?}");
        // Fails while x >= 5 and y >= 37 and bob acts: z is free.
        let fails = |s: &Sequence| {
            s.steps.len() == 2
                && s.steps[1].identity.as_str() == "bob"
                && number(s, 0, "x") >= 5
                && number(s, 0, "y") >= 37
        };
        let seen = shrink(&mut tree, fails);
        let end = tree.current();
        assert_eq!(
            (
                number(&end, 0, "x"),
                number(&end, 0, "y"),
                number(&end, 1, "z")
            ),
            (5, 37, 0),
            "each value at its smallest failing point"
        );
        // Which value each candidate changed, relative to the last failure: x, then y, then z.
        let mut last = start;
        let mut order = Vec::new();
        for (candidate, _, failed) in &seen {
            if candidate.steps.len() != 2 || candidate.steps[1].identity != last.steps[1].identity {
                continue;
            }
            for (i, (step, name)) in [(0, "x"), (0, "y"), (1, "z")].into_iter().enumerate() {
                if number(candidate, step, name) != number(&last, step, name)
                    && order.last() != Some(&i)
                {
                    order.push(i);
                }
            }
            if *failed {
                last = candidate.clone();
            }
        }
        // The first round goes x, y, z; the round changed values, so a second one starts
        // again from x (and finds nothing more).
        assert_eq!(order[..3], [0, 1, 2], "{order:?}");
        assert!(order[3..].iter().all(|&i| i == 0), "{order:?}");
    }

    #[test]
    fn a_change_becomes_the_read_of_its_object_unless_the_change_matters() {
        let plans = || {
            let mut patch = plan(
                "alice",
                "PATCH /teams/{teamId}",
                vec![("teamId", ArgPlan::Ref(id_ref(0)))],
            );
            patch.read_instead = OperationId::parse("GET /teams/{teamId}");
            vec![plan("alice", "POST /teams", vec![]), patch]
        };
        // Fails while alice touches the team she created, whatever the method.
        let mut tree = SequenceTree::new(plans(), Vec::new(), cast());
        shrink(&mut tree, |s| {
            s.steps.len() == 2 && s.steps[1].args.path.contains_key("teamId")
        });
        let end = tree.current();
        assert_eq!(
            ops(&end),
            ["alice POST /teams", "alice GET /teams/{teamId}"]
        );
        assert_eq!(
            end.steps[1].args.path.get("teamId"),
            Some(&Arg::Ref(id_ref(0)))
        );
        // Fails only while the change is sent: it stays.
        let mut tree = SequenceTree::new(plans(), Vec::new(), cast());
        shrink(&mut tree, |s| {
            s.steps.len() == 2 && s.steps[1].op.method() == "PATCH"
        });
        assert_eq!(
            ops(&tree.current()),
            ["alice POST /teams", "alice PATCH /teams/{teamId}"]
        );
    }

    #[test]
    fn the_owners_read_after_anothers_change_is_woken_so_the_writer_can_merge() {
        let mut patch = plan(
            "bob",
            "PATCH /teams/{teamId}",
            vec![("teamId", ArgPlan::Ref(id_ref(0)))],
        );
        patch.read_instead = OperationId::parse("GET /teams/{teamId}");
        let mut tree = SequenceTree::new(
            vec![plan("alice", "POST /teams", vec![]), patch],
            Vec::new(),
            cast(),
        );
        // The dormant read is not in the sequence as generated.
        assert_eq!(
            ops(&tree.current()),
            ["alice POST /teams", "bob PATCH /teams/{teamId}"]
        );
        // Like the executor: the owner's view of a change shows the violation, through its
        // own re-read after another identity's change, or through an explicit read.
        let fails = |s: &Sequence| {
            let patched = s.steps.iter().position(|st| st.op.method() == "PATCH");
            patched.is_some_and(|p| {
                s.steps[p].identity.as_str() != "alice"
                    || s.steps[p + 1..].iter().any(|st| {
                        st.op.as_str() == "GET /teams/{teamId}" && st.identity.as_str() == "alice"
                    })
            })
        };
        let seen = shrink(&mut tree, fails);
        assert_eq!(
            ops(&tree.current()),
            [
                "alice POST /teams",
                "alice PATCH /teams/{teamId}",
                "alice GET /teams/{teamId}"
            ]
        );
        assert_eq!(
            tree.kept_steps(),
            [0, 1, 1],
            "the read reports the change it follows"
        );
        assert!(
            seen.iter()
                .any(|(s, _, failed)| *failed && s.steps.len() == 3 && s.identities().len() == 2),
            "woken first, then bob merged into alice"
        );
    }

    #[test]
    fn identities_merge_within_a_role_first_then_across_roles_but_never_anonymous() {
        let plans = vec![
            plan("bob", "GET /a", vec![]),
            plan("carol", "GET /b", vec![]),
            plan("alice", "GET /c", vec![]),
            plan("dave", "GET /d", vec![]),
            plan("anon", "GET /e", vec![]),
        ];
        let role_of = |id: &IdentityId| {
            cast()
                .into_iter()
                .find(|c| &c.id == id)
                .expect("in cast")
                .role
        };
        let names = |s: &Sequence| -> Vec<String> {
            s.steps.iter().map(|st| st.identity.to_string()).collect()
        };
        let mut tree = SequenceTree::new(plans, Vec::new(), cast());
        // Every step must stay; any identity may go.
        let seen = shrink(&mut tree, |s| s.steps.len() == 5);
        let kept: Vec<Vec<String>> = seen
            .iter()
            .filter(|(_, _, failed)| *failed)
            .map(|(s, _, _)| names(s))
            .collect();
        assert_eq!(
            kept[..2],
            [
                ["bob", "carol", "alice", "carol", "anon"],
                ["bob", "carol", "bob", "carol", "anon"],
            ],
            "first within a role: dave into carol (admins), alice into bob (users)"
        );
        for (candidate, _, _) in &seen {
            for st in &candidate.steps {
                assert_eq!(
                    role_of(&st.identity) == Role::Anonymous,
                    st.op.as_str() == "GET /e",
                    "the anonymous identity neither merges nor takes others: {candidate:?}"
                );
            }
        }
        assert_eq!(
            names(&tree.current()),
            ["bob", "bob", "bob", "bob", "anon"],
            "then across roles"
        );
    }
}

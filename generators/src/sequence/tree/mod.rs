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
//!    ([`plan::with_dormant_reads`]): what the executor's re-read showed, an explicit step shows once
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
//!    steps that produced them: the passes from the deletions up to inlining then run once
//!    more (once a round);
//! 7. argument values are simplified (below);
//! 8. when the round changed the sequence, the next one tries every pass again (an inlined
//!    reference or a merge may let a step go), up to [`passes::MAX_ROUNDS`] more rounds.
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
//!
//! The parts: [`plan`] (the steps as generated, with the dormant reads), [`slot`] (one argument
//! value and its value tree), [`view`] (the current sequence, as the shrinking state shows
//! it), [`candidates`] (the inlines and merges a pass tries) and [`passes`] (the order above,
//! `simplify` and `complicate`).

mod candidates;
mod passes;
mod plan;
mod slot;
#[cfg(test)]
mod tests;
mod view;

use indexmap::IndexMap;
use serde_json::Value;

use super::step::{IdentityId, IdentitySpec};
use crate::model::{OperationId, ParameterLocation};
use passes::{Phase, Prev};
use plan::with_dormant_reads;
pub(crate) use plan::{ArgPlan, BodyPlan, StepPlan};
pub(crate) use slot::ValueSlot;

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
}

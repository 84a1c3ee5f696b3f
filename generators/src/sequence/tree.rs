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
//!    deletion that would leave a parameter reference dangling is never offered;
//! 3. argument values are simplified one at a time, each through its own value tree;
//! 4. identities are merged into an earlier identity of the same role (so the roles in the
//!    finding's signature never change) until no more can go.
//!
//! Every candidate is a valid sequence: all references point backwards.

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

/// One generated value with its own value tree. Cloning replays the recorded calls on a fresh
/// tree built from the same runner state, so clones are independent and identical.
pub(crate) struct ValueSlot {
    runner: TestRunner,
    strategy: SBoxedStrategy<Value>,
    /// Every `simplify` (true) and `complicate` (false) call, in order.
    log: Vec<bool>,
    tree: Box<dyn ValueTree<Value = Value>>,
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
            tree,
        })
    }

    fn current(&self) -> Value {
        self.tree.current()
    }

    fn simplify(&mut self) -> bool {
        self.log.push(true);
        self.tree.simplify()
    }

    fn complicate(&mut self) -> bool {
        self.log.push(false);
        self.tree.complicate()
    }
}

impl Clone for ValueSlot {
    fn clone(&self) -> Self {
        let mut runner = self.runner.clone();
        match self.strategy.new_tree(&mut runner) {
            Ok(mut tree) => {
                for &simplify in &self.log {
                    if simplify {
                        tree.simplify();
                    } else {
                        tree.complicate();
                    }
                }
                Self {
                    runner: self.runner.clone(),
                    strategy: self.strategy.clone(),
                    log: self.log.clone(),
                    tree,
                }
            }
            // Generation is deterministic for a given runner state, so this does not happen;
            // if it did, freezing the current value keeps the clone equal to the original.
            Err(_) => {
                let frozen = Just(self.current()).sboxed();
                let mut runner = self.runner.clone();
                let tree = match frozen.new_tree(&mut runner) {
                    Ok(t) => t,
                    Err(_) => Box::new(Just(self.current())),
                };
                Self {
                    runner,
                    strategy: frozen,
                    log: Vec::new(),
                    tree,
                }
            }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Next deletion candidate is the kept step below this index.
    Delete(usize),
    /// Simplifying the value slot at this position of the active-slot list.
    Values(usize),
    /// Trying the identity merge at this position of the candidate list.
    Identities(usize),
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Prev {
    Delete(usize),
    Value(usize),
    Merge(IdentityId),
}

/// The value tree of a generated [`Sequence`], shrinking in the order described in the module
/// documentation. Built by [`super::SequenceStrategy`].
#[derive(Debug, Clone)]
pub struct SequenceTree {
    plans: Vec<StepPlan>,
    slots: Vec<ValueSlot>,
    cast: Vec<IdentitySpec>,
    kept: Vec<bool>,
    /// Steps at or after this index are cut.
    limit: usize,
    /// Identities merged into others while shrinking.
    merged: IndexMap<IdentityId, IdentityId>,
    phase: Phase,
    prev: Option<Prev>,
    /// Identity merges to try, computed when the phase starts.
    merge_candidates: Vec<(IdentityId, IdentityId)>,
}

impl SequenceTree {
    pub(crate) fn new(
        plans: Vec<StepPlan>,
        slots: Vec<ValueSlot>,
        cast: Vec<IdentitySpec>,
    ) -> Self {
        let n = plans.len();
        Self {
            plans,
            slots,
            cast,
            kept: vec![true; n],
            limit: n,
            merged: IndexMap::new(),
            phase: Phase::Delete(n),
            prev: None,
            merge_candidates: Vec::new(),
        }
    }

    /// Cuts every step after `step` (an index into the current sequence, as the executor sees
    /// it: usually the step of the first violation), and restarts shrinking from the deletions.
    /// An index past the end changes nothing.
    pub fn truncate_after(&mut self, step: usize) {
        let original = self.visible().nth(step);
        if let Some(original) = original {
            self.limit = original + 1;
            self.phase = Phase::Delete(self.limit);
            self.prev = None;
        }
    }

    /// Number of steps of the current sequence.
    pub fn len(&self) -> usize {
        self.visible().count()
    }

    /// Whether the current sequence has no step.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Original indices of the steps in the current sequence.
    fn visible(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.limit).filter(|&i| self.kept[i])
    }

    fn identity_of(&self, step: usize) -> &IdentityId {
        let id = &self.plans[step].identity;
        self.merged.get(id).unwrap_or(id)
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
            self.plans[i].params.iter().all(|(_, _, a)| match a {
                ArgPlan::Ref(r) => self.resolve(r, i).is_some(),
                ArgPlan::Value(_) => true,
            })
        })
    }

    /// Slots used by the current steps, in step order, without repeats.
    fn active_slots(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for i in self.visible() {
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
    /// identity of the same role.
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
        out
    }

    fn value(&self, slot: usize) -> Value {
        self.slots.get(slot).map_or(Value::Null, ValueSlot::current)
    }

    fn build_step(&self, i: usize, new_index: &[Option<usize>]) -> Step {
        let plan = &self.plans[i];
        let remap = |r: &Ref| -> Option<Ref> {
            let target = self.resolve(r, i)?;
            Some(Ref {
                step: new_index[target]?,
                source: r.source.clone(),
            })
        };
        let mut args = Args::default();
        for (location, name, arg) in &plan.params {
            let arg = match arg {
                ArgPlan::Value(s) => Arg::Value(self.value(*s)),
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
        if let Some(body) = &plan.body {
            let mut value = self.value(body.slot);
            if let Value::Object(map) = &mut value {
                for (name, slot) in &body.extra {
                    map.insert(name.clone(), self.value(*slot));
                }
            }
            let mut refs = Vec::new();
            for r in &body.refs {
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
            op: plan.op.clone(),
            auth: plan.auth,
            args,
        }
    }
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
        while let Phase::Delete(next) = self.phase {
            if next == 0 {
                self.phase = Phase::Values(0);
                break;
            }
            let i = next - 1;
            self.phase = Phase::Delete(i);
            if !self.kept[i] {
                continue;
            }
            self.kept[i] = false;
            if self.params_resolve() {
                self.prev = Some(Prev::Delete(i));
                return true;
            }
            self.kept[i] = true;
        }
        while let Phase::Values(pos) = self.phase {
            let active = self.active_slots();
            let Some(&slot) = active.get(pos) else {
                self.phase = Phase::Identities(0);
                self.merge_candidates = self.compute_merges();
                break;
            };
            if self.slots[slot].simplify() {
                self.prev = Some(Prev::Value(slot));
                return true;
            }
            self.phase = Phase::Values(pos + 1);
        }
        while let Phase::Identities(pos) = self.phase {
            let Some((from, into)) = self.merge_candidates.get(pos).cloned() else {
                self.phase = Phase::Done;
                break;
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
        false
    }

    fn complicate(&mut self) -> bool {
        match self.prev.take() {
            None => false,
            Some(Prev::Delete(i)) => {
                self.kept[i] = true;
                true
            }
            Some(Prev::Value(slot)) => {
                let more = self.slots[slot].complicate();
                if more {
                    self.prev = Some(Prev::Value(slot));
                }
                more
            }
            Some(Prev::Merge(from)) => {
                self.merged.shift_remove(&from);
                true
            }
        }
    }
}

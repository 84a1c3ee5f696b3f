//! The current sequence as the shrinking state shows it: which steps are kept, who sends each
//! after the merges, where each reference points after the deletions, and the [`Step`]s built
//! from the plans with inlined and substituted steps applied.

use serde_json::Value;

use super::super::step::{Arg, Args, BodyArg, BodyRef, IdentityId, Ref, Sequence, Step};
use super::{ArgPlan, RefSite, SequenceTree, ValueSlot};
use crate::model::{OperationId, ParameterLocation};

impl SequenceTree {
    /// The current sequence: the visible steps, references re-numbered.
    pub(super) fn current_sequence(&self) -> Sequence {
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

    /// Original indices of the steps in the current sequence.
    pub(super) fn visible(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.limit).filter(|&i| self.kept[i])
    }

    /// Who sends original step `step` now: its identity, followed through the merges (one
    /// identity merged into another that was merged later).
    pub(super) fn identity_of(&self, step: usize) -> &IdentityId {
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
    pub(super) fn resolve(&self, r: &Ref, consumer: usize) -> Option<usize> {
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
    pub(super) fn params_resolve(&self) -> bool {
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
    pub(super) fn active_slots(&self) -> Vec<usize> {
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

    fn value(&self, slot: usize) -> Value {
        self.slots.get(slot).map_or(Value::Null, ValueSlot::current)
    }

    /// Step `i` of the current sequence, its references re-numbered by `new_index`.
    fn build_step(&self, i: usize, new_index: &[Option<usize>]) -> Step {
        let plan = &self.plans[i];
        // A substituted step is the read: the path parameters it names, no body.
        let read = plan.read_instead.as_ref().filter(|_| self.substituted[i]);
        let mut args = self.build_params(i, read, new_index);
        if read.is_none() {
            args.body = self.build_body(i, new_index);
        }
        let violates = self.violates(i, &args);
        Step {
            identity: self.identity_of(i).clone(),
            op: read.unwrap_or(&plan.op).clone(),
            auth: plan.auth,
            args,
            violates,
        }
    }

    /// The labels of step `i` as built (`args`): those of the slots of the parameters it
    /// sends (`payload sql at query/q`), and with its body those of the body's slots and
    /// the body's own; a label of a body place that an extra field or a reference fills
    /// instead is dropped.
    fn violates(&self, i: usize, args: &Args) -> Vec<String> {
        let plan = &self.plans[i];
        let mut out: Vec<String> = Vec::new();
        for (location, name, arg) in &plan.params {
            let ArgPlan::Value(s) = arg else { continue };
            let sent = match location {
                ParameterLocation::Path => &args.path,
                ParameterLocation::Query => &args.query,
                ParameterLocation::Header => &args.header,
                ParameterLocation::Cookie => &args.cookie,
            };
            if sent.contains_key(name) {
                out.extend(self.slots[*s].violates().iter().cloned());
            }
        }
        let (Some(body), Some(sent)) = (&plan.body, &args.body) else {
            return out;
        };
        let filled: Vec<String> = body
            .extra
            .iter()
            .map(|(name, _)| format!("/{}", crate::pointer::escape(name)))
            .chain(sent.refs.iter().map(|r| r.at.clone()))
            .collect();
        let overwritten = |label: &str| {
            label.rsplit_once(" at ").is_some_and(|(_, at)| {
                filled
                    .iter()
                    .any(|f| at == f || at.starts_with(&format!("{f}/")))
            })
        };
        for label in self.slots[body.slot].violates() {
            if !overwritten(label) {
                out.push(label.clone());
            }
        }
        for (_, s) in &body.extra {
            out.extend(self.slots[*s].violates().iter().cloned());
        }
        out.extend(body.violates.iter().cloned());
        out.dedup();
        out
    }

    /// Reference `r` of step `i`, re-numbered by `new_index`; `None` when it dangles.
    fn remap(&self, r: &Ref, i: usize, new_index: &[Option<usize>]) -> Option<Ref> {
        let target = self.resolve(r, i)?;
        Some(Ref {
            step: new_index[target]?,
            source: r.source.clone(),
        })
    }

    /// The parameters of step `i` (only the path parameters `read` names, when the step is
    /// sent as that read), inlined references as their values.
    fn build_params(
        &self,
        i: usize,
        read: Option<&OperationId>,
        new_index: &[Option<usize>],
    ) -> Args {
        let plan = &self.plans[i];
        let read_params: Vec<&str> =
            read.map_or_else(Vec::new, |r| crate::model::path_template_params(r.path()));
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
                ArgPlan::Ref(r) => self
                    .remap(r, i, new_index)
                    .map_or(Arg::Value(Value::Null), Arg::Ref),
            };
            let map = match location {
                ParameterLocation::Path => &mut args.path,
                ParameterLocation::Query => &mut args.query,
                ParameterLocation::Header => &mut args.header,
                ParameterLocation::Cookie => &mut args.cookie,
            };
            map.insert(name.clone(), arg);
        }
        args
    }

    /// The body of step `i`: its value with the extra fields, inlined references written in,
    /// the other references re-numbered (dropped when they dangle).
    fn build_body(&self, i: usize, new_index: &[Option<usize>]) -> Option<BodyArg> {
        let body = self.plans[i].body.as_ref()?;
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
            let Some(from) = self.remap(&r.from, i, new_index) else {
                continue;
            };
            if ensure_leaf(&mut value, &r.at) {
                refs.push(BodyRef {
                    at: r.at.clone(),
                    from,
                });
            }
        }
        Some(BodyArg {
            media_type: body.media_type.clone(),
            value,
            refs,
        })
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
    let key = crate::pointer::unescape(last).into_owned();
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key, Value::Null);
            true
        }
        _ => false,
    }
}

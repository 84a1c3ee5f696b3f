//! The candidates of the passes that compute theirs when they start: references to inline with
//! the values to try ([`SequenceTree::compute_inlines`]) and identity merges
//! ([`SequenceTree::compute_merges`]).

use indexmap::IndexMap;
use serde_json::Value;

use super::super::step::{IdentityId, Ref, Role};
use super::{ArgPlan, RefSite, SequenceTree};

impl SequenceTree {
    /// The references of the current steps that have an observed value and are not inlined
    /// yet, grouped by the value they refer to (the same field of the same earlier answer: they
    /// are replaced together, so the step that produced it can go), each group with the values
    /// to try: small ids first (`1`, `2`, `3`) when the observed value is a larger integer (a
    /// seeded object that exists after every reset may do), then the values suggested for the
    /// first reference of the group ([`SequenceTree::suggest`]), then the observed value.
    pub(super) fn compute_inlines(&self) -> Vec<(Vec<RefSite>, Value)> {
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

    fn role_of(&self, id: &IdentityId) -> Option<Role> {
        self.cast.iter().find(|c| &c.id == id).map(|c| c.role)
    }

    /// Merges to try: each acting identity, from the last to appear, into an earlier acting
    /// identity of the same role; then each into any other acting identity of another role
    /// (an admin's setup steps done by the user who reads, when the violation's roles do not
    /// name the admin). The anonymous identity never merges: its steps carry no credentials.
    /// Every candidate is judged against the violation's signature, roles included.
    pub(super) fn compute_merges(&self) -> Vec<(IdentityId, IdentityId)> {
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
        let named = |id: &IdentityId| self.role_of(id).filter(|r| *r != Role::Anonymous);
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
}

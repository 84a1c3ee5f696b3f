//! The steps as generated ([`StepPlan`]): arguments are value slots or references, and the
//! dormant reads shrinking may add ([`with_dormant_reads`]).

use super::super::step::{AuthMode, BodyRef, IdentityId, Ref};
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
    /// What the body deliberately breaks beyond its slots' own labels (the privileged fields
    /// of a mass assignment: `readOnly at /role`).
    pub violates: Vec<String>,
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
    pub(super) fn slots(&self) -> impl Iterator<Item = usize> + '_ {
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
pub(super) fn with_dormant_reads(
    plans: Vec<StepPlan>,
) -> (Vec<StepPlan>, Vec<usize>, Vec<Option<usize>>) {
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

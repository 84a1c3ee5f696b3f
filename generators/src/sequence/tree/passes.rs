//! The passes of a round, in order, and the proptest protocol: `simplify` offers the next
//! candidate of the current pass, `complicate` undoes a rejected one and moves on.

use proptest::strategy::ValueTree;

use super::super::step::{IdentityId, Sequence};
use super::{RefSite, SequenceTree};

/// Shrinking rounds after the first, at most (each one only while the last changed something).
pub(super) const MAX_ROUNDS: usize = 3;

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
pub(super) enum Phase {
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
pub(super) enum Prev {
    Delete(usize),
    Substitute(usize),
    Wake(usize),
    Inline(Vec<RefSite>),
    Value(usize),
    Merge(IdentityId),
}

impl ValueTree for SequenceTree {
    type Value = Sequence;

    fn current(&self) -> Sequence {
        self.current_sequence()
    }

    fn simplify(&mut self) -> bool {
        // `simplify` is called on a failing candidate: the change that made it was kept.
        if self.prev.take().is_some() {
            self.progress = true;
        }
        self.next_candidate()
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
    /// Offers the next candidate of the current pass, moving on through the passes (and
    /// rounds) as each runs out; false at the end.
    fn next_candidate(&mut self) -> bool {
        loop {
            let offered = match self.phase {
                Phase::Delete(next) => self.next_deletion(next),
                Phase::Identities(pos) => self.next_merge(pos),
                Phase::Wake(next) => self.next_wake(next),
                Phase::Substitute(next) => self.next_substitute(next),
                Phase::Inline(pos) => self.next_inline(pos),
                Phase::Values(pos) => self.next_value(pos),
                Phase::Done => return false,
            };
            if offered {
                return true;
            }
        }
    }

    /// Deletes the next kept step below `next` whose deletion leaves every parameter
    /// reference resolved; false (and the next pass) when there is none.
    fn next_deletion(&mut self, mut next: usize) -> bool {
        while next > 0 {
            let i = next - 1;
            next = i;
            self.phase = Phase::Delete(i);
            // An empty sequence shows nothing: the last step standing stays.
            if !self.kept[i] || self.len() <= 1 {
                continue;
            }
            self.kept[i] = false;
            if self.params_resolve() {
                self.prev = Some(Prev::Delete(i));
                return true;
            }
            self.kept[i] = true;
        }
        self.advance(Pass::Delete);
        false
    }

    /// Tries the identity merge at `pos` of the candidate list, and the next ones.
    fn next_merge(&mut self, mut pos: usize) -> bool {
        while let Some((from, into)) = self.merge_candidates.get(pos).cloned() {
            pos += 1;
            self.phase = Phase::Identities(pos);
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
        self.advance(Pass::Merge);
        false
    }

    /// Wakes the next dormant read below `next` whose change is still kept.
    fn next_wake(&mut self, mut next: usize) -> bool {
        while let Some(i) = next.checked_sub(1) {
            next = i;
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
        self.advance(Pass::Wake);
        false
    }

    /// Sends the next change or delete below `next` as the read of its object.
    fn next_substitute(&mut self, mut next: usize) -> bool {
        while let Some(i) = next.checked_sub(1) {
            next = i;
            self.phase = Phase::Substitute(i);
            if !self.kept[i] || self.substituted[i] || self.plans[i].read_instead.is_none() {
                continue;
            }
            self.substituted[i] = true;
            self.prev = Some(Prev::Substitute(i));
            return true;
        }
        self.advance(Pass::Substitute);
        false
    }

    /// Inlines the candidate at `pos` of the list, or the next one whose references are all
    /// still there.
    fn next_inline(&mut self, mut pos: usize) -> bool {
        while let Some((sites, value)) = self.inline_candidates.get(pos).cloned() {
            pos += 1;
            self.phase = Phase::Inline(pos);
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
        self.advance(Pass::Inline);
        false
    }

    /// Simplifies the value of the active slot at `pos`, or of the next one that can.
    fn next_value(&mut self, mut pos: usize) -> bool {
        let active = self.active_slots();
        while let Some(&slot) = active.get(pos) {
            if self.slots[slot].simplify() {
                self.prev = Some(Prev::Value(slot));
                return true;
            }
            pos += 1;
            self.phase = Phase::Values(pos);
        }
        self.advance(Pass::Values);
        false
    }

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

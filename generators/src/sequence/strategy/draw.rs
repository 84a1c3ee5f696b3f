//! The top-level choices: every one is a number drawn with [`Gen::below`], from the runner or
//! from the fuzzer's choices, and the sets they are drawn from.

use proptest::prelude::Rng;

use super::super::step::{IdentitySpec, Ref};
use super::Gen;

impl Gen<'_, '_> {
    /// A number in `0..n` (0 when `n` is 0 or 1), by multiply-and-shift: every draw gives an
    /// answer (no rejection), so any input, zeros included, yields a sequence.
    pub(super) fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let x = match &mut self.choices {
            Some(choices) => choices(),
            None => self.runner.rng().next_u32(),
        };
        ((u64::from(x) * n as u64) >> 32) as usize
    }

    /// True with probability `num / den`.
    pub(super) fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    /// A number in `0..n`, or `None` when `n` is 0.
    pub(super) fn below_opt(&mut self, n: usize) -> Option<usize> {
        (n > 0).then(|| self.below(n))
    }

    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[self.below(items.len())])
        }
    }

    /// Whether patterns may aim at `op`: the catalog aims at it and, in a focused
    /// extension, it is in the focus.
    pub(super) fn aimed(&self, op: usize) -> bool {
        self.cat.aimed(op) && (self.focus.is_empty() || self.focus.contains(&op))
    }

    pub(super) fn full(&self) -> bool {
        self.plans.len() >= self.limit
    }

    pub(super) fn identities_where(&self, f: impl Fn(usize, &IdentitySpec) -> bool) -> Vec<usize> {
        (0..self.cast.len())
            .filter(|&i| f(i, &self.cast[i]))
            .collect()
    }

    /// One of `candidates` (non-empty, in step order): the latest half of the time, since the
    /// step just before is usually the one a pattern set up.
    pub(super) fn pick_echo(&mut self, candidates: &[Ref]) -> Ref {
        let latest = candidates.iter().map(|r| r.step).max().unwrap_or(0);
        let latest: Vec<&Ref> = candidates.iter().filter(|r| r.step == latest).collect();
        if self.chance(1, 2) {
            latest[self.below(latest.len())].clone()
        } else {
            candidates[self.below(candidates.len())].clone()
        }
    }
}

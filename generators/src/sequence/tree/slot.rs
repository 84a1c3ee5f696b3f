//! [`ValueSlot`]: one generated argument value and its value tree, cheap to clone.

use std::fmt;

use proptest::strategy::{Just, SBoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Reason, TestRunner};
use serde_json::Value;

use crate::values::attack::Labelled;

/// One generated value with its own value tree, and the labels of what it deliberately
/// breaks or attacks (see [`crate::sequence::Step::violates`]). The current value is kept at hand; the tree is
/// rebuilt only when a clone first shrinks, by replaying the recorded calls on a fresh tree
/// from the same runner state, so clones are cheap, independent and identical.
pub(crate) struct ValueSlot {
    runner: TestRunner,
    strategy: SBoxedStrategy<Labelled>,
    /// Every `simplify` (true) and `complicate` (false) call, in order.
    log: Vec<bool>,
    /// Length of `log` when the value was last known to fail: `simplify` is only called on a
    /// failing sequence, so every call records the point to come back to.
    failing: usize,
    /// The tree's current value.
    value: Labelled,
    /// The value tree; `None` in a clone until it is first needed.
    tree: Option<Box<dyn ValueTree<Value = Labelled>>>,
}

impl ValueSlot {
    /// Draws a value from `strategy` with `runner`.
    pub fn new(strategy: SBoxedStrategy<Value>, runner: &mut TestRunner) -> Result<Self, Reason> {
        Self::labelled(strategy.prop_map(|v| (v, Vec::new())).sboxed(), runner)
    }

    /// Draws a labelled value from `strategy` with `runner`.
    pub fn labelled(
        strategy: SBoxedStrategy<Labelled>,
        runner: &mut TestRunner,
    ) -> Result<Self, Reason> {
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

    pub(super) fn current(&self) -> Value {
        self.value.0.clone()
    }

    /// The labels of the current value.
    pub(super) fn violates(&self) -> &[String] {
        &self.value.1
    }

    /// A fresh tree with the first `calls` recorded calls replayed.
    fn replay(&self, calls: usize) -> Box<dyn ValueTree<Value = Labelled>> {
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

    fn tree(&mut self) -> &mut Box<dyn ValueTree<Value = Labelled>> {
        let tree = match self.tree.take() {
            Some(tree) => tree,
            None => self.replay(self.log.len()),
        };
        self.tree.insert(tree)
    }

    pub(super) fn simplify(&mut self) -> bool {
        self.failing = self.log.len();
        // The tree first: a clone rebuilds it from the calls logged so far.
        let tree = self.tree();
        let changed = tree.simplify();
        self.value = tree.current();
        self.log.push(true);
        changed
    }

    pub(super) fn complicate(&mut self) -> bool {
        let tree = self.tree();
        let changed = tree.complicate();
        self.value = tree.current();
        self.log.push(false);
        changed
    }

    /// Goes back to the value that last failed (the one `simplify` was last called on), for
    /// when the value tree cannot complicate any more: proptest's trees leave their current
    /// value unspecified then.
    pub(super) fn restore_failing(&mut self) {
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

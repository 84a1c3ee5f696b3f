//! A filtering strategy that retries internally.
//!
//! `prop_filter` counts every rejected candidate against the runner's `max_local_rejects`,
//! which is a budget for the whole run, not per case: a filter that rejects half of its
//! candidates aborts a long campaign after about 65 000 values. [`Checked`] instead retries up
//! to [`MAX_TRIES`] times per value and never touches the runner's counters. It is only built
//! after a [`probe`] showed that the predicate accepts a fair share of the candidates, so the
//! retry limit is never reached in practice (at a 5% acceptance rate the chance of 2 000
//! misses in a row is below 10^-44).
//!
//! Shrinking follows `proptest::strategy::Filter`: a simplification that leaves the accepted
//! set is complicated back until the value is accepted again.
//!
//! [`one_of`] is `proptest`'s weighted `Union` with every alternative [`Fused`]: the union's
//! tree calls `complicate()` on an alternative whose last `simplify()` failed, and tuple and
//! option trees then move to another value, so "simplify, then complicate until false" would
//! not come back to where it started (`check_strategy_sanity` catches it). A fused tree has
//! nothing to undo after a failed simplification and says so.

use std::fmt;
use std::sync::Arc;

use proptest::strategy::{NewTree, SBoxedStrategy, Strategy, Union, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

/// Candidates drawn per value before [`Checked`] gives up.
pub(crate) const MAX_TRIES: u32 = 2_000;

/// Candidates a [`probe`] draws at most.
const PROBE_SAMPLES: u32 = 80;

/// Accepted candidates a [`probe`] needs.
const PROBE_ACCEPTS: u32 = 4;

/// A shared predicate over generated values.
pub(crate) type Predicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// The values of `source` that `predicate` accepts.
#[derive(Clone)]
pub(crate) struct Checked<S> {
    source: S,
    predicate: Predicate,
    whence: Arc<str>,
}

impl<S> fmt::Debug for Checked<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checked")
            .field("whence", &self.whence)
            .finish_non_exhaustive()
    }
}

impl<S> Checked<S> {
    pub(crate) fn new(source: S, predicate: Predicate, whence: impl Into<Arc<str>>) -> Self {
        Self {
            source,
            predicate,
            whence: whence.into(),
        }
    }
}

impl<S: Strategy<Value = Value>> Strategy for Checked<S> {
    type Tree = CheckedTree<S::Tree>;
    type Value = Value;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        for _ in 0..MAX_TRIES {
            let tree = self.source.new_tree(runner)?;
            let current = tree.current();
            if (self.predicate)(&current) {
                return Ok(CheckedTree {
                    source: tree,
                    predicate: Arc::clone(&self.predicate),
                    accepted: current,
                    stuck: false,
                });
            }
        }
        Err(format!("{MAX_TRIES} candidates in a row rejected: {}", self.whence).into())
    }
}

/// The value tree of [`Checked`].
#[derive(Clone)]
pub(crate) struct CheckedTree<T> {
    source: T,
    predicate: Predicate,
    /// The last accepted value, returned if the source cannot be brought back to an accepted
    /// one (which proptest's own `Filter` answers with a panic).
    accepted: Value,
    stuck: bool,
}

impl<T: fmt::Debug> fmt::Debug for CheckedTree<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedTree")
            .field("source", &self.source)
            .field("accepted", &self.accepted)
            .finish_non_exhaustive()
    }
}

impl<T: ValueTree<Value = Value>> CheckedTree<T> {
    fn ensure_acceptable(&mut self) {
        loop {
            let current = self.source.current();
            if (self.predicate)(&current) {
                self.accepted = current;
                return;
            }
            if !self.source.complicate() {
                self.stuck = true;
                return;
            }
        }
    }
}

impl<T: ValueTree<Value = Value>> ValueTree for CheckedTree<T> {
    type Value = Value;

    fn current(&self) -> Value {
        self.accepted.clone()
    }

    fn simplify(&mut self) -> bool {
        if self.stuck || !self.source.simplify() {
            return false;
        }
        self.ensure_acceptable();
        !self.stuck
    }

    fn complicate(&mut self) -> bool {
        if self.stuck || !self.source.complicate() {
            return false;
        }
        self.ensure_acceptable();
        !self.stuck
    }
}

/// A strategy whose tree does not `complicate()` after a failed `simplify()`.
#[derive(Debug, Clone)]
pub(crate) struct Fused<S>(pub(crate) S);

impl<S: Strategy> Strategy for Fused<S> {
    type Tree = FusedTree<S::Tree>;
    type Value = S::Value;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        Ok(FusedTree {
            inner: self.0.new_tree(runner)?,
            undo: false,
        })
    }
}

/// The tree of [`Fused`].
#[derive(Debug, Clone)]
pub(crate) struct FusedTree<T> {
    inner: T,
    /// Whether the last simplification succeeded and can still be undone.
    undo: bool,
}

impl<T: ValueTree> ValueTree for FusedTree<T> {
    type Value = T::Value;

    fn current(&self) -> T::Value {
        self.inner.current()
    }

    fn simplify(&mut self) -> bool {
        self.undo = self.inner.simplify();
        self.undo
    }

    fn complicate(&mut self) -> bool {
        if !self.undo {
            return false;
        }
        let complicated = self.inner.complicate();
        self.undo = complicated;
        complicated
    }
}

/// `.fused()`: the strategy boxed (thread-safe) behind a [`Fused`] tree. Every strategy that
/// becomes part of a composite (object fields, array items, tuple members, union
/// alternatives) is fused, so the composite's shrinking keeps proptest's contract.
pub(crate) trait FuseExt: Strategy + Send + Sync + Sized + 'static
where
    Self::Value: fmt::Debug,
    Self::Tree: 'static,
{
    fn fused(self) -> SBoxedStrategy<Self::Value> {
        Fused(self).sboxed()
    }
}

impl<S> FuseExt for S
where
    S: Strategy + Send + Sync + 'static,
    S::Value: fmt::Debug,
    S::Tree: 'static,
{
}

/// A weighted choice among `alternatives` (shrinking toward the first), each [`Fused`].
pub(crate) fn one_of<T: fmt::Debug + 'static>(
    alternatives: Vec<(u32, SBoxedStrategy<T>)>,
) -> SBoxedStrategy<T> {
    let mut fused: Vec<(u32, SBoxedStrategy<T>)> = alternatives
        .into_iter()
        .map(|(w, s)| (w, Fused(s).sboxed()))
        .collect();
    if fused.len() == 1
        && let Some((_, s)) = fused.pop()
    {
        return s;
    }
    // The union itself too: after a failed simplification it may still hold a previous pick
    // that `complicate()` would switch back to.
    Fused(Union::new_weighted(fused)).sboxed()
}

/// Whether `predicate` accepts enough values of `source` for [`Checked`] to be reliable:
/// [`PROBE_ACCEPTS`] accepted among at most [`PROBE_SAMPLES`] candidates, drawn with a fixed
/// seed so that the decision is reproducible.
pub(crate) fn probe<S: Strategy<Value = Value>>(source: &S, predicate: &Predicate) -> bool {
    let config = Config {
        max_local_rejects: 10_000,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let mut accepted = 0;
    for _ in 0..PROBE_SAMPLES {
        if let Ok(tree) = source.new_tree(&mut runner)
            && predicate(&tree.current())
        {
            accepted += 1;
            if accepted >= PROBE_ACCEPTS {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;

    use super::*;

    fn even() -> Predicate {
        Arc::new(|v: &Value| v.as_i64().is_some_and(|n| n % 2 == 0))
    }

    #[test]
    fn accepted_values_only_while_shrinking() {
        let source = (0i64..1000).prop_map(Value::from);
        let checked = Checked::new(source, even(), "even");
        let mut runner = TestRunner::deterministic();
        for _ in 0..50 {
            let mut tree = checked.new_tree(&mut runner).unwrap();
            let start = tree.current().as_i64().unwrap();
            assert!(start % 2 == 0);
            while tree.simplify() {
                assert!(tree.current().as_i64().unwrap() % 2 == 0);
            }
            assert!(tree.current().as_i64().unwrap() <= start);
        }
        // The runner's reject budget is untouched.
        assert!(runner.to_string().contains("local rejects: 0"), "{runner}");
    }

    #[test]
    fn probe_tells_rare_from_common() {
        let source = (0i64..1000).prop_map(Value::from);
        assert!(probe(&source, &even()));
        let never: Predicate = Arc::new(|v: &Value| v.as_i64() == Some(-1));
        assert!(!probe(&source, &never));
        let checked = Checked::new(source, never, "never");
        let err = checked
            .new_tree(&mut TestRunner::deterministic())
            .unwrap_err();
        assert!(err.to_string().contains("never"), "{err}");
    }

    #[test]
    fn sanity() {
        let checked = Checked::new((0i64..1000).prop_map(Value::from), even(), "even");
        proptest::strategy::check_strategy_sanity(
            checked,
            Some(proptest::strategy::CheckStrategySanityOptions {
                strict_complicate_after_simplify: false,
                ..Default::default()
            }),
        );
    }
}

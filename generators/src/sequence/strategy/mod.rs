//! [`SequenceStrategy`]: generates sequences by walking the reference state machine, aiming at
//! the patterns the authorization oracles need.
//!
//! A sequence is a few *moves*. Each move is one pattern, chosen by weight
//! ([`PatternWeights`]), that appends the steps it needs, creating prerequisite objects on the
//! way (an identity's own account from `GET /me`, a parent object, ...):
//!
//! | pattern | steps |
//! | --- | --- |
//! | cross-identity | X obtains an object; Y (any other identity, anonymous and admin included) reads, updates, deletes or lists it |
//! | foreign parent | X obtains a parent object; Y creates or lists children under it |
//! | admin by non-admin | a user or anonymous identity calls an admin operation |
//! | no credentials | a secured operation sent with no or invalid credentials |
//! | mass assignment | a create or update whose body carries read-only or privileged fields |
//! | delete then use | an object is deleted, then read, updated or deleted again |
//! | random | any operation whose preconditions hold, by any identity |
//! | echo | a query parameter or body field takes a value from an earlier response, the request sometimes sent twice |
//! | change then observe | X changes its object, reads it back, and an identity lists that kind |
//! | negative | an entitled identity sends a body that breaks exactly one constraint of its schema |
//!
//! A step is only generated when its preconditions hold: every argument that names an object
//! of a kind the API can produce is a reference to a step that produced one. The top-level
//! choices (patterns, kinds, identities, objects) are plain numbers drawn one at a time, with
//! no `prop_flat_map`, so that [`crate::fuzz`] can feed them from fuzzer bytes while the
//! argument values come from the very same value strategies.
//!
//! The parts: [`config`] (limits and weights), [`draw`] (the top-level choices), [`patterns`]
//! (one function per pattern), [`objects`] (obtaining and choosing the objects a pattern
//! acts on) and [`step`] (one step: its arguments, its body, its effect on the reference
//! state).

mod config;
mod draw;
mod objects;
mod patterns;
mod step;

use std::sync::Arc;

use proptest::strategy::{NewTree, Strategy};
use proptest::test_runner::TestRunner;

use super::catalog::Catalog;
use super::state::ModelState;
use super::step::{IdentitySpec, Ref, Sequence};
use super::tree::{SequenceTree, StepPlan, ValueSlot};
use crate::model::{ApiModel, OperationId};
pub use config::{PatternWeights, SequenceConfig};

/// Generates [`Sequence`]s for one API model and one cast of identities; its tree is a
/// [`SequenceTree`]. Cheap to clone.
#[derive(Debug, Clone)]
#[must_use = "strategies do nothing unless used"]
pub struct SequenceStrategy {
    catalog: Arc<Catalog>,
    cast: Arc<Vec<IdentitySpec>>,
    config: SequenceConfig,
}

impl SequenceStrategy {
    /// A strategy over `model` acting as `identities` (the default cast of
    /// [`IdentitySpec::default_cast`] when empty), with the default configuration.
    pub fn new(model: &ApiModel, identities: &[IdentitySpec]) -> Self {
        let cast = if identities.is_empty() {
            IdentitySpec::default_cast()
        } else {
            identities.to_vec()
        };
        Self {
            catalog: Arc::new(Catalog::new(model)),
            cast: Arc::new(cast),
            config: SequenceConfig::default(),
        }
    }

    /// The same strategy with another configuration.
    pub fn with_config(mut self, config: SequenceConfig) -> Self {
        self.config = config;
        self
    }

    /// The same strategy narrowed to `selection` (see [`super::Selection`]): excluded
    /// operations are never sent, not even to set up prerequisites, and with an include list
    /// only the included operations are aimed at (others only produce their inputs).
    /// Narrowing twice applies both.
    pub fn with_selection(mut self, selection: &super::Selection) -> Self {
        if !selection.is_all() {
            let mut catalog = Catalog::clone(&self.catalog);
            catalog.restrict(selection);
            self.catalog = Arc::new(catalog);
        }
        self
    }

    /// The identities the sequences act as.
    pub fn identities(&self) -> &[IdentitySpec] {
        &self.cast
    }

    /// The operations never sent because a required parameter or the required body admits no
    /// value the generators can produce, each with why (naming the schema's pointer): sending
    /// `null` in its place would pass an invalid request off as a valid one.
    pub fn skipped(&self) -> Vec<(crate::model::OperationId, String)> {
        self.catalog
            .skipped()
            .map(|(op, why)| (op.clone(), why.to_string()))
            .collect()
    }
}

impl Strategy for SequenceStrategy {
    type Tree = SequenceTree;
    type Value = Sequence;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        self.generate(runner, None)
    }
}

impl SequenceStrategy {
    /// A tree whose top-level choices are read from `choices` (one `u32` each) and whose
    /// argument values are drawn from `runner`: the byte-driven entry of [`crate::fuzz`].
    pub(crate) fn new_tree_with_choices(
        &self,
        runner: &mut TestRunner,
        choices: &mut dyn FnMut() -> u32,
    ) -> NewTree<Self> {
        self.generate(runner, Some(choices))
    }

    /// A tree whose sequence is generated with `runners[0]` as [`Strategy::new_tree`] does,
    /// then *extended* once with each further runner: a few more moves (the same patterns)
    /// on the state the steps before left, so that they reuse its objects (another identity
    /// reads or changes what an earlier step created, a child goes under its parent). Each
    /// extension adds at most half of [`SequenceConfig::max_steps`] steps, and the sequence
    /// never passes twice that. The same runners give the same tree: the coverage feedback
    /// of a campaign extends the sequences that reached new behaviour this way and stays
    /// replayable from its seed. No runner: an error.
    pub fn new_tree_extended(&self, runners: &mut [TestRunner]) -> NewTree<Self> {
        let Some((first, rest)) = runners.split_first_mut() else {
            return Err("no runner to generate a sequence with".into());
        };
        let mut extensions: Vec<Extension<'_>> = rest
            .iter_mut()
            .map(|runner| Extension { runner, focus: &[] })
            .collect();
        self.new_tree_focused(first, &mut extensions)
    }

    /// [`SequenceStrategy::new_tree_extended`] whose extensions may each be *focused*: their
    /// moves aim at the operations of [`Extension::focus`] only (every pattern, with its
    /// prerequisites made by whatever operations make them), the way a selection
    /// ([`SequenceStrategy::with_selection`]) narrows a whole campaign. The coverage feedback
    /// focuses an extension on the operations its campaign has sent least. Operations the
    /// strategy does not know, or never aims at, are left out of a focus; a focus left empty
    /// is none.
    pub fn new_tree_focused(
        &self,
        first: &mut TestRunner,
        extensions: &mut [Extension<'_>],
    ) -> NewTree<Self> {
        let mut generator = self.generator(first, None);
        generator.run()?;
        let cap = 2 * self.config.max_steps.max(1);
        for extension in extensions {
            generator.focus = self.catalog.focus(extension.focus);
            let room = if generator.focus.is_empty() {
                self.config.max_steps.max(2) / 2
            } else {
                self.config.max_steps.max(1)
            };
            generator.limit = (generator.plans.len() + room).min(cap);
            generator.runner = &mut *extension.runner;
            generator.run()?;
        }
        let Gen { plans, slots, .. } = generator;
        Ok(SequenceTree::new(plans, slots, self.cast.to_vec()))
    }

    /// The operations the strategy's patterns aim at (neither excluded nor outside its
    /// selection), in the model's order: what a focus may name.
    pub fn aimed_operations(&self) -> Vec<OperationId> {
        (0..self.catalog.ops.len())
            .filter(|&op| !self.catalog.excluded(op) && self.catalog.aimed(op))
            .map(|op| self.catalog.ops[op].id.clone())
            .collect()
    }

    fn generate(
        &self,
        runner: &mut TestRunner,
        choices: Option<&mut dyn FnMut() -> u32>,
    ) -> NewTree<Self> {
        let mut generator = self.generator(runner, choices);
        generator.run()?;
        let Gen { plans, slots, .. } = generator;
        Ok(SequenceTree::new(plans, slots, self.cast.to_vec()))
    }

    fn generator<'a, 'c>(
        &'a self,
        runner: &'a mut TestRunner,
        choices: Option<&'a mut (dyn FnMut() -> u32 + 'c)>,
    ) -> Gen<'a, 'c> {
        Gen {
            cat: &self.catalog,
            cast: &self.cast,
            config: &self.config,
            runner,
            choices,
            plans: Vec::new(),
            producers: Vec::new(),
            slots: Vec::new(),
            state: ModelState::default(),
            setting_up: 0,
            producing: 0,
            own_parents: false,
            negative: false,
            forced_echo: None,
            limit: self.config.max_steps,
            focus: Vec::new(),
        }
    }
}

/// Which objects a step prefers for arguments not fixed by an anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefer {
    /// The acting identity's own live objects first, then anyone's.
    Own,
    /// Anyone's live objects (occasionally a deleted one).
    Any,
}

/// What a generated step did to the state.
struct Emitted {
    /// The object the step created or fetched (account), if any.
    produced: Option<usize>,
}

struct Gen<'a, 'c> {
    cat: &'a Catalog,
    cast: &'a [IdentitySpec],
    config: &'a SequenceConfig,
    /// Draws the argument values (and the choices, when `choices` is `None`).
    runner: &'a mut TestRunner,
    /// Where the top-level choices come from, when not from `runner`.
    choices: Option<&'a mut (dyn FnMut() -> u32 + 'c)>,
    plans: Vec<StepPlan>,
    /// Per plan: its operation, when its response may supply later arguments (sent with the
    /// identity's credentials and a valid body).
    producers: Vec<Option<usize>>,
    slots: Vec<ValueSlot>,
    state: ModelState,
    /// Non-zero while steps that set up prerequisites are emitted (their bodies carry only
    /// required fields, the most likely to be accepted).
    setting_up: u32,
    /// Non-zero while steps that produce another step's inputs are emitted (objects, accounts,
    /// echoed answers): only then may an operation that is not aimed at be sent.
    producing: u32,
    /// Set while a step binds its parent parameters to the actor's own objects instead of the
    /// anchored object's parents (see `cross`).
    own_parents: bool,
    /// Set while a step is emitted with a body that breaks one constraint.
    negative: bool,
    /// An argument (query parameter name, or body pointer) the next step takes from this
    /// reference.
    forced_echo: Option<(String, Ref)>,
    /// Steps at most ([`SequenceConfig::max_steps`], more while extending).
    limit: usize,
    /// The operations a focused extension aims at, in the catalog's order (empty: all the
    /// catalog aims at).
    focus: Vec<usize>,
}

/// One extension of a sequence ([`SequenceStrategy::new_tree_focused`]).
#[derive(Debug)]
pub struct Extension<'a> {
    /// Draws the extension's moves and values.
    pub runner: &'a mut TestRunner,
    /// The operations its moves aim at; empty: any.
    pub focus: &'a [OperationId],
}

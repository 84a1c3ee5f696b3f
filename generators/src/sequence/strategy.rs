//! [`SequenceStrategy`]: generates sequences by walking the reference state machine, aiming at
//! the patterns the authorization oracles need.
//!
//! A sequence is a few *moves*. Each move is one pattern, chosen by weight, that appends the
//! steps it needs, creating prerequisite objects on the way (an identity's own account from
//! `GET /me`, a parent object, ...):
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
//!
//! A step is only generated when its preconditions hold: every argument that names an object
//! of a kind the API can produce is a reference to a step that produced one. The top-level
//! choices (patterns, kinds, identities, objects) are plain numbers drawn one at a time, with
//! no `prop_flat_map`, so that [`crate::fuzz`] can feed them from fuzzer bytes while the
//! argument values come from the very same value strategies.

use std::sync::Arc;

use indexmap::IndexMap;
use proptest::prelude::Rng;
use proptest::strategy::{NewTree, Strategy};
use proptest::test_runner::TestRunner;

use super::catalog::{Catalog, Echo, KindInfo, OpInfo};
use super::state::{ModelState, Obj};
use super::step::{AuthMode, BodyRef, IdentitySpec, Ref, RefSource, Role, Sequence};
use super::tree::{ArgPlan, BodyPlan, SequenceTree, StepPlan, ValueSlot};
use crate::model::{ApiModel, CrudRole, ParameterLocation};

/// The aimed patterns, in the order of [`PatternWeights`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    Cross,
    ForeignParent,
    AdminByNonAdmin,
    NoCredentials,
    MassAssignment,
    DeleteThenUse,
    Echo,
    ChangeThenObserve,
    Negative,
    Random,
}

/// Relative weights of the patterns (0 turns one off).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatternWeights {
    /// X obtains an object, another identity touches it. Default 30.
    pub cross_identity: u32,
    /// Another identity creates or lists children under X's parent object. Default 10.
    pub foreign_parent: u32,
    /// A non-admin calls an admin operation. Default 10.
    pub admin_by_non_admin: u32,
    /// A secured operation with no or invalid credentials. Default 10.
    pub no_credentials: u32,
    /// A create or update carrying read-only or privileged fields. Default 10.
    pub mass_assignment: u32,
    /// A delete followed by a use of the deleted object. Default 10.
    pub delete_then_use: u32,
    /// A plain random step whose preconditions hold. Default 20.
    pub random: u32,
    /// A step whose query parameter or body field takes a value from an earlier response
    /// (`?status=` from an order's `status`, a search `q` from a title, a `userId` from a
    /// `User`'s `id`), sometimes sent twice. Default 10.
    pub echo: u32,
    /// X changes its object (an update or an action such as `/cancel`), then reads it back,
    /// and another identity lists that kind. Default 10.
    pub change_then_observe: u32,
    /// A step whose body breaks exactly one constraint of its schema. Default 5.
    pub negative: u32,
}

impl Default for PatternWeights {
    fn default() -> Self {
        Self {
            cross_identity: 30,
            foreign_parent: 10,
            admin_by_non_admin: 10,
            no_credentials: 10,
            mass_assignment: 10,
            delete_then_use: 10,
            random: 20,
            echo: 10,
            change_then_observe: 10,
            negative: 5,
        }
    }
}

impl PatternWeights {
    fn table(&self) -> [(Pattern, u32); 10] {
        [
            (Pattern::Cross, self.cross_identity),
            (Pattern::ForeignParent, self.foreign_parent),
            (Pattern::AdminByNonAdmin, self.admin_by_non_admin),
            (Pattern::NoCredentials, self.no_credentials),
            (Pattern::MassAssignment, self.mass_assignment),
            (Pattern::DeleteThenUse, self.delete_then_use),
            (Pattern::Random, self.random),
            (Pattern::Echo, self.echo),
            (Pattern::ChangeThenObserve, self.change_then_observe),
            (Pattern::Negative, self.negative),
        ]
    }
}

/// Limits and weights of [`SequenceStrategy`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SequenceConfig {
    /// Most steps in one sequence. Default 16.
    pub max_steps: usize,
    /// Most moves (patterns) in one sequence; each adds one to a few steps. Default 4.
    pub max_moves: usize,
    /// Pattern weights.
    pub weights: PatternWeights,
}

impl Default for SequenceConfig {
    fn default() -> Self {
        Self {
            max_steps: 16,
            max_moves: 4,
            weights: PatternWeights::default(),
        }
    }
}

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

    /// The identities the sequences act as.
    pub fn identities(&self) -> &[IdentitySpec] {
        &self.cast
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

    fn generate(
        &self,
        runner: &mut TestRunner,
        choices: Option<&mut dyn FnMut() -> u32>,
    ) -> NewTree<Self> {
        let mut generator = Gen {
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
            own_parents: false,
            negative: false,
            forced_echo: None,
        };
        generator.run()?;
        let Gen { plans, slots, .. } = generator;
        Ok(SequenceTree::new(plans, slots, self.cast.to_vec()))
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
    /// Set while a step binds its parent parameters to the actor's own objects instead of the
    /// anchored object's parents (see `cross`).
    own_parents: bool,
    /// Set while a step is emitted with a body that breaks one constraint.
    negative: bool,
    /// An argument (query parameter name, or body pointer) the next step takes from this
    /// reference.
    forced_echo: Option<(String, Ref)>,
}

/// Fuel for prerequisite chains (parent of parent of ...).
const MAX_DEPTH: u32 = 4;

impl Gen<'_, '_> {
    /// A number in `0..n` (0 when `n` is 0 or 1), by multiply-and-shift: every draw gives an
    /// answer (no rejection), so any input, zeros included, yields a sequence.
    fn below(&mut self, n: usize) -> usize {
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
    fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    /// A number in `0..n`, or `None` when `n` is 0.
    fn below_opt(&mut self, n: usize) -> Option<usize> {
        (n > 0).then(|| self.below(n))
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[self.below(items.len())])
        }
    }

    fn full(&self) -> bool {
        self.plans.len() >= self.config.max_steps
    }

    fn identities_where(&self, f: impl Fn(usize, &IdentitySpec) -> bool) -> Vec<usize> {
        (0..self.cast.len())
            .filter(|&i| f(i, &self.cast[i]))
            .collect()
    }

    fn run(&mut self) -> Result<(), proptest::test_runner::Reason> {
        let moves = 1 + self.below(self.config.max_moves.max(1));
        let table = self.config.weights.table();
        let total: u32 = table.iter().map(|(_, w)| *w).sum();
        for _ in 0..moves {
            if self.full() {
                break;
            }
            let pattern = if total == 0 {
                Pattern::Random
            } else {
                let mut roll = self.below(total as usize) as u32;
                table
                    .iter()
                    .find(|(_, w)| {
                        if roll < *w {
                            true
                        } else {
                            roll -= *w;
                            false
                        }
                    })
                    .map_or(Pattern::Random, |(p, _)| *p)
            };
            let done = match pattern {
                Pattern::Cross => self.cross()?,
                Pattern::ForeignParent => self.foreign_parent()?,
                Pattern::AdminByNonAdmin => self.admin_by_non_admin()?,
                Pattern::NoCredentials => self.no_credentials()?,
                Pattern::MassAssignment => self.mass_assignment()?,
                Pattern::DeleteThenUse => self.delete_then_use()?,
                Pattern::Echo => self.echo()?,
                Pattern::ChangeThenObserve => self.change_then_observe()?,
                Pattern::Negative => self.negative()?,
                Pattern::Random => false,
            };
            if !done {
                self.random_step()?;
            }
        }
        Ok(())
    }

    // ----- patterns -------------------------------------------------------------------------

    fn cross(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        let Some((k, x, obj)) = self.owned_object(|info| {
            info.producible() && (info.item_ops().next().is_some() || !info.list.is_empty())
        })?
        else {
            return Ok(false);
        };
        let others = self.others_weighted(x);
        let Some(y) = self.pick(&others) else {
            return Ok(false);
        };
        // What Y does: a read twice as often as an update, a delete or a list, since a read is
        // what most BOLA checks look for first.
        let info = &self.cat.kinds[k];
        let actions: Vec<(&[usize], usize)> = [
            (&info.read[..], 2),
            (&info.update[..], 1),
            (&info.delete[..], 1),
            (&info.list[..], 1),
        ]
        .into_iter()
        .filter(|(ops, _)| !ops.is_empty())
        .collect();
        let total: usize = actions.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        let Some(ops) = actions.iter().find_map(|(ops, w)| {
            if roll < *w {
                Some(ops.to_vec())
            } else {
                roll -= w;
                None
            }
        }) else {
            return Ok(false);
        };
        let Some(op) = self.pick(&ops) else {
            return Ok(false);
        };
        // Sometimes Y goes through its own parents (`/users/{Y}/orders/{X's order}`): the
        // nested path whose parent is checked while the child's membership is not.
        let kind = self.cat.kinds.get_index(k).map(|(name, _)| name.clone());
        let parent_kinds: Vec<usize> = self.cat.ops[op]
            .params
            .iter()
            .filter_map(|p| p.kind.as_ref())
            .filter(|pk| Some(*pk) != kind.as_ref())
            .filter_map(|pk| self.cat.kinds.get_index_of(pk))
            .collect();
        if !parent_kinds.is_empty() && self.cast[y].role != Role::Anonymous && self.chance(1, 3) {
            for pk in parent_kinds {
                self.ensure_owned(y, pk, 1)?;
            }
            self.own_parents = true;
            let emitted = self.step(y, op, AuthMode::Normal, &[obj], Prefer::Own, false);
            self.own_parents = false;
            return Ok(emitted?.is_some());
        }
        Ok(self
            .step(y, op, AuthMode::Normal, &[obj], Prefer::Own, false)?
            .is_some())
    }

    fn foreign_parent(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        // Kinds with a create or list operation that takes a parent object.
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        for info in self.cat.kinds.values() {
            let ops = info
                .create
                .iter()
                .map(|(op, _)| *op)
                .chain(info.list.iter().copied());
            for op in ops {
                let parent = self.cat.ops[op]
                    .params
                    .iter()
                    .rev()
                    .find_map(|p| p.kind.as_ref())
                    .and_then(|pk| self.cat.kinds.get_index_of(pk));
                if let Some(pk) = parent {
                    candidates.push((op, pk));
                }
            }
        }
        let Some((op, pk)) = self.pick(&candidates) else {
            return Ok(false);
        };
        let owners = self.owners_of(pk);
        let Some(x) = self.pick(&owners) else {
            return Ok(false);
        };
        let Some(parent) = self.ensure_owned(x, pk, 0)? else {
            return Ok(false);
        };
        let others = self.identities_where(|i, _| i != x);
        let Some(y) = self.pick(&others) else {
            return Ok(false);
        };
        let Some(emitted) = self.step(y, op, AuthMode::Normal, &[parent], Prefer::Own, false)?
        else {
            return Ok(false);
        };
        // Sometimes the owner of the parent then reads what was created under it.
        if let Some(child) = emitted.produced
            && self.chance(1, 2)
        {
            let kind = &self.state.objects[child].kind;
            if let Some(k) = self.cat.kinds.get_index_of(kind) {
                self.read_back(x, k, child)?;
            }
        }
        Ok(true)
    }

    fn admin_by_non_admin(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        let ops: Vec<usize> = (0..self.cat.ops.len())
            .filter(|&i| self.cat.ops[i].admin)
            .collect();
        let Some(op) = self.pick(&ops) else {
            return Ok(false);
        };
        let actors = self.identities_where(|_, c| c.role != Role::Admin);
        let Some(actor) = self.pick(&actors) else {
            return Ok(false);
        };
        self.prepare(op, actor)?;
        Ok(self
            .step(actor, op, AuthMode::Normal, &[], Prefer::Any, false)?
            .is_some())
    }

    fn no_credentials(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        let ops: Vec<usize> = (0..self.cat.ops.len())
            .filter(|&i| self.cat.ops[i].secured)
            .collect();
        let Some(op) = self.pick(&ops) else {
            return Ok(false);
        };
        let actors = self.identities_where(|_, c| c.role != Role::Anonymous);
        let Some(actor) = self.pick(&actors) else {
            return Ok(false);
        };
        self.prepare(op, actor)?;
        let auth = if self.chance(1, 2) {
            AuthMode::None
        } else {
            AuthMode::Invalid
        };
        Ok(self
            .step(actor, op, auth, &[], Prefer::Own, false)?
            .is_some())
    }

    fn mass_assignment(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        let ops: Vec<usize> = (0..self.cat.ops.len())
            .filter(|&i| {
                self.cat.ops[i]
                    .body
                    .as_ref()
                    .is_some_and(|b| !b.privileged.is_empty())
            })
            .collect();
        let Some(op) = self.pick(&ops) else {
            return Ok(false);
        };
        let actors = self.identities_where(|_, c| c.role == Role::User);
        let actors = if actors.is_empty() {
            self.identities_where(|_, c| c.role != Role::Anonymous)
        } else {
            actors
        };
        let Some(actor) = self.pick(&actors) else {
            return Ok(false);
        };
        let anchor = self.own_anchor(op, actor)?;
        let Some(emitted) = self.step(actor, op, AuthMode::Normal, &anchor, Prefer::Own, true)?
        else {
            return Ok(false);
        };
        // Evidence that the field took: the actor reads the object back, and sometimes tries
        // an admin operation (a `role: admin` that took shows as privilege).
        let written = emitted.produced.or_else(|| anchor.first().copied());
        let kind = self.cat.ops[op].kind.as_ref().map(|(k, _)| k.clone());
        if let (Some(obj), Some(kind)) = (written, kind)
            && let Some(k) = self.cat.kinds.get_index_of(&kind)
        {
            self.read_back(actor, k, obj)?;
        }
        if self.chance(1, 2) {
            let admin: Vec<usize> = (0..self.cat.ops.len())
                .filter(|&i| self.cat.ops[i].admin)
                .collect();
            if let Some(admin_op) = self.pick(&admin) {
                self.step(actor, admin_op, AuthMode::Normal, &[], Prefer::Any, false)?;
            }
        }
        Ok(true)
    }

    fn delete_then_use(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        let Some((k, x, obj)) =
            self.owned_object(|info| info.producible() && !info.delete.is_empty())?
        else {
            return Ok(false);
        };
        let deletes = self.cat.kinds[k].delete.clone();
        let Some(delete) = self.pick(&deletes) else {
            return Ok(false);
        };
        if self
            .step(x, delete, AuthMode::Normal, &[obj], Prefer::Own, false)?
            .is_none()
        {
            return Ok(false);
        }
        let uses: Vec<usize> = self.cat.kinds[k].item_ops().collect();
        let Some(then) = self.pick(&uses) else {
            return Ok(true);
        };
        // Mostly the owner, sometimes anyone else.
        let user = if self.chance(3, 4) {
            x
        } else {
            self.below(self.cast.len())
        };
        self.step(user, then, AuthMode::Normal, &[obj], Prefer::Own, false)?;
        Ok(true)
    }

    fn echo(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        // Every (operation, argument, source) where an earlier response can supply a value.
        let mut targets: Vec<(usize, String, usize)> = Vec::new();
        for (op, info) in self.cat.ops.iter().enumerate() {
            for p in &info.params {
                for e in 0..p.echoes.len() {
                    targets.push((op, p.name.clone(), e));
                }
            }
            if let Some(b) = &info.body {
                for (at, echoes) in &b.echoes {
                    for e in 0..echoes.len() {
                        targets.push((op, at.clone(), e));
                    }
                }
            }
        }
        let Some(chosen) = self.below_opt(targets.len()) else {
            return Ok(false);
        };
        let (op, key, e) = targets.swap_remove(chosen);
        let info = &self.cat.ops[op];
        let echo = info
            .params
            .iter()
            .find(|p| p.name == key)
            .map(|p| p.echoes[e].clone())
            .or_else(|| {
                info.body
                    .as_ref()
                    .and_then(|b| b.echoes.iter().find(|(at, _)| *at == key))
                    .map(|(_, echoes)| echoes[e].clone())
            });
        let Some(echo) = echo else {
            return Ok(false);
        };
        let named = self.identities_where(|_, c| c.role != Role::Anonymous);
        // The source: an earlier step of the producer, or one sent now.
        let earlier: Vec<usize> = (0..self.producers.len())
            .filter(|&i| self.producers[i] == Some(echo.producer))
            .collect();
        let (source, z) = match earlier.last() {
            Some(&i) if self.chance(1, 2) => {
                let who = self
                    .cast
                    .iter()
                    .position(|c| c.id == self.plans[i].identity)
                    .unwrap_or(0);
                (i, who)
            }
            _ => {
                let Some(z) = self.pick(&named) else {
                    return Ok(false);
                };
                let anchor = self.own_anchor(echo.producer, z)?;
                self.prepare(echo.producer, z)?;
                let step = self.plans.len();
                if self
                    .step(
                        z,
                        echo.producer,
                        AuthMode::Normal,
                        &anchor,
                        Prefer::Own,
                        false,
                    )?
                    .is_none()
                {
                    return Ok(false);
                }
                (step, z)
            }
        };
        // Who uses it: the identity that produced it half of the time (a team owner adding
        // themselves), else anyone (another user searching for it).
        let x = if self.chance(1, 2) {
            z
        } else {
            self.below(self.cast.len())
        };
        let anchor = self.own_anchor(op, x)?;
        self.prepare(op, x)?;
        self.forced_echo = Some((
            key,
            Ref {
                step: source,
                source: RefSource::Body {
                    pointer: echo.pointer,
                },
            },
        ));
        let emitted = self.step(x, op, AuthMode::Normal, &anchor, Prefer::Own, false);
        self.forced_echo = None;
        if emitted?.is_none() {
            return Ok(false);
        }
        // Sometimes the very same request again: a repeated create or add.
        if self.chance(1, 3) && !self.full() {
            let again = self.plans[self.plans.len() - 1].clone();
            self.plans.push(again);
            self.producers.push(Some(op));
        }
        Ok(true)
    }

    fn change_then_observe(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        let Some((k, x, obj)) = self.owned_object(|info| {
            info.producible()
                && !info.update.is_empty()
                && (!info.read.is_empty() || !info.list.is_empty())
        })?
        else {
            return Ok(false);
        };
        let updates = self.cat.kinds[k].update.clone();
        let Some(change) = self.pick(&updates) else {
            return Ok(false);
        };
        if self
            .step(x, change, AuthMode::Normal, &[obj], Prefer::Own, false)?
            .is_none()
        {
            return Ok(false);
        }
        // The owner reads it back: what a state change does to the object's view.
        let reads = self.cat.kinds[k].read.clone();
        if let Some(read) = self.pick(&reads)
            && self.chance(2, 3)
        {
            self.step(x, read, AuthMode::Normal, &[obj], Prefer::Own, false)?;
        }
        // Someone lists the kind through their own parents, filters taken from the answers.
        let lists = self.cat.kinds[k].list.clone();
        if let Some(list) = self.pick(&lists) {
            let others = self.others_weighted(x);
            let y = if self.chance(1, 4) {
                Some(x)
            } else {
                self.pick(&others)
            };
            if let Some(y) = y {
                if self.cast[y].role != Role::Anonymous {
                    let parent_kinds: Vec<usize> = self.cat.ops[list]
                        .params
                        .iter()
                        .filter_map(|p| p.kind.as_ref())
                        .filter_map(|pk| self.cat.kinds.get_index_of(pk))
                        .collect();
                    for pk in parent_kinds {
                        self.ensure_owned(y, pk, 1)?;
                    }
                }
                self.step(y, list, AuthMode::Normal, &[], Prefer::Own, false)?;
            }
        }
        Ok(true)
    }

    fn negative(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        let ops: Vec<usize> = (0..self.cat.ops.len())
            .filter(|&i| {
                self.cat.ops[i]
                    .body
                    .as_ref()
                    .is_some_and(|b| b.negative.is_some())
            })
            .collect();
        let Some(op) = self.pick(&ops) else {
            return Ok(false);
        };
        // Someone entitled to the operation, on their own objects: the request gets past
        // authorization to the validation it tests.
        let actors = if self.cat.ops[op].admin {
            self.identities_where(|_, c| c.role == Role::Admin)
        } else {
            self.identities_where(|_, c| c.role != Role::Anonymous)
        };
        let Some(actor) = self.pick(&actors) else {
            return Ok(false);
        };
        let anchor = self.own_anchor(op, actor)?;
        self.prepare(op, actor)?;
        self.negative = true;
        let emitted = self.step(actor, op, AuthMode::Normal, &anchor, Prefer::Own, false);
        self.negative = false;
        Ok(emitted?.is_some())
    }

    fn random_step(&mut self) -> Result<bool, proptest::test_runner::Reason> {
        if self.cat.ops.is_empty() || self.cast.is_empty() {
            return Ok(false);
        }
        let op = self.below(self.cat.ops.len());
        let actor = self.below(self.cast.len());
        self.prepare(op, actor)?;
        let prefer = if self.chance(1, 2) {
            Prefer::Own
        } else {
            Prefer::Any
        };
        Ok(self
            .step(actor, op, AuthMode::Normal, &[], prefer, false)?
            .is_some())
    }

    // ----- building blocks ------------------------------------------------------------------

    /// Every identity but `x`, ordinary users twice: another user touching X's object is the
    /// plain BOLA case, admins and anonymous stay in the mix.
    fn others_weighted(&self, x: usize) -> Vec<usize> {
        let mut out = self.identities_where(|i, _| i != x);
        out.extend(self.identities_where(|i, c| i != x && c.role == Role::User));
        out.sort_unstable();
        out
    }

    /// Who may own an object of kind `k` at the start of a pattern: any identity with
    /// credentials, or only the admins when every way to create one is an admin operation (a
    /// user's attempt would be refused, and the sequence would stop there).
    fn owners_of(&self, k: usize) -> Vec<usize> {
        let named = self.identities_where(|_, c| c.role != Role::Anonymous);
        let creates = &self.cat.kinds[k].create;
        let admin_only =
            !creates.is_empty() && creates.iter().all(|(op, _)| self.cat.ops[*op].admin);
        let admins = self.identities_where(|_, c| c.role == Role::Admin);
        if admin_only && !admins.is_empty() {
            admins
        } else {
            named
        }
    }

    /// For an update or create by `actor`: the object to update, or the parent to create
    /// under, owned by `actor` (obtained first when needed).
    fn own_anchor(
        &mut self,
        op: usize,
        actor: usize,
    ) -> Result<Vec<usize>, proptest::test_runner::Reason> {
        let info: &OpInfo = &self.cat.ops[op];
        let wanted = match &info.kind {
            Some((k, CrudRole::Update | CrudRole::Read | CrudRole::Delete)) => Some(k.clone()),
            _ => info.params.iter().rev().find_map(|p| p.kind.clone()),
        };
        let Some(kind) = wanted.and_then(|k| self.cat.kinds.get_index_of(&k)) else {
            return Ok(Vec::new());
        };
        Ok(self.ensure_owned(actor, kind, 0)?.into_iter().collect())
    }

    /// Makes sure every object argument of `op` has a live object to name, obtaining missing
    /// ones as `owner` (or another identity when `owner` is anonymous).
    fn prepare(&mut self, op: usize, owner: usize) -> Result<(), proptest::test_runner::Reason> {
        let owner = if self.cast[owner].role == Role::Anonymous {
            let named = self.identities_where(|_, c| c.role != Role::Anonymous);
            match self.pick(&named) {
                Some(o) => o,
                None => return Ok(()),
            }
        } else {
            owner
        };
        let kinds: Vec<String> = self.cat.ops[op]
            .params
            .iter()
            .filter(|p| p.required)
            .filter_map(|p| p.kind.clone())
            .collect();
        // The nearest object first: obtaining it obtains its parents too.
        for kind in kinds.iter().rev() {
            if self.state.find(kind, |o| !o.deleted).is_empty()
                && let Some(k) = self.cat.kinds.get_index_of(kind)
            {
                self.ensure_owned(owner, k, 0)?;
            }
        }
        Ok(())
    }

    /// A live object of kind `k` owned by `x`: an existing one, or one obtained now by a create
    /// step (with its parents obtained first) or the own-account operation.
    /// A kind that `wanted` accepts, one of its possible owners, and an object of that kind
    /// owned by them (created first when needed): where the patterns that act on one object
    /// start. `None` when no kind, owner or object can be had.
    fn owned_object(
        &mut self,
        wanted: impl Fn(&KindInfo) -> bool,
    ) -> Result<Option<(usize, usize, usize)>, proptest::test_runner::Reason> {
        let kinds: Vec<usize> = (0..self.cat.kinds.len())
            .filter(|&k| wanted(&self.cat.kinds[k]))
            .collect();
        let Some(k) = self.pick(&kinds) else {
            return Ok(None);
        };
        let owners = self.owners_of(k);
        let Some(x) = self.pick(&owners) else {
            return Ok(None);
        };
        Ok(self.ensure_owned(x, k, 0)?.map(|obj| (k, x, obj)))
    }

    fn ensure_owned(
        &mut self,
        x: usize,
        k: usize,
        depth: u32,
    ) -> Result<Option<usize>, proptest::test_runner::Reason> {
        if depth > MAX_DEPTH || self.full() {
            return Ok(None);
        }
        let kind = self.cat.kinds.get_index(k).map(|(name, _)| name.clone());
        let Some(kind) = kind else { return Ok(None) };
        let info = &self.cat.kinds[k];
        let creates: Vec<usize> = if self.cast[x].role == Role::Anonymous {
            Vec::new()
        } else {
            info.create.iter().map(|(op, _)| *op).collect()
        };
        let accounts = info.account.clone();
        let existing = self.state.owned(&kind, x);
        if !existing.is_empty() && (creates.is_empty() || self.chance(1, 2)) {
            return Ok(self.pick(&existing));
        }
        if let Some(create) = self.pick(&creates) {
            let parent_kind = self.cat.ops[create]
                .params
                .iter()
                .rev()
                .find_map(|p| p.kind.clone())
                .and_then(|pk| self.cat.kinds.get_index_of(&pk));
            let mut anchors = Vec::new();
            if let Some(pk) = parent_kind {
                match self.ensure_owned(x, pk, depth + 1)? {
                    Some(parent) => anchors.push(parent),
                    None => return Ok(None),
                }
                // Sometimes the parent's other collections are filled first (a cart item
                // before an order): a create may depend on its siblings in ways no link says.
                if depth == 0 && self.chance(1, 2) {
                    let parent_name = self.cat.kinds.get_index(pk).map(|(n, _)| n.clone());
                    let linked: Vec<String> = self.cat.ops[create]
                        .body
                        .as_ref()
                        .map(|b| b.links.iter().map(|(_, k)| k.clone()).collect())
                        .unwrap_or_default();
                    let siblings: Vec<usize> = (0..self.cat.kinds.len())
                        .filter(|&s| {
                            let (name, info) = self.cat.kinds.get_index(s).expect("in range");
                            s != k
                                && info.parent == parent_name
                                && !linked.contains(name)
                                && info.create.iter().any(|(op, _)| !self.cat.ops[*op].admin)
                        })
                        .collect();
                    if let Some(sibling) = self.pick(&siblings) {
                        self.setting_up += 1;
                        let made = self.ensure_owned(x, sibling, depth + 1);
                        self.setting_up -= 1;
                        made?;
                    }
                }
            }
            self.setting_up += 1;
            let emitted = self.step(x, create, AuthMode::Normal, &anchors, Prefer::Own, false);
            self.setting_up -= 1;
            return Ok(emitted?.and_then(|e| e.produced));
        }
        if let Some(account_op) = self.pick(&accounts) {
            if let Some(existing) = self.state.account(&kind, x) {
                return Ok(Some(existing));
            }
            if self.cast[x].role == Role::Anonymous {
                return Ok(None);
            }
            let emitted = self.step(x, account_op, AuthMode::Normal, &[], Prefer::Own, false)?;
            return Ok(emitted.and_then(|e| e.produced));
        }
        Ok(None)
    }

    /// Chooses an object of `kind` for an argument of a step by `actor`.
    fn choose_object(&mut self, kind: &str, actor: usize, prefer: Prefer) -> Option<usize> {
        if prefer == Prefer::Own {
            let own = self.state.owned(kind, actor);
            if !own.is_empty() {
                return self.pick(&own);
            }
        }
        let live = self.state.find(kind, |o| !o.deleted);
        if prefer == Prefer::Any && self.chance(1, 10) {
            let all = self.state.find(kind, |_| true);
            return self.pick(&all);
        }
        self.pick(&live)
    }

    /// Appends one step of `op` by `actor`, if its preconditions hold. Object arguments are
    /// fixed by `anchors` (an anchor fixes the argument of its own kind and its parents'
    /// arguments), else chosen per `prefer`; the rest are generated values. With `mass`, the
    /// body carries privileged fields.
    fn step(
        &mut self,
        actor: usize,
        op: usize,
        auth: AuthMode,
        anchors: &[usize],
        prefer: Prefer,
        mass: bool,
    ) -> Result<Option<Emitted>, proptest::test_runner::Reason> {
        if self.full() {
            return Ok(None);
        }
        let cat = self.cat;
        let info = &cat.ops[op];
        // Arguments fixed by anchors: the anchored object's id for the last parameter of its
        // kind, and its parents' arguments by name.
        let mut fixed: IndexMap<String, ArgPlan> = IndexMap::new();
        let mut fixed_objects: IndexMap<String, usize> = IndexMap::new();
        for &a in anchors {
            let obj = self.state.objects[a].clone();
            if let Some(p) = info
                .params
                .iter()
                .rev()
                .find(|p| p.kind.as_deref() == Some(obj.kind.as_str()))
            {
                fixed.insert(p.name.clone(), ArgPlan::Ref(obj.id.clone()));
                fixed_objects.insert(p.name.clone(), a);
            }
            if self.own_parents {
                continue;
            }
            for (name, arg) in &obj.parents {
                fixed.entry(name.clone()).or_insert_with(|| arg.clone());
            }
        }
        // Bind parameters, nearest object first, so a chosen object's parents fix the rest.
        enum Planned {
            Fixed(ArgPlan),
            Generate,
        }
        let mut planned: Vec<Option<Planned>> = (0..info.params.len()).map(|_| None).collect();
        for (pi, p) in info.params.iter().enumerate().rev() {
            if let Some(arg) = fixed.get(&p.name) {
                planned[pi] = Some(Planned::Fixed(arg.clone()));
                continue;
            }
            if let Some(kind) = &p.kind {
                if !p.required && !self.chance(1, 2) {
                    continue;
                }
                let Some(o) = self.choose_object(kind, actor, prefer) else {
                    if p.required {
                        return Ok(None);
                    }
                    continue;
                };
                let obj = self.state.objects[o].clone();
                planned[pi] = Some(Planned::Fixed(ArgPlan::Ref(obj.id.clone())));
                fixed_objects.insert(p.name.clone(), o);
                for (name, arg) in &obj.parents {
                    fixed.entry(name.clone()).or_insert_with(|| arg.clone());
                }
                continue;
            }
            if let Some(r) = self.take_forced(&p.name) {
                planned[pi] = Some(Planned::Fixed(ArgPlan::Ref(r)));
                continue;
            }
            let echoes = self.echo_candidates(&p.echoes);
            if !echoes.is_empty() && (p.required || self.chance(2, 3)) && self.chance(2, 3) {
                let r = self.pick_echo(&echoes);
                planned[pi] = Some(Planned::Fixed(ArgPlan::Ref(r)));
                continue;
            }
            if p.required || self.chance(1, 3) {
                planned[pi] = Some(Planned::Generate);
            }
        }
        // Preconditions hold: generate values.
        let mut params = Vec::new();
        for (pi, p) in info.params.iter().enumerate() {
            let arg = match planned[pi].take() {
                None => continue,
                Some(Planned::Fixed(arg)) => arg,
                Some(Planned::Generate) => ArgPlan::Value(self.slot(&p.strategy)?),
            };
            params.push((p.location, p.name.clone(), arg));
        }
        let body = match &info.body {
            None => None,
            Some(b) => {
                let negative = if self.negative {
                    b.negative.as_ref()
                } else {
                    None
                };
                let slot = if let Some(negative) = negative {
                    self.slot(negative)?
                } else if self.setting_up > 0 {
                    self.slot(&b.minimal)?
                } else {
                    self.slot(&b.strategy)?
                };
                let mut extra = Vec::new();
                if negative.is_some() {
                    // The broken body goes as generated: a reference filled in would repair
                    // a field the mutation removed or retyped.
                    self.plans.push(StepPlan {
                        identity: self.cast[actor].id.clone(),
                        op: info.id.clone(),
                        read_instead: self.cat.read_instead(op),
                        auth,
                        params,
                        body: Some(BodyPlan {
                            media_type: b.media_type.clone(),
                            slot,
                            extra,
                            refs: Vec::new(),
                        }),
                    });
                    self.producers.push(None);
                    return Ok(Some(Emitted { produced: None }));
                }
                if mass && !b.privileged.is_empty() {
                    let first = self.below(b.privileged.len());
                    // Mostly one field at a time: a server that refuses unknown fields
                    // refuses the whole body, which would hide the one field that takes.
                    for (i, (name, strategy)) in b.privileged.iter().enumerate() {
                        if i == first || self.chance(1, 8) {
                            extra.push((name.clone(), self.slot(strategy)?));
                        }
                    }
                }
                let mut refs = Vec::new();
                for (pointer, kind) in &b.links {
                    let mut chosen = self.choose_object(kind, actor, Prefer::Own);
                    // A body field that names an object (an order's `addressId`): set one up
                    // first, as for path parameters (bounded: a create needing a create ...).
                    if chosen.is_none()
                        && self.setting_up < 2
                        && self.cast[actor].role != Role::Anonymous
                        && let Some(k) = self.cat.kinds.get_index_of(kind.as_str())
                    {
                        // Objects only admins create are set up by an admin.
                        let owners = self.owners_of(k);
                        let owner = if owners.contains(&actor) {
                            Some(actor)
                        } else {
                            self.pick(&owners)
                        };
                        if let Some(owner) = owner {
                            self.setting_up += 1;
                            let made = self.ensure_owned(owner, k, 1);
                            self.setting_up -= 1;
                            chosen = made?;
                        }
                    }
                    if let Some(o) = chosen {
                        refs.push(BodyRef {
                            at: pointer.clone(),
                            from: self.state.objects[o].id.clone(),
                        });
                    }
                }
                for (at, echoes) in &b.echoes {
                    if let Some(r) = self.take_forced(at) {
                        refs.push(BodyRef {
                            at: at.clone(),
                            from: r,
                        });
                        continue;
                    }
                    let echoes = self.echo_candidates(echoes);
                    if !echoes.is_empty() && self.chance(1, 2) {
                        let from = self.pick_echo(&echoes);
                        refs.push(BodyRef {
                            at: at.clone(),
                            from,
                        });
                    }
                }
                Some(BodyPlan {
                    media_type: b.media_type.clone(),
                    slot,
                    extra,
                    refs,
                })
            }
        };
        let step = self.plans.len();
        self.plans.push(StepPlan {
            identity: self.cast[actor].id.clone(),
            op: info.id.clone(),
            read_instead: self.cat.read_instead(op),
            auth,
            params,
            body,
        });
        self.producers
            .push((auth == AuthMode::Normal).then_some(op));
        // Apply the step to the reference state.
        let mut produced = None;
        let parents: Vec<(String, ArgPlan)> = self.plans[step]
            .params
            .iter()
            .filter(|(loc, _, _)| *loc == ParameterLocation::Path)
            .map(|(_, name, arg)| (name.clone(), arg.clone()))
            .collect();
        // A step sent without the identity's credentials changes nothing it owns.
        let effective = auth == AuthMode::Normal;
        match &info.kind {
            Some((kind, CrudRole::Create)) if effective => {
                let k = cat.kinds.get(kind);
                if let Some((_, source)) = k.and_then(|k| k.create.iter().find(|(o, _)| *o == op)) {
                    produced = Some(self.state.add(Obj {
                        kind: kind.clone(),
                        owner: actor,
                        id: Ref {
                            step,
                            source: source.clone(),
                        },
                        parents,
                        deleted: false,
                        account: false,
                    }));
                }
            }
            Some((kind, CrudRole::Delete)) if effective => {
                let own_param = info
                    .params
                    .iter()
                    .rev()
                    .find(|p| p.kind.as_deref() == Some(kind.as_str()));
                if let Some(o) = own_param.and_then(|p| fixed_objects.get(&p.name)) {
                    self.state.objects[*o].deleted = true;
                }
            }
            _ => {}
        }
        if let Some((kind, source)) = &info.account
            && effective
            && self.state.account(kind, actor).is_none()
            && self.cast[actor].role != Role::Anonymous
        {
            produced = Some(self.state.add(Obj {
                kind: kind.clone(),
                owner: actor,
                id: Ref {
                    step,
                    source: source.clone(),
                },
                parents: Vec::new(),
                deleted: false,
                account: true,
            }));
        }
        Ok(Some(Emitted { produced }))
    }

    /// The reference forced for argument `key` (a query parameter name or a body pointer) of
    /// the step being built, if any; it is used once.
    fn take_forced(&mut self, key: &str) -> Option<Ref> {
        if self.forced_echo.as_ref().is_some_and(|(k, _)| k == key) {
            self.forced_echo.take().map(|(_, r)| r)
        } else {
            None
        }
    }

    /// References to the fields of earlier steps' responses that `echoes` name.
    fn echo_candidates(&self, echoes: &[Echo]) -> Vec<Ref> {
        let mut out = Vec::new();
        for (step, producer) in self.producers.iter().enumerate() {
            let Some(producer) = producer else { continue };
            for e in echoes.iter().filter(|e| e.producer == *producer) {
                out.push(Ref {
                    step,
                    source: RefSource::Body {
                        pointer: e.pointer.clone(),
                    },
                });
            }
        }
        out
    }

    /// One of `candidates` (non-empty, in step order): the latest half of the time, since the
    /// step just before is usually the one a pattern set up.
    /// `who` reads object `obj` (of kind `k`) back through one of the kind's reads, when it
    /// has one.
    fn read_back(
        &mut self,
        who: usize,
        k: usize,
        obj: usize,
    ) -> Result<(), proptest::test_runner::Reason> {
        let reads = self.cat.kinds[k].read.clone();
        if let Some(read) = self.pick(&reads) {
            self.step(who, read, AuthMode::Normal, &[obj], Prefer::Own, false)?;
        }
        Ok(())
    }

    fn pick_echo(&mut self, candidates: &[Ref]) -> Ref {
        let latest = candidates.iter().map(|r| r.step).max().unwrap_or(0);
        let latest: Vec<&Ref> = candidates.iter().filter(|r| r.step == latest).collect();
        if self.chance(1, 2) {
            latest[self.below(latest.len())].clone()
        } else {
            candidates[self.below(candidates.len())].clone()
        }
    }

    fn slot(
        &mut self,
        strategy: &proptest::strategy::SBoxedStrategy<serde_json::Value>,
    ) -> Result<usize, proptest::test_runner::Reason> {
        let slot = ValueSlot::new(strategy.clone(), self.runner)?;
        self.slots.push(slot);
        Ok(self.slots.len() - 1)
    }
}

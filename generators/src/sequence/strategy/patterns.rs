//! The patterns, one function each: [`Gen::run`] chooses one per move by weight; each answers
//! whether it emitted its steps (when not, the move falls back to a random step).

use proptest::test_runner::Reason;

use super::super::catalog::{Echo, KindInfo, OpInfo};
use super::super::step::{AuthMode, Ref, RefSource, Role};
use super::config::Pattern;
use super::{Gen, Prefer};

impl Gen<'_, '_> {
    pub(super) fn run(&mut self) -> Result<(), Reason> {
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

    pub(super) fn cross(&mut self) -> Result<bool, Reason> {
        // In a focused extension, only kinds that a focused operation reads, changes, deletes
        // or lists (a step on another would not be aimed at).
        let (cat, focus) = (self.cat, self.focus.clone());
        let focused = move |info: &KindInfo| {
            focus.is_empty()
                || [&info.read, &info.update, &info.delete, &info.list]
                    .iter()
                    .any(|ops| ops.iter().any(|&op| cat.aimed(op) && focus.contains(&op)))
        };
        let usable = |info: &KindInfo| {
            info.producible()
                && (info.item_ops().next().is_some() || !info.list.is_empty())
                && focused(info)
        };
        // A third of the time, when the kind has lists that show keys: X lists and Y uses a
        // listed key (objects the service seeded are only found this way).
        let listed: Vec<usize> = (0..self.cat.kinds.len())
            .filter(|&k| {
                let info = &self.cat.kinds[k];
                usable(info) && !info.listed.is_empty() && info.item_ops().next().is_some()
            })
            .collect();
        let found = if !listed.is_empty() && self.chance(1, 3) {
            self.listed_object(&listed)?
        } else {
            self.owned_object(usable)?
        };
        let Some((k, x, obj)) = found else {
            return Ok(false);
        };
        let others = self.others_weighted(x);
        let Some(y) = self.pick(&others) else {
            return Ok(false);
        };
        // What Y does: a read twice as often as an update, a delete or a list, since a read is
        // what most BOLA checks look for first.
        let info = &self.cat.kinds[k];
        // Only a focus narrows the actions here: without one, a step on an operation outside
        // `--include` is still drawn (and then not emitted), as before focused extensions,
        // so that a seed's fresh sequences stay the same.
        let aimed = |ops: &[usize]| -> Vec<usize> {
            ops.iter()
                .copied()
                .filter(|&op| self.focus.is_empty() || self.aimed(op))
                .collect()
        };
        let actions: Vec<(Vec<usize>, usize)> = [
            (aimed(&info.read), 2),
            (aimed(&info.update), 1),
            (aimed(&info.delete), 1),
            (aimed(&info.list), 1),
        ]
        .into_iter()
        .filter(|(ops, _)| !ops.is_empty())
        .collect();
        let total: usize = actions.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        let Some(ops) = actions.iter().find_map(|(ops, w)| {
            if roll < *w {
                Some(ops.clone())
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

    /// One of `kinds`, an identity with credentials, and an object of that kind it found in a
    /// list.
    fn listed_object(&mut self, kinds: &[usize]) -> Result<Option<(usize, usize, usize)>, Reason> {
        let Some(k) = self.pick(kinds) else {
            return Ok(None);
        };
        let named = self.identities_where(|_, c| c.role != Role::Anonymous);
        let Some(x) = self.pick(&named) else {
            return Ok(None);
        };
        Ok(self.obtain_listed(x, k)?.map(|obj| (k, x, obj)))
    }

    pub(super) fn foreign_parent(&mut self) -> Result<bool, Reason> {
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

    pub(super) fn admin_by_non_admin(&mut self) -> Result<bool, Reason> {
        let ops: Vec<usize> = (0..self.cat.ops.len())
            .filter(|&i| self.cat.ops[i].admin && self.aimed(i))
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

    pub(super) fn no_credentials(&mut self) -> Result<bool, Reason> {
        let ops: Vec<usize> = (0..self.cat.ops.len())
            .filter(|&i| self.cat.ops[i].secured && self.aimed(i))
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

    pub(super) fn mass_assignment(&mut self) -> Result<bool, Reason> {
        let ops: Vec<usize> = (0..self.cat.ops.len())
            .filter(|&i| {
                self.aimed(i)
                    && self.cat.ops[i]
                        .body
                        .as_ref()
                        .is_some_and(|b| !b.privileged.is_empty())
            })
            .collect();
        let Some(op) = self.pick(&ops) else {
            return Ok(false);
        };
        let mut actors = self.identities_where(|_, c| c.role == Role::User);
        if actors.is_empty() {
            actors = self.identities_where(|_, c| c.role != Role::Anonymous);
        }
        // A public create (a self-registration) is also tried without an account.
        if !self.cat.ops[op].secured {
            actors.extend(self.identities_where(|_, c| c.role == Role::Anonymous));
        }
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
        let k = kind.and_then(|kind| self.cat.kinds.get_index_of(&kind));
        if let (Some(obj), Some(k)) = (written, k) {
            self.read_back(actor, k, obj)?;
        }
        self.read_back_account(actor, op, k)?;
        if self.chance(1, 2) {
            let admin: Vec<usize> = (0..self.cat.ops.len())
                .filter(|&i| self.cat.ops[i].admin && self.aimed(i))
                .collect();
            if let Some(admin_op) = self.pick(&admin) {
                self.step(actor, admin_op, AuthMode::Normal, &[], Prefer::Any, false)?;
            }
        }
        Ok(true)
    }

    /// After a mass assignment by `actor` through `op` (of kind `k`): a write to the caller's
    /// own record (`PATCH /me`) is read back through its `GET`; a write without credentials
    /// (a registration) through an admin's list of the kind, which shows every account.
    fn read_back_account(
        &mut self,
        actor: usize,
        op: usize,
        k: Option<usize>,
    ) -> Result<(), Reason> {
        if self.cast[actor].role == Role::Anonymous {
            let admins = self.identities_where(|_, c| c.role == Role::Admin);
            let lists = k
                .map(|k| self.cat.kinds[k].list.clone())
                .unwrap_or_default();
            if let (Some(admin), Some(list)) = (self.pick(&admins), self.pick(&lists)) {
                self.step(admin, list, AuthMode::Normal, &[], Prefer::Any, false)?;
            }
            return Ok(());
        }
        let path = self.cat.ops[op].id.path().to_string();
        let same_path_read = (0..self.cat.ops.len()).find(|&i| {
            let id = &self.cat.ops[i].id;
            i != op && id.method() == "GET" && id.path() == path
        });
        if let Some(read) = same_path_read {
            self.step(actor, read, AuthMode::Normal, &[], Prefer::Own, false)?;
        }
        Ok(())
    }

    pub(super) fn delete_then_use(&mut self) -> Result<bool, Reason> {
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

    pub(super) fn echo(&mut self) -> Result<bool, Reason> {
        let Some((op, key, echo)) = self.echo_target() else {
            return Ok(false);
        };
        let Some((source, z)) = self.echo_source(&echo)? else {
            return Ok(false);
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

    /// The echo pattern's target: an operation, its argument (a query parameter name or a
    /// body pointer) and the response field that is to supply it, chosen among every such
    /// (operation, argument, source).
    fn echo_target(&mut self) -> Option<(usize, String, Echo)> {
        // Counted first, then the chosen one found: listing every (operation, argument,
        // source) is quadratic in the operations on a large spec, and this runs per case.
        let sources = |info: &OpInfo| -> usize {
            info.params.iter().map(|p| p.echoes.len()).sum::<usize>()
                + info
                    .body
                    .as_ref()
                    .map_or(0, |b| b.echoes.iter().map(|(_, e)| e.len()).sum())
        };
        let aimed = |op: &usize| self.aimed(*op);
        let total: usize = (0..self.cat.ops.len())
            .filter(aimed)
            .map(|op| sources(&self.cat.ops[op]))
            .sum();
        let mut chosen = self.below_opt(total)?;
        let (op, key, e) = (0..self.cat.ops.len())
            .filter(|op| self.aimed(*op))
            .find_map(|op| {
                let info = &self.cat.ops[op];
                let here = sources(info);
                if chosen >= here {
                    chosen -= here;
                    return None;
                }
                let params = info.params.iter().map(|p| (&p.name, p.echoes.len()));
                let body = info.body.iter().flat_map(|b| b.echoes.iter());
                params
                    .chain(body.map(|(at, e)| (at, e.len())))
                    .find_map(|(key, n)| {
                        if chosen < n {
                            Some((op, key.clone(), chosen))
                        } else {
                            chosen -= n;
                            None
                        }
                    })
            })?;
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
            })?;
        Some((op, key, echo))
    }

    /// The step whose answer supplies `echo`, with the identity that sent it: an earlier step
    /// of the producer, or one sent now.
    fn echo_source(&mut self, echo: &Echo) -> Result<Option<(usize, usize)>, Reason> {
        let named = self.identities_where(|_, c| c.role != Role::Anonymous);
        let earlier: Vec<usize> = (0..self.producers.len())
            .filter(|&i| self.producers[i] == Some(echo.producer))
            .collect();
        if let Some(&i) = earlier.last()
            && self.chance(1, 2)
        {
            let who = self
                .cast
                .iter()
                .position(|c| c.id == self.plans[i].identity)
                .unwrap_or(0);
            return Ok(Some((i, who)));
        }
        let Some(z) = self.pick(&named) else {
            return Ok(None);
        };
        let anchor = self.own_anchor(echo.producer, z)?;
        self.prepare(echo.producer, z)?;
        let step = self.plans.len();
        self.producing += 1;
        let emitted = self.step(
            z,
            echo.producer,
            AuthMode::Normal,
            &anchor,
            Prefer::Own,
            false,
        );
        self.producing -= 1;
        Ok(emitted?.map(|_| (step, z)))
    }

    pub(super) fn change_then_observe(&mut self) -> Result<bool, Reason> {
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

    pub(super) fn negative(&mut self) -> Result<bool, Reason> {
        let ops: Vec<usize> = (0..self.cat.ops.len())
            .filter(|&i| {
                self.aimed(i)
                    && self.cat.ops[i]
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

    pub(super) fn random_step(&mut self) -> Result<bool, Reason> {
        if self.cat.ops.is_empty() || self.cast.is_empty() {
            return Ok(false);
        }
        // All operations unless narrowed, drawn as `below(len)` is.
        let aimed: Vec<usize> = (0..self.cat.ops.len()).filter(|&i| self.aimed(i)).collect();
        let Some(op) = self.pick(&aimed) else {
            return Ok(false);
        };
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
}

//! The objects a pattern acts on: who may own one, obtaining one (with its parents, and
//! sometimes a sibling, first; or from a list) and choosing one for an argument.

use proptest::test_runner::Reason;

use super::super::catalog::{KindInfo, OpInfo};
use super::super::state::Obj;
use super::super::step::{AuthMode, Ref, Role};
use super::{Gen, Prefer};
use crate::model::{CrudRole, ParameterLocation};

/// Fuel for prerequisite chains (parent of parent of ...).
const MAX_DEPTH: u32 = 4;

/// How many objects may be in the making at once (each one's parents, and the lists that name
/// them, nest): a list whose path names an object of its own kind (`GET /lines/{ids}/stops`
/// listing lines) would otherwise prepare itself without end.
const MAX_PRODUCING: u32 = 2 * (MAX_DEPTH + 1);

impl Gen<'_, '_> {
    /// Every identity but `x`, ordinary users twice: another user touching X's object is the
    /// plain BOLA case, admins and anonymous stay in the mix.
    pub(super) fn others_weighted(&self, x: usize) -> Vec<usize> {
        let mut out = self.identities_where(|i, _| i != x);
        out.extend(self.identities_where(|i, c| i != x && c.role == Role::User));
        out.sort_unstable();
        out
    }

    /// Who may own an object of kind `k` at the start of a pattern: any identity with
    /// credentials, or only the admins when every way to create one is an admin operation (a
    /// user's attempt would be refused, and the sequence would stop there).
    pub(super) fn owners_of(&self, k: usize) -> Vec<usize> {
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
    pub(super) fn own_anchor(&mut self, op: usize, actor: usize) -> Result<Vec<usize>, Reason> {
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
    pub(super) fn prepare(&mut self, op: usize, owner: usize) -> Result<(), Reason> {
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

    /// A kind that `wanted` accepts, one of its possible owners, and an object of that kind
    /// owned by them (created first when needed): where the patterns that act on one object
    /// start. `None` when no kind, owner or object can be had.
    pub(super) fn owned_object(
        &mut self,
        wanted: impl Fn(&KindInfo) -> bool,
    ) -> Result<Option<(usize, usize, usize)>, Reason> {
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

    /// A live object of kind `k` owned by `x`: an existing one, or one obtained now by a create
    /// step (with its parents obtained first) or the own-account operation.
    pub(super) fn ensure_owned(
        &mut self,
        x: usize,
        k: usize,
        depth: u32,
    ) -> Result<Option<usize>, Reason> {
        self.producing += 1;
        let obtained = self.obtain_owned(x, k, depth);
        self.producing -= 1;
        obtained
    }

    fn obtain_owned(&mut self, x: usize, k: usize, depth: u32) -> Result<Option<usize>, Reason> {
        if depth > MAX_DEPTH || self.producing > MAX_PRODUCING || self.full() {
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
        let listed = !info.listed.is_empty();
        let singleton = info.singleton;
        let existing = self.state.owned(&kind, x);
        if !existing.is_empty() && (creates.is_empty() || self.chance(1, 2)) {
            return Ok(self.pick(&existing));
        }
        // An account kind: mostly the identity's own account (`GET /me`), sometimes a new one
        // (a registration), which is no account of the identity's.
        let account_first = singleton
            && !accounts.is_empty()
            && self.cast[x].role != Role::Anonymous
            && (creates.is_empty() || self.chance(3, 4));
        if !account_first && let Some(create) = self.pick(&creates) {
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
                    self.ensure_sibling(x, k, pk, create, depth)?;
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
        if listed {
            return self.obtain_listed(x, k);
        }
        Ok(None)
    }

    /// `x` lists kind `k` and takes the key of the first object listed: an object made by
    /// anyone, seeded by the service included, which `x` found but does not own.
    pub(super) fn obtain_listed(&mut self, x: usize, k: usize) -> Result<Option<usize>, Reason> {
        self.producing += 1;
        let obtained = self.list_and_take(x, k);
        self.producing -= 1;
        obtained
    }

    fn list_and_take(&mut self, x: usize, k: usize) -> Result<Option<usize>, Reason> {
        if self.producing > MAX_PRODUCING {
            return Ok(None);
        }
        let Some(i) = self.below_opt(self.cat.kinds[k].listed.len()) else {
            return Ok(None);
        };
        let (op, source) = self.cat.kinds[k].listed[i].clone();
        let kind = self.cat.kinds.get_index(k).map(|(name, _)| name.clone());
        let Some(kind) = kind else { return Ok(None) };
        self.prepare(op, x)?;
        if self
            .step(x, op, AuthMode::Normal, &[], Prefer::Own, false)?
            .is_none()
        {
            return Ok(None);
        }
        let step = self.plans.len() - 1;
        let parents = self.plans[step]
            .params
            .iter()
            .filter(|(loc, _, _)| *loc == ParameterLocation::Path)
            .map(|(_, name, arg)| (name.clone(), arg.clone()))
            .collect();
        Ok(Some(self.state.add(Obj {
            kind,
            owner: x,
            id: Ref { step, source },
            parents,
            deleted: false,
            account: false,
            listed: true,
        })))
    }

    /// Sometimes before `x` creates an object of kind `k` under a parent of kind `pk` with
    /// operation `create`: an object of one of the parent's other collections that the create's
    /// body does not link to, and that a non-admin can create, obtained as `x`.
    fn ensure_sibling(
        &mut self,
        x: usize,
        k: usize,
        pk: usize,
        create: usize,
        depth: u32,
    ) -> Result<(), Reason> {
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
        Ok(())
    }

    /// Chooses an object of `kind` for an argument of a step by `actor`.
    pub(super) fn choose_object(
        &mut self,
        kind: &str,
        actor: usize,
        prefer: Prefer,
    ) -> Option<usize> {
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

    /// `who` reads object `obj` (of kind `k`) back through one of the kind's reads, when it
    /// has one.
    pub(super) fn read_back(&mut self, who: usize, k: usize, obj: usize) -> Result<(), Reason> {
        let reads = self.cat.kinds[k].read.clone();
        if let Some(read) = self.pick(&reads) {
            self.step(who, read, AuthMode::Normal, &[obj], Prefer::Own, false)?;
        }
        Ok(())
    }
}

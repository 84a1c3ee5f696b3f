//! One step: its arguments (anchored, chosen objects, echoes of earlier answers or generated
//! values), its body, and what it does to the reference state.

use indexmap::IndexMap;
use proptest::strategy::{SBoxedStrategy, Strategy};
use proptest::test_runner::Reason;
use serde_json::Value;

use super::super::catalog::{BodyInfo, Echo, OpInfo, ParamInfo, UniqueKey};
use super::super::state::Obj;
use super::super::step::{AuthMode, BodyRef, Ref, RefSource, Role};
use super::super::tree::{ArgPlan, BodyPlan, StepPlan, ValueSlot};
use super::{Emitted, Gen, Prefer};
use crate::model::{CrudRole, ParameterLocation};
use crate::values::attack::{self, Admits, AttackStrategy, Labelled, Site};
use crate::values::payload::{self, Family};

/// How a parameter of a step is bound, decided before any value is drawn.
enum Planned {
    Fixed(ArgPlan),
    Generate,
    Omit,
}

/// The arguments fixed so far while a step is built: by parameter name, the argument, and for
/// the parameters that name an object (anchored or chosen), that object.
#[derive(Default)]
struct Bound {
    args: IndexMap<String, ArgPlan>,
    objects: IndexMap<String, usize>,
}

impl Gen<'_, '_> {
    /// Appends one step of `op` by `actor`, if its preconditions hold. Object arguments are
    /// fixed by `anchors` (an anchor fixes the argument of its own kind and its parents'
    /// arguments), else chosen per `prefer`; the rest are generated values. With `mass`, the
    /// body carries privileged fields.
    pub(super) fn step(
        &mut self,
        actor: usize,
        op: usize,
        auth: AuthMode,
        anchors: &[usize],
        prefer: Prefer,
        mass: bool,
    ) -> Result<Option<Emitted>, Reason> {
        if self.full() || self.cat.excluded(op) || (!self.aimed(op) && self.producing == 0) {
            return Ok(None);
        }
        let cat = self.cat;
        let info = &cat.ops[op];
        let mut bound = self.anchored(info, anchors);
        // Bind parameters, nearest object first, so a chosen object's parents fix the rest.
        let mut planned = Vec::with_capacity(info.params.len());
        for p in info.params.iter().rev() {
            let Some(binding) = self.bind_param(p, actor, prefer, &mut bound) else {
                return Ok(None);
            };
            planned.push(binding);
        }
        planned.reverse();
        // Preconditions hold: generate values.
        let mut params = Vec::new();
        for (p, planned) in info.params.iter().zip(planned) {
            let arg = match planned {
                Planned::Omit => continue,
                Planned::Fixed(arg) => arg,
                Planned::Generate => ArgPlan::Value(self.param_slot(p)?),
            };
            params.push((p.location, p.name.clone(), arg));
        }
        let body = match &info.body {
            None => None,
            Some(b) => match b.negative.as_ref().filter(|_| self.negative) {
                Some(negative) => {
                    // The broken body goes as generated: a reference filled in would repair a
                    // field the mutation removed or retyped.
                    let body = BodyPlan {
                        media_type: b.media_type.clone(),
                        slot: self.labelled_slot(negative.clone())?,
                        extra: Vec::new(),
                        refs: Vec::new(),
                        violates: Vec::new(),
                    };
                    self.push_plan(actor, op, auth, params, Some(body), None);
                    return Ok(Some(Emitted { produced: None }));
                }
                None => Some(self.body_plan(b, actor, mass)?),
            },
        };
        let producer = (auth == AuthMode::Normal).then_some(op);
        let step = self.push_plan(actor, op, auth, params, body, producer);
        let produced = self.apply(step, actor, op, auth, &bound.objects);
        Ok(Some(Emitted { produced }))
    }

    /// The arguments `anchors` fix for a step of `info`: the anchored object's id for the last
    /// parameter of its kind, and its parents' arguments by name (unless the step binds its
    /// parents to the actor's own objects).
    fn anchored(&self, info: &OpInfo, anchors: &[usize]) -> Bound {
        let mut bound = Bound::default();
        for &a in anchors {
            let obj = &self.state.objects[a];
            if let Some(p) = info
                .params
                .iter()
                .rev()
                .find(|p| p.kind.as_deref() == Some(obj.kind.as_str()))
            {
                bound
                    .args
                    .insert(p.name.clone(), ArgPlan::Ref(obj.id.clone()));
                bound.objects.insert(p.name.clone(), a);
            }
            if self.own_parents {
                continue;
            }
            for (name, arg) in &obj.parents {
                bound
                    .args
                    .entry(name.clone())
                    .or_insert_with(|| arg.clone());
            }
        }
        bound
    }

    /// How parameter `p` of a step by `actor` is bound: fixed already, an object chosen per
    /// `prefer` (whose parents then fix theirs), a forced or chosen echo of an earlier answer,
    /// a generated value, or left out. `None` when it must name an object and none exists.
    fn bind_param(
        &mut self,
        p: &ParamInfo,
        actor: usize,
        prefer: Prefer,
        bound: &mut Bound,
    ) -> Option<Planned> {
        if let Some(arg) = bound.args.get(&p.name) {
            return Some(Planned::Fixed(arg.clone()));
        }
        if let Some(kind) = &p.kind {
            if !p.required && !self.chance(1, 2) {
                return Some(Planned::Omit);
            }
            let Some(o) = self.choose_object(kind, actor, prefer) else {
                return (!p.required).then_some(Planned::Omit);
            };
            let obj = &self.state.objects[o];
            for (name, arg) in &obj.parents {
                bound
                    .args
                    .entry(name.clone())
                    .or_insert_with(|| arg.clone());
            }
            bound.objects.insert(p.name.clone(), o);
            return Some(Planned::Fixed(ArgPlan::Ref(obj.id.clone())));
        }
        if let Some(r) = self.take_forced(&p.name) {
            return Some(Planned::Fixed(ArgPlan::Ref(r)));
        }
        let echoes = self.echo_candidates(&p.echoes);
        if !echoes.is_empty() && (p.required || self.chance(2, 3)) && self.chance(2, 3) {
            return Some(Planned::Fixed(ArgPlan::Ref(self.pick_echo(&echoes))));
        }
        if p.required || self.chance(1, 3) {
            Some(Planned::Generate)
        } else {
            Some(Planned::Omit)
        }
    }

    /// The body of a step by `actor`: a value (only the required fields while setting up), the
    /// privileged fields with `mass`, then the fields that name objects and those that echo
    /// earlier answers.
    fn body_plan(&mut self, b: &BodyInfo, actor: usize, mass: bool) -> Result<BodyPlan, Reason> {
        let slot = if self.setting_up > 0 {
            self.slot(&b.minimal)?
        } else {
            let sites: Vec<(String, Admits)> = b.sites.clone();
            self.attack_slot(&b.strategy, &sites, false, "")?
        };
        let mut extra = Vec::new();
        let mut violates = Vec::new();
        if mass && !b.privileged.is_empty() {
            let first = self.below(b.privileged.len());
            // Mostly one field at a time: a server that refuses unknown fields refuses the
            // whole body, which would hide the one field that takes.
            for (i, (name, strategy, label)) in b.privileged.iter().enumerate() {
                if i == first || self.chance(1, 8) {
                    extra.push((name.clone(), self.slot(strategy)?));
                    violates.push(label.clone());
                }
            }
        }
        if let Some(key) = &b.key {
            let slot = self.key_slot(key)?;
            extra.push((key.field.clone(), slot));
        }
        let mut refs = Vec::new();
        for (pointer, kind) in &b.links {
            if let Some(o) = self.linked_object(kind, actor)? {
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
        Ok(BodyPlan {
            media_type: b.media_type.clone(),
            slot,
            extra,
            refs,
            violates,
        })
    }

    /// The object of `kind` a body field of a step by `actor` names (an order's `addressId`),
    /// set up first when there is none yet, as for path parameters (bounded: a create needing
    /// a create ...).
    fn linked_object(&mut self, kind: &str, actor: usize) -> Result<Option<usize>, Reason> {
        // An account (a member's `userId`) is anyone's: naming oneself is the rarer case.
        let singleton = self.cat.kinds.get(kind).is_some_and(|k| k.singleton);
        let prefer = if singleton { Prefer::Any } else { Prefer::Own };
        let chosen = self.choose_object(kind, actor, prefer);
        if chosen.is_some() || self.setting_up >= 2 || self.cast[actor].role == Role::Anonymous {
            return Ok(chosen);
        }
        let Some(k) = self.cat.kinds.get_index_of(kind) else {
            return Ok(chosen);
        };
        // Objects only admins create are set up by an admin.
        let owners = self.owners_of(k);
        let owner = if owners.contains(&actor) {
            Some(actor)
        } else {
            self.pick(&owners)
        };
        let Some(owner) = owner else {
            return Ok(chosen);
        };
        self.setting_up += 1;
        let made = self.ensure_owned(owner, k, 1);
        self.setting_up -= 1;
        made
    }

    /// Appends the plan of a step of `op` by `actor`, with the operation whose answer may
    /// supply later arguments (`producer`); returns its index.
    fn push_plan(
        &mut self,
        actor: usize,
        op: usize,
        auth: AuthMode,
        params: Vec<(ParameterLocation, String, ArgPlan)>,
        body: Option<BodyPlan>,
        producer: Option<usize>,
    ) -> usize {
        self.plans.push(StepPlan {
            identity: self.cast[actor].id.clone(),
            op: self.cat.ops[op].id.clone(),
            read_instead: self.cat.read_instead(op),
            auth,
            params,
            body,
        });
        self.producers.push(producer);
        self.plans.len() - 1
    }

    /// Applies step `step` (of `op` by `actor`) to the reference state: the object it creates
    /// or the account it fetches (returned), or the object it deletes (among `objects`, the
    /// objects its parameters name). A step sent without the identity's credentials changes
    /// nothing it owns.
    fn apply(
        &mut self,
        step: usize,
        actor: usize,
        op: usize,
        auth: AuthMode,
        objects: &IndexMap<String, usize>,
    ) -> Option<usize> {
        let info = &self.cat.ops[op];
        let mut produced = None;
        let parents: Vec<(String, ArgPlan)> = self.plans[step]
            .params
            .iter()
            .filter(|(loc, _, _)| *loc == ParameterLocation::Path)
            .map(|(_, name, arg)| (name.clone(), arg.clone()))
            .collect();
        let effective = auth == AuthMode::Normal;
        match &info.kind {
            Some((kind, CrudRole::Create)) if effective => {
                let k = self.cat.kinds.get(kind);
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
                        listed: false,
                    }));
                }
            }
            Some((kind, CrudRole::Delete)) if effective => {
                let own_param = info
                    .params
                    .iter()
                    .rev()
                    .find(|p| p.kind.as_deref() == Some(kind.as_str()));
                if let Some(o) = own_param.and_then(|p| objects.get(&p.name)) {
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
                listed: false,
            }));
        }
        produced
    }

    /// The reference forced for argument `key` (a query parameter name or a body pointer) of
    /// the step being built, if any; it is used once.
    pub(super) fn take_forced(&mut self, key: &str) -> Option<Ref> {
        if self.forced_echo.as_ref().is_some_and(|(k, _)| k == key) {
            self.forced_echo.take().map(|(_, r)| r)
        } else {
            None
        }
    }

    /// References to the fields of earlier steps' responses that `echoes` name.
    pub(super) fn echo_candidates(&self, echoes: &[Echo]) -> Vec<Ref> {
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

    pub(super) fn slot(&mut self, strategy: &SBoxedStrategy<Value>) -> Result<usize, Reason> {
        let slot = ValueSlot::new(strategy.clone(), self.runner)?;
        self.slots.push(slot);
        Ok(self.slots.len() - 1)
    }

    fn labelled_slot(&mut self, strategy: SBoxedStrategy<Labelled>) -> Result<usize, Reason> {
        let slot = ValueSlot::labelled(strategy, self.runner)?;
        self.slots.push(slot);
        Ok(self.slots.len() - 1)
    }

    /// The slot of a generated parameter value: sometimes an attack payload, when its schema
    /// admits one, labelled `payload <family> at <location>/<name>`.
    fn param_slot(&mut self, p: &ParamInfo) -> Result<usize, Reason> {
        let Some(admits) = p.admits else {
            return self.slot(&p.strategy);
        };
        let location = match p.location {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
            ParameterLocation::Cookie => "cookie",
        };
        let prefix = format!("{location}/{}", p.name);
        let path = p.location == ParameterLocation::Path;
        self.attack_slot(&p.strategy, &[(String::new(), admits)], path, &prefix)
    }

    /// The slot of the natural key a create sends: unique per step (see
    /// [`unique_key_strategy`]), and at the attack rate a long string (the ReDoS
    /// family, `aaa…a!`) that stays unique by its length, `maxLength` (or the cap) less the
    /// step's index, labelled `payload long at /<field>`. Slugs, titles and user names are
    /// where hand-written backtracking matchers live, and a key never carries another payload.
    /// Never while setting up a prerequisite, nor for e-mail keys (no `aaa…a!` is an address);
    /// a long key shrinks back to the plain one when the failure does not need it.
    fn key_slot(&mut self, key: &UniqueKey) -> Result<usize, Reason> {
        let step = self.plans.len();
        let plain = unique_key_strategy(key, step);
        let rate = self.config.attack_millionths();
        if self.setting_up > 0 || key.email || rate == 0 {
            return self.slot(&plain);
        }
        if self.below(1_000_000) >= rate {
            return self.slot(&plain);
        }
        let limit = key.max_len.unwrap_or(usize::MAX).min(self.config.long_cap);
        let len = limit.saturating_sub(step);
        if len < payload::LONG_MIN.max(key.min_len) {
            return self.slot(&plain);
        }
        let site = Site {
            at: String::new(),
            payloads: vec![(Family::Long, vec![payload::long(len)])],
        };
        let prefix = format!("/{}", crate::pointer::escape(&key.field));
        match AttackStrategy::new(plain.clone(), vec![site], &prefix) {
            Some(attack) => self.labelled_slot(attack.sboxed()),
            None => self.slot(&plain),
        }
    }

    /// A slot of `strategy`, which carries an attack payload at one of `sites` with the
    /// configured chance (drawn only when there is a site and the rate is not 0, so that
    /// without payloads the draws are as before).
    fn attack_slot(
        &mut self,
        strategy: &SBoxedStrategy<Value>,
        sites: &[(String, Admits)],
        path: bool,
        prefix: &str,
    ) -> Result<usize, Reason> {
        let rate = self.config.attack_millionths();
        if sites.is_empty() || rate == 0 || self.below(1_000_000) >= rate {
            return self.slot(strategy);
        }
        let cap = self.config.long_cap;
        let sites = sites
            .iter()
            .map(|(at, admits)| Site {
                at: at.clone(),
                payloads: attack::candidates(*admits, path, cap),
            })
            .collect();
        match AttackStrategy::new(strategy.clone(), sites, prefix) {
            Some(attack) => self.labelled_slot(attack.sboxed()),
            None => self.slot(strategy),
        }
    }
}

/// Values for a natural key a create sends, unique per step: `k<step>x` and six random
/// letters or digits (`k3xq81zpa`), padded to the minimum length, as an email address at
/// `example.com` when the field wants one. Distinct steps of a case never collide, and the
/// service's seeded objects are not named like that.
fn unique_key_strategy(key: &UniqueKey, step: usize) -> SBoxedStrategy<Value> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let key = key.clone();
    proptest::collection::vec(0..ALPHABET.len(), 6)
        .prop_map(move |picks| {
            let random: String = picks.iter().map(|&i| char::from(ALPHABET[i])).collect();
            let mut text = format!("k{step}x{random}");
            let domain = if key.email { "@example.com" } else { "" };
            while text.len() + domain.len() < key.min_len {
                text.push('x');
            }
            if let Some(max) = key.max_len {
                text.truncate(max.saturating_sub(domain.len()));
            }
            Value::String(format!("{text}{domain}"))
        })
        .sboxed()
}

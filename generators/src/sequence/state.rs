//! The reference state of sequence generation: which identity owns which symbolic objects of
//! which kind (or found in a list), how each object is reached (its id as a reference to the step that produced it,
//! and the arguments of its parents), and which objects were deleted.

use super::step::Ref;
use super::tree::ArgPlan;

/// One object a step produced, known only symbolically.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Obj {
    /// Its kind (`order`).
    pub kind: String,
    /// Index of the owning identity in the cast.
    pub owner: usize,
    /// Where its id is: a reference to the producing step's response.
    pub id: Ref,
    /// The parent arguments it was created under (`userId` -> a reference or a value).
    pub parents: Vec<(String, ArgPlan)>,
    /// Whether a delete step has removed it.
    pub deleted: bool,
    /// Whether it is the owner's own account (from `GET /me`), not a created object.
    pub account: bool,
    /// Whether it was found in a list the owner sent (maybe made by someone else, or seeded
    /// by the service), not made by the owner: `owner` is only who found it.
    pub listed: bool,
}

/// Which objects exist, symbolically, after the steps generated so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModelState {
    pub objects: Vec<Obj>,
}

impl ModelState {
    /// Objects of `kind` matching `filter`, by index.
    pub fn find(&self, kind: &str, filter: impl Fn(&Obj) -> bool) -> Vec<usize> {
        self.objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.kind == kind && filter(o))
            .map(|(i, _)| i)
            .collect()
    }

    /// Live objects of `kind` owned by identity `owner` (not those it only found in a list).
    pub fn owned(&self, kind: &str, owner: usize) -> Vec<usize> {
        self.find(kind, |o| o.owner == owner && !o.deleted && !o.listed)
    }

    /// The account object of identity `owner` in `kind`, if it was fetched.
    pub fn account(&self, kind: &str, owner: usize) -> Option<usize> {
        self.find(kind, |o| o.owner == owner && o.account)
            .first()
            .copied()
    }

    /// Adds an object and returns its index.
    pub fn add(&mut self, obj: Obj) -> usize {
        self.objects.push(obj);
        self.objects.len() - 1
    }
}

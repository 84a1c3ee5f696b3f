//! Attack payloads as argument values: where a schema admits one ([`admits`], [`sites`]), and a
//! strategy that puts one into a generated value ([`AttackStrategy`]).
//!
//! A site is a string that no `enum`, `const`, `pattern` or asserted `format` constrains; a
//! payload fits it when its length (in characters) is within `minLength` and `maxLength`. The
//! long family's strings grow by fours from [`payload::LONG_MIN`] up to `maxLength` or a cap,
//! which is the longest.
//! The value with a payload is still valid against its schema: a payload is hostile, not
//! invalid.
//!
//! Shrinking first drops the payload (the plain value the payload replaced comes back), then
//! shrinks the plain value with the payload in place, so a finding that does not need the
//! payload ends without one and one that does keeps it.

use std::sync::Arc;

use proptest::prelude::Rng;
use proptest::strategy::{NewTree, SBoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;

use super::formats;
use super::payload::{self, Family};
use crate::model::{SchemaId, SchemaKind, Schemas};

/// The default cap on the length of the long family's strings.
pub const DEFAULT_LONG_CAP: usize = 4096;

/// Nesting levels of object properties searched for sites.
const MAX_SITE_DEPTH: usize = 3;
/// Sites of one body at most.
const MAX_SITES: usize = 32;

/// A value with the labels of what it deliberately breaks or attacks
/// (`payload sql at /name`, `minLength at /username`).
pub type Labelled = (Value, Vec<String>);

/// The lengths a string schema admits, when it admits payloads at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admits {
    /// `minLength`.
    pub min: u64,
    /// `maxLength`.
    pub max: Option<u64>,
}

/// Whether schema `id` admits attack payloads: a string schema without `enum`, `const`,
/// `pattern` or an asserted `format`; with its length bounds.
pub fn admits(schemas: &Schemas, id: SchemaId) -> Option<Admits> {
    let s = schemas.try_get(id)?;
    if s.enum_values.is_some()
        || s.const_value.is_some()
        || s.format.as_deref().is_some_and(formats::is_asserted)
    {
        return None;
    }
    match &s.kind {
        SchemaKind::String(b) if b.pattern.is_none() => Some(Admits {
            min: b.min_length.unwrap_or(0),
            max: b.max_length,
        }),
        _ => None,
    }
}

/// The places of a request body of schema `id` that admit payloads, as JSON pointers (`""`
/// for the whole body, `/name`, `/address/street`): the body itself, or its properties
/// (read-only ones left out), through nested objects, at most 32.
pub fn sites(schemas: &Schemas, id: SchemaId) -> Vec<(String, Admits)> {
    let mut out = Vec::new();
    walk(schemas, id, String::new(), 0, &mut out);
    out
}

fn walk(
    schemas: &Schemas,
    id: SchemaId,
    at: String,
    depth: usize,
    out: &mut Vec<(String, Admits)>,
) {
    if out.len() >= MAX_SITES {
        return;
    }
    if let Some(a) = admits(schemas, id) {
        out.push((at, a));
        return;
    }
    let Some(SchemaKind::Object(o)) = schemas.try_get(id).map(|s| &s.kind) else {
        return;
    };
    if depth >= MAX_SITE_DEPTH {
        return;
    }
    for (name, &prop) in &o.properties {
        if schemas.try_get(prop).is_some_and(|s| s.read_only) {
            continue;
        }
        let child = format!("{at}/{}", crate::pointer::escape(name));
        walk(schemas, prop, child, depth + 1, out);
    }
}

/// The payloads that fit `admits`, by family (families with none left out). In a path
/// parameter (`path`), no payload that holds a `/` or `\`, raw or percent-encoded, nor one
/// that is a dot segment: the request would go to another route.
pub fn candidates(admits: Admits, path: bool, long_cap: usize) -> Vec<(Family, Vec<String>)> {
    let fits = |text: &str| {
        let len = text.chars().count() as u64;
        len >= admits.min && admits.max.is_none_or(|max| len <= max)
    };
    let mut out = Vec::new();
    for &family in Family::ALL {
        let texts: Vec<String> = if family == Family::Long {
            let limit = admits
                .max
                .map_or(long_cap, |m| usize::try_from(m).unwrap_or(usize::MAX))
                .min(long_cap);
            let mut lengths = Vec::new();
            let mut len = payload::LONG_MIN.max(usize::try_from(admits.min).unwrap_or(usize::MAX));
            while len <= limit {
                lengths.push(len);
                len = len.saturating_mul(4);
            }
            // The longest string the field takes too: a title of at most 100 characters gets
            // 100, not only 32 (growth probes start short anyway, see the `redos` oracle).
            if lengths.last().is_some_and(|&last| last < limit) {
                lengths.push(limit);
            }
            lengths.into_iter().map(payload::long).collect()
        } else {
            family
                .payloads()
                .iter()
                .filter(|t| fits(t) && (!path || fills_segment(t)))
                .map(|t| (*t).to_string())
                .collect()
        };
        if !texts.is_empty() {
            out.push((family, texts));
        }
    }
    out
}

/// Whether `text`, sent as one percent-encoded path segment, stays one non-dot segment even
/// when a server decodes it once more.
fn fills_segment(text: &str) -> bool {
    let decoded = percent_decode(text);
    !text.is_empty()
        && ![text, decoded.as_str()]
            .iter()
            .any(|t| t.contains('/') || t.contains('\\') || matches!(*t, "." | ".."))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One place a payload may go, with the payloads that fit it.
#[derive(Debug, Clone)]
pub struct Site {
    /// JSON pointer into the value (`""`: the whole value).
    pub at: String,
    /// The payloads that fit, by family.
    pub payloads: Vec<(Family, Vec<String>)>,
}

/// A strategy of labelled values: a value of `base` with one payload at one of `sites`,
/// labelled `payload <family> at <where>`, where is `label_prefix` followed by the site's
/// pointer (`body` for a whole body, `query/q` for a parameter). A site the value lacks is
/// added when its parent object is there; else the value goes plain, unlabelled.
#[derive(Debug, Clone)]
#[must_use = "strategies do nothing unless used"]
pub struct AttackStrategy {
    base: SBoxedStrategy<Value>,
    sites: Arc<Vec<Site>>,
    label_prefix: String,
}

impl AttackStrategy {
    /// `None` when no site has a payload.
    pub fn new(base: SBoxedStrategy<Value>, sites: Vec<Site>, label_prefix: &str) -> Option<Self> {
        let sites: Vec<Site> = sites
            .into_iter()
            .filter(|s| !s.payloads.is_empty())
            .collect();
        (!sites.is_empty()).then(|| Self {
            base,
            sites: Arc::new(sites),
            label_prefix: label_prefix.to_string(),
        })
    }
}

impl Strategy for AttackStrategy {
    type Tree = AttackTree;
    type Value = Labelled;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let base = self.base.new_tree(runner)?;
        let rng = runner.rng();
        let mut below = |n: usize| ((u64::from(rng.next_u32()) * n as u64) >> 32) as usize;
        let site = &self.sites[below(self.sites.len())];
        let (family, texts) = &site.payloads[below(site.payloads.len())];
        let text = texts[below(texts.len())].clone();
        let at = if self.label_prefix.is_empty() && site.at.is_empty() {
            "body".to_string()
        } else {
            format!("{}{}", self.label_prefix, site.at)
        };
        Ok(AttackTree {
            base,
            at: site.at.clone(),
            text,
            label: format!("payload {family} at {at}"),
            armed: true,
            can_disarm: true,
            last: Last::None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    None,
    Disarm,
    Base,
}

/// The tree of [`AttackStrategy`].
pub struct AttackTree {
    base: Box<dyn ValueTree<Value = Value>>,
    at: String,
    text: String,
    label: String,
    armed: bool,
    can_disarm: bool,
    last: Last,
}

impl std::fmt::Debug for AttackTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttackTree")
            .field("label", &self.label)
            .field("armed", &self.armed)
            .finish()
    }
}

impl ValueTree for AttackTree {
    type Value = Labelled;

    fn current(&self) -> Labelled {
        let mut value = self.base.current();
        if self.armed && place(&mut value, &self.at, &self.text) {
            (value, vec![self.label.clone()])
        } else {
            (value, Vec::new())
        }
    }

    fn simplify(&mut self) -> bool {
        if self.armed && self.can_disarm {
            self.armed = false;
            self.last = Last::Disarm;
            return true;
        }
        self.last = Last::Base;
        self.base.simplify()
    }

    fn complicate(&mut self) -> bool {
        match self.last {
            Last::Disarm => {
                // The payload is needed: keep it and shrink the rest.
                self.armed = true;
                self.can_disarm = false;
                self.last = Last::None;
                true
            }
            Last::Base => self.base.complicate(),
            Last::None => false,
        }
    }
}

/// Writes `text` at JSON pointer `at` of `value` (adding the property when its parent object
/// is there); false when there is no such place.
fn place(value: &mut Value, at: &str, text: &str) -> bool {
    if at.is_empty() {
        *value = Value::String(text.to_string());
        return true;
    }
    let Some((parent, last)) = at.rsplit_once('/') else {
        return false;
    };
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(
                crate::pointer::unescape(last).into_owned(),
                Value::String(text.to_string()),
            );
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Just;

    use super::*;

    #[test]
    fn path_parameters_get_no_separator_and_no_dot_segment() {
        let open = Admits { min: 0, max: None };
        let all: Vec<String> = candidates(open, true, 64)
            .into_iter()
            .flat_map(|(_, t)| t)
            .collect();
        assert!(all.iter().all(|t| fills_segment(t)), "{all:?}");
        assert!(!all.iter().any(|t| t.contains("%2f") || t.contains('/')));
        assert!(all.contains(&"' OR '1'='1".to_string()));
        let body: Vec<String> = candidates(open, false, 64)
            .into_iter()
            .flat_map(|(_, t)| t)
            .collect();
        assert!(body.contains(&"../../../../etc/passwd".to_string()));
        assert!(!fills_segment("%2e%2e"), "decodes to a dot segment");
    }

    #[test]
    fn lengths_bound_the_payloads_and_the_long_family_grows_by_fours_to_the_cap() {
        let short = candidates(
            Admits {
                min: 0,
                max: Some(3),
            },
            false,
            4096,
        );
        for (family, texts) in &short {
            assert_ne!(*family, Family::Long);
            assert!(texts.iter().all(|t| t.chars().count() <= 3), "{texts:?}");
        }
        let long = candidates(
            Admits {
                min: 0,
                max: Some(600),
            },
            false,
            4096,
        );
        let (_, texts) = long.iter().find(|(f, _)| *f == Family::Long).unwrap();
        let lengths: Vec<usize> = texts.iter().map(String::len).collect();
        assert_eq!(lengths, [32, 128, 512, 600], "by fours, then the maxLength");
        let capped = candidates(Admits { min: 0, max: None }, false, 200);
        let (_, texts) = capped.iter().find(|(f, _)| *f == Family::Long).unwrap();
        assert_eq!(
            texts.iter().map(String::len).max(),
            Some(200),
            "up to the cap"
        );
        assert!(
            candidates(
                Admits {
                    min: 2000,
                    max: None
                },
                false,
                100
            )
            .is_empty()
        );
    }

    #[test]
    fn the_payload_is_placed_labelled_and_shrinks_away_first() {
        let site = Site {
            at: "/name".into(),
            payloads: vec![(Family::Sql, vec!["'".into()])],
        };
        let base = Just(serde_json::json!({"n": 1})).sboxed();
        let s = AttackStrategy::new(base, vec![site], "").unwrap();
        let mut tree = s.new_tree(&mut TestRunner::deterministic()).unwrap();
        assert_eq!(
            tree.current(),
            (
                serde_json::json!({"n": 1, "name": "'"}),
                vec!["payload sql at /name".to_string()]
            )
        );
        assert!(tree.simplify());
        assert_eq!(tree.current().1, Vec::<String>::new());
        assert!(tree.complicate(), "the payload was needed");
        assert_eq!(tree.current().1.len(), 1);
        assert!(!tree.simplify(), "nothing left to shrink");
        assert_eq!(tree.current().1.len(), 1, "it stays");
        let mut absent = serde_json::json!(3);
        assert!(!place(&mut absent, "/a/b", "x"));
    }
}

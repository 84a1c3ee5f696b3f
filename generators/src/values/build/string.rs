//! Strings: lengths in characters, patterns and formats. A format's own generator is tried
//! first, then the first pattern, then plain characters; what construction cannot guarantee is
//! checked.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

use super::merged::Merged;
use super::{Builder, Built, MAX_MIN, Strat};
use crate::values::error::{Unsatisfiable, UnsatisfiableKind};
use crate::values::filter::{FuseExt, Predicate, one_of};
use crate::values::formats;
use crate::values::regex::Pattern;

/// Characters generated beyond `minLength` for plain strings.
const EXTRA_CHARS: u64 = 12;

impl<'a> Builder<'a> {
    pub(super) fn string(&mut self, m: &Merged<'a>) -> Built {
        let pointer = m.pointer.as_str();
        let min = m.min_len;
        if m.max_len.is_some_and(|max| max < min) || min > MAX_MIN {
            return Err(Unsatisfiable::new(
                pointer,
                UnsatisfiableKind::Contradiction,
                format!(
                    "string length bounds [{min}, {}] cannot be generated",
                    m.max_len.map_or("inf".into(), |x| x.to_string())
                ),
            ));
        }
        let mut patterns = Vec::new();
        for p in &m.patterns {
            match self.src.compile(p) {
                Some(compiled) => patterns.push(compiled),
                None => {
                    return Err(Pattern::parse(p, pointer).err().unwrap_or_else(|| {
                        Unsatisfiable::new(
                            pointer,
                            UnsatisfiableKind::UnsupportedPattern,
                            format!("pattern `{p}` cannot be compiled"),
                        )
                    }));
                }
            }
        }
        let first_pattern = patterns.first().cloned();
        let asserted: Vec<String> = m
            .formats
            .iter()
            .filter(|f| formats::is_asserted(f))
            .map(|f| f.to_string())
            .collect();
        let (min_len, max_len) = (min, m.max_len);
        let predicate: Predicate = Arc::new(move |v: &Value| {
            let Some(s) = v.as_str() else {
                return false;
            };
            let len = s.chars().count() as u64;
            len >= min_len
                && max_len.is_none_or(|max| len <= max)
                && patterns.iter().all(|p| p.is_match(s))
                && asserted.iter().all(|f| formats::check(f, s))
        });
        let by_format = m.formats.iter().find_map(|f| formats::strategy(f));
        let what = format!(
            "no generated string satisfies pattern {:?}, formats {:?} and lengths [{min}, {}] together",
            m.patterns,
            m.formats,
            m.max_len.map_or("inf".into(), |x| x.to_string())
        );
        // A format's own generator gives the most natural values (`ab@example.com` rather
        // than what a permissive e-mail pattern produces); the pattern is the fallback.
        if let Some(generated) = by_format.clone() {
            let source = generated.prop_map(Value::String).fused();
            let built = self.checked(
                source,
                Arc::clone(&predicate),
                pointer,
                UnsatisfiableKind::Contradiction,
                what.clone(),
            );
            if built.is_ok() || m.patterns.is_empty() {
                return built;
            }
        }
        let Some(first) = first_pattern else {
            return Ok(plain_string(min, m.max_len));
        };
        let raw = first.strategy(pointer, u32::try_from(min).unwrap_or(u32::MAX))?;
        let base = if min > 0 {
            let pad = usize::try_from(min).unwrap_or(usize::MAX);
            raw.prop_map(move |mut s| {
                let len = s.chars().count();
                if len < pad {
                    s.extend(std::iter::repeat_n('a', pad - len));
                }
                s
            })
            .fused()
        } else {
            raw
        };
        let source = base.prop_map(Value::String).fused();
        self.checked(
            source,
            predicate,
            pointer,
            UnsatisfiableKind::UnsupportedPattern,
            what,
        )
    }
}

/// Strings of plain characters, `min` to a few more than `min` long, shrinking toward short
/// runs of `a`.
fn plain_string(min: u64, max: Option<u64>) -> Strat {
    let lo = min as usize;
    let hi = max.map_or(min + EXTRA_CHARS, |m| m.min(min + EXTRA_CHARS)) as usize;
    let chars = one_of(vec![
        (8, prop::char::range('a', 'z').fused()),
        (
            2,
            prop::char::ranges(vec!['A'..='Z', '0'..='9'].into()).fused(),
        ),
        (1, prop::sample::select(vec!['-', '_', '.', ' ']).fused()),
    ]);
    vec(chars, lo..=hi.max(lo))
        .prop_map(|c| Value::String(c.into_iter().collect()))
        .fused()
}

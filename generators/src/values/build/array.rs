//! Arrays: length bounds, `prefixItems` then `items`, and `uniqueItems` (duplicates dropped,
//! then checked against `minItems`).

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

use super::merged::Merged;
use super::{Builder, Built, MAX_MIN, Strat};
use crate::values::check::{Part, json_eq};
use crate::values::error::{Unsatisfiable, UnsatisfiableKind};
use crate::values::filter::{FuseExt, Predicate};

/// Items generated beyond `minItems` (while depth allows optional content).
const EXTRA_ITEMS: u64 = 3;

impl<'a> Builder<'a> {
    pub(super) fn array(&mut self, m: &Merged<'a>, depth: u32) -> Built {
        let pointer = m.pointer.clone();
        let arrays = &m.arrays;
        let min = arrays.iter().filter_map(|a| a.min_items).max().unwrap_or(0);
        let max = arrays.iter().filter_map(|a| a.max_items).min();
        let unique = arrays.iter().any(|a| a.unique_items);
        if max.is_some_and(|max| max < min) || min > MAX_MIN {
            return Err(Unsatisfiable::new(
                pointer,
                UnsatisfiableKind::Contradiction,
                format!("array length bounds minItems {min} / maxItems {max:?} cannot be met"),
            ));
        }
        let optional = depth < self.ctx.max_depth;
        let mut hi = if optional { min + EXTRA_ITEMS } else { min };
        if let Some(max) = max {
            hi = hi.min(max);
        }
        let prefix_len = arrays
            .iter()
            .map(|a| a.prefix_items.len() as u64)
            .max()
            .unwrap_or(0);
        let mut prefix: Vec<Strat> = Vec::new();
        for i in 0..prefix_len.min(hi) {
            let parts: Vec<Part> = arrays
                .iter()
                .map(|a| Part::Full(a.prefix_items.get(i as usize).copied().unwrap_or(a.items)))
                .collect();
            match self.conj(&parts, depth + 1) {
                Ok(s) => prefix.push(s),
                Err(e) if i < min => return Err(e),
                Err(_) => {
                    hi = i;
                    break;
                }
            }
        }
        let mut tail: Option<Strat> = None;
        if hi > prefix_len {
            let parts: Vec<Part> = arrays.iter().map(|a| Part::Full(a.items)).collect();
            match self.conj(&parts, depth + 1) {
                Ok(s) => tail = Some(s),
                Err(e) if min > prefix_len => return Err(e),
                Err(_) => hi = prefix_len,
            }
        }
        let generated = prefix.len() as u64;
        let strategy: Strat = if generated == 0 {
            match tail {
                Some(items) => vec(items, min as usize..=hi as usize)
                    .prop_map(Value::Array)
                    .fused(),
                None => Just(Value::Array(Vec::new())).fused(),
            }
        } else {
            let tail_lo = min.saturating_sub(prefix_len) as usize;
            let tail_hi = hi.saturating_sub(prefix_len) as usize;
            let tail = match tail {
                Some(items) if tail_hi > 0 => vec(items, tail_lo..=tail_hi).fused(),
                _ => Just(Vec::new()).fused(),
            };
            let keep_lo = min.min(generated) as usize;
            let full = generated == prefix_len;
            (prefix.fused(), keep_lo..=generated as usize, tail)
                .prop_map(move |(mut items, keep, tail)| {
                    let complete = full && keep == items.len();
                    items.truncate(keep);
                    if complete {
                        items.extend(tail);
                    }
                    Value::Array(items)
                })
                .fused()
        };
        if !unique {
            return Ok(strategy);
        }
        self.unique(strategy, min, &pointer)
    }

    /// `strategy`'s arrays without repeated items, if enough of them keep `min` items.
    fn unique(&mut self, strategy: Strat, min: u64, pointer: &str) -> Built {
        let deduped = strategy
            .prop_map(|v| {
                let Value::Array(items) = v else {
                    return v;
                };
                let mut out: Vec<Value> = Vec::with_capacity(items.len());
                for item in items {
                    if !out.iter().any(|o| json_eq(o, &item)) {
                        out.push(item);
                    }
                }
                Value::Array(out)
            })
            .fused();
        let predicate: Predicate =
            Arc::new(move |v: &Value| v.as_array().is_some_and(|items| items.len() as u64 >= min));
        self.checked(
            deduped,
            predicate,
            pointer,
            UnsatisfiableKind::Contradiction,
            format!("not enough distinct items for uniqueItems with minItems {min}"),
        )
    }
}

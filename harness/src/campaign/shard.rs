//! Shards: the K-th of N disjoint, deterministic parts of a seed's case space (`--shard K/N`).
//!
//! Case `n` of a campaign is a function of `(seed, n)` alone, so a campaign splits by case
//! number: shard `K/N` runs the cases `n` with `n mod N = K - 1`, in order. The N shards of one
//! seed and case count run exactly the cases of the unsharded campaign, each case once, and
//! a shard run alone again runs the same cases (`trespass merge` joins their reports).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One part of a campaign's case space: [`Shard::number`] of [`Shard::count`], both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    /// 0-based index of this shard.
    index: u32,
    /// How many shards the case space is split into (at least 1).
    count: u32,
}

impl Shard {
    /// Shard `number` (from 1) of `count`.
    ///
    /// # Errors
    /// When `count` is 0 or `number` is not within `1..=count`.
    pub fn new(number: u32, count: u32) -> Result<Self, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if number == 0 || number > count {
            return Err(ShardError::OutOfRange { number, count });
        }
        Ok(Self {
            index: number - 1,
            count,
        })
    }

    /// The shard's number, from 1.
    pub fn number(self) -> u32 {
        self.index + 1
    }

    /// How many shards there are.
    pub fn count(self) -> u32 {
        self.count
    }

    /// The campaign case this shard runs as its `nth` (from 0).
    pub fn case(self, nth: u64) -> u64 {
        nth.saturating_mul(u64::from(self.count))
            .saturating_add(u64::from(self.index))
    }

    /// How many of the cases `0..limit` belong to this shard.
    pub fn cases_below(self, limit: u64) -> u64 {
        let (index, count) = (u64::from(self.index), u64::from(self.count));
        if limit <= index {
            0
        } else {
            (limit - index).div_ceil(count)
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.number(), self.count)
    }
}

/// A `--shard` that is not `K/N` with `1 <= K <= N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not of the form `K/N`.
    #[error("`{0}` is not a shard: expected K/N, e.g. 2/4 (the second of four)")]
    Malformed(String),
    /// `N` is 0.
    #[error("a campaign splits into at least one shard (N >= 1)")]
    NoShards,
    /// `K` outside `1..=N`.
    #[error("shard {number} of {count} does not exist: K counts from 1 to {count}")]
    OutOfRange {
        /// K.
        number: u32,
        /// N.
        count: u32,
    },
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || ShardError::Malformed(text.to_string());
        let (number, count) = text.trim().split_once('/').ok_or_else(malformed)?;
        let number = number.trim().parse().map_err(|_| malformed())?;
        let count = count.trim().parse().map_err(|_| malformed())?;
        Shard::new(number, count)
    }
}

impl Serialize for Shard {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shards_of_a_case_space_are_disjoint_and_cover_it() {
        let limit = 103;
        let mut seen = vec![0u32; limit as usize];
        for number in 1..=4 {
            let shard = Shard::new(number, 4).unwrap();
            let cases: Vec<u64> = (0..shard.cases_below(limit))
                .map(|nth| shard.case(nth))
                .collect();
            assert!(cases.iter().all(|&c| c < limit), "{shard}: {cases:?}");
            assert!(
                shard.case(shard.cases_below(limit)) >= limit,
                "{shard} stops at the limit"
            );
            for case in cases {
                seen[case as usize] += 1;
            }
        }
        assert!(
            seen.iter().all(|&n| n == 1),
            "every case exactly once: {seen:?}"
        );
    }

    #[test]
    fn one_shard_is_the_whole_campaign() {
        let whole = Shard::new(1, 1).unwrap();
        assert_eq!(
            (0..5).map(|n| whole.case(n)).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        assert_eq!(whole.cases_below(7), 7);
    }

    #[test]
    fn shards_parse_from_k_over_n_and_say_what_is_wrong_otherwise() {
        let shard: Shard = "2/4".parse().unwrap();
        assert_eq!(
            (shard.number(), shard.count(), shard.to_string()),
            (2, 4, "2/4".into())
        );
        assert_eq!(shard.case(0), 1);
        assert_eq!(shard.case(3), 13);
        assert_eq!(Shard::new(4, 4).unwrap().cases_below(3), 0);
        for (text, error) in [
            (
                "0/4",
                ShardError::OutOfRange {
                    number: 0,
                    count: 4,
                },
            ),
            (
                "5/4",
                ShardError::OutOfRange {
                    number: 5,
                    count: 4,
                },
            ),
            ("1/0", ShardError::NoShards),
            ("2", ShardError::Malformed("2".into())),
            ("a/b", ShardError::Malformed("a/b".into())),
            ("-1/4", ShardError::Malformed("-1/4".into())),
        ] {
            assert_eq!(text.parse::<Shard>(), Err(error), "{text}");
        }
        assert!(
            "5/4"
                .parse::<Shard>()
                .unwrap_err()
                .to_string()
                .contains("from 1 to 4")
        );
        let json = serde_json::to_string(&shard).unwrap();
        assert_eq!(json, "\"2/4\"");
        assert_eq!(serde_json::from_str::<Shard>(&json).unwrap(), shard);
        assert!(serde_json::from_str::<Shard>("\"9/4\"").is_err());
    }
}

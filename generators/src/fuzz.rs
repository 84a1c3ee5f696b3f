//! Byte-driven entry points for long campaigns and cargo-fuzz: the same [`SequenceStrategy`] as
//! property tests, with its top-level choices read from the fuzzer's bytes. There is no second
//! implementation of generation: the bytes replace random numbers, nothing else.
//!
//! The input is read as:
//!
//! | bytes | use |
//! | --- | --- |
//! | `0..32` | seed of the ChaCha runner the argument values are drawn from |
//! | `32..` | the top-level choices (patterns, kinds, identities, objects), 4 bytes each |
//!
//! An input shorter than 32 bytes seeds the values with its SHA-256. Once the choice bytes run
//! out, choices continue from a ChaCha stream seeded by the SHA-256 of the whole input, so a
//! short input still yields a full sequence and the same input always yields the same one.
//!
//! Why the values are not read from the bytes as well (proptest's `RngAlgorithm::PassThrough`):
//! proptest's unions (`prop_oneof!`, `option::of`, every optional property of an object) derive
//! an RNG for each alternative they skip, and a derived pass-through RNG takes half of what
//! remains of the input. A body with a dozen optional fields leaves nothing after a few unions;
//! exhausted pass-through input reads as zeros, and `rand`'s rejection sampling then never
//! returns. The derivation also consumes input differently from a recording, so recorded bytes
//! would not replay. The choices, which shape the sequence, stay under the fuzzer's control,
//! byte for byte.

use proptest::prelude::Rng;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sha2::{Digest, Sha256};

use crate::model::ApiModel;
use crate::sequence::{IdentitySpec, Sequence, SequenceStrategy, SequenceTree};

/// Bytes at the start of the input that seed the argument values.
pub const VALUE_SEED_BYTES: usize = 32;

/// The sequence that `bytes` select for `model` and `identities` (the default cast when empty);
/// `None` when nothing can be generated (no operation, or a value strategy gave up).
///
/// Builds the strategy on every call; a fuzz loop should build one [`SequenceStrategy`] and call
/// [`tree_from_bytes`].
pub fn sequence_from_bytes(
    model: &ApiModel,
    identities: &[IdentitySpec],
    bytes: &[u8],
) -> Option<Sequence> {
    let strategy = SequenceStrategy::new(model, identities);
    let sequence = tree_from_bytes(&strategy, bytes)?.current();
    (!sequence.steps.is_empty()).then_some(sequence)
}

/// The tree (for shrinking) that `bytes` select from `strategy`.
pub fn tree_from_bytes(strategy: &SequenceStrategy, bytes: &[u8]) -> Option<SequenceTree> {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    let (seed, choice_bytes): ([u8; 32], &[u8]) = match bytes.split_first_chunk() {
        Some((seed, rest)) => (*seed, rest),
        None => (digest, &[]),
    };
    let mut runner = chacha_runner(seed);
    let mut choices = ByteChoices {
        bytes: choice_bytes,
        tail: TestRng::from_seed(RngAlgorithm::ChaCha, &digest),
    };
    strategy
        .new_tree_with_choices(&mut runner, &mut || choices.next())
        .ok()
}

/// A generated sequence with the bytes that reproduce it through [`tree_from_bytes`]: turns
/// seeded runs into a starting corpus for a fuzzer. `seed` selects the run (and seeds its
/// values); the bytes are `seed` followed by every choice made.
pub fn recorded_sequence(
    strategy: &SequenceStrategy,
    seed: [u8; 32],
) -> Option<(Sequence, Vec<u8>)> {
    let mut runner = chacha_runner(seed);
    let mut hasher = Sha256::new();
    hasher.update(b"trespass-choices");
    hasher.update(seed);
    let mut source = TestRng::from_seed(RngAlgorithm::ChaCha, &hasher.finalize());
    let mut bytes = seed.to_vec();
    let tree = strategy
        .new_tree_with_choices(&mut runner, &mut || {
            let x = source.next_u32();
            bytes.extend_from_slice(&x.to_le_bytes());
            x
        })
        .ok()?;
    Some((tree.current(), bytes))
}

fn chacha_runner(seed: [u8; 32]) -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

/// Choices read from input bytes, 4 at a time (little-endian), then from a ChaCha stream.
struct ByteChoices<'b> {
    bytes: &'b [u8],
    tail: TestRng,
}

impl ByteChoices<'_> {
    fn next(&mut self) -> u32 {
        match self.bytes.split_first_chunk::<4>() {
            Some((word, rest)) => {
                self.bytes = rest;
                u32::from_le_bytes(*word)
            }
            None => self.tail.next_u32(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_come_from_the_bytes_then_the_stream() {
        let mut c = ByteChoices {
            bytes: &[1, 0, 0, 0, 0, 0, 0, 128, 9],
            tail: TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]),
        };
        assert_eq!(c.next(), 1);
        assert_eq!(c.next(), 1 << 31);
        let mut tail = TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]);
        // The dangling byte is not half a choice: the stream takes over.
        assert_eq!(c.next(), tail.next_u32());
        assert_eq!(c.next(), tail.next_u32());
    }
}

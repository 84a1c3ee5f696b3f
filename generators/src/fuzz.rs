//! Byte-driven entry points for long campaigns and cargo-fuzz: the same
//! [`SequenceStrategy`] as property tests, run on a [`TestRunner`] whose RNG reads the given
//! bytes ([`RngAlgorithm::PassThrough`]). There is no second implementation of generation: the
//! fuzzer's bytes replace the random numbers, nothing else.
//!
//! The fuzzer's bytes drive the first choices (patterns, kinds, identities, the start of every
//! value) exactly. Behind them comes a tail of [`TAIL_BYTES`] pseudo-random bytes derived from a
//! hash of the input, so a short input still yields a full sequence. The tail matters: proptest
//! reads exhausted pass-through input as zeros, and `rand`'s rejection sampling rejects a zero
//! draw for most ranges, so zeros forever would loop forever (seen on the demo specs).

use proptest::prelude::Rng;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sha2::{Digest, Sha256};

use crate::model::ApiModel;
use crate::sequence::{IdentitySpec, Sequence, SequenceStrategy, SequenceTree};

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
    let rng = TestRng::from_seed(RngAlgorithm::PassThrough, &with_tail(bytes));
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    strategy.new_tree(&mut runner).ok()
}

/// Pseudo-random bytes appended to fuzzer input (see the module docs): 64 KiB, far more than a
/// sequence of the default size draws.
pub const TAIL_BYTES: usize = 64 * 1024;

/// `bytes` followed by [`TAIL_BYTES`] bytes of a ChaCha stream seeded by their SHA-256.
fn with_tail(bytes: &[u8]) -> Vec<u8> {
    let seed: [u8; 32] = Sha256::digest(bytes).into();
    let mut tail = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut data = vec![0u8; bytes.len() + TAIL_BYTES];
    data[..bytes.len()].copy_from_slice(bytes);
    tail.fill_bytes(&mut data[bytes.len()..]);
    data
}

/// A generated sequence with the bytes that reproduce it through [`tree_from_bytes`]: turns
/// seeded runs into a starting corpus for a fuzzer. `seed` selects the run.
pub fn recorded_sequence(
    strategy: &SequenceStrategy,
    seed: [u8; 32],
) -> Option<(Sequence, Vec<u8>)> {
    let rng = TestRng::from_seed(RngAlgorithm::Recorder, &seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let tree = strategy.new_tree(&mut runner).ok()?;
    Some((tree.current(), runner.bytes_used()))
}

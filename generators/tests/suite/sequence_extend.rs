//! `SequenceStrategy::new_tree_extended`: the sequence of the first runner, then more steps
//! that reuse its objects; the same runners give the same sequence.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use trespass_generators::sequence::{SequenceConfig, SequenceStrategy};

use crate::common;

fn runner(seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

#[test]
fn an_extended_sequence_starts_with_its_base_and_reuses_its_objects() {
    let model = trespass_generators::load_file(common::demo_spec("shop.yaml")).expect("shop loads");
    let strategy = SequenceStrategy::new(&model, &[]);
    let max = SequenceConfig::default().max_steps;
    let (mut longer, mut reusing) = (0, 0);
    for seed in 0..40u8 {
        let base = strategy.new_tree(&mut runner(seed)).unwrap().current();
        let extend = || {
            let mut runners = [runner(seed), runner(seed.wrapping_add(100)), runner(200)];
            strategy.new_tree_extended(&mut runners).unwrap().current()
        };
        let extended = extend();
        assert_eq!(extended, extend(), "the same runners, the same sequence");
        assert_eq!(
            extended.steps[..base.steps.len()],
            base.steps[..],
            "seed {seed}: the base comes first, unchanged"
        );
        assert!(extended.steps.len() <= 2 * max, "{}", extended.steps.len());
        extended.validate_refs().unwrap();
        if extended.steps.len() > base.steps.len() {
            longer += 1;
        }
        let n = base.steps.len();
        if extended.steps[n..]
            .iter()
            .any(|s| s.args.refs().any(|r| r.step < n))
        {
            reusing += 1;
        }
    }
    assert!(longer >= 30, "most sequences grow: {longer} of 40");
    assert!(
        reusing >= 10,
        "extensions use the base's objects: {reusing} of 40"
    );
    assert!(
        strategy.new_tree_extended(&mut []).is_err(),
        "no runner, no sequence"
    );
}

//! `SequenceStrategy::new_tree_extended`: the sequence of the first runner, then more steps
//! that reuse its objects; the same runners give the same sequence.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{Extension, SequenceConfig, SequenceStrategy};

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

#[test]
fn a_focused_extension_aims_at_its_operation() {
    let model = trespass_generators::load_file(common::demo_spec("shop.yaml")).expect("shop loads");
    let strategy = SequenceStrategy::new(&model, &[]);
    let aimed = strategy.aimed_operations();
    assert!(aimed.len() > 20, "{aimed:?}");
    // Operations fresh sequences rarely reach: an admin function, a nested child's read, an
    // action on an order (cart items, then an order, first).
    for name in [
        "POST /admin/refunds",
        "GET /users/{userId}/cart",
        "POST /users/{userId}/orders/{orderId}/cancel",
    ] {
        let focus = [OperationId::parse(name).unwrap()];
        assert!(aimed.contains(&focus[0]), "{name} is aimed at");
        let (mut fresh, mut focused) = (0, 0);
        for seed in 0..40u8 {
            let base = strategy.new_tree(&mut runner(seed)).unwrap().current();
            let extend = || {
                let mut extension = runner(seed.wrapping_add(100));
                let mut extensions = [Extension {
                    runner: &mut extension,
                    focus: &focus,
                }];
                strategy
                    .new_tree_focused(&mut runner(seed), &mut extensions)
                    .unwrap()
                    .current()
            };
            let extended = extend();
            assert_eq!(extended, extend(), "the same runners, the same sequence");
            assert_eq!(extended.steps[..base.steps.len()], base.steps[..]);
            extended.validate_refs().unwrap();
            let on = |steps: &[trespass_generators::sequence::Step]| {
                steps.iter().filter(|s| s.op == focus[0]).count()
            };
            fresh += on(&base.steps);
            focused += on(&extended.steps[base.steps.len()..]);
        }
        assert!(
            focused >= 40 && focused > 5 * fresh.max(1),
            "{name}: {focused} steps in 40 focused extensions, {fresh} in 40 fresh sequences"
        );
    }
    // A focus on an operation the strategy does not know is no focus.
    let unknown = [OperationId::parse("GET /nowhere").unwrap()];
    let mut extension = runner(3);
    let mut extensions = [Extension {
        runner: &mut extension,
        focus: &unknown,
    }];
    let mut plain = [runner(1), runner(3)];
    assert_eq!(
        strategy
            .new_tree_focused(&mut runner(1), &mut extensions)
            .unwrap()
            .current(),
        strategy.new_tree_extended(&mut plain).unwrap().current()
    );
}

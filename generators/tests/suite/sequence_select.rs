//! Narrowing sequence generation ([`Selection`]): an excluded operation is never sent, not
//! even to set up prerequisites or as a shrinking substitute; with an include list every step
//! is either an included operation or one that produces an included step's input.

use std::collections::BTreeSet;

use crate::common;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use trespass_generators::ApiModel;
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{
    IdentitySpec, Role, Selection, Sequence, SequenceStrategy, parse_pattern, select,
};

fn shop() -> ApiModel {
    trespass_generators::load_file(common::demo_spec("shop.yaml")).expect("demo spec loads")
}

fn cast() -> Vec<IdentitySpec> {
    vec![
        IdentitySpec::new("alice", Role::User),
        IdentitySpec::new("bob", Role::User),
        IdentitySpec::new("carol", Role::Admin),
        IdentitySpec::new("anon", Role::Anonymous),
    ]
}

fn ops(model: &ApiModel, patterns: &[&str]) -> BTreeSet<OperationId> {
    patterns
        .iter()
        .flat_map(|p| select(model, &parse_pattern(p).unwrap()).unwrap())
        .collect()
}

/// `n` sequences of `strategy`, each followed, when `shrink`, by the simplifications its tree
/// offers along the way (what a shrinker sends).
fn generate(strategy: &SequenceStrategy, n: usize, shrink: bool) -> Vec<Sequence> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut out = Vec::new();
    for _ in 0..n {
        let mut tree = strategy.new_tree(&mut runner).expect("generates");
        out.push(tree.current());
        for _ in 0..20 {
            if !shrink || !tree.simplify() {
                break;
            }
            out.push(tree.current());
        }
    }
    out
}

fn sent(sequences: &[Sequence]) -> BTreeSet<OperationId> {
    sequences
        .iter()
        .flat_map(|s| s.steps.iter().map(|st| st.op.clone()))
        .collect()
}

#[test]
fn excluded_operations_are_never_generated_nor_shrunk_to() {
    let model = shop();
    let everything = sent(&generate(
        &SequenceStrategy::new(&model, &cast()),
        300,
        true,
    ));
    // The patterns below are all sent when nothing is excluded, so the exclusion is what
    // keeps them out.
    let excluded = ops(
        &model,
        &[
            "/admin/**",
            "GET /users/{userId}/orders/{orderId}",
            "createOrder",
        ],
    );
    assert!(
        excluded.is_subset(&everything),
        "{excluded:?} not all in {everything:?}"
    );
    let mut selection = Selection::all();
    selection.exclude = excluded.clone();
    let strategy = SequenceStrategy::new(&model, &cast()).with_selection(&selection);
    let narrowed = sent(&generate(&strategy, 300, true));
    assert!(
        narrowed.is_disjoint(&excluded),
        "sent although excluded: {:?}",
        narrowed.intersection(&excluded).collect::<Vec<_>>()
    );
    assert!(narrowed.len() > everything.len() / 2, "the rest still runs");
}

#[test]
fn an_include_list_aims_only_at_its_operations_and_keeps_their_producers() {
    let model = shop();
    let read = OperationId::new("GET", "/users/{userId}/orders/{orderId}");
    let mut selection = Selection::all();
    selection.include = Some([read.clone()].into());
    let strategy = SequenceStrategy::new(&model, &cast()).with_selection(&selection);
    let sequences = generate(&strategy, 200, false);
    let reads = sequences
        .iter()
        .filter(|s| s.steps.iter().any(|st| st.op == read))
        .count();
    assert!(
        reads * 2 > sequences.len(),
        "{reads} of {} sequences read an order",
        sequences.len()
    );
    let creates = sent(&sequences);
    assert!(
        creates.contains(&OperationId::new("POST", "/users/{userId}/orders")),
        "orders are created to be read: {creates:?}"
    );
}

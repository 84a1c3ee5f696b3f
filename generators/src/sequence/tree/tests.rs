//! The shrink order on hand-built trees, where every step and value is known; the same
//! order on generated sequences of the demo specs is in `tests/suite/sequence_shrink.rs`.

use proptest::strategy::{Just, NewTree, SBoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use super::{ArgPlan, BodyPlan, SequenceTree, StepPlan, ValueSlot};
use crate::model::{OperationId, ParameterLocation};
use crate::sequence::step::{
    Arg, AuthMode, BodyRef, IdentityId, IdentitySpec, Ref, RefSource, Role, Sequence,
};

fn runner() -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    )
}

fn cast() -> Vec<IdentitySpec> {
    vec![
        IdentitySpec::new("alice", Role::User),
        IdentitySpec::new("bob", Role::User),
        IdentitySpec::new("carol", Role::Admin),
        IdentitySpec::new("dave", Role::Admin),
        IdentitySpec::new("anon", Role::Anonymous),
    ]
}

fn id_ref(step: usize) -> Ref {
    Ref {
        step,
        source: RefSource::Body {
            pointer: "/id".into(),
        },
    }
}

fn plan(who: &str, op: &str, params: Vec<(&str, ArgPlan)>) -> StepPlan {
    StepPlan {
        identity: IdentityId::new(who),
        op: OperationId::parse(op).expect("operation id"),
        read_instead: None,
        auth: AuthMode::Normal,
        params: params
            .into_iter()
            .map(|(name, arg)| (ParameterLocation::Path, name.to_string(), arg))
            .collect(),
        body: None,
    }
}

/// Slots with the given strategies, drawn from one seeded runner.
fn slots(strategies: Vec<SBoxedStrategy<Value>>) -> Vec<ValueSlot> {
    let mut runner = runner();
    strategies
        .into_iter()
        .map(|s| ValueSlot::new(s, &mut runner).expect("draws"))
        .collect()
}

/// Drives `tree` as proptest's runner does: `simplify` after a failure, `complicate` after
/// a pass. Returns every candidate with whether it failed; checks the protocol's promise
/// that `current` ends on the last failure.
fn shrink(
    tree: &mut SequenceTree,
    fails: impl Fn(&Sequence) -> bool,
) -> Vec<(Sequence, Vec<usize>, bool)> {
    let mut last_failure = tree.current();
    assert!(fails(&last_failure), "the start must fail");
    let mut seen = Vec::new();
    if tree.simplify() {
        loop {
            assert!(seen.len() < 10_000, "shrinking does not end");
            let candidate = tree.current();
            candidate.validate_refs().expect("every candidate is valid");
            let failed = fails(&candidate);
            seen.push((candidate.clone(), tree.kept_steps(), failed));
            if failed {
                last_failure = candidate;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
    }
    assert_eq!(tree.current(), last_failure, "ends on the last failure");
    seen
}

fn ops(seq: &Sequence) -> Vec<String> {
    seq.steps
        .iter()
        .map(|s| format!("{} {}", s.identity, s.op))
        .collect()
}

#[test]
fn deletions_go_from_the_last_step_down_and_retarget_refs() {
    // 0 alice creates a team, 1 alice creates another, 2 bob reads the second, 3 bob lists.
    let plans = vec![
        plan("alice", "POST /teams", vec![]),
        plan("alice", "POST /teams", vec![]),
        plan(
            "bob",
            "GET /teams/{teamId}",
            vec![("teamId", ArgPlan::Ref(id_ref(1)))],
        ),
        plan("bob", "GET /teams", vec![]),
    ];
    let mut tree = SequenceTree::new(plans, Vec::new(), cast());
    let bob_reads_alices_team = |s: &Sequence| {
        s.steps.iter().any(|st| {
            st.op.as_str() == "GET /teams/{teamId}"
                && st.identity.as_str() == "bob"
                && matches!(st.args.path.get("teamId"), Some(Arg::Ref(r))
                    if s.steps[r.step].identity.as_str() == "alice")
        })
    };
    let seen = shrink(&mut tree, bob_reads_alices_team);
    let trail: Vec<(Vec<usize>, bool)> = seen.iter().map(|(_, k, f)| (k.clone(), *f)).collect();
    assert_eq!(
        trail,
        vec![
            (vec![0, 1, 2], true), // the last step goes first
            (vec![0, 1], false),   // then the read: needed; restored, and straight on to
            (vec![0, 2], true),    // the second team: the read re-targets to the first
            (vec![0, 2], false),   // the first team cannot go (the read would dangle), so
            // bob merged into alice is next: it passes, undone
            // The round changed the sequence, so a second one tries every pass again
            // (the shrinker answers repeats from its cache, without a replay):
            (vec![0], false),    // the read still cannot go
            (vec![0, 2], false), // nor can bob merge into alice
            (vec![0, 2], true),  // nothing left: the failing sequence, once, to end on
        ],
        "{trail:?}"
    );
    let merged = &seen[3].0;
    assert_eq!(
        ops(merged),
        ["alice POST /teams", "alice GET /teams/{teamId}"],
        "bob merged into alice, the other user"
    );
    let end = tree.current();
    assert_eq!(
        ops(&end),
        ["alice POST /teams", "bob GET /teams/{teamId}"],
        "the read now names the first team"
    );
    assert_eq!(
        end.steps[1].args.path.get("teamId"),
        Some(&Arg::Ref(id_ref(0)))
    );
    assert_eq!(end, seen[2].0);
}

#[test]
fn a_parameter_ref_never_dangles_a_body_ref_is_dropped() {
    let body = BodyPlan {
        media_type: "application/json".into(),
        slot: 0,
        extra: Vec::new(),
        refs: vec![BodyRef {
            at: "/addressId".into(),
            from: id_ref(0),
        }],
        violates: Vec::new(),
    };
    let mut order = plan("alice", "POST /orders", vec![]);
    order.body = Some(body);
    let plans = vec![
        plan("alice", "POST /addresses", vec![]),
        order,
        plan(
            "bob",
            "GET /orders/{orderId}",
            vec![("orderId", ArgPlan::Ref(id_ref(1)))],
        ),
    ];
    let values = slots(vec![Just(json!({"addressId": 5, "note": "x"})).sboxed()]);
    let mut tree = SequenceTree::new(plans, values, cast());
    let bob_reads_an_order = |s: &Sequence| {
        s.steps
            .iter()
            .any(|st| st.op.as_str() == "GET /orders/{orderId}")
    };
    let seen = shrink(&mut tree, bob_reads_an_order);
    let trail: Vec<(Vec<usize>, bool)> = seen.iter().map(|(_, k, f)| (k.clone(), *f)).collect();
    // Deleting the read fails the predicate; the order cannot go (the read's parameter
    // would dangle); the address can (the order's body reference is dropped).
    assert_eq!(trail[..2], [(vec![0, 1], false), (vec![1, 2], true)]);
    let without_address = &seen[1].0;
    let body = without_address.steps[0].args.body.as_ref().expect("body");
    assert!(body.refs.is_empty(), "{body:?}");
    assert_eq!(
        body.value,
        json!({"addressId": 5, "note": "x"}),
        "the leaf keeps its value"
    );
    assert_eq!(
        without_address.steps[1].args.path.get("orderId"),
        Some(&Arg::Ref(id_ref(0)))
    );
    // No candidate ever names a step that is not there.
    for (candidate, _, _) in &seen {
        for step in &candidate.steps {
            assert!(
                !step
                    .args
                    .path
                    .values()
                    .any(|a| *a == Arg::Value(Value::Null))
            );
        }
    }
}

#[test]
fn the_last_step_standing_is_never_deleted() {
    let mut tree = SequenceTree::new(
        vec![plan("alice", "GET /teams", vec![])],
        Vec::new(),
        cast(),
    );
    assert!(!tree.simplify(), "nothing smaller than one step");
    assert_eq!(tree.len(), 1);
    let mut tree = SequenceTree::new(
        vec![
            plan("alice", "GET /teams", vec![]),
            plan("alice", "GET /me", vec![]),
        ],
        Vec::new(),
        cast(),
    );
    let seen = shrink(&mut tree, |_| true);
    assert!(seen.iter().all(|(s, _, _)| !s.steps.is_empty()));
    assert_eq!(tree.kept_steps(), [0]);
}

#[test]
fn truncate_after_cuts_the_later_steps() {
    let plans: Vec<StepPlan> = (0..5)
        .map(|i| plan("alice", &format!("GET /s{i}"), vec![]))
        .collect();
    let mut tree = SequenceTree::new(plans, Vec::new(), cast());
    let before = tree.current();
    tree.truncate_after(2);
    assert_eq!(tree.current().steps, before.steps[..3]);
    tree.truncate_after(9);
    assert_eq!(tree.len(), 3, "an index past the end changes nothing");
    // After a deletion, the index is one of the current sequence.
    assert!(tree.simplify());
    assert_eq!(tree.kept_steps(), [0, 1]);
    tree.truncate_after(0);
    assert_eq!(tree.kept_steps(), [0]);
}

/// Counts down by one per `simplify` and cannot go back: `complicate` answers false and
/// leaves the passing value in place, which proptest's contract allows.
#[derive(Debug, Clone)]
struct Countdown(i64);

impl Strategy for Countdown {
    type Tree = Countdown;
    type Value = Value;
    fn new_tree(&self, _: &mut TestRunner) -> NewTree<Self> {
        Ok(self.clone())
    }
}

impl ValueTree for Countdown {
    type Value = Value;
    fn current(&self) -> Value {
        json!(self.0)
    }
    fn simplify(&mut self) -> bool {
        if self.0 == 0 {
            return false;
        }
        self.0 -= 1;
        true
    }
    fn complicate(&mut self) -> bool {
        false
    }
}

#[test]
fn values_shrink_one_at_a_time_in_step_order() {
    let plans = vec![
        plan(
            "alice",
            "GET /a/{x}/{y}",
            vec![("x", ArgPlan::Value(0)), ("y", ArgPlan::Value(1))],
        ),
        plan("bob", "GET /b/{z}", vec![("z", ArgPlan::Value(2))]),
    ];
    let values = slots(vec![
        Countdown(8).sboxed(),
        (0i64..1000).prop_map(Value::from).sboxed(),
        Countdown(3).sboxed(),
    ]);
    let mut tree = SequenceTree::new(plans, values, cast());
    let number = |s: &Sequence, step: usize, name: &str| match s.steps[step].args.path.get(name) {
        Some(Arg::Value(v)) => v.as_i64().expect("a number"),
        other => panic!("{other:?}"),
    };
    let start = tree.current();
    assert!(number(&start, 0, "y") >= 37, "{start:?}");
    // Fails while x >= 5 and y >= 37 and bob acts: z is free.
    let fails = |s: &Sequence| {
        s.steps.len() == 2
            && s.steps[1].identity.as_str() == "bob"
            && number(s, 0, "x") >= 5
            && number(s, 0, "y") >= 37
    };
    let seen = shrink(&mut tree, fails);
    let end = tree.current();
    assert_eq!(
        (
            number(&end, 0, "x"),
            number(&end, 0, "y"),
            number(&end, 1, "z")
        ),
        (5, 37, 0),
        "each value at its smallest failing point"
    );
    // Which value each candidate changed, relative to the last failure: x, then y, then z.
    let mut last = start;
    let mut order = Vec::new();
    for (candidate, _, failed) in &seen {
        if candidate.steps.len() != 2 || candidate.steps[1].identity != last.steps[1].identity {
            continue;
        }
        for (i, (step, name)) in [(0, "x"), (0, "y"), (1, "z")].into_iter().enumerate() {
            if number(candidate, step, name) != number(&last, step, name)
                && order.last() != Some(&i)
            {
                order.push(i);
            }
        }
        if *failed {
            last = candidate.clone();
        }
    }
    // The first round goes x, y, z; the round changed values, so a second one starts
    // again from x (and finds nothing more).
    assert_eq!(order[..3], [0, 1, 2], "{order:?}");
    assert!(order[3..].iter().all(|&i| i == 0), "{order:?}");
}

#[test]
fn a_change_becomes_the_read_of_its_object_unless_the_change_matters() {
    let plans = || {
        let mut patch = plan(
            "alice",
            "PATCH /teams/{teamId}",
            vec![("teamId", ArgPlan::Ref(id_ref(0)))],
        );
        patch.read_instead = OperationId::parse("GET /teams/{teamId}");
        vec![plan("alice", "POST /teams", vec![]), patch]
    };
    // Fails while alice touches the team she created, whatever the method.
    let mut tree = SequenceTree::new(plans(), Vec::new(), cast());
    shrink(&mut tree, |s| {
        s.steps.len() == 2 && s.steps[1].args.path.contains_key("teamId")
    });
    let end = tree.current();
    assert_eq!(
        ops(&end),
        ["alice POST /teams", "alice GET /teams/{teamId}"]
    );
    assert_eq!(
        end.steps[1].args.path.get("teamId"),
        Some(&Arg::Ref(id_ref(0)))
    );
    // Fails only while the change is sent: it stays.
    let mut tree = SequenceTree::new(plans(), Vec::new(), cast());
    shrink(&mut tree, |s| {
        s.steps.len() == 2 && s.steps[1].op.method() == "PATCH"
    });
    assert_eq!(
        ops(&tree.current()),
        ["alice POST /teams", "alice PATCH /teams/{teamId}"]
    );
}

#[test]
fn the_owners_read_after_anothers_change_is_woken_so_the_writer_can_merge() {
    let mut patch = plan(
        "bob",
        "PATCH /teams/{teamId}",
        vec![("teamId", ArgPlan::Ref(id_ref(0)))],
    );
    patch.read_instead = OperationId::parse("GET /teams/{teamId}");
    let mut tree = SequenceTree::new(
        vec![plan("alice", "POST /teams", vec![]), patch],
        Vec::new(),
        cast(),
    );
    // The dormant read is not in the sequence as generated.
    assert_eq!(
        ops(&tree.current()),
        ["alice POST /teams", "bob PATCH /teams/{teamId}"]
    );
    // Like the executor: the owner's view of a change shows the violation, through its
    // own re-read after another identity's change, or through an explicit read.
    let fails = |s: &Sequence| {
        let patched = s.steps.iter().position(|st| st.op.method() == "PATCH");
        patched.is_some_and(|p| {
            s.steps[p].identity.as_str() != "alice"
                || s.steps[p + 1..].iter().any(|st| {
                    st.op.as_str() == "GET /teams/{teamId}" && st.identity.as_str() == "alice"
                })
        })
    };
    let seen = shrink(&mut tree, fails);
    assert_eq!(
        ops(&tree.current()),
        [
            "alice POST /teams",
            "alice PATCH /teams/{teamId}",
            "alice GET /teams/{teamId}"
        ]
    );
    assert_eq!(
        tree.kept_steps(),
        [0, 1, 1],
        "the read reports the change it follows"
    );
    assert!(
        seen.iter()
            .any(|(s, _, failed)| *failed && s.steps.len() == 3 && s.identities().len() == 2),
        "woken first, then bob merged into alice"
    );
}

#[test]
fn identities_merge_within_a_role_first_then_across_roles_but_never_anonymous() {
    let plans = vec![
        plan("bob", "GET /a", vec![]),
        plan("carol", "GET /b", vec![]),
        plan("alice", "GET /c", vec![]),
        plan("dave", "GET /d", vec![]),
        plan("anon", "GET /e", vec![]),
    ];
    let role_of = |id: &IdentityId| {
        cast()
            .into_iter()
            .find(|c| &c.id == id)
            .expect("in cast")
            .role
    };
    let names = |s: &Sequence| -> Vec<String> {
        s.steps.iter().map(|st| st.identity.to_string()).collect()
    };
    let mut tree = SequenceTree::new(plans, Vec::new(), cast());
    // Every step must stay; any identity may go.
    let seen = shrink(&mut tree, |s| s.steps.len() == 5);
    let kept: Vec<Vec<String>> = seen
        .iter()
        .filter(|(_, _, failed)| *failed)
        .map(|(s, _, _)| names(s))
        .collect();
    assert_eq!(
        kept[..2],
        [
            ["bob", "carol", "alice", "carol", "anon"],
            ["bob", "carol", "bob", "carol", "anon"],
        ],
        "first within a role: dave into carol (admins), alice into bob (users)"
    );
    for (candidate, _, _) in &seen {
        for st in &candidate.steps {
            assert_eq!(
                role_of(&st.identity) == Role::Anonymous,
                st.op.as_str() == "GET /e",
                "the anonymous identity neither merges nor takes others: {candidate:?}"
            );
        }
    }
    assert_eq!(
        names(&tree.current()),
        ["bob", "bob", "bob", "bob", "anon"],
        "then across roles"
    );
}

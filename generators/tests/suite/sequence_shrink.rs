//! The shrink order of generated sequences, without any server: trees come from the seeded
//! [`SequenceStrategy`] on the demo specs, and a predicate stands in for the live target (it
//! "fails" while the authorization pattern it looks for is still in the sequence). The driver
//! calls `simplify` after a failure and `complicate` after a pass, exactly as proptest's runner
//! and the harness's shrinker do, and checks every candidate on the way:
//!
//! - every candidate validates (`validate_refs`), keeps each step's operation (or sends the
//!   read of the object the step changed instead), and no step
//!   becomes or stops being anonymous (identities merge within a role first, then across roles,
//!   never with the anonymous identity);
//! - references point at the original producer or, once it is deleted, at an earlier step of the
//!   same operation; body references may be dropped, never invented;
//! - within a round the phases come in order (deletions, then identity merges, then values)
//!   and deletions go from the last step down; a round that changed the sequence is followed
//!   by another, at most four in all;
//! - values end no larger than they started;
//! - `current` ends on the last failing candidate.
//!
//! Hand-built trees with exact candidate lists are in `src/sequence/tree.rs`.

use crate::common;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;
use trespass_generators::ApiModel;
use trespass_generators::sequence::{
    Arg, IdentitySpec, Role, Sequence, SequenceStrategy, SequenceTree,
};

fn load(name: &str) -> ApiModel {
    trespass_generators::load_file(common::demo_spec(name)).expect("demo spec loads")
}

/// Two users and two admins, so that merges within a role have something to do, and anonymous.
fn cast() -> Vec<IdentitySpec> {
    vec![
        IdentitySpec::new("alice", Role::User),
        IdentitySpec::new("bob", Role::User),
        IdentitySpec::new("carol", Role::Admin),
        IdentitySpec::new("dave", Role::User),
        IdentitySpec::new("erin", Role::Admin),
        IdentitySpec::new("anon", Role::Anonymous),
    ]
}

fn role(name: &str) -> Role {
    cast()
        .into_iter()
        .find(|c| c.id.as_str() == name)
        .map(|c| c.role)
        .expect("identity of the cast")
}

/// Up to `want` trees whose first sequence satisfies `fails`, from a seeded runner.
fn trees(
    model: &ApiModel,
    fails: &dyn Fn(&Sequence) -> bool,
    want: usize,
) -> Vec<(SequenceTree, Sequence)> {
    let strategy = SequenceStrategy::new(model, &cast());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let mut out = Vec::new();
    for _ in 0..3000 {
        let tree = strategy.new_tree(&mut runner).expect("generates");
        let seq = tree.current();
        if fails(&seq) {
            out.push((tree, seq));
            if out.len() == want {
                break;
            }
        }
    }
    assert_eq!(
        out.len(),
        want,
        "not enough generated sequences show the pattern"
    );
    out
}

/// What a candidate changed relative to the last failing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// The last failing sequence again (a value tree's partial undo can land there).
    Same,
    Delete,
    Merge,
    Value,
}

struct Candidate {
    kept: Vec<usize>,
    failed: bool,
    change: Change,
}

/// Drives `tree` like a live shrinker and checks every candidate against `original` (the
/// sequence the tree started from).
fn shrink(
    tree: &mut SequenceTree,
    original: &Sequence,
    fails: &dyn Fn(&Sequence) -> bool,
) -> Vec<Candidate> {
    let mut last = (tree.current(), tree.kept_steps());
    assert!(fails(&last.0), "the start must fail");
    let mut seen: Vec<Candidate> = Vec::new();
    if tree.simplify() {
        loop {
            assert!(seen.len() < 20_000, "shrinking does not end");
            let seq = tree.current();
            let kept = tree.kept_steps();
            check_candidate(original, &seq, &kept);
            let change = if seq == last.0 {
                Change::Same
            } else if kept != last.1 {
                Change::Delete
            } else if seq.identities() != last.0.identities()
                || seq
                    .steps
                    .iter()
                    .zip(&last.0.steps)
                    .any(|(a, b)| a.identity != b.identity)
            {
                Change::Merge
            } else {
                Change::Value
            };
            let failed = fails(&seq);
            seen.push(Candidate {
                kept: kept.clone(),
                failed,
                change,
            });
            if failed {
                last = (seq, kept);
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
    }
    assert_eq!(tree.current(), last.0, "ends on the last failing candidate");
    check_order(&seen);
    seen
}

fn check_candidate(original: &Sequence, seq: &Sequence, kept: &[usize]) {
    seq.validate_refs().expect("every candidate validates");
    assert_eq!(seq.steps.len(), kept.len());
    assert!(!seq.steps.is_empty(), "an empty sequence is never offered");
    for (j, step) in seq.steps.iter().enumerate() {
        let orig = &original.steps[kept[j]];
        // A step keeps its operation, or becomes the read of the object it changes.
        let read_instead = step.op != orig.op;
        if read_instead {
            assert_eq!(
                step.op.method(),
                "GET",
                "{} instead of {}",
                step.op,
                orig.op
            );
            assert!(step.args.body.is_none(), "the read sends no body");
            continue;
        }
        assert_eq!(step.auth, orig.auth, "a step keeps its auth mode");
        assert_eq!(
            role(step.identity.as_str()) == Role::Anonymous,
            role(orig.identity.as_str()) == Role::Anonymous,
            "the anonymous identity never merges"
        );
        for (name, arg) in &step.args.path {
            let (Arg::Ref(now), Some(Arg::Ref(was))) = (arg, orig.args.path.get(name)) else {
                assert!(
                    !matches!(orig.args.path.get(name), Some(Arg::Ref(_))),
                    "a parameter reference is never dropped: {name} of {}",
                    step.op
                );
                continue;
            };
            let target = kept[now.step];
            assert_eq!(now.source, was.source);
            if target != was.step {
                assert!(
                    !kept.contains(&was.step),
                    "re-targeted only when the producer is gone"
                );
                assert!(target < was.step, "re-targeted to an earlier step");
                assert_eq!(
                    original.steps[target].op, original.steps[was.step].op,
                    "re-targeted to a step of the same operation"
                );
            }
        }
        let (now, was) = (&step.args.body, &orig.args.body);
        assert_eq!(now.is_some(), was.is_some());
        if let (Some(now), Some(was)) = (now, was) {
            for r in &now.refs {
                assert!(
                    was.refs.iter().any(|w| w.at == r.at),
                    "body references are dropped, never invented"
                );
            }
        }
    }
}

/// Within a round: deletions, then merges, then values; deletions from the last step down (a
/// second sweep after inlining, once a round); a
/// rejected deletion or merge is followed by the next candidate, not by the failing sequence
/// again (but at the end). A new round starts with a deletion after a value or merge.
fn check_order(seen: &[Candidate]) {
    for (i, w) in seen.windows(2).enumerate() {
        let at_end = i + 2 == seen.len();
        if !w[0].failed && matches!(w[0].change, Change::Delete | Change::Merge) && !at_end {
            assert_ne!(w[1].change, Change::Same, "no re-run of a known failure");
        }
    }
    let mut rounds = 1;
    let mut phase = Change::Delete;
    let mut last_kept: Option<&[usize]> = None;
    let mut deleted_before: Option<usize> = None;
    let mut swept_again = false;
    for c in seen.iter().filter(|c| c.change != Change::Same) {
        if c.change < phase {
            assert_eq!(c.change, Change::Delete, "a round starts with deletions");
            rounds += 1;
            deleted_before = None;
            swept_again = false;
        }
        phase = c.change;
        if c.change == Change::Delete {
            // The deleted step: in the previous failing candidate's steps, not in this one's.
            let previous = last_kept.unwrap_or(&[]);
            if let Some(&gone) = previous.iter().find(|i| !c.kept.contains(i)) {
                if let Some(before) = deleted_before
                    && gone >= before
                {
                    // Inlined references may free the steps that produced them: the deletions
                    // run once more in a round, from the last step down again (with no inline
                    // candidate in between when the inlines are from an earlier round).
                    assert!(
                        !swept_again,
                        "deletions go from the last step down, and sweep again at most once a round"
                    );
                    swept_again = true;
                }
                deleted_before = Some(gone);
            }
        }
        if c.failed {
            last_kept = Some(&c.kept);
        }
    }
    assert!(rounds <= 4, "{rounds} rounds");
}

/// How much there is in the argument values: characters of strings, magnitude of numbers,
/// entries of arrays and objects.
fn size(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().map_or(0.0, f64::abs).min(1e9),
        Value::String(s) => s.chars().count() as f64,
        Value::Array(items) => items.len() as f64 + items.iter().map(size).sum::<f64>(),
        Value::Object(map) => map.len() as f64 + map.values().map(size).sum::<f64>(),
    }
}

fn values_size(seq: &Sequence, steps: &[usize]) -> f64 {
    steps
        .iter()
        .map(|&i| {
            let args = &seq.steps[i].args;
            let params: f64 = [&args.path, &args.query, &args.header, &args.cookie]
                .into_iter()
                .flat_map(|m| m.values())
                .map(|a| match a {
                    Arg::Value(v) => size(v),
                    Arg::Ref(_) => 0.0,
                })
                .sum();
            params + args.body.as_ref().map_or(0.0, |b| size(&b.value))
        })
        .sum()
}

/// The first step where `who` reads a `kind` object through `read` that another identity
/// (`by`, when given) created through `create`; its index.
fn cross_read(
    seq: &Sequence,
    create: &str,
    read: &str,
    param: &str,
    by: Option<(&str, &str)>,
) -> Option<usize> {
    seq.steps.iter().enumerate().find_map(|(j, step)| {
        if step.op.as_str() != read {
            return None;
        }
        let Some(Arg::Ref(r)) = step.args.path.get(param) else {
            return None;
        };
        let producer = &seq.steps[r.step];
        let ok = producer.op.as_str() == create
            && match by {
                Some((x, y)) => producer.identity.as_str() == x && step.identity.as_str() == y,
                None => producer.identity != step.identity,
            };
        ok.then_some(j)
    })
}

fn names(seq: &Sequence) -> Vec<String> {
    seq.steps
        .iter()
        .map(|s| format!("{} {}", s.identity, s.op))
        .collect()
}

#[test]
fn bola_on_a_team_shrinks_to_two_steps() {
    let model = load("notes.yaml");
    let pattern = |s: &Sequence| {
        cross_read(s, "POST /teams", "GET /teams/{teamId}", "teamId", None).is_some()
    };
    let found = trees(&model, &pattern, 8);
    let mut longest = 0;
    for (mut tree, original) in found {
        longest = longest.max(original.steps.len());
        // The executor cuts after the first violation.
        let j = cross_read(
            &original,
            "POST /teams",
            "GET /teams/{teamId}",
            "teamId",
            None,
        )
        .expect("violation");
        tree.truncate_after(j);
        assert_eq!(
            tree.current().steps,
            original.steps[..=j],
            "truncate_after cuts the later steps, nothing else"
        );
        let seen = shrink(&mut tree, &original, &pattern);
        let end = tree.current();
        assert_eq!(end.steps.len(), 2, "{:?}", names(&end));
        assert_eq!(end.steps[0].op.as_str(), "POST /teams");
        assert_eq!(end.steps[1].op.as_str(), "GET /teams/{teamId}");
        assert_ne!(end.steps[0].identity, end.steps[1].identity);
        assert!(
            matches!(end.steps[1].args.path.get("teamId"), Some(Arg::Ref(r)) if r.step == 0),
            "the read names the team created at step 0"
        );
        // Values: no larger than at the start, for the steps that stayed.
        let kept = tree.kept_steps();
        assert!(values_size(&end, &[0, 1]) <= values_size(&original, &kept));
        assert!(seen.iter().any(|c| c.change == Change::Delete) || j == 1);
    }
    assert!(longest > 2, "some sequence had more than the two steps");
}

#[test]
fn named_identities_keep_their_places() {
    // "bob reads a team alice created": the identities are part of the predicate, so no merge
    // is accepted and the minimum is alice's create and bob's read.
    let model = load("notes.yaml");
    let pattern = |s: &Sequence| {
        cross_read(
            s,
            "POST /teams",
            "GET /teams/{teamId}",
            "teamId",
            Some(("alice", "bob")),
        )
        .is_some()
    };
    for (mut tree, original) in trees(&model, &pattern, 4) {
        let seen = shrink(&mut tree, &original, &pattern);
        assert_eq!(
            names(&tree.current()),
            ["alice POST /teams", "bob GET /teams/{teamId}"]
        );
        assert!(
            seen.iter()
                .filter(|c| c.change == Change::Merge)
                .all(|c| !c.failed),
            "every merge breaks the predicate here"
        );
    }
}

#[test]
fn nested_bola_keeps_the_parent_chain() {
    // X fetches its account, creates an address under it, Y reads the address: the account
    // step cannot go, since the address read names the user by reference.
    let model = load("shop.yaml");
    let create = "POST /users/{userId}/addresses";
    let read = "GET /users/{userId}/addresses/{addressId}";
    let pattern = |s: &Sequence| cross_read(s, create, read, "addressId", None).is_some();
    for (mut tree, original) in trees(&model, &pattern, 6) {
        shrink(&mut tree, &original, &pattern);
        let end = tree.current();
        let ops: Vec<&str> = end.steps.iter().map(|s| s.op.as_str()).collect();
        // Either the reader names the creator's account (`/users/{X}/addresses/{X's}`), or its
        // own (`/users/{Y}/addresses/{X's}`, the own-parent variant), looked up by its own
        // `GET /me`: no other step is needed.
        let shapes: [&[&str]; 2] = [
            &["GET /me", create, read],
            &["GET /me", create, "GET /me", read],
        ];
        assert!(shapes.contains(&ops.as_slice()), "{:?}", names(&end));
        assert_ne!(end.steps[1].identity, end.steps[ops.len() - 1].identity);
        for step in [&end.steps[1], &end.steps[ops.len() - 1]] {
            assert!(
                matches!(step.args.path.get("userId"),
                    Some(Arg::Ref(r)) if end.steps[r.step].op.as_str() == "GET /me"),
                "{step:?}"
            );
        }
    }
}

#[test]
fn identities_that_need_not_differ_are_merged() {
    // A user creates a team and a user (any) reads it: merging leaves one user, and the admin
    // step that the predicate also wants keeps its admin.
    let model = load("notes.yaml");
    let pattern = |s: &Sequence| {
        let user_read = s.steps.iter().any(|st| {
            st.op.as_str() == "GET /teams/{teamId}" && role(st.identity.as_str()) == Role::User
        });
        let user_create = s
            .steps
            .iter()
            .any(|st| st.op.as_str() == "POST /teams" && role(st.identity.as_str()) == Role::User);
        let admin_acts = s
            .steps
            .iter()
            .any(|st| role(st.identity.as_str()) == Role::Admin);
        user_read && user_create && admin_acts
    };
    let many_users = |s: &Sequence| {
        pattern(s)
            && s.identities()
                .iter()
                .filter(|i| role(i.as_str()) == Role::User)
                .count()
                >= 2
    };
    for (mut tree, original) in trees(&model, &many_users, 4) {
        let seen = shrink(&mut tree, &original, &pattern);
        let end = tree.current();
        let users: Vec<_> = end
            .identities()
            .into_iter()
            .filter(|i| role(i.as_str()) == Role::User)
            .collect();
        assert_eq!(users.len(), 1, "{:?}", names(&end));
        assert!(
            end.identities()
                .iter()
                .any(|i| role(i.as_str()) == Role::Admin)
        );
        assert!(
            seen.iter().any(|c| c.change == Change::Merge && c.failed)
                || original
                    .steps
                    .iter()
                    .filter(|s| role(s.identity.as_str()) == Role::User)
                    .count()
                    > end.steps.len(),
            "a merge was accepted, or deletions alone removed the other users"
        );
    }
}

#[test]
fn values_get_simpler() {
    // The predicate looks at operations only, so every value simplification is accepted and
    // every value ends at its tree's minimum.
    let model = load("shop.yaml");
    let create = "POST /users/{userId}/addresses";
    let pattern = |s: &Sequence| s.steps.iter().any(|st| st.op.as_str() == create);
    let mut shrunk = 0;
    for (mut tree, original) in trees(&model, &pattern, 6) {
        let seen = shrink(&mut tree, &original, &pattern);
        let end = tree.current();
        let kept = tree.kept_steps();
        let all: Vec<usize> = (0..end.steps.len()).collect();
        let (before, after) = (values_size(&original, &kept), values_size(&end, &all));
        assert!(after <= before, "{after} > {before}: {:?}", end.steps);
        if after < before {
            shrunk += 1;
        }
        assert!(
            seen.iter().any(|c| c.change == Change::Value && c.failed) || before == after,
            "value candidates were offered and accepted"
        );
        let body = end
            .steps
            .iter()
            .find(|s| s.op.as_str() == create)
            .and_then(|s| s.args.body.as_ref())
            .expect("the create has a body");
        assert!(body.value.is_object(), "{:?}", body.value);
    }
    assert!(shrunk >= 3, "values shrank in {shrunk} of 6 sequences");
}

#[test]
fn shrinking_is_deterministic() {
    let model = load("shop.yaml");
    let pattern = |s: &Sequence| s.steps.len() >= 2;
    let run = || {
        trees(&model, &pattern, 3)
            .into_iter()
            .map(|(mut tree, original)| {
                let seen = shrink(&mut tree, &original, &pattern);
                (tree.current(), seen.len())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

//! Sequence generation on the demo specs: the aimed patterns appear within a small number of
//! cases, the strategy is sane (`check_strategy_sanity`), fuzzer bytes run the same strategy,
//! and sequences survive a serde round trip.
//!
//! The figures are printed (`cargo test -p trespass-generators --test sequence_patterns --
//! --nocapture`): per resource kind, the fraction of 100 sequences in which an object created
//! (or, for accounts, fetched) by one identity is read by another, then the other patterns. The
//! models are what the loader and resource inference make of `corpus/specs/{shop,notes}.yaml`.

use std::collections::{BTreeMap, BTreeSet};

use crate::common;
use proptest::prelude::Rng;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use trespass_generators::ApiModel;
use trespass_generators::fuzz::{recorded_sequence, sequence_from_bytes, tree_from_bytes};
use trespass_generators::model::{CrudRole, OperationId};
use trespass_generators::sequence::{
    Arg, AuthMode, IdentitySpec, PatternWeights, Ref, RefSource, Role, Sequence, SequenceConfig,
    SequenceStrategy,
};
use trespass_generators::values::{self, ValueContext};

/// A demo spec as loaded, with the kinds inference found that have a read operation.
fn load(name: &str, readable: &[&str]) -> ApiModel {
    let model = trespass_generators::load_file(common::demo_spec(name)).expect("demo spec loads");
    let found: Vec<&str> = model
        .resources
        .iter()
        .filter(|r| !r.read.is_empty())
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(found, readable, "kinds with a read operation in {name}");
    model
}

/// Kinds of `corpus/specs/shop.yaml` with a read operation (`item` has none).
const SHOP_KINDS: &[&str] = &["address", "order", "product", "user"];
/// Kinds of `corpus/specs/notes.yaml` with a read operation.
const NOTES_KINDS: &[&str] = &["comment", "document", "share", "team", "user"];

fn shop() -> ApiModel {
    load("shop.yaml", SHOP_KINDS)
}

fn notes() -> ApiModel {
    load("notes.yaml", NOTES_KINDS)
}

fn cast() -> Vec<IdentitySpec> {
    vec![
        IdentitySpec::new("alice", Role::User),
        IdentitySpec::new("bob", Role::User),
        IdentitySpec::new("carol", Role::Admin),
        IdentitySpec::new("anon", Role::Anonymous),
    ]
}

fn generate(model: &ApiModel, n: usize, seed: u8) -> Vec<Sequence> {
    let strategy = SequenceStrategy::new(model, &cast());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    );
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("generates").current())
        .collect()
}

/// The kind of the object an operation's last path parameter names (its own kind for item
/// operations), from the model's resources.
fn kind_of(model: &ApiModel, op: &OperationId) -> Option<String> {
    model.resource_of(op).map(|(r, _)| r.kind.clone())
}

/// Facts about one sequence, for the figures.
#[derive(Default)]
struct Seen {
    /// Kinds with an object produced by one identity and then used by another (read, update,
    /// delete, list).
    cross: BTreeSet<String>,
    /// Kinds with an object created (accounts: fetched) by X and then read by another
    /// identity.
    cross_read: BTreeSet<String>,
    /// The same, with the reader an ordinary user (the plain BOLA case).
    cross_read_by_user: BTreeSet<String>,
    admin_by_non_admin: bool,
    no_credentials: bool,
    mass_assignment: bool,
    delete_then_use: bool,
    foreign_parent: bool,
}

fn observe(model: &ApiModel, seq: &Sequence, cast: &[IdentitySpec]) -> Seen {
    let role = |id: &str| cast.iter().find(|c| c.id.as_str() == id).map(|c| c.role);
    let mut seen = Seen::default();
    let mut deleted: BTreeSet<(usize, String)> = BTreeSet::new();
    for (i, step) in seq.steps.iter().enumerate() {
        let operation = model.operation(&step.op).expect("known operation");
        if model.is_admin(&step.op) && role(step.identity.as_str()) != Some(Role::Admin) {
            seen.admin_by_non_admin = true;
        }
        if step.auth != AuthMode::Normal && !operation.allows_anonymous() {
            seen.no_credentials = true;
        }
        let crud = model.resource_of(&step.op).map(|(_, r)| r);
        if let Some(body) = &step.args.body
            && let Some(schema) = operation.json_request_schema()
            && let Some(props) = model.schemas.object_properties(schema)
            && let Some(obj) = body.value.as_object()
        {
            let sneaked = obj.keys().any(|k| {
                !props.contains_key(k)
                    || props
                        .get(k)
                        .is_some_and(|s| model.schemas.get(*s).read_only)
            });
            if sneaked {
                seen.mass_assignment = true;
            }
        }
        for (name, arg) in &step.args.path {
            let Arg::Ref(r) = arg else { continue };
            let producer = &seq.steps[r.step];
            let key = (r.step, format!("{:?}", r.source));
            let producer_kind = kind_of(model, &producer.op);
            if deleted.contains(&key) {
                seen.delete_then_use = true;
            }
            let last = path_last_param(&step.op);
            let own = last.as_deref() == Some(name.as_str());
            if producer.identity != step.identity {
                // X creates (or fetches as its account) the very object Y reads.
                let created = matches!(model.resource_of(&producer.op), Some((r, CrudRole::Create))
                        if Some(&r.kind) == kind_of(model, &step.op).as_ref())
                    || is_account_fetch(model, &producer.op);
                if own
                    && created
                    && crud == Some(CrudRole::Read)
                    && let Some(k) = kind_of(model, &step.op)
                {
                    seen.cross_read.insert(k.clone());
                    if role(step.identity.as_str()) == Some(Role::User) {
                        seen.cross_read_by_user.insert(k);
                    }
                }
                if own && let Some(k) = &producer_kind {
                    seen.cross.insert(k.clone());
                } else if !own || crud.is_none() {
                    // A parent argument from another identity: nested reach or list.
                    seen.foreign_parent = true;
                    if let Some(k) = producer_kind.clone().or_else(|| Some("user".into()))
                        && crud == Some(CrudRole::List)
                    {
                        seen.cross.insert(k);
                    }
                }
                // An account (`GET /me`) of X used by Y: a cross use of the account's kind.
                if producer_kind.is_none()
                    && own
                    && let Some(k) = kind_of(model, &step.op)
                {
                    seen.cross.insert(k);
                }
            }
            if own && crud == Some(CrudRole::Delete) {
                deleted.insert(key);
            }
        }
        let _ = i;
    }
    seen
}

/// `GET /me`-like: a GET without path parameters that no resource claims, or that reads the
/// caller's own object of a singleton kind.
fn is_account_fetch(model: &ApiModel, op: &OperationId) -> bool {
    op.method() == "GET"
        && path_last_param(op).is_none()
        && model
            .resource_of(op)
            .is_none_or(|(r, role)| r.singleton && role == CrudRole::Read)
}

fn path_last_param(op: &OperationId) -> Option<String> {
    trespass_generators::model::path_template_params(op.path())
        .last()
        .map(|s| s.to_string())
}

/// Fractions of `n` sequences showing each pattern, printed and returned.
fn figures(name: &str, model: &ApiModel, n: usize) -> BTreeMap<String, f64> {
    let cast = cast();
    let seqs = generate(model, n, 7);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut steps = 0;
    for seq in &seqs {
        steps += seq.steps.len();
        seq.validate_refs().expect("refs point backwards");
        let seen = observe(model, seq, &cast);
        for k in &seen.cross {
            *counts
                .entry(format!("cross-identity use of {k}"))
                .or_default() += 1;
        }
        for k in &seen.cross_read {
            *counts
                .entry(format!("X creates / Y reads {k}"))
                .or_default() += 1;
        }
        for k in &seen.cross_read_by_user {
            *counts
                .entry(format!("X creates / another user reads {k}"))
                .or_default() += 1;
        }
        for (flag, label) in [
            (seen.admin_by_non_admin, "admin operation by non-admin"),
            (
                seen.no_credentials,
                "secured operation without valid credentials",
            ),
            (
                seen.mass_assignment,
                "body with read-only or undeclared fields",
            ),
            (seen.delete_then_use, "delete then use"),
            (
                seen.foreign_parent,
                "reach through another identity's parent",
            ),
        ] {
            if flag {
                *counts.entry(label.to_string()).or_default() += 1;
            }
        }
    }
    println!(
        "{name}: {n} sequences, {:.1} steps on average",
        steps as f64 / n as f64
    );
    let out: BTreeMap<String, f64> = counts
        .into_iter()
        .map(|(k, c)| (k, c as f64 / n as f64))
        .collect();
    let get = |label: String| out.get(&label).copied().unwrap_or(0.0);
    println!("  kind       X creates/Y reads  Y a user  any cross use");
    for r in &model.resources {
        let k = &r.kind;
        if r.read.is_empty() {
            println!(
                "  {k:<10} n/a (no read operation)       {:>5.2}",
                get(format!("cross-identity use of {k}"))
            );
            continue;
        }
        println!(
            "  {k:<10} {:>17.2}  {:>8.2}  {:>13.2}",
            get(format!("X creates / Y reads {k}")),
            get(format!("X creates / another user reads {k}")),
            get(format!("cross-identity use of {k}")),
        );
    }
    for (k, f) in &out {
        if !k.starts_with("X creates") && !k.starts_with("cross-identity") {
            println!("  {f:>5.2}  {k}");
        }
    }
    out
}

/// Every kind with a read operation shows an X-creates / Y-reads pair in at least 2% of the
/// sequences, and some cross-identity use in at least 3% (over 200 sequences: with ten patterns
/// sharing the moves, 100 left the rarest pair, an admin's product read by another, at 1 or 2).
fn assert_cross_reads(f: &BTreeMap<String, f64>, kinds: &[&str]) {
    for kind in kinds {
        for (label, least) in [
            (format!("X creates / Y reads {kind}"), 0.02),
            (format!("cross-identity use of {kind}"), 0.03),
        ] {
            assert!(
                f.get(&label).copied().unwrap_or(0.0) >= least,
                "{label}: {f:?}"
            );
        }
    }
}

#[test]
fn shop_patterns_appear_in_200_sequences() {
    let model = shop();
    let f = figures("shop", &model, 200);
    assert_cross_reads(&f, SHOP_KINDS);
    for label in [
        "admin operation by non-admin",
        "secured operation without valid credentials",
        "body with read-only or undeclared fields",
        "delete then use",
        "reach through another identity's parent",
    ] {
        assert!(
            f.get(label).copied().unwrap_or(0.0) >= 0.05,
            "{label}: {f:?}"
        );
    }
}

#[test]
fn notes_patterns_appear_in_200_sequences() {
    let model = notes();
    let f = figures("notes", &model, 200);
    // `user`'s only read is the caller's own (`GET /me`): no one reads another's account.
    assert_cross_reads(&f, &NOTES_KINDS[..4]);
    assert_eq!(NOTES_KINDS[4], "user");
    for label in [
        "admin operation by non-admin",
        "secured operation without valid credentials",
        "delete then use",
        "reach through another identity's parent",
    ] {
        assert!(
            f.get(label).copied().unwrap_or(0.0) >= 0.05,
            "{label}: {f:?}"
        );
    }
}

#[test]
fn nested_objects_are_reached_through_their_own_parent() {
    // An address read names the address and the user it was created under, both by reference.
    let model = shop();
    for seq in generate(&model, 200, 3) {
        for step in &seq.steps {
            if step.op.as_str() != "GET /users/{userId}/addresses/{addressId}" {
                continue;
            }
            let (Some(Arg::Ref(user)), Some(Arg::Ref(address))) = (
                step.args.path.get("userId"),
                step.args.path.get("addressId"),
            ) else {
                continue;
            };
            let create = &seq.steps[address.step];
            assert_eq!(create.op.as_str(), "POST /users/{userId}/addresses");
            assert_eq!(
                create.args.path.get("userId"),
                Some(&Arg::Ref(user.clone())),
                "read through the parent the address was created under"
            );
            return;
        }
    }
    panic!("no address read with both ids by reference in 200 sequences");
}

#[test]
fn strategy_is_sane() {
    let model = shop();
    proptest::strategy::check_strategy_sanity(SequenceStrategy::new(&model, &cast()), None);
    let model = notes();
    proptest::strategy::check_strategy_sanity(SequenceStrategy::new(&model, &[]), None);
}

#[test]
fn same_seed_same_sequences() {
    let model = shop();
    assert_eq!(generate(&model, 20, 11), generate(&model, 20, 11));
    assert_ne!(generate(&model, 20, 11), generate(&model, 20, 12));
}

#[test]
fn fuzzer_bytes_drive_the_same_strategy() {
    let model = shop();
    let strategy = SequenceStrategy::new(&model, &cast());
    // Recorded bytes replay the very sequence the seeded run produced.
    for seed in 0..20u8 {
        let (seq, bytes) = recorded_sequence(&strategy, [seed; 32]).expect("generates");
        let replayed = tree_from_bytes(&strategy, &bytes)
            .expect("replays")
            .current();
        assert_eq!(replayed, seq, "seed {seed}");
    }
    // Any bytes give a valid sequence, even none, and the same bytes the same one.
    let inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0xff; 3],
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9],
        vec![0; 64],
        vec![0xff; 200],
        (0..=255).collect(),
    ];
    for bytes in &inputs {
        let seq = sequence_from_bytes(&model, &cast(), bytes).expect("any input gives a sequence");
        seq.validate_refs().expect("valid refs");
        assert_eq!(sequence_from_bytes(&model, &cast(), bytes), Some(seq));
    }
    let distinct: BTreeSet<String> = (0..20u8)
        .filter_map(|b| sequence_from_bytes(&model, &cast(), &[b; 16]))
        .map(|s| serde_json::to_string(&s).expect("serializes"))
        .collect();
    assert!(
        distinct.len() > 10,
        "inputs select sequences: {}",
        distinct.len()
    );
}

#[test]
fn choice_bytes_shape_the_sequence_and_the_seed_its_values() {
    // Bytes 0..32 seed the values, the rest are the choices: the same choices under another
    // value seed give the same operations by the same identities.
    let model = shop();
    let strategy = SequenceStrategy::new(&model, &cast());
    let shape = |s: &Sequence| -> Vec<String> {
        s.steps
            .iter()
            .map(|st| format!("{} {} {:?}", st.identity, st.op, st.auth))
            .collect()
    };
    let mut shapes = BTreeSet::new();
    for b in 0..16u8 {
        let mut stream = TestRng::from_seed(RngAlgorithm::ChaCha, &[b; 32]);
        // Enough choice bytes for the longest sequence: once they run out, choices continue
        // from a stream seeded by the whole input, value seed included.
        let mut choices = vec![0u8; 1024];
        stream.fill_bytes(&mut choices);
        let run = |seed: u8| {
            let mut bytes = vec![seed; 32];
            bytes.extend(&choices);
            tree_from_bytes(&strategy, &bytes)
                .expect("generates")
                .current()
        };
        let (one, other) = (run(1), run(2));
        assert_eq!(shape(&one), shape(&other), "choices {b}");
        shapes.insert(shape(&one));
    }
    assert!(
        shapes.len() > 8,
        "choice bytes select shapes: {}",
        shapes.len()
    );
}

#[test]
fn sequences_survive_a_serde_round_trip() {
    let model = notes();
    for seq in generate(&model, 50, 5) {
        let text = serde_json::to_string(&seq).expect("serializes");
        let back: Sequence = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, seq);
    }
}

#[test]
fn references_name_the_producer_response() {
    let model = shop();
    let mut sources = BTreeSet::new();
    for seq in generate(&model, 50, 9) {
        for step in &seq.steps {
            for r in step.args.refs() {
                if let RefSource::Body { pointer } = &r.source {
                    sources.insert(pointer.clone());
                }
            }
        }
    }
    assert!(sources.contains("/id"), "{sources:?}");
}

/// Sequences generated with only the patterns `enable` turns on.
fn generate_with(
    model: &ApiModel,
    n: usize,
    seed: u8,
    enable: impl Fn(&mut PatternWeights),
) -> Vec<Sequence> {
    let mut weights = PatternWeights::default();
    weights.cross_identity = 0;
    weights.foreign_parent = 0;
    weights.admin_by_non_admin = 0;
    weights.no_credentials = 0;
    weights.mass_assignment = 0;
    weights.delete_then_use = 0;
    weights.random = 0;
    weights.echo = 0;
    weights.change_then_observe = 0;
    weights.negative = 0;
    enable(&mut weights);
    let mut config = SequenceConfig::default();
    config.weights = weights;
    let strategy = SequenceStrategy::new(model, &cast()).with_config(config);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    );
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("generates").current())
        .collect()
}

/// Where a reference points: `"POST /teams/{teamId}/documents /title"`.
fn source_of(seq: &Sequence, r: &Ref) -> String {
    let pointer = match &r.source {
        RefSource::Body { pointer } => pointer.clone(),
        other => format!("{other:?}"),
    };
    format!("{} {pointer}", seq.steps[r.step].op)
}

#[test]
fn filters_and_searches_take_values_from_earlier_responses() {
    let notes = notes();
    let mut searches = BTreeSet::new();
    let mut added_by_id = 0;
    let mut repeated = 0;
    for seq in generate_with(&notes, 200, 4, |w| w.echo = 1) {
        seq.validate_refs().expect("refs point backwards");
        for (i, step) in seq.steps.iter().enumerate() {
            if let Some(Arg::Ref(r)) = step.args.query.get("q") {
                searches.insert(source_of(&seq, r));
            }
            if step.op.as_str() == "POST /teams/{teamId}/members"
                && let Some(body) = &step.args.body
                && let Some(r) = body.refs.iter().find(|r| r.at == "/userId")
            {
                // A `User`'s id, or a member's `userId`.
                let from = source_of(&seq, &r.from);
                assert!(
                    from.ends_with(" /id") || from.ends_with(" /userId"),
                    "{from}"
                );
                if from == "GET /me /id" {
                    added_by_id += 1;
                }
            }
            if i > 0 && seq.steps[i - 1] == *step {
                repeated += 1;
            }
        }
    }
    assert!(
        searches.contains("POST /teams/{teamId}/documents /title"),
        "a search for a document's title: {searches:?}"
    );
    assert!(
        added_by_id >= 5,
        "members added by a known id: {added_by_id}"
    );
    assert!(repeated >= 5, "the same request sent twice: {repeated}");

    // Any step may take a filter from an earlier answer; the field is always one the
    // producer's success response declares.
    let mut echoed = 0;
    for seq in generate_with(&notes, 100, 4, |w| w.random = 1) {
        for step in &seq.steps {
            for arg in step.args.query.values() {
                let Arg::Ref(r) = arg else { continue };
                let RefSource::Body { pointer } = &r.source else {
                    panic!("{r:?}")
                };
                let producer = notes.operation(&seq.steps[r.step].op).expect("known");
                let declared = producer
                    .success_responses()
                    .find_map(|(_, resp)| resp.json_schema())
                    .and_then(|s| notes.schemas.object_properties(s))
                    .is_some_and(|props| props.contains_key(&pointer[1..]));
                assert!(declared, "{} has no {pointer}", producer.id);
                echoed += 1;
            }
        }
    }
    assert!(
        echoed > 0,
        "random steps take filters from earlier answers too"
    );
}

#[test]
fn a_changed_object_is_read_back_and_listed_with_filters_from_the_change() {
    let shop = shop();
    let mut read_back = 0;
    let mut filtered_by_another = 0;
    for seq in generate_with(&shop, 300, 5, |w| w.change_then_observe = 1) {
        seq.validate_refs().expect("refs point backwards");
        for (i, step) in seq.steps.iter().enumerate() {
            if step.op.as_str() != "POST /users/{userId}/orders/{orderId}/cancel" {
                continue;
            }
            let order = step.args.path.get("orderId");
            let later = &seq.steps[i + 1..];
            if later.iter().any(|s| {
                s.op.as_str() == "GET /users/{userId}/orders/{orderId}"
                    && s.identity == step.identity
                    && s.args.path.get("orderId") == order
            }) {
                read_back += 1;
            }
            for (j, s) in later.iter().enumerate() {
                if s.op.as_str() == "GET /users/{userId}/orders"
                    && s.identity != step.identity
                    && let Some(Arg::Ref(r)) = s.args.query.get("status")
                    && r.step >= i
                {
                    assert!(r.step < i + 1 + j);
                    assert_eq!(
                        r.source,
                        RefSource::Body {
                            pointer: "/status".into()
                        }
                    );
                    filtered_by_another += 1;
                }
            }
        }
    }
    assert!(read_back >= 5, "cancel, then read back: {read_back}");
    assert!(
        filtered_by_another >= 3,
        "cancel, then another identity lists with the status of the answer: {filtered_by_another}"
    );
}

#[test]
fn negative_bodies_break_one_constraint_and_are_never_built_upon() {
    let notes = notes();
    let ctx = ValueContext::request();
    let mut negatives = 0;
    let mut long_comments = 0;
    for seq in generate_with(&notes, 200, 6, |w| w.negative = 1) {
        let invalid: Vec<bool> = seq
            .steps
            .iter()
            .map(|step| {
                let schema = notes
                    .operation(&step.op)
                    .and_then(|o| o.json_request_schema());
                match (&step.args.body, schema) {
                    (Some(body), Some(schema)) if body.refs.is_empty() => {
                        !values::is_valid(&notes.schemas, schema, &ctx, &body.value)
                    }
                    _ => false,
                }
            })
            .collect();
        for (step, bad) in seq.steps.iter().zip(&invalid) {
            if !bad {
                continue;
            }
            negatives += 1;
            if step.op.as_str() == "POST /teams/{teamId}/documents/{documentId}/comments"
                && step.args.body.as_ref().is_some_and(|b| {
                    b.value["body"]
                        .as_str()
                        .is_some_and(|t| t.chars().count() > 2000)
                })
            {
                long_comments += 1;
            }
        }
        for step in &seq.steps {
            for r in step.args.refs() {
                assert!(!invalid[r.step], "a reference to a negative step: {seq:?}");
            }
        }
    }
    assert!(
        negatives >= 100,
        "bodies with a broken constraint: {negatives}"
    );
    assert!(long_comments >= 1, "a comment over its maxLength");
}

/// Lists that name each other's kind in their paths (`GET /lines/{lineId}/stops` lists stops,
/// `GET /stops/{stopId}/lines` lines) and no create: obtaining a line lists lines under a stop,
/// which needs a stop, listed under a line... Generation stops nesting instead of recursing
/// without end (the TfL spec overflowed the stack).
#[test]
fn lists_that_need_each_other_do_not_recurse_without_end() {
    let list = |item: &str| {
        format!(
            "      responses:\n        '200':\n          description: ok\n          content:\n            \
             application/json:\n              schema:\n                type: array\n                \
             items: {{$ref: '#/components/schemas/{item}'}}\n"
        )
    };
    let read = |item: &str| {
        format!(
            "      responses:\n        '200':\n          description: ok\n          content:\n            \
             application/json:\n              schema: {{$ref: '#/components/schemas/{item}'}}\n"
        )
    };
    let param = |name: &str| {
        format!(
            "      parameters:\n        - {{name: {name}, in: path, required: true, schema: {{type: string}}}}\n"
        )
    };
    let yaml = format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  \
         /lines/{{lineId}}/stops:\n    get:\n{}{}  /stops/{{stopId}}/lines:\n    get:\n{}{}  \
         /lines/{{lineId}}:\n    get:\n{}{}  /stops/{{stopId}}:\n    get:\n{}{}\
         components:\n  schemas:\n    Line:\n      type: object\n      required: [id]\n      \
         properties: {{id: {{type: string}}}}\n    Stop:\n      type: object\n      required: [id]\n      \
         properties: {{id: {{type: string}}}}\n",
        param("lineId"),
        list("Stop"),
        param("stopId"),
        list("Line"),
        param("lineId"),
        read("Line"),
        param("stopId"),
        read("Stop"),
    );
    let model = trespass_generators::load_str(&yaml, "loops.yaml").expect("loads");
    // Before the nesting bound this aborted the test binary with a stack overflow. No id of
    // either kind can be had without one of the other, so the sequences stay short.
    let sequences = generate(&model, 200, 11);
    assert_eq!(sequences.len(), 200);
    for s in &sequences {
        assert!(s.steps.len() <= 64, "{} steps", s.steps.len());
    }
}

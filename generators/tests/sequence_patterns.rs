//! Sequence generation on the demo specs: the aimed patterns appear within a small number of
//! cases, the strategy is sane (`check_strategy_sanity`), fuzzer bytes run the same strategy,
//! and sequences survive a serde round trip.
//!
//! The figures are printed (`cargo test -p trespass-generators --test sequence_patterns --
//! --nocapture`). While resource inference (`deps`) is still a stub, the models are completed
//! with the resources, links and admin operations a reader of the spec would infer; once
//! inference fills them, the tests run on what it found.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::json;
use trespass_generators::ApiModel;
use trespass_generators::fuzz::{recorded_sequence, sequence_from_bytes, tree_from_bytes};
use trespass_generators::model::{
    AdminOperation, AdminReason, Evidence, Link, LinkSource, LinkTarget, OperationId,
    ParameterLocation, Resource, StatusKey,
};
use trespass_generators::sequence::{
    Arg, AuthMode, IdentitySpec, RefSource, Role, Sequence, SequenceStrategy,
};

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/specs")
        .join(name)
}

fn op(s: &str) -> OperationId {
    OperationId::parse(s).expect("operation id")
}

fn resource(
    kind: &str,
    id_param: Option<&str>,
    parent: Option<&str>,
    roles: [&[&str]; 5],
) -> Resource {
    let mut r = Resource::new(kind);
    r.id_field = Some("id".into());
    r.id_params = id_param.map(|p| vec![p.to_string()]).unwrap_or_default();
    r.parent = parent.map(String::from);
    let [create, read, update, delete, list] = roles;
    r.create = create.iter().map(|s| op(s)).collect();
    r.read = read.iter().map(|s| op(s)).collect();
    r.update = update.iter().map(|s| op(s)).collect();
    r.delete = delete.iter().map(|s| op(s)).collect();
    r.list = list.iter().map(|s| op(s)).collect();
    r
}

fn name_link(producer: &str, pointer: &str, consumer: &str, param: &str) -> Link {
    Link {
        producer: op(producer),
        source: LinkSource::ResponseBody {
            status: StatusKey::Code(200),
            pointer: pointer.into(),
        },
        consumer: op(consumer),
        target: LinkTarget::Parameter {
            location: ParameterLocation::Path,
            name: param.into(),
        },
        evidence: Evidence::NameMatch {
            field: pointer.trim_start_matches('/').into(),
            parameter: param.into(),
        },
    }
}

fn admin_by_tag(model: &mut ApiModel) {
    model.admin_operations = model
        .operations
        .iter()
        .filter(|o| o.tags.iter().any(|t| t == "admin"))
        .map(|o| AdminOperation {
            operation: o.id.clone(),
            reasons: vec![AdminReason::Tag("admin".into())],
        })
        .collect();
}

/// `corpus/specs/shop.yaml`, with resources and links completed by hand when inference left
/// them empty.
fn shop() -> ApiModel {
    let mut model = trespass_generators::load_file(corpus("shop.yaml")).expect("shop.yaml loads");
    if model.resources.is_empty() {
        let u = "/users/{userId}";
        model.resources = vec![
            resource(
                "address",
                Some("addressId"),
                Some("user"),
                [
                    &["POST /users/{userId}/addresses"],
                    &["GET /users/{userId}/addresses/{addressId}"],
                    &["PUT /users/{userId}/addresses/{addressId}"],
                    &["DELETE /users/{userId}/addresses/{addressId}"],
                    &["GET /users/{userId}/addresses"],
                ],
            ),
            resource(
                "order",
                Some("orderId"),
                Some("user"),
                [
                    &["POST /users/{userId}/orders"],
                    &["GET /users/{userId}/orders/{orderId}"],
                    &["POST /users/{userId}/orders/{orderId}/cancel"],
                    &[],
                    &["GET /users/{userId}/orders"],
                ],
            ),
            resource(
                "product",
                Some("productId"),
                None,
                [
                    &["POST /products"],
                    &["GET /products/{productId}"],
                    &["PUT /products/{productId}", "PATCH /products/{productId}"],
                    &["DELETE /products/{productId}"],
                    &["GET /products"],
                ],
            ),
            resource(
                "user",
                Some("userId"),
                None,
                [
                    &[],
                    &[&format!("GET {u}")],
                    &[&format!("PATCH {u}")],
                    &[&format!("DELETE {u}")],
                    &["GET /admin/users"],
                ],
            ),
        ];
        model.links = vec![name_link("GET /me", "/id", "GET /users/{userId}", "userId")];
        admin_by_tag(&mut model);
    }
    model
}

/// `corpus/specs/notes.yaml`, completed the same way.
fn notes() -> ApiModel {
    let mut model = trespass_generators::load_file(corpus("notes.yaml")).expect("notes.yaml loads");
    if model.resources.is_empty() {
        let d = "/teams/{teamId}/documents";
        let di = "/teams/{teamId}/documents/{documentId}";
        let c = format!("{di}/comments");
        let ci = format!("{di}/comments/{{commentId}}");
        model.resources = vec![
            resource(
                "comment",
                Some("commentId"),
                Some("document"),
                [
                    &[&format!("POST {c}")],
                    &[&format!("GET {ci}")],
                    &[],
                    &[&format!("DELETE {ci}")],
                    &[&format!("GET {c}")],
                ],
            ),
            resource(
                "document",
                Some("documentId"),
                Some("team"),
                [
                    &[&format!("POST {d}")],
                    &[&format!("GET {di}")],
                    &[&format!("PATCH {di}")],
                    &[&format!("DELETE {di}")],
                    &[&format!("GET {d}"), "GET /documents"],
                ],
            ),
            resource(
                "share",
                Some("shareId"),
                Some("document"),
                [
                    &[&format!("POST {di}/shares")],
                    &["GET /shares/{shareId}"],
                    &[],
                    &["DELETE /shares/{shareId}"],
                    &[],
                ],
            ),
            resource(
                "team",
                Some("teamId"),
                None,
                [
                    &["POST /teams"],
                    &["GET /teams/{teamId}"],
                    &["PATCH /teams/{teamId}"],
                    &[],
                    &["GET /teams"],
                ],
            ),
            resource(
                "user",
                Some("userId"),
                None,
                [&[], &[], &[], &[], &["GET /admin/users"]],
            ),
        ];
        model.links = vec![name_link(
            "GET /me",
            "/id",
            "POST /admin/users/{userId}/suspend",
            "userId",
        )];
        admin_by_tag(&mut model);
    }
    model
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
    /// Kinds with an object produced by X and then read by another identity.
    cross_read: BTreeSet<String>,
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
                if own && let Some(k) = &producer_kind {
                    seen.cross.insert(k.clone());
                    if crud == Some(trespass_generators::model::CrudRole::Read) {
                        seen.cross_read.insert(k.clone());
                    }
                } else if !own || crud.is_none() {
                    // A parent argument from another identity: nested reach or list.
                    seen.foreign_parent = true;
                    if let Some(k) = producer_kind.clone().or_else(|| Some("user".into()))
                        && crud == Some(trespass_generators::model::CrudRole::List)
                    {
                        seen.cross.insert(k);
                    }
                }
                // An account (`GET /me`) of X used by Y: a cross use of the account's kind.
                if producer_kind.is_none()
                    && own
                    && let Some(k) = kind_of(model, &step.op)
                {
                    seen.cross.insert(k.clone());
                    if crud == Some(trespass_generators::model::CrudRole::Read) {
                        seen.cross_read.insert(k);
                    }
                }
            }
            if own && crud == Some(trespass_generators::model::CrudRole::Delete) {
                deleted.insert(key);
            }
        }
        let _ = i;
    }
    seen
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
    for (k, f) in &out {
        println!("  {f:>5.2}  {k}");
    }
    out
}

#[test]
fn shop_patterns_appear_in_100_sequences() {
    let model = shop();
    let f = figures("shop", &model, 100);
    for kind in ["address", "order", "product", "user"] {
        let label = format!("cross-identity use of {kind}");
        assert!(
            f.get(&label).copied().unwrap_or(0.0) >= 0.02,
            "{label}: {f:?}"
        );
    }
    for kind in ["address", "user"] {
        let label = format!("X creates / Y reads {kind}");
        assert!(
            f.get(&label).copied().unwrap_or(0.0) >= 0.02,
            "{label}: {f:?}"
        );
    }
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
fn notes_patterns_appear_in_100_sequences() {
    let model = notes();
    let f = figures("notes", &model, 100);
    for kind in ["team", "document", "comment", "share"] {
        let label = format!("cross-identity use of {kind}");
        assert!(
            f.get(&label).copied().unwrap_or(0.0) >= 0.02,
            "{label}: {f:?}"
        );
    }
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
    // Any bytes give a valid sequence, even none.
    for bytes in [&[][..], &[0xff; 3][..], &[1, 2, 3, 4, 5, 6, 7, 8, 9][..]] {
        if let Some(seq) = sequence_from_bytes(&model, &cast(), bytes) {
            seq.validate_refs().expect("valid refs");
            assert!(!seq.steps.is_empty());
        }
    }
    let seq = sequence_from_bytes(&model, &cast(), &[0u8; 64]).expect("zeros give a sequence");
    seq.validate_refs().expect("valid refs");
    // Leading bytes steer: the same input gives the same sequence, another input another one.
    let again = sequence_from_bytes(&model, &cast(), &[0u8; 64]).expect("generates");
    assert_eq!(again, seq);
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
    let _ = json!(null);
}

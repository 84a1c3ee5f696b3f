//! `violates` labels and attack payloads of generated sequences, on the demo specs and the real
//! ones (`shared/specs/real`), checked against the request body's schema with the `jsonschema`
//! crate (format assertion on):
//!
//! - a step without labels sends a body that is valid (leaves that references fill at send
//!   time aside);
//! - a label naming a schema keyword (`minLength at /username`) comes with a body that is
//!   invalid; `readOnly at /role` with a body that has `role`;
//! - a payload label (`payload sql at /name`, `payload long at query/q`) names a place that
//!   holds a payload of that family, and the body with only payload labels is still valid;
//! - payloads in path parameters never hold a `/` or `\` nor make a dot segment;
//! - the attack rate is honoured both ways (0: no payload; the default: some, and a minority of
//!   steps), generation replays from a seed, and shrinking drops payloads that are not needed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Validator};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;
use trespass_generators::ApiModel;
use trespass_generators::model::SchemaId;
use trespass_generators::sequence::{Arg, SequenceConfig, SequenceStrategy, Step};
use trespass_generators::values::Direction;
use trespass_generators::values::payload;

use crate::common;

/// Keywords a `jsonschema` validator checks: a label naming one promises an invalid body.
const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "minimum",
    "maximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "enum",
    "const",
];

fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Counts of what was checked, and the failures.
#[derive(Default)]
struct Tally {
    steps: usize,
    with_payload: usize,
    plain_bodies: usize,
    keyword_labels: usize,
    read_only_labels: usize,
    payload_labels: usize,
    skipped_schemas: usize,
    failures: Vec<String>,
}

struct Checker<'m> {
    model: &'m ApiModel,
    validators: HashMap<SchemaId, Option<Validator>>,
}

impl<'m> Checker<'m> {
    fn new(model: &'m ApiModel) -> Self {
        Self {
            model,
            validators: HashMap::new(),
        }
    }

    fn body_schema(&self, step: &Step) -> Option<SchemaId> {
        let op = self.model.operation(&step.op)?;
        let media = &step.args.body.as_ref()?.media_type;
        op.request_body.as_ref()?.content.get(media)?.schema
    }

    /// The errors of `value` against `id`, but those at `ignored` pointers; `None` when the
    /// `jsonschema` crate rejects the rendered schema.
    fn errors(&mut self, id: SchemaId, value: &Value, ignored: &[String]) -> Option<Vec<String>> {
        let model = self.model;
        let validator = self.validators.entry(id).or_insert_with(|| {
            let schema = model.schemas.to_json_schema_for(id, Direction::Request);
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .ok()
        });
        let validator = validator.as_ref()?;
        Some(
            validator
                .iter_errors(value)
                .filter(|e| {
                    let at = e.instance_path().to_string();
                    !ignored
                        .iter()
                        .any(|i| at == *i || at.starts_with(&format!("{i}/")))
                })
                .map(|e| format!("{} ({})", e, e.instance_path()))
                .collect(),
        )
    }

    fn check(&mut self, step: &Step, tally: &mut Tally, context: &str) {
        tally.steps += 1;
        let payloads: Vec<&String> = step
            .violates
            .iter()
            .filter(|l| l.starts_with("payload "))
            .collect();
        if !payloads.is_empty() {
            tally.with_payload += 1;
        }
        for label in &payloads {
            tally.payload_labels += 1;
            if let Err(e) = payload_holds(step, label) {
                tally.failures.push(format!("{context}: {e}"));
            }
        }
        let Some(body) = &step.args.body else {
            return;
        };
        let Some(id) = self.body_schema(step) else {
            return;
        };
        let ignored: Vec<String> = body.refs.iter().map(|r| r.at.clone()).collect();
        let Some(errors) = self.errors(id, &body.value, &ignored) else {
            tally.skipped_schemas += 1;
            return;
        };
        let keyword = |l: &str| l.split(" at ").next().unwrap_or("").to_string();
        let body_labels: Vec<&String> = step
            .violates
            .iter()
            .filter(|l| {
                let at = l.rsplit_once(" at ").map_or("", |(_, at)| at);
                at.starts_with('/') || at == "body"
            })
            .collect();
        let only_payloads = body_labels.iter().all(|l| l.starts_with("payload "));
        if only_payloads {
            if body_labels.is_empty() {
                tally.plain_bodies += 1;
            }
            if !errors.is_empty() {
                tally.failures.push(format!(
                    "{context}: {} {} labelled {:?} sends an invalid body {}: {errors:?}",
                    step.op, step.identity, step.violates, body.value
                ));
            }
            return;
        }
        for label in &body_labels {
            let k = keyword(label);
            if SCHEMA_KEYWORDS.contains(&k.as_str()) {
                tally.keyword_labels += 1;
                if errors.is_empty() {
                    tally.failures.push(format!(
                        "{context}: {} labelled {label:?} sends a valid body {}",
                        step.op, body.value
                    ));
                }
            } else if k == "readOnly" {
                tally.read_only_labels += 1;
                let at = label.rsplit_once(" at ").map_or("", |(_, at)| at);
                if body.value.pointer(at).is_none() {
                    tally.failures.push(format!(
                        "{context}: {} labelled {label:?} has nothing there: {}",
                        step.op, body.value
                    ));
                }
            }
        }
    }
}

/// Whether the place a payload label names holds a payload of its family.
fn payload_holds(step: &Step, label: &str) -> Result<(), String> {
    let (what, at) = label
        .rsplit_once(" at ")
        .ok_or_else(|| format!("malformed label {label:?}"))?;
    let family = what.trim_start_matches("payload ");
    let value = if at == "body" || at.starts_with('/') {
        let body = step
            .args
            .body
            .as_ref()
            .ok_or("a body label without a body")?;
        let pointer = if at == "body" { "" } else { at };
        body.value.pointer(pointer).cloned()
    } else {
        let (location, name) = at.split_once('/').ok_or("no parameter location")?;
        let map = match location {
            "path" => &step.args.path,
            "query" => &step.args.query,
            "header" => &step.args.header,
            "cookie" => &step.args.cookie,
            other => return Err(format!("unknown location {other}")),
        };
        match map.get(name) {
            Some(Arg::Value(v)) => Some(v.clone()),
            _ => None,
        }
    };
    let text = value
        .as_ref()
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{label:?}: no string there ({value:?})"))?;
    match payload::classify(text) {
        Some(f) if f.name() == family => {}
        other => return Err(format!("{label:?}: {text:?} is {other:?}")),
    }
    if at.starts_with("path/")
        && (text.contains('/') || text.contains('\\') || matches!(text, "." | ".."))
    {
        return Err(format!("{label:?}: {text:?} would leave its path segment"));
    }
    Ok(())
}

fn check_spec(file: &Path, cases: u64, rate: f64, tally: &mut Tally) {
    let Ok(model) = trespass_generators::load_file(file) else {
        return;
    };
    if model.operations.is_empty() {
        return;
    }
    let strategy = SequenceStrategy::new(&model, &[])
        .with_config(SequenceConfig::default().with_attack_rate(rate));
    let mut checker = Checker::new(&model);
    let name = file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    for case in 0..cases {
        let Ok(tree) = strategy.new_tree(&mut runner(case)) else {
            continue;
        };
        for (i, step) in tree.current().steps.iter().enumerate() {
            checker.check(step, tally, &format!("{name} case {case} step {i}"));
        }
    }
}

fn report(tally: &Tally, what: &str) {
    eprintln!(
        "{what}: {} steps, {} with a payload ({:.1} %), {} plain bodies valid, {} keyword labels, {} readOnly labels, {} payload labels, {} schemas the jsonschema crate rejects",
        tally.steps,
        tally.with_payload,
        100.0 * tally.with_payload as f64 / tally.steps.max(1) as f64,
        tally.plain_bodies,
        tally.keyword_labels,
        tally.read_only_labels,
        tally.payload_labels,
        tally.skipped_schemas,
    );
    assert!(
        tally.failures.is_empty(),
        "{} failure(s):\n{}",
        tally.failures.len(),
        tally
            .failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn demo_bodies_are_valid_unless_labelled_and_labels_say_what_breaks() {
    let mut tally = Tally::default();
    for file in common::spec_files(&common::demo_dir()) {
        check_spec(&file, 120, 0.3, &mut tally);
    }
    report(&tally, "demos at rate 0.3");
    assert!(tally.plain_bodies > 100, "plain bodies checked");
    assert!(tally.keyword_labels > 0, "negative steps are labelled");
    assert!(tally.read_only_labels > 0, "mass assignments are labelled");
    assert!(tally.payload_labels > 0, "payloads are labelled");
}

#[test]
fn real_spec_bodies_are_valid_unless_labelled() {
    let dir = common::real_dir();
    let files: Vec<PathBuf> = common::spec_files(&dir);
    if files.is_empty() {
        eprintln!("SKIPPED: no real specs at {}", dir.display());
        return;
    }
    let mut tally = Tally::default();
    for file in &files {
        check_spec(file, 6, 0.3, &mut tally);
    }
    report(&tally, "real specs at rate 0.3");
    assert!(tally.plain_bodies > 100, "plain bodies checked");
    assert!(tally.payload_labels > 0, "payloads are labelled");
}

/// The share of steps with a payload, per attack rate, on the demos.
fn payload_share(rate: f64) -> (usize, usize, BTreeMap<String, usize>) {
    let mut steps = 0;
    let mut with = 0;
    let mut families: BTreeMap<String, usize> = BTreeMap::new();
    for file in common::spec_files(&common::demo_dir()) {
        let model = trespass_generators::load_file(&file).expect("demo spec loads");
        let strategy = SequenceStrategy::new(&model, &[])
            .with_config(SequenceConfig::default().with_attack_rate(rate));
        for case in 0..150 {
            let Ok(tree) = strategy.new_tree(&mut runner(case)) else {
                continue;
            };
            for step in tree.current().steps {
                steps += 1;
                let labels: Vec<&String> = step
                    .violates
                    .iter()
                    .filter(|l| l.starts_with("payload "))
                    .collect();
                with += usize::from(!labels.is_empty());
                for l in labels {
                    let family = l.split(' ').nth(1).unwrap_or("").to_string();
                    *families.entry(family).or_default() += 1;
                }
            }
        }
    }
    (steps, with, families)
}

#[test]
fn the_attack_rate_is_honoured_both_ways() {
    let (steps, with, _) = payload_share(0.0);
    assert!(steps > 500);
    assert_eq!(with, 0, "rate 0: no payload");
    let (steps, with, families) = payload_share(SequenceConfig::DEFAULT_ATTACK_RATE);
    let share = with as f64 / steps as f64;
    eprintln!(
        "default rate {}: {with} of {steps} steps carry a payload ({:.1} %), by family {families:?}",
        SequenceConfig::DEFAULT_ATTACK_RATE,
        100.0 * share
    );
    assert!(with > 0, "the default rate sends payloads");
    assert!(share < 0.15, "payloads stay a minority: {share}");
    let (_, with_all, families) = payload_share(1.0);
    assert!(with_all > with * 3, "{with_all} vs {with}");
    assert!(families.len() >= 6, "most families show up: {families:?}");
}

#[test]
fn payloads_replay_from_the_seed_and_shrink_away_when_not_needed() {
    let model =
        trespass_generators::load_file(common::demo_spec("notes.yaml")).expect("demo spec loads");
    let strategy = SequenceStrategy::new(&model, &[])
        .with_config(SequenceConfig::default().with_attack_rate(1.0));
    let has_payload = |steps: &[Step]| {
        steps
            .iter()
            .any(|s| s.violates.iter().any(|l| l.starts_with("payload ")))
    };
    let mut shrunk = 0;
    for case in 0..40 {
        let Ok(mut tree) = strategy.new_tree(&mut runner(case)) else {
            continue;
        };
        let first = tree.current();
        let again = strategy.new_tree(&mut runner(case)).unwrap().current();
        assert_eq!(first, again, "case {case} replays");
        if !has_payload(&first.steps) {
            continue;
        }
        // The "failure" needs the first step's operation only: payloads are not needed.
        let op = first.steps[0].op.clone();
        let fails =
            |s: &trespass_generators::sequence::Sequence| s.steps.iter().any(|x| x.op == op);
        let last_failure = shrink_while(&mut tree, first.clone(), fails);
        assert!(
            !has_payload(&last_failure.steps),
            "case {case}: a payload survived shrinking: {:?}",
            last_failure
                .steps
                .iter()
                .map(|s| &s.violates)
                .collect::<Vec<_>>()
        );
        shrunk += 1;
    }
    assert!(shrunk > 5, "sequences with payloads were shrunk: {shrunk}");
}

#[test]
fn natural_keys_carry_long_strings_unique_by_length_and_shrink_back() {
    let model =
        trespass_generators::load_file(common::demo_spec("forum.yaml")).expect("demo spec loads");
    let strategy = SequenceStrategy::new(&model, &[])
        .with_config(SequenceConfig::default().with_attack_rate(1.0));
    let create = trespass_generators::model::OperationId::new("POST", "/api/v2/snippets");
    let title = |s: &Step| -> Option<String> {
        let body = &s.args.body.as_ref()?.value;
        Some(body.get("title")?.as_str()?.to_string())
    };
    let (mut long, mut shrunk) = (0, 0);
    for case in 0..300 {
        let Ok(mut tree) = strategy.new_tree(&mut runner(case)) else {
            continue;
        };
        let first = tree.current();
        let titles: Vec<(usize, String)> = first
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.op == create && s.violates.iter().any(|v| v == "payload long at /title")
            })
            .filter_map(|(i, s)| Some((i, title(s)?)))
            .collect();
        for (i, (step, t)) in titles.iter().enumerate() {
            assert_eq!(payload::classify(t), Some(payload::Family::Long), "{t}");
            // `maxLength: 100` less the step's index: unique within the case.
            assert_eq!(t.len(), 100 - step, "case {case} step {step}");
            assert!(!titles[..i].iter().any(|(_, u)| u == t));
        }
        long += titles.len();
        if titles.is_empty() {
            continue;
        }
        // A failure that needs the create only, not its long title: the title shrinks back to
        // the plain unique key.
        let fails =
            |s: &trespass_generators::sequence::Sequence| s.steps.iter().any(|x| x.op == create);
        let last_failure = shrink_while(&mut tree, first.clone(), fails);
        for s in last_failure.steps.iter().filter(|s| s.op == create) {
            let t = title(s).unwrap_or_default();
            assert!(
                payload::classify(&t) != Some(payload::Family::Long),
                "case {case}: the long title survived shrinking: {t}"
            );
        }
        shrunk += 1;
    }
    assert!(long > 5, "long natural keys were generated: {long}");
    assert!(shrunk > 3, "sequences with long keys were shrunk: {shrunk}");
}

/// Drives `tree` (whose current sequence, `first`, fails) with proptest's protocol while
/// `fails` holds; the last failing sequence.
fn shrink_while(
    tree: &mut impl ValueTree<Value = trespass_generators::sequence::Sequence>,
    first: trespass_generators::sequence::Sequence,
    fails: impl Fn(&trespass_generators::sequence::Sequence) -> bool,
) -> trespass_generators::sequence::Sequence {
    let mut last_failure = first;
    for _ in 0..10_000 {
        if fails(&tree.current()) {
            last_failure = tree.current();
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    last_failure
}

//! `trespass sample`: print generated sequences as JSON lines, one step per line, so a user can
//! see what a campaign would send before sending anything.
//!
//! Case `n` of `--seed S` is generated exactly as case `n` of `trespass fuzz --seed S` (same
//! runner seeding, same strategy over the same cast), so a sample previews a campaign. Nothing
//! is sent: references to earlier responses stay symbolic (`{{step0.body/id}}`), and the
//! identities file is read for its names and roles only (`${VAR}`s need not be set).
//!
//! Every line is one JSON object:
//!
//! | field | meaning |
//! | --- | --- |
//! | `sequence`, `step` | case number and step index |
//! | `identity`, `role`, `auth` | who sends it, their role, `normal` / `none` / `invalid` credentials |
//! | `operation`, `operation_id` | `METHOD /template`, and the spec's `operationId` (or null) |
//! | `method`, `path` | the request line, path parameters substituted (percent-encoded) |
//! | `query`, `headers`, `cookies` | parameter values by name, before style serialisation |
//! | `media_type`, `body` | the body and its media type (null without a body) |
//! | `violates` | what the step deliberately breaks or attacks (`minLength at /username`, `readOnly at /role`, `payload sql at query/q`); empty for a plain step, whose body is valid |
//!
//! Exactly `--count` sequences are printed: a case that yields no sequence is passed over (a
//! campaign sends nothing for it either) and the next one is taken, up to a bound; when fewer come out,
//! stderr says how many and why. Operations never sent (a required argument admits no value)
//! are listed on stderr with the reason.

use std::io::Write;
use std::path::Path;

use proptest::strategy::{Strategy, ValueTree};
use serde_json::{Map, Value, json};
use trespass_generators::model::{ApiModel, Operation, ParameterLocation};
use trespass_generators::pointer;
use trespass_generators::sequence::{
    Arg, IdentitySpec, Ref, RefSource, Sequence, SequenceConfig, SequenceStrategy, Step,
};

use super::ExpectedError;
use super::args::SampleArgs;
use crate::api::random_seed;
use crate::config::Config;
use crate::exec::params::path_segment;
use crate::exit_codes;
use crate::identity::{IdentityFile, OperationFilter};

pub(crate) fn run(args: SampleArgs) -> Result<u8, ExpectedError> {
    let mut model = super::load_spec(&args.spec)?;
    if model.operations.is_empty() {
        return Err(ExpectedError::usage(format!(
            "{}: the spec has no operations to sample",
            args.spec.display()
        )));
    }
    let (cast, file) = match &args.identities {
        Some(path) => {
            let mut file = identities_without_secrets(path)?;
            file.apply_resources(&mut model).map_err(|e| {
                ExpectedError::usage(format!("cannot use the identities file: {e}"))
            })?;
            (cast_of(&file, path)?, Some(file))
        }
        None => (IdentitySpec::default_cast(), None),
    };
    let filter = OperationFilter::new(&args.include, &args.exclude);
    let selection = crate::identity::selection::resolve(&model, file.as_ref(), &filter)
        .map_err(ExpectedError::wrap)?;
    let config = Config::from_env().map_err(ExpectedError::wrap)?;
    config.warn_unknown_vars(&Default::default());
    let seed = args.seed.or(config.seed).unwrap_or_else(random_seed);
    let attack_rate = args.attack_rate.unwrap_or(config.attack_rate);
    eprintln!(
        "sampling {} sequence(s) of {} with seed {seed}, as {}",
        args.count,
        args.spec.display(),
        cast.iter()
            .map(|c| format!("{} ({})", c.id, c.role))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let strategy = SequenceStrategy::new(&model, &cast)
        .with_config(SequenceConfig::default().with_attack_rate(attack_rate))
        .with_selection(&selection);
    for (op, why) in strategy.skipped() {
        eprintln!("skipped {op}: {why}");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut printed = 0u64;
    let mut passed_over: std::collections::BTreeMap<String, u64> = Default::default();
    let limit = max_cases(args.count);
    let mut case = 0u64;
    while printed < args.count && case < limit {
        let sequence = match sequence_for(&strategy, seed, case) {
            Ok(sequence) => sequence,
            Err(why) => {
                *passed_over.entry(why).or_default() += 1;
                case += 1;
                continue;
            }
        };
        for (index, step) in sequence.steps.iter().enumerate() {
            let line = step_line(&model, &cast, case, index, step);
            // A closed pipe (`| head`) ends the output quietly.
            if writeln!(out, "{line}").is_err() {
                return Ok(exit_codes::OK);
            }
        }
        printed += 1;
        case += 1;
    }
    let _ = out.flush();
    if printed < args.count {
        eprintln!(
            "printed {printed} of {} sequence(s): {} case(s) of seed {seed} yielded none ({})",
            args.count,
            passed_over.values().sum::<u64>(),
            passed_over
                .iter()
                .map(|(why, n)| format!("{n}: {why}"))
                .collect::<Vec<_>>()
                .join("; ")
        );
    } else if !passed_over.is_empty() {
        eprintln!(
            "passed over {} case(s) that yielded no sequence ({})",
            passed_over.values().sum::<u64>(),
            passed_over
                .iter()
                .map(|(why, n)| format!("{n}: {why}"))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(exit_codes::OK)
}

/// The most cases tried for `count` sequences: every one, and as many again plus 100 for the
/// cases that yield none.
fn max_cases(count: u64) -> u64 {
    count.saturating_mul(2).saturating_add(100)
}

/// An identities file read for its names, roles, policy and `[[resource]]` tables: secrets
/// are not needed, so unset `${VAR}`s read as empty.
pub(super) fn identities_without_secrets(path: &Path) -> Result<IdentityFile, ExpectedError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ExpectedError::usage(format!(
            "cannot read the identities file {}: {e}",
            path.display()
        ))
    })?;
    let file = IdentityFile::parse(&text, path, |var| {
        Some(std::env::var(var).unwrap_or_default())
    })
    .map_err(|e| ExpectedError::usage(format!("cannot use the identities file: {e}")))?;
    Ok(file)
}

/// The cast of an identities file: names and roles.
fn cast_of(file: &IdentityFile, path: &Path) -> Result<Vec<IdentitySpec>, ExpectedError> {
    let cast = file.cast();
    if cast.is_empty() {
        return Err(ExpectedError::usage(format!(
            "{}: no identity to act as",
            path.display()
        )));
    }
    Ok(cast)
}

/// The sequence of case `case`, generated as a campaign with `seed` generates it, or why
/// there is none.
fn sequence_for(strategy: &SequenceStrategy, seed: u64, case: u64) -> Result<Sequence, String> {
    let mut runner = crate::campaign::runner_for(seed, case);
    let sequence = strategy
        .new_tree(&mut runner)
        .map_err(|reason| format!("generation failed: {reason}"))?
        .current();
    if sequence.steps.is_empty() {
        return Err("no operation could be sent (no step's preconditions hold)".into());
    }
    Ok(sequence)
}

/// `{{step0.body/id}}`, `{{step1.header/X-Id}}`, `{{step2.location}}`.
fn symbolic(r: &Ref) -> String {
    match &r.source {
        RefSource::Body { pointer } => format!("{{{{step{}.body{pointer}}}}}", r.step),
        RefSource::Header { name } => format!("{{{{step{}.header/{name}}}}}", r.step),
        RefSource::Location => format!("{{{{step{}.location}}}}", r.step),
        RefSource::Request { pointer } => format!("{{{{step{}.request{pointer}}}}}", r.step),
    }
}

fn arg_value(arg: &Arg) -> Value {
    match arg {
        Arg::Value(v) => v.clone(),
        Arg::Ref(r) => Value::String(symbolic(r)),
    }
}

fn step_line(
    model: &ApiModel,
    cast: &[IdentitySpec],
    case: u64,
    index: usize,
    step: &Step,
) -> Value {
    let op = model.operation(&step.op);
    let role = cast
        .iter()
        .find(|c| c.id == step.identity)
        .map(|c| c.role.as_str());
    let params = |map: &indexmap::IndexMap<String, Arg>| -> Value {
        Value::Object(
            map.iter()
                .map(|(name, arg)| (name.clone(), arg_value(arg)))
                .collect::<Map<String, Value>>(),
        )
    };
    let body = step.args.body.as_ref().map(|b| {
        let mut value = b.value.clone();
        for r in &b.refs {
            set_leaf(&mut value, &r.at, Value::String(symbolic(&r.from)));
        }
        value
    });
    json!({
        "sequence": case,
        "step": index,
        "identity": step.identity.as_str(),
        "role": role,
        "auth": step.auth,
        "operation": step.op.as_str(),
        "operation_id": op.and_then(|o| o.operation_id.as_deref()),
        "method": step.op.method(),
        "path": concrete_path(op, step),
        "query": params(&step.args.query),
        "headers": params(&step.args.header),
        "cookies": params(&step.args.cookie),
        "media_type": step.args.body.as_ref().map(|b| b.media_type.as_str()),
        "body": body,
        "violates": step.violates,
    })
}

/// The path template with path parameters filled in: values serialised per the parameter's
/// style and percent-encoded as one segment, references symbolic and left as they are.
fn concrete_path(op: Option<&Operation>, step: &Step) -> String {
    let template = step.op.path();
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        match step.args.path.get(name) {
            Some(Arg::Ref(r)) => out.push_str(&symbolic(r)),
            Some(Arg::Value(v)) => {
                let param = op.and_then(|o| o.parameter(ParameterLocation::Path, name));
                out.push_str(&path_segment(v, param));
            }
            // Not generated (the executor would refuse the step): the template shows through.
            None => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Sets the leaf at JSON pointer `at` (its parent exists: the generator made sure of it).
fn set_leaf(target: &mut Value, at: &str, value: Value) {
    if at.is_empty() {
        *target = value;
        return;
    }
    let Some((parent, last)) = at.rsplit_once('/') else {
        return;
    };
    let key = pointer::unescape(last).into_owned();
    match target.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key, value);
        }
        Some(Value::Array(items)) => {
            if let Some(slot) = key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = value;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trespass_generators::model::OperationId;
    use trespass_generators::sequence::{Args, AuthMode, IdentityId};

    fn step(path: &str, args: Args) -> Step {
        Step {
            identity: IdentityId::new("bob"),
            op: OperationId::parse(path).expect("operation id"),
            auth: AuthMode::Normal,
            args,
            violates: Vec::new(),
        }
    }

    #[test]
    fn paths_are_filled_values_encoded_refs_symbolic() {
        let mut args = Args::default();
        args.path.insert(
            "userId".into(),
            Arg::Ref(Ref {
                step: 0,
                source: RefSource::Body {
                    pointer: "/id".into(),
                },
            }),
        );
        args.path
            .insert("addressId".into(), Arg::Value(json!("a b/c")));
        let s = step("GET /users/{userId}/addresses/{addressId}", args);
        assert_eq!(
            concrete_path(None, &s),
            "/users/{{step0.body/id}}/addresses/a%20b%2Fc"
        );
        let s = step("GET /teams/{teamId}", Args::default());
        assert_eq!(concrete_path(None, &s), "/teams/{teamId}");
    }

    #[test]
    fn body_refs_are_symbolic_at_their_pointer() {
        let mut value = json!({"addressId": 3, "items": [{"productId": 1}]});
        set_leaf(&mut value, "/addressId", json!("{{step1.location}}"));
        set_leaf(
            &mut value,
            "/items/0/productId",
            json!("{{step2.header/X-Id}}"),
        );
        assert_eq!(
            value,
            json!({"addressId": "{{step1.location}}", "items": [{"productId": "{{step2.header/X-Id}}"}]})
        );
        let r = Ref {
            step: 4,
            source: RefSource::Header {
                name: "X-Id".into(),
            },
        };
        assert_eq!(symbolic(&r), "{{step4.header/X-Id}}");
    }
}

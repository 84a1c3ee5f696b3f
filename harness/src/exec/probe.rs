//! The requests the executor adds around a step that sends an attack payload.
//!
//! - After a step that sent a payload and was refused or failed: the same request with plain
//!   values ([`super::Purpose::PlainTwin`]). The `injection` oracle compares the two answers: a
//!   payload that breaks an answer the plain value does not break is the server interpreting
//!   the value.
//! - Before a step that sends a long string (the ReDoS family, `aaa…a!`): the same request with
//!   the string at [`growth_lengths`] (8, 16, 32, … characters), stopped at the first answer
//!   slower than [`GROWTH_STOP`] or without an answer ([`super::Purpose::Growth`]); the step
//!   itself then sends the string at that length, not longer. The `redos` oracle judges how the
//!   answer time grows with the length: a vulnerable regular expression is shown without being
//!   handed a string that would keep it busy for hours.

use std::time::Duration;

use serde_json::Value;
use trespass_generators::sequence::{Arg, Step};
use trespass_generators::values::payload::{self, Family};

/// `step` with every attack payload among its concrete values (parameters and body; values
/// filled from earlier answers are left as they are) replaced by [`plain`], or `None` when it
/// sent no payload. Long strings (the ReDoS family) are left alone: their control is a
/// shorter string, not a plain one.
pub fn plain_twin(step: &Step) -> Option<Step> {
    let mut twin = step.clone();
    let mut changed = false;
    visit_values_mut(&mut twin, &mut |value| changed |= replace_payloads(value));
    changed.then_some(twin)
}

/// Replaces every payload string in `value`; whether there was one.
fn replace_payloads(value: &mut Value) -> bool {
    match value {
        Value::String(text) => match payload::classify(text) {
            Some(family) if family != Family::Long => {
                *text = plain(text);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, v| replace_payloads(v) | any),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |any, v| replace_payloads(v) | any),
        _ => false,
    }
}

/// The shortest growth probe.
pub const GROWTH_START: usize = 8;

/// A growth probe slower than this stops the growth.
pub const GROWTH_STOP: Duration = Duration::from_millis(500);

/// The lengths of the growth probes before a step that sends a long string of `len`
/// characters: [`GROWTH_START`], doubled while below `len`.
pub fn growth_lengths(len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut n = GROWTH_START;
    while n < len {
        out.push(n);
        n *= 2;
    }
    out
}

/// Whether `text` is a run of `a` ended by `!` (a long string of any length).
pub fn is_growth_string(text: &str) -> bool {
    text.len() >= 2 && text.ends_with('!') && text[..text.len() - 1].bytes().all(|b| b == b'a')
}

/// The length of the longest long string (the ReDoS family) among `step`'s concrete values.
pub fn long_length(step: &Step) -> Option<usize> {
    let mut longest = None;
    visit_values(step, &mut |value| {
        longest_in(value, &mut longest);
    });
    longest
}

fn longest_in(value: &Value, longest: &mut Option<usize>) {
    match value {
        Value::String(text) if payload::classify(text) == Some(Family::Long) => {
            *longest = Some(longest.unwrap_or(0).max(text.len()));
        }
        Value::Array(items) => items.iter().for_each(|v| longest_in(v, longest)),
        Value::Object(map) => map.values().for_each(|v| longest_in(v, longest)),
        _ => {}
    }
}

/// `step` with every long string (the ReDoS family) `len` characters long: `len - 1` times `a`
/// then `!`.
pub fn with_long_length(step: &Step, len: usize) -> Step {
    let mut out = step.clone();
    let text = format!("{}!", "a".repeat(len.max(2) - 1));
    visit_values_mut(&mut out, &mut |value| set_long(value, &text));
    out
}

fn set_long(value: &mut Value, text: &str) {
    match value {
        Value::String(s) if payload::classify(s) == Some(Family::Long) => *s = text.to_string(),
        Value::Array(items) => items.iter_mut().for_each(|v| set_long(v, text)),
        Value::Object(map) => map.values_mut().for_each(|v| set_long(v, text)),
        _ => {}
    }
}

fn visit_values(step: &Step, f: &mut dyn FnMut(&Value)) {
    let args = &step.args;
    for params in [&args.path, &args.query, &args.header, &args.cookie] {
        for arg in params.values() {
            if let Arg::Value(value) = arg {
                f(value);
            }
        }
    }
    if let Some(body) = &args.body {
        f(&body.value);
    }
}

fn visit_values_mut(step: &mut Step, f: &mut dyn FnMut(&mut Value)) {
    let args = &mut step.args;
    for params in [
        &mut args.path,
        &mut args.query,
        &mut args.header,
        &mut args.cookie,
    ] {
        for arg in params.values_mut() {
            if let Arg::Value(value) = arg {
                f(value);
            }
        }
    }
    if let Some(body) = &mut args.body {
        f(&mut body.value);
    }
}

/// A plain string as long as `text` (in characters): its ASCII letters and digits kept, every
/// other character an `a`, so a length limit that admitted the payload admits it too.
pub fn plain(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { 'a' })
        .collect();
    if out.is_empty() { "a".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use trespass_generators::model::OperationId;
    use trespass_generators::sequence::{Args, BodyArg, IdentityId};

    #[test]
    fn twins_replace_payloads_and_nothing_else() {
        let mut args = Args::default();
        args.query
            .insert("author".into(), Arg::Value(json!("' OR '1'='1")));
        args.query.insert("page".into(), Arg::Value(json!(2)));
        args.body = Some(BodyArg {
            media_type: "application/json".into(),
            value: json!({
                "name": "alice",
                "tags": ["../../../../etc/passwd", "x"],
                "long": payload::long(40),
            }),
            refs: Vec::new(),
        });
        let step = Step {
            identity: IdentityId::new("alice"),
            op: OperationId::new("POST", "/things"),
            auth: Default::default(),
            args,
            violates: Vec::new(),
        };
        let twin = plain_twin(&step).expect("payloads were sent");
        assert_eq!(twin.args.query["author"], Arg::Value(json!("aaORaa1aaa1")));
        assert_eq!(twin.args.query["page"], Arg::Value(json!(2)));
        let body = &twin.args.body.as_ref().unwrap().value;
        assert_eq!(body["name"], "alice");
        assert_eq!(body["tags"], json!(["aaaaaaaaaaaaetcapasswd", "x"]));
        assert_eq!(body["long"], json!(payload::long(40)), "long strings stay");
        assert_eq!(payload::classify(body["tags"][0].as_str().unwrap()), None);

        let mut plain_step = step.clone();
        plain_step.args = Args::default();
        assert_eq!(plain_twin(&plain_step), None);
        assert_eq!(plain("'"), "a");

        assert_eq!(long_length(&step), Some(40));
        assert_eq!(long_length(&plain_step), None);
        let short = with_long_length(&step, 16);
        let body = &short.args.body.as_ref().unwrap().value;
        assert_eq!(body["long"], json!("aaaaaaaaaaaaaaa!"));
        assert!(is_growth_string(body["long"].as_str().unwrap()));
        assert_eq!(body["name"], "alice", "nothing else changes");
        assert_eq!(short.args.query["author"], step.args.query["author"]);
    }

    #[test]
    fn growth_doubles_from_eight_below_the_length_sent() {
        assert_eq!(growth_lengths(100), [8, 16, 32, 64]);
        assert_eq!(growth_lengths(64), [8, 16, 32]);
        assert_eq!(growth_lengths(8), Vec::<usize>::new());
        assert!(!is_growth_string("!") && !is_growth_string("aab!") && is_growth_string("a!"));
        assert_eq!(plain("\u{202e}x"), "ax");
    }
}

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
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{Arg, Ref, Step};
use trespass_generators::values::payload::{self, Family};

/// `step` with every attack payload it sends replaced by [`plain`], or `None` when it sends
/// none: among its concrete values (parameters and body), and among the values it fills from
/// earlier answers (`resolve`), which then go as concrete plain values: a payload stored by one
/// request and echoed into another (a second-order injection) has its control too. Long
/// strings (the ReDoS family) are left alone: their control is a shorter string, not a plain
/// one.
pub fn plain_twin(step: &Step, resolve: &dyn Fn(&Ref) -> Option<Value>) -> Option<Step> {
    let mut twin = step.clone();
    let mut changed = false;
    visit_values_mut(&mut twin, &mut |value| changed |= replace_payloads(value));
    visit_params_mut(&mut twin, &mut |arg| {
        if let Arg::Ref(r) = arg
            && let Some(mut value) = resolve(r)
            && replace_payloads(&mut value)
        {
            *arg = Arg::Value(value);
            changed = true;
        }
    });
    if let Some(body) = &mut twin.args.body {
        let mut kept = Vec::new();
        for r in std::mem::take(&mut body.refs) {
            let plain = resolve(&r.from)
                .and_then(|mut value| replace_payloads(&mut value).then_some(value));
            match plain {
                Some(value) if set_at(&mut body.value, &r.at, &value) => changed = true,
                _ => kept.push(r),
            }
        }
        body.refs = kept;
    }
    changed.then_some(twin)
}

/// Writes `value` at JSON pointer `at` of `body` (the root for `""`); whether there was such a
/// place.
fn set_at(body: &mut Value, at: &str, value: &Value) -> bool {
    match body.pointer_mut(at) {
        Some(slot) => {
            *slot = value.clone();
            true
        }
        None => false,
    }
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

/// What growth probes showed earlier in a campaign: operations whose answers grew slow with
/// the length of a long string, with the longest length that still answered fast. Shared by
/// the workers of one campaign (not by replays and shrinking, which time the growth afresh).
///
/// Once an operation's growth has stopped at a slow answer [`SLOW_GROWTHS_KNOWN`] times, its
/// later steps send their long strings at that fast length without probes: the `redos` finding
/// is made by then, and a vulnerable pattern is not handed a slow string in every case of a
/// campaign of hours.
#[derive(Debug, Default)]
pub struct GrowthMemo {
    slow: std::sync::Mutex<std::collections::HashMap<OperationId, (u32, usize)>>,
}

/// Slow growths on one operation after which [`GrowthMemo`] stops probing it.
pub const SLOW_GROWTHS_KNOWN: u32 = 2;

impl GrowthMemo {
    /// The length at which `op`'s long strings go without probes, once known slow.
    pub fn known_fast_length(&self, op: &OperationId) -> Option<usize> {
        let slow = self.slow.lock().ok()?;
        slow.get(op)
            .filter(|(times, _)| *times >= SLOW_GROWTHS_KNOWN)
            .map(|&(_, fast)| fast)
    }

    /// Notes that `op`'s growth stopped at a slow answer at `length` characters.
    pub fn note_slow(&self, op: &OperationId, length: usize) {
        if let Ok(mut slow) = self.slow.lock() {
            let entry = slow.entry(op.clone()).or_insert((0, usize::MAX));
            entry.0 += 1;
            entry.1 = entry.1.min((length / 2).max(GROWTH_START));
        }
    }
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
    visit_params_mut(step, &mut |arg| {
        if let Arg::Value(value) = arg {
            f(value);
        }
    });
    if let Some(body) = &mut step.args.body {
        f(&mut body.value);
    }
}

/// Calls `f` with every parameter argument of `step` (path, query, header, cookie).
fn visit_params_mut(step: &mut Step, f: &mut dyn FnMut(&mut Arg)) {
    let args = &mut step.args;
    for params in [
        &mut args.path,
        &mut args.query,
        &mut args.header,
        &mut args.cookie,
    ] {
        params.values_mut().for_each(&mut *f);
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
        let twin = plain_twin(&step, &|_| None).expect("payloads were sent");
        assert_eq!(twin.args.query["author"], Arg::Value(json!("aaORaa1aaa1")));
        assert_eq!(twin.args.query["page"], Arg::Value(json!(2)));
        let body = &twin.args.body.as_ref().unwrap().value;
        assert_eq!(body["name"], "alice");
        assert_eq!(body["tags"], json!(["aaaaaaaaaaaaetcapasswd", "x"]));
        assert_eq!(body["long"], json!(payload::long(40)), "long strings stay");
        assert_eq!(payload::classify(body["tags"][0].as_str().unwrap()), None);

        let mut plain_step = step.clone();
        plain_step.args = Args::default();
        assert_eq!(plain_twin(&plain_step, &|_| None), None);
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
    fn twins_replace_payloads_echoed_from_earlier_answers() {
        use trespass_generators::sequence::{BodyRef, RefSource};
        let stored = Ref {
            step: 2,
            source: RefSource::Body {
                pointer: "/content".into(),
            },
        };
        let named = Ref {
            step: 0,
            source: RefSource::Location,
        };
        let mut args = Args::default();
        args.query.insert("author".into(), Arg::Ref(stored.clone()));
        args.path.insert("name".into(), Arg::Ref(named.clone()));
        args.body = Some(BodyArg {
            media_type: "application/json".into(),
            value: json!({"note": null, "size": 3}),
            refs: vec![BodyRef {
                at: "/note".into(),
                from: stored.clone(),
            }],
        });
        let step = Step {
            identity: IdentityId::new("root"),
            op: OperationId::new("GET", "/api/v2/snippets"),
            auth: Default::default(),
            args,
            violates: Vec::new(),
        };
        let resolve = |r: &Ref| {
            Some(if *r == stored {
                json!("$where: '1 == 1'")
            } else {
                json!("plk.qc")
            })
        };
        let twin = plain_twin(&step, &resolve).expect("an echoed payload is sent");
        assert_eq!(
            twin.args.query["author"],
            Arg::Value(json!("awhereaaa1aaaa1a"))
        );
        assert_eq!(
            twin.args.path["name"],
            Arg::Ref(named),
            "plain echoes stay references"
        );
        let body = twin.args.body.as_ref().unwrap();
        assert!(body.refs.is_empty());
        assert_eq!(body.value["note"], json!("awhereaaa1aaaa1a"));
        // Nothing echoed is a payload: no twin.
        assert_eq!(plain_twin(&step, &|_| Some(json!("plain"))), None);
    }

    #[test]
    fn the_memo_stops_probing_an_operation_after_two_slow_growths() {
        let memo = GrowthMemo::default();
        let op = OperationId::new("POST", "/api/v2/snippets");
        let other = OperationId::new("POST", "/api/v2/users");
        assert_eq!(memo.known_fast_length(&op), None);
        memo.note_slow(&op, 64);
        assert_eq!(
            memo.known_fast_length(&op),
            None,
            "one slow growth may be a pause"
        );
        memo.note_slow(&op, 32);
        assert_eq!(memo.known_fast_length(&op), Some(16));
        assert_eq!(memo.known_fast_length(&other), None);
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

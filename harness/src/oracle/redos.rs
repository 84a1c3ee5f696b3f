//! `redos`: the answer time of an operation grows super-linearly with the length of one string
//! value, the mark of a catastrophic regular expression (nested quantifiers on `aaa…a!`).
//!
//! Before a sequence step that sends a long string, the executor sends the same request with
//! the string at 8, 16, 32, … characters ([`crate::exec::Purpose::Growth`]), stopped at the
//! first slow answer. This oracle compares the answer times of those probes and of the step:
//! it fires when a string `r` ≥ 2 times longer took more than `2·r` times as long (a linear
//! handler takes at most `r` times as long; four times the length answering eight times slower
//! is not linear) and at least [`FLOOR`] longer, so that the jitter of answers of a few
//! milliseconds is never growth; and it needs two such measurements in the trace (the step
//! itself is sent at the length of the slow probe, so a slow pattern shows twice), so that one
//! pause of the machine is not growth either. Not a fixed threshold: a fast service with a vulnerable
//! pattern is found long before any answer is slow. A finding is confirmed by replaying it,
//! which times the growth again.
//!
//! `slow-response` leaves growth probes, and the steps this oracle reports, to it.

use std::time::Duration;

use super::common::Dedup;
use super::server_error::acting_role;
use super::{CheckContext, Oracle, Violation};
use crate::exec::{Purpose, TraceStep, is_growth_string};

/// The least difference of answer times that counts as growth.
pub const FLOOR: Duration = Duration::from_millis(100);

/// The `redos` oracle.
#[derive(Debug, Clone, Copy, Default)]
pub struct Redos;

impl Redos {
    /// The oracle's name, in signatures, reports and `--oracles`.
    pub const NAME: &str = "redos";
}

/// The length of the long string a step sent (its longest run of `a` ended by `!`).
fn sent_length(step: &TraceStep) -> Option<usize> {
    let mut longest = None;
    let mut stack: Vec<&serde_json::Value> = step.path_params.values().collect();
    stack.extend(step.body.iter());
    let query = step.exchange.request.query.iter().map(|(_, v)| v.as_str());
    let mut note = |text: &str| {
        if is_growth_string(text) {
            longest = Some(longest.unwrap_or(0).max(text.len()));
        }
    };
    query.for_each(&mut note);
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::String(s) => note(s),
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    longest
}

/// The growth that shows a catastrophic pattern behind `step` (a sequence step with growth
/// probes): the shorter and the longer string's lengths and answer times.
pub(crate) fn growth(
    cx: &CheckContext<'_>,
    step: &TraceStep,
) -> Option<((usize, Duration), (usize, Duration))> {
    let Purpose::Sequence { step: index } = step.purpose else {
        return None;
    };
    let mut points: Vec<(usize, Duration)> = cx
        .trace
        .steps
        .iter()
        .filter_map(|s| match s.purpose {
            Purpose::Growth { step, length } if step == index => Some((length, s.exchange.elapsed)),
            _ => None,
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    if let Some(length) = sent_length(step) {
        points.push((length, step.exchange.elapsed));
    }
    points.sort();
    // Every measurement that is super-linear against a shorter one; one is a hint (a pause of
    // the machine can slow any answer), two are growth.
    let mut grown = Vec::new();
    for (i, &(long, long_time)) in points.iter().enumerate() {
        let against = points[..i].iter().find(|&&(short, short_time)| {
            let ratio = long as f64 / short as f64;
            let base = short_time.max(Duration::from_millis(1)).as_secs_f64();
            long >= 2 * short
                && long_time >= short_time + FLOOR
                && long_time.as_secs_f64() / base > 2.0 * ratio
        });
        if let Some(&short) = against {
            grown.push((short, (long, long_time)));
        }
    }
    (grown.len() >= 2).then(|| grown[grown.len() - 1])
}

impl Oracle for Redos {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out = Dedup::default();
        for step in &cx.trace.steps {
            let Some(((short, t_short), (long, t_long))) = growth(cx, step) else {
                continue;
            };
            let role = acting_role(step);
            out.push(Violation {
                oracle: Self::NAME.into(),
                operation: step.op.clone(),
                roles: vec![role],
                step: step.index,
                message: format!(
                    "{} ({role}) called {}: a string of {short} characters answered in {} ms, \
                     one of {long} in {} ms, more than {}× slower for {}× the length",
                    step.identity,
                    step.op,
                    t_short.as_millis(),
                    t_long.as_millis(),
                    2 * long / short,
                    long / short
                ),
                rule: "answer time grows at most linearly with the length of a value".into(),
                cause: None,
            });
        }
        out.finish()
    }
}

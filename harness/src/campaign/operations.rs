//! Operation coverage: per operation of the spec, the requests a campaign sent, the statuses
//! that came back, whether any answer was a 2xx and, when none was, the dominant answer with a
//! hint of what is missing. Operations that were never answered 2xx were never really tested
//! (their authorization was not judged on an accepted request): the report lists them first.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use trespass_generators::model::ApiModel;
use trespass_generators::sequence::Sequence;

use crate::exec::Trace;
use crate::http::{Received, ResponseBody};
use crate::redact::Redactor;

/// Longest server message kept per status (characters).
const MESSAGE_CHARS: usize = 160;

/// What one operation got in a campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationCoverage {
    /// Requests sent (sequence steps and re-reads).
    #[serde(default)]
    pub requests: u64,
    /// Answers by status code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no whole answer, by transport failure kind (`reset`, `timeout`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transport: BTreeMap<String, u64>,
    /// Sequences that stopped at this operation because its step could not be sent, by reason
    /// (`unresolved-ref`, `login-failed`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unsendable: BTreeMap<String, u64>,
    /// The first message the server gave with each 4xx status (redacted, cut short).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<u16, String>,
    /// Why it is never sent (`--exclude`, the target's reset, the policy), when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
    /// Whether any answer was a 2xx.
    #[serde(default)]
    pub succeeded: bool,
    /// When none was: the dominant answer (`401 (12 of 12)`, `no answer: timeout (3 of 4)`,
    /// `never sent`), else `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// When none was: what is likely missing (an identity or credentials, a producer, a body
    /// the server accepts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Per operation (keyed `METHOD /path`), what a campaign sent and got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Operations(pub BTreeMap<String, OperationCoverage>);

/// The dominant answer of an operation never answered 2xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Dominant<'a> {
    Status(u16),
    Transport(&'a str),
}

impl OperationCoverage {
    /// Counts of statuses and transport failures.
    fn answers(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.transport.values().sum::<u64>()
    }

    /// The most frequent answer (ties: the lower status, statuses before transport kinds).
    fn dominant(&self) -> Option<(Dominant<'_>, u64)> {
        let statuses = self
            .statuses
            .iter()
            .map(|(s, n)| (Dominant::Status(*s), *n));
        let failures = self
            .transport
            .iter()
            .map(|(k, n)| (Dominant::Transport(k.as_str()), *n));
        statuses
            .chain(failures)
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
    }

    /// Sets [`Self::succeeded`], [`Self::answer`] and [`Self::hint`] from the counts.
    fn judge(&mut self) {
        self.succeeded = self.statuses.keys().any(|s| (200..300).contains(s));
        (self.answer, self.hint) = if self.succeeded {
            (None, None)
        } else if let Some(why) = &self.excluded {
            (Some("excluded".into()), Some(format!("never sent: {why}")))
        } else if let Some((dominant, n)) = self.dominant() {
            let of = format!("({n} of {})", self.answers());
            match dominant {
                Dominant::Status(status) => (
                    Some(format!("{status} {of}")),
                    Some(status_hint(status, self.messages.get(&status))),
                ),
                Dominant::Transport(kind) => (
                    Some(format!("no answer: {kind} {of}")),
                    Some(
                        "transport failures: the target dropped or never finished its answers \
                         (see the transport line)"
                            .into(),
                    ),
                ),
            }
        } else {
            (Some("never sent".into()), Some(self.never_sent_hint()))
        };
    }

    /// Why an operation in the selection was never sent.
    fn never_sent_hint(&self) -> String {
        let Some((reason, n)) = self
            .unsendable
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        else {
            return "never drawn: outside --include, or nothing produces its inputs".into();
        };
        let what = match reason.as_str() {
            "login-failed" | "credentials-refused" | "unknown-identity" => {
                "missing identity or credentials: the identity to send it could not log in"
            }
            "unresolved-ref" | "missing-path-value" | "unroutable-path-value" => {
                "missing producer: no earlier step produced the values it needs"
            }
            _ => "its step could not be built",
        };
        format!("{what} ({n} sequence(s): {reason})")
    }
}

/// What an operation answered `status` every time (or mostly) is likely to mean.
fn status_hint(status: u16, message: Option<&String>) -> String {
    let said = message
        .map(|m| format!("; the server said: {m}"))
        .unwrap_or_default();
    match status {
        401 => format!("missing identity or credentials the server accepts{said}"),
        403 => format!("no identity with a role the server allows{said}"),
        404 => format!(
            "missing producer: nothing existed where it was addressed (its create is missing, \
             excluded or failing){said}"
        ),
        400 | 422 => format!("rejected body or parameters{said}"),
        405 => format!("method not allowed: the spec and the server disagree{said}"),
        409 => format!("conflict: the state it needs was never reached{said}"),
        429 => "rate limited even after waiting for Retry-After: lower --rate".into(),
        500..=599 => format!("server errors (see the findings){said}"),
        _ => format!("never accepted{said}"),
    }
}

/// The message of an error answer: `message`, `error`, `detail` or `title` of a JSON body, or
/// a text body, on one line, cut to [`MESSAGE_CHARS`].
fn message_of(body: &ResponseBody) -> Option<String> {
    let text = match body {
        ResponseBody::Json(v) => {
            let field = ["message", "error", "detail", "title", "error_description"]
                .iter()
                .find_map(|k| v.get(k))?;
            match field {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        }
        ResponseBody::Text(t) => t.clone(),
        _ => return None,
    };
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return None;
    }
    let mut cut: String = one_line.chars().take(MESSAGE_CHARS).collect();
    if cut.len() < one_line.len() {
        cut.push('…');
    }
    Some(cut)
}

impl Operations {
    /// Every operation of `model`, none sent yet; those in `excluded` marked with why.
    pub fn of_model(model: &ApiModel, excluded: &BTreeMap<String, String>) -> Self {
        Self(
            model
                .operations
                .iter()
                .map(|op| {
                    let id = op.id.to_string();
                    let cov = OperationCoverage {
                        excluded: excluded.get(&id).cloned(),
                        ..Default::default()
                    };
                    (id, cov)
                })
                .collect(),
        )
    }

    /// Counts the exchanges of `trace` (a run of `sequence`) and, when it was rejected, the
    /// operation whose step could not be sent.
    pub fn count(&mut self, sequence: &Sequence, trace: &Trace, redactor: &Redactor) {
        for step in &trace.steps {
            let op = self.0.entry(step.op.to_string()).or_default();
            op.requests += 1;
            match &step.exchange.outcome {
                Received::Response(r) => {
                    *op.statuses.entry(r.status).or_default() += 1;
                    if (400..500).contains(&r.status)
                        && !op.messages.contains_key(&r.status)
                        && let Some(m) = message_of(&r.body)
                    {
                        op.messages.insert(r.status, redactor.text(&m));
                    }
                }
                Received::Error { kind, .. } => {
                    *op.transport.entry(kind.as_str().to_string()).or_default() += 1;
                }
            }
        }
        if let Some(reject) = &trace.reject
            && let Some(step) = sequence.steps.get(reject.step.0)
        {
            let op = self.0.entry(step.op.to_string()).or_default();
            *op.unsendable
                .entry(reject.whence.kind().to_string())
                .or_default() += 1;
        }
    }

    /// Adds `other`'s counts (and its first messages where these have none).
    pub fn add(&mut self, other: &Operations) {
        for (id, theirs) in &other.0 {
            let mine = self.0.entry(id.clone()).or_default();
            mine.requests += theirs.requests;
            for (s, n) in &theirs.statuses {
                *mine.statuses.entry(*s).or_default() += n;
            }
            for (k, n) in &theirs.transport {
                *mine.transport.entry(k.clone()).or_default() += n;
            }
            for (k, n) in &theirs.unsendable {
                *mine.unsendable.entry(k.clone()).or_default() += n;
            }
            for (s, m) in &theirs.messages {
                mine.messages.entry(*s).or_insert_with(|| m.clone());
            }
            if mine.excluded.is_none() {
                mine.excluded.clone_from(&theirs.excluded);
            }
        }
    }

    /// These counts with every operation's verdict ([`OperationCoverage::succeeded`],
    /// `answer`, `hint`) set.
    pub fn judged(mut self) -> Self {
        for op in self.0.values_mut() {
            op.judge();
        }
        self
    }

    /// Operations answered 2xx at least once so far (before or after [`Self::judged`]).
    pub fn tested(&self) -> usize {
        self.0
            .values()
            .filter(|c| c.statuses.keys().any(|s| (200..300).contains(s)))
            .count()
    }

    /// Whether nothing is known (a report written before operation coverage).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Operations never answered 2xx: sent or not, excluded last, else by name.
    pub fn never_tested(&self) -> Vec<(&String, &OperationCoverage)> {
        let mut out: Vec<(&String, &OperationCoverage)> =
            self.0.iter().filter(|(_, c)| !c.succeeded).collect();
        out.sort_by_key(|(id, c)| (c.excluded.is_some(), c.requests == 0, *id));
        out
    }

    /// `200×12 404×3 reset×1`: what came back.
    pub fn statuses_text(c: &OperationCoverage) -> String {
        let mut parts: Vec<String> = c.statuses.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        parts.extend(c.transport.iter().map(|(k, n)| format!("{k}×{n}")));
        if parts.is_empty() {
            "-".into()
        } else {
            parts.join(" ")
        }
    }

    /// The operation block of a campaign's summary: the operations never really tested
    /// (never answered 2xx), each with its dominant answer and hint, then the excluded ones,
    /// then one line for the tested ones.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            return out;
        }
        let never = self.never_tested();
        let tested = self.0.len() - never.len();
        let _ = writeln!(
            out,
            "operation coverage: {tested} of {} operation(s) answered 2xx at least once",
            self.0.len()
        );
        let (excluded, untested): (Vec<_>, Vec<_>) =
            never.into_iter().partition(|(_, c)| c.excluded.is_some());
        if !untested.is_empty() {
            let _ = writeln!(out, "never really tested (no 2xx):");
            for (id, c) in &untested {
                let _ = writeln!(
                    out,
                    "  {id}: {} request(s), {} — {}",
                    c.requests,
                    c.answer.as_deref().unwrap_or("-"),
                    c.hint.as_deref().unwrap_or("-"),
                );
            }
        }
        if !excluded.is_empty() {
            let list: Vec<String> = excluded
                .iter()
                .map(|(id, c)| format!("{id} ({})", c.excluded.as_deref().unwrap_or("-")))
                .collect();
            let _ = writeln!(out, "excluded, never sent: {}", list.join(", "));
        }
        if tested > 0 {
            let list: Vec<String> = self
                .0
                .iter()
                .filter(|(_, c)| c.succeeded)
                .map(|(id, c)| format!("{id} [{}]", Self::statuses_text(c)))
                .collect();
            let _ = writeln!(out, "tested (2xx seen): {}", list.join(", "));
        }
        out
    }
}

impl Operations {
    /// The Markdown section of the operation coverage: a table of the operations never
    /// really tested, the excluded ones, and how many were tested; empty when nothing is known.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            return out;
        }
        let never = self.never_tested();
        let tested = self.0.len() - never.len();
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let _ = writeln!(
            out,
            "### Operation coverage\n\n{tested} of {} operation(s) answered 2xx at least once.\n",
            self.0.len()
        );
        let (excluded, untested): (Vec<_>, Vec<_>) =
            never.into_iter().partition(|(_, c)| c.excluded.is_some());
        if !untested.is_empty() {
            out.push_str("Never really tested (no 2xx):\n\n");
            out.push_str("| operation | requests | answers | dominant | hint |\n");
            out.push_str("| --- | --- | --- | --- | --- |\n");
            for (id, c) in &untested {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} |",
                    cell(id),
                    c.requests,
                    cell(&Self::statuses_text(c)),
                    cell(c.answer.as_deref().unwrap_or("-")),
                    cell(c.hint.as_deref().unwrap_or("-")),
                );
            }
            out.push('\n');
        }
        if !excluded.is_empty() {
            let list: Vec<String> = excluded
                .iter()
                .map(|(id, c)| {
                    format!(
                        "`{}` ({})",
                        cell(id),
                        cell(c.excluded.as_deref().unwrap_or("-"))
                    )
                })
                .collect();
            let _ = writeln!(out, "Excluded, never sent: {}.\n", list.join(", "));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(statuses: &[(u16, u64)]) -> OperationCoverage {
        OperationCoverage {
            requests: statuses.iter().map(|(_, n)| n).sum(),
            statuses: statuses.iter().copied().collect(),
            ..Default::default()
        }
    }

    fn ops(list: Vec<(&str, OperationCoverage)>) -> Operations {
        Operations(list.into_iter().map(|(k, v)| (k.to_string(), v)).collect()).judged()
    }

    #[test]
    fn the_dominant_answer_and_its_hint_are_named_when_no_2xx_came() {
        let mut bad_body = op(&[(400, 5), (404, 1)]);
        bad_body
            .messages
            .insert(400, "quantity must be positive".into());
        let mut unsendable = OperationCoverage::default();
        unsendable.unsendable.insert("unresolved-ref".into(), 4);
        let reset = OperationCoverage {
            excluded: Some("the target's reset".into()),
            ..Default::default()
        };
        let mut timeouts = op(&[(401, 1)]);
        timeouts.transport.insert("timeout".into(), 3);
        timeouts.requests += 3;
        let all = ops(vec![
            ("GET /a", op(&[(200, 3), (404, 2)])),
            ("GET /b", op(&[(401, 7)])),
            ("POST /c", bad_body),
            ("GET /d", op(&[(403, 2), (404, 2)])),
            ("DELETE /e", unsendable),
            ("POST /reset", reset),
            ("GET /f", timeouts),
            ("GET /g", OperationCoverage::default()),
        ]);
        let a = &all.0["GET /a"];
        assert!(a.succeeded);
        assert_eq!((a.answer.as_deref(), a.hint.as_deref()), (None, None));
        let b = &all.0["GET /b"];
        assert_eq!(b.answer.as_deref(), Some("401 (7 of 7)"));
        assert!(
            b.hint
                .as_ref()
                .unwrap()
                .starts_with("missing identity or credentials")
        );
        let c = &all.0["POST /c"];
        assert_eq!(c.answer.as_deref(), Some("400 (5 of 6)"));
        assert_eq!(
            c.hint.as_deref(),
            Some("rejected body or parameters; the server said: quantity must be positive")
        );
        // A tie goes to the lower status.
        assert_eq!(all.0["GET /d"].answer.as_deref(), Some("403 (2 of 4)"));
        let e = &all.0["DELETE /e"];
        assert_eq!(e.answer.as_deref(), Some("never sent"));
        assert!(
            e.hint.as_ref().unwrap().starts_with("missing producer")
                && e.hint
                    .as_ref()
                    .unwrap()
                    .contains("4 sequence(s): unresolved-ref"),
            "{e:?}"
        );
        assert_eq!(all.0["POST /reset"].answer.as_deref(), Some("excluded"));
        assert_eq!(
            all.0["GET /f"].answer.as_deref(),
            Some("no answer: timeout (3 of 4)")
        );
        assert!(
            all.0["GET /g"]
                .hint
                .as_ref()
                .unwrap()
                .starts_with("never drawn")
        );

        let text = all.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "operation coverage: 1 of 8 operation(s) answered 2xx at least once"
        );
        assert_eq!(lines[1], "never really tested (no 2xx):");
        // Sent ones first, then the never sent, then the excluded, then the tested.
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle}: {text}"))
        };
        assert!(at("  GET /b:") < at("  DELETE /e:"));
        assert!(at("  GET /f:") < at("  GET /g:"));
        assert!(at("  GET /g:") < at("excluded, never sent: POST /reset (the target's reset)"));
        assert!(at("excluded, never sent") < at("tested (2xx seen): GET /a [200×3 404×2]"));

        let md = all.markdown();
        assert!(
            md.starts_with("### Operation coverage\n\n1 of 8 operation(s)"),
            "{md}"
        );
        assert!(
            md.contains("| `GET /b` | 7 | 401×7 | 401 (7 of 7) | missing identity"),
            "{md}"
        );
        assert!(
            md.contains("Excluded, never sent: `POST /reset` (the target's reset)."),
            "{md}"
        );
        assert!(
            !md.contains("`GET /a`"),
            "tested operations are not listed: {md}"
        );
    }

    #[test]
    fn counts_add_up_and_keep_the_first_message() {
        let mut one = Operations::default();
        let mut first = op(&[(400, 1)]);
        first.messages.insert(400, "first".into());
        one.0.insert("POST /c".into(), first);
        let mut second = op(&[(400, 2), (201, 1)]);
        second.messages.insert(400, "second".into());
        let other = Operations([("POST /c".to_string(), second)].into_iter().collect());
        one.add(&other);
        let c = &one.0["POST /c"];
        assert_eq!(c.requests, 4);
        assert_eq!(c.statuses, [(201, 1), (400, 3)].into_iter().collect());
        assert_eq!(c.messages[&400], "first");
        let judged = one.judged();
        assert!(judged.0["POST /c"].succeeded);
        let json = serde_json::to_value(&judged).unwrap();
        assert_eq!(json["POST /c"]["statuses"]["400"], 3);
        let back: Operations = serde_json::from_value(json).unwrap();
        assert_eq!(back, judged);
    }

    #[test]
    fn server_messages_are_read_from_json_or_text_and_cut() {
        let json = ResponseBody::Json(serde_json::json!({"error": "bad\n  input"}));
        assert_eq!(message_of(&json).as_deref(), Some("bad input"));
        let long = ResponseBody::Text("x".repeat(500));
        let cut = message_of(&long).unwrap();
        assert_eq!(cut.chars().count(), MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            message_of(&ResponseBody::Json(serde_json::json!([1]))),
            None
        );
        assert_eq!(message_of(&ResponseBody::Empty), None);
    }
}

//! The curl script: the finding's minimized sequence as bash, one `send` per request, with
//! references to earlier answers captured by jq at run time.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;
use trespass_generators::model::{
    ApiModel, Operation, ParameterLocation, ParameterStyle, SchemaKind,
};
use trespass_generators::sequence::{Arg, AuthMode, BodyArg, Ref, RefSource, Step};

use super::credentials::Credential;
use super::shell::{FORM_JQ, form_encode, jq_path, pointer_tokens, set_path, sq};
use crate::exec::params::{form_pairs, path_segment, query_pairs, simple};
use crate::exec::{is_growth_string, long_length, with_long_length};
use crate::finding::{Finding, StepPurpose, StepReport};
use crate::identity::IdentityFile;
use crate::redact::Redactor;

/// The bash script that replays `finding`'s sequence with curl against `$BASE_URL` (default:
/// the base URL the finding recorded), each step as its identity, and prints the status and
/// body of the step that shows the violation. `model` gives parameter styles and the
/// owner's re-reads, `identities` how each identity authenticates (credentials from
/// environment variables, see [`super::env_var`]); `finding_path` is named in the header.
pub fn curl_script(
    finding: &Finding,
    model: Option<&ApiModel>,
    identities: Option<&IdentityFile>,
    finding_path: &Path,
) -> String {
    let redactor = Redactor::new();
    if let Some(file) = identities {
        file.register_secrets(&redactor);
    }
    let mut script = Script {
        model,
        identities,
        credentials: Vec::new(),
        refs: HashMap::new(),
        names: HashMap::new(),
        sent: HashMap::new(),
        body: String::new(),
    };
    let emitted = script.emit_requests(finding);
    // Requests are numbered without the controls and growth probes the script does not send.
    let violating = if finding.step.0 < finding.steps.len() {
        finding.steps[..=finding.step.0]
            .iter()
            .filter(|s| !matches!(s.purpose, StepPurpose::PlainTwin | StepPurpose::Growth))
            .count()
            .max(1)
    } else {
        emitted.max(1)
    };
    let recorded = finding
        .violating_step()
        .and_then(|s| s.status)
        .map_or_else(|| "no answer".to_string(), |s| s.to_string());
    let mut out = script.header(finding, finding_path);
    out.push_str(&script.body);
    if emitted == 0 {
        out.push_str("echo 'the finding holds no step to send' >&2\nexit 3\n");
    } else {
        let _ = write!(
            out,
            "\n# The step that shows the violation.\n\
             status=\"$(cat \"$WORK/s{violating}.status\")\"\n\
             echo \"violation step {violating}: status $status (trespass recorded {recorded})\"\n\
             cat \"$WORK/s{violating}.body\"\n\
             echo\n"
        );
        if emitted != violating {
            // The evidence may come after (the owner's re-read of a refused write).
            let _ = write!(
                out,
                "echo \"last step {emitted}: status $(cat \"$WORK/s{emitted}.status\")\"\n\
                 cat \"$WORK/s{emitted}.body\"\n\
                 echo\n"
            );
        }
    }
    redactor.text(&out)
}

pub(super) struct Script<'a> {
    pub(super) model: Option<&'a ApiModel>,
    pub(super) identities: Option<&'a IdentityFile>,
    /// Identities met so far, with their credentials and whether they log in normally.
    pub(super) credentials: Vec<(String, Credential, bool)>,
    /// Captured references: (producer step, source) to shell variable.
    refs: HashMap<(usize, String), String>,
    /// The request name (`s3`) of each sequence step emitted so far, by its index in the
    /// sequence.
    names: HashMap<usize, String>,
    /// The JSON body each sequence step emitted so far sends, with its references unfilled, by
    /// its index in the sequence.
    sent: HashMap<usize, Option<Value>>,
    /// The requests.
    pub(super) body: String,
}

impl Script<'_> {
    /// Emits every request (the sequence's steps and the owner's re-reads between them, as the
    /// recorded trace has them); returns how many.
    fn emit_requests(&mut self, finding: &Finding) -> usize {
        let steps = &finding.sequence.steps;
        let mut n = 0;
        let mut next_sequence = 0;
        let mut probes = 0;
        for report in &finding.steps {
            n += 1;
            match report.purpose {
                // The step of the sequence it sent (files written before that was recorded:
                // the next one; the run skipped none of them, or a later step fails here).
                StepPurpose::Sequence
                    if report.sequence_step.unwrap_or(next_sequence) < steps.len() =>
                {
                    let index = report.sequence_step.unwrap_or(next_sequence);
                    // After growth probes, the step went with its long string as long as the
                    // slow probe, not longer.
                    let step = &steps[index];
                    match growth_length(report)
                        .filter(|&l| long_length(step).is_some_and(|o| l < o))
                    {
                        Some(len) => self.emit_step(n, index, &with_long_length(step, len)),
                        None => self.emit_step(n, index, step),
                    }
                    next_sequence = index + 1;
                }
                StepPurpose::VerifyBefore => {
                    self.emit_reread(n, report, steps.get(next_sequence));
                }
                StepPurpose::VerifyAfter => {
                    let write = next_sequence.saturating_sub(1);
                    self.emit_reread(n, report, steps.get(write));
                }
                StepPurpose::LoginBefore => self.emit_login_check(n, report, None),
                StepPurpose::LoginAfter | StepPurpose::LoginChanged => {
                    let write = next_sequence.saturating_sub(1);
                    self.emit_login_check(n, report, Some(write));
                }
                StepPurpose::PlainTwin => {
                    let _ = writeln!(
                        self.body,
                        "\n# (trespass then sent the request above again with plain values in \
                         place of its attack payloads, as a control; not repeated here)"
                    );
                    n -= 1;
                }
                StepPurpose::Growth => {
                    // The probe is sent too: the answer times are the finding, and a probe of a
                    // create makes the object the step then finds taken.
                    probes += 1;
                    let before = report.sequence_step.unwrap_or(next_sequence);
                    match (steps.get(before), growth_length(report)) {
                        (Some(step), Some(len)) => {
                            let name = format!("g{probes}");
                            let label = format!(
                                "{} {} with a long string of {len} characters (growth probe)",
                                step.identity, step.op
                            );
                            let _ = writeln!(
                                self.body,
                                "\n# Growth probe {probes}: trespass times how the answer grows \
                                 with the length of the string"
                            );
                            self.emit_request(&name, &label, &with_long_length(step, len));
                        }
                        _ => {
                            let _ = writeln!(
                                self.body,
                                "\n# (trespass sent the next request with a shorter long string \
                                 first, to time how the answer grows; not repeated here)"
                            );
                        }
                    }
                    n -= 1;
                }
                StepPurpose::Sequence => n -= 1,
            }
        }
        // A finding without a trace, or of a version that did not record which sequence step a
        // report sent: the steps after the last one reported. Otherwise the run went to the end
        // of the sequence, and a step without a report was one it skipped (a value it needed was
        // missing): the script skips it too.
        let recorded = finding.steps.iter().any(|r| r.sequence_step.is_some());
        let rest = if recorded { steps.len() } else { next_sequence };
        for (index, step) in steps.iter().enumerate().skip(rest) {
            n += 1;
            self.emit_step(n, index, step);
        }
        n
    }

    /// A shell variable holding (as JSON text) the value `r` points at, captured on first use.
    fn capture(&mut self, r: &Ref) -> Result<String, String> {
        let key = (r.step, format!("{:?}", r.source));
        if let Some(var) = self.refs.get(&key) {
            return Ok(var.clone());
        }
        let producer = self
            .names
            .get(&r.step)
            .cloned()
            .ok_or_else(|| format!("{r}: that step is not sent before"))?;
        let var = format!("REF{}", self.refs.len() + 1);
        let expr = match &r.source {
            RefSource::Body { pointer } => {
                format!(
                    "body_ref {producer} {}",
                    sq(&pointer_tokens(pointer).to_string())
                )
            }
            RefSource::Header { name } => format!("header_ref {producer} {}", sq(name)),
            RefSource::Location => format!("location_ref {producer}"),
            RefSource::Request { pointer } => {
                // The producer's own request: known here unless a reference filled that leaf.
                let value = self
                    .sent
                    .get(&r.step)
                    .and_then(|b| b.as_ref()?.pointer(pointer).filter(|v| !v.is_null()))
                    .ok_or_else(|| format!("{r}: that step sends no value at {pointer}"))?;
                format!("jq -cn {}", sq(&value.to_string()))
            }
        };
        let _ = writeln!(self.body, "{var}=\"$({expr})\"  # {r}");
        self.refs.insert(key, var.clone());
        Ok(var)
    }

    fn emit_step(&mut self, n: usize, index: usize, step: &Step) {
        let name = format!("s{n}");
        let auth_note = match step.auth {
            AuthMode::Normal => "",
            AuthMode::None => " (no credentials)",
            AuthMode::Invalid => " (invalid credentials)",
        };
        let label = format!("{} {}{auth_note}", step.identity, step.op);
        let _ = writeln!(self.body, "\n# {n}. {label}");
        self.emit_request(&name, &label, step);
        self.names.insert(index, name);
        self.sent
            .insert(index, step.args.body.as_ref().map(|b| b.value.clone()));
    }

    /// The `send` line of `step`, as request `name`.
    fn emit_request(&mut self, name: &str, label: &str, step: &Step) {
        let n = name.trim_start_matches(['s', 'g']);
        let op = self.model.and_then(|m| m.operation(&step.op));
        match self.step_words(step, op) {
            Ok((path, args)) => {
                let (auth, query) = self.auth_args(step.identity.as_str(), step.auth);
                let _ = writeln!(
                    self.body,
                    "send {name} {} {} {path} {query}{}",
                    sq(label),
                    step.op.method(),
                    auth.iter()
                        .chain(&args)
                        .map(|a| format!(" {a}"))
                        .collect::<String>()
                );
            }
            Err(e) => {
                let _ = writeln!(
                    self.body,
                    "echo {} >&2\nexit 3",
                    sq(&format!("step {n} cannot be sent: {e}"))
                );
            }
        }
    }

    /// The owner's re-read of the object another identity writes, as the executor adds it.
    fn emit_reread(&mut self, n: usize, report: &StepReport, write: Option<&Step>) {
        let name = format!("s{n}");
        let read_op = self
            .model
            .zip(write)
            .and_then(|(model, write)| reread_op(model, report, write));
        let (label, path) = match (read_op, write) {
            (Some(op), Some(write)) => {
                let label = format!("{} {} (the owner re-reads)", report.identity, op.id);
                match self.path_word(op.path.as_str(), Some(op), &write.args.path) {
                    Ok(path) => (label, path),
                    Err(e) => {
                        let _ = writeln!(
                            self.body,
                            "\n# {n}. {label}\necho {} >&2\nexit 3",
                            sq(&format!("step {n} cannot be sent: {e}"))
                        );
                        return;
                    }
                }
            }
            // Without the spec, the path the recorded run read (its ids may differ now).
            _ => (
                format!(
                    "{} {} {} (the owner re-reads)",
                    report.identity, report.method, report.path
                ),
                sq(&report.path),
            ),
        };
        let _ = writeln!(self.body, "\n# {n}. {label}");
        let (auth, query) = self.auth_args(&report.identity, AuthMode::Normal);
        let _ = writeln!(
            self.body,
            "send {name} {} {} {path} {query}{}",
            sq(&label),
            report.method,
            auth.iter().map(|a| format!(" {a}")).collect::<String>()
        );
    }

    /// The account holder's login around another identity's change of its credentials: its
    /// configured login body (secrets from the environment), or for
    /// [`StepPurpose::LoginChanged`] the same with the new value the write (sequence step
    /// `write`) sent.
    fn emit_login_check(&mut self, n: usize, report: &StepReport, write: Option<usize>) {
        let name = format!("s{n}");
        let identity = report.identity.as_str();
        let credential = self
            .identities
            .is_some()
            .then(|| self.credential(identity, AuthMode::Normal));
        let Some(Credential::Login { flow, leaves, .. }) = credential else {
            let _ = writeln!(
                self.body,
                "\n# {n}. {identity} logs in\necho {} >&2\nexit 3",
                sq(&format!(
                    "step {n} cannot be sent: {identity}'s login flow is in the identities file"
                ))
            );
            return;
        };
        let configured = flow.body.expose();
        let changed = (report.purpose == StepPurpose::LoginChanged)
            .then(|| {
                let sent = self.sent.get(&write?)?.as_ref()?;
                crate::exec::changed_login(configured, sent)
            })
            .flatten();
        let mut template = changed.clone().unwrap_or_else(|| configured.clone());
        let mut fills = Vec::new();
        let mut args = String::new();
        for (path, var) in &leaves {
            let Value::Array(keys) = path else { continue };
            let unchanged = changed.as_ref().is_none_or(|c| {
                let at = |v: &Value| {
                    keys.iter().try_fold(v.clone(), |v, k| match k {
                        Value::String(k) => v.get(k).cloned(),
                        _ => None,
                    })
                };
                at(c) == at(configured)
            });
            if unchanged {
                set_path(&mut template, keys, Value::String(String::new()));
                fills.push(format!("setpath({path}; ${var})"));
                let _ = write!(args, " --arg {var} \"${var}\"");
            }
        }
        let label = match report.purpose {
            StepPurpose::LoginChanged => format!("{identity} logs in with the new credential"),
            StepPurpose::LoginBefore => format!("{identity} logs in (before the change)"),
            _ => format!("{identity} logs in with its own credentials"),
        };
        let _ = writeln!(self.body, "\n# {n}. {label} through {}", flow.operation());
        let body = if fills.is_empty() {
            sq(&template.to_string())
        } else {
            format!(
                "\"$(jq -c{args} {} <<<{})\"",
                sq(&fills.join(" | ")),
                sq(&template.to_string())
            )
        };
        let _ = writeln!(
            self.body,
            "send {name} {} {} {} '' -H 'content-type: application/json' --data-binary {body}",
            sq(&label),
            flow.method,
            sq(&flow.path),
        );
    }

    /// The shell word of the path (with query) and the curl arguments of `step`'s headers,
    /// cookies and body.
    fn step_words(
        &mut self,
        step: &Step,
        op: Option<&Operation>,
    ) -> Result<(String, Vec<String>), String> {
        let mut path = self.path_word(step.op.path(), op, &step.args.path)?;
        let param = |location, name: &str| op.and_then(|o| o.parameter(location, name));

        let mut query: Vec<String> = Vec::new();
        for (name, arg) in &step.args.query {
            let p = param(ParameterLocation::Query, name);
            match arg {
                Arg::Value(v) => {
                    for (k, v) in query_pairs(name, v, p) {
                        query.push(sq(&format!("{}={}", form_encode(&k), form_encode(&v))));
                    }
                }
                Arg::Ref(r) => {
                    let var = self.capture(r)?;
                    let cut = self
                        .model
                        .zip(p)
                        .and_then(|(m, p)| m.schemas.try_get(p.schema))
                        .and_then(|s| match &s.kind {
                            SchemaKind::String(b) => b.max_length,
                            _ => None,
                        })
                        .map(|max| format!(" {max}"))
                        .unwrap_or_default();
                    query.push(format!(
                        "{}\"$(uri \"$(text \"${var}\"{cut})\")\"",
                        sq(&format!("{}=", form_encode(name)))
                    ));
                }
            }
        }
        if !query.is_empty() {
            path.push_str(&sq("?"));
            path.push_str(&query.join(&sq("&")));
        }

        let mut args = Vec::new();
        for (name, arg) in &step.args.header {
            let explode = param(ParameterLocation::Header, name).is_some_and(|p| p.explode);
            args.push("-H".to_string());
            args.push(match arg {
                Arg::Value(v) => sq(&format!("{name}: {}", simple(v, explode))),
                Arg::Ref(r) => {
                    let var = self.capture(r)?;
                    format!("{}\"$(text \"${var}\")\"", sq(&format!("{name}: ")))
                }
            });
        }
        let mut cookies = Vec::new();
        for (name, arg) in &step.args.cookie {
            cookies.push(match arg {
                Arg::Value(v) => sq(&format!("{name}={}", simple(v, false))),
                Arg::Ref(r) => {
                    let var = self.capture(r)?;
                    format!("{}\"$(text \"${var}\")\"", sq(&format!("{name}=")))
                }
            });
        }
        if !cookies.is_empty() {
            args.push("-H".to_string());
            args.push(format!("{}{}", sq("cookie: "), cookies.join(&sq("; "))));
        }
        if let Some(body) = &step.args.body {
            args.extend(self.body_args(body)?);
        }
        Ok((path, args))
    }

    /// The shell word of `template` filled with `values` (literal segments encoded now,
    /// references at run time).
    fn path_word(
        &mut self,
        template: &str,
        op: Option<&Operation>,
        values: &indexmap::IndexMap<String, Arg>,
    ) -> Result<String, String> {
        let mut out = String::new();
        let mut literal = String::new();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            literal.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed `{{` in path template {template}"))?;
            let name = &after[..end];
            let p = op.and_then(|o| o.parameter(ParameterLocation::Path, name));
            match values.get(name) {
                None => return Err(format!("no value for path parameter `{name}`")),
                Some(Arg::Value(v)) => literal.push_str(&path_segment(v, p)),
                Some(Arg::Ref(r)) => {
                    let var = self.capture(r)?;
                    match p.map(|p| p.style) {
                        Some(ParameterStyle::Label) => literal.push('.'),
                        Some(ParameterStyle::Matrix) => {
                            let _ = write!(literal, ";{name}=");
                        }
                        _ => {}
                    }
                    out.push_str(&sq(&std::mem::take(&mut literal)));
                    let _ = write!(out, "\"$(uri \"$(text \"${var}\")\")\"");
                }
            }
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() || out.is_empty() {
            out.push_str(&sq(&literal));
        }
        Ok(out)
    }

    /// The curl arguments that send `body`, filling references with jq first.
    fn body_args(&mut self, body: &BodyArg) -> Result<Vec<String>, String> {
        let media = body.media_type.to_ascii_lowercase();
        if body.refs.is_empty() {
            return Ok(if media.contains("json") {
                vec![
                    "-H".into(),
                    sq("content-type: application/json"),
                    "--data-binary".into(),
                    sq(&body.value.to_string()),
                ]
            } else if media == "application/x-www-form-urlencoded" {
                vec![
                    "-H".into(),
                    sq("content-type: application/x-www-form-urlencoded"),
                    "--data-binary".into(),
                    sq(&form_pairs(&body.value)
                        .iter()
                        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
                        .collect::<Vec<_>>()
                        .join("&")),
                ]
            } else {
                vec![
                    "-H".into(),
                    sq(&format!("content-type: {}", body.media_type)),
                    "--data-binary".into(),
                    sq(&match &body.value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                ]
            });
        }
        let mut fills = Vec::new();
        let mut args = String::new();
        let mut template = body.value.clone();
        for r in &body.refs {
            let var = self.capture(&r.from)?;
            let path = jq_path(&template, &r.at)?;
            // Later pointers descend through what earlier ones set, as the executor's do.
            set_path(
                &mut template,
                path.as_array().map_or(&[][..], |p| p),
                Value::Null,
            );
            fills.push(format!("setpath({path}; ${var})"));
            let _ = write!(args, " --argjson {var} \"${var}\"");
        }
        let _ = writeln!(
            self.body,
            "BODY=\"$(jq -c{args} {} <<<{})\"",
            sq(&fills.join(" | ")),
            sq(&body.value.to_string())
        );
        let (content_type, data) = if media.contains("json") {
            ("application/json".to_string(), "\"$BODY\"".to_string())
        } else if media == "application/x-www-form-urlencoded" {
            (
                media.clone(),
                format!("\"$(jq -r {} <<<\"$BODY\")\"", sq(FORM_JQ)),
            )
        } else {
            (
                body.media_type.clone(),
                "\"$(jq -r 'if type == \"string\" then . else tojson end' <<<\"$BODY\")\""
                    .to_string(),
            )
        };
        Ok(vec![
            "-H".into(),
            sq(&format!("content-type: {content_type}")),
            "--data-binary".into(),
            data,
        ])
    }
}

/// The read operation the executor re-reads the object of `write` with: a `GET` whose
/// template matches the recorded path and whose path parameters `write` has.
fn reread_op<'m>(model: &'m ApiModel, report: &StepReport, write: &Step) -> Option<&'m Operation> {
    let recorded: Vec<&str> = report
        .path
        .split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .collect();
    model.operations.iter().find(|op| {
        op.method.as_str().eq_ignore_ascii_case(&report.method)
            && trespass_generators::model::path_template_params(&op.path)
                .iter()
                .all(|p| write.args.path.contains_key(*p))
            && {
                let template: Vec<&str> = op.path.split('/').collect();
                template.len() == recorded.len()
                    && template
                        .iter()
                        .zip(&recorded)
                        .all(|(t, r)| t.contains('{') || t == r)
            }
    })
}

/// The length of the long string (`aaa…a!`, the ReDoS family) a recorded request sent, in its
/// body or its path and query (`!` possibly percent-encoded).
fn growth_length(report: &StepReport) -> Option<usize> {
    let mut longest: Option<usize> = None;
    let mut note = |len: usize| {
        if len >= crate::exec::GROWTH_START {
            longest = Some(longest.map_or(len, |l| l.max(len)));
        }
    };
    let mut stack: Vec<&Value> = report.request_body.iter().collect();
    while let Some(value) = stack.pop() {
        match value {
            Value::String(text) if is_growth_string(text) => note(text.len()),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    let path = report.path.replace("%21", "!");
    let bytes = path.as_bytes();
    let mut run = 0;
    for &b in bytes {
        match b {
            b'a' => run += 1,
            b'!' if run > 0 => {
                note(run + 1);
                run = 0;
            }
            _ => run = 0,
        }
    }
    longest
}

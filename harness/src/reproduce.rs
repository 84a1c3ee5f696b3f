//! Reproducers kept next to every finding file: a curl script that replays the minimized
//! sequence against a live target, and a Rust regression test a user pastes into their suite.
//!
//! Both are written by the campaign, once the finding is saved, as `<stem>.sh` (executable)
//! and `<stem>.rs` beside `<stem>.json` ([`write_beside`]). Neither ever holds a credential: the script reads them
//! from environment variables named after the identity ([`env_var`]), and every literal it
//! holds went through the [`Redactor`].
//!
//! The script needs bash, curl and jq. Values taken from earlier responses (ids in a body, the
//! `Location` header) are captured with jq at run time, as the executor does; parameter styles
//! follow the spec when the model is known.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trespass_generators::model::{
    ApiModel, Operation, ParameterLocation, ParameterStyle, SchemaKind,
};
use trespass_generators::sequence::{Arg, AuthMode, BodyArg, Ref, RefSource, Step};

use crate::artifact::{write_atomically, write_executable};
use crate::exec::params::{form_pairs, path_segment, query_pairs, simple};
use crate::finding::{Finding, Origin};
use crate::identity::{ApiKeyLocation, Auth, IdentityFile, LoginFlow};
use crate::redact::Redactor;

/// The made-up credential sent for [`AuthMode::Invalid`]: the one the sessions send.
const INVALID_CREDENTIAL: &str = crate::identity::INVALID_TOKEN;

/// The environment variable that holds `what` (`PASSWORD`, `TOKEN`, `API_KEY`, `AUTH`) of
/// `identity`: `TRESPASS_PASSWORD_ALICE`. Non-alphanumeric characters become `_`.
pub fn env_var(what: &str, identity: &str) -> String {
    format!("TRESPASS_{what}_{}", upper_ident(identity))
}

/// `identity` uppercased, with `_` for every character that is not ASCII alphanumeric.
fn upper_ident(identity: &str) -> String {
    identity
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The files [`write_beside`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reproducers {
    /// The curl script (`<stem>.sh`, mode 0755).
    pub script: PathBuf,
    /// The Rust regression test (`<stem>.rs`).
    pub test: PathBuf,
}

/// Writes the curl script and the Rust test of `finding`, saved at `json_path`, next to it
/// (atomically). `model` gives the script parameter styles and `identities` how each identity
/// authenticates (the campaign passes its own); without them the script still runs, with
/// default parameter styles and one `TRESPASS_AUTH_<IDENTITY>` header per identity.
pub fn write_beside(
    json_path: &Path,
    finding: &Finding,
    model: Option<&ApiModel>,
    identities: Option<&IdentityFile>,
) -> std::io::Result<Reproducers> {
    let script = curl_script(finding, model, identities, json_path);
    let script_path = json_path.with_extension("sh");
    write_executable(&script_path, script.as_bytes())?;
    let test_path = json_path.with_extension("rs");
    write_atomically(&test_path, rust_test(finding, json_path).as_bytes())?;
    Ok(Reproducers {
        script: script_path,
        test: test_path,
    })
}

/// The bash script that replays `finding`'s sequence with curl against `$BASE_URL` (default:
/// the base URL the finding recorded), each step as its identity, and prints the status and
/// body of the step that shows the violation. `model` gives parameter styles and the
/// owner's re-reads, `identities` how each identity authenticates (credentials from
/// environment variables, see [`env_var`]); `finding_path` is named in the header.
pub fn curl_script(
    finding: &Finding,
    model: Option<&ApiModel>,
    identities: Option<&IdentityFile>,
    finding_path: &Path,
) -> String {
    let redactor = Redactor::new();
    if let Some(file) = identities {
        redactor.register_identities(file);
    }
    let mut script = Script {
        model,
        identities,
        credentials: Vec::new(),
        refs: HashMap::new(),
        names: Vec::new(),
        body: String::new(),
    };
    let emitted = script.emit_requests(finding);
    let violating = if finding.step < finding.steps.len() {
        finding.step + 1
    } else {
        emitted.max(1)
    };
    let recorded = finding
        .steps
        .get(finding.step)
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

/// How one identity's credentials reach curl.
#[derive(Debug, Clone)]
enum Credential {
    /// Nothing to send.
    None,
    /// `Authorization: Bearer $VAR`.
    Bearer(String),
    /// `curl -u user:$VAR`.
    Basic { username: String, var: String },
    /// An API key in a header, query parameter or cookie.
    ApiKey {
        location: ApiKeyLocation,
        name: String,
        var: String,
    },
    /// A login request at the start; the token lands in `TOKEN_<IDENTITY>`.
    Login {
        flow: LoginFlow,
        /// (jq path of a secret leaf of the body, variable that fills it).
        leaves: Vec<(Value, String)>,
        token_var: String,
    },
    /// No identities file: the whole header line comes from `TRESPASS_AUTH_<IDENTITY>`.
    Unknown(String),
}

struct Script<'a> {
    model: Option<&'a ApiModel>,
    identities: Option<&'a IdentityFile>,
    /// Identities met so far, with their credentials and whether they log in normally.
    credentials: Vec<(String, Credential, bool)>,
    /// Captured references: (producer step, source) to shell variable.
    refs: HashMap<(usize, String), String>,
    /// The request name (`s3`) of each sequence step emitted so far.
    names: Vec<String>,
    /// The requests.
    body: String,
}

impl Script<'_> {
    /// Emits every request (the sequence's steps and the owner's re-reads between them, as the
    /// recorded trace has them); returns how many.
    fn emit_requests(&mut self, finding: &Finding) -> usize {
        let steps = &finding.sequence.steps;
        let mut n = 0;
        let mut next_sequence = 0;
        for report in &finding.steps {
            n += 1;
            match report.purpose.as_str() {
                "sequence" if next_sequence < steps.len() => {
                    self.emit_step(n, &steps[next_sequence]);
                    next_sequence += 1;
                }
                "verify_before" | "verify_after" => {
                    let write = if report.purpose == "verify_before" {
                        next_sequence
                    } else {
                        next_sequence.saturating_sub(1)
                    };
                    self.emit_reread(n, report, steps.get(write));
                }
                _ => n -= 1,
            }
        }
        // Steps the recorded run did not reach (or a finding without a trace).
        for step in &steps[next_sequence..] {
            n += 1;
            self.emit_step(n, step);
        }
        n
    }

    fn credential(&mut self, identity: &str, mode: AuthMode) -> Credential {
        let normal = mode == AuthMode::Normal;
        if let Some(entry) = self.credentials.iter_mut().find(|(n, _, _)| n == identity) {
            entry.2 |= normal;
            return entry.1.clone();
        }
        let credential = match self.identities {
            None => Credential::Unknown(env_var("AUTH", identity)),
            Some(file) => match file.identity(identity) {
                None => Credential::Unknown(env_var("AUTH", identity)),
                Some(found) => match &found.auth {
                    Auth::Bearer(_) => Credential::Bearer(env_var("TOKEN", identity)),
                    Auth::Basic { username, .. } => Credential::Basic {
                        username: username.clone(),
                        var: env_var("PASSWORD", identity),
                    },
                    Auth::ApiKey { location, name, .. } => Credential::ApiKey {
                        location: *location,
                        name: name.clone(),
                        var: env_var("API_KEY", identity),
                    },
                    Auth::Login(flow) => login_credential(file, flow, identity),
                    Auth::None => Credential::None,
                },
            },
        };
        self.credentials
            .push((identity.to_string(), credential.clone(), normal));
        credential
    }

    /// The curl arguments and the query pair that authenticate `identity` in `mode`.
    fn auth_args(&mut self, identity: &str, mode: AuthMode) -> (Vec<String>, String) {
        let credential = self.credential(identity, mode);
        if mode == AuthMode::None {
            return (Vec::new(), sq(""));
        }
        let invalid = mode == AuthMode::Invalid;
        let secret = |var: &str| {
            if invalid {
                sq(INVALID_CREDENTIAL)
            } else {
                format!("\"${var}\"")
            }
        };
        let mut args = Vec::new();
        let mut query = sq("");
        match &credential {
            Credential::None => {}
            Credential::Bearer(var) => {
                args.push("-H".into());
                args.push(format!("{}{}", sq("Authorization: Bearer "), secret(var)));
            }
            Credential::Basic { username, var } => {
                args.push("-u".into());
                args.push(format!("{}{}", sq(&format!("{username}:")), secret(var)));
            }
            Credential::ApiKey {
                location,
                name,
                var,
            } => match location {
                ApiKeyLocation::Header => {
                    args.push("-H".into());
                    args.push(format!("{}{}", sq(&format!("{name}: ")), secret(var)));
                }
                ApiKeyLocation::Cookie => {
                    args.push("-H".into());
                    args.push(format!(
                        "{}{}",
                        sq(&format!("cookie: {name}=")),
                        secret(var)
                    ));
                }
                ApiKeyLocation::Query => {
                    query = format!(
                        "{}\"$(uri {})\"",
                        sq(&format!("{}=", form_encode(name))),
                        secret(var)
                    );
                }
            },
            Credential::Login {
                flow, token_var, ..
            } => {
                args.push("-H".into());
                args.push(format!(
                    "{}{}",
                    sq(&format!("{}: {}", flow.header, flow.prefix)),
                    secret(token_var)
                ));
            }
            Credential::Unknown(var) => {
                args.push("-H".into());
                if invalid {
                    args.push(sq(&format!("Authorization: Bearer {INVALID_CREDENTIAL}")));
                } else {
                    args.push(format!("\"${var}\""));
                }
            }
        }
        (args, query)
    }

    /// A shell variable holding (as JSON text) the value `r` points at, captured on first use.
    fn capture(&mut self, r: &Ref) -> Result<String, String> {
        let key = (r.step, format!("{:?}", r.source));
        if let Some(var) = self.refs.get(&key) {
            return Ok(var.clone());
        }
        let producer = self
            .names
            .get(r.step)
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
        };
        let _ = writeln!(self.body, "{var}=\"$({expr})\"  # {r}");
        self.refs.insert(key, var.clone());
        Ok(var)
    }

    fn emit_step(&mut self, n: usize, step: &Step) {
        let name = format!("s{n}");
        let op = self.model.and_then(|m| m.operation(&step.op));
        let auth_note = match step.auth {
            AuthMode::Normal => "",
            AuthMode::None => " (no credentials)",
            AuthMode::Invalid => " (invalid credentials)",
        };
        let label = format!("{} {}{auth_note}", step.identity, step.op);
        let _ = writeln!(self.body, "\n# {n}. {label}");
        match self.step_words(step, op) {
            Ok((path, args)) => {
                let (auth, query) = self.auth_args(step.identity.as_str(), step.auth);
                let _ = writeln!(
                    self.body,
                    "send {name} {} {} {path} {query}{}",
                    sq(&label),
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
        self.names.push(name);
    }

    /// The owner's re-read of the object another identity writes, as the executor adds it.
    fn emit_reread(&mut self, n: usize, report: &crate::finding::StepReport, write: Option<&Step>) {
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

    /// The comment header, the helpers, the environment checks, the reset and the logins.
    fn header(&self, finding: &Finding, finding_path: &Path) -> String {
        let mut out = String::from("#!/usr/bin/env bash\n");
        let comment = |text: &str| -> String {
            text.lines()
                .map(|l| format!("# {l}").trim_end().to_string() + "\n")
                .collect()
        };
        out.push_str(&comment(&format!(
            "trespass reproducer: {}\n\
             rule: {}\n\
             signature: {} (seed {}, case {})\n\
             replay with trespass: trespass replay {}\n\
             \n\
             Sends the finding's minimized sequence with curl, each step as its identity; prints\n\
             every answer's status on stderr, and the status and body of the step that shows the\n\
             violation on stdout. Needs bash, curl and jq.\n\
             \n\
             Environment (credentials are never written in this file):",
            finding.headline(),
            finding.rule,
            finding.signature,
            finding.seed,
            finding.case,
            shell_path(finding_path),
        )));
        let base = finding.origin.as_ref().and_then(|o| o.base_url.as_deref());
        let mut env_lines = vec![(
            "BASE_URL".to_string(),
            match base {
                Some(b) => format!("the target (default {b})"),
                None => "the target's base URL (required)".to_string(),
            },
        )];
        let mut checks = Vec::new();
        for (identity, credential, normal) in &self.credentials {
            if !normal {
                continue;
            }
            let mut need = |var: &str, what: String| {
                env_lines.push((var.to_string(), what.clone()));
                checks.push(require(var, &what));
            };
            match credential {
                Credential::None => {}
                Credential::Bearer(var) => need(var, format!("{identity}'s bearer token")),
                Credential::Basic { var, .. } => need(var, format!("{identity}'s password")),
                Credential::ApiKey { var, .. } => need(var, format!("{identity}'s API key")),
                Credential::Login { flow, leaves, .. } => {
                    for (path, var) in leaves {
                        need(
                            var,
                            format!(
                                "the {} of {identity}'s login ({})",
                                path.as_array()
                                    .and_then(|p| p.last())
                                    .and_then(|k| k.as_str())
                                    .unwrap_or("secret"),
                                flow.operation()
                            ),
                        );
                    }
                }
                Credential::Unknown(var) => need(
                    var,
                    format!(
                        "the header line that authenticates {identity} (Authorization: Bearer ...)"
                    ),
                ),
            }
        }
        let reset = self.identities.and_then(|f| f.target.reset.as_ref());
        match reset {
            Some(crate::identity::Reset::Request { method, path }) => env_lines.push((
                "TRESPASS_RESET=0".into(),
                format!("skip the target reset ({method} {path}) sent first"),
            )),
            Some(crate::identity::Reset::Command(_)) => env_lines.push((
                "(reset)".into(),
                "run the target's reset command of the identities file first".into(),
            )),
            None => {}
        }
        let width = env_lines.iter().map(|(v, _)| v.len()).max().unwrap_or(0);
        for (var, what) in &env_lines {
            let _ = writeln!(out, "#   {var:width$}  {what}");
        }
        out.push_str("set -euo pipefail\n\n");
        match base {
            Some(b) => {
                let _ = writeln!(
                    out,
                    "BASE_URL=\"${{BASE_URL:-{}}}\"",
                    b.replace(['"', '$', '`', '\\'], "")
                );
            }
            None => out.push_str(&require("BASE_URL", "the target's base URL")),
        }
        for check in &checks {
            out.push_str(check);
        }
        out.push_str(HELPERS);
        if let Some(crate::identity::Reset::Request { method, path }) = reset {
            let _ = writeln!(
                out,
                "\nif [ \"${{TRESPASS_RESET:-1}}\" != 0 ]; then\n    \
                 send reset 'reset the target' {method} {} ''\n\
                 fi",
                sq(path)
            );
        }
        for (identity, credential, normal) in &self.credentials {
            if let (
                Credential::Login {
                    flow,
                    leaves,
                    token_var,
                },
                true,
            ) = (credential, normal)
            {
                let name = format!("login_{}", upper_ident(identity).to_ascii_lowercase());
                let mut template = flow.body.expose().clone();
                for (path, _) in leaves {
                    if let Value::Array(path) = path {
                        set_path(&mut template, path, Value::String(String::new()));
                    }
                }
                let fills: Vec<String> = leaves
                    .iter()
                    .map(|(path, var)| format!("setpath({path}; ${var})"))
                    .collect();
                let args: String = leaves
                    .iter()
                    .map(|(_, var)| format!(" --arg {var} \"${var}\""))
                    .collect();
                let _ = writeln!(out, "\n# {identity} logs in through {}.", flow.operation());
                if fills.is_empty() {
                    let _ = writeln!(out, "BODY={}", sq(&template.to_string()));
                } else {
                    let _ = writeln!(
                        out,
                        "BODY=\"$(jq -c{args} {} <<<{})\"",
                        sq(&fills.join(" | ")),
                        sq(&template.to_string())
                    );
                }
                let _ = writeln!(
                    out,
                    "send {name} {} {} {} '' -H 'content-type: application/json' --data-binary \"$BODY\"\n\
                     {token_var}=\"$(body_ref {name} {} | jq -r .)\"",
                    sq(&format!("{identity} logs in")),
                    flow.method,
                    sq(&flow.path),
                    sq(&pointer_tokens(&flow.token).to_string()),
                );
            }
        }
        out
    }
}

/// The credential of `identity`, who logs in through `flow`: one environment variable per
/// secret leaf of the login body (`TRESPASS_PASSWORD_ALICE`, numbered when several share a
/// name).
fn login_credential(file: &IdentityFile, flow: &LoginFlow, identity: &str) -> Credential {
    let mut leaves = Vec::new();
    secret_leaves(
        flow.body.expose(),
        &file.secrets(),
        false,
        &mut Vec::new(),
        &mut leaves,
    );
    let mut used: Vec<String> = Vec::new();
    let leaves = leaves
        .into_iter()
        .map(|(path, key)| {
            let what = match crate::redact::SecretKind::of_key(&key) {
                Some(crate::redact::SecretKind::Password) | None => "PASSWORD".to_string(),
                Some(_) => key.to_ascii_uppercase(),
            };
            let mut var = env_var(&what, identity);
            let base = var.clone();
            let mut k = 2;
            while used.contains(&var) {
                var = format!("{base}_{k}");
                k += 1;
            }
            used.push(var.clone());
            (Value::Array(path), var)
        })
        .collect();
    Credential::Login {
        flow: flow.clone(),
        leaves,
        token_var: format!("TOKEN_{}", upper_ident(identity)),
    }
}

/// Bash helpers every script starts with.
const HELPERS: &str = r#"
command -v curl >/dev/null || { echo "this script needs curl" >&2; exit 2; }
command -v jq >/dev/null || { echo "this script needs jq" >&2; exit 2; }
BASE_URL="${BASE_URL%/}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# send NAME LABEL METHOD PATH AUTH_QUERY [CURL_ARGS...]: one request; keeps its status,
# headers and body in $WORK/NAME.*, and prints its status on stderr.
send() {
    local name="$1" label="$2" method="$3" path="$4" auth_query="$5" url status
    shift 5
    url="$BASE_URL$path"
    if [ -n "$auth_query" ]; then
        case "$path" in *\?*) url="$url&$auth_query" ;; *) url="$url?$auth_query" ;; esac
    fi
    if [ "$method" = HEAD ]; then set -- --head "$@"; else set -- -X "$method" "$@"; fi
    : >"$WORK/$name.body"
    status="$(curl -sS -g -o "$WORK/$name.body" -D "$WORK/$name.headers" -w '%{http_code}' "$@" "$url")"
    printf '%s\n' "$status" >"$WORK/$name.status"
    printf '[%s] %s: %s %s -> %s\n' "$name" "$label" "$method" "$path" "$status" >&2
}

# ok NAME WHAT: stops unless request NAME answered 2xx (values are only taken from successes).
ok() {
    local status
    status="$(cat "$WORK/$1.status")"
    case "$status" in
        2??) ;;
        *) echo "$1 answered $status: cannot take $2 from it" >&2; exit 3 ;;
    esac
}

# body_ref NAME JSON_POINTER_TOKENS: the JSON value at a pointer into NAME's JSON body.
body_ref() {
    ok "$1" "$2"
    jq -ce --argjson p "$2" \
        'reduce $p[] as $k (.; if type == "array" then .[$k | tonumber] else .[$k] end) | select(. != null)' \
        "$WORK/$1.body" || { echo "$1: nothing at $2 in the answer" >&2; exit 3; }
}

# header_ref NAME HEADER: a response header's value, as a JSON string.
header_ref() {
    ok "$1" "header $2"
    local value
    value="$(tr -d '\r' <"$WORK/$1.headers" | awk -v h="$2" \
        'index($0, ":") { k = substr($0, 1, index($0, ":") - 1); if (tolower(k) == tolower(h)) { v = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", v); print v; exit } }')"
    [ -n "$value" ] || { echo "$1: no $2 header in the answer" >&2; exit 3; }
    jq -cn --arg v "$value" '$v'
}

# location_ref NAME: the last path segment of NAME's Location header, as a JSON string.
location_ref() {
    local loc
    loc="$(header_ref "$1" location | jq -r .)"
    loc="${loc%%[?#]*}"
    loc="${loc%/}"
    loc="${loc##*/}"
    [ -n "$loc" ] || { echo "$1: the Location header has no last segment" >&2; exit 3; }
    jq -cn --arg v "$loc" '$v'
}

# text JSON [MAX]: a value as a parameter carries it (strings verbatim, arrays comma-joined),
# cut to MAX characters when given.
text() {
    jq -rn --argjson v "$1" --argjson max "${2:-null}" '
        def s: if type == "string" then . elif . == null then "" else tojson end;
        ($v | if type == "array" then map(s) | join(",")
              elif type == "object" then to_entries | map("\(.key),\(.value | s)") | join(",")
              else s end) as $t
        | if $max == null then $t else $t[0:$max] end'
}

# uri TEXT: TEXT percent-encoded.
uri() { jq -rn --arg v "$1" '$v | @uri'; }
"#;

/// The jq program that turns a JSON object into a form body, as the executor sends it.
const FORM_JQ: &str = r#"def s: if type == "string" then . elif . == null then "" else tojson end; if type == "object" then [to_entries[] | .key as $k | (if (.value | type) == "array" then .value[] else .value end) | "\($k | @uri)=\(s | @uri)"] | join("&") else "value=\(s | @uri)" end"#;

/// The Rust regression test of `finding` (saved at `finding_path`), for a user's test suite:
/// replays the saved finding through the library API and fails while the bug is there.
pub fn rust_test(finding: &Finding, finding_path: &Path) -> String {
    let mut name: String = finding
        .signature
        .file_stem()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    name.insert_str(0, "trespass_");
    let path = rust_str(&finding_path.to_string_lossy());
    let origin = finding.origin.as_ref();
    let embedded = origin.and_then(Origin::embedded_service).map(|s| {
        let mut chars = s.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    });
    let mut out = String::new();
    let _ = writeln!(out, "/// Regression test for a trespass finding:");
    let _ = writeln!(out, "/// {}", finding.headline().replace('\n', " "));
    let _ = writeln!(out, "///");
    let _ = writeln!(out, "/// Rule: {}.", finding.rule.trim_end_matches('.'));
    let _ = writeln!(
        out,
        "/// Found with seed {}, case {}; replay it with `trespass replay {}`.",
        finding.seed,
        finding.case,
        finding_path.display()
    );
    let _ = writeln!(out, "/// Minimal steps:");
    for line in finding.sequence_lines() {
        let _ = writeln!(out, "/// {line}");
    }
    let _ = writeln!(out, "#[test]\nfn {name}() {{");
    match embedded {
        Some(service) => {
            let _ = writeln!(
                out,
                "    trespass::Harness::demo(trespass_targets::Service::{service})\n        \
                 .replay_only({path})\n        \
                 .run()\n        \
                 .assert_clean();"
            );
        }
        None => {
            let spec = origin.map_or("openapi.yaml", |o| o.spec.as_str());
            let identities = origin
                .and_then(|o| o.identities.as_deref())
                .unwrap_or("identities.toml");
            let _ = writeln!(
                out,
                "    let base_url = std::env::var(\"TRESPASS_BASE_URL\")\n        \
                 .expect(\"set TRESPASS_BASE_URL to the target's base URL\");\n    \
                 trespass::Harness::from_spec({})\n        \
                 .base_url(&base_url)\n        \
                 .identities_file({})\n        \
                 .replay_only({path})\n        \
                 .run()\n        \
                 .assert_clean();",
                rust_str(spec),
                rust_str(identities)
            );
        }
    }
    out.push_str("}\n");
    out
}

/// `text` as a Rust string literal.
fn rust_str(text: &str) -> String {
    format!("{text:?}")
}

/// The bash lines that stop the script when `var` is unset or empty, saying it holds `what`.
fn require(var: &str, what: &str) -> String {
    format!(
        "if [ -z \"${{{var}:-}}\" ]; then\n    echo {} >&2\n    exit 2\nfi\n",
        sq(&format!("set {var} to {what}"))
    )
}

/// `text` single-quoted for bash.
fn sq(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A path for a comment line: as given, quoted when it holds spaces.
fn shell_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if text.contains(char::is_whitespace) {
        sq(&text)
    } else {
        text.into_owned()
    }
}

/// The tokens of a JSON pointer, as a JSON array of strings.
fn pointer_tokens(pointer: &str) -> Value {
    Value::Array(
        pointer
            .split('/')
            .skip(1)
            .map(|t| Value::String(t.replace("~1", "/").replace("~0", "~")))
            .collect(),
    )
}

/// The jq path (`["items",0,"id"]`) of `pointer` in `template`: array indexes where the
/// template has arrays, as the executor's pointer setter descends.
fn jq_path(template: &Value, pointer: &str) -> Result<Value, String> {
    if pointer.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    if !pointer.starts_with('/') {
        return Err(format!("`{pointer}` is not a JSON pointer"));
    }
    let mut current = Some(template);
    let mut out = Vec::new();
    for token in pointer[1..].split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        match current {
            Some(Value::Array(items)) => {
                let index: usize = token
                    .parse()
                    .map_err(|_| format!("`{token}` is not an array index"))?;
                current = items.get(index);
                out.push(Value::from(index));
            }
            Some(Value::Object(map)) => {
                current = map.get(&token);
                out.push(Value::String(token));
            }
            None => out.push(Value::String(token)),
            Some(_) => return Err(format!("cannot descend into a scalar at `{token}`")),
        }
    }
    Ok(Value::Array(out))
}

/// Sets the value at a jq path of string keys and indexes, where it exists.
fn set_path(target: &mut Value, path: &[Value], value: Value) {
    let mut current = target;
    for token in path {
        current = match (current, token) {
            (Value::Object(map), Value::String(k)) => match map.get_mut(k) {
                Some(v) => v,
                None => return,
            },
            (Value::Array(items), Value::Number(i)) => {
                match i.as_u64().and_then(|i| items.get_mut(i as usize)) {
                    Some(v) => v,
                    None => return,
                }
            }
            _ => return,
        };
    }
    *current = value;
}

/// The string leaves of a login body that are secrets (a secret value of the identities
/// file, or under a key that names a credential): their jq path and key.
fn secret_leaves(
    value: &Value,
    secrets: &[String],
    under_secret_key: bool,
    path: &mut Vec<Value>,
    out: &mut Vec<(Vec<Value>, String)>,
) {
    match value {
        Value::String(s) if under_secret_key || secrets.contains(s) => {
            let key = path
                .iter()
                .rev()
                .find_map(|k| k.as_str())
                .unwrap_or("secret")
                .to_string();
            out.push((path.clone(), key));
        }
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Value::String(k.clone()));
                let secret = under_secret_key || crate::redact::SecretKind::of_key(k).is_some();
                secret_leaves(v, secrets, secret, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Value::from(i));
                secret_leaves(v, secrets, under_secret_key, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The read operation the executor re-reads the object of `write` with: a `GET` whose
/// template matches the recorded path and whose path parameters `write` has.
fn reread_op<'m>(
    model: &'m ApiModel,
    report: &crate::finding::StepReport,
    write: &Step,
) -> Option<&'m Operation> {
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

/// One form-urlencoded component, as the client encodes query strings.
fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests;

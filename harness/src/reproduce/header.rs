//! The head of the curl script: what it reproduces, the environment it needs, the reset and
//! the logins.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::credentials::{Credential, upper_ident};
use super::curl::Script;
use super::shell::{HELPERS, pointer_tokens, require, set_path, shell_path, sq};
use crate::finding::Finding;
use crate::identity::{ClientAuth, Grant, Secret, grant_form};

impl Script<'_> {
    /// The comment header, the helpers, the environment checks, the reset and the logins.
    pub(super) fn header(&self, finding: &Finding, finding_path: &Path) -> String {
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
        for (var, what) in self.credential_vars() {
            checks.push(require(&var, &what));
            env_lines.push((var, what));
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
        self.logins(&mut out);
        out
    }

    /// The environment variables that carry the credentials of the identities that
    /// authenticate normally, with what each holds.
    fn credential_vars(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (identity, credential, normal) in &self.credentials {
            if !normal {
                continue;
            }
            let mut need = |var: &str, what: String| out.push((var.to_string(), what));
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
                Credential::Grant {
                    flow,
                    path,
                    password_var,
                    secret_var,
                    ..
                } => {
                    let at = format!("the OAuth2 {} grant at {path}", flow.grant_name());
                    if let Some(var) = password_var {
                        need(var, format!("{identity}'s password ({at})"));
                    }
                    if let Some(var) = secret_var {
                        need(var, format!("{identity}'s client secret ({at})"));
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
        out
    }

    /// The login request of every identity that logs in, its token kept in a variable.
    fn logins(&self, out: &mut String) {
        for (identity, credential, normal) in &self.credentials {
            if let (Credential::Grant { .. }, true) = (credential, normal) {
                grant(identity, credential, out);
                continue;
            }
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
                    sq(&pointer_tokens(flow.token_pointer().unwrap_or("")).to_string()),
                );
            }
        }
    }
}

/// The token request of `identity`'s OAuth2 grant (`credential`), form-encoded as the sessions
/// send it, its access token kept in a variable.
fn grant(identity: &str, credential: &Credential, out: &mut String) {
    let Credential::Grant {
        flow,
        path,
        password_var,
        secret_var,
        token_var,
    } = credential
    else {
        return;
    };
    let name = format!("token_{}", upper_ident(identity).to_ascii_lowercase());
    // The form the sessions send, with the secrets as the variables that hold them.
    let placeholder = |var: &str| format!("${var}");
    let mut masked = (**flow).clone();
    if let (Grant::Password { password, .. }, Some(var)) = (&mut masked.grant, password_var) {
        *password = Secret::new(placeholder(var));
    }
    if let (Some(secret), Some(var)) = (&mut masked.client_secret, secret_var) {
        *secret = Secret::new(placeholder(var));
    }
    let variables: Vec<String> = [password_var, secret_var]
        .into_iter()
        .flatten()
        .map(|v| placeholder(v))
        .collect();
    let mut args = vec![sq("content-type: application/x-www-form-urlencoded")];
    for (key, value) in grant_form(&masked, None).0 {
        args.push("--data-urlencode".into());
        args.push(if variables.contains(&value) {
            format!("\"{key}={value}\"")
        } else {
            sq(&format!("{key}={value}"))
        });
    }
    // HTTP Basic client authentication: the form has no client credentials then.
    if flow.client_auth == ClientAuth::Basic {
        args.push("-u".into());
        args.push(format!(
            "{}{}",
            sq(&format!("{}:", flow.client_id.as_deref().unwrap_or(""))),
            secret_var
                .as_ref()
                .map(|var| format!("\"${var}\""))
                .unwrap_or_default()
        ));
    }
    let _ = writeln!(
        out,
        "\n# {identity} is granted a token: the OAuth2 {} grant at {path}.\n\
         send {name} {} POST {} '' -H {}\n\
         {token_var}=\"$(body_ref {name} '[\"access_token\"]' | jq -r .)\"",
        flow.grant_name(),
        sq(&format!("{identity} is granted a token")),
        sq(path),
        args.join(" "),
    );
}

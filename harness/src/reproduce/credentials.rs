//! How each identity's credentials reach curl: environment variables named after the
//! identity, never the credentials themselves.

use serde_json::Value;
use trespass_generators::sequence::AuthMode;

use super::curl::Script;
use super::shell::{form_encode, sq};
use crate::identity::{ApiKeyLocation, Auth, Grant, IdentityFile, LoginFlow, OAuth2Flow};

/// The made-up credential sent for [`AuthMode::Invalid`]: the one the sessions send.
pub(super) const INVALID_CREDENTIAL: &str = crate::identity::INVALID_TOKEN;

/// The environment variable that holds `what` (`PASSWORD`, `TOKEN`, `API_KEY`, `AUTH`) of
/// `identity`: `TRESPASS_PASSWORD_ALICE`. Non-alphanumeric characters become `_`.
pub fn env_var(what: &str, identity: &str) -> String {
    format!("TRESPASS_{what}_{}", upper_ident(identity))
}

/// `identity` uppercased, with `_` for every character that is not ASCII alphanumeric.
pub(super) fn upper_ident(identity: &str) -> String {
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

/// How one identity's credentials reach curl.
#[derive(Debug, Clone)]
pub(super) enum Credential {
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
        flow: Box<LoginFlow>,
        /// (jq path of a secret leaf of the body, variable that fills it).
        leaves: Vec<(Value, String)>,
        token_var: String,
    },
    /// An OAuth2 grant at a token endpoint under the base URL at the start; the access token
    /// lands in `TOKEN_<IDENTITY>` and goes as a bearer token.
    Grant {
        flow: Box<OAuth2Flow>,
        /// The token endpoint's path under the base URL.
        path: String,
        /// The variable that holds the password (the password grant).
        password_var: Option<String>,
        /// The variable that holds the client secret, when the flow has one.
        secret_var: Option<String>,
        token_var: String,
    },
    /// No identities file, or a flow curl cannot follow: the whole header line comes from
    /// `TRESPASS_AUTH_<IDENTITY>`.
    Unknown(String),
}

impl Script<'_> {
    pub(super) fn credential(&mut self, identity: &str, mode: AuthMode) -> Credential {
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
                    Auth::Login(flow) if flow.replayable_by_curl() => {
                        login_credential(file, flow, identity)
                    }
                    Auth::OAuth2(flow) if flow.token_path().is_some() => {
                        grant_credential(flow, identity)
                    }
                    // Cookie sessions, CSRF, forms, and grants at a token endpoint on another
                    // host (the script sends to `BASE_URL` only): the whole header line comes
                    // from the environment.
                    Auth::Login(_) | Auth::OAuth2(_) => {
                        Credential::Unknown(env_var("AUTH", identity))
                    }
                    Auth::None => Credential::None,
                },
            },
        };
        self.credentials
            .push((identity.to_string(), credential.clone(), normal));
        credential
    }

    /// The curl arguments and the query pair that authenticate `identity` in `mode`.
    pub(super) fn auth_args(&mut self, identity: &str, mode: AuthMode) -> (Vec<String>, String) {
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
            Credential::Grant { token_var, .. } => {
                args.push("-H".into());
                args.push(format!(
                    "{}{}",
                    sq("Authorization: Bearer "),
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
        flow: Box::new(flow.clone()),
        leaves,
        token_var: format!("TOKEN_{}", upper_ident(identity)),
    }
}

/// The credential of `identity`, who is granted its token by `flow` at a token endpoint under
/// the base URL: its password in `TRESPASS_PASSWORD_<IDENTITY>` (the password grant) and its
/// client secret, if any, in `TRESPASS_CLIENT_SECRET_<IDENTITY>`.
fn grant_credential(flow: &OAuth2Flow, identity: &str) -> Credential {
    Credential::Grant {
        path: flow.token_path().unwrap_or_default(),
        password_var: matches!(flow.grant, Grant::Password { .. })
            .then(|| env_var("PASSWORD", identity)),
        secret_var: flow
            .client_secret
            .is_some()
            .then(|| env_var("CLIENT_SECRET", identity)),
        token_var: format!("TOKEN_{}", upper_ident(identity)),
        flow: Box::new(flow.clone()),
    }
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

//! `{worker}` in credentials: each worker of a campaign acts as accounts of its own.

use super::{Auth, IdentityFile, Secret};

/// The placeholder for the worker's number (from 1) in credentials: `alice-{worker}` is
/// `alice-1` for the first worker, `alice-2` for the second.
pub const WORKER: &str = "{worker}";

impl IdentityFile {
    /// Whether a credential holds the [`WORKER`] placeholder: the workers of one shared
    /// target then act as accounts of their own.
    pub fn uses_worker(&self) -> bool {
        let mut uses = false;
        self.clone().map_credentials(|s| {
            uses |= s.contains(WORKER);
            s
        });
        uses
    }

    /// The file as worker `worker` (counted from 1) uses it: [`WORKER`] replaced by the
    /// worker's number in every credential (user names, passwords, tokens, keys, login-body
    /// values).
    pub fn for_worker(&self, worker: usize) -> IdentityFile {
        let number = worker.to_string();
        self.clone().map_credentials(|s| s.replace(WORKER, &number))
    }

    fn map_credentials(mut self, mut f: impl FnMut(String) -> String) -> Self {
        fn json(value: &mut serde_json::Value, f: &mut dyn FnMut(String) -> String) {
            match value {
                serde_json::Value::String(s) => *s = f(std::mem::take(s)),
                serde_json::Value::Array(items) => items.iter_mut().for_each(|v| json(v, f)),
                serde_json::Value::Object(map) => map.values_mut().for_each(|v| json(v, f)),
                _ => {}
            }
        }
        let secret =
            |s: &Secret, f: &mut dyn FnMut(String) -> String| Secret::new(f(s.expose().clone()));
        for identity in &mut self.identities {
            match &mut identity.auth {
                Auth::None => {}
                Auth::Bearer(token) => *token = secret(token, &mut f),
                Auth::Basic { username, password } => {
                    *username = f(std::mem::take(username));
                    *password = secret(password, &mut f);
                }
                Auth::ApiKey { value, .. } => *value = secret(value, &mut f),
                Auth::Login(flow) => {
                    let mut body = flow.body.expose().clone();
                    json(&mut body, &mut f);
                    flow.body = Secret::json(body);
                }
                Auth::OAuth2(flow) => {
                    if let super::Grant::Password { username, password } = &mut flow.grant {
                        *username = f(std::mem::take(username));
                        *password = secret(password, &mut f);
                    }
                    if let Some(id) = &mut flow.client_id {
                        *id = f(std::mem::take(id));
                    }
                    if let Some(client_secret) = &mut flow.client_secret {
                        *client_secret = secret(client_secret, &mut f);
                    }
                }
            }
        }
        self
    }
}

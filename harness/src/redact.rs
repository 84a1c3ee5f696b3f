//! The one redaction table: every report, snapshot and log line passes through a [`Redactor`]
//! before it leaves the process.
//!
//! Two kinds of redaction:
//! - **secrets** (always): the credentials of the identities file, tokens obtained by logging in,
//!   credential headers (`Authorization`, `Cookie`, `Set-Cookie`, API-key headers) and JSON fields
//!   whose name says secret (`password`, `accessToken`, `apiKey`, ...). Replaced by `[token]`,
//!   `[password]`, `[cookie]` or `[secret]`.
//! - **volatile values** (for snapshots only, [`Redactor::volatile`]): ports, durations,
//!   timestamps and UUIDs, so that snapshots are stable across runs.

use std::sync::{Arc, RwLock};

use serde_json::Value;

/// What a secret is; decides its placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    /// A bearer token or session token: `[token]`.
    Token,
    /// A password: `[password]`.
    Password,
    /// A cookie value: `[cookie]`.
    Cookie,
    /// Anything else (API keys, client secrets): `[secret]`.
    Other,
}

impl SecretKind {
    /// The placeholder that replaces a secret of this kind.
    pub fn placeholder(self) -> &'static str {
        match self {
            SecretKind::Token => "[token]",
            SecretKind::Password => "[password]",
            SecretKind::Cookie => "[cookie]",
            SecretKind::Other => "[secret]",
        }
    }

    /// The kind a JSON field or parameter name suggests, if it names a credential.
    pub fn of_key(key: &str) -> Option<SecretKind> {
        let key = key.to_ascii_lowercase().replace(['-', '_'], "");
        if key.contains("password") || key.contains("passwd") || key == "pwd" {
            Some(SecretKind::Password)
        } else if key.contains("token") || key == "authorization" || key == "jwt" {
            Some(SecretKind::Token)
        } else if key == "cookie" || key == "setcookie" {
            Some(SecretKind::Cookie)
        } else if key.contains("apikey") || key.contains("secret") || key.contains("credential") {
            Some(SecretKind::Other)
        } else {
            None
        }
    }
}

/// Shortest secret that is redacted by value; shorter ones would mangle ordinary text and are
/// refused when registered (see [`Redactor::add`]).
pub const MIN_SECRET_LEN: usize = 4;

/// Replaces secrets (and, for snapshots, volatile values) with fixed placeholders.
///
/// Cheap to clone (shared); tokens learned during a run are added through [`Redactor::add`] and
/// are then redacted by every clone.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<(String, SecretKind)>>>,
}

impl Redactor {
    /// A redactor that knows no secret values yet (it still redacts credential headers and
    /// secret-named JSON fields).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret value. Returns `false` (and registers nothing) for values shorter
    /// than [`MIN_SECRET_LEN`], which cannot be redacted by value without mangling other text.
    pub fn add(&self, value: &str, kind: SecretKind) -> bool {
        if value.chars().count() < MIN_SECRET_LEN {
            return false;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        // The secret as it appears in a query string and inside JSON text, when that differs.
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let escaped = serde_json::to_string(value).unwrap_or_default();
        let escaped = escaped
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .unwrap_or(value)
            .to_string();
        for form in [value.to_string(), encoded, escaped] {
            if !secrets.iter().any(|(s, _)| *s == form) {
                secrets.push((form, kind));
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        true
    }

    /// Registers every credential of `file` (tokens, passwords, API keys, and the secret
    /// fields of login bodies), as the sessions of a run do.
    pub fn register_identities(&self, file: &crate::identity::IdentityFile) {
        use crate::identity::Auth;
        for identity in &file.identities {
            match &identity.auth {
                Auth::Bearer(token) => {
                    self.add(token.expose(), SecretKind::Token);
                }
                Auth::Basic { password, .. } => {
                    self.add(password.expose(), SecretKind::Password);
                }
                Auth::ApiKey { value, .. } => {
                    self.add(value.expose(), SecretKind::Other);
                }
                Auth::None | Auth::Login(_) => {}
            }
        }
        // Login bodies: the leaves the identities file counts as secrets.
        let static_ones: Vec<String> = self
            .secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(s, _)| s.clone())
            .collect();
        for secret in file.secrets() {
            if !static_ones.contains(&secret) {
                self.add(&secret, SecretKind::Password);
            }
        }
    }

    /// Replaces every registered secret in `text`.
    pub fn text(&self, text: &str) -> String {
        let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for (secret, kind) in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), kind.placeholder());
            }
        }
        out
    }

    /// A header value as it may be shown: credential headers are replaced whole (keeping an
    /// auth scheme such as `Bearer`), others have registered secrets replaced.
    pub fn header(&self, name: &str, value: &str) -> String {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "authorization" | "proxy-authorization" => match value.split_once(' ') {
                Some((scheme, _)) => format!("{scheme} [token]"),
                None => "[token]".to_string(),
            },
            "cookie" | "set-cookie" => redact_cookie_header(value),
            _ => match SecretKind::of_key(&lower) {
                Some(kind) => kind.placeholder().to_string(),
                None => self.text(value),
            },
        }
    }

    /// A JSON value as it may be shown: secret-named fields are replaced, registered secrets
    /// are replaced in every string.
    pub fn json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let shown = match (SecretKind::of_key(k), v) {
                            (Some(kind), Value::String(_)) => {
                                Value::String(kind.placeholder().to_string())
                            }
                            _ => self.json(v),
                        };
                        (self.text(k), shown)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A URL or path with query string as it may be shown: secret-named query parameters are
    /// replaced, registered secrets are replaced everywhere.
    pub fn url(&self, url: &str) -> String {
        let text = self.text(url);
        let Some((base, query)) = text.split_once('?') else {
            return text;
        };
        let query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if SecretKind::of_key(k).is_some() => {
                    format!(
                        "{k}={}",
                        SecretKind::of_key(k).map_or("", |s| s.placeholder())
                    )
                }
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        format!("{base}?{query}")
    }

    /// Replaces volatile values for stable snapshots: `127.0.0.1:PORT` and `localhost:PORT`
    /// (`127.0.0.1:[port]`), UUIDs (`[uuid]`), RFC 3339 timestamps (`[timestamp]`) and
    /// durations like `12.5ms` (`[duration]`). Apply after [`Redactor::text`].
    pub fn volatile(text: &str) -> String {
        let patterns = volatile_patterns();
        let mut out = text.to_string();
        for (re, replacement) in patterns.iter() {
            out = re.replace_all(&out, *replacement).into_owned();
        }
        out
    }
}

fn redact_cookie_header(value: &str) -> String {
    value
        .split(';')
        .map(|part| {
            let part = part.trim();
            match part.split_once('=') {
                // Attributes of Set-Cookie (Path=/, Max-Age=...) are not secret.
                Some((k, v))
                    if matches!(
                        k.to_ascii_lowercase().as_str(),
                        "path" | "domain" | "expires" | "max-age" | "samesite"
                    ) =>
                {
                    format!("{k}={v}")
                }
                Some((k, _)) => format!("{k}=[cookie]"),
                None => part.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn volatile_patterns() -> &'static [(regex::Regex, &'static str)] {
    static PATTERNS: std::sync::OnceLock<Vec<(regex::Regex, &'static str)>> =
        std::sync::OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            (r"(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}", "$1:[port]"),
            (
                r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
                "[uuid]",
            ),
            (
                r"\b\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?",
                "[timestamp]",
            ),
            (r"\b\d+(\.\d+)?(ns|µs|us|ms|s)\b", "[duration]"),
        ]
        .into_iter()
        .map(|(p, r)| {
            (
                regex::Regex::new(p).expect("volatile patterns are valid"),
                r,
            )
        })
        .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redactor() -> Redactor {
        let r = Redactor::new();
        assert!(r.add("s3cret-password", SecretKind::Password));
        assert!(r.add("tok-abcdef", SecretKind::Token));
        r
    }

    #[test]
    fn registered_secrets_vanish_from_text() {
        let r = redactor();
        assert_eq!(
            r.text("login with s3cret-password got tok-abcdef"),
            "login with [password] got [token]"
        );
    }

    #[test]
    fn short_secrets_are_refused_not_mangling_text() {
        let r = Redactor::new();
        assert!(!r.add("ab", SecretKind::Password));
        assert_eq!(r.text("about a cab"), "about a cab");
    }

    #[test]
    fn tokens_learned_later_are_redacted_by_every_clone() {
        let r = Redactor::new();
        let clone = r.clone();
        r.add("late-token-1", SecretKind::Token);
        assert_eq!(clone.text("x late-token-1"), "x [token]");
    }

    #[test]
    fn credential_headers_are_replaced_whole() {
        let r = Redactor::new();
        assert_eq!(
            r.header("Authorization", "Bearer anything"),
            "Bearer [token]"
        );
        assert_eq!(r.header("X-Api-Key", "k-123456"), "[secret]");
        assert_eq!(
            r.header("Set-Cookie", "sid=abc123; Path=/; HttpOnly"),
            "sid=[cookie]; Path=/; HttpOnly"
        );
        assert_eq!(
            r.header("Content-Type", "application/json"),
            "application/json"
        );
    }

    #[test]
    fn secret_named_json_fields_are_replaced() {
        let r = redactor();
        let shown = r.json(&json!({
            "username": "alice",
            "password": "whatever-it-is",
            "accessToken": "eyJ...",
            "nested": [{"note": "token is tok-abcdef"}],
            "count": 3
        }));
        assert_eq!(
            shown,
            json!({
                "username": "alice",
                "password": "[password]",
                "accessToken": "[token]",
                "nested": [{"note": "token is [token]"}],
                "count": 3
            })
        );
    }

    #[test]
    fn secret_query_parameters_are_replaced() {
        let r = Redactor::new();
        assert_eq!(
            r.url("/items?api_key=zzzz&page=2"),
            "/items?api_key=[secret]&page=2"
        );
    }

    #[test]
    fn volatile_values_get_placeholders() {
        let text = "GET http://127.0.0.1:41234/notes/3f2b8c1e-0000-4000-8000-00000000abcd at 2026-11-23T09:12:00.123Z took 12.5ms";
        assert_eq!(
            Redactor::volatile(text),
            "GET http://127.0.0.1:[port]/notes/[uuid] at [timestamp] took [duration]"
        );
    }
}

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
    secrets: Arc<RwLock<Secrets>>,
}

/// The registered secrets, longest first, with an index of their last four bytes: a text in
/// which no secret's last four bytes occur holds no secret, and is passed over in one scan
/// however many secrets a run has learnt (every login of a run adds its token).
#[derive(Debug, Default)]
struct Secrets {
    /// Sorted by length (longest first), then by text; no duplicates.
    list: Vec<(String, SecretKind)>,
    /// The last four bytes of every secret.
    tails: std::collections::HashSet<u32>,
    /// A bit per hash of a four-byte window, set for every tail: most windows of a text are
    /// ruled out here, without a look-up in `tails`.
    filter: Vec<u64>,
}

/// Bits in [`Secrets::filter`].
const FILTER_BITS: u32 = 1 << 16;

impl Secrets {
    fn order(a: &(String, SecretKind), b: &str) -> std::cmp::Ordering {
        b.len().cmp(&a.0.len()).then_with(|| a.0.as_str().cmp(b))
    }

    /// Adds `secret` unless it is there (with any kind).
    fn insert(&mut self, secret: String, kind: SecretKind) {
        let Err(at) = self.list.binary_search_by(|e| Self::order(e, &secret)) else {
            return;
        };
        let tail = tail_of(secret.as_bytes());
        if self.filter.is_empty() {
            self.filter = vec![0; (FILTER_BITS / 64) as usize];
        }
        let bit = filter_bit(tail);
        self.filter[bit / 64] |= 1 << (bit % 64);
        self.tails.insert(tail);
        self.list.insert(at, (secret, kind));
    }

    /// Whether some secret may occur in `text` (`false`: none does).
    fn may_occur(&self, text: &str) -> bool {
        if self.list.is_empty() {
            return false;
        }
        text.as_bytes().windows(4).any(|w| {
            let window = tail_of(w);
            let bit = filter_bit(window);
            self.filter[bit / 64] & (1 << (bit % 64)) != 0 && self.tails.contains(&window)
        })
    }
}

/// The last four bytes of `bytes` (at least four long: secrets are [`MIN_SECRET_LEN`] chars).
fn tail_of(bytes: &[u8]) -> u32 {
    let mut last = [0u8; 4];
    let start = bytes.len().saturating_sub(4);
    last[..bytes.len() - start].copy_from_slice(&bytes[start..]);
    u32::from_le_bytes(last)
}

fn filter_bit(window: u32) -> usize {
    (window.wrapping_mul(0x9E37_79B1) >> 16) as usize % FILTER_BITS as usize
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
        // Kept longest first, so a secret containing another is replaced whole.
        for form in [value.to_string(), encoded, escaped] {
            secrets.insert(form, kind);
        }
        true
    }

    /// Replaces every registered secret in `text`.
    pub fn text(&self, text: &str) -> String {
        let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        if !secrets.may_occur(text) {
            return text.to_string();
        }
        let mut out = text.to_string();
        for (secret, kind) in secrets.list.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), kind.placeholder());
            }
        }
        out
    }

    /// `value` as [`Redactor::text`] shows it, redacted only when it is formatted: for log
    /// lines, which are usually filtered out.
    pub fn display<'a, T: std::fmt::Display + ?Sized>(&'a self, value: &'a T) -> Shown<'a, T> {
        Shown {
            redactor: self,
            value,
        }
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
                    .map(|(k, v)| (self.text(k), self.named(k, v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The value of a field or parameter called `name`: a string whose name says credential
    /// is replaced whole, anything else as [`Redactor::json`] shows it.
    fn named(&self, name: &str, value: &Value) -> Value {
        match (SecretKind::of_key(name), value) {
            (Some(kind), Value::String(_)) => Value::String(kind.placeholder().to_string()),
            _ => self.json(value),
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
            .map(|pair| {
                let secret = pair
                    .split_once('=')
                    .and_then(|(k, _)| Some((k, SecretKind::of_key(k)?)));
                match secret {
                    Some((k, kind)) => format!("{k}={}", kind.placeholder()),
                    None => pair.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("&");
        format!("{base}?{query}")
    }

    /// A sequence as it may be stored: parameters whose name says credential
    /// (`api_key`, `Authorization`, `session_token`) get placeholders, registered secrets are
    /// replaced in every value and body, secret-named body fields are replaced.
    pub fn sequence(
        &self,
        sequence: &trespass_generators::sequence::Sequence,
    ) -> trespass_generators::sequence::Sequence {
        use trespass_generators::sequence::Arg;
        let mut out = sequence.clone();
        for step in &mut out.steps {
            let args = &mut step.args;
            for params in [
                &mut args.path,
                &mut args.query,
                &mut args.header,
                &mut args.cookie,
            ] {
                for (name, arg) in params.iter_mut() {
                    if let Arg::Value(value) = arg {
                        *value = self.named(name, value);
                    }
                }
            }
            if let Some(body) = &mut args.body {
                body.value = self.json(&body.value);
            }
        }
        out
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

/// A value that [`Redactor::text`] redacts when it is formatted ([`Redactor::display`]).
pub struct Shown<'a, T: ?Sized> {
    redactor: &'a Redactor,
    value: &'a T,
}

impl<T: std::fmt::Display + ?Sized> std::fmt::Display for Shown<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redactor.text(&self.value.to_string()))
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
    fn displayed_values_are_redacted_when_formatted() {
        let r = redactor();
        let shown = r.display("refused tok-abcdef");
        r.add("refused", SecretKind::Other);
        assert_eq!(shown.to_string(), "[secret] [token]");
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
    fn thousands_of_learnt_tokens_are_all_redacted_and_nothing_else() {
        let r = Redactor::new();
        let tokens: Vec<String> = (0..3000).map(|n| format!("shop_{n:08x}c0ffee")).collect();
        for token in &tokens {
            assert!(r.add(token, SecretKind::Token));
        }
        assert!(r.add("s3cret-password", SecretKind::Password));
        for token in [&tokens[0], &tokens[1500], &tokens[2999]] {
            assert_eq!(r.text(&format!("got {token}.")), "got [token].");
        }
        // A token's last bytes alone, or a token cut short, are no token.
        assert_eq!(r.text("ffee shop_00000001c0ffe"), "ffee shop_00000001c0ffe");
        assert_eq!(r.text(""), "");
        assert_eq!(
            r.text("s3cret-password then shop_00000bb7c0ffee"),
            "[password] then [token]"
        );
        // A secret registered again under another kind keeps its first kind.
        assert!(r.add("shop_00000000c0ffee", SecretKind::Other));
        assert_eq!(r.text("shop_00000000c0ffee"), "[token]");
    }

    #[test]
    fn a_secret_inside_a_longer_one_is_replaced_after_it_whatever_the_order_added() {
        for order in [
            ["tok-abcdef", "tok-abcdef-long"],
            ["tok-abcdef-long", "tok-abcdef"],
        ] {
            let r = Redactor::new();
            r.add(order[0], SecretKind::Token);
            r.add(order[1], SecretKind::Token);
            assert_eq!(
                r.text("tok-abcdef-long and tok-abcdef"),
                "[token] and [token]"
            );
        }
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

/// Every artifact kind, built from a run that met secrets: none of them shows one.
#[cfg(test)]
mod artifact_tests {
    use std::path::Path;
    use std::time::Duration;

    use serde_json::json;
    use trespass_generators::model::OperationId;
    use trespass_generators::sequence::{
        Args, AuthMode, BodyArg, IdentityId, Role, Sequence, Step,
    };

    use crate::exec::{
        Exchange, Purpose, Received, Request, Response, ResponseBody, StepIndex, Trace, TraceIndex,
        TraceStep,
    };
    use crate::finding::Finding;
    use crate::identity::IdentityFile;
    use crate::oracle::Violation;

    use super::*;

    const IDENTITIES: &str = r#"
[[identity]]
name = "alice"
role = "user"
auth.login = { operation = "POST /auth/login", body = { username = "alice", password = "alice-pw-Secret9" }, token = "/accessToken" }

[[identity]]
name = "bob"
role = "user"
auth.api_key = { in = "query", name = "key", value = "bob key/with+odd=chars" }

[[identity]]
name = "carol"
role = "admin"
auth.bearer = "carol-bearer-0123456789"

[[identity]]
name = "dave"
role = "user"
auth.oauth2 = { grant = "password", username = "dave", password = "dave-pw-Secret8", client_id = "app", client_secret = "dave-client-Secret7" }
"#;

    /// A token learned by logging in (registered at run time, as the sessions do).
    const LEARNED_TOKEN: &str = "eyJhbGciOi.learned.token";

    /// Values under credential-named keys, never registered anywhere.
    const KEY_NAMED: [&str; 4] = [
        "unregistered-password-1",
        "unregistered-token-2",
        "unregistered-cookie-3",
        "unregistered-apikey-4",
    ];

    fn identities() -> IdentityFile {
        IdentityFile::parse(IDENTITIES, "ids.toml", |_| None).unwrap()
    }

    fn every_secret() -> Vec<String> {
        let mut all = identities().secrets();
        all.push(LEARNED_TOKEN.to_string());
        all.push(
            url::form_urlencoded::byte_serialize("bob key/with+odd=chars".as_bytes()).collect(),
        );
        all.extend(KEY_NAMED.iter().map(|s| s.to_string()));
        all
    }

    fn assert_clean(kind: &str, text: &str) {
        for secret in every_secret() {
            assert!(!text.contains(&secret), "{kind} shows `{secret}`:\n{text}");
        }
    }

    /// A finding whose trace saw every secret: in the query string, the request body, the
    /// response body (JSON and text) and the violation message.
    fn finding(redactor: &Redactor) -> Finding {
        let op = OperationId::parse("POST /auth/login").unwrap();
        let sent_body = json!({
            "username": "alice",
            "password": KEY_NAMED[0],
            "note": "alice-pw-Secret9"
        });
        let mut request = Request::new("POST", "/auth/login").json(sent_body.clone());
        request.query = vec![
            ("key".into(), "bob key/with+odd=chars".into()),
            ("api_key".into(), KEY_NAMED[3].into()),
        ];
        let json_answer = ResponseBody::Json(json!({
            "accessToken": KEY_NAMED[1],
            "echo": format!("Bearer {LEARNED_TOKEN}"),
            "cookie": KEY_NAMED[2],
            "admin": "carol-bearer-0123456789",
            "detail": "grant of dave-pw-Secret8 for client dave-client-Secret7"
        }));
        let step = |index: usize, body: ResponseBody| TraceStep {
            index: TraceIndex(index),
            purpose: Purpose::Sequence {
                step: StepIndex(index),
            },
            op: op.clone(),
            identity: IdentityId::new("alice"),
            role: Role::User,
            path_params: Default::default(),
            body: Some(sent_body.clone()),
            exchange: Exchange {
                identity: "alice".into(),
                auth: AuthMode::Normal,
                request: request.clone(),
                outcome: Received::Response(Response {
                    status: 200,
                    headers: vec![],
                    body,
                    truncated: false,
                }),
                elapsed: Duration::from_millis(3),
            },
        };
        let trace = Trace {
            steps: vec![
                step(0, json_answer),
                step(1, ResponseBody::Text(format!("token={LEARNED_TOKEN}"))),
            ],
            reject: None,
        };
        let mut args = Args {
            body: Some(BodyArg {
                media_type: "application/json".into(),
                value: sent_body.clone(),
                refs: vec![],
            }),
            ..Args::default()
        };
        args.query.insert(
            "api_key".into(),
            trespass_generators::sequence::Arg::Value(json!(KEY_NAMED[3])),
        );
        let sequence = Sequence {
            steps: vec![Step {
                identity: IdentityId::new("alice"),
                op: op.clone(),
                auth: AuthMode::Normal,
                args,
                violates: Vec::new(),
            }],
        };
        let violation = Violation {
            oracle: "server-error".into(),
            operation: op,
            roles: vec![Role::User],
            step: TraceIndex(1),
            message: format!("answered with alice-pw-Secret9 and {LEARNED_TOKEN}"),
            rule: "no 5xx".into(),
            cause: None,
        };
        Finding::new(&violation, &sequence, &trace, 0, 1, redactor)
    }

    fn run_redactor() -> Redactor {
        let redactor = Redactor::new();
        identities().register_secrets(&redactor);
        redactor.add(LEARNED_TOKEN, SecretKind::Token);
        redactor
    }

    #[test]
    fn finding_files_show_no_secret() {
        let finding = finding(&run_redactor());
        assert_clean("the finding file", &finding.to_json());
        assert_clean("the headline", &finding.headline());
    }

    #[test]
    fn reports_show_no_secret() {
        let summary = crate::campaign::Summary {
            format_version: crate::campaign::REPORT_FORMAT_VERSION,
            seed: 1,
            shards: Vec::new(),
            cases: 1,
            requests: 2,
            rejected: 0,
            rejections: Default::default(),
            sharing: Default::default(),
            transport: Default::default(),
            peak_memory: None,
            elapsed: Duration::from_millis(5),
            oracles: vec!["server-error".into()],
            findings: vec![finding(&run_redactor())],
            root_causes: Vec::new(),
            interrupted: false,
            coverage: Default::default(),
            operations: Default::default(),
            feedback: None,
        };
        assert_clean("the JSON report", &serde_json::to_string(&summary).unwrap());
        assert_clean("the report table", &summary.table());
    }

    #[test]
    fn reproducers_show_no_secret() {
        let finding = finding(&run_redactor());
        let file = identities();
        let script =
            crate::reproduce::curl_script(&finding, None, Some(&file), Path::new("f.json"));
        assert_clean("the curl script", &script);
        assert!(script.contains("TRESPASS_PASSWORD_ALICE"), "{script}");
        assert_clean(
            "the Rust test",
            &crate::reproduce::rust_test(&finding, Path::new("f.json")),
        );
    }

    #[test]
    fn log_lines_show_no_secret() {
        // What the campaign logs when a reset fails, and a login failure's reason.
        let redactor = run_redactor();
        let reset = format!(
            "reset command `curl -H 'Authorization: Bearer carol-bearer-0123456789' x` failed: {LEARNED_TOKEN}"
        );
        assert_clean("a reset error", &redactor.text(&reset));
        assert_clean(
            "a logged URL",
            &redactor.url(&format!(
                "/auth/login?key=bob+key%2Fwith%2Bodd%3Dchars&api_key={}&token={}",
                KEY_NAMED[3], KEY_NAMED[1]
            )),
        );
        assert_clean(
            "logged headers",
            &[
                redactor.header("Authorization", "Bearer unregistered-token-2"),
                redactor.header("Cookie", "sid=unregistered-cookie-3; theme=dark"),
                redactor.header("X-Api-Key", "unregistered-apikey-4"),
            ]
            .join("\n"),
        );
    }
}

//! Parsing and validating the identities-and-policy file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::Secret;
use super::flows::{Csrf, Encoding, OAuth2Flow, RawLogin, RawOAuth2, TokenSource};
use super::resources::{DeclaredResource, RawResource};
use super::target::{DEFAULT_RESET_ATTEMPTS, Reset, TargetConfig, check_target_command};
use crate::errors::{IdentityFileError, IdentityFileErrorKind};

/// A parsed and validated identities-and-policy file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdentityFile {
    /// Where it was read from (or the name given to [`IdentityFile::parse`]).
    pub path: PathBuf,
    /// The identities, in file order.
    pub identities: Vec<Identity>,
    /// The authorization policy.
    pub policy: PolicySection,
    /// How to treat the target (reset between sequences).
    pub target: TargetConfig,
    /// The `[[resource]]` tables: kinds declared or corrected by the user, applied to a model
    /// by [`IdentityFile::apply_resources`].
    pub resources: Vec<DeclaredResource>,
    /// The environment variables its `${VAR}`s name, sorted.
    pub env_vars: std::collections::BTreeSet<String>,
}

/// One identity trespass acts as.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Identity {
    /// Unique name (`alice`).
    pub name: String,
    /// What the identity is entitled to.
    pub role: Role,
    /// How it authenticates.
    pub auth: Auth,
}

pub use trespass_generators::sequence::Role;

/// How an identity authenticates.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials (the anonymous identity).
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic ...`.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// An API key sent in a header, a query parameter or a cookie.
    ApiKey {
        /// Where the key goes.
        location: ApiKeyLocation,
        /// Header, parameter or cookie name.
        name: String,
        /// The key.
        value: Secret,
    },
    /// Log in through an operation of the API and use the token (or the cookies) it returns;
    /// repeated before the token expires and when the target answers 401.
    Login(LoginFlow),
    /// An OAuth2 grant (password, client credentials) at a token endpoint.
    OAuth2(OAuth2Flow),
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// A login flow: send `body` to `operation` (encoded as `encoding`), read the token where
/// `token` says, keep the cookies the answer sets.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoginFlow {
    /// HTTP method (uppercase).
    pub method: String,
    /// Path template of the login operation (`/auth/login`).
    pub path: String,
    /// The body, as JSON (holds credentials).
    pub body: Secret<serde_json::Value>,
    /// How the body is encoded: as the file says, else as the spec's login operation declares
    /// (set by `apply_resources`), else JSON.
    pub encoding: Option<Encoding>,
    /// Where the token is in the answer (`/accessToken` in the body, a header, a cookie).
    pub token: TokenSource,
    /// Header the token is sent in (default `Authorization`; empty: none, for a token read from
    /// a cookie, which goes back as that cookie).
    pub header: String,
    /// Prefix before the token in that header (default `Bearer ` in `Authorization`, else
    /// empty).
    pub prefix: String,
    /// A CSRF token to echo on unsafe methods.
    pub csrf: Option<Csrf>,
    /// `ids.toml line 7`: where it is declared, for errors.
    pub origin: String,
    /// The line it is declared on.
    pub(crate) line: usize,
}

impl LoginFlow {
    /// `"POST /auth/login"`.
    pub fn operation(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The JSON pointer of the token, when it is read from the answer's body.
    pub fn token_pointer(&self) -> Option<&str> {
        match &self.token {
            TokenSource::Body(pointer) => Some(pointer),
            _ => None,
        }
    }

    /// Whether a reproducer's curl script can log in as this flow does: a JSON body, the token
    /// in the answer's body, no CSRF token.
    pub(crate) fn replayable_by_curl(&self) -> bool {
        self.encoding.is_none_or(|e| e == Encoding::Json)
            && self.token_pointer().is_some()
            && self.csrf.is_none()
    }
}

/// The `[policy]` section of the identities file: which operations are admin-only or public,
/// and which object kinds every user may read (the oracles' [`crate::oracle::Policy`] is built
/// from it).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PolicySection {
    /// Patterns of admin operations: `tag:NAME`, `path:/glob/**`, `"METHOD /path"`, or
    /// `operationId:NAME`. Added to what the spec says (tags, paths, extensions, scopes).
    pub admin_operations: Vec<String>,
    /// Patterns of operations that need no authentication (same forms).
    pub public_operations: Vec<String>,
    /// Resource kinds every user may read (a catalogue), so reading another's is no BOLA.
    pub shared_resources: Vec<String>,
    /// Patterns of operations that disturb every sequence in flight on a shared target (same
    /// forms): a sequence with one runs alone, followed by a reset when one went through.
    /// Added to what trespass finds itself (the reset operation, writes to accounts,
    /// credential changes).
    pub exclusive_operations: Vec<String>,
    /// Patterns of operations sequences never send (same forms, plus a bare path glob
    /// `/admin/*` or operationId); see [`super::selection`].
    pub exclude_operations: Vec<String>,
    /// The line of each of `exclude_operations`, for errors only the spec can reveal.
    pub(crate) exclude_lines: Vec<usize>,
}

// ---- raw shape, as in the file ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    identity: Vec<RawIdentity>,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    target: RawTarget,
    #[serde(default)]
    resource: Vec<RawResource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    name: Spanned<String>,
    role: Spanned<Role>,
    #[serde(default)]
    auth: Option<Spanned<RawAuth>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum RawAuth {
    Bearer(Spanned<String>),
    Basic {
        username: Spanned<String>,
        password: Spanned<String>,
    },
    ApiKey {
        #[serde(rename = "in")]
        location: ApiKeyLocation,
        name: String,
        value: Spanned<String>,
    },
    Login(RawLogin),
    #[serde(rename = "oauth2")]
    OAuth2(RawOAuth2),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    admin_operations: Vec<Spanned<String>>,
    #[serde(default)]
    public_operations: Vec<Spanned<String>>,
    #[serde(default)]
    shared_resources: Vec<String>,
    #[serde(default)]
    exclusive_operations: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_operations: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    #[serde(default)]
    reset: Option<Spanned<RawResetValue>>,
    #[serde(default)]
    reset_attempts: Option<Spanned<u32>>,
    #[serde(default)]
    command: Option<Spanned<String>>,
}

/// `reset` is either a string (`"POST /__reset"`) or a table (`{ command = "..." }`). serde's
/// untagged enums lose error positions, so a visitor tells the two forms apart.
enum RawResetValue {
    Request(String),
    Command(String),
}

impl<'de> Deserialize<'de> for RawResetValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawResetValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"a request like "POST /__reset" or a table { command = "..." }"#)
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawResetValue::Request(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut command = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "command" => command = Some(map.next_value::<String>()?),
                        other => return Err(A::Error::unknown_field(other, &["command"])),
                    }
                }
                command
                    .map(RawResetValue::Command)
                    .ok_or_else(|| A::Error::missing_field("command"))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl IdentityFile {
    /// Reads and validates the file at `path`, substituting `${VAR}` from the environment.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, IdentityFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| IdentityFileError {
            file: path.to_path_buf(),
            line: None,
            kind: IdentityFileErrorKind::Io(e),
        })?;
        Self::parse(&text, path, |var| std::env::var(var).ok())
    }

    /// Parses `text` (named `path` in messages); `env` answers `${VAR}` look-ups.
    pub fn parse(
        text: &str,
        path: impl AsRef<Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, IdentityFileError> {
        let used = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let recording = |var: &str| {
            used.borrow_mut().insert(var.to_string());
            env(var)
        };
        let cx = Cx {
            text,
            path: path.as_ref(),
            env: &recording,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| cx.line_of(s.start));
            cx.error(
                line,
                IdentityFileErrorKind::Syntax(e.message().trim().to_string()),
            )
        })?;
        let mut file = cx.convert(raw)?;
        file.env_vars = used.into_inner();
        Ok(file)
    }

    /// Every secret value of every identity (tokens, passwords, keys, and login-body fields
    /// that came from the environment or whose name says secret), for redaction.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for identity in &self.identities {
            match &identity.auth {
                Auth::None => {}
                Auth::Bearer(token) => out.push(token.expose().clone()),
                Auth::Basic { password, .. } => out.push(password.expose().clone()),
                Auth::ApiKey { value, .. } => out.push(value.expose().clone()),
                Auth::Login(flow) => collect_secret_leaves(flow.body.expose(), false, &mut out),
                Auth::OAuth2(flow) => {
                    if let super::Grant::Password { password, .. } = &flow.grant {
                        out.push(password.expose().clone());
                    }
                    out.extend(flow.client_secret.iter().map(|s| s.expose().clone()));
                }
            }
        }
        out.retain(|s| !s.is_empty());
        out.sort();
        out.dedup();
        out
    }

    /// The cast the sequence generators act as: every identity's name and role, in file order.
    pub fn cast(&self) -> Vec<trespass_generators::sequence::IdentitySpec> {
        self.identities
            .iter()
            .map(|i| trespass_generators::sequence::IdentitySpec::new(i.name.clone(), i.role))
            .collect()
    }

    /// The identity called `name`.
    pub fn identity(&self, name: &str) -> Option<&Identity> {
        self.identities.iter().find(|i| i.name == name)
    }
}

pub(super) fn collect_secret_leaves(
    value: &serde_json::Value,
    secret: bool,
    out: &mut Vec<String>,
) {
    match value {
        serde_json::Value::String(s) if secret => out.push(s.clone()),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                collect_secret_leaves(
                    v,
                    secret || crate::redact::SecretKind::of_key(k).is_some(),
                    out,
                );
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                collect_secret_leaves(v, secret, out);
            }
        }
        _ => {}
    }
}

pub(super) struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Cx<'_> {
    pub(super) fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
    }

    fn error(&self, line: Option<usize>, kind: IdentityFileErrorKind) -> IdentityFileError {
        IdentityFileError {
            file: self.path.to_path_buf(),
            line,
            kind,
        }
    }

    pub(super) fn invalid<T>(
        &self,
        span_start: usize,
        key: String,
        message: impl Into<String>,
    ) -> Result<T, IdentityFileError> {
        Err(self.error(
            Some(self.line_of(span_start)),
            IdentityFileErrorKind::Invalid {
                key,
                message: message.into(),
            },
        ))
    }

    /// `ids.toml line 7`, for the line of `offset`.
    pub(super) fn origin(&self, offset: usize) -> String {
        format!("{} line {}", self.path.display(), self.line_of(offset))
    }

    /// Substitutes `${VAR}` in a spanned string.
    pub(super) fn subst(
        &self,
        value: &Spanned<String>,
        key: &str,
    ) -> Result<String, IdentityFileError> {
        substitute(value.get_ref(), self.env).map_err(|e| {
            let line = Some(self.line_of(value.span().start));
            match e {
                SubstError::Missing(var) => self.error(
                    line,
                    IdentityFileErrorKind::MissingEnv {
                        key: key.to_string(),
                        var,
                    },
                ),
                SubstError::Unterminated => self.error(
                    line,
                    IdentityFileErrorKind::Invalid {
                        key: key.to_string(),
                        message: "`${` without a closing `}` (write `$${` for a literal `${`)"
                            .to_string(),
                    },
                ),
            }
        })
    }

    fn convert(&self, raw: RawFile) -> Result<IdentityFile, IdentityFileError> {
        if raw.identity.is_empty() {
            return Err(self.error(
                None,
                IdentityFileErrorKind::Invalid {
                    key: "identity".to_string(),
                    message: "no identities: declare at least one [[identity]] table".to_string(),
                },
            ));
        }
        let mut seen = BTreeSet::new();
        let mut identities = Vec::with_capacity(raw.identity.len());
        for (i, raw_identity) in raw.identity.into_iter().enumerate() {
            let key = format!("identity[{i}]");
            let name = raw_identity.name.get_ref().trim().to_string();
            if name.is_empty() {
                return self.invalid(
                    raw_identity.name.span().start,
                    format!("{key}.name"),
                    "the name is empty",
                );
            }
            if !seen.insert(name.clone()) {
                return self.invalid(
                    raw_identity.name.span().start,
                    format!("{key}.name"),
                    format!("the name `{name}` is used by an earlier identity"),
                );
            }
            let role = *raw_identity.role.get_ref();
            let auth = match (&raw_identity.auth, role) {
                (None, Role::Anonymous) => Auth::None,
                (None, _) => {
                    return self.invalid(
                        raw_identity.name.span().start,
                        format!("{key}.auth"),
                        format!("identity `{name}` has role `{role}` but no `auth`"),
                    );
                }
                (Some(auth), Role::Anonymous) => {
                    return self.invalid(
                        auth.span().start,
                        format!("{key}.auth"),
                        format!("identity `{name}` is anonymous and must not have `auth`"),
                    );
                }
                (Some(auth), _) => self.convert_auth(auth, &format!("{key}.auth"))?,
            };
            identities.push(Identity { name, role, auth });
        }
        let policy = PolicySection {
            admin_operations: self
                .patterns(raw.policy.admin_operations, "policy.admin_operations")?,
            public_operations: self
                .patterns(raw.policy.public_operations, "policy.public_operations")?,
            shared_resources: raw.policy.shared_resources,
            exclusive_operations: self.patterns(
                raw.policy.exclusive_operations,
                "policy.exclusive_operations",
            )?,
            exclude_lines: raw
                .policy
                .exclude_operations
                .iter()
                .map(|p| self.line_of(p.span().start))
                .collect(),
            exclude_operations: self.selection_patterns(raw.policy.exclude_operations)?,
        };
        let reset = match raw.target.reset {
            None => None,
            Some(spanned) => Some(self.convert_reset(&spanned)?),
        };
        let reset_attempts = match raw.target.reset_attempts {
            None => DEFAULT_RESET_ATTEMPTS,
            Some(n) if *n.get_ref() == 0 => {
                return self.invalid(
                    n.span().start,
                    "target.reset_attempts".to_string(),
                    "must be at least 1 (1 means: never retried)",
                );
            }
            Some(n) => n.into_inner(),
        };
        let command = match raw.target.command {
            None => None,
            Some(command) => {
                let text = self.subst(&command, "target.command")?;
                if let Err(message) = check_target_command(&text) {
                    return self.invalid(
                        command.span().start,
                        "target.command".to_string(),
                        message,
                    );
                }
                Some(text)
            }
        };
        let resources = self.resources(raw.resource)?;
        Ok(IdentityFile {
            path: self.path.to_path_buf(),
            identities,
            policy,
            target: TargetConfig {
                reset,
                reset_attempts,
                command,
            },
            resources,
            env_vars: Default::default(),
        })
    }

    fn convert_auth(&self, auth: &Spanned<RawAuth>, key: &str) -> Result<Auth, IdentityFileError> {
        Ok(match auth.get_ref() {
            RawAuth::Bearer(token) => {
                Auth::Bearer(Secret::new(self.subst(token, &format!("{key}.bearer"))?))
            }
            RawAuth::Basic { username, password } => Auth::Basic {
                username: self.subst(username, &format!("{key}.basic.username"))?,
                password: Secret::new(self.subst(password, &format!("{key}.basic.password"))?),
            },
            RawAuth::ApiKey {
                location,
                name,
                value,
            } => {
                if name.trim().is_empty() {
                    return self.invalid(
                        auth.span().start,
                        format!("{key}.api_key.name"),
                        "the name is empty",
                    );
                }
                Auth::ApiKey {
                    location: *location,
                    name: name.clone(),
                    value: Secret::new(self.subst(value, &format!("{key}.api_key.value"))?),
                }
            }
            RawAuth::Login(raw) => {
                let operation = &raw.operation;
                let op_key = format!("{key}.login.operation");
                let Some((method, path)) = split_operation(operation.get_ref()) else {
                    return self.invalid(
                        operation.span().start,
                        op_key,
                        format!(
                            "`{}` is not of the form \"METHOD /path\"",
                            operation.get_ref()
                        ),
                    );
                };
                let login_key = format!("{key}.login");
                let (token, header, prefix, csrf) = self.login_parts(raw, &login_key)?;
                let encoding =
                    self.encoding(raw.encoding.as_ref(), &format!("{key}.login.encoding"))?;
                let body_key = format!("{key}.login.body");
                let json =
                    self.toml_to_json(raw.body.get_ref(), &body_key, raw.body.span().start)?;
                Auth::Login(LoginFlow {
                    method,
                    path,
                    body: Secret::json(json),
                    encoding,
                    token,
                    header,
                    prefix,
                    csrf,
                    origin: self.origin(operation.span().start),
                    line: self.line_of(operation.span().start),
                })
            }
            RawAuth::OAuth2(raw) => {
                Auth::OAuth2(self.oauth2(raw, auth.span().start, &format!("{key}.oauth2"))?)
            }
        })
    }

    fn toml_to_json(
        &self,
        value: &toml::Value,
        key: &str,
        span_start: usize,
    ) -> Result<serde_json::Value, IdentityFileError> {
        use serde_json::Value as J;
        Ok(match value {
            toml::Value::String(s) => {
                let spanned = Spanned::new(span_start..span_start, s.clone());
                J::String(self.subst(&spanned, key)?)
            }
            toml::Value::Integer(i) => J::from(*i),
            toml::Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            toml::Value::Boolean(b) => J::Bool(*b),
            toml::Value::Datetime(d) => J::String(d.to_string()),
            toml::Value::Array(items) => J::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.toml_to_json(v, &format!("{key}[{i}]"), span_start))
                    .collect::<Result<_, _>>()?,
            ),
            toml::Value::Table(table) => J::Object(
                table
                    .iter()
                    .map(|(k, v)| {
                        Ok((
                            k.clone(),
                            self.toml_to_json(v, &format!("{key}.{k}"), span_start)?,
                        ))
                    })
                    .collect::<Result<_, IdentityFileError>>()?,
            ),
        })
    }

    fn patterns(
        &self,
        patterns: Vec<Spanned<String>>,
        key: &str,
    ) -> Result<Vec<String>, IdentityFileError> {
        let mut out = Vec::with_capacity(patterns.len());
        for (i, pattern) in patterns.into_iter().enumerate() {
            let p = pattern.get_ref().trim();
            let ok = match p.split_once(':') {
                Some(("tag" | "path" | "operationId", rest)) => !rest.is_empty(),
                _ => split_operation(p).is_some(),
            };
            if !ok {
                return self.invalid(
                    pattern.span().start,
                    format!("{key}[{i}]"),
                    format!("`{p}` is not a pattern: use \"tag:NAME\", \"path:/glob/**\", \"operationId:NAME\" or \"METHOD /path\""),
                );
            }
            out.push(p.to_string());
        }
        Ok(out)
    }

    /// `policy.exclude_operations`: each a selection pattern
    /// ([`trespass_generators::sequence::parse_pattern`]).
    fn selection_patterns(
        &self,
        patterns: Vec<Spanned<String>>,
    ) -> Result<Vec<String>, IdentityFileError> {
        let mut out = Vec::with_capacity(patterns.len());
        for (i, pattern) in patterns.into_iter().enumerate() {
            let p = pattern.get_ref().trim();
            if let Err(e) = trespass_generators::sequence::parse_pattern(p) {
                let key = format!("policy.exclude_operations[{i}]");
                return self.invalid(
                    pattern.span().start,
                    key,
                    format!("{e}, or a path glob like \"/admin/*\""),
                );
            }
            out.push(p.to_string());
        }
        Ok(out)
    }

    fn convert_reset(&self, spanned: &Spanned<RawResetValue>) -> Result<Reset, IdentityFileError> {
        match spanned.get_ref() {
            RawResetValue::Request(text) => match split_operation(text) {
                Some((method, path)) => Ok(Reset::Request { method, path }),
                None => self.invalid(
                    spanned.span().start,
                    "target.reset".to_string(),
                    format!("`{text}` is neither \"METHOD /path\" nor {{ command = \"...\" }}"),
                ),
            },
            RawResetValue::Command(command) if command.trim().is_empty() => self.invalid(
                spanned.span().start,
                "target.reset.command".to_string(),
                "the command is empty",
            ),
            RawResetValue::Command(command) => Ok(Reset::Command(command.clone())),
        }
    }
}

/// `"POST /auth/login"` -> `("POST", "/auth/login")`.
pub(crate) fn split_operation(text: &str) -> Option<(String, String)> {
    let (method, path) = text.trim().split_once(char::is_whitespace)?;
    let path = path.trim();
    let valid_method = !method.is_empty() && method.chars().all(|c| c.is_ascii_alphabetic());
    (valid_method && path.starts_with('/')).then(|| (method.to_ascii_uppercase(), path.to_string()))
}

enum SubstError {
    Missing(String),
    Unterminated,
}

/// Replaces `${VAR}` with the variable's value; `$${` stands for a literal `${`.
fn substitute(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, SubstError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(stripped) = after.strip_prefix("${") {
            out.push_str("${");
            rest = stripped;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').ok_or(SubstError::Unterminated)?;
            let var = &inner[..end];
            out.push_str(&env(var).ok_or_else(|| SubstError::Missing(var.to_string()))?);
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

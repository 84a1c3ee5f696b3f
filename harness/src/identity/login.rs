//! Signing in at run time: the login request in the body encoding of the flow, the OAuth2
//! token request, and what their answers give: the token, the cookies, a CSRF token, a refresh
//! token, and how long it all lasts.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{ClientAuth, Encoding, Grant, LoginFlow, OAuth2Flow, Secret, TokenSource};
use crate::http::{Body, Request, Response, ResponseBody};

/// What one identity signed in with, in one worker's sessions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Credential {
    /// The token sent in the flow's header (none for a cookie-only session).
    pub(crate) token: Option<Secret>,
    /// The cookies the login set, sent back on every request.
    pub(crate) cookies: Vec<(String, Secret)>,
    /// The CSRF token echoed on unsafe methods.
    pub(crate) csrf: Option<Secret>,
    /// An OAuth2 refresh token.
    pub(crate) refresh: Option<Secret>,
    /// When to sign in again, before the token expires (known lifetime only).
    pub(crate) renew_at: Option<Instant>,
    /// When the token expires (known lifetime only).
    pub(crate) expires_at: Option<Instant>,
}

impl Credential {
    /// This credential, signed in for now, lasting `lifetime` when it is known.
    fn lasting(self, lifetime: Option<Duration>) -> Self {
        Self {
            renew_at: lifetime.map(renew_at),
            expires_at: lifetime.map(|l| Instant::now() + l),
            ..self
        }
    }

    /// Whether the token is about to expire.
    pub(crate) fn due(&self) -> bool {
        self.renew_at.is_some_and(|at| Instant::now() >= at)
    }

    /// Whether the token has expired (never, when its lifetime is unknown).
    pub(crate) fn expired(&self) -> bool {
        self.expires_at.is_some_and(|at| Instant::now() >= at)
    }

    /// Every secret value it holds, with its kind, for redaction.
    pub(crate) fn secrets(&self) -> Vec<(&str, crate::redact::SecretKind)> {
        use crate::redact::SecretKind;
        let mut out = Vec::new();
        out.extend(
            self.token
                .iter()
                .map(|t| (t.expose().as_str(), SecretKind::Token)),
        );
        out.extend(
            self.cookies
                .iter()
                .map(|(_, v)| (v.expose().as_str(), SecretKind::Cookie)),
        );
        out.extend(
            self.csrf
                .iter()
                .map(|t| (t.expose().as_str(), SecretKind::Token)),
        );
        out.extend(
            self.refresh
                .iter()
                .map(|t| (t.expose().as_str(), SecretKind::Token)),
        );
        out
    }
}

/// The instant to renew a credential obtained now that lasts `lifetime`: a fifth of the
/// lifetime (at most a minute) before it ends.
pub(crate) fn renew_at(lifetime: Duration) -> Instant {
    let margin = (lifetime / 5).min(Duration::from_secs(60));
    Instant::now() + lifetime.saturating_sub(margin)
}

/// Whether `method` changes state (a CSRF token is echoed on these).
pub(crate) fn unsafe_method(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// The request that logs in through `flow`.
pub(crate) fn login_request(flow: &LoginFlow) -> Request {
    let body = encode(flow.body.expose(), flow.encoding.unwrap_or(Encoding::Json));
    Request {
        body: Some(body),
        ..Request::new(flow.method.clone(), flow.path.clone())
    }
}

/// A scalar as form text; anything else as its JSON text.
fn form_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `body` encoded as `encoding` (a form of a body that is no object is empty).
pub(crate) fn encode(body: &Value, encoding: Encoding) -> Body {
    let pairs: Vec<(String, String)> = body
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), form_value(v)))
                .collect()
        })
        .unwrap_or_default();
    match encoding {
        Encoding::Json => Body::Json(body.clone()),
        Encoding::Form => Body::Form(pairs),
        Encoding::Multipart => {
            // A boundary that no value holds.
            let mut boundary = "trespass-boundary".to_string();
            while pairs
                .iter()
                .any(|(k, v)| k.contains(&boundary) || v.contains(&boundary))
            {
                boundary.push('x');
            }
            let mut text = String::new();
            for (name, value) in &pairs {
                let name = name.replace('"', "%22");
                text.push_str(&format!(
                    "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                ));
            }
            text.push_str(&format!("--{boundary}--\r\n"));
            Body::Text {
                content_type: format!("multipart/form-data; boundary={boundary}"),
                text,
            }
        }
    }
}

/// Name-value pairs (a form, headers).
type Pairs = Vec<(String, String)>;

/// The form of an OAuth2 token request (RFC 6749 sections 4.3, 4.4, 6) and its extra headers:
/// the grant of `flow`, or the refresh with `refresh`.
pub(crate) fn grant_form(flow: &OAuth2Flow, refresh: Option<&Secret>) -> (Pairs, Pairs) {
    let mut form: Vec<(String, String)> = Vec::new();
    let mut pair = |k: &str, v: &str| form.push((k.to_string(), v.to_string()));
    match (refresh, &flow.grant) {
        (Some(token), _) => {
            pair("grant_type", "refresh_token");
            pair("refresh_token", token.expose());
        }
        (None, Grant::Password { username, password }) => {
            pair("grant_type", "password");
            pair("username", username);
            pair("password", password.expose());
        }
        (None, Grant::ClientCredentials) => pair("grant_type", "client_credentials"),
    }
    if !flow.scopes.is_empty() {
        pair("scope", &flow.scopes.join(" "));
    }
    let mut headers = Vec::new();
    match flow.client_auth {
        ClientAuth::Body => {
            if let Some(id) = &flow.client_id {
                pair("client_id", id);
            }
            if let Some(secret) = &flow.client_secret {
                pair("client_secret", secret.expose());
            }
        }
        ClientAuth::Basic => {
            let id = flow.client_id.as_deref().unwrap_or("");
            let secret = flow
                .client_secret
                .as_ref()
                .map_or("", |s| s.expose().as_str());
            headers.push((
                "authorization".to_string(),
                super::session::basic(id, secret),
            ));
        }
    }
    (form, headers)
}

/// Where a token request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenUrl {
    /// A path under the base URL.
    Path(String),
    /// An absolute URL.
    Absolute(url::Url),
}

/// Where `flow`'s token requests go, on a target at `base`: the file's token URL wherever it
/// points, the spec's only on the target's own host (credentials never leave it unless the
/// identities file says so).
pub(crate) fn token_url(flow: &OAuth2Flow, base: &url::Url) -> Result<TokenUrl, String> {
    let Some((url, explicit)) = flow.chosen_token_url() else {
        return Err(format!(
            "no token URL ({}: name one with token_url, or declare an OAuth2 scheme with a `{}` flow in the spec)",
            flow.origin,
            flow.spec_flow()
        ));
    };
    if let Some(path) = flow.token_path() {
        return Ok(TokenUrl::Path(path));
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("token URL `{url}`: {e}"))?;
    if !explicit && parsed.origin() != base.origin() {
        return Err(format!(
            "the spec's tokenUrl `{url}` is on another host than the target: trespass sends \
             credentials there only when the identities file names it (token_url = \"{url}\" \
             at {})",
            flow.origin
        ));
    }
    Ok(TokenUrl::Absolute(parsed))
}

/// The cookies `response` sets and keeps (not those it deletes), with their `Max-Age`.
pub(crate) fn set_cookies(response: &Response) -> Vec<(String, String, Option<Duration>)> {
    let mut out = Vec::new();
    for (name, value) in &response.headers {
        if !name.eq_ignore_ascii_case("set-cookie") {
            continue;
        }
        let mut parts = value.split(';');
        let Some((key, val)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            continue;
        };
        let max_age = parts
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("max-age"))
            .and_then(|(_, v)| v.trim().parse::<i64>().ok());
        if max_age.is_some_and(|age| age <= 0) || val.is_empty() {
            continue;
        }
        let lifetime = max_age.map(|age| Duration::from_secs(age.unsigned_abs()));
        out.push((key.trim().to_string(), val.trim().to_string(), lifetime));
    }
    out
}

/// The value at `source` in `response`, if it is there.
pub(crate) fn read_source(response: &Response, source: &TokenSource) -> Option<String> {
    let value = match source {
        TokenSource::Body(pointer) => match &response.body {
            ResponseBody::Json(body) => body.pointer(pointer).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
            ResponseBody::Text(text) if pointer.is_empty() => Some(text.trim().to_string()),
            _ => None,
        },
        TokenSource::Header(name) => response.header(name).map(|v| {
            let v = v.trim();
            match v.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
                _ => v,
            }
            .to_string()
        }),
        TokenSource::Cookie(name) => set_cookies(response)
            .into_iter()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, _)| v),
    };
    value.filter(|v| !v.is_empty())
}

/// `expires_in` (or `expiresIn`) of a JSON answer, in seconds.
pub(crate) fn expires_in(response: &Response) -> Option<Duration> {
    let ResponseBody::Json(body) = &response.body else {
        return None;
    };
    let value = body.get("expires_in").or_else(|| body.get("expiresIn"))?;
    let secs = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs))
}

/// How long a JWT lasts from now, by the `exp` of its payload (decoded, not verified: trespass
/// only needs to know when to sign in again). `None` for a token that is no JWT, has no `exp`,
/// or has expired already.
pub(crate) fn jwt_lifetime(token: &str) -> Option<Duration> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    (exp > now).then(|| Duration::from_secs_f64(exp - now))
}

/// The credential a login through `flow` answered with `response` gives, or what is missing
/// (the caller adds the redacted answer).
pub(crate) fn read_login(flow: &LoginFlow, response: &Response) -> Result<Credential, String> {
    let cookies = set_cookies(response);
    let token = read_source(response, &flow.token)
        .ok_or_else(|| format!("found no token in {} (token, {})", flow.token, flow.origin))?;
    let csrf = match &flow.csrf {
        None => None,
        Some(csrf) => Some(read_source(response, &csrf.from).ok_or_else(|| {
            format!(
                "found no CSRF token in {} (csrf, {})",
                csrf.from, flow.origin
            )
        })?),
    };
    let cookie_lifetime = match &flow.token {
        TokenSource::Cookie(name) => cookies
            .iter()
            .find(|(k, _, _)| k == name)
            .and_then(|(_, _, age)| *age),
        _ => None,
    };
    let lifetime = expires_in(response)
        .or_else(|| jwt_lifetime(&token))
        .or(cookie_lifetime);
    // A token read from a cookie travels in the cookie jar, unless a header carries it.
    let in_header = !(flow.header.is_empty() && matches!(flow.token, TokenSource::Cookie(_)));
    Ok(Credential {
        token: in_header.then(|| Secret::new(token)),
        cookies: cookies
            .into_iter()
            .map(|(k, v, _)| (k, Secret::new(v)))
            .collect(),
        csrf: csrf.map(Secret::new),
        refresh: None,
        ..Credential::default()
    }
    .lasting(lifetime))
}

/// The credential an OAuth2 token endpoint's `response` gives (RFC 6749 section 5.1).
pub(crate) fn read_grant(flow: &OAuth2Flow, response: &Response) -> Result<Credential, String> {
    let source = TokenSource::Body("/access_token".to_string());
    let token = read_source(response, &source)
        .ok_or_else(|| format!("found no access_token in the answer ({})", flow.origin))?;
    let refresh = read_source(response, &TokenSource::Body("/refresh_token".to_string()));
    let lifetime = expires_in(response).or_else(|| jwt_lifetime(&token));
    Ok(Credential {
        token: Some(Secret::new(token)),
        cookies: Vec::new(),
        csrf: None,
        refresh: refresh.map(Secret::new),
        ..Credential::default()
    }
    .lasting(lifetime))
}

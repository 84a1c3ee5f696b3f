//! Sessions: sending requests as an identity, with its credentials.

use std::collections::{HashMap, HashSet};

use tokio::sync::Mutex;

use trespass_generators::model::{
    ApiModel, Method, Operation, OperationId, ParameterLocation, SecurityScheme,
};

use super::login::{self, Credential, TokenUrl};
use super::{ApiKeyLocation, Auth, Identity, IdentityFile, Role, Secret, TokenSource};
use crate::http::{AuthMode, Body, Exchange, HttpClient, Received, Request};
use crate::redact::{Redactor, SecretKind};

/// Why a session could not act (a reason to reject the sequence, not a finding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// No identity of that name in the identities file.
    #[error("no identity called `{0}` in the identities file")]
    UnknownIdentity(String),
    /// The target refused an identity's credentials (401) on an operation they should pass.
    #[error(
        "the credentials of `{identity}` are refused: {operation} answered 401{answer} (check \
         the identities file: a wrong or expired token, password or key)"
    )]
    Refused {
        /// The identity.
        identity: String,
        /// `GET /account`.
        operation: String,
        /// `: ` and the start of the target's answer (redacted), or nothing.
        answer: String,
    },
    /// The login operation did not give a token.
    #[error("login as `{identity}` through {operation} failed: {reason}")]
    Login {
        /// The identity.
        identity: String,
        /// `POST /auth/login`.
        operation: String,
        /// What went wrong (redacted).
        reason: String,
    },
}

/// Made-up credentials for [`AuthMode::Invalid`]: the right shape, unknown to any target.
pub(crate) const INVALID_TOKEN: &str = "trespass-invalid-token-0000000000";

/// The identities of a run, each able to send requests with its own credentials.
///
/// A session is judged by what it passed: a `401` is an authorization refusal (a verdict)
/// unless a request that passed before with the same credentials, sent again, answers `401`
/// too: then they are invalid, and a login identity logs in again (at most once per request),
/// other credentials are *lost*. A login that fails for an identity that logged in before is lost
/// too. [`Sessions::take_lost`] tells the campaign, which heals it (reset, log in, run again).
#[derive(Debug)]
pub struct Sessions {
    client: HttpClient,
    identities: Vec<Identity>,
    tokens: Mutex<HashMap<String, Credential>>,
    redactor: Redactor,
    standing: std::sync::Mutex<HashMap<String, Standing>>,
    lost: std::sync::Mutex<Option<LostIdentity>>,
}

/// What one identity's credentials passed in these sessions.
#[derive(Debug, Default)]
struct Standing {
    /// Operations that answered 2xx to its own credentials.
    passed: HashSet<OperationId>,
    /// The last `GET` that answered 2xx to its own credentials: sent again to tell a refusal
    /// from invalid credentials.
    last_get: Option<Request>,
    /// It logged in through its login flow at least once.
    logged_in: bool,
    /// How many times it logged in (or was granted a token).
    logins: u32,
}

/// An identity whose session failed where it had worked: its login fails although it logged
/// in before, or its credentials are refused where they passed before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostIdentity {
    /// The identity.
    pub identity: String,
    /// What showed it (redacted).
    pub how: String,
}

impl Sessions {
    /// Sessions for every identity of `file`; its secrets are registered with `redactor`.
    pub fn new(client: HttpClient, file: &IdentityFile, redactor: Redactor) -> Self {
        file.register_secrets(&redactor);
        Self {
            client,
            identities: file.identities.clone(),
            tokens: Mutex::new(HashMap::new()),
            redactor,
            standing: std::sync::Mutex::new(HashMap::new()),
            lost: std::sync::Mutex::new(None),
        }
    }

    /// Makes `identity`'s credential due for renewal now, expiring in `expires_in`.
    #[cfg(test)]
    pub(crate) async fn make_due(&self, identity: &str, expires_in: std::time::Duration) {
        let now = std::time::Instant::now();
        let mut tokens = self.tokens.lock().await;
        let credential = tokens.get_mut(identity).expect("signed in");
        credential.renew_at = Some(now);
        credential.expires_at = Some(now + expires_in);
    }

    /// The first identity lost since the last call (see [`LostIdentity`]), clearing it.
    pub fn take_lost(&self) -> Option<LostIdentity> {
        self.lost.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn lose(&self, identity: &str, how: String) {
        let how = self.redactor.text(&how);
        tracing::debug!("identity `{identity}` is lost: {how}");
        let mut lost = self.lost.lock().unwrap_or_else(|e| e.into_inner());
        lost.get_or_insert(LostIdentity {
            identity: identity.to_string(),
            how,
        });
    }

    fn standing<T>(&self, identity: &str, f: impl FnOnce(&mut Standing) -> T) -> T {
        let mut all = self.standing.lock().unwrap_or_else(|e| e.into_inner());
        f(all.entry(identity.to_string()).or_default())
    }

    /// How many times each identity that signs in did so in these sessions (logins, OAuth2
    /// grants and refreshes), in file order.
    pub fn logins(&self) -> Vec<(String, u32)> {
        self.identities
            .iter()
            .filter(|i| signs_in(&i.auth))
            .map(|i| (i.name.clone(), self.standing(&i.name, |s| s.logins)))
            .collect()
    }

    /// The identities, in file order.
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// The redactor every secret of these sessions is registered with.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The HTTP client.
    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    /// Sends through a client with a connection pool of its own from now on (see
    /// [`HttpClient::with_fresh_pool`]); tokens, standing and secrets stay.
    pub fn use_fresh_pool(&mut self) -> Result<(), crate::errors::ExecError> {
        self.client = self.client.with_fresh_pool()?;
        Ok(())
    }

    /// Logs in every identity that logs in through the API, before the first case: a wrong
    /// password or a login operation the target does not have is an error naming the identity
    /// and the target's (redacted) answer, not a run of sequences that all stop early.
    pub async fn log_in_all(&self) -> Result<(), SessionError> {
        for identity in &self.identities {
            if signs_in(&identity.auth) {
                self.credential(identity, true).await?;
            }
        }
        Ok(())
    }

    /// Sends each identity with credentials to operations that need authentication and take
    /// no parameters (`GET`s whose declared security the identity's kind of credential fits,
    /// not admin-only unless the identity is an admin, and allowed to its role by `may_call`),
    /// before the first case. When every probe (up to [`PROBES`]) answers 401 the credentials
    /// are wrong: an error naming the identity, not a run in which every request of that
    /// identity fails. An identity for which the spec has no such operation is not probed; a
    /// transport failure or any other status clears it (the run judges what it means).
    pub async fn probe_credentials(
        &self,
        model: &ApiModel,
        may_call: impl Fn(Role, &OperationId) -> bool,
    ) -> Result<(), SessionError> {
        for identity in &self.identities {
            let fits = |op: &Operation| {
                (identity.role == Role::Admin || !model.is_admin(&op.id))
                    && may_call(identity.role, &op.id)
            };
            let probes = probe_operations(model, &identity.auth, fits);
            if probes.is_empty() {
                if !matches!(identity.auth, Auth::None) {
                    tracing::debug!(
                        "no parameterless GET fits the credentials of `{}`; not probed",
                        identity.name
                    );
                }
                continue;
            }
            let (headers, query) = self
                .credentials(identity, AuthMode::Normal, false, "GET")
                .await?;
            let mut first_refusal = None;
            let mut refused = 0;
            for op in &probes {
                let request = Request::new(op.method.as_str(), op.path.clone());
                let (outcome, _) = self.client.send(&request, &headers, &query).await;
                match outcome {
                    Received::Response(response) if response.status == 401 => {
                        refused += 1;
                        first_refusal.get_or_insert((op.id.to_string(), response));
                    }
                    _ => break,
                }
            }
            if refused == probes.len()
                && let Some((operation, response)) = first_refusal
            {
                return Err(SessionError::Refused {
                    identity: identity.name.clone(),
                    operation,
                    answer: self.redactor.text(&answer_excerpt(&response)),
                });
            }
        }
        Ok(())
    }

    /// Forgets every token obtained by logging in (the next request logs in again).
    pub async fn forget_tokens(&self) {
        self.tokens.lock().await.clear();
    }

    /// Sends `request` (of operation `op`) as `identity` authenticating per `mode`. A `401`
    /// to the identity's own credentials is checked by sending the identity's last passed
    /// `GET` again: when that answers `401` too, a login identity logs in again and the
    /// request is retried once; other credentials are lost. Otherwise the `401` stands: a
    /// refusal, for the oracles to judge.
    pub async fn send(
        &self,
        identity: &str,
        mode: AuthMode,
        op: &OperationId,
        request: &Request,
    ) -> Result<Exchange, SessionError> {
        let who = self
            .identities
            .iter()
            .find(|i| i.name == identity)
            .ok_or_else(|| SessionError::UnknownIdentity(identity.to_string()))?;
        let method = request.method.as_str();
        let (headers, query) = self.credentials(who, mode, false, method).await?;
        let (mut outcome, mut elapsed) = self.client.send(request, &headers, &query).await;
        let own = mode == AuthMode::Normal && !matches!(who.auth, Auth::None);
        let login = signs_in(&who.auth);
        // A refusal of the identity's own credentials: are they still good where they passed?
        // Without a request to check with, a login identity logs in again where the operation
        // passed before (a fresh token that is refused too is a refusal).
        let dead = own
            && outcome.status() == Some(401)
            && match self.credentials_dead(identity, &headers, &query).await {
                Some(dead) => dead,
                None => login && self.standing(identity, |s| s.passed.contains(op)),
            };
        if dead {
            if login {
                tracing::debug!(
                    "{identity}: {op} answered 401, and so does a request that passed with \
                     this token: logging in again"
                );
                let (headers, query) = self.credentials(who, mode, true, method).await?;
                (outcome, elapsed) = self.client.send(request, &headers, &query).await;
            } else {
                self.lose(
                    identity,
                    format!(
                        "{op} answered 401, and so does a request that passed with the same \
                         credentials"
                    ),
                );
            }
        }
        if own && outcome.response().is_some_and(|r| r.is_success()) {
            self.standing(identity, |s| {
                s.passed.insert(op.clone());
                if request.method == "GET" {
                    s.last_get = Some(request.clone());
                }
            });
        }
        Ok(Exchange {
            identity: identity.to_string(),
            auth: mode,
            request: request.clone(),
            outcome,
            elapsed,
        })
    }

    /// Whether `identity`'s credentials (`headers`, `query`) are refused where they passed:
    /// its last passed `GET`, sent again with them, answers `401`; `None` when it has no
    /// passed `GET` to send.
    async fn credentials_dead(
        &self,
        identity: &str,
        headers: &[(String, String)],
        query: &[(String, String)],
    ) -> Option<bool> {
        let check = self.standing(identity, |s| s.last_get.clone())?;
        let (outcome, _) = self.client.send(&check, headers, query).await;
        Some(outcome.status() == Some(401))
    }

    /// The headers and query parameters that carry `identity`'s credentials in `mode`, on a
    /// request of `method` (a CSRF token goes on unsafe ones).
    async fn credentials(
        &self,
        identity: &Identity,
        mode: AuthMode,
        fresh_login: bool,
        method: &str,
    ) -> Result<(Vec<(String, String)>, Vec<(String, String)>), SessionError> {
        let mut headers = Vec::new();
        let mut query = Vec::new();
        if mode == AuthMode::None {
            return Ok((headers, query));
        }
        let invalid = mode == AuthMode::Invalid;
        match &identity.auth {
            // The anonymous identity has nothing to send, valid or not.
            Auth::None => {}
            Auth::Bearer(token) => {
                let token = if invalid {
                    INVALID_TOKEN
                } else {
                    token.expose()
                };
                headers.push(("authorization".into(), format!("Bearer {token}")));
            }
            Auth::Basic { username, password } => {
                let password = if invalid {
                    INVALID_TOKEN
                } else {
                    password.expose()
                };
                headers.push(("authorization".into(), basic(username, password)));
            }
            Auth::ApiKey {
                location,
                name,
                value,
            } => {
                let value = if invalid {
                    INVALID_TOKEN
                } else {
                    value.expose()
                };
                match location {
                    ApiKeyLocation::Header => headers.push((name.clone(), value.to_string())),
                    ApiKeyLocation::Query => query.push((name.clone(), value.to_string())),
                    ApiKeyLocation::Cookie => {
                        headers.push(("cookie".into(), format!("{name}={value}")))
                    }
                }
            }
            Auth::Login(_) | Auth::OAuth2(_) if invalid => {
                // Made-up credentials of the right shape: the token's header, or its cookie.
                match &identity.auth {
                    Auth::Login(flow) if flow.header.is_empty() => {
                        if let TokenSource::Cookie(name) = &flow.token {
                            headers.push(("cookie".into(), format!("{name}={INVALID_TOKEN}")));
                        }
                    }
                    Auth::Login(flow) => headers.push((
                        flow.header.clone(),
                        format!("{}{INVALID_TOKEN}", flow.prefix),
                    )),
                    _ => headers.push(("authorization".into(), format!("Bearer {INVALID_TOKEN}"))),
                }
            }
            Auth::Login(_) | Auth::OAuth2(_) => {
                let credential = self.credential(identity, fresh_login).await?;
                let (header, prefix) = match &identity.auth {
                    Auth::Login(flow) => (flow.header.as_str(), flow.prefix.as_str()),
                    _ => ("authorization", "Bearer "),
                };
                if let Some(token) = &credential.token
                    && !header.is_empty()
                {
                    headers.push((header.to_string(), format!("{prefix}{}", token.expose())));
                }
                if !credential.cookies.is_empty() {
                    let jar: Vec<String> = credential
                        .cookies
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.expose()))
                        .collect();
                    headers.push(("cookie".into(), jar.join("; ")));
                }
                if let (Auth::Login(flow), Some(csrf)) = (&identity.auth, &credential.csrf)
                    && let Some(config) = &flow.csrf
                    && login::unsafe_method(method)
                {
                    headers.push((config.header.clone(), csrf.expose().clone()));
                }
            }
        }
        Ok((headers, query))
    }

    /// `identity`'s credential: the one it signed in with, or a new one when `fresh` is set,
    /// when it has none yet, or when it is about to expire (refreshed with the refresh token
    /// when there is one).
    async fn credential(
        &self,
        identity: &Identity,
        fresh: bool,
    ) -> Result<Credential, SessionError> {
        let mut tokens = self.tokens.lock().await;
        let cached = tokens.get(&identity.name);
        if !fresh && let Some(credential) = cached.filter(|c| !c.due()) {
            return Ok(credential.clone());
        }
        let renewal = !fresh && cached.is_some_and(Credential::due);
        let refresh = cached.filter(|_| renewal).and_then(|c| c.refresh.clone());
        let mut signed = self.sign_in(identity, refresh.as_ref()).await;
        if refresh.is_some() && signed.is_err() {
            // The refresh token was refused: the full grant again.
            signed = self.sign_in(identity, None).await;
        }
        let credential = match signed {
            Ok(credential) => credential,
            Err(e) => {
                // A renewal refused while the token still lasts: the sequence's own steps may
                // have changed the account (deleted it, renamed it). The token goes on as it
                // would have a moment earlier, before the renewal was due, so that what a
                // sequence shows does not hang on when renewals fall; the server judges it. It
                // is not renewed again before it expires.
                if renewal
                    && let Some(kept) = tokens.get_mut(&identity.name).filter(|c| !c.expired())
                {
                    kept.renew_at = kept.expires_at;
                    tracing::debug!(
                        "`{}` could not sign in again before its token expires ({}); the token \
                         goes on until it does",
                        identity.name,
                        self.redactor.text(&e.to_string())
                    );
                    return Ok(kept.clone());
                }
                if self.standing(&identity.name, |s| s.logged_in) {
                    self.lose(&identity.name, e.to_string());
                }
                return Err(e);
            }
        };
        for (value, kind) in credential.secrets() {
            if !self.redactor.add(value, kind) {
                tracing::warn!(
                    "a credential of `{}` is too short to be redacted by value",
                    identity.name
                );
            }
        }
        let count = self.standing(&identity.name, |s| {
            s.logged_in = true;
            s.logins += 1;
            s.logins
        });
        let why = match (fresh, renewal) {
            (true, _) => "a fresh session was asked for",
            (false, true) => "renewed before it expires",
            (false, false) => "no session yet, or forgotten after a reset",
        };
        tracing::debug!("`{}` signed in ({why}; sign-in {count})", identity.name);
        tokens.insert(identity.name.clone(), credential.clone());
        Ok(credential)
    }

    /// Signs `identity` in: its login operation, or its OAuth2 grant (a refresh with
    /// `refresh`).
    async fn sign_in(
        &self,
        identity: &Identity,
        refresh: Option<&Secret>,
    ) -> Result<Credential, SessionError> {
        let (operation, request, headers, target) = match &identity.auth {
            Auth::Login(flow) => (
                flow.operation(),
                login::login_request(flow),
                Vec::new(),
                None,
            ),
            Auth::OAuth2(flow) => {
                let fail = |reason: String| SessionError::Login {
                    identity: identity.name.clone(),
                    operation: format!("the OAuth2 {} grant", flow.grant_name()),
                    reason: self.redactor.text(&reason),
                };
                let target =
                    login::token_url(flow, &self.client.config().base_url).map_err(fail)?;
                let (form, headers) = login::grant_form(flow, refresh);
                let path = match &target {
                    TokenUrl::Path(path) => path.clone(),
                    TokenUrl::Absolute(url) => url.path().to_string(),
                };
                let request = Request {
                    body: Some(Body::Form(form)),
                    ..Request::new("POST", path.clone())
                };
                let grant = if refresh.is_some() {
                    "refresh_token"
                } else {
                    flow.grant_name()
                };
                (
                    format!("POST {path} ({grant} grant)"),
                    request,
                    headers,
                    Some(target),
                )
            }
            _ => unreachable!("only identities that sign in are signed in"),
        };
        let fail = |reason: String| SessionError::Login {
            identity: identity.name.clone(),
            operation: operation.clone(),
            reason: self.redactor.text(&reason),
        };
        let outcome = match target {
            Some(TokenUrl::Absolute(url)) => self.client.send_to(&url, &request, &headers).await,
            _ => self.client.send(&request, &headers, &[]).await.0,
        };
        let response = match outcome {
            Received::Response(r) => r,
            Received::Error { message, .. } => return Err(fail(message)),
        };
        if !response.is_success() {
            return Err(fail(format!(
                "the target answered {}{}",
                response.status,
                self.redacted_excerpt(&response)
            )));
        }
        let read = match &identity.auth {
            Auth::Login(flow) => login::read_login(flow, &response),
            Auth::OAuth2(flow) => login::read_grant(flow, &response),
            _ => unreachable!("only identities that sign in are signed in"),
        };
        read.map_err(|e| {
            fail(format!(
                "{e}; the answer was {}{}",
                response.status,
                self.redacted_excerpt(&response)
            ))
        })
    }

    /// The start of `response`'s body with every secret-named field and known secret redacted.
    fn redacted_excerpt(&self, response: &crate::http::Response) -> String {
        let mut shown = response.clone();
        if let crate::http::ResponseBody::Json(body) = &response.body {
            shown.body = crate::http::ResponseBody::Json(self.redactor.json(body));
        }
        self.redactor.text(&answer_excerpt(&shown))
    }
}

/// Whether `auth` signs in through the API (a login operation, an OAuth2 grant).
fn signs_in(auth: &Auth) -> bool {
    matches!(auth, Auth::Login(_) | Auth::OAuth2(_))
}

impl IdentityFile {
    /// Registers every credential of the file with `redactor` (tokens, passwords, API keys, and
    /// the secret fields of login bodies), as the sessions of a run do.
    pub fn register_secrets(&self, redactor: &Redactor) {
        for identity in &self.identities {
            register_static_secrets(&identity.auth, redactor);
        }
    }
}

fn register_static_secrets(auth: &Auth, redactor: &Redactor) {
    let add = |value: &str, kind: SecretKind| {
        if !value.is_empty() && !redactor.add(value, kind) {
            tracing::warn!("a credential of fewer than 4 characters cannot be redacted by value");
        }
    };
    match auth {
        Auth::None => {}
        Auth::Bearer(token) => add(token.expose(), SecretKind::Token),
        Auth::Basic { password, .. } => add(password.expose(), SecretKind::Password),
        Auth::ApiKey { value, .. } => add(value.expose(), SecretKind::Other),
        Auth::Login(flow) => {
            let mut leaves = Vec::new();
            super::file::collect_secret_leaves(flow.body.expose(), false, &mut leaves);
            for leaf in leaves {
                add(&leaf, SecretKind::Password);
            }
        }
        Auth::OAuth2(flow) => {
            if let super::Grant::Password { password, .. } = &flow.grant {
                add(password.expose(), SecretKind::Password);
            }
            if let Some(secret) = &flow.client_secret {
                add(secret.expose(), SecretKind::Other);
            }
        }
    }
}

pub(super) fn basic(username: &str, password: &str) -> String {
    use base64::Engine;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// `: {"error":"bad credentials"}`: the start of an answer's body, for login errors (the caller
/// redacts it); empty when the body is empty.
/// Operations that probe `auth`, at most [`PROBES`], in model order: `allowed` `GET`s without
/// path parameters or required parameters, one of whose security alternatives the credential
/// fits.
fn probe_operations<'m>(
    model: &'m ApiModel,
    auth: &Auth,
    allowed: impl Fn(&Operation) -> bool,
) -> Vec<&'m Operation> {
    if matches!(auth, Auth::None) {
        return Vec::new();
    }
    model
        .operations
        .iter()
        .filter(|op| {
            op.method == Method::Get
                && allowed(op)
                && !op.path.contains('{')
                && op
                    .parameters
                    .iter()
                    .all(|p| !p.required && p.location != ParameterLocation::Path)
                && op.effective_security.iter().any(|requirement| {
                    !requirement.is_empty()
                        && requirement.schemes().all(|(name, _)| {
                            model
                                .security_schemes
                                .get(name)
                                .is_some_and(|scheme| fits(auth, scheme))
                        })
                })
        })
        .take(PROBES)
        .collect()
}

/// The most operations one identity's credentials are probed on before the first case.
pub const PROBES: usize = 3;

/// Whether a credential of `auth`'s kind satisfies `scheme`.
fn fits(auth: &Auth, scheme: &SecurityScheme) -> bool {
    match (auth, scheme) {
        (Auth::Bearer(_) | Auth::Login(_), SecurityScheme::Http { scheme, .. }) => {
            scheme.eq_ignore_ascii_case("bearer")
        }
        (
            Auth::Bearer(_) | Auth::Login(_) | Auth::OAuth2(_),
            SecurityScheme::OAuth2 { .. } | SecurityScheme::OpenIdConnect { .. },
        ) => true,
        (Auth::OAuth2(_), SecurityScheme::Http { scheme, .. }) => {
            scheme.eq_ignore_ascii_case("bearer")
        }
        // A login whose token is a cookie or a header of the scheme's name.
        (
            Auth::Login(flow),
            SecurityScheme::ApiKey {
                name,
                location: ParameterLocation::Cookie,
            },
        ) => matches!(&flow.token, TokenSource::Cookie(c) if c == name),
        (
            Auth::Login(flow),
            SecurityScheme::ApiKey {
                name,
                location: ParameterLocation::Header,
            },
        ) => flow.header.eq_ignore_ascii_case(name),
        (Auth::Basic { .. }, SecurityScheme::Http { scheme, .. }) => {
            scheme.eq_ignore_ascii_case("basic")
        }
        (
            Auth::ApiKey { location, name, .. },
            SecurityScheme::ApiKey {
                name: declared,
                location: declared_location,
            },
        ) => {
            let same_place = matches!(
                (location, declared_location),
                (ApiKeyLocation::Header, ParameterLocation::Header)
                    | (ApiKeyLocation::Query, ParameterLocation::Query)
                    | (ApiKeyLocation::Cookie, ParameterLocation::Cookie)
            );
            same_place
                && if *location == ApiKeyLocation::Header {
                    name.eq_ignore_ascii_case(declared)
                } else {
                    name == declared
                }
        }
        _ => false,
    }
}

fn answer_excerpt(response: &crate::http::Response) -> String {
    const MAX: usize = 200;
    let text = match &response.body {
        crate::http::ResponseBody::Json(json) => json.to_string(),
        crate::http::ResponseBody::Text(text) => text.clone(),
        crate::http::ResponseBody::Empty => String::new(),
        crate::http::ResponseBody::Binary(n) => format!("({n} bytes of binary)"),
    };
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let cut: String = text.chars().take(MAX).collect();
    let more = if cut.len() < text.len() { "…" } else { "" };
    format!(": {cut}{more}")
}

#[cfg(test)]
mod tests {
    use super::basic;

    #[test]
    fn basic_auth_is_rfc7617_base64() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", "b"), "Basic YTpi");
        assert_eq!(basic("ab", "c"), "Basic YWI6Yw==");
    }
}

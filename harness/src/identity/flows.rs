//! The ways an identity signs in, as the identities file declares them: a login operation of
//! the API (its body JSON, form-encoded or multipart; its token in the answer's body, a header
//! or a cookie; a CSRF token to echo) and the OAuth2 password and client-credentials grants.
//! What the file leaves to the spec (the login's encoding, the OAuth2 token URL) is taken from
//! it by [`IdentityFile::apply_resources`](super::IdentityFile::apply_resources).

use serde::Deserialize;
use toml::Spanned;

use super::Secret;
use super::file::Cx;
use crate::errors::IdentityFileError;

/// How a login body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
}

impl Encoding {
    /// The encoding a media type names (`application/json`, `...+json`, form, multipart).
    pub fn of_media_type(media: &str) -> Option<Encoding> {
        let media = media
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media == "application/x-www-form-urlencoded" {
            Some(Encoding::Form)
        } else if media == "multipart/form-data" {
            Some(Encoding::Multipart)
        } else if media == "application/json" || media.ends_with("+json") {
            Some(Encoding::Json)
        } else {
            None
        }
    }

    fn parse(text: &str) -> Option<Encoding> {
        match text.to_ascii_lowercase().as_str() {
            "json" => Some(Encoding::Json),
            "form" => Some(Encoding::Form),
            "multipart" => Some(Encoding::Multipart),
            other => Encoding::of_media_type(other),
        }
    }
}

/// Where a value (a token, a CSRF token) is read from in the answer to a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The JSON pointer into the body (`/accessToken`).
    Body(String),
    /// A response header (a leading `Bearer ` is dropped).
    Header(String),
    /// A cookie the answer sets.
    Cookie(String),
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Body(pointer) => write!(f, "the body at {pointer}"),
            TokenSource::Header(name) => write!(f, "the header {name}"),
            TokenSource::Cookie(name) => write!(f, "the cookie {name}"),
        }
    }
}

/// A CSRF token: read from the login's answer, sent back in `header` on unsafe methods
/// (everything but `GET`, `HEAD`, `OPTIONS` and `TRACE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csrf {
    /// Where the login's answer holds it.
    pub from: TokenSource,
    /// The request header it is echoed in (`X-CSRF-Token`).
    pub header: String,
}

/// An OAuth2 grant.
#[derive(Debug, Clone, PartialEq)]
pub enum Grant {
    /// The resource owner password credentials grant (RFC 6749 section 4.3).
    Password {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// The client credentials grant (section 4.4).
    ClientCredentials,
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    #[default]
    Body,
    /// HTTP Basic with the client id and secret.
    Basic,
}

/// An OAuth2 identity: a grant at a token endpoint, the access token sent as a bearer token,
/// renewed before it expires (`expires_in`, a JWT's `exp`), with the refresh token when the
/// endpoint gives one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OAuth2Flow {
    /// The grant.
    pub grant: Grant,
    /// The token URL the identities file names: absolute (credentials may go to that host) or
    /// a path under the base URL.
    pub token_url: Option<String>,
    /// The token URL of the spec's OAuth2 scheme, when the file names none (set by
    /// `apply_resources`); an absolute one is used only on the target's own host.
    pub spec_token_url: Option<String>,
    /// The security scheme to take the token URL from (default: the first OAuth2 scheme with a
    /// flow of this grant).
    pub scheme: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<Secret>,
    /// How the client id and secret are sent.
    pub client_auth: ClientAuth,
    /// Scopes requested (space-separated in the request), none by default.
    pub scopes: Vec<String>,
    /// `ids.toml line 7`: where it is declared, for errors.
    pub origin: String,
    /// The line it is declared on.
    pub(crate) line: usize,
}

impl OAuth2Flow {
    /// The token URL to use, the file's else the spec's, and whether the file named it.
    pub(crate) fn chosen_token_url(&self) -> Option<(&str, bool)> {
        match (&self.token_url, &self.spec_token_url) {
            (Some(url), _) => Some((url.as_str(), true)),
            (None, Some(url)) => Some((url.as_str(), false)),
            (None, None) => None,
        }
    }

    /// The token endpoint's path under the base URL, when the token URL is a path (not an
    /// absolute URL).
    pub(crate) fn token_path(&self) -> Option<String> {
        let (url, _) = self.chosen_token_url()?;
        let absolute = url.starts_with("http://") || url.starts_with("https://");
        (!absolute).then(|| format!("/{}", url.trim_start_matches('/')))
    }

    /// `password` or `client_credentials`.
    pub fn grant_name(&self) -> &'static str {
        match self.grant {
            Grant::Password { .. } => "password",
            Grant::ClientCredentials => "client_credentials",
        }
    }

    /// The name of the grant's flow in an OpenAPI `flows` object.
    pub(crate) fn spec_flow(&self) -> &'static str {
        match self.grant {
            Grant::Password { .. } => "password",
            Grant::ClientCredentials => "clientCredentials",
        }
    }
}

// ---- raw shapes ----

/// `token = "/pointer"` or `token = { pointer | header | cookie = "..." }`.
pub(super) struct RawSource {
    key: String,
    value: String,
}

impl<'de> Deserialize<'de> for RawSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct V;
        const KEYS: &[&str] = &["pointer", "header", "cookie"];
        impl<'de> Visitor<'de> for V {
            type Value = RawSource;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    r#"a JSON pointer like "/accessToken" or a table { pointer | header | cookie = "..." }"#,
                )
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawSource {
                    key: "pointer".into(),
                    value: v.to_string(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found: Option<RawSource> = None;
                while let Some(key) = map.next_key::<String>()? {
                    if !KEYS.contains(&key.as_str()) {
                        return Err(A::Error::unknown_field(&key, KEYS));
                    }
                    if found.is_some() {
                        return Err(A::Error::custom(
                            "name one place only: pointer, header or cookie",
                        ));
                    }
                    let value = map.next_value::<String>()?;
                    found = Some(RawSource { key, value });
                }
                found.ok_or_else(|| A::Error::custom("name a place: pointer, header or cookie"))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCsrf {
    #[serde(default)]
    cookie: Option<String>,
    #[serde(default)]
    pointer: Option<String>,
    #[serde(default)]
    response_header: Option<String>,
    header: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLogin {
    pub(super) operation: Spanned<String>,
    pub(super) body: Spanned<toml::Value>,
    pub(super) token: Spanned<RawSource>,
    #[serde(default)]
    pub(super) header: Option<String>,
    #[serde(default)]
    pub(super) prefix: Option<String>,
    #[serde(default)]
    pub(super) encoding: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) csrf: Option<Spanned<RawCsrf>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOAuth2 {
    grant: Spanned<String>,
    #[serde(default)]
    token_url: Option<Spanned<String>>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    client_id: Option<Spanned<String>>,
    #[serde(default)]
    client_secret: Option<Spanned<String>>,
    #[serde(default)]
    client_auth: Option<Spanned<String>>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    username: Option<Spanned<String>>,
    #[serde(default)]
    password: Option<Spanned<String>>,
}

impl Cx<'_> {
    /// Where the answer holds a value, checked: a pointer starts with `/`, a name is not empty.
    fn source(
        &self,
        raw: &RawSource,
        span_start: usize,
        key: &str,
    ) -> Result<TokenSource, IdentityFileError> {
        let value = raw.value.trim().to_string();
        match raw.key.as_str() {
            "pointer" if !(value.is_empty() || value.starts_with('/')) => self.invalid(
                span_start,
                key.to_string(),
                format!(
                    "`{value}` is not a JSON pointer (it starts with `/`, e.g. \"/accessToken\")"
                ),
            ),
            "pointer" => Ok(TokenSource::Body(value)),
            _ if value.is_empty() => self.invalid(
                span_start,
                key.to_string(),
                format!("the {} name is empty", raw.key),
            ),
            "header" => Ok(TokenSource::Header(value)),
            _ => Ok(TokenSource::Cookie(value)),
        }
    }

    /// The encoding the file names, if it names one.
    pub(super) fn encoding(
        &self,
        raw: Option<&Spanned<String>>,
        key: &str,
    ) -> Result<Option<Encoding>, IdentityFileError> {
        let Some(raw) = raw else { return Ok(None) };
        match Encoding::parse(raw.get_ref().trim()) {
            Some(encoding) => Ok(Some(encoding)),
            None => self.invalid(
                raw.span().start,
                key.to_string(),
                format!(
                    "unknown encoding `{}`: use \"json\", \"form\" or \"multipart\" (or their media types)",
                    raw.get_ref()
                ),
            ),
        }
    }

    /// The token source, header and CSRF settings of a login.
    pub(super) fn login_parts(
        &self,
        raw: &RawLogin,
        key: &str,
    ) -> Result<(TokenSource, String, String, Option<Csrf>), IdentityFileError> {
        let token = self.source(
            raw.token.get_ref(),
            raw.token.span().start,
            &format!("{key}.token"),
        )?;
        // A token read from a cookie goes back as that cookie unless a header is named.
        let default_header = match token {
            TokenSource::Cookie(_) => "",
            _ => "Authorization",
        };
        let header = raw
            .header
            .clone()
            .unwrap_or_else(|| default_header.to_string());
        let prefix = raw.prefix.clone().unwrap_or_else(|| {
            if header.eq_ignore_ascii_case("authorization") {
                "Bearer ".to_string()
            } else {
                String::new()
            }
        });
        let csrf = match &raw.csrf {
            None => None,
            Some(spanned) => {
                let csrf = spanned.get_ref();
                let csrf_key = format!("{key}.csrf");
                let places: Vec<RawSource> = [
                    ("cookie", &csrf.cookie),
                    ("pointer", &csrf.pointer),
                    ("header", &csrf.response_header),
                ]
                .into_iter()
                .filter_map(|(k, v)| {
                    v.as_ref().map(|v| RawSource {
                        key: k.to_string(),
                        value: v.clone(),
                    })
                })
                .collect();
                let [place] = places.as_slice() else {
                    return self.invalid(
                        spanned.span().start,
                        csrf_key,
                        "name exactly one place to read the CSRF token from: cookie, pointer or response_header",
                    );
                };
                if csrf.header.trim().is_empty() {
                    return self.invalid(
                        spanned.span().start,
                        format!("{csrf_key}.header"),
                        "the header name is empty",
                    );
                }
                Some(Csrf {
                    from: self.source(place, spanned.span().start, &csrf_key)?,
                    header: csrf.header.trim().to_string(),
                })
            }
        };
        Ok((token, header, prefix, csrf))
    }

    /// An `auth.oauth2` table.
    pub(super) fn oauth2(
        &self,
        raw: &RawOAuth2,
        span_start: usize,
        key: &str,
    ) -> Result<OAuth2Flow, IdentityFileError> {
        let text = |v: &Option<Spanned<String>>, field: &str| {
            v.as_ref()
                .map(|v| self.subst(v, &format!("{key}.{field}")))
                .transpose()
        };
        let grant = match raw.grant.get_ref().trim() {
            "password" => {
                let (Some(username), Some(password)) = (&raw.username, &raw.password) else {
                    return self.invalid(
                        raw.grant.span().start,
                        format!("{key}.grant"),
                        "the password grant needs `username` and `password`",
                    );
                };
                Grant::Password {
                    username: self.subst(username, &format!("{key}.username"))?,
                    password: Secret::new(self.subst(password, &format!("{key}.password"))?),
                }
            }
            "client_credentials" => {
                if raw.client_id.is_none() {
                    return self.invalid(
                        raw.grant.span().start,
                        format!("{key}.client_id"),
                        "the client_credentials grant needs `client_id` (and usually `client_secret`)",
                    );
                }
                Grant::ClientCredentials
            }
            other => {
                return self.invalid(
                    raw.grant.span().start,
                    format!("{key}.grant"),
                    format!("unknown grant `{other}`: use \"password\" or \"client_credentials\""),
                );
            }
        };
        let client_auth = match raw.client_auth.as_ref().map(|c| (c, c.get_ref().trim())) {
            None | Some((_, "body")) => ClientAuth::Body,
            Some((_, "basic")) => ClientAuth::Basic,
            Some((spanned, other)) => {
                return self.invalid(
                    spanned.span().start,
                    format!("{key}.client_auth"),
                    format!("unknown client_auth `{other}`: use \"body\" or \"basic\""),
                );
            }
        };
        let token_url = text(&raw.token_url, "token_url")?;
        if let (Some(url), Some(spanned)) = (&token_url, &raw.token_url)
            && !(url.starts_with('/') || url.starts_with("http://") || url.starts_with("https://"))
        {
            return self.invalid(
                spanned.span().start,
                format!("{key}.token_url"),
                format!("`{url}` is neither a path (\"/token\") nor an http(s) URL"),
            );
        }
        Ok(OAuth2Flow {
            grant,
            token_url,
            spec_token_url: None,
            scheme: raw.scheme.clone(),
            client_id: text(&raw.client_id, "client_id")?,
            client_secret: text(&raw.client_secret, "client_secret")?.map(Secret::new),
            client_auth,
            scopes: raw.scopes.clone(),
            origin: self.origin(span_start),
            line: self.line_of(span_start),
        })
    }
}

impl super::IdentityFile {
    /// Takes from `model` what the file leaves to the spec: each login's encoding (as its
    /// operation declares its body; JSON when the spec does not say) and each OAuth2 identity's
    /// token URL (the `tokenUrl` of the spec's OAuth2 scheme with a flow of its grant). No token
    /// URL anywhere, or a body a form cannot carry, is an error naming the file and line.
    pub(super) fn apply_spec_auth(
        &mut self,
        model: &trespass_generators::ApiModel,
    ) -> Result<(), IdentityFileError> {
        let path = self.path.clone();
        let error = |line: usize, key: String, message: String| IdentityFileError {
            file: path.clone(),
            line: Some(line),
            kind: crate::errors::IdentityFileErrorKind::Invalid { key, message },
        };
        for (i, identity) in self.identities.iter_mut().enumerate() {
            match &mut identity.auth {
                super::Auth::Login(flow) => {
                    let id = trespass_generators::model::OperationId::new(&flow.method, &flow.path);
                    if flow.encoding.is_none() {
                        let declared = model
                            .operation(&id)
                            .and_then(|op| op.request_body.as_ref())
                            .and_then(|body| {
                                body.content.keys().find_map(|m| Encoding::of_media_type(m))
                            });
                        flow.encoding = Some(declared.unwrap_or(Encoding::Json));
                    }
                    if flow.encoding != Some(Encoding::Json)
                        && let Some(field) = nested_field(flow.body.expose())
                    {
                        return Err(error(
                            flow.line,
                            format!("identity[{i}].auth.login.body.{field}"),
                            "a form or multipart login body holds only strings, numbers and \
                             booleans (write encoding = \"json\" for a JSON body)"
                                .to_string(),
                        ));
                    }
                }
                super::Auth::OAuth2(flow) if flow.token_url.is_none() => {
                    flow.spec_token_url = spec_token_url(model, flow);
                    if flow.spec_token_url.is_none() {
                        let scheme = flow
                            .scheme
                            .as_ref()
                            .map(|s| format!("the scheme `{s}`"))
                            .unwrap_or_else(|| "no OAuth2 scheme".to_string());
                        return Err(error(
                            flow.line,
                            format!("identity[{i}].auth.oauth2.token_url"),
                            format!(
                                "no token URL: name one (token_url = \"/token\"); the spec's \
                                 securitySchemes have {scheme} with a `{}` flow and a tokenUrl",
                                flow.spec_flow()
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The `tokenUrl` of the spec's OAuth2 scheme (the one `flow` names, else the first) with a
/// flow of `flow`'s grant.
fn spec_token_url(model: &trespass_generators::ApiModel, flow: &OAuth2Flow) -> Option<String> {
    use trespass_generators::model::SecurityScheme;
    model
        .security_schemes
        .iter()
        .filter(|(name, _)| flow.scheme.as_ref().is_none_or(|s| s == *name))
        .find_map(|(_, scheme)| match scheme {
            SecurityScheme::OAuth2 { flows } => flows
                .iter()
                .find(|f| f.kind == flow.spec_flow())
                .and_then(|f| f.token_url.clone()),
            _ => None,
        })
}

/// The first field of a login body that a form cannot carry (an object or an array).
fn nested_field(body: &serde_json::Value) -> Option<String> {
    body.as_object()?
        .iter()
        .find(|(_, v)| v.is_object() || v.is_array())
        .map(|(k, _)| k.clone())
}

impl super::IdentityFile {
    /// One warning per identity whose login operation `model` does not describe, naming the
    /// spec's likely login operations: a typo there otherwise shows only as a failed login
    /// (some APIs do log in outside their spec, so it is no error).
    pub fn login_warnings(&self, model: &trespass_generators::ApiModel) -> Vec<String> {
        let likely: Vec<String> = model
            .operations
            .iter()
            .filter(|op| {
                op.method.as_str() == "POST" && {
                    let path = op.path.to_ascii_lowercase();
                    ["login", "signin", "sign-in", "token", "session", "auth"]
                        .iter()
                        .any(|word| path.contains(word))
                }
            })
            .take(3)
            .map(|op| op.id.to_string())
            .collect();
        self.identities
            .iter()
            .filter_map(|identity| {
                let super::Auth::Login(flow) = &identity.auth else {
                    return None;
                };
                let id = trespass_generators::model::OperationId::new(&flow.method, &flow.path);
                if model.operation(&id).is_some() {
                    return None;
                }
                let hint = if likely.is_empty() {
                    String::new()
                } else {
                    format!(" (the spec's look like: {})", likely.join(", "))
                };
                Some(format!(
                    "{}: `{}` logs in through {}, which the spec does not describe{hint}",
                    self.path.display(),
                    identity.name,
                    flow.operation()
                ))
            })
            .collect()
    }
}

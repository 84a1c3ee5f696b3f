//! The shop's authentication styles, each with its spec and identities file: the same API and
//! planted bugs behind the ways real APIs let their callers in.
//!
//! | style | sign in | then send |
//! | --- | --- | --- |
//! | [`AuthStyle::Bearer`] (default) | `POST /auth/login`, JSON | `Authorization: Bearer <accessToken>` |
//! | [`AuthStyle::OAuth2Password`] | `POST /token`, form-encoded OAuth2 password grant | `Authorization: Bearer <access_token>` |
//! | [`AuthStyle::Cookie`] | `POST /auth/login`, JSON; sets cookies `shop_session` and `shop_csrf` | the cookie, and `X-CSRF-Token` on unsafe methods |
//!
//! With a lifetime ([`ShopAuth::lifetime`]) tokens and sessions expire: a bearer token is then a
//! JWT whose `exp` says when (not signed: a demo), the OAuth2 answer says `expires_in`, the
//! cookies carry `Max-Age`.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use serde_yaml_ng::{Mapping, Value};

/// Name of the session cookie of [`AuthStyle::Cookie`].
pub const SESSION_COOKIE: &str = "shop_session";
/// Name of the CSRF cookie of [`AuthStyle::Cookie`].
pub const CSRF_COOKIE: &str = "shop_csrf";
/// The header unsafe methods echo the CSRF token in ([`AuthStyle::Cookie`]).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// How the shop lets its callers in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthStyle {
    /// `POST /auth/login` (JSON) answers a bearer token.
    #[default]
    Bearer,
    /// The OAuth2 password grant at `POST /token` (form-encoded) answers a bearer token.
    OAuth2Password,
    /// `POST /auth/login` (JSON) sets a session cookie and a CSRF cookie.
    Cookie,
}

impl AuthStyle {
    /// Every style.
    pub const ALL: [AuthStyle; 3] = [
        AuthStyle::Bearer,
        AuthStyle::OAuth2Password,
        AuthStyle::Cookie,
    ];

    /// `bearer`, `oauth2` or `cookie`.
    pub fn name(self) -> &'static str {
        match self {
            AuthStyle::Bearer => "bearer",
            AuthStyle::OAuth2Password => "oauth2",
            AuthStyle::Cookie => "cookie",
        }
    }

    /// The shop's spec in this style (YAML).
    pub fn spec_yaml(self) -> &'static str {
        static SPECS: [OnceLock<String>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let index = AuthStyle::ALL.iter().position(|s| *s == self).unwrap_or(0);
        if self == AuthStyle::Bearer {
            return super::SPEC_YAML;
        }
        SPECS[index].get_or_init(|| styled_spec(self))
    }

    /// The shop's identities file in this style (TOML).
    pub fn identities_toml(self) -> &'static str {
        match self {
            AuthStyle::Bearer => super::IDENTITIES_TOML,
            AuthStyle::OAuth2Password => OAUTH2_IDENTITIES,
            AuthStyle::Cookie => COOKIE_IDENTITIES,
        }
    }
}

impl fmt::Display for AuthStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AuthStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthStyle::ALL
            .into_iter()
            .find(|style| style.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown authentication style `{s}` (expected `bearer`, `oauth2` or `cookie`)"
                )
            })
    }
}

/// The shop's authentication: a style and how long a token or session lasts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ShopAuth {
    /// How callers sign in.
    pub style: AuthStyle,
    /// How long a token or session lasts (`None`: until the server stops).
    pub lifetime: Option<Duration>,
}

impl ShopAuth {
    /// `style`, tokens that never expire.
    pub fn new(style: AuthStyle) -> Self {
        Self {
            style,
            lifetime: None,
        }
    }

    /// With tokens that last `lifetime`.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self
    }
}

const OAUTH2_IDENTITIES: &str = r#"# Identities of the `shop` demo in its OAuth2 style (`trespass demo --auth oauth2`): the
# password grant at the spec's tokenUrl (`POST /token`, form-encoded).

[[identity]]
name = "alice"
role = "user"
auth.oauth2 = { grant = "password", username = "alice", password = "alice-pass-1" }

[[identity]]
name = "bob"
role = "user"
auth.oauth2 = { grant = "password", username = "bob", password = "bob-pass-2" }

[[identity]]
name = "carol"
role = "admin"
auth.oauth2 = { grant = "password", username = "carol", password = "carol-pass-3" }

[[identity]]
name = "anon"
role = "anonymous"

[policy]
admin_operations = ["tag:admin"]
public_operations = ["POST /token", "GET /products", "GET /products/{productId}"]
shared_resources = ["product"]

[target]
reset = "POST /__reset"
"#;

const COOKIE_IDENTITIES: &str = r#"# Identities of the `shop` demo in its cookie style (`trespass demo --auth cookie`): the
# login sets a session cookie and a CSRF cookie, echoed in X-CSRF-Token on unsafe methods.

[[identity]]
name = "alice"
role = "user"
auth.login = { operation = "POST /auth/login", body = { username = "alice", password = "alice-pass-1" }, token = { cookie = "shop_session" }, csrf = { cookie = "shop_csrf", header = "X-CSRF-Token" } }

[[identity]]
name = "bob"
role = "user"
auth.login = { operation = "POST /auth/login", body = { username = "bob", password = "bob-pass-2" }, token = { cookie = "shop_session" }, csrf = { cookie = "shop_csrf", header = "X-CSRF-Token" } }

[[identity]]
name = "carol"
role = "admin"
auth.login = { operation = "POST /auth/login", body = { username = "carol", password = "carol-pass-3" }, token = { cookie = "shop_session" }, csrf = { cookie = "shop_csrf", header = "X-CSRF-Token" } }

[[identity]]
name = "anon"
role = "anonymous"

[policy]
admin_operations = ["tag:admin"]
public_operations = ["POST /auth/login", "GET /products", "GET /products/{productId}"]
shared_resources = ["product"]

[target]
reset = "POST /__reset"
"#;

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("the styled parts of the shop spec parse")
}

fn map_at<'v>(value: &'v mut Value, key: &str) -> &'v mut Mapping {
    value
        .get_mut(key)
        .and_then(Value::as_mapping_mut)
        .unwrap_or_else(|| panic!("the shop spec has a `{key}` map"))
}

/// The shop spec with `style`'s security scheme, login operation and schemas.
fn styled_spec(style: AuthStyle) -> String {
    let mut spec: Value = serde_yaml_ng::from_str(super::SPEC_YAML).expect("the shop spec is YAML");
    let (scheme_name, scheme, description) = match style {
        AuthStyle::OAuth2Password => (
            "oauth2Password",
            OAUTH2_SCHEME,
            "Sign in with the OAuth2 password grant at `POST /token` (form-encoded) and send the access token as `Authorization: Bearer <token>`.",
        ),
        _ => (
            "sessionCookie",
            COOKIE_SCHEME,
            "Sign in with `POST /auth/login`: it sets the session cookie `shop_session` and the CSRF cookie `shop_csrf`, whose value unsafe methods echo in `X-CSRF-Token`.",
        ),
    };
    if let Some(info) = spec.get_mut("info").and_then(Value::as_mapping_mut) {
        info.insert(
            "description".into(),
            format!("A small web shop (the `shop` demo target of trespass). {description}").into(),
        );
    }
    let mut schemes = Mapping::new();
    schemes.insert(scheme_name.into(), yaml(scheme));
    let components = map_at(&mut spec, "components");
    components.insert("securitySchemes".into(), Value::Mapping(schemes));
    let schemas = components
        .get_mut("schemas")
        .and_then(Value::as_mapping_mut)
        .expect("the shop spec has schemas");
    let (login_path, login) = match style {
        AuthStyle::OAuth2Password => {
            schemas.remove("LoginRequest");
            schemas.remove("LoginResponse");
            schemas.insert("TokenRequest".into(), yaml(TOKEN_REQUEST));
            schemas.insert("TokenResponse".into(), yaml(TOKEN_RESPONSE));
            ("/token", yaml(TOKEN_OPERATION))
        }
        _ => {
            schemas.remove("LoginResponse");
            schemas.insert("SessionResponse".into(), yaml(SESSION_RESPONSE));
            ("/auth/login", yaml(COOKIE_LOGIN_OPERATION))
        }
    };
    let mut security = Mapping::new();
    security.insert(scheme_name.into(), Value::Sequence(Vec::new()));
    if let Some(root) = spec.as_mapping_mut() {
        root.insert(
            "security".into(),
            Value::Sequence(vec![Value::Mapping(security)]),
        );
    }
    let paths = map_at(&mut spec, "paths");
    let mut styled = Mapping::new();
    styled.insert(login_path.into(), login);
    for (path, item) in std::mem::take(paths) {
        if path.as_str() != Some("/auth/login") {
            styled.insert(path, item);
        }
    }
    *paths = styled;
    serde_yaml_ng::to_string(&spec).expect("the styled shop spec prints")
}

const OAUTH2_SCHEME: &str = r#"
type: oauth2
description: The OAuth2 password grant; the token lasts `expires_in` seconds when it says so.
flows:
  password:
    tokenUrl: /token
    scopes: {}
"#;

const COOKIE_SCHEME: &str = r#"
type: apiKey
in: cookie
name: shop_session
description: The session cookie set by `POST /auth/login`; unsafe methods also need `X-CSRF-Token`.
"#;

const TOKEN_REQUEST: &str = r#"
type: object
required: [grant_type, username, password]
additionalProperties: false
properties:
  grant_type: { type: string, enum: [password] }
  username: { type: string, minLength: 1, maxLength: 64 }
  password: { type: string, format: password, minLength: 1, maxLength: 128 }
  scope: { type: string, maxLength: 256 }
  client_id: { type: string, maxLength: 64 }
  client_secret: { type: string, format: password, maxLength: 128 }
"#;

const TOKEN_RESPONSE: &str = r#"
type: object
required: [access_token, token_type]
additionalProperties: false
properties:
  access_token: { type: string, minLength: 1 }
  token_type: { type: string, enum: [bearer] }
  expires_in: { type: integer, minimum: 1 }
"#;

const SESSION_RESPONSE: &str = r#"
type: object
required: [userId, csrfToken]
additionalProperties: false
properties:
  userId: { type: integer, format: int64, minimum: 1 }
  csrfToken: { type: string, minLength: 1 }
"#;

const TOKEN_OPERATION: &str = r#"
post:
  operationId: token
  summary: The OAuth2 password grant
  tags: [auth]
  security: []
  requestBody:
    required: true
    content:
      application/x-www-form-urlencoded:
        schema:
          $ref: '#/components/schemas/TokenRequest'
  responses:
    '200':
      description: Signed in.
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/TokenResponse'
    '400':
      $ref: '#/components/responses/BadRequest'
    '401':
      $ref: '#/components/responses/Unauthorized'
"#;

const COOKIE_LOGIN_OPERATION: &str = r#"
post:
  operationId: login
  summary: Exchange a username and password for a session cookie
  tags: [auth]
  security: []
  requestBody:
    required: true
    content:
      application/json:
        schema:
          $ref: '#/components/schemas/LoginRequest'
  responses:
    '200':
      description: Signed in; the session and CSRF cookies are set.
      headers:
        Set-Cookie:
          schema: { type: string }
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/SessionResponse'
      links:
        GetSignedInUser:
          operationId: getUser
          parameters:
            userId: $response.body#/userId
    '400':
      $ref: '#/components/responses/BadRequest'
    '401':
      $ref: '#/components/responses/Unauthorized'
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// Each style serves exactly the operations its spec declares.
    #[test]
    fn every_style_serves_the_operations_of_its_spec() {
        for style in AuthStyle::ALL {
            let spec: Value = serde_yaml_ng::from_str(style.spec_yaml()).unwrap();
            let mut declared: Vec<(String, String)> = Vec::new();
            for (path, item) in spec["paths"].as_mapping().unwrap() {
                for (method, _) in item.as_mapping().unwrap() {
                    let method = method.as_str().unwrap().to_ascii_uppercase();
                    if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                        declared.push((method, path.as_str().unwrap().to_string()));
                    }
                }
            }
            let auth = ShopAuth::new(style);
            let mut served = super::super::styled_routes(crate::Mode::Secure, auth).entries();
            declared.sort();
            served.sort();
            assert_eq!(served, declared, "{style}");
            assert_eq!(style.name().parse::<AuthStyle>(), Ok(style));
        }
        assert!("saml".parse::<AuthStyle>().is_err());
    }
}

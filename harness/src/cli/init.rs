//! `trespass init`: a commented starter identities file written from what the spec already says
//! (its security schemes, its login operation, its public and admin-looking operations), with
//! `${ENV}` placeholders for every secret.

use std::fmt::Write as _;

use trespass_generators::model::{
    ApiModel, Method, Operation, ParameterLocation, SchemaId, SecurityScheme,
};

use super::ExpectedError;
use super::args::InitArgs;
use crate::exit_codes;

pub(crate) fn run(args: InitArgs) -> Result<u8, ExpectedError> {
    let model = super::load_spec(&args.spec)?;
    if let Some(url) = &args.base_url {
        check_answers(url)?;
    }
    let text = starter_file(&model, &args.spec.display().to_string());
    match &args.output {
        None => print!("{text}"),
        Some(path) => {
            if path.exists() && !args.force {
                return Err(ExpectedError::usage(format!(
                    "{} exists; pass --force to replace it",
                    path.display()
                )));
            }
            crate::artifact::write_atomically(path, text.as_bytes()).map_err(|e| {
                ExpectedError::usage(format!("cannot write {}: {e}", path.display()))
            })?;
            eprintln!(
                "wrote {}: set the ${{…}} variables it names, confirm the [policy] \
                 suggestions, then run `trespass spec {} --identities {}`",
                path.display(),
                args.spec.display(),
                path.display()
            );
        }
    }
    Ok(exit_codes::OK)
}

/// Fails unless something answers HTTP at `url` (any status).
fn check_answers(url: &str) -> Result<(), ExpectedError> {
    let parsed =
        url::Url::parse(url).map_err(|e| ExpectedError::usage(format!("--base-url {url}: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ExpectedError::usage(format!("cannot start the async runtime: {e}")))?;
    let client = crate::http::HttpClient::new(crate::http::ClientConfig::new(parsed))
        .map_err(ExpectedError::wrap)?;
    let (received, _) =
        runtime.block_on(client.send(&crate::http::Request::new("GET", "/"), &[], &[]));
    match received {
        crate::http::Received::Response(_) => Ok(()),
        crate::http::Received::Error { message, .. } => Err(ExpectedError::usage(format!(
            "the target at {url} does not answer: {message}"
        ))),
    }
}

/// How the starter file's identities authenticate.
enum AuthGuess {
    /// Through the spec's login operation: its body fields, where the token is (a TOML
    /// value: a quoted pointer or a `{ cookie = ... }` table).
    Login {
        operation: String,
        user_field: String,
        password_field: String,
        token: String,
        /// A CSRF token's pointer in the login's answer.
        csrf: Option<String>,
    },
    /// An OAuth2 grant (`password` or `client_credentials`) at the spec's tokenUrl.
    OAuth2 {
        grant: &'static str,
        /// The scheme, named when the spec has several OAuth2 schemes.
        scheme: Option<String>,
    },
    Bearer,
    Basic,
    ApiKey {
        location: &'static str,
        name: String,
    },
    None,
}

/// The starter identities file for `model` (loaded from `spec`).
pub(crate) fn starter_file(model: &ApiModel, spec: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# trespass identities for {spec} ({}), written by `trespass init`.\n\
         # Set the ${{…}} environment variables, check every name and guess below, then run\n\
         #   trespass spec {spec} --identities THIS_FILE\n",
        model.title
    );
    let auth = guess_auth(model);
    let notes = scheme_notes(model);
    for note in &notes {
        let _ = writeln!(out, "# {note}");
    }
    if !notes.is_empty() {
        out.push('\n');
    }
    for (name, role) in [("alice", "user"), ("bob", "user"), ("admin", "admin")] {
        let upper = name.to_ascii_uppercase();
        let _ = writeln!(out, "[[identity]]\nname = \"{name}\"\nrole = \"{role}\"");
        let line = match &auth {
            AuthGuess::Login {
                operation,
                user_field,
                password_field,
                token,
                csrf,
            } => format!(
                "auth.login = {{ operation = {}, body = {{ {} = \"${{{upper}_USERNAME}}\", \
                 {} = \"${{{upper}_PASSWORD}}\" }}, token = {token}{} }}",
                q(operation),
                q(user_field),
                q(password_field),
                csrf.as_ref()
                    .map(|p| format!(
                        ", csrf = {{ pointer = {}, header = \"X-CSRF-Token\" }}",
                        q(p)
                    ))
                    .unwrap_or_default()
            ),
            AuthGuess::OAuth2 { grant, scheme } => {
                let scheme = scheme
                    .as_ref()
                    .map(|s| format!(", scheme = {}", q(s)))
                    .unwrap_or_default();
                if *grant == "password" {
                    format!(
                        "auth.oauth2 = {{ grant = \"password\", username = \
                         \"${{{upper}_USERNAME}}\", password = \"${{{upper}_PASSWORD}}\"{scheme} }}"
                    )
                } else {
                    format!(
                        "auth.oauth2 = {{ grant = \"client_credentials\", client_id = \
                         \"${{{upper}_CLIENT_ID}}\", client_secret = \
                         \"${{{upper}_CLIENT_SECRET}}\"{scheme} }}"
                    )
                }
            }
            AuthGuess::Bearer | AuthGuess::None => {
                format!("auth = {{ bearer = \"${{{upper}_TOKEN}}\" }}")
            }
            AuthGuess::Basic => format!(
                "auth = {{ basic = {{ username = \"${{{upper}_USERNAME}}\", password = \
                 \"${{{upper}_PASSWORD}}\" }} }}"
            ),
            AuthGuess::ApiKey { location, name } => format!(
                "auth = {{ api_key = {{ in = \"{location}\", name = {}, value = \
                 \"${{{upper}_API_KEY}}\" }} }}",
                q(name)
            ),
        };
        let _ = writeln!(out, "{line}\n");
    }
    out.push_str("[[identity]]\nname = \"anon\"\nrole = \"anonymous\"\n\n[policy]\n");
    let public: Vec<String> = model
        .operations
        .iter()
        .filter(|op| is_public(op))
        .map(|op| q(op.id.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "# Operations the spec declares without security (no authentication expected).\n\
         public_operations = [{}]",
        public.join(", ")
    );
    out.push_str(
        "# Admin-only operations beyond what the spec says (tags, /admin paths, x-admin and\n\
         # admin scopes are recognised already). Add patterns: \"tag:NAME\", \"path:/glob/**\",\n\
         # \"METHOD /path\" or \"operationId:NAME\".\nadmin_operations = []\n",
    );
    if !model.admin_operations.is_empty() {
        out.push_str("# Recognised as admin-only from the spec:\n");
        for admin in &model.admin_operations {
            let _ = writeln!(out, "#   {}", admin.operation);
        }
    }
    out.push_str(
        "# Kinds of object every user may read (a catalogue), so reading another's is no BOLA.\n\
         shared_resources = []\n\n[target]\n\
         # A request or command that restores a known state between sequences, for example:\n\
         # reset = \"POST /__reset\"\n# reset = { command = \"./scripts/reset-db.sh\" }\n",
    );
    out
}

/// `text` as a TOML string (quoted and escaped).
fn q(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// Whether `op` needs no authentication.
fn is_public(op: &Operation) -> bool {
    op.effective_security.is_empty() || op.effective_security.iter().any(|r| r.is_empty())
}

/// The scheme the spec uses most, turned into an identity's auth; a login operation when the
/// spec has one and the scheme is a bearer token.
fn guess_auth(model: &ApiModel) -> AuthGuess {
    let mut uses: Vec<(&str, usize)> = Vec::new();
    for op in &model.operations {
        for req in &op.effective_security {
            for name in req.0.keys() {
                match uses.iter_mut().find(|(n, _)| n == name) {
                    Some((_, n)) => *n += 1,
                    None => uses.push((name, 1)),
                }
            }
        }
    }
    uses.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let scheme = uses
        .first()
        .and_then(|(name, _)| model.security_schemes.get(*name));
    match scheme {
        Some(SecurityScheme::Http { scheme, .. }) if scheme == "basic" => AuthGuess::Basic,
        Some(SecurityScheme::OAuth2 { flows }) if oauth2_grant(flows).is_some() => {
            let several = model
                .security_schemes
                .values()
                .filter(|s| matches!(s, SecurityScheme::OAuth2 { .. }))
                .count()
                > 1;
            AuthGuess::OAuth2 {
                grant: oauth2_grant(flows).unwrap_or("password"),
                scheme: several.then(|| uses[0].0.to_string()),
            }
        }
        // A session cookie set by the login operation.
        Some(SecurityScheme::ApiKey {
            name,
            location: ParameterLocation::Cookie,
        }) if login_operation(model).is_some() => match login_operation(model) {
            Some(AuthGuess::Login {
                operation,
                user_field,
                password_field,
                csrf,
                ..
            }) => AuthGuess::Login {
                operation,
                user_field,
                password_field,
                token: format!("{{ cookie = {} }}", q(name)),
                csrf,
            },
            _ => AuthGuess::Bearer,
        },
        Some(SecurityScheme::ApiKey { name, location }) => AuthGuess::ApiKey {
            location: match location {
                ParameterLocation::Query => "query",
                ParameterLocation::Cookie => "cookie",
                _ => "header",
            },
            name: name.clone(),
        },
        Some(_) => login_operation(model).unwrap_or(AuthGuess::Bearer),
        None => AuthGuess::None,
    }
}

/// The grant trespass can use among OAuth2 `flows` (one with a tokenUrl): `password` first.
fn oauth2_grant(flows: &[trespass_generators::model::OAuthFlow]) -> Option<&'static str> {
    let has = |kind: &str| {
        flows
            .iter()
            .any(|f| f.kind == kind && f.token_url.is_some())
    };
    if has("password") {
        Some("password")
    } else if has("clientCredentials") {
        Some("client_credentials")
    } else {
        None
    }
}

/// A `POST` whose path names a login and whose body (JSON or a form) takes a user name (or email) and a
/// password, answering a token.
fn login_operation(model: &ApiModel) -> Option<AuthGuess> {
    model.operations.iter().find_map(|op| {
        let path = op.path.to_ascii_lowercase();
        let looks_like_login = ["login", "signin", "sign-in", "session", "token", "auth"]
            .iter()
            .any(|w| path.contains(w));
        if op.method != Method::Post || !looks_like_login {
            return None;
        }
        let body = op.request_body.as_ref()?;
        let schema = trespass_generators::model::json_schema_of(&body.content)
            .or_else(|| body.content.values().find_map(|m| m.schema))?;
        let fields = model.schemas.object_properties(schema)?;
        let find = |names: &[&str]| {
            names.iter().find_map(|n| {
                fields
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(n))
                    .map(|k| k.to_string())
            })
        };
        let user_field = find(&["username", "email", "login", "user", "name"])?;
        let password_field = find(&["password", "passwd", "pass"])?;
        let answer = op.success_responses().find_map(|(_, r)| r.json_schema());
        let token = answer
            .and_then(|s| token_pointer(model, s))
            .unwrap_or_else(|| "/token".into());
        let csrf = answer.and_then(|s| {
            let props = model.schemas.object_properties(s)?;
            props
                .keys()
                .find(|k| {
                    let k = k.to_ascii_lowercase();
                    k.contains("csrf") || k.contains("xsrf")
                })
                .map(|k| format!("/{}", trespass_generators::pointer::escape(k)))
        });
        Some(AuthGuess::Login {
            operation: op.id.to_string(),
            user_field,
            password_field,
            token: q(&token),
            csrf,
        })
    })
}

/// The JSON pointer of a token-like field in a login answer (directly or in `data`).
fn token_pointer(model: &ApiModel, schema: SchemaId) -> Option<String> {
    const NAMES: [&str; 6] = [
        "accessToken",
        "access_token",
        "token",
        "auth_token",
        "jwt",
        "idToken",
    ];
    let props = model.schemas.object_properties(schema)?;
    if let Some(k) = NAMES
        .iter()
        .find_map(|n| props.keys().find(|k| k.eq_ignore_ascii_case(n)))
    {
        return Some(format!("/{}", trespass_generators::pointer::escape(k)));
    }
    let inner = *props.get("data")?;
    token_pointer(model, inner).map(|p| format!("/data{p}"))
}

/// Comments on the spec's OAuth2, OpenID Connect and mutual TLS schemes.
fn scheme_notes(model: &ApiModel) -> Vec<String> {
    model
        .security_schemes
        .iter()
        .filter_map(|(name, scheme)| match scheme {
            SecurityScheme::OAuth2 { flows } if oauth2_grant(flows).is_some() => Some(format!(
                "`{name}` is OAuth2: trespass asks its tokenUrl for tokens (auth.oauth2; \
                 docs/identities.md), and renews them before they expire."
            )),
            SecurityScheme::OAuth2 { flows } => Some(format!(
                "`{name}` is OAuth2 ({}): log in by hand and give each identity a bearer token.",
                flows
                    .iter()
                    .map(|f| match &f.token_url {
                        Some(url) => format!("{} at {url}", f.kind),
                        None => f.kind.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            SecurityScheme::OpenIdConnect { url } => Some(format!(
                "`{name}` is OpenID Connect ({url}): give each identity a bearer token."
            )),
            SecurityScheme::MutualTls => Some(format!(
                "`{name}` is mutual TLS, which trespass does not support."
            )),
            _ => None,
        })
        .collect()
}

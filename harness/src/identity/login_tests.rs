//! Signing in as real APIs ask: the parsers of answers, the encodings, the OAuth2 grants and
//! their refresh, cookie sessions with CSRF against the shop demo in its styles, and the errors
//! a wrong identities file gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::json;
use trespass_generators::model::OperationId;
use trespass_targets::Mode;
use trespass_targets::shop::{AuthStyle, ShopAuth};

use super::login::{self, TokenUrl};
use super::*;
use crate::http::{AuthMode, Body, ClientConfig, HttpClient, Request, Response, ResponseBody};
use crate::redact::Redactor;

fn response(headers: &[(&str, &str)], body: serde_json::Value) -> Response {
    Response {
        status: 200,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: ResponseBody::Json(body),
        truncated: false,
    }
}

fn parse(text: &str) -> Result<IdentityFile, crate::errors::IdentityFileError> {
    IdentityFile::parse(text, "ids.toml", |var| {
        (var == "SECRET").then(|| "s3cr3t-value".into())
    })
}

fn base64url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn tokens_are_read_from_the_body_a_header_or_a_cookie() {
    let answer = response(
        &[
            ("x-auth-token", "Bearer from-a-header"),
            (
                "set-cookie",
                "sid=from-a-cookie; Path=/; HttpOnly; Max-Age=60",
            ),
            ("set-cookie", "old=; Max-Age=0"),
        ],
        json!({"data": {"token": "from-the-body"}, "expires_in": 30}),
    );
    let read = |source| login::read_source(&answer, &source);
    assert_eq!(
        read(TokenSource::Body("/data/token".into())).as_deref(),
        Some("from-the-body")
    );
    assert_eq!(
        read(TokenSource::Header("X-Auth-Token".into())).as_deref(),
        Some("from-a-header")
    );
    assert_eq!(
        read(TokenSource::Cookie("sid".into())).as_deref(),
        Some("from-a-cookie")
    );
    assert_eq!(read(TokenSource::Body("/missing".into())), None);
    assert_eq!(
        read(TokenSource::Cookie("old".into())),
        None,
        "a deleted cookie"
    );
    let cookies = login::set_cookies(&answer);
    assert_eq!(cookies.len(), 1);
    assert_eq!(cookies[0].2, Some(Duration::from_secs(60)));
    assert_eq!(login::expires_in(&answer), Some(Duration::from_secs(30)));
    let camel = response(&[], json!({"expiresIn": "2.5"}));
    assert_eq!(login::expires_in(&camel), Some(Duration::from_millis(2500)));
}

#[test]
fn a_jwt_lifetime_comes_from_its_exp_claim() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = |claims: String| {
        format!(
            "{}.{}.sig",
            base64url(r#"{"alg":"HS256"}"#),
            base64url(&claims)
        )
    };
    let lifetime = login::jwt_lifetime(&token(format!(r#"{{"exp":{}}}"#, now + 100))).unwrap();
    assert!(lifetime > Duration::from_secs(98) && lifetime <= Duration::from_secs(100));
    assert_eq!(
        login::jwt_lifetime(&token(format!(r#"{{"exp":{}}}"#, now - 5))),
        None
    );
    assert_eq!(login::jwt_lifetime(&token(r#"{"sub":"1"}"#.into())), None);
    assert_eq!(login::jwt_lifetime("opaque-token"), None);
    assert_eq!(login::jwt_lifetime("a.%%%.c"), None);
}

#[test]
fn renewal_comes_a_fifth_of_the_lifetime_early_at_most_a_minute() {
    let soon = login::renew_at(Duration::from_secs(10)) - std::time::Instant::now();
    assert!(
        soon <= Duration::from_secs(8) && soon > Duration::from_secs(7),
        "{soon:?}"
    );
    let later = login::renew_at(Duration::from_secs(1800)) - std::time::Instant::now();
    assert!(later <= Duration::from_secs(1740) && later > Duration::from_secs(1739));
}

#[test]
fn login_bodies_are_encoded_as_json_form_or_multipart() {
    let body = json!({"username": "alice", "password": "p&w=1", "remember": true});
    assert_eq!(
        login::encode(&body, Encoding::Json),
        Body::Json(body.clone())
    );
    let Body::Form(pairs) = login::encode(&body, Encoding::Form) else {
        panic!("a form");
    };
    assert!(pairs.contains(&("password".into(), "p&w=1".into())));
    assert!(pairs.contains(&("remember".into(), "true".into())));
    let Body::Text { content_type, text } = login::encode(&body, Encoding::Multipart) else {
        panic!("multipart text");
    };
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    assert!(text.contains("content-disposition: form-data; name=\"username\"\r\n\r\nalice\r\n"));
    assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    assert_eq!(
        Encoding::of_media_type("application/problem+json"),
        Some(Encoding::Json)
    );
    assert_eq!(Encoding::of_media_type("text/plain"), None);
}

fn oauth2(text: &str) -> OAuth2Flow {
    let file = parse(&format!(
        "[[identity]]\nname = \"svc\"\nrole = \"user\"\nauth.oauth2 = {text}\n"
    ))
    .unwrap();
    let Auth::OAuth2(flow) = &file.identities[0].auth else {
        panic!("an oauth2 identity");
    };
    flow.clone()
}

#[test]
fn oauth2_grants_send_what_rfc_6749_asks() {
    let password = oauth2(
        r#"{ grant = "password", username = "alice", password = "${SECRET}", scopes = ["read", "write"], client_id = "app" }"#,
    );
    let (form, headers) = login::grant_form(&password, None);
    let form: std::collections::BTreeMap<_, _> = form.into_iter().collect();
    assert_eq!(form["grant_type"], "password");
    assert_eq!(form["password"], "s3cr3t-value");
    assert_eq!(form["scope"], "read write");
    assert_eq!(form["client_id"], "app");
    assert!(headers.is_empty());

    let client = oauth2(
        r#"{ grant = "client_credentials", client_id = "svc", client_secret = "${SECRET}", client_auth = "basic" }"#,
    );
    let (form, headers) = login::grant_form(&client, None);
    assert_eq!(
        form,
        vec![("grant_type".to_string(), "client_credentials".to_string())]
    );
    assert_eq!(headers[0].1, session::basic("svc", "s3cr3t-value"));
    let refresh = Secret::new("refresh-me");
    let (form, _) = login::grant_form(&client, Some(&refresh));
    assert_eq!(
        form[0],
        ("grant_type".to_string(), "refresh_token".to_string())
    );
    assert_eq!(
        form[1],
        ("refresh_token".to_string(), "refresh-me".to_string())
    );
}

#[test]
fn credentials_go_off_the_target_only_to_a_token_url_the_file_names() {
    let base: url::Url = "http://127.0.0.1:8080/api/".parse().unwrap();
    let mut flow = oauth2(r#"{ grant = "client_credentials", client_id = "svc" }"#);
    assert!(
        login::token_url(&flow, &base)
            .unwrap_err()
            .contains("ids.toml line 4")
    );
    flow.spec_token_url = Some("token".into());
    assert_eq!(
        login::token_url(&flow, &base),
        Ok(TokenUrl::Path("/token".into()))
    );
    flow.spec_token_url = Some("http://127.0.0.1:8080/oauth/token".into());
    assert!(matches!(
        login::token_url(&flow, &base),
        Ok(TokenUrl::Absolute(_))
    ));
    flow.spec_token_url = Some("https://login.example.com/token".into());
    let refused = login::token_url(&flow, &base).unwrap_err();
    assert!(
        refused.contains("token_url = \"https://login.example.com/token\""),
        "{refused}"
    );
    flow.token_url = Some("https://login.example.com/token".into());
    assert!(matches!(
        login::token_url(&flow, &base),
        Ok(TokenUrl::Absolute(_))
    ));
}

#[test]
fn bad_sign_in_settings_name_the_file_and_line() {
    let cases = [
        (
            r#"auth.login = { operation = "POST /login", body = {}, token = "/t", encoding = "xml" }"#,
            "unknown encoding `xml`",
        ),
        (
            r#"auth.login = { operation = "POST /login", body = {}, token = { cookie = "" } }"#,
            "the cookie name is empty",
        ),
        (
            r#"auth.login = { operation = "POST /login", body = {}, token = "/t", csrf = { header = "X-CSRF" } }"#,
            "exactly one place",
        ),
        (
            r#"auth.oauth2 = { grant = "implicit" }"#,
            "unknown grant `implicit`",
        ),
        (
            r#"auth.oauth2 = { grant = "password", username = "a" }"#,
            "needs `username` and `password`",
        ),
        (
            r#"auth.oauth2 = { grant = "client_credentials", client_id = "c", token_url = "token" }"#,
            "neither a path",
        ),
    ];
    for (auth, message) in cases {
        let text = format!("[[identity]]\nname = \"a\"\nrole = \"user\"\n{auth}\n");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, Some(4), "{auth}: {e}");
        assert!(e.to_string().contains(message), "{auth}: {e}");
        assert!(e.to_string().contains("ids.toml"), "{e}");
    }
}

#[test]
fn the_spec_gives_the_login_encoding_and_the_token_url() {
    let spec = AuthStyle::OAuth2Password.spec_yaml();
    let mut model = trespass_generators::load_str(spec, "shop.yaml").unwrap();
    let mut file = parse(
        "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth.login = { operation = \"POST /token\", body = { grant_type = \"password\" }, token = \"/access_token\" }\n\n[[identity]]\nname = \"b\"\nrole = \"user\"\nauth.oauth2 = { grant = \"password\", username = \"b\", password = \"pw-of-b\" }\n",
    )
    .unwrap();
    file.apply_resources(&mut model).unwrap();
    let (Auth::Login(login), Auth::OAuth2(grant)) =
        (&file.identities[0].auth, &file.identities[1].auth)
    else {
        panic!("a login and a grant");
    };
    assert_eq!(
        login.encoding,
        Some(Encoding::Form),
        "as POST /token declares"
    );
    assert_eq!(grant.spec_token_url.as_deref(), Some("/token"));

    // No tokenUrl anywhere: the identity's line.
    let mut bearer =
        trespass_generators::load_str(AuthStyle::Bearer.spec_yaml(), "shop.yaml").unwrap();
    let mut file = parse("[[identity]]\nname = \"b\"\nrole = \"user\"\n\nauth.oauth2 = { grant = \"client_credentials\", client_id = \"c\" }\n").unwrap();
    let e = file.apply_resources(&mut bearer).unwrap_err();
    assert_eq!(e.line, Some(5), "{e}");
    assert!(e.to_string().contains("no token URL"), "{e}");
    // A nested body cannot be a form.
    let mut file = parse("[[identity]]\nname = \"a\"\nrole = \"user\"\nauth.login = { operation = \"POST /token\", body = { user = { name = \"a\" } }, token = \"/t\" }\n").unwrap();
    let e = file.apply_resources(&mut model).unwrap_err();
    assert!(e.to_string().contains("login.body.user"), "{e}");
}

/// Sessions for `file` (applied to the shop's spec in `style`) against a shop at `url`.
fn shop_sessions(style: AuthStyle, url: &str, file: &str) -> (Sessions, Redactor) {
    let mut model = trespass_generators::load_str(style.spec_yaml(), "shop.yaml").unwrap();
    let mut file = parse(file).unwrap();
    file.apply_resources(&mut model).unwrap();
    let client = HttpClient::new(ClientConfig::new(url.parse().unwrap())).unwrap();
    let redactor = Redactor::new();
    (Sessions::new(client, &file, redactor.clone()), redactor)
}

async fn send(
    sessions: &Sessions,
    who: &str,
    method_path: &str,
    body: Option<serde_json::Value>,
) -> u16 {
    let op = OperationId::parse(method_path).unwrap();
    let mut request = Request::new(op.method(), op.path().replace("{userId}", "1"));
    request.body = body.map(Body::Json);
    let exchange = sessions
        .send(who, AuthMode::Normal, &op, &request)
        .await
        .unwrap();
    exchange.outcome.status().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth2_password_grant_is_renewed_before_its_token_expires() {
    let auth = ShopAuth::new(AuthStyle::OAuth2Password).lifetime(Duration::from_secs(1));
    let shop = trespass_targets::start_shop(Mode::Secure, auth, 0).unwrap();
    let (sessions, _) = shop_sessions(
        AuthStyle::OAuth2Password,
        shop.url(),
        AuthStyle::OAuth2Password.identities_toml(),
    );
    sessions.log_in_all().await.unwrap();
    for _ in 0..4 {
        assert_eq!(send(&sessions, "alice", "GET /me", None).await, 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let logins: std::collections::BTreeMap<_, _> = sessions.logins().into_iter().collect();
    assert!(logins["alice"] >= 2, "renewed: {logins:?}");
    assert_eq!(sessions.take_lost(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_session_echoes_its_csrf_token_on_unsafe_methods() {
    let shop =
        trespass_targets::start_shop(Mode::Secure, ShopAuth::new(AuthStyle::Cookie), 0).unwrap();
    let login = |csrf: &str| {
        format!(
            "[[identity]]\nname = \"alice\"\nrole = \"user\"\nauth.login = {{ operation = \"POST /auth/login\", body = {{ username = \"alice\", password = \"alice-pass-1\" }}, token = {{ cookie = \"shop_session\" }}{csrf} }}\n"
        )
    };
    let patch = Some(json!({"displayName": "Alice A."}));
    // From the body this time (the cookie works as well: the shop's identities file).
    let (sessions, redactor) = shop_sessions(
        AuthStyle::Cookie,
        shop.url(),
        &login(", csrf = { pointer = \"/csrfToken\", header = \"X-CSRF-Token\" }"),
    );
    assert_eq!(send(&sessions, "alice", "GET /me", None).await, 200);
    assert_eq!(
        send(&sessions, "alice", "PATCH /users/{userId}", patch.clone()).await,
        200
    );
    let shown = redactor.header("cookie", "shop_session=abc");
    assert_eq!(shown, "shop_session=[cookie]");
    // Without the CSRF token the cookie reads but does not write.
    let (bare, _) = shop_sessions(AuthStyle::Cookie, shop.url(), &login(""));
    assert_eq!(send(&bare, "alice", "GET /me", None).await, 200);
    assert_eq!(
        send(&bare, "alice", "PATCH /users/{userId}", patch).await,
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_not_found_names_where_it_looked_and_shows_the_answer_redacted() {
    let shop =
        trespass_targets::start_shop(Mode::Secure, ShopAuth::new(AuthStyle::OAuth2Password), 0)
            .unwrap();
    let (sessions, _) = shop_sessions(
        AuthStyle::OAuth2Password,
        shop.url(),
        "[[identity]]\nname = \"alice\"\nrole = \"user\"\nauth.login = { operation = \"POST /token\", body = { grant_type = \"password\", username = \"alice\", password = \"alice-pass-1\" }, token = \"/accessToken\" }\n",
    );
    let e = sessions.log_in_all().await.unwrap_err().to_string();
    assert!(
        e.contains("found no token in the body at /accessToken (token, ids.toml line 4)"),
        "{e}"
    );
    assert!(e.contains(r#""access_token":"[token]""#), "{e}");
    assert!(!e.contains("shop_"), "{e}");
}

/// A token endpoint (client credentials with HTTP Basic, refresh tokens, 1-second tokens) and
/// `GET /data` that accepts its current token.
#[derive(Default)]
struct TokenServer {
    grants: AtomicU32,
    refreshes: AtomicU32,
}

async fn token_server(server: Arc<TokenServer>) -> String {
    let issue = {
        let server = server.clone();
        move |headers: HeaderMap, body: String| {
            let server = server.clone();
            async move {
                let basic = headers.get("authorization").and_then(|v| v.to_str().ok());
                if basic != Some(session::basic("svc", "s3cr3t-value").as_str()) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        r#"{"error":"invalid_client"}"#.to_string(),
                    );
                }
                let n = if body.contains("grant_type=refresh_token&refresh_token=refresh-1") {
                    server.refreshes.fetch_add(1, Ordering::SeqCst);
                    server.grants.load(Ordering::SeqCst) + 100
                } else if body.starts_with("grant_type=client_credentials") {
                    server.grants.fetch_add(1, Ordering::SeqCst) + 1
                } else {
                    return (
                        StatusCode::BAD_REQUEST,
                        r#"{"error":"invalid_grant"}"#.to_string(),
                    );
                };
                (
                    StatusCode::OK,
                    format!(
                        r#"{{"access_token":"token-{n}","token_type":"bearer","expires_in":1,"refresh_token":"refresh-1"}}"#
                    ),
                )
            }
        }
    };
    let data = move |headers: HeaderMap| async move {
        let ok = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer token-"));
        if ok {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        }
    };
    let app = Router::new()
        .route("/oauth/token", post(issue))
        .route("/data", get(data));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_are_renewed_with_the_refresh_token() {
    let server = Arc::new(TokenServer::default());
    let url = token_server(server.clone()).await;
    let file = parse(&format!(
        "[[identity]]\nname = \"svc\"\nrole = \"user\"\nauth.oauth2 = {{ grant = \"client_credentials\", token_url = \"{url}/oauth/token\", client_id = \"svc\", client_secret = \"${{SECRET}}\", client_auth = \"basic\" }}\n"
    ))
    .unwrap();
    let client = HttpClient::new(ClientConfig::new(url.parse().unwrap())).unwrap();
    let redactor = Redactor::new();
    let sessions = Sessions::new(client, &file, redactor.clone());
    let op = OperationId::new("GET", "/data");
    let data = Request::new("GET", "/data");
    let get = || sessions.send("svc", AuthMode::Normal, &op, &data);
    assert_eq!(get().await.unwrap().outcome.status(), Some(200));
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(get().await.unwrap().outcome.status(), Some(200));
    assert_eq!(server.grants.load(Ordering::SeqCst), 1);
    assert_eq!(
        server.refreshes.load(Ordering::SeqCst),
        1,
        "renewed with the refresh token"
    );
    assert_eq!(
        redactor.text("refresh-1 token-1 s3cr3t-value"),
        "[token] [token] [secret]"
    );
}

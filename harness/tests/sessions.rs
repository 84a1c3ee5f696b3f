//! Sessions and the HTTP client against a small in-test server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};
use trespass::exec::{AuthMode, ClientConfig, HttpClient, Received, Request, ResponseBody};
use trespass::identity::{IdentityFile, Sessions};
use trespass::redact::Redactor;
use trespass_generators::model::OperationId;

#[derive(Default)]
struct Server {
    /// Tokens issued so far; only the latest generation is valid.
    generation: AtomicUsize,
    logins: AtomicUsize,
}

async fn login(State(s): State<Arc<Server>>, Json(body): Json<Value>) -> impl IntoResponse {
    if body["password"] != "pw-secret-alice" {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "bad password"})),
        );
    }
    s.logins.fetch_add(1, Ordering::SeqCst);
    let g = s.generation.load(Ordering::SeqCst);
    (
        StatusCode::OK,
        Json(json!({"accessToken": format!("tok-alice-gen{g}")})),
    )
}

async fn whoami(State(s): State<Arc<Server>>, headers: HeaderMap) -> impl IntoResponse {
    let expected = format!(
        "Bearer tok-alice-gen{}",
        s.generation.load(Ordering::SeqCst)
    );
    let key_ok = headers.get("x-api-key").is_some_and(|k| k == "key-bob-123");
    match headers.get(header::AUTHORIZATION) {
        Some(v) if *v == *expected => (StatusCode::OK, Json(json!({"name": "alice"}))),
        _ if key_ok => (StatusCode::OK, Json(json!({"name": "bob"}))),
        _ => (StatusCode::UNAUTHORIZED, Json(json!({"error": "who?"}))),
    }
}

fn start() -> (String, Arc<Server>, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let state = Arc::new(Server::default());
    let app = axum::Router::new()
        .route("/auth/login", post(login))
        .route("/whoami", get(whoami))
        .route(
            "/rotate",
            post(|State(s): State<Arc<Server>>| async move {
                s.generation.fetch_add(1, Ordering::SeqCst);
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/away",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "http://127.0.0.2:9/steal")],
                )
            }),
        )
        .route(
            "/home",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/whoami")]) }),
        )
        .route("/big", get(|| async { "x".repeat(5000) }))
        .with_state(Arc::clone(&state));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state, rt)
}

const IDENTITIES: &str = r#"
[[identity]]
name = "alice"
role = "user"
auth.login = { operation = "POST /auth/login", body = { username = "alice", password = "pw-secret-alice" }, token = "/accessToken" }

[[identity]]
name = "bob"
role = "user"
auth.api_key = { in = "header", name = "X-Api-Key", value = "key-bob-123" }

[[identity]]
name = "anon"
role = "anonymous"
"#;

fn sessions_with(text: &str, url: &str, max_body: usize) -> Sessions {
    let file = IdentityFile::parse(text, "ids.toml", |_| None).unwrap();
    let mut config = ClientConfig::new(url.parse().unwrap());
    config.max_body_bytes = max_body;
    Sessions::new(HttpClient::new(config).unwrap(), &file, Redactor::new())
}

fn sessions(url: &str, max_body: usize) -> Sessions {
    sessions_with(IDENTITIES, url, max_body)
}

/// The operation of a request to a parameterless path.
fn op(request: &Request) -> OperationId {
    OperationId::new(&request.method, &request.path)
}

fn status(e: &trespass::exec::Exchange) -> u16 {
    e.outcome.status().expect("an HTTP answer")
}

#[test]
fn login_once_then_relogin_on_401() {
    let (url, server, rt) = start();
    let s = sessions(&url, 1 << 20);
    rt.block_on(async {
        let req = Request::new("GET", "/whoami");
        let a = s
            .send("alice", AuthMode::Normal, &op(&req), &req)
            .await
            .unwrap();
        assert_eq!(status(&a), 200);
        let a = s
            .send("alice", AuthMode::Normal, &op(&req), &req)
            .await
            .unwrap();
        assert_eq!(status(&a), 200);
        assert_eq!(
            server.logins.load(Ordering::SeqCst),
            1,
            "the token is reused"
        );
        // The server forgets every token: the next request gets 401, logs in again, retries.
        s.send(
            "anon",
            AuthMode::Normal,
            &op(&Request::new("POST", "/rotate")),
            &Request::new("POST", "/rotate"),
        )
        .await
        .unwrap();
        let a = s
            .send("alice", AuthMode::Normal, &op(&req), &req)
            .await
            .unwrap();
        assert_eq!(status(&a), 200);
        assert_eq!(server.logins.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn none_and_invalid_modes_send_no_valid_credentials() {
    let (url, _server, rt) = start();
    let s = sessions(&url, 1 << 20);
    rt.block_on(async {
        let req = Request::new("GET", "/whoami");
        for who in ["alice", "bob"] {
            let normal = s
                .send(who, AuthMode::Normal, &op(&req), &req)
                .await
                .unwrap();
            assert_eq!(status(&normal), 200, "{who}");
            let none = s.send(who, AuthMode::None, &op(&req), &req).await.unwrap();
            assert_eq!(status(&none), 401, "{who}");
            let invalid = s
                .send(who, AuthMode::Invalid, &op(&req), &req)
                .await
                .unwrap();
            assert_eq!(status(&invalid), 401, "{who}");
        }
        let anon = s
            .send("anon", AuthMode::Normal, &op(&req), &req)
            .await
            .unwrap();
        assert_eq!(status(&anon), 401);
        let err = s
            .send("mallory", AuthMode::Normal, &op(&req), &req)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("mallory"), "{err}");
    });
}

#[test]
fn redirects_stay_on_the_target_host() {
    let (url, _server, rt) = start();
    let s = sessions(&url, 1 << 20);
    rt.block_on(async {
        let away = s
            .send(
                "bob",
                AuthMode::Normal,
                &op(&Request::new("GET", "/away")),
                &Request::new("GET", "/away"),
            )
            .await
            .unwrap();
        assert_eq!(status(&away), 302, "not followed to another host");
        let home = s
            .send(
                "bob",
                AuthMode::Normal,
                &op(&Request::new("GET", "/home")),
                &Request::new("GET", "/home"),
            )
            .await
            .unwrap();
        assert_eq!(status(&home), 200, "followed on the same host");
    });
}

#[test]
fn bodies_are_capped() {
    let (url, _server, rt) = start();
    let s = sessions(&url, 1000);
    rt.block_on(async {
        let big = s
            .send(
                "anon",
                AuthMode::Normal,
                &op(&Request::new("GET", "/big")),
                &Request::new("GET", "/big"),
            )
            .await
            .unwrap();
        let Received::Response(r) = &big.outcome else {
            panic!("{big:?}")
        };
        assert!(r.truncated);
        assert_eq!(r.body, ResponseBody::Text("x".repeat(1000)));
    });
}

#[test]
fn failed_login_is_a_clear_error_without_the_password() {
    let (url, _server, rt) = start();
    let text = IDENTITIES.replace("pw-secret-alice", "wrong-password");
    let s = sessions_with(&text, &url, 1 << 20);
    rt.block_on(async {
        let err = s
            .send(
                "alice",
                AuthMode::Normal,
                &op(&Request::new("GET", "/whoami")),
                &Request::new("GET", "/whoami"),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("POST /auth/login") && err.contains("401"),
            "{err}"
        );
        assert!(!err.contains("wrong-password"), "{err}");
    });
}

#[test]
fn learned_tokens_are_redacted() {
    let (url, _server, rt) = start();
    let s = sessions(&url, 1 << 20);
    rt.block_on(async {
        s.send(
            "alice",
            AuthMode::Normal,
            &op(&Request::new("GET", "/whoami")),
            &Request::new("GET", "/whoami"),
        )
        .await
        .unwrap();
    });
    let shown = s
        .redactor()
        .text("token tok-alice-gen0 and password pw-secret-alice and key key-bob-123");
    assert_eq!(
        shown,
        "token [token] and password [password] and key [secret]"
    );
}

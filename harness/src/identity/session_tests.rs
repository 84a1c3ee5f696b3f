//! Sessions against a small server: a refusal is a verdict, an invalid token is renewed once,
//! and an identity whose login stops working is reported lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use trespass_generators::model::OperationId;

use super::*;
use crate::http::{AuthMode, ClientConfig, HttpClient, Request};
use crate::redact::Redactor;

/// The server's state: tokens it accepts, logins it answered, whether logins work.
#[derive(Default)]
struct Server {
    generation: AtomicU32,
    logins: AtomicU32,
    login_broken: AtomicBool,
}

impl Server {
    fn token(&self) -> String {
        format!("token-of-alice-{}", self.generation.load(Ordering::SeqCst))
    }

    fn valid(&self, headers: &HeaderMap) -> bool {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {}", self.token()))
    }
}

/// Serves `POST /login`, `GET /me` (200 to a valid token), `GET /items/{id}` (200 to a valid
/// token for item 1, 401 for others: an API that says 401 for "forbidden") and `GET /admin`
/// (always 401).
async fn serve(server: Arc<Server>) -> String {
    let login = {
        let server = server.clone();
        move || {
            let server = server.clone();
            async move {
                server.logins.fetch_add(1, Ordering::SeqCst);
                if server.login_broken.load(Ordering::SeqCst) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        r#"{"error":"no such user"}"#.to_string(),
                    );
                }
                (
                    StatusCode::OK,
                    format!(r#"{{"token":"{}"}}"#, server.token()),
                )
            }
        }
    };
    let me = {
        let server = server.clone();
        move |headers: HeaderMap| {
            let server = server.clone();
            async move {
                if server.valid(&headers) {
                    StatusCode::OK
                } else {
                    StatusCode::UNAUTHORIZED
                }
            }
        }
    };
    let item = {
        let server = server.clone();
        move |headers: HeaderMap, axum::extract::Path(id): axum::extract::Path<u32>| {
            let server = server.clone();
            async move {
                if server.valid(&headers) && id == 1 {
                    StatusCode::OK
                } else {
                    StatusCode::UNAUTHORIZED
                }
            }
        }
    };
    let app = Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/items/{id}", get(item))
        .route("/admin", get(|| async { StatusCode::UNAUTHORIZED }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn sessions(url: &str) -> Sessions {
    let file = IdentityFile::parse(
        r#"
[[identity]]
name = "alice"
role = "user"
auth.login = { operation = "POST /login", body = { username = "alice", password = "alice-secret-pw" }, token = "/token" }
"#,
        "ids.toml",
        |_| None,
    )
    .unwrap();
    let client = HttpClient::new(ClientConfig::new(url.parse().unwrap())).unwrap();
    Sessions::new(client, &file, Redactor::new())
}

async fn status(sessions: &Sessions, method_path: &str) -> Result<u16, SessionError> {
    let op = OperationId::parse(method_path).unwrap();
    let path = op.path().replace("{id}", "2");
    let exchange = sessions
        .send(
            "alice",
            AuthMode::Normal,
            &op,
            &Request::new(op.method(), path),
        )
        .await?;
    Ok(exchange.outcome.status().unwrap_or(0))
}

#[tokio::test]
async fn a_refusal_is_a_verdict_and_an_invalid_token_is_renewed_once() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let sessions = sessions(&url);
    sessions.log_in_all().await.unwrap();
    assert_eq!(server.logins.load(Ordering::SeqCst), 1);
    assert_eq!(status(&sessions, "GET /me").await, Ok(200));

    // Never passed: a refusal, no new login.
    assert_eq!(status(&sessions, "GET /admin").await, Ok(401));
    assert_eq!(
        server.logins.load(Ordering::SeqCst),
        1,
        "a refusal is no expiry"
    );

    // Passed for item 1, refused for item 2 while `GET /me` still passes: a refusal too.
    let op = OperationId::new("GET", "/items/{id}");
    let one = Request::new("GET", "/items/1");
    let sent = sessions.send("alice", AuthMode::Normal, &op, &one).await;
    assert_eq!(sent.unwrap().outcome.status(), Some(200));
    assert_eq!(status(&sessions, "GET /items/{id}").await, Ok(401));
    assert_eq!(
        server.logins.load(Ordering::SeqCst),
        1,
        "the token still works"
    );

    // The server forgets the token: a request that passed answers 401, the session logs in
    // again once and the request passes.
    server.generation.fetch_add(1, Ordering::SeqCst);
    assert_eq!(status(&sessions, "GET /me").await, Ok(200));
    assert_eq!(server.logins.load(Ordering::SeqCst), 2);
    assert_eq!(sessions.take_lost(), None);
}

#[tokio::test]
async fn an_identity_whose_login_stops_working_is_lost() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let sessions = sessions(&url);
    assert_eq!(status(&sessions, "GET /me").await, Ok(200));
    server.generation.fetch_add(1, Ordering::SeqCst);
    server.login_broken.store(true, Ordering::SeqCst);
    let e = status(&sessions, "GET /me").await.unwrap_err();
    assert!(
        matches!(&e, SessionError::Login { reason, .. } if reason.contains("no such user")),
        "the target's answer is shown: {e}"
    );
    assert!(!e.to_string().contains("alice-secret-pw"), "{e}");
    let lost = sessions.take_lost().expect("alice is lost");
    assert_eq!(lost.identity, "alice");
    assert_eq!(sessions.take_lost(), None, "taken once");
}

#[tokio::test]
async fn a_renewal_refused_while_the_token_lasts_keeps_the_token_until_it_expires() {
    use std::time::Duration;
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let sessions = sessions(&url);
    assert_eq!(status(&sessions, "GET /me").await, Ok(200));
    assert_eq!(server.logins.load(Ordering::SeqCst), 1);

    // Due and renewed: a second login.
    sessions.make_due("alice", Duration::from_secs(60)).await;
    assert_eq!(status(&sessions, "GET /me").await, Ok(200));
    assert_eq!(server.logins.load(Ordering::SeqCst), 2);

    // Due, and the login refuses (the account changed): the token still lasts, so the request
    // goes with it, nobody is lost, and no second attempt follows before it expires.
    server.login_broken.store(true, Ordering::SeqCst);
    sessions.make_due("alice", Duration::from_secs(60)).await;
    assert_eq!(status(&sessions, "GET /me").await, Ok(200));
    assert_eq!(status(&sessions, "GET /me").await, Ok(200));
    assert_eq!(
        server.logins.load(Ordering::SeqCst),
        3,
        "one refused renewal"
    );
    assert_eq!(sessions.take_lost(), None);

    // Expired, and the login still refuses: lost.
    sessions.make_due("alice", Duration::ZERO).await;
    let e = status(&sessions, "GET /me").await.unwrap_err();
    assert!(matches!(e, SessionError::Login { .. }), "{e}");
    assert_eq!(server.logins.load(Ordering::SeqCst), 4);
    assert_eq!(
        sessions.take_lost().map(|l| l.identity).as_deref(),
        Some("alice")
    );
}

//! The `account-takeover` oracle end to end: the executor's login checks against a small
//! in-test server whose password change either changes the user named in the path (the bug),
//! the caller's own password whatever the path says (secure), or refuses another user's path
//! with 401 (secure).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{post, put};
use indexmap::IndexMap;
use serde_json::{Value, json};
use trespass::exec::{ClientConfig, Executor, HttpClient, LoginCheck, Purpose, RunResult};
use trespass::identity::{IdentityFile, Sessions};
use trespass::oracle::{AccountTakeover, CheckContext, Oracle, Policy, Violation};
use trespass::redact::Redactor;
use trespass_generators::sequence::{Arg, Args, AuthMode, BodyArg, IdentityId, Sequence, Step};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Changes the password of the user in the path (the bug).
    PathUser,
    /// Changes the caller's own password, ignoring the path.
    Caller,
    /// Refuses another user's path with 401.
    Refuse,
}

struct Server {
    mode: Mode,
    passwords: Mutex<HashMap<String, String>>,
    tokens: Mutex<HashMap<String, String>>,
}

async fn login(State(s): State<Arc<Server>>, Json(body): Json<Value>) -> impl IntoResponse {
    let user = body["username"].as_str().unwrap_or_default().to_string();
    let ok =
        s.passwords.lock().unwrap().get(&user).map(String::as_str) == body["password"].as_str();
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "bad login"})),
        );
    }
    let mut tokens = s.tokens.lock().unwrap();
    let token = format!("tok-{user}-{}", tokens.len());
    tokens.insert(token.clone(), user);
    (StatusCode::OK, Json(json!({"token": token})))
}

async fn change_password(
    State(s): State<Arc<Server>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> StatusCode {
    let caller = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| s.tokens.lock().unwrap().get(t).cloned());
    let Some(caller) = caller else {
        return StatusCode::UNAUTHORIZED;
    };
    let Some(new) = body["password"].as_str() else {
        return StatusCode::BAD_REQUEST;
    };
    let whose = match s.mode {
        Mode::PathUser => username,
        Mode::Caller => caller,
        Mode::Refuse if username == caller => caller,
        Mode::Refuse => return StatusCode::UNAUTHORIZED,
    };
    let mut passwords = s.passwords.lock().unwrap();
    if !passwords.contains_key(&whose) {
        return StatusCode::NOT_FOUND;
    }
    passwords.insert(whose, new.to_string());
    StatusCode::NO_CONTENT
}

fn start(mode: Mode) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let passwords = [("alice", "pw-alice-1"), ("bob", "pw-bob-22")]
        .into_iter()
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .collect();
    let state = Arc::new(Server {
        mode,
        passwords: Mutex::new(passwords),
        tokens: Mutex::new(HashMap::new()),
    });
    let app = axum::Router::new()
        .route("/auth/login", post(login))
        .route("/users/{username}/password", put(change_password))
        .with_state(state);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rt)
}

const SPEC: &str = r#"
openapi: 3.0.3
info: {title: accounts, version: "1"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
security: [{bearer: []}]
paths:
  /auth/login:
    post:
      security: []
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties: {username: {type: string}, password: {type: string, writeOnly: true}}
      responses:
        '200': {description: token}
        '401': {description: bad login}
  /users/{username}/password:
    put:
      parameters: [{name: username, in: path, required: true, schema: {type: string}}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties: {password: {type: string, writeOnly: true}}
      responses:
        '204': {description: changed}
        '401': {description: not yours}
"#;

const IDENTITIES: &str = r#"
[[identity]]
name = "alice"
role = "user"
auth.login = { operation = "POST /auth/login", body = { username = "alice", password = "pw-alice-1" }, token = "/token" }

[[identity]]
name = "bob"
role = "user"
auth.login = { operation = "POST /auth/login", body = { username = "bob", password = "pw-bob-22" }, token = "/token" }
"#;

const NEW_PASSWORD: &str = "bobs-choice-77";

/// bob sets the password of `target` (by path) to [`NEW_PASSWORD`]; the run's trace, its
/// `account-takeover` violations, and the redactor of its sessions.
fn run(mode: Mode, target: &str) -> (RunResult, Vec<Violation>, Redactor) {
    let (url, rt) = start(mode);
    let model = trespass_generators::load_str(SPEC, "accounts.yaml").expect("loads");
    let file = IdentityFile::parse(IDENTITIES, "ids.toml", |_| None).expect("parses");
    let redactor = Redactor::new();
    let client = HttpClient::new(ClientConfig::new(url.parse().unwrap())).unwrap();
    let sessions = Sessions::new(client, &file, redactor.clone());
    let step = |who: &str, user: &str, password: &str| Step {
        identity: IdentityId::new(who),
        op: trespass_generators::model::OperationId::new("PUT", "/users/{username}/password"),
        auth: AuthMode::Normal,
        args: Args {
            path: IndexMap::from([("username".to_string(), Arg::Value(json!(user)))]),
            body: Some(BodyArg {
                media_type: "application/json".into(),
                value: json!({ "password": password }),
                refs: Vec::new(),
            }),
            ..Args::default()
        },
        violates: Vec::new(),
    };
    let sequence = Sequence {
        steps: vec![step("bob", target, NEW_PASSWORD)],
    };
    let result = rt.block_on(Executor::new(&model, &sessions, Vec::new()).run(&sequence));
    let policy = Policy::new(&model, &file.policy);
    let cx = CheckContext::new(
        &model,
        &result.trace,
        &result.ownership,
        &policy,
        Duration::from_secs(5),
    );
    let violations = AccountTakeover.check(&cx);
    (result, violations, redactor)
}

fn checks(result: &RunResult) -> Vec<(LoginCheck, u16)> {
    result
        .trace
        .steps
        .iter()
        .filter_map(|s| match s.purpose {
            Purpose::LoginCheck { check, .. } => Some((check, s.status()?)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_change_of_the_path_users_password_is_a_takeover() {
    let (result, violations, redactor) = run(Mode::PathUser, "alice");
    assert_eq!(
        checks(&result),
        [
            (LoginCheck::Before, 200),
            (LoginCheck::Configured, 401),
            (LoginCheck::Changed, 200)
        ]
    );
    assert_eq!(violations.len(), 1, "{violations:?}");
    let v = &violations[0];
    assert_eq!(v.oracle, "account-takeover");
    assert_eq!(v.operation.to_string(), "PUT /users/{username}/password");
    assert!(
        v.message.contains("bob") && v.message.contains("alice's credentials"),
        "{}",
        v.message
    );
    // The new password is a secret from now on, in every report.
    assert_eq!(
        redactor.text(&format!("logged in with {NEW_PASSWORD}")),
        "logged in with [password]"
    );
    let changed = result
        .trace
        .steps
        .iter()
        .find(|s| {
            s.purpose
                == Purpose::LoginCheck {
                    of: trespass::exec::TraceIndex(1),
                    check: LoginCheck::Changed,
                }
        })
        .expect("the changed login");
    assert_eq!(
        redactor.json(changed.body.as_ref().unwrap()),
        json!({"username": "alice", "password": "[password]"})
    );
}

#[test]
fn a_change_applied_to_the_caller_is_no_takeover() {
    let (result, violations, _) = run(Mode::Caller, "alice");
    assert_eq!(
        checks(&result),
        [
            (LoginCheck::Before, 200),
            (LoginCheck::Configured, 200),
            (LoginCheck::Changed, 401)
        ]
    );
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn a_refused_change_is_no_takeover_and_is_not_checked_after() {
    let (result, violations, _) = run(Mode::Refuse, "alice");
    assert_eq!(checks(&result), [(LoginCheck::Before, 200)]);
    assert_eq!(result.trace.steps[1].status(), Some(401));
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn a_change_of_ones_own_password_is_not_checked() {
    let (result, violations, _) = run(Mode::PathUser, "bob");
    assert!(checks(&result).is_empty());
    assert_eq!(result.trace.steps.len(), 1);
    assert!(violations.is_empty());
}

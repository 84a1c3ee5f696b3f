//! The reproducers: no credential in them, and the curl script shows the violation on a live
//! demo target.

use std::path::Path;
use std::process::Command;

use serde_json::json;
use trespass_targets::{Mode, Service};

use super::*;
use crate::finding::{FindingStore, Origin};

/// A hand-built BOLA read on the shop: alice finds her id, adds an address (its id comes
/// from the `Location` header), bob reads it.
fn shop_bola() -> Finding {
    let step = |index: usize, identity: &str, method: &str, path: &str, status: u16| {
        json!({"index": index, "purpose": "sequence", "identity": identity, "role": "user",
               "auth": "normal", "method": method, "path": path, "status": status,
               "elapsed_ms": 1})
    };
    serde_json::from_value(json!({
        "format_version": 1,
        "oracle": "bola",
        "operation": "GET /users/{userId}/addresses/{addressId}",
        "signature": "bola GET /users/{userId}/addresses/{addressId} [user,user]",
        "roles": ["user", "user"],
        "message": "bob read alice's address",
        "rule": "objects are private to their owner",
        "confirmed": true,
        "count": 1, "case": 4, "seed": 11,
        "origin": {"spec": "embedded:shop", "spec_sha256": "00", "identities": "embedded:shop"},
        "step": 2,
        "steps": [
            step(0, "alice", "GET", "/me", 200),
            step(1, "alice", "POST", "/users/1/addresses", 201),
            step(2, "bob", "GET", "/users/1/addresses/3", 200),
        ],
        "sequence": {"steps": [
            {"identity": "alice", "op": "GET /me", "args": {}},
            {"identity": "alice", "op": "POST /users/{userId}/addresses", "args": {
                "path": {"userId": {"ref": {"step": 0, "source": {"body": {"pointer": "/id"}}}}},
                "body": {"media_type": "application/json", "value": {
                    "recipient": "Alice O'Hara", "line1": "1 Main St", "city": "Springfield",
                    "postalCode": "12345", "country": "US"}}
            }},
            {"identity": "bob", "op": "GET /users/{userId}/addresses/{addressId}", "args": {
                "path": {
                    "userId": {"ref": {"step": 0, "source": {"body": {"pointer": "/id"}}}},
                    "addressId": {"ref": {"step": 1, "source": "location"}}
                }
            }}
        ]}
    }))
    .expect("the hand-built finding parses")
}

fn demo(service: Service) -> (ApiModel, IdentityFile) {
    crate::campaign::demo_subject(service).expect("the demo loads")
}

/// The demo credentials, as a user would export them.
fn demo_env(service: Service) -> Vec<(String, String)> {
    match service {
        Service::Shop => vec![
            ("TRESPASS_PASSWORD_ALICE".into(), "alice-pass-1".into()),
            ("TRESPASS_PASSWORD_BOB".into(), "bob-pass-2".into()),
            ("TRESPASS_PASSWORD_CAROL".into(), "carol-pass-3".into()),
        ],
        _ => vec![
            (
                "TRESPASS_API_KEY_ALICE".into(),
                "nk_alice_3f9c1e7b52d04a8e".into(),
            ),
            (
                "TRESPASS_API_KEY_BOB".into(),
                "nk_bob_8d2a6f0c91e34b57".into(),
            ),
            (
                "TRESPASS_API_KEY_DANA".into(),
                "nk_dana_5b7e2c9a14f06d38".into(),
            ),
        ],
    }
}

fn run_script(script: &str, base_url: &str, env: &[(String, String)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repro.sh");
    std::fs::write(&path, script).unwrap();
    Command::new("bash")
        .arg(&path)
        .env("BASE_URL", base_url)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("bash runs")
}

/// The status the script printed for the violating step.
fn shown_status(stdout: &str) -> Option<u16> {
    let line = stdout.lines().find(|l| l.starts_with("violation step "))?;
    let rest = &line[line.find("status ")? + "status ".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

#[test]
fn the_script_logs_in_from_the_environment_and_holds_no_credential() {
    let (model, identities) = demo(Service::Shop);
    let finding = shop_bola();
    let script = curl_script(
        &finding,
        Some(&model),
        Some(&identities),
        Path::new("corpus/findings/x.json"),
    );
    for secret in identities.secrets() {
        assert!(!script.contains(&secret), "{secret} in\n{script}");
    }
    for needle in [
        "set -euo pipefail",
        "# trespass reproducer: [bola] GET /users/{userId}/addresses/{addressId}",
        "# rule: objects are private to their owner",
        "trespass replay corpus/findings/x.json",
        "TRESPASS_PASSWORD_ALICE",
        "TRESPASS_PASSWORD_BOB",
        "send login_alice",
        "location_ref s2",
        "body_ref s1 '[\"id\"]'",
        "POST '/__reset'",
    ] {
        assert!(script.contains(needle), "no `{needle}` in\n{script}");
    }
    assert!(
        !script.contains("TRESPASS_PASSWORD_CAROL"),
        "only the identities that act need credentials"
    );
    let syntax = Command::new("bash")
        .arg("-n")
        .arg("/dev/stdin")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(script.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
}

/// Runs `script` (bob reads alice's address) against a live vulnerable shop with the demo
/// credentials, checks that it shows the read, and returns its stderr.
fn shows_bob_reading_alices_address(script: &str) -> String {
    let vulnerable = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let out = run_script(script, vulnerable.url(), &demo_env(Service::Shop));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}\n{script}");
    assert_eq!(shown_status(&stdout), Some(200), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 Main St"),
        "bob got alice's address: {stdout}"
    );
    stderr
}

#[test]
fn the_script_shows_the_bola_read_on_the_live_shop_and_not_on_the_fixed_one() {
    let (model, identities) = demo(Service::Shop);
    let finding = shop_bola();
    let script = curl_script(
        &finding,
        Some(&model),
        Some(&identities),
        Path::new("f.json"),
    );
    let env = demo_env(Service::Shop);

    let stderr = shows_bob_reading_alices_address(&script);
    assert!(stderr.contains("[s2] alice POST"), "{stderr}");

    let secure = trespass_targets::start(Service::Shop, Mode::Secure, 0).unwrap();
    let out = run_script(&script, secure.url(), &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let shown = shown_status(&stdout);
    assert!(
        matches!(shown, Some(403 | 404)),
        "the fixed shop refuses: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_missing_credential_stops_the_script_naming_the_variable() {
    let (model, identities) = demo(Service::Shop);
    let script = curl_script(
        &shop_bola(),
        Some(&model),
        Some(&identities),
        Path::new("f.json"),
    );
    let out = run_script(&script, "http://127.0.0.1:9", &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TRESPASS_PASSWORD_ALICE"), "{stderr}");
}

#[test]
fn api_keys_come_from_the_environment_and_invalid_modes_send_made_up_ones() {
    let (model, identities) = demo(Service::Notes);
    let finding: Finding = serde_json::from_value(json!({
        "oracle": "ignored-auth", "operation": "GET /teams", "signature": "ignored-auth GET /teams [anonymous]",
        "roles": ["user"], "message": "m", "rule": "r", "confirmed": true, "count": 1,
        "case": 0, "seed": 0, "step": 1, "steps": [],
        "sequence": {"steps": [
            {"identity": "alice", "op": "POST /teams", "args": {"body": {
                "media_type": "application/json", "value": {"name": "Guild"}}}},
            {"identity": "bob", "op": "GET /teams/{teamId}", "auth": "invalid", "args": {
                "path": {"teamId": {"ref": {"step": 0, "source": {"body": {"pointer": "/id"}}}}}}}
        ]}
    }))
    .unwrap();
    let script = curl_script(
        &finding,
        Some(&model),
        Some(&identities),
        Path::new("f.json"),
    );
    for secret in identities.secrets() {
        assert!(!script.contains(&secret), "{secret} in\n{script}");
    }
    assert!(
        script.contains("'X-Api-Key: '\"$TRESPASS_API_KEY_ALICE\""),
        "{script}"
    );
    assert!(script.contains(INVALID_CREDENTIAL), "{script}");
    assert!(
        !script.contains(": \"${TRESPASS_API_KEY_BOB"),
        "bob only sends made-up credentials: {script}"
    );

    let target = trespass_targets::start(Service::Notes, Mode::Vulnerable, 0).unwrap();
    let out = run_script(&script, target.url(), &demo_env(Service::Notes));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        shown_status(&stdout),
        Some(401),
        "made-up credentials are refused: {stdout}"
    );
}

#[test]
fn without_a_spec_or_identities_the_script_takes_whole_header_lines() {
    let mut finding = shop_bola();
    finding.origin = None;
    let script = curl_script(&finding, None, None, Path::new("f.json"));
    assert!(script.contains("\"$TRESPASS_AUTH_ALICE\""), "{script}");
    assert!(script.contains("set BASE_URL to"), "{script}");

    let target = trespass_targets::start(Service::Notes, Mode::Vulnerable, 0).unwrap();
    let mut notes: Finding = finding.clone();
    notes.sequence = serde_json::from_value(json!({"steps": [
        {"identity": "alice", "op": "GET /me", "args": {}}
    ]}))
    .unwrap();
    notes.steps.clear();
    let script = curl_script(&notes, None, None, Path::new("f.json"));
    let out = run_script(
        &script,
        target.url(),
        &[(
            "TRESPASS_AUTH_ALICE".into(),
            "X-Api-Key: nk_alice_3f9c1e7b52d04a8e".into(),
        )],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shown_status(&stdout), Some(200), "{stdout}");
    assert!(stdout.contains("alice"), "{stdout}");
}

#[test]
fn the_rust_test_replays_the_saved_finding() {
    let demo_test = rust_test(&shop_bola(), Path::new("corpus/findings/bola.json"));
    for needle in [
        "/// [bola] GET /users/{userId}/addresses/{addressId} (user,user): bob read alice's address",
        "#[test]\nfn trespass_bola_get_users_userid_addresses_addressid_user_user_",
        "trespass::Harness::demo(trespass_targets::Service::Shop)",
        ".replay_only(\"corpus/findings/bola.json\")",
        ".assert_clean();",
        "`trespass replay corpus/findings/bola.json`",
    ] {
        assert!(demo_test.contains(needle), "no `{needle}` in\n{demo_test}");
    }

    let mut remote = shop_bola();
    remote.origin = Some(
        Origin::new("api/openapi.yaml", "x")
            .identities("api/identities.toml")
            .base_url("http://127.0.0.1:8080/"),
    );
    let test = rust_test(&remote, Path::new("f.json"));
    for needle in [
        "std::env::var(\"TRESPASS_BASE_URL\")",
        "trespass::Harness::from_spec(\"api/openapi.yaml\")",
        ".identities_file(\"api/identities.toml\")",
        ".base_url(&base_url)",
    ] {
        assert!(test.contains(needle), "no `{needle}` in\n{test}");
    }
    assert_eq!(
        test.matches('{').count(),
        test.matches('}').count(),
        "{test}"
    );
}

#[test]
fn the_reproducers_are_written_beside_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let store = FindingStore::new(dir.path());
    let json = store.save(&shop_bola()).unwrap();
    let (model, identities) = demo(Service::Shop);
    let written = write_beside(&json, &shop_bola(), Some(&model), Some(&identities)).unwrap();
    let script = json.with_extension("sh");
    let test = json.with_extension("rs");
    assert_eq!((&written.script, &written.test), (&script, &test));
    assert!(script.is_file() && test.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&script).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        text.contains("send login_bob"),
        "the identities give the login: {text}"
    );
    assert!(text.contains(&json.display().to_string()), "{text}");
    assert_eq!(
        store.load_all().unwrap().len(),
        1,
        "only .json files are findings"
    );
}

#[test]
fn pointers_become_jq_paths_following_the_template() {
    let template = json!({"items": [{"id": null}], "owner": {}});
    assert_eq!(
        jq_path(&template, "/items/0/id").unwrap(),
        json!(["items", 0, "id"])
    );
    assert_eq!(
        jq_path(&template, "/owner/a~1b").unwrap(),
        json!(["owner", "a/b"])
    );
    assert_eq!(jq_path(&template, "").unwrap(), json!([]));
    assert!(jq_path(&template, "items").is_err());
    assert_eq!(sq("it's"), r"'it'\''s'");
    assert_eq!(
        env_var("PASSWORD", "team-lead.2"),
        "TRESPASS_PASSWORD_TEAM_LEAD_2"
    );
}

/// A server that answers every connection with a 200 whose body never ends.
fn endless_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n");
                let chunk = [b'x'; 65536];
                while stream.write_all(&chunk).is_ok() {}
            });
        }
    });
    url
}

#[test]
fn a_script_request_stops_at_its_caps_on_an_endless_answer() {
    let url = endless_server();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("endless.sh");
    std::fs::write(
        &path,
        format!(
            "set -euo pipefail\n{}\nsend s1 endless GET /x ''\necho \"not reached\"\n",
            super::shell::HELPERS
        ),
    )
    .unwrap();
    let mut child = Command::new("bash")
        .arg(&path)
        .env("BASE_URL", &url)
        .env("MAX_FILESIZE", "100000")
        .env("MAX_TIME", "3")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bash runs");
    // A watchdog far above both caps, so that a script without them fails instead of hanging.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the script never stopped reading an endless answer");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "curl gave up: {stderr}");
    assert!(!stdout.contains("not reached"), "{stdout}");
    assert!(
        stderr.contains("Maximum file size") || stderr.contains("timed out"),
        "curl names its cap: {stderr}"
    );
}

/// A hand-built account takeover: bob sets alice's password; alice's logins around it.
#[test]
fn the_script_replays_the_login_checks_of_a_takeover() {
    let identities = IdentityFile::parse(
        r#"
[[identity]]
name = "alice"
role = "user"
auth.login = { operation = "POST /auth/login", body = { username = "alice", password = "pw-alice-secret" }, token = "/token" }

[[identity]]
name = "bob"
role = "user"
auth.login = { operation = "POST /auth/login", body = { username = "bob", password = "pw-bob-secret" }, token = "/token" }
"#,
        "ids.toml",
        |_| None,
    )
    .expect("parses");
    let step = |index: usize, purpose: &str, identity: &str, method: &str, path: &str| {
        json!({"index": index, "purpose": purpose, "identity": identity, "role": "user",
               "auth": "normal", "method": method, "path": path, "status": 200,
               "elapsed_ms": 1})
    };
    let finding: Finding = serde_json::from_value(json!({
        "format_version": 1,
        "oracle": "account-takeover",
        "operation": "PUT /users/{username}/password",
        "signature": "account-takeover PUT /users/{username}/password [user,user]",
        "roles": ["user", "user"],
        "message": "bob changed alice's credentials",
        "rule": "only the account holder changes its credentials",
        "confirmed": true,
        "count": 1, "case": 1, "seed": 1,
        "step": 1,
        "steps": [
            step(0, "login_before", "alice", "POST", "/auth/login"),
            step(1, "sequence", "bob", "PUT", "/users/alice/password"),
            step(2, "login_after", "alice", "POST", "/auth/login"),
            step(3, "login_changed", "alice", "POST", "/auth/login"),
        ],
        "sequence": {"steps": [
            {"identity": "bob", "op": "PUT /users/{username}/password", "args": {
                "path": {"username": {"value": "alice"}},
                "body": {"media_type": "application/json", "value": {"password": "bobs-choice-77"}}
            }}
        ]}
    }))
    .expect("the hand-built finding parses");
    let script = curl_script(&finding, None, Some(&identities), Path::new("x.json"));
    for secret in identities.secrets() {
        assert!(!script.contains(&secret), "{secret} in\n{script}");
    }
    let sends: Vec<&str> = script.lines().filter(|l| l.starts_with("send s")).collect();
    assert_eq!(sends.len(), 4, "{script}");
    assert!(
        sends[0].contains("/auth/login") && sends[0].contains("TRESPASS_PASSWORD_ALICE"),
        "{}",
        sends[0]
    );
    assert!(sends[1].contains("PUT"), "{}", sends[1]);
    assert!(sends[2].contains("TRESPASS_PASSWORD_ALICE"), "{}", sends[2]);
    assert!(
        sends[3].contains("bobs-choice-77") && !sends[3].contains("TRESPASS_PASSWORD_ALICE"),
        "the new value replaces alice's: {}",
        sends[3]
    );
}

/// [`shop_bola`] with a step between alice's address and bob's read that the recorded run
/// skipped (the value it needed was not in the answer): the reports name the sequence step
/// each sent, and the script sends those, in order.
fn shop_bola_with_a_skipped_step() -> Finding {
    let mut finding = shop_bola();
    let skipped = serde_json::from_value(json!({
        "identity": "alice", "op": "GET /users/{userId}/addresses/{addressId}", "args": {
            "path": {
                "userId": {"ref": {"step": 0, "source": {"body": {"pointer": "/id"}}}},
                "addressId": {"ref": {"step": 1, "source": {"body": {"pointer": "/nowhere"}}}}
            }
        }
    }))
    .unwrap();
    finding.sequence.steps.insert(2, skipped);
    let bob = finding.sequence.steps.len() - 1;
    for (report, step) in finding.steps.iter_mut().zip([0, 1, bob]) {
        report.sequence_step = Some(step);
    }
    finding
}

/// The curl script of `finding` with the shop demo's spec and identities.
fn shop_script(finding: &Finding) -> String {
    let (model, identities) = demo(Service::Shop);
    curl_script(
        finding,
        Some(&model),
        Some(&identities),
        Path::new("f.json"),
    )
}

#[test]
fn a_step_the_run_skipped_is_not_sent_and_the_later_ones_keep_their_references() {
    let script = shop_script(&shop_bola_with_a_skipped_step());
    assert!(!script.contains("/nowhere"), "{script}");
    assert!(
        script.contains("# 3. bob GET /users/{userId}/addresses/{addressId}"),
        "{script}"
    );
    shows_bob_reading_alices_address(&script);

    // Without the sequence steps (a file of an older version), the reports are taken in order.
    let mut old = shop_bola();
    for report in &mut old.steps {
        report.sequence_step = None;
    }
    let text = shop_script(&old);
    assert!(
        text.contains("# 3. bob GET /users/{userId}/addresses/{addressId}"),
        "{text}"
    );
}

/// The curl script of [`shop_bola`] with the identities of `toml`, and their secrets.
fn script_with(toml: &str) -> (String, Vec<String>) {
    let (model, _) = demo(Service::Shop);
    let identities = IdentityFile::parse(toml, "ids.toml", |_| None).unwrap();
    let script = curl_script(
        &shop_bola(),
        Some(&model),
        Some(&identities),
        Path::new("f.json"),
    );
    (script, identities.secrets())
}

#[test]
fn oauth2_grants_at_the_targets_token_endpoint_are_sent_by_the_script() {
    let (script, secrets) = script_with(
        r#"
[[identity]]
name = "alice"
role = "user"
auth.oauth2 = { grant = "password", username = "alice", password = "alice-secret-pw", token_url = "/oauth/token", client_id = "web", scopes = ["read", "write"] }

[[identity]]
name = "bob"
role = "user"
auth.oauth2 = { grant = "client_credentials", token_url = "/oauth/token", client_id = "bob's client", client_secret = "bob-client-secret", client_auth = "basic" }
"#,
    );
    for secret in secrets {
        assert!(!script.contains(&secret), "{secret} in\n{script}");
    }
    for needle in [
        "TRESPASS_PASSWORD_ALICE     alice's password (the OAuth2 password grant at /oauth/token)",
        "TRESPASS_CLIENT_SECRET_BOB  bob's client secret (the OAuth2 client_credentials grant at \
         /oauth/token)",
        "send token_alice 'alice is granted a token' POST '/oauth/token' '' -H 'content-type: \
         application/x-www-form-urlencoded' --data-urlencode 'grant_type=password' \
         --data-urlencode 'username=alice' --data-urlencode \"password=$TRESPASS_PASSWORD_ALICE\" \
         --data-urlencode 'scope=read write' --data-urlencode 'client_id=web'",
        "--data-urlencode 'grant_type=client_credentials' -u 'bob'\\''s client:'\"$TRESPASS_CLIENT_SECRET_BOB\"",
        "TOKEN_ALICE=\"$(body_ref token_alice '[\"access_token\"]' | jq -r .)\"",
        "'Authorization: Bearer '\"$TOKEN_BOB\"",
    ] {
        assert!(script.contains(needle), "no `{needle}` in\n{script}");
    }
    assert!(!script.contains("TRESPASS_AUTH_"), "{script}");

    // A token endpoint on another host: the script sends to BASE_URL only, so the header line
    // comes from the environment.
    let (script, _) = script_with(
        r#"
[[identity]]
name = "alice"
role = "user"
auth.oauth2 = { grant = "password", username = "alice", password = "alice-secret-pw", token_url = "https://login.example.com/token" }
"#,
    );
    assert!(script.contains("TRESPASS_AUTH_ALICE"), "{script}");
    assert!(!script.contains("login.example.com"), "{script}");
}

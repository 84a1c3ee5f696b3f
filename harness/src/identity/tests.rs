use super::*;
use crate::errors::IdentityFileErrorKind;

fn env(var: &str) -> Option<String> {
    match var {
        "ALICE_TOKEN" => Some("tok-alice".into()),
        "CAROL_PW" => Some("pw-carol".into()),
        _ => None,
    }
}

fn parse(text: &str) -> Result<IdentityFile, crate::errors::IdentityFileError> {
    IdentityFile::parse(text, "ids.toml", env)
}

const FULL: &str = r#"
[[identity]]
name = "alice"
role = "user"
auth = { bearer = "${ALICE_TOKEN}" }

[[identity]]
name = "carol"
role = "admin"
auth.login = { operation = "post /auth/login", body = { username = "carol", password = "${CAROL_PW}" }, token = "/accessToken" }

[[identity]]
name = "kim"
role = "user"
auth.api_key = { in = "header", name = "X-Api-Key", value = "key-kim" }

[[identity]]
name = "bo"
role = "user"
auth.basic = { username = "bo", password = "pw-bo$${literal}" }

[[identity]]
name = "anon"
role = "anonymous"

[policy]
admin_operations = ["tag:admin", "path:/admin/**", "DELETE /users/{userId}"]
public_operations = ["GET /health"]
shared_resources = ["product"]

[target]
reset = "POST /__reset"
"#;

#[test]
fn parses_every_auth_form() {
    let file = parse(FULL).unwrap();
    assert_eq!(file.identities.len(), 5);
    assert_eq!(
        file.identities[0].auth,
        Auth::Bearer(Secret::new("tok-alice"))
    );
    let Auth::Login(flow) = &file.identities[1].auth else {
        panic!("carol logs in: {:?}", file.identities[1].auth)
    };
    assert_eq!(flow.operation(), "POST /auth/login");
    assert_eq!(flow.body.expose()["password"], "pw-carol");
    assert_eq!(flow.token, TokenSource::Body("/accessToken".into()));
    assert_eq!(flow.header, "Authorization");
    assert!(matches!(
        &file.identities[2].auth,
        Auth::ApiKey { location: ApiKeyLocation::Header, name, .. } if name == "X-Api-Key"
    ));
    let Auth::Basic { password, .. } = &file.identities[3].auth else {
        panic!("bo uses basic")
    };
    assert_eq!(
        password.expose(),
        "pw-bo${literal}",
        "$${{ escapes a literal ${{"
    );
    assert_eq!(file.identities[4].role, Role::Anonymous);
    assert_eq!(file.identities[4].auth, Auth::None);
    assert_eq!(file.policy.admin_operations.len(), 3);
    assert_eq!(file.policy.shared_resources, vec!["product"]);
    assert_eq!(
        file.target.reset,
        Some(Reset::Request {
            method: "POST".into(),
            path: "/__reset".into()
        })
    );
}

#[test]
fn the_variables_a_file_substitutes_are_recorded() {
    let file = parse(FULL).unwrap();
    assert_eq!(
        file.env_vars.iter().map(String::as_str).collect::<Vec<_>>(),
        ["ALICE_TOKEN", "CAROL_PW"]
    );
    let plain = parse("[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n").unwrap();
    assert!(plain.env_vars.is_empty());
}

#[test]
fn a_login_operation_the_spec_lacks_is_warned_about_with_likely_ones() {
    let file = parse(FULL).unwrap();
    let with = trespass_generators::load_str(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /auth/login:\n    post:\n      \
         responses: {'200': {description: ok}}\n",
        "with.yaml",
    )
    .unwrap();
    assert!(file.login_warnings(&with).is_empty());
    let without = trespass_generators::load_str(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /v1/sessions:\n    post:\n      \
         responses: {'200': {description: ok}}\n  /v1/things:\n    post:\n      \
         responses: {'200': {description: ok}}\n",
        "without.yaml",
    )
    .unwrap();
    let warnings = file.login_warnings(&without);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("ids.toml")
            && warnings[0].contains("`carol` logs in through POST /auth/login")
            && warnings[0].contains("look like: POST /v1/sessions")
            && !warnings[0].contains("/v1/things"),
        "{}",
        warnings[0]
    );
}

#[test]
fn secrets_are_collected_and_never_debug_printed() {
    let file = parse(FULL).unwrap();
    let secrets = file.secrets();
    for s in ["tok-alice", "pw-carol", "key-kim", "pw-bo${literal}"] {
        assert!(
            secrets.iter().any(|x| x == s),
            "{s} missing from {secrets:?}"
        );
    }
    assert!(
        !secrets.iter().any(|x| x == "carol"),
        "user names are not secrets"
    );
    let debug = format!("{file:?}");
    for s in &secrets {
        assert!(
            !debug.contains(s.as_str()),
            "{s} leaked into Debug: {debug}"
        );
    }
}

#[test]
fn reset_attempts_default_to_three_and_may_be_set() {
    let file = parse("[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n").unwrap();
    assert_eq!(
        file.target.reset_attempts,
        crate::identity::DEFAULT_RESET_ATTEMPTS
    );
    assert_eq!(crate::identity::DEFAULT_RESET_ATTEMPTS, 3);
    let file =
        parse("[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\nreset_attempts = 1\n")
            .unwrap();
    assert_eq!(file.target.reset_attempts, 1);
}

#[test]
fn the_target_command_is_read_with_its_variables() {
    let file = parse("[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n").unwrap();
    assert_eq!(file.target.command, None);
    let file = parse(
        "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\ncommand = \"./api --port {port} --token ${ALICE_TOKEN}\"\n",
    )
    .unwrap();
    assert_eq!(
        file.target.command.as_deref(),
        Some("./api --port {port} --token tok-alice")
    );
    let err = parse(
        "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\ncommand = \"./api --port {port} ${NOPE}\"\n",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(5), "{err}");
    assert!(err.to_string().contains("NOPE"), "{err}");
}

#[test]
fn reset_may_be_a_command() {
    let file = parse("[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\nreset = { command = \"./reset.sh\" }\n").unwrap();
    assert_eq!(file.target.reset, Some(Reset::Command("./reset.sh".into())));
}

/// Each bad file names the line and the key (or the TOML parser's own sentence).
#[test]
fn bad_files_name_line_and_key() {
    let cases: &[(&str, usize, &str)] = &[
        // (file, line, text the message must contain)
        (
            "[[identity]]\nname = \"a\"\nrole = \"root\"\n",
            3,
            "unknown variant `root`",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"user\"\n",
            2,
            "identity[0].auth",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\nauth = { bearer = \"x\" }\n",
            4,
            "must not have `auth`",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth = { bearer = \"${NOPE}\" }\n",
            4,
            "environment variable NOPE is not set",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth = { bearer = \"${NOPE\" }\n",
            4,
            "without a closing",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth = { magic = \"x\" }\n",
            4,
            "unknown variant `magic`",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth.login = { operation = \"login\", body = {}, token = \"/t\" }\n",
            4,
            "identity[0].auth.login.operation",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth.login = { operation = \"POST /l\", body = {}, token = \"t\" }\n",
            4,
            "not a JSON pointer",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n",
            5,
            "used by an earlier identity",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[policy]\nadmin_operations = [\"admin\"]\n",
            5,
            "policy.admin_operations[0]",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[policy]\nadmins = []\n",
            5,
            "unknown field `admins`",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\nreset = \"reset it\"\n",
            5,
            "target.reset",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\nreset_attempts = 0\n",
            5,
            "target.reset_attempts",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\nreset_attempts = 2\ncommand = \"./api --port 8080\"\n",
            6,
            "`target.command`: the command has no `{port}`",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\ncommand = \" \"\n",
            5,
            "`target.command`: the command is empty",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[target]\ncommand = [\"./api\"]\n",
            5,
            "invalid type",
        ),
        (
            "[[identity]]\nname = \"a\"\nrole = \n",
            3,
            "string values must be quoted",
        ),
    ];
    for (text, line, needle) in cases {
        let err = parse(text).expect_err(text);
        let message = err.to_string();
        assert_eq!(err.line, Some(*line), "line for {text:?}: {message}");
        assert!(
            message.starts_with(&format!("ids.toml:{line}: ")),
            "{message}"
        );
        assert!(
            message.contains(needle),
            "{message:?} should contain {needle:?}"
        );
    }
}

#[test]
fn empty_file_says_what_is_missing() {
    let err = parse("").unwrap_err();
    assert!(matches!(err.kind, IdentityFileErrorKind::Invalid { .. }));
    assert!(err.to_string().contains("no identities"), "{err}");
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = IdentityFile::load("/nonexistent/ids.toml").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/ids.toml: cannot read"),
        "{err}"
    );
}

#[test]
fn worker_placeholders_give_each_worker_its_own_credentials() {
    let file = parse(
        r#"
[[identity]]
name = "alice"
role = "user"
auth.login = { operation = "POST /login", body = { username = "alice-{worker}", password = "pw-{worker}", tags = ["w{worker}"] }, token = "/t" }

[[identity]]
name = "kim"
role = "user"
auth = { basic = { username = "kim{worker}", password = "pw-kim" } }

[[identity]]
name = "tok"
role = "admin"
auth = { bearer = "tok-{worker}-x" }

[policy]
exclusive_operations = ["DELETE /users/{userId}", "tag:danger"]
"#,
    )
    .unwrap();
    assert!(file.uses_worker());
    assert_eq!(
        file.policy.exclusive_operations,
        ["DELETE /users/{userId}", "tag:danger"]
    );
    let second = file.for_worker(2);
    let Auth::Login(flow) = &second.identities[0].auth else {
        panic!("a login flow");
    };
    assert_eq!(
        flow.body.expose(),
        &serde_json::json!({"username": "alice-2", "password": "pw-2", "tags": ["w2"]})
    );
    assert_eq!(
        second.identities[1].auth,
        Auth::Basic {
            username: "kim2".into(),
            password: Secret::new("pw-kim")
        }
    );
    assert_eq!(
        second.identities[2].auth,
        Auth::Bearer(Secret::new("tok-2-x"))
    );
    assert!(!second.uses_worker());
    assert!(second.secrets().contains(&"pw-2".to_string()));
    assert!(!parse(FULL).unwrap().uses_worker());
    assert_eq!(
        parse(FULL).unwrap().for_worker(3).identities,
        parse(FULL).unwrap().identities
    );
}

#[test]
fn exclusive_operations_must_be_patterns() {
    let e = parse(
        "[[identity]]\nname = \"a\"\nrole = \"anonymous\"\n[policy]\nexclusive_operations = [\"users\"]\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(5), "{e}");
    assert!(
        e.to_string().contains("policy.exclusive_operations[0]"),
        "{e}"
    );
}

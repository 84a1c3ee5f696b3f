//! `trespass init` writes a starter identities file that trespass accepts once its `${ENV}`
//! placeholders are set: on the demos (where its guesses must match the demos' own files) and on
//! every real-world spec beside the repository (skipped when that folder is absent).

use std::path::{Path, PathBuf};

use trespass::identity::{Auth, IdentityFile};
use trespass_generators::model::OperationId;
use trespass_targets::Service;
use trespass_tests::{repo_root, trespass, write_demo_files};

/// Every `${VAR}` named in `text`.
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(after[..end].to_string());
        rest = &after[end..];
    }
    out.sort();
    out.dedup();
    out
}

/// Runs `trespass init` on `spec`, then parses the file as trespass does (with every
/// placeholder set) and checks its login operation exists in the spec; returns the file's text,
/// or `None` when the spec does not load at all.
fn init_and_accept(spec: &Path) -> Option<String> {
    let out = trespass!()
        .arg("init")
        .arg("--spec")
        .arg(spec)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if out.status.code() == Some(2) && stderr.contains("error:") {
        return None;
    }
    assert_eq!(out.status.code(), Some(0), "{}: {stderr}", spec.display());
    let text = String::from_utf8(out.stdout).unwrap();
    let file = IdentityFile::parse(&text, "identities.toml", |var| {
        Some(format!("value-of-{var}"))
    })
    .unwrap_or_else(|e| panic!("{}: the file is rejected: {e}\n{text}", spec.display()));
    assert_eq!(file.identities.len(), 4, "{text}");
    let model = trespass_generators::load_file(spec).unwrap();
    for identity in &file.identities {
        if let Auth::Login(flow) = &identity.auth {
            let op = OperationId::parse(&flow.operation()).unwrap();
            assert!(model.operation(&op).is_some(), "{}: {op}", spec.display());
        }
    }
    Some(text)
}

#[test]
fn init_guesses_the_demos_login_and_public_operations() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, _) = write_demo_files(Service::Shop, dir.path());
    let text = init_and_accept(&spec).expect("the shop spec loads");
    assert!(
        text.contains("auth.login = { operation = \"POST /auth/login\"")
            && text.contains("token = \"/accessToken\""),
        "{text}"
    );
    assert!(
        text.contains("public_operations = [\"POST /auth/login\", \"GET /products\""),
        "{text}"
    );
    assert!(text.contains("role = \"admin\"") && text.contains("role = \"anonymous\""));
    for var in ["ALICE_PASSWORD", "BOB_PASSWORD", "ADMIN_PASSWORD"] {
        assert!(placeholders(&text).contains(&var.to_string()), "{text}");
    }
}

#[test]
fn init_writes_an_accepted_file_for_every_real_spec() {
    let real: PathBuf = repo_root().join("../shared/specs/real");
    let Ok(entries) = std::fs::read_dir(&real) else {
        eprintln!("skipped: no {}", real.display());
        return;
    };
    let mut specs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    specs.sort();
    let mut written = 0;
    for spec in &specs {
        if init_and_accept(spec).is_some() {
            written += 1;
        }
    }
    assert!(
        written * 10 >= specs.len() * 9,
        "{written} of {} specs",
        specs.len()
    );
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, identities) = write_demo_files(Service::Shop, dir.path());
    let out = trespass!()
        .arg("init")
        .arg("--spec")
        .arg(&spec)
        .arg("--output")
        .arg(&identities)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let out = trespass!()
        .arg("init")
        .arg("--spec")
        .arg(&spec)
        .args(["--base-url", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not answer"));
}

/// `trespass init` on the shop in its OAuth2 and cookie styles: the grant at the spec's
/// tokenUrl, and the login whose session is a cookie with the CSRF token of its answer.
#[test]
fn init_uses_oauth2_grants_and_cookie_logins_of_the_spec() {
    use trespass_targets::shop::AuthStyle;
    let dir = tempfile::tempdir().unwrap();
    for (style, expected) in [
        (
            AuthStyle::OAuth2Password,
            "auth.oauth2 = { grant = \"password\", username = \"${ALICE_USERNAME}\", password = \"${ALICE_PASSWORD}\" }",
        ),
        (
            AuthStyle::Cookie,
            "token = { cookie = \"shop_session\" }, csrf = { pointer = \"/csrfToken\", header = \"X-CSRF-Token\" } }",
        ),
    ] {
        let spec = dir.path().join(format!("shop-{style}.yaml"));
        std::fs::write(&spec, style.spec_yaml()).unwrap();
        let text = init_and_accept(&spec).expect("the styled spec loads");
        assert!(text.contains(expected), "{style}: {text}");
        // trespass takes the token URL from the spec: the file is accepted as it is.
        let mut file = IdentityFile::parse(&text, "ids.toml", |v| Some(format!("v-{v}"))).unwrap();
        let mut model = trespass_generators::load_file(&spec).unwrap();
        file.apply_resources(&mut model)
            .unwrap_or_else(|e| panic!("{style}: {e}\n{text}"));
    }
}

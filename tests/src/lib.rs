//! Helpers for the end-to-end tests of trespass: one way to run the CLI ([`trespass!`]), one
//! way to load the embedded demos ([`demo`], [`demo_identities`], [`write_demo_files`]) and one
//! secret scan ([`assert_no_secret`], [`assert_no_secret_under`]); one way to run a finding's
//! curl script ([`script_env`], [`run_curl_script`], [`shown_status`]).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use trespass::identity::IdentityFile;
use trespass_generators::ApiModel;
use trespass_targets::Service;

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `trespass` binary built in this package (`trespass-dup`), as a [`Command`] ready for
/// arguments: see [`cli`]. A macro because Cargo hands the binary's path only to the tests
/// being compiled (`CARGO_BIN_EXE_*`), not to this library.
#[macro_export]
macro_rules! trespass {
    () => {
        $crate::cli(env!("CARGO_BIN_EXE_trespass-dup"))
    };
}

/// `bin` as a [`Command`] with none of the caller's `TRESPASS_*` variables (a run depends
/// only on its arguments) and `TRESPASS_LOG=warn` (a test sets another level with `.env`).
pub fn cli(bin: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(bin);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("TRESPASS_") {
            command.env_remove(var);
        }
    }
    command.env("TRESPASS_LOG", "warn");
    command
}

/// The model and identities of an embedded demo service, as `trespass fuzz` loads them.
pub fn demo(service: Service) -> (ApiModel, IdentityFile) {
    trespass::campaign::demo_subject(service).expect("the demo loads")
}

/// The identities of an embedded demo service.
pub fn demo_identities(service: Service) -> IdentityFile {
    demo(service).1
}

/// Writes the demo's spec and identities file into `dir` (as a user fuzzing it by URL would
/// have them) and returns their paths: `(spec, identities)`.
pub fn write_demo_files(service: Service, dir: &Path) -> (PathBuf, PathBuf) {
    let spec = dir.join(service.spec_file_name());
    let identities = dir.join(service.identities_file_name());
    std::fs::write(&spec, service.spec_yaml()).expect("the spec is written");
    std::fs::write(&identities, service.identities_toml()).expect("the identities are written");
    (spec, identities)
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Panics if `text` (described by `what`) holds any of `secrets`.
pub fn assert_no_secret(text: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} holds a secret of the identities file"
        );
    }
}

/// Panics if any file under `dir` holds any of `secrets`; returns the files scanned.
pub fn assert_no_secret_under(dir: &Path, secrets: &[String]) -> Vec<PathBuf> {
    let files = files_under(dir);
    for file in &files {
        let bytes = std::fs::read(file).expect("readable file");
        let text = String::from_utf8_lossy(&bytes);
        assert_no_secret(&text, secrets, &file.display().to_string());
    }
    files
}

/// The credentials a user would export for the curl scripts of `file`'s identities, named as
/// the scripts read them: a login's or an OAuth2 password grant's password, an API key.
pub fn script_env(file: &IdentityFile) -> Vec<(String, String)> {
    use trespass::identity::{Auth, Grant};
    let mut env = Vec::new();
    for identity in &file.identities {
        let upper = identity.name.to_ascii_uppercase();
        match &identity.auth {
            Auth::Login(flow) => {
                let password = flow.body.expose()["password"]
                    .as_str()
                    .expect("the login body has a password")
                    .to_string();
                env.push((format!("TRESPASS_PASSWORD_{upper}"), password));
            }
            Auth::OAuth2(flow) => {
                if let Grant::Password { password, .. } = &flow.grant {
                    env.push((
                        format!("TRESPASS_PASSWORD_{upper}"),
                        password.expose().clone(),
                    ));
                }
            }
            Auth::ApiKey { value, .. } => {
                env.push((format!("TRESPASS_API_KEY_{upper}"), value.expose().clone()));
            }
            _ => {}
        }
    }
    env
}

/// Runs the curl `script` with bash against `base_url`, with `env` exported; panics unless it
/// succeeds, and returns its stdout and stderr.
pub fn run_curl_script(
    script: &Path,
    base_url: &str,
    env: &[(String, String)],
) -> (String, String) {
    let out = Command::new("bash")
        .arg(script)
        .env("BASE_URL", base_url)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{}:\n{stdout}\n{stderr}",
        script.display()
    );
    (stdout, stderr)
}

/// The status a curl script printed for the step that shows the violation.
pub fn shown_status(stdout: &str) -> Option<u16> {
    let line = stdout.lines().find(|l| l.starts_with("violation step "))?;
    let rest = &line[line.find("status ")? + "status ".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

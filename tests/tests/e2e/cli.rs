//! The `trespass` binary as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn trespass() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trespass-dup"))
}

#[test]
fn unbuilt_subcommands_exit_2_with_a_sentence() {
    let out = trespass()
        .args(["replay", "nothing.json"])
        .output()
        .expect("run trespass");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not built yet"), "stderr: {stderr}");
}

#[test]
fn bad_arguments_exit_2() {
    let out = trespass()
        .args(["demo", "--service", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `trespass demo` prints the URL, spec and identities, and serves the spec at /openapi.json.
#[test]
fn demo_serves_its_spec() {
    for service in ["shop", "notes"] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = trespass()
            .args(["demo", "--service", service, "--port", "0", "--out-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        for line in lines.by_ref().take(5) {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("url:") {
                url = Some(rest.trim().to_string());
            }
        }
        let url = url.expect("demo printed its url");
        let body: serde_json::Value = reqwest::blocking_get_json(&format!("{url}/openapi.json"));
        child.kill().unwrap();
        let _ = child.wait();
        assert!(body.get("openapi").is_some(), "{service}: {body}");
        assert!(dir.path().join(format!("{service}.yaml")).exists());
        assert!(dir.path().join(format!("{service}.toml")).exists());
    }
}

mod reqwest {
    pub fn blocking_get_json(url: &str) -> serde_json::Value {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            ::reqwest::get(url)
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    }
}

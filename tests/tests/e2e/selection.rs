//! Which operations a campaign sends: the target's reset operation never (when the spec
//! declares it), `--exclude` never, `--include` only (with what produces their inputs).
//!
//! The shop's spec is given a `POST /__reset` operation with a required query parameter
//! (`?confirm=yes`): a generated step sends it, the harness's own resets (bare `POST
//! /__reset`) do not. A relay between trespass and the demo records every request line.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use trespass_targets::{Mode, Service};
use trespass_tests::{trespass, write_demo_files};

const RESET_OP: &str = r#"  /__reset:
    post:
      operationId: resetState
      summary: Restores the seeded state
      parameters:
        - name: confirm
          in: query
          required: true
          schema: { type: string, enum: ['yes'] }
      responses:
        '204':
          description: Reset.
"#;

/// The shop's spec with the reset operation declared, and its identities file (whose
/// `[target] reset` is `POST /__reset`).
fn files(dir: &Path) -> (PathBuf, PathBuf) {
    let (spec, identities) = write_demo_files(Service::Shop, dir);
    let text = std::fs::read_to_string(&spec).unwrap();
    let text = text.replacen("paths:\n", &format!("paths:\n{RESET_OP}"), 1);
    std::fs::write(&spec, text).unwrap();
    let ids = std::fs::read_to_string(&identities).unwrap();
    assert!(ids.contains("reset = \"POST /__reset\""), "{ids}");
    (spec, identities)
}

/// `METHOD /path?query` of every line `trespass sample` prints.
fn sampled(args: &[&str], spec: &Path, identities: Option<&Path>) -> Vec<String> {
    let mut cmd = trespass!();
    cmd.args(["sample", "--count", "300", "--seed", "5", "--spec"])
        .arg(spec)
        .args(args);
    if let Some(identities) = identities {
        cmd.arg("--identities").arg(identities);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["operation"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

#[test]
fn sample_never_generates_the_reset_nor_an_excluded_operation() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, identities) = files(dir.path());
    let count = |ops: &[String], op: &str| ops.iter().filter(|o| *o == op).count();
    // Without the identities file nothing says it is the reset: it is fuzzed like any other.
    let plain = sampled(&[], &spec, None);
    assert!(count(&plain, "POST /__reset") > 0, "{plain:?}");
    let with_reset = sampled(&[], &spec, Some(&identities));
    assert_eq!(count(&with_reset, "POST /__reset"), 0);
    let cancel = "POST /users/{userId}/orders/{orderId}/cancel";
    assert!(count(&with_reset, cancel) > 0, "{with_reset:?}");
    let excluded = sampled(
        &["--exclude", "/users/*/orders/*/cancel"],
        &spec,
        Some(&identities),
    );
    assert_eq!(count(&excluded, cancel), 0);
    assert!(excluded.len() > with_reset.len() / 2, "the rest still runs");

    // A pattern that matches nothing names the closest operation.
    let out = trespass!()
        .args(["sample", "--spec"])
        .arg(&spec)
        .args(["--exclude", "GET /product/{productId}"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "--exclude: no operation matches `GET /product/{productId}`; did you mean \
             `GET /products/{productId}`?"
        ),
        "{stderr}"
    );
}

/// A relay to `target` that records the request lines it passes on.
fn recording_relay(target: &str) -> (String, Arc<Mutex<Vec<u8>>>) {
    let target = target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let record = seen.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let record = record.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upstream = async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        let mut mine = Vec::new();
                        while let Ok(n) = client_read.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            mine.extend_from_slice(&buf[..n]);
                            if server_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        record.lock().unwrap().extend(mine);
                    };
                    let downstream = tokio::io::copy(&mut server_read, &mut client_write);
                    let _ = tokio::join!(upstream, downstream);
                });
            }
        });
    });
    (url, seen)
}

/// The request lines (`POST /__reset?confirm=yes`) in `bytes`.
fn request_lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split("\r\n")
        .filter_map(|line| line.strip_suffix(" HTTP/1.1"))
        .map(String::from)
        .collect()
}

#[test]
fn a_campaign_never_sends_the_reset_operation_nor_an_excluded_one() {
    let target = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let (relay, seen) = recording_relay(target.url());
    let dir = tempfile::tempdir().unwrap();
    let (spec, identities) = files(dir.path());
    let out = trespass!()
        .args(["fuzz", "--cases", "60", "--seed", "5", "--workers", "1"])
        .args([
            "--base-url",
            &relay,
            "--exclude",
            "/admin/refunds,listProducts",
        ])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(dir.path().join("findings"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "findings as usual: {stderr}");
    assert!(
        stderr.contains("never sent: POST /__reset (the target's reset)"),
        "{stderr}"
    );
    // The relay records a connection's requests when it closes: the process has exited.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let lines = request_lines(&seen.lock().unwrap());
    let resets = lines
        .iter()
        .filter(|l| l.starts_with("POST /__reset"))
        .count();
    assert!(resets > 0, "the harness still resets: {lines:?}");
    // Nor the excluded operations: not in sequences, not in the seeded-object listings the
    // shrinker makes (`Probe::offer`), not in the preflight's credential probe.
    let excluded: Vec<&String> = lines
        .iter()
        .filter(|l| {
            l.starts_with("GET /admin/refunds")
                || l.starts_with("GET /products ")
                || l.starts_with("GET /products?")
        })
        .collect();
    assert!(
        excluded.is_empty(),
        "excluded operations sent: {excluded:?}"
    );
    let fuzzed: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("POST /__reset?"))
        .collect();
    assert!(
        fuzzed.is_empty(),
        "the reset operation was fuzzed: {fuzzed:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("GET /products/")),
        "other product operations still run"
    );
}

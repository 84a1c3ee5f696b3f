//! `trespass replay` on saved findings: exit 1 while the bug is there (vulnerable mode), 0 once
//! it is fixed (secure mode); and a run killed mid-shrink leaves a finding file that replays.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use trespass_targets::{Mode, Service};
use trespass_tests::{trespass, write_demo_files};

fn finding_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every finding of a short fuzz run on the embedded demo still fails when replayed on a fresh
/// vulnerable target, and is fixed on the secure one.
#[test]
fn replay_fails_on_vulnerable_and_passes_on_secure() {
    for service in ["shop", "notes"] {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("findings");
        let out = trespass!()
            .args([
                "fuzz",
                "--service",
                service,
                "--cases",
                "300",
                "--seed",
                "7",
            ])
            .arg("--corpus")
            .arg(&corpus)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let files = finding_files(&corpus);
        assert!(files.len() >= 5, "{service}: findings saved: {files:?}");
        for file in &files {
            let vulnerable = trespass!().arg("replay").arg(file).output().unwrap();
            let stdout = String::from_utf8_lossy(&vulnerable.stdout);
            assert_eq!(
                vulnerable.status.code(),
                Some(1),
                "{}: {stdout}{}",
                file.display(),
                String::from_utf8_lossy(&vulnerable.stderr)
            );
            assert!(stdout.contains("still fails"), "{stdout}");

            let secure = trespass!()
                .arg("replay")
                .arg(file)
                .arg("--secure")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&secure.stdout);
            assert_eq!(
                secure.status.code(),
                Some(0),
                "{}: {stdout}",
                file.display()
            );
            assert!(stdout.contains("fixed"), "{stdout}");
        }
    }
}

/// A TCP relay that holds every chunk from the client for `delay` before passing it on: each
/// request to the target gets slower, so shrinking takes long enough to be interrupted.
fn slow_relay(target: &str, delay: Duration) -> (String, std::thread::JoinHandle<()>) {
    let target = target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let target = target.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upstream = async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n) = client_read.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            tokio::time::sleep(delay).await;
                            if server_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    let downstream = tokio::io::copy(&mut server_read, &mut client_write);
                    let _ = tokio::join!(upstream, downstream);
                });
            }
        });
    });
    (url, handle)
}

/// `kill -9` right after the first finding is reported (it is confirmed and saved, and
/// shrinking has begun): its file is on disk, complete, not yet shrunk, and replays.
#[test]
fn a_run_killed_mid_shrink_leaves_a_replayable_finding() {
    let target = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let (relay, _relay_thread) = slow_relay(target.url(), Duration::from_millis(25));
    let dir = tempfile::tempdir().unwrap();
    let (spec, identities) = write_demo_files(Service::Shop, dir.path());
    let corpus = dir.path().join("findings");
    let mut child = trespass!()
        .args(["fuzz", "--cases", "500", "--seed", "7", "--workers", "1"])
        .args(["--base-url", &relay])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .arg("--corpus")
        .arg(&corpus)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut headline = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.starts_with('[') {
            headline = Some(line);
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let headline = headline.expect("a finding was reported before the kill");

    let files = finding_files(&corpus);
    assert_eq!(
        files.len(),
        1,
        "exactly the reported finding is saved: {files:?}"
    );
    let finding = trespass::finding::Finding::load(&files[0]).expect("a complete finding file");
    assert!(
        headline.contains(finding.operation.as_str()),
        "{headline} / {}",
        finding.signature
    );
    assert!(finding.confirmed);
    assert!(
        finding.shrink.is_none(),
        "killed before shrinking ended: the file is the confirmed, unshrunk finding"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no half-written file: {leftovers:?}");

    let replay = trespass!()
        .arg("replay")
        .arg(&files[0])
        .args(["--base-url", target.url()])
        .arg("--spec")
        .arg(&spec)
        .arg("--identities")
        .arg(&identities)
        .output()
        .unwrap();
    assert_eq!(
        replay.status.code(),
        Some(1),
        "{}{}",
        String::from_utf8_lossy(&replay.stdout),
        String::from_utf8_lossy(&replay.stderr)
    );
}

/// A `server-error` finding saved before causes were part of signatures (no `#hash`, no
/// `cause`) still loads, still fails on the vulnerable demo and is fixed on the secure one.
#[test]
fn a_server_error_finding_saved_without_its_cause_still_replays() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("findings");
    let out = trespass!()
        .args(["fuzz", "--seed", "7", "--cases", "60", "--workers", "1"])
        .args(["--oracles", "server-error", "--no-shrink"])
        .arg("--corpus")
        .arg(&corpus)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let file = finding_files(&corpus)
        .into_iter()
        .find(|f| f.to_string_lossy().contains("server-error-"))
        .expect("a server-error finding");
    let mut finding: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let signature = finding["signature"].as_str().unwrap().to_string();
    let (old, hash) = signature.rsplit_once(" #").expect("a cause hash");
    assert_eq!(hash.len(), 8, "{signature}");
    assert!(finding["cause"].as_str().unwrap().starts_with("500 "));
    finding["signature"] = old.into();
    finding.as_object_mut().unwrap().remove("cause");
    let old_file = dir.path().join("old.json");
    std::fs::write(&old_file, finding.to_string()).unwrap();
    for (secure, expected) in [(false, 1), (true, 0)] {
        let mut replay = trespass!();
        replay.arg("replay").arg(&old_file);
        if secure {
            replay.arg("--secure");
        }
        let out = replay.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(expected),
            "secure {secure}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

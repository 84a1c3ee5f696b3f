//! Authentication as real APIs do it, against the shop demo in its styles, each running as a
//! process of its own (`trespass demo --auth STYLE --port 0`) shared by two workers: the OAuth2
//! password grant (a form-encoded `POST /token`), cookie sessions with a CSRF token, and tokens
//! that expire every few seconds. Each finds the planted bugs that static tokens find (the
//! manifest) and nothing on the secure build, and no token, cookie or CSRF token reaches a file.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use trespass::campaign::Summary;
use trespass::identity::IdentityFile;
use trespass_targets::Service;
use trespass_targets::shop::AuthStyle;
use trespass_tests::{assert_no_secret_under, run_curl_script, script_env, shown_status, trespass};

use crate::fuzz::{CASES, SEED};

/// A `trespass demo --service shop --auth STYLE` process, stopped when dropped; with the spec
/// and identities file it wrote for that style.
struct Demo {
    child: Child,
    url: String,
    spec: PathBuf,
    identities: PathBuf,
}

impl Demo {
    fn start(style: &str, lifetime: Option<&str>, secure: bool, dir: &Path) -> Self {
        let mut command = trespass!();
        command
            .args(["demo", "--service", "shop", "--auth", style, "--port", "0"])
            .arg("--out-dir")
            .arg(dir);
        if let Some(secs) = lifetime {
            command.args(["--token-lifetime", secs]);
        }
        if secure {
            command.arg("--secure");
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("trespass demo starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("trespass demo prints its URL before it ends")
                .expect("readable output");
            if let Some(url) = line.strip_prefix("url:") {
                break url.trim().to_string();
            }
        };
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            url,
            spec: dir.join("shop.yaml"),
            identities: dir.join("shop.toml"),
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A campaign's summary, its stderr (identity sign-ins logged at debug level) and its corpus.
struct Run {
    summary: Summary,
    stderr: String,
    dir: tempfile::TempDir,
}

/// Cases of a campaign that must find the whole manifest on one demo process shared by two
/// workers: twice the manifest budget. There the workers' sequences share each identity's
/// cart, so the list leak of cancelled orders (bob orders what is in his cart, cancels, alice
/// lists her cancelled orders) fires only when no other sequence has just emptied bob's cart:
/// in 1 to 2 cases of [`CASES`] (none in about one run of six on a loaded machine), in 5 to 9
/// of twice as many.
const SHARED_CASES: u64 = 2 * CASES;

/// Fuzzes `demo` with two workers for `cases` cases.
fn fuzz(demo: &Demo, cases: u64) -> Run {
    fuzz_target(
        &["--base-url", &demo.url],
        &demo.spec,
        &demo.identities,
        cases,
    )
}

/// Fuzzes the target `target` names (`--base-url URL` or `--target-cmd CMD`) with two workers
/// for `cases` cases.
fn fuzz_target(target: &[&str], spec: &Path, identities: &Path, cases: u64) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = trespass!()
        .env("TRESPASS_LOG", "warn,trespass::identity=debug")
        .arg("fuzz")
        .args(target)
        .arg("--spec")
        .arg(spec)
        .arg("--identities")
        .arg(identities)
        .args(["--workers", "2", "--seed", &SEED.to_string()])
        .args(["--cases", &cases.to_string(), "--no-shrink", "--corpus"])
        .arg(dir.path().join("findings"))
        .arg(format!("--report=json:{}", report.display()))
        .output()
        .expect("trespass fuzz runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown: Vec<&str> = stderr.lines().filter(|l| !l.contains("DEBUG")).collect();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}\n{}",
        out.status,
        shown.join("\n")
    );
    let text = std::fs::read_to_string(&report).expect("the report is written");
    let summary = serde_json::from_str(&text).expect("the report is a summary");
    Run {
        summary,
        stderr,
        dir,
    }
}

fn manifest() -> BTreeSet<(String, String)> {
    trespass_targets::planted::manifest(Service::Shop)
        .iter()
        .map(|b| (b.oracle.to_string(), b.operation.to_string()))
        .collect()
}

/// The sign-ins of `identity` the run logged, and those among them that renewed a token
/// before it expired.
fn sign_ins(stderr: &str, identity: &str) -> (usize, usize) {
    let prefix = format!("`{identity}` signed in (");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&prefix)).collect();
    let renewed = lines
        .iter()
        .filter(|l| l.contains("renewed before it expires"))
        .count();
    (lines.len(), renewed)
}

/// Every run of 32 hexadecimal digits standing alone (a session id, a CSRF token: the demo's
/// are UUIDs without dashes) in `text`.
fn lone_hex32(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            if run.len() == 32 {
                out.push(run.clone());
            }
            run.clear();
        }
    }
    out
}

/// The vulnerable build in `style` finds the manifest with no identity lost, the secure build
/// nothing. Returns the vulnerable run.
fn finds_the_manifest(style: &str, lifetime: Option<&str>) -> Run {
    finds_the_manifest_then(style, lifetime, |_, _| {})
}

/// [`finds_the_manifest`], with `then` run on the campaign and its vulnerable demo before the
/// demo stops.
fn finds_the_manifest_then(
    style: &str,
    lifetime: Option<&str>,
    then: impl FnOnce(&Run, &Demo),
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(style, lifetime, false, dir.path());
    let run = fuzz(&demo, SHARED_CASES);
    assert_manifest_and_no_secret(style, &run, &demo.identities);
    then(&run, &demo);
    drop(demo);
    let secure_dir = tempfile::tempdir().unwrap();
    let secure = Demo::start(style, lifetime, true, secure_dir.path());
    assert_nothing_found(style, &fuzz(&secure, CASES));
    run
}

fn assert_nothing_found(style: &str, clean: &Run) {
    let headlines: Vec<String> = clean
        .summary
        .findings
        .iter()
        .map(|f| f.headline())
        .collect();
    assert!(headlines.is_empty(), "{style} secure: {headlines:#?}");
    assert!(
        clean.summary.requests > CASES,
        "the secure campaign did send requests"
    );
}

/// The manifest is found, no identity is lost, and no secret of the file, no session id, CSRF
/// token or demo JWT is in any file written.
fn assert_manifest_and_no_secret(style: &str, run: &Run, identities: &Path) {
    let headlines: Vec<String> = run.summary.findings.iter().map(|f| f.headline()).collect();
    let found: BTreeSet<(String, String)> = run.summary.oracle_operations().into_iter().collect();
    assert_eq!(found, manifest(), "{style}: {headlines:#?}");
    for reason in ["login-failed", "credentials-refused"] {
        assert_eq!(
            run.summary.rejections.get(reason),
            None,
            "{style}: no identity lost: {:?}",
            run.summary.rejections
        );
    }
    let file = IdentityFile::load(identities).expect("the style's identities file loads");
    let files = assert_no_secret_under(run.dir.path(), &file.secrets());
    assert!(!files.is_empty());
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            lone_hex32(&text),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        assert!(!text.contains("shop_session="), "{}", path.display());
        let jwt_header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.";
        assert!(!text.contains(jwt_header), "{}", path.display());
    }
}

/// Runs the curl script of every confirmed finding of `run` against `demo` (the script resets
/// it first), with each identity's password of `demo`'s identities file exported as the scripts
/// read it, and checks that each shows the status its finding recorded. Returns how many ran.
fn curl_scripts_reproduce(run: &Run, demo: &Demo) -> usize {
    let file = IdentityFile::load(&demo.identities).expect("the style's identities file loads");
    let env = script_env(&file);
    assert_eq!(env.len(), 3, "alice, bob and carol are granted tokens");
    let mut ran = 0;
    for entry in std::fs::read_dir(run.dir.path().join("findings")).unwrap() {
        let json = entry.unwrap().path();
        if json.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let finding = trespass::finding::Finding::load(&json).unwrap();
        let Some(recorded) = finding.violating_step().and_then(|s| s.status) else {
            continue;
        };
        if !finding.confirmed || finding.flaky {
            continue;
        }
        let script = json.with_extension("sh");
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(!text.contains("TRESPASS_AUTH_"), "{}", script.display());
        let (stdout, stderr) = run_curl_script(&script, &demo.url, &env);
        assert_eq!(
            shown_status(&stdout),
            Some(recorded),
            "{}:\n{stdout}\n{stderr}",
            script.display()
        );
        ran += 1;
    }
    ran
}

#[test]
fn the_oauth2_password_grant_form_encoded_finds_the_planted_bugs() {
    let run = finds_the_manifest_then("oauth2", None, |run, demo| {
        let ran = curl_scripts_reproduce(run, demo);
        assert!(ran >= 10, "{ran} curl scripts ran");
    });
    for identity in ["alice", "bob", "carol"] {
        let (count, _) = sign_ins(&run.stderr, identity);
        assert!(
            count >= 2,
            "{identity} was granted a token per worker: {count}"
        );
    }
}

#[test]
fn cookie_sessions_with_a_csrf_token_find_the_planted_bugs() {
    finds_the_manifest("cookie", None);
}

/// `'PATH'`, quoted for `sh`.
fn quoted(path: impl AsRef<Path>) -> String {
    format!("'{}'", path.as_ref().display())
}

/// Tokens that last 2 s (JWTs whose `exp` says so), on one demo process per worker
/// (`--target-cmd`): on a target shared by workers every reset by another worker makes each
/// identity sign in again (a reset may end sessions), so tokens seldom grow old there; alone,
/// an identity keeps its token across resets and must renew it before it expires. Then the same
/// on one process shared by both workers.
#[test]
fn tokens_that_expire_every_few_seconds_keep_every_identity_working() {
    const LIFETIME: f64 = 1.5;
    let files = tempfile::tempdir().unwrap();
    let spec = files.path().join("shop.yaml");
    let identities = files.path().join("shop.toml");
    std::fs::write(&spec, AuthStyle::Bearer.spec_yaml()).unwrap();
    std::fs::write(&identities, AuthStyle::Bearer.identities_toml()).unwrap();
    let command = |secure: &str| {
        format!(
            "exec {} demo --service shop --auth bearer --token-lifetime {LIFETIME} --port {{port}} \
             --out-dir {}{secure}",
            quoted(env!("CARGO_BIN_EXE_trespass-dup")),
            quoted(files.path().join("out"))
        )
    };
    // At most 1,500 requests a second: the campaign (about 12,000 requests, logins and
    // renewals included) outlives the tokens however fast the machine.
    let run = fuzz_target(
        &["--target-cmd", &command(""), "--rate", "1500/s"],
        &spec,
        &identities,
        CASES,
    );
    assert_manifest_and_no_secret("short-lived", &run, &identities);
    assert!(
        run.summary.requests > 8000,
        "{} requests",
        run.summary.requests
    );
    let elapsed = run.summary.elapsed.as_secs_f64();
    assert!(
        elapsed > 3.0 * LIFETIME,
        "the campaign outlives the tokens: {elapsed:.1} s"
    );
    for identity in ["alice", "bob", "carol"] {
        let (count, renewed) = sign_ins(&run.stderr, identity);
        eprintln!(
            "{identity}: {count} sign-ins over {elapsed:.1} s of {LIFETIME} s tokens, {renewed} \
             renewals before expiry"
        );
        assert!(
            renewed > 0,
            "{identity} renewed its token before it expired"
        );
    }
    let secure = fuzz_target(
        &["--target-cmd", &command(" --secure")],
        &spec,
        &identities,
        CASES,
    );
    assert_nothing_found("short-lived", &secure);

    // The same tokens on one demo process shared by both workers.
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start("bearer", Some("2"), false, dir.path());
    let shared = fuzz(&demo, SHARED_CASES);
    assert_manifest_and_no_secret("short-lived, shared", &shared, &demo.identities);
}

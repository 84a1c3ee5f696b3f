//! Executor throughput: `trespass fuzz` against a demo target in its secure mode, next to a bare
//! reqwest loop sending the same requests at the same concurrency, in one run, reported as a
//! ratio (machines here are noisy; absolute figures are not comparable between runs, ratios
//! are).
//!
//! `cargo bench --workspace --locked --bench throughput`, with `SERVICE=shop|notes|forum`
//! (default shop), `CASES=N` (sequences, default 600), `WORKERS=2,8` (the concurrencies),
//! `ROUNDS=N` (measurements of each, default 1; the best is kept) and `SEED=N`. With
//! `BEFORE=PATH` (another build of the `trespass` binary, e.g. a copy made before a change)
//! that binary's `fuzz` is measured too, in the same run, for a before/after figure.
//!
//! - The target is `trespass demo SERVICE --secure` on port 0: a process of its own.
//! - **trespass** is `trespass fuzz --base-url … --workers W` run as a process, as a user runs
//!   it: generation, refs, ownership, re-reads, the default oracles, confirmation and
//!   shrinking of what it finds, findings and campaign state recorded in a corpus folder.
//!   Its rate is the report's requests over the report's elapsed time (set-up excluded).
//!   It spreads its workers over one thread per core (`TRESPASS_THREADS`, passed through
//!   when set, overrides; so `TRESPASS_THREADS=1` measures it on one thread).
//! - **bare** sends the requests that the executor sent for the same seed's cases (recorded
//!   once beforehand, credentials added as the sessions add them), sequence by sequence,
//!   with W tasks pulling the next sequence, through one reqwest client built with the
//!   settings of trespass's (timeout, redirect policy, pool, user agent), reading each body
//!   whole. It is measured on a current-thread runtime and on a 2-thread runtime with one
//!   spawned task per worker; the ratio is taken against the faster of the two.
//! - Before each measurement the target is reset (`POST /__reset`), so each starts from
//!   the same state.
//! - CPU per request is the client's (user + system) CPU time over its requests: the bench
//!   process's own for the bare loop, the waited-for child's for `trespass fuzz`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use trespass::campaign::{Campaign, Settings};
use trespass::exec::{ClientConfig, Executor, HttpClient};
use trespass::http::{Body, Request};
use trespass::identity::{ApiKeyLocation, Auth, IdentityFile, Sessions};
use trespass::oracle::Policy;
use trespass::redact::Redactor;
use trespass_generators::sequence::AuthMode;
use trespass_targets::Service;

const TRESPASS: &str = env!("CARGO_BIN_EXE_trespass");
/// What the sessions send for credentials of the right shape that the target cannot know.
const INVALID: &str = "trespass-invalid-token-0000000000";

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("{name}={v}: not what it takes")),
        Err(_) => Ok(default),
    }
}

fn run() -> Result<(), String> {
    let service: Service = env_or("SERVICE", "shop".to_string())?.parse()?;
    let cases: u64 = env_or("CASES", 600)?;
    let rounds: u32 = env_or("ROUNDS", 1)?;
    let seed: u64 = env_or("SEED", 1)?;
    let workers: Vec<usize> = env_or("WORKERS", "2,8".to_string())?
        .split(',')
        .map(|w| w.trim().parse().map_err(|_| format!("WORKERS: `{w}`")))
        .collect::<Result<_, _>>()?;
    let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let demo = Demo::start(service, dir.path())?;
    let sequences = record(service, &demo, seed, cases)?;
    let requests: usize = sequences.iter().map(Vec::len).sum();
    println!(
        "throughput: {service} (secure) at {}, seed {seed}, {cases} cases ({requests} requests \
         recorded for the bare loop), best of {rounds}",
        demo.url
    );
    let before = std::env::var_os("BEFORE").map(PathBuf::from);
    let mut header = format!(
        "{:>7} {:>11} {:>7} {:>11} {:>7} {:>11} {:>7} {:>6} {:>6}",
        "workers",
        "bare 1t/s",
        "us/req",
        "bare 2t/s",
        "us/req",
        "trespass/s",
        "us/req",
        "found",
        "ratio"
    );
    if before.is_some() {
        header.push_str(&format!(
            " {:>11} {:>7} {:>6}",
            "before/s", "us/req", "ratio"
        ));
    }
    println!("{header}");
    for &w in &workers {
        let mut best: [Option<Rate>; 4] = [None, None, None, None];
        for round in 0..rounds {
            let one = bare(&demo, &sequences, w, Flavor::CurrentThread)?;
            let two = bare(&demo, &sequences, w, Flavor::MultiThread)?;
            let fuzz_now = fuzz(
                Path::new(TRESPASS),
                &demo,
                dir.path(),
                (seed, cases, w),
                round,
            )?;
            let fuzz_before = match &before {
                Some(bin) => Some(fuzz(
                    bin,
                    &demo,
                    dir.path(),
                    (seed, cases, w),
                    round + 1000,
                )?),
                None => None,
            };
            for (slot, rate) in
                best.iter_mut()
                    .zip([Some(one), Some(two), Some(fuzz_now), fuzz_before])
            {
                if let Some(rate) = rate
                    && slot
                        .as_ref()
                        .is_none_or(|b| rate.per_second() > b.per_second())
                {
                    *slot = Some(rate);
                }
            }
        }
        let [Some(one), Some(two), Some(now), before] = best else {
            return Err("ROUNDS must be at least 1".to_string());
        };
        let baseline = one.per_second().max(two.per_second());
        let mut line = format!(
            "{w:>7} {:>11.0} {:>7.0} {:>11.0} {:>7.0} {:>11.0} {:>7.0} {:>6} {:>6.2}",
            one.per_second(),
            one.cpu_per_request(),
            two.per_second(),
            two.cpu_per_request(),
            now.per_second(),
            now.cpu_per_request(),
            now.findings,
            now.per_second() / baseline
        );
        if let Some(b) = before {
            line.push_str(&format!(
                " {:>11.0} {:>7.0} {:>6.2}",
                b.per_second(),
                b.cpu_per_request(),
                b.per_second() / baseline
            ));
        }
        println!("{line}");
    }
    Ok(())
}

/// One measurement.
struct Rate {
    requests: u64,
    elapsed: Duration,
    cpu: Duration,
    findings: usize,
}

impl Rate {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Microseconds of client CPU per request.
    fn cpu_per_request(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64
    }
}

/// The demo target, served by `trespass demo` in a process of its own.
struct Demo {
    child: Child,
    url: String,
    spec: PathBuf,
    identities: PathBuf,
}

impl Demo {
    fn start(service: Service, dir: &Path) -> Result<Self, String> {
        let mut child = Command::new(TRESPASS)
            .args([
                "demo",
                "--service",
                service.name(),
                "--secure",
                "--port",
                "0",
            ])
            .arg("--out-dir")
            .arg(dir.join("demo"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {TRESPASS} demo: {e}"))?;
        let stdout = child.stdout.take().ok_or("the demo's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut field = |name: &str| -> Result<String, String> {
            for line in lines.by_ref() {
                let line = line.map_err(|e| format!("the demo's output: {e}"))?;
                if let Some(rest) = line.strip_prefix(name) {
                    let value = rest.trim().split(" (").next().unwrap_or_default();
                    return Ok(value.to_string());
                }
            }
            Err(format!("the demo never printed `{name}`"))
        };
        let url = field("url:")?;
        let spec = PathBuf::from(field("spec:")?);
        let identities = PathBuf::from(field("identities:")?);
        // Read on to the end: a demo whose stdout is closed dies on its next line.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self {
            child,
            url,
            spec,
            identities,
        })
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // The demo serves until it is stopped; this is the process this bench started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request as it goes on the wire.
struct Wire {
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

/// The requests the executor sends for cases `0..cases` of `seed`, one list per sequence,
/// with the credentials the sessions add.
fn record(service: Service, demo: &Demo, seed: u64, cases: u64) -> Result<Vec<Vec<Wire>>, String> {
    let (model, identities) = trespass::campaign::demo_subject(service)?;
    let base = demo.url.parse().map_err(|e| format!("{}: {e}", demo.url))?;
    let client = HttpClient::new(ClientConfig::new(base)).map_err(|e| e.to_string())?;
    let sessions = Sessions::new(client, &identities, Redactor::new());
    let policy = Policy::new(&model, &identities.policy);
    let campaign = Campaign::new(
        model.clone(),
        identities.clone(),
        trespass::oracle::defaults(),
        Settings::from_config(&trespass::config::Config::default(), seed),
    );
    let executor = Executor::new(&model, &sessions, policy.shared_kinds());
    let runtime = current_thread()?;
    let http = bare_client(&demo.url)?;
    runtime.block_on(async {
        reset(&http, &demo.url).await?;
        let credentials = Credentials::log_in(&http, &demo.url, &identities).await?;
        let mut sequences = Vec::new();
        for case in 0..cases {
            let Some(sequence) = campaign.sequence_for(case) else {
                continue;
            };
            let result = executor.run(&sequence).await;
            let wires = result
                .trace
                .steps
                .iter()
                .map(|step| {
                    credentials.wire(
                        &demo.url,
                        step.identity.as_str(),
                        step.exchange.auth,
                        &step.exchange.request,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            sequences.push(wires);
        }
        Ok(sequences)
    })
}

/// Each identity's credentials, in each mode.
struct Credentials {
    headers: Vec<(String, AuthMode, Pairs, Pairs)>,
}

impl Credentials {
    async fn log_in(
        http: &reqwest::Client,
        base: &str,
        file: &IdentityFile,
    ) -> Result<Self, String> {
        let mut headers = Vec::new();
        for identity in &file.identities {
            for mode in [AuthMode::Normal, AuthMode::None, AuthMode::Invalid] {
                let (h, q) = credentials(http, base, &identity.auth, mode).await?;
                headers.push((identity.name.clone(), mode, h, q));
            }
        }
        Ok(Self { headers })
    }

    fn wire(
        &self,
        base: &str,
        identity: &str,
        mode: AuthMode,
        request: &Request,
    ) -> Result<Wire, String> {
        let (_, _, headers, query) = self
            .headers
            .iter()
            .find(|(name, m, _, _)| name == identity && *m == mode)
            .ok_or_else(|| format!("no credentials for {identity}"))?;
        let mut full = request.clone();
        full.query.extend(query.iter().cloned());
        let url = format!("{}{}", base.trim_end_matches('/'), full.path_and_query());
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| format!("{}: {e}", request.method))?;
        let body = match &request.body {
            None => None,
            Some(Body::Json(v)) => Some((
                "application/json".to_string(),
                serde_json::to_vec(v).map_err(|e| e.to_string())?,
            )),
            Some(Body::Form(pairs)) => Some((
                "application/x-www-form-urlencoded".to_string(),
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish()
                    .into_bytes(),
            )),
            Some(Body::Text { content_type, text }) => {
                Some((content_type.clone(), text.clone().into_bytes()))
            }
        };
        let mut all = request.headers.clone();
        all.extend(headers.iter().cloned());
        Ok(Wire {
            method,
            url,
            headers: all,
            body,
        })
    }
}

type Pairs = Vec<(String, String)>;

/// The headers and query parameters of `auth` in `mode`, as the sessions send them.
async fn credentials(
    http: &reqwest::Client,
    base: &str,
    auth: &Auth,
    mode: AuthMode,
) -> Result<(Pairs, Pairs), String> {
    let mut headers = Vec::new();
    let mut query = Vec::new();
    let pick = |secret: &str| {
        if mode == AuthMode::Invalid {
            INVALID.to_string()
        } else {
            secret.to_string()
        }
    };
    if mode == AuthMode::None {
        return Ok((headers, query));
    }
    match auth {
        Auth::None => {}
        Auth::Bearer(token) => headers.push((
            "authorization".into(),
            format!("Bearer {}", pick(token.expose())),
        )),
        Auth::ApiKey {
            location,
            name,
            value,
        } => {
            let value = pick(value.expose());
            match location {
                ApiKeyLocation::Header => headers.push((name.clone(), value)),
                ApiKeyLocation::Query => query.push((name.clone(), value)),
                ApiKeyLocation::Cookie => {
                    headers.push(("cookie".into(), format!("{name}={value}")))
                }
            }
        }
        Auth::Login(flow) if flow.token_pointer().is_some() && !flow.header.is_empty() => {
            let token = if mode == AuthMode::Invalid {
                INVALID.to_string()
            } else {
                let url = format!("{}{}", base.trim_end_matches('/'), flow.path);
                let method = reqwest::Method::from_bytes(flow.method.as_bytes())
                    .map_err(|e| format!("{}: {e}", flow.method))?;
                let answer: serde_json::Value = http
                    .request(method, url)
                    .json(flow.body.expose())
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| format!("{}: {e}", flow.operation()))?
                    .json()
                    .await
                    .map_err(|e| format!("{}: {e}", flow.operation()))?;
                let pointer = flow.token_pointer().unwrap_or_default();
                answer
                    .pointer(pointer)
                    .and_then(serde_json::Value::as_str)
                    .ok_or_else(|| format!("{}: no token at {pointer}", flow.operation()))?
                    .to_string()
            };
            headers.push((flow.header.clone(), format!("{}{token}", flow.prefix)));
        }
        other => {
            return Err(format!(
                "the bare loop sends bearer, API key and token-login credentials, not {other:?}"
            ));
        }
    }
    Ok((headers, query))
}

/// A reqwest client with the settings of trespass's own ([`HttpClient::bare`]).
fn bare_client(base: &str) -> Result<reqwest::Client, String> {
    let base = base.parse().map_err(|e| format!("{base}: {e}"))?;
    HttpClient::new(ClientConfig::new(base))
        .and_then(|client| client.bare())
        .map_err(|e| e.to_string())
}

async fn reset(http: &reqwest::Client, base: &str) -> Result<(), String> {
    http.post(format!("{}/__reset", base.trim_end_matches('/')))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map(drop)
        .map_err(|e| format!("reset: {}", chain(&e)))
}

/// `e` with its sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

fn current_thread() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

#[derive(Clone, Copy)]
enum Flavor {
    /// Every worker a future on one thread.
    CurrentThread,
    /// Every worker a task of its own on a 2-thread runtime.
    MultiThread,
}

/// The bare loop: `workers` tasks each take the next sequence and send its requests in order.
fn bare(
    demo: &Demo,
    sequences: &[Vec<Wire>],
    workers: usize,
    flavor: Flavor,
) -> Result<Rate, String> {
    let runtime = match flavor {
        Flavor::CurrentThread => current_thread()?,
        Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?,
    };
    let http = bare_client(&demo.url)?;
    runtime.block_on(reset(&http, &demo.url))?;
    // Built beforehand: each send clones a finished request (its body is shared bytes).
    let sequences: Arc<Vec<Vec<reqwest::Request>>> = Arc::new(
        sequences
            .iter()
            .map(|s| s.iter().map(|w| to_request(&http, w)).collect())
            .collect::<Result<_, String>>()?,
    );
    let next = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let cpu = cpu_self();
    let started = Instant::now();
    runtime.block_on(async {
        let work = (0..workers).map(|_| {
            let (http, sequences, next, sent) =
                (http.clone(), sequences.clone(), next.clone(), sent.clone());
            async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(sequence) = sequences.get(n) else {
                        break;
                    };
                    for request in sequence {
                        let Some(request) = request.try_clone() else {
                            continue;
                        };
                        if let Ok(response) = http.execute(request).await {
                            std::hint::black_box(response.bytes().await.ok());
                        }
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        match flavor {
            Flavor::CurrentThread => {
                futures_util::future::join_all(work).await;
            }
            Flavor::MultiThread => {
                let handles: Vec<_> = work.map(tokio::spawn).collect();
                for handle in handles {
                    let _ = handle.await;
                }
            }
        }
    });
    Ok(Rate {
        requests: sent.load(Ordering::Relaxed) as u64,
        elapsed: started.elapsed(),
        cpu: cpu_self().saturating_sub(cpu),
        findings: 0,
    })
}

fn to_request(http: &reqwest::Client, wire: &Wire) -> Result<reqwest::Request, String> {
    let mut builder = http.request(wire.method.clone(), &wire.url);
    for (k, v) in &wire.headers {
        builder = builder.header(k, v);
    }
    if let Some((content_type, bytes)) = &wire.body {
        builder = builder
            .header("content-type", content_type)
            .body(bytes.clone());
    }
    builder.build().map_err(|e| format!("{}: {e}", wire.url))
}

/// `BIN fuzz` (a `trespass` binary) on the demo with `workers`, as a process; its rate from
/// its JSON report.
fn fuzz(
    bin: &Path,
    demo: &Demo,
    dir: &Path,
    (seed, cases, workers): (u64, u64, usize),
    round: u32,
) -> Result<Rate, String> {
    let out = dir.join(format!("fuzz-{workers}-{round}"));
    let report = out.join("report.json");
    let cpu = cpu_children();
    let status = Command::new(bin)
        .arg("fuzz")
        .args(["--base-url", &demo.url])
        .arg("--spec")
        .arg(&demo.spec)
        .arg("--identities")
        .arg(&demo.identities)
        .args(["--seed", &seed.to_string()])
        .args(["--cases", &cases.to_string()])
        .args(["--workers", &workers.to_string()])
        .arg("--corpus")
        .arg(out.join("corpus"))
        .arg("--report")
        .arg(format!("json:{}", report.display()))
        .env_remove("TRESPASS_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {} fuzz: {e}", bin.display()))?;
    let cpu = cpu_children().saturating_sub(cpu);
    if !matches!(status.code(), Some(0 | 1)) {
        return Err(format!("trespass fuzz exited with {status}"));
    }
    let text =
        std::fs::read_to_string(&report).map_err(|e| format!("{}: {e}", report.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", report.display()))?;
    let requests = json["requests"]
        .as_u64()
        .ok_or_else(|| format!("{}: no /requests", report.display()))?;
    let elapsed = json["elapsed"]
        .as_f64()
        .ok_or_else(|| format!("{}: no /elapsed", report.display()))?;
    Ok(Rate {
        requests,
        elapsed: Duration::from_secs_f64(elapsed),
        cpu,
        findings: json["findings"].as_array().map_or(0, Vec::len),
    })
}

/// User + system CPU of this process (fields 14 and 15 of `/proc/self/stat`).
fn cpu_self() -> Duration {
    proc_stat_ticks(14, 15)
}

/// User + system CPU of the waited-for children (fields 16 and 17).
fn cpu_children() -> Duration {
    proc_stat_ticks(16, 17)
}

fn proc_stat_ticks(user: usize, system: usize) -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `fields[0]` is field 3 (the state).
    let tick = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Linux reports these in USER_HZ, which is 100 on every platform Rust targets.
    Duration::from_millis((tick(user) + tick(system)) * 10)
}

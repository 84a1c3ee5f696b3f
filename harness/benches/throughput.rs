//! Executor throughput against a demo target, next to a plain load loop of the very same
//! requests in the same run, reported as a ratio (machines here are noisy; absolute figures
//! are not comparable between runs, ratios are).
//!
//! `cargo bench -p trespass --bench throughput` (`CASES=N` to change the number of sequences).
//!
//! - **trespass**: generate each sequence, run it through the executor (refs, ownership,
//!   the owner's re-reads), and judge the trace with the default oracles;
//! - **plain loop**: send the requests those runs recorded, in the same order, through the
//!   same sessions, with nothing else.

use std::time::{Duration, Instant};

use trespass::campaign::{Campaign, Settings};
use trespass::exec::{ClientConfig, Executor, HttpClient, Request};
use trespass::identity::Sessions;
use trespass::oracle::Policy;
use trespass::redact::Redactor;
use trespass_generators::model::OperationId;
use trespass_generators::sequence::AuthMode;
use trespass_targets::{Mode, Service};

fn main() {
    let cases: u64 = std::env::var("CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(300);
    println!("throughput, {cases} sequences per service, secure targets, one worker");
    println!(
        "{:<8} {:>10} {:>12} {:>12} {:>8}",
        "service", "requests", "trespass/s", "plain/s", "ratio"
    );
    for service in Service::ALL {
        let (requests, trespass, plain) = measure(service, cases);
        let rate = |d: Duration| requests as f64 / d.as_secs_f64();
        println!(
            "{:<8} {:>10} {:>12.0} {:>12.0} {:>8.2}",
            service.name(),
            requests,
            rate(trespass),
            rate(plain),
            rate(trespass) / rate(plain)
        );
    }
}

/// Returns (requests, time with generation + executor + oracles, time of the plain loop).
fn measure(service: Service, cases: u64) -> (usize, Duration, Duration) {
    let (model, identities) = trespass::campaign::demo_subject(service).expect("the demo loads");
    let target = trespass_targets::start(service, Mode::Secure, 0).expect("target starts");
    let client =
        HttpClient::new(ClientConfig::new(target.url().parse().expect("url"))).expect("client");
    let sessions = Sessions::new(client, &identities, Redactor::new());
    let policy = Policy::new(&model, &identities.policy);
    let campaign = Campaign::new(
        model.clone(),
        identities.clone(),
        trespass::oracle::defaults(),
        Settings::from_config(&trespass::config::Config::default(), 1),
    );
    let executor = Executor::new(&model, &sessions, policy.shared_kinds());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let mut recorded: Vec<(String, AuthMode, OperationId, Request)> = Vec::new();
    let started = Instant::now();
    runtime.block_on(async {
        for case in 0..cases {
            let Some(sequence) = campaign.sequence_for(case) else {
                continue;
            };
            let result = executor.run(&sequence).await;
            std::hint::black_box(campaign.violations(&result));
            for step in &result.trace.steps {
                recorded.push((
                    step.identity.as_str().to_string(),
                    step.exchange.auth,
                    step.op.clone(),
                    step.exchange.request.clone(),
                ));
            }
        }
    });
    let trespass = started.elapsed();

    let started = Instant::now();
    runtime.block_on(async {
        for (identity, auth, op, request) in &recorded {
            let exchange = sessions.send(identity, *auth, op, request).await;
            std::hint::black_box(exchange.ok());
        }
    });
    let plain = started.elapsed();
    (recorded.len(), trespass, plain)
}

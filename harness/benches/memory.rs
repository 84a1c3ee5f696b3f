//! Peak resident memory over one long campaign on the embedded shop demo (vulnerable, two
//! workers, no confirmation or shrinking so that requests dominate): the peak after the first
//! 10 000 requests and at the end, and their ratio. A campaign that keeps traces, per-signature
//! lists or unbounded maps grows with the requests; a flat one stays near 1.00.
//!
//! `cargo bench --workspace --locked --bench memory` (`REQUESTS=N` for the end point, default
//! 200 000; the demo runs in the same process, so its memory counts too). Without a release
//! build at hand, `cargo test --workspace --locked --bench memory` runs it in the debug profile.

use std::sync::Mutex;

use trespass::campaign::{Campaign, Event, Settings, Target, TargetKind, peak_memory};
use trespass_targets::{Mode, Service};

/// Requests after which the first figure is taken.
const FIRST: u64 = 10_000;

fn main() {
    let requests: u64 = std::env::var("REQUESTS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(200_000)
        .max(FIRST);
    let service = Service::Shop;
    let (model, identities) = trespass::campaign::demo_subject(service).expect("the demo loads");
    let mut settings = Settings::from_config(&trespass::config::Config::default(), 1);
    settings.cases = Some(u64::MAX);
    settings.workers = 2;
    settings.confirm = false;
    settings.shrink = None;
    let campaign = Campaign::new(model, identities, trespass::oracle::defaults(), settings);
    let target = Target::start(
        TargetKind::Embedded {
            service,
            mode: Mode::Vulnerable,
        },
        2,
    )
    .expect("the demo starts");
    let first: Mutex<Option<(u64, u64)>> = Mutex::new(None);
    let on_event = |event: Event<'_>| {
        if let Event::Progress { requests: sent, .. } = event {
            let mut first = first.lock().unwrap_or_else(|e| e.into_inner());
            if first.is_none() && sent >= FIRST {
                *first = Some((sent, peak_memory().unwrap_or(0)));
            }
            if sent >= requests {
                // Stops the workers after their case, as Ctrl-C does.
                trespass::interrupt::request_stop();
            }
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let summary = runtime
        .block_on(campaign.run(&target, &on_event))
        .expect("the campaign runs");
    let (first_requests, first_peak) = first
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .expect("the first figure was taken");
    let last_peak = peak_memory().unwrap_or(0);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!("peak RSS, shop demo (vulnerable), 2 workers, no confirmation or shrinking");
    println!("{:>10} {:>8} {:>10}", "requests", "cases", "peak MiB");
    println!("{first_requests:>10} {:>8} {:>10.1}", "-", mib(first_peak));
    println!(
        "{:>10} {:>8} {:>10.1}",
        summary.requests,
        summary.cases,
        mib(last_peak)
    );
    if first_peak > 0 {
        println!(
            "ratio end/first: {:.3} ({} unique findings, {:.0} req/s)",
            last_peak as f64 / first_peak as f64,
            summary.findings.len(),
            summary.requests_per_second()
        );
    } else {
        println!("peak RSS is not known on this platform");
    }
}

//! `trespass fuzz` end to end on both demo services: in vulnerable mode the set of
//! (oracle, operation) findings equals the planted-bug manifest; in secure mode nothing is found.

use std::collections::BTreeSet;

use trespass::campaign::{Campaign, Endpoint, Event, Settings, Summary};
use trespass::oracle::Oracle;
use trespass_targets::{Mode, Service};

/// The budget of the manifest tests: fixed seed, fixed number of cases.
pub const SEED: u64 = 7;
pub const CASES: u64 = 1500;
pub const WORKERS: usize = 2;

pub fn oracles() -> Vec<Box<dyn Oracle>> {
    trespass::oracle::defaults()
}

/// Runs a campaign on `workers` fresh instances of `service` in `mode`.
pub fn fuzz(service: Service, mode: Mode, seed: u64, cases: u64, workers: usize) -> Summary {
    let (model, identities) = trespass_tests::demo(service);
    let targets: Vec<_> = (0..workers)
        .map(|_| trespass_targets::start(service, mode, 0).expect("target starts"))
        .collect();
    let endpoints: Vec<Endpoint> = targets
        .iter()
        .map(|t| Endpoint {
            base_url: t.url().parse().expect("url"),
        })
        .collect();
    let mut settings = Settings::from_config(&trespass::config::Config::default(), seed);
    settings.cases = Some(cases);
    settings.workers = workers;
    let campaign = Campaign::new(model, identities, oracles(), settings);
    // As `trespass fuzz` runs it: the workers spread over threads (two, whatever the
    // machine's cores), each with a runtime of its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let on_event = |_: Event<'_>| {};
    campaign
        .run_on_threads(&runtime, &endpoints, &on_event, 2)
        .expect("campaign runs")
}

fn manifest(service: Service) -> BTreeSet<(String, String)> {
    trespass_targets::planted::manifest(service)
        .iter()
        .map(|b| (b.oracle.to_string(), b.operation.to_string()))
        .collect()
}

fn found(summary: &Summary) -> BTreeSet<(String, String)> {
    summary.oracle_operations().into_iter().collect()
}

fn explain(summary: &Summary, expected: &BTreeSet<(String, String)>) -> String {
    let got = found(summary);
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<String> = summary
        .findings
        .iter()
        .filter(|f| !expected.contains(&(f.oracle.clone(), f.operation.as_str().to_string())))
        .map(|f| {
            let steps: Vec<String> = f
                .steps
                .iter()
                .map(|s| {
                    format!(
                        "    {} {} {} {} -> {:?} {}",
                        s.index,
                        s.identity,
                        s.method,
                        s.path,
                        s.status,
                        s.response_body
                            .as_ref()
                            .map(|b| b.to_string())
                            .unwrap_or_default()
                            .chars()
                            .take(200)
                            .collect::<String>()
                    )
                })
                .collect();
            format!("  {}\n{}", f.headline(), steps.join("\n"))
        })
        .collect();
    format!(
        "{} cases, {} requests, {} rejected\nmissing: {missing:#?}\nextra:\n{}",
        summary.cases,
        summary.requests,
        summary.rejected,
        extra.join("\n")
    )
}

/// The campaign of the manifest tests on `service` in vulnerable mode, run once per test
/// binary: the manifest and the shrink tests judge the same run.
pub fn vulnerable_run(service: Service) -> &'static Summary {
    static RUNS: [std::sync::OnceLock<Summary>; Service::ALL.len()] =
        [const { std::sync::OnceLock::new() }; Service::ALL.len()];
    let index = Service::ALL
        .iter()
        .position(|s| *s == service)
        .expect("every service is in Service::ALL");
    RUNS[index].get_or_init(|| fuzz(service, Mode::Vulnerable, SEED, CASES, WORKERS))
}

fn check_vulnerable(service: Service) {
    let summary = vulnerable_run(service);
    let manifest = manifest(service);
    assert_eq!(found(summary), manifest, "{}", explain(summary, &manifest));
    assert_eq!(
        summary.rejections.values().sum::<u64>(),
        summary.rejected,
        "{:?}",
        summary.rejections
    );
    for f in &summary.findings {
        assert!(f.confirmed, "confirmed on replay: {}", f.headline());
    }
}

fn check_secure(service: Service) {
    let summary = fuzz(service, Mode::Secure, SEED, CASES, WORKERS);
    assert!(
        summary.findings.is_empty(),
        "{}",
        explain(&summary, &BTreeSet::new())
    );
    assert!(summary.requests > CASES, "the campaign did send requests");
}

/// Fewer than one sequence in ten is rejected on the manifest run of `service` (each case runs
/// on a freshly reset target, so the count depends on the seed alone). A step that needs the
/// answer of a step the target refused is skipped, not counted: what counts is a sequence the
/// generators made that could not run (a field an answer lacks, an identity that cannot log in).
fn check_rejections(service: Service) {
    let summary = vulnerable_run(service);
    assert!(
        summary.rejected * 10 < summary.cases,
        "{} of {} sequences rejected: {:?}",
        summary.rejected,
        summary.cases,
        summary.rejections
    );
}

#[test]
fn shop_rejects_under_a_tenth_of_its_sequences() {
    check_rejections(Service::Shop);
}

#[test]
fn notes_rejects_under_a_tenth_of_its_sequences() {
    check_rejections(Service::Notes);
}

#[test]
fn forum_rejects_under_a_tenth_of_its_sequences() {
    check_rejections(Service::Forum);
}

#[test]
fn shop_vulnerable_findings_equal_the_manifest() {
    check_vulnerable(Service::Shop);
}

#[test]
fn shop_secure_has_no_findings() {
    check_secure(Service::Shop);
}

#[test]
fn notes_vulnerable_findings_equal_the_manifest() {
    check_vulnerable(Service::Notes);
}

#[test]
fn notes_secure_has_no_findings() {
    check_secure(Service::Notes);
}

/// The forum's idioms (keys from request bodies, `Location` and lists, owners by username or
/// email, credentials changed for another account, read-only fields sent on sign-up).
#[test]
fn forum_vulnerable_findings_equal_the_manifest() {
    check_vulnerable(Service::Forum);
}

#[test]
fn forum_secure_has_no_findings() {
    check_secure(Service::Forum);
}

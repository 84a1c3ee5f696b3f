//! Authorization coverage at the end of a campaign: what the oracles actually judged.

use trespass::campaign::{Campaign, Endpoint, Event, NOTHING_JUDGED, Settings};
use trespass_targets::{Mode, Service};

use crate::fuzz::{oracles, vulnerable_run};

#[test]
fn shop_coverage_counts_cross_identity_reads_of_orders() {
    let summary = vulnerable_run(Service::Shop);
    let order = summary
        .coverage
        .kinds
        .get("order")
        .unwrap_or_else(|| panic!("no cross-identity step on orders: {:?}", summary.coverage));
    assert!(order.reads > 0, "{:?}", summary.coverage);
    assert!(
        summary.coverage.oracles["bola"] > 0,
        "{:?}",
        summary.coverage
    );
    assert!(
        summary.coverage.oracles["bfla"] > 0,
        "{:?}",
        summary.coverage
    );
    let table = summary.table();
    eprintln!("{}", summary.coverage.text(&summary.oracles));
    assert!(
        table.contains("authorization coverage: cross-identity steps judged"),
        "{table}"
    );
    assert!(!table.contains(NOTHING_JUDGED), "{table}");
    let json: serde_json::Value = serde_json::to_value(summary).unwrap();
    assert_eq!(
        json["coverage"]["kinds"]["order"]["reads"],
        serde_json::json!(order.reads)
    );
}

/// With one identity no object is ever another identity's: the summary says nothing was
/// judged instead of only "no findings".
#[test]
fn a_campaign_that_can_judge_no_cross_identity_access_says_so() {
    let (model, mut identities) = trespass_tests::demo(Service::Notes);
    let keep = identities
        .identities
        .iter()
        .find(|i| i.role == trespass::identity::Role::User)
        .map(|i| i.name.clone())
        .expect("a user");
    identities.identities.retain(|i| i.name == keep);
    let target = trespass_targets::start(Service::Notes, Mode::Secure, 0).expect("target starts");
    let endpoint = Endpoint {
        base_url: target.url().parse().expect("url"),
    };
    let mut settings = Settings::from_config(&trespass::config::Config::default(), 3);
    settings.cases = Some(40);
    settings.workers = 1;
    let campaign = Campaign::new(model, identities, oracles(), settings);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let on_event = |_: Event<'_>| {};
    let summary = runtime
        .block_on(campaign.run(&[endpoint][..], &on_event))
        .expect("campaign runs");
    assert!(summary.cases > 0);
    assert_eq!(
        summary.coverage.cross_identity(),
        0,
        "{:?}",
        summary.coverage
    );
    assert_eq!(summary.coverage.oracles.get("bola"), Some(&0));
    let table = summary.table();
    eprintln!("{}", summary.coverage.text(&summary.oracles));
    assert!(table.contains(NOTHING_JUDGED), "{table}");
}

//! Coverage feedback on and off, same seeds, same case budget: for the three demos (shop,
//! notes, forum, vulnerable) and two real specs served by the generic stub
//! (`trespass_targets::stub`; `benches/specs/`), the distinct (operation, status) pairs and
//! the unique findings (signatures) after 25, 50 and 100 % of the budget.
//!
//! Case `n` of a seed is the same in a run of any budget (and the corpus of a case only
//! depends on the cases before it), so the 25 % and 50 % figures are runs of that budget;
//! one worker, no confirmation, no shrinking: only what the cases reach counts.
//!
//! `cargo bench --workspace --locked --bench feedback` (`CASES=N`, default 300; `SEEDS=K`,
//! default 3; `SHARE=x`, default 0.4; `TARGETS=shop,izettle`, the targets whose names start
//! so, default all). Without a release build at hand, `cargo
//! test --workspace --locked --bench feedback` runs it in the debug profile (the figures are
//! counts, not times, so the profile does not change them).

use std::collections::BTreeSet;

use trespass::campaign::{Campaign, Settings, Summary, Target, TargetKind};
use trespass::identity::IdentityFile;
use trespass_generators::model::ApiModel;
use trespass_targets::{Mode, Service};

/// Identities for a stubbed spec: two users and no credentials. The stub takes any key.
const STUB_IDENTITIES: &str = r#"
[[identity]]
name = "alice"
role = "user"
auth.api_key = { in = "header", name = "Authorization", value = "Basic YWxpY2U=" }

[[identity]]
name = "bob"
role = "user"
auth.api_key = { in = "header", name = "Authorization", value = "Basic Ym9i" }

[[identity]]
name = "anon"
role = "anonymous"
"#;

const REAL: [(&str, &str); 2] = [
    (
        "izettle.com__products__1.0.0.yaml",
        include_str!("specs/izettle.com__products__1.0.0.yaml"),
    ),
    (
        "codat.io__bank-feeds__2.1.0.json",
        include_str!("specs/codat.io__bank-feeds__2.1.0.json"),
    ),
];

/// What one run reached.
struct Reached {
    pairs: usize,
    findings: BTreeSet<String>,
    focused: u64,
}

fn reached(summary: &Summary) -> Reached {
    let pairs = summary
        .operations
        .0
        .values()
        .map(|o| o.statuses.len())
        .sum();
    Reached {
        pairs,
        findings: summary
            .findings
            .iter()
            .map(|f| f.signature.as_str().to_string())
            .collect(),
        focused: summary.feedback.as_ref().map_or(0, |f| f.focused),
    }
}

fn run(
    runtime: &tokio::runtime::Runtime,
    subject: &(ApiModel, IdentityFile),
    (target, reset): (&Target, Option<&str>),
    seed: u64,
    cases: u64,
    share: f64,
) -> Reached {
    // The stub keeps its objects across runs: each run starts from an empty one (an embedded
    // demo is reset before every sequence by its identities file).
    if let Some(url) = reset {
        runtime
            .block_on(reqwest::Client::new().post(url).send())
            .expect("the stub resets");
    }
    let mut settings = Settings::from_config(&trespass::config::Config::default(), seed);
    settings.cases = Some(cases);
    settings.workers = 1;
    settings.confirm = false;
    settings.shrink = None;
    settings.feedback = share;
    let campaign = Campaign::new(
        subject.0.clone(),
        subject.1.clone(),
        trespass::oracle::defaults(),
        settings,
    );
    let summary = runtime
        .block_on(campaign.run(target, &|_| {}))
        .expect("the campaign runs");
    reached(&summary)
}

fn main() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let cases = env("CASES", 300).max(4);
    let seeds = env("SEEDS", 3).max(1);
    let share: f64 = std::env::var("SHARE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.4);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "coverage feedback: share {share} vs off, {cases} cases, seeds 1..={seeds}, 1 worker, no \
         confirmation or shrinking; (operation, status) pairs / unique findings, mean over the \
         seeds, at 25/50/100 % of the budget"
    );
    println!(
        "{:<34} {:>8} {:>17} {:>17} {:>17} {:>9}",
        "target", "feedback", "25 %", "50 %", "100 %", "focused"
    );
    let budgets = [cases / 4, cases / 2, cases];
    // `TARGETS=shop,izettle`: only the targets whose name starts with one of these.
    let only: Vec<String> = std::env::var("TARGETS")
        .map(|t| t.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| name.starts_with(o.as_str()));
    for service in Service::ALL.into_iter().filter(|s| wanted(s.name())) {
        let subject = trespass::campaign::demo_subject(service).expect("the demo loads");
        let target = Target::start(
            TargetKind::Embedded {
                service,
                mode: Mode::Vulnerable,
            },
            1,
        )
        .expect("the demo starts");
        let name = format!("{} (demo, vulnerable)", service.name());
        compare(
            &runtime,
            &name,
            &subject,
            (&target, None),
            seeds,
            budgets,
            share,
        );
    }
    for (file, text) in REAL.into_iter().filter(|(file, _)| wanted(file)) {
        let stub = trespass_targets::stub::start_stub(text, 0).expect("the stub starts");
        let mut model = trespass_generators::load_str(text, file).expect("the spec loads");
        let mut identities = IdentityFile::parse(STUB_IDENTITIES, "stub.toml", |_| None)
            .expect("the identities parse");
        identities
            .apply_resources(&mut model)
            .expect("the resources apply");
        let url = url::Url::parse(&stub.url()).expect("a URL");
        let target = Target::start(TargetKind::Url(url), 1).expect("the stub answers");
        let name = format!("{} (stub)", file.split("__").next().unwrap_or(file));
        let reset = format!("{}/__reset", stub.url());
        compare(
            &runtime,
            &name,
            &(model, identities),
            (&target, Some(&reset)),
            seeds,
            budgets,
            share,
        );
    }
}

/// Prints the figures of one target with feedback off and on.
fn compare(
    runtime: &tokio::runtime::Runtime,
    name: &str,
    subject: &(ApiModel, IdentityFile),
    target: (&Target, Option<&str>),
    seeds: u64,
    budgets: [u64; 3],
    share: f64,
) {
    for (label, share) in [("off", 0.0), ("on", share)] {
        let mut cells = Vec::new();
        let mut focused = 0;
        for budget in budgets {
            let (mut pairs, mut findings) = (0usize, 0usize);
            for seed in 1..=seeds {
                let r = run(runtime, subject, target, seed, budget, share);
                pairs += r.pairs;
                findings += r.findings.len();
                if budget == budgets[2] {
                    focused += r.focused;
                }
            }
            let n = seeds as f64;
            cells.push(format!(
                "{:>7.1} / {:>5.1}",
                pairs as f64 / n,
                findings as f64 / n
            ));
        }
        println!(
            "{name:<34} {label:>8} {:>17} {:>17} {:>17} {:>9}",
            cells[0], cells[1], cells[2], focused
        );
    }
}

//! Shrinking against the live demo targets: every planted bug's finding is minimized to the
//! reproducer a person would write (the manifest's `min_steps`, and one identity per role it
//! lists), confirmed on every final replay.

use trespass::campaign::Summary;
use trespass::finding::Finding;
use trespass_targets::Service;
use trespass_targets::planted::PlantedBug;

use super::fuzz::{NOT_REACHED_YET, vulnerable_run};

/// Planted bugs whose minimized reproducer is still longer than the manifest's: (oracle,
/// operation, steps, identities) the shrinker reaches at worst today (which case first shows a
/// bug depends on how the two workers interleave, so some of them are minimal in some runs).
/// The test fails if one gets worse.
///
/// The notes entries start, in their minimal form, from a *seeded* object found through a list
/// (`GET /documents` gives a seeded document and its team, whose UUIDs a person reads off the
/// answer); the shrinker deletes steps and inlines ids that survive a reset (the shop's integer
/// ids), but it cannot yet replace a chain of creates by one read of a seeded object, nor a
/// step by a different operation (the schema bug is shown through the owner's re-read after
/// another identity's write, where a person would write a plain read). The shop's cancelled
/// orders list keeps a read of the order that a person would leave out, and its use after
/// delete keeps the create because the id of a seeded address and its owner's id would have to
/// change together.
const NOT_MINIMAL_YET: &[(&str, &str, usize, usize)] = &[
    (
        "bola",
        "DELETE /teams/{teamId}/documents/{documentId}",
        3,
        2,
    ),
    ("bola", "PATCH /teams/{teamId}/documents/{documentId}", 3, 2),
    (
        "resource-hierarchy",
        "GET /teams/{teamId}/documents/{documentId}/comments/{commentId}",
        6,
        2,
    ),
    (
        "bola",
        "GET /teams/{teamId}/documents/{documentId}/comments/{commentId}",
        6,
        2,
    ),
    ("use-after-delete", "GET /shares/{shareId}", 5, 1),
    (
        "server-error",
        "POST /teams/{teamId}/documents/{documentId}/comments",
        3,
        1,
    ),
    (
        "schema-conformance",
        "GET /teams/{teamId}/documents/{documentId}",
        4,
        2,
    ),
    ("list-leak", "GET /users/{userId}/orders", 4, 2),
    (
        "status-conformance",
        "POST /users/{userId}/cart/items",
        2,
        2,
    ),
    ("resource-hierarchy", "GET /users/{userId}/orders", 4, 2),
    (
        "use-after-delete",
        "GET /users/{userId}/addresses/{addressId}",
        3,
        2,
    ),
];

fn roles_match(finding: &Finding, bug: &PlantedBug) -> bool {
    finding.roles.len() == bug.roles.len()
        && finding
            .roles
            .iter()
            .zip(bug.roles)
            .all(|(r, b)| r.as_str() == *b)
}

fn check(service: Service) {
    let summary: &Summary = vulnerable_run(service);
    let mut problems = Vec::new();
    let mut times = Vec::new();
    let mut replays = Vec::new();
    for bug in trespass_targets::planted::manifest(service) {
        if NOT_REACHED_YET.contains(&(bug.oracle, bug.operation)) {
            continue;
        }
        let same_bug: Vec<&Finding> = summary
            .findings
            .iter()
            .filter(|f| f.oracle == bug.oracle && f.operation.as_str() == bug.operation)
            .collect();
        let Some(finding) = same_bug
            .iter()
            .find(|f| roles_match(f, bug))
            .or(same_bug.first())
        else {
            problems.push(format!("{} {}: not found", bug.oracle, bug.operation));
            continue;
        };
        let Some(stats) = &finding.shrink else {
            problems.push(format!("{}: not shrunk", finding.signature));
            continue;
        };
        times.push(stats.elapsed_ms);
        replays.push(stats.replays);
        if !finding.confirmed || finding.flaky || stats.reproduced != stats.confirmations {
            problems.push(format!(
                "{}: not reproduced on every confirmation ({}/{})",
                finding.signature, stats.reproduced, stats.confirmations
            ));
        }
        assert_eq!(
            stats.steps_after,
            finding.sequence.steps.len(),
            "the stats describe the stored sequence"
        );
        let got = (stats.steps_after, stats.identities_after);
        // One identity per role the manifest lists, except that a one-step reproducer has one
        // identity (the evidence is in the answer itself, e.g. a child under the wrong parent).
        let identities = if bug.min_steps == 1 {
            1
        } else {
            bug.roles.len()
        };
        let minimal = (bug.min_steps, identities);
        let known = NOT_MINIMAL_YET
            .iter()
            .find(|(o, op, _, _)| *o == bug.oracle && *op == bug.operation);
        let steps = finding.sequence_lines().join("; ");
        match known {
            None if got != minimal => problems.push(format!(
                "{}: {} steps, {} identities; the minimum is {} steps, {} identities: {steps}",
                finding.signature, got.0, got.1, minimal.0, minimal.1
            )),
            Some((_, _, s, i)) if got.0 > *s || got.1 > *i => problems.push(format!(
                "{}: {} steps, {} identities, worse than the {s}, {i} listed: {steps}",
                finding.signature, got.0, got.1
            )),
            _ => {}
        }
    }
    times.sort_unstable();
    replays.sort_unstable();
    eprintln!(
        "{service}: shrink time per finding median {} ms, max {} ms; replays median {}, max {}",
        times.get(times.len() / 2).copied().unwrap_or(0),
        times.last().copied().unwrap_or(0),
        replays.get(replays.len() / 2).copied().unwrap_or(0),
        replays.last().copied().unwrap_or(0),
    );
    assert!(problems.is_empty(), "{service}:\n{}", problems.join("\n"));
}

#[test]
fn shop_findings_shrink_to_the_minimal_reproducer() {
    check(Service::Shop);
}

#[test]
fn notes_findings_shrink_to_the_minimal_reproducer() {
    check(Service::Notes);
}

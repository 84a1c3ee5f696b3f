//! Findings grouped by root cause: one [`RootCause`] per bug, with the signatures it showed
//! up under.
//!
//! One bug often fires more than one signature: a missing ownership check on
//! `GET /orders/{orderId}` is `bola … [user,user]` when a user reads another user's order and
//! `bola … [user,admin]` when the order is an admin's; a user who may call the admin-only
//! `DELETE /users/{userId}` on another user is both `bfla` (a user called an admin operation)
//! and `bola` (a user deleted someone else's object). The root cause key is
//!
//! ```text
//! FAMILY OPERATION [#CAUSE]
//! ```
//!
//! - the family is the oracle, except that `bola` and `bfla` are one family, `access-control`:
//!   on one operation both are the same missing check (the operation's objects are the victims
//!   of both; an operation that is admin-only is a `bola` only through being callable at all);
//! - the operation is the one the violation is about;
//! - the cause is the hash a signature ends with (`server-error`: the fingerprint of the error
//!   answer), so 5xx answers of different causes stay apart; for `injection` it is the place
//!   alone (`at query author`), not the payload's family: one parameter that reaches an
//!   interpreter is one bug whichever payloads broke it (the forum's `author` filter answers a
//!   NoSQL payload's quote with the same PostgreSQL syntax error as an SQL payload's);
//! - the roles are left out: which roles showed the bug says who can exploit it, not what it is.
//!
//! One fold follows the keys: `resource-hierarchy` on an operation joins the one
//! authorization root cause of that operation (`access-control` or `list-leak`), when there is
//! exactly one. A child loaded by its id alone is answered under any parent
//! (`resource-hierarchy`: `/users/1/orders/9` returns user 2's order) and so to anyone
//! (`bola`: alice reads bob's order); a list that forgets its parent's filter lists other
//! parents' children (`resource-hierarchy`) that are other users' (`list-leak`). The shop's
//! two such bugs each fired both oracles on the very same answer. Alone on its operation, or
//! beside both, `resource-hierarchy` stays a root cause of its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trespass_generators::model::OperationId;

use crate::finding::Finding;
use crate::oracle::{
    BUILT_IN, Bfla, Bola, Injection, ListLeak, ResourceHierarchy, Signature, cause_hash,
};

/// The family of `bola` and `bfla` in root cause keys.
pub const ACCESS_CONTROL: &str = "access-control";

/// One bug: the findings that share a root cause key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    /// The first 8 hex digits of the key's SHA-256: a short name for the bug that stays the
    /// same from run to run.
    pub id: String,
    /// `access-control DELETE /users/{userId}`, `server-error POST /orders #1a2b3c4d`.
    pub key: String,
    /// The oracles of its findings, built-in ones in report order.
    pub oracles: Vec<String>,
    /// The operation.
    pub operation: OperationId,
    /// The readable cause (`server-error`: the error answer's fingerprint), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The signatures of its findings, sorted.
    pub signatures: Vec<Signature>,
    /// Cases that showed any of them.
    pub count: u64,
    /// `confirmed` when any of its findings is, else `flaky` when any is, else
    /// `unconfirmed`.
    pub status: String,
    /// The headline of its most telling finding (confirmed first, then in oracle order).
    pub headline: String,
}

/// The root cause key of `finding` (see the module's documentation).
pub fn key_of(finding: &Finding) -> String {
    let family = family(&finding.oracle);
    if let Some(place) = injection_place(finding) {
        return format!("{family} {} {place}", finding.operation);
    }
    match finding.signature.cause_hash() {
        Some(hash) => format!("{family} {} #{hash}", finding.operation),
        None => format!("{family} {}", finding.operation),
    }
}

/// `at query author` for an `injection` finding whose cause is `sql at query author`.
fn injection_place(finding: &Finding) -> Option<&str> {
    if finding.oracle != Injection::NAME {
        return None;
    }
    let cause = finding.cause.as_deref()?;
    cause.find(" at ").map(|at| &cause[at + 1..])
}

/// `access-control` for `bola` and `bfla`, else the oracle's name.
pub fn family(oracle: &str) -> &str {
    if oracle == Bola::NAME || oracle == Bfla::NAME {
        ACCESS_CONTROL
    } else {
        oracle
    }
}

/// Moves each `resource-hierarchy` group of `by_key` into the one `access-control` or
/// `list-leak` group of its operation, when there is exactly one (see the module's
/// documentation).
fn fold_hierarchy(by_key: &mut BTreeMap<String, Vec<&Finding>>) {
    let hierarchy: Vec<String> = by_key
        .iter()
        .filter(|(_, members)| members[0].oracle == ResourceHierarchy::NAME)
        .map(|(key, _)| key.clone())
        .collect();
    for key in hierarchy {
        let operation = &by_key[&key][0].operation;
        let mut authorization = by_key.iter().filter(|(_, members)| {
            let first = members[0];
            &first.operation == operation
                && first.signature.cause_hash().is_none()
                && matches!(family(&first.oracle), ACCESS_CONTROL | ListLeak::NAME)
        });
        let (Some((into, _)), None) = (authorization.next(), authorization.next()) else {
            continue;
        };
        let into = into.clone();
        let moved = by_key.remove(&key).unwrap_or_default();
        by_key.entry(into).or_default().extend(moved);
    }
}

/// Where `oracle` sorts: built-in oracles in report order, then the others.
fn oracle_rank(oracle: &str) -> usize {
    BUILT_IN
        .iter()
        .position(|o| *o == oracle)
        .unwrap_or(BUILT_IN.len())
}

/// 0 for confirmed, 1 for flaky, 2 for unconfirmed.
fn status_rank(finding: &Finding) -> u8 {
    match finding.status() {
        "confirmed" => 0,
        "flaky" => 1,
        _ => 2,
    }
}

impl RootCause {
    /// The root causes of `findings`, one per key, sorted by their oracles, operation and key.
    pub fn group(findings: &[Finding]) -> Vec<RootCause> {
        let mut by_key: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
        for f in findings {
            by_key.entry(key_of(f)).or_default().push(f);
        }
        fold_hierarchy(&mut by_key);
        let mut out: Vec<RootCause> = by_key
            .into_iter()
            .map(|(key, members)| Self::of(key, members))
            .collect();
        out.sort_by(|a, b| {
            (a.oracles.join(" + "), a.operation.as_str(), &a.key).cmp(&(
                b.oracles.join(" + "),
                b.operation.as_str(),
                &b.key,
            ))
        });
        out
    }

    fn of(key: String, mut members: Vec<&Finding>) -> RootCause {
        members.sort_by(|a, b| {
            (status_rank(a), oracle_rank(&a.oracle), &a.signature).cmp(&(
                status_rank(b),
                oracle_rank(&b.oracle),
                &b.signature,
            ))
        });
        let primary = members[0];
        let mut oracles: Vec<String> = members.iter().map(|f| f.oracle.clone()).collect();
        oracles.sort_by(|a, b| (oracle_rank(a), a).cmp(&(oracle_rank(b), b)));
        oracles.dedup();
        let mut signatures: Vec<Signature> = members.iter().map(|f| f.signature.clone()).collect();
        signatures.sort();
        RootCause {
            id: cause_hash(&key),
            oracles,
            operation: primary.operation.clone(),
            cause: members.iter().find_map(|f| f.cause.clone()),
            signatures,
            count: members.iter().map(|f| f.count).sum(),
            status: primary.status().to_string(),
            headline: primary.headline(),
            key,
        }
    }

    /// Whether `finding` is one of this root cause's.
    pub fn contains(&self, finding: &Finding) -> bool {
        self.signatures.contains(&finding.signature)
    }
}

#[cfg(test)]
mod tests {
    use trespass_generators::sequence::{Role, Sequence};

    use super::*;
    use crate::exec::{Trace, TraceIndex};
    use crate::oracle::Violation;
    use crate::redact::Redactor;

    fn finding(oracle: &str, op: &str, roles: &[Role], cause: Option<&str>) -> Finding {
        let violation = Violation {
            oracle: oracle.into(),
            operation: OperationId::parse(op).unwrap(),
            roles: roles.to_vec(),
            step: TraceIndex(0),
            message: format!("{oracle} on {op}"),
            rule: "a rule".into(),
            cause: cause.map(str::to_string),
        };
        let mut f = Finding::new(
            &violation,
            &Sequence::default(),
            &Trace::default(),
            1,
            7,
            &Redactor::new(),
        );
        f.confirmed = true;
        f
    }

    /// Asserts that `groups` have the keys `expected`, in any order.
    fn assert_keys<K: AsRef<str>>(groups: &[RootCause], expected: impl IntoIterator<Item = K>) {
        let mut keys: Vec<&str> = groups.iter().map(|g| g.key.as_str()).collect();
        keys.sort_unstable();
        let mut expected: Vec<String> = expected.into_iter().map(|k| k.as_ref().into()).collect();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }

    #[test]
    fn one_bug_under_several_signatures_is_one_root_cause() {
        use Role::{Admin, User};
        let read = "GET /users/{userId}/orders/{orderId}";
        let delete = "DELETE /users/{userId}";
        let mut findings = vec![
            finding("bola", read, &[User, User], None),
            finding("bola", read, &[User, Admin], None),
            finding("bfla", delete, &[User], None),
            finding("bola", delete, &[User, User], None),
            finding("server-error", "POST /orders", &[User], Some("500 a: x")),
            finding("server-error", "POST /orders", &[Admin], Some("500 a: x")),
            finding("server-error", "POST /orders", &[User], Some("500 a: y")),
            finding("list-leak", read, &[User, User], None),
        ];
        findings[1].count = 4;
        findings[1].confirmed = false;
        let groups = RootCause::group(&findings);
        let x = cause_hash("500 a: x");
        let y = cause_hash("500 a: y");
        assert_keys(
            &groups,
            [
                "access-control DELETE /users/{userId}".to_string(),
                format!("access-control {read}"),
                format!("list-leak {read}"),
                format!("server-error POST /orders #{x}"),
                format!("server-error POST /orders #{y}"),
            ],
        );
        let by_key = |key: &str| groups.iter().find(|g| g.key == key).unwrap();
        let bola = by_key(&format!("access-control {read}"));
        assert_eq!(bola.signatures.len(), 2, "[user,user] and [user,admin]");
        assert_eq!(bola.count, 5);
        assert_eq!(bola.status, "confirmed", "one of them is");
        assert_eq!(bola.oracles, ["bola"]);
        let delete_group = by_key("access-control DELETE /users/{userId}");
        assert_eq!(delete_group.oracles, ["bola", "bfla"], "report order");
        assert!(
            delete_group.headline.starts_with("[bola]"),
            "{}",
            delete_group.headline
        );
        let same_cause = by_key(&format!("server-error POST /orders #{x}"));
        assert_eq!(same_cause.signatures.len(), 2, "one cause, two roles");
        assert_eq!(same_cause.cause.as_deref(), Some("500 a: x"));
        let other_cause = by_key(&format!("server-error POST /orders #{y}"));
        assert_eq!(other_cause.signatures.len(), 1);
        assert_eq!(bola.id.len(), 8);
        assert_ne!(same_cause.id, other_cause.id);
        // Sorted by oracles, then operation: `bola` before `bola + bfla`.
        assert_eq!(groups[0].key, format!("access-control {read}"));
        assert_eq!(groups[1].key, "access-control DELETE /users/{userId}");
        assert!(
            findings
                .iter()
                .all(|f| groups.iter().filter(|g| g.contains(f)).count() == 1)
        );
        assert!(RootCause::group(&[]).is_empty());
    }

    #[test]
    fn a_resource_hierarchy_breach_joins_the_one_authorization_bug_of_its_operation() {
        use Role::{Admin, User};
        let read = "GET /users/{userId}/orders/{orderId}";
        let list = "GET /users/{userId}/orders";
        let addresses = "GET /users/{userId}/addresses";
        let both = "GET /teams/{teamId}/notes";
        let mut findings = vec![
            finding("resource-hierarchy", read, &[User], None),
            finding("resource-hierarchy", read, &[Admin], None),
            finding("bola", read, &[User, User], None),
            finding("resource-hierarchy", list, &[User], None),
            finding("list-leak", list, &[User, User], None),
            finding("resource-hierarchy", addresses, &[User], None),
            finding("server-error", addresses, &[User], Some("500 a: x")),
            finding("resource-hierarchy", both, &[User], None),
            finding("bola", both, &[User, User], None),
            finding("list-leak", both, &[User, User], None),
        ];
        findings[0].count = 3;
        let groups = RootCause::group(&findings);
        let x = cause_hash("500 a: x");
        assert_keys(
            &groups,
            [
                format!("access-control {read}"),
                format!("list-leak {list}"),
                format!("resource-hierarchy {addresses}"),
                format!("server-error {addresses} #{x}"),
                format!("access-control {both}"),
                format!("list-leak {both}"),
                format!("resource-hierarchy {both}"),
            ],
        );
        let by_key = |key: &str| groups.iter().find(|g| g.key == key).unwrap();
        let read_bug = by_key(&format!("access-control {read}"));
        assert_eq!(read_bug.oracles, ["bola", "resource-hierarchy"]);
        assert_eq!(read_bug.signatures.len(), 3, "{:?}", read_bug.signatures);
        assert_eq!(read_bug.count, 5);
        assert!(
            read_bug.headline.starts_with("[bola]"),
            "{}",
            read_bug.headline
        );
        let list_bug = by_key(&format!("list-leak {list}"));
        assert_eq!(list_bug.oracles, ["list-leak", "resource-hierarchy"]);
        assert!(
            findings
                .iter()
                .all(|f| groups.iter().filter(|g| g.contains(f)).count() == 1),
            "every finding in exactly one root cause"
        );
    }

    #[test]
    fn injection_at_one_place_is_one_bug_whatever_the_payloads() {
        use Role::{Admin, User};
        let list = "GET /api/v2/snippets";
        let findings = [
            finding("injection", list, &[User], Some("sql at query author")),
            finding("injection", list, &[User], Some("nosql at query author")),
            finding("injection", list, &[Admin], Some("sql at query author")),
            finding("injection", list, &[User], Some("sql at query title")),
            finding(
                "injection",
                "GET /api/v2/users",
                &[User],
                Some("sql at query author"),
            ),
        ];
        let groups = RootCause::group(&findings);
        assert_keys(
            &groups,
            [
                "injection GET /api/v2/snippets at query author",
                "injection GET /api/v2/snippets at query title",
                "injection GET /api/v2/users at query author",
            ],
        );
        assert_eq!(groups[0].signatures.len(), 3, "{:?}", groups[0]);
        assert_eq!(groups[0].cause.as_deref(), Some("sql at query author"));
    }
}

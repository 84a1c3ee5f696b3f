//! Operations that disturb every sequence in flight on a shared target: a sequence with one
//! runs alone there, followed by a reset when one of them went through (see [`super::worker`]).
//!
//! Found once per campaign, from the model and the identities file:
//!
//! - the reset operation itself (`[target] reset = "POST /__reset"`);
//! - writes to accounts: the update and delete operations of an account kind (the kind of a
//!   `GET /me`-style operation's answer, a singleton kind, or a kind called `user`, `account`,
//!   `member`, `profile` or `customer`), and the other non-`GET` operations on one account
//!   (`POST /admin/users/{userId}/suspend`);
//! - credential changes: non-`GET` operations, other than creates and login operations,
//!   whose JSON body has a password or login e-mail field;
//! - whatever `[policy] exclusive_operations` names.

use std::collections::BTreeMap;

use trespass_generators::model::{ApiModel, CrudRole, Method, Operation, OperationId};
// Last path segments of operations that return the caller's own account (`GET /me`).
use trespass_generators::sequence::ACCOUNT_SEGMENTS as OWN_ACCOUNT;

use crate::exec::sets_credential;
use crate::identity::{Auth, IdentityFile, Reset};
use crate::oracle::pattern_matches;

/// Kinds taken for accounts by their name.
const ACCOUNT_KINDS: &[&str] = &["user", "account", "member", "profile", "customer"];

/// The exclusive operations of `model` under `identities`, each with why.
pub(super) fn exclusive_operations(
    model: &ApiModel,
    identities: &IdentityFile,
) -> BTreeMap<OperationId, String> {
    let accounts = account_kinds(model);
    let logins: Vec<OperationId> = identities
        .identities
        .iter()
        .filter_map(|i| match &i.auth {
            Auth::Login(flow) => Some(OperationId::new(&flow.method, &flow.path)),
            _ => None,
        })
        .collect();
    let mut out = BTreeMap::new();
    for op in &model.operations {
        let why = if is_reset(identities, op) {
            Some("the target's reset".to_string())
        } else if let Some(pattern) = identities
            .policy
            .exclusive_operations
            .iter()
            .find(|p| pattern_matches(p, op))
        {
            Some(format!("exclusive by policy `{pattern}`"))
        } else if logins.contains(&op.id) {
            None
        } else {
            account_write(model, op, &accounts).or_else(|| credential_change(model, op))
        };
        if let Some(why) = why {
            out.insert(op.id.clone(), why);
        }
    }
    out
}

/// Whether `op` is the identities file's reset request (its path a concrete instance of
/// `op`'s template).
fn is_reset(identities: &IdentityFile, op: &Operation) -> bool {
    let Some(Reset::Request { method, path }) = &identities.target.reset else {
        return false;
    };
    if !method.eq_ignore_ascii_case(op.method.as_str()) {
        return false;
    }
    let concrete: Vec<&str> = path.trim_matches('/').split('/').collect();
    let template: Vec<&str> = op.path.trim_matches('/').split('/').collect();
    concrete.len() == template.len()
        && concrete
            .iter()
            .zip(&template)
            .all(|(c, t)| c == t || (t.starts_with('{') && t.ends_with('}')))
}

/// The kinds whose objects are accounts.
fn account_kinds(model: &ApiModel) -> Vec<String> {
    let mut kinds: Vec<String> = model
        .resources
        .iter()
        .filter(|r| r.singleton || ACCOUNT_KINDS.contains(&r.kind.to_ascii_lowercase().as_str()))
        .map(|r| r.kind.clone())
        .collect();
    for op in &model.operations {
        let last = op
            .path
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if op.method != Method::Get
            || !op.path_parameters().is_empty()
            || !OWN_ACCOUNT.contains(&last.as_str())
        {
            continue;
        }
        let schema = op.success_responses().find_map(|(_, r)| r.json_schema());
        if let Some(r) = model
            .resources
            .iter()
            .find(|r| r.schema.is_some() && r.schema == schema)
            && !kinds.contains(&r.kind)
        {
            kinds.push(r.kind.clone());
        }
    }
    kinds
}

/// Why `op` changes or deletes an account, if it does.
fn account_write(model: &ApiModel, op: &Operation, accounts: &[String]) -> Option<String> {
    if op.method == Method::Get {
        return None;
    }
    match model.resource_of(&op.id) {
        Some((r, CrudRole::Update | CrudRole::Delete)) if accounts.contains(&r.kind) => {
            return Some(format!("changes or deletes an account ({})", r.kind));
        }
        Some((_, CrudRole::Create | CrudRole::List | CrudRole::Update | CrudRole::Delete)) => {
            return None;
        }
        Some((_, CrudRole::Read)) | None => {}
    }
    // An action on one account: its last path parameter is an account's key.
    let last = op.path_parameters().last().map(|p| p.name.clone())?;
    let kind = model
        .resources
        .iter()
        .find(|r| accounts.contains(&r.kind) && r.id_params.contains(&last))?;
    Some(format!("acts on an account ({})", kind.kind))
}

/// Why `op` changes credentials, if it does.
fn credential_change(model: &ApiModel, op: &Operation) -> Option<String> {
    if op.method == Method::Get || matches!(model.resource_of(&op.id), Some((_, CrudRole::Create)))
    {
        return None;
    }
    let props = model.schemas.object_properties(op.json_request_schema()?)?;
    let field = props.keys().find(|f| sets_credential(f))?;
    Some(format!("changes credentials (`{field}`)"))
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use trespass_targets::Service;

    use super::*;

    fn exclusive(service: Service, policy: &[&str]) -> Vec<String> {
        let (model, mut identities) = super::super::demo_subject(service).unwrap();
        identities.policy.exclusive_operations = policy.iter().map(|p| p.to_string()).collect();
        exclusive_operations(&model, &identities)
            .into_keys()
            .map(|op| op.to_string())
            .collect()
    }

    #[test]
    fn account_writes_and_credential_changes_are_exclusive() {
        assert_eq!(
            exclusive(Service::Shop, &[]),
            ["DELETE /users/{userId}", "PATCH /users/{userId}"]
        );
        let notes = exclusive(Service::Notes, &[]);
        assert_eq!(notes, ["POST /admin/users/{userId}/suspend"], "{notes:?}");
        let forum = exclusive(Service::Forum, &[]);
        assert!(
            forum.contains(&"PUT /api/v2/users/{username}/password".to_string()),
            "{forum:?}"
        );
        assert!(forum.contains(&"PATCH /api/v2/me".to_string()), "{forum:?}");
        assert!(
            forum.iter().all(|op| !op.starts_with("GET ")
                && op != "POST /api/v2/auth/login"
                && op != "POST /api/v2/users"),
            "reads, the login and sign-up are not: {forum:?}"
        );
    }

    #[test]
    fn the_policy_adds_exclusive_operations_and_the_reset_is_one() {
        let shop = exclusive(Service::Shop, &["POST /admin/refunds", "tag:nothing"]);
        assert!(
            shop.contains(&"POST /admin/refunds".to_string()),
            "{shop:?}"
        );
        assert_eq!(shop.len(), 3, "{shop:?}");
        let (model, mut identities) = super::super::demo_subject(Service::Shop).unwrap();
        identities.target.reset = Some(Reset::Request {
            method: "POST".into(),
            path: "/users/7/orders/9/cancel".into(),
        });
        let ops = exclusive_operations(&model, &identities);
        assert_eq!(
            ops.get(&OperationId::new(
                "POST",
                "/users/{userId}/orders/{orderId}/cancel"
            ))
            .map(String::as_str),
            Some("the target's reset")
        );
    }
}

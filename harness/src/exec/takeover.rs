//! Login checks around a change of another identity's credentials.
//!
//! When identity Y (not an admin) sends a write whose body carries a credential field
//! (`password`, `newPassword`, `passwd`, `email`, or a field the spec marks write-only) and
//! whose path parameters or other top-level body fields name another identity X (by a
//! username, email address or account id trespass knows of X), and X logs in through a login
//! flow of the identities file, the executor adds X's logins around it
//! ([`super::Purpose::LoginCheck`]):
//!
//! - [`LoginCheck::Before`]: X logs in with its configured credentials, before the write;
//! - [`LoginCheck::Configured`]: the same, after a 2xx write;
//! - [`LoginCheck::Changed`]: X's login body with Y's new value in place of the credential it
//!   changed (only when X's login body has such a field), after a 2xx write.
//!
//! The `account-takeover` oracle judges them: the changed value logs in as X, or X's own
//! credentials stopped working. An API that applies the change to the caller's own account
//! (ignoring the path) passes: X's credentials still work and Y's value does not log in as X.
//! The target keeps the new credentials until the campaign's reset; the sessions forget their
//! tokens after the checks, so later steps log in afresh.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use trespass_generators::model::{ApiModel, OperationId};
use trespass_generators::sequence::{IdentityId, Role};

use super::ownership::{Ownership, id_text};
use crate::identity::{Auth, Identity, LoginFlow};

/// Which login a [`super::Purpose::LoginCheck`] step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginCheck {
    /// The account holder's configured login, before the write.
    Before,
    /// The account holder's configured login, after the write.
    Configured,
    /// The account holder's login body with the writer's new credential in it, after the write.
    Changed,
}

impl LoginCheck {
    /// `before`, `configured` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginCheck::Before => "before",
            LoginCheck::Configured => "configured",
            LoginCheck::Changed => "changed",
        }
    }
}

/// What kind of credential a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    Password,
    Email,
}

fn normal(field: &str) -> String {
    field
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// What credential a field name holds: `password`, `newPassword`, `new_password`, `passwd`,
/// `pwd`, `pass` are passwords; `email`, `newEmail`, `emailAddress` are email addresses.
/// Fields that only confirm or prove (`oldPassword`, `currentPassword`) are not new values.
fn credential_of(field: &str) -> Option<Credential> {
    let f = normal(field);
    if ["old", "current", "confirm", "repeat", "previous"]
        .iter()
        .any(|w| f.contains(w))
    {
        return None;
    }
    if f.contains("password") || f.contains("passwd") || f == "pwd" || f == "pass" {
        Some(Credential::Password)
    } else if f == "email" || f == "newemail" || f == "emailaddress" || f == "mail" {
        Some(Credential::Email)
    } else {
        None
    }
}

/// Whether a field of that name sets a new credential (a password or a login e-mail address).
pub(crate) fn sets_credential(field: &str) -> bool {
    credential_of(field).is_some()
}

/// Whether `field` of `op`'s request schema is marked write-only in the spec.
fn write_only(model: &ApiModel, op: &OperationId, field: &str) -> bool {
    model
        .operation(op)
        .and_then(|o| o.json_request_schema())
        .and_then(|s| model.schemas.object_properties(s))
        .and_then(|props| props.get(field))
        .and_then(|id| model.schemas.try_get(*id))
        .is_some_and(|s| s.write_only)
}

/// A write that changes another identity's credentials, and how to check it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CredentialChange {
    /// The account holder (X).
    pub(crate) holder: IdentityId,
    /// X's login flow.
    pub(crate) flow: LoginFlow,
    /// X's login body with the new values in place, when it has such fields and they differ.
    pub(crate) changed_body: Option<Value>,
    /// The new credential values, for redaction.
    pub(crate) new_values: Vec<String>,
}

/// The credential change `body` and `path_params` of a write by `writer` (of `role`) through
/// `op` would make to another identity's account, if any.
#[allow(clippy::too_many_arguments)]
pub(crate) fn credential_change(
    model: &ApiModel,
    identities: &[Identity],
    ownership: &Ownership,
    writer: &IdentityId,
    role: Role,
    op: &OperationId,
    path_params: &IndexMap<String, Value>,
    body: Option<&Value>,
) -> Option<CredentialChange> {
    if role == Role::Admin || op.method() == "GET" || op.method() == "DELETE" {
        return None;
    }
    let Some(Value::Object(fields)) = body else {
        return None;
    };
    let mut credentials: Vec<(Credential, String)> = Vec::new();
    let mut naming: Vec<String> = path_params.values().filter_map(id_text).collect();
    for (field, value) in fields {
        let kind = credential_of(field)
            .or_else(|| write_only(model, op, field).then_some(Credential::Password));
        match (kind, value.as_str()) {
            (Some(kind), Some(text)) if !text.is_empty() => {
                credentials.push((kind, text.to_string()))
            }
            (Some(_), _) => {}
            (None, _) => naming.extend(id_text(value)),
        }
    }
    if credentials.is_empty() {
        return None;
    }
    let (holder, flow) = identities.iter().find_map(|identity| {
        let id = IdentityId::new(identity.name.clone());
        let Auth::Login(flow) = &identity.auth else {
            return None;
        };
        if id == *writer || identity.role == Role::Anonymous {
            return None;
        }
        let names: Vec<String> = ownership
            .known()
            .names(&id)
            .map(|(_, n)| n.to_ascii_lowercase())
            .chain(ownership.account_ids(&id).map(str::to_ascii_lowercase))
            .collect();
        naming
            .iter()
            .any(|v| names.contains(&v.to_ascii_lowercase()))
            .then(|| (id, flow.clone()))
    })?;
    let changed_body = substituted(flow.body.expose(), &credentials);
    Some(CredentialChange {
        holder,
        flow,
        changed_body,
        new_values: credentials.into_iter().map(|(_, v)| v).collect(),
    })
}

/// `login` (an identity's login body) with the new credentials `write` (the body of a write
/// that changes them) carries in place of its own, or `None` when nothing would change: what
/// a [`LoginCheck::Changed`] step sends.
pub fn changed_login(login: &Value, write: &Value) -> Option<Value> {
    let Value::Object(fields) = write else {
        return None;
    };
    let new: Vec<(Credential, String)> = fields
        .iter()
        .filter_map(|(field, value)| Some((credential_of(field)?, value.as_str()?.to_string())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    substituted(login, &new)
}

/// `login` with each of its top-level credential fields replaced by the new value of the same
/// kind (a password for a password, an address for an email or an email-like username), or
/// `None` when nothing would change.
fn substituted(login: &Value, new: &[(Credential, String)]) -> Option<Value> {
    let Value::Object(fields) = login else {
        return None;
    };
    let mut out = fields.clone();
    let mut changed = false;
    for (field, value) in out.iter_mut() {
        let kind = credential_of(field).or_else(|| {
            (normal(field) == "username" && value.as_str().is_some_and(|v| v.contains('@')))
                .then_some(Credential::Email)
        });
        let Some(kind) = kind else { continue };
        if let Some((_, text)) = new.iter().find(|(k, _)| *k == kind)
            && value.as_str() != Some(text.as_str())
        {
            *value = Value::String(text.clone());
            changed = true;
        }
    }
    changed.then_some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credential_fields_are_new_values_not_proofs() {
        for f in ["password", "newPassword", "new_password", "passwd", "pwd"] {
            assert_eq!(credential_of(f), Some(Credential::Password), "{f}");
        }
        assert_eq!(credential_of("email"), Some(Credential::Email));
        for f in ["oldPassword", "current_password", "confirmPassword", "bio"] {
            assert_eq!(credential_of(f), None, "{f}");
        }
    }

    #[test]
    fn the_login_body_takes_the_new_value_of_its_kind() {
        let login = json!({"username": "alice", "password": "pw-alice-1"});
        assert_eq!(
            substituted(&login, &[(Credential::Password, "new-pw-99".into())]),
            Some(json!({"username": "alice", "password": "new-pw-99"}))
        );
        assert_eq!(
            substituted(&login, &[(Credential::Email, "x@y.z".into())]),
            None,
            "a username login does not use the address"
        );
        assert_eq!(
            substituted(&login, &[(Credential::Password, "pw-alice-1".into())]),
            None,
            "the same value changes nothing"
        );
        let by_mail = json!({"username": "a@y.z", "pass": "pw"});
        assert_eq!(
            substituted(&by_mail, &[(Credential::Email, "b@y.z".into())]),
            Some(json!({"username": "b@y.z", "pass": "pw"}))
        );
    }
}

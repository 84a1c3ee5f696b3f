//! What trespass knows of each identity it acts as: its role, and the usernames and email
//! addresses that name it in the target's data (`author: "alice"`, `createdBy:
//! "alice@forum.test"`).
//!
//! Learned from the identities file (the `username`/`login`/`user`/`name`/`email` fields of a
//! login body, the username of basic auth) and from the identity's own `/me`-like read. The
//! identity's *name* in the identities file is a label chosen by the user, not a fact about the
//! target, so it is never matched.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trespass_generators::model::OwnerRef;
use trespass_generators::sequence::{IdentityId, Role};

use crate::identity::{Auth, Identity};

/// Fields of a login body or an account record that hold a username.
const USERNAME_FIELDS: &[&str] = &["username", "login", "user", "name", "handle", "nickname"];
/// Fields of a login body or an account record that hold an email address.
const EMAIL_FIELDS: &[&str] = &["email", "mail", "emailaddress"];

/// `userName`, `user_name` and `USERNAME` alike.
fn normal(field: &str) -> String {
    field
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a login body field holds a credential (`password`, `passcode`, `secret`, `pin`,
/// `apiKey`, `token`).
fn is_credential_field(field: &str) -> bool {
    let field = normal(field);
    ["pass", "secret", "token", "key", "pin", "credential"]
        .iter()
        .any(|w| field.contains(w))
}

/// What a field of a login body or account record says about its identity, if anything.
pub(crate) fn naming_field(field: &str, value: &Value) -> Option<(OwnerRef, String)> {
    let text = value.as_str().filter(|s| !s.trim().is_empty())?;
    let field = normal(field);
    if EMAIL_FIELDS.contains(&field.as_str()) || (field == "username" && text.contains('@')) {
        Some((OwnerRef::Email, text.to_string()))
    } else if USERNAME_FIELDS.contains(&field.as_str()) {
        Some((OwnerRef::Username, text.to_string()))
    } else {
        None
    }
}

/// The names of one identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Facts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    usernames: BTreeSet<String>,
    /// Lowercase: addresses compare without case.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    emails: BTreeSet<String>,
}

/// Who an owner field names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// Exactly this identity.
    Identity(IdentityId),
    /// None of the identities (an account of the service trespass does not act as).
    Foreign,
    /// Several identities share the value, or what it would be matched against is not known
    /// yet (account ids before any `/me`-like read): no owner can be decided.
    Unknown,
}

/// The identities of a run and their names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Known {
    facts: BTreeMap<IdentityId, Facts>,
    /// Each identity's configured credentials (a bearer token, a password, an API key, the
    /// password-like fields of its login body). Never written anywhere: `data-exposure` looks
    /// for them in answers to other identities.
    #[serde(skip)]
    credentials: BTreeMap<IdentityId, BTreeSet<String>>,
}

impl Known {
    /// Everything the identities file tells about `identities`.
    pub fn from_identities(identities: &[Identity]) -> Self {
        let mut known = Known::default();
        for identity in identities {
            let id = IdentityId::new(identity.name.clone());
            known.set_role(&id, identity.role);
            match &identity.auth {
                Auth::Login(flow) => {
                    if let Value::Object(body) = flow.body.expose() {
                        for (field, value) in body {
                            if let Some((holds, text)) = naming_field(field, value) {
                                known.add(&id, holds, &text);
                            } else if let Some(text) = value.as_str()
                                && is_credential_field(field)
                            {
                                known.add_credential(&id, text);
                            }
                        }
                    }
                }
                Auth::Bearer(token) => known.add_credential(&id, token.expose()),
                Auth::ApiKey { value, .. } => known.add_credential(&id, value.expose()),
                Auth::OAuth2(flow) => {
                    if let Some(secret) = &flow.client_secret {
                        known.add_credential(&id, secret.expose());
                    }
                    if let crate::identity::Grant::Password { username, password } = &flow.grant {
                        known.add_credential(&id, password.expose());
                        known.add(&id, owner_ref_of(username), username);
                    }
                }
                Auth::Basic { username, password } => {
                    known.add_credential(&id, password.expose());
                    known.add(&id, owner_ref_of(username), username);
                }
                _ => {}
            }
        }
        known
    }

    /// Records a configured credential of `identity` (ignored when shorter than six
    /// characters: too short to be told from ordinary data).
    pub fn add_credential(&mut self, identity: &IdentityId, value: &str) {
        if value.chars().count() >= 6 {
            self.credentials
                .entry(identity.clone())
                .or_default()
                .insert(value.to_string());
        }
    }

    /// The identity whose configured credential `value` is, if any.
    pub fn credential_of(&self, value: &str) -> Option<&IdentityId> {
        self.credentials
            .iter()
            .find(|(_, values)| values.contains(value))
            .map(|(id, _)| id)
    }

    /// Records the role of `identity`.
    pub fn set_role(&mut self, identity: &IdentityId, role: Role) {
        self.facts.entry(identity.clone()).or_default().role = Some(role);
    }

    /// Records that `value` names `identity` (`holds` is [`OwnerRef::Username`] or
    /// [`OwnerRef::Email`]; ids are the account ids of [`super::Ownership`]). Returns whether
    /// it was new.
    pub fn add(&mut self, identity: &IdentityId, holds: OwnerRef, value: &str) -> bool {
        let facts = self.facts.entry(identity.clone()).or_default();
        match holds {
            OwnerRef::Username => facts.usernames.insert(value.to_string()),
            OwnerRef::Email => facts.emails.insert(value.to_ascii_lowercase()),
            _ => false,
        }
    }

    /// The role of `identity`, when known.
    pub fn role(&self, identity: &IdentityId) -> Option<Role> {
        self.facts.get(identity).and_then(|f| f.role)
    }

    /// Every identity with its role, when known.
    pub fn identities(&self) -> impl Iterator<Item = &IdentityId> {
        self.facts.keys()
    }

    /// The usernames and email addresses of `identity`.
    pub fn names(&self, identity: &IdentityId) -> impl Iterator<Item = (OwnerRef, &str)> {
        self.facts.get(identity).into_iter().flat_map(|f| {
            f.usernames
                .iter()
                .map(|u| (OwnerRef::Username, u.as_str()))
                .chain(f.emails.iter().map(|e| (OwnerRef::Email, e.as_str())))
        })
    }

    /// Whether a name of this sort is known for every identity that can own anything (all but
    /// the anonymous ones): only then can a value that matches none be called foreign.
    fn knows_all(&self, holds: OwnerRef) -> bool {
        let mut owners = self
            .facts
            .values()
            .filter(|f| f.role != Some(Role::Anonymous))
            .peekable();
        owners.peek().is_some()
            && owners.all(|f| match holds {
                OwnerRef::Username => !f.usernames.is_empty(),
                OwnerRef::Email => !f.emails.is_empty(),
                _ => false,
            })
    }

    /// Who `value` (a username or an email address) names.
    pub fn named(&self, holds: OwnerRef, value: &str) -> Named {
        let lower = value.to_ascii_lowercase();
        let matches: Vec<&IdentityId> = self
            .facts
            .iter()
            .filter(|(_, f)| match holds {
                OwnerRef::Username => f.usernames.contains(value),
                OwnerRef::Email => f.emails.contains(&lower),
                _ => false,
            })
            .map(|(id, _)| id)
            .collect();
        match matches.as_slice() {
            [one] => Named::Identity((*one).clone()),
            [] if self.knows_all(holds) => Named::Foreign,
            _ => Named::Unknown,
        }
    }
}

/// What a user name names: an e-mail address or a user name.
fn owner_ref_of(username: &str) -> OwnerRef {
    if username.contains('@') {
        OwnerRef::Email
    } else {
        OwnerRef::Username
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn login_bodies_and_basic_auth_name_their_identities() {
        let file = crate::identity::IdentityFile::parse(
            r#"
[[identity]]
name = "a"
role = "user"
auth.login = { operation = "POST /login", body = { userName = "alice", password = "pw-alice-1" }, token = "/t" }

[[identity]]
name = "b"
role = "user"
auth.login = { operation = "POST /login", body = { login = "bob", email = "Bob@Forum.test", password = "pw-bob-12" }, token = "/t" }

[[identity]]
name = "anon"
role = "anonymous"

[[identity]]
name = "r"
role = "admin"
auth = { basic = { username = "root", password = "pw-root-1" } }
"#,
            "ids.toml",
            |_| None,
        )
        .expect("parses");
        let known = Known::from_identities(&file.identities);
        let id = |n: &str| Named::Identity(IdentityId::new(n));
        assert_eq!(known.named(OwnerRef::Username, "alice"), id("a"));
        assert_eq!(known.named(OwnerRef::Email, "bob@forum.test"), id("b"));
        assert_eq!(known.named(OwnerRef::Username, "root"), id("r"));
        assert_eq!(known.named(OwnerRef::Username, "carol"), Named::Foreign);
        assert_eq!(known.named(OwnerRef::Username, "a"), Named::Foreign);
        assert_eq!(
            known.named(OwnerRef::Email, "carol@forum.test"),
            Named::Unknown,
            "alice's and root's addresses are not known: carol@ may be theirs"
        );
        assert_eq!(
            naming_field("username", &json!("x@y.z")),
            Some((OwnerRef::Email, "x@y.z".into()))
        );
        assert_eq!(known.role(&IdentityId::new("r")), Some(Role::Admin));
        assert_eq!(
            naming_field("password", &json!("alice")),
            None,
            "a password names nobody"
        );
        let mut empty = Known::default();
        assert_eq!(empty.named(OwnerRef::Email, "x@y.z"), Named::Unknown);
        empty.add(&IdentityId::new("a"), OwnerRef::Email, "A@Y.z");
        assert_eq!(empty.named(OwnerRef::Email, "a@y.Z"), id("a"));
    }
}

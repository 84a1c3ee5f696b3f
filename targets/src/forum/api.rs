//! Wire types of the forum (names and shapes as in `corpus/specs/forum.yaml`) and the checks of
//! request fields. Each check accepts a subset of what the spec's schema accepts, so everything
//! the forum stores renders as a schema-valid response.
//!
//! Request bodies ignore properties they do not know (the request schemas allow them), which
//! is where the planted mass assignments hide: `role` is not a request field, but the
//! vulnerable build reads it.

use std::sync::LazyLock;

use axum::extract::{FromRequest, Request};
use regex::Regex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::{Db, Notebook, Role, Snippet, User};
use crate::common::{ApiError, JsonBody, compiled, matches};

/// `NewUser.username` pattern.
pub(crate) const USERNAME_PATTERN: &str = r"^[A-Za-z0-9_.-]{3,32}$";
/// `email` pattern (also `format: email`), the shop's.
pub(crate) use crate::common::EMAIL_PATTERN;
pub(crate) use crate::common::text;

static USERNAME: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(USERNAME_PATTERN));
static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(EMAIL_PATTERN));

pub(crate) fn username(value: &str) -> Result<(), ApiError> {
    matches(&USERNAME, "username", value)
}

pub(crate) fn email(value: &str) -> Result<(), ApiError> {
    text("email", value, 3, 254)?;
    matches(&EMAIL, "email", value)
}

pub(crate) fn password(value: &str) -> Result<(), ApiError> {
    text("password", value, 8, 64)
}

pub(crate) fn bio(value: &str) -> Result<(), ApiError> {
    text("bio", value, 0, 280)
}

/// A snippet title or notebook name: any 1 to 100 characters.
pub(crate) fn key(field: &str, value: &str) -> Result<(), ApiError> {
    text(field, value, 1, 100)
}

/// A `role` the vulnerable build reads from a body that should not carry one.
pub(crate) fn role(value: &Value) -> Result<Role, ApiError> {
    serde_json::from_value(value.clone())
        .map_err(|_| ApiError::bad_request("`role` must be `user` or `admin`"))
}

/// A JSON request body that must be an object (serde would also build a struct from an array):
/// anything else is a declared 400 with the `Error` shape.
#[derive(Debug, Clone)]
pub(crate) struct Object<T>(pub(crate) T);

impl<S, T> FromRequest<S> for Object<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBody(value) = JsonBody::<Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        }
        serde_json::from_value(value)
            .map(Object)
            .map_err(|e| ApiError::bad_request(e.to_string()))
    }
}

/// `NewUser`.
#[derive(Debug, Deserialize)]
pub(crate) struct NewUserIn {
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) password: String,
    /// Not in the schema; read only by the vulnerable build.
    #[serde(default)]
    pub(crate) role: Option<Value>,
}

/// `MeUpdate`.
#[derive(Debug, Deserialize)]
pub(crate) struct MeUpdateIn {
    pub(crate) email: Option<String>,
    pub(crate) bio: Option<String>,
    /// Not in the schema; read only by the vulnerable build.
    #[serde(default)]
    pub(crate) role: Option<Value>,
}

/// `PasswordChange`.
#[derive(Debug, Deserialize)]
pub(crate) struct PasswordIn {
    pub(crate) password: String,
}

/// `NewSnippet`.
#[derive(Debug, Deserialize)]
pub(crate) struct NewSnippetIn {
    pub(crate) title: String,
    pub(crate) code: String,
}

/// `NewNotebook`.
#[derive(Debug, Deserialize)]
pub(crate) struct NewNotebookIn {
    pub(crate) name: String,
    pub(crate) content: String,
}

/// `NotebookUpdate`.
#[derive(Debug, Deserialize)]
pub(crate) struct NotebookUpdateIn {
    pub(crate) content: String,
}

/// `Status`: what creates answer instead of the object.
#[derive(Debug, Serialize)]
pub(crate) struct StatusOut {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
}

impl StatusOut {
    pub(crate) fn success(message: Option<&'static str>) -> Self {
        StatusOut {
            status: "success",
            message,
        }
    }
}

/// `User`: the full account, as its owner (or an admin) sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserOut {
    username: String,
    email: String,
    bio: String,
    role: Role,
    api_secret: String,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            username: u.username.clone(),
            email: u.email.clone(),
            bio: u.bio.clone(),
            role: u.role,
            api_secret: u.api_secret.clone(),
        }
    }
}

/// `Profile`: what everyone sees of an account.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfileOut {
    username: String,
    bio: String,
    /// Set by the vulnerable build's user list only (a planted bug).
    #[serde(skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
}

impl ProfileOut {
    /// The profile with the account's password hash (FNV-1a of the password, as the
    /// vulnerable build stores it).
    pub(crate) fn with_password_hash(mut self, u: &User) -> Self {
        let hash = u.password.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        self.password_hash = Some(format!("fnv1a${hash:016x}"));
        self
    }
}

impl From<&User> for ProfileOut {
    fn from(u: &User) -> Self {
        ProfileOut {
            username: u.username.clone(),
            bio: u.bio.clone(),
            password_hash: None,
        }
    }
}

/// `SnippetSummary`: an entry of the snippet list.
#[derive(Debug, Serialize)]
pub(crate) struct SnippetSummaryOut {
    title: String,
    author: String,
}

impl From<&Snippet> for SnippetSummaryOut {
    fn from(s: &Snippet) -> Self {
        SnippetSummaryOut {
            title: s.title.clone(),
            author: s.author.clone(),
        }
    }
}

/// `Snippet`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SnippetOut {
    title: String,
    code: String,
    author: String,
    secret_note: String,
}

impl From<&Snippet> for SnippetOut {
    fn from(s: &Snippet) -> Self {
        SnippetOut {
            title: s.title.clone(),
            code: s.code.clone(),
            author: s.author.clone(),
            secret_note: s.secret_note.clone(),
        }
    }
}

/// `Notebook`: `createdBy` is the owner's current email.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NotebookOut {
    name: String,
    content: String,
    created_by: String,
}

impl NotebookOut {
    pub(crate) fn render(db: &Db, n: &Notebook) -> Self {
        NotebookOut {
            name: n.name.clone(),
            content: n.content.clone(),
            created_by: db.email_of(&n.owner).unwrap_or_default().to_string(),
        }
    }
}

/// Percent-encodes `raw` as one path segment (unreserved characters kept), for `Location`.
pub(crate) fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_checks_accept_the_seed_and_reject_the_malformed() {
        assert!(username("alice").is_ok());
        assert!(username("a.b-c_9").is_ok());
        assert!(username("al").is_err());
        assert!(username("al ice").is_err());
        assert!(email("alice@forum.test").is_ok());
        assert!(email("a..b@x.io").is_err());
        assert!(password("1234567").is_err());
        assert!(password("12345678").is_ok());
        assert!(key("title", "").is_err());
        assert!(key("title", &"é".repeat(100)).is_ok());
        assert!(key("title", &"é".repeat(101)).is_err());
        assert!(role(&serde_json::json!("admin")).is_ok());
        assert!(role(&serde_json::json!("root")).is_err());
    }

    #[test]
    fn path_segments_keep_slashes_inside() {
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("é.~"), "%C3%A9.~");
    }
}

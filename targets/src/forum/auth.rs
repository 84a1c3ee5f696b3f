//! Bearer authentication: `POST /api/v2/auth/login` issues a JWT-shaped opaque token; the
//! [`Caller`] extractor turns `Authorization: Bearer <token>` back into the calling account.
//! The forum answers 401 both for "who are you?" and for "not allowed" (no 403 anywhere).

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::{StatusCode, header, request::Parts};
use serde::{Deserialize, Serialize};

use super::api::Object;
use super::store::{Forum, Role, Shared};
use crate::common::ApiError;

/// The authenticated account making a request.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) username: String,
    pub(crate) role: Role,
}

impl Caller {
    pub(crate) fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// 401 unless the caller is an admin.
    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "admin only"))
        }
    }
}

/// The answer to a caller touching someone else's object.
pub(crate) fn not_yours() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "not yours")
}

fn caller_of(parts: &Parts, forum: &Forum) -> Option<Caller> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let username = forum.session_user(token.trim())?;
    let role = forum.db().users.get(&username)?.role;
    Some(Caller { username, role })
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, forum: &Shared) -> Result<Self, ApiError> {
        caller_of(parts, forum).ok_or_else(ApiError::unauthorized)
    }
}

/// `LoginRequest`.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginIn {
    username: String,
    password: String,
}

/// `Token`.
#[derive(Debug, Serialize)]
pub(crate) struct TokenOut {
    token: String,
}

/// `POST /api/v2/auth/login`: checks the password as stored now (a changed password takes
/// effect at once) and opens a new session.
pub(crate) async fn login(
    State(forum): State<Shared>,
    Object(body): Object<LoginIn>,
) -> Result<Json<TokenOut>, ApiError> {
    let account = forum
        .db()
        .users
        .get(&body.username)
        .map(|u| u.password == body.password);
    match account {
        Some(true) => {}
        // PLANTED forum-user-enumeration-login: the vulnerable build tells a caller whether the
        // username exists.
        None if !forum.secure() => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Username does not exist",
            ));
        }
        Some(false) if !forum.secure() => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Password is not correct",
            ));
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid username or password",
            ));
        }
    }
    let token = jwt_like(&body.username);
    forum.open_session(token.clone(), &body.username);
    Ok(Json(TokenOut { token }))
}

/// A token shaped like a JWT (`header.payload.signature`, base64url) naming the user in `sub`;
/// the signature part is random, and the server only trusts its own session table.
fn jwt_like(username: &str) -> String {
    let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = base64url(
        serde_json::json!({ "sub": username, "iss": "forum" })
            .to_string()
            .as_bytes(),
    );
    let nonce = uuid::Uuid::new_v4();
    let signature = base64url(nonce.as_bytes());
    format!("{header}.{payload}.{signature}")
}

/// Base64url without padding (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc_4648_vectors_without_padding() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn tokens_look_like_jwts_and_differ() {
        let a = jwt_like("alice");
        let b = jwt_like("alice");
        assert_ne!(a, b);
        assert_eq!(a.split('.').count(), 3);
        assert!(a.starts_with("eyJ"), "{a}");
    }
}

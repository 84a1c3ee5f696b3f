//! Accounts: self-registration, the public directory and profiles, the caller's own account
//! (`/api/v2/me`), password changes and the admin's user list.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::api::{self, MeUpdateIn, NewUserIn, Object, PasswordIn, ProfileOut, StatusOut, UserOut};
use super::auth::Caller;
use super::store::{Role, Shared, User};
use crate::common::{ApiError, PathParams};

/// `POST /api/v2/users` (public): registers an account with the `user` role and answers
/// without its key.
pub(crate) async fn register(
    State(forum): State<Shared>,
    Object(body): Object<NewUserIn>,
) -> Result<(StatusCode, Json<StatusOut>), ApiError> {
    // PLANTED forum-error-disclosure-register: the vulnerable build was left in debug mode and
    // answers a field it refuses with the backtrace of the check that failed.
    let checked = api::username(&body.username)
        .and_then(|()| api::email(&body.email))
        .and_then(|()| api::password(&body.password));
    match checked {
        Err(e) if !forum.secure() => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, debug_trace(&e)));
        }
        other => other?,
    }
    // PLANTED forum-mass-assignment-register: the vulnerable build reads `role` from the body,
    // so anyone can register an admin account.
    let role = match (&body.role, forum.secure()) {
        (Some(role), false) => api::role(role)?,
        _ => Role::User,
    };
    let mut db = forum.db();
    if db.users.contains_key(&body.username) {
        return Err(ApiError::new(StatusCode::CONFLICT, "username taken"));
    }
    if db.email_taken(&body.email, None) {
        return Err(ApiError::new(StatusCode::CONFLICT, "email taken"));
    }
    let api_secret = db.secret("fsk_", &body.username);
    db.users.insert(
        body.username.clone(),
        User {
            username: body.username,
            email: body.email,
            password: body.password,
            bio: String::new(),
            role,
            api_secret,
        },
    );
    Ok((
        StatusCode::CREATED,
        Json(StatusOut::success(Some("registered"))),
    ))
}

/// `GET /api/v2/users` (public): every account's username and bio.
pub(crate) async fn list(State(forum): State<Shared>) -> Json<Vec<ProfileOut>> {
    let secure = forum.secure();
    Json(
        forum
            .db()
            .users
            .values()
            .map(|u| {
                let profile = ProfileOut::from(u);
                // PLANTED forum-data-exposure-users: the vulnerable build serialises the whole
                // record, password hash included, to anyone who asks.
                if secure {
                    profile
                } else {
                    profile.with_password_hash(u)
                }
            })
            .collect(),
    )
}

/// `GET /api/v2/users/{username}` (public).
pub(crate) async fn profile(
    State(forum): State<Shared>,
    PathParams(username): PathParams<String>,
) -> Result<Json<ProfileOut>, ApiError> {
    let db = forum.db();
    let user = db
        .users
        .get(&username)
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(ProfileOut::from(user)))
}

/// The 400 message of a debug build: the refusal and the backtrace of where it was raised.
fn debug_trace(refusal: &ApiError) -> String {
    format!(
        "{}\n\
         thread 'tokio-runtime-worker' panicked at targets/src/forum/api.rs:31:9:\n\
         called `Result::unwrap()` on an `Err` value\n\
         stack backtrace:\n   \
         0: rust_begin_unwind\n   \
         1: core::result::unwrap_failed\n   \
         2: trespass_targets::forum::users::register::{{{{closure}}}}\n   \
         3: axum::handler::Handler::call",
        refusal.message
    )
}

/// `GET /api/v2/me`.
pub(crate) async fn me(
    State(forum): State<Shared>,
    caller: Caller,
) -> Result<Json<UserOut>, ApiError> {
    let db = forum.db();
    let user = db
        .users
        .get(&caller.username)
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(UserOut::from(user)))
}

/// `PATCH /api/v2/me`: email and bio.
pub(crate) async fn update_me(
    State(forum): State<Shared>,
    caller: Caller,
    Object(patch): Object<MeUpdateIn>,
) -> Result<Json<UserOut>, ApiError> {
    if let Some(email) = &patch.email {
        api::email(email)?;
    }
    if let Some(bio) = &patch.bio {
        api::bio(bio)?;
    }
    // PLANTED forum-mass-assignment-me: the vulnerable build applies a `role` sent along.
    let role = match (&patch.role, forum.secure()) {
        (Some(role), false) => Some(api::role(role)?),
        _ => None,
    };
    let mut db = forum.db();
    if let Some(email) = &patch.email
        && db.email_taken(email, Some(&caller.username))
    {
        return Err(ApiError::new(StatusCode::CONFLICT, "email taken"));
    }
    let user = db
        .users
        .get_mut(&caller.username)
        .ok_or_else(ApiError::unauthorized)?;
    if let Some(email) = patch.email {
        user.email = email;
    }
    if let Some(bio) = patch.bio {
        user.bio = bio;
    }
    if let Some(role) = role {
        user.role = role;
    }
    Ok(Json(UserOut::from(&*user)))
}

/// `PUT /api/v2/users/{username}/password`. The secure build changes the caller's own
/// password whatever the path names (the path is a leftover of an older API version).
pub(crate) async fn change_password(
    State(forum): State<Shared>,
    caller: Caller,
    PathParams(username): PathParams<String>,
    Object(body): Object<PasswordIn>,
) -> Result<StatusCode, ApiError> {
    api::password(&body.password)?;
    // PLANTED forum-account-takeover-password: the vulnerable build changes the password of
    // the account in the path, whoever asks.
    let target = if forum.secure() {
        caller.username
    } else {
        username
    };
    let mut db = forum.db();
    let user = db
        .users
        .get_mut(&target)
        .ok_or_else(|| ApiError::not_found("user"))?;
    user.password = body.password;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v2/admin/users` (admin): every account in full.
pub(crate) async fn admin_list(
    State(forum): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    caller.require_admin()?;
    Ok(Json(forum.db().users.values().map(UserOut::from).collect()))
}

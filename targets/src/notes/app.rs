//! Shared state of the notes handlers, API-key authentication and the team access checks.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use uuid::Uuid;

use super::store::{Document, Role, Store, StoreError, Team};
use crate::Mode;
use crate::common::ApiError;

/// The header carrying the API key.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";

/// The state every handler gets: the mode and the database.
pub(crate) struct App {
    pub(crate) mode: Mode,
    store: Mutex<Store>,
}

/// What handlers hold.
pub(crate) type Shared = Arc<App>;

impl App {
    pub(crate) fn new(mode: Mode) -> Shared {
        Arc::new(App {
            mode,
            store: Mutex::new(Store::seeded()),
        })
    }

    /// Whether the planted bugs are off.
    pub(crate) fn secure(&self) -> bool {
        self.mode == Mode::Secure
    }

    /// The database, even if a previous holder panicked (the data is plain values).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Restores the seed.
    pub(crate) fn reset(&self) {
        *self.store() = Store::seeded();
    }
}

/// The authenticated caller.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    pub(crate) id: Uuid,
    pub(crate) role: Role,
}

impl Caller {
    pub(crate) fn is_admin(self) -> bool {
        self.role == Role::Admin
    }
}

/// Resolves the `X-Api-Key` header: 401 when it is missing, not a known key, or the account is
/// suspended.
pub(crate) fn authenticate(parts: &Parts, app: &App) -> Result<Caller, ApiError> {
    let key = parts
        .headers
        .get(API_KEY_HEADER)
        .ok_or_else(ApiError::unauthorized)?
        .to_str()
        .map_err(|_| ApiError::new(StatusCode::UNAUTHORIZED, "invalid API key"))?;
    let store = app.store();
    let user = store
        .user_by_key(key)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "invalid API key"))?;
    if user.suspended {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "account suspended"));
    }
    Ok(Caller {
        id: user.id,
        role: user.role,
    })
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Self::Rejection> {
        authenticate(parts, app)
    }
}

/// The caller if the credentials are valid, the authentication error otherwise; for handlers
/// that decide themselves what an unauthenticated request gets.
pub(crate) struct MaybeCaller(pub(crate) Result<Caller, ApiError>);

impl FromRequestParts<Shared> for MaybeCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Self::Rejection> {
        Ok(MaybeCaller(authenticate(parts, app)))
    }
}

/// The team, if the caller may see it: 404 when it does not exist, 403 when the caller is
/// neither a member nor an admin.
pub(crate) fn team_for(store: &Store, caller: Caller, team: Uuid) -> Result<&Team, ApiError> {
    let team = store
        .team(team)
        .ok_or_else(|| ApiError::not_found("team"))?;
    if caller.is_admin() || team.is_member(caller.id) {
        Ok(team)
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not a member of this team",
        ))
    }
}

/// The team, if the caller may manage it (its owner or an admin): 404 or 403 otherwise.
pub(crate) fn team_owned_by(store: &Store, caller: Caller, team: Uuid) -> Result<&Team, ApiError> {
    let team = team_for(store, caller, team)?;
    if caller.is_admin() || team.owner_id == caller.id {
        Ok(team)
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the team owner may do this",
        ))
    }
}

/// The document `id` of `team`: 404 when it does not exist or belongs to another team.
pub(crate) fn document_of(store: &Store, team: Uuid, id: Uuid) -> Result<&Document, ApiError> {
    match store.document(id) {
        Some(doc) if doc.team_id == team => Ok(doc),
        _ => Err(ApiError::not_found("document")),
    }
}

/// A store failure the handler did not anticipate: an internal error.
pub(crate) fn internal(err: StoreError) -> ApiError {
    tracing::error!("notes store: {err}");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

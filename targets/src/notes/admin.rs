//! Administration: `/admin/...`, for admins only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use uuid::Uuid;

use super::app::{Caller, Shared};
use super::store::AuditAction;
use super::teams::TeamPath;
use super::views::{AuditEntryView, PlanChange, TeamView, UserView};
use crate::common::{ApiError, JsonBody, PathParams, QueryParams};

/// `{userId}`.
#[derive(Deserialize)]
pub(crate) struct UserPath {
    #[serde(rename = "userId")]
    user_id: Uuid,
}

/// Query of `GET /admin/audit-log`.
#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(default)]
    limit: Option<u64>,
}

const AUDIT_LIMIT_DEFAULT: u64 = 50;
const AUDIT_LIMIT_MAX: u64 = 200;

/// 403 unless the caller is an admin.
fn require_admin(caller: Caller) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "admins only"))
    }
}

/// `GET /admin/users`.
pub(crate) async fn list_users(
    State(app): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<UserView>>, ApiError> {
    require_admin(caller)?;
    let store = app.store();
    Ok(Json(store.users.iter().map(UserView::from).collect()))
}

/// `POST /admin/users/{userId}/suspend`: the user's API key stops working.
pub(crate) async fn suspend_user(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<UserPath>,
) -> Result<Json<UserView>, ApiError> {
    require_admin(caller)?;
    let mut store = app.store();
    let user = store
        .users
        .iter_mut()
        .find(|u| u.id == p.user_id)
        .ok_or_else(|| ApiError::not_found("user"))?;
    user.suspended = true;
    let view = UserView::from(&*user);
    store.audit(caller.id, AuditAction::UserSuspend);
    Ok(Json(view))
}

/// `PUT /admin/teams/{teamId}/plan`.
pub(crate) async fn set_plan(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<TeamPath>,
    JsonBody(body): JsonBody<PlanChange>,
) -> Result<Json<TeamView>, ApiError> {
    require_admin(caller)?;
    let mut store = app.store();
    let at = store.now();
    let team = store
        .team_mut(p.team_id)
        .ok_or_else(|| ApiError::not_found("team"))?;
    team.plan = body.plan;
    team.updated_at = at;
    let view = TeamView::from(&*team);
    store.audit(caller.id, AuditAction::TeamPlan);
    Ok(Json(view))
}

/// `GET /admin/audit-log`: the newest entries first.
pub(crate) async fn audit_log(
    State(app): State<Shared>,
    caller: Caller,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<Vec<AuditEntryView>>, ApiError> {
    // Planted bug `notes-bfla-audit-log`: the vulnerable build only requires a valid key, as
    // the route was copied from a member-facing "activity" endpoint.
    if app.secure() {
        require_admin(caller)?;
    }
    let limit = query.limit.unwrap_or(AUDIT_LIMIT_DEFAULT);
    if !(1..=AUDIT_LIMIT_MAX).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {AUDIT_LIMIT_MAX}"
        )));
    }
    let store = app.store();
    Ok(Json(
        store
            .audit
            .iter()
            .rev()
            .take(limit as usize)
            .map(AuditEntryView::from)
            .collect(),
    ))
}

//! `GET /me`, teams and members.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::app::{Caller, Shared, team_for, team_owned_by};
use super::store::{AuditAction, MemberRole, Membership, Plan, Team};
use super::views::{MemberAdd, MemberView, TeamCreate, TeamUpdate, TeamView, UserView};
use crate::common::{ApiError, JsonBody, PathParams};

/// `{teamId}`.
#[derive(Deserialize)]
pub(crate) struct TeamPath {
    #[serde(rename = "teamId")]
    pub(crate) team_id: Uuid,
}

/// 400 unless `value` has between `min` and `max` characters.
pub(crate) fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min || n > max {
        Err(ApiError::bad_request(format!(
            "{field} must have {min} to {max} characters, got {n}"
        )))
    } else {
        Ok(())
    }
}

const NAME_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 500;

/// `GET /me`.
pub(crate) async fn me(
    State(app): State<Shared>,
    caller: Caller,
) -> Result<Json<UserView>, ApiError> {
    let store = app.store();
    let user = store.user(caller.id).ok_or_else(ApiError::unauthorized)?;
    Ok(Json(UserView::from(user)))
}

/// `GET /teams`: the teams the caller is a member of.
pub(crate) async fn list_teams(State(app): State<Shared>, caller: Caller) -> Json<Vec<TeamView>> {
    let store = app.store();
    Json(
        store
            .teams
            .iter()
            .filter(|t| t.is_member(caller.id))
            .map(TeamView::from)
            .collect(),
    )
}

/// `POST /teams`: the caller becomes the owner.
pub(crate) async fn create_team(
    State(app): State<Shared>,
    caller: Caller,
    JsonBody(body): JsonBody<TeamCreate>,
) -> Result<Response, ApiError> {
    check_len("name", &body.name, 1, NAME_MAX)?;
    if let Some(d) = &body.description {
        check_len("description", d, 0, DESCRIPTION_MAX)?;
    }
    let mut store = app.store();
    let at = store.now();
    let team = Team {
        id: Uuid::new_v4(),
        name: body.name,
        description: body.description,
        owner_id: caller.id,
        plan: Plan::Free,
        members: vec![Membership {
            user_id: caller.id,
            role: MemberRole::Owner,
            added_at: at,
        }],
        created_at: at,
        updated_at: at,
    };
    let view = TeamView::from(&team);
    let location = format!("/teams/{}", team.id);
    store.teams.push(team);
    store.audit(caller.id, AuditAction::TeamCreate);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response())
}

/// `GET /teams/{teamId}`.
pub(crate) async fn get_team(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<TeamPath>,
) -> Result<Json<TeamView>, ApiError> {
    let store = app.store();
    Ok(Json(TeamView::from(team_for(&store, caller, p.team_id)?)))
}

/// `PATCH /teams/{teamId}`: the owner renames or re-describes the team.
pub(crate) async fn update_team(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<TeamPath>,
    JsonBody(body): JsonBody<TeamUpdate>,
) -> Result<Json<TeamView>, ApiError> {
    if let Some(name) = &body.name {
        check_len("name", name, 1, NAME_MAX)?;
    }
    if let Some(Some(d)) = &body.description {
        check_len("description", d, 0, DESCRIPTION_MAX)?;
    }
    // Planted bug `notes-mass-assignment-team-plan`: the vulnerable build copies `plan` from
    // the body like any other field; only `PUT /admin/teams/{teamId}/plan` may change it.
    if app.secure() && body.plan.is_some() {
        return Err(ApiError::bad_request(
            "plan is read-only; an admin changes it with PUT /admin/teams/{teamId}/plan",
        ));
    }
    let mut store = app.store();
    team_owned_by(&store, caller, p.team_id)?;
    let at = store.now();
    let team = store
        .team_mut(p.team_id)
        .ok_or_else(|| ApiError::not_found("team"))?;
    if let Some(name) = body.name {
        team.name = name;
    }
    if let Some(description) = body.description {
        team.description = description;
    }
    if let Some(plan) = body.plan {
        team.plan = plan;
    }
    team.updated_at = at;
    let view = TeamView::from(&*team);
    store.audit(caller.id, AuditAction::TeamUpdate);
    Ok(Json(view))
}

/// `GET /teams/{teamId}/members`.
pub(crate) async fn list_members(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<TeamPath>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let store = app.store();
    let team = team_for(&store, caller, p.team_id)?;
    Ok(Json(
        team.members
            .iter()
            .map(|m| MemberView::new(&store, m))
            .collect(),
    ))
}

/// `POST /teams/{teamId}/members`: the owner adds a user. Adding someone who already is a
/// member changes nothing and answers 200 with the existing membership.
pub(crate) async fn add_member(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<TeamPath>,
    JsonBody(body): JsonBody<MemberAdd>,
) -> Result<Response, ApiError> {
    let mut store = app.store();
    let team = team_owned_by(&store, caller, p.team_id)?;
    if store.user(body.user_id).is_none() {
        return Err(ApiError::not_found("user"));
    }
    if let Some(existing) = team.members.iter().find(|m| m.user_id == body.user_id) {
        // Planted bug `notes-undeclared-409-member`: the vulnerable build answers 409, which the
        // spec does not declare for this operation.
        if !app.secure() {
            return Err(ApiError::new(StatusCode::CONFLICT, "already a member"));
        }
        return Ok(Json(MemberView::new(&store, existing)).into_response());
    }
    let at = store.now();
    let membership = Membership {
        user_id: body.user_id,
        role: MemberRole::Member,
        added_at: at,
    };
    let view = MemberView::new(&store, &membership);
    let team = store
        .team_mut(p.team_id)
        .ok_or_else(|| ApiError::not_found("team"))?;
    team.members.push(membership);
    team.updated_at = at;
    store.audit(caller.id, AuditAction::MemberAdd);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

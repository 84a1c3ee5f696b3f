//! Notebooks, under a version segment that follows the collection (`/notebooks/v1/{name}`),
//! keyed by `name`. The create answers 201 with an empty body and a `Location` header; the
//! owner shows as `createdBy`, their current email.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::api::{self, NewNotebookIn, NotebookOut, NotebookUpdateIn, Object};
use super::auth::{Caller, not_yours};
use super::store::{Notebook, Shared};
use crate::common::{ApiError, PathParams};

/// Largest `content`.
const MAX_CONTENT: usize = 5000;

/// `POST /notebooks/v1`.
pub(crate) async fn create(
    State(forum): State<Shared>,
    caller: Caller,
    Object(body): Object<NewNotebookIn>,
) -> Result<Response, ApiError> {
    api::key("name", &body.name)?;
    api::text("content", &body.content, 0, MAX_CONTENT)?;
    let mut db = forum.db();
    if db.notebooks.contains_key(&body.name) {
        return Err(ApiError::new(StatusCode::CONFLICT, "name taken"));
    }
    let location = format!("/notebooks/v1/{}", api::path_segment(&body.name));
    db.notebooks.insert(
        body.name.clone(),
        Notebook {
            name: body.name,
            content: body.content,
            owner: caller.username,
        },
    );
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// `GET /notebooks/v1/{name}`: the owner's (or an admin's) read.
pub(crate) async fn get(
    State(forum): State<Shared>,
    caller: Caller,
    PathParams(name): PathParams<String>,
) -> Result<Json<NotebookOut>, ApiError> {
    let db = forum.db();
    let notebook = db
        .notebooks
        .get(&name)
        .ok_or_else(|| ApiError::not_found("notebook"))?;
    if notebook.owner != caller.username && !caller.is_admin() {
        return Err(not_yours());
    }
    Ok(Json(NotebookOut::render(&db, notebook)))
}

/// `PUT /notebooks/v1/{name}`: replaces the content; the owner only.
pub(crate) async fn replace(
    State(forum): State<Shared>,
    caller: Caller,
    PathParams(name): PathParams<String>,
    Object(body): Object<NotebookUpdateIn>,
) -> Result<Json<NotebookOut>, ApiError> {
    api::text("content", &body.content, 0, MAX_CONTENT)?;
    let mut db = forum.db();
    let notebook = db
        .notebooks
        .get_mut(&name)
        .ok_or_else(|| ApiError::not_found("notebook"))?;
    // PLANTED forum-bola-write-notebook: the vulnerable build lets anyone signed in overwrite
    // another user's notebook.
    if forum.secure() && notebook.owner != caller.username {
        return Err(not_yours());
    }
    notebook.content = body.content;
    let notebook = notebook.clone();
    Ok(Json(NotebookOut::render(&db, &notebook)))
}

//! Snippets, keyed by their `title`. The create answers `{"status": "success"}` without the
//! key; the list shows every snippet (seeded ones too) with its author's username; the detail
//! carries the owner's `secretNote`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::api::{self, NewSnippetIn, Object, SnippetOut, SnippetSummaryOut, StatusOut};
use super::auth::{Caller, not_yours};
use super::store::{Shared, Snippet};
use crate::common::{ApiError, PathParams};

/// `POST /api/v2/snippets`.
pub(crate) async fn create(
    State(forum): State<Shared>,
    caller: Caller,
    Object(body): Object<NewSnippetIn>,
) -> Result<(StatusCode, Json<StatusOut>), ApiError> {
    api::key("title", &body.title)?;
    api::text("code", &body.code, 0, 2000)?;
    let mut db = forum.db();
    if db.snippets.contains_key(&body.title) {
        return Err(ApiError::new(StatusCode::CONFLICT, "title taken"));
    }
    let secret_note = db.secret("note-", &body.title);
    db.snippets.insert(
        body.title.clone(),
        Snippet {
            title: body.title,
            code: body.code,
            author: caller.username,
            secret_note,
        },
    );
    Ok((StatusCode::CREATED, Json(StatusOut::success(None))))
}

/// `GET /api/v2/snippets`: every snippet's title and author.
pub(crate) async fn list(
    State(forum): State<Shared>,
    _caller: Caller,
) -> Json<Vec<SnippetSummaryOut>> {
    Json(
        forum
            .db()
            .snippets
            .values()
            .map(SnippetSummaryOut::from)
            .collect(),
    )
}

/// `GET /api/v2/snippets/{title}`: the author's (or an admin's) read.
pub(crate) async fn get(
    State(forum): State<Shared>,
    caller: Caller,
    PathParams(title): PathParams<String>,
) -> Result<Json<SnippetOut>, ApiError> {
    let db = forum.db();
    let snippet = db
        .snippets
        .get(&title)
        .ok_or_else(|| ApiError::not_found("snippet"))?;
    // PLANTED forum-bola-read-snippet: the vulnerable build returns any snippet, secret note
    // included, to any signed-in user.
    if forum.secure() && snippet.author != caller.username && !caller.is_admin() {
        return Err(not_yours());
    }
    Ok(Json(SnippetOut::from(snippet)))
}

/// `DELETE /api/v2/snippets/{title}`: the author only.
pub(crate) async fn delete(
    State(forum): State<Shared>,
    caller: Caller,
    PathParams(title): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    let mut db = forum.db();
    let snippet = db
        .snippets
        .get(&title)
        .ok_or_else(|| ApiError::not_found("snippet"))?;
    if snippet.author != caller.username {
        return Err(not_yours());
    }
    db.snippets.remove(&title);
    Ok(StatusCode::NO_CONTENT)
}

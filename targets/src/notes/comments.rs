//! Comments on a document: `/teams/{teamId}/documents/{documentId}/comments[/{commentId}]`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::app::{Caller, Shared, document_of, internal, team_for};
use super::documents::DocumentPath;
use super::store::{AuditAction, COMMENT_COLUMN_CHARS, Comment};
use super::teams::check_len;
use super::views::{CommentCreate, CommentView};
use crate::common::{ApiError, JsonBody, PathParams};

/// `{teamId}/{documentId}/{commentId}`.
#[derive(Deserialize)]
pub(crate) struct CommentPath {
    #[serde(rename = "teamId")]
    team_id: Uuid,
    #[serde(rename = "documentId")]
    document_id: Uuid,
    #[serde(rename = "commentId")]
    comment_id: Uuid,
}

/// `GET .../comments`.
pub(crate) async fn list_comments(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<DocumentPath>,
) -> Result<Json<Vec<CommentView>>, ApiError> {
    let store = app.store();
    team_for(&store, caller, p.team_id)?;
    document_of(&store, p.team_id, p.document_id)?;
    Ok(Json(
        store
            .comments
            .iter()
            .filter(|c| c.document_id == p.document_id)
            .map(CommentView::from)
            .collect(),
    ))
}

/// `POST .../comments`.
pub(crate) async fn create_comment(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<DocumentPath>,
    JsonBody(body): JsonBody<CommentCreate>,
) -> Result<Response, ApiError> {
    // Planted bug `notes-server-error-long-comment`: the vulnerable build only refuses empty
    // comments and leaves the length limit to the store, whose refusal surfaces as a 500.
    let max = if app.secure() {
        COMMENT_COLUMN_CHARS
    } else {
        usize::MAX
    };
    check_len("body", &body.body, 1, max)?;
    let mut store = app.store();
    team_for(&store, caller, p.team_id)?;
    document_of(&store, p.team_id, p.document_id)?;
    let created_at = store.now();
    let comment = Comment {
        id: Uuid::new_v4(),
        document_id: p.document_id,
        author_id: caller.id,
        body: body.body,
        created_at,
    };
    let view = CommentView::from(store.insert_comment(comment).map_err(internal)?);
    store.audit(caller.id, AuditAction::CommentCreate);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `GET .../comments/{commentId}`.
pub(crate) async fn get_comment(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<CommentPath>,
) -> Result<Json<CommentView>, ApiError> {
    let store = app.store();
    team_for(&store, caller, p.team_id)?;
    document_of(&store, p.team_id, p.document_id)?;
    let comment = store
        .comment(p.comment_id)
        .ok_or_else(|| ApiError::not_found("comment"))?;
    // Planted bug `notes-hierarchy-comment`: the vulnerable build checked the team and the
    // document of the path, then trusts the comment id alone, whatever document it is on.
    if app.secure() && comment.document_id != p.document_id {
        return Err(ApiError::not_found("comment"));
    }
    Ok(Json(CommentView::from(comment)))
}

/// `DELETE .../comments/{commentId}`: its author, the team owner or an admin.
pub(crate) async fn delete_comment(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<CommentPath>,
) -> Result<StatusCode, ApiError> {
    let mut store = app.store();
    let owner = team_for(&store, caller, p.team_id)?.owner_id;
    document_of(&store, p.team_id, p.document_id)?;
    let comment = match store.comment(p.comment_id) {
        Some(c) if c.document_id == p.document_id => c,
        _ => return Err(ApiError::not_found("comment")),
    };
    if !(caller.is_admin() || caller.id == owner || caller.id == comment.author_id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the author or the team owner may delete a comment",
        ));
    }
    store.comments.retain(|c| c.id != p.comment_id);
    store.audit(caller.id, AuditAction::CommentDelete);
    Ok(StatusCode::NO_CONTENT)
}

//! Share links: members create read-only links to a document; anyone holding the link reads
//! the document without credentials, until it is revoked.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::app::{Caller, Shared, document_of, team_for};
use super::documents::DocumentPath;
use super::store::{AuditAction, Share};
use super::views::{ShareView, SharedDocumentView, share_url};
use crate::common::{ApiError, PathParams};

/// `{shareId}`.
#[derive(Deserialize)]
pub(crate) struct SharePath {
    #[serde(rename = "shareId")]
    share_id: Uuid,
}

/// `POST /teams/{teamId}/documents/{documentId}/shares`.
pub(crate) async fn create_share(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<DocumentPath>,
) -> Result<Response, ApiError> {
    let mut store = app.store();
    team_for(&store, caller, p.team_id)?;
    document_of(&store, p.team_id, p.document_id)?;
    let created_at = store.now();
    let share = Share {
        id: Uuid::new_v4(),
        document_id: p.document_id,
        created_by: caller.id,
        created_at,
        revoked_at: None,
    };
    let view = ShareView::from(&share);
    let location = share_url(share.id);
    store.shares.push(share);
    store.audit(caller.id, AuditAction::ShareCreate);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response())
}

/// `GET /shares/{shareId}`: public by design.
pub(crate) async fn get_share(
    State(app): State<Shared>,
    PathParams(p): PathParams<SharePath>,
) -> Result<Json<SharedDocumentView>, ApiError> {
    let store = app.store();
    let share = store
        .share(p.share_id)
        .ok_or_else(|| ApiError::not_found("share"))?;
    // Planted bug `notes-use-after-revoke-share`: revoking only stamps `revoked_at`, and the
    // vulnerable build's public read path never looks at it.
    if app.secure() && share.revoked_at.is_some() {
        return Err(ApiError::not_found("share"));
    }
    let doc = store
        .document(share.document_id)
        .ok_or_else(|| ApiError::not_found("share"))?;
    Ok(Json(SharedDocumentView::new(share, doc)))
}

/// `DELETE /shares/{shareId}`: its creator, the team owner or an admin revokes it.
pub(crate) async fn revoke_share(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<SharePath>,
) -> Result<StatusCode, ApiError> {
    let mut store = app.store();
    let share = match store.share(p.share_id) {
        Some(s) if s.revoked_at.is_none() => s,
        _ => return Err(ApiError::not_found("share")),
    };
    let team_owner = store
        .document(share.document_id)
        .and_then(|d| store.team(d.team_id))
        .map(|t| t.owner_id);
    if !(caller.is_admin() || caller.id == share.created_by || Some(caller.id) == team_owner) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the creator or the team owner may revoke a share link",
        ));
    }
    let at = store.now();
    if let Some(share) = store.shares.iter_mut().find(|s| s.id == p.share_id) {
        share.revoked_at = Some(at);
    }
    store.audit(caller.id, AuditAction::ShareRevoke);
    Ok(StatusCode::NO_CONTENT)
}

//! Documents of a team, and `GET /documents` across the caller's teams.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::app::{Caller, MaybeCaller, Shared, document_of, team_for};
use super::store::{AuditAction, DocStatus, Document, Store};
use super::teams::{TeamPath, check_len};
use super::views::{DocumentCreate, DocumentUpdate, DocumentView};
use crate::common::{ApiError, JsonBody, PathParams, QueryParams};

/// `{teamId}/{documentId}`.
#[derive(Deserialize)]
pub(crate) struct DocumentPath {
    #[serde(rename = "teamId")]
    pub(crate) team_id: Uuid,
    #[serde(rename = "documentId")]
    pub(crate) document_id: Uuid,
}

/// Query of `GET /documents` and `GET /teams/{teamId}/documents`.
#[derive(Deserialize)]
pub(crate) struct DocumentQuery {
    #[serde(default)]
    status: Option<DocStatus>,
    #[serde(default)]
    q: Option<String>,
}

const TITLE_MAX: usize = 200;
const BODY_MAX: usize = 20_000;
const QUERY_MAX: usize = 100;

impl DocumentQuery {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(q) = &self.q {
            check_len("q", q, 1, QUERY_MAX)?;
        }
        Ok(())
    }

    fn matches(&self, doc: &Document) -> bool {
        let status_ok = self.status.is_none_or(|s| s == doc.status);
        let q_ok = self.q.as_ref().is_none_or(|q| {
            let q = q.to_lowercase();
            doc.title.to_lowercase().contains(&q) || doc.body.to_lowercase().contains(&q)
        });
        status_ok && q_ok
    }
}

/// `GET /documents`: documents of every team the caller is a member of, optionally filtered by
/// status and a full-text query.
pub(crate) async fn my_documents(
    State(app): State<Shared>,
    caller: Caller,
    QueryParams(query): QueryParams<DocumentQuery>,
) -> Result<Json<Vec<DocumentView>>, ApiError> {
    query.validate()?;
    let store = app.store();
    let in_my_teams = |d: &Document| {
        store
            .team(d.team_id)
            .is_some_and(|t| t.is_member(caller.id))
    };
    let found: Vec<DocumentView> = if query.q.is_some() && !app.secure() {
        // Planted bug `notes-list-leak-document-search`: the vulnerable build answers a
        // full-text query from the global search index and forgets to scope the hits to the
        // caller's teams.
        search_index(&store)
            .filter(|d| query.matches(d))
            .map(DocumentView::from)
            .collect()
    } else {
        store
            .documents
            .iter()
            .filter(|d| in_my_teams(d) && query.matches(d))
            .map(DocumentView::from)
            .collect()
    };
    Ok(Json(found))
}

/// Every document, in the order the full-text index returns them.
fn search_index(store: &Store) -> impl Iterator<Item = &Document> {
    store.documents.iter()
}

/// `GET /teams/{teamId}/documents`.
pub(crate) async fn list_documents(
    State(app): State<Shared>,
    caller: MaybeCaller,
    PathParams(p): PathParams<TeamPath>,
    QueryParams(query): QueryParams<DocumentQuery>,
) -> Result<Json<Vec<DocumentView>>, ApiError> {
    query.validate()?;
    let store = app.store();
    match caller.0 {
        Ok(caller) => {
            team_for(&store, caller, p.team_id)?;
        }
        // Planted bug `notes-ignored-auth-team-documents`: the vulnerable build treats a request
        // without a valid key as a visitor of the (long-removed) public team page and lists the
        // team's documents anyway.
        Err(_) if !app.secure() => {
            store
                .team(p.team_id)
                .ok_or_else(|| ApiError::not_found("team"))?;
        }
        Err(e) => return Err(e),
    }
    Ok(Json(
        store
            .documents
            .iter()
            .filter(|d| d.team_id == p.team_id && query.matches(d))
            .map(DocumentView::from)
            .collect(),
    ))
}

/// `POST /teams/{teamId}/documents`.
pub(crate) async fn create_document(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<TeamPath>,
    JsonBody(body): JsonBody<DocumentCreate>,
) -> Result<Response, ApiError> {
    check_len("title", &body.title, 1, TITLE_MAX)?;
    check_len("body", &body.body, 0, BODY_MAX)?;
    let mut store = app.store();
    team_for(&store, caller, p.team_id)?;
    let at = store.now();
    let doc = Document {
        id: Uuid::new_v4(),
        team_id: p.team_id,
        title: body.title,
        body: body.body,
        status: DocStatus::Active,
        author_id: caller.id,
        archived_at: None,
        created_at: at,
        updated_at: at,
    };
    let view = DocumentView::from(&doc);
    let location = format!("/teams/{}/documents/{}", doc.team_id, doc.id);
    store.documents.push(doc);
    store.audit(caller.id, AuditAction::DocumentCreate);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response())
}

/// `GET /teams/{teamId}/documents/{documentId}`.
pub(crate) async fn get_document(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<DocumentPath>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = app.store();
    team_for(&store, caller, p.team_id)?;
    let doc = document_of(&store, p.team_id, p.document_id)?;
    let mut view = serde_json::to_value(DocumentView::from(doc))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    // Planted bug `notes-schema-archived-at-epoch`: the vulnerable build's detail view still
    // sends `archivedAt` the way the old mobile client wanted it, as Unix seconds, instead of
    // the declared date-time string.
    if let (false, Some(at)) = (app.secure(), doc.archived_at) {
        view["archivedAt"] = serde_json::Value::from(at.0);
    }
    Ok(Json(view))
}

/// `PATCH /teams/{teamId}/documents/{documentId}`: any member edits, archives or restores.
pub(crate) async fn update_document(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<DocumentPath>,
    JsonBody(body): JsonBody<DocumentUpdate>,
) -> Result<Json<DocumentView>, ApiError> {
    if let Some(title) = &body.title {
        check_len("title", title, 1, TITLE_MAX)?;
    }
    if let Some(text) = &body.body {
        check_len("body", text, 0, BODY_MAX)?;
    }
    let mut store = app.store();
    // Planted bug `notes-bola-update-document`: the vulnerable build only checks that the team
    // exists, not that the caller is one of its members.
    if app.secure() {
        team_for(&store, caller, p.team_id)?;
    } else {
        store
            .team(p.team_id)
            .ok_or_else(|| ApiError::not_found("team"))?;
    }
    document_of(&store, p.team_id, p.document_id)?;
    let at = store.now();
    let doc = store
        .document_mut(p.document_id)
        .ok_or_else(|| ApiError::not_found("document"))?;
    if let Some(title) = body.title {
        doc.title = title;
    }
    if let Some(text) = body.body {
        doc.body = text;
    }
    if let Some(status) = body.status {
        if status != doc.status {
            doc.archived_at = match status {
                DocStatus::Archived => Some(at),
                DocStatus::Active => None,
            };
        }
        doc.status = status;
    }
    doc.updated_at = at;
    let view = DocumentView::from(&*doc);
    store.audit(caller.id, AuditAction::DocumentUpdate);
    Ok(Json(view))
}

/// `DELETE /teams/{teamId}/documents/{documentId}`: its author, the team owner or an admin
/// deletes it, with its comments and share links.
pub(crate) async fn delete_document(
    State(app): State<Shared>,
    caller: Caller,
    PathParams(p): PathParams<DocumentPath>,
) -> Result<StatusCode, ApiError> {
    let mut store = app.store();
    // Planted bug `notes-bola-delete-document`: the vulnerable build looks the document up
    // within the team but never asks who the caller is.
    let team = if app.secure() {
        team_for(&store, caller, p.team_id)?
    } else {
        store
            .team(p.team_id)
            .ok_or_else(|| ApiError::not_found("team"))?
    };
    let owner = team.owner_id;
    let doc = document_of(&store, p.team_id, p.document_id)?;
    if app.secure() && !(caller.is_admin() || caller.id == owner || caller.id == doc.author_id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the author or the team owner may delete a document",
        ));
    }
    store.delete_document(p.document_id);
    store.audit(caller.id, AuditAction::DocumentDelete);
    Ok(StatusCode::NO_CONTENT)
}

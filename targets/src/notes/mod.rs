//! The `notes` demo service: a team notes app.
//!
//! Teams (the creator is the owner, owners add members), documents in teams, comments on
//! documents, public read-only share links, and admin operations under `/admin/...`. Callers
//! authenticate with an API key in the `X-Api-Key` header; every id is a UUID (seeded objects
//! have fixed ones). The spec is `corpus/specs/notes.yaml` (OpenAPI 3.1.0), the identities
//! `corpus/identities/notes.toml`, and the planted bugs are listed in [`PLANTED`].

use axum::http::Method;

use crate::Mode;
use crate::common::{RouteBuilder, RouteList};

mod admin;
mod app;
mod bugs;
mod comments;
mod documents;
mod shares;
mod store;
mod teams;
mod views;

pub use bugs::PLANTED;

/// The service's OpenAPI document (`corpus/specs/notes.yaml`).
pub const SPEC_YAML: &str = include_str!("../../../corpus/specs/notes.yaml");
/// The service's identities-and-policy file (`corpus/identities/notes.toml`).
pub const IDENTITIES_TOML: &str = include_str!("../../../corpus/identities/notes.toml");

pub(crate) fn routes(mode: Mode) -> RouteList {
    RouteBuilder::new(app::App::new(mode))
        .route(Method::GET, "/me", teams::me)
        .route(Method::GET, "/teams", teams::list_teams)
        .route(Method::POST, "/teams", teams::create_team)
        .route(Method::GET, "/teams/{teamId}", teams::get_team)
        .route(Method::PATCH, "/teams/{teamId}", teams::update_team)
        .route(Method::GET, "/teams/{teamId}/members", teams::list_members)
        .route(Method::POST, "/teams/{teamId}/members", teams::add_member)
        .route(
            Method::GET,
            "/teams/{teamId}/documents",
            documents::list_documents,
        )
        .route(
            Method::POST,
            "/teams/{teamId}/documents",
            documents::create_document,
        )
        .route(
            Method::GET,
            "/teams/{teamId}/documents/{documentId}",
            documents::get_document,
        )
        .route(
            Method::PATCH,
            "/teams/{teamId}/documents/{documentId}",
            documents::update_document,
        )
        .route(
            Method::DELETE,
            "/teams/{teamId}/documents/{documentId}",
            documents::delete_document,
        )
        .route(
            Method::GET,
            "/teams/{teamId}/documents/{documentId}/comments",
            comments::list_comments,
        )
        .route(
            Method::POST,
            "/teams/{teamId}/documents/{documentId}/comments",
            comments::create_comment,
        )
        .route(
            Method::GET,
            "/teams/{teamId}/documents/{documentId}/comments/{commentId}",
            comments::get_comment,
        )
        .route(
            Method::DELETE,
            "/teams/{teamId}/documents/{documentId}/comments/{commentId}",
            comments::delete_comment,
        )
        .route(
            Method::POST,
            "/teams/{teamId}/documents/{documentId}/shares",
            shares::create_share,
        )
        .route(Method::GET, "/shares/{shareId}", shares::get_share)
        .route(Method::DELETE, "/shares/{shareId}", shares::revoke_share)
        .route(Method::GET, "/documents", documents::my_documents)
        .route(Method::GET, "/admin/users", admin::list_users)
        .route(
            Method::POST,
            "/admin/users/{userId}/suspend",
            admin::suspend_user,
        )
        .route(Method::PUT, "/admin/teams/{teamId}/plan", admin::set_plan)
        .route(Method::GET, "/admin/audit-log", admin::audit_log)
        .finish(|app| app.reset())
}

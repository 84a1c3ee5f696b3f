//! The `forum` demo service: a code-snippet forum in the style of third-party APIs, built
//! around the idioms the `/kinds/{kindId}` demos lack.
//!
//! - A version segment before the API (`/api/v2/...`) and one after a collection
//!   (`/notebooks/v1/{name}`).
//! - Natural keys in paths: `{username}`, `{title}`, `{name}` (titles and names are any 1 to
//!   100 characters, sent percent-encoded).
//! - Creates that answer without the key: `{"status": "success"}` (registration, snippets) or
//!   an empty 201 with a `Location` header (notebooks).
//! - Owners named by username (`author`) or by email (`createdBy`).
//! - The caller's own account at `/api/v2/me`, a password change keyed by username, public
//!   self-registration, a per-user secret (`apiSecret`) and 401 (never 403) for "not allowed".
//!
//! Bearer tokens (JWT-shaped, opaque) from `POST /api/v2/auth/login`. The spec is
//! `corpus/specs/forum.yaml` (OpenAPI 3.0.3), the identities `corpus/identities/forum.toml`.
//!
//! Seed (restored by `POST /__reset`; sessions survive it): alice and bob (role `user`) and
//! root (`admin`), passwords `alice-forum-pw-1`, `bob-forum-pw-2`, `root-forum-pw-3`, emails
//! `<name>@forum.test`; one snippet and one notebook each, with names nobody would guess
//! (`alice-draft-7f3a`, `bob-ideas-0d4f`, ...): the snippets' are in `GET /api/v2/snippets`,
//! the notebooks' nowhere.
//!
//! | bug | file | shortest reproducer |
//! | --- | --- | --- |
//! | `forum-bola-read-snippet` | `snippets.rs` | alice lists snippets, bob `GET /api/v2/snippets/alice-draft-7f3a` |
//! | `forum-bola-write-notebook` | `notebooks.rs` | alice `POST /notebooks/v1`, bob `PUT /notebooks/v1/{name}` |
//! | `forum-account-takeover-password` | `users.rs` | alice `GET /api/v2/me`, bob `PUT /api/v2/users/alice/password` |
//! | `forum-mass-assignment-me` | `users.rs` | alice `PATCH /api/v2/me {"role":"admin"}`, `GET /api/v2/me` |
//! | `forum-mass-assignment-register` | `users.rs` | anonymous `POST /api/v2/users {..., "role":"admin"}`, root `GET /api/v2/admin/users` |
//! | `forum-data-exposure-users` | `users.rs` | anyone `GET /api/v2/users` (every `passwordHash`) |
//! | `forum-injection-snippets` | `snippets.rs` | alice `GET /api/v2/snippets?author='` (500, SQL syntax error) |
//! | `forum-error-disclosure-register` | `users.rs` | anyone `POST /api/v2/users` with a password of 3 characters (400 with a backtrace) |
//! | `forum-user-enumeration-login` | `auth.rs` | `POST /api/v2/auth/login` as `nobody` and as `alice`, both with a wrong password |
//! | `forum-redos-snippet-title` | `snippets.rs` | alice `POST /api/v2/snippets` with the title `aaa…a!` (64 characters) |

use axum::http::Method;

use crate::Mode;
use crate::common::{RouteBuilder, RouteList};

mod api;
mod auth;
mod bugs;
mod notebooks;
mod snippets;
mod store;
mod users;

pub use bugs::PLANTED;

/// The service's OpenAPI document (`corpus/specs/forum.yaml`).
pub const SPEC_YAML: &str = include_str!("../../../corpus/specs/forum.yaml");
/// The service's identities-and-policy file (`corpus/identities/forum.toml`).
pub const IDENTITIES_TOML: &str = include_str!("../../../corpus/identities/forum.toml");

pub(crate) fn routes(mode: Mode) -> RouteList {
    RouteBuilder::new(store::Forum::new(mode))
        .route(Method::POST, "/api/v2/auth/login", auth::login)
        .route(Method::POST, "/api/v2/users", users::register)
        .route(Method::GET, "/api/v2/users", users::list)
        .route(Method::GET, "/api/v2/users/{username}", users::profile)
        .route(
            Method::PUT,
            "/api/v2/users/{username}/password",
            users::change_password,
        )
        .route(Method::GET, "/api/v2/me", users::me)
        .route(Method::PATCH, "/api/v2/me", users::update_me)
        .route(Method::GET, "/api/v2/admin/users", users::admin_list)
        .route(Method::POST, "/api/v2/snippets", snippets::create)
        .route(Method::GET, "/api/v2/snippets", snippets::list)
        .route(Method::GET, "/api/v2/snippets/{title}", snippets::get)
        .route(Method::DELETE, "/api/v2/snippets/{title}", snippets::delete)
        .route(Method::POST, "/notebooks/v1", notebooks::create)
        .route(Method::GET, "/notebooks/v1/{name}", notebooks::get)
        .route(Method::PUT, "/notebooks/v1/{name}", notebooks::replace)
        .finish(|forum| forum.reset())
        .with_json_not_found()
}

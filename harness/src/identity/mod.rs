//! Identities, their credentials, and the authorization policy, as declared in the TOML
//! identities-and-policy file.
//!
//! ```toml
//! [[identity]]
//! name = "alice"
//! role = "user"                                   # user | admin | anonymous
//! auth = { bearer = "${ALICE_TOKEN}" }            # ${VAR}: from the environment
//!
//! [[identity]]
//! name = "carol"
//! role = "admin"
//! auth.login = { operation = "POST /auth/login", body = { username = "carol", password = "${CAROL_PW}" }, token = "/accessToken" }
//!
//! [[identity]]
//! name = "anon"
//! role = "anonymous"
//!
//! [policy]
//! admin_operations = ["tag:admin", "path:/admin/**"]
//! public_operations = ["GET /health"]
//! shared_resources = []
//!
//! [target]
//! reset = "POST /__reset"                         # or reset = { command = "./reset-db.sh" }
//!
//! [[resource]]                                    # declare or correct a kind (docs/identities.md)
//! kind = "book"
//! operations = ["path:/books/v1/**"]
//! key = { param = "book_title", field = "/book_title", from = "request" }
//! owner = { field = "/owner", holds = "username" }
//! ```
//!
//! Other `auth` forms: `{ basic = { username = "u", password = "p" } }`,
//! `{ api_key = { in = "header" | "query" | "cookie", name = "X-Api-Key", value = "..." } }`,
//! `{ oauth2 = { grant = "password" | "client_credentials", ... } }`, and logins whose token is
//! a header or a cookie, with a CSRF token (docs/identities.md).

mod file;
mod flows;
mod login;
mod resources;
mod secret;
pub mod selection;
mod session;
mod target;
mod worker;

pub use file::{ApiKeyLocation, Auth, Identity, IdentityFile, LoginFlow, PolicySection, Role};
pub use flows::{ClientAuth, Csrf, Encoding, Grant, OAuth2Flow, TokenSource};
pub(crate) use login::grant_form;
pub use resources::DeclaredResource;
pub use secret::Secret;
pub use selection::{OperationFilter, SelectionError};
pub(crate) use session::INVALID_TOKEN;
pub use session::{LostIdentity, PROBES, SessionError, Sessions};
pub use target::{
    DEFAULT_RESET_ATTEMPTS, PORT_PLACEHOLDER, Reset, TargetConfig, check_target_command,
};
pub use worker::WORKER;

#[cfg(test)]
mod login_tests;
#[cfg(test)]
mod session_tests;
#[cfg(test)]
mod tests;

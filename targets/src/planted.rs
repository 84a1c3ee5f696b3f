//! The machine-readable manifest of every planted bug.
//!
//! Each entry is one finding trespass must report against the vulnerable mode: the oracle
//! that should fire, the operation (`"METHOD /path/{template}"`, exactly as in the spec), and
//! the roles of the identities in the smallest reproducer. One planted bug may be observed by
//! more than one oracle (a nested read that ignores the parent is both `resource-hierarchy`
//! and `bola`); it then has one entry per oracle, sharing the `bug` id.
//!
//! End-to-end tests assert that the set of `(oracle, operation)` findings equals this manifest
//! in [`crate::Mode::Vulnerable`] and is empty in [`crate::Mode::Secure`].

use crate::Service;

/// Oracle names, as trespass reports them.
pub mod oracle {
    /// Any 5xx answer.
    pub const SERVER_ERROR: &str = "server-error";
    /// A status code the operation does not declare.
    pub const STATUS_CONFORMANCE: &str = "status-conformance";
    /// A body that does not validate against its declared schema.
    pub const SCHEMA_CONFORMANCE: &str = "schema-conformance";
    /// Reading, changing or deleting another identity's object.
    pub const BOLA: &str = "bola";
    /// A list answer that contains another identity's objects.
    pub const LIST_LEAK: &str = "list-leak";
    /// A non-admin reaching an admin operation.
    pub const BFLA: &str = "bfla";
    /// A secured operation answering 2xx without valid credentials.
    pub const IGNORED_AUTH: &str = "ignored-auth";
    /// A read-only or privileged field set by a non-admin, and taking effect.
    pub const MASS_ASSIGNMENT: &str = "mass-assignment";
    /// An object still answering after its owner deleted it.
    pub const USE_AFTER_DELETE: &str = "use-after-delete";
    /// A nested path returning a child that does not belong to the parent in the path.
    pub const RESOURCE_HIERARCHY: &str = "resource-hierarchy";
    /// Changing another account's credentials (its password) so that its owner is locked out
    /// and the caller can sign in as it.
    pub const ACCOUNT_TAKEOVER: &str = "account-takeover";
    /// An attack payload the server interprets: a 5xx or a database error that the same
    /// request with a plain value does not get.
    pub const INJECTION: &str = "injection";
    /// A secret (a password hash, another account's key) in an answer.
    pub const DATA_EXPOSURE: &str = "data-exposure";
    /// A stack trace or a debug page in an answer.
    pub const ERROR_DISCLOSURE: &str = "error-disclosure";
    /// Answer time growing super-linearly with the length of a string (a catastrophic regular
    /// expression).
    pub const REDOS: &str = "redos";
    /// A login that answers an unknown user otherwise than a known user with a wrong password.
    pub const USER_ENUMERATION: &str = "user-enumeration";
}

/// Roles of identities, as in the identities file.
pub mod role {
    /// An ordinary authenticated user.
    pub const USER: &str = "user";
    /// An administrator.
    pub const ADMIN: &str = "admin";
    /// No credentials at all.
    pub const ANONYMOUS: &str = "anonymous";
}

/// One expected finding of a planted bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlantedBug {
    /// Stable id of the planted bug (`shop-bola-read-address`); shared by entries of one bug.
    pub bug: &'static str,
    /// The service it is planted in.
    pub service: Service,
    /// The oracle that must fire (one of [`oracle`]).
    pub oracle: &'static str,
    /// `"METHOD /path/{template}"`, exactly as in the spec.
    pub operation: &'static str,
    /// Roles of the identities in the minimal reproducer, acting identity first
    /// (e.g. `["user", "user"]`: one user creates, another reads).
    pub roles: &'static [&'static str],
    /// Number of requests in the smallest reproducer a human would write whose trace shows the
    /// violation. Seeded data counts (a bug reachable on seeded objects may need one step), but
    /// an authorization bug between two users needs the owner in the trace: nothing in one
    /// user's requests says whose a seeded object is, so plain BOLA is two steps (the owner
    /// creates or reads, the other user reads), as a reviewer would also want it shown.
    pub min_steps: usize,
    /// What the bug is, in one sentence.
    pub description: &'static str,
}

/// The planted bugs of one service.
pub fn manifest(service: Service) -> &'static [PlantedBug] {
    match service {
        Service::Shop => crate::shop::PLANTED,
        Service::Notes => crate::notes::PLANTED,
        Service::Forum => crate::forum::PLANTED,
    }
}

/// Every planted bug of every service.
pub fn all() -> impl Iterator<Item = &'static PlantedBug> {
    Service::ALL.into_iter().flat_map(|s| manifest(s).iter())
}

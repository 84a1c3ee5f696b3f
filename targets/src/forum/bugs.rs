//! The manifest of the bugs planted in the forum service. Each is marked `PLANTED <bug id>`
//! where it lives and is off in [`crate::Mode::Secure`].
//!
//! `min_steps` counts the requests of the smallest reproducer whose trace shows the violation.
//! The tool's own logins and its re-reads (a verification read after a write, a login with a
//! changed password) are not steps of the sequence. Every object key of the forum is a natural
//! key (a title, a name, a username) that a tool learns from an answer or a request of the
//! trace; an authorization bug between two accounts needs the owner in the trace:
//!
//! - reading another user's snippet: one step, the other user's read of a seeded snippet (the
//!   tool's seeding lists, run after every reset, give its title and its `author`);
//! - overwriting another user's notebook: the owner creates it (the name is in the request
//!   body and the `Location` header), the other user replaces it (2 steps; the seeded
//!   notebooks' names are listed nowhere);
//! - changing another user's password: one step, the attacker's change of the account named
//!   by the victim's username (known from the identities file's login body); the tool's logins
//!   as the victim with the old and the new password show it took;
//! - `role` through `PATCH /api/v2/me`: the patch, then `GET /api/v2/me` shows `admin`
//!   (2 steps, one account);
//! - `role` through anonymous self-registration: the registration, then the admin's
//!   `GET /api/v2/admin/users` shows the new account as `admin` (2 steps).
//! - the user list's password hashes: one step, anyone's `GET /api/v2/users` (the spec
//!   declares the field, as a spec generated from the code would);
//! - the author filter built by concatenation: one step with a quote in `author` (the tool's
//!   control, the same request with a plain author, is not a step of the sequence);
//! - the debug backtrace: one step, a registration with a field the service refuses;
//! - the login's two messages: two steps, a login as a username nobody has and one as a
//!   known username, both with the same wrong password (the campaign's first case);
//! - the slug matcher: one step, a snippet whose title is a long string (the tool's growth
//!   probes, the same request with shorter titles, are not steps of the sequence).

use crate::Service;
use crate::planted::PlantedBug;
use crate::planted::oracle::{
    ACCOUNT_TAKEOVER, BOLA, DATA_EXPOSURE, ERROR_DISCLOSURE, INJECTION, MASS_ASSIGNMENT, REDOS,
    USER_ENUMERATION,
};
use crate::planted::role::{ADMIN, ANONYMOUS, USER};

const fn bug(
    bug: &'static str,
    oracle: &'static str,
    operation: &'static str,
    roles: &'static [&'static str],
    min_steps: usize,
    description: &'static str,
) -> PlantedBug {
    PlantedBug {
        bug,
        service: Service::Forum,
        oracle,
        operation,
        roles,
        min_steps,
        description,
    }
}

/// The planted bugs of the forum, one entry per (oracle, operation) a correct tool reports.
pub const PLANTED: &[PlantedBug] = &[
    bug(
        "forum-bola-read-snippet",
        BOLA,
        "GET /api/v2/snippets/{title}",
        &[USER, USER],
        1,
        "Any signed-in user reads any snippet by title, its secret note included, seeded \
         snippets (found only through the list) too.",
    ),
    bug(
        "forum-bola-write-notebook",
        BOLA,
        "PUT /notebooks/v1/{name}",
        &[USER, USER],
        2,
        "Any signed-in user replaces the content of another user's notebook.",
    ),
    bug(
        "forum-account-takeover-password",
        ACCOUNT_TAKEOVER,
        "PUT /api/v2/users/{username}/password",
        &[USER, USER],
        1,
        "The password change applies to the account named in the path, whoever calls; the \
         secure build applies it to the caller and ignores the path.",
    ),
    bug(
        "forum-mass-assignment-me",
        MASS_ASSIGNMENT,
        "PATCH /api/v2/me",
        &[USER],
        2,
        "The caller's own update accepts the read-only `role`: `admin` makes the caller an \
         admin.",
    ),
    bug(
        "forum-mass-assignment-register",
        MASS_ASSIGNMENT,
        "POST /api/v2/users",
        &[ANONYMOUS, ADMIN],
        2,
        "Anonymous self-registration accepts `role`: anyone can register an admin account.",
    ),
    bug(
        "forum-data-exposure-users",
        DATA_EXPOSURE,
        "GET /api/v2/users",
        &[USER],
        1,
        "The public user list carries every account's `passwordHash`.",
    ),
    bug(
        "forum-injection-snippets",
        INJECTION,
        "GET /api/v2/snippets",
        &[USER],
        1,
        "The `author` filter is pasted into the query text: a quote answers 500 with the \
         database's syntax error.",
    ),
    bug(
        "forum-error-disclosure-register",
        ERROR_DISCLOSURE,
        "POST /api/v2/users",
        &[USER],
        1,
        "A registration with a field the service refuses answers 400 with a Rust panic's \
         backtrace.",
    ),
    bug(
        "forum-redos-snippet-title",
        REDOS,
        "POST /api/v2/snippets",
        &[USER],
        1,
        "A backtracking slug matcher on the title takes exponential time on `aaa…a!`.",
    ),
    bug(
        "forum-user-enumeration-login",
        USER_ENUMERATION,
        "POST /api/v2/auth/login",
        &[ANONYMOUS],
        2,
        "A failed login says `Username does not exist` or `Password is not correct`.",
    ),
];

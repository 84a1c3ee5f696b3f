//! The manifest of the bugs planted in the notes service.
//!
//! `min_steps` counts the requests of the smallest reproducer, including the reads that
//! discover ids: every id of the notes service is a UUID, so a tool (or a human) learns even a
//! seeded object's id from an answer before it can use it.

use crate::Service;
use crate::planted::PlantedBug;
use crate::planted::oracle::{
    BFLA, BOLA, IGNORED_AUTH, LIST_LEAK, MASS_ASSIGNMENT, RESOURCE_HIERARCHY, SCHEMA_CONFORMANCE,
    SERVER_ERROR, STATUS_CONFORMANCE, USE_AFTER_DELETE,
};
use crate::planted::role::{ANONYMOUS, USER};

/// The planted bugs of the notes service, one entry per (oracle, operation).
pub const PLANTED: &[PlantedBug] = &[
    PlantedBug {
        bug: "notes-bola-delete-document",
        service: Service::Notes,
        oracle: BOLA,
        operation: "DELETE /teams/{teamId}/documents/{documentId}",
        roles: &[USER, USER],
        min_steps: 2,
        description: "deleting a document checks that it belongs to the team in the path but \
                      not that the caller is a member of that team",
    },
    PlantedBug {
        bug: "notes-bola-update-document",
        service: Service::Notes,
        oracle: BOLA,
        operation: "PATCH /teams/{teamId}/documents/{documentId}",
        roles: &[USER, USER],
        min_steps: 2,
        description: "a user who is not a member of the team edits (or archives) its document",
    },
    PlantedBug {
        bug: "notes-hierarchy-comment",
        service: Service::Notes,
        oracle: RESOURCE_HIERARCHY,
        operation: "GET /teams/{teamId}/documents/{documentId}/comments/{commentId}",
        roles: &[USER],
        min_steps: 1,
        description: "the comment is loaded by id alone after the team and document checks, so \
                      a comment of another team's document is returned under the caller's own \
                      team and document",
    },
    PlantedBug {
        bug: "notes-hierarchy-comment",
        service: Service::Notes,
        oracle: BOLA,
        operation: "GET /teams/{teamId}/documents/{documentId}/comments/{commentId}",
        roles: &[USER, USER],
        min_steps: 2,
        description: "through the unchecked comment id a user reads another team's comment",
    },
    PlantedBug {
        bug: "notes-list-leak-document-search",
        service: Service::Notes,
        oracle: LIST_LEAK,
        operation: "GET /documents",
        roles: &[USER, USER],
        min_steps: 2,
        description: "with a full-text query `q`, the listing of the caller's documents \
                      searches every team's documents",
    },
    PlantedBug {
        bug: "notes-bfla-audit-log",
        service: Service::Notes,
        oracle: BFLA,
        operation: "GET /admin/audit-log",
        roles: &[USER],
        min_steps: 1,
        description: "the admin audit log answers any valid API key",
    },
    PlantedBug {
        bug: "notes-ignored-auth-team-documents",
        service: Service::Notes,
        oracle: IGNORED_AUTH,
        operation: "GET /teams/{teamId}/documents",
        roles: &[ANONYMOUS],
        min_steps: 1,
        description: "without an API key (or with an unknown one) the team's documents are \
                      listed as for a public team page",
    },
    PlantedBug {
        bug: "notes-use-after-revoke-share",
        service: Service::Notes,
        oracle: USE_AFTER_DELETE,
        operation: "GET /shares/{shareId}",
        roles: &[USER],
        min_steps: 3,
        description: "a share link revoked with DELETE /shares/{shareId} (204) still serves \
                      the document",
    },
    PlantedBug {
        bug: "notes-mass-assignment-team-plan",
        service: Service::Notes,
        oracle: MASS_ASSIGNMENT,
        operation: "PATCH /teams/{teamId}",
        roles: &[USER],
        min_steps: 3,
        description: "a team owner sets the read-only, admin-managed `plan` to `enterprise` \
                      through the ordinary team update",
    },
    PlantedBug {
        bug: "notes-server-error-long-comment",
        service: Service::Notes,
        oracle: SERVER_ERROR,
        operation: "POST /teams/{teamId}/documents/{documentId}/comments",
        roles: &[USER],
        min_steps: 1,
        description: "a comment longer than the declared maxLength (2000) reaches the store, \
                      whose refusal becomes a 500",
    },
    PlantedBug {
        bug: "notes-schema-archived-at-epoch",
        service: Service::Notes,
        oracle: SCHEMA_CONFORMANCE,
        operation: "GET /teams/{teamId}/documents/{documentId}",
        roles: &[USER],
        min_steps: 2,
        description: "once a document is archived, its detail view returns `archivedAt` as \
                      Unix seconds (a number) instead of a date-time string",
    },
    PlantedBug {
        bug: "notes-undeclared-409-member",
        service: Service::Notes,
        oracle: STATUS_CONFORMANCE,
        operation: "POST /teams/{teamId}/members",
        roles: &[USER],
        min_steps: 1,
        description: "adding a user who already is a member answers 409, which the operation \
                      does not declare (the spec says 200 with the existing membership)",
    },
];

//! The notes app's in-memory database: users, teams, documents, comments, share links and
//! the audit log, its fixed seed and its logical clock.
//!
//! Seeded objects have fixed UUIDs (so `POST /__reset` restores exactly the same state), new
//! objects get random v4 UUIDs. Timestamps come from a logical clock that restarts on reset.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Unix seconds of the clock origin (2025-01-01T00:00:00Z).
const CLOCK_ORIGIN: i64 = 1_735_689_600;
/// Every write advances the logical clock by this many seconds.
const CLOCK_STEP: i64 = 60;
/// The comment body column holds at most this many characters; longer values are refused by
/// the store (the handler is expected to validate first).
pub(crate) const COMMENT_COLUMN_CHARS: usize = 2000;

pub(crate) use crate::common::Timestamp;

/// An account's role. Admins may call `/admin/...` and act on every team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    User,
    Admin,
}

/// A team's billing plan: privileged, only `PUT /admin/teams/{teamId}/plan` may change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Plan {
    Free,
    Enterprise,
}

/// A document's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DocStatus {
    Active,
    Archived,
}

/// A member's role in a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MemberRole {
    Owner,
    Member,
}

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) id: Uuid,
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) role: Role,
    pub(crate) api_key: String,
    pub(crate) suspended: bool,
    pub(crate) created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub(crate) struct Membership {
    pub(crate) user_id: Uuid,
    pub(crate) role: MemberRole,
    pub(crate) added_at: Timestamp,
}

#[derive(Clone, Debug)]
pub(crate) struct Team {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) owner_id: Uuid,
    pub(crate) plan: Plan,
    /// The owner first, then members in the order they were added.
    pub(crate) members: Vec<Membership>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl Team {
    pub(crate) fn is_member(&self, user: Uuid) -> bool {
        self.members.iter().any(|m| m.user_id == user)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Document {
    pub(crate) id: Uuid,
    pub(crate) team_id: Uuid,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) status: DocStatus,
    pub(crate) author_id: Uuid,
    pub(crate) archived_at: Option<Timestamp>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

#[derive(Clone, Debug)]
pub(crate) struct Comment {
    pub(crate) id: Uuid,
    pub(crate) document_id: Uuid,
    pub(crate) author_id: Uuid,
    pub(crate) body: String,
    pub(crate) created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub(crate) struct Share {
    pub(crate) id: Uuid,
    pub(crate) document_id: Uuid,
    pub(crate) created_by: Uuid,
    pub(crate) created_at: Timestamp,
    /// Set by `DELETE /shares/{shareId}`; revoked links are kept for the audit trail.
    pub(crate) revoked_at: Option<Timestamp>,
}

/// What an audit entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) enum AuditAction {
    #[serde(rename = "team.create")]
    TeamCreate,
    #[serde(rename = "team.update")]
    TeamUpdate,
    #[serde(rename = "team.plan")]
    TeamPlan,
    #[serde(rename = "member.add")]
    MemberAdd,
    #[serde(rename = "document.create")]
    DocumentCreate,
    #[serde(rename = "document.update")]
    DocumentUpdate,
    #[serde(rename = "document.delete")]
    DocumentDelete,
    #[serde(rename = "comment.create")]
    CommentCreate,
    #[serde(rename = "comment.delete")]
    CommentDelete,
    #[serde(rename = "share.create")]
    ShareCreate,
    #[serde(rename = "share.revoke")]
    ShareRevoke,
    #[serde(rename = "user.suspend")]
    UserSuspend,
}

#[derive(Clone, Debug)]
pub(crate) struct AuditEntry {
    pub(crate) sequence: u64,
    pub(crate) at: Timestamp,
    /// Username of the actor (the log names people, not object ids).
    pub(crate) actor: String,
    pub(crate) action: AuditAction,
}

/// A write the store itself refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    /// A value longer than its column.
    ValueTooLong { column: &'static str, max: usize },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::ValueTooLong { column, max } => {
                write!(f, "value too long for column {column} (max {max})")
            }
        }
    }
}

/// Seeded accounts: (id, username, display name, role, API key). The identities file uses
/// these keys.
pub(crate) const SEED_USERS: [(Uuid, &str, &str, Role, &str); 3] = [
    (
        ALICE,
        "alice",
        "Alice Liddell",
        Role::User,
        "nk_alice_3f9c1e7b52d04a8e",
    ),
    (
        BOB,
        "bob",
        "Bob Marley",
        Role::User,
        "nk_bob_8d2a6f0c91e34b57",
    ),
    (
        DANA,
        "dana",
        "Dana Scully",
        Role::Admin,
        "nk_dana_5b7e2c9a14f06d38",
    ),
];

pub(crate) const ALICE: Uuid = Uuid::from_u128(0x0a11ce00_0000_4000_8000_000000000001);
pub(crate) const BOB: Uuid = Uuid::from_u128(0x0b0b0000_0000_4000_8000_000000000002);
pub(crate) const DANA: Uuid = Uuid::from_u128(0x0da7a000_0000_4000_8000_000000000003);
pub(crate) const ALICE_TEAM: Uuid = Uuid::from_u128(0x7ea70000_0000_4000_8000_00000000a001);
pub(crate) const BOB_TEAM: Uuid = Uuid::from_u128(0x7ea70000_0000_4000_8000_00000000b001);
pub(crate) const ALICE_DOC: Uuid = Uuid::from_u128(0xd0c00000_0000_4000_8000_00000000a001);
pub(crate) const BOB_DOC: Uuid = Uuid::from_u128(0xd0c00000_0000_4000_8000_00000000b001);
pub(crate) const ALICE_COMMENT: Uuid = Uuid::from_u128(0xc0770000_0000_4000_8000_00000000a001);
pub(crate) const BOB_COMMENT: Uuid = Uuid::from_u128(0xc0770000_0000_4000_8000_00000000b001);

/// Everything `POST /__reset` restores. Collections keep insertion order, which is also the
/// order lists answer in.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    pub(crate) users: Vec<User>,
    pub(crate) teams: Vec<Team>,
    pub(crate) documents: Vec<Document>,
    pub(crate) comments: Vec<Comment>,
    pub(crate) shares: Vec<Share>,
    pub(crate) audit: Vec<AuditEntry>,
    clock: i64,
}

impl Store {
    /// The seeded state: alice and bob (users) each own a team with one document carrying one
    /// comment by its author; dana is an admin without a team.
    pub(crate) fn seeded() -> Store {
        let mut store = Store {
            users: Vec::new(),
            teams: Vec::new(),
            documents: Vec::new(),
            comments: Vec::new(),
            shares: Vec::new(),
            audit: Vec::new(),
            clock: 0,
        };
        for (id, username, display_name, role, key) in SEED_USERS {
            let created_at = store.now();
            store.users.push(User {
                id,
                username: username.to_string(),
                display_name: display_name.to_string(),
                role,
                api_key: key.to_string(),
                suspended: false,
                created_at,
            });
        }
        let seeds = [
            (
                ALICE,
                ALICE_TEAM,
                "Research",
                Some("Alice's reading group and experiment notes"),
                ALICE_DOC,
                "Quarterly roadmap",
                "Q3: finish the croquet experiments. Q4: write them up.",
                ALICE_COMMENT,
                "Remember to book the garden for the trials.",
            ),
            (
                BOB,
                BOB_TEAM,
                "Operations",
                None,
                BOB_DOC,
                "Incident runbook",
                "1. Page the on-call. 2. Open a channel. 3. Write the timeline.",
                BOB_COMMENT,
                "Step 2 should link the status page template.",
            ),
        ];
        for (owner, team_id, name, description, doc_id, title, body, comment_id, comment) in seeds {
            let at = store.now();
            store.teams.push(Team {
                id: team_id,
                name: name.to_string(),
                description: description.map(str::to_string),
                owner_id: owner,
                plan: Plan::Free,
                members: vec![Membership {
                    user_id: owner,
                    role: MemberRole::Owner,
                    added_at: at,
                }],
                created_at: at,
                updated_at: at,
            });
            let at = store.now();
            store.documents.push(Document {
                id: doc_id,
                team_id,
                title: title.to_string(),
                body: body.to_string(),
                status: DocStatus::Active,
                author_id: owner,
                archived_at: None,
                created_at: at,
                updated_at: at,
            });
            let at = store.now();
            store.comments.push(Comment {
                id: comment_id,
                document_id: doc_id,
                author_id: owner,
                body: comment.to_string(),
                created_at: at,
            });
        }
        store
    }

    /// Advances the logical clock and returns the new time.
    pub(crate) fn now(&mut self) -> Timestamp {
        self.clock += CLOCK_STEP;
        Timestamp(CLOCK_ORIGIN + self.clock)
    }

    /// Appends an audit entry by `actor`.
    pub(crate) fn audit(&mut self, actor: Uuid, action: AuditAction) {
        let at = self.now();
        let actor = self
            .user(actor)
            .map(|u| u.username.clone())
            .unwrap_or_else(|| actor.to_string());
        let sequence = self.audit.len() as u64 + 1;
        self.audit.push(AuditEntry {
            sequence,
            at,
            actor,
            action,
        });
    }

    pub(crate) fn user(&self, id: Uuid) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub(crate) fn user_by_key(&self, key: &str) -> Option<&User> {
        self.users.iter().find(|u| u.api_key == key)
    }

    pub(crate) fn team(&self, id: Uuid) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    pub(crate) fn team_mut(&mut self, id: Uuid) -> Option<&mut Team> {
        self.teams.iter_mut().find(|t| t.id == id)
    }

    pub(crate) fn document(&self, id: Uuid) -> Option<&Document> {
        self.documents.iter().find(|d| d.id == id)
    }

    pub(crate) fn document_mut(&mut self, id: Uuid) -> Option<&mut Document> {
        self.documents.iter_mut().find(|d| d.id == id)
    }

    pub(crate) fn comment(&self, id: Uuid) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id)
    }

    pub(crate) fn share(&self, id: Uuid) -> Option<&Share> {
        self.shares.iter().find(|s| s.id == id)
    }

    /// Inserts a comment, refusing bodies longer than the column.
    pub(crate) fn insert_comment(&mut self, comment: Comment) -> Result<&Comment, StoreError> {
        if comment.body.chars().count() > COMMENT_COLUMN_CHARS {
            return Err(StoreError::ValueTooLong {
                column: "comments.body",
                max: COMMENT_COLUMN_CHARS,
            });
        }
        self.comments.push(comment);
        let last = self.comments.len() - 1;
        Ok(&self.comments[last])
    }

    /// Deletes a document with its comments and share links.
    pub(crate) fn delete_document(&mut self, id: Uuid) {
        self.documents.retain(|d| d.id != id);
        self.comments.retain(|c| c.document_id != id);
        self.shares.retain(|s| s.document_id != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_the_origin_is_new_year_2025() {
        assert_eq!(Timestamp(CLOCK_ORIGIN).rfc3339(), "2025-01-01T00:00:00Z");
        assert_eq!(
            Timestamp(CLOCK_ORIGIN + 61).rfc3339(),
            "2025-01-01T00:01:01Z"
        );
    }

    #[test]
    fn seed_is_deterministic_and_complete() {
        let a = Store::seeded();
        let b = Store::seeded();
        assert_eq!(a.users.len(), 3);
        assert_eq!(a.teams.len(), 2);
        assert_eq!(a.documents.len(), 2);
        assert_eq!(a.comments.len(), 2);
        assert_eq!(
            a.teams.iter().map(|t| t.id).collect::<Vec<_>>(),
            b.teams.iter().map(|t| t.id).collect::<Vec<_>>()
        );
        assert_eq!(a.clock, b.clock);
    }

    #[test]
    fn store_refuses_overlong_comment() {
        let mut s = Store::seeded();
        let err = s
            .insert_comment(Comment {
                id: Uuid::new_v4(),
                document_id: ALICE_DOC,
                author_id: ALICE,
                body: "x".repeat(COMMENT_COLUMN_CHARS + 1),
                created_at: Timestamp(0),
            })
            .err();
        assert_eq!(
            err,
            Some(StoreError::ValueTooLong {
                column: "comments.body",
                max: COMMENT_COLUMN_CHARS
            })
        );
    }
}

//! JSON shapes of the answers, one per schema of `corpus/specs/notes.yaml`, and the request
//! bodies.

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use super::store::{
    AuditAction, AuditEntry, Comment, DocStatus, Document, MemberRole, Membership, Plan, Role,
    Share, Store, Team, User,
};

/// `User`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserView {
    id: Uuid,
    username: String,
    display_name: String,
    role: Role,
    suspended: bool,
    created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            suspended: u.suspended,
            created_at: u.created_at.rfc3339(),
        }
    }
}

/// `Team`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TeamView {
    id: Uuid,
    name: String,
    description: Option<String>,
    owner_id: Uuid,
    plan: Plan,
    member_count: usize,
    created_at: String,
    updated_at: String,
}

impl From<&Team> for TeamView {
    fn from(t: &Team) -> Self {
        TeamView {
            id: t.id,
            name: t.name.clone(),
            description: t.description.clone(),
            owner_id: t.owner_id,
            plan: t.plan,
            member_count: t.members.len(),
            created_at: t.created_at.rfc3339(),
            updated_at: t.updated_at.rfc3339(),
        }
    }
}

/// `Member`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemberView {
    user_id: Uuid,
    username: String,
    role: MemberRole,
    added_at: String,
}

impl MemberView {
    pub(crate) fn new(store: &Store, m: &Membership) -> Self {
        MemberView {
            user_id: m.user_id,
            username: store
                .user(m.user_id)
                .map(|u| u.username.clone())
                .unwrap_or_default(),
            role: m.role,
            added_at: m.added_at.rfc3339(),
        }
    }
}

/// `Document`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocumentView {
    id: Uuid,
    team_id: Uuid,
    title: String,
    body: String,
    status: DocStatus,
    author_id: Uuid,
    pub(crate) archived_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<&Document> for DocumentView {
    fn from(d: &Document) -> Self {
        DocumentView {
            id: d.id,
            team_id: d.team_id,
            title: d.title.clone(),
            body: d.body.clone(),
            status: d.status,
            author_id: d.author_id,
            archived_at: d.archived_at.map(|t| t.rfc3339()),
            created_at: d.created_at.rfc3339(),
            updated_at: d.updated_at.rfc3339(),
        }
    }
}

/// `Comment`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommentView {
    id: Uuid,
    document_id: Uuid,
    author_id: Uuid,
    body: String,
    created_at: String,
}

impl From<&Comment> for CommentView {
    fn from(c: &Comment) -> Self {
        CommentView {
            id: c.id,
            document_id: c.document_id,
            author_id: c.author_id,
            body: c.body.clone(),
            created_at: c.created_at.rfc3339(),
        }
    }
}

/// `ShareLink`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ShareView {
    id: Uuid,
    document_id: Uuid,
    url: String,
    access: &'static str,
    created_by: Uuid,
    created_at: String,
}

impl From<&Share> for ShareView {
    fn from(s: &Share) -> Self {
        ShareView {
            id: s.id,
            document_id: s.document_id,
            url: share_url(s.id),
            access: "read",
            created_by: s.created_by,
            created_at: s.created_at.rfc3339(),
        }
    }
}

/// The path a share link is fetched at.
pub(crate) fn share_url(id: Uuid) -> String {
    format!("/shares/{id}")
}

/// `SharedDocument`: what the public share link shows.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SharedDocumentView {
    share_id: Uuid,
    access: &'static str,
    title: String,
    body: String,
    updated_at: String,
}

impl SharedDocumentView {
    pub(crate) fn new(share: &Share, doc: &Document) -> Self {
        SharedDocumentView {
            share_id: share.id,
            access: "read",
            title: doc.title.clone(),
            body: doc.body.clone(),
            updated_at: doc.updated_at.rfc3339(),
        }
    }
}

/// `AuditEntry`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuditEntryView {
    sequence: u64,
    at: String,
    actor: String,
    action: AuditAction,
}

impl From<&AuditEntry> for AuditEntryView {
    fn from(e: &AuditEntry) -> Self {
        AuditEntryView {
            sequence: e.sequence,
            at: e.at.rfc3339(),
            actor: e.actor.clone(),
            action: e.action,
        }
    }
}

// ---- request bodies ----

/// `TeamCreate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TeamCreate {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

/// `TeamUpdate`. `plan` is not part of the declared schema: it is read-only for everyone and
/// only `PUT /admin/teams/{teamId}/plan` sets it; it is parsed so the handler can refuse it
/// with a clear message.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TeamUpdate {
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Absent: unchanged; `null`: cleared.
    #[serde(default, deserialize_with = "present")]
    pub(crate) description: Option<Option<String>>,
    #[serde(default)]
    pub(crate) plan: Option<Plan>,
}

/// `MemberAdd`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct MemberAdd {
    pub(crate) user_id: Uuid,
}

/// `DocumentCreate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentCreate {
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) body: String,
}

/// `DocumentUpdate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentUpdate {
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) body: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<DocStatus>,
}

/// `CommentCreate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentCreate {
    pub(crate) body: String,
}

/// `PlanChange`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanChange {
    pub(crate) plan: Plan,
}

/// Tells a present `null` (`Some(None)`) from an absent field (`None`, via `default`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

//! The forum's in-memory database, its seed and the session table.
//!
//! Every object is keyed by a natural key: users by `username`, snippets by `title`, notebooks
//! by `name`. Owners are kept as usernames; a notebook renders its owner's *current* email.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::Mode;

/// A user's role. `role` is read-only: no request may set it (planted bugs aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    User,
    Admin,
}

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) password: String,
    pub(crate) bio: String,
    pub(crate) role: Role,
    pub(crate) api_secret: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Snippet {
    pub(crate) title: String,
    pub(crate) code: String,
    /// The owner's username.
    pub(crate) author: String,
    pub(crate) secret_note: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Notebook {
    pub(crate) name: String,
    pub(crate) content: String,
    /// The owner's username (rendered as the owner's email).
    pub(crate) owner: String,
}

/// Everything `POST /__reset` restores.
#[derive(Clone, Debug, Default)]
pub(crate) struct Db {
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) snippets: BTreeMap<String, Snippet>,
    pub(crate) notebooks: BTreeMap<String, Notebook>,
    /// Counter behind the generated secrets; restarts on reset so runs are deterministic.
    serial: u64,
}

/// Seeded accounts: (username, password, role, apiSecret). The identities file logs in with
/// these; emails are `<username>@forum.test`.
pub(crate) const SEED_USERS: [(&str, &str, Role, &str); 3] = [
    (
        "alice",
        "alice-forum-pw-1",
        Role::User,
        "fsk_alice_9c41e2d07b3a",
    ),
    ("bob", "bob-forum-pw-2", Role::User, "fsk_bob_5e8a13f6c920"),
    (
        "root",
        "root-forum-pw-3",
        Role::Admin,
        "fsk_root_27d0b94e6a1c",
    ),
];

/// Seeded snippets: (title, author, code, secretNote). The titles are found only through
/// `GET /api/v2/snippets`.
pub(crate) const SEED_SNIPPETS: [(&str, &str, &str, &str); 3] = [
    (
        "alice-draft-7f3a",
        "alice",
        "fn main() { println!(\"draft\"); }",
        "alice's staging password is hunter2-7f3a",
    ),
    (
        "bob-scratch-e19c",
        "bob",
        "SELECT * FROM orders WHERE total > 100;",
        "bob's card ends in 4242",
    ),
    (
        "root-runbook-52d8",
        "root",
        "systemctl restart forum",
        "the backup key is in vault path ops/52d8",
    ),
];

/// Seeded notebooks: (name, owner, content). No operation lists notebooks.
pub(crate) const SEED_NOTEBOOKS: [(&str, &str, &str); 3] = [
    (
        "alice-journal-b6e2",
        "alice",
        "Monday: fixed the flaky test.",
    ),
    (
        "bob-ideas-0d4f",
        "bob",
        "A forum for snippets of notebooks.",
    ),
    ("root-oncall-93a1", "root", "Pager rotation: alice, bob."),
];

impl Db {
    /// The seeded state: three accounts, one snippet and one notebook each.
    pub(crate) fn seed() -> Db {
        let mut db = Db::default();
        for (username, password, role, secret) in SEED_USERS {
            db.users.insert(
                username.to_string(),
                User {
                    username: username.to_string(),
                    email: format!("{username}@forum.test"),
                    password: password.to_string(),
                    bio: format!("Hi, I am {username}."),
                    role,
                    api_secret: secret.to_string(),
                },
            );
        }
        for (title, author, code, note) in SEED_SNIPPETS {
            db.snippets.insert(
                title.to_string(),
                Snippet {
                    title: title.to_string(),
                    code: code.to_string(),
                    author: author.to_string(),
                    secret_note: note.to_string(),
                },
            );
        }
        for (name, owner, content) in SEED_NOTEBOOKS {
            db.notebooks.insert(
                name.to_string(),
                Notebook {
                    name: name.to_string(),
                    content: content.to_string(),
                    owner: owner.to_string(),
                },
            );
        }
        db
    }

    /// A fresh opaque secret with `prefix`, deterministic within a run from a reset.
    pub(crate) fn secret(&mut self, prefix: &str, salt: &str) -> String {
        self.serial += 1;
        format!("{prefix}{:012x}", fnv(salt, self.serial) & 0xffff_ffff_ffff)
    }

    /// The email of `username`, if the account exists.
    pub(crate) fn email_of(&self, username: &str) -> Option<&str> {
        self.users.get(username).map(|u| u.email.as_str())
    }

    /// Whether an account other than `except` uses `email`.
    pub(crate) fn email_taken(&self, email: &str, except: Option<&str>) -> bool {
        self.users
            .values()
            .any(|u| u.email == email && Some(u.username.as_str()) != except)
    }
}

/// FNV-1a over `salt` and `n`: a cheap, deterministic scrambler for generated secrets.
fn fnv(salt: &str, n: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in salt.bytes().chain(n.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The state every handler gets: the mode, the database and the sessions.
pub(crate) struct Forum {
    mode: Mode,
    db: Mutex<Db>,
    /// Bearer token → username. Sessions survive a reset (the tool logs in once); a token
    /// whose account no longer exists authenticates nobody.
    sessions: Mutex<HashMap<String, String>>,
}

/// What handlers hold.
pub(crate) type Shared = Arc<Forum>;

impl Forum {
    pub(crate) fn new(mode: Mode) -> Shared {
        Arc::new(Forum {
            mode,
            db: Mutex::new(Db::seed()),
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// Whether the planted bugs are off.
    pub(crate) fn secure(&self) -> bool {
        self.mode == Mode::Secure
    }

    /// The database, even if a previous holder panicked (the data is plain values).
    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Restores the seed.
    pub(crate) fn reset(&self) {
        *self.db() = Db::seed();
    }

    /// Records `token` as a session of `username`.
    pub(crate) fn open_session(&self, token: String, username: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token, username.to_string());
    }

    /// The username a token was issued to.
    pub(crate) fn session_user(&self, token: &str) -> Option<String> {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_has_an_object_of_each_kind_per_user() {
        let db = Db::seed();
        for (name, ..) in SEED_USERS {
            assert!(db.snippets.values().any(|s| s.author == name), "{name}");
            assert!(db.notebooks.values().any(|n| n.owner == name), "{name}");
            assert_eq!(
                db.email_of(name),
                Some(format!("{name}@forum.test").as_str())
            );
        }
        assert!(db.email_taken("bob@forum.test", Some("alice")));
        assert!(!db.email_taken("bob@forum.test", Some("bob")));
    }

    #[test]
    fn secrets_differ_and_restart_with_the_seed() {
        let mut a = Db::seed();
        let first = a.secret("fsk_", "eve");
        let second = a.secret("fsk_", "eve");
        assert_ne!(first, second);
        assert_eq!(Db::seed().secret("fsk_", "eve"), first);
        assert_eq!(first.len(), "fsk_".len() + 12);
    }
}

//! trespass used from `cargo test` the way an outside user would: the tests of this crate
//! start a demo target in-process, point [`trespass::Harness`] at its spec and identities
//! files, and snapshot what it finds with `trespass::assert_findings_snapshot!` (snapshots in
//! `tests/snapshots/`, reviewed with `cargo insta review`).
//!
//! The crate has no code of its own; see `tests/`.

#![warn(missing_docs)]

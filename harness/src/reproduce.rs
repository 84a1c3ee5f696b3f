//! Reproducers kept next to every finding file: a curl script that replays the minimized
//! sequence against a live target, and a Rust regression test a user pastes into their suite.
//!
//! Both are written by the campaign, once the finding is saved, as `<stem>.sh` (executable)
//! and `<stem>.rs` beside `<stem>.json` ([`write_beside`]). Neither ever holds a credential: the script reads them
//! from environment variables named after the identity ([`env_var`]), and every literal it
//! holds went through the [`crate::redact::Redactor`].
//!
//! The script needs bash, curl and jq. Values taken from earlier responses (ids in a body, the
//! `Location` header) are captured with jq at run time, as the executor does; parameter styles
//! follow the spec when the model is known.

mod credentials;
mod curl;
mod header;
mod rust_test;
mod shell;

use std::path::{Path, PathBuf};

use trespass_generators::model::ApiModel;

pub use credentials::env_var;
pub use curl::curl_script;
pub use rust_test::rust_test;

use crate::artifact::{write_atomically, write_executable};
use crate::finding::Finding;
use crate::identity::IdentityFile;
#[cfg(test)]
use credentials::INVALID_CREDENTIAL;
#[cfg(test)]
use shell::{jq_path, sq};

/// The files [`write_beside`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reproducers {
    /// The curl script (`<stem>.sh`, mode 0755).
    pub script: PathBuf,
    /// The Rust regression test (`<stem>.rs`).
    pub test: PathBuf,
}

/// Writes the curl script and the Rust test of `finding`, saved at `json_path`, next to it
/// (atomically). `model` gives the script parameter styles and `identities` how each identity
/// authenticates (the campaign passes its own); without them the script still runs, with
/// default parameter styles and one `TRESPASS_AUTH_<IDENTITY>` header per identity.
pub fn write_beside(
    json_path: &Path,
    finding: &Finding,
    model: Option<&ApiModel>,
    identities: Option<&IdentityFile>,
) -> std::io::Result<Reproducers> {
    let script = curl_script(finding, model, identities, json_path);
    let script_path = json_path.with_extension("sh");
    write_executable(&script_path, script.as_bytes())?;
    let test_path = json_path.with_extension("rs");
    write_atomically(&test_path, rust_test(finding, json_path).as_bytes())?;
    Ok(Reproducers {
        script: script_path,
        test: test_path,
    })
}

#[cfg(test)]
mod tests;

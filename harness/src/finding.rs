//! A [`Finding`]: one unique violation with the minimized sequence that shows it, its redacted
//! trace, and what is needed to replay it (seed, case, spec hash); and the [`FindingStore`] that
//! keeps findings as `<signature>.json` files in a corpus folder.
//!
//! A finding file is written (atomically: a temporary file renamed into place) as soon as the
//! violation is confirmed, and rewritten when shrinking ends, so a run that dies mid-shrink
//! still leaves a replayable file behind. The sequence is stored concretely (values, not
//! strategies; references to earlier responses stay symbolic), so a finding replays the same
//! after the generators change.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{AuthMode, Role, Sequence};

use crate::artifact::write_atomically;
use crate::exec::{LoginCheck, Purpose, Received, ResponseBody, Trace, TraceIndex};
use crate::oracle::{Signature, Violation};
use crate::redact::Redactor;
pub use crate::shrink::ShrinkStats;

/// The version of the finding's JSON form; bumped on incompatible changes.
pub const FINDING_FORMAT_VERSION: u32 = 1;

/// One unique finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// [`FINDING_FORMAT_VERSION`] of the writer.
    #[serde(default = "format_version")]
    pub format_version: u32,
    /// The oracle that fired (`bola`).
    pub oracle: String,
    /// The operation it is about (`GET /orders/{orderId}`).
    pub operation: OperationId,
    /// `oracle operation [roles]`: what deduplicates findings.
    pub signature: Signature,
    /// Roles involved, acting identity first.
    pub roles: Vec<Role>,
    /// What happened, in one sentence.
    pub message: String,
    /// The invariant or policy rule it broke.
    pub rule: String,
    /// What tells it apart from violations of the same oracle, operation and roles, readable
    /// and redacted (`server-error`: the fingerprint of the error answer, `500
    /// application/json: internal error: cannot price <v>`); the signature ends with a short
    /// hash of it. Absent for other oracles, and in files written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// How many other sequences were running on the same target when it was first seen (0
    /// when it ran alone, and in files written before it). A finding first seen with others
    /// in flight and not reproduced alone may be theirs.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub in_flight: u32,
    /// Whether a replay of the sequence alone (on a freshly reset target, when a reset is
    /// configured) showed it again.
    pub confirmed: bool,
    /// Whether the minimized sequence failed to show the violation in at least one of its
    /// final confirmation runs: the finding is kept but reported apart.
    #[serde(default)]
    pub flaky: bool,
    /// How many cases showed this signature.
    pub count: u64,
    /// The case (generated sequence number) that first showed it.
    pub case: u64,
    /// The run's seed: `--seed SEED` regenerates case `case`.
    pub seed: u64,
    /// When case `case` was a coverage-feedback case: the operation its focused extension
    /// aimed at (see [`crate::campaign::Campaign::tree_for`]), from which the sequence is
    /// regenerated. The saved steps replay as they are either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<OperationId>,
    /// The spec, identities and target the finding was found with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Index in `steps` (a trace index) of the step that shows the violation.
    pub step: TraceIndex,
    /// The exchanges of the run that showed it (after shrinking: of the last confirmation),
    /// redacted.
    pub steps: Vec<StepReport>,
    /// The sequence (minimized once shrinking ran), with concrete values and symbolic
    /// references to earlier responses, redacted. This is what `trespass replay` runs.
    pub sequence: Sequence,
    /// How shrinking went, once it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrink: Option<ShrinkStats>,
}

fn format_version() -> u32 {
    FINDING_FORMAT_VERSION
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Where a finding came from: the spec (with the SHA-256 of its text, so a replay can warn
/// when the spec changed), the identities file and the target, as given to the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The spec's path as given, or `embedded:<service>` for a demo target.
    pub spec: String,
    /// Hex SHA-256 of the spec's text.
    pub spec_sha256: String,
    /// The identities file's path as given, or `embedded:<service>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities: Option<String>,
    /// The target's base URL (credentials in it redacted); absent for embedded demo targets,
    /// whose port changes every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl Origin {
    /// The origin of findings on the spec loaded from `spec` whose text is `text`.
    pub fn new(spec: impl Into<String>, text: &str) -> Self {
        Self {
            spec: spec.into(),
            spec_sha256: sha256_hex(text.as_bytes()),
            identities: None,
            base_url: None,
        }
    }

    /// The origin of findings on an embedded demo service whose spec text is `spec_text`:
    /// spec and identities are `embedded:<service>`, and there is no base URL.
    pub fn embedded(service: impl std::fmt::Display, spec_text: &str) -> Self {
        let name = format!("embedded:{service}");
        Self::new(name.clone(), spec_text).identities(name)
    }

    /// The embedded demo service the findings come from (`shop` for `embedded:shop`), if any.
    pub fn embedded_service(&self) -> Option<&str> {
        self.spec.strip_prefix("embedded:")
    }

    /// With the identities file's path.
    pub fn identities(mut self, path: impl Into<String>) -> Self {
        self.identities = Some(path.into());
        self
    }

    /// With the target's base URL (redacted by the caller).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One exchange of a finding's trace, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Position in the trace.
    pub index: TraceIndex,
    /// `sequence`, or a step the executor added (its re-reads and login checks).
    pub purpose: StepPurpose,
    /// For a step of the sequence (or a growth probe before one), the step's index in the
    /// sequence (`sequence.steps`): a step the run skipped (a value it needed was missing) has
    /// no report, so reports and steps need not line up. Absent in files written before it was
    /// recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_step: Option<usize>,
    /// Who sent it.
    pub identity: String,
    /// The identity's role.
    pub role: Role,
    /// How it authenticated (`normal`, `none`, `invalid`).
    pub auth: AuthMode,
    /// HTTP method.
    pub method: String,
    /// The concrete path with its query, redacted.
    pub path: String,
    /// The JSON body sent, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    /// The status, when the target answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The body received (JSON, or text), redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<Value>,
    /// What went wrong when there was no answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Milliseconds from sending to the end of the body.
    pub elapsed_ms: u64,
}

/// Why a reported step was sent, as finding files name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepPurpose {
    /// A step of the sequence.
    Sequence,
    /// The owner's re-read of an object before another identity's write.
    VerifyBefore,
    /// The owner's re-read of an object after another identity's write.
    VerifyAfter,
    /// The account holder's configured login before another identity's change of its
    /// credentials.
    LoginBefore,
    /// The account holder's configured login after that change.
    LoginAfter,
    /// A login as the account holder with the other identity's new credential.
    LoginChanged,
    /// The request of the step before it again, with plain values in place of its attack
    /// payloads (the `injection` oracle's control).
    PlainTwin,
    /// The request of the step after it with its long string shorter (the `redos` oracle's
    /// growth probe).
    Growth,
}

impl StepPurpose {
    /// The name finding files give it (`sequence`, `verify_before`, `verify_after`,
    /// `login_before`, `login_after`, `login_changed`, `plain_twin`, `growth`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepPurpose::Sequence => "sequence",
            StepPurpose::VerifyBefore => "verify_before",
            StepPurpose::VerifyAfter => "verify_after",
            StepPurpose::LoginBefore => "login_before",
            StepPurpose::LoginAfter => "login_after",
            StepPurpose::LoginChanged => "login_changed",
            StepPurpose::PlainTwin => "plain_twin",
            StepPurpose::Growth => "growth",
        }
    }
}

impl std::str::FromStr for StepPurpose {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            StepPurpose::Sequence,
            StepPurpose::VerifyBefore,
            StepPurpose::VerifyAfter,
            StepPurpose::LoginBefore,
            StepPurpose::LoginAfter,
            StepPurpose::LoginChanged,
            StepPurpose::PlainTwin,
            StepPurpose::Growth,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
        .ok_or_else(|| format!("`{s}` is not a step purpose"))
    }
}

impl From<Purpose> for StepPurpose {
    fn from(purpose: Purpose) -> Self {
        match purpose {
            Purpose::Sequence { .. } => StepPurpose::Sequence,
            Purpose::VerifyBefore { .. } => StepPurpose::VerifyBefore,
            Purpose::VerifyAfter { .. } => StepPurpose::VerifyAfter,
            Purpose::LoginCheck { check, .. } => match check {
                LoginCheck::Before => StepPurpose::LoginBefore,
                LoginCheck::Configured => StepPurpose::LoginAfter,
                LoginCheck::Changed => StepPurpose::LoginChanged,
            },
            Purpose::PlainTwin { .. } => StepPurpose::PlainTwin,
            Purpose::Growth { .. } => StepPurpose::Growth,
        }
    }
}

impl Finding {
    /// The finding of `violation`, seen in case `case` whose trace is `trace`.
    pub fn new(
        violation: &Violation,
        sequence: &Sequence,
        trace: &Trace,
        case: u64,
        seed: u64,
        redactor: &Redactor,
    ) -> Self {
        Self {
            format_version: FINDING_FORMAT_VERSION,
            oracle: violation.oracle.clone(),
            operation: violation.operation.clone(),
            signature: violation.signature(),
            roles: violation.roles.clone(),
            message: redactor.text(&violation.message),
            rule: violation.rule.clone(),
            cause: violation.cause.as_deref().map(|c| redactor.text(c)),
            in_flight: 0,
            confirmed: false,
            flaky: false,
            count: 1,
            case,
            seed,
            focus: None,
            origin: None,
            step: violation.step,
            steps: steps_of(trace, redactor),
            sequence: redactor.sequence(sequence),
            shrink: None,
        }
    }

    /// Takes the run that showed the violation again (a confirmation or the minimized
    /// sequence's last run) as the finding's evidence.
    pub fn set_evidence(
        &mut self,
        violation: &Violation,
        sequence: &Sequence,
        trace: &Trace,
        redactor: &Redactor,
    ) {
        self.message = redactor.text(&violation.message);
        self.rule = redactor.text(&violation.rule);
        if let Some(cause) = &violation.cause {
            self.cause = Some(redactor.text(cause));
        }
        self.step = violation.step;
        self.steps = steps_of(trace, redactor);
        self.sequence = redactor.sequence(sequence);
    }

    /// The identities that act in the reported steps, in order of appearance.
    pub fn identities(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.steps {
            if !out.contains(&s.identity.as_str()) {
                out.push(&s.identity);
            }
        }
        out
    }

    /// The identities that send a step of the stored sequence, in order of appearance.
    pub fn sequence_identities(&self) -> Vec<&str> {
        self.sequence
            .identities()
            .into_iter()
            .map(|i| i.as_str())
            .collect()
    }

    /// `confirmed`, `flaky` or `unconfirmed`.
    pub fn status(&self) -> &'static str {
        match (self.confirmed, self.flaky) {
            (true, false) => "confirmed",
            (true, true) => "flaky",
            (false, _) => "unconfirmed",
        }
    }

    /// The step that shows the violation, if the finding recorded it.
    pub fn violating_step(&self) -> Option<&StepReport> {
        self.steps.get(self.step.0)
    }

    /// `seen only with 3 other sequences in flight` (not reproduced alone) or `first seen
    /// with 1 other sequence in flight`; `None` when it was first seen running alone.
    pub fn in_flight_note(&self) -> Option<String> {
        if self.in_flight == 0 {
            return None;
        }
        let n = self.in_flight;
        let others = if n == 1 { "sequence" } else { "sequences" };
        let seen = if self.confirmed {
            "first seen"
        } else {
            "seen only"
        };
        Some(format!("{seen} with {n} other {others} in flight"))
    }

    /// One line for the terminal: `[bola] GET /x/{id} (user,user): message`.
    pub fn headline(&self) -> String {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        let status = match self.status() {
            "confirmed" => String::new(),
            other => format!(" ({other})"),
        };
        format!(
            "[{}] {} ({}){status}: {}",
            self.oracle,
            self.operation,
            roles.join(","),
            self.message
        )
    }

    /// The steps of the stored sequence, one line each (`alice POST /orders`), as a person
    /// would write the reproducer.
    pub fn sequence_lines(&self) -> Vec<String> {
        self.sequence
            .steps
            .iter()
            .enumerate()
            .map(|(n, s)| format!("{}. {} {}{}", n + 1, s.identity, s.op, auth_note(s.auth)))
            .collect()
    }
}

/// The name `auth` has in finding files (`normal`, `none`, `invalid`).
fn auth_name(auth: AuthMode) -> Option<String> {
    serde_json::to_value(auth)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// What a step line adds for a step that does not send its identity's own credentials
/// (` (auth: none)`); empty for [`AuthMode::Normal`].
pub(crate) fn auth_note(auth: AuthMode) -> String {
    match auth {
        AuthMode::Normal => String::new(),
        other => format!(" (auth: {})", auth_name(other).unwrap_or_default()),
    }
}

/// The exchanges of `trace` as reported, redacted.
pub fn steps_of(trace: &Trace, redactor: &Redactor) -> Vec<StepReport> {
    trace
        .steps
        .iter()
        .map(|s| {
            let request = &s.exchange.request;
            let (status, response_body, error) = match &s.exchange.outcome {
                Received::Response(r) => (
                    Some(r.status),
                    match &r.body {
                        ResponseBody::Empty => None,
                        ResponseBody::Json(v) => Some(redactor.json(v)),
                        ResponseBody::Text(t) => Some(Value::String(redactor.text(t))),
                        ResponseBody::Binary(n) => Some(Value::String(format!("<{n} bytes>"))),
                    },
                    None,
                ),
                Received::Error { message, .. } => (None, None, Some(redactor.text(message))),
            };
            StepReport {
                index: s.index,
                purpose: s.purpose.into(),
                sequence_step: match s.purpose {
                    Purpose::Sequence { step } | Purpose::Growth { step, .. } => Some(step.0),
                    _ => None,
                },
                identity: s.identity.as_str().to_string(),
                role: s.role,
                auth: s.exchange.auth,
                method: request.method.clone(),
                path: redactor.url(&request.path_and_query()),
                request_body: s.body.as_ref().map(|b| redactor.json(b)),
                status,
                response_body,
                error,
                elapsed_ms: u64::try_from(s.exchange.elapsed.as_millis()).unwrap_or(u64::MAX),
            }
        })
        .collect()
}

/// Why a finding file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FindingError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a finding.
    #[error("{path}: not a trespass finding: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What serde said (with line and column).
        message: String,
    },
    /// The file was written by a newer trespass.
    #[error(
        "{path}: finding format version {found} is newer than this trespass reads ({FINDING_FORMAT_VERSION})"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
    },
}

impl Finding {
    /// Reads a finding file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, FindingError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FindingError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses the text of a finding file read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, FindingError> {
        let finding: Finding = serde_json::from_str(text).map_err(|e| FindingError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if finding.format_version > FINDING_FORMAT_VERSION {
            return Err(FindingError::Version {
                path: path.to_path_buf(),
                found: finding.format_version,
            });
        }
        Ok(finding)
    }

    /// The finding as the pretty JSON of its file.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        text
    }
}

/// A folder of finding files, one `<signature>.json` per signature (`corpus/findings` by
/// default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingStore {
    dir: PathBuf,
}

impl FindingStore {
    /// The store in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the finding of `signature` is kept.
    pub fn path_of(&self, signature: &Signature) -> PathBuf {
        self.dir.join(format!("{}.json", signature.file_stem()))
    }

    /// Writes `finding` atomically, replacing an earlier file of the same signature. Returns
    /// the file's path. (Its reproducers, written beside it by the campaign, are
    /// [`crate::reproduce`]'s.)
    pub fn save(&self, finding: &Finding) -> Result<PathBuf, FindingError> {
        let path = self.path_of(&finding.signature);
        write_atomically(&path, finding.to_json().as_bytes()).map_err(|source| {
            FindingError::Io {
                path: path.clone(),
                source,
            }
        })?;
        Ok(path)
    }

    /// Every finding in the folder, sorted by signature. A missing folder holds none; a file
    /// that is not a finding is an error naming it.
    pub fn load_all(&self) -> Result<Vec<(PathBuf, Finding)>, FindingError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(FindingError::Io {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| FindingError::Io {
                path: self.dir.clone(),
                source,
            })?;
            let path = entry.path();
            let is_finding = path.extension().is_some_and(|e| e == "json")
                && !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if is_finding {
                let finding = Finding::load(&path)?;
                out.push((path, finding));
            }
        }
        out.sort_by(|a, b| a.1.signature.cmp(&b.1.signature));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use trespass_generators::sequence::{Args, IdentityId, Step};

    use super::*;

    fn finding(oracle: &str) -> Finding {
        let operation = OperationId::parse("GET /orders/{orderId}").unwrap();
        let violation = Violation {
            oracle: oracle.into(),
            operation: operation.clone(),
            roles: vec![Role::User, Role::User],
            step: TraceIndex(1),
            message: "bob read alice's order".into(),
            rule: "objects are private to their owner".into(),
            cause: None,
        };
        let sequence = Sequence {
            steps: vec![Step {
                identity: IdentityId::new("bob"),
                op: operation,
                auth: AuthMode::Normal,
                args: Args::default(),
                violates: Vec::new(),
            }],
        };
        Finding::new(
            &violation,
            &sequence,
            &Trace::default(),
            3,
            7,
            &Redactor::new(),
        )
    }

    #[test]
    fn the_store_round_trips_and_replaces_by_signature() {
        let dir = tempfile::tempdir().unwrap();
        let store = FindingStore::new(dir.path().join("findings"));
        assert!(
            store.load_all().unwrap().is_empty(),
            "a missing folder holds none"
        );
        let mut first = finding("bola");
        let path = store.save(&first).unwrap();
        assert!(path.starts_with(store.dir()));
        first.flaky = true;
        first.confirmed = true;
        store.save(&first).unwrap();
        store.save(&finding("list-leak")).unwrap();
        let all = store.load_all().unwrap();
        assert_eq!(all.len(), 2, "one file per signature");
        assert_eq!(all[0].1, first, "the second save replaced the first");
        assert_eq!(all[0].1.status(), "flaky");
        assert_eq!(all[1].1.oracle, "list-leak");
    }

    #[test]
    fn files_without_cause_or_in_flight_still_load() {
        let mut json = serde_json::to_value(finding("server-error")).unwrap();
        assert!(json.get("cause").is_none() && json.get("in_flight").is_none());
        let old: Finding = serde_json::from_value(json.clone()).unwrap();
        assert_eq!((old.cause.as_deref(), old.in_flight), (None, 0));
        assert_eq!(old.in_flight_note(), None);
        json["cause"] = "500 text/plain: boom".into();
        json["in_flight"] = 3.into();
        let new: Finding = serde_json::from_value(json).unwrap();
        assert_eq!(new.cause.as_deref(), Some("500 text/plain: boom"));
        assert_eq!(
            new.in_flight_note().as_deref(),
            Some("seen only with 3 other sequences in flight")
        );
        let confirmed = Finding {
            confirmed: true,
            in_flight: 1,
            ..new
        };
        assert_eq!(
            confirmed.in_flight_note().as_deref(),
            Some("first seen with 1 other sequence in flight")
        );
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, "{\"oracle\": 3}").unwrap();
        let e = Finding::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("x.json") && e.contains("not a trespass finding"),
            "{e}"
        );

        let mut newer = serde_json::to_value(finding("bola")).unwrap();
        newer["format_version"] = 99.into();
        std::fs::write(&path, newer.to_string()).unwrap();
        let e = Finding::load(&path).unwrap_err().to_string();
        assert!(e.contains("version 99"), "{e}");

        let e = Finding::load(dir.path().join("missing.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.json"), "{e}");
    }

    #[test]
    fn step_purposes_keep_their_names() {
        for purpose in [
            StepPurpose::Sequence,
            StepPurpose::VerifyBefore,
            StepPurpose::VerifyAfter,
            StepPurpose::LoginBefore,
            StepPurpose::LoginAfter,
            StepPurpose::LoginChanged,
        ] {
            let json = serde_json::to_value(purpose).unwrap();
            assert_eq!(json, Value::String(purpose.as_str().into()));
            assert_eq!(purpose.as_str().parse::<StepPurpose>(), Ok(purpose));
        }
        assert!("verify".parse::<StepPurpose>().is_err());
    }

    #[test]
    fn the_origin_hashes_the_spec_text() {
        let a = Origin::new("a.yaml", "openapi: 3.0.0");
        assert_eq!(a.spec_sha256.len(), 64);
        assert_eq!(a, Origin::new("a.yaml", "openapi: 3.0.0"));
        assert_ne!(
            a.spec_sha256,
            Origin::new("a.yaml", "openapi: 3.1.0").spec_sha256
        );
    }
}

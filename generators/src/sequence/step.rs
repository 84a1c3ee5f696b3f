//! The data of a sequence: steps as identities, with arguments that are concrete values or
//! references to earlier responses. Serializable: findings store the minimized sequence, which
//! must replay even after the generators change.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::OperationId;

/// The name of an identity, as in the identities file (`alice`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdentityId(pub String);

impl IdentityId {
    /// Wraps a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdentityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an identity is entitled to under the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An ordinary authenticated user: owns its objects, nothing more.
    User,
    /// An administrator: may call admin operations and touch every object.
    Admin,
    /// No credentials.
    Anonymous,
}

impl Role {
    /// `user`, `admin` or `anonymous`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::Anonymous => "anonymous",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An identity as the generators see it: a name and a role (credentials stay in the harness).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdentitySpec {
    /// The name.
    pub id: IdentityId,
    /// The role.
    pub role: Role,
}

impl IdentitySpec {
    /// An identity called `name` with `role`.
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Self {
            id: IdentityId::new(name),
            role,
        }
    }

    /// The default cast when none is given: users `alice` and `bob`, `admin`, `anonymous`.
    pub fn default_cast() -> Vec<IdentitySpec> {
        vec![
            IdentitySpec::new("alice", Role::User),
            IdentitySpec::new("bob", Role::User),
            IdentitySpec::new("admin", Role::Admin),
            IdentitySpec::new("anonymous", Role::Anonymous),
        ]
    }
}

/// How a step authenticates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// The identity's own credentials.
    #[default]
    Normal,
    /// No credentials at all.
    None,
    /// Credentials of the right shape that the target cannot know (a made-up token or key).
    Invalid,
}

impl AuthMode {
    fn is_normal(&self) -> bool {
        *self == AuthMode::Normal
    }
}

/// A request sequence: steps run in order, each as one identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sequence {
    /// The steps.
    pub steps: Vec<Step>,
}

impl Sequence {
    /// The identities that act in the sequence, in order of first appearance.
    pub fn identities(&self) -> Vec<&IdentityId> {
        let mut out: Vec<&IdentityId> = Vec::new();
        for step in &self.steps {
            if !out.contains(&&step.identity) {
                out.push(&step.identity);
            }
        }
        out
    }

    /// Checks that every reference points to an earlier step; the first offending reference is
    /// described in the error.
    pub fn validate_refs(&self) -> Result<(), String> {
        for (index, step) in self.steps.iter().enumerate() {
            for r in step.args.refs() {
                if r.step >= index {
                    return Err(format!(
                        "step {index} ({}) refers to step {}, which does not come before it",
                        step.op, r.step
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One request of a sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Who sends it.
    pub identity: IdentityId,
    /// Which operation.
    pub op: OperationId,
    /// How it authenticates (default: the identity's own credentials).
    #[serde(default, skip_serializing_if = "AuthMode::is_normal")]
    pub auth: AuthMode,
    /// Its arguments.
    pub args: Args,
    /// What the step deliberately breaks or attacks, as the generators made it: a schema
    /// keyword or `readOnly` / `privileged` / `payload <family>`, then `at` and where: a JSON
    /// pointer into the body (`minLength at /username`, `readOnly at /role`, `payload sql at
    /// /name`), `body` for the whole body, or a parameter as `<location>/<name>`
    /// (`payload sql at query/q`). Empty for a plain step, whose body is valid against its
    /// schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violates: Vec<String>,
}

/// The arguments of a step, by location. Keys are parameter names as in the spec.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Args {
    /// Path parameters.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub path: IndexMap<String, Arg>,
    /// Query parameters.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Arg>,
    /// Header parameters.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub header: IndexMap<String, Arg>,
    /// Cookie parameters.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub cookie: IndexMap<String, Arg>,
    /// The body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyArg>,
}

impl Args {
    /// Every reference in the arguments (parameters and body).
    pub fn refs(&self) -> impl Iterator<Item = &Ref> {
        let params = [&self.path, &self.query, &self.header, &self.cookie]
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|a| match a {
                Arg::Ref(r) => Some(r),
                Arg::Value(_) => None,
            });
        params.chain(
            self.body
                .iter()
                .flat_map(|b| b.refs.iter().map(|r| &r.from)),
        )
    }

    /// Every reference, mutably (for re-targeting while shrinking).
    pub fn refs_mut(&mut self) -> impl Iterator<Item = &mut Ref> {
        let Args {
            path,
            query,
            header,
            cookie,
            body,
        } = self;
        let params = [path, query, header, cookie]
            .into_iter()
            .flat_map(|m| m.values_mut())
            .filter_map(|a| match a {
                Arg::Ref(r) => Some(r),
                Arg::Value(_) => None,
            });
        params.chain(
            body.iter_mut()
                .flat_map(|b| b.refs.iter_mut().map(|r| &mut r.from)),
        )
    }
}

/// A parameter argument: a concrete value, or a value taken from an earlier response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    /// A concrete JSON value (serialised per the parameter's style when sent).
    Value(Value),
    /// A value from an earlier step's response.
    Ref(Ref),
}

/// A request body: a media type and a JSON value, some of whose leaves are replaced by values
/// from earlier responses when sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BodyArg {
    /// The media type sent (`application/json`).
    pub media_type: String,
    /// The value (leaves under `refs` are placeholders, replaced when sent).
    pub value: Value,
    /// Leaves of `value` filled from earlier responses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<BodyRef>,
}

/// One leaf of a body filled from an earlier response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BodyRef {
    /// JSON pointer into the body (`/orderId`).
    pub at: String,
    /// Where the value comes from.
    pub from: Ref,
}

/// A reference to a value in an earlier step's response.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ref {
    /// Index of the earlier step.
    pub step: usize,
    /// Where in its response.
    pub source: RefSource,
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            RefSource::Body { pointer } => write!(f, "step {} body {pointer}", self.step),
            RefSource::Header { name } => write!(f, "step {} header {name}", self.step),
            RefSource::Location => write!(f, "step {} location", self.step),
            RefSource::Request { pointer } => write!(f, "step {} request {pointer}", self.step),
        }
    }
}

/// Where a referenced value is found in a response.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefSource {
    /// A JSON pointer into the response body (`/id`, `/items/0/id`).
    Body {
        /// The pointer.
        pointer: String,
    },
    /// A response header's value.
    Header {
        /// Header name.
        name: String,
    },
    /// The last path segment of the `Location` header (`/orders/17` gives `17`).
    Location,
    /// A JSON pointer into the earlier step's own *request* body, as sent (`/title`): the key
    /// of an object whose create answers without it (`{"status": "success"}`).
    Request {
        /// The pointer.
        pointer: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Sequence {
        let mut create = Args::default();
        create.path.insert("userId".into(), Arg::Value(json!(1)));
        create.body = Some(BodyArg {
            media_type: "application/json".into(),
            value: json!({"street": "x", "orderId": null}),
            refs: vec![],
        });
        let mut read = Args::default();
        read.path.insert("userId".into(), Arg::Value(json!(1)));
        read.path.insert(
            "addressId".into(),
            Arg::Ref(Ref {
                step: 0,
                source: RefSource::Body {
                    pointer: "/id".into(),
                },
            }),
        );
        Sequence {
            steps: vec![
                Step {
                    identity: IdentityId::new("alice"),
                    op: OperationId::new("POST", "/users/{userId}/addresses"),
                    auth: AuthMode::Normal,
                    args: create,
                    violates: vec!["readOnly at /role".into()],
                },
                Step {
                    identity: IdentityId::new("bob"),
                    op: OperationId::new("GET", "/users/{userId}/addresses/{addressId}"),
                    auth: AuthMode::Invalid,
                    args: read,
                    violates: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn serde_round_trip() {
        let seq = sample();
        let text = serde_json::to_string(&seq).unwrap();
        let back: Sequence = serde_json::from_str(&text).unwrap();
        assert_eq!(back, seq);
        assert!(
            !text.contains("\"normal\""),
            "the default auth mode is not written: {text}"
        );
        assert_eq!(
            text.matches("\"violates\"").count(),
            1,
            "only the labelled step writes its labels: {text}"
        );
        // A file written before steps had labels still loads, as an unlabelled step.
        let old = r#"{"steps":[{"identity":"alice","op":"GET /a","args":{}}]}"#;
        let old: Sequence = serde_json::from_str(old).unwrap();
        assert!(old.steps[0].violates.is_empty());
    }

    #[test]
    fn refs_must_point_backwards() {
        let mut seq = sample();
        assert_eq!(seq.validate_refs(), Ok(()));
        seq.steps.swap(0, 1);
        let err = seq.validate_refs().unwrap_err();
        assert!(
            err.contains("step 0") && err.contains("refers to step 0"),
            "{err}"
        );
    }

    #[test]
    fn identities_in_order_of_appearance() {
        let seq = sample();
        let names: Vec<_> = seq.identities().into_iter().map(|i| i.as_str()).collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(seq.steps[1].args.refs().count(), 1);
    }
}

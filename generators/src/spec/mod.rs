//! Loading specs: YAML or JSON text, Swagger 2.0, OpenAPI 3.0.x or 3.1.x, into one
//! [`ApiModel`](crate::model::ApiModel).
//!
//! ```
//! let model = trespass_generators::spec::load_str(
//!     "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n      responses:\n        '200': {description: ok}\n",
//!     "inline.yaml",
//! )
//! .unwrap();
//! assert_eq!(model.operations[0].id.as_str(), "GET /ping");
//! ```
//!
//! What cannot be used is skipped with a [`Warning`](crate::model::Warning) (an operation
//! whose parameters cannot be resolved, a schema `$ref` to a missing file, which becomes "any
//! value"); what makes the whole document unusable is a [`SpecError`] naming the file, the JSON
//! pointer and the problem. [`LoadOptions::strict`] turns the skips into errors. A `$ref` to a
//! remote URL is always an error: trespass never fetches over the network.

mod document;
mod merge;
mod operations;
mod refs;
mod schema;
mod text;
mod v2;
mod v3;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::errors::{SpecError, SpecErrorKind};
use crate::model::{ApiModel, SchemaId, Schemas, SpecVersion, Warning};
use refs::{DocId, Documents, Loc};

/// How lenient the loader is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Turn every skip (unresolvable `$ref`, unusable operation) into an error.
    pub strict: bool,
    /// Directory that file references of in-memory text resolve against (`load_str_with`).
    pub base_dir: Option<PathBuf>,
    /// Directories outside the spec's own directory tree whose files `$ref`s may read (by
    /// default none: a reference that leaves the spec's directory is refused).
    pub allowed_ref_dirs: Vec<PathBuf>,
}

impl LoadOptions {
    /// Strict loading: the first problem is an error.
    pub fn strict() -> Self {
        Self {
            strict: true,
            ..Self::default()
        }
    }

    /// Let `$ref`s read files under `dir` too.
    pub fn with_allowed_ref_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.allowed_ref_dirs.push(dir.into());
        self
    }

    /// Resolve file references of in-memory text against `dir`.
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }
}

/// Loads the spec at `path` (YAML or JSON; any of Swagger 2.0, OpenAPI 3.0.x, 3.1.x), with the
/// dependency inference of [`crate::deps`] applied.
pub fn load_file(path: impl AsRef<Path>) -> Result<ApiModel, SpecError> {
    load_file_with(path, &LoadOptions::default())
}

/// [`load_file`] with options.
pub fn load_file_with(
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<ApiModel, SpecError> {
    load_file_timed(path, options).map(|(model, _)| model)
}

/// How long each phase of one load took (for `trespass spec --timings` and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadTimings {
    /// Reading the root file (zero for in-memory text).
    pub read: Duration,
    /// Parsing the text to a JSON tree (YAML or JSON).
    pub parse: Duration,
    /// Converting the tree to the model: `$ref` resolution (including reading referenced
    /// files), schemas, operations.
    pub convert: Duration,
    /// Resource, link and admin inference ([`crate::deps::infer`]).
    pub infer: Duration,
}

impl LoadTimings {
    /// The sum of the phases.
    pub fn total(&self) -> Duration {
        self.read + self.parse + self.convert + self.infer
    }
}

/// [`load_file_with`], also returning how long each phase took.
pub fn load_file_timed(
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<(ApiModel, LoadTimings), SpecError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let start = Instant::now();
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::new(name.clone(), "", SpecErrorKind::Io(e.to_string())))?;
    let read = start.elapsed();
    let (model, mut timings) = load_inner(&text, name, Some(path.to_path_buf()), options)?;
    timings.read = read;
    Ok((model, timings))
}

/// Loads a spec from text; `name` is used in messages (and as the file in errors).
pub fn load_str(text: &str, name: &str) -> Result<ApiModel, SpecError> {
    load_str_with(text, name, &LoadOptions::default())
}

/// [`load_str`] with options.
pub fn load_str_with(text: &str, name: &str, options: &LoadOptions) -> Result<ApiModel, SpecError> {
    load_inner(text, name.to_string(), None, options).map(|(model, _)| model)
}

/// Escapes one JSON pointer token (`~` -> `~0`, `/` -> `~1`); [`crate::pointer::escape`] as
/// an owned string.
pub fn escape_pointer_token(token: &str) -> String {
    crate::pointer::escape(token).into_owned()
}

/// Parses text to a JSON value exactly as the loader does (JSON, or YAML via `yaml-rust2`).
/// Exposed for benchmarks and tools.
pub fn parse_text(text: &str, name: &str) -> Result<Value, SpecError> {
    text::parse(text).map_err(|kind| SpecError::new(name, "", kind))
}

fn load_inner(
    text: &str,
    name: String,
    path: Option<PathBuf>,
    options: &LoadOptions,
) -> Result<(ApiModel, LoadTimings), SpecError> {
    let mut timings = LoadTimings::default();
    let start = Instant::now();
    let value = text::parse(text).map_err(|kind| SpecError::new(name.clone(), "", kind))?;
    timings.parse = start.elapsed();
    let start = Instant::now();
    let version =
        document::detect_version(&value).map_err(|kind| SpecError::new(name.clone(), "", kind))?;
    let mut docs = Documents::new(value, name, path, options.base_dir.clone());
    docs.allow_dirs(&options.allowed_ref_dirs);
    let mut loader = Loader {
        docs,
        version: version.0,
        schemas: Schemas::new(),
        memo: HashMap::new(),
        failed_refs: HashMap::new(),
        pending: Vec::new(),
        all_of: Vec::new(),
        warnings: Vec::new(),
        strict: options.strict,
        depth: 0,
    };
    let mut model = loader.build_model(version.1, text)?;
    timings.convert = start.elapsed();
    let start = Instant::now();
    crate::deps::infer(&mut model);
    timings.infer = start.elapsed();
    Ok((model, timings))
}

/// The state of one load.
pub(crate) struct Loader {
    pub(crate) docs: Documents,
    pub(crate) version: SpecVersion,
    pub(crate) schemas: Schemas,
    /// Converted (or queued) reference targets.
    memo: HashMap<Loc, SchemaId>,
    /// References that could not be resolved, already warned about.
    failed_refs: HashMap<(DocId, String), SchemaId>,
    /// Reference targets waiting for conversion.
    pending: Vec<(SchemaId, Loc, Value)>,
    /// `allOf` schemas for the merge pass.
    all_of: Vec<SchemaId>,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) strict: bool,
    /// Current inline schema nesting.
    depth: usize,
}

impl Loader {
    /// Records a warning at `loc`.
    pub(crate) fn warn(&mut self, loc: &Loc, message: impl Into<String>) {
        let pointer = self.docs.display(loc);
        let message = message.into();
        tracing::debug!(%pointer, %message, "spec warning");
        self.warnings.push(Warning { pointer, message });
    }

    /// Converts every queued schema and merges `allOf`s; call once all schemas are requested.
    pub(crate) fn finish_schemas(&mut self) -> Result<(), SpecError> {
        self.drain_schemas()?;
        let ids = std::mem::take(&mut self.all_of);
        merge::merge_all(&mut self.schemas, &ids);
        Ok(())
    }
}

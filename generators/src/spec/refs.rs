//! Documents and `$ref` resolution: local pointers, relative files, escaped and
//! percent-encoded pointers. Remote URLs are refused.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::Value;

use crate::errors::{SpecError, SpecErrorKind};
use crate::pointer;

/// Index of a loaded document; 0 is the root.
pub(crate) type DocId = usize;

/// A place in a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Loc {
    pub doc: DocId,
    /// JSON pointer (`/components/schemas/User`), already unescaped of percent-encoding.
    pub ptr: String,
}

impl Loc {
    pub fn new(doc: DocId, ptr: impl Into<String>) -> Self {
        Self {
            doc,
            ptr: ptr.into(),
        }
    }

    /// The location of a child key.
    pub fn key(&self, key: &str) -> Self {
        Self {
            doc: self.doc,
            ptr: format!("{}/{}", self.ptr, pointer::escape(key)),
        }
    }

    /// The location of a list item.
    pub fn index(&self, i: usize) -> Self {
        Self {
            doc: self.doc,
            ptr: format!("{}/{}", self.ptr, i),
        }
    }
}

struct Doc {
    /// The name used in messages (the path as given, or the name given to `load_str`).
    name: String,
    /// The file, for resolving relative references.
    path: Option<PathBuf>,
    value: Rc<Value>,
}

/// Every document of one load: the root and the files it refers to.
pub(crate) struct Documents {
    docs: Vec<Doc>,
    by_path: HashMap<PathBuf, DocId>,
    /// Directory that relative references of an in-memory root resolve against.
    base_dir: Option<PathBuf>,
    /// Directories (canonical) whose files references may read: the root's own directory tree
    /// and any the user allowed.
    allowed_dirs: Vec<PathBuf>,
}

/// Most `$ref` hops of one acyclic chain followed (a chain that revisits a place is a cycle,
/// whatever its length).
pub(crate) const MAX_HOPS: usize = 4096;

impl Documents {
    pub fn new(
        root: Value,
        name: String,
        path: Option<PathBuf>,
        base_dir: Option<PathBuf>,
    ) -> Self {
        let mut by_path = HashMap::new();
        if let Some(p) = &path {
            by_path.insert(canonical(p), 0);
        }
        let root_dir = path
            .as_deref()
            .map(|p| {
                canonical(p)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            })
            .or_else(|| base_dir.as_deref().map(canonical));
        Self {
            allowed_dirs: root_dir.into_iter().collect(),
            docs: vec![Doc {
                name,
                path,
                value: Rc::new(root),
            }],
            by_path,
            base_dir,
        }
    }

    /// Also lets references read files under `dirs`.
    pub fn allow_dirs<'a>(&mut self, dirs: impl IntoIterator<Item = &'a PathBuf>) {
        self.allowed_dirs
            .extend(dirs.into_iter().map(|d| canonical(d)));
    }

    /// The root document.
    pub fn root(&self) -> Rc<Value> {
        self.docs[0].value.clone()
    }

    /// The whole document `doc`.
    pub fn doc(&self, doc: DocId) -> Rc<Value> {
        self.docs[doc].value.clone()
    }

    /// `#/ptr` in the root, `file#/ptr` elsewhere: the form used in warnings.
    pub fn display(&self, loc: &Loc) -> String {
        if loc.doc == 0 {
            format!("#{}", loc.ptr)
        } else {
            format!("{}#{}", self.docs[loc.doc].name, loc.ptr)
        }
    }

    /// An error at `loc`.
    pub fn error(&self, loc: &Loc, kind: SpecErrorKind) -> SpecError {
        SpecError::new(self.docs[loc.doc].name.clone(), loc.ptr.clone(), kind)
    }

    /// The value at `loc`, if it exists.
    pub fn get(&self, loc: &Loc) -> Option<Value> {
        let doc = self.doc(loc.doc);
        doc.pointer(&loc.ptr).cloned()
    }

    /// Resolves `reference` written at `at` to a location (loading files as needed). Does not
    /// follow further `$ref`s at the target.
    pub fn resolve(&mut self, at: &Loc, reference: &str) -> Result<Loc, SpecError> {
        let unresolved = |reason: String| SpecErrorKind::UnresolvedRef {
            reference: reference.to_string(),
            reason,
        };
        let (file_part, fragment) = match reference.split_once('#') {
            Some((f, frag)) => (f, frag),
            None => (reference, ""),
        };
        if is_remote(file_part) {
            return Err(self.error(at, SpecErrorKind::RemoteRef(reference.to_string())));
        }
        let doc = if file_part.is_empty() {
            at.doc
        } else {
            let file = percent_decode(file_part);
            self.load_relative(at, &file)
                .map_err(|reason| self.error(at, unresolved(reason)))?
        };
        let ptr = percent_decode(fragment);
        if !ptr.is_empty() && !ptr.starts_with('/') {
            return Err(self.error(
                at,
                unresolved(format!(
                    "the fragment `#{fragment}` is not a JSON pointer (it must start with `/`)"
                )),
            ));
        }
        let target = Loc::new(doc, ptr);
        if self.doc(doc).pointer(&target.ptr).is_none() {
            let reason = format!("`{}` has nothing at `#{}`", self.docs[doc].name, target.ptr);
            return Err(self.error(at, unresolved(reason)));
        }
        Ok(target)
    }

    /// Follows `$ref`s starting at the value `value` found at `loc` until a value that is not a
    /// reference; returns it with its location.
    pub fn deref(&mut self, loc: &Loc, value: &Value) -> Result<(Loc, Value), SpecError> {
        let mut loc = loc.clone();
        let mut value = value.clone();
        let mut seen = HashSet::new();
        for _ in 0..MAX_HOPS {
            let Some(reference) = ref_of(&value) else {
                return Ok((loc, value));
            };
            let reference = reference.to_string();
            let target = self.resolve(&loc, &reference)?;
            if !seen.insert(target.clone()) {
                return Err(self.error(&loc, SpecErrorKind::RefCycle(reference)));
            }
            value = self.get(&target).unwrap_or(Value::Null);
            loc = target;
        }
        Err(self.error(&loc, SpecErrorKind::RefChainTooLong(MAX_HOPS)))
    }

    fn load_relative(&mut self, at: &Loc, file: &str) -> Result<DocId, String> {
        let base = match &self.docs[at.doc].path {
            Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            None => match &self.base_dir {
                Some(d) => d.clone(),
                None => {
                    return Err(
                        "a file reference needs a base directory (load the spec from a file)"
                            .into(),
                    );
                }
            },
        };
        let path = base.join(file);
        let key = canonical(&path);
        if let Some(&id) = self.by_path.get(&key) {
            return Ok(id);
        }
        // Never read (nor quote) a file outside the spec's own directory tree unless allowed:
        // a spec from elsewhere must not make trespass read `/etc/passwd` or `../../.ssh`.
        if !self.allowed_dirs.iter().any(|d| key.starts_with(d)) {
            return Err(format!(
                "`{file}` is outside the spec's directory{}; allow its directory with \
                 --allow-ref-dir",
                self.allowed_dirs
                    .first()
                    .map(|d| format!(" `{}`", d.display()))
                    .unwrap_or_default()
            ));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        // The parser's message only (never the file's content).
        let value = super::text::parse(&text).map_err(|e| {
            format!(
                "`{}` does not parse as YAML or JSON: {}",
                path.display(),
                crate::errors::KindOnly(&e)
            )
        })?;
        let id = self.docs.len();
        self.docs.push(Doc {
            name: path.display().to_string(),
            path: Some(path),
            value: Rc::new(value),
        });
        self.by_path.insert(key, id);
        Ok(id)
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The `$ref` string of an object, if it has one.
pub(crate) fn ref_of(value: &Value) -> Option<&str> {
    value.as_object()?.get("$ref")?.as_str()
}

fn is_remote(file_part: &str) -> bool {
    let lower = file_part.to_ascii_lowercase();
    lower.starts_with("http:")
        || lower.starts_with("https:")
        || lower.starts_with("ftp:")
        || lower.starts_with("urn:")
        || lower.starts_with("//")
        || lower.contains("://")
}

/// Decodes `%XX` escapes (invalid escapes are kept verbatim).
pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b/%7Bid%7D"), "/a b/{id}");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn escaped_and_encoded_pointers_resolve() {
        let root = json!({"paths": {"/users/{id}": {"get": {"x": 1}}}, "a~b": {"c": 2}});
        let mut docs = Documents::new(root, "t.yaml".into(), None, None);
        let at = Loc::new(0, "");
        let t = docs.resolve(&at, "#/paths/~1users~1%7Bid%7D/get").unwrap();
        assert_eq!(docs.get(&t), Some(json!({"x": 1})));
        let t = docs.resolve(&at, "#/a~0b/c").unwrap();
        assert_eq!(docs.get(&t), Some(json!(2)));
        let e = docs.resolve(&at, "#/nope").unwrap_err();
        assert!(e.to_string().contains("has nothing at `#/nope`"), "{e}");
        let e = docs
            .resolve(&at, "https://example.com/x.yaml#/a")
            .unwrap_err();
        assert!(matches!(e.kind, SpecErrorKind::RemoteRef(_)));
        let e = docs.resolve(&at, "other.yaml#/a").unwrap_err();
        assert!(e.to_string().contains("base directory"), "{e}");
    }

    #[test]
    fn a_long_acyclic_chain_is_not_a_cycle() {
        let mut root = serde_json::Map::new();
        for i in 0..200 {
            root.insert(format!("s{i}"), json!({"$ref": format!("#/s{}", i + 1)}));
        }
        root.insert("s200".into(), json!({"type": "string"}));
        let mut docs = Documents::new(Value::Object(root), "t.yaml".into(), None, None);
        let (loc, value) = docs
            .deref(&Loc::new(0, "/x"), &json!({"$ref": "#/s0"}))
            .unwrap();
        assert_eq!(loc.ptr, "/s200");
        assert_eq!(value, json!({"type": "string"}));
    }

    #[test]
    fn files_outside_the_spec_directory_are_not_read() {
        let outer = tempfile::tempdir().unwrap();
        let spec_dir = outer.path().join("spec");
        std::fs::create_dir(&spec_dir).unwrap();
        std::fs::write(outer.path().join("secret.yaml"), "token: s3cr3t-value\n").unwrap();
        std::fs::write(spec_dir.join("parts.yaml"), "name: {type: string}\n").unwrap();
        let root_path = spec_dir.join("api.yaml");
        let mut docs = Documents::new(json!({}), "api.yaml".into(), Some(root_path), None);
        let at = Loc::new(0, "/x");
        assert!(docs.resolve(&at, "parts.yaml#/name").is_ok());
        let e = docs.resolve(&at, "../secret.yaml#/token").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("outside the spec's directory"), "{text}");
        assert!(text.contains("--allow-ref-dir"), "{text}");
        assert!(!text.contains("s3cr3t"), "the file is never read: {text}");
        docs.allow_dirs([&outer.path().to_path_buf()]);
        let t = docs.resolve(&at, "../secret.yaml#/token").unwrap();
        assert_eq!(docs.get(&t), Some(json!("s3cr3t-value")));
    }

    #[test]
    fn ref_cycles_are_errors() {
        let root = json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}});
        let mut docs = Documents::new(root, "t.yaml".into(), None, None);
        let v = json!({"$ref": "#/a"});
        let e = docs.deref(&Loc::new(0, "/x"), &v).unwrap_err();
        assert!(matches!(e.kind, SpecErrorKind::RefCycle(_)), "{e}");
    }
}

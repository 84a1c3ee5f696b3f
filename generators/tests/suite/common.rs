//! Where the integration tests find spec files.

use std::path::{Path, PathBuf};

/// The demo specs (`corpus/specs`).
pub fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/specs")
}

/// The demo spec `name` (`corpus/specs/shop.yaml`).
pub fn demo_spec(name: &str) -> PathBuf {
    demo_dir().join(name)
}

/// The real-world specs: `$TRESPASS_REAL_SPECS` when set (a git worktree is not beside
/// `shared/`), else beside the repository (`../shared/specs/real`), when present.
pub fn real_dir() -> PathBuf {
    match std::env::var_os("TRESPASS_REAL_SPECS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs/real"),
    }
}

/// The spec files (`.yaml`, `.yml`, `.json`) of `dir`, sorted; none when it cannot be read.
pub fn spec_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    files
}

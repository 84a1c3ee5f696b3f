//! What the benches share.

use std::path::{Path, PathBuf};

/// The OpenAPI documents (`.yaml`, `.yml`, `.json`) of `dir` with their sizes in bytes, in
/// no particular order; `None` when `dir` cannot be read.
pub fn specs_with_sizes(dir: &Path) -> Option<Vec<(u64, PathBuf)>> {
    let entries = std::fs::read_dir(dir).ok()?;
    Some(
        entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            })
            .map(|p| (std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0), p))
            .collect(),
    )
}

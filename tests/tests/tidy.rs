//! Size rules for the workspace's Rust sources: one concept per file, functions a reader can
//! hold in mind. A failure names every offender with its place, so the fix is to split it.
//!
//! The function rule reads rustfmt's layout: a `fn` item ends at the first later line that is
//! its own indentation followed by `}`. Test code (files under a `tests/` folder, `tests.rs`,
//! `tests_*.rs`, `testkit.rs`, and `#[cfg(test)] mod … {` blocks) may hold longer functions:
//! spelled-out scenarios read better whole.

use std::path::{Path, PathBuf};

/// Most lines in any `.rs` file of the workspace.
const MAX_FILE_LINES: usize = 800;
/// Most lines in a function outside test code, signature and closing brace included.
const MAX_FN_LINES: usize = 120;
/// The crates whose sources are checked.
const CRATES: [&str; 5] = ["generators", "harness", "targets", "tests", "examples"];

#[test]
fn no_source_file_is_over_800_lines() {
    let mut over = Vec::new();
    for file in sources() {
        let lines = read(&file).lines().count();
        if lines > MAX_FILE_LINES {
            over.push(format!("{}: {lines} lines", shown(&file)));
        }
    }
    assert!(
        over.is_empty(),
        "files over {MAX_FILE_LINES} lines (split them along their seams):\n  {}",
        over.join("\n  ")
    );
}

#[test]
fn no_function_outside_tests_is_over_120_lines() {
    let mut over = Vec::new();
    for file in sources().into_iter().filter(|f| !is_test_file(f)) {
        for (line, name, length) in long_functions(&read(&file), MAX_FN_LINES) {
            over.push(format!(
                "{}:{line}: fn {name} is {length} lines",
                shown(&file)
            ));
        }
    }
    assert!(
        over.is_empty(),
        "functions over {MAX_FN_LINES} lines (split them into named steps):\n  {}",
        over.join("\n  ")
    );
}

#[test]
fn the_function_rule_measures_rustfmt_layout_and_skips_test_modules() {
    let source = "\
fn short() {
    one();
}

impl Thing {
    pub(crate) async fn long(
        &self,
    ) -> u8 {
        a();
        b();
        c();
    }

    fn declared(&self);

    fn one_line(&self) -> u8 { 1 }
}

#[cfg(test)]
mod tests {
    fn long_test() {
        a();
        b();
        c();
        d();
    }
}
";
    let long = long_functions(source, 4);
    assert_eq!(long, vec![(6, "long".to_string(), 7)]);
}

/// `(line, name, lines)` of every function longer than `max` lines outside `#[cfg(test)]`
/// modules.
fn long_functions(source: &str, max: usize) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    let mut skip_until: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(end) = &skip_until {
            if line == end {
                skip_until = None;
            }
            i += 1;
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        if line.trim() == "#[cfg(test)]"
            && lines
                .get(i + 1)
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.ends_with('{'))
        {
            skip_until = Some(format!("{indent}}}"));
            i += 2;
            continue;
        }
        if let Some(name) = fn_name(line.trim_start()) {
            // The signature ends with `{` (a body), `;` (a declaration) or `}` (a one-line body).
            let Some(open) = (i..lines.len()).find(|&j| {
                let l = lines[j].trim_end();
                l.ends_with('{') || l.ends_with(';') || l.ends_with('}')
            }) else {
                break;
            };
            if lines[open].trim_end().ends_with('{') {
                let close = format!("{indent}}}");
                if let Some(end) = (open + 1..lines.len()).find(|&j| lines[j] == close) {
                    let length = end - i + 1;
                    if length > max {
                        found.push((i + 1, name, length));
                    }
                }
            }
        }
        i += 1;
    }
    found
}

/// The name of the function a line starts, if it starts one.
fn fn_name(line: &str) -> Option<String> {
    let mut rest = line;
    if let Some(after) = rest.strip_prefix("pub") {
        rest = match after.strip_prefix('(') {
            Some(inner) => inner.split_once(')')?.1,
            None => after,
        }
        .trim_start();
    }
    for qualifier in ["const ", "async ", "unsafe "] {
        rest = rest.strip_prefix(qualifier).unwrap_or(rest);
    }
    let name: String = rest
        .strip_prefix("fn ")?
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

fn is_test_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    path.components().any(|c| c.as_os_str() == "tests")
        || name == "tests.rs"
        || name == "testkit.rs"
        || name.starts_with("tests_")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf()
}

fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for krate in CRATES {
        collect(&workspace().join(krate), &mut files);
    }
    files.sort();
    assert!(files.len() > 50, "found only {} sources", files.len());
    files
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shown(path: &Path) -> String {
    path.strip_prefix(workspace())
        .unwrap_or(path)
        .display()
        .to_string()
}

//! No circle of imports between the top-level modules of the harness.
//!
//! The graph is read from the sources under `harness/src`: a file belongs to the top-level
//! module of its first path component (`src/campaign/worker.rs` is `campaign`), and it depends
//! on every top-level module it names as `crate::<module>` (or `super::<module>` from a file
//! right below the root). Comment lines are skipped, and so is test-only code: an inline
//! `#[cfg(test)] mod tests { .. }` block, and every file declared under `#[cfg(test)]`
//! (`#[cfg(test)] mod tests;`). Tests may reach across modules; the library may not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The `.rs` files under `dir`, recursively.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module of `path` (relative to `src`), or `None` for the crate root.
fn top_module(relative: &Path) -> Option<String> {
    let mut parts = relative.components();
    let first = parts.next()?.as_os_str().to_string_lossy().into_owned();
    if parts.next().is_some() {
        return Some(first);
    }
    let stem = first.trim_end_matches(".rs").to_string();
    (stem != "lib" && stem != "main").then_some(stem)
}

/// Whether `relative` is a module file right below the root (`foo.rs`, `foo/mod.rs`), where
/// `super::x` means the top-level module `x`.
fn directly_below_root(relative: &Path) -> bool {
    let parts: Vec<_> = relative.components().collect();
    parts.len() == 1 || (parts.len() == 2 && relative.ends_with("mod.rs"))
}

/// The library code of `text`: comment lines and `#[cfg(test)]` inline modules removed. Also
/// returns the names of the modules declared as test-only files (`#[cfg(test)] mod x;`).
fn library_code(text: &str) -> (String, Vec<String>) {
    let mut code = String::new();
    let mut test_files = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if trimmed == "#[cfg(test)]"
            && let Some(next) = lines.peek()
            && let Some(rest) = next.trim_start().strip_prefix("mod ")
        {
            let rest = rest.trim_end();
            if let Some(name) = rest.strip_suffix(';') {
                test_files.push(name.trim().to_string());
                lines.next();
                continue;
            }
            if rest.ends_with('{') {
                // Skip the block: up to the brace that closes it.
                let mut depth = 0i32;
                for skipped in lines.by_ref() {
                    depth += skipped.matches('{').count() as i32;
                    depth -= skipped.matches('}').count() as i32;
                    if depth <= 0 {
                        break;
                    }
                }
                continue;
            }
        }
        code.push_str(line);
        code.push('\n');
    }
    (code, test_files)
}

/// The identifiers that follow `prefix` in `code`: `crate::a::..`, `crate::{a, b::c}`.
fn referenced(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split at commas outside nested braces.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.insert(ident(group[start..i].trim_start()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(group[start..i].trim_start()));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Edges `from -> to` between top-level modules, with one file that makes each.
fn graph(src: &Path) -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
    let mut code_of = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let (code, test_files) = library_code(&text);
        let dir = if path
            .file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
        {
            path.parent().unwrap().to_path_buf()
        } else {
            path.with_extension("")
        };
        for name in test_files {
            test_only.insert(dir.join(format!("{name}.rs")));
            test_only.insert(dir.join(&name).join("mod.rs"));
        }
        code_of.push((path.clone(), code));
    }
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|p| top_module(p.strip_prefix(src).unwrap()))
        .collect();
    let mut edges: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for (path, code) in code_of {
        if test_only
            .iter()
            .any(|t| path.starts_with(t.with_extension("")) || path == *t)
        {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap();
        let Some(from) = top_module(relative) else {
            continue;
        };
        let mut targets = referenced(&code, "crate::");
        if directly_below_root(relative) {
            targets.extend(referenced(&code, "super::"));
        }
        for to in targets {
            if to != from && modules.contains(&to) {
                edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| relative.to_path_buf());
            }
        }
    }
    edges
}

/// The strongly connected components of more than one module (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeMap<String, PathBuf>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, PathBuf>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(next) = s.edges.get(v) {
            for w in next.keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.out
}

/// One circle through `component`, as `a -> b (file) -> a`.
fn describe(edges: &BTreeMap<String, BTreeMap<String, PathBuf>>, component: &[String]) -> String {
    let start = &component[0];
    // Breadth-first search back to `start` inside the component.
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.as_str()]);
    let mut closing = None;
    while let Some(v) = queue.pop_front() {
        for w in edges.get(v).into_iter().flat_map(|m| m.keys()) {
            if !component.contains(w) {
                continue;
            }
            if w == start {
                closing = Some(v);
                break;
            }
            if !previous.contains_key(w.as_str()) {
                previous.insert(w, v);
                queue.push_back(w);
            }
        }
        if closing.is_some() {
            break;
        }
    }
    let mut path = vec![start.as_str()];
    let mut at = closing.unwrap_or(start);
    let mut back = Vec::new();
    while at != start {
        back.push(at);
        at = previous[at];
    }
    path.extend(back.into_iter().rev());
    path.push(start);
    let mut text = path[0].to_string();
    for pair in path.windows(2) {
        let file = &edges[pair[0]][pair[1]];
        text.push_str(&format!(" -> {} ({})", pair[1], file.display()));
    }
    text
}

#[test]
fn the_harness_modules_import_each_other_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    assert!(
        edges.contains_key("campaign"),
        "the graph is read: {edges:?}"
    );
    let bad: Vec<String> = circles(&edges)
        .into_iter()
        .map(|c| describe(&edges, &c))
        .collect();
    assert!(
        bad.is_empty(),
        "circles of imports between harness modules:\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn a_circle_is_found_and_named() {
    let mut edges: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        edges
            .entry(from.into())
            .or_default()
            .insert(to.into(), PathBuf::from(format!("{from}.rs")));
    }
    let found = circles(&edges);
    assert_eq!(found, vec![vec!["a", "b", "c"]]);
    assert_eq!(
        describe(&edges, &found[0]),
        "a -> b (a.rs) -> c (b.rs) -> a (c.rs)"
    );
}

#[test]
fn references_are_read_from_paths_and_groups() {
    let (code, tests) = library_code(
        "use crate::{exec::{A, B}, finding};\n// crate::doc\nlet x = crate::oracle::f();\n\
         #[cfg(test)]\nmod tests {\n    use crate::api;\n}\n#[cfg(test)]\nmod testkit;\n",
    );
    assert_eq!(tests, vec!["testkit"]);
    let found: Vec<String> = referenced(&code, "crate::").into_iter().collect();
    assert_eq!(found, vec!["exec", "finding", "oracle"]);
}

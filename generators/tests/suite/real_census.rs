//! A census of what inference finds on every spec of `shared/specs/real`: kinds, kinds with a
//! key (an id field or a key source), kinds with an owner field, kinds named after a version
//! or prefix segment (`v1`, `api`, a date), and singleton kinds. It prints a table and asserts
//! nothing about the figures; run it by hand to compare inference before and after a change:
//!
//! ```text
//! cargo test -p trespass-generators --test suite real_census -- --ignored --nocapture
//! ```
//!
//! (`TRESPASS_REAL_SPECS=/path/to/shared/specs/real` when the corpus is not beside the
//! repository, as in a git worktree.)

use trespass_generators::model::Resource;
use trespass_generators::spec::load_file;

use crate::common;

/// Whether a kind is named like a version or prefix segment rather than a collection.
fn version_like(kind: &str) -> bool {
    let k = kind.to_ascii_lowercase();
    if ["api", "rest", "latest", "beta", "alpha", "stable"].contains(&k.as_str()) {
        return true;
    }
    let digits_and = |s: &str, extra: &[char]| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || extra.contains(&c))
    };
    // `v1`, `v2.1`, `v1beta1`, `v1_beta`.
    if let Some(rest) = k.strip_prefix('v')
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return true;
    }
    // A date (`2020-08-11`) or a bare number.
    digits_and(&k, &['-', '.', '_'])
}

#[derive(Default, Clone, Copy)]
struct Counts {
    kinds: usize,
    keyed: usize,
    owned: usize,
    versions: usize,
    singletons: usize,
}

impl Counts {
    fn of(resources: &[Resource]) -> Self {
        Counts {
            kinds: resources.len(),
            keyed: resources
                .iter()
                .filter(|r| r.id_field.is_some() || !r.key_sources.is_empty())
                .count(),
            owned: resources.iter().filter(|r| r.owner.is_some()).count(),
            versions: resources.iter().filter(|r| version_like(&r.kind)).count(),
            singletons: resources.iter().filter(|r| r.singleton).count(),
        }
    }

    fn add(&mut self, o: Counts) {
        self.kinds += o.kinds;
        self.keyed += o.keyed;
        self.owned += o.owned;
        self.versions += o.versions;
        self.singletons += o.singletons;
    }
}

#[test]
fn version_like_names() {
    for v in ["v1", "v2", "v1beta1", "v2.1", "2020-08-11", "api", "latest"] {
        assert!(version_like(v), "{v}");
    }
    for k in ["order", "video", "user", "volume"] {
        assert!(!version_like(k), "{k}");
    }
}

#[test]
#[ignore = "prints a table over the real-spec corpus; run by hand"]
fn real_census() {
    let dir = common::real_dir();
    let files = common::spec_files(&dir);
    assert!(!files.is_empty(), "no specs at {}", dir.display());
    let mut total = Counts::default();
    let mut loaded = 0;
    let mut with_version_kind = 0;
    println!(
        "| spec | kinds | keyed | owner | version-named | singletons |\n| --- | --- | --- | --- | --- | --- |"
    );
    for file in &files {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let Ok(model) = load_file(file) else {
            println!("| {name} | (does not load) | | | | |");
            continue;
        };
        loaded += 1;
        let c = Counts::of(&model.resources);
        if c.versions > 0 {
            with_version_kind += 1;
        }
        let version_names: Vec<&str> = model
            .resources
            .iter()
            .filter(|r| version_like(&r.kind))
            .map(|r| r.kind.as_str())
            .collect();
        println!(
            "| {name} | {} | {} | {} | {} {} | {} |",
            c.kinds,
            c.keyed,
            c.owned,
            c.versions,
            if version_names.is_empty() {
                String::new()
            } else {
                format!("({})", version_names.join(", "))
            },
            c.singletons
        );
        total.add(c);
    }
    println!(
        "| **total ({loaded}/{} loaded)** | {} | {} | {} | {} (in {with_version_kind} specs) | {} |",
        files.len(),
        total.kinds,
        total.keyed,
        total.owned,
        total.versions,
        total.singletons
    );
}

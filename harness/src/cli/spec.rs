//! `trespass spec PATH [--json] [--timings]`: load a spec and summarise what trespass makes of
//! it: operations, resource kinds, inferred links with their evidence, admin operations and
//! what was skipped. `--json` prints the stable form of
//! [`trespass_generators::summary::SpecSummary`] (see docs/spec.md).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use trespass_generators::spec::{LoadTimings, load_file_timed};
use trespass_generators::summary::SpecSummary;

use trespass_generators::deps::apply_admin_patterns;
use trespass_generators::model::OperationId;

use crate::identity::OperationFilter;
use crate::identity::selection::{ExcludedBy, excluded};
use trespass_generators::model::ApiModel;

use super::ExpectedError;
use super::args::SpecArgs;
use super::explain::Explanation;
use super::sample::identities_without_secrets;

pub(crate) fn run(args: SpecArgs) -> Result<u8, ExpectedError> {
    let (mut model, timings) =
        load_file_timed(&args.path, &super::load_options()).map_err(ExpectedError::wrap)?;
    let skipped = trespass_generators::sequence::skipped_operations(&model);
    model.warnings.extend(skipped);
    let explanation = match &args.identities {
        Some(path) => Some(merge(&mut model, path)?),
        None => None,
    };
    let excluded = explanation
        .as_ref()
        .map_or_else(Vec::new, |(_, x)| x.clone());
    let explanation = explanation.map(|(e, _)| e);
    let source = args
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.path.display().to_string());
    let dir = args.path.parent().unwrap_or(Path::new(""));
    let start = std::time::Instant::now();
    let summary = SpecSummary::from_model(&model, &source).relative_to(dir);
    let summarise = start.elapsed();
    match (&explanation, args.json) {
        (None, true) => print!("{}", summary.to_json()),
        (None, false) => print!("{}", render_text(&summary)),
        (Some(e), true) => print!("{}", explained_json(&summary, e, &excluded)),
        (Some(e), false) => print!(
            "{}{}",
            render_explained(&summary, e),
            excluded_text(&excluded)
        ),
    }
    if args.timings {
        eprint!("{}", render_timings(&timings, summarise));
    }
    Ok(crate::exit_codes::OK)
}

/// Operations sequences never send, with why.
type Excluded = Vec<(OperationId, ExcludedBy)>;

/// Merges the identities file at `path` into `model` (its `[[resource]]` tables and its
/// `[policy]` admin patterns) and explains the result; also says which operations are never
/// sent (the reset operation, `exclude_operations`).
fn merge(model: &mut ApiModel, path: &Path) -> Result<(Explanation, Excluded), ExpectedError> {
    let mut file = identities_without_secrets(path)?;
    file.apply_resources(model).map_err(ExpectedError::wrap)?;
    apply_admin_patterns(model, &file.policy.admin_operations).map_err(|e| {
        ExpectedError::usage(format!(
            "{}: `{}` is not an operation pattern",
            path.display(),
            e.pattern
        ))
    })?;
    let shown_as = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let excluded =
        excluded(model, Some(&file), &OperationFilter::default()).map_err(ExpectedError::wrap)?;
    Ok((Explanation::new(model, &file, &shown_as), excluded))
}

/// The `never sent` block of the explained summary (nothing when every operation is sent).
fn excluded_text(excluded: &Excluded) -> String {
    let mut out = String::new();
    if !excluded.is_empty() {
        let _ = writeln!(out, "\nnever sent");
        for (op, why) in excluded {
            let _ = writeln!(out, "  {op}  ({why})");
        }
    }
    out
}

/// The summary's JSON with the explanation under `explained`.
fn explained_json(summary: &SpecSummary, e: &Explanation, excluded: &Excluded) -> String {
    let mut value = serde_json::to_value(summary).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "explained".to_string(),
            serde_json::to_value(e).unwrap_or_default(),
        );
        let never: Vec<serde_json::Value> = excluded
            .iter()
            .map(|(op, why)| serde_json::json!({ "operation": op, "why": why.to_string() }))
            .collect();
        map.insert("never_sent".to_string(), serde_json::Value::Array(never));
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// The summary with the kinds in full (in place of the short list) and, at the end, what each
/// operation can be judged by and what is left to declare.
pub(crate) fn render_explained(s: &SpecSummary, e: &Explanation) -> String {
    let text = render_text(s);
    let kinds_start = text.find("\nresource kinds");
    let links_start = text.find("\nlinks");
    let mut out = match (kinds_start, links_start) {
        (Some(a), Some(b)) if a < b => format!("{}{}{}", &text[..a], e.kinds_text(), &text[b..]),
        _ => text,
    };
    out.push_str(&e.judged_text());
    out
}

/// The timings block (stderr, so that `--json --timings` keeps stdout parseable).
fn render_timings(t: &LoadTimings, summarise: Duration) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut out = String::from("timings\n");
    for (name, d) in [
        ("read", t.read),
        ("parse", t.parse),
        ("convert", t.convert),
        ("infer", t.infer),
        ("summarise", summarise),
    ] {
        let _ = writeln!(out, "  {name:<10} {:>9.2} ms", ms(d));
    }
    let _ = writeln!(
        out,
        "  {:<10} {:>9.2} ms",
        "total",
        ms(t.total() + summarise)
    );
    out
}

/// The human summary.
pub(crate) fn render_text(s: &SpecSummary) -> String {
    let mut out = String::new();
    let c = &s.counts;
    let _ = writeln!(
        out,
        "{} {} ({}, {})",
        s.title,
        s.api_version,
        if s.family == "2.0" {
            "Swagger 2.0".to_string()
        } else {
            format!("OpenAPI {}", s.spec_version)
        },
        s.source
    );
    let _ = writeln!(
        out,
        "{} operations, {} resource kinds, {} links, {} admin operations, {} warnings, {} schemas",
        c.operations, c.resources, c.links, c.admin_operations, c.warnings, c.schemas
    );
    if !s.servers.is_empty() {
        let _ = writeln!(out, "servers: {}", s.servers.join(", "));
    }
    if !s.security_schemes.is_empty() {
        let schemes: Vec<String> = s
            .security_schemes
            .iter()
            .map(|x| format!("{} ({})", x.name, x.describes))
            .collect();
        let _ = writeln!(out, "security schemes: {}", schemes.join(", "));
    }

    section(&mut out, "operations", s.operations.len());
    let width = s.operations.iter().map(|o| o.id.len()).max().unwrap_or(0);
    for op in &s.operations {
        let security = match op.auth.as_str() {
            "none" if op.security_from == "operation" => "public (security: [])".to_string(),
            "none" => "public".to_string(),
            _ => op.security.join(" | "),
        };
        let mut line = format!("  {:<width$}  {security}", op.id);
        if !op.tags.is_empty() {
            let _ = write!(line, "  [{}]", op.tags.join(", "));
        }
        if op.admin {
            line.push_str("  admin");
        }
        if op.deprecated {
            line.push_str("  deprecated");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }

    section(&mut out, "resource kinds", s.resources.len());
    for r in &s.resources {
        let mut head = format!("  {}", r.kind);
        match &r.id_field {
            Some(f) => {
                let _ = write!(head, ": id field `{f}`");
            }
            None => head.push_str(": id field unknown"),
        }
        if !r.id_params.is_empty() {
            let params: Vec<String> = r.id_params.iter().map(|p| format!("{{{p}}}")).collect();
            let _ = write!(head, ", path {}", params.join(" "));
        }
        if let Some(p) = &r.parent {
            let _ = write!(head, ", parent {p}");
        }
        if let Some(schema) = &r.schema {
            let _ = write!(head, ", schema {schema}");
        }
        let _ = writeln!(out, "{head}");
        for (role, ops) in [
            ("create", &r.create),
            ("read", &r.read),
            ("update", &r.update),
            ("delete", &r.delete),
            ("list", &r.list),
        ] {
            if !ops.is_empty() {
                let _ = writeln!(out, "    {role:<6} {}", ops.join(", "));
            }
        }
    }

    section(&mut out, "links", s.links.len());
    let mut producer: Option<&str> = None;
    for l in &s.links {
        if producer != Some(l.producer.as_str()) {
            let _ = writeln!(out, "  {}", l.producer);
            producer = Some(l.producer.as_str());
        }
        let _ = writeln!(
            out,
            "    {} -> {} {}  ({})",
            l.source, l.consumer, l.target, l.because
        );
    }

    section(&mut out, "admin operations", s.admin_operations.len());
    for a in &s.admin_operations {
        let _ = writeln!(out, "  {}  {}", a.operation, a.reasons.join(", "));
    }

    section(&mut out, "warnings", s.warnings.len());
    for w in &s.warnings {
        let _ = writeln!(out, "  {}: {}", w.pointer, w.message);
    }
    out
}

fn section(out: &mut String, name: &str, count: usize) {
    let _ = writeln!(out);
    if count == 0 {
        let _ = writeln!(out, "{name}: none");
    } else {
        let _ = writeln!(out, "{name} ({count})");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lists_every_section() {
        let model = trespass_generators::spec::load_str(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\nsecurity: [{k: []}]\ncomponents:\n  securitySchemes:\n    k: {type: apiKey, in: header, name: X-Key}\npaths:\n  /admin/items:\n    post:\n      tags: [admin]\n      responses:\n        '201':\n          description: ok\n          content:\n            application/json:\n              schema: {type: object, properties: {id: {type: string}}}\n  /admin/items/{itemId}:\n    parameters: [{name: itemId, in: path, required: true, schema: {type: string}}]\n    get:\n      responses: {'200': {description: ok}}\n  /health:\n    get:\n      security: []\n      responses: {'200': {description: ok}}\n",
            "t.yaml",
        )
        .unwrap();
        let text = render_text(&SpecSummary::from_model(&model, "t.yaml"));
        assert!(text.starts_with("t 1 (OpenAPI 3.0.3, t.yaml)\n"), "{text}");
        assert!(text.contains("GET /health"), "{text}");
        assert!(text.contains("public (security: [])"), "{text}");
        assert!(
            text.contains("  POST /admin/items          k  [admin]  admin\n"),
            "{text}"
        );
        assert!(
            text.contains("  item: id field `id`, path {itemId}"),
            "{text}"
        );
        assert!(
            text.contains("201 body /id -> GET /admin/items/{itemId} path itemId"),
            "{text}"
        );
        assert!(
            text.contains("  POST /admin/items  tag:admin, path:/admin/items"),
            "{text}"
        );
        assert!(text.contains("\nwarnings: none\n"), "{text}");
    }

    #[test]
    fn timings_block_has_every_phase() {
        let t = LoadTimings::default();
        let text = render_timings(&t, Duration::from_millis(2));
        for phase in ["read", "parse", "convert", "infer", "summarise", "total"] {
            assert!(text.contains(phase), "{text}");
        }
        assert!(text.contains("2.00 ms"), "{text}");
    }
}

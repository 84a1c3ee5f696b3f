//! What `trespass spec PATH --identities FILE` adds: the merged model's kinds in full (roles,
//! key and where it comes from, owner, parent, singleton, declared or inferred), and for every
//! operation which authorization oracles can judge it and, where the object-level ones cannot,
//! why and what to declare.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use trespass_generators::deps::declared::role_name;
use trespass_generators::model::{
    ApiModel, CrudRole, KeySource, Operation, OperationId, Origin, Resource,
};
use trespass_generators::sequence::Role;

use crate::identity::{Auth, IdentityFile};
use crate::oracle::{Bfla, Bola, IgnoredAuth, ListLeak, MassAssignment, Policy, UseAfterDelete};

/// The explanation of a merged model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Explanation {
    /// The identities file, as given.
    pub identities: String,
    /// Every kind, sorted by name.
    pub kinds: Vec<KindExplained>,
    /// Every operation, in the model's order.
    pub operations: Vec<OperationExplained>,
    /// What a user must still declare by hand (one line per gap, no repeats).
    pub to_declare: Vec<String>,
}

/// One kind of the merged model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct KindExplained {
    pub kind: String,
    /// `declared` or `inferred`.
    pub origin: &'static str,
    pub create: Vec<String>,
    pub read: Vec<String>,
    pub update: Vec<String>,
    pub delete: Vec<String>,
    pub list: Vec<String>,
    /// The path parameters carrying the key.
    pub key_params: Vec<String>,
    /// The object's field holding the key.
    pub key_field: Option<String>,
    /// Where a new object's key is found, best first (`the create's request /title`).
    pub key_sources: Vec<String>,
    /// The owner field and what it holds (`/owner (username)`).
    pub owner: Option<String>,
    pub parent: Option<String>,
    pub singleton: bool,
}

/// One operation: who can judge it, and why the object-level oracles cannot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct OperationExplained {
    pub operation: String,
    /// Its kind and role there (`book read`).
    pub kind: Option<String>,
    pub role: Option<&'static str>,
    /// The authorization oracles that can judge it.
    pub judged_by: Vec<&'static str>,
    /// Why an object-level oracle (or every authorization oracle) cannot, with the fix.
    pub gaps: Vec<String>,
}

/// Who the identities file acts as.
struct Cast {
    users: usize,
    admins: usize,
    with_credentials: usize,
}

impl Cast {
    fn of(file: &IdentityFile) -> Self {
        let count = |role: Role| file.identities.iter().filter(|i| i.role == role).count();
        Cast {
            users: count(Role::User),
            admins: count(Role::Admin),
            with_credentials: file
                .identities
                .iter()
                .filter(|i| !matches!(i.auth, Auth::None))
                .count(),
        }
    }

    /// Object-level oracles need a user acting and another identity owning.
    fn gap(&self) -> Option<String> {
        (self.users == 0 || self.with_credentials < 2).then(|| {
            "object-level checks need two identities with credentials, one of them role = \
             \"user\": add an [[identity]]"
                .to_string()
        })
    }
}

impl Explanation {
    /// Explains `model` (already merged with `file`'s `[[resource]]` tables) under `file`.
    pub(crate) fn new(model: &ApiModel, file: &IdentityFile, shown_as: &str) -> Self {
        let policy = Policy::new(model, &file.policy);
        let cast = Cast::of(file);
        let mut kinds: Vec<KindExplained> = model.resources.iter().map(kind_explained).collect();
        kinds.sort_by(|a, b| a.kind.cmp(&b.kind));
        let operations: Vec<OperationExplained> = model
            .operations
            .iter()
            .map(|op| explain_operation(model, &policy, &cast, op))
            .collect();
        let mut seen = BTreeSet::new();
        let to_declare = operations
            .iter()
            .flat_map(|o| o.gaps.iter())
            .filter(|g| seen.insert((*g).clone()))
            .cloned()
            .collect();
        Explanation {
            identities: shown_as.to_string(),
            kinds,
            operations,
            to_declare,
        }
    }

    /// The text of the kinds in full.
    pub(crate) fn kinds_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nresource kinds, merged with {} ({})",
            self.identities,
            self.kinds.len()
        );
        if self.kinds.is_empty() {
            out.push_str("  none: declare them in [[resource]] tables\n");
        }
        for k in &self.kinds {
            out.push_str(&kind_text(k));
        }
        out
    }

    /// The text of the operations with their judges and gaps, and of what to declare.
    pub(crate) fn judged_text(&self) -> String {
        let mut out = String::new();
        let width = self
            .operations
            .iter()
            .map(|o| o.operation.chars().count())
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            out,
            "\njudged by (authorization oracles; every answer is also checked for conformance)"
        );
        for o in &self.operations {
            let judges = if o.judged_by.is_empty() {
                "none".to_string()
            } else {
                o.judged_by.join(", ")
            };
            let _ = writeln!(out, "  {:<width$}  {judges}", o.operation);
            for gap in &o.gaps {
                let _ = writeln!(out, "  {:<width$}    - {gap}", "");
            }
        }
        if self.to_declare.is_empty() {
            let _ = writeln!(out, "\nto declare by hand: nothing");
        } else {
            let _ = writeln!(out, "\nto declare by hand ({})", self.to_declare.len());
            for gap in &self.to_declare {
                let _ = writeln!(out, "  {gap}");
            }
        }
        out
    }
}

fn kind_explained(r: &Resource) -> KindExplained {
    let ids = |ops: &[OperationId]| ops.iter().map(|o| o.to_string()).collect();
    KindExplained {
        kind: r.kind.clone(),
        origin: if r.origin == Origin::Declared {
            "declared"
        } else {
            "inferred"
        },
        create: ids(&r.create),
        read: ids(&r.read),
        update: ids(&r.update),
        delete: ids(&r.delete),
        list: ids(&r.list),
        key_params: r.id_params.clone(),
        key_field: r.id_field.clone(),
        key_sources: r.key_sources.iter().map(describe_source).collect(),
        owner: r
            .owner
            .as_ref()
            .map(|o| format!("{} ({})", o.pointer, o.holds.as_str())),
        parent: r.parent.clone(),
        singleton: r.singleton,
    }
}

fn describe_source(source: &KeySource) -> String {
    match source {
        KeySource::ResponseBody { pointer } => format!("the create's answer {pointer}"),
        KeySource::RequestBody { pointer } => format!("the create's request {pointer}"),
        KeySource::Location => "the create's Location header".to_string(),
        KeySource::List { operation, pointer } => format!("each element of {operation} {pointer}"),
        other => format!("{other:?}"),
    }
}

fn kind_text(k: &KindExplained) -> String {
    let mut out = String::new();
    let mut head = format!("  {}  {}", k.kind, k.origin);
    if k.singleton {
        head.push_str(", singleton (each identity's own)");
    }
    let _ = writeln!(out, "{head}");
    for (role, ops) in [
        ("create", &k.create),
        ("read", &k.read),
        ("update", &k.update),
        ("delete", &k.delete),
        ("list", &k.list),
    ] {
        if !ops.is_empty() {
            let _ = writeln!(out, "    {role:<7} {}", ops.join(", "));
        }
    }
    let params: Vec<String> = k.key_params.iter().map(|p| format!("{{{p}}}")).collect();
    let key = match (params.is_empty(), &k.key_field) {
        (true, None) => "unknown".to_string(),
        (false, None) => format!("{}, field unknown", params.join(" ")),
        (true, Some(f)) => format!("field `{f}`, no path parameter"),
        (false, Some(f)) => format!("{} = field `{f}`", params.join(" ")),
    };
    let _ = writeln!(out, "    {:<7} {key}", "key");
    let from = if k.key_sources.is_empty() {
        "unknown".to_string()
    } else {
        k.key_sources.join("; ")
    };
    let _ = writeln!(out, "    {:<7} {from}", "from");
    let _ = writeln!(
        out,
        "    {:<7} {}",
        "owner",
        k.owner.as_deref().unwrap_or("unknown")
    );
    if let Some(p) = &k.parent {
        let _ = writeln!(out, "    {:<7} {p}", "parent");
    }
    out
}

/// Whether objects of `r` get a known owner in a run: a key source (the create's answer,
/// request or `Location`, a list showing keys), an owner field in the objects, or a link from a
/// create of the kind to its other operations.
fn owner_knowable(model: &ApiModel, r: &Resource) -> bool {
    !r.key_sources.is_empty()
        || r.owner.is_some()
        || r.create.iter().any(|c| {
            model
                .links_from(c)
                .any(|l| r.role_of(&l.consumer).is_some())
        })
}

fn explain_operation(
    model: &ApiModel,
    policy: &Policy,
    cast: &Cast,
    op: &Operation,
) -> OperationExplained {
    let mut judged_by = Vec::new();
    let mut gaps = Vec::new();
    let placed = model.resource_of(&op.id);
    let admin = policy.admin_rule(&op.id).is_some();
    if let Some((r, role)) = placed {
        object_level(model, policy, cast, r, role, &mut judged_by, &mut gaps);
        if matches!(role, CrudRole::Create | CrudRole::Update)
            && op.json_request_schema().is_some()
            && cast.users > 0
        {
            judged_by.push(MassAssignment::NAME);
        }
    }
    if admin {
        if cast.users > 0 {
            judged_by.push(Bfla::NAME);
        } else {
            gaps.push(format!(
                "{}: admin-only, but no identity with role = \"user\" to try it",
                op.id
            ));
        }
        if cast.admins == 0 {
            gaps.push(format!(
                "{}: admin-only, but no admin identity to call it as allowed: add one with \
                 role = \"admin\"",
                op.id
            ));
        }
    }
    if policy.security_rule(&op.id).is_some() {
        judged_by.push(IgnoredAuth::NAME);
    }
    if placed.is_none() && !admin {
        gaps.push(format!(
            "{}: not in any kind: declare it in a [[resource]] (or leave it: no object is \
             judged through it)",
            op.id
        ));
    }
    OperationExplained {
        operation: op.id.to_string(),
        kind: placed.map(|(r, _)| r.kind.clone()),
        role: placed.map(|(_, role)| role_name(role)),
        judged_by,
        gaps,
    }
}

/// `bola`, `use-after-delete` and `list-leak` on one operation of kind `r`.
fn object_level(
    model: &ApiModel,
    policy: &Policy,
    cast: &Cast,
    r: &Resource,
    role: CrudRole,
    judged_by: &mut Vec<&'static str>,
    gaps: &mut Vec<String>,
) {
    if role == CrudRole::Create {
        return;
    }
    let kind = &r.kind;
    let mut missing = Vec::new();
    if policy.is_shared(kind) {
        missing.push(format!(
            "kind `{kind}` is shared by [policy] shared_resources: every user may read it"
        ));
    }
    let item = matches!(role, CrudRole::Read | CrudRole::Update | CrudRole::Delete);
    if item && r.id_params.is_empty() {
        missing.push(if r.singleton {
            format!("kind `{kind}` is each identity's own (singleton), addressed without a key")
        } else {
            format!(
                "no key for kind `{kind}`: declare `key = {{ param = \"...\", field = \"/...\" }}`"
            )
        });
    }
    if role == CrudRole::List && r.id_field.is_none() && r.key_sources.is_empty() {
        missing.push(format!(
            "no key field for kind `{kind}`: declare `key = {{ field = \"/...\", from = \"list\" }}`"
        ));
    }
    if !owner_knowable(model, r) {
        missing.push(format!(
            "no owner known for kind `{kind}`: declare `owner`, or a create that returns the key"
        ));
    }
    if let Some(gap) = cast.gap() {
        missing.push(gap);
    }
    if missing.is_empty() {
        if item {
            judged_by.push(Bola::NAME);
            if !r.delete.is_empty() {
                judged_by.push(UseAfterDelete::NAME);
            }
        } else {
            judged_by.push(ListLeak::NAME);
        }
    } else {
        gaps.extend(missing);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
security: [{k: []}]
components:
  securitySchemes:
    k: {type: apiKey, in: header, name: X-Key}
paths:
  /things:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {name: {type: string}}}
      responses:
        '201':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}}}
  /things/{thingId}:
    parameters: [{name: thingId, in: path, required: true, schema: {type: string}}]
    get:
      responses: {'200': {description: ok}}
  /admin/stats:
    get:
      tags: [admin]
      responses: {'200': {description: ok}}
  /ping:
    get:
      security: []
      responses: {'200': {description: ok}}
"#;

    fn file(text: &str) -> IdentityFile {
        IdentityFile::parse(text, "ids.toml", |_| None).unwrap()
    }

    fn explain(ids: &str) -> Explanation {
        let model = trespass_generators::load_str(SPEC, "t.yaml").unwrap();
        Explanation::new(&model, &file(ids), "ids.toml")
    }

    fn op<'a>(e: &'a Explanation, id: &str) -> &'a OperationExplained {
        e.operations.iter().find(|o| o.operation == id).unwrap()
    }

    const TWO_USERS: &str = "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth = { bearer = \"x\" }\n\
        [[identity]]\nname = \"b\"\nrole = \"user\"\nauth = { bearer = \"y\" }\n";

    #[test]
    fn operations_name_their_judges_and_their_gaps() {
        let e = explain(TWO_USERS);
        let read = op(&e, "GET /things/{thingId}");
        assert_eq!(read.judged_by, ["bola", "ignored-auth"]);
        assert!(read.gaps.is_empty(), "{:?}", read.gaps);
        let create = op(&e, "POST /things");
        assert_eq!(create.judged_by, ["mass-assignment", "ignored-auth"]);
        let admin = op(&e, "GET /admin/stats");
        assert_eq!(admin.judged_by, ["bfla", "ignored-auth"]);
        assert_eq!(
            admin.gaps,
            [
                "GET /admin/stats: admin-only, but no admin identity to call it as allowed: add \
              one with role = \"admin\""
            ]
        );
        let ping = op(&e, "GET /ping");
        assert!(ping.judged_by.is_empty());
        assert!(ping.gaps[0].contains("not in any kind"), "{:?}", ping.gaps);
        assert_eq!(e.to_declare.len(), 2, "{:?}", e.to_declare);
    }

    /// The real-world specs (`../shared/specs/real` beside the repository, or
    /// `TRESPASS_REAL_SPECS`), when present.
    fn real_specs() -> Option<Vec<std::path::PathBuf>> {
        let dir = std::env::var_os("TRESPASS_REAL_SPECS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs/real")
            });
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            })
            .collect();
        files.sort();
        Some(files)
    }

    #[test]
    fn every_real_spec_is_explained_with_a_minimal_cast() {
        let Some(files) = real_specs() else {
            eprintln!("SKIPPED: no real-spec corpus (set TRESPASS_REAL_SPECS or clone shared/)");
            return;
        };
        let mut cast = file(&format!(
            "{TWO_USERS}[[identity]]\nname = \"root\"\nrole = \"admin\"\nauth = {{ bearer = \"r\" }}\n\
             [[identity]]\nname = \"anon\"\nrole = \"anonymous\"\n"
        ));
        let (mut explained, mut judged, mut gaps) = (0, 0, 0);
        for path in &files {
            let Ok(mut model) = trespass_generators::load_file(path) else {
                continue;
            };
            cast.apply_resources(&mut model).unwrap();
            let e = Explanation::new(&model, &cast, "ids.toml");
            let summary = trespass_generators::summary::SpecSummary::from_model(&model, "x");
            let text = super::super::spec::render_explained(&summary, &e);
            assert!(text.contains("\njudged by"), "{}", path.display());
            assert_eq!(e.operations.len(), model.operations.len());
            serde_json::to_string(&e).unwrap();
            explained += 1;
            judged += e
                .operations
                .iter()
                .filter(|o| o.judged_by.contains(&Bola::NAME))
                .count();
            gaps += e.to_declare.len();
        }
        eprintln!(
            "{explained} of {} real specs explained; {judged} operations judged by bola, \
             {gaps} things to declare",
            files.len()
        );
        assert!(explained > 0, "some real spec loads");
    }

    #[test]
    fn one_identity_is_not_enough_and_a_shared_kind_is_never_judged() {
        let one = "[[identity]]\nname = \"a\"\nrole = \"user\"\nauth = { bearer = \"x\" }\n\
            [policy]\nshared_resources = [\"thing\"]\n";
        let e = explain(one);
        let read = op(&e, "GET /things/{thingId}");
        assert_eq!(read.judged_by, ["ignored-auth"]);
        assert!(read.gaps.iter().any(|g| g.contains("shared_resources")));
        assert!(read.gaps.iter().any(|g| g.contains("two identities")));
        let text = e.kinds_text();
        assert!(text.contains("  thing  inferred\n"), "{text}");
        assert!(
            text.contains("    key     {thingId} = field `id`\n"),
            "{text}"
        );
        assert!(e.judged_text().contains("\nto declare by hand ("), "{text}");
    }
}

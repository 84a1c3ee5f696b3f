//! Every form of `$ref` the loader takes: local pointers, relative files (with temp dirs),
//! escaped and percent-encoded pointers, recursive schemas (represented once, by id), and the
//! errors: a remote URL names the URL, a missing target names the pointer.

use std::path::Path;

use trespass_generators::model::{
    Additional, ApiModel, Operation, OperationId, ParameterLocation, SchemaId, SchemaKind,
    StatusKey,
};
use trespass_generators::spec::{LoadOptions, load_file, load_file_with, load_str, load_str_with};
use trespass_generators::{SpecError, SpecErrorKind};

fn op<'a>(m: &'a ApiModel, id: &str) -> &'a Operation {
    m.operation(&OperationId::parse(id).expect("operation id"))
        .unwrap_or_else(|| panic!("no operation {id}"))
}

fn response_schema(m: &ApiModel, id: &str, status: u16) -> SchemaId {
    op(m, id)
        .response_for(status)
        .and_then(|r| r.json_schema())
        .unwrap_or_else(|| panic!("{id} has no JSON {status} response"))
}

fn props(m: &ApiModel, id: SchemaId) -> Vec<&str> {
    m.schemas
        .object_properties(id)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dir");
    }
    std::fs::write(path, text).expect("write file");
}

const LOCAL: &str = r#"
openapi: 3.0.3
info: {title: refs, version: '1'}
paths:
  /users/{id}:
    parameters:
      - $ref: '#/components/parameters/Id'
    get:
      responses:
        '200':
          $ref: '#/components/responses/UserOk'
    put:
      requestBody:
        $ref: '#/components/requestBodies/UserBody'
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/User'
components:
  parameters:
    Id: {name: id, in: path, required: true, schema: {type: integer}}
  requestBodies:
    UserBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/User'}
  responses:
    UserOk:
      description: the user
      content:
        application/json:
          schema: {$ref: '#/components/schemas/User'}
  schemas:
    User:
      type: object
      properties:
        id: {type: integer}
        name: {type: string}
"#;

#[test]
fn local_pointers_to_every_component_kind() {
    let m = load_str(LOCAL, "local.yaml").unwrap();
    let user = m.schemas.by_name("User").expect("User is a named schema");
    // The same component is the same id wherever it is used.
    assert_eq!(response_schema(&m, "GET /users/{id}", 200), user);
    assert_eq!(response_schema(&m, "PUT /users/{id}", 200), user);
    let put = op(&m, "PUT /users/{id}");
    assert_eq!(put.json_request_schema(), Some(user));
    assert!(put.request_body.as_ref().unwrap().required);
    // The path-level parameter ref applies to both operations.
    for id in ["GET /users/{id}", "PUT /users/{id}"] {
        let p = op(&m, id)
            .parameter(ParameterLocation::Path, "id")
            .expect("id parameter");
        assert!(matches!(
            m.schemas.get(p.schema).kind,
            SchemaKind::Integer(_)
        ));
    }
    assert_eq!(props(&m, user), ["id", "name"]);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

#[test]
fn relative_files_resolve_against_the_referring_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "api.yaml",
        r#"
openapi: 3.0.3
info: {title: split, version: '1'}
paths:
  /pets:
    $ref: 'paths/pets.yaml'
  /owners:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'schemas/models.yaml#/components/schemas/Owner'}
"#,
    );
    // A path item in another file, whose refs are relative to that file.
    write(
        dir.path(),
        "paths/pets.yaml",
        r#"
get:
  parameters:
    - $ref: '../common.yaml#/parameters/Limit'
  responses:
    '200':
      description: ok
      content:
        application/json:
          schema:
            type: array
            items: {$ref: '../schemas/models.yaml#/components/schemas/Pet'}
"#,
    );
    write(
        dir.path(),
        "common.yaml",
        "parameters:\n  Limit: {name: limit, in: query, schema: {type: integer, maximum: 50}}\n",
    );
    // A local pointer inside the other file points into that file, not the root.
    write(
        dir.path(),
        "schemas/models.yaml",
        r#"
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        owner: {$ref: '#/components/schemas/Owner'}
    Owner:
      type: object
      properties:
        id: {type: string, format: uuid}
"#,
    );
    let m = load_file(dir.path().join("api.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.warnings.is_empty(), "{:#?}", m.warnings);
    let owner = response_schema(&m, "GET /owners", 200);
    assert_eq!(m.schemas.get(owner).name.as_deref(), Some("Owner"));
    // The other file's schema is named after its component and located in that file.
    assert!(
        m.schemas
            .get(owner)
            .pointer
            .ends_with("models.yaml#/components/schemas/Owner"),
        "{}",
        m.schemas.get(owner).pointer
    );
    let pets = response_schema(&m, "GET /pets", 200);
    let SchemaKind::Array(list) = &m.schemas.get(pets).kind else {
        panic!("pets is an array")
    };
    assert_eq!(props(&m, list.items), ["name", "owner"]);
    // Pet.owner and the /owners response are one schema: the same file and pointer.
    let pet_owner = m.schemas.object_properties(list.items).unwrap()["owner"];
    assert_eq!(pet_owner, owner);
    let limit = op(&m, "GET /pets")
        .parameter(ParameterLocation::Query, "limit")
        .expect("limit from common.yaml");
    assert!(matches!(
        &m.schemas.get(limit.schema).kind,
        SchemaKind::Integer(b) if b.maximum == Some(50.0)
    ));

    // In-memory text resolves file references against a base directory, and only with one.
    let text = std::fs::read_to_string(dir.path().join("api.yaml")).unwrap();
    let with_base = load_str_with(
        &text,
        "api.yaml",
        &LoadOptions::default().with_base_dir(dir.path()),
    )
    .unwrap();
    assert_eq!(with_base.operations.len(), 2);
    let e = load_str_with(&text, "api.yaml", &LoadOptions::strict()).unwrap_err();
    assert!(e.to_string().contains("base directory"), "{e}");
}

#[test]
fn escaped_and_percent_encoded_pointers() {
    let text = r##"
openapi: 3.0.3
info: {title: escapes, version: '1'}
paths:
  /a/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/a~1b'}
        '201':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/til~0de'}
        '202':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/with%20space'}
  /b:
    get:
      responses:
        '200':
          $ref: '#/paths/~1a~1%7Bid%7D/get/responses/200'
components:
  schemas:
    a/b: {type: string, format: slash}
    til~de: {type: string, format: tilde}
    with space: {type: string, format: space}
"##;
    let m = load_str(text, "escapes.yaml").unwrap();
    assert!(m.warnings.is_empty(), "{:#?}", m.warnings);
    let format = |status| {
        let id = response_schema(&m, "GET /a/{id}", status);
        m.schemas.get(id).format.clone()
    };
    assert_eq!(format(200).as_deref(), Some("slash"));
    assert_eq!(format(201).as_deref(), Some("tilde"));
    assert_eq!(format(202).as_deref(), Some("space"));
    assert_eq!(
        m.schemas
            .get(m.schemas.by_name("a/b").expect("unescaped name"))
            .format
            .as_deref(),
        Some("slash")
    );
    // A response borrowed from another path through an escaped, encoded pointer.
    assert_eq!(
        response_schema(&m, "GET /b", 200),
        response_schema(&m, "GET /a/{id}", 200)
    );
}

#[test]
fn recursive_schemas_are_represented_once_by_id() {
    let text = r#"
openapi: 3.0.3
info: {title: trees, version: '1'}
paths:
  /tree:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Node'}
  /a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/A'}
components:
  schemas:
    Node:
      type: object
      properties:
        value: {type: integer}
        parent: {$ref: '#/components/schemas/Node'}
        children:
          type: array
          items: {$ref: '#/components/schemas/Node'}
        extra:
          type: object
          additionalProperties: {$ref: '#/components/schemas/Node'}
    A:
      type: object
      properties:
        b: {$ref: '#/components/schemas/B'}
    B:
      type: object
      properties:
        a: {$ref: '#/components/schemas/A'}
        list: {type: array, items: {$ref: '#/components/schemas/B'}}
"#;
    let m = load_str(text, "trees.yaml").unwrap();
    let node = m.schemas.by_name("Node").unwrap();
    assert_eq!(response_schema(&m, "GET /tree", 200), node);
    let p = m.schemas.object_properties(node).unwrap();
    assert_eq!(p["parent"], node, "direct self reference");
    let SchemaKind::Array(children) = &m.schemas.get(p["children"]).kind else {
        panic!("children is an array")
    };
    assert_eq!(children.items, node, "self reference through items");
    let SchemaKind::Object(extra) = &m.schemas.get(p["extra"]).kind else {
        panic!("extra is an object")
    };
    assert_eq!(extra.additional, Additional::Schema(node));

    let (a, b) = (
        m.schemas.by_name("A").unwrap(),
        m.schemas.by_name("B").unwrap(),
    );
    assert_eq!(m.schemas.object_properties(a).unwrap()["b"], b);
    assert_eq!(m.schemas.object_properties(b).unwrap()["a"], a);
    // Small: each component once, plus a handful of inline schemas.
    assert!(m.schemas.len() < 20, "{} schemas", m.schemas.len());
    // Rendering to JSON Schema terminates and keeps the cycle as a `$ref`.
    let rendered = m.schemas.to_json_schema(node).to_string();
    assert!(rendered.contains("\"$ref\":\"#/$defs/Node\""), "{rendered}");
    let rendered = m.schemas.to_json_schema(a).to_string();
    assert!(rendered.contains("#/$defs/B"), "{rendered}");
}

#[test]
fn remote_refs_are_errors_naming_the_url() {
    for (place, text) in [
        (
            "schema",
            "openapi: 3.0.3\ninfo: {title: r, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'https://example.com/schemas.yaml#/Pet'}\n",
        ),
        (
            "parameter",
            "openapi: 3.0.3\ninfo: {title: r, version: '1'}\npaths:\n  /x:\n    get:\n      parameters:\n        - $ref: 'http://example.com/params.yaml#/Limit'\n      responses:\n        '200': {description: ok}\n",
        ),
        (
            "protocol-relative",
            "swagger: '2.0'\ninfo: {title: r, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n          schema: {$ref: '//example.com/defs.json#/Pet'}\n",
        ),
    ] {
        // Remote references fail even in lenient mode: there is no skipping them silently.
        let e = load_str(text, "remote.yaml").expect_err(place);
        let SpecErrorKind::RemoteRef(url) = &e.kind else {
            panic!("{place}: {e:?}")
        };
        assert!(url.contains("example.com"), "{place}: {url}");
        let message = e.to_string();
        assert!(
            message.starts_with("remote.yaml: /paths/~1x/get/"),
            "{message}"
        );
        assert!(message.contains(url.as_str()), "{message}");
        assert!(message.contains("does not fetch"), "{message}");
    }
}

const MISSING: &str = r#"
openapi: 3.0.3
info: {title: missing, version: '1'}
paths:
  /x:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Nope'}
  /y:
    get:
      parameters:
        - $ref: '#/components/parameters/Gone'
      responses:
        '200': {description: ok}
"#;

#[test]
fn a_missing_target_is_an_error_with_the_pointer_in_strict_mode() {
    let e: SpecError = load_str_with(MISSING, "missing.yaml", &LoadOptions::strict()).unwrap_err();
    let SpecErrorKind::UnresolvedRef { reference, reason } = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(reference, "#/components/schemas/Nope");
    assert!(reason.contains("#/components/schemas/Nope"), "{reason}");
    assert_eq!(e.file, "missing.yaml");
    assert_eq!(
        e.pointer,
        "/paths/~1x/get/responses/200/content/application~1json/schema/$ref"
    );
    assert!(
        e.to_string()
            .starts_with("missing.yaml: /paths/~1x/get/responses/200/content/application~1json/schema/$ref: `$ref: #/components/schemas/Nope` cannot be resolved"),
        "{e}"
    );
}

#[test]
fn a_missing_target_is_skipped_with_a_warning_in_lenient_mode() {
    let m = load_str(MISSING, "missing.yaml").unwrap();
    // The schema becomes "any value"; the operation stays.
    let x = response_schema(&m, "GET /x", 200);
    assert_eq!(m.schemas.get(x).kind, SchemaKind::Any);
    let w = m
        .warnings
        .iter()
        .find(|w| w.message.contains("#/components/schemas/Nope"))
        .expect("a warning about the schema");
    assert_eq!(
        w.pointer,
        "#/paths/~1x/get/responses/200/content/application~1json/schema/$ref"
    );
    // An operation whose parameter cannot be resolved is skipped, with the place.
    assert!(m.operation(&OperationId::new("GET", "/y")).is_none());
    let w = m
        .warnings
        .iter()
        .find(|w| w.pointer == "#/paths/~1y/get")
        .expect("a warning about the skipped operation");
    assert!(
        w.message.contains("#/components/parameters/Gone"),
        "{}",
        w.message
    );
    assert!(w.message.contains("skipped"), "{}", w.message);
}

#[test]
fn missing_files_and_reference_cycles() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "api.yaml",
        r#"
openapi: 3.0.3
info: {title: broken, version: '1'}
paths:
  /x:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'nowhere.yaml#/Thing'}
"#,
    );
    write(
        dir.path(),
        "cycle.yaml",
        r#"
openapi: 3.0.3
info: {title: broken, version: '1'}
paths:
  /loop:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/A'}
components:
  schemas:
    A: {$ref: '#/components/schemas/B'}
    B: {$ref: '#/components/schemas/A'}
"#,
    );
    let api = dir.path().join("api.yaml");
    let e = load_file_with(&api, &LoadOptions::strict()).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("api.yaml: /paths/~1x/get/"), "{text}");
    assert!(text.contains("cannot read"), "{text}");
    assert!(text.contains("nowhere.yaml"), "{text}");
    let m = load_file(&api).unwrap();
    assert!(
        m.warnings
            .iter()
            .any(|w| w.message.contains("nowhere.yaml")),
        "{:#?}",
        m.warnings
    );
    assert_eq!(
        m.schemas.get(response_schema(&m, "GET /x", 200)).kind,
        SchemaKind::Any
    );
    assert!(
        op(&m, "GET /x")
            .responses
            .contains_key(&StatusKey::Code(200))
    );

    let cycle = dir.path().join("cycle.yaml");
    let e = load_file_with(&cycle, &LoadOptions::strict()).unwrap_err();
    assert!(matches!(e.kind, SpecErrorKind::RefCycle(_)), "{e}");
    assert!(e.to_string().contains("/components/schemas/"), "{e}");
    let m = load_file(&cycle).unwrap();
    assert!(
        m.warnings.iter().any(|w| w.message.contains("cycle")),
        "{:#?}",
        m.warnings
    );
    assert_eq!(
        m.schemas.get(response_schema(&m, "GET /loop", 200)).kind,
        SchemaKind::Any
    );
}

//! `trespass spec PATH --identities FILE`: the merged model and what each operation can be
//! judged by, on a small API in a style unlike the demos (Swagger 2.0, version segment after
//! the collection, natural keys, creates answering `{"status": "success"}`, no operationIds),
//! with and without a `[[resource]]` correction; and the errors of a wrong declaration.

use std::path::Path;
use std::process::{Command, Output};

const LIBRARY: &str = r#"swagger: '2.0'
info: {title: library, version: '2'}
securityDefinitions:
  token: {type: apiKey, in: header, name: Authorization}
security: [{token: []}]
paths:
  /users/v1/login:
    post:
      security: []
      parameters:
        - {name: body, in: body, schema: {type: object, properties: {username: {type: string}, password: {type: string}}}}
      responses:
        '200': {description: ok, schema: {type: object, properties: {auth_token: {type: string}}}}
  /books/v1:
    get:
      responses:
        '200':
          description: ok
          schema:
            type: object
            properties:
              Books:
                type: array
                items: {type: object, properties: {book_title: {type: string}, user: {type: string}}}
    post:
      parameters:
        - {name: body, in: body, schema: {type: object, properties: {book_title: {type: string}, secret: {type: string}}}}
      responses:
        '200': {description: ok, schema: {type: object, properties: {status: {type: string}}}}
  /books/v1/{book_title}:
    parameters: [{name: book_title, in: path, required: true, type: string}]
    get:
      responses:
        '200': {description: ok, schema: {type: object, properties: {book_title: {type: string}, secret: {type: string}, owner: {type: string}}}}
    delete:
      responses:
        '204': {description: ok}
  /admin/v1/audit:
    get:
      tags: [admin]
      responses:
        '200': {description: ok}
"#;

const CAST: &str = r#"[[identity]]
name = "alice"
role = "user"
auth = { bearer = "${ALICE_TOKEN}" }

[[identity]]
name = "bob"
role = "user"
auth = { bearer = "b" }

[[identity]]
name = "root"
role = "admin"
auth = { bearer = "r" }

[[identity]]
name = "anon"
role = "anonymous"
"#;

const BOOK: &str = r#"
[[resource]]
kind = "book"
operations = ["path:/books/v1/**"]
key = { param = "book_title", field = "/book_title", from = "request" }
owner = { field = "/owner", holds = "username" }
"#;

fn run(dir: &Path, identities: &str, extra: &[&str]) -> Output {
    std::fs::write(dir.join("library.yaml"), LIBRARY).unwrap();
    std::fs::write(dir.join("ids.toml"), identities).unwrap();
    Command::new(env!("CARGO_BIN_EXE_trespass"))
        .arg("spec")
        .arg(dir.join("library.yaml"))
        .arg("--identities")
        .arg(dir.join("ids.toml"))
        .args(extra)
        .env("TRESPASS_LOG", "warn")
        .env_remove("ALICE_TOKEN")
        .output()
        .expect("the trespass binary runs")
}

fn stdout_of(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

#[test]
fn the_inferred_model_explains_what_it_cannot_judge() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout_of(&run(dir.path(), CAST, &[]));
    assert!(text.contains("\nto declare by hand ("), "{text}");
    insta::assert_snapshot!("library_inferred", text);
}

#[test]
fn a_resource_table_corrects_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout_of(&run(dir.path(), &format!("{CAST}{BOOK}"), &[]));
    assert!(text.contains("  book  declared\n"), "{text}");
    assert!(
        text.contains("    from    the create's request /book_title;"),
        "{text}"
    );
    insta::assert_snapshot!("library_declared", text);
}

#[test]
fn the_json_form_carries_the_explanation() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout_of(&run(dir.path(), &format!("{CAST}{BOOK}"), &["--json"]));
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(json["title"], "library");
    let kinds = json["explained"]["kinds"].as_array().unwrap();
    let book = kinds.iter().find(|k| k["kind"] == "book").unwrap();
    assert_eq!(book["origin"], "declared");
    assert_eq!(book["owner"], "/owner (username)");
    let ops = json["explained"]["operations"].as_array().unwrap();
    let read = ops
        .iter()
        .find(|o| o["operation"] == "GET /books/v1/{book_title}")
        .unwrap();
    assert!(
        read["judged_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "bola"),
        "{read}"
    );
}

#[test]
fn a_wrong_declaration_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = format!(
        "{CAST}{}",
        BOOK.replace("path:/books/v1/**", "GET /bookz/{id}")
    );
    let out = run(dir.path(), &wrong, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = wrong
        .lines()
        .position(|l| l.contains("/bookz/"))
        .expect("the line")
        + 1;
    assert!(
        stderr.contains(&format!(
            "ids.toml:{line}: `resource[0].operations[0]`: no operation matches `GET \
             /bookz/{{id}}`; did you mean `GET /books/v1/{{book_title}}`?"
        )),
        "{stderr}"
    );
}

use trespass_generators::model::{KeySource, OperationId, Origin};

use super::*;

const BOOKS: &str = r#"
swagger: '2.0'
info: {title: books, version: '1'}
paths:
  /books/v1:
    get:
      responses: {'200': {description: ok, schema: {type: array, items: {type: object, properties: {book_title: {type: string}}}}}}
    post:
      parameters: [{name: body, in: body, schema: {type: object, properties: {book_title: {type: string}}}}]
      responses: {'200': {description: ok, schema: {type: object, properties: {status: {type: string}}}}}
  /books/v1/{book_title}:
    parameters: [{name: book_title, in: path, required: true, type: string}]
    get:
      responses: {'200': {description: ok, schema: {type: object, properties: {book_title: {type: string}, owner: {type: string}}}}}
    delete:
      responses: {'204': {description: ok}}
  /users/v1/{username}:
    get:
      parameters: [{name: username, in: path, required: true, type: string}]
      responses: {'200': {description: ok}}
"#;

const HEAD: &str = r#"[[identity]]
name = "alice"
role = "user"
auth = { bearer = "a" }
"#;

fn parse(resources: &str) -> Result<IdentityFile, IdentityFileError> {
    IdentityFile::parse(&format!("{HEAD}{resources}"), "ids.toml", |_| None)
}

fn model() -> ApiModel {
    trespass_generators::load_str(BOOKS, "books.yaml").expect("the spec loads")
}

/// The line of `needle` in the whole file text.
fn line_of(resources: &str, needle: &str) -> usize {
    let text = format!("{HEAD}{resources}");
    text.lines()
        .position(|l| l.contains(needle))
        .expect("the needle is in the text")
        + 1
}

const BOOK: &str = r#"
[[resource]]
kind = "book"
create = ["POST /books/v1"]
read = ["GET /books/v1/{book_title}"]
delete = ["DELETE /books/v1/{book_title}"]
list = ["GET /books/v1"]
key = { param = "book_title", field = "/book_title", from = "request" }
owner = { field = "/owner", holds = "username" }
parent = "user"
singleton = false

[[resource]]
kind = "user"
read = ["GET /users/v1/{username}"]
"#;

#[test]
fn a_resource_table_declares_a_kind_over_the_inferred_model() {
    let mut file = parse(BOOK).unwrap();
    assert_eq!(file.resources.len(), 2);
    let declared = &file.resources[0];
    assert_eq!(declared.declaration.kind, "book");
    assert_eq!(declared.line, line_of(BOOK, "kind = \"book\""));
    let mut model = model();
    file.apply_resources(&mut model).unwrap();
    let book = model.resource("book").expect("kind book");
    assert_eq!(book.origin, Origin::Declared);
    assert_eq!(book.parent.as_deref(), Some("user"));
    assert_eq!(
        book.read,
        [OperationId::new("GET", "/books/v1/{book_title}")]
    );
    assert_eq!(
        book.key_sources.first(),
        Some(&KeySource::RequestBody {
            pointer: "/book_title".into()
        })
    );
    assert_eq!(book.owner.as_ref().unwrap().pointer, "/owner");
}

#[test]
fn an_operation_that_does_not_exist_names_the_file_the_line_and_the_closest_one() {
    let text = BOOK.replace(
        r#"read = ["GET /books/v1/{book_title}"]"#,
        r#"read = ["GET /books/v1/{book_title}",
        "GET /bookz/{id}"]"#,
    );
    let mut file = parse(&text).unwrap();
    let err = file.apply_resources(&mut model()).unwrap_err();
    let line = line_of(&text, "GET /bookz/{id}");
    assert_eq!(err.line, Some(line));
    assert_eq!(
        err.to_string(),
        format!(
            "ids.toml:{line}: `resource[0].read[1]`: no operation matches `GET /bookz/{{id}}`; \
             did you mean `GET /books/v1/{{book_title}}`?"
        )
    );
}

#[test]
fn spec_errors_point_at_the_key_and_the_parent() {
    let text = BOOK.replace("param = \"book_title\"", "param = \"title\"");
    let err = parse(&text)
        .unwrap()
        .apply_resources(&mut model())
        .unwrap_err();
    assert_eq!(err.line, Some(line_of(&text, "key = {")));
    assert!(
        err.to_string()
            .contains("`resource[0].key.param`: `title` is not a path parameter"),
        "{err}"
    );
    let text = BOOK.replace("parent = \"user\"", "parent = \"usr\"");
    let err = parse(&text)
        .unwrap()
        .apply_resources(&mut model())
        .unwrap_err();
    assert_eq!(err.line, Some(line_of(&text, "parent = ")));
    assert!(err.to_string().contains("did you mean `user`?"), "{err}");
}

#[test]
fn unknown_keys_and_values_are_syntax_errors_with_their_line() {
    for (text, needle, says) in [
        (
            BOOK.replace("singleton", "singletn"),
            "singletn",
            "unknown field `singletn`",
        ),
        (
            BOOK.replace("holds = \"username\"", "holds = \"name\""),
            "holds = ",
            "unknown variant `name`, expected one of `id`, `username`, `email`",
        ),
        (
            BOOK.replace("from = \"request\"", "from = \"body\""),
            "from = ",
            "unknown variant `body`",
        ),
        (
            BOOK.replace(
                "field = \"/book_title\"",
                "field = \"/book_title\", fro = \"x\"",
            ),
            "fro = ",
            "unknown field `fro`",
        ),
    ] {
        let err = parse(&text).unwrap_err();
        assert_eq!(err.line, Some(line_of(&text, needle)), "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[test]
fn patterns_fields_and_kinds_are_checked_while_parsing() {
    for (text, needle, says) in [
        (
            BOOK.replace("\"POST /books/v1\"", "\"books\""),
            "create = ",
            "`books` is not an operation pattern",
        ),
        (
            BOOK.replace("kind = \"book\"", "kind = \" \""),
            "kind = ",
            "the kind is empty",
        ),
        (
            BOOK.replace("field = \"/owner\"", "field = \"a/b\""),
            "owner = ",
            "is not a field",
        ),
        (
            BOOK.replace(
                "key = { param = \"book_title\", field = \"/book_title\", from = \"request\" }",
                "key = {}",
            ),
            "key = ",
            "the key is empty",
        ),
    ] {
        let err = parse(&text).unwrap_err();
        assert_eq!(err.line, Some(line_of(&text, needle)), "{text}\n{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[test]
fn a_file_without_resources_leaves_the_model_alone() {
    let mut file = parse("").unwrap();
    assert!(file.resources.is_empty());
    let mut m = model();
    let before = m.clone();
    file.apply_resources(&mut m).unwrap();
    assert_eq!(m, before);
}

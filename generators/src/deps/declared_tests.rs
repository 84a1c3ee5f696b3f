use super::*;
use crate::model::{LinkTarget, OwnerRef, ParameterLocation};

/// A VAmPI-like API: version segment after the collection, natural keys, creates that
/// answer `{"status": "success"}`.
const BOOKS: &str = r#"
openapi: 3.0.3
info: {title: books, version: '1'}
paths:
  /books/v1:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {type: object, properties: {book_title: {type: string}, owner: {type: string}}}
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {book_title: {type: string}, secret: {type: string}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {status: {type: string}}}
  /books/v1/{book_title}:
    parameters: [{name: book_title, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {book_title: {type: string}, owner: {type: string}, secret: {type: string}}}
    put:
      responses: {'204': {description: ok}}
    delete:
      responses: {'204': {description: ok}}
  /users/v1/{username}:
    parameters: [{name: username, in: path, required: true, schema: {type: string}}]
    get:
      operationId: getUser
      tags: [users]
      responses: {'200': {description: ok}}
"#;

/// A Swagger 2.0 API whose account create is `POST /signup`, away from `/accounts`.
const SIGNUP: &str = r#"
swagger: '2.0'
info: {title: signup, version: '1'}
paths:
  /signup:
    post:
      parameters:
        - {name: body, in: body, schema: {type: object, properties: {login: {type: string}}}}
      responses:
        '201':
          description: ok
          schema: {type: object, properties: {login: {type: string}, created: {type: string}}}
  /accounts/{login}:
    get:
      parameters: [{name: login, in: path, required: true, type: string}]
      responses:
        '200':
          description: ok
          schema: {type: object, properties: {login: {type: string}, plan: {type: string}}}
  /orders:
    post:
      responses:
        '201':
          description: ok
          schema: {type: object, properties: {id: {type: integer}}}
  /orders/{orderId}:
    get:
      parameters: [{name: orderId, in: path, required: true, type: integer}]
      responses: {'200': {description: ok}}
"#;

fn load(text: &str) -> ApiModel {
    crate::spec::load_str(text, "t.yaml").expect("the spec loads")
}

fn pats(list: &[&str]) -> Vec<OperationPattern> {
    list.iter().map(|p| p.parse().expect("a pattern")).collect()
}

fn ids(list: &[&str]) -> Vec<OperationId> {
    list.iter()
        .map(|s| OperationId::parse(s).expect("an operation id"))
        .collect()
}

fn book() -> ResourceDeclaration {
    let mut d = ResourceDeclaration::new("book");
    d.create = Some(pats(&["POST /books/v1"]));
    d.read = Some(pats(&["GET /books/v1/{book_title}"]));
    d.update = Some(pats(&["PUT /books/v1/{book_title}"]));
    d.delete = Some(pats(&["DELETE /books/v1/{book_title}"]));
    d.list = Some(pats(&["GET /books/v1"]));
    d.key = Some(KeyDeclaration {
        param: Some("book_title".into()),
        field: Some("book_title".into()),
        from: Some(KeyFrom::Request),
    });
    d.owner = Some(OwnerField {
        pointer: "/owner".into(),
        holds: OwnerRef::Username,
    });
    d
}

#[test]
fn a_declared_kind_takes_its_operations_key_and_owner() {
    let mut model = load(BOOKS);
    apply_declarations(&mut model, &[book()]).unwrap();
    let r = model.resource("book").expect("kind book");
    assert_eq!(r.origin, Origin::Declared);
    assert_eq!(r.create, ids(&["POST /books/v1"]));
    assert_eq!(r.read, ids(&["GET /books/v1/{book_title}"]));
    assert_eq!(r.update, ids(&["PUT /books/v1/{book_title}"]));
    assert_eq!(r.delete, ids(&["DELETE /books/v1/{book_title}"]));
    assert_eq!(r.list, ids(&["GET /books/v1"]));
    assert_eq!(r.id_params, ["book_title"]);
    assert_eq!(r.id_field.as_deref(), Some("book_title"));
    assert_eq!(
        r.key_sources,
        [
            KeySource::RequestBody {
                pointer: "/book_title".into()
            },
            KeySource::List {
                operation: OperationId::new("GET", "/books/v1"),
                pointer: "/book_title".into()
            }
        ]
    );
    assert_eq!(r.owner.as_ref().map(|o| o.holds), Some(OwnerRef::Username));
    assert!(
        r.schema.is_some(),
        "the read's answer is the object's schema"
    );
    // Every book operation belongs to `book` alone now.
    for (role, op) in r.operations() {
        let (owner, r2) = model.resource_of(op).unwrap();
        assert_eq!((owner.kind.as_str(), r2), ("book", role), "{op}");
        let holders = model
            .resources
            .iter()
            .filter(|k| k.role_of(op).is_some())
            .count();
        assert_eq!(holders, 1, "{op} is in one kind");
    }
}

#[test]
fn operations_by_pattern_get_their_roles_from_method_and_path() {
    let mut model = load(BOOKS);
    let mut d = ResourceDeclaration::new("volume");
    d.operations = pats(&["path:/books/v1/**"]);
    d.delete = Some(Vec::new());
    apply_declarations(&mut model, &[d]).unwrap();
    let r = model.resource("volume").expect("kind volume");
    assert_eq!(r.create, ids(&["POST /books/v1"]));
    assert_eq!(r.list, ids(&["GET /books/v1"]));
    assert_eq!(r.read, ids(&["GET /books/v1/{book_title}"]));
    assert_eq!(r.update, ids(&["PUT /books/v1/{book_title}"]));
    assert!(r.delete.is_empty(), "an explicit empty list wins");
    assert_eq!(
        r.id_params,
        ["book_title"],
        "the item operations' parameter"
    );
    // The delete is not the declared kind's: it stays where inference put it, in one kind.
    let delete = OperationId::new("DELETE", "/books/v1/{book_title}");
    let holders: Vec<&str> = model
        .resources
        .iter()
        .filter(|k| k.role_of(&delete).is_some())
        .map(|k| k.kind.as_str())
        .collect();
    assert!(
        holders.len() <= 1 && !holders.contains(&"volume"),
        "{holders:?}"
    );
}

#[test]
fn only_the_fields_given_replace_the_inferred_ones() {
    let mut model = load(SIGNUP);
    let before = model.resource("order").cloned().expect("order is inferred");
    let mut d = ResourceDeclaration::new("order");
    d.owner = Some(OwnerField {
        pointer: "customer/id".into(),
        holds: OwnerRef::Id,
    });
    d.singleton = Some(false);
    apply_declarations(&mut model, &[d]).unwrap();
    let after = model.resource("order").unwrap();
    assert_eq!(after.origin, Origin::Declared);
    assert_eq!(after.create, before.create);
    assert_eq!(after.read, before.read);
    assert_eq!(after.id_params, before.id_params);
    assert_eq!(after.id_field, before.id_field);
    assert_eq!(
        after.owner,
        Some(OwnerField {
            pointer: "/customer~1id".into(),
            holds: OwnerRef::Id
        }),
        "a bare name becomes a pointer to that one field"
    );
}

#[test]
fn a_declared_create_is_linked_to_the_kinds_reads_again() {
    let mut model = load(SIGNUP);
    let signup = OperationId::new("POST", "/signup");
    let read = OperationId::new("GET", "/accounts/{login}");
    let linked = |m: &ApiModel| {
        m.links.iter().any(|l| {
            l.producer == signup
                && l.consumer == read
                && l.target
                    == LinkTarget::Parameter {
                        location: ParameterLocation::Path,
                        name: "login".into(),
                    }
        })
    };
    assert!(!linked(&model), "inference alone does not see the signup");
    let mut d = ResourceDeclaration::new("account");
    d.create = Some(pats(&["operationId:nope"]));
    assert!(apply_declarations(&mut model.clone(), &[d.clone()]).is_err());
    d.create = Some(pats(&["POST /signup"]));
    d.key = Some(KeyDeclaration {
        param: Some("{login}".into()),
        field: Some("/login".into()),
        from: Some(KeyFrom::Response),
    });
    apply_declarations(&mut model, &[d]).unwrap();
    assert!(linked(&model), "{:#?}", model.links);
    let r = model.resource("account").unwrap();
    assert_eq!(
        r.read,
        std::slice::from_ref(&read),
        "the inferred read stays"
    );
    assert_eq!(
        r.key_sources,
        [KeySource::ResponseBody {
            pointer: "/login".into()
        }]
    );
}

#[test]
fn a_kind_left_without_operations_is_dropped() {
    let mut model = load(SIGNUP);
    let mut d = ResourceDeclaration::new("purchase");
    d.operations = pats(&["path:/orders/**"]);
    apply_declarations(&mut model, &[d]).unwrap();
    assert!(model.resource("order").is_none());
    let r = model.resource("purchase").unwrap();
    assert_eq!(r.create, ids(&["POST /orders"]));
    assert_eq!(r.read, ids(&["GET /orders/{orderId}"]));
    assert_eq!(r.id_params, ["orderId"]);
}

#[test]
fn nothing_declared_changes_nothing() {
    let mut model = load(BOOKS);
    let before = model.clone();
    apply_declarations(&mut model, &[]).unwrap();
    assert_eq!(model, before);
}

fn error_of(decls: &[ResourceDeclaration]) -> DeclarationError {
    let mut model = load(BOOKS);
    let before = model.clone();
    let err = apply_declarations(&mut model, decls).unwrap_err();
    assert_eq!(model, before, "an error leaves the model as it was");
    err
}

#[test]
fn an_operation_that_does_not_exist_is_named_with_the_closest_one() {
    let mut d = book();
    d.read = Some(pats(&["GET /books/v1/{book_title}", "GET /bookz/{id}"]));
    let err = error_of(&[d]);
    assert_eq!(err.index, 0);
    assert_eq!(err.field, DeclarationField::Role(CrudRole::Read, 1));
    assert_eq!(
        err.message,
        "no operation matches `GET /bookz/{id}`; did you mean `GET /books/v1/{book_title}`?"
    );
    let mut d = ResourceDeclaration::new("user");
    d.operations = pats(&["operationId:getUsr", "tag:user"]);
    let err = error_of(&[d.clone()]);
    assert_eq!(err.field, DeclarationField::Operations(0));
    assert!(err.message.ends_with("did you mean `operationId:getUser`?"));
    d.operations.remove(0);
    let err = error_of(&[d]);
    assert!(err.message.ends_with("did you mean `tag:users`?"), "{err}");
}

#[test]
fn a_key_param_must_be_a_path_parameter_of_the_item_operations() {
    let mut d = book();
    d.key.as_mut().unwrap().param = Some("title".into());
    let err = error_of(&[d]);
    assert_eq!(err.field, DeclarationField::KeyParam);
    assert!(
        err.message.starts_with(
            "`title` is not a path parameter of kind `book`'s item operations (GET \
             /books/v1/{book_title}, PUT"
        ),
        "{err}"
    );
    assert!(err.message.ends_with("they take {book_title}"), "{err}");
    let mut d = ResourceDeclaration::new("shelf");
    d.create = Some(pats(&["POST /books/v1"]));
    d.key = Some(KeyDeclaration {
        param: Some("id".into()),
        ..KeyDeclaration::default()
    });
    let err = error_of(&[d]);
    assert!(err.message.contains("no read, update or delete"), "{err}");
}

#[test]
fn keys_from_the_request_or_a_list_need_a_field_and_a_list() {
    let mut d = book();
    d.key.as_mut().unwrap().field = None;
    let err = error_of(&[d]);
    assert_eq!(err.field, DeclarationField::KeyField);
    assert!(err.message.contains("from = \"request\""), "{err}");
    let mut d = book();
    d.list = Some(Vec::new());
    d.key.as_mut().unwrap().from = Some(KeyFrom::List);
    let err = error_of(&[d]);
    assert_eq!(err.field, DeclarationField::KeyFrom);
    let mut d = book();
    d.key = Some(KeyDeclaration {
        from: Some(KeyFrom::Location),
        ..KeyDeclaration::default()
    });
    let mut model = load(BOOKS);
    apply_declarations(&mut model, &[d]).unwrap();
    assert_eq!(
        model.resource("book").unwrap().key_sources,
        [KeySource::Location]
    );
}

fn user() -> ResourceDeclaration {
    let mut d = ResourceDeclaration::new("user");
    d.read = Some(pats(&["operationId:getUser"]));
    d
}

#[test]
fn parents_must_be_known_kinds_and_operations_belong_to_one() {
    let mut d = book();
    d.parent = Some("usr".into());
    let err = error_of(&[d, user()]);
    assert_eq!(err.field, DeclarationField::Parent);
    assert!(
        err.message
            .starts_with("unknown parent kind `usr`; did you mean `user`? the kinds are:"),
        "{err}"
    );
    let mut d = book();
    d.parent = Some("book".into());
    assert!(error_of(&[d]).message.contains("its own parent"));
    let mut other = ResourceDeclaration::new("tome");
    other.read = Some(pats(&["GET /books/v1/{book_title}"]));
    let err = error_of(&[book(), other]);
    assert_eq!(err.index, 1);
    assert_eq!(err.field, DeclarationField::Role(CrudRole::Read, 0));
    assert!(err.message.contains("belongs to one kind"), "{err}");
    let err = error_of(&[book(), book()]);
    assert_eq!((err.index, err.field), (1, DeclarationField::Kind));
    let mut d = book();
    d.parent = Some("user".into());
    let mut model = load(BOOKS);
    apply_declarations(&mut model, &[d, user()]).unwrap();
    assert_eq!(model.resource("user").unwrap().id_params, ["username"]);
    assert_eq!(
        model.resource("book").unwrap().parent.as_deref(),
        Some("user")
    );
}

#[test]
fn roles_by_shape() {
    let op = |m: Method, p: &str| Operation::new(m, p);
    let role = |m, p, key, single| role_by_shape(&op(m, p), key, single);
    assert_eq!(
        role(Method::Get, "/a/{id}", None, false),
        Some(CrudRole::Read)
    );
    assert_eq!(role(Method::Get, "/a", None, false), Some(CrudRole::List));
    assert_eq!(role(Method::Get, "/me", None, true), Some(CrudRole::Read));
    assert_eq!(
        role(Method::Post, "/a", None, false),
        Some(CrudRole::Create)
    );
    assert_eq!(
        role(Method::Post, "/a/{k}/cancel", Some("k"), false),
        Some(CrudRole::Update)
    );
    assert_eq!(
        role(Method::Patch, "/me", None, true),
        Some(CrudRole::Update)
    );
    assert_eq!(
        role(Method::Delete, "/a/{id}", None, false),
        Some(CrudRole::Delete)
    );
    assert_eq!(role(Method::Options, "/a", None, false), None);
    assert_eq!(levenshtein("kitten", "sitting"), 3);
    assert_eq!(normalise_params("/Books/{x}/y"), "/books/{}/y");
}

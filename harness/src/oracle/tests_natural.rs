//! Ownership by natural keys and owner fields, judged by `bola` and `list-leak`, on two small
//! specs of other styles than the demos: an OpenAPI 3 API of snippets keyed by `title` whose
//! create answers without the key and whose list names each author by username, and a
//! Swagger 2 wiki of pages keyed by `slug`, created with a `Location` header, whose reads name
//! the creator by email.

use serde_json::{Value, json};
use trespass_generators::model::{KeySource, OwnerField, OwnerRef, Resource};

use super::testkit::{TraceBuilder, op, pairs, with_resource};
use super::*;
use crate::exec::{Claim, ObjectKey};

const SNIPPETS: &str = r#"
openapi: 3.0.3
info: {title: snippets, version: "2"}
components:
  securitySchemes:
    jwt: {type: http, scheme: bearer, bearerFormat: JWT}
  schemas:
    NewSnippet:
      type: object
      required: [title, code]
      properties: {title: {type: string}, code: {type: string}}
    Summary:
      type: object
      properties: {title: {type: string}, author: {type: string}}
    Snippet:
      type: object
      properties:
        title: {type: string}
        code: {type: string}
        author: {type: string}
        secretNote: {type: string}
    Status:
      type: object
      properties: {status: {type: string}}
    Me:
      type: object
      properties: {username: {type: string}, email: {type: string}, id: {type: integer}}
security: [{jwt: []}]
paths:
  /api/v2/me:
    get:
      responses:
        '200': {description: me, content: {application/json: {schema: {$ref: '#/components/schemas/Me'}}}}
  /api/v2/snippets:
    get:
      responses:
        '200':
          description: all
          content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Summary'}}}}
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/NewSnippet'}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Status'}}}}
  /api/v2/snippets/{title}:
    parameters: [{name: title, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200': {description: one, content: {application/json: {schema: {$ref: '#/components/schemas/Snippet'}}}}
        '401': {description: not yours}
    delete:
      responses:
        '204': {description: gone}
        '401': {description: not yours}
"#;

pub(super) fn snippets() -> trespass_generators::ApiModel {
    let model = trespass_generators::load_str(SNIPPETS, "snippets.yaml").expect("loads");
    let mut snippet = Resource::new("snippet");
    snippet.id_field = Some("title".into());
    snippet.id_params = vec!["title".into()];
    snippet.create = vec![op("POST /api/v2/snippets")];
    snippet.read = vec![op("GET /api/v2/snippets/{title}")];
    snippet.delete = vec![op("DELETE /api/v2/snippets/{title}")];
    snippet.list = vec![op("GET /api/v2/snippets")];
    snippet.key_sources = vec![
        KeySource::RequestBody {
            pointer: "/title".into(),
        },
        KeySource::List {
            operation: op("GET /api/v2/snippets"),
            pointer: "/title".into(),
        },
    ];
    snippet.owner = Some(OwnerField {
        pointer: "/author".into(),
        holds: OwnerRef::Username,
    });
    // The object's schema (its read's answer), against which the list's `Summary` is a summary.
    snippet.schema = model
        .operation(&op("GET /api/v2/snippets/{title}"))
        .and_then(|o| o.success_responses().find_map(|(_, r)| r.json_schema()));
    assert!(snippet.schema.is_some());
    with_resource(model, snippet)
}

const WIKI: &str = r#"
swagger: "2.0"
info: {title: wiki, version: "1"}
securityDefinitions:
  key: {type: apiKey, in: header, name: X-Wiki-Key}
security: [{key: []}]
definitions:
  PageIn:
    type: object
    properties: {slug: {type: string}, text: {type: string}}
  Page:
    type: object
    properties:
      slug: {type: string}
      text: {type: string}
      createdBy: {type: string, format: email}
  Entry:
    type: object
    properties: {slug: {type: string}, words: {type: integer}}
paths:
  /pages:
    get:
      produces: [application/json]
      responses:
        '200': {description: all, schema: {type: array, items: {$ref: '#/definitions/Entry'}}}
    post:
      consumes: [application/json]
      parameters: [{in: body, name: page, required: true, schema: {$ref: '#/definitions/PageIn'}}]
      responses:
        '201': {description: made, headers: {Location: {type: string}}}
  /pages/{slug}:
    parameters: [{name: slug, in: path, required: true, type: string}]
    get:
      produces: [application/json]
      responses:
        '200': {description: one, schema: {$ref: '#/definitions/Page'}}
        '403': {description: not yours}
    put:
      consumes: [application/json]
      produces: [application/json]
      parameters: [{in: body, name: page, required: true, schema: {$ref: '#/definitions/PageIn'}}]
      responses:
        '200': {description: changed, schema: {$ref: '#/definitions/Page'}}
        '403': {description: not yours}
"#;

pub(super) fn wiki() -> trespass_generators::ApiModel {
    let model = trespass_generators::load_str(WIKI, "wiki.yaml").expect("loads");
    let mut page = Resource::new("page");
    page.id_params = vec!["slug".into()];
    page.create = vec![op("POST /pages")];
    page.read = vec![op("GET /pages/{slug}")];
    page.update = vec![op("PUT /pages/{slug}")];
    page.list = vec![op("GET /pages")];
    page.key_sources = vec![
        KeySource::Location,
        KeySource::List {
            operation: op("GET /pages"),
            pointer: "/slug".into(),
        },
    ];
    page.owner = Some(OwnerField {
        pointer: "/createdBy".into(),
        holds: OwnerRef::Email,
    });
    with_resource(model, page)
}

/// The snippets API with its identities: alice and bob (users), root (admin), by username.
fn forum() -> TraceBuilder {
    TraceBuilder::new(snippets())
        .knows("alice:user", OwnerRef::Username, "alice")
        .knows("bob:user", OwnerRef::Username, "bob")
        .knows("root:admin", OwnerRef::Username, "root")
}

fn snippet(title: &str, author: &str) -> Value {
    json!({"title": title, "code": "fn main() {}", "author": author, "secretNote": "s3"})
}

/// `who` lists the snippets: one seeded by alice, one by carol (no identity), one by bob.
fn listed(who: &str) -> TraceBuilder {
    forum().step(
        who,
        "GET /api/v2/snippets",
        &[],
        None,
        200,
        json!([{"title": "alice-notes", "author": "alice"},
               {"title": "carols-code", "author": "carol"},
               {"title": "bob-hacks", "author": "bob"}]),
    )
}

fn bob_reads(trace: TraceBuilder, title: &str, status: u16, author: &str) -> TraceBuilder {
    let body = if status == 200 {
        snippet(title, author)
    } else {
        json!({"error": "unauthorized"})
    };
    trace.step(
        "bob:user",
        "GET /api/v2/snippets/{title}",
        &[("title", json!(title))],
        None,
        status,
        body,
    )
}

#[test]
fn bola_judges_a_seeded_snippet_known_from_a_list_by_its_author() {
    for lister in ["root:admin", "alice:user", "bob:user", "anon:anonymous"] {
        let trace = bob_reads(listed(lister), "alice-notes", 200, "alice");
        let v = trace.check(&Bola);
        assert_eq!(
            pairs(&v),
            [("bola".into(), "GET /api/v2/snippets/{title}".into())],
            "listed by {lister}"
        );
        assert_eq!(v[0].roles, [Role::User, Role::User]);
        assert!(
            v[0].rule.contains("owner field names their username"),
            "{}",
            v[0].rule
        );
    }
    for status in [401, 403, 404] {
        let trace = bob_reads(listed("root:admin"), "alice-notes", status, "alice");
        assert!(trace.check(&Bola).is_empty(), "bob refused with {status}");
    }
    let own = bob_reads(listed("root:admin"), "bob-hacks", 200, "bob");
    assert!(own.check(&Bola).is_empty(), "bob's own snippet");
    let shared = bob_reads(listed("root:admin"), "alice-notes", 200, "alice").shared(&["snippet"]);
    assert!(shared.check(&Bola).is_empty(), "a shared kind");
    let foreign = bob_reads(listed("root:admin"), "carols-code", 200, "carol");
    assert!(foreign.check(&Bola).is_empty(), "carol is none of ours");
}

#[test]
fn the_read_itself_names_the_owner_even_without_a_list() {
    let trace = bob_reads(forum(), "alice-notes", 200, "alice");
    assert_eq!(pairs(&trace.check(&Bola)).len(), 1);
    let ownership = trace.ownership();
    let key = ObjectKey {
        kind: "snippet".into(),
        id: "alice-notes".into(),
    };
    let (owner, claim) = ownership.owner(&key).expect("owned");
    assert_eq!(owner.as_str(), "alice");
    assert!(matches!(
        claim,
        Claim::OwnerField {
            holds: OwnerRef::Username,
            ..
        }
    ));
}

#[test]
fn a_create_without_the_key_in_its_answer_is_keyed_by_its_request() {
    let trace = forum()
        .step(
            "alice:user",
            "POST /api/v2/snippets",
            &[],
            Some(json!({"title": "mine", "code": "x"})),
            201,
            json!({"status": "success"}),
        )
        .step(
            "bob:user",
            "DELETE /api/v2/snippets/{title}",
            &[("title", json!("mine"))],
            None,
            204,
            Value::Null,
        );
    let ownership = trace.ownership();
    let key = ObjectKey {
        kind: "snippet".into(),
        id: "mine".into(),
    };
    assert!(matches!(
        ownership.owner(&key),
        Some((who, Claim::Created { .. })) if who.as_str() == "alice"
    ));
    let v = trace.check(&Bola);
    assert_eq!(
        pairs(&v),
        [("bola".into(), "DELETE /api/v2/snippets/{title}".into())]
    );
    assert!(v[0].rule.contains("created it in step 1"), "{}", v[0].rule);
}

#[test]
fn foreign_and_unknown_owners_are_not_attributed_from_lists() {
    // Only bob's list shows carol's snippet; without its author it would be attributed to bob.
    let trace = listed("bob:user").step(
        "alice:user",
        "GET /api/v2/snippets/{title}",
        &[("title", json!("carols-code"))],
        None,
        200,
        snippet("carols-code", "carol"),
    );
    let ownership = trace.ownership();
    let key = ObjectKey {
        kind: "snippet".into(),
        id: "carols-code".into(),
    };
    assert_eq!(ownership.owner(&key), None);
    assert!(ownership.is_foreign(&key));
    assert!(trace.check(&Bola).is_empty());
}

#[test]
fn an_email_learned_from_me_resolves_an_owner_seen_before() {
    let mut model = snippets();
    let field = |pointer: &str, holds| {
        Some(OwnerField {
            pointer: pointer.into(),
            holds,
        })
    };
    model.resources.iter_mut().for_each(|r| {
        if r.kind == "snippet" {
            r.owner = field("/authorEmail", OwnerRef::Email);
        }
    });
    // No login body says alice's address; her `/me` read, after the list, does.
    let trace = TraceBuilder::new(model.clone())
        .knows("alice:user", OwnerRef::Username, "alice")
        .knows("bob:user", OwnerRef::Username, "bob")
        .step(
            "root:admin",
            "GET /api/v2/snippets",
            &[],
            None,
            200,
            json!([{"title": "t", "authorEmail": "alice@forum.test"}]),
        )
        .step(
            "alice:user",
            "GET /api/v2/me",
            &[],
            None,
            200,
            json!({"username": "alice", "email": "Alice@forum.test"}),
        )
        .step(
            "bob:user",
            "GET /api/v2/snippets/{title}",
            &[("title", json!("t"))],
            None,
            200,
            json!({"title": "t", "authorEmail": "alice@forum.test"}),
        );
    let v = trace.check(&Bola);
    assert_eq!(v.len(), 1);
    assert!(v[0].rule.contains("names their email"), "{}", v[0].rule);
    model.resources.iter_mut().for_each(|r| {
        if r.kind == "snippet" {
            r.owner = field("/authorId", OwnerRef::Id);
        }
    });
    let by_id = |me_first: bool| {
        let mut t = TraceBuilder::new(model.clone())
            .knows("alice:user", OwnerRef::Username, "alice")
            .knows("bob:user", OwnerRef::Username, "bob");
        let me = |t: TraceBuilder, who: &str, id: u64| {
            t.step(who, "GET /api/v2/me", &[], None, 200, json!({"id": id}))
        };
        if me_first {
            t = me(me(t, "alice:user", 7), "bob:user", 8);
        }
        t = t.step(
            "root:admin",
            "GET /api/v2/snippets",
            &[],
            None,
            200,
            json!([{"title": "t", "authorId": 7}, {"title": "u", "authorId": 99}]),
        );
        if !me_first {
            t = me(me(t, "alice:user", 7), "bob:user", 8);
        }
        t.step(
            "bob:user",
            "GET /api/v2/snippets/{title}",
            &[("title", json!("t"))],
            None,
            200,
            json!({"title": "t", "authorId": 7}),
        )
    };
    for me_first in [true, false] {
        let t = by_id(me_first);
        let v = t.check(&Bola);
        assert_eq!(v.len(), 1, "me first: {me_first}");
        assert!(v[0].rule.contains("names their id"), "{}", v[0].rule);
        let unknown = ObjectKey {
            kind: "snippet".into(),
            id: "u".into(),
        };
        assert!(t.ownership().is_foreign(&unknown), "99 is nobody's id");
    }
}

#[test]
fn list_leak_judges_natural_keys_but_not_lists_that_name_each_owner() {
    let wiki_ids = || {
        TraceBuilder::new(wiki())
            .knows("alice:user", OwnerRef::Email, "alice@wiki.test")
            .knows("bob:user", OwnerRef::Email, "bob@wiki.test")
    };
    let created = wiki_ids()
        .step(
            "alice:user",
            "POST /pages",
            &[],
            Some(json!({"slug": "plans", "text": "t"})),
            201,
            Value::Null,
        )
        .response_header("location", "/pages/plans");
    let leak = created.step(
        "bob:user",
        "GET /pages",
        &[],
        None,
        200,
        json!([{"slug": "plans", "words": 3}]),
    );
    assert_eq!(
        pairs(&leak.check(&ListLeak)),
        [("list-leak".into(), "GET /pages".into())]
    );
    // Labelled with its author, the snippets' index is a directory.
    let directory = forum()
        .step(
            "alice:user",
            "POST /api/v2/snippets",
            &[],
            Some(json!({"title": "mine", "code": "x"})),
            201,
            json!({"status": "success"}),
        )
        .step(
            "bob:user",
            "GET /api/v2/snippets",
            &[],
            None,
            200,
            json!([{"title": "mine", "author": "alice"}]),
        );
    assert!(directory.check(&ListLeak).is_empty());
}

#[test]
fn bola_judges_pages_keyed_by_location_and_owned_by_email() {
    let ids = || {
        TraceBuilder::new(wiki())
            .knows("alice:user", OwnerRef::Email, "Alice@Wiki.test")
            .knows("bob:user", OwnerRef::Email, "bob@wiki.test")
            .knows("root:admin", OwnerRef::Email, "root@wiki.test")
    };
    let page = |by: &str| json!({"slug": "plans", "text": "t", "createdBy": by});
    let write = |status: u16, by: &str| {
        ids()
            .step(
                "root:admin",
                "GET /pages/{slug}",
                &[("slug", json!("plans"))],
                None,
                200,
                page(by),
            )
            .step(
                "bob:user",
                "PUT /pages/{slug}",
                &[("slug", json!("plans"))],
                Some(json!({"text": "mine now"})),
                status,
                if status == 200 { page(by) } else { json!({}) },
            )
    };
    let v = write(200, "alice@wiki.test").check(&Bola);
    assert_eq!(pairs(&v), [("bola".into(), "PUT /pages/{slug}".into())]);
    assert!(v[0].message.contains("alice"), "{}", v[0].message);
    assert!(v[0].rule.contains("names their email"), "{}", v[0].rule);
    assert!(write(403, "alice@wiki.test").check(&Bola).is_empty());
    assert!(write(200, "bob@wiki.test").check(&Bola).is_empty());
    // Created by bob (through its Location), then read by root showing bob: bob's own.
    let own = ids()
        .step(
            "bob:user",
            "POST /pages",
            &[],
            Some(json!({"slug": "plans"})),
            201,
            Value::Null,
        )
        .response_header("location", "/pages/plans")
        .step(
            "bob:user",
            "PUT /pages/{slug}",
            &[("slug", json!("plans"))],
            Some(json!({"text": "x"})),
            200,
            page("bob@wiki.test"),
        );
    assert!(own.check(&Bola).is_empty());
}

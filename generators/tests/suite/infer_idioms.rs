//! Resource inference on the idioms real APIs use, each on a small spec written in a style
//! other than the demos' (`specs/`): version and prefix segments anywhere in the path, natural
//! keys, creates that answer without the key (the key from the request, `Location`, or a
//! list), owners named by username, email or id, and the caller's own objects (`/me`,
//! `/account`, `/profile`, `/user`). Then the sequences: one identity obtains an object by each
//! of these means and another uses its key.

use std::path::PathBuf;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;
use trespass_generators::ApiModel;
use trespass_generators::model::{
    KeySource, LinkSource, LinkTarget, OperationId, OwnerField, OwnerRef, Resource,
};
use trespass_generators::sequence::{
    Arg, IdentitySpec, RefSource, Role, Sequence, SequenceStrategy, Step,
};
use trespass_generators::values::payload;

fn spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/suite/specs")
        .join(name)
}

fn load(name: &str) -> ApiModel {
    trespass_generators::load_file(spec(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn kinds(model: &ApiModel) -> Vec<&str> {
    model.resources.iter().map(|r| r.kind.as_str()).collect()
}

fn kind<'m>(model: &'m ApiModel, name: &str) -> &'m Resource {
    model
        .resource(name)
        .unwrap_or_else(|| panic!("no kind `{name}` in {:?}", kinds(model)))
}

fn op(text: &str) -> OperationId {
    let (method, path) = text.split_once(' ').expect("METHOD /path");
    OperationId::new(method, path)
}

fn ops(list: &[OperationId]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn request(pointer: &str) -> KeySource {
    KeySource::RequestBody {
        pointer: pointer.into(),
    }
}

fn response(pointer: &str) -> KeySource {
    KeySource::ResponseBody {
        pointer: pointer.into(),
    }
}

fn listed(operation: &str, pointer: &str) -> KeySource {
    KeySource::List {
        operation: op(operation),
        pointer: pointer.into(),
    }
}

fn owner(pointer: &str, holds: OwnerRef) -> Option<OwnerField> {
    Some(OwnerField {
        pointer: pointer.into(),
        holds,
    })
}

/// Whether some link goes from `producer` to path parameter `param` of `consumer`, with a
/// source accepted by `source`.
fn linked(
    model: &ApiModel,
    producer: &str,
    consumer: &str,
    param: &str,
    source: impl Fn(&LinkSource) -> bool,
) -> bool {
    model.links.iter().any(|l| {
        l.producer == op(producer)
            && l.consumer == op(consumer)
            && matches!(&l.target, LinkTarget::Parameter { name, .. } if name == param)
            && source(&l.source)
    })
}

#[test]
fn vampi_style_versions_after_the_collection_and_keys_from_the_request() {
    let m = load("vampi.yaml");
    assert_eq!(kinds(&m), ["book", "user"], "no kind named after `v1`");
    let user = kind(&m, "user");
    assert_eq!(user.id_params, ["username"]);
    assert_eq!(user.id_field.as_deref(), Some("username"));
    assert_eq!(ops(&user.create), ["POST /users/v1/register"]);
    assert_eq!(ops(&user.list), ["GET /users/v1"]);
    assert_eq!(
        ops(&user.update),
        [
            "PUT /users/v1/{username}/email",
            "PUT /users/v1/{username}/password"
        ]
    );
    assert_eq!(
        user.key_sources,
        [request("/username"), listed("GET /users/v1", "/username")],
        "the list wraps its elements in `users`"
    );
    assert_eq!(user.owner, None, "a user's own username is no owner");
    assert!(!user.singleton);
    let book = kind(&m, "book");
    assert_eq!(book.id_params, ["book_title"]);
    assert_eq!(book.id_field.as_deref(), Some("book_title"));
    assert_eq!(
        book.key_sources,
        [
            request("/book_title"),
            listed("GET /books/v1", "/book_title")
        ]
    );
    assert_eq!(book.owner, owner("/owner", OwnerRef::Username));
    assert!(linked(
        &m,
        "POST /books/v1",
        "GET /books/v1/{book_title}",
        "book_title",
        |s| matches!(s, LinkSource::RequestBody { pointer } if pointer == "/book_title")
    ));
    assert!(linked(
        &m,
        "GET /users/v1",
        "PUT /users/v1/{username}/password",
        "username",
        |s| matches!(s, LinkSource::ResponseBody { pointer, .. } if pointer == "/users/0/username")
    ));
}

#[test]
fn swagger2_prefix_and_version_before_the_collection_with_envelopes() {
    let m = load("orders_v2.json");
    assert_eq!(kinds(&m), ["account", "order"], "no `api` or `v2` kind");
    let order = kind(&m, "order");
    assert_eq!(order.id_params, ["id"]);
    assert_eq!(order.id_field.as_deref(), Some("id"));
    assert_eq!(
        order.key_sources,
        [response("/data/id"), listed("GET /api/v2/orders", "/id")]
    );
    assert_eq!(order.owner, owner("/customer_id", OwnerRef::Id));
    let account = kind(&m, "account");
    assert!(account.singleton);
    assert_eq!(ops(&account.read), ["GET /api/v2/account"]);
    assert_eq!(ops(&account.update), ["PUT /api/v2/account"]);
    assert_eq!(account.id_field.as_deref(), Some("id"));
}

#[test]
fn openapi31_slug_keys_between_a_version_and_a_nested_author() {
    let m = load("articles.yaml");
    assert_eq!(kinds(&m), ["article", "profile"]);
    let article = kind(&m, "article");
    assert_eq!(article.id_params, ["slug"]);
    assert_eq!(article.id_field.as_deref(), Some("slug"));
    assert_eq!(ops(&article.read), ["GET /articles/v3/{slug}"]);
    assert_eq!(
        article.key_sources,
        [response("/data/slug"), listed("GET /articles/v3", "/slug")]
    );
    assert_eq!(article.owner, owner("/author/username", OwnerRef::Username));
    let profile = kind(&m, "profile");
    assert!(profile.singleton);
    assert_eq!(profile.id_field.as_deref(), Some("username"));
    assert!(linked(
        &m,
        "POST /articles/v3",
        "PUT /articles/v3/{slug}",
        "slug",
        |s| matches!(s, LinkSource::ResponseBody { pointer, .. } if pointer == "/data/slug")
    ));
}

#[test]
fn github_style_caller_and_two_parameter_items() {
    let m = load("github.yaml");
    assert_eq!(kinds(&m), ["repo", "user"]);
    let user = kind(&m, "user");
    assert!(user.singleton, "`/user` is the caller's own");
    assert_eq!(ops(&user.read), ["GET /users/{username}", "GET /user"]);
    assert_eq!(ops(&user.update), ["PATCH /user"]);
    assert_eq!(
        user.id_field.as_deref(),
        Some("login"),
        "`{{username}}` is a login"
    );
    let repo = kind(&m, "repo");
    assert_eq!(repo.id_params, ["repo"]);
    assert_eq!(
        repo.id_field.as_deref(),
        Some("name"),
        "`{{repo}}` is a name"
    );
    assert_eq!(ops(&repo.create), ["POST /user/repos"]);
    assert_eq!(ops(&repo.list), ["GET /user/repos"]);
    assert_eq!(
        repo.key_sources,
        [response("/name"), listed("GET /user/repos", "/name")]
    );
    assert_eq!(repo.owner, owner("/owner/login", OwnerRef::Username));
    assert!(linked(
        &m,
        "GET /user",
        "GET /users/{username}",
        "username",
        |s| matches!(s, LinkSource::ResponseBody { pointer, .. } if pointer == "/login")
    ));
    assert!(linked(
        &m,
        "POST /user/repos",
        "GET /repos/{owner}/{repo}",
        "repo",
        |_| true
    ));
}

#[test]
fn forum_contract_kinds_keys_owners_and_singletons() {
    let m = load("forum.yaml");
    assert_eq!(kinds(&m), ["notebook", "snippet", "user"]);
    let snippet = kind(&m, "snippet");
    assert_eq!(snippet.id_field.as_deref(), Some("title"));
    assert_eq!(
        snippet.key_sources,
        [request("/title"), listed("GET /api/v2/snippets", "/title")]
    );
    assert_eq!(snippet.owner, owner("/author", OwnerRef::Username));
    let notebook = kind(&m, "notebook");
    assert_eq!(notebook.id_params, ["name"]);
    assert_eq!(notebook.id_field.as_deref(), Some("name"));
    assert_eq!(
        notebook.key_sources,
        [KeySource::Location, request("/name")]
    );
    assert_eq!(notebook.owner, owner("/createdBy", OwnerRef::Email));
    let user = kind(&m, "user");
    assert!(user.singleton);
    assert_eq!(user.id_field.as_deref(), Some("username"));
    assert_eq!(
        ops(&user.read),
        ["GET /api/v2/users/{username}", "GET /api/v2/me"]
    );
    assert_eq!(
        ops(&user.update),
        ["PUT /api/v2/users/{username}/password", "PATCH /api/v2/me"]
    );
    assert_eq!(
        user.key_sources,
        [
            request("/username"),
            listed("GET /api/v2/users", "/username")
        ]
    );
    assert_eq!(user.owner, None);
    let password = "PUT /api/v2/users/{username}/password";
    assert!(linked(&m, "GET /api/v2/me", password, "username", |s| {
        matches!(s, LinkSource::ResponseBody { pointer, .. } if pointer == "/username")
    }));
    assert!(linked(
        &m,
        "GET /api/v2/users",
        password,
        "username",
        |_| true
    ));
    assert!(linked(
        &m,
        "POST /api/v2/snippets",
        "GET /api/v2/snippets/{title}",
        "title",
        |s| matches!(s, LinkSource::RequestBody { pointer } if pointer == "/title")
    ));
    assert!(linked(
        &m,
        "POST /notebooks/v1",
        "PUT /notebooks/v1/{name}",
        "name",
        |s| matches!(s, LinkSource::LocationHeader { .. })
    ));
    assert!(m.is_admin(&op("GET /api/v2/admin/users")));
}

fn cast() -> Vec<IdentitySpec> {
    vec![
        IdentitySpec::new("alice", Role::User),
        IdentitySpec::new("bob", Role::User),
        IdentitySpec::new("root", Role::Admin),
        IdentitySpec::new("anon", Role::Anonymous),
    ]
}

fn generate(model: &ApiModel, n: usize, seed: u8) -> Vec<Sequence> {
    let strategy = SequenceStrategy::new(model, &cast());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    );
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("generates").current())
        .collect()
}

/// Whether some step of `seq` by one identity takes path parameter `param` of `consumer` from
/// an earlier step of `producer` by another identity, at a source `source` accepts.
fn crossed(
    seq: &Sequence,
    producer: &str,
    consumer: &str,
    param: &str,
    source: impl Fn(&RefSource) -> bool,
) -> bool {
    seq.steps.iter().any(|step: &Step| {
        step.op == op(consumer)
            && matches!(step.args.path.get(param), Some(Arg::Ref(r))
                if seq.steps[r.step].op == op(producer)
                    && seq.steps[r.step].identity != step.identity
                    && source(&r.source))
    })
}

fn some(
    seqs: &[Sequence],
    producer: &str,
    consumer: &str,
    param: &str,
    source: impl Fn(&RefSource) -> bool,
) -> bool {
    seqs.iter()
        .any(|s| crossed(s, producer, consumer, param, &source))
}

#[test]
fn forum_sequences_cross_identities_through_requests_locations_lists_and_me() {
    let m = load("forum.yaml");
    let seqs = generate(&m, 400, 11);
    let snippet = "GET /api/v2/snippets/{title}";
    assert!(
        some(&seqs, "POST /api/v2/snippets", snippet, "title", |s| {
            matches!(s, RefSource::Request { pointer } if pointer == "/title")
        }),
        "another identity reads a snippet by the title its creator sent"
    );
    assert!(
        some(&seqs, "GET /api/v2/snippets", snippet, "title", |s| {
            matches!(s, RefSource::Body { pointer } if pointer == "/0/title")
        }),
        "another identity reads a snippet found in a list"
    );
    assert!(
        some(
            &seqs,
            "POST /notebooks/v1",
            "PUT /notebooks/v1/{name}",
            "name",
            |s| matches!(s, RefSource::Location)
        ),
        "another identity changes a notebook by its creator's Location"
    );
    let password = "PUT /api/v2/users/{username}/password";
    assert!(
        some(&seqs, "GET /api/v2/me", password, "username", |s| {
            matches!(s, RefSource::Body { pointer } if pointer == "/username")
        }),
        "another identity changes the password of a username taken from `/me`"
    );
    assert!(
        some(&seqs, "GET /api/v2/users", password, "username", |s| {
            matches!(s, RefSource::Body { pointer } if pointer == "/0/username")
        }),
        "another identity changes the password of a listed username"
    );
    // `PATCH /me` is never sent as someone else's object, and every step it takes is valid.
    for seq in &seqs {
        seq.validate_refs().expect("refs point backwards");
    }
}

#[test]
fn vampi_sequences_use_books_by_the_title_their_owner_sent() {
    let m = load("vampi.yaml");
    let seqs = generate(&m, 300, 5);
    assert!(some(
        &seqs,
        "POST /books/v1",
        "GET /books/v1/{book_title}",
        "book_title",
        |s| matches!(s, RefSource::Request { pointer } if pointer == "/book_title")
    ));
    assert!(some(
        &seqs,
        "GET /books/v1",
        "GET /books/v1/{book_title}",
        "book_title",
        |s| matches!(s, RefSource::Body { pointer } if pointer == "/Books/0/book_title")
    ));
}

#[test]
fn natural_keys_a_create_sends_are_unique_per_step() {
    let m = load("forum.yaml");
    let seqs = generate(&m, 200, 3);
    let mut creates = 0;
    for seq in &seqs {
        let titles: Vec<&str> = seq
            .steps
            .iter()
            .filter(|s| s.op == op("POST /api/v2/snippets"))
            .filter_map(|s| {
                let body = &s.args.body.as_ref()?.value;
                // Negative bodies (one constraint broken on purpose) keep generated values.
                body.get("code")?.as_str()?;
                body.get("title")?
                    .as_str()
                    .filter(|t| (1..=64).contains(&t.len()))
            })
            .collect();
        creates += titles.len();
        for (i, t) in titles.iter().enumerate() {
            // Plain (`k3xq81zpa`), or at the attack rate the long string of the ReDoS family,
            // unique by its length.
            let long = payload::classify(t) == Some(payload::Family::Long);
            assert!(
                long || (t.starts_with('k') && t.len() >= 9),
                "{t} in {seq:#?}"
            );
            assert!(!titles[..i].contains(t), "{t} twice in one case");
        }
        // Registrations get unique usernames too (`minLength: 3` is kept).
        for s in seq
            .steps
            .iter()
            .filter(|s| s.op == op("POST /api/v2/users"))
        {
            let Some(body) = s.args.body.as_ref().map(|b| &b.value) else {
                continue;
            };
            let valid = body
                .get("password")
                .and_then(Value::as_str)
                .is_some_and(|p| p.len() >= 8)
                && body.get("email").is_some_and(Value::is_string);
            let name = body.get("username").and_then(Value::as_str);
            if valid && name.is_some_and(|n| (3..=32).contains(&n.len())) {
                let long = s.violates.iter().any(|v| v == "payload long at /username")
                    && name.and_then(payload::classify) == Some(payload::Family::Long);
                assert!(long || name.is_some_and(|n| n.starts_with('k')), "{name:?}");
            }
        }
    }
    assert!(creates > 20, "only {creates} snippet creates");
}

//! The conformance oracles over real traces of the demo targets, run by the executor: the
//! secure targets' answers to every operation trip none of them, and the vulnerable targets'
//! planted conformance bugs are exactly what they report. (The same oracles over hand-built
//! traces are unit tests in `harness/src/oracle/tests_conformance.rs`.)

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use trespass::exec::{ClientConfig, Executor, HttpClient, RunResult};
use trespass::identity::{IdentityFile, Sessions};
use trespass::oracle::{CheckContext, Policy, Violation, check_all, select};
use trespass::redact::Redactor;
use trespass_generators::ApiModel;
use trespass_generators::model::OperationId;
use trespass_generators::sequence::{
    Arg, Args, AuthMode, BodyArg, BodyRef, IdentityId, Ref, RefSource, Sequence, Step,
};
use trespass_targets::{Mode, Service};

/// A pointer into an earlier step's response body.
struct R(usize, &'static str);

fn reference(r: R) -> Ref {
    Ref {
        step: r.0,
        source: RefSource::Body {
            pointer: r.1.into(),
        },
    }
}

/// A sequence under construction.
#[derive(Default)]
struct Seq(Vec<Step>);

impl Seq {
    /// Appends a step; returns its index.
    fn add(
        &mut self,
        who: &str,
        op: &str,
        path: Vec<(&str, R)>,
        query: Vec<(&str, Value)>,
        body: Option<(Value, Vec<(&str, R)>)>,
    ) -> usize {
        let mut args = Args::default();
        for (k, a) in path {
            args.path.insert(k.into(), Arg::Ref(reference(a)));
        }
        for (k, v) in query {
            args.query.insert(k.into(), Arg::Value(v));
        }
        args.body = body.map(|(value, refs)| BodyArg {
            media_type: "application/json".into(),
            value,
            refs: refs
                .into_iter()
                .map(|(at, r)| BodyRef {
                    at: at.into(),
                    from: reference(r),
                })
                .collect(),
        });
        self.0.push(Step {
            identity: IdentityId::new(who),
            op: OperationId::parse(op).expect("METHOD /path"),
            auth: AuthMode::Normal,
            args,
            violates: Vec::new(),
        });
        self.0.len() - 1
    }

    /// Sets path parameter `name` of step `step` to `reference`.
    fn path_ref(&mut self, step: usize, name: &str, reference: Ref) {
        self.0[step]
            .args
            .path
            .insert(name.into(), Arg::Ref(reference));
    }

    fn sequence(self) -> Sequence {
        Sequence { steps: self.0 }
    }
}

/// Runs `seq` against a fresh `service` in `mode` and returns the model and the result.
async fn run(service: Service, mode: Mode, seq: Sequence) -> (ApiModel, IdentityFile, RunResult) {
    let running = trespass_targets::start(service, mode, 0).expect("the demo target starts");
    let (model, file) = trespass_tests::demo(service);
    let client = HttpClient::new(ClientConfig::new(running.url().parse().expect("a URL")))
        .expect("a client");
    let sessions = Sessions::new(client, &file, Redactor::new());
    let executor = Executor::new(&model, &sessions, file.policy.shared_resources.clone());
    let result = executor.run(&seq).await;
    drop(running);
    assert!(
        result.trace.reject.is_none(),
        "the sequence ran to the end: {:?}",
        result.trace.reject
    );
    (model, file, result)
}

/// The conformance oracles' violations over a run (slow-response left out: tests do not
/// judge timing).
fn conformance_violations(
    model: &ApiModel,
    file: &IdentityFile,
    result: &RunResult,
) -> Vec<Violation> {
    let oracles = select("server-error,status-conformance,schema-conformance,negative-acceptance")
        .expect("valid names");
    let policy = Policy::new(model, &file.policy);
    let cx = CheckContext::new(
        model,
        &result.trace,
        &result.ownership,
        &policy,
        Duration::from_secs(5),
    );
    check_all(&oracles, &cx)
}

/// Operations of the model that never answered 2xx in the trace.
fn not_covered(model: &ApiModel, result: &RunResult) -> Vec<String> {
    let ok: BTreeSet<&OperationId> = result
        .trace
        .steps
        .iter()
        .filter(|s| s.succeeded())
        .map(|s| &s.op)
        .collect();
    model
        .operations
        .iter()
        .filter(|op| !ok.contains(&op.id))
        .map(|op| op.id.to_string())
        .collect()
}

fn shop_happy_path() -> Sequence {
    let mut s = Seq::default();
    let login = |name: &str, pw: &str| json!({"username": name, "password": pw});
    s.add(
        "anon",
        "POST /auth/login",
        vec![],
        vec![],
        Some((login("alice", "alice-pass-1"), vec![])),
    );
    let bob = s.add(
        "anon",
        "POST /auth/login",
        vec![],
        vec![],
        Some((login("bob", "bob-pass-2"), vec![])),
    );
    let me = s.add("alice", "GET /me", vec![], vec![], None);
    let u = || ("userId", R(me, "/id"));
    s.add("alice", "GET /users/{userId}", vec![u()], vec![], None);
    s.add(
        "alice",
        "PATCH /users/{userId}",
        vec![u()],
        vec![],
        Some((json!({"displayName": "Alice L."}), vec![])),
    );
    let address = json!({"recipient": "Alice", "line1": "1 Road", "city": "Oxford",
                         "postalCode": "OX1 1AA", "country": "GB"});
    let addr = s.add(
        "alice",
        "POST /users/{userId}/addresses",
        vec![u()],
        vec![],
        Some((address.clone(), vec![])),
    );
    s.add(
        "alice",
        "GET /users/{userId}/addresses",
        vec![u()],
        vec![],
        None,
    );
    let a = || ("addressId", R(addr, "/id"));
    s.add(
        "alice",
        "GET /users/{userId}/addresses/{addressId}",
        vec![u(), a()],
        vec![],
        None,
    );
    s.add(
        "alice",
        "PUT /users/{userId}/addresses/{addressId}",
        vec![u(), a()],
        vec![],
        Some((address, vec![])),
    );
    let products = s.add("alice", "GET /products", vec![], vec![], None);
    s.add(
        "anon",
        "GET /products/{productId}",
        vec![("productId", R(products, "/0/id"))],
        vec![],
        None,
    );
    let item = json!({"productId": 0, "quantity": 1});
    let p = || vec![("/productId", R(products, "/0/id"))];
    let cart = s.add(
        "alice",
        "POST /users/{userId}/cart/items",
        vec![u()],
        vec![],
        Some((item.clone(), p())),
    );
    s.add("alice", "GET /users/{userId}/cart", vec![u()], vec![], None);
    s.add(
        "alice",
        "DELETE /users/{userId}/cart/items/{itemId}",
        vec![u(), ("itemId", R(cart, "/items/0/id"))],
        vec![],
        None,
    );
    s.add(
        "alice",
        "POST /users/{userId}/cart/items",
        vec![u()],
        vec![],
        Some((item.clone(), p())),
    );
    let order_body = || {
        Some((
            json!({"addressId": 0}),
            vec![("/addressId", R(addr, "/id"))],
        ))
    };
    let placed = s.add(
        "alice",
        "POST /users/{userId}/orders",
        vec![u()],
        vec![],
        order_body(),
    );
    s.add(
        "alice",
        "GET /users/{userId}/orders",
        vec![u()],
        vec![("status", json!("placed"))],
        None,
    );
    s.add(
        "alice",
        "GET /users/{userId}/orders/{orderId}",
        vec![u(), ("orderId", R(placed, "/id"))],
        vec![],
        None,
    );
    s.add(
        "carol",
        "POST /admin/refunds",
        vec![],
        vec![],
        Some((
            json!({"orderId": 0, "reason": "damaged"}),
            vec![("/orderId", R(placed, "/id"))],
        )),
    );
    s.add("carol", "GET /admin/refunds", vec![], vec![], None);
    s.add(
        "alice",
        "POST /users/{userId}/cart/items",
        vec![u()],
        vec![],
        Some((item, p())),
    );
    let second = s.add(
        "alice",
        "POST /users/{userId}/orders",
        vec![u()],
        vec![],
        order_body(),
    );
    let o2 = || ("orderId", R(second, "/id"));
    s.add(
        "alice",
        "POST /users/{userId}/orders/{orderId}/cancel",
        vec![u(), o2()],
        vec![],
        None,
    );
    s.add(
        "alice",
        "GET /users/{userId}/orders/{orderId}",
        vec![u(), o2()],
        vec![],
        None,
    );
    let product = json!({"name": "Mug", "description": "A mug.", "priceCents": 900, "stock": 3});
    let created = s.add(
        "carol",
        "POST /products",
        vec![],
        vec![],
        Some((product.clone(), vec![])),
    );
    let pid = || ("productId", R(created, "/id"));
    s.add(
        "carol",
        "PUT /products/{productId}",
        vec![pid()],
        vec![],
        Some((product, vec![])),
    );
    s.add(
        "carol",
        "PATCH /products/{productId}",
        vec![pid()],
        vec![],
        Some((json!({"stock": 5}), vec![])),
    );
    s.add(
        "carol",
        "DELETE /products/{productId}",
        vec![pid()],
        vec![],
        None,
    );
    s.add("carol", "GET /admin/users", vec![], vec![], None);
    s.add(
        "alice",
        "DELETE /users/{userId}/addresses/{addressId}",
        vec![u(), a()],
        vec![],
        None,
    );
    s.add(
        "carol",
        "DELETE /users/{userId}",
        vec![("userId", R(bob, "/userId"))],
        vec![],
        None,
    );
    s.sequence()
}

fn notes_happy_path() -> Sequence {
    let mut s = Seq::default();
    s.add("alice", "GET /me", vec![], vec![], None);
    let bob = s.add("bob", "GET /me", vec![], vec![], None);
    let team = s.add(
        "alice",
        "POST /teams",
        vec![],
        vec![],
        Some((json!({"name": "Design", "description": "d"}), vec![])),
    );
    let t = || ("teamId", R(team, "/id"));
    s.add("alice", "GET /teams", vec![], vec![], None);
    s.add("alice", "GET /teams/{teamId}", vec![t()], vec![], None);
    s.add(
        "alice",
        "PATCH /teams/{teamId}",
        vec![t()],
        vec![],
        Some((json!({"name": "Design 2", "description": null}), vec![])),
    );
    let add_bob = || Some((json!({"userId": ""}), vec![("/userId", R(bob, "/id"))]));
    s.add(
        "alice",
        "POST /teams/{teamId}/members",
        vec![t()],
        vec![],
        add_bob(),
    );
    s.add(
        "alice",
        "POST /teams/{teamId}/members",
        vec![t()],
        vec![],
        add_bob(),
    );
    s.add(
        "alice",
        "GET /teams/{teamId}/members",
        vec![t()],
        vec![],
        None,
    );
    let doc = s.add(
        "alice",
        "POST /teams/{teamId}/documents",
        vec![t()],
        vec![],
        Some((json!({"title": "Roadmap", "body": "Q3"}), vec![])),
    );
    let d = || ("documentId", R(doc, "/id"));
    s.add(
        "alice",
        "GET /teams/{teamId}/documents",
        vec![t()],
        vec![("status", json!("active"))],
        None,
    );
    s.add(
        "alice",
        "GET /teams/{teamId}/documents/{documentId}",
        vec![t(), d()],
        vec![],
        None,
    );
    s.add(
        "alice",
        "PATCH /teams/{teamId}/documents/{documentId}",
        vec![t(), d()],
        vec![],
        Some((json!({"status": "archived"}), vec![])),
    );
    s.add(
        "alice",
        "GET /teams/{teamId}/documents/{documentId}",
        vec![t(), d()],
        vec![],
        None,
    );
    s.add(
        "alice",
        "PATCH /teams/{teamId}/documents/{documentId}",
        vec![t(), d()],
        vec![],
        Some((json!({"status": "active", "title": "Roadmap 2"}), vec![])),
    );
    let comment = s.add(
        "alice",
        "POST /teams/{teamId}/documents/{documentId}/comments",
        vec![t(), d()],
        vec![],
        Some((json!({"body": "Looks good."}), vec![])),
    );
    let c = || ("commentId", R(comment, "/id"));
    s.add(
        "alice",
        "GET /teams/{teamId}/documents/{documentId}/comments",
        vec![t(), d()],
        vec![],
        None,
    );
    s.add(
        "alice",
        "GET /teams/{teamId}/documents/{documentId}/comments/{commentId}",
        vec![t(), d(), c()],
        vec![],
        None,
    );
    s.add(
        "alice",
        "DELETE /teams/{teamId}/documents/{documentId}/comments/{commentId}",
        vec![t(), d(), c()],
        vec![],
        None,
    );
    let share = s.add(
        "alice",
        "POST /teams/{teamId}/documents/{documentId}/shares",
        vec![t(), d()],
        vec![],
        None,
    );
    let sh = || ("shareId", R(share, "/id"));
    s.add("anon", "GET /shares/{shareId}", vec![sh()], vec![], None);
    s.add(
        "alice",
        "DELETE /shares/{shareId}",
        vec![sh()],
        vec![],
        None,
    );
    s.add(
        "alice",
        "GET /documents",
        vec![],
        vec![("q", json!("road"))],
        None,
    );
    s.add("dana", "GET /admin/users", vec![], vec![], None);
    s.add(
        "dana",
        "PUT /admin/teams/{teamId}/plan",
        vec![t()],
        vec![],
        Some((json!({"plan": "enterprise"}), vec![])),
    );
    s.add(
        "dana",
        "GET /admin/audit-log",
        vec![],
        vec![("limit", json!(10))],
        None,
    );
    s.add(
        "alice",
        "DELETE /teams/{teamId}/documents/{documentId}",
        vec![t(), d()],
        vec![],
        None,
    );
    s.add(
        "dana",
        "POST /admin/users/{userId}/suspend",
        vec![("userId", R(bob, "/id"))],
        vec![],
        None,
    );
    s.sequence()
}

/// The forum's keys come from a create's own request body (`RefSource::Request`), a
/// `Location` header and bodies.
fn forum_happy_path() -> Sequence {
    let mut s = Seq::default();
    let request = |step: usize, pointer: &str| Ref {
        step,
        source: RefSource::Request {
            pointer: pointer.into(),
        },
    };
    s.add(
        "anon",
        "POST /api/v2/auth/login",
        vec![],
        vec![],
        Some((
            json!({"username": "bob", "password": "bob-forum-pw-2"}),
            vec![],
        )),
    );
    let carl = json!({"username": "carl", "email": "carl@forum.test", "password": "carl-pass"});
    let register = s.add(
        "anon",
        "POST /api/v2/users",
        vec![],
        vec![],
        Some((carl, vec![])),
    );
    s.add("anon", "GET /api/v2/users", vec![], vec![], None);
    let profile = s.add("anon", "GET /api/v2/users/{username}", vec![], vec![], None);
    s.path_ref(profile, "username", request(register, "/username"));
    let me = s.add("alice", "GET /api/v2/me", vec![], vec![], None);
    let bio = json!({"bio": "I write Rust.", "email": "alice@forum.test"});
    s.add(
        "alice",
        "PATCH /api/v2/me",
        vec![],
        vec![],
        Some((bio, vec![])),
    );
    s.add(
        "alice",
        "PUT /api/v2/users/{username}/password",
        vec![("username", R(me, "/username"))],
        vec![],
        Some((json!({"password": "alice-forum-pw-1"}), vec![])),
    );
    s.add("root", "GET /api/v2/admin/users", vec![], vec![], None);
    let snippet = json!({"title": "hello / world?", "code": "fn main() {}"});
    let created = s.add(
        "alice",
        "POST /api/v2/snippets",
        vec![],
        vec![],
        Some((snippet, vec![])),
    );
    s.add("alice", "GET /api/v2/snippets", vec![], vec![], None);
    for op in [
        "GET /api/v2/snippets/{title}",
        "DELETE /api/v2/snippets/{title}",
    ] {
        let step = s.add("alice", op, vec![], vec![], None);
        s.path_ref(step, "title", request(created, "/title"));
    }
    let notebook = json!({"name": "q3-plans", "content": "ship it"});
    let created = s.add(
        "alice",
        "POST /notebooks/v1",
        vec![],
        vec![],
        Some((notebook, vec![])),
    );
    let read = s.add("alice", "GET /notebooks/v1/{name}", vec![], vec![], None);
    s.path_ref(
        read,
        "name",
        Ref {
            step: created,
            source: RefSource::Location,
        },
    );
    s.add(
        "alice",
        "PUT /notebooks/v1/{name}",
        vec![("name", R(read, "/name"))],
        vec![],
        Some((json!({"content": "shipped"}), vec![])),
    );
    s.sequence()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_targets_answer_every_operation_conformantly() {
    for (service, seq) in [
        (Service::Shop, shop_happy_path()),
        (Service::Notes, notes_happy_path()),
        (Service::Forum, forum_happy_path()),
    ] {
        let (model, file, result) = run(service, Mode::Secure, seq).await;
        let missing = not_covered(&model, &result);
        assert!(missing.is_empty(), "{service}: no 2xx for {missing:?}");
        let v = conformance_violations(&model, &file, &result);
        assert!(v.is_empty(), "{service} (secure): {v:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vulnerable_targets_show_exactly_their_planted_conformance_bugs() {
    // shop: more than the stock (409), an order from an empty cart (500), a cancelled
    // order's epoch `cancelledAt`.
    let mut shop = Seq::default();
    let me = shop.add("alice", "GET /me", vec![], vec![], None);
    let u = || ("userId", R(me, "/id"));
    shop.add(
        "alice",
        "POST /users/{userId}/cart/items",
        vec![u()],
        vec![],
        Some((json!({"productId": 3, "quantity": 5}), vec![])),
    );
    let addresses = shop.add(
        "alice",
        "GET /users/{userId}/addresses",
        vec![u()],
        vec![],
        None,
    );
    let order_body = || {
        Some((
            json!({"addressId": 0}),
            vec![("/addressId", R(addresses, "/0/id"))],
        ))
    };
    let placed = shop.add(
        "alice",
        "POST /users/{userId}/orders",
        vec![u()],
        vec![],
        order_body(),
    );
    shop.add(
        "alice",
        "POST /users/{userId}/orders",
        vec![u()],
        vec![],
        order_body(),
    );
    let o = || ("orderId", R(placed, "/id"));
    shop.add(
        "alice",
        "POST /users/{userId}/orders/{orderId}/cancel",
        vec![u(), o()],
        vec![],
        None,
    );
    shop.add(
        "alice",
        "GET /users/{userId}/orders/{orderId}",
        vec![u(), o()],
        vec![],
        None,
    );

    // notes: adding a member twice (409), an over-long comment (500), an archived
    // document's epoch `archivedAt`.
    let mut notes = Seq::default();
    let bob = notes.add("bob", "GET /me", vec![], vec![], None);
    let team = notes.add(
        "alice",
        "POST /teams",
        vec![],
        vec![],
        Some((json!({"name": "Design"}), vec![])),
    );
    let t = || ("teamId", R(team, "/id"));
    let add_bob = || Some((json!({"userId": ""}), vec![("/userId", R(bob, "/id"))]));
    notes.add(
        "alice",
        "POST /teams/{teamId}/members",
        vec![t()],
        vec![],
        add_bob(),
    );
    notes.add(
        "alice",
        "POST /teams/{teamId}/members",
        vec![t()],
        vec![],
        add_bob(),
    );
    let doc = notes.add(
        "alice",
        "POST /teams/{teamId}/documents",
        vec![t()],
        vec![],
        Some((json!({"title": "Roadmap"}), vec![])),
    );
    let d = || ("documentId", R(doc, "/id"));
    notes.add(
        "alice",
        "POST /teams/{teamId}/documents/{documentId}/comments",
        vec![t(), d()],
        vec![],
        Some((json!({"body": "x".repeat(2001)}), vec![])),
    );
    notes.add(
        "alice",
        "PATCH /teams/{teamId}/documents/{documentId}",
        vec![t(), d()],
        vec![],
        Some((json!({"status": "archived"}), vec![])),
    );
    notes.add(
        "alice",
        "GET /teams/{teamId}/documents/{documentId}",
        vec![t(), d()],
        vec![],
        None,
    );

    let conformance_oracles = ["server-error", "status-conformance", "schema-conformance"];
    for (service, seq) in [
        (Service::Shop, shop.sequence()),
        (Service::Notes, notes.sequence()),
    ] {
        let (model, file, result) = run(service, Mode::Vulnerable, seq).await;
        let found: BTreeSet<(String, String)> = conformance_violations(&model, &file, &result)
            .iter()
            .filter(|v| v.oracle != "negative-acceptance")
            .map(|v| (v.oracle.clone(), v.operation.to_string()))
            .collect();
        let planted: BTreeSet<(String, String)> = trespass_targets::planted::manifest(service)
            .iter()
            .filter(|b| conformance_oracles.contains(&b.oracle))
            .map(|b| (b.oracle.to_string(), b.operation.to_string()))
            .collect();
        assert_eq!(found, planted, "{service} (vulnerable)");
    }
}

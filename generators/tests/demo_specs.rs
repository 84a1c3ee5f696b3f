//! Link and resource inference on the demo specs of `corpus/specs`.

use std::path::PathBuf;

use trespass_generators::model::{ApiModel, Evidence, LinkTarget};
use trespass_generators::spec::load_file;

fn load(name: &str) -> ApiModel {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/specs")
        .join(name);
    load_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn dump(model: &ApiModel) {
    for r in &model.resources {
        eprintln!(
            "resource {} id={:?} params={:?} parent={:?} c={:?} r={:?} u={:?} d={:?} l={:?}",
            r.kind, r.id_field, r.id_params, r.parent, r.create, r.read, r.update, r.delete, r.list
        );
    }
    for l in &model.links {
        let t = match &l.target {
            LinkTarget::Parameter { name, .. } => name.clone(),
            LinkTarget::Body { pointer } => format!("body{pointer}"),
            _ => "?".into(),
        };
        eprintln!(
            "link {} -> {} [{}] {:?}",
            l.producer, l.consumer, t, l.evidence
        );
    }
    for a in &model.admin_operations {
        eprintln!("admin {} {:?}", a.operation, a.reasons);
    }
    for w in &model.warnings {
        eprintln!("warning {} {}", w.pointer, w.message);
    }
}

fn has_link(model: &ApiModel, producer: &str, consumer: &str, param: &str) -> bool {
    model.links.iter().any(|l| {
        l.producer.as_str() == producer
            && l.consumer.as_str() == consumer
            && matches!(&l.target, LinkTarget::Parameter { name, .. } if name == param)
    })
}

#[test]
fn shop_resources_and_links() {
    let m = load("shop.yaml");
    dump(&m);
    let kinds: Vec<&str> = m.resources.iter().map(|r| r.kind.as_str()).collect();
    for kind in ["address", "order", "product", "user"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(has_link(
        &m,
        "POST /users/{userId}/addresses",
        "GET /users/{userId}/addresses/{addressId}",
        "addressId"
    ));
    assert!(has_link(
        &m,
        "POST /users/{userId}/orders",
        "GET /users/{userId}/orders/{orderId}",
        "orderId"
    ));
    assert!(
        m.admin_operations
            .iter()
            .any(|a| a.operation.as_str() == "POST /products")
    );
}

#[test]
fn notes_resources_and_links() {
    let m = load("notes.yaml");
    dump(&m);
    let share = m
        .resources
        .iter()
        .find(|r| r.kind == "share")
        .expect("share kind");
    assert_eq!(
        share.create.first().map(|o| o.as_str()),
        Some("POST /teams/{teamId}/documents/{documentId}/shares")
    );
    assert!(has_link(
        &m,
        "POST /teams/{teamId}/documents/{documentId}/shares",
        "GET /shares/{shareId}",
        "shareId"
    ));
    assert!(
        m.links
            .iter()
            .any(|l| matches!(l.evidence, Evidence::OpenApiLink { .. }))
    );
    assert!(
        m.admin_operations
            .iter()
            .any(|a| a.operation.as_str() == "GET /admin/audit-log")
    );
}

//! A business rule of your own as an oracle: "an order's subtotal is the sum of its lines, and
//! its total the subtotal less the discount", checked on every order the shop answers with.
//!
//! No built-in oracle knows what an order's total should be; this one fires on the shop demo's
//! `shop-order-total-quantity` bug (an order that charges each line once, whatever its
//! quantity) and is silent on the secure build. [`Harness::oracle`] adds it to the built-in
//! ones: its findings are confirmed, shrunk, saved and replayed like theirs.

use trespass::Harness;
use trespass::oracle::{CheckContext, Oracle, Violation};
use trespass_targets::Service;

/// Every order in a successful answer (the answer itself, or an item of a list) adds up.
struct OrderTotals;

impl OrderTotals {
    const NAME: &'static str = "order-total";
}

impl Oracle for OrderTotals {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let mut out: Vec<Violation> = Vec::new();
        for step in &cx.trace.steps {
            let Some(body) = step.response_json().filter(|_| step.succeeded()) else {
                continue;
            };
            let orders: Vec<_> = match body.as_array() {
                Some(items) => items.iter().collect(),
                None => vec![body],
            };
            for order in orders {
                // An order: lines with a unit price and a quantity, a subtotal, a discount and
                // a total, in cents. Anything else is not this rule's business.
                let cents = |field: &str| order.get(field).and_then(|v| v.as_i64());
                let (Some(items), Some(subtotal), Some(total)) = (
                    order.get("items").and_then(|v| v.as_array()),
                    cents("subtotalCents"),
                    cents("totalCents"),
                ) else {
                    continue;
                };
                let lines: Option<i64> = items
                    .iter()
                    .map(|line| {
                        let unit = line.get("unitPriceCents")?.as_i64()?;
                        let quantity = line.get("quantity")?.as_i64()?;
                        Some(unit * quantity)
                    })
                    .sum();
                let Some(lines) = lines else { continue };
                let discount = cents("discountCents").unwrap_or(0);
                let why = if subtotal != lines {
                    format!("subtotal is {subtotal} cents but its lines come to {lines}")
                } else if total != subtotal - discount {
                    format!("total is {total} cents, not {subtotal} less {discount}")
                } else {
                    continue;
                };
                let violation = Violation {
                    oracle: Self::NAME.into(),
                    operation: step.op.clone(),
                    roles: vec![step.role],
                    step: step.index,
                    message: format!(
                        "{} called {} and got an order whose {why}",
                        step.identity, step.op
                    ),
                    rule: "an order's subtotal is the sum of its lines, its total the subtotal \
                           less the discount"
                        .into(),
                    cause: None,
                };
                // One violation per signature (oracle, operation, roles) is enough.
                if !out.iter().any(|v| v.signature() == violation.signature()) {
                    out.push(violation);
                }
            }
        }
        out
    }
}

fn shop(corpus: &std::path::Path) -> Harness {
    Harness::demo(Service::Shop)
        .seed(3)
        .cases(80)
        .workers(1)
        .corpus(corpus)
        .oracle(OrderTotals)
}

#[test]
fn the_rule_fires_on_the_shop_bug() {
    let corpus = tempfile::tempdir().unwrap();
    let outcome = shop(corpus.path()).run();
    let mine: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.finding.oracle == OrderTotals::NAME)
        .collect();
    assert!(
        !mine.is_empty(),
        "no order-total finding; found: {:#?}",
        outcome
            .findings
            .iter()
            .map(|f| f.finding.headline())
            .collect::<Vec<_>>()
    );
    for found in &mine {
        assert!(found.finding.confirmed, "{}", found.finding.headline());
        assert!(
            found.finding.message.contains("but its lines come to"),
            "{}",
            found.finding.message
        );
        // Saved like any finding, so the next run replays it first.
        assert!(found.file.exists(), "{}", found.file.display());
    }
}

#[test]
fn the_rule_is_silent_on_the_secure_shop() {
    let corpus = tempfile::tempdir().unwrap();
    shop(corpus.path()).secure(true).run().assert_clean();
}

/// A name of a built-in oracle is refused: findings are told apart by their oracle's name.
#[test]
fn a_rule_cannot_take_a_built_in_name() {
    struct Impostor;
    impl Oracle for Impostor {
        fn name(&self) -> &'static str {
            "bola"
        }
        fn check(&self, _: &CheckContext<'_>) -> Vec<Violation> {
            Vec::new()
        }
    }
    let corpus = tempfile::tempdir().unwrap();
    let err = shop(corpus.path())
        .oracle(Impostor)
        .try_run()
        .expect_err("a second `bola`");
    assert!(
        err.to_string()
            .contains("`bola` is the name of a built-in oracle"),
        "{err}"
    );
}

//! Every demo service as trespass loads it: the spec loads without warnings, every operation of
//! the spec is there with its security, and the identities file parses against it.

use std::collections::BTreeSet;

use trespass_targets::Service;

#[test]
fn every_demo_loads_without_warnings() {
    for service in Service::ALL {
        let (model, identities) = trespass_tests::demo(service);
        assert!(
            model.warnings.is_empty(),
            "{service}: {:#?}",
            model.warnings
        );
        let routed = service.routes();
        assert_eq!(model.operations.len(), routed.len(), "{service}");
        for (method, path) in routed {
            let op = format!("{method} {path}");
            assert!(
                model
                    .operations
                    .iter()
                    .any(|o| o.id.as_str() == op.as_str()),
                "{service}: {op} is not in the model"
            );
        }
        assert!(identities.identities.len() >= 3, "{service}");
    }
}

/// The forum's spec as the generators see it: a bearer scheme applied globally, the public
/// operations opted out, the read-only fields marked, and the notebook create's `Location`.
#[test]
fn the_forum_spec_is_modelled_as_written() {
    let (model, identities) = trespass_tests::demo(Service::Forum);
    assert_eq!(model.global_security.len(), 1);
    let public: BTreeSet<String> = model
        .operations
        .iter()
        .filter(|o| o.security.as_ref().is_some_and(Vec::is_empty))
        .map(|o| o.id.as_str().to_string())
        .collect();
    let expected = [
        "POST /api/v2/auth/login",
        "GET /api/v2/users",
        "POST /api/v2/users",
        "GET /api/v2/users/{username}",
    ];
    assert_eq!(public, expected.map(String::from).into());
    assert_eq!(identities.policy.public_operations.len(), public.len());
    let with_ids = model
        .operations
        .iter()
        .filter(|o| o.operation_id.is_some())
        .count();
    assert!(with_ids > 0 && with_ids < model.operations.len());
}

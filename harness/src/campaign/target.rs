//! How a worker gets a target.

#[cfg(feature = "cli")]
use trespass_generators::model::ApiModel;

#[cfg(feature = "cli")]
use crate::identity::IdentityFile;

/// The model and identities of an embedded demo service, as `trespass fuzz` uses them.
#[cfg(feature = "cli")]
pub fn demo_subject(
    service: trespass_targets::Service,
) -> Result<(ApiModel, IdentityFile), String> {
    let model = trespass_generators::load_str(service.spec_yaml(), &service.spec_file_name())
        .map_err(|e| e.to_string())?;
    let identities = IdentityFile::parse(
        service.identities_toml(),
        service.identities_file_name(),
        |_| None,
    )
    .map_err(|e| e.to_string())?;
    Ok((model, identities))
}

//! Resource and dependency inference over a loaded model: resource kinds with their CRUD
//! operations and id fields ([`resources`]), producer -> consumer links with their evidence
//! ([`links`]), and admin-only operations ([`admin`]).
//!
//! [`crate::spec::load_file`] runs [`infer`] already; call it again after editing a model by
//! hand.

pub mod admin;
pub mod declared;
mod keys;
pub mod links;
mod owner;
pub mod resources;
mod singleton;

use crate::model::ApiModel;

pub use admin::{OperationPattern, PatternError, apply_admin_patterns, remove_admin_patterns};

/// Fills `resources`, `links` and `admin_operations` of `model` from its operations (replacing
/// what was there).
pub fn infer(model: &mut ApiModel) {
    model.resources = resources::infer_resources(model);
    model.links = links::infer_links(model);
    model.admin_operations = admin::infer_admin(model);
}

//! The API model: everything trespass knows about an API, built from its spec by
//! [`crate::spec`] and enriched by [`crate::deps`].

mod ids;
pub(crate) mod json_schema;
mod operation;
mod resource;
mod schema;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use ids::{OperationId, SchemaId};
pub use operation::{
    Header, InvalidStatusKey, MediaType, Method, OAuthFlow, OpenApiLink, Operation, Parameter,
    ParameterLocation, ParameterStyle, RequestBody, Response, SecurityRequirement, SecurityScheme,
    Server, StatusKey, is_json_media_type, json_schema_of, path_template_params,
};
pub use resource::{
    AdminOperation, AdminReason, CrudRole, Evidence, KeySource, Link, LinkSource, LinkTarget,
    Origin, OwnerField, OwnerRef, Resource,
};
pub use schema::{
    Additional, ArraySchema, Composition, Discriminator, NumberBounds, ObjectSchema, Schema,
    SchemaKind, Schemas, StringBounds,
};

/// The version family of the source document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SpecVersion {
    /// Swagger 2.0.
    #[serde(rename = "2.0")]
    Swagger2,
    /// OpenAPI 3.0.x.
    #[serde(rename = "3.0")]
    OpenApi30,
    /// OpenAPI 3.1.x.
    #[serde(rename = "3.1")]
    OpenApi31,
}

/// Something the loader skipped or doubted, with the place in the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Where, as `#/json/pointer` (prefixed with the file name for other files).
    pub pointer: String,
    /// A human sentence.
    pub message: String,
}

/// The whole model of one API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiModel {
    /// The version family of the source.
    pub version: SpecVersion,
    /// The exact `openapi` / `swagger` version string.
    pub spec_version: String,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub api_version: String,
    /// SHA-256 (hex) of the root document's text, to tie findings to a spec.
    pub spec_hash: String,
    /// Servers (2.0 `schemes` + `host` + `basePath` become one or more URLs).
    #[serde(default)]
    pub servers: Vec<Server>,
    /// Every operation, sorted by path, then by method order.
    pub operations: Vec<Operation>,
    /// The schema arena.
    pub schemas: Schemas,
    /// Security schemes by name.
    #[serde(default)]
    pub security_schemes: IndexMap<String, SecurityScheme>,
    /// Top-level `security` (alternatives).
    #[serde(default)]
    pub global_security: Vec<SecurityRequirement>,
    /// Inferred resource kinds, sorted by kind.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Inferred producer -> consumer links.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Operations considered admin-only.
    #[serde(default)]
    pub admin_operations: Vec<AdminOperation>,
    /// What was skipped or doubted while loading.
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

impl ApiModel {
    /// The operation with this id.
    ///
    /// Loaded models keep their operations sorted by path, so the operations of `id`'s path
    /// are found by binary search; a model edited out of that order is searched in full.
    pub fn operation(&self, id: &OperationId) -> Option<&Operation> {
        let path = id.path();
        let start = self
            .operations
            .partition_point(|op| op.path.as_str() < path);
        self.operations[start..]
            .iter()
            .take_while(|op| op.path == path)
            .find(|op| &op.id == id)
            .or_else(|| self.operations.iter().find(|op| &op.id == id))
    }

    /// The operation whose spec `operationId` is `name`.
    pub fn operation_by_operation_id(&self, name: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.operation_id.as_deref() == Some(name))
    }

    /// The resource kind `kind`.
    pub fn resource(&self, kind: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.kind == kind)
    }

    /// The resource kind `op` belongs to, with its role there.
    pub fn resource_of(&self, op: &OperationId) -> Option<(&Resource, CrudRole)> {
        self.resources
            .iter()
            .find_map(|r| r.role_of(op).map(|role| (r, role)))
    }

    /// Links whose producer is `op`.
    pub fn links_from<'a>(&'a self, op: &'a OperationId) -> impl Iterator<Item = &'a Link> {
        self.links.iter().filter(move |l| &l.producer == op)
    }

    /// Links whose consumer is `op`.
    pub fn links_to<'a>(&'a self, op: &'a OperationId) -> impl Iterator<Item = &'a Link> {
        self.links.iter().filter(move |l| &l.consumer == op)
    }

    /// Whether `op` is considered admin-only.
    pub fn is_admin(&self, op: &OperationId) -> bool {
        self.admin_operations.iter().any(|a| &a.operation == op)
    }
}

//! Resource kinds (which operations create, read, update, delete and list which kind of object)
//! and producer -> consumer links between operations.

use serde::{Deserialize, Serialize};

use super::ids::{OperationId, SchemaId};
use super::operation::{ParameterLocation, StatusKey};

/// A kind of object the API manages, such as `order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// The kind's name: the singular, lowercase collection name (`order` for `/orders`).
    pub kind: String,
    /// The field of the object that holds its id (`id`, `orderId`), when one was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_field: Option<String>,
    /// The path parameter names that carry the id (`orderId`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_params: Vec<String>,
    /// The object's schema (of the read or create response), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaId>,
    /// Operations that create an object of this kind (`POST /orders`, `PUT /orders/{id}` when
    /// no POST exists).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create: Vec<OperationId>,
    /// Operations that read one object (`GET /orders/{orderId}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<OperationId>,
    /// Operations that change one object (`PUT`, `PATCH`, and `POST` on the item path).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update: Vec<OperationId>,
    /// Operations that delete one object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<OperationId>,
    /// Operations that list objects (`GET /orders`, `GET /users/{userId}/orders`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub list: Vec<OperationId>,
    /// The kind this one is nested under (`user` for `/users/{userId}/orders`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Where the key of a new object is found, best first: the create's answer, the create's
    /// own request (`title` of `POST /books` when it answers `{"status": "success"}`), its
    /// `Location` header, or a list that shows every object's key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_sources: Vec<KeySource>,
    /// The field of the object that names its owner (`owner`, `author`, `createdBy`,
    /// `userId`), and what it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerField>,
    /// The caller's own object, addressed without a key (`GET /me`, `PATCH /account`), or by
    /// the caller's own username or id (`PUT /users/{username}/password`): every identity has
    /// exactly one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub singleton: bool,
    /// Whether the kind was inferred from the spec or declared (or corrected) by the user in
    /// the identities file.
    #[serde(default, skip_serializing_if = "Origin::is_inferred")]
    pub origin: Origin,
}

/// Where the key of a new object of a kind is found after its create.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
#[non_exhaustive]
pub enum KeySource {
    /// A field of the create's JSON answer, by JSON pointer (`/id`, `/data/id`).
    ResponseBody {
        /// JSON pointer into the answer.
        pointer: String,
    },
    /// A field of the create's own JSON request body (`/title`): the server keys the object by
    /// a value the caller chose.
    RequestBody {
        /// JSON pointer into the request body.
        pointer: String,
    },
    /// The last path segment of the create's `Location` header.
    Location,
    /// The elements of a list operation's answer, at `pointer` within each element (`/title`):
    /// objects created elsewhere (seeded by the service) are found there.
    List {
        /// The list operation.
        operation: OperationId,
        /// JSON pointer within one element.
        pointer: String,
    },
}

/// The field of an object that names its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerField {
    /// JSON pointer to the field within one object (`/owner`, `/author/username`).
    pub pointer: String,
    /// What the field holds.
    pub holds: OwnerRef,
}

/// How an owner field names an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OwnerRef {
    /// The owner's account id (`userId`, `ownerId`).
    Id,
    /// The owner's username or login name (`owner: "alice"`).
    Username,
    /// The owner's email address.
    Email,
}

impl OwnerRef {
    /// `id`, `username` or `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerRef::Id => "id",
            OwnerRef::Username => "username",
            OwnerRef::Email => "email",
        }
    }
}

/// Where a resource kind came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Inferred from the spec alone.
    #[default]
    Inferred,
    /// Declared or corrected by a `[[resource]]` table of the identities file.
    Declared,
}

impl Origin {
    /// Whether the kind was inferred (the default, not written).
    pub fn is_inferred(&self) -> bool {
        *self == Origin::Inferred
    }
}

impl Resource {
    /// An empty resource of this kind.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            id_field: None,
            id_params: Vec::new(),
            schema: None,
            create: Vec::new(),
            read: Vec::new(),
            update: Vec::new(),
            delete: Vec::new(),
            list: Vec::new(),
            parent: None,
            key_sources: Vec::new(),
            owner: None,
            singleton: false,
            origin: Origin::Inferred,
        }
    }

    /// Every operation of the kind with its role.
    pub fn operations(&self) -> impl Iterator<Item = (CrudRole, &OperationId)> {
        let roles = [
            (CrudRole::Create, &self.create),
            (CrudRole::Read, &self.read),
            (CrudRole::Update, &self.update),
            (CrudRole::Delete, &self.delete),
            (CrudRole::List, &self.list),
        ];
        roles
            .into_iter()
            .flat_map(|(role, ops)| ops.iter().map(move |op| (role, op)))
    }

    /// The role of `op` in this kind, if it has one.
    pub fn role_of(&self, op: &OperationId) -> Option<CrudRole> {
        self.operations().find(|(_, o)| *o == op).map(|(r, _)| r)
    }
}

/// What an operation does to objects of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrudRole {
    /// Makes a new object.
    Create,
    /// Reads one object.
    Read,
    /// Changes one object.
    Update,
    /// Deletes one object.
    Delete,
    /// Lists objects.
    List,
}

/// A producer -> consumer dependency: a value in a response of `producer` can feed `target`
/// of `consumer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The operation whose response holds the value.
    pub producer: OperationId,
    /// Where in the producer's response the value is.
    pub source: LinkSource,
    /// The operation that takes the value.
    pub consumer: OperationId,
    /// Where in the consumer's request the value goes.
    pub target: LinkTarget,
    /// Why the link is believed.
    pub evidence: Evidence,
}

/// Where a linked value comes from in a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinkSource {
    /// A field of the JSON body, by JSON pointer (`/id`, `/data/id`).
    ResponseBody {
        /// The response status key it was declared under.
        status: StatusKey,
        /// JSON pointer into the body.
        pointer: String,
    },
    /// The last path segment of the `Location` header.
    LocationHeader {
        /// The response status key it was declared under.
        status: StatusKey,
    },
    /// A field of the producer's own JSON request body, by JSON pointer (`/title`): the key
    /// of an object whose create answers without it (`{"status": "success"}`).
    RequestBody {
        /// JSON pointer into the request body.
        pointer: String,
    },
    /// A response header other than `Location`.
    ResponseHeader {
        /// The response status key it was declared under.
        status: StatusKey,
        /// The header name.
        name: String,
    },
}

/// Where a linked value goes in a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinkTarget {
    /// A parameter.
    Parameter {
        /// Its location.
        location: ParameterLocation,
        /// Its name.
        name: String,
    },
    /// A field of the JSON request body, by JSON pointer.
    Body {
        /// JSON pointer into the body.
        pointer: String,
    },
}

/// Why a link was inferred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evidence {
    /// An OpenAPI `links` entry of the producer's response.
    OpenApiLink {
        /// The link's name.
        name: String,
    },
    /// The producer documents a `Location` header and the consumer's path is the item path
    /// under the producer's collection path.
    LocationHeader,
    /// The consumer's path is `<producer path>/{param}` and the producer returns an id field
    /// (`POST /orders` returns `id` -> `/orders/{orderId}`), possibly under parent segments.
    PathNesting {
        /// The id field in the producer's response.
        field: String,
        /// The consumer's parameter.
        parameter: String,
    },
    /// The names match (`orderId` in the response -> `orderId` parameter) and the types agree.
    NameMatch {
        /// The field name in the producer's response.
        field: String,
        /// The consumer's parameter or body field name.
        parameter: String,
    },
}

impl Evidence {
    /// A short human label (`openapi link "GetOrder"`, `Location header`, ...).
    pub fn describe(&self) -> String {
        match self {
            Evidence::OpenApiLink { name } => format!("openapi link `{name}`"),
            Evidence::LocationHeader => "Location header".to_string(),
            Evidence::PathNesting { field, parameter } => {
                format!("path nesting: response `{field}` -> `{{{parameter}}}`")
            }
            Evidence::NameMatch { field, parameter } => {
                format!("name match: response `{field}` -> `{parameter}`")
            }
        }
    }
}

/// An operation considered admin-only, with the reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminOperation {
    /// The operation.
    pub operation: OperationId,
    /// Every rule that matched.
    pub reasons: Vec<AdminReason>,
}

/// Why an operation is admin-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AdminReason {
    /// A tag naming admin (`admin`, `Administration`, ...).
    Tag(String),
    /// A path segment naming admin (`/admin/...`).
    Path(String),
    /// An extension such as `x-admin: true` or `x-roles: [admin]`.
    Extension(String),
    /// A required security scope naming admin (`scheme:scope`).
    Scope(String),
    /// A policy pattern (`tag:admin`, `path:/admin/**`, `"DELETE /users/{id}"`).
    Policy(String),
}

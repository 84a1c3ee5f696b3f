//! Newtype identifiers of the model: operations and schemas.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The identity of one operation: the uppercase HTTP method, a space and the path template
/// exactly as the spec writes it, for example `"GET /users/{userId}"`.
///
/// This is the name users write in policy files (`"DELETE /orders/{orderId}"`), in findings and
/// in snapshots, so it never contains generated numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OperationId(String);

impl OperationId {
    /// Builds the id of `method` on `path` (the method is uppercased).
    pub fn new(method: &str, path: &str) -> Self {
        Self(format!("{} {}", method.to_ascii_uppercase(), path))
    }

    /// Wraps an already formatted `"METHOD /path"` string, as found in a policy file or a saved
    /// finding. The method part is uppercased; no other normalisation happens.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (method, path) = text.split_once(' ')?;
        let path = path.trim();
        if method.is_empty() || !path.starts_with('/') {
            return None;
        }
        Some(Self::new(method, path))
    }

    /// The whole id, `"GET /users/{userId}"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The method part, `"GET"`.
    pub fn method(&self) -> &str {
        self.0.split_once(' ').map_or("", |(m, _)| m)
    }

    /// The path template part, `"/users/{userId}"`.
    pub fn path(&self) -> &str {
        self.0.split_once(' ').map_or("", |(_, p)| p)
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The index of a schema in the model's schema arena ([`crate::model::Schemas`]).
///
/// Ids are only meaningful together with the [`crate::model::ApiModel`] that produced them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SchemaId(pub u32);

impl SchemaId {
    /// The arena index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_id_parts() {
        let id = OperationId::new("get", "/users/{userId}");
        assert_eq!(id.as_str(), "GET /users/{userId}");
        assert_eq!(id.method(), "GET");
        assert_eq!(id.path(), "/users/{userId}");
        assert_eq!(id.to_string(), "GET /users/{userId}");
        assert_eq!(
            OperationId::parse(" delete /a/{b} "),
            Some(OperationId::new("DELETE", "/a/{b}"))
        );
        assert_eq!(OperationId::parse("GET users"), None);
        assert_eq!(OperationId::parse("GET"), None);
    }

    #[test]
    fn ids_serialize_transparently() {
        let id = OperationId::new("POST", "/orders");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"POST /orders\"");
        assert_eq!(serde_json::to_string(&SchemaId(7)).unwrap(), "7");
        assert_eq!(SchemaId(7).to_string(), "#7");
    }
}

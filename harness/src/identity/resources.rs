//! The identities file's `[[resource]]` tables: resource kinds a user declares or corrects,
//! applied over what trespass inferred from the spec (declared beats inferred).
//!
//! ```toml
//! [[resource]]
//! kind = "book"
//! create = ["POST /books/v1"]
//! read = ["GET /books/v1/{book_title}"]
//! update = ["PUT /books/v1/{book_title}"]
//! delete = ["DELETE /books/v1/{book_title}"]
//! list = ["GET /books/v1"]
//! # or: operations = ["path:/books/v1/**"], roles from method and path
//! key = { param = "book_title", field = "/book_title", from = "request" }  # response | request | location | list
//! owner = { field = "/owner", holds = "username" }                        # id | username | email
//! parent = "user"
//! singleton = false
//! ```

use serde::Deserialize;
use toml::Spanned;
use trespass_generators::deps::OperationPattern;
use trespass_generators::deps::declared::{
    DeclarationError, DeclarationField, KeyDeclaration, KeyFrom, ResourceDeclaration,
    apply_declarations,
};
use trespass_generators::model::{ApiModel, CrudRole, OwnerField, OwnerRef};

use super::IdentityFile;
use super::file::Cx;
use crate::errors::{IdentityFileError, IdentityFileErrorKind};

/// One `[[resource]]` table: the declaration, and the lines its fields were written on (for
/// errors that only the spec can reveal, such as an operation that does not exist).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DeclaredResource {
    /// What the table declares.
    pub declaration: ResourceDeclaration,
    /// The line of the table's `kind`.
    pub line: usize,
    lines: Vec<(DeclarationField, usize)>,
}

impl DeclaredResource {
    /// The line `field` was written on (the table's own line when unknown).
    pub fn line_of(&self, field: DeclarationField) -> usize {
        self.lines
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(self.line, |(_, l)| *l)
    }
}

impl IdentityFile {
    /// Applies the file's `[[resource]]` tables to `model` (see
    /// [`trespass_generators::deps::declared`]): declared kinds replace inferred ones field by
    /// field, and links are inferred again. Call it wherever a model and this file meet, before
    /// the policy is resolved or sequences are generated. An operation that does not exist, a
    /// key parameter the kind's operations do not take or an unknown parent is an error naming
    /// this file and the line. It also takes from the spec what the identities leave to it
    /// (a login's body encoding, an OAuth2 token URL).
    pub fn apply_resources(&mut self, model: &mut ApiModel) -> Result<(), IdentityFileError> {
        self.apply_spec_auth(model)?;
        let declarations: Vec<ResourceDeclaration> = self
            .resources
            .iter()
            .map(|r| r.declaration.clone())
            .collect();
        apply_declarations(model, &declarations).map_err(|e| self.declaration_error(&e))
    }

    fn declaration_error(&self, e: &DeclarationError) -> IdentityFileError {
        let line = self.resources.get(e.index).map(|r| r.line_of(e.field));
        IdentityFileError {
            file: self.path.clone(),
            line,
            kind: IdentityFileErrorKind::Declaration {
                key: format!("resource[{}].{}", e.index, e.field),
                message: e.message.clone(),
            },
        }
    }
}

// ---- raw shape, as in the file ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResource {
    kind: Spanned<String>,
    #[serde(default)]
    operations: Vec<Spanned<String>>,
    #[serde(default)]
    create: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    read: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    update: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    delete: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    list: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    key: Option<Spanned<RawKey>>,
    #[serde(default)]
    owner: Option<Spanned<RawOwner>>,
    #[serde(default)]
    parent: Option<Spanned<String>>,
    #[serde(default)]
    singleton: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    #[serde(default)]
    param: Option<Spanned<String>>,
    #[serde(default)]
    field: Option<Spanned<String>>,
    #[serde(default)]
    from: Option<Spanned<KeyFrom>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOwner {
    field: Spanned<String>,
    holds: Spanned<OwnerRef>,
}

impl Cx<'_> {
    /// The `[[resource]]` tables, checked for what needs no spec: names, patterns, pointers.
    pub(super) fn resources(
        &self,
        raw: Vec<RawResource>,
    ) -> Result<Vec<DeclaredResource>, IdentityFileError> {
        raw.into_iter()
            .enumerate()
            .map(|(i, r)| self.resource(i, r))
            .collect()
    }

    fn resource(&self, i: usize, raw: RawResource) -> Result<DeclaredResource, IdentityFileError> {
        let key = format!("resource[{i}]");
        let kind = raw.kind.get_ref().trim().to_string();
        if kind.is_empty() {
            return self.invalid(
                raw.kind.span().start,
                format!("{key}.kind"),
                "the kind is empty",
            );
        }
        let mut out = DeclaredResource {
            declaration: ResourceDeclaration::new(kind),
            line: self.line_of(raw.kind.span().start),
            lines: vec![(DeclarationField::Kind, self.line_of(raw.kind.span().start))],
        };
        let d = &mut out.declaration;
        d.operations = self.operation_patterns(
            &raw.operations,
            &key,
            DeclarationField::Operations,
            &mut out.lines,
        )?;
        for (role, list) in [
            (CrudRole::Create, &raw.create),
            (CrudRole::Read, &raw.read),
            (CrudRole::Update, &raw.update),
            (CrudRole::Delete, &raw.delete),
            (CrudRole::List, &raw.list),
        ] {
            let Some(list) = list else {
                continue;
            };
            let patterns = self.operation_patterns(
                list,
                &key,
                |n| DeclarationField::Role(role, n),
                &mut out.lines,
            )?;
            let slot = match role {
                CrudRole::Create => &mut d.create,
                CrudRole::Read => &mut d.read,
                CrudRole::Update => &mut d.update,
                CrudRole::Delete => &mut d.delete,
                CrudRole::List => &mut d.list,
            };
            *slot = Some(patterns);
        }
        if let Some(k) = &raw.key {
            d.key = Some(self.key(k, &key, &mut out.lines)?);
        }
        if let Some(owner) = &raw.owner {
            let RawOwner { field, holds } = owner.get_ref();
            self.pointer(field, &format!("{key}.owner.field"))?;
            d.owner = Some(OwnerField {
                pointer: field.get_ref().trim().to_string(),
                holds: *holds.get_ref(),
            });
        }
        if let Some(parent) = &raw.parent {
            if parent.get_ref().trim().is_empty() {
                return self.invalid(
                    parent.span().start,
                    format!("{key}.parent"),
                    "the parent kind is empty",
                );
            }
            out.lines
                .push((DeclarationField::Parent, self.line_of(parent.span().start)));
            d.parent = Some(parent.get_ref().trim().to_string());
        }
        d.singleton = raw.singleton;
        Ok(out)
    }

    fn operation_patterns(
        &self,
        list: &[Spanned<String>],
        key: &str,
        field: impl Fn(usize) -> DeclarationField,
        lines: &mut Vec<(DeclarationField, usize)>,
    ) -> Result<Vec<OperationPattern>, IdentityFileError> {
        let mut out = Vec::with_capacity(list.len());
        for (n, pattern) in list.iter().enumerate() {
            let f = field(n);
            match pattern.get_ref().parse::<OperationPattern>() {
                Ok(p) => out.push(p),
                Err(_) => {
                    return self.invalid(
                        pattern.span().start,
                        format!("{key}.{f}"),
                        format!(
                            "`{}` is not an operation pattern: use \"METHOD /path\", \
                             \"operationId:NAME\", \"path:/glob/**\" or \"tag:NAME\"",
                            pattern.get_ref()
                        ),
                    );
                }
            }
            lines.push((f, self.line_of(pattern.span().start)));
        }
        Ok(out)
    }

    fn key(
        &self,
        raw: &Spanned<RawKey>,
        key: &str,
        lines: &mut Vec<(DeclarationField, usize)>,
    ) -> Result<KeyDeclaration, IdentityFileError> {
        let RawKey { param, field, from } = raw.get_ref();
        let table_line = self.line_of(raw.span().start);
        for f in [
            DeclarationField::KeyParam,
            DeclarationField::KeyField,
            DeclarationField::KeyFrom,
        ] {
            lines.push((f, table_line));
        }
        if param.is_none() && field.is_none() && from.is_none() {
            return self.invalid(
                raw.span().start,
                format!("{key}.key"),
                "the key is empty: give `param`, `field` and/or `from`",
            );
        }
        if let Some(p) = param {
            let name = p
                .get_ref()
                .trim()
                .trim_start_matches('{')
                .trim_end_matches('}');
            if name.is_empty() || name.contains(['{', '}', '/']) {
                return self.invalid(
                    p.span().start,
                    format!("{key}.key.param"),
                    format!(
                        "`{}` is not a path parameter name (e.g. \"book_title\")",
                        p.get_ref()
                    ),
                );
            }
        }
        if let Some(f) = field {
            self.pointer(f, &format!("{key}.key.field"))?;
        }
        let mut out = KeyDeclaration::default();
        out.param = param.as_ref().map(|p| p.get_ref().trim().to_string());
        out.field = field.as_ref().map(|f| f.get_ref().trim().to_string());
        out.from = from.as_ref().map(|f| *f.get_ref());
        Ok(out)
    }

    /// A JSON pointer (`/title`, `/author/username`) or a bare field name (`title`).
    fn pointer(&self, value: &Spanned<String>, key: &str) -> Result<(), IdentityFileError> {
        let text = value.get_ref().trim();
        let ok = match text.strip_prefix('/') {
            Some(rest) => !rest.is_empty(),
            None => !text.is_empty() && !text.contains('/'),
        };
        if ok {
            Ok(())
        } else {
            self.invalid(
                value.span().start,
                key.to_string(),
                format!(
                    "`{text}` is not a field: write a JSON pointer (\"/owner\", \
                     \"/author/username\") or a field name (\"owner\")"
                ),
            )
        }
    }
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;

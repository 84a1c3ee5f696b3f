//! The oracles a caller adds to a [`super::Harness`].

/// The oracles a caller added with [`Harness::oracle`]; compared by identity, shown by name.
#[derive(Clone, Default)]
pub(super) struct CustomOracles(pub(super) Vec<std::sync::Arc<dyn crate::oracle::Oracle>>);

impl std::fmt::Debug for CustomOracles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|o| o.name()))
            .finish()
    }
}

impl PartialEq for CustomOracles {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| std::sync::Arc::ptr_eq(a, b))
    }
}

impl Eq for CustomOracles {}

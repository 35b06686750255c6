//! Planning: the rules a statement must satisfy before it touches the catalog.

pub(crate) mod aws;
pub(crate) mod secret;

//! Connections by URL: the connections that have a `SCOPE`, for hosts that pick the
//! connection of an `s3://` URL by the longest-prefix rule
//! ([`airlock_core::aws::longest_scope`]), and the catalog generation that tells such a
//! host when to read them again.

use airlock_core::aws::S3Scope;
use airlock_core::{ConnectionId, Diagnostic};

use crate::engine::Engine;

/// A connection with a `SCOPE`, with what an S3 client for it is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedConnection {
    pub id: ConnectionId,
    /// The name as stored (pass it to [`Engine::credentials`] quoted).
    pub name: String,
    pub scope: S3Scope,
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

impl ScopedConnection {
    /// The name as [`Engine::credentials`] takes it: in double quotes, exactly.
    pub fn quoted_name(&self) -> String {
        format!("\"{}\"", self.name.replace('"', "\"\""))
    }
}

/// A point in the catalog's history: equal generations mean no statement changed the
/// catalog in between (this engine's, another process's on the same file, or another
/// node's on the same PostgreSQL database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogGeneration(pub(crate) (u64, u64));

impl Engine {
    /// Every connection that has a `SCOPE`, in name order. Reads the catalog (blocks
    /// while another session's catalog statement holds it).
    pub fn scoped_connections(&self) -> Result<Vec<ScopedConnection>, Diagnostic> {
        let connections = self
            .lock_catalog()
            .connections()
            .map_err(|e| Diagnostic::from_error(&e))?;
        let mut scoped: Vec<ScopedConnection> = connections
            .into_iter()
            .filter_map(|entry| {
                let scope = entry.aws.scope?;
                Some(ScopedConnection {
                    id: entry.id,
                    name: entry.name,
                    scope,
                    endpoint: entry.aws.endpoint,
                    region: entry.aws.region,
                })
            })
            .collect();
        scoped.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(scoped)
    }

    /// The catalog's current generation; `None` when it cannot be known (then treat
    /// the catalog as changed). Cheap: no catalog lock; one `PRAGMA data_version` on a
    /// SQLite file, no query at all on PostgreSQL (a listening connection counts the
    /// commits of every node; another node's commit shows once its notification
    /// arrives).
    pub fn catalog_generation(&self) -> Option<CatalogGeneration> {
        self.registry().generation().map(CatalogGeneration)
    }
}

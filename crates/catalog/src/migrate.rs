//! Schema migrations: the numbered SQL files of `migrations/`, embedded at build time.
//!
//! The migrator is a few lines rather than `rusqlite_migration` because opening must
//! decide *before writing anything* whether a file is an Airlock catalog at all (a
//! foreign file is refused untouched) and must apply migrations under `BEGIN IMMEDIATE`,
//! re-checking the version under the lock, so that two processes creating the same
//! catalog at once cannot both run migration 1.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{CatalogError, Result, SqliteContext};

/// One frozen migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// `PRAGMA user_version` after this migration.
    pub version: i64,
    /// The file name under `migrations/`.
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order of version.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial.sql",
        sql: include_str!("../../../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_system_views.sql",
        sql: include_str!("../../../migrations/0002_system_views.sql"),
    },
    Migration {
        version: 3,
        name: "0003_text_id_indexes.sql",
        sql: include_str!("../../../migrations/0003_text_id_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "0004_aws_allowed_endpoints.sql",
        sql: include_str!("../../../migrations/0004_aws_allowed_endpoints.sql"),
    },
    Migration {
        version: 5,
        name: "0005_namespace.sql",
        sql: include_str!("../../../migrations/0005_namespace.sql"),
    },
    Migration {
        version: 6,
        name: "0006_comments.sql",
        sql: include_str!("../../../migrations/0006_comments.sql"),
    },
    Migration {
        version: 7,
        name: "0007_roles.sql",
        sql: include_str!("../../../migrations/0007_roles.sql"),
    },
    Migration {
        version: 8,
        name: "0008_credentials.sql",
        sql: include_str!("../../../migrations/0008_credentials.sql"),
    },
    Migration {
        version: 9,
        name: "0009_scopes.sql",
        sql: include_str!("../../../migrations/0009_scopes.sql"),
    },
    Migration {
        version: 10,
        name: "0010_default_credentials.sql",
        sql: include_str!("../../../migrations/0010_default_credentials.sql"),
    },
];

/// The PostgreSQL backend's migrations, numbered on their own from 1: the backend
/// started from SQLite's schema at version 9, in one file, and replays none of
/// SQLite's history.
pub const POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "postgres/0001_catalog.sql",
        sql: include_str!("../../../migrations/postgres/0001_catalog.sql"),
    },
    Migration {
        version: 2,
        name: "postgres/0002_default_credentials.sql",
        sql: include_str!("../../../migrations/postgres/0002_default_credentials.sql"),
    },
    Migration {
        version: 3,
        name: "postgres/0003_change_notify.sql",
        sql: include_str!("../../../migrations/postgres/0003_change_notify.sql"),
    },
];

/// The PostgreSQL schema version this build creates and understands.
pub const POSTGRES_SCHEMA_VERSION: i64 = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.len() - 1].version;

/// The schema version this build creates and understands: the newest migration's.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// `PRAGMA application_id` of an Airlock catalog ('AIRL'), set by migration 1.
pub const APPLICATION_ID: i64 = 0x4149_524C;

/// What a file holds, read without writing anything.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileState {
    pub application_id: i64,
    pub user_version: i64,
    pub schema_objects: i64,
}

impl FileState {
    pub(crate) fn is_empty(&self) -> bool {
        self.schema_objects == 0 && self.user_version == 0
    }
}

pub(crate) fn inspect(conn: &Connection, path: &Path) -> Result<FileState> {
    let read = || -> rusqlite::Result<FileState> {
        Ok(FileState {
            application_id: conn.query_row("PRAGMA application_id", [], |r| r.get(0))?,
            user_version: conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
            schema_objects: conn
                .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?,
        })
    };
    read().map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => CatalogError::NotACatalog {
            path: path.to_owned(),
            reason: "The file is not a SQLite database.".to_owned(),
        },
        _ => CatalogError::sqlite("reading the catalog header", e),
    })
}

/// Refuses files this build must not touch.
pub(crate) fn check(state: &FileState, path: &Path) -> Result<()> {
    if state.is_empty() && state.application_id == 0 {
        return Ok(());
    }
    if state.application_id != APPLICATION_ID {
        let reason = if state.application_id == 0 {
            format!(
                "It is a SQLite database with {} schema objects and no Airlock marker (application_id).",
                state.schema_objects
            )
        } else {
            format!(
                "It is a SQLite database of another application (application_id {:#x}).",
                state.application_id
            )
        };
        return Err(CatalogError::NotACatalog {
            path: path.to_owned(),
            reason,
        });
    }
    if state.user_version > SCHEMA_VERSION {
        return Err(CatalogError::NewerVersion {
            path: path.to_owned(),
            found: state.user_version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Applies the migrations after `from`, up to `to`, in the caller's transaction.
pub(crate) fn apply(conn: &Connection, from: i64, to: i64) -> Result<()> {
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > from && m.version <= to)
    {
        conn.execute_batch(m.sql)
            .ctx("applying a catalog migration")?;
        conn.pragma_update(None, "user_version", m.version)
            .ctx("applying a catalog migration")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(files, embedded);
        // Versions count up from 1 without a gap: version `n` is at index `n - 1`.
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.name
            );
            let on_disk = std::fs::read_to_string(dir.join(m.name)).unwrap();
            assert_eq!(on_disk, m.sql);
        }
    }

    #[test]
    fn application_id_matches_migration_one() {
        assert!(
            MIGRATIONS[0]
                .sql
                .contains(&format!("PRAGMA application_id = {APPLICATION_ID};"))
        );
    }
}

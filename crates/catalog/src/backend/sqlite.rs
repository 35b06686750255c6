//! The SQLite backend: one file (or a shared in-memory database), WAL mode, one writer
//! at a time under `BEGIN IMMEDIATE`.

use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, Transaction, TransactionBehavior};

use super::{Backend, DbContext, DbError, DbResult, IdStatements, Row, Sql, Value, WriteTxn};
use crate::catalog::CatalogConfig;
use crate::changes::{ChangeWatch, Watch};
use crate::error::{CatalogError, Result, SqliteContext};
use crate::migrate::{self, APPLICATION_ID, SCHEMA_VERSION};
use crate::model::Settings;
use crate::secrets::key::{private_create_new, sync_parent_dir};

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn value_of(v: ValueRef<'_>) -> rusqlite::Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|e| rusqlite::Error::Utf8Error(0, e))?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        ValueRef::Real(_) => {
            return Err(rusqlite::Error::InvalidColumnType(
                0,
                "real".to_owned(),
                rusqlite::types::Type::Real,
            ));
        }
    })
}

/// One-row counters, updated inside the caller's transaction.
const IDS: IdStatements = IdStatements {
    allocate_object: "UPDATE id_sequence SET next_id = next_id + 1 WHERE singleton = 1 \
                      RETURNING next_id - 1",
    next_object: "SELECT next_id FROM id_sequence WHERE singleton = 1",
    allocate_role: "UPDATE role_id_sequence SET next_id = next_id + 1 WHERE singleton = 1 \
                    RETURNING next_id - 1",
};

fn classify(e: rusqlite::Error) -> DbError {
    let extended = match &e {
        rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
        _ => 0,
    };
    match extended {
        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE => DbError::Unique(Box::new(DbError::Sqlite(e))),
        rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            DbError::PrimaryKey(Box::new(DbError::Sqlite(e)))
        }
        _ => DbError::Sqlite(e),
    }
}

impl Sql for Connection {
    fn execute(&self, sql: &str, args: &[Value]) -> DbResult<usize> {
        self.prepare_cached(sql)
            .and_then(|mut s| s.execute(rusqlite::params_from_iter(args)))
            .map_err(classify)
    }

    fn query(&self, sql: &str, args: &[Value]) -> DbResult<Vec<Row>> {
        let run = || -> rusqlite::Result<Vec<Row>> {
            let mut stmt = self.prepare_cached(sql)?;
            let width = stmt.column_count();
            let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let values = (0..width)
                    .map(|i| row.get_ref(i).and_then(value_of))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                out.push(Row(values));
            }
            Ok(out)
        };
        run().map_err(classify)
    }

    fn ids(&self) -> &'static IdStatements {
        &IDS
    }
}

/// A `BEGIN IMMEDIATE` transaction: it holds the file's write lock from the start, so
/// what it reads cannot change under it and its commit cannot fail for a concurrent
/// writer.
pub(crate) struct SqliteTxn<'c>(pub(crate) Transaction<'c>);

impl<'c> SqliteTxn<'c> {
    pub(crate) fn begin(conn: &'c mut Connection) -> DbResult<SqliteTxn<'c>> {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map(SqliteTxn)
            .map_err(DbError::Sqlite)
    }
}

impl Sql for SqliteTxn<'_> {
    fn execute(&self, sql: &str, args: &[Value]) -> DbResult<usize> {
        Sql::execute(&*self.0, sql, args)
    }
    fn query(&self, sql: &str, args: &[Value]) -> DbResult<Vec<Row>> {
        Sql::query(&*self.0, sql, args)
    }
    fn ids(&self) -> &'static IdStatements {
        &IDS
    }
}

impl<'c> WriteTxn<'c> for SqliteTxn<'c> {
    fn commit(self: Box<Self>) -> DbResult<()> {
        self.0.commit().map_err(DbError::Sqlite)
    }
    fn sql(&self) -> &dyn Sql {
        &*self.0
    }
}

/// The 16 bytes every SQLite database file starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Looks at the file's first bytes without SQLite, and creates it (mode 0600) when
/// there is none. A file that is not SQLite at all is refused before SQLite sees it,
/// so nothing (not even a hot-journal rollback) can touch it.
pub(crate) fn precheck_file(path: &Path) -> Result<()> {
    let not_a_catalog = |reason: &str| CatalogError::NotACatalog {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    match fs::File::open(path) {
        Ok(mut file) => {
            let mut header = [0u8; 100];
            let mut filled = 0;
            while filled < header.len() {
                match file.read(&mut header[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(CatalogError::io(format!("read {}", path.display()), e));
                    }
                }
            }
            if filled == 0 {
                // An empty file is an empty database: it becomes a catalog.
                return Ok(());
            }
            if filled < header.len() || &header[..16] != SQLITE_MAGIC {
                return Err(not_a_catalog("The file is not a SQLite database."));
            }
            // The application id at offset 68. Zero may still be a catalog whose first
            // page is only in the WAL so far; SQLite decides that later.
            let app_id = i64::from(u32::from_be_bytes([
                header[68], header[69], header[70], header[71],
            ]));
            if app_id != 0 && app_id != APPLICATION_ID {
                return Err(not_a_catalog(&format!(
                    "It is a SQLite database of another application (application_id {app_id:#x})."
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => match private_create_new(path) {
            Ok(_) => {
                sync_parent_dir(path);
                Ok(())
            }
            // Another process created it between our two calls.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(CatalogError::io(
                format!("create catalog file {}", path.display()),
                e,
            )),
        },
        Err(e) => Err(CatalogError::io(format!("open {}", path.display()), e)),
    }
}

pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.busy_handler(Some(crate::busy::handler))
        .ctx("configuring the catalog")?;
    conn.pragma_update(None, "foreign_keys", true)
        .ctx("configuring the catalog")?;
    // The hot path prepares about a dozen distinct statements per connection.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Creates or upgrades the schema under the write lock, re-checking what the file holds
/// once the lock is ours. Returns the catalog's settings.
pub(crate) fn upgrade(
    conn: &mut Connection,
    path: &Path,
    config: &CatalogConfig,
) -> Result<Settings> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .ctx("upgrading the catalog")?;
    let state = migrate::inspect(&tx, path)?;
    migrate::check(&state, path)?;
    let created = state.user_version == 0;
    migrate::apply(&tx, state.user_version, SCHEMA_VERSION)?;
    let settings = crate::catalog::initialize(
        &*tx,
        state.user_version < crate::catalog::ROLES_VERSION,
        created,
        config,
    )?;
    tx.commit().ctx("upgrading the catalog")?;
    Ok(settings)
}

/// A SQLite catalog's read-write connection.
pub(crate) struct SqliteDb {
    pub(crate) conn: Connection,
    /// A file (not an in-memory database): checkpointed when closed.
    pub(crate) file: bool,
}

impl Backend for SqliteDb {
    fn sql(&self) -> &dyn Sql {
        &self.conn
    }

    fn begin(&mut self) -> Result<Box<dyn WriteTxn<'_> + '_>> {
        Ok(Box::new(
            SqliteTxn::begin(&mut self.conn).ctx("beginning a transaction")?,
        ))
    }

    fn sqlite(&self) -> Option<&Connection> {
        Some(&self.conn)
    }

    fn change_watch(&self) -> ChangeWatch {
        if !self.file {
            return ChangeWatch::fixed();
        }
        let opened = self.conn.path().filter(|p| !p.is_empty()).and_then(|path| {
            Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .ok()
        });
        match opened {
            Some(conn) => ChangeWatch(Box::new(DataVersion(Mutex::new(conn)))),
            None => ChangeWatch::blind(),
        }
    }
}

/// `PRAGMA data_version` on a connection of the watch's own: it moves whenever another
/// connection to the file commits, the catalog's own writer included.
struct DataVersion(Mutex<Connection>);

impl Watch for DataVersion {
    fn version(&self) -> Option<u64> {
        let version = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
            .ok()?;
        u64::try_from(version).ok()
    }
}

impl Drop for SqliteDb {
    fn drop(&mut self) {
        // Copy what the WAL holds into the catalog file now, without waiting for anyone:
        // if another process still has the catalog open, the file is complete as of
        // this moment all the same. The close that follows finishes the job when this is
        // the last connection.
        if self.file {
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    }
}

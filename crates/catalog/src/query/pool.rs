//! Read-only connections for catalog queries, shared by every session of a catalog and
//! taken without the catalog's write lock: a slow query holds one connection of its own
//! and stalls no writer, no credentials lookup and no other query.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use airlock_core::ColumnType;

use super::{QueryColumn, QueryConnection, QueryResult};
use crate::error::Result;

/// How many idle connections a catalog keeps open; more are opened while more queries
/// run at once, and closed when they finish.
const MAX_IDLE: usize = 8;

/// Runs catalog queries on a pool of read-only connections. Cheap to clone; clones
/// share the pool. Made by [`crate::Catalog::query_runner`].
#[derive(Debug, Clone)]
pub struct QueryRunner {
    pool: Arc<Runner>,
}

#[derive(Debug)]
enum Runner {
    Sqlite(Pool),
    Postgres(Box<super::postgres::PgQueries>),
}

#[derive(Debug)]
struct Pool {
    /// A file path, or a `file:` URI when `uri` is set.
    target: String,
    uri: bool,
    timeout: Duration,
    idle: Idle<QueryConnection>,
}

impl QueryRunner {
    /// Opens the first connection now, so that a catalog that cannot be read fails at
    /// open rather than at its first query.
    pub(crate) fn open(target: String, uri: bool, timeout: Duration) -> Result<QueryRunner> {
        let first = QueryConnection::open(&target, uri, timeout)?;
        Ok(QueryRunner {
            pool: Arc::new(Runner::Sqlite(Pool {
                target,
                uri,
                timeout,
                idle: Idle::new(first),
            })),
        })
    }

    /// The runner of a PostgreSQL catalog: queries run on PostgreSQL itself.
    pub(crate) fn postgres(
        target: crate::backend::postgres::Target,
        timeout: Duration,
        role: Option<&str>,
    ) -> crate::backend::DbResult<QueryRunner> {
        Ok(QueryRunner {
            pool: Arc::new(Runner::Postgres(Box::new(
                super::postgres::PgQueries::open(target, timeout, role)?,
            ))),
        })
    }

    /// Whether queries run on PostgreSQL, which takes PostgreSQL's SQL as it is
    /// (schemas, types and functions), rather than on SQLite, which needs the engine
    /// to rewrite them.
    pub fn runs_on_postgres(&self) -> bool {
        matches!(*self.pool, Runner::Postgres(_))
    }

    /// Runs a read-only query over the catalog relations (see [`crate::Catalog::query`]).
    /// `types` gives the PostgreSQL type of each result column where the caller knows
    /// it; setting `cancel` from another thread stops the query with SQLSTATE 57014.
    pub fn query(
        &self,
        sql: &str,
        types: &[Option<ColumnType>],
        cancel: Option<&Arc<AtomicBool>>,
    ) -> Result<QueryResult> {
        match &*self.pool {
            Runner::Sqlite(pool) => pool.with(|conn| conn.query(sql, types, cancel)),
            Runner::Postgres(pg) => pg.query(sql, cancel),
        }
    }

    /// The columns `sql` would return, checked and prepared but not run.
    pub fn describe(&self, sql: &str, types: &[Option<ColumnType>]) -> Result<Vec<QueryColumn>> {
        match &*self.pool {
            Runner::Sqlite(pool) => pool.with(|conn| conn.describe(sql, types)),
            Runner::Postgres(pg) => pg.describe(sql),
        }
    }
}

impl Pool {
    fn with<T>(&self, f: impl FnOnce(&QueryConnection) -> Result<T>) -> Result<T> {
        let conn = match self.idle.take() {
            Some(conn) => conn,
            None => QueryConnection::open(&self.target, self.uri, self.timeout)?,
        };
        let result = f(&conn);
        self.idle.give(conn);
        result
    }
}

/// The idle connections of a pool (SQLite's or PostgreSQL's query connections): taken
/// for one query, given back after it, at most [`MAX_IDLE`] kept.
#[derive(Debug)]
pub(super) struct Idle<C>(Mutex<Vec<C>>);

impl<C> Idle<C> {
    pub(super) fn new(first: C) -> Idle<C> {
        Idle(Mutex::new(vec![first]))
    }

    pub(super) fn take(&self) -> Option<C> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    pub(super) fn give(&self, conn: C) {
        let mut idle = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

//! Catalog queries on a PostgreSQL catalog: run by PostgreSQL itself, with PostgreSQL's
//! semantics, on connections of their own.
//!
//! The engine has checked the statement first (one plain query naming only the
//! catalog relations, schema-qualified, and allowed functions). Here each query runs in
//! a read-only transaction (`default_transaction_read_only` is the session's setting,
//! so the implicit transaction of a batch is read-only too), under `statement_timeout`,
//! with `search_path` set to the two schemas of views so that the storage schema
//! `airlock` is never found by an unqualified name. Rows are fetched through a cursor,
//! a batch at a time, so that a result past [`super::MAX_RESULT_BYTES`] stops at the
//! cap instead of filling memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use airlock_core::{ColumnType, SqlState};
use postgres::types::Type;

use super::pool::Idle;
use super::{MAX_COLUMNS, MAX_RESULT_BYTES, QueryColumn, QueryResult};
use crate::backend::postgres::{PgConn, Target};
use crate::backend::{DbContext, DbError, DbResult};
use crate::error::{CatalogError, Result};

/// The session of a query connection: the views' schemas only, UTC, ISO dates,
/// read-only transactions, the query timeout, and the query role if there is one.
fn query_setup(timeout: Duration, role: Option<&str>) -> String {
    let mut setup = format!(
        "SET search_path TO mz_catalog, mz_internal; SET TimeZone TO 'UTC'; \
         SET DateStyle TO 'ISO, MDY'; SET IntervalStyle TO 'postgres'; \
         SET default_transaction_read_only TO on; SET application_name TO 'airlock query'; \
         SET cursor_tuple_fraction TO 1; SET statement_timeout TO {}",
        timeout.as_millis().max(1)
    );
    if let Some(role) = role {
        setup.push_str(&format!("; SET ROLE \"{}\"", role.replace('"', "\"\"")));
    }
    setup
}

/// Rows fetched per round trip.
const FETCH_ROWS: usize = 1000;

/// How often a running query looks at its session's cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(10);

/// How many queries' result columns are remembered.
const DESCRIBED: usize = 256;

#[derive(Debug)]
pub(crate) struct PgQueries {
    target: Target,
    /// Every query connection's session setup ([`query_setup`]).
    setup: String,
    idle: Idle<PgConn>,
    /// Watches the cancel flags of running queries.
    cancels: Cancels,
    /// The result columns of queries already described, by text: a query run again
    /// (a dashboard, a poll) skips the round trip that asks for them. The views'
    /// columns only change with a migration, which no open catalog runs.
    described: Mutex<HashMap<String, Vec<(String, Type)>>>,
}

impl PgQueries {
    pub(crate) fn open(
        target: Target,
        timeout: Duration,
        role: Option<&str>,
    ) -> DbResult<PgQueries> {
        let setup = query_setup(timeout, role);
        let first = PgConn::connect(target.clone(), setup.clone())?;
        Ok(PgQueries {
            target,
            setup,
            idle: Idle::new(first),
            cancels: Cancels::default(),
            described: Mutex::new(HashMap::new()),
        })
    }

    fn with<T>(&self, f: impl Fn(&PgConn) -> Result<T>) -> Result<T> {
        let idle = self.idle.take();
        let connect = || {
            PgConn::connect(self.target.clone(), self.setup.clone())
                .ctx("connecting for a catalog query")
        };
        let (conn, result) = match idle {
            Some(conn) => {
                let result = f(&conn);
                // A pooled connection that died while idle (a server restart) is only
                // found out by using it: a read-only query is run again on a new one.
                let lost = matches!(result, Err(CatalogError::ConnectionLost { .. }));
                if lost || (result.is_err() && conn.is_broken()) {
                    let fresh = connect()?;
                    let result = f(&fresh);
                    (fresh, result)
                } else {
                    (conn, result)
                }
            }
            None => {
                let conn = connect()?;
                let result = f(&conn);
                (conn, result)
            }
        };
        if !conn.is_broken() {
            self.idle.give(conn);
        }
        result
    }

    pub(crate) fn describe(&self, sql: &str) -> Result<Vec<QueryColumn>> {
        self.with(|conn| {
            let columns = self.columns(conn, sql).map_err(|e| user_error(e, false))?;
            Ok(query_columns(columns))
        })
    }

    fn columns(&self, conn: &PgConn, sql: &str) -> DbResult<Vec<(String, Type)>> {
        let known = self
            .described
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(sql)
            .cloned();
        if let Some(columns) = known {
            return Ok(columns);
        }
        let columns = conn.describe(sql)?;
        let mut described = self
            .described
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if described.len() >= DESCRIBED {
            described.clear();
        }
        described.insert(sql.to_owned(), columns.clone());
        Ok(columns)
    }

    pub(crate) fn query(&self, sql: &str, cancel: Option<&Arc<AtomicBool>>) -> Result<QueryResult> {
        self.with(|conn| {
            let watched = match (cancel, conn.cancel_token()) {
                (Some(flag), Some(token)) => Some(self.cancels.watch(Arc::clone(flag), token)),
                _ => None,
            };
            let result = self.run(conn, sql);
            if let Some(id) = watched {
                self.cancels.unwatch(id);
            }
            if result.is_err() {
                let _ = conn.batch("ROLLBACK");
            }
            let cancelled = cancel.is_some_and(|c| c.load(Ordering::SeqCst));
            result.map_err(|e| user_error(e, cancelled))
        })
    }

    /// One round trip for a result of fewer than [`FETCH_ROWS`] rows: declare the cursor
    /// and fetch, in one batch. A larger result is read again through the cursor, in a
    /// transaction of its own, a batch at a time, checking the byte cap as it grows.
    /// `cursor_tuple_fraction` is 1, so a cursor's plan is the plan the query would
    /// get on its own.
    fn run(&self, conn: &PgConn, sql: &str) -> DbResult<QueryResult> {
        let columns = query_columns(self.columns(conn, sql)?);
        if columns.len() > usize::try_from(MAX_COLUMNS).unwrap_or(usize::MAX) {
            return Err(DbError::TooBig("catalog query result has too many columns"));
        }
        const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
        let declare = format!("DECLARE airlock_query NO SCROLL CURSOR FOR {sql}");
        let fetch = format!("FETCH {FETCH_ROWS} FROM airlock_query");
        // Several statements in one simple query run as one implicit transaction
        // (read-only: the session's default), which the cursor lives and dies in.
        let first = conn.start_rows(&format!("{declare}; {fetch}"))?;
        if first.len() < FETCH_ROWS {
            check_bytes(&first, 0)?;
            return Ok(QueryResult {
                columns,
                rows: first,
            });
        }
        conn.batch(&format!("{BEGIN}; {declare}"))?;
        conn.set_in_transaction(true);
        let fetched = (|| {
            let mut rows = Vec::new();
            let mut bytes = 0usize;
            loop {
                let batch = conn.simple_rows(&fetch)?;
                let fetched = batch.len();
                bytes = check_bytes(&batch, bytes)?;
                rows.extend(batch);
                if fetched < FETCH_ROWS {
                    return Ok(rows);
                }
            }
        })();
        let ended = conn.batch("ROLLBACK");
        conn.set_in_transaction(false);
        let rows = fetched?;
        ended?;
        Ok(QueryResult { columns, rows })
    }
}

/// The running queries whose session may cancel them, and one thread (started with the
/// first, stopped with the runner) that looks at their flags every [`CANCEL_POLL`] and
/// sends PostgreSQL a cancel request for a set one: a query costs a registration, not
/// a thread of its own.
#[derive(Debug, Default)]
struct Cancels {
    shared: Arc<Watched>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct Watched {
    running: Mutex<WatchList>,
    stop: AtomicBool,
}

#[derive(Default)]
struct WatchList {
    next: u64,
    queries: Vec<(u64, Arc<AtomicBool>, Option<postgres::CancelToken>)>,
}

impl std::fmt::Debug for WatchList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchList")
            .field("running", &self.queries.len())
            .finish()
    }
}

impl Cancels {
    fn watch(&self, flag: Arc<AtomicBool>, token: postgres::CancelToken) -> u64 {
        let id = {
            let mut list = self
                .shared
                .running
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            list.next += 1;
            let id = list.next;
            list.queries.push((id, flag, Some(token)));
            id
        };
        let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        if thread.is_none() {
            let shared = Arc::clone(&self.shared);
            *thread = std::thread::Builder::new()
                .name("airlock-query-cancel".to_owned())
                .spawn(move || watch_loop(&shared))
                .ok();
        }
        id
    }

    fn unwatch(&self, id: u64) {
        let mut list = self
            .shared
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        list.queries.retain(|(q, _, _)| *q != id);
    }
}

impl Drop for Cancels {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self
            .thread
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = thread.join();
        }
    }
}

fn watch_loop(shared: &Watched) {
    while !shared.stop.load(Ordering::SeqCst) {
        std::thread::sleep(CANCEL_POLL);
        // Each token is taken out once its flag is seen set: one cancel request per
        // query, sent without holding the list.
        let fire: Vec<postgres::CancelToken> = {
            let mut list = shared
                .running
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            list.queries
                .iter_mut()
                .filter(|(_, flag, _)| flag.load(Ordering::SeqCst))
                .filter_map(|(_, _, token)| token.take())
                .collect()
        };
        for token in fire {
            let _ = token.cancel_query(postgres::NoTls);
        }
    }
}

/// Adds the text of `rows` to `bytes`, failing past [`MAX_RESULT_BYTES`].
fn check_bytes(rows: &[Vec<Option<String>>], mut bytes: usize) -> DbResult<usize> {
    for row in rows {
        bytes += row
            .iter()
            .map(|v| v.as_ref().map_or(0, String::len) + 8)
            .sum::<usize>();
        if bytes > MAX_RESULT_BYTES {
            return Err(DbError::TooBig("catalog query result is too large"));
        }
    }
    Ok(bytes)
}

fn query_columns(columns: Vec<(String, Type)>) -> Vec<QueryColumn> {
    columns
        .into_iter()
        .map(|(name, ty)| QueryColumn {
            decl_type: Some(ty.name().to_owned()),
            ty: column_type(&ty),
            name,
        })
        .collect()
}

/// The type clients are told a column has.
fn column_type(ty: &Type) -> ColumnType {
    match *ty {
        Type::BOOL => ColumnType::Bool,
        Type::INT2 | Type::INT4 => ColumnType::Int4,
        Type::INT8 => ColumnType::Int8,
        Type::FLOAT4 | Type::FLOAT8 => ColumnType::Float8,
        Type::NUMERIC => ColumnType::Numeric,
        Type::OID => ColumnType::Oid,
        Type::TIMESTAMPTZ => ColumnType::TimestampTz,
        Type::JSONB => ColumnType::Jsonb,
        _ => ColumnType::Text,
    }
}

/// A failed user query as the catalog reports it: PostgreSQL's own message and
/// SQLSTATE, a timeout or a cancel, or a lost connection.
fn user_error(e: DbError, cancelled: bool) -> CatalogError {
    match e {
        DbError::TooBig(what) => CatalogError::QueryFailed {
            code: SqlState::ProgramLimitExceeded,
            message: format!("{what} (at most {} MiB)", MAX_RESULT_BYTES >> 20),
        },
        DbError::Postgres(pg) if crate::backend::postgres::is_connection_error(&pg) => {
            CatalogError::postgres("running a catalog query", pg)
        }
        DbError::Postgres(pg) => match pg.as_db_error() {
            Some(db) if db.code().code() == "57014" => {
                if cancelled {
                    CatalogError::QueryCanceled
                } else {
                    CatalogError::QueryTimeout
                }
            }
            Some(db) if db.code().code() == "42501" => CatalogError::QueryDenied {
                what: db.message().to_owned(),
            },
            Some(db) => CatalogError::QueryFailed {
                code: SqlState::from_code(db.code().code()).unwrap_or(SqlState::InternalError),
                message: db.message().to_owned(),
            },
            None => CatalogError::postgres("running a catalog query", pg),
        },
        other => crate::backend::db_error("running a catalog query", other),
    }
}

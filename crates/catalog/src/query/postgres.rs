//! Catalog queries on a PostgreSQL catalog: run by PostgreSQL itself, with PostgreSQL's
//! semantics, on connections of their own.
//!
//! The engine has checked the statement first (one plain query naming only the
//! catalog relations and allowed functions). Here each query runs in a `READ ONLY`
//! transaction (the session's default too), under `statement_timeout`, with
//! `search_path` set to the two schemas of views so that the storage schema `airlock`
//! is never found by an unqualified name. Rows are fetched through a cursor, a batch
//! at a time, so that a result past [`super::MAX_RESULT_BYTES`] stops at the cap
//! instead of filling memory.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use airlock_core::{ColumnType, SqlState};
use postgres::Config;
use postgres::types::Type;

use super::{MAX_COLUMNS, MAX_RESULT_BYTES, QueryColumn, QueryResult};
use crate::backend::postgres::PgConn;
use crate::backend::{DbContext, DbError, DbResult};
use crate::error::{CatalogError, Result};

/// The session of a query connection.
const QUERY_SETUP: &str = "SET search_path TO mz_catalog, mz_internal; SET TimeZone TO 'UTC'; \
     SET DateStyle TO 'ISO, MDY'; SET IntervalStyle TO 'postgres'; \
     SET default_transaction_read_only TO on; SET application_name TO 'airlock query'";

/// Rows fetched per round trip.
const FETCH_ROWS: usize = 1000;

/// How often a running query looks at its session's cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(10);

/// Idle query connections kept open.
const MAX_IDLE: usize = 8;

#[derive(Debug)]
pub(crate) struct PgQueries {
    config: Config,
    timeout: Duration,
    idle: Mutex<Vec<PgConn>>,
}

impl PgQueries {
    pub(crate) fn open(config: Config, timeout: Duration) -> DbResult<PgQueries> {
        let first = PgConn::connect(config.clone(), QUERY_SETUP)?;
        Ok(PgQueries {
            config,
            timeout,
            idle: Mutex::new(vec![first]),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&PgConn) -> Result<T>) -> Result<T> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => PgConn::connect(self.config.clone(), QUERY_SETUP)
                .ctx("connecting for a catalog query")?,
        };
        let result = f(&conn);
        if !conn.is_broken() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        result
    }

    pub(crate) fn describe(&self, sql: &str) -> Result<Vec<QueryColumn>> {
        self.with(|conn| {
            let columns = conn.describe(sql).map_err(|e| user_error(e, false))?;
            Ok(query_columns(columns))
        })
    }

    pub(crate) fn query(&self, sql: &str, cancel: Option<&Arc<AtomicBool>>) -> Result<QueryResult> {
        self.with(|conn| {
            let timeout = self.timeout.as_millis().max(1);
            conn.start(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
                 SET LOCAL statement_timeout = {timeout}"
            ))
            .ctx("beginning a catalog query")?;
            let done = AtomicBool::new(false);
            let result = std::thread::scope(|scope| {
                if let (Some(flag), Some(token)) = (cancel, conn.cancel_token()) {
                    let done = &done;
                    scope.spawn(move || {
                        while !done.load(Ordering::SeqCst) {
                            if flag.load(Ordering::SeqCst) {
                                let _ = token.cancel_query(postgres::NoTls);
                                return;
                            }
                            std::thread::sleep(CANCEL_POLL);
                        }
                    });
                }
                let result = run(conn, sql);
                done.store(true, Ordering::SeqCst);
                result
            });
            let _ = conn.batch("ROLLBACK");
            let cancelled = cancel.is_some_and(|c| c.load(Ordering::SeqCst));
            result.map_err(|e| user_error(e, cancelled))
        })
    }
}

fn run(conn: &PgConn, sql: &str) -> DbResult<QueryResult> {
    let columns = query_columns(conn.describe(sql)?);
    if columns.len() > usize::try_from(MAX_COLUMNS).unwrap_or(usize::MAX) {
        return Err(DbError::TooBig("catalog query result has too many columns"));
    }
    conn.batch(&format!("DECLARE airlock_query NO SCROLL CURSOR FOR {sql}"))?;
    let mut rows = Vec::new();
    let mut bytes = 0usize;
    loop {
        let batch = conn.simple_rows(&format!("FETCH {FETCH_ROWS} FROM airlock_query"))?;
        let fetched = batch.len();
        for row in batch {
            bytes += row
                .iter()
                .map(|v| v.as_ref().map_or(0, String::len) + 8)
                .sum::<usize>();
            if bytes > MAX_RESULT_BYTES {
                return Err(DbError::TooBig("catalog query result is too large"));
            }
            rows.push(row);
        }
        if fetched < FETCH_ROWS {
            break;
        }
    }
    Ok(QueryResult { columns, rows })
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

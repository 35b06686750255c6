//! The seam between the catalog's logic and the database that stores it.
//!
//! Everything the catalog does — ids, objects, dependencies, roles, secrets — is written
//! once, as SQL both databases accept, against [`Sql`]: run a statement with bound
//! [`Value`]s, get [`Row`]s back. Each backend implements it in its own module:
//! [`sqlite`] on one file, [`postgres`] on a server many nodes share. What differs
//! between them beyond the SQL text (how an id is drawn from a sequence, how a write
//! transaction takes the catalog's lock, how a user query is run) is a method here, so
//! the rest of the crate never asks which database it is on.
//!
//! The SQL is written with SQLite's numbered placeholders (`?1`, `?2`, …); the
//! PostgreSQL backend rewrites them to `$1`, `$2`, … Timestamps travel as
//! `timestamptz` text (see [`crate::time`]), flags as the integers 0 and 1.

use std::fmt;

use crate::error::{CatalogError, Result};

pub(crate) mod postgres;
pub(crate) mod postgres_tls;
pub(crate) mod postgres_watch;
pub(crate) mod sqlite;

/// A value bound to a statement or read from a row.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl fmt::Debug for Value {
    /// Never the bytes: a `Bytes` value may be a ciphertext or a nonce.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::Text(t) => write!(f, "Text({} bytes)", t.len()),
            Value::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(i64::from(v))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Bytes(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// `args![a, b]`: the parameters `?1`, `?2` of a statement, each converted with
/// [`Value::from`].
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::backend::Value::from($value)),*][..]
    };
}
pub(crate) use args;

/// One result row. The getters fail with [`CatalogError::Corrupted`] on a value of the
/// wrong kind: the schema's types rule that out unless the data was edited by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn value(&self, i: usize) -> Result<&Value> {
        self.0
            .get(i)
            .ok_or_else(|| CatalogError::Corrupted(format!("a catalog row has no column {i}")))
    }

    fn wrong(i: usize, what: &str, found: &Value) -> CatalogError {
        CatalogError::Corrupted(format!(
            "column {i} of a catalog row holds {found:?} where {what} was expected"
        ))
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| Row::wrong(i, "an integer", &Value::Null))
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.value(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(Row::wrong(i, "an integer", other)),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?
            .ok_or_else(|| Row::wrong(i, "text", &Value::Null))
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.value(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(Row::wrong(i, "text", other)),
        }
    }

    pub(crate) fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        match self.value(i)? {
            Value::Null => Ok(None),
            Value::Bytes(v) => Ok(Some(v.clone())),
            other => Err(Row::wrong(i, "bytes", other)),
        }
    }

    pub(crate) fn opt_u32(&self, i: usize) -> Result<Option<u32>> {
        self.opt_int(i)?
            .map(|v| u32::try_from(v).map_err(|_| Row::wrong(i, "a 32-bit count", &Value::Int(v))))
            .transpose()
    }
}

/// The statements of one backend, on a connection or inside a transaction of it.
///
/// Errors carry `context` (what the catalog was doing) into [`CatalogError`]; a unique
/// or primary-key violation is reported as [`DbError::Unique`] /
/// [`DbError::PrimaryKey`] so that callers can turn it into the error a user should see.
pub(crate) trait Sql {
    /// Runs a statement; how many rows it changed.
    fn execute(&self, sql: &str, args: &[Value]) -> DbResult<usize>;

    /// Runs a query; all its rows.
    fn query(&self, sql: &str, args: &[Value]) -> DbResult<Vec<Row>>;

    /// How this database draws ids.
    fn ids(&self) -> &'static IdStatements;

    /// Draws the next object id (`u1`, `u2`, …). On SQLite this is part of the
    /// transaction (a rollback gives the id back); on PostgreSQL it is a sequence,
    /// which never gives one back.
    fn allocate_object_id(&self) -> DbResult<i64> {
        self.query_int(self.ids().allocate_object)
    }

    /// The smallest object id not yet drawn.
    fn next_object_id(&self) -> DbResult<i64> {
        self.query_int(self.ids().next_object)
    }

    /// Draws the next user-role id (`u1`, `u2`, … in the roles' own sequence).
    fn allocate_role_id(&self) -> DbResult<i64> {
        self.query_int(self.ids().allocate_role)
    }

    /// The integer a one-value query returns.
    fn query_int(&self, sql: &str) -> DbResult<i64> {
        match self.query_one(sql, &[])?.0.first() {
            Some(Value::Int(i)) => Ok(*i),
            _ => Err(DbError::NoRow),
        }
    }

    /// The first row of a query, if any.
    fn query_opt(&self, sql: &str, args: &[Value]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The one row a query must return.
    fn query_one(&self, sql: &str, args: &[Value]) -> DbResult<Row> {
        self.query_opt(sql, args)?.ok_or(DbError::NoRow)
    }
}

/// The statements that draw ids: the one thing about ids the two databases do
/// differently (a counter row on SQLite, sequences on PostgreSQL). Each returns one
/// integer.
#[derive(Debug)]
pub(crate) struct IdStatements {
    pub(crate) allocate_object: &'static str,
    pub(crate) next_object: &'static str,
    pub(crate) allocate_role: &'static str,
}

/// A write transaction of one backend, holding the catalog's write lock.
pub(crate) trait WriteTxn<'c>: Sql {
    /// Makes every change durable.
    fn commit(self: Box<Self>) -> DbResult<()>;
    /// The transaction as [`Sql`], for the shared reads.
    fn sql(&self) -> &dyn Sql;
}

/// A failed statement, before the catalog says what it was doing.
#[derive(Debug)]
pub(crate) enum DbError {
    /// A `UNIQUE` constraint other than a primary key.
    Unique(Box<DbError>),
    /// A primary key.
    PrimaryKey(Box<DbError>),
    /// A query that had to return a row returned none.
    NoRow,
    /// A result past a bound of the catalog's.
    TooBig(&'static str),
    /// The call could not be made at all (no thread to make it on).
    Unavailable(&'static str),
    Sqlite(rusqlite::Error),
    Postgres(::postgres::Error),
}

pub(crate) type DbResult<T> = std::result::Result<T, DbError>;

impl DbError {
    /// The error a backend reported, past the constraint classification.
    fn into_catalog(self, context: &'static str) -> CatalogError {
        match self {
            DbError::Unique(inner) | DbError::PrimaryKey(inner) => inner.into_catalog(context),
            DbError::NoRow => CatalogError::Corrupted(format!("a row is missing while {context}")),
            DbError::Unavailable(what) => CatalogError::Io {
                context: context.to_owned(),
                source: std::io::Error::other(what),
            },
            DbError::TooBig(what) => CatalogError::QueryFailed {
                code: airlock_core::SqlState::ProgramLimitExceeded,
                message: what.to_owned(),
            },
            DbError::Sqlite(e) => CatalogError::sqlite(context, e),
            DbError::Postgres(e) => CatalogError::postgres(context, e),
        }
    }
}

/// `.ctx("doing x")` on backend results.
pub(crate) trait DbContext<T> {
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> DbContext<T> for DbResult<T> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|e| e.into_catalog(context))
    }
}

/// Turns a failed write into [`CatalogError`], keeping the constraint kind for
/// callers that match on it.
pub(crate) fn db_error(context: &'static str, e: DbError) -> CatalogError {
    e.into_catalog(context)
}

/// One open catalog database: reads outside a transaction, and write transactions.
pub(crate) trait Backend: Send {
    /// Reads (and writes that need no transaction of their own).
    fn sql(&self) -> &dyn Sql;

    /// Begins a write transaction holding the catalog's write lock, waiting for another
    /// writer at most [`crate::BUSY_TIMEOUT`].
    fn begin(&mut self) -> Result<Box<dyn WriteTxn<'_> + '_>>;

    /// The SQLite connection, for what only SQLite has (the online backup).
    fn sqlite(&self) -> Option<&rusqlite::Connection> {
        None
    }

    /// A new watch on this catalog's commits (see [`crate::changes`]).
    fn change_watch(&self) -> crate::ChangeWatch;
}

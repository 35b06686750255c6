//! User `SELECT`s over the system-catalog views, on a connection that cannot write.
//!
//! The engine checks the statement's AST first; this is the second wall. The
//! connection is opened read-only with `query_only` on, and a SQLite authorizer allows
//! only `SELECT`, function calls, and reads of the `mz_*` views and — *through those
//! views only* — of the tables behind them. Everything else (writes, `PRAGMA`,
//! `ATTACH`, transaction control, `sqlite_schema`, the ciphertext table) is denied at
//! prepare time, before a single row is read.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use airlock_core::{Column, ColumnType, Rows, SqlState};
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{Connection, OpenFlags};

use crate::error::{CatalogError, Result, SqliteContext};

/// The relations users may name: the views of [`crate::RELATIONS`].
pub const SYSTEM_VIEWS: [&str; crate::RELATIONS.len()] = {
    let mut names = [""; crate::RELATIONS.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = crate::RELATIONS[i].name;
        i += 1;
    }
    names
};

/// The tables behind [`SYSTEM_VIEWS`], readable only from inside one of them. The
/// ciphertext, settings and id-sequence tables are deliberately absent.
const VIEW_TABLES: [&str; 11] = [
    "objects",
    "roles",
    "role_members",
    "object_privileges",
    "connections",
    "secrets",
    "aws_connections",
    "object_dependencies",
    "aws_connection_validations",
    "aws_connection_credentials",
    "aws_connection_scopes",
];

/// Tables no view shows: not even their row counts are readable.
const PRIVATE_TABLES: [&str; 5] = [
    "secret_ciphertexts",
    "settings",
    "id_sequence",
    "role_id_sequence",
    "scope_privileges",
];

/// Table-valued functions that only read their arguments.
const TABLE_FUNCTIONS: [&str; 2] = ["json_each", "json_tree"];

/// Functions that reach outside the database.
const DENIED_FUNCTIONS: [&str; 2] = ["load_extension", "fts3_tokenizer"];

mod functions;
mod pool;
mod postgres;
mod semantics;
mod text;

pub use pool::QueryRunner;
pub use semantics::VERSION;
pub use text::float8 as float8_text;

/// The largest string or blob a catalog query may build or read (`randomblob(1e9)`
/// would otherwise allocate a gigabyte). Every stored value a query can read fits: names
/// are at most 255 bytes, option values and comments 64 KiB, so a connection's
/// `create_sql` stays well under it (secret values are in no view). It
/// is also one factor of the work of a `LIKE` (see [`MAX_LIKE_PATTERN_BYTES`]).
pub const MAX_VALUE_BYTES: i32 = 1 << 20;

/// The longest `LIKE` or `GLOB` pattern. SQLite matches a pattern in one
/// virtual-machine step, in time up to the product of pattern and text lengths (about
/// 2.5 ns per pair measured), which neither the deadline nor an interrupt can stop:
/// 256 bytes against [`MAX_VALUE_BYTES`] is at most 0.7 s.
pub const MAX_LIKE_PATTERN_BYTES: i32 = 256;

/// The most result columns (and `ORDER BY`/`GROUP BY` terms) a catalog query may have,
/// so that one row holds at most 200 MiB inside SQLite.
pub const MAX_COLUMNS: i32 = 200;

/// The most arguments a function call may have: PostgreSQL's limit (`FUNC_MAX_ARGS`).
pub const MAX_FUNCTION_ARGS: i32 = 100;

/// SQLite's hard heap limit (`PRAGMA hard_heap_limit`), in bytes. SQLite keeps one
/// limit for the whole process; it is only ever lowered to this, never raised.
/// Allocations past it fail, and the query with them (54000), instead of the process.
pub const HEAP_LIMIT_BYTES: i64 = 1 << 30;

/// The most result text a catalog query may return, so that a cross join of the views
/// cannot exhaust memory before the deadline stops it. Counted value by value, before
/// each is converted.
pub const MAX_RESULT_BYTES: usize = 64 << 20;

/// How many virtual-machine steps run between checks of the query deadline.
const PROGRESS_STEPS: i32 = 10_000;

/// A result column: its name, SQLite's declared type when the value comes straight
/// from a table column, and the PostgreSQL type clients should see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryColumn {
    pub name: String,
    pub decl_type: Option<String>,
    pub ty: ColumnType,
}

/// The result of a catalog query: values in PostgreSQL's text form, `None` for NULL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryResult {
    pub columns: Vec<QueryColumn>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl QueryResult {
    /// The shared result-set type engine and REPL print.
    pub fn into_rows(self) -> Rows {
        Rows {
            columns: self
                .columns
                .into_iter()
                .map(|c| Column::new(c.name, c.ty))
                .collect(),
            rows: self.rows,
        }
    }
}

/// The read-only connection and what its authorizer last refused.
pub(crate) struct QueryConnection {
    conn: Connection,
    denied: Arc<Mutex<Option<String>>>,
    /// The names the running statement may define itself (CTEs), which therefore do not
    /// prove that a read comes from inside a real view.
    shadowed: Arc<Mutex<HashSet<String>>>,
    watch: Arc<Mutex<Watch>>,
    statement_time: semantics::StatementTime,
    timeout: Duration,
}

/// What the progress handler checks while a query runs.
#[derive(Debug, Default)]
struct Watch {
    deadline: Option<Instant>,
    /// The session's cancel flag: set from another thread, it stops the query.
    cancel: Option<Arc<AtomicBool>>,
}

impl Watch {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    }
}

impl std::fmt::Debug for QueryConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryConnection")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl QueryConnection {
    /// Opens `target` (a file path, or a `file:` URI when `uri` is set) read-only.
    pub(crate) fn open(target: &str, uri: bool, timeout: Duration) -> Result<QueryConnection> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if uri {
            flags |= OpenFlags::SQLITE_OPEN_URI;
        }
        let conn =
            Connection::open_with_flags(target, flags).ctx("opening the query connection")?;
        conn.busy_handler(Some(crate::busy::handler))
            .ctx("opening the query connection")?;
        conn.pragma_update(None, "query_only", true)
            .ctx("opening the query connection")?;
        use rusqlite::limits::Limit;
        for (limit, value) in [
            (Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES),
            (
                Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
                MAX_LIKE_PATTERN_BYTES,
            ),
            (Limit::SQLITE_LIMIT_COLUMN, MAX_COLUMNS),
            (Limit::SQLITE_LIMIT_FUNCTION_ARG, MAX_FUNCTION_ARGS),
        ] {
            conn.set_limit(limit, value)
                .ctx("opening the query connection")?;
        }
        // LIKE compares case as PostgreSQL's does (SQLite's folds ASCII case by default).
        conn.pragma_update(None, "case_sensitive_like", true)
            .ctx("opening the query connection")?;
        // Sorts and temporary b-trees stay in memory, under the heap limit, rather than
        // in temporary files of any size.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .ctx("opening the query connection")?;
        let current: i64 = conn
            .query_row("PRAGMA hard_heap_limit", [], |r| r.get(0))
            .ctx("opening the query connection")?;
        if current == 0 || current > HEAP_LIMIT_BYTES {
            conn.pragma_update(None, "hard_heap_limit", HEAP_LIMIT_BYTES)
                .ctx("opening the query connection")?;
        }
        functions::install(&conn).ctx("opening the query connection")?;
        let statement_time = semantics::StatementTime::default();
        semantics::install(&conn, &statement_time).ctx("opening the query connection")?;

        let denied = Arc::new(Mutex::new(None));
        let record = Arc::clone(&denied);
        let shadowed: Arc<Mutex<HashSet<String>>> = Arc::default();
        let names = Arc::clone(&shadowed);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            let verdict = authorize(&ctx, &names.lock().unwrap_or_else(PoisonError::into_inner));
            if let Err(what) = &verdict {
                let mut slot = record.lock().unwrap_or_else(PoisonError::into_inner);
                slot.get_or_insert_with(|| what.clone());
            }
            match verdict {
                Ok(()) => Authorization::Allow,
                Err(_) => Authorization::Deny,
            }
        }))
        .ctx("opening the query connection")?;

        let watch: Arc<Mutex<Watch>> = Arc::default();
        let watching = Arc::clone(&watch);
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let watch = watching.lock().unwrap_or_else(PoisonError::into_inner);
                watch.cancelled() || watch.deadline.is_some_and(|d| Instant::now() >= d)
            }),
        )
        .ctx("opening the query connection")?;

        Ok(QueryConnection {
            conn,
            denied,
            shadowed,
            watch,
            statement_time,
            timeout,
        })
    }

    /// Runs one read-only statement. `types`: the PostgreSQL type of each result column,
    /// known before it runs (a column without one is typed from its declared type, or
    /// is text); `cancel`: a flag whose setting stops the query (SQLSTATE 57014).
    pub(crate) fn query(
        &self,
        sql: &str,
        types: &[Option<ColumnType>],
        cancel: Option<&Arc<AtomicBool>>,
    ) -> Result<QueryResult> {
        self.begin(sql, cancel);
        let result = self.run(sql, types);
        let cancelled = self.end();
        result.map_err(|e| match self.classify(e) {
            CatalogError::QueryTimeout if cancelled => CatalogError::QueryCanceled,
            other => other,
        })
    }

    /// The result columns `sql` would have, without running it: prepared (and so
    /// checked by the authorizer) only.
    pub(crate) fn describe(
        &self,
        sql: &str,
        types: &[Option<ColumnType>],
    ) -> Result<Vec<QueryColumn>> {
        self.begin(sql, None);
        let result = self.conn.prepare(sql).map(|stmt| columns_of(&stmt, types));
        self.end();
        result.map_err(|e| self.classify(e))
    }

    fn begin(&self, sql: &str, cancel: Option<&Arc<AtomicBool>>) {
        *self.denied.lock().unwrap_or_else(PoisonError::into_inner) = None;
        *self.shadowed.lock().unwrap_or_else(PoisonError::into_inner) = defined_names(sql);
        *self
            .statement_time
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = crate::time::now();
        *self.watch.lock().unwrap_or_else(PoisonError::into_inner) = Watch {
            deadline: Some(Instant::now() + self.timeout),
            cancel: cancel.cloned(),
        };
    }

    /// Ends a query; whether it was cancelled.
    fn end(&self) -> bool {
        let watch = std::mem::take(&mut *self.watch.lock().unwrap_or_else(PoisonError::into_inner));
        watch.cancelled()
    }

    fn run(&self, sql: &str, types: &[Option<ColumnType>]) -> rusqlite::Result<QueryResult> {
        let mut stmt = self.conn.prepare(sql)?;
        // The authorizer already refused writers; this catches anything it let through.
        if !stmt.readonly() {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_AUTH),
                None,
            ));
        }
        let columns = columns_of(&stmt, types);
        let width = columns.len();
        let mut rows = Vec::new();
        let mut bytes = 0usize;
        let mut cursor = stmt.query([])?;
        while let Some(row) = cursor.next()? {
            let mut values = Vec::with_capacity(width);
            for (i, column) in columns.iter().enumerate() {
                let value = row.get_ref(i)?;
                // Counted before it is converted: a row of many large values stops at
                // the first one past the cap, not after all of them are built.
                bytes += text::text_len(value) + 8;
                if bytes > MAX_RESULT_BYTES {
                    return Err(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_TOOBIG),
                        Some(format!(
                            "catalog query result exceeds {} MiB",
                            MAX_RESULT_BYTES >> 20
                        )),
                    ));
                }
                values.push(text::text(value, column.ty));
            }
            rows.push(values);
        }
        Ok(QueryResult { columns, rows })
    }

    fn classify(&self, e: rusqlite::Error) -> CatalogError {
        let denied = self
            .denied
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let code = e.sqlite_error_code();
        if let Some(what) = denied {
            return CatalogError::QueryDenied { what };
        }
        match code {
            Some(rusqlite::ErrorCode::AuthorizationForStatementDenied)
            | Some(rusqlite::ErrorCode::ReadOnly) => CatalogError::QueryDenied {
                what: "writing the catalog".to_owned(),
            },
            Some(rusqlite::ErrorCode::OperationInterrupted) => CatalogError::QueryTimeout,
            _ if let rusqlite::Error::SqliteFailure(_, Some(msg)) = &e
                && let Some((code, message)) = semantics::decode_error(msg) =>
            {
                CatalogError::QueryFailed { code, message }
            }
            Some(rusqlite::ErrorCode::OutOfMemory) => CatalogError::QueryFailed {
                code: SqlState::ProgramLimitExceeded,
                message: format!(
                    "catalog query exceeds the memory limit of {} MiB",
                    HEAP_LIMIT_BYTES >> 20
                ),
            },
            Some(rusqlite::ErrorCode::TooBig) => CatalogError::QueryFailed {
                code: SqlState::ProgramLimitExceeded,
                message: match e {
                    rusqlite::Error::SqliteFailure(_, Some(msg))
                        if msg != "string or blob too big" =>
                    {
                        msg
                    }
                    _ => format!(
                        "a catalog query value exceeds {} MiB",
                        MAX_VALUE_BYTES >> 20
                    ),
                },
            },
            _ => match e {
                rusqlite::Error::MultipleStatement => CatalogError::QueryFailed {
                    code: SqlState::SyntaxError,
                    message: "a catalog query must be a single statement".to_owned(),
                },
                rusqlite::Error::SqlInputError { msg, .. }
                | rusqlite::Error::SqliteFailure(_, Some(msg))
                    if msg.starts_with("cannot modify ") =>
                {
                    // "cannot modify mz_x because it is a view"
                    let target = msg["cannot modify ".len()..]
                        .split(' ')
                        .next()
                        .unwrap_or_default();
                    CatalogError::QueryDenied {
                        what: format!("writing table {target}"),
                    }
                }
                rusqlite::Error::SqliteFailure(_, Some(msg))
                    if msg == "LIKE or GLOB pattern too complex"
                        || msg == "trim character set too complex" =>
                {
                    CatalogError::QueryFailed {
                        code: SqlState::ProgramLimitExceeded,
                        message: if msg.starts_with("LIKE") {
                            format!(
                                "a LIKE or GLOB pattern in a catalog query exceeds {MAX_LIKE_PATTERN_BYTES} bytes"
                            )
                        } else {
                            msg
                        },
                    }
                }
                rusqlite::Error::SqlInputError { msg, .. }
                | rusqlite::Error::SqliteFailure(_, Some(msg)) => CatalogError::QueryFailed {
                    code: sqlstate_of_message(&msg),
                    message: postgres_message(msg),
                },
                other => CatalogError::sqlite("running a catalog query", other),
            },
        }
    }
}

/// The authorizer's rule. `Err` names what was refused, for the error message.
fn authorize(ctx: &AuthContext<'_>, shadowed: &HashSet<String>) -> Result<(), String> {
    match ctx.action {
        AuthAction::Select | AuthAction::Recursive => Ok(()),
        AuthAction::Function { function_name } => {
            if DENIED_FUNCTIONS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(function_name))
            {
                Err(format!("function {function_name}"))
            } else {
                Ok(())
            }
        }
        AuthAction::Read {
            table_name,
            column_name,
        } => {
            if column_name.is_empty() {
                // SQLite reports a table whose rows are used but none of whose values
                // are read (`count(*)`, the join side of a flattened view, a recursive
                // CTE) with an empty column and no database; only the row count can
                // leak, and not even that for the tables no view shows.
                return if PRIVATE_TABLES.contains(&table_name) || table_name.starts_with("sqlite_")
                {
                    Err(format!("table {table_name}"))
                } else {
                    Ok(())
                };
            }
            let main = ctx.database_name == Some("main");
            let view = SYSTEM_VIEWS.contains(&table_name) || TABLE_FUNCTIONS.contains(&table_name);
            // SQLite names a CTE as the accessor of the reads inside it, just as it
            // names a view: a system view's name proves a real view only when the
            // statement defines nothing by that name.
            let behind_view = VIEW_TABLES.contains(&table_name)
                && ctx.accessor.is_some_and(|v| {
                    SYSTEM_VIEWS.iter().any(|s| s.eq_ignore_ascii_case(v))
                        && !shadowed.contains(&v.to_ascii_lowercase())
                });
            if main && (view || behind_view) {
                Ok(())
            } else {
                Err(format!("table {table_name}"))
            }
        }
        AuthAction::Pragma { pragma_name, .. } => Err(format!("PRAGMA {pragma_name}")),
        AuthAction::Attach { .. } => Err("ATTACH".to_owned()),
        AuthAction::Detach { .. } => Err("DETACH".to_owned()),
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
            Err("transaction control".to_owned())
        }
        // DDL is first seen as a write to the schema table, and SQLite stops at the first
        // refusal.
        AuthAction::Insert { table_name }
        | AuthAction::Delete { table_name }
        | AuthAction::Update { table_name, .. }
            if table_name.starts_with("sqlite_") =>
        {
            Err("changing the schema".to_owned())
        }
        AuthAction::Insert { table_name }
        | AuthAction::Delete { table_name }
        | AuthAction::Update { table_name, .. } => Err(format!("writing table {table_name}")),
        AuthAction::CreateIndex { .. }
        | AuthAction::CreateTable { .. }
        | AuthAction::CreateTempIndex { .. }
        | AuthAction::CreateTempTable { .. }
        | AuthAction::CreateTempTrigger { .. }
        | AuthAction::CreateTempView { .. }
        | AuthAction::CreateTrigger { .. }
        | AuthAction::CreateView { .. }
        | AuthAction::CreateVtable { .. }
        | AuthAction::DropIndex { .. }
        | AuthAction::DropTable { .. }
        | AuthAction::DropTempIndex { .. }
        | AuthAction::DropTempTable { .. }
        | AuthAction::DropTempTrigger { .. }
        | AuthAction::DropTempView { .. }
        | AuthAction::DropTrigger { .. }
        | AuthAction::DropView { .. }
        | AuthAction::DropVtable { .. }
        | AuthAction::AlterTable { .. } => Err("changing the schema".to_owned()),
        other => Err(format!("statement ({})", action_name(&other))),
    }
}

fn action_name(action: &AuthAction<'_>) -> String {
    let debug = format!("{action:?}");
    debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("unknown")
        .to_owned()
}

/// Every name `sql` may define as a CTE, lower-cased: each name (bare, quoted with
/// `"`, `` ` ``, `[]`, or a string, as SQLite allows) followed by an optional column list
/// and `AS [NOT] [MATERIALIZED] (`. It over-approximates (a `WINDOW w AS (` counts too),
/// which only makes the authorizer stricter.
fn defined_names(sql: &str) -> HashSet<String> {
    #[derive(PartialEq)]
    enum Tok {
        /// A name or keyword; `true` when bare.
        Word(String, bool),
        Open,
        Close,
        Other,
    }
    let b = sql.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let quoted = |i: usize, close: u8| -> (String, usize) {
        let mut j = i + 1;
        let mut out = Vec::new();
        while j < b.len() {
            if b[j] == close {
                if close != b']' && b.get(j + 1) == Some(&close) {
                    out.push(close);
                    j += 2;
                    continue;
                }
                return (String::from_utf8_lossy(&out).to_lowercase(), j + 1);
            }
            out.push(b[j]);
            j += 1;
        }
        (String::from_utf8_lossy(&out).to_lowercase(), j)
    };
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i += 2;
        } else if matches!(c, b'"' | b'`' | b'\'' | b'[') {
            let close = if c == b'[' { b']' } else { c };
            let (word, next) = quoted(i, close);
            toks.push(Tok::Word(word, false));
            i = next;
        } else if c == b'(' {
            toks.push(Tok::Open);
            i += 1;
        } else if c == b')' {
            toks.push(Tok::Close);
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'$') || b[i] >= 0x80)
            {
                i += 1;
            }
            toks.push(Tok::Word(sql[start..i].to_lowercase(), true));
        } else {
            toks.push(Tok::Other);
            i += 1;
        }
    }
    // The matching `)` of every `(`, in one pass.
    let mut close = vec![None; toks.len()];
    let mut stack = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        match t {
            Tok::Open => stack.push(k),
            Tok::Close => {
                if let Some(open) = stack.pop() {
                    close[open] = Some(k);
                }
            }
            _ => {}
        }
    }
    let keyword =
        |k: usize, word: &str| matches!(toks.get(k), Some(Tok::Word(w, true)) if w == word);
    let mut names = HashSet::new();
    for (k, t) in toks.iter().enumerate() {
        let Tok::Word(name, _) = t else { continue };
        let mut j = k + 1;
        if toks.get(j) == Some(&Tok::Open) {
            match close[j] {
                Some(end) => j = end + 1,
                None => continue,
            }
        }
        if !keyword(j, "as") {
            continue;
        }
        j += 1;
        if keyword(j, "not") {
            j += 1;
        }
        if keyword(j, "materialized") {
            j += 1;
        }
        if toks.get(j) == Some(&Tok::Open) {
            names.insert(name.clone());
        }
    }
    names
}

/// The PostgreSQL type for a SQLite declared type, as the schema spells them.
fn column_type_of_decl(decl: &str) -> Option<ColumnType> {
    Some(match decl.to_ascii_uppercase().as_str() {
        "TEXT" => ColumnType::Text,
        "INTEGER" | "BIGINT" | "INT8" => ColumnType::Int8,
        "OID" => ColumnType::Oid,
        "TIMESTAMPTZ" => ColumnType::TimestampTz,
        "JSONB" => ColumnType::Jsonb,
        "BOOLEAN" => ColumnType::Bool,
        "REAL" | "DOUBLE PRECISION" => ColumnType::Float8,
        _ => return None,
    })
}

/// The result columns of a prepared statement: the PostgreSQL type the engine gave
/// each, else the one its declared type names, else text.
fn columns_of(stmt: &rusqlite::Statement<'_>, types: &[Option<ColumnType>]) -> Vec<QueryColumn> {
    stmt.columns()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let decl_type = c.decl_type().map(str::to_owned);
            QueryColumn {
                name: c.name().to_owned(),
                ty: types
                    .get(i)
                    .copied()
                    .flatten()
                    .or_else(|| decl_type.as_deref().and_then(column_type_of_decl))
                    .unwrap_or(ColumnType::Text),
                decl_type,
            }
        })
        .collect()
}

/// SQLite's wording of a name that does not resolve, as PostgreSQL words it
/// (`column "x" does not exist`, `column t.x does not exist`); other messages as they are.
fn postgres_message(msg: String) -> String {
    if let Some(name) = msg.strip_prefix("no such column: ") {
        return if name.contains('.') {
            format!("column {name} does not exist")
        } else {
            format!("column \"{name}\" does not exist")
        };
    }
    if let Some(name) = msg.strip_prefix("no such table: ") {
        return format!("relation \"{name}\" does not exist");
    }
    msg
}

fn sqlstate_of_message(msg: &str) -> SqlState {
    if msg.starts_with("no such table") {
        SqlState::UndefinedTable
    } else if msg.starts_with("no such column") {
        SqlState::UndefinedColumn
    } else if msg.contains("syntax error") || msg.starts_with("incomplete input") {
        SqlState::SyntaxError
    } else {
        SqlState::FeatureNotSupported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unresolved_names_are_worded_as_postgres_words_them() {
        assert_eq!(
            postgres_message("no such column: nope".to_owned()),
            "column \"nope\" does not exist"
        );
        assert_eq!(
            postgres_message("no such column: c.nope".to_owned()),
            "column c.nope does not exist"
        );
        assert_eq!(postgres_message("other".to_owned()), "other");
    }

    #[test]
    fn declared_types_map_to_postgres_types() {
        assert_eq!(column_type_of_decl("OID"), Some(ColumnType::Oid));
        assert_eq!(
            column_type_of_decl("TIMESTAMPTZ"),
            Some(ColumnType::TimestampTz)
        );
        assert_eq!(column_type_of_decl("whatever"), None);
    }
}

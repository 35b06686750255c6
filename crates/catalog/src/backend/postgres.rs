//! The PostgreSQL backend: one catalog shared by every node that connects to the same
//! database.
//!
//! - **Schemas.** The storage tables live in the schema `airlock`; the relations users
//!   query are views in `mz_catalog` and `mz_internal` (`migrations/postgres/`).
//! - **Writes.** Each write transaction is `READ COMMITTED` and starts by taking one
//!   transaction-scoped advisory lock, the catalog's write lock: DDL statements of all
//!   nodes run one at a time, as they do on SQLite under `BEGIN IMMEDIATE`, so a
//!   dependency check or a `DROP … CASCADE` sees every commit before it and nothing can
//!   change under it. Every statement after the lock reads the newest committed state
//!   (`READ COMMITTED` takes a snapshot per statement), and no two catalog writers ever
//!   conflict, so a write can fail neither with a serialization failure nor a deadlock.
//!   Waiting for the lock is bounded by `lock_timeout` ([`crate::BUSY_TIMEOUT`]).
//! - **Ids.** Object ids and role ids come from PostgreSQL sequences: a rolled-back
//!   statement may burn one, none is ever handed out twice.
//! - **Faults.** A connection that breaks fails the statement running on it (its
//!   transaction is rolled back by the server) with SQLSTATE 08006 or, when the server
//!   shuts down, 57P01; the next statement connects again.
//! - **Values.** Parameters are sent in text format and typed by the server from the
//!   statement; results arrive in binary and become [`Value`]s (`timestamptz` as its text
//!   form, `boolean` as 0/1).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use ::postgres::types::{FromSql, IsNull, ToSql, Type};
use ::postgres::{Client, Config, Statement};
use bytes::BytesMut;

use super::postgres_tls::Tls;
use super::{DbError, DbResult, IdStatements, Row, Sql, Value, WriteTxn};

/// The advisory-lock key of the catalog's write lock ('AIRL').
pub(crate) const WRITE_LOCK_KEY: i64 = 0x4149_524C;
/// The advisory-lock key held while the schema is created or upgraded ('AIRM').
pub(crate) const MIGRATE_LOCK_KEY: i64 = 0x4149_524D;

/// Seconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
const POSTGRES_EPOCH_UNIX_SECS: i64 = 946_684_800;

/// Whether `location` names a PostgreSQL catalog (a `postgres://` or `postgresql://`
/// URL) rather than a SQLite file.
pub(crate) fn is_url(location: &str) -> bool {
    let lower = location.get(..13).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// The URL without its password, for messages and [`crate::Location`].
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            let masked = if userinfo.contains(':') {
                format!("{user}:********")
            } else {
                user.to_owned()
            };
            format!("{}{}@{}", &url[..scheme_end + 3], masked, &rest[at + 1..])
        }
        None => url.to_owned(),
    }
}

/// A text-format parameter: the server parses it as whatever type the statement gives
/// the placeholder, as it does for psql's literals.
struct TextArg<'a>(&'a Value);

impl fmt::Debug for TextArg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl ToSql for TextArg<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self.0 {
            Value::Null => return Ok(IsNull::Yes),
            Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Value::Text(t) => {
                if t.contains('\0') {
                    return Err("text values cannot hold NUL bytes in PostgreSQL".into());
                }
                out.extend_from_slice(t.as_bytes());
            }
            Value::Bytes(b) => {
                out.extend_from_slice(b"\\x");
                for byte in b {
                    out.extend_from_slice(format!("{byte:02x}").as_bytes());
                }
            }
        }
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> ::postgres::types::Format {
        ::postgres::types::Format::Text
    }

    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        self.to_sql(ty, out)
    }
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, Box<dyn StdError + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::OID => Value::Int(i64::from(u32::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::BYTEA => Value::Bytes(raw.to_vec()),
            Type::TIMESTAMPTZ => {
                let micros = i64::from_sql(&Type::INT8, raw)?;
                let unix = micros.div_euclid(1_000_000) + POSTGRES_EPOCH_UNIX_SECS;
                let sub = u32::try_from(micros.rem_euclid(1_000_000)).unwrap_or(0);
                Value::Text(crate::time::format_unix_micros(
                    u64::try_from(unix).unwrap_or(0),
                    sub,
                ))
            }
            Type::JSONB => match raw.split_first() {
                Some((1, json)) => Value::Text(std::str::from_utf8(json)?.to_owned()),
                _ => return Err("unsupported jsonb version".into()),
            },
            _ => Value::Text(std::str::from_utf8(raw)?.to_owned()),
        })
    }

    fn from_sql_null(_ty: &Type) -> Result<Value, Box<dyn StdError + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::OID
                | Type::BOOL
                | Type::BYTEA
                | Type::TIMESTAMPTZ
                | Type::JSONB
                | Type::JSON
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
        )
    }
}

/// Runs `f`, which blocks on the client's own runtime, where that cannot panic. The
/// synchronous client drives each call with a runtime of its own, which tokio refuses
/// to start on a thread that already runs one: a host calling the catalog from async
/// code (a server binding, an engine opened in an `async fn`) would panic. There, `f`
/// runs on a short-lived thread of its own and this thread waits for it, as it would
/// for SQLite.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> DbResult<T> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(f());
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("airlock-catalog-pg".to_owned())
            .spawn_scoped(scope, f)
            .map_err(|_| DbError::Unavailable("no thread could be started for a catalog call"))?
            .join()
            .map_err(|_| DbError::Unavailable("a catalog call failed"))
    })
}

/// Drops a client (and the runtime inside it, which tokio refuses to drop on a thread
/// that runs async code) where that cannot panic.
fn drop_client(client: Option<Client>) {
    if client.is_some() {
        let _ = off_runtime(move || drop(client));
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        drop_client(self.client.get_mut().take());
    }
}

/// Rewrites SQLite's numbered placeholders (`?1`) to PostgreSQL's (`$1`), outside
/// quoted strings and identifiers.
pub(crate) fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

/// Whether the error means the connection is gone (closed, or the server shutting it
/// down), rather than that a statement failed on it.
pub(crate) fn is_connection_error(e: &::postgres::Error) -> bool {
    match e.code() {
        Some(code) => code.code().starts_with("08") || code.code().starts_with("57P"),
        None => e.is_closed() || e.as_db_error().is_none(),
    }
}

/// Maps a client error to the constraint kinds callers recognise.
fn classify(e: ::postgres::Error) -> DbError {
    if let Some(db) = e.as_db_error()
        && *db.code() == ::postgres::error::SqlState::UNIQUE_VIOLATION
    {
        return if db.constraint().is_some_and(|c| c.ends_with("_pkey")) {
            DbError::PrimaryKey(Box::new(DbError::Postgres(e)))
        } else {
            DbError::Unique(Box::new(DbError::Postgres(e)))
        };
    }
    DbError::Postgres(e)
}

/// Where the catalog's database is and how to reach it: the client's settings (the
/// URL's) and the TLS connector its `sslmode` and `sslrootcert` ask for.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) config: Config,
    pub(crate) tls: Tls,
}

impl Target {
    /// A new client, set up with `setup`.
    pub(crate) fn connect(&self, setup: &str) -> Result<Client, ::postgres::Error> {
        let mut client = self.config.connect(self.tls.clone())?;
        client.batch_execute(setup)?;
        Ok(client)
    }
}

impl fmt::Debug for Target {
    /// Neither the password nor the certificates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target").finish_non_exhaustive()
    }
}

/// One connection to the catalog's database, reconnected on demand, with the
/// statements it has prepared.
pub(crate) struct PgConn {
    target: Target,
    client: RefCell<Option<Client>>,
    statements: RefCell<HashMap<String, Statement>>,
    /// Whether a transaction is open on it (a [`PgTxn`] is alive).
    in_txn: Cell<bool>,
    /// The settings every new session gets.
    setup: String,
}

impl fmt::Debug for PgConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConn").finish_non_exhaustive()
    }
}

/// Every catalog session: the storage schema first, UTC, ISO dates (the text form
/// `timestamptz` values are compared and shown in).
pub(crate) const SESSION_SETUP: &str = "SET search_path TO airlock; SET TimeZone TO 'UTC'; \
     SET DateStyle TO 'ISO, MDY'; SET IntervalStyle TO 'postgres'; \
     SET application_name TO 'airlock'";

impl PgConn {
    /// Connects now, so that a catalog that cannot be reached fails at open.
    pub(crate) fn connect(target: Target, setup: String) -> DbResult<PgConn> {
        let conn = PgConn {
            target,
            client: RefCell::new(None),
            statements: RefCell::new(HashMap::new()),
            in_txn: Cell::new(false),
            setup,
        };
        conn.ensure()?;
        Ok(conn)
    }

    /// The client, connecting again if the last one broke. Inside a transaction a
    /// broken connection is not replaced: the transaction is gone, and the statement
    /// must fail.
    fn ensure(&self) -> DbResult<()> {
        let broken = match &*self.client.borrow() {
            Some(client) => client.is_closed(),
            None => true,
        };
        if !broken {
            return Ok(());
        }
        if self.in_txn.get() && self.client.borrow().is_some() {
            // Surface the loss through the next statement's own error.
            return Ok(());
        }
        self.statements.borrow_mut().clear();
        let (target, setup) = (&self.target, self.setup.as_str());
        // Connected and set up in one call, so that a client whose setup fails is also
        // dropped off the runtime.
        let client = off_runtime(|| target.connect(setup))?.map_err(DbError::Postgres)?;
        let old = self.client.borrow_mut().replace(client);
        drop_client(old);
        Ok(())
    }

    fn with_client<T: Send>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, ::postgres::Error> + Send,
    ) -> DbResult<T> {
        self.ensure()?;
        let mut slot = self.client.borrow_mut();
        let client = slot.as_mut().ok_or(DbError::Unavailable(
            "no connection to the catalog database",
        ))?;
        off_runtime(|| f(client))?.map_err(classify)
    }

    fn statement(&self, sql: &str) -> DbResult<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let rewritten = placeholders(sql);
        let stmt = self.with_client(|c| c.prepare(&rewritten))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    /// Runs `sql` (several statements, no parameters) as one batch.
    pub(crate) fn batch(&self, sql: &str) -> DbResult<()> {
        self.with_client(|c| c.batch_execute(sql))
    }

    /// Starts a transaction with `sql`. A connection that broke while it sat idle (the
    /// server restarted, a proxy dropped it) is only found out by using it; since
    /// nothing has run yet, the start is tried once more on a new connection.
    pub(crate) fn start(&self, sql: &str) -> DbResult<()> {
        self.retried_if_died_idle(|| self.batch(sql))
    }

    /// Runs `f`, and once more on a new connection if it failed because the
    /// connection was gone and no transaction was open on it (nothing ran).
    fn retried_if_died_idle<T>(&self, f: impl Fn() -> DbResult<T>) -> DbResult<T> {
        match f() {
            Err(DbError::Postgres(e)) if is_connection_error(&e) && !self.in_txn.get() => {
                drop_client(self.client.borrow_mut().take());
                f()
            }
            other => other,
        }
    }

    /// Begins the catalog's write transaction: the write lock first, waited for at
    /// most [`crate::BUSY_TIMEOUT`].
    pub(crate) fn begin(&self) -> DbResult<PgTxn<'_>> {
        self.ensure()?;
        let timeout = crate::BUSY_TIMEOUT.as_millis();
        self.start(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {timeout}; \
             SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY}); SET LOCAL lock_timeout = 0"
        ))
        .inspect_err(|_| {
            let _ = self.batch("ROLLBACK");
        })?;
        self.in_txn.set(true);
        Ok(PgTxn {
            conn: self,
            done: Cell::new(false),
        })
    }

    /// Marks a transaction the caller runs by hand as open (or closed again): while it
    /// is open, a broken connection is not replaced under it.
    pub(crate) fn set_in_transaction(&self, open: bool) {
        self.in_txn.set(open);
    }

    /// The cancel token of the current session, if connected.
    pub(crate) fn cancel_token(&self) -> Option<::postgres::CancelToken> {
        self.client.borrow().as_ref().map(Client::cancel_token)
    }

    /// Runs `sql` with the simple-query protocol; its rows as text (PostgreSQL's
    /// output form of each value).
    pub(crate) fn simple_rows(&self, sql: &str) -> DbResult<Vec<Vec<Option<String>>>> {
        let messages = self.with_client(|c| c.simple_query(sql))?;
        Ok(messages
            .into_iter()
            .filter_map(|m| match m {
                ::postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    /// [`PgConn::simple_rows`] for a batch that starts a transaction: tried once more
    /// on a new connection if the old one died idle (see [`PgConn::start`]).
    pub(crate) fn start_rows(&self, sql: &str) -> DbResult<Vec<Vec<Option<String>>>> {
        self.retried_if_died_idle(|| self.simple_rows(sql))
    }

    /// Whether the connection is gone (a statement on it would fail).
    pub(crate) fn is_broken(&self) -> bool {
        self.client.borrow().as_ref().is_none_or(Client::is_closed)
    }

    /// The columns `sql` would return, prepared but not run.
    pub(crate) fn describe(&self, sql: &str) -> DbResult<Vec<(String, Type)>> {
        let stmt = self.with_client(|c| c.prepare(sql))?;
        Ok(stmt
            .columns()
            .iter()
            .map(|c| (c.name().to_owned(), c.type_().clone()))
            .collect())
    }
}

impl Sql for PgConn {
    fn execute(&self, sql: &str, args: &[Value]) -> DbResult<usize> {
        let stmt = self.statement(sql)?;
        let params: Vec<TextArg<'_>> = args.iter().map(TextArg).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let n = self.with_client(|c| c.execute(&stmt, &refs))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn query(&self, sql: &str, args: &[Value]) -> DbResult<Vec<Row>> {
        let stmt = self.statement(sql)?;
        let params: Vec<TextArg<'_>> = args.iter().map(TextArg).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self.with_client(|c| c.query(&stmt, &refs))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(DbError::Postgres)
    }

    fn ids(&self) -> &'static IdStatements {
        &IDS
    }
}

/// Sequences: they only move forward, and a rollback does not give an id back.
const IDS: IdStatements = IdStatements {
    allocate_object: "SELECT nextval('id_sequence')",
    next_object: "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END \
                  FROM id_sequence",
    allocate_role: "SELECT nextval('role_id_sequence')",
};

/// A write transaction holding the catalog's advisory lock; rolled back when dropped
/// without [`WriteTxn::commit`].
pub(crate) struct PgTxn<'c> {
    conn: &'c PgConn,
    done: Cell<bool>,
}

impl Sql for PgTxn<'_> {
    fn execute(&self, sql: &str, args: &[Value]) -> DbResult<usize> {
        self.conn.execute(sql, args)
    }
    fn query(&self, sql: &str, args: &[Value]) -> DbResult<Vec<Row>> {
        self.conn.query(sql, args)
    }
    fn ids(&self) -> &'static IdStatements {
        &IDS
    }
}

impl<'c> WriteTxn<'c> for PgTxn<'c> {
    fn commit(self: Box<Self>) -> DbResult<()> {
        self.done.set(true);
        // Still marked as in a transaction: if the connection broke, COMMIT must fail
        // on it, never succeed on a new connection where there is nothing to commit.
        let committed = self.conn.batch("COMMIT");
        self.conn.in_txn.set(false);
        committed
    }
    fn sql(&self) -> &dyn Sql {
        self.conn
    }
}

impl Drop for PgTxn<'_> {
    fn drop(&mut self) {
        if !self.done.get() {
            // On the transaction's own connection (a broken one has rolled back
            // already, and the next statement reconnects).
            let _ = self.conn.batch("ROLLBACK");
            self.conn.in_txn.set(false);
        }
    }
}

/// How long a connection attempt may take before the catalog reports it unreachable.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A PostgreSQL catalog's read-write connection.
pub(crate) struct PgDb(pub(crate) PgConn);

impl super::Backend for PgDb {
    fn sql(&self) -> &dyn Sql {
        &self.0
    }

    fn begin(&mut self) -> crate::Result<Box<dyn WriteTxn<'_> + '_>> {
        use super::DbContext;
        Ok(Box::new(self.0.begin().ctx("beginning a transaction")?))
    }

    fn change_watch(&self) -> crate::ChangeWatch {
        super::postgres_watch::start(&self.0.target)
    }
}

/// The environment variable naming the role catalog queries run as when the opener's
/// [`crate::CatalogConfig::postgres_query_role`] does not (for the `airlock` binaries).
pub const QUERY_ROLE_ENV: &str = "AIRLOCK_CATALOG_QUERY_ROLE";

/// What [`open`] hands the catalog.
pub(crate) struct Opened {
    pub(crate) db: PgDb,
    pub(crate) queries: crate::QueryRunner,
    /// The URL without its password.
    pub(crate) location: String,
    pub(crate) settings: crate::Settings,
}

/// Connects to the database at `url`, creates or upgrades the catalog's schema there,
/// and opens the connections for user queries.
pub(crate) fn open(url: &str, config: &crate::CatalogConfig) -> crate::Result<Opened> {
    use crate::CatalogError;
    let location = redact_url(url);
    let invalid = |reason: String| CatalogError::InvalidUrl {
        url: location.clone(),
        reason,
    };
    let tls = super::postgres_tls::settings(url).map_err(invalid)?;
    let mut pg: Config = tls
        .url
        .parse()
        .map_err(|e: ::postgres::Error| invalid(e.to_string()))?;
    pg.ssl_mode(tls.mode);
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(CONNECT_TIMEOUT);
    }
    let target = Target {
        config: pg,
        tls: tls.tls,
    };
    let unreachable = |e: DbError| match e {
        DbError::Postgres(source) => CatalogError::Unreachable {
            location: location.clone(),
            source,
        },
        other => super::db_error("connecting to the catalog database", other),
    };
    let conn = PgConn::connect(target.clone(), SESSION_SETUP.to_owned()).map_err(unreachable)?;
    let settings = upgrade(&conn, &location, config)?;
    let role = config
        .postgres_query_role
        .clone()
        .or_else(|| std::env::var(QUERY_ROLE_ENV).ok().filter(|r| !r.is_empty()));
    let queries = crate::QueryRunner::postgres(target, config.query_timeout, role.as_deref())
        .map_err(|e| match e {
            // A role that cannot be set is the operator's mistake, not a network one.
            DbError::Postgres(source) if source.as_db_error().is_some() => {
                CatalogError::postgres("setting the catalog query role", source)
            }
            other => unreachable(other),
        })?;
    Ok(Opened {
        db: PgDb(conn),
        queries,
        location,
        settings,
    })
}

/// Creates or upgrades the schema, one node at a time: under an advisory lock that
/// every opener takes first, in one transaction (PostgreSQL's DDL is transactional),
/// so nodes that start together apply each migration exactly once, and a failure
/// leaves nothing behind.
fn upgrade(
    conn: &PgConn,
    location: &str,
    config: &crate::CatalogConfig,
) -> crate::Result<crate::Settings> {
    use super::DbContext;
    use crate::CatalogError;
    use crate::migrate::{POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION};
    conn.batch(&format!(
        "BEGIN; SET LOCAL lock_timeout = '60s'; SELECT pg_advisory_xact_lock({MIGRATE_LOCK_KEY});
         CREATE SCHEMA IF NOT EXISTS airlock;
         CREATE TABLE IF NOT EXISTS airlock.schema_migrations (
             version    bigint PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )"
    ))
    .ctx("upgrading the catalog")?;
    conn.in_txn.set(true);
    let result = (|| {
        let version = conn
            .query_one(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )
            .ctx("upgrading the catalog")?
            .int(0)?;
        if version > POSTGRES_SCHEMA_VERSION {
            return Err(CatalogError::NewerVersion {
                path: location.into(),
                found: version,
                supported: POSTGRES_SCHEMA_VERSION,
            });
        }
        for m in POSTGRES_MIGRATIONS.iter().filter(|m| m.version > version) {
            conn.batch(m.sql).ctx("applying a catalog migration")?;
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                super::args![m.version, m.name],
            )
            .ctx("applying a catalog migration")?;
        }
        let created = version == 0;
        crate::catalog::initialize(conn, created, created, config)
    })();
    let finished = match result {
        Ok(settings) => conn
            .batch("COMMIT")
            .ctx("upgrading the catalog")
            .map(|()| settings),
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    };
    conn.in_txn.set(false);
    finished
}

//! Opening a catalog, and the reads that need no transaction.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use airlock_core::aws::IamArn;
use airlock_core::{ConnectionId, ObjectId, SecretId, SecretString};
use rusqlite::{Connection, OpenFlags};

use crate::backend::sqlite::{self, SqliteDb};
use crate::backend::{self, Backend, DbContext, Sql, args};
use crate::error::{CatalogError, Result, SqliteContext};
use crate::model::{
    ConnectionEntry, Namespace, ObjectKind, ObjectRef, SecretEntry, Settings, ValidationEntry,
};
use crate::query::{QueryResult, QueryRunner};
use crate::read;
use crate::secrets::embedded::{KeyChoice, key_file_for};
use crate::secrets::key::{private_create_new, sync_parent_dir};
use crate::secrets::{EmbeddedStore, SecretBackend, SecretBytes, SecretStore, Secrets};
use crate::txn::Txn;

/// The path that means "a throwaway catalog in memory", as in SQLite.
pub const MEMORY: &str = ":memory:";

/// How to open a catalog.
#[derive(Debug, Clone)]
pub struct CatalogConfig {
    /// The external-ID prefix, used only when the catalog is created (a new random UUID
    /// when `None`). Giving a different prefix for an existing catalog is an error;
    /// giving the same one is fine.
    pub external_id_prefix: Option<uuid::Uuid>,
    /// The `aws_principal` a new catalog starts with. Ignored for an existing catalog:
    /// change it there with [`Txn::set_aws_principal`].
    pub aws_principal: Option<String>,
    /// Where secret values live.
    pub secrets: SecretBackend,
    /// How long a user query ([`Catalog::query`]) may run.
    pub query_timeout: Duration,
    /// The database and schema qualified names must name, used only when the catalog is
    /// created (Materialize's `materialize.public` when `None`). Ignored for an existing
    /// catalog, whose namespace is fixed.
    pub namespace: Option<Namespace>,
    /// The first user role (`u1`, a superuser) of a new catalog, also made when an older
    /// catalog gains roles; [`DEFAULT_BOOTSTRAP_ROLE`] when `None`. Ignored otherwise.
    pub bootstrap_role: Option<String>,
    /// A PostgreSQL catalog only: the database role catalog queries run as (`SET ROLE`
    /// on their connections), e.g. one with `SELECT` on the `mz_catalog` and
    /// `mz_internal` views and nothing else — a second wall behind the engine's check
    /// of every query, as SQLite's authorizer is. `None`: `AIRLOCK_CATALOG_QUERY_ROLE`
    /// if set, else the connection's own user.
    pub postgres_query_role: Option<String>,
}

/// The first user role of a new catalog unless the opener names one: Materialize's
/// first user.
pub const DEFAULT_BOOTSTRAP_ROLE: &str = "materialize";

impl Default for CatalogConfig {
    fn default() -> Self {
        CatalogConfig {
            external_id_prefix: None,
            aws_principal: None,
            secrets: SecretBackend::Embedded,
            query_timeout: Duration::from_secs(10),
            namespace: None,
            bootstrap_role: None,
            postgres_query_role: None,
        }
    }
}

/// Where a catalog lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Memory,
    /// A PostgreSQL database, by its URL without the password.
    Postgres(String),
}

/// An open catalog: one database connection for writes and reads (SQLite or
/// PostgreSQL, see `docs/catalog.md`), a pool of read-only connections for user queries
/// ([`QueryRunner`]), and the secret store.
///
/// Several processes may open the same catalog: on SQLite, WAL mode lets readers run
/// alongside the one writer; on PostgreSQL, every node shares the server. A [`Txn`]
/// waits (about five seconds, see [`crate::BUSY_TIMEOUT`]) for another process's write
/// lock.
pub struct Catalog {
    // Fields drop in order: the read-only query connections close first (when no clone
    // of the runner outlives the catalog), so that the read-write one is the last
    // connection of this process to close, and SQLite checkpoints the WAL into the
    // catalog file (and removes it) as it closes.
    queries: QueryRunner,
    pub(crate) db: Box<dyn Backend>,
    secrets: Secrets,
    location: Location,
    environment_id: uuid::Uuid,
    prefix: uuid::Uuid,
    /// Fixed at creation, so read once.
    namespace: Namespace,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("location", &self.location)
            .field("environment_id", &self.environment_id)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// Opens the catalog at `path`, creating it (mode 0600) if there is no file there.
    /// [`MEMORY`] (`:memory:`) opens a throwaway in-memory catalog, and a
    /// `postgres://` (or `postgresql://`) URL a catalog in that PostgreSQL database
    /// ([`Catalog::open_postgres`]).
    ///
    /// Refuses, without writing to it, a file that is not an Airlock catalog and a
    /// catalog written by a newer version; upgrades an older one.
    pub fn open(path: impl AsRef<Path>, config: CatalogConfig) -> Result<Catalog> {
        let path = path.as_ref();
        if path.as_os_str() == MEMORY {
            return Catalog::open_in_memory(config);
        }
        if let Some(url) = path.to_str().filter(|p| backend::postgres::is_url(p)) {
            return Catalog::open_postgres(url, config);
        }
        check_principal(config.aws_principal.as_deref())?;
        check_namespace(config.namespace.as_ref())?;
        // Processes that start together on a new catalog race to create and migrate it,
        // and SQLite answers some steps of that race with `SQLITE_BUSY` at once, without
        // calling the busy handler (where waiting could deadlock). Every step is
        // idempotent or transactional, so the opener retries the whole sequence, within
        // the same bound as any other wait for another process.
        let deadline = std::time::Instant::now() + crate::BUSY_TIMEOUT;
        loop {
            match Catalog::open_file(path, &config) {
                Err(CatalogError::Busy) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => return other,
            }
        }
    }

    fn open_file(path: &Path, config: &CatalogConfig) -> Result<Catalog> {
        sqlite::precheck_file(path)?;

        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ctx("opening the catalog file")?;
        sqlite::configure(&conn)?;
        // Read-only inspection first: nothing is written to a file we then refuse.
        crate::migrate::check(&crate::migrate::inspect(&conn, path)?, path)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .ctx("switching to WAL mode")?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(CatalogError::Io {
                context: format!("switch {} to WAL mode", path.display()),
                source: io::Error::other(format!("SQLite kept journal mode {mode}")),
            });
        }
        // Every commit is durable once it returns: a statement the user saw succeed is
        // never lost, even to a power cut.
        conn.pragma_update(None, "synchronous", "FULL")
            .ctx("configuring the catalog")?;

        let settings = sqlite::upgrade(&mut conn, path, config)?;
        let queries = QueryRunner::open(
            path.to_string_lossy().into_owned(),
            false,
            config.query_timeout,
        )?;
        let auto = KeyChoice::Auto {
            key_file: key_file_for(path),
        };
        let mut db: Box<dyn Backend> = Box::new(SqliteDb { conn, file: true });
        let secrets = open_secrets(&mut *db, &config.secrets, auto)?;
        Ok(Catalog {
            db,
            queries,
            secrets,
            location: Location::File(path.to_owned()),
            environment_id: settings.environment_id,
            prefix: settings.external_id_prefix,
            namespace: settings.namespace,
        })
    }

    /// A throwaway catalog in memory, gone when the `Catalog` is dropped. The embedded
    /// secret store uses a random key.
    pub fn open_in_memory(config: CatalogConfig) -> Result<Catalog> {
        check_principal(config.aws_principal.as_deref())?;
        check_namespace(config.namespace.as_ref())?;
        // memdb databases whose name starts with '/' are shared by the connections of
        // this process, so the read-only query connection sees the same data.
        let uri = format!("file:/airlock-{}?vfs=memdb", uuid::Uuid::new_v4());
        let mut conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ctx("opening an in-memory catalog")?;
        sqlite::configure(&conn)?;
        let settings = sqlite::upgrade(&mut conn, Path::new(MEMORY), &config)?;
        let queries = QueryRunner::open(uri, true, config.query_timeout)?;
        let mut db: Box<dyn Backend> = Box::new(SqliteDb { conn, file: false });
        let secrets = open_secrets(&mut *db, &config.secrets, KeyChoice::Ephemeral)?;
        Ok(Catalog {
            db,
            queries,
            secrets,
            location: Location::Memory,
            environment_id: settings.environment_id,
            prefix: settings.external_id_prefix,
            namespace: settings.namespace,
        })
    }

    /// Opens (creating or upgrading its schema if need be) the catalog in the
    /// PostgreSQL database at `url` (`postgres://user:password@host:port/dbname`, or
    /// `postgresql://`; `host` may be a Unix-socket directory, percent-encoded). Many
    /// nodes may open the same database at once: they share one catalog.
    ///
    /// Secret values are encrypted before they reach PostgreSQL, with the key from
    /// [`SecretBackend::EmbeddedWithKey`] or else `AIRLOCK_SECRET_KEY`; the key is never
    /// stored in the database. Without a key the catalog opens, and every statement
    /// that needs a secret value fails with [`CatalogError::MissingSecretKey`].
    pub fn open_postgres(url: &str, config: CatalogConfig) -> Result<Catalog> {
        check_principal(config.aws_principal.as_deref())?;
        check_namespace(config.namespace.as_ref())?;
        let opened = backend::postgres::open(url, &config)?;
        let mut db: Box<dyn Backend> = Box::new(opened.db);
        let secrets = open_secrets(&mut *db, &config.secrets, KeyChoice::Environment)?;
        Ok(Catalog {
            db,
            queries: opened.queries,
            secrets,
            location: Location::Postgres(opened.location),
            environment_id: opened.settings.environment_id,
            prefix: opened.settings.external_id_prefix,
            namespace: opened.settings.namespace,
        })
    }

    /// A watch whose number moves with every commit to this catalog, by any process or
    /// node (see [`ChangeWatch`]): for callers that cache what they read from it. Each
    /// call makes a new one (on PostgreSQL, with a listening connection of its own).
    pub fn change_watch(&self) -> crate::ChangeWatch {
        self.db.change_watch()
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The catalog's environment id, fixed at creation.
    pub fn environment_id(&self) -> uuid::Uuid {
        self.environment_id
    }

    /// The external-ID prefix, fixed at creation.
    pub fn external_id_prefix(&self) -> uuid::Uuid {
        self.prefix
    }

    /// The database and schema qualified names must name, fixed at creation.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The external ID connection `id` has (or will have, once inserted).
    pub fn external_id(&self, id: ConnectionId) -> String {
        airlock_core::aws::external_id(&self.prefix, id)
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE`), waiting for another process's
    /// write lock if need be.
    pub fn begin(&mut self) -> Result<Txn<'_>> {
        let tx = self.db.begin()?;
        Ok(Txn::new(tx, &self.secrets, self.prefix, &self.namespace))
    }

    /// Reserves the next id in a transaction of its own, committed before this returns:
    /// the id is burned whether or not an object ever holds it. Use it when the id's
    /// external ID must be known before the connection is created — e.g. `CREATE
    /// CONNECTION ... WITH (VALIDATE = true)`: reserve, validate without holding the
    /// write lock, then [`Txn::insert_connection`]. A customer may already trust an
    /// external ID that was shown in a failed validation; a burned id guarantees no
    /// other connection ever gets it.
    pub fn reserve_id(&mut self) -> Result<ObjectId> {
        let mut txn = self.begin()?;
        let id = txn.allocate_id()?;
        txn.commit()?;
        Ok(id)
    }

    /// Runs a user's read-only query over the system-catalog views (`mz_connections`,
    /// `mz_secrets`, `mz_aws_connections`, `mz_object_dependencies`,
    /// `mz_aws_connection_validations`), named without a schema.
    ///
    /// Anything but reading those views fails with [`CatalogError::QueryDenied`]
    /// (SQLSTATE 42501).
    pub fn query(&self, sql: &str) -> Result<QueryResult> {
        self.queries.query(sql, &[], None)
    }

    /// The runner of [`Catalog::query`], to run catalog queries without holding the
    /// catalog: it has connections of its own. A host that keeps a clone must drop it
    /// before the catalog, or the catalog's last connection to close is a read-only
    /// one and the WAL file stays beside the catalog.
    pub fn query_runner(&self) -> QueryRunner {
        self.queries.clone()
    }

    pub fn settings(&self) -> Result<Settings> {
        read::settings(self.db.sql())
    }

    /// The object called `name`, whatever its kind.
    pub fn object_by_name(&self, name: &str) -> Result<Option<ObjectRef>> {
        read::object_by_name(self.db.sql(), name)
    }

    pub fn object(&self, id: ObjectId) -> Result<Option<ObjectRef>> {
        read::object(self.db.sql(), id)
    }

    pub fn connection(&self, id: ConnectionId) -> Result<Option<ConnectionEntry>> {
        read::connection(self.db.sql(), id)
    }

    pub fn connection_by_name(&self, name: &str) -> Result<Option<ConnectionEntry>> {
        read::connection_by_name(self.db.sql(), name)
    }

    /// Every connection, by id.
    pub fn connections(&self) -> Result<Vec<ConnectionEntry>> {
        read::connections(self.db.sql())
    }

    pub fn secret(&self, id: SecretId) -> Result<Option<SecretEntry>> {
        read::secret(self.db.sql(), id)
    }

    pub fn secret_by_name(&self, name: &str) -> Result<Option<SecretEntry>> {
        read::secret_by_name(self.db.sql(), name)
    }

    /// Every secret's metadata, by id.
    pub fn secrets(&self) -> Result<Vec<SecretEntry>> {
        read::secrets(self.db.sql())
    }

    /// The connections that use secret `id`.
    pub fn dependents(&self, id: SecretId) -> Result<Vec<ObjectRef>> {
        read::expect_kind(self.db.sql(), id.into(), ObjectKind::Secret)?;
        read::dependents(self.db.sql(), id.into())
    }

    /// The secrets connection `id` uses.
    pub fn dependencies(&self, id: ConnectionId) -> Result<Vec<ObjectRef>> {
        read::expect_kind(self.db.sql(), id.into(), ObjectKind::Connection)?;
        read::dependencies(self.db.sql(), id.into())
    }

    /// The validation history of a connection, oldest first.
    pub fn validations(&self, id: ConnectionId) -> Result<Vec<ValidationEntry>> {
        read::validations(self.db.sql(), id)
    }

    /// The value of secret `id` as text: the only way to one. For the AWS credentials
    /// provider, never for display. A binary value is [`CatalogError::SecretNotUtf8`].
    pub fn read_secret(&self, id: SecretId) -> Result<SecretString> {
        read::expect_kind(self.db.sql(), id.into(), ObjectKind::Secret)?;
        match &self.secrets {
            Secrets::Embedded(store) => crate::txn::as_text(store.read(self.db.sql(), id)?),
            Secrets::External(store) => Ok(store.read(id)?),
        }
    }

    /// The value of secret `id` as the bytes it was created with.
    pub fn read_secret_bytes(&self, id: SecretId) -> Result<SecretBytes> {
        read::expect_kind(self.db.sql(), id.into(), ObjectKind::Secret)?;
        match &self.secrets {
            Secrets::Embedded(store) => store.read(self.db.sql(), id),
            Secrets::External(store) => Ok(SecretBytes::from(&store.read(id)?)),
        }
    }

    /// Deletes values in an external store that no secret in the catalog owns (left by
    /// a crash between a put and a commit, or by a failed delete), and returns their
    /// ids. Runs under the write lock, so a value another process has put but not yet
    /// committed is never taken for an orphan. [`Catalog::open`] does this too, ignoring
    /// errors; the embedded store cannot have orphans.
    pub fn cleanup_orphaned_secrets(&mut self) -> Result<Vec<SecretId>> {
        match &self.secrets {
            Secrets::External(store) => cleanup_orphans(&mut *self.db, store.as_ref()),
            Secrets::Embedded(_) => Ok(Vec::new()),
        }
    }
}

impl Catalog {
    /// Copies the catalog, as of one committed state, to a new file `dest` (mode 0600)
    /// with SQLite's online backup API: other connections and processes may go on
    /// reading and writing meanwhile. The copy is complete in `dest` itself, with no
    /// `-wal` file beside it. If this catalog has a key file (`<catalog>.key`), it is
    /// copied to `<dest>.key` (mode 0600), so that the copy opens with its secret
    /// values; a key given by the host or in `AIRLOCK_SECRET_KEY` is not written
    /// anywhere. Refuses to overwrite `dest` or its key file.
    pub fn backup(&self, dest: impl AsRef<Path>) -> Result<()> {
        let dest = dest.as_ref();
        let Some(source) = self.db.sqlite() else {
            return Err(CatalogError::Unsupported {
                what: "copying a PostgreSQL catalog to a file".to_owned(),
                hint: "Back the database up with PostgreSQL's own tools (pg_dump, a replica).",
            });
        };
        let key = match &self.location {
            Location::File(path) => match fs::read(key_file_for(path)) {
                Ok(bytes) => Some(zeroize::Zeroizing::new(bytes)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(CatalogError::io(
                        format!("read {}", key_file_for(path).display()),
                        e,
                    ));
                }
            },
            Location::Memory | Location::Postgres(_) => None,
        };
        let dest_key = key_file_for(dest);
        if key.is_some() && dest_key.exists() {
            return Err(CatalogError::io(
                format!("create {}", dest_key.display()),
                io::Error::from(io::ErrorKind::AlreadyExists),
            ));
        }
        private_create_new(dest)
            .map_err(|e| CatalogError::io(format!("create {}", dest.display()), e))?;
        let copied = (|| -> Result<()> {
            let mut out = Connection::open(dest).ctx("opening the backup file")?;
            {
                let backup =
                    rusqlite::backup::Backup::new(source, &mut out).ctx("starting the backup")?;
                // One step copies every page under one read transaction: one consistent
                // state, and writers (WAL mode) are never blocked.
                let deadline = std::time::Instant::now() + crate::BUSY_TIMEOUT;
                loop {
                    match backup.step(-1).ctx("copying the catalog")? {
                        rusqlite::backup::StepResult::Done => break,
                        _ if std::time::Instant::now() >= deadline => {
                            return Err(CatalogError::Busy);
                        }
                        _ => std::thread::sleep(Duration::from_millis(1)),
                    }
                }
            }
            // A self-contained file: rollback-journal mode, nothing left in a WAL.
            let _: String = out
                .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
                .ctx("finishing the backup")?;
            out.close()
                .map_err(|(_, e)| CatalogError::sqlite("closing the backup file", e))?;
            if let Some(key) = &key {
                use std::io::Write as _;
                let mut file = private_create_new(&dest_key)
                    .map_err(|e| CatalogError::io(format!("create {}", dest_key.display()), e))?;
                file.write_all(key)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| CatalogError::io(format!("write {}", dest_key.display()), e))?;
            }
            fs::File::open(dest)
                .and_then(|f| f.sync_all())
                .map_err(|e| CatalogError::io(format!("sync {}", dest.display()), e))?;
            sync_parent_dir(dest);
            Ok(())
        })();
        if copied.is_err() {
            let _ = fs::remove_file(dest);
        }
        copied
    }
}

/// How to show where a catalog is (`--catalog`'s value) to a user: a PostgreSQL URL
/// without its password, a path as it is.
pub fn display_location(location: &Path) -> String {
    match location.to_str() {
        Some(url) if backend::postgres::is_url(url) => backend::postgres::redact_url(url),
        _ => location.display().to_string(),
    }
}

/// A namespace's database and schema are names: 1 to 255 bytes, not `.` or `..`.
fn check_namespace(namespace: Option<&Namespace>) -> Result<()> {
    let Some(namespace) = namespace else {
        return Ok(());
    };
    for (what, name) in [
        ("database", &namespace.database),
        ("schema", &namespace.schema),
    ] {
        if name.is_empty() || name.len() > 255 || name == "." || name == ".." || name.contains('\0')
        {
            return Err(CatalogError::InvalidNamespace {
                reason: format!(
                    "the {what} name must be 1 to 255 bytes, not . or .., and hold no NUL"
                ),
            });
        }
    }
    Ok(())
}

fn check_principal(principal: Option<&str>) -> Result<()> {
    if let Some(p) = principal {
        IamArn::parse_principal(p).map_err(|e| CatalogError::InvalidPrincipal {
            value: p.to_owned(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// The schema version that introduced roles (`0007_roles.sql`).
pub(crate) const ROLES_VERSION: i64 = 7;

/// The part of creating or upgrading a catalog both backends share, run in the
/// backend's schema transaction after its migrations: the bootstrap role when the
/// schema has just gained roles, the settings row of a new catalog, and the check of a
/// given external-ID prefix. Returns the settings.
pub(crate) fn initialize(
    sql: &dyn Sql,
    gained_roles: bool,
    created: bool,
    config: &CatalogConfig,
) -> Result<Settings> {
    if gained_roles {
        let name = config
            .bootstrap_role
            .as_deref()
            .unwrap_or(DEFAULT_BOOTSTRAP_ROLE);
        let superuser = crate::RoleAttributes {
            superuser: Some(true),
            login: Some(true),
        };
        crate::roles::insert_role(sql, name, superuser, &crate::time::now())?;
    }
    if created {
        let prefix = config.external_id_prefix.unwrap_or_else(uuid::Uuid::new_v4);
        let namespace = config.namespace.clone().unwrap_or_default();
        sql.execute(
            "INSERT INTO settings (singleton, environment_id, external_id_prefix, aws_principal,
                                   database_name, schema_name)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            args![
                uuid::Uuid::new_v4().hyphenated().to_string(),
                prefix.hyphenated().to_string(),
                config.aws_principal.as_deref(),
                namespace.database,
                namespace.schema,
            ],
        )
        .ctx("creating the catalog settings")?;
    }
    let settings = read::settings(sql)?;
    if let Some(given) = config.external_id_prefix
        && given != settings.external_id_prefix
    {
        return Err(CatalogError::PrefixMismatch {
            existing: settings.external_id_prefix,
            given,
        });
    }
    Ok(settings)
}

fn open_secrets(db: &mut dyn Backend, backend: &SecretBackend, auto: KeyChoice) -> Result<Secrets> {
    Ok(match backend {
        SecretBackend::Embedded => Secrets::Embedded(EmbeddedStore::open(db, auto)?),
        SecretBackend::EmbeddedWithKey(key) => {
            Secrets::Embedded(EmbeddedStore::open(db, KeyChoice::Given(key.clone()))?)
        }
        SecretBackend::External(store) => {
            // Best effort: a store that is down now must not keep the catalog closed.
            let _ = cleanup_orphans(db, store.as_ref());
            Secrets::External(Arc::clone(store))
        }
    })
}

fn cleanup_orphans(db: &mut dyn Backend, store: &dyn SecretStore) -> Result<Vec<SecretId>> {
    let tx = db.begin()?;
    let known: std::collections::BTreeSet<SecretId> =
        read::secrets(tx.sql())?.into_iter().map(|s| s.id).collect();
    let mut removed = Vec::new();
    for id in store.list()? {
        if !known.contains(&id) {
            store.delete(id)?;
            removed.push(id);
        }
    }
    tx.commit().ctx("cleaning up orphaned secrets")?;
    Ok(removed)
}

//! Airlock's catalog store: where connections and secrets live.
//!
//! One SQLite file (WAL mode, shared safely by several processes), its schema created
//! and upgraded by the numbered, frozen SQL files of `migrations/` (embedded at build
//! time), the read-only system-catalog views users `SELECT` from, and the secret store:
//! by default values encrypted with XChaCha20-Poly1305 into the same file, or any
//! [`SecretStore`] the host provides.
//!
//! ```
//! use airlock_catalog::{Catalog, CatalogConfig};
//! use airlock_core::SecretString;
//!
//! let mut catalog = Catalog::open_in_memory(CatalogConfig::default())?;
//! let mut txn = catalog.begin()?;
//! let secret = txn.create_secret("key", &SecretString::new("wJalrXUtnFEMI"))?;
//! txn.commit()?;
//! assert_eq!(secret.id.to_string(), "u1");
//! let rows = catalog.query("SELECT id, name FROM mz_secrets")?;
//! assert_eq!(rows.rows, vec![vec![Some("u1".to_owned()), Some("key".to_owned())]]);
//! # Ok::<(), airlock_catalog::CatalogError>(())
//! ```
//!
//! See `docs/catalog.md` for the schema, ids, secret storage, key handling and
//! concurrency.

mod backend;
mod busy;
mod catalog;
mod changes;
mod error;
mod migrate;
mod model;
mod query;
mod read;
mod relations;
mod roles;
mod secrets;
mod time;
mod txn;

pub use backend::postgres::QUERY_ROLE_ENV;
pub use busy::BUSY_TIMEOUT;
pub use catalog::{
    Catalog, CatalogConfig, DEFAULT_BOOTSTRAP_ROLE, Location, MEMORY, display_location,
};
pub use changes::ChangeWatch;
pub use error::{CatalogError, Result};
pub use migrate::{
    APPLICATION_ID, MIGRATIONS, Migration, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION,
    SCHEMA_VERSION,
};
pub use model::{
    ConnectionEntry, CredentialsEvent, CredentialsHealth, DropBehavior, Dropped, Namespace,
    NewConnection, OID_BASE, ObjectKind, ObjectRef, SecretEntry, Settings, Validation,
    ValidationEntry, ValidationStatus,
};
pub use query::{QueryColumn, QueryResult, QueryRunner, SYSTEM_VIEWS, VERSION, float8_text};
pub use relations::{RELATIONS, Relation, relation};
pub use roles::{
    AclItem, AclTarget, CREATE, CREATEROLE, RoleAttributes, RoleEntry, RoleId, RoleReader, USAGE,
    USER_ROLE_OID_BASE,
};
pub use secrets::{
    MemorySecretStore, SECRET_KEY_ENV, SECRET_KEY_FILE_ENV, SecretBackend, SecretBytes, SecretKey,
    SecretStore, SecretStoreError,
};
pub use txn::Txn;

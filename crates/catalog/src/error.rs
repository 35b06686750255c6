//! The catalog's one error type and its SQLSTATEs.
//!
//! No variant carries a secret value: secret values only ever travel as
//! [`airlock_core::SecretString`], which no message formats.

use std::path::PathBuf;

use airlock_core::{ObjectId, SqlError, SqlState};

use crate::model::{ObjectKind, ObjectRef};
use crate::secrets::SecretStoreError;

/// Everything that can go wrong in the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A name is taken, by an object of `kind` (secrets and connections share one
    /// namespace, so the DETAIL names the kind of the object that holds it). The message
    /// is Materialize's.
    #[error("catalog item '{name}' already exists")]
    AlreadyExists { kind: ObjectKind, name: String },

    /// No object of `kind` has this name (Materialize's message).
    #[error("unknown catalog item '{name}'")]
    UnknownName { kind: ObjectKind, name: String },

    /// No object of `kind` has this id.
    #[error("unknown {kind} {id}")]
    UnknownId { kind: ObjectKind, id: ObjectId },

    /// The object exists but is of another kind (Materialize's `x is a connection not a
    /// secret`).
    #[error("{name} is a {found} not a {expected}")]
    WrongKind {
        name: String,
        expected: ObjectKind,
        found: ObjectKind,
    },

    /// `DROP ... RESTRICT` (the default) of an object that others still use.
    #[error(
        "cannot drop {} \"{}\": still depended upon by {}",
        object.kind, object.name, first_dependent(dependents)
    )]
    DependentObjectsStillExist {
        object: ObjectRef,
        /// Never empty.
        dependents: Vec<ObjectRef>,
    },

    /// The id was never handed out by [`crate::Txn::allocate_id`], or already holds an
    /// object: a caller bug, refused so that ids stay unique.
    #[error("object id {id} {reason}")]
    InvalidId { id: ObjectId, reason: &'static str },

    /// The file was written by a newer Airlock; it was not modified.
    #[error(
        "catalog {} was written by a newer version of Airlock (schema version {found}, this version knows up to {supported})",
        path.display()
    )]
    NewerVersion {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// The file is not an Airlock catalog; it was not modified.
    #[error("{} is not an Airlock catalog", path.display())]
    NotACatalog { path: PathBuf, reason: String },

    /// A different external-ID prefix was given for an existing catalog.
    #[error("cannot change the external-ID prefix of an existing catalog")]
    PrefixMismatch {
        existing: uuid::Uuid,
        given: uuid::Uuid,
    },

    /// `aws_principal` is not an IAM role or user ARN.
    #[error("invalid aws_principal {value:?}: {reason}")]
    InvalidPrincipal { value: String, reason: String },

    /// The namespace given for a new catalog is not a pair of names.
    #[error("invalid catalog namespace: {reason}")]
    InvalidNamespace { reason: String },

    /// The secret key (from `AIRLOCK_SECRET_KEY` or the key file) is malformed.
    #[error("invalid secret key from {source_name}: expected 64 hexadecimal digits (32 bytes)")]
    InvalidSecretKey { source_name: String },

    /// The catalog holds encrypted secrets but no key was found.
    #[error("the secret key of this catalog is missing")]
    MissingSecretKey { key_file: Option<PathBuf> },

    /// The key does not decrypt this catalog's secrets.
    #[error("the secret key does not match this catalog")]
    WrongSecretKey { key_source: String },

    /// A binary secret value where text is needed: as AWS credentials, or in an external
    /// secret store (whose trait holds text).
    #[error("secret value must be valid UTF-8")]
    SecretNotUtf8,

    /// A stored ciphertext failed authentication although the key is right.
    #[error("the stored value of secret {id} is corrupted")]
    CorruptedSecret { id: ObjectId },

    /// The pluggable secret store failed.
    #[error(transparent)]
    SecretStore(#[from] SecretStoreError),

    /// A user query tried something catalog queries may not do.
    #[error("permission denied for {what}")]
    QueryDenied { what: String },

    /// A user query failed in SQLite (unknown column, bad syntax, …).
    #[error("{message}")]
    QueryFailed { code: SqlState, message: String },

    /// A user query ran past its time limit.
    #[error("canceling catalog query due to statement timeout")]
    QueryTimeout,

    /// A user query was cancelled by its session (a cancel request, Ctrl-C).
    #[error("canceling statement due to user request")]
    QueryCanceled,

    /// Another process held the catalog's write lock for longer than the busy timeout.
    #[error("the catalog is locked by another process")]
    Busy,

    /// Stored data breaks an invariant the schema cannot express.
    #[error("catalog data is corrupted: {0}")]
    Corrupted(String),

    /// A file-system operation failed.
    #[error("could not {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// What this backend cannot do.
    #[error("{what} is not supported")]
    Unsupported { what: String, hint: &'static str },

    /// The PostgreSQL catalog's URL does not parse.
    #[error("invalid catalog URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// The PostgreSQL catalog's server could not be reached (or refused us).
    #[error(
        "could not connect to the catalog database {location}: {}",
        postgres_message(source)
    )]
    Unreachable {
        location: String,
        #[source]
        source: postgres::Error,
    },

    /// The connection to a PostgreSQL catalog broke (or could not be made) while the
    /// catalog was doing `context`; nothing of the statement was kept.
    #[error("lost the connection to the catalog database while {context}")]
    ConnectionLost {
        context: &'static str,
        #[source]
        source: postgres::Error,
    },

    /// PostgreSQL failed. `context` says what the catalog was doing.
    #[error("catalog error while {context}: {}", postgres_message(source))]
    Postgres {
        context: &'static str,
        #[source]
        source: postgres::Error,
    },

    /// SQLite failed. `context` says what the catalog was doing.
    #[error("catalog error while {context}: {source}")]
    Sqlite {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
}

/// `connection "c"`, for the message; the DETAIL lists them all.
fn first_dependent(dependents: &[ObjectRef]) -> String {
    dependents.first().map_or_else(
        || "other objects".to_owned(),
        |d| format!("{} \"{}\"", d.kind, d.name),
    )
}

/// The server's message of a PostgreSQL error (the client's own text otherwise).
fn postgres_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

/// Shorthand for the catalog's results.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

impl CatalogError {
    /// Wraps a SQLite error, recognising the ones that have a better variant.
    pub(crate) fn sqlite(context: &'static str, source: rusqlite::Error) -> CatalogError {
        match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                CatalogError::Busy
            }
            _ => CatalogError::Sqlite { context, source },
        }
    }

    /// Wraps a PostgreSQL client error, recognising a broken connection and a lock
    /// wait that timed out.
    pub(crate) fn postgres(context: &'static str, source: postgres::Error) -> CatalogError {
        use postgres::error::SqlState as Pg;
        match source.code() {
            Some(code) if *code == Pg::LOCK_NOT_AVAILABLE => CatalogError::Busy,
            _ if crate::backend::postgres::is_connection_error(&source) => {
                CatalogError::ConnectionLost { context, source }
            }
            _ => CatalogError::Postgres { context, source },
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> CatalogError {
        CatalogError::Io {
            context: context.into(),
            source,
        }
    }
}

/// `.ctx("doing x")` on rusqlite results.
pub(crate) trait SqliteContext<T> {
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> SqliteContext<T> for std::result::Result<T, rusqlite::Error> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|e| CatalogError::sqlite(context, e))
    }
}

impl SqlError for CatalogError {
    fn code(&self) -> SqlState {
        use CatalogError::*;
        match self {
            AlreadyExists { .. } => SqlState::DuplicateObject,
            UnknownName { .. } | UnknownId { .. } => SqlState::UndefinedObject,
            WrongKind { .. } => SqlState::WrongObjectType,
            DependentObjectsStillExist { .. } => SqlState::DependentObjectsStillExist,
            InvalidId { .. } => SqlState::InternalError,
            NewerVersion { .. } | PrefixMismatch { .. } => SqlState::ObjectNotInPrerequisiteState,
            NotACatalog { .. } => SqlState::IoError,
            InvalidPrincipal { .. } | InvalidSecretKey { .. } | InvalidNamespace { .. } => {
                SqlState::InvalidParameterValue
            }
            MissingSecretKey { .. } => SqlState::IoError,
            WrongSecretKey { .. } => SqlState::InvalidAuthorizationSpecification,
            CorruptedSecret { .. } | Corrupted(_) => SqlState::DataCorrupted,
            SecretNotUtf8 => SqlState::CharacterNotInRepertoire,
            SecretStore(_) => SqlState::SystemError,
            QueryDenied { .. } => SqlState::InsufficientPrivilege,
            QueryFailed { code, .. } => *code,
            QueryTimeout | QueryCanceled => SqlState::QueryCanceled,
            Busy => SqlState::LockNotAvailable,
            Io { .. } => SqlState::IoError,
            Unsupported { .. } => SqlState::FeatureNotSupported,
            InvalidUrl { .. } => SqlState::InvalidParameterValue,
            Unreachable { source, .. } => match source.code() {
                Some(code) => {
                    SqlState::from_code(code.code()).unwrap_or(SqlState::ConnectionFailure)
                }
                None => SqlState::ConnectionFailure,
            },
            ConnectionLost { source, .. } => match source.code().map(|c| c.code()) {
                Some("57P01") => SqlState::AdminShutdown,
                _ => SqlState::ConnectionFailure,
            },
            Postgres { source, .. } => source
                .code()
                .and_then(|c| SqlState::from_code(c.code()))
                .unwrap_or(SqlState::InternalError),
            Sqlite { source, .. } => match source.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                    SqlState::DataCorrupted
                }
                Some(
                    rusqlite::ErrorCode::SystemIoFailure
                    | rusqlite::ErrorCode::DiskFull
                    | rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::PermissionDenied
                    | rusqlite::ErrorCode::ReadOnly,
                ) => SqlState::IoError,
                _ => SqlState::InternalError,
            },
        }
    }

    fn detail(&self) -> Option<String> {
        use CatalogError::*;
        match self {
            AlreadyExists { kind, name } => Some(format!(
                "Secrets and connections share one namespace: {kind} \"{name}\" holds the name."
            )),
            DependentObjectsStillExist { object, dependents } => Some(
                dependents
                    .iter()
                    .map(|d| {
                        format!(
                            "{} \"{}\" depends on {} \"{}\"",
                            d.kind, d.name, object.kind, object.name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            NotACatalog { reason, .. } => Some(reason.clone()),
            PrefixMismatch { existing, given } => Some(format!(
                "The catalog's external-ID prefix is {existing}; {given} was given."
            )),
            MissingSecretKey {
                key_file: Some(path),
            } => Some(format!(
                "The catalog holds encrypted secrets, AIRLOCK_SECRET_KEY is not set and the key file {} does not exist.",
                path.display()
            )),
            MissingSecretKey { key_file: None } => Some(
                "The catalog holds encrypted secrets and AIRLOCK_SECRET_KEY is not set.".to_owned(),
            ),
            ConnectionLost { source, .. } => Some(postgres_message(source)),
            WrongSecretKey { key_source } => Some(format!(
                "The key from {key_source} cannot decrypt the secrets of this catalog."
            )),
            _ => None,
        }
    }

    fn hint(&self) -> Option<String> {
        use CatalogError::*;
        match self {
            DependentObjectsStillExist { .. } => {
                Some("Use DROP ... CASCADE to drop the dependent objects too.".to_owned())
            }
            NewerVersion { .. } => {
                Some("Use a version of Airlock at least as new as the one that wrote it.".to_owned())
            }
            NotACatalog { .. } => {
                Some("Choose another path, or move the file out of the way.".to_owned())
            }
            PrefixMismatch { .. } => Some(
                "The external-ID prefix can only be chosen when a catalog is created; omit it."
                    .to_owned(),
            ),
            InvalidPrincipal { .. } => Some(
                "Use an IAM role or user ARN, e.g. arn:aws:iam::123456789012:role/Airlock."
                    .to_owned(),
            ),
            InvalidSecretKey { .. } | MissingSecretKey { .. } | WrongSecretKey { .. } => Some(
                "Set AIRLOCK_SECRET_KEY to the 64 hexadecimal digits of the catalog's key, or restore the key file beside the catalog."
                    .to_owned(),
            ),
            QueryDenied { .. } => Some(
                "Catalog queries are read-only and may only read the mz_catalog and mz_internal relations."
                    .to_owned(),
            ),
            Busy => Some("Retry the statement.".to_owned()),
            Unsupported { hint, .. } => Some((*hint).to_owned()),
            ConnectionLost { .. } => Some(
                "The statement was not carried out. The next statement connects again.".to_owned(),
            ),
            AlreadyExists { .. } => Some(
                "Choose another name, or add IF NOT EXISTS to keep the existing object.".to_owned(),
            ),
            UnknownName { kind, .. } => Some(format!(
                "SHOW {} lists the {kind}s.",
                match kind {
                    ObjectKind::Secret => "SECRETS",
                    ObjectKind::Connection => "CONNECTIONS",
                }
            )),
            WrongKind { found, name, .. } => Some(format!(
                "\"{name}\" is a {found}: use the statement's {} form.",
                found.as_str().to_uppercase()
            )),
            SecretNotUtf8 => Some(
                "Secrets used as text (AWS credentials, a host's secret store) must hold UTF-8: store text, e.g. ALTER SECRET s AS 'value'."
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

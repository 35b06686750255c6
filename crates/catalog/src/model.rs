//! The records the catalog hands out.

use std::fmt;

use airlock_core::aws::AwsConnection;
use airlock_core::{ConnectionId, ObjectId, SecretId};

/// The oid of object `un` is `OID_BASE + n`: deterministic, so the same catalog always
/// shows the same oids, and above PostgreSQL's range for built-in objects.
pub const OID_BASE: u64 = 20_000;

/// What an object is. Secrets and connections share one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Connection,
    Secret,
}

impl ObjectKind {
    /// The word used in messages and in the `objects.kind` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Connection => "connection",
            ObjectKind::Secret => "secret",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<ObjectKind> {
        match s {
            "connection" => Some(ObjectKind::Connection),
            "secret" => Some(ObjectKind::Secret),
            _ => None,
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An object by id, kind and name: what name lookups and drops return.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    pub id: ObjectId,
    pub kind: ObjectKind,
    pub name: String,
}

/// The database and schema that Airlock's one namespace answers to: qualified names
/// (`materialize.public.s`) must name them. Materialize's defaults unless chosen when
/// the catalog is created.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace {
    pub database: String,
    pub schema: String,
}

impl Default for Namespace {
    fn default() -> Self {
        Namespace {
            database: "materialize".to_owned(),
            schema: "public".to_owned(),
        }
    }
}

/// The catalog's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Fixed when the catalog is created.
    pub environment_id: uuid::Uuid,
    /// The `<prefix>` of every external ID `mz_<prefix>_<id>`; fixed when the catalog is
    /// created.
    pub external_id_prefix: uuid::Uuid,
    /// The IAM identity Airlock acts as, if configured.
    pub aws_principal: Option<String>,
    /// `aws_allowed_endpoints`: the catalog's list of endpoint prefixes (beyond AWS STS)
    /// that may receive credentials, comma-separated and normalized; `None` when unset.
    pub aws_allowed_endpoints: Option<String>,
    /// `aws_allow_default_credentials`: whether connections may `USE DEFAULT
    /// CREDENTIALS` (act as Airlock's own identity). Off unless an operator turns it on.
    pub aws_allow_default_credentials: bool,
    /// Fixed when the catalog is created.
    pub namespace: Namespace,
}

/// A connection to create, as the engine planned it.
#[derive(Debug, Clone, Copy)]
pub struct NewConnection<'a> {
    pub name: &'a str,
    pub aws: &'a AwsConnection,
    /// The statement text that recreates the connection. It may hold inline option
    /// values (access key ids, session tokens) but never a secret value: connections
    /// name secrets with `SECRET name`.
    pub create_sql: &'a str,
    /// `create_sql` with every literal option value replaced by `'<REDACTED>'`.
    pub redacted_create_sql: &'a str,
}

/// A connection as stored (`mz_connections` joined with `mz_aws_connections`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEntry {
    pub id: ConnectionId,
    /// [`OID_BASE`] + the numeric id.
    pub oid: u64,
    pub name: String,
    pub aws: AwsConnection,
    pub create_sql: String,
    pub redacted_create_sql: String,
    /// `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, like PostgreSQL prints a `timestamptz` in UTC.
    pub created_at: String,
    /// Assume-role connections only, and only when `aws_principal` is set.
    pub principal: Option<String>,
    /// Assume-role connections only; always set for them.
    pub external_id: Option<String>,
    /// Assume-role connections only, and only when `aws_principal` is set.
    pub example_trust_policy: Option<String>,
    /// `COMMENT ON CONNECTION`.
    pub comment: Option<String>,
}

/// A secret's metadata (`mz_secrets`). The value is only available through
/// [`crate::Catalog::read_secret`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry {
    pub id: SecretId,
    pub oid: u64,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    /// `COMMENT ON SECRET`.
    pub comment: Option<String>,
}

/// `DROP ... RESTRICT` (the default) or `DROP ... CASCADE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DropBehavior {
    #[default]
    Restrict,
    Cascade,
}

/// What a drop removed, in the order it removed it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dropped {
    /// Connections dropped, named or by cascade.
    pub connections: Vec<ObjectRef>,
    pub secrets: Vec<ObjectRef>,
}

/// The outcome of one `VALIDATE` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidationStatus {
    Ok,
    Failed,
    /// A probe failed for a reason that says nothing about the trust policy (network,
    /// throttling, 5xx).
    Inconclusive,
}

impl ValidationStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            ValidationStatus::Ok => "ok",
            ValidationStatus::Failed => "failed",
            ValidationStatus::Inconclusive => "inconclusive",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<ValidationStatus> {
        match s {
            "ok" => Some(ValidationStatus::Ok),
            "failed" => Some(ValidationStatus::Failed),
            "inconclusive" => Some(ValidationStatus::Inconclusive),
            _ => None,
        }
    }
}

/// One row of `mz_aws_connection_validations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub connection_id: ConnectionId,
    pub status: ValidationStatus,
    /// The ARN `GetCallerIdentity` reported, when a probe got that far.
    pub caller_arn: Option<String>,
    /// The AWS error code, e.g. `AccessDenied`.
    pub error_code: Option<String>,
    pub message: Option<String>,
    /// The endpoint the checks went to when it is not AWS STS (a listed endpoint); `None`
    /// when they went to AWS.
    pub non_aws_endpoint: Option<String>,
}

/// What a credentials handle learned when it asked AWS for a connection's session: a
/// row of `mz_internal.mz_aws_connection_credentials`. Times are the handle's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsHealth {
    pub connection_id: ConnectionId,
    pub event: CredentialsEvent,
}

/// The outcome of one attempt to obtain a connection's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsEvent {
    /// A session was obtained at `at`, lasting until `expires_at`.
    Assumed {
        at: std::time::SystemTime,
        expires_at: Option<std::time::SystemTime>,
        /// The `DurationSeconds` asked for (`None`: AWS's default).
        session_duration: Option<u32>,
        /// Whether the principal hop was a role session (role chaining).
        chained: bool,
    },
    /// Obtaining a session failed at `at`; `error` is already scrubbed of secrets.
    Failed {
        at: std::time::SystemTime,
        error: String,
    },
}

/// A recorded validation run, with its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationEntry {
    pub validated_at: String,
    pub validation: Validation,
}

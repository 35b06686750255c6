//! Reads shared by [`crate::Catalog`] (outside a transaction) and [`crate::Txn`]
//! (inside one): each takes the backend's [`Sql`] to read through.

use crate::backend::{DbContext, Row, Sql, args};
use crate::error::{CatalogError, Result};
use crate::model::{
    ConnectionEntry, Namespace, ObjectKind, ObjectRef, SecretEntry, Settings, Validation,
    ValidationEntry, ValidationStatus,
};
use airlock_core::aws::{
    AwsAssumeRole, AwsAuth, AwsConnection, AwsCredentials, AwsSts, S3Scope, StringOrSecret,
};
use airlock_core::{ConnectionId, ObjectId, SecretId};

/// An object id as the databases' signed integer.
pub(crate) fn sql_id(id: impl Into<ObjectId>) -> Result<i64> {
    let id: ObjectId = id.into();
    i64::try_from(id.0).map_err(|_| CatalogError::InvalidId {
        id,
        reason: "is out of range",
    })
}

/// An id read back from the database; the schema's CHECK keeps ids positive.
pub(crate) fn object_id(raw: i64) -> Result<ObjectId> {
    u64::try_from(raw)
        .map(ObjectId)
        .map_err(|_| corrupted(format!("object id {raw} is negative")))
}

fn opt_secret_id(raw: Option<i64>) -> Result<Option<SecretId>> {
    raw.map(|r| object_id(r).map(SecretId::from)).transpose()
}

fn corrupted(what: String) -> CatalogError {
    CatalogError::Corrupted(what)
}

pub(crate) fn settings(conn: &dyn Sql) -> Result<Settings> {
    let row = conn
        .query_opt(
            "SELECT environment_id, external_id_prefix, aws_principal, aws_allowed_endpoints,
                    database_name, schema_name, aws_allow_default_credentials
             FROM settings WHERE singleton = 1",
            &[],
        )
        .ctx("reading the catalog settings")?
        .ok_or_else(|| corrupted("the settings row is missing".to_owned()))?;
    let (env, prefix, principal, allowed, database, schema) = (
        row.text(0)?,
        row.text(1)?,
        row.opt_text(2)?,
        row.opt_text(3)?,
        row.text(4)?,
        row.text(5)?,
    );
    let allow_default_credentials = row.int(6)? != 0;
    let uuid = |what: &str, text: &str| {
        uuid::Uuid::parse_str(text).map_err(|_| corrupted(format!("{what} {text:?} is not a UUID")))
    };
    Ok(Settings {
        environment_id: uuid("environment id", &env)?,
        external_id_prefix: uuid("external-ID prefix", &prefix)?,
        aws_principal: principal,
        aws_allowed_endpoints: allowed,
        aws_allow_default_credentials: allow_default_credentials,
        namespace: Namespace { database, schema },
    })
}

pub(crate) fn object_ref(row: &Row) -> Result<ObjectRef> {
    to_ref((object_id(row.int(0)?)?, row.text(1)?, row.text(2)?))
}

fn to_ref((id, kind, name): (ObjectId, String, String)) -> Result<ObjectRef> {
    let kind = ObjectKind::parse(&kind)
        .ok_or_else(|| corrupted(format!("object {id} has unknown kind {kind:?}")))?;
    Ok(ObjectRef { id, kind, name })
}

/// The object called `name`, of whatever kind.
pub(crate) fn object_by_name(conn: &dyn Sql, name: &str) -> Result<Option<ObjectRef>> {
    conn.query_opt(
        "SELECT id, kind, name FROM objects WHERE name = ?1",
        args![name],
    )
    .ctx("looking up an object")?
    .as_ref()
    .map(object_ref)
    .transpose()
}

pub(crate) fn object(conn: &dyn Sql, id: ObjectId) -> Result<Option<ObjectRef>> {
    let raw = sql_id(id)?;
    conn.query_opt(
        "SELECT id, kind, name FROM objects WHERE id = ?1",
        args![raw],
    )
    .ctx("looking up an object")?
    .as_ref()
    .map(object_ref)
    .transpose()
}

/// The object with this id, which must be of `kind`.
pub(crate) fn expect_kind(conn: &dyn Sql, id: ObjectId, kind: ObjectKind) -> Result<ObjectRef> {
    match object(conn, id)? {
        None => Err(CatalogError::UnknownId { kind, id }),
        Some(o) if o.kind != kind => Err(CatalogError::WrongKind {
            name: o.name,
            expected: kind,
            found: o.kind,
        }),
        Some(o) => Ok(o),
    }
}

/// Connections that depend on `id`, by id.
pub(crate) fn dependents(conn: &dyn Sql, id: ObjectId) -> Result<Vec<ObjectRef>> {
    dependency_edges(
        conn,
        id,
        "SELECT o.id, o.kind, o.name FROM object_dependencies AS d
         JOIN objects AS o ON o.id = d.object_id
         WHERE d.referenced_object_id = ?1 ORDER BY o.id",
    )
}

/// The objects `id` depends on, by id.
pub(crate) fn dependencies(conn: &dyn Sql, id: ObjectId) -> Result<Vec<ObjectRef>> {
    dependency_edges(
        conn,
        id,
        "SELECT o.id, o.kind, o.name FROM object_dependencies AS d
         JOIN objects AS o ON o.id = d.referenced_object_id
         WHERE d.object_id = ?1 ORDER BY o.id",
    )
}

/// The objects at the other end of `id`'s dependency rows, as `sql` joins them.
fn dependency_edges(conn: &dyn Sql, id: ObjectId, sql: &str) -> Result<Vec<ObjectRef>> {
    let raw = sql_id(id)?;
    conn.query(sql, args![raw])
        .ctx("listing dependencies")?
        .iter()
        .map(object_ref)
        .collect()
}

const CONNECTION_COLUMNS: &str = "
    SELECT o.id, o.oid, o.name, o.created_at, c.create_sql, c.redacted_create_sql,
           a.id, a.endpoint, a.region, a.access_key_id, a.access_key_id_secret_id,
           a.secret_access_key_secret_id, a.session_token, a.session_token_secret_id,
           a.assume_role_arn, a.assume_role_session_name, a.principal, a.external_id,
           a.example_trust_policy, o.comment, a.assume_role_session_duration,
           a.sts_endpoint, a.sts_region,
           (SELECT s.scope FROM aws_connection_scopes AS s WHERE s.id = o.id),
           a.use_default_credentials
    FROM objects AS o
    JOIN connections AS c ON c.id = o.id
    LEFT JOIN aws_connections AS a ON a.id = o.id";

/// A connection row before its AWS columns are checked.
struct RawConnection {
    id: ObjectId,
    oid: i64,
    name: String,
    created_at: String,
    create_sql: String,
    redacted_create_sql: String,
    has_aws_row: bool,
    endpoint: Option<String>,
    region: Option<String>,
    access_key_id: Option<String>,
    access_key_id_secret_id: Option<SecretId>,
    secret_access_key_secret_id: Option<SecretId>,
    session_token: Option<String>,
    session_token_secret_id: Option<SecretId>,
    assume_role_arn: Option<String>,
    assume_role_session_name: Option<String>,
    principal: Option<String>,
    external_id: Option<String>,
    example_trust_policy: Option<String>,
    comment: Option<String>,
    assume_role_session_duration: Option<u32>,
    sts_endpoint: Option<String>,
    sts_region: Option<String>,
    scope: Option<String>,
    /// `USE DEFAULT CREDENTIALS` (stored 0 or 1).
    use_default_credentials: bool,
}

fn raw_connection(r: &Row) -> Result<RawConnection> {
    Ok(RawConnection {
        id: object_id(r.int(0)?)?,
        oid: r.int(1)?,
        name: r.text(2)?,
        created_at: r.text(3)?,
        create_sql: r.text(4)?,
        redacted_create_sql: r.text(5)?,
        has_aws_row: r.opt_int(6)?.is_some(),
        endpoint: r.opt_text(7)?,
        region: r.opt_text(8)?,
        access_key_id: r.opt_text(9)?,
        access_key_id_secret_id: opt_secret_id(r.opt_int(10)?)?,
        secret_access_key_secret_id: opt_secret_id(r.opt_int(11)?)?,
        session_token: r.opt_text(12)?,
        session_token_secret_id: opt_secret_id(r.opt_int(13)?)?,
        assume_role_arn: r.opt_text(14)?,
        assume_role_session_name: r.opt_text(15)?,
        principal: r.opt_text(16)?,
        external_id: r.opt_text(17)?,
        example_trust_policy: r.opt_text(18)?,
        comment: r.opt_text(19)?,
        assume_role_session_duration: r.opt_u32(20)?,
        sts_endpoint: r.opt_text(21)?,
        sts_region: r.opt_text(22)?,
        scope: r.opt_text(23)?,
        use_default_credentials: r.opt_int(24)?.is_some_and(|v| v != 0),
    })
}

/// Rebuilds the model from Materialize's columns; the schema's CHECKs make the shapes
/// exclusive, so anything else means the file was edited by hand.
fn to_entry(raw: RawConnection) -> Result<ConnectionEntry> {
    let id = ConnectionId::from(raw.id);
    let bad = |what: &str| corrupted(format!("connection {id} {what}"));
    if !raw.has_aws_row {
        return Err(bad("has no AWS options row"));
    }
    let auth = match raw.assume_role_arn {
        // The schema's CHECK leaves such a row no role, keys or external ID.
        None if raw.use_default_credentials => AwsAuth::DefaultChain,
        Some(arn) => AwsAuth::AssumeRole(AwsAssumeRole {
            arn,
            session_name: raw.assume_role_session_name,
            session_duration: raw.assume_role_session_duration,
        }),
        None => {
            let access_key_id = match (raw.access_key_id, raw.access_key_id_secret_id) {
                (Some(v), None) => StringOrSecret::Inline(v),
                (None, Some(s)) => StringOrSecret::Secret(s),
                _ => return Err(bad("has no single ACCESS KEY ID")),
            };
            let session_token = match (raw.session_token, raw.session_token_secret_id) {
                (Some(v), None) => Some(StringOrSecret::Inline(v)),
                (None, Some(s)) => Some(StringOrSecret::Secret(s)),
                (None, None) => None,
                (Some(_), Some(_)) => return Err(bad("has two SESSION TOKENs")),
            };
            AwsAuth::Credentials(AwsCredentials {
                access_key_id,
                secret_access_key: raw
                    .secret_access_key_secret_id
                    .ok_or_else(|| bad("has no SECRET ACCESS KEY"))?,
                session_token,
            })
        }
    };
    let scope = raw
        .scope
        .map(|s| S3Scope::parse(&s).map_err(|_| bad("has an invalid SCOPE")))
        .transpose()?;
    Ok(ConnectionEntry {
        id,
        oid: u64::try_from(raw.oid).map_err(|_| bad("has a negative oid"))?,
        name: raw.name,
        aws: AwsConnection {
            endpoint: raw.endpoint,
            region: raw.region,
            auth,
            sts: AwsSts {
                endpoint: raw.sts_endpoint,
                region: raw.sts_region,
            },
            scope,
        },
        create_sql: raw.create_sql,
        redacted_create_sql: raw.redacted_create_sql,
        created_at: raw.created_at,
        principal: raw.principal,
        external_id: raw.external_id,
        example_trust_policy: raw.example_trust_policy,
        comment: raw.comment,
    })
}

pub(crate) fn connection(conn: &dyn Sql, id: ConnectionId) -> Result<Option<ConnectionEntry>> {
    let raw = sql_id(id)?;
    conn.query_opt(&format!("{CONNECTION_COLUMNS} WHERE o.id = ?1"), args![raw])
        .ctx("reading a connection")?
        .map(|r| raw_connection(&r).and_then(to_entry))
        .transpose()
}

pub(crate) fn connection_by_name(conn: &dyn Sql, name: &str) -> Result<Option<ConnectionEntry>> {
    conn.query_opt(
        &format!("{CONNECTION_COLUMNS} WHERE o.name = ?1"),
        args![name],
    )
    .ctx("reading a connection")?
    .map(|r| raw_connection(&r).and_then(to_entry))
    .transpose()
}

/// Every connection, by id.
pub(crate) fn connections(conn: &dyn Sql) -> Result<Vec<ConnectionEntry>> {
    conn.query(&format!("{CONNECTION_COLUMNS} ORDER BY o.id"), &[])
        .ctx("listing connections")?
        .iter()
        .map(|r| raw_connection(r).and_then(to_entry))
        .collect()
}

const SECRET_COLUMNS: &str = "
    SELECT o.id, o.oid, o.name, o.created_at, s.updated_at, o.comment
    FROM objects AS o JOIN secrets AS s ON s.id = o.id";

fn secret_entry(r: &Row) -> Result<SecretEntry> {
    Ok(SecretEntry {
        id: object_id(r.int(0)?)?.into(),
        oid: u64::try_from(r.int(1)?).unwrap_or_default(),
        name: r.text(2)?,
        created_at: r.text(3)?,
        updated_at: r.text(4)?,
        comment: r.opt_text(5)?,
    })
}

pub(crate) fn secret(conn: &dyn Sql, id: SecretId) -> Result<Option<SecretEntry>> {
    let raw = sql_id(id)?;
    conn.query_opt(&format!("{SECRET_COLUMNS} WHERE o.id = ?1"), args![raw])
        .ctx("reading a secret")?
        .map(|r| secret_entry(&r))
        .transpose()
}

pub(crate) fn secret_by_name(conn: &dyn Sql, name: &str) -> Result<Option<SecretEntry>> {
    conn.query_opt(&format!("{SECRET_COLUMNS} WHERE o.name = ?1"), args![name])
        .ctx("reading a secret")?
        .map(|r| secret_entry(&r))
        .transpose()
}

/// Every secret's metadata, by id.
pub(crate) fn secrets(conn: &dyn Sql) -> Result<Vec<SecretEntry>> {
    conn.query(&format!("{SECRET_COLUMNS} ORDER BY o.id"), &[])
        .ctx("listing secrets")?
        .iter()
        .map(secret_entry)
        .collect()
}

/// The validation history of one connection, oldest first.
pub(crate) fn validations(conn: &dyn Sql, id: ConnectionId) -> Result<Vec<ValidationEntry>> {
    let raw = sql_id(id)?;
    let rows = conn
        .query(
            "SELECT validated_at, status, caller_arn, error_code, message, non_aws_endpoint
             FROM aws_connection_validations WHERE connection_id = ?1 ORDER BY seq",
            args![raw],
        )
        .ctx("reading validations")?;
    rows.iter()
        .map(|r| {
            Ok((
                r.text(0)?,
                r.text(1)?,
                r.opt_text(2)?,
                r.opt_text(3)?,
                r.opt_text(4)?,
                r.opt_text(5)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .map(
            |(validated_at, status, caller_arn, error_code, message, non_aws_endpoint)| {
                let status = ValidationStatus::parse(&status)
                    .ok_or_else(|| corrupted(format!("unknown validation status {status:?}")))?;
                Ok(ValidationEntry {
                    validated_at,
                    validation: Validation {
                        connection_id: id,
                        status,
                        caller_arn,
                        error_code,
                        message,
                        non_aws_endpoint,
                    },
                })
            },
        )
        .collect()
}

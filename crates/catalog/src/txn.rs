//! Write transactions: every DDL statement is one [`Txn`], all rows or none.

use std::collections::BTreeSet;
use std::fmt;

use crate::backend::{DbContext, DbError, WriteTxn, args};
use crate::error::{CatalogError, Result};
use crate::model::{
    ConnectionEntry, CredentialsEvent, CredentialsHealth, DropBehavior, Dropped, Namespace,
    NewConnection, OID_BASE, ObjectKind, ObjectRef, SecretEntry, Settings, Validation,
    ValidationEntry,
};
use crate::read::{self, sql_id};
use crate::secrets::{SecretBytes, SecretStore, Secrets};
use crate::time;
use airlock_core::aws::{AwsAuth, AwsConnection, IamArn, StringOrSecret};
use airlock_core::aws::{example_trust_policy, external_id};
use airlock_core::{ConnectionId, ObjectId, SecretId, SecretString};

/// One write transaction, holding the catalog's write lock from the start (SQLite's
/// `BEGIN IMMEDIATE`, PostgreSQL's advisory lock): what it reads cannot change under
/// it, and its commit cannot fail for a concurrent writer.
///
/// Dropping a `Txn` without [`Txn::commit`] rolls everything back. All timestamps it
/// writes are its start time, like PostgreSQL's `now()`.
pub struct Txn<'c> {
    pub(crate) tx: Box<dyn WriteTxn<'c> + 'c>,
    secrets: &'c Secrets,
    prefix: uuid::Uuid,
    namespace: &'c Namespace,
    now: String,
    /// `aws_principal`, read once: no other writer can change it while we hold the lock.
    principal: Option<Option<String>>,
    /// Secrets put into an external store by this transaction: deleted again if it
    /// rolls back.
    external_puts: ExternalPuts<'c>,
    /// Secrets to delete from an external store once the drop has committed.
    external_deletes: Vec<SecretId>,
    /// The role that owns what this transaction creates ([`Txn::act_as`]).
    pub(crate) owner: crate::roles::RoleId,
}

impl fmt::Debug for Txn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Txn")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

struct ExternalPuts<'c> {
    store: Option<&'c dyn SecretStore>,
    ids: Vec<SecretId>,
}

impl Drop for ExternalPuts<'_> {
    fn drop(&mut self) {
        // Best effort: what is left behind is an orphan that the next open deletes.
        if let Some(store) = self.store {
            for id in self.ids.drain(..) {
                let _ = store.delete(id);
            }
        }
    }
}

/// The derived assume-role columns of one connection.
struct Derived {
    external_id: Option<String>,
    principal: Option<String>,
    example_trust_policy: Option<String>,
}

impl<'c> Txn<'c> {
    pub(crate) fn new(
        tx: Box<dyn WriteTxn<'c> + 'c>,
        secrets: &'c Secrets,
        prefix: uuid::Uuid,
        namespace: &'c Namespace,
    ) -> Self {
        Txn {
            tx,
            secrets,
            prefix,
            namespace,
            now: time::now(),
            principal: None,
            external_puts: ExternalPuts {
                store: secrets.external(),
                ids: Vec::new(),
            },
            external_deletes: Vec::new(),
            owner: crate::roles::RoleId::mz_system(),
        }
    }

    /// The catalog's namespace (see [`crate::Catalog::namespace`]).
    pub fn namespace(&self) -> &Namespace {
        self.namespace
    }

    /// Makes every change durable. External-store deletions of dropped secrets happen
    /// after this point; if one fails, the value stays behind as an orphan that the next
    /// open removes.
    pub fn commit(self) -> Result<()> {
        let Txn {
            tx,
            secrets,
            mut external_puts,
            external_deletes,
            ..
        } = self;
        // Disarm first: if the commit itself fails, it may still have reached the disk,
        // and a value whose metadata committed must not be deleted. An orphan is the
        // safe side.
        external_puts.ids.clear();
        tx.commit().ctx("committing")?;
        if let Some(store) = secrets.external() {
            for id in external_deletes {
                let _ = store.delete(id);
            }
        }
        Ok(())
    }

    /// The time this transaction stamps on rows.
    pub fn now(&self) -> &str {
        &self.now
    }

    // ----- reads, seeing this transaction's own writes -----

    pub fn settings(&self) -> Result<Settings> {
        read::settings(self.tx.sql())
    }

    /// The object called `name`, whatever its kind.
    pub fn object_by_name(&self, name: &str) -> Result<Option<ObjectRef>> {
        read::object_by_name(self.tx.sql(), name)
    }

    pub fn object(&self, id: ObjectId) -> Result<Option<ObjectRef>> {
        read::object(self.tx.sql(), id)
    }

    pub fn connection(&self, id: ConnectionId) -> Result<Option<ConnectionEntry>> {
        read::connection(self.tx.sql(), id)
    }

    pub fn connection_by_name(&self, name: &str) -> Result<Option<ConnectionEntry>> {
        read::connection_by_name(self.tx.sql(), name)
    }

    pub fn connections(&self) -> Result<Vec<ConnectionEntry>> {
        read::connections(self.tx.sql())
    }

    pub fn secret(&self, id: SecretId) -> Result<Option<SecretEntry>> {
        read::secret(self.tx.sql(), id)
    }

    pub fn secret_by_name(&self, name: &str) -> Result<Option<SecretEntry>> {
        read::secret_by_name(self.tx.sql(), name)
    }

    pub fn secrets(&self) -> Result<Vec<SecretEntry>> {
        read::secrets(self.tx.sql())
    }

    /// The connections that use secret `id` (what `DROP SECRET ... CASCADE` would drop).
    pub fn dependents(&self, id: SecretId) -> Result<Vec<ObjectRef>> {
        read::expect_kind(self.tx.sql(), id.into(), ObjectKind::Secret)?;
        read::dependents(self.tx.sql(), id.into())
    }

    /// The value of secret `id` as text, e.g. to validate a connection before committing
    /// it; [`CatalogError::SecretNotUtf8`] when it is binary.
    pub fn read_secret(&self, id: SecretId) -> Result<SecretString> {
        read::expect_kind(self.tx.sql(), id.into(), ObjectKind::Secret)?;
        match self.secrets {
            Secrets::Embedded(store) => as_text(store.read(self.tx.sql(), id)?),
            Secrets::External(store) => Ok(store.read(id)?),
        }
    }

    // ----- ids -----

    /// Hands out the next id. On SQLite the allocation is part of this transaction: if
    /// it rolls back, the allocation never happened and the next transaction gets the
    /// same id. On PostgreSQL it comes from a sequence, and a rollback burns it. Reusing
    /// an id is only safe while the id — and the external ID derived from it — has not
    /// left the process. To show or use an external ID before committing (validating a
    /// connection first), take the id from [`crate::Catalog::reserve_id`] instead.
    pub fn allocate_id(&mut self) -> Result<ObjectId> {
        let next = self
            .tx
            .allocate_object_id()
            .ctx("allocating an object id")?;
        u64::try_from(next)
            .map(ObjectId)
            .map_err(|_| CatalogError::Corrupted("the id sequence is negative".to_owned()))
    }

    /// Refuses ids that were never allocated.
    fn check_allocated(&self, id: ObjectId) -> Result<()> {
        let next = self.tx.next_object_id().ctx("reading the id sequence")?;
        if id.0 == 0 || sql_id(id)? >= next {
            return Err(CatalogError::InvalidId {
                id,
                reason: "was not allocated by the catalog",
            });
        }
        Ok(())
    }

    /// Inserts the `objects` row, turning constraint failures into the errors a user
    /// should see.
    fn insert_object(&self, id: ObjectId, kind: ObjectKind, name: &str) -> Result<()> {
        let raw = sql_id(id)?;
        // A taken name inserts nothing (rather than failing, which on PostgreSQL would
        // abort the whole transaction): then it is looked up to say who holds it.
        let inserted = self.tx.execute(
            "INSERT INTO objects (id, kind, name, created_at, owner_id) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (name) DO NOTHING",
            args![raw, kind.as_str(), name, &self.now, self.owner.as_str()],
        );
        match inserted {
            Ok(0) => {
                self.check_name_free(name)?;
                Err(CatalogError::Corrupted(format!(
                    "the object name {name:?} clashed with no object"
                )))
            }
            Ok(_) => self.own_new_object(raw),
            Err(e) => Err(self.constraint_error(e, id, name)),
        }
    }

    /// Refuses a name another object holds, before the write: on PostgreSQL a failed
    /// statement aborts the whole transaction, so the clash must be found by a read.
    /// (Under the catalog's write lock no other writer can take the name meanwhile;
    /// the UNIQUE constraint stays the last word.)
    fn check_name_free(&self, name: &str) -> Result<()> {
        match read::object_by_name(self.tx.sql(), name)? {
            Some(existing) => Err(CatalogError::AlreadyExists {
                kind: existing.kind,
                name: name.to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Maps a failed write on `objects` to a name clash, a reused id, or a database
    /// error.
    fn constraint_error(&self, e: DbError, id: ObjectId, name: &str) -> CatalogError {
        match e {
            DbError::Unique(e) => match read::object_by_name(self.tx.sql(), name) {
                Ok(Some(existing)) => CatalogError::AlreadyExists {
                    kind: existing.kind,
                    name: name.to_owned(),
                },
                Ok(None) => crate::backend::db_error("writing an object", *e),
                Err(other) => other,
            },
            DbError::PrimaryKey(_) => CatalogError::InvalidId {
                id,
                reason: "already holds an object",
            },
            e => crate::backend::db_error("writing an object", e),
        }
    }

    // ----- secrets -----

    /// `CREATE SECRET` with a text value: allocates an id, records the metadata and
    /// stores the value.
    pub fn create_secret(&mut self, name: &str, value: &SecretString) -> Result<SecretEntry> {
        self.create_secret_bytes(name, &SecretBytes::from(value))
    }

    /// `CREATE SECRET` with any value (a `bytea` in Materialize). The embedded store keeps
    /// any bytes; an external store (whose trait holds text) refuses a value that is not
    /// UTF-8 with [`CatalogError::SecretNotUtf8`].
    pub fn create_secret_bytes(&mut self, name: &str, value: &SecretBytes) -> Result<SecretEntry> {
        // A missing or wrong key fails before an id is drawn (on PostgreSQL a drawn id
        // is burned even when the statement fails).
        if let Secrets::Embedded(store) = self.secrets {
            store.check_key()?;
        }
        let id = SecretId::from(self.allocate_id()?);
        self.insert_object(id.into(), ObjectKind::Secret, name)?;
        let raw = sql_id(id)?;
        self.tx
            .execute(
                "INSERT INTO secrets (id, updated_at) VALUES (?1, ?2)",
                args![raw, &self.now],
            )
            .ctx("creating a secret")?;
        match self.secrets {
            Secrets::Embedded(store) => store.put(self.tx.sql(), id, value.expose_secret())?,
            Secrets::External(store) => {
                store.put(id, &text_for_external_store(value)?)?;
                self.external_puts.ids.push(id);
            }
        }
        Ok(SecretEntry {
            id,
            oid: OID_BASE + id.0,
            name: name.to_owned(),
            created_at: self.now.clone(),
            updated_at: self.now.clone(),
            comment: None,
        })
    }

    /// `ALTER SECRET ... AS`: replaces the value and bumps `updated_at`.
    ///
    /// With an external store the new value is written before the commit (Materialize's
    /// order); if the transaction then rolls back, the store already holds the new value.
    pub fn rotate_secret(&mut self, id: SecretId, value: &SecretString) -> Result<()> {
        self.rotate_secret_bytes(id, &SecretBytes::from(value))
    }

    /// [`Txn::rotate_secret`] with any bytes (see [`Txn::create_secret_bytes`]).
    pub fn rotate_secret_bytes(&mut self, id: SecretId, value: &SecretBytes) -> Result<()> {
        read::expect_kind(self.tx.sql(), id.into(), ObjectKind::Secret)?;
        let raw = sql_id(id)?;
        self.tx
            .execute(
                "UPDATE secrets SET updated_at = ?2 WHERE id = ?1",
                args![raw, &self.now],
            )
            .ctx("rotating a secret")?;
        match self.secrets {
            Secrets::Embedded(store) => store.put(self.tx.sql(), id, value.expose_secret()),
            Secrets::External(store) => Ok(store.rotate(id, &text_for_external_store(value)?)?),
        }
    }

    /// `ALTER SECRET ... RENAME TO`. Connections name secrets in their SQL text: the
    /// caller rewrites the text of every dependent with [`Txn::set_connection_sql`] in
    /// the same transaction.
    pub fn rename_secret(&mut self, id: SecretId, new_name: &str) -> Result<()> {
        self.rename(id.into(), ObjectKind::Secret, new_name)
    }

    fn rename(&mut self, id: ObjectId, kind: ObjectKind, new_name: &str) -> Result<()> {
        read::expect_kind(self.tx.sql(), id, kind)?;
        let raw = sql_id(id)?;
        self.check_name_free(new_name)?;
        let renamed = self.tx.execute(
            "UPDATE objects SET name = ?2 WHERE id = ?1",
            args![raw, new_name],
        );
        match renamed {
            Ok(_) => Ok(()),
            Err(e) => Err(self.constraint_error(e, id, new_name)),
        }
    }

    /// `DROP SECRET`. With [`DropBehavior::Restrict`], fails with
    /// [`CatalogError::DependentObjectsStillExist`] if a connection uses one of them;
    /// with [`DropBehavior::Cascade`], drops those connections first. Repeated ids are
    /// dropped once.
    pub fn drop_secrets(&mut self, ids: &[SecretId], behavior: DropBehavior) -> Result<Dropped> {
        let mut dropped = Dropped::default();
        let mut seen = BTreeSet::new();
        for &id in ids {
            if !seen.insert(id) {
                continue;
            }
            let object = read::expect_kind(self.tx.sql(), id.into(), ObjectKind::Secret)?;
            let dependents = read::dependents(self.tx.sql(), id.into())?;
            if !dependents.is_empty() {
                if behavior == DropBehavior::Restrict {
                    return Err(CatalogError::DependentObjectsStillExist { object, dependents });
                }
                for dependent in dependents {
                    self.delete_object(dependent.id)?;
                    dropped.connections.push(dependent);
                }
            }
            self.delete_object(id.into())?;
            if self.secrets.external().is_some() {
                self.external_deletes.push(id);
            }
            dropped.secrets.push(object);
        }
        Ok(dropped)
    }

    /// Deletes an object; the schema's cascades remove its kind-specific rows, its AWS
    /// options, its dependency rows, its validations and its ciphertext.
    fn delete_object(&mut self, id: ObjectId) -> Result<()> {
        let raw = sql_id(id)?;
        self.tx
            .execute("DELETE FROM objects WHERE id = ?1", args![raw])
            .ctx("dropping an object")?;
        Ok(())
    }

    // ----- connections -----

    /// `CREATE CONNECTION`: allocates an id and inserts the connection.
    pub fn create_connection(&mut self, new: &NewConnection<'_>) -> Result<ConnectionEntry> {
        let id = ConnectionId::from(self.allocate_id()?);
        self.insert_new_connection(id, new)
    }

    /// Inserts a connection under an id from [`crate::Catalog::reserve_id`] or
    /// [`Txn::allocate_id`] — for a caller that needs the id (and so the external ID)
    /// before the row exists, e.g. to validate first. Refuses an id that was never
    /// handed out or that already names an object.
    pub fn insert_connection(
        &mut self,
        id: ConnectionId,
        new: &NewConnection<'_>,
    ) -> Result<ConnectionEntry> {
        self.check_allocated(id.into())?;
        self.insert_new_connection(id, new)
    }

    fn insert_new_connection(
        &mut self,
        id: ConnectionId,
        new: &NewConnection<'_>,
    ) -> Result<ConnectionEntry> {
        let referenced = self.check_references(new.aws)?;
        self.insert_object(id.into(), ObjectKind::Connection, new.name)?;
        let raw = sql_id(id)?;
        self.tx
            .execute(
                "INSERT INTO connections (id, type, create_sql, redacted_create_sql) VALUES (?1, 'aws', ?2, ?3)",
                args![raw, new.create_sql, new.redacted_create_sql],
            )
            .ctx("creating a connection")?;
        let derived = self.insert_aws_row(id, new.aws)?;
        self.insert_dependencies(id, &referenced)?;
        Ok(ConnectionEntry {
            id,
            oid: OID_BASE + id.0,
            name: new.name.to_owned(),
            aws: new.aws.clone(),
            create_sql: new.create_sql.to_owned(),
            redacted_create_sql: new.redacted_create_sql.to_owned(),
            created_at: self.now.clone(),
            principal: derived.principal,
            external_id: derived.external_id,
            example_trust_policy: derived.example_trust_policy,
            comment: None,
        })
    }

    /// `COMMENT ON {SECRET | CONNECTION} ... IS`: sets the comment of object `id`, which
    /// must be of `kind`; `None` removes it.
    pub fn set_comment(
        &mut self,
        id: ObjectId,
        kind: ObjectKind,
        comment: Option<&str>,
    ) -> Result<()> {
        read::expect_kind(self.tx.sql(), id, kind)?;
        let raw = sql_id(id)?;
        self.tx
            .execute(
                "UPDATE objects SET comment = ?2 WHERE id = ?1",
                args![raw, comment],
            )
            .ctx("setting a comment")?;
        Ok(())
    }

    /// `ALTER CONNECTION ... SET/RESET/DROP`: replaces the options, the SQL text and the
    /// dependencies. The external ID stays what it was: it depends only on the id.
    pub fn alter_connection(
        &mut self,
        id: ConnectionId,
        aws: &AwsConnection,
        create_sql: &str,
        redacted_create_sql: &str,
    ) -> Result<ConnectionEntry> {
        read::expect_kind(self.tx.sql(), id.into(), ObjectKind::Connection)?;
        let referenced = self.check_references(aws)?;
        self.set_connection_sql(id, create_sql, redacted_create_sql)?;
        let raw = sql_id(id)?;
        self.tx
            .execute("DELETE FROM aws_connections WHERE id = ?1", args![raw])
            .ctx("altering a connection")?;
        self.tx
            .execute(
                "DELETE FROM object_dependencies WHERE object_id = ?1",
                args![raw],
            )
            .ctx("altering a connection")?;
        self.insert_aws_row(id, aws)?;
        self.insert_dependencies(id, &referenced)?;
        read::connection(self.tx.sql(), id)?
            .ok_or_else(|| CatalogError::Corrupted(format!("connection {id} vanished")))
    }

    /// Replaces a connection's SQL text (after a rename of it or of a secret it uses).
    pub fn set_connection_sql(
        &mut self,
        id: ConnectionId,
        create_sql: &str,
        redacted_create_sql: &str,
    ) -> Result<()> {
        let raw = sql_id(id)?;
        let changed = self
            .tx
            .execute(
                "UPDATE connections SET create_sql = ?2, redacted_create_sql = ?3 WHERE id = ?1",
                args![raw, create_sql, redacted_create_sql],
            )
            .ctx("updating a connection")?;
        if changed == 0 {
            return Err(CatalogError::UnknownId {
                kind: ObjectKind::Connection,
                id: id.into(),
            });
        }
        Ok(())
    }

    /// `ALTER CONNECTION ... RENAME TO`, with the statement text under the new name.
    pub fn rename_connection(
        &mut self,
        id: ConnectionId,
        new_name: &str,
        create_sql: &str,
        redacted_create_sql: &str,
    ) -> Result<()> {
        self.rename(id.into(), ObjectKind::Connection, new_name)?;
        self.set_connection_sql(id, create_sql, redacted_create_sql)
    }

    /// `DROP CONNECTION`. Nothing depends on a connection, so there is no RESTRICT
    /// case. Repeated ids are dropped once.
    pub fn drop_connections(&mut self, ids: &[ConnectionId]) -> Result<Vec<ObjectRef>> {
        let mut dropped = Vec::with_capacity(ids.len());
        let mut seen = BTreeSet::new();
        for &id in ids {
            if !seen.insert(id) {
                continue;
            }
            let object = read::expect_kind(self.tx.sql(), id.into(), ObjectKind::Connection)?;
            self.delete_object(id.into())?;
            dropped.push(object);
        }
        Ok(dropped)
    }

    /// Every secret the model names must exist and be a secret.
    fn check_references(&self, aws: &AwsConnection) -> Result<Vec<SecretId>> {
        let referenced = aws.referenced_secrets();
        for &secret in &referenced {
            read::expect_kind(self.tx.sql(), secret.into(), ObjectKind::Secret)?;
        }
        Ok(referenced)
    }

    fn principal(&mut self) -> Result<Option<String>> {
        if let Some(p) = &self.principal {
            return Ok(p.clone());
        }
        let p = read::settings(self.tx.sql())?.aws_principal;
        self.principal = Some(p.clone());
        Ok(p)
    }

    fn insert_aws_row(&mut self, id: ConnectionId, aws: &AwsConnection) -> Result<Derived> {
        let derived = match &aws.auth {
            AwsAuth::AssumeRole(_) => {
                let ext = external_id(&self.prefix, id);
                let principal = self.principal()?;
                let policy = principal.as_deref().map(|p| example_trust_policy(p, &ext));
                Derived {
                    external_id: Some(ext),
                    principal,
                    example_trust_policy: policy,
                }
            }
            AwsAuth::Credentials(_) | AwsAuth::DefaultChain => Derived {
                external_id: None,
                principal: None,
                example_trust_policy: None,
            },
        };
        let (mut key_inline, mut key_secret, mut secret_key) = (None, None, None);
        let (mut token_inline, mut token_secret) = (None, None);
        let (mut arn, mut session_name, mut session_duration) = (None, None, None);
        let split = |v: &StringOrSecret| -> Result<(Option<String>, Option<i64>)> {
            Ok(match v {
                StringOrSecret::Inline(s) => (Some(s.clone()), None),
                StringOrSecret::Secret(id) => (None, Some(sql_id(*id)?)),
            })
        };
        match &aws.auth {
            AwsAuth::Credentials(c) => {
                (key_inline, key_secret) = split(&c.access_key_id)?;
                secret_key = Some(sql_id(c.secret_access_key)?);
                if let Some(token) = &c.session_token {
                    (token_inline, token_secret) = split(token)?;
                }
            }
            AwsAuth::AssumeRole(a) => {
                arn = Some(a.arn.as_str());
                session_name = a.session_name.as_deref();
                session_duration = a.session_duration;
            }
            AwsAuth::DefaultChain => {}
        }
        let default_credentials = i64::from(aws.uses_default_credentials());
        let raw = sql_id(id)?;
        self.tx
            .execute(
                "INSERT INTO aws_connections (
                    id, endpoint, region, access_key_id, access_key_id_secret_id,
                    secret_access_key_secret_id, session_token, session_token_secret_id,
                    assume_role_arn, assume_role_session_name, principal, external_id,
                    example_trust_policy, assume_role_session_duration, sts_endpoint,
                    sts_region, use_default_credentials
                 ) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                args![
                    raw,
                    aws.endpoint.as_deref(),
                    aws.region.as_deref(),
                    key_inline,
                    key_secret,
                    secret_key,
                    token_inline,
                    token_secret,
                    arn,
                    session_name,
                    derived.principal.as_deref(),
                    derived.external_id.as_deref(),
                    derived.example_trust_policy.as_deref(),
                    session_duration,
                    aws.sts.endpoint.as_deref(),
                    aws.sts.region.as_deref(),
                    default_credentials,
                ],
            )
            .ctx("writing AWS connection options")?;
        if let Some(scope) = &aws.scope {
            self.tx
                .execute(
                    "INSERT INTO aws_connection_scopes (id, scope) VALUES (?1, ?2)",
                    args![raw, scope.as_str()],
                )
                .ctx("writing AWS connection options")?;
        }
        Ok(derived)
    }

    fn insert_dependencies(&mut self, id: ConnectionId, referenced: &[SecretId]) -> Result<()> {
        if referenced.is_empty() {
            return Ok(());
        }
        let raw = sql_id(id)?;
        for &secret in referenced {
            self.tx
                .execute(
                    "INSERT INTO object_dependencies (object_id, referenced_object_id) VALUES (?1, ?2)",
                    args![raw, sql_id(secret)?],
                )
                .ctx("recording dependencies")?;
        }
        Ok(())
    }

    // ----- settings and validations -----

    /// `ALTER SYSTEM SET aws_principal` (or, with `None`, unsets it). Rewrites
    /// `principal` and `example_trust_policy` of every assume-role connection in this
    /// transaction, and returns how many it rewrote.
    pub fn set_aws_principal(&mut self, principal: Option<&str>) -> Result<usize> {
        if let Some(p) = principal {
            IamArn::parse_principal(p).map_err(|e| CatalogError::InvalidPrincipal {
                value: p.to_owned(),
                reason: e.to_string(),
            })?;
        }
        self.tx
            .execute(
                "UPDATE settings SET aws_principal = ?1 WHERE singleton = 1",
                args![principal],
            )
            .ctx("setting aws_principal")?;
        self.principal = Some(principal.map(str::to_owned));
        let rows = self
            .tx
            .query(
                "SELECT id, external_id FROM aws_connections WHERE assume_role_arn IS NOT NULL ORDER BY id",
                &[],
            )
            .ctx("setting aws_principal")?
            .iter()
            .map(|r| Ok((r.int(0)?, r.text(1)?)))
            .collect::<Result<Vec<_>>>()?;
        for (id, ext) in &rows {
            let policy = principal.map(|p| example_trust_policy(p, ext));
            self.tx
                .execute(
                    "UPDATE aws_connections SET principal = ?2, example_trust_policy = ?3 WHERE id = ?1",
                    args![*id, principal, policy],
                )
                .ctx("setting aws_principal")?;
        }
        Ok(rows.len())
    }

    /// `ALTER SYSTEM SET aws_allowed_endpoints` (or, with `None`, unsets it). The value
    /// is stored as given: the engine parses and normalizes the list first.
    pub fn set_aws_allowed_endpoints(&mut self, list: Option<&str>) -> Result<()> {
        self.tx
            .execute(
                "UPDATE settings SET aws_allowed_endpoints = ?1 WHERE singleton = 1",
                args![list],
            )
            .ctx("setting aws_allowed_endpoints")?;
        Ok(())
    }

    /// `ALTER SYSTEM SET aws_allow_default_credentials`: whether connections may `USE
    /// DEFAULT CREDENTIALS`. Connections that already do stay; the engine refuses them
    /// while the setting is off.
    pub fn set_aws_allow_default_credentials(&mut self, allow: bool) -> Result<()> {
        self.tx
            .execute(
                "UPDATE settings SET aws_allow_default_credentials = ?1 WHERE singleton = 1",
                args![i64::from(allow)],
            )
            .ctx("setting aws_allow_default_credentials")?;
        Ok(())
    }

    /// Appends one `VALIDATE` run to the connection's history.
    pub fn record_validation(&mut self, validation: &Validation) -> Result<ValidationEntry> {
        read::expect_kind(
            self.tx.sql(),
            validation.connection_id.into(),
            ObjectKind::Connection,
        )?;
        let raw = sql_id(validation.connection_id)?;
        self.tx
            .execute(
                "INSERT INTO aws_connection_validations
                    (connection_id, validated_at, status, caller_arn, error_code, message,
                     non_aws_endpoint)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args![
                    raw,
                    &self.now,
                    validation.status.as_str(),
                    validation.caller_arn.as_deref(),
                    validation.error_code.as_deref(),
                    validation.message.as_deref(),
                    validation.non_aws_endpoint.as_deref(),
                ],
            )
            .ctx("recording a validation")?;
        Ok(ValidationEntry {
            validated_at: self.now.clone(),
            validation: validation.clone(),
        })
    }

    /// Records what a credentials handle learned (one row per connection, updated in
    /// place): a session obtained, or a failure to obtain one.
    pub fn record_credentials_health(&mut self, health: &CredentialsHealth) -> Result<()> {
        read::expect_kind(
            self.tx.sql(),
            health.connection_id.into(),
            ObjectKind::Connection,
        )?;
        let raw = sql_id(health.connection_id)?;
        let result = match &health.event {
            CredentialsEvent::Assumed {
                at,
                expires_at,
                session_duration,
                chained,
            } => self.tx.execute(
                "INSERT INTO aws_connection_credentials
                    (connection_id, last_assumed_at, expires_at, session_duration, chained)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (connection_id) DO UPDATE SET
                    last_assumed_at = excluded.last_assumed_at,
                    expires_at = excluded.expires_at,
                    session_duration = excluded.session_duration,
                    chained = excluded.chained",
                args![
                    raw,
                    time::format_system_time(*at),
                    expires_at.map(time::format_system_time),
                    *session_duration,
                    *chained,
                ],
            ),
            CredentialsEvent::Failed { at, error } => self.tx.execute(
                "INSERT INTO aws_connection_credentials
                    (connection_id, last_refresh_error, last_error_at)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (connection_id) DO UPDATE SET
                    last_refresh_error = excluded.last_refresh_error,
                    last_error_at = excluded.last_error_at",
                args![raw, error.as_str(), time::format_system_time(*at)],
            ),
        };
        result.ctx("recording credentials health")?;
        Ok(())
    }

    /// The validation history of a connection, oldest first.
    pub fn validations(&self, id: ConnectionId) -> Result<Vec<ValidationEntry>> {
        read::validations(self.tx.sql(), id)
    }
}

/// A value for a [`SecretStore`], whose trait holds text.
fn text_for_external_store(value: &SecretBytes) -> Result<SecretString> {
    value.to_secret_string().ok_or(CatalogError::SecretNotUtf8)
}

/// A stored value as text, for consumers that need text (AWS credentials).
pub(crate) fn as_text(value: SecretBytes) -> Result<SecretString> {
    value.to_secret_string().ok_or(CatalogError::SecretNotUtf8)
}

//! Roles, ownership and privileges, stored as Materialize models them: roles with ids
//! `s1`.. (system) and `u1`.. (user), role membership, an owner for every object, and
//! access control lists of `(grantee, grantor, privileges)` items (`mz_aclitem`).
//!
//! The catalog only stores; the engine decides who may do what (its `privileges`
//! module). Reads go through a [`RoleReader`] ([`crate::Catalog::roles`] outside a
//! transaction, [`Txn::roles`] inside one); writes are methods of [`Txn`].

use std::collections::BTreeSet;
use std::fmt;

use crate::backend::{DbContext, Row, Sql, args};
use crate::catalog::Catalog;
use crate::error::{CatalogError, Result};
use crate::model::{ObjectKind, ObjectRef};
use crate::read::sql_id;
use crate::txn::Txn;
use airlock_core::ObjectId;

/// The oid of user role `un` is `USER_ROLE_OID_BASE + n` (2^30), far above the objects'
/// `20000 + n`, so role and object oids never meet. System role `sn` has `10000 + n`.
pub const USER_ROLE_OID_BASE: u64 = 1 << 30;

/// The privilege letters of an ACL item, as Materialize prints them.
pub const USAGE: char = 'U';
pub const CREATE: char = 'C';
pub const CREATEROLE: char = 'R';

/// A role id: `s1` (mz_system), `u1`, `u2`, ... or `p` (the PUBLIC pseudo-role, which
/// appears only as a grantee).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleId(String);

impl RoleId {
    /// `mz_system`, the system's superuser (`s1`).
    pub fn mz_system() -> RoleId {
        RoleId("s1".to_owned())
    }

    /// PUBLIC: every role is a member.
    pub fn public() -> RoleId {
        RoleId("p".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_public(&self) -> bool {
        self.0 == "p"
    }

    pub fn is_system(&self) -> bool {
        self.0.starts_with('s')
    }
}

impl fmt::Display for RoleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A role (`mz_roles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleEntry {
    pub id: RoleId,
    pub oid: u64,
    pub name: String,
    pub inherit: bool,
    pub superuser: bool,
    pub login: bool,
}

/// The attributes `CREATE ROLE` and `ALTER ROLE` set; `None` keeps (or defaults) one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleAttributes {
    pub superuser: Option<bool>,
    pub login: Option<bool>,
}

/// One item of an access control list: `grantee=privileges/grantor`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AclItem {
    pub grantee: RoleId,
    pub grantor: RoleId,
    /// Privilege letters in canonical order (`UC`).
    pub privileges: String,
}

/// What an ACL is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclTarget {
    Object(ObjectId),
    /// The catalog's one schema.
    Schema,
    /// The system: CREATEROLE.
    System,
}

impl AclTarget {
    /// The `scope_privileges.scope` of a schema or system ACL.
    fn scope(self) -> &'static str {
        match self {
            AclTarget::System => "system",
            _ => "schema",
        }
    }
}

/// Letters in canonical order, each once.
fn canonical(letters: impl IntoIterator<Item = char>) -> String {
    let set: BTreeSet<char> = letters.into_iter().collect();
    [USAGE, CREATE, CREATEROLE]
        .into_iter()
        .filter(|c| set.contains(c))
        .collect()
}

fn role_row(row: &Row) -> Result<RoleEntry> {
    Ok(RoleEntry {
        id: RoleId(row.text(0)?),
        oid: row.int(1)?.try_into().unwrap_or_default(),
        name: row.text(2)?,
        inherit: row.int(3)? != 0,
        superuser: row.int(4)? != 0,
        login: row.int(5)? != 0,
    })
}

const ROLE_COLUMNS: &str = "SELECT id, oid, name, inherit, superuser, login FROM roles";

/// Reads of roles, owners and ACLs, through one connection (a transaction's, or the
/// catalog's own).
#[derive(Clone, Copy)]
pub struct RoleReader<'a> {
    conn: &'a dyn Sql,
}

impl fmt::Debug for RoleReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleReader").finish_non_exhaustive()
    }
}

impl<'a> RoleReader<'a> {
    pub fn by_name(&self, name: &str) -> Result<Option<RoleEntry>> {
        self.conn
            .query_opt(&format!("{ROLE_COLUMNS} WHERE name = ?1"), args![name])
            .ctx("looking up a role")?
            .map(|r| role_row(&r))
            .transpose()
    }

    pub fn by_id(&self, id: &RoleId) -> Result<Option<RoleEntry>> {
        self.conn
            .query_opt(&format!("{ROLE_COLUMNS} WHERE id = ?1"), args![id.as_str()])
            .ctx("looking up a role")?
            .map(|r| role_row(&r))
            .transpose()
    }

    /// The roles whose privileges `id` has: itself, every role it is (transitively) a
    /// member of, and PUBLIC.
    pub fn member_of(&self, id: &RoleId) -> Result<BTreeSet<RoleId>> {
        let mut roles: BTreeSet<RoleId> = self
            .conn
            .query(
                "WITH RECURSIVE m(id) AS (
                     SELECT CAST(?1 AS TEXT)
                     UNION
                     SELECT rm.role_id FROM role_members AS rm JOIN m ON rm.member = m.id
                 )
                 SELECT id FROM m",
                args![id.as_str()],
            )
            .ctx("reading role memberships")?
            .iter()
            .map(|r| r.text(0).map(RoleId))
            .collect::<Result<_>>()?;
        roles.insert(RoleId::public());
        Ok(roles)
    }

    /// Whether `member` is a direct member of `role`.
    pub fn is_direct_member(&self, role: &RoleId, member: &RoleId) -> Result<bool> {
        Ok(self
            .conn
            .query_opt(
                "SELECT 1 FROM role_members WHERE role_id = ?1 AND member = ?2",
                args![role.as_str(), member.as_str()],
            )
            .ctx("reading role memberships")?
            .is_some())
    }

    /// The owner of object `id`.
    pub fn owner(&self, id: ObjectId) -> Result<Option<RoleId>> {
        let raw = sql_id(id)?;
        self.conn
            .query_opt("SELECT owner_id FROM objects WHERE id = ?1", args![raw])
            .ctx("reading an owner")?
            .map(|r| r.text(0).map(RoleId))
            .transpose()
    }

    /// The access control list of an object or of the schema, in the order mz_* shows it.
    pub fn acl(&self, target: AclTarget) -> Result<Vec<AclItem>> {
        let raw = match target {
            AclTarget::Object(id) => sql_id(id)?,
            AclTarget::Schema | AclTarget::System => 0,
        };
        let item = |r: &Row| {
            Ok(AclItem {
                grantee: RoleId(r.text(0)?),
                grantor: RoleId(r.text(1)?),
                privileges: r.text(2)?,
            })
        };
        match target {
            AclTarget::Object(_) => self.conn.query(
                "SELECT grantee, grantor, privileges FROM object_privileges
                 WHERE object_id = ?1 ORDER BY grantee = 'p', grantee, grantor",
                args![raw],
            ),
            AclTarget::Schema | AclTarget::System => self.conn.query(
                "SELECT grantee, grantor, privileges FROM scope_privileges
                 WHERE scope = ?1 ORDER BY grantee = 'p', grantee, grantor",
                args![target.scope()],
            ),
        }
        .ctx("reading privileges")?
        .iter()
        .map(item)
        .collect()
    }

    /// The objects `id` owns, by id.
    pub fn owned_by(&self, id: &RoleId) -> Result<Vec<ObjectRef>> {
        self.objects_where(
            "SELECT id, kind, name FROM objects WHERE owner_id = ?1 ORDER BY id",
            id,
        )
    }

    /// The objects on which `id` was granted privileges (as grantee), by id.
    pub fn granted_to(&self, id: &RoleId) -> Result<Vec<ObjectRef>> {
        self.objects_where(
            "SELECT DISTINCT o.id, o.kind, o.name FROM object_privileges AS p
             JOIN objects AS o ON o.id = p.object_id
             WHERE p.grantee = ?1 AND o.owner_id <> ?1 ORDER BY o.id",
            id,
        )
    }

    fn objects_where(&self, sql: &str, id: &RoleId) -> Result<Vec<ObjectRef>> {
        self.conn
            .query(sql, args![id.as_str()])
            .ctx("listing objects of a role")?
            .iter()
            .map(crate::read::object_ref)
            .collect()
    }
}

impl Catalog {
    /// Roles, owners and privileges, read outside a transaction.
    pub fn roles(&self) -> RoleReader<'_> {
        RoleReader {
            conn: self.db.sql(),
        }
    }
}

/// Creates user role `name`; used by [`Txn::create_role`] and when a catalog is created.
pub(crate) fn insert_role(
    conn: &dyn Sql,
    name: &str,
    attributes: RoleAttributes,
    now: &str,
) -> Result<RoleEntry> {
    let n = conn.allocate_role_id().ctx("allocating a role id")?;
    let id = RoleId(format!("u{n}"));
    let oid = USER_ROLE_OID_BASE + u64::try_from(n).unwrap_or_default();
    let entry = RoleEntry {
        id,
        oid,
        name: name.to_owned(),
        inherit: true,
        superuser: attributes.superuser.unwrap_or(false),
        login: attributes.login.unwrap_or(false),
    };
    conn.execute(
        "INSERT INTO roles (id, oid, name, inherit, superuser, login, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![
            entry.id.as_str(),
            i64::try_from(entry.oid).unwrap_or(i64::MAX),
            entry.name.as_str(),
            entry.inherit,
            entry.superuser,
            entry.login,
            now
        ],
    )
    .ctx("creating a role")?;
    Ok(entry)
}

impl Txn<'_> {
    /// Roles, owners and privileges, seeing this transaction's own writes.
    pub fn roles(&self) -> RoleReader<'_> {
        RoleReader {
            conn: self.tx.sql(),
        }
    }

    /// Makes `role` the owner of every object this transaction creates (`mz_system`
    /// unless called).
    pub fn act_as(&mut self, role: RoleId) {
        self.owner = role;
    }

    /// Gives the owner of a just-inserted object (inserted with its owner) the owner's
    /// privileges.
    pub(crate) fn own_new_object(&self, raw_id: i64) -> Result<()> {
        let owner = self.owner.as_str();
        self.tx
            .execute(
                "INSERT INTO object_privileges (object_id, grantee, grantor, privileges)
                 VALUES (?1, ?2, ?2, 'U')",
                args![raw_id, owner],
            )
            .ctx("granting the owner's privileges")?;
        Ok(())
    }

    /// `CREATE ROLE`: the caller has checked that the name is free and allowed.
    pub fn create_role(&mut self, name: &str, attributes: RoleAttributes) -> Result<RoleEntry> {
        let now = self.now().to_owned();
        insert_role(self.tx.sql(), name, attributes, &now)
    }

    /// `ALTER ROLE`: sets the attributes given.
    pub fn alter_role(&mut self, id: &RoleId, attributes: RoleAttributes) -> Result<()> {
        self.tx
            .execute(
                "UPDATE roles SET superuser = coalesce(?2, superuser), login = coalesce(?3, login)
                 WHERE id = ?1",
                args![id.as_str(), attributes.superuser, attributes.login],
            )
            .ctx("altering a role")?;
        Ok(())
    }

    /// `DROP ROLE`: its memberships go with it. The caller has checked that it owns
    /// nothing and holds no privileges (its own on what it owns aside).
    pub fn drop_role(&mut self, id: &RoleId) -> Result<()> {
        for sql in [
            "DELETE FROM object_privileges WHERE grantee = ?1",
            "DELETE FROM scope_privileges WHERE grantee = ?1",
            "DELETE FROM roles WHERE id = ?1",
        ] {
            self.tx
                .execute(sql, args![id.as_str()])
                .ctx("dropping a role")?;
        }
        Ok(())
    }

    /// `GRANT role TO member`; false when it already was one. The caller has checked
    /// that it makes no cycle.
    pub fn grant_membership(
        &mut self,
        role: &RoleId,
        member: &RoleId,
        grantor: &RoleId,
    ) -> Result<bool> {
        let n = self
            .tx
            .execute(
                "INSERT INTO role_members (role_id, member, grantor) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                args![role.as_str(), member.as_str(), grantor.as_str()],
            )
            .ctx("granting a role")?;
        Ok(n > 0)
    }

    /// `REVOKE role FROM member`; false when it was not one.
    pub fn revoke_membership(&mut self, role: &RoleId, member: &RoleId) -> Result<bool> {
        let n = self
            .tx
            .execute(
                "DELETE FROM role_members WHERE role_id = ?1 AND member = ?2",
                args![role.as_str(), member.as_str()],
            )
            .ctx("revoking a role")?;
        Ok(n > 0)
    }

    /// Replaces the ACL of `target` with `items` (merging items with the same grantee
    /// and grantor, dropping empty ones).
    fn write_acl(&mut self, target: AclTarget, items: Vec<AclItem>) -> Result<()> {
        let mut merged: Vec<AclItem> = Vec::new();
        for item in items {
            match merged
                .iter_mut()
                .find(|m| m.grantee == item.grantee && m.grantor == item.grantor)
            {
                Some(m) => {
                    m.privileges = canonical(m.privileges.chars().chain(item.privileges.chars()))
                }
                None => merged.push(AclItem {
                    privileges: canonical(item.privileges.chars()),
                    ..item
                }),
            }
        }
        merged.retain(|m| !m.privileges.is_empty());
        match target {
            AclTarget::Object(id) => {
                let raw = sql_id(id)?;
                self.tx
                    .execute(
                        "DELETE FROM object_privileges WHERE object_id = ?1",
                        args![raw],
                    )
                    .ctx("writing privileges")?;
                for m in merged {
                    self.tx
                        .execute(
                            "INSERT INTO object_privileges (object_id, grantee, grantor, privileges)
                             VALUES (?1, ?2, ?3, ?4)",
                            args![raw, m.grantee.as_str(), m.grantor.as_str(), m.privileges],
                        )
                        .ctx("writing privileges")?;
                }
            }
            AclTarget::Schema | AclTarget::System => {
                let scope = target.scope();
                self.tx
                    .execute(
                        "DELETE FROM scope_privileges WHERE scope = ?1",
                        args![scope],
                    )
                    .ctx("writing privileges")?;
                for m in merged {
                    self.tx
                        .execute(
                            "INSERT INTO scope_privileges (scope, grantee, grantor, privileges)
                             VALUES (?1, ?2, ?3, ?4)",
                            args![scope, m.grantee.as_str(), m.grantor.as_str(), m.privileges],
                        )
                        .ctx("writing privileges")?;
                }
            }
        }
        Ok(())
    }

    /// `GRANT privileges ON target TO grantee`, recorded as granted by `grantor`.
    pub fn grant(
        &mut self,
        target: AclTarget,
        grantee: &RoleId,
        grantor: &RoleId,
        privileges: &str,
    ) -> Result<()> {
        let mut acl = self.roles().acl(target)?;
        acl.push(AclItem {
            grantee: grantee.clone(),
            grantor: grantor.clone(),
            privileges: privileges.to_owned(),
        });
        self.write_acl(target, acl)
    }

    /// `REVOKE privileges ON target FROM grantee`, whoever granted them.
    pub fn revoke(&mut self, target: AclTarget, grantee: &RoleId, privileges: &str) -> Result<()> {
        let mut acl = self.roles().acl(target)?;
        for item in &mut acl {
            if &item.grantee == grantee {
                item.privileges =
                    canonical(item.privileges.chars().filter(|c| !privileges.contains(*c)));
            }
        }
        self.write_acl(target, acl)
    }

    /// `ALTER ... OWNER TO`: the new owner takes the old owner's place in the ACL, as
    /// grantee and as grantor (PostgreSQL's `aclnewowner`, which Materialize follows).
    pub fn set_owner(&mut self, id: ObjectId, new_owner: &RoleId) -> Result<()> {
        let old = self.roles().owner(id)?.ok_or(CatalogError::UnknownId {
            kind: ObjectKind::Secret,
            id,
        })?;
        let swap = |r: RoleId| if r == old { new_owner.clone() } else { r };
        let acl = self
            .roles()
            .acl(AclTarget::Object(id))?
            .into_iter()
            .map(|item| AclItem {
                grantee: swap(item.grantee),
                grantor: swap(item.grantor),
                privileges: item.privileges,
            })
            .collect();
        self.write_acl(AclTarget::Object(id), acl)?;
        let raw = sql_id(id)?;
        self.tx
            .execute(
                "UPDATE objects SET owner_id = ?2 WHERE id = ?1",
                args![raw, new_owner.as_str()],
            )
            .ctx("setting an owner")?;
        Ok(())
    }
}

//! Privileges: who may run which statement, in Materialize's model.
//!
//! Every session acts as a role (its user's, or the one `SET ROLE` chose). Before one of
//! Airlock's statements runs, [`check`] decides whether that role may run it:
//!
//! - **superusers** (`mz_system`, a catalog's first user, `CREATE ROLE ... SUPERUSER`)
//!   may do everything;
//! - naming a secret or a connection needs `USAGE` on the schema (PUBLIC has it);
//! - `CREATE SECRET` and `CREATE CONNECTION` need `CREATE` on the schema; the creator
//!   owns the new object and gets `USAGE` on it;
//! - `ALTER`, `DROP`, `RENAME`, `COMMENT ON` and `OWNER TO` need ownership (the owner or
//!   a member of it); `OWNER TO` also needs membership of the new owner;
//! - referencing a secret in `CREATE` or `ALTER CONNECTION` and `VALIDATE CONNECTION`
//!   (and a credentials handle, [`crate::Session::credentials`]) need `USAGE` on it;
//! - `CREATE`, `ALTER`, `DROP ROLE` and `GRANT`/`REVOKE` of roles need `CREATEROLE` on
//!   the system; making or changing a superuser, and `ALTER SYSTEM`, need a superuser;
//! - `GRANT`/`REVOKE` of privileges on an object need its ownership.
//!
//! Catalog queries read every row (secret values are never in them), as in Materialize.
//! The messages are Materialize's (`permission denied for SECRET "materialize.public.s"`,
//! `must be owner of CONNECTION materialize.public.c`), SQLSTATE 42501.
//!
//! [`execute`] runs the statements that change roles and privileges.

use std::collections::BTreeSet;

use airlock_catalog::{
    AclTarget, CREATE, CREATEROLE, Catalog, Namespace, ObjectKind, ObjectRef, RoleAttributes,
    RoleEntry, RoleId, RoleReader, USAGE,
};
use airlock_core::{Diagnostic, ObjectId, SqlState};
use airlock_parser::ast::{
    self, AlterConnectionAction, AwsOption, GrantTarget, Grantee, Ident, ItemName, ObjectType,
    OptionValue, Privilege, RoleOption, Statement,
};

use crate::error::{ExecError, Result};
use crate::execute::{does_not_exist_skipping, lookup, unqualified};
use crate::response::Response;

/// What a session's user that is not a role yet becomes at its first statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewUsers {
    /// A `LOGIN` role without privileges, created on first use: Materialize's way with
    /// users its authenticator lets in. The role then has what PUBLIC has (reading the
    /// catalog) until someone grants it more.
    #[default]
    Login,
    /// A superuser, created on first use: for hosts whose [`crate::Authorizer`] decides
    /// and that trust every user they pass (every session is a superuser, as before
    /// roles existed).
    Superuser,
    /// Refused (`role "x" does not exist`, 28000), as PostgreSQL refuses a connection.
    Refuse,
}

/// The role a statement runs as, with what it is a member of.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) role: RoleEntry,
    member_of: BTreeSet<RoleId>,
}

impl Actor {
    fn is_superuser(&self) -> bool {
        self.role.superuser
    }

    /// Whether the role has `letter` on `target` (itself, through a role it is a member
    /// of, or through PUBLIC).
    fn has(&self, roles: RoleReader<'_>, target: AclTarget, letter: char) -> Result<bool> {
        if self.is_superuser() {
            return Ok(true);
        }
        Ok(roles
            .acl(target)?
            .iter()
            .any(|item| self.member_of.contains(&item.grantee) && item.privileges.contains(letter)))
    }

    /// Whether the role is `owner` or a member of it.
    fn acts_for(&self, owner: &RoleId) -> bool {
        self.is_superuser() || self.member_of.contains(owner)
    }
}

/// The role called `name`, with its memberships. `session_user`: `name` is the
/// session's own user (not a `SET ROLE`), which `new_users` may create.
pub(crate) fn actor(
    catalog: &mut Catalog,
    name: &str,
    session_user: bool,
    new_users: NewUsers,
) -> std::result::Result<Actor, Diagnostic> {
    let found = catalog.roles().by_name(name).map_err(diagnostic)?;
    let role = match found {
        Some(role) => role,
        None if session_user && new_users != NewUsers::Refuse => {
            let mut txn = catalog.begin().map_err(diagnostic)?;
            let attributes = RoleAttributes {
                superuser: Some(new_users == NewUsers::Superuser),
                login: Some(true),
            };
            let role = txn.create_role(name, attributes).map_err(diagnostic)?;
            txn.commit().map_err(diagnostic)?;
            role
        }
        None => {
            return Err(Diagnostic::error(
                SqlState::InvalidAuthorizationSpecification,
                format!("role \"{name}\" does not exist"),
            ));
        }
    };
    let member_of = catalog.roles().member_of(&role.id).map_err(diagnostic)?;
    Ok(Actor { role, member_of })
}

fn diagnostic(e: airlock_catalog::CatalogError) -> Diagnostic {
    ExecError::from(e).into_diagnostic()
}

// ---- messages ------------------------------------------------------------------------

fn qualified_text(namespace: &Namespace, name: &str) -> String {
    format!(
        "{}.{}.{}",
        namespace.database,
        namespace.schema,
        Ident::new(name)
    )
}

fn object_word(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Secret => "SECRET",
        ObjectKind::Connection => "CONNECTION",
    }
}

/// `permission denied for SECRET "materialize.public.s"`, with the privilege it needs.
fn denied(actor: &Actor, what: &str, privilege: &str) -> ExecError {
    Diagnostic::error(
        SqlState::InsufficientPrivilege,
        format!("permission denied for {what}"),
    )
    .with_detail(format!(
        "The '{}' role needs {privilege} privileges on {what}",
        actor.role.name
    ))
    .into()
}

/// `must be owner of CONNECTION materialize.public.c`.
fn not_owner(namespace: &Namespace, object: &ObjectRef) -> ExecError {
    Diagnostic::error(
        SqlState::InsufficientPrivilege,
        format!(
            "must be owner of {} {}",
            object_word(object.kind),
            qualified_text(namespace, &object.name)
        ),
    )
    .into()
}

fn superuser_only(action: &str) -> ExecError {
    Diagnostic::error(
        SqlState::InsufficientPrivilege,
        format!("must be superuser to {action}"),
    )
    .into()
}

fn schema_text(namespace: &Namespace) -> String {
    format!("SCHEMA \"{}.{}\"", namespace.database, namespace.schema)
}

// ---- the checks ----------------------------------------------------------------------

/// The checks of one statement, against one catalog.
struct Checker<'a> {
    catalog: &'a Catalog,
    actor: &'a Actor,
}

impl Checker<'_> {
    fn roles(&self) -> RoleReader<'_> {
        self.catalog.roles()
    }

    fn namespace(&self) -> &Namespace {
        self.catalog.namespace()
    }

    /// `USAGE` on the schema: needed to name anything in it.
    fn schema_usage(&self) -> Result<()> {
        if self.actor.has(self.roles(), AclTarget::Schema, USAGE)? {
            return Ok(());
        }
        Err(denied(self.actor, &schema_text(self.namespace()), "USAGE"))
    }

    /// `CREATE` on the schema (Materialize asks no `USAGE` to create in it).
    fn schema_create(&self) -> Result<()> {
        if self.actor.has(self.roles(), AclTarget::Schema, CREATE)? {
            return Ok(());
        }
        Err(denied(self.actor, &schema_text(self.namespace()), "CREATE"))
    }

    /// `CREATEROLE` on the system.
    fn createrole(&self) -> Result<()> {
        if self
            .actor
            .has(self.roles(), AclTarget::System, CREATEROLE)?
        {
            return Ok(());
        }
        Err(denied(self.actor, "SYSTEM", "CREATEROLE"))
    }

    /// The object `name` names, when it exists and is of `kind` (otherwise the statement
    /// itself reports what is wrong, with its own message).
    fn object(&self, name: &ItemName, kind: ObjectKind) -> Result<Option<ObjectRef>> {
        self.schema_usage()?;
        let name = unqualified(name, self.namespace())?;
        Ok(self
            .catalog
            .object_by_name(name.as_str())?
            .filter(|o| o.kind == kind))
    }

    fn owner(&self, object: &ObjectRef) -> Result<()> {
        let owner = self
            .roles()
            .owner(object.id)?
            .unwrap_or_else(RoleId::mz_system);
        if self.actor.acts_for(&owner) {
            return Ok(());
        }
        Err(not_owner(self.namespace(), object))
    }

    fn usage(&self, object: &ObjectRef) -> Result<()> {
        if self
            .actor
            .has(self.roles(), AclTarget::Object(object.id), USAGE)?
        {
            return Ok(());
        }
        let what = format!(
            "{} \"{}\"",
            object_word(object.kind),
            qualified_text(self.namespace(), &object.name)
        );
        Err(denied(self.actor, &what, "USAGE"))
    }

    fn owns_named(&self, name: &ItemName, kind: ObjectKind) -> Result<()> {
        match self.object(name, kind)? {
            Some(object) => self.owner(&object),
            None => Ok(()),
        }
    }

    /// `USAGE` on every secret an option references.
    fn secrets_used<'o>(&self, options: impl IntoIterator<Item = &'o AwsOption>) -> Result<()> {
        for option in options {
            if let OptionValue::Secret(name) = &option.value
                && let Some(secret) = self.object(name, ObjectKind::Secret)?
            {
                self.usage(&secret)?;
            }
        }
        Ok(())
    }

    /// Membership of `role`, to give it objects (`OWNER TO`).
    fn member_of_role(&self, role: &Ident) -> Result<()> {
        let Some(target) = self.roles().by_name(role.as_str())? else {
            return Ok(());
        };
        if self.actor.acts_for(&target.id) {
            return Ok(());
        }
        Err(Diagnostic::error(
            SqlState::InsufficientPrivilege,
            format!("must be a member of {}", Ident::new(target.name.as_str())),
        )
        .into())
    }

    /// Roles may only be made or changed into superusers by superusers.
    fn role_options(&self, options: &[RoleOption], existing: Option<&RoleEntry>) -> Result<()> {
        let touches_superuser = options
            .iter()
            .any(|o| matches!(o, RoleOption::SuperUser(_)))
            || existing.is_some_and(|r| r.superuser);
        if touches_superuser && !self.actor.is_superuser() {
            return Err(superuser_only("create, alter or drop superusers"));
        }
        Ok(())
    }

    fn check(&self, statement: &Statement) -> Result<()> {
        match statement {
            Statement::CreateSecret(_) => self.schema_create(),
            Statement::AlterSecret(s) => self.owns_named(&s.name, ObjectKind::Secret),
            Statement::CreateConnection(c) => {
                self.schema_create()?;
                self.secrets_used(&c.options)
            }
            Statement::AlterConnection(a) => {
                self.owns_named(&a.name, ObjectKind::Connection)?;
                self.secrets_used(a.actions.iter().filter_map(|action| match action {
                    AlterConnectionAction::Set(option) => Some(option),
                    _ => None,
                }))
            }
            Statement::DropObjects(d) => {
                let kind = kind_of(d.object_type);
                for name in &d.names {
                    let Some(object) = self.object(name, kind)? else {
                        continue;
                    };
                    self.owner(&object)?;
                    // A cascade drops the connections that use the secret: those too.
                    if kind == ObjectKind::Secret && d.behavior == Some(ast::DropBehavior::Cascade)
                    {
                        for dependent in self.catalog.dependents(object.id.into())? {
                            self.owner(&dependent)?;
                        }
                    }
                }
                Ok(())
            }
            Statement::RenameObject(r) => self.owns_named(&r.name, kind_of(r.object_type)),
            Statement::Comment(c) => self.owns_named(&c.name, kind_of(c.object_type)),
            Statement::AlterOwner(a) => {
                self.owns_named(&a.name, kind_of(a.object_type))?;
                self.member_of_role(&a.new_owner)
            }
            Statement::ValidateConnection(v) => {
                match self.object(&v.name, ObjectKind::Connection)? {
                    Some(connection) => self.usage(&connection),
                    None => Ok(()),
                }
            }
            Statement::ShowCreateConnection(s) => {
                self.object(&s.name, ObjectKind::Connection).map(drop)
            }
            Statement::SelectFromShowCreate(s) => {
                self.object(&s.show.name, ObjectKind::Connection).map(drop)
            }
            Statement::AlterSystem(_) => {
                if self.actor.is_superuser() {
                    Ok(())
                } else {
                    Err(superuser_only("execute ALTER SYSTEM command"))
                }
            }
            Statement::CreateRole(r) => {
                self.createrole()?;
                self.role_options(&r.options, None)
            }
            Statement::AlterRole(r) => {
                self.createrole()?;
                let existing = self.roles().by_name(r.name.as_str())?;
                self.role_options(&r.options, existing.as_ref())
            }
            Statement::DropRoles(d) => {
                self.createrole()?;
                for name in &d.names {
                    let existing = self.roles().by_name(name.as_str())?;
                    self.role_options(&[], existing.as_ref())?;
                }
                Ok(())
            }
            Statement::GrantRole(_) => self.createrole(),
            Statement::GrantPrivileges(g) => self.check_grant(g),
            Statement::ShowObjects(_)
            | Statement::ShowVariable(_)
            | Statement::SetRole(_)
            | Statement::Sql(_) => Ok(()),
        }
    }

    fn check_grant(&self, g: &ast::GrantPrivileges) -> Result<()> {
        match &g.target {
            GrantTarget::Objects { object_type, names } => {
                for name in names {
                    self.owns_named(name, kind_of(*object_type))?;
                }
                Ok(())
            }
            GrantTarget::AllObjects { object_type, .. } => {
                self.schema_usage()?;
                let kind = kind_of(*object_type);
                for object in self.objects_of(kind)? {
                    self.owner(&object)?;
                }
                Ok(())
            }
            // mz_system owns the schema and the system: only superusers act for it.
            GrantTarget::Schemas(_) => {
                if self.actor.is_superuser() {
                    Ok(())
                } else {
                    Err(Diagnostic::error(
                        SqlState::InsufficientPrivilege,
                        format!(
                            "must be owner of SCHEMA {}.{}",
                            self.namespace().database,
                            self.namespace().schema
                        ),
                    )
                    .into())
                }
            }
            GrantTarget::System => {
                if self.actor.is_superuser() {
                    Ok(())
                } else {
                    Err(superuser_only("grant or revoke system privileges"))
                }
            }
        }
    }

    fn objects_of(&self, kind: ObjectKind) -> Result<Vec<ObjectRef>> {
        Ok(match kind {
            ObjectKind::Secret => self
                .catalog
                .secrets()?
                .into_iter()
                .map(|s| ObjectRef {
                    id: s.id.into(),
                    kind,
                    name: s.name,
                })
                .collect(),
            ObjectKind::Connection => self
                .catalog
                .connections()?
                .into_iter()
                .map(|c| ObjectRef {
                    id: c.id.into(),
                    kind,
                    name: c.name,
                })
                .collect(),
        })
    }
}

/// Whether `actor` may run `statement` on `catalog`; `Ok` when it may.
pub(crate) fn check(catalog: &Catalog, actor: &Actor, statement: &Statement) -> Result<()> {
    Checker { catalog, actor }.check(statement)
}

/// `USAGE` on connection `name`, for a credentials handle.
pub(crate) fn check_connection_usage(catalog: &Catalog, actor: &Actor, name: &Ident) -> Result<()> {
    let checker = Checker { catalog, actor };
    match checker.object(&ItemName::from(name.clone()), ObjectKind::Connection)? {
        Some(connection) => checker.usage(&connection),
        None => Ok(()),
    }
}

fn kind_of(object_type: ObjectType) -> ObjectKind {
    match object_type {
        ObjectType::Secret => ObjectKind::Secret,
        ObjectType::Connection => ObjectKind::Connection,
    }
}

// ---- the statements that change roles and privileges ---------------------------------

/// Whether `statement` is one [`execute`] runs.
pub(crate) fn is_privilege_statement(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::CreateRole(_)
            | Statement::AlterRole(_)
            | Statement::DropRoles(_)
            | Statement::GrantRole(_)
            | Statement::GrantPrivileges(_)
            | Statement::AlterOwner(_)
    )
}

/// Role names Airlock keeps for itself: PUBLIC and Materialize's `mz_`/`pg_` prefixes.
fn check_role_name(name: &Ident) -> Result<()> {
    if is_reserved(name.as_str()) {
        return Err(reserved(name.as_str()));
    }
    crate::execute::check_name(name)
}

fn is_reserved(name: &str) -> bool {
    name == "public" || name.starts_with("mz_") || name.starts_with("pg_")
}

/// Materialize's message for a system role's name.
fn reserved(name: &str) -> ExecError {
    Diagnostic::error(
        SqlState::InvalidName,
        format!("role name \"{name}\" is reserved"),
    )
    .with_detail("The role prefixes \"mz_\" and \"pg_\" are reserved for system roles.")
    .into()
}

fn unknown_role(name: &str) -> ExecError {
    Diagnostic::error(SqlState::UndefinedObject, format!("unknown role '{name}'")).into()
}

/// Attributes from options, refusing repeats and conflicts as PostgreSQL does, and
/// `NOINHERIT` as Materialize does.
fn attributes(options: &[RoleOption]) -> Result<RoleAttributes> {
    let mut attributes = RoleAttributes::default();
    let mut inherit = None;
    for option in options {
        let (slot, value) = match *option {
            RoleOption::SuperUser(v) => (&mut attributes.superuser, v),
            RoleOption::Login(v) => (&mut attributes.login, v),
            RoleOption::Inherit(v) => (&mut inherit, v),
        };
        if slot.is_some() {
            return Err(Diagnostic::error(
                SqlState::SyntaxError,
                "conflicting or redundant options",
            )
            .into());
        }
        *slot = Some(value);
    }
    if inherit == Some(false) {
        return Err(Diagnostic::error(
            SqlState::FeatureNotSupported,
            "NOINHERIT is not supported",
        )
        .with_detail("Roles always inherit the privileges of the roles they are members of, as in Materialize.")
        .into());
    }
    Ok(attributes)
}

/// Runs a statement that changes roles or privileges, already [`check`]ed.
pub(crate) fn execute(
    catalog: &mut Catalog,
    actor: &Actor,
    statement: Statement,
    notices: &mut Vec<Diagnostic>,
) -> Result<Response> {
    let namespace = catalog.namespace().clone();
    let mut txn = catalog.begin()?;
    let tag = match statement {
        Statement::CreateRole(r) => {
            check_role_name(&r.name)?;
            let attributes = attributes(&r.options)?;
            if txn.roles().by_name(r.name.as_str())?.is_some() {
                return Err(Diagnostic::error(
                    SqlState::DuplicateObject,
                    format!("role '{}' already exists", r.name.as_str()),
                )
                .into());
            }
            txn.create_role(r.name.as_str(), attributes)?;
            "CREATE ROLE"
        }
        Statement::AlterRole(r) => {
            let attributes = attributes(&r.options)?;
            let role = txn
                .roles()
                .by_name(r.name.as_str())?
                .ok_or_else(|| unknown_role(r.name.as_str()))?;
            if role.id.is_system() {
                return Err(reserved_role(&role));
            }
            txn.alter_role(&role.id, attributes)?;
            "ALTER ROLE"
        }
        Statement::DropRoles(d) => {
            let mut dropping = Vec::new();
            for name in &d.names {
                match txn.roles().by_name(name.as_str())? {
                    Some(role) => dropping.push(role),
                    None if d.if_exists => notices.push(Diagnostic::notice(format!(
                        "role \"{}\" does not exist, skipping",
                        name.as_str()
                    ))),
                    None => return Err(unknown_role(name.as_str())),
                }
            }
            for role in &dropping {
                if role.id.is_system() {
                    return Err(reserved_role(role));
                }
                if role.id == actor.role.id {
                    return Err(Diagnostic::error(
                        SqlState::ObjectInUse,
                        "current role cannot be dropped",
                    )
                    .into());
                }
                let mut depends: Vec<String> = txn
                    .roles()
                    .owned_by(&role.id)?
                    .iter()
                    .map(|o| {
                        format!(
                            "owner of {} {}",
                            o.kind,
                            qualified_text(&namespace, &o.name)
                        )
                    })
                    .collect();
                for object in txn.roles().granted_to(&role.id)? {
                    depends.push(format!(
                        "privileges for {} {}",
                        object.kind,
                        qualified_text(&namespace, &object.name)
                    ));
                }
                for (target, what) in [
                    (
                        AclTarget::Schema,
                        format!("schema {}.{}", namespace.database, namespace.schema),
                    ),
                    (AclTarget::System, "system".to_owned()),
                ] {
                    if txn
                        .roles()
                        .acl(target)?
                        .iter()
                        .any(|i| i.grantee == role.id)
                    {
                        depends.push(format!("privileges for {what}"));
                    }
                }
                if !depends.is_empty() {
                    let detail = depends.join("\n");
                    return Err(Diagnostic::error(
                        SqlState::DependentObjectsStillExist,
                        format!(
                            "role \"{}\" cannot be dropped because some objects depend on it",
                            role.name
                        ),
                    )
                    .with_detail(detail)
                    .with_hint(
                        "Give the objects another owner (ALTER ... OWNER TO) or drop them, and revoke the role's privileges first.",
                    )
                    .into());
                }
            }
            for role in &dropping {
                txn.drop_role(&role.id)?;
            }
            "DROP ROLE"
        }
        Statement::GrantRole(g) => {
            let roles = role_list(&txn, &g.roles)?;
            let members = role_list(&txn, &g.members)?;
            for role in &roles {
                for member in &members {
                    if g.revoke {
                        if !txn.revoke_membership(&role.id, &member.id)? {
                            notices.push(Diagnostic::notice(format!(
                                "role \"{}\" is not a member of role \"{}\"",
                                member.name, role.name
                            )));
                        }
                        continue;
                    }
                    // No cycles: the role may not already be (transitively) a member of
                    // the member, nor the member itself.
                    if role.id == member.id || txn.roles().member_of(&role.id)?.contains(&member.id)
                    {
                        return Err(Diagnostic::error(
                            SqlState::InvalidGrantOperation,
                            format!(
                                "role \"{}\" is a member of role \"{}\"",
                                role.name, member.name
                            ),
                        )
                        .into());
                    }
                    if !txn.grant_membership(&role.id, &member.id, &actor.role.id)? {
                        notices.push(Diagnostic::notice(format!(
                            "role \"{}\" is already a member of role \"{}\"",
                            member.name, role.name
                        )));
                    }
                }
            }
            if g.revoke {
                "REVOKE ROLE"
            } else {
                "GRANT ROLE"
            }
        }
        Statement::GrantPrivileges(g) => {
            grant_privileges(&mut txn, &namespace, &g)?;
            if g.revoke { "REVOKE" } else { "GRANT" }
        }
        Statement::AlterOwner(a) => {
            let kind = kind_of(a.object_type);
            let tag = match kind {
                ObjectKind::Secret => "ALTER SECRET",
                ObjectKind::Connection => "ALTER CONNECTION",
            };
            let name = unqualified(&a.name, &namespace)?;
            let Some(object) = lookup(&txn, name, kind, a.if_exists)? else {
                notices.push(does_not_exist_skipping(kind, name));
                return Ok(Response::command(tag));
            };
            let owner = txn
                .roles()
                .by_name(a.new_owner.as_str())?
                .ok_or_else(|| unknown_role(a.new_owner.as_str()))?;
            txn.set_owner(object.id, &owner.id)?;
            tag
        }
        other => {
            return Err(Diagnostic::error(
                SqlState::InternalError,
                format!("not a privilege statement: {}", other.to_redacted_string()),
            )
            .into());
        }
    };
    txn.commit()?;
    Ok(Response::command(tag))
}

fn reserved_role(role: &RoleEntry) -> ExecError {
    reserved(&role.name)
}

fn role_list(txn: &airlock_catalog::Txn<'_>, names: &[Ident]) -> Result<Vec<RoleEntry>> {
    names
        .iter()
        .map(|name| {
            txn.roles()
                .by_name(name.as_str())?
                .ok_or_else(|| unknown_role(name.as_str()))
        })
        .collect()
}

/// The privilege letters a `GRANT`/`REVOKE` names, checked against what `on` has.
fn letters(privileges: &Option<Vec<Privilege>>, on: &str, valid: &[Privilege]) -> Result<String> {
    let list = privileges.clone().unwrap_or_else(|| valid.to_vec());
    let invalid: Vec<&str> = list
        .iter()
        .filter(|p| !valid.contains(p))
        .map(|p| p.as_str())
        .collect();
    if !invalid.is_empty() {
        return Err(Diagnostic::error(
            SqlState::InvalidGrantOperation,
            format!("invalid privilege types {} for {on}", invalid.join(", ")),
        )
        .into());
    }
    Ok(list
        .iter()
        .map(|p| match p {
            Privilege::Usage => USAGE,
            Privilege::Create => CREATE,
            Privilege::CreateRole => CREATEROLE,
        })
        .collect())
}

fn grant_privileges(
    txn: &mut airlock_catalog::Txn<'_>,
    namespace: &Namespace,
    g: &ast::GrantPrivileges,
) -> Result<()> {
    let mut grantees = Vec::new();
    for grantee in &g.grantees {
        grantees.push(match grantee {
            Grantee::Public => RoleId::public(),
            Grantee::Role(name) => {
                let role = txn
                    .roles()
                    .by_name(name.as_str())?
                    .ok_or_else(|| unknown_role(name.as_str()))?;
                if role.id.is_system() {
                    return Err(reserved_role(&role));
                }
                role.id
            }
        });
    }
    // (target, grantor): objects are granted by their owner, the schema and the system
    // by mz_system, as PostgreSQL and Materialize record a superuser's grants.
    let mut targets: Vec<(AclTarget, RoleId)> = Vec::new();
    let privileges = match &g.target {
        GrantTarget::Objects { object_type, names } => {
            let kind = kind_of(*object_type);
            for name in names {
                let name = unqualified(name, namespace)?;
                let object = lookup(txn, name, kind, false)?.ok_or_else(|| {
                    Diagnostic::error(
                        SqlState::InternalError,
                        "lookup without IF EXISTS found nothing",
                    )
                })?;
                let on = format!(
                    "{} \"{}\"",
                    object_word(kind),
                    qualified_text(namespace, &object.name)
                );
                letters(&g.privileges, &on, &[Privilege::Usage])?;
                targets.push(owned_target(txn, object.id)?);
            }
            letters(&g.privileges, object_word(kind), &[Privilege::Usage])?
        }
        GrantTarget::AllObjects {
            object_type,
            schemas,
        } => {
            for schema in schemas {
                check_schema(schema, namespace)?;
            }
            let kind = kind_of(*object_type);
            let ids: Vec<ObjectId> = match kind {
                ObjectKind::Secret => txn.secrets()?.into_iter().map(|s| s.id.into()).collect(),
                ObjectKind::Connection => txn
                    .connections()?
                    .into_iter()
                    .map(|c| c.id.into())
                    .collect(),
            };
            for id in ids {
                targets.push(owned_target(txn, id)?);
            }
            letters(&g.privileges, object_word(kind), &[Privilege::Usage])?
        }
        GrantTarget::Schemas(schemas) => {
            for schema in schemas {
                check_schema(schema, namespace)?;
            }
            targets.push((AclTarget::Schema, RoleId::mz_system()));
            letters(
                &g.privileges,
                &schema_text(namespace),
                &[Privilege::Usage, Privilege::Create],
            )?
        }
        GrantTarget::System => {
            targets.push((AclTarget::System, RoleId::mz_system()));
            letters(&g.privileges, "SYSTEM", &[Privilege::CreateRole])?
        }
    };
    for (target, grantor) in targets {
        for grantee in &grantees {
            if g.revoke {
                txn.revoke(target, grantee, &privileges)?;
            } else {
                txn.grant(target, grantee, &grantor, &privileges)?;
            }
        }
    }
    Ok(())
}

fn owned_target(txn: &airlock_catalog::Txn<'_>, id: ObjectId) -> Result<(AclTarget, RoleId)> {
    let owner = txn.roles().owner(id)?.unwrap_or_else(RoleId::mz_system);
    Ok((AclTarget::Object(id), owner))
}

/// A schema name must be the catalog's one schema (Materialize's messages otherwise).
fn check_schema(schema: &ast::SchemaName, namespace: &Namespace) -> Result<()> {
    let item = ItemName {
        database: schema.database.clone(),
        schema: Some(schema.schema.clone()),
        name: Ident::new(""),
    };
    unqualified(&item, namespace).map(drop)
}

/// `SET ROLE name`: the session's user must be a superuser or a member of `name`
/// (PostgreSQL's rule: what counts is the session's user, not the current role).
pub(crate) fn check_set_role(
    catalog: &Catalog,
    session: &Actor,
    name: &Ident,
) -> std::result::Result<(), Diagnostic> {
    let target = catalog
        .roles()
        .by_name(name.as_str())
        .map_err(diagnostic)?
        .ok_or_else(|| {
            Diagnostic::error(
                SqlState::UndefinedObject,
                format!("role \"{}\" does not exist", name.as_str()),
            )
        })?;
    if session.acts_for(&target.id) {
        return Ok(());
    }
    Err(Diagnostic::error(
        SqlState::InsufficientPrivilege,
        format!("permission denied to set role \"{}\"", target.name),
    ))
}

/// Replaces `current_role`, `current_user` and `session_user` in a catalog query by the
/// role names they stand for (PostgreSQL's: `current_user` is the current role), so
/// that `SELECT current_role` and `WHERE owner_id = (SELECT id FROM mz_roles WHERE name
/// = current_user)` work.
pub(crate) fn substitute_session_roles(
    statement: &mut airlock_parser::ast::SqlStatement,
    current: &str,
    session: &str,
) {
    use airlock_parser::sqlparser::ast::{Expr, FunctionArguments, Value, VisitMut, VisitorMut};
    use std::ops::ControlFlow;

    struct Substitute<'a> {
        current: &'a str,
        session: &'a str,
    }
    impl VisitorMut for Substitute<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            let name = match &*expr {
                Expr::Identifier(ident) if ident.quote_style.is_none() => {
                    ident.value.to_ascii_lowercase()
                }
                Expr::Function(f)
                    if f.name.0.len() == 1 && matches!(&f.args, FunctionArguments::None) =>
                {
                    f.name.to_string().to_ascii_lowercase()
                }
                _ => return ControlFlow::Continue(()),
            };
            let value = match name.as_str() {
                "current_role" | "current_user" => self.current,
                "session_user" => self.session,
                _ => return ControlFlow::Continue(()),
            };
            *expr = Expr::Value(Value::SingleQuotedString(value.to_owned()).into());
            ControlFlow::Continue(())
        }
    }
    let _ = statement.visit(&mut Substitute { current, session });
}

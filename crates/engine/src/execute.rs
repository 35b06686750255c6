//! Executing planned statements: each DDL statement is one catalog transaction, so it
//! writes all of its rows or none.

use airlock_aws::endpoints::{self, EndpointError};
use airlock_aws::{
    AllowedEndpoints, EndpointUse, ResolvedAuth, ResolvedConnection, Status, ValidationReport,
};
use airlock_catalog::{
    Catalog, CatalogError, ConnectionEntry, DropBehavior, Namespace, NewConnection, ObjectKind,
    ObjectRef, Txn, Validation, ValidationStatus,
};
use airlock_core::aws::{AwsConnection, IamArn, expand_session_name};
use airlock_core::{Column, ColumnType, ConnectionId, Diagnostic, Rows, SecretId};
use airlock_parser::ast::{
    self, AlterConnectionAction, AwsOptionName, Ident, ItemName, ObjectType, Statement,
    SystemVariable,
};

use crate::error::{ExecError, MAX_NAME_BYTES, MAX_VALUE_BYTES, PlanError, Result};
use crate::like::Pattern;
use crate::plan::aws::{SecretResolver, options_of, plan_aws};
use crate::plan::secret::eval_secret;
use crate::query;
use crate::response::{Response, StatementResult};

/// Runs one statement against the catalog.
pub(crate) struct Executor<'a> {
    pub(crate) catalog: &'a mut Catalog,
    pub(crate) notices: Vec<Diagnostic>,
    /// The process's part of `aws_allowed_endpoints`; the catalog holds the rest.
    pub(crate) allowed: &'a AllowedEndpoints,
    /// The session's user, for `{user}` in `ASSUME ROLE SESSION NAME`.
    pub(crate) user: Option<&'a str>,
    /// The role that owns what the statement creates (`mz_system` when `None`).
    pub(crate) owner: Option<airlock_catalog::RoleId>,
}

/// Where a statement stands after [`Executor::execute`].
pub(crate) enum Step {
    Done(StatementResult),
    /// The statement needs AWS before it can finish: the caller validates without
    /// holding the catalog, then calls [`Executor::finish`].
    Validate(Pending),
}

/// A validation to run, and what to do with its report.
pub(crate) struct Pending {
    pub(crate) connection: ResolvedConnection,
    pub(crate) principal: Option<String>,
    after: After,
    notices: Vec<Diagnostic>,
}

enum After {
    /// `VALIDATE CONNECTION`: record the run, return the checks.
    Record(ConnectionId),
    /// `CREATE CONNECTION ... WITH (VALIDATE)`: create it under the id validated with.
    Create(Box<ast::CreateConnection>, ConnectionId),
    /// `ALTER CONNECTION ... WITH (VALIDATE)`: apply it.
    Alter(Box<ast::AlterConnection>),
}

/// A statement's own outcome, before notices are attached.
enum Flow {
    Respond(Response),
    Validate(ResolvedConnection, Option<String>, After),
}

impl From<Response> for Flow {
    fn from(response: Response) -> Flow {
        Flow::Respond(response)
    }
}

impl Executor<'_> {
    pub(crate) fn execute(mut self, statement: Statement) -> Result<Step> {
        let flow: Flow = match statement {
            Statement::CreateSecret(s) => self.create_secret(s)?.into(),
            Statement::AlterSecret(s) => self.alter_secret(s)?.into(),
            Statement::CreateConnection(c) => self.create_connection(c, None)?,
            Statement::AlterConnection(a) => self.alter_connection(a, false)?,
            Statement::DropObjects(d) => self.drop_objects(d)?.into(),
            Statement::RenameObject(r) => self.rename(r)?.into(),
            Statement::ValidateConnection(v) => self.validate(v)?,
            Statement::ShowObjects(s) => self.show_objects(s)?.into(),
            Statement::ShowCreateConnection(s) => self.show_create(s)?.into(),
            Statement::Comment(c) => self.comment(c)?.into(),
            Statement::SelectFromShowCreate(s) => self.select_from_show_create(s)?.into(),
            Statement::ShowVariable(s) => self.show_variable(s.variable)?.into(),
            Statement::AlterSystem(a) => self.alter_system(a)?.into(),
            // The session runs these (crate::privileges, SET ROLE) before any executor.
            Statement::CreateRole(_)
            | Statement::AlterRole(_)
            | Statement::DropRoles(_)
            | Statement::GrantRole(_)
            | Statement::GrantPrivileges(_)
            | Statement::AlterOwner(_)
            | Statement::SetRole(_) => {
                return Err(Diagnostic::error(
                    airlock_core::SqlState::InternalError,
                    "role and privilege statements are run by the session",
                )
                .into());
            }
            Statement::Sql(statement) => match (
                query::prepare(&statement, query::Target::of(&self.catalog.query_runner()))?,
                statement.as_ref(),
            ) {
                (Some(prepared), _) => Response::Rows(
                    self.catalog
                        .query_runner()
                        .query(&prepared.sql, &prepared.types, None)?
                        .into_rows(),
                )
                .into(),
                // `SHOW x` for a parameter that is not Airlock's: PostgreSQL's answer.
                (None, ast::SqlStatement::ShowVariable { variable }) => {
                    let name = variable
                        .iter()
                        .map(|i| i.value.to_lowercase())
                        .collect::<Vec<_>>()
                        .join(" ");
                    return Err(PlanError::UnknownParameter(name).into());
                }
                (None, _) => Response::PassThrough(statement).into(),
            },
        };
        Ok(match flow {
            Flow::Respond(response) => Step::Done(StatementResult {
                response,
                notices: self.notices,
            }),
            Flow::Validate(connection, principal, after) => Step::Validate(Pending {
                connection,
                principal,
                after,
                notices: self.notices,
            }),
        })
    }

    /// Completes a statement that waited for AWS.
    /// `endpoint`: where the checks went, recorded when it is not AWS.
    pub(crate) fn finish(
        mut self,
        pending: Pending,
        report: ValidationReport,
        endpoint: EndpointUse,
    ) -> Result<StatementResult> {
        self.notices = pending.notices;
        let response = match pending.after {
            After::Record(id) => {
                let mut txn = self.catalog.begin()?;
                txn.record_validation(&Validation {
                    connection_id: id,
                    status: match report.status {
                        Status::Ok => ValidationStatus::Ok,
                        Status::Failed => ValidationStatus::Failed,
                        // Only a check can be "not applicable", never a whole run; if
                        // one were, it proved nothing.
                        Status::Inconclusive | Status::NotApplicable => {
                            ValidationStatus::Inconclusive
                        }
                    },
                    caller_arn: report.caller_arn.clone(),
                    error_code: report.error_code.clone(),
                    message: report.message.clone(),
                    non_aws_endpoint: endpoint.non_aws().map(str::to_owned),
                })?;
                txn.commit()?;
                Response::Rows(checks(report)?)
            }
            After::Create(c, id) => {
                checks(report)?;
                match self.create_connection(*c, Some(id))? {
                    Flow::Respond(response) => response,
                    Flow::Validate(..) => {
                        unreachable!("a reserved id is only passed once validated")
                    }
                }
            }
            After::Alter(a) => {
                checks(report)?;
                match self.alter_connection(*a, true)? {
                    Flow::Respond(response) => response,
                    Flow::Validate(..) => unreachable!("validated alters do not validate again"),
                }
            }
        };
        Ok(StatementResult {
            response,
            notices: self.notices,
        })
    }

    /// A connection with its secrets read and its external ID, ready for AWS, carrying the
    /// catalog's part of `aws_allowed_endpoints`.
    pub(crate) fn resolve(
        &self,
        aws: &AwsConnection,
        id: ConnectionId,
        name: &str,
    ) -> Result<ResolvedConnection> {
        // The operator's gate is checked at every use, not only at CREATE: turning it off
        // stops the connections that already act as Airlock's own identity.
        if aws.uses_default_credentials() && !self.catalog.settings()?.aws_allow_default_credentials
        {
            return Err(PlanError::DefaultCredentialsDisabled(Some(name.to_owned())).into());
        }
        let mut resolved =
            ResolvedConnection::resolve(aws, self.catalog.external_id(id), |secret| {
                self.catalog.read_secret(secret)
            })?;
        // `{connection}` and `{user}` in the session name: what CloudTrail shows.
        if let ResolvedAuth::AssumeRole(target) = &mut resolved.auth
            && let Some(template) = &target.session_name
        {
            let expanded = expand_session_name(template, name, self.user).map_err(|reason| {
                ExecError::Diagnostic(
                    Diagnostic::error(
                        airlock_core::SqlState::InvalidParameterValue,
                        format!(
                            "invalid ASSUME ROLE SESSION NAME {template:?} of connection \"{name}\": {reason}"
                        ),
                    )
                    .with_hint("AWS takes 2 to 64 characters of letters, digits and +=,.@_- once {connection} and {user} are replaced: shorten the name, or use the placeholders only where the connection's name and the user fit."),
                )
            })?;
            target.session_name = Some(expanded);
        }
        Ok(resolved.with_allowed_endpoints(&self.catalog_allowed()?))
    }

    /// The catalog's `aws_allowed_endpoints` (stored normalized by `ALTER SYSTEM`).
    fn catalog_allowed(&self) -> Result<AllowedEndpoints> {
        let stored = self.catalog.settings()?.aws_allowed_endpoints;
        AllowedEndpoints::parse(stored.as_deref().unwrap_or("")).map_err(|reason| {
            ExecError::Diagnostic(
                Diagnostic::error(
                    airlock_core::SqlState::DataCorrupted,
                    "the catalog's aws_allowed_endpoints setting is not a list of endpoints",
                )
                .with_detail(reason)
                .with_hint("Set it again with ALTER SYSTEM SET aws_allowed_endpoints = '…'."),
            )
        })
    }

    /// The NOTICE for a connection whose `ENDPOINT` may not receive credentials yet: the
    /// statement succeeds (connections to emulators are created before anyone lists
    /// them), but VALIDATE and the credentials provider refuse it until an operator does.
    fn warn_if_endpoint_not_allowed(&mut self, name: &Ident, aws: &AwsConnection) -> Result<()> {
        let given = [
            (AwsOptionName::Endpoint, &aws.endpoint),
            (AwsOptionName::StsEndpoint, &aws.sts.endpoint),
        ];
        for (option, endpoint) in given {
            let Some(endpoint) = endpoint else {
                continue;
            };
            let allowed = self.allowed.union(&self.catalog_allowed()?);
            if let Err(EndpointError::NotAllowed { endpoint, .. }) =
                endpoints::check_endpoint_allowed(endpoint, &allowed)
            {
                self.notices.push(
                    Diagnostic::notice(format!(
                        "connection \"{}\" cannot be validated or used until its {option} is allowed",
                        name.as_str()
                    ))
                    .with_detail(format!(
                        "{endpoint} is not AWS STS and is not in aws_allowed_endpoints: Airlock sends no credentials there."
                    ))
                    .with_hint(endpoints::listing_hint(&endpoint)),
                );
            }
        }
        Ok(())
    }

    // ---- secrets ------------------------------------------------------------------------

    fn create_secret(&mut self, s: ast::CreateSecret) -> Result<Response> {
        let name = self.unqualified(&s.name)?;
        check_name(name)?;
        let value = eval_secret(s.value.expose_expr())?;
        let mut txn = self.catalog.begin()?;
        txn.act_as(
            self.owner
                .clone()
                .unwrap_or_else(airlock_catalog::RoleId::mz_system),
        );
        if let Some(existing) = txn.object_by_name(name.as_str())?
            && s.if_not_exists
        {
            self.notices.push(already_exists_skipping(&existing));
            return Ok(Response::command("CREATE SECRET"));
        }
        txn.create_secret_bytes(name.as_str(), &value)?;
        txn.commit()?;
        Ok(Response::command("CREATE SECRET"))
    }

    fn alter_secret(&mut self, s: ast::AlterSecret) -> Result<Response> {
        let name = self.unqualified(&s.name)?;
        let value = eval_secret(s.value.expose_expr())?;
        let mut txn = self.catalog.begin()?;
        let Some(secret) = lookup(&txn, name, ObjectKind::Secret, s.if_exists)? else {
            self.notices
                .push(does_not_exist_skipping(ObjectKind::Secret, name));
            return Ok(Response::command("ALTER SECRET"));
        };
        txn.rotate_secret_bytes(secret.id.into(), &value)?;
        txn.commit()?;
        Ok(Response::command("ALTER SECRET"))
    }

    // ---- connections --------------------------------------------------------------------

    /// `reserved`: the id the connection was validated under, on the second pass of
    /// `WITH (VALIDATE = true)`.
    fn create_connection(
        &mut self,
        c: ast::CreateConnection,
        reserved: Option<ConnectionId>,
    ) -> Result<Flow> {
        let name = self.unqualified(&c.name)?.clone();
        check_name(&name)?;
        let mut txn = self.catalog.begin()?;
        let aws = plan_aws(&c.options, &mut TxnSecrets::new(&txn))?;
        check_default_credentials_allowed(&txn, &aws)?;
        if let Some(existing) = txn.object_by_name(name.as_str())? {
            if c.if_not_exists {
                self.notices.push(already_exists_skipping(&existing));
                return Ok(Response::command("CREATE CONNECTION").into());
            }
            return Err(CatalogError::AlreadyExists {
                kind: existing.kind,
                name: existing.name,
            }
            .into());
        }
        if c.validate == Some(true) && reserved.is_none() {
            // The id is taken for good before its external ID leaves Airlock: a reused
            // id would hand a later connection an external ID this role was probed with.
            let principal = txn.settings()?.aws_principal;
            drop(txn);
            let id = ConnectionId::from(self.catalog.reserve_id()?);
            let resolved = self.resolve(&aws, id, name.as_str())?;
            return Ok(Flow::Validate(
                resolved,
                principal,
                After::Create(Box::new(c), id),
            ));
        }
        let (create_sql, redacted_create_sql) =
            connection_sql(&name, &aws, &mut TxnSecrets::new(&txn))?;
        txn.act_as(
            self.owner
                .clone()
                .unwrap_or_else(airlock_catalog::RoleId::mz_system),
        );
        let new = NewConnection {
            name: name.as_str(),
            aws: &aws,
            create_sql: &create_sql,
            redacted_create_sql: &redacted_create_sql,
        };
        match reserved {
            Some(id) => txn.insert_connection(id, &new)?,
            None => txn.create_connection(&new)?,
        };
        let principal_unset =
            aws.assume_role().is_some() && txn.settings()?.aws_principal.is_none();
        txn.commit()?;
        self.notices.extend(crate::plan::aws::notices(&aws));
        if principal_unset {
            self.notices.push(principal_unset_notice());
        }
        self.warn_if_endpoint_not_allowed(&name, &aws)?;
        Ok(Response::command("CREATE CONNECTION").into())
    }

    /// `validated`: the second pass of `WITH (VALIDATE = true)`, after the checks passed.
    fn alter_connection(&mut self, a: ast::AlterConnection, validated: bool) -> Result<Flow> {
        let name = self.unqualified(&a.name)?.clone();
        let mut txn = self.catalog.begin()?;
        let Some(object) = lookup(&txn, &name, ObjectKind::Connection, a.if_exists)? else {
            self.notices
                .push(does_not_exist_skipping(ObjectKind::Connection, &name));
            return Ok(Response::command("ALTER CONNECTION").into());
        };
        let id = ConnectionId::from(object.id);
        let entry = txn
            .connection(id)?
            .ok_or_else(|| unknown(ObjectKind::Connection, &name))?;

        // One statement may not both set and reset an option (Materialize lists every
        // such option), nor set or reset it twice.
        let set: Vec<AwsOptionName> = a
            .actions
            .iter()
            .filter(|action| matches!(action, AlterConnectionAction::Set(_)))
            .map(AlterConnectionAction::option_name)
            .collect();
        let reset: Vec<AwsOptionName> = a
            .actions
            .iter()
            .filter(|action| !matches!(action, AlterConnectionAction::Set(_)))
            .map(AlterConnectionAction::option_name)
            .collect();
        let mut both: Vec<AwsOptionName> =
            set.iter().filter(|n| reset.contains(n)).copied().collect();
        both.sort();
        both.dedup();
        if !both.is_empty() {
            return Err(PlanError::SetAndReset(both).into());
        }
        for list in [&set, &reset] {
            for (i, option) in list.iter().enumerate() {
                if list[..i].contains(option) {
                    return Err(PlanError::OptionRepeated(*option).into());
                }
            }
        }
        let mut options = options_of(&entry.aws, &mut TxnSecrets::new(&txn))?;
        options.retain(|o| !set.contains(&o.name) && !reset.contains(&o.name));
        options.extend(a.actions.iter().filter_map(|action| match action {
            AlterConnectionAction::Set(o) => Some(o.clone()),
            _ => None,
        }));
        options.sort_by_key(|o| AwsOptionName::ALL.iter().position(|n| *n == o.name));
        let aws = plan_aws(&options, &mut TxnSecrets::new(&txn))?;
        check_default_credentials_allowed(&txn, &aws)?;
        if a.validate == Some(true) && !validated {
            let principal = txn.settings()?.aws_principal;
            drop(txn);
            let resolved = self.resolve(&aws, id, name.as_str())?;
            return Ok(Flow::Validate(
                resolved,
                principal,
                After::Alter(Box::new(a)),
            ));
        }
        let (create_sql, redacted_create_sql) =
            connection_sql(&name, &aws, &mut TxnSecrets::new(&txn))?;
        txn.alter_connection(id, &aws, &create_sql, &redacted_create_sql)?;
        let principal_unset = aws.assume_role().is_some()
            && entry.aws.assume_role().is_none()
            && txn.settings()?.aws_principal.is_none();
        txn.commit()?;
        self.notices.extend(crate::plan::aws::notices(&aws));
        if principal_unset {
            self.notices.push(principal_unset_notice());
        }
        if aws.endpoint != entry.aws.endpoint || aws.sts.endpoint != entry.aws.sts.endpoint {
            self.warn_if_endpoint_not_allowed(&name, &aws)?;
        }
        Ok(Response::command("ALTER CONNECTION").into())
    }

    fn validate(&mut self, v: ast::ValidateConnection) -> Result<Flow> {
        let name = self.unqualified(&v.name)?.clone();
        let (entry, resolved, principal) = self.resolve_named(&name)?;
        Ok(Flow::Validate(resolved, principal, After::Record(entry.id)))
    }

    /// Connection `name` as the catalog holds it and ready for AWS, with the principal
    /// to act as.
    pub(crate) fn resolve_named(
        &self,
        name: &Ident,
    ) -> Result<(ConnectionEntry, ResolvedConnection, Option<String>)> {
        let entry = self.connection_named(name)?;
        let principal = self.catalog.settings()?.aws_principal;
        let resolved = self.resolve(&entry.aws, entry.id, &entry.name)?;
        Ok((entry, resolved, principal))
    }

    /// Connection `name`, or the error for a missing name or another kind of object.
    fn connection_named(&self, name: &Ident) -> Result<ConnectionEntry> {
        match self.catalog.connection_by_name(name.as_str())? {
            Some(entry) => Ok(entry),
            None => Err(match self.catalog.object_by_name(name.as_str())? {
                Some(other) => wrong_kind(&other, ObjectKind::Connection),
                None => unknown(ObjectKind::Connection, name),
            }),
        }
    }

    // ---- both kinds ---------------------------------------------------------------------

    fn drop_objects(&mut self, d: ast::DropObjects) -> Result<Response> {
        let kind = kind_of(d.object_type);
        let tag = match kind {
            ObjectKind::Secret => "DROP SECRET",
            ObjectKind::Connection => "DROP CONNECTION",
        };
        let namespace = self.catalog.namespace().clone();
        let mut txn = self.catalog.begin()?;
        let mut ids = Vec::new();
        for name in &d.names {
            let name = unqualified(name, &namespace)?;
            match lookup(&txn, name, kind, d.if_exists)? {
                Some(object) => ids.push(object.id),
                None => self.notices.push(does_not_exist_skipping(kind, name)),
            }
        }
        if ids.is_empty() {
            return Ok(Response::command(tag));
        }
        match kind {
            ObjectKind::Secret => {
                let behavior = match d.behavior {
                    Some(ast::DropBehavior::Cascade) => DropBehavior::Cascade,
                    _ => DropBehavior::Restrict,
                };
                let ids: Vec<SecretId> = ids.into_iter().map(SecretId::from).collect();
                let dropped = txn.drop_secrets(&ids, behavior)?;
                txn.commit()?;
                for connection in &dropped.connections {
                    self.notices.push(Diagnostic::notice(format!(
                        "drop cascades to connection \"{}\"",
                        connection.name
                    )));
                }
            }
            ObjectKind::Connection => {
                let ids: Vec<ConnectionId> = ids.into_iter().map(ConnectionId::from).collect();
                txn.drop_connections(&ids)?;
                txn.commit()?;
            }
        }
        Ok(Response::command(tag))
    }

    fn rename(&mut self, r: ast::RenameObject) -> Result<Response> {
        let namespace = self.catalog.namespace().clone();
        let name = unqualified(&r.name, &namespace)?.clone();
        check_name(&r.new_name)?;
        let kind = kind_of(r.object_type);
        let tag = match kind {
            ObjectKind::Secret => "ALTER SECRET",
            ObjectKind::Connection => "ALTER CONNECTION",
        };
        let mut txn = self.catalog.begin()?;
        let Some(object) = lookup(&txn, &name, kind, r.if_exists)? else {
            self.notices.push(does_not_exist_skipping(kind, &name));
            return Ok(Response::command(tag));
        };
        // Materialize's message for a name another object holds.
        if let Some(other) = txn.object_by_name(r.new_name.as_str())?
            && other.id != object.id
        {
            return Err(PlanError::NameTaken {
                name: r.new_name.as_str().to_owned(),
                schema: namespace.schema,
            }
            .into());
        }
        match kind {
            ObjectKind::Secret => {
                let id = SecretId::from(object.id);
                txn.rename_secret(id, r.new_name.as_str())?;
                // Connections print the secrets they use by name: reprint them.
                for dependent in txn.dependents(id)? {
                    let id = ConnectionId::from(dependent.id);
                    let entry = txn
                        .connection(id)?
                        .ok_or_else(|| unknown(ObjectKind::Connection, &name))?;
                    let (sql, redacted) = connection_sql(
                        &Ident::new(entry.name),
                        &entry.aws,
                        &mut TxnSecrets::new(&txn),
                    )?;
                    txn.set_connection_sql(id, &sql, &redacted)?;
                }
            }
            ObjectKind::Connection => {
                let id = ConnectionId::from(object.id);
                let entry = txn
                    .connection(id)?
                    .ok_or_else(|| unknown(ObjectKind::Connection, &name))?;
                let (sql, redacted) =
                    connection_sql(&r.new_name, &entry.aws, &mut TxnSecrets::new(&txn))?;
                txn.rename_connection(id, r.new_name.as_str(), &sql, &redacted)?;
            }
        }
        txn.commit()?;
        Ok(Response::command(tag))
    }

    // ---- SHOW and settings --------------------------------------------------------------

    fn show_objects(&mut self, s: ast::ShowObjects) -> Result<Response> {
        let pattern = s.like.as_deref().map(Pattern::new).transpose()?;
        let keep = |name: &str| pattern.as_ref().is_none_or(|p| p.matches(name));
        let rows = match s.object_type {
            // Materialize's columns; an object without a comment shows '' there.
            ObjectType::Connection => Rows {
                columns: vec![
                    Column::new("name", ColumnType::Text),
                    Column::new("type", ColumnType::Text),
                    Column::new("comment", ColumnType::Text),
                ],
                rows: self
                    .catalog
                    .connections()?
                    .into_iter()
                    .filter(|c| keep(&c.name))
                    .map(|c| {
                        vec![
                            Some(c.name),
                            Some("aws".to_owned()),
                            Some(c.comment.unwrap_or_default()),
                        ]
                    })
                    .collect(),
            },
            ObjectType::Secret => Rows {
                columns: vec![
                    Column::new("name", ColumnType::Text),
                    Column::new("comment", ColumnType::Text),
                ],
                rows: self
                    .catalog
                    .secrets()?
                    .into_iter()
                    .filter(|s| keep(&s.name))
                    .map(|s| vec![Some(s.name), Some(s.comment.unwrap_or_default())])
                    .collect(),
            },
        };
        Ok(Response::Rows(sorted(rows)))
    }

    /// Materialize's form: the qualified name, and the statement with qualified names
    /// and a closing `;`, printed from the connection as it is now (so a catalog written
    /// before names were qualified shows the same).
    fn show_create(&mut self, s: ast::ShowCreateConnection) -> Result<Response> {
        let namespace = self.catalog.namespace().clone();
        let name = unqualified(&s.name, &namespace)?.clone();
        let entry = self.connection_named(&name)?;
        let mut secrets = CatalogSecrets {
            catalog: self.catalog,
            namespace: &namespace,
        };
        let (full, redacted) =
            connection_sql(&Ident::new(entry.name.clone()), &entry.aws, &mut secrets)?;
        let sql = if s.redacted { redacted } else { full };
        Ok(Response::Rows(Rows {
            columns: vec![
                Column::new("name", ColumnType::Text),
                Column::new("create_sql", ColumnType::Text),
            ],
            rows: vec![vec![
                Some(qualified(&Ident::new(entry.name), &namespace).to_string()),
                Some(format!("{sql};")),
            ]],
        }))
    }

    /// `SELECT columns FROM (SHOW [REDACTED] CREATE CONNECTION name)`: the `SHOW`'s row,
    /// projected.
    fn select_from_show_create(&mut self, s: ast::SelectFromShowCreate) -> Result<Response> {
        let Response::Rows(rows) = self.show_create(s.show)? else {
            return Err(PlanError::Unsupported("SHOW CREATE returned no rows".to_owned()).into());
        };
        let Some(columns) = s.columns else {
            return Ok(Response::Rows(rows));
        };
        let mut picks = Vec::with_capacity(columns.len());
        for column in &columns {
            let at = rows
                .columns
                .iter()
                .position(|c| c.name == column.as_str())
                .ok_or_else(|| PlanError::UnknownColumn(column.as_str().to_owned()))?;
            picks.push(at);
        }
        Ok(Response::Rows(Rows {
            columns: picks.iter().map(|&i| rows.columns[i].clone()).collect(),
            rows: rows
                .rows
                .iter()
                .map(|row| picks.iter().map(|&i| row[i].clone()).collect())
                .collect(),
        }))
    }

    /// `COMMENT ON {SECRET | CONNECTION} name IS ...`.
    fn comment(&mut self, c: ast::Comment) -> Result<Response> {
        let name = self.unqualified(&c.name)?.clone();
        if c.comment
            .as_ref()
            .is_some_and(|t| t.len() > MAX_VALUE_BYTES)
        {
            return Err(PlanError::CommentTooLong.into());
        }
        let kind = kind_of(c.object_type);
        let mut txn = self.catalog.begin()?;
        let Some(object) = lookup(&txn, &name, kind, false)? else {
            return Err(unknown(kind, &name));
        };
        txn.set_comment(object.id, kind, c.comment.as_deref())?;
        txn.commit()?;
        Ok(Response::command("COMMENT"))
    }

    fn show_variable(&mut self, variable: SystemVariable) -> Result<Response> {
        let settings = self.catalog.settings()?;
        let value = match variable {
            SystemVariable::AwsPrincipal => settings.aws_principal,
            SystemVariable::AwsExternalIdPrefix => Some(settings.external_id_prefix.to_string()),
            // What is in force: the process's list and the catalog's.
            SystemVariable::AwsAllowedEndpoints => {
                Some(self.allowed.union(&self.catalog_allowed()?).to_setting())
            }
            SystemVariable::AwsAllowDefaultCredentials => Some(
                if settings.aws_allow_default_credentials {
                    "on"
                } else {
                    "off"
                }
                .to_owned(),
            ),
        };
        Ok(Response::Rows(Rows {
            columns: vec![Column::new(variable.as_str(), ColumnType::Text)],
            rows: vec![vec![value]],
        }))
    }

    fn alter_system(&mut self, a: ast::AlterSystem) -> Result<Response> {
        match SystemVariable::from_name(a.name.as_str()) {
            Some(SystemVariable::AwsPrincipal) => {}
            Some(SystemVariable::AwsAllowedEndpoints) => return self.set_allowed_endpoints(a),
            Some(SystemVariable::AwsAllowDefaultCredentials) => {
                return self.set_allow_default_credentials(a);
            }
            Some(SystemVariable::AwsExternalIdPrefix) => {
                return Err(PlanError::ReadOnlyParameter(a.name.into_string()).into());
            }
            None => return Err(PlanError::UnknownParameter(a.name.into_string()).into()),
        }
        if let Some(value) = &a.value {
            IamArn::parse_principal(value).map_err(|e| PlanError::InvalidParameterValue {
                name: a.name.as_str().to_owned(),
                value: value.clone(),
                reason: e.to_string(),
            })?;
        }
        let mut txn = self.catalog.begin()?;
        let previous = txn.settings()?.aws_principal;
        let rewritten = txn.set_aws_principal(a.value.as_deref())?;
        txn.commit()?;
        if previous != a.value && rewritten > 0 {
            let policies = if rewritten == 1 { "policy" } else { "policies" };
            self.notices.push(
                Diagnostic::notice(format!(
                    "the example trust {policies} of {rewritten} assume-role connection{} now name{} the new principal",
                    if rewritten == 1 { "" } else { "s" },
                    if rewritten == 1 { "s" } else { "" },
                ))
                .with_hint(
                    "Each role's trust policy in AWS must be updated to match before VALIDATE CONNECTION succeeds.",
                ),
            );
        }
        Ok(Response::command("ALTER SYSTEM"))
    }
}

impl Executor<'_> {
    /// `ALTER SYSTEM SET aws_allowed_endpoints = 'url, …'`: parsed, normalized and
    /// stored; `''`, `DEFAULT` and `RESET` leave the catalog listing none.
    fn set_allowed_endpoints(&mut self, a: ast::AlterSystem) -> Result<Response> {
        let list = match &a.value {
            Some(value) => AllowedEndpoints::parse(value).map_err(|reason| {
                PlanError::InvalidParameterValue {
                    name: a.name.as_str().to_owned(),
                    value: airlock_core::aws::redact_userinfo_list(value).into_owned(),
                    reason,
                }
            })?,
            None => AllowedEndpoints::none(),
        };
        let stored = (!list.is_empty()).then(|| list.to_setting());
        let mut txn = self.catalog.begin()?;
        txn.set_aws_allowed_endpoints(stored.as_deref())?;
        txn.commit()?;
        Ok(Response::command("ALTER SYSTEM"))
    }
}

impl Executor<'_> {
    /// `ALTER SYSTEM SET aws_allow_default_credentials = true | false` (PostgreSQL's
    /// boolean spellings); `DEFAULT` and `RESET` turn it off. Turning it on answers with
    /// a NOTICE of what it gives up; turning it off, with one naming how many existing
    /// connections are refused from now on.
    fn set_allow_default_credentials(&mut self, a: ast::AlterSystem) -> Result<Response> {
        let allow = match &a.value {
            None => false,
            Some(value) => parse_bool(value).ok_or_else(|| PlanError::InvalidParameterValue {
                name: a.name.as_str().to_owned(),
                value: value.clone(),
                reason: "expected a boolean: true or false (on, off, yes, no, 1, 0)".to_owned(),
            })?,
        };
        let mut txn = self.catalog.begin()?;
        let was = txn.settings()?.aws_allow_default_credentials;
        txn.set_aws_allow_default_credentials(allow)?;
        txn.commit()?;
        if allow {
            self.notices.push(default_credentials_notice());
        } else if was {
            let using = self
                .catalog
                .connections()?
                .iter()
                .filter(|c| c.aws.uses_default_credentials())
                .count();
            if using > 0 {
                self.notices.push(
                    Diagnostic::notice(format!(
                        "{using} connection{} with USE DEFAULT CREDENTIALS {} refused from now on",
                        if using == 1 { "" } else { "s" },
                        if using == 1 { "is" } else { "are" },
                    ))
                    .with_detail("Connections that use it stay in the catalog, but VALIDATE CONNECTION and credentials for them fail until aws_allow_default_credentials is turned on again.")
                    .with_hint("Move them to ASSUME ROLE ARN (ALTER CONNECTION name SET (ASSUME ROLE ARN = '...'), RESET (USE DEFAULT CREDENTIALS)), or drop them."),
                );
            }
        }
        Ok(Response::command("ALTER SYSTEM"))
    }
}

/// What enabling `aws_allow_default_credentials` gives up.
fn default_credentials_notice() -> Diagnostic {
    Diagnostic::notice(
        "connections may now act as Airlock's own AWS identity (USE DEFAULT CREDENTIALS)",
    )
    .with_detail("Such a connection uses the credentials Airlock itself runs with (its instance profile, task role, web identity or environment), so anyone who may create a connection can use all of Airlock's AWS permissions. It assumes no customer role and sends no external ID, so it has none of the confused-deputy protection of ASSUME ROLE ARN connections, and VALIDATE CONNECTION cannot check one.")
    .with_hint("Give Airlock's own identity only the permissions every connection creator may have, and prefer ASSUME ROLE ARN. ALTER SYSTEM RESET aws_allow_default_credentials turns this off again: existing connections that use it are then refused.")
}

/// PostgreSQL's spellings of a boolean setting.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// `USE DEFAULT CREDENTIALS` only while the operator allows it.
fn check_default_credentials_allowed(txn: &Txn<'_>, aws: &AwsConnection) -> Result<()> {
    if aws.uses_default_credentials() && !txn.settings()?.aws_allow_default_credentials {
        return Err(PlanError::DefaultCredentialsDisabled(None).into());
    }
    Ok(())
}

/// Resolves secret names inside a transaction.
struct TxnSecrets<'a, 'c> {
    txn: &'a Txn<'c>,
    namespace: Namespace,
}

impl<'a, 'c> TxnSecrets<'a, 'c> {
    fn new(txn: &'a Txn<'c>) -> Self {
        TxnSecrets {
            txn,
            namespace: txn.namespace().clone(),
        }
    }
}

impl SecretResolver for TxnSecrets<'_, '_> {
    fn resolve_secret(&mut self, name: &ItemName) -> Result<SecretId> {
        let bare = unqualified(name, &self.namespace)?;
        match self.txn.object_by_name(bare.as_str())? {
            Some(object) if object.kind == ObjectKind::Secret => Ok(SecretId::from(object.id)),
            // Materialize names the object qualified here.
            Some(object) => Err(PlanError::NotASecret(
                qualified(&Ident::new(object.name), &self.namespace).to_string(),
            )
            .into()),
            None => Err(unknown(ObjectKind::Secret, bare)),
        }
    }

    fn qualify(&self, name: &Ident) -> ItemName {
        qualified(name, &self.namespace)
    }

    fn secret_name(&mut self, id: SecretId) -> Result<ItemName> {
        match self.txn.secret(id)? {
            Some(secret) => Ok(qualified(&Ident::new(secret.name), &self.namespace)),
            None => Err(CatalogError::UnknownId {
                kind: ObjectKind::Secret,
                id: id.into(),
            }
            .into()),
        }
    }
}

/// Secret names outside a transaction, for printing only.
struct CatalogSecrets<'a> {
    catalog: &'a Catalog,
    namespace: &'a Namespace,
}

impl SecretResolver for CatalogSecrets<'_> {
    fn resolve_secret(&mut self, name: &ItemName) -> Result<SecretId> {
        let bare = unqualified(name, self.namespace)?;
        match self.catalog.secret_by_name(bare.as_str())? {
            Some(secret) => Ok(secret.id),
            None => Err(unknown(ObjectKind::Secret, bare)),
        }
    }

    fn qualify(&self, name: &Ident) -> ItemName {
        qualified(name, self.namespace)
    }

    fn secret_name(&mut self, id: SecretId) -> Result<ItemName> {
        match self.catalog.secret(id)? {
            Some(secret) => Ok(qualified(&Ident::new(secret.name), self.namespace)),
            None => Err(CatalogError::UnknownId {
                kind: ObjectKind::Secret,
                id: id.into(),
            }
            .into()),
        }
    }
}

/// `name` in the catalog's namespace: `database.schema.name`.
fn qualified(name: &Ident, namespace: &Namespace) -> ItemName {
    ItemName {
        database: Some(Ident::new(namespace.database.clone())),
        schema: Some(Ident::new(namespace.schema.clone())),
        name: name.clone(),
    }
}

/// The object name of a possibly qualified name, once its qualifiers are found to name
/// the catalog's namespace (Materialize's errors otherwise).
pub(crate) fn unqualified<'n>(name: &'n ItemName, namespace: &Namespace) -> Result<&'n Ident> {
    if let Some(database) = &name.database
        && database.as_str() != namespace.database
    {
        return Err(PlanError::UnknownDatabase(database.as_str().to_owned()).into());
    }
    if let Some(schema) = &name.schema
        && schema.as_str() != namespace.schema
    {
        return Err(PlanError::UnknownSchema(schema.as_str().to_owned()).into());
    }
    Ok(&name.name)
}

impl Executor<'_> {
    /// [`unqualified`] against this catalog's namespace.
    fn unqualified<'n>(&self, name: &'n ItemName) -> Result<&'n Ident> {
        unqualified(name, self.catalog.namespace())
    }
}

/// The statement that recreates a connection, full and redacted: options in canonical
/// order, secrets by name, never a secret value.
fn connection_sql(
    name: &Ident,
    aws: &AwsConnection,
    secrets: &mut dyn SecretResolver,
) -> Result<(String, String)> {
    let statement = Statement::CreateConnection(ast::CreateConnection {
        if_not_exists: false,
        name: secrets.qualify(name),
        options: options_of(aws, secrets)?,
        validate: None,
    });
    Ok((statement.to_string(), statement.to_redacted_string()))
}

/// Finds `name` as an object of `kind`. Missing: `Ok(None)` when `if_exists`, else an
/// error; of another kind: always an error.
pub(crate) fn lookup(
    txn: &Txn<'_>,
    name: &Ident,
    kind: ObjectKind,
    if_exists: bool,
) -> Result<Option<ObjectRef>> {
    match txn.object_by_name(name.as_str())? {
        Some(object) if object.kind == kind => Ok(Some(object)),
        Some(object) => Err(wrong_kind(&object, kind)),
        None if if_exists => Ok(None),
        None => Err(unknown(kind, name)),
    }
}

fn unknown(kind: ObjectKind, name: &Ident) -> ExecError {
    CatalogError::UnknownName {
        kind,
        name: name.as_str().to_owned(),
    }
    .into()
}

fn wrong_kind(object: &ObjectRef, expected: ObjectKind) -> ExecError {
    CatalogError::WrongKind {
        name: object.name.clone(),
        expected,
        found: object.kind,
    }
    .into()
}

fn already_exists_skipping(existing: &ObjectRef) -> Diagnostic {
    Diagnostic::notice(format!(
        "{} \"{}\" already exists, skipping",
        existing.kind, existing.name
    ))
}

pub(crate) fn does_not_exist_skipping(kind: ObjectKind, name: &Ident) -> Diagnostic {
    Diagnostic::notice(format!(
        "{kind} \"{}\" does not exist, skipping",
        name.as_str()
    ))
}

fn principal_unset_notice() -> Diagnostic {
    Diagnostic::notice("aws_principal is not set: the connection has an external ID but no principal or example trust policy yet")
        .with_hint("Set it with ALTER SYSTEM SET aws_principal = 'arn:aws:iam::<account>:role/<name>'.")
}

/// The checks of a passing report as rows; a failing report as its error (58000).
fn checks(report: ValidationReport) -> Result<Rows> {
    let report = report
        .into_result()
        .map_err(|e| ExecError::Diagnostic(Diagnostic::from(e)))?;
    Ok(Rows {
        columns: validate_columns(),
        rows: report
            .rows()
            .into_iter()
            .map(|row| row.into_iter().map(Some).collect())
            .collect(),
    })
}

/// The columns of `VALIDATE CONNECTION`'s result: one row per check.
pub(crate) fn validate_columns() -> Vec<Column> {
    ["check", "status", "detail"]
        .into_iter()
        .map(|name| Column::new(name, ColumnType::Text))
        .collect()
}

fn kind_of(object_type: ObjectType) -> ObjectKind {
    match object_type {
        ObjectType::Secret => ObjectKind::Secret,
        ObjectType::Connection => ObjectKind::Connection,
    }
}

/// The parser refuses longer names; a statement a host built goes through here too.
pub(crate) fn check_name(name: &Ident) -> Result<()> {
    if name.as_str().len() > MAX_NAME_BYTES {
        return Err(PlanError::NameTooLong.into());
    }
    Ok(())
}

fn sorted(mut rows: Rows) -> Rows {
    rows.rows.sort();
    rows
}

//! The embeddable façade: an [`Engine`] owns the catalog; [`Session`]s run SQL on it.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use airlock_aws::AllowedEndpoints;
use airlock_catalog::{Catalog, CatalogConfig, QueryRunner};
use airlock_core::{Diagnostic, SqlState};
use airlock_parser::Statement;
use airlock_parser::ast::{Ident, SetRole};
use airlock_parser::sqlparser::dialect::{Dialect, PostgreSqlDialect};

use crate::aws_client::{Aws, AwsSetup};
use crate::credentials::{CredentialsOptions, Registry};
use crate::error::ExecError;
use crate::execute::{Executor, Step};
use crate::hooks::{Authorizer, CancelHandle, Request};
use crate::privileges::{self, NewUsers};
use crate::response::StatementResult;
use crate::route::{Outcome, Owner};

/// The system's superuser, whom a session without a user acts as.
const MZ_SYSTEM: &str = "mz_system";

/// The most text one [`Session::execute`] call accepts: the parser's
/// [`MAX_INPUT_BYTES`](airlock_parser::MAX_INPUT_BYTES), the one bound every entry point
/// (the shell's `-c`, `-f`, standard input and prompt included) applies.
pub const MAX_SCRIPT_BYTES: usize = airlock_parser::MAX_INPUT_BYTES;

/// What the engine does with statements Airlock does not own (anything `sqlparser`
/// parses that is not Airlock's dialect or a catalog query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForeignStatements {
    /// Answer `feature not supported` (SQLSTATE 0A000): the standalone engine.
    #[default]
    Reject,
    /// Return them as [`crate::Response::PassThrough`] for the host to run: an embedded engine.
    ReturnToHost,
}

/// How to open an engine.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    pub catalog: CatalogConfig,
    pub foreign_statements: ForeignStatements,
    /// How `VALIDATE CONNECTION` and credentials handles reach AWS.
    pub aws: AwsSetup,
    /// The `sqlparser` dialect the host's statements are parsed with (PostgreSQL's when
    /// `None`). Airlock's own statements parse the same under every dialect.
    pub dialect: Option<Arc<dyn Dialect + Send + Sync>>,
    /// How credentials handles cache, refresh and refuse.
    pub credentials: CredentialsOptions,
    /// The host's privilege check before each of Airlock's statements.
    pub authorizer: Option<Arc<dyn Authorizer>>,
    /// The process's `aws_allowed_endpoints`: endpoints beyond AWS STS that may receive
    /// credentials (the `airlock` binary's `--aws-allowed-endpoints` flag or
    /// `AIRLOCK_AWS_ALLOWED_ENDPOINTS`). The effective list is this one, the
    /// `AwsConfig`'s own list, and the catalog's (`ALTER SYSTEM SET
    /// aws_allowed_endpoints`) together.
    pub aws_allowed_endpoints: AllowedEndpoints,
    /// What a session's user ([`Engine::session_for`]) that is not yet a role becomes
    /// (see `docs/privileges.md`).
    pub new_users: NewUsers,
}

/// An open catalog and what runs on it. Cheap to clone; clones share the catalog.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    /// Dropped before the catalog (fields drop in order): its read-only monitor
    /// connection must not be the file's last, or SQLite leaves the WAL files behind.
    registry: Registry,
    /// The catalog's read-only query connections, used without the catalog's lock
    /// (dropped before the catalog, for the same reason).
    queries: QueryRunner,
    catalog: Mutex<Catalog>,
    foreign_statements: ForeignStatements,
    aws: Aws,
    dialect: Arc<dyn Dialect + Send + Sync>,
    authorizer: Option<Arc<dyn Authorizer>>,
    new_users: NewUsers,
}

impl Engine {
    /// Opens (creating if missing) the catalog at `path`; `:memory:` for a throwaway one.
    pub fn open(path: impl AsRef<Path>, config: EngineConfig) -> Result<Engine, Diagnostic> {
        let catalog =
            Catalog::open(path, config.catalog.clone()).map_err(|e| Diagnostic::from_error(&e))?;
        Ok(Engine::from_catalog(catalog, config))
    }

    /// An engine over a catalog the host opened itself (e.g. with its own secret store).
    pub fn with_catalog(
        catalog: Catalog,
        foreign_statements: ForeignStatements,
        aws: AwsSetup,
    ) -> Engine {
        Engine::from_catalog(
            catalog,
            EngineConfig {
                foreign_statements,
                aws,
                ..EngineConfig::default()
            },
        )
    }

    /// An engine over a catalog the host opened itself, with every other setting of
    /// `config` (its `catalog` field is not used).
    pub fn from_catalog(catalog: Catalog, config: EngineConfig) -> Engine {
        let registry = Registry::new(&catalog, config.credentials);
        Engine {
            inner: Arc::new(Inner {
                queries: catalog.query_runner(),
                catalog: Mutex::new(catalog),
                foreign_statements: config.foreign_statements,
                aws: Aws::new(config.aws, &config.aws_allowed_endpoints),
                dialect: config
                    .dialect
                    .unwrap_or_else(|| Arc::new(PostgreSqlDialect {})),
                registry,
                authorizer: config.authorizer,
                new_users: config.new_users,
            }),
        }
    }

    /// A new session, with no user (an [`Authorizer`] sees `user: None`). It acts as
    /// `mz_system`, the system's superuser: the host's own administration.
    pub fn session(&self) -> Session {
        Session {
            engine: self.clone(),
            user: None,
            role: Arc::default(),
            resolved: Arc::default(),
            cancel: CancelHandle::default(),
        }
    }

    /// A new session bound to the host's user `user`, whom the [`Authorizer`] is asked
    /// about. It acts as the role of that name (see [`EngineConfig::new_users`] for a
    /// user that is not a role yet), whose privileges decide what it may do.
    pub fn session_for(&self, user: impl Into<String>) -> Session {
        Session {
            user: Some(user.into()),
            ..self.session()
        }
    }

    pub(crate) fn foreign_statements(&self) -> ForeignStatements {
        self.inner.foreign_statements
    }

    pub(crate) fn dialect(&self) -> &dyn Dialect {
        &*self.inner.dialect
    }

    pub(crate) fn query_runner(&self) -> &QueryRunner {
        &self.inner.queries
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    pub(crate) fn aws(&self) -> &Aws {
        &self.inner.aws
    }

    /// The catalog, for a short read or write. A panic while holding the lock cannot
    /// leave the catalog half-written (every write is a SQLite transaction), so a
    /// poisoned lock is safe to take over.
    pub(crate) fn lock_catalog(&self) -> std::sync::MutexGuard<'_, Catalog> {
        self.inner
            .catalog
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The standalone engine's answer to a statement that is not Airlock's.
pub(crate) fn not_supported() -> Diagnostic {
    Diagnostic::error(SqlState::FeatureNotSupported, "statement not supported").with_detail(
        "Airlock runs its own statements (CREATE, ALTER and DROP of SECRET and CONNECTION, VALIDATE CONNECTION, SHOW, ALTER SYSTEM) and read-only SELECTs over the catalog.",
    )
}

/// Runs SQL on an [`Engine`]'s catalog. Clones share the user, the role `SET ROLE`
/// chose and the cancel handle.
#[derive(Debug, Clone)]
pub struct Session {
    pub(crate) engine: Engine,
    user: Option<String>,
    /// The role `SET ROLE` chose; the user's own when `None`. Shared by clones, as the
    /// user is (a server answers each query on a clone of the connection's session).
    role: Arc<Mutex<Option<String>>>,
    /// The role this session last read from the catalog (and made, for a new user): a
    /// catalog query needs only its name, so it does not read it again (on a PostgreSQL
    /// catalog that is two round trips under the engine's lock per query).
    resolved: Arc<Mutex<Option<String>>>,
    cancel: CancelHandle,
}

impl Session {
    /// Runs a script of `;`-separated statements: the whole text is parsed first (a
    /// syntax error runs nothing, as in a PostgreSQL simple query), then the statements
    /// run in order until one fails. Unlike a simple query, the script is not one
    /// transaction: each statement commits as it finishes, and those before a failure
    /// stay committed (see `docs/architecture.md`). The result has one entry per
    /// statement run; only the last can be an error.
    ///
    /// The host's statements come back as [`crate::Response::PassThrough`], in their place;
    /// a host that must run them *between* Airlock's uses [`Session::statements`].
    pub fn execute(&mut self, sql: &str) -> Vec<Result<StatementResult, Diagnostic>> {
        self.statements(sql)
            .map(|routed| {
                routed
                    .map(|r| r.outcome.into_result())
                    .map_err(Diagnostic::from)
            })
            .collect()
    }

    /// The user this session is bound to, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The role the session acts as: the one `SET ROLE` chose, else its user, else
    /// `mz_system` (PostgreSQL's `current_role`).
    pub fn current_role(&self) -> String {
        self.chosen_role()
            .or_else(|| self.user.clone())
            .unwrap_or_else(|| MZ_SYSTEM.to_owned())
    }

    fn chosen_role(&self) -> Option<String> {
        self.role
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The role the session acts as, read from the catalog (a user that is not a role
    /// yet becomes one, as [`EngineConfig::new_users`] says).
    fn actor(&self) -> Result<privileges::Actor, Diagnostic> {
        let mut catalog = self.engine.lock_catalog();
        let actor = privileges::actor(
            &mut catalog,
            &self.current_role(),
            self.chosen_role().is_none(),
            self.engine.inner.new_users,
        )?;
        *self.resolved.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(actor.role.name.clone());
        Ok(actor)
    }

    /// The name of the role the session acts as, read from the catalog only if this
    /// session has not read it since it last changed role.
    fn resolved_role(&self) -> Result<String, Diagnostic> {
        let name = self.current_role();
        let known = self
            .resolved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
            == Some(name.as_str());
        if known {
            return Ok(name);
        }
        Ok(self.actor()?.role.name)
    }

    /// `SET ROLE` and `RESET ROLE`.
    fn set_role(&mut self, set: &SetRole) -> Result<StatementResult, Diagnostic> {
        if let Some(name) = &set.role {
            let session_user = self.user.as_deref().unwrap_or(MZ_SYSTEM);
            let mut catalog = self.engine.lock_catalog();
            let session = privileges::actor(
                &mut catalog,
                session_user,
                true,
                self.engine.inner.new_users,
            )?;
            privileges::check_set_role(&catalog, &session, name)?;
        }
        *self.role.lock().unwrap_or_else(PoisonError::into_inner) =
            set.role.as_ref().map(|r| r.as_str().to_owned());
        Ok(StatementResult {
            response: crate::Response::command("SET"),
            notices: Vec::new(),
        })
    }

    /// [`Engine::credentials`] for this session's role, which needs `USAGE` on the
    /// connection.
    pub fn credentials(&self, name: &str) -> Result<crate::CredentialsHandle, Diagnostic> {
        let actor = self.actor()?;
        let folded = crate::credentials::fold_name(name)?;
        {
            let catalog = self.engine.lock_catalog();
            privileges::check_connection_usage(&catalog, &actor, &Ident::new(folded))
                .map_err(ExecError::into_diagnostic)?;
        }
        self.engine.credentials_as(name, self.user.clone())
    }

    /// A handle that cancels this session's script from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// An AWS SDK configuration that acts through connection `name`: its region and
    /// endpoint, and credentials that are the assumed role with the connection's external
    /// ID (or its access keys), cached and refreshed by the SDK before they expire. For
    /// hosts that use connections to reach AWS services.
    pub fn aws_sdk_config(&mut self, name: &str) -> Result<aws_config::SdkConfig, Diagnostic> {
        let actor = self.actor()?;
        let inner = &self.engine.inner;
        let (_, connection, principal) = {
            let mut catalog = inner.catalog.lock().unwrap_or_else(PoisonError::into_inner);
            privileges::check_connection_usage(&catalog, &actor, &Ident::new(name))
                .map_err(ExecError::into_diagnostic)?;
            Executor {
                catalog: &mut catalog,
                notices: Vec::new(),
                allowed: inner.aws.allowed_endpoints(),
                user: self.user.as_deref(),
                owner: None,
            }
            .resolve_named(&Ident::new(name))
            .map_err(ExecError::into_diagnostic)?
        };
        inner.aws.sdk_config(&connection, principal.as_deref())
    }

    /// Copies the catalog to a new file `dest` while others may keep using it (SQLite's
    /// online backup), with its key file beside it: see [`Catalog::backup`].
    pub fn backup(&mut self, dest: &Path) -> Result<(), Diagnostic> {
        let inner = &self.engine.inner;
        let catalog = inner.catalog.lock().unwrap_or_else(PoisonError::into_inner);
        catalog.backup(dest).map_err(|e| Diagnostic::from_error(&e))
    }

    /// Runs one parsed statement (the engine's input checks apply to it as to text).
    pub fn execute_statement(
        &mut self,
        statement: Statement,
    ) -> Result<StatementResult, Diagnostic> {
        // A statement a host built never went through the text checks.
        airlock_parser::check_statement(&statement).map_err(|e| Diagnostic::from_error(&e))?;
        self.cancel.reset();
        let owner = crate::route::classify(&statement, self.engine.foreign_statements());
        self.run_routed(statement, owner).map(Outcome::into_result)
    }

    /// Runs a routed statement: the host's is returned (or refused by a standalone
    /// engine); Airlock's is authorized and run.
    pub(crate) fn run_routed(
        &mut self,
        statement: Statement,
        owner: Owner,
    ) -> Result<Outcome, Diagnostic> {
        self.cancel.check()?;
        match (owner, self.engine.foreign_statements()) {
            (Owner::Host, ForeignStatements::Reject) => return Err(not_supported()),
            (Owner::Host, ForeignStatements::ReturnToHost) => {
                return match statement {
                    Statement::Sql(sql) => Ok(Outcome::Host(sql)),
                    _ => unreachable!("only pass-through statements are the host's"),
                };
            }
            _ => {}
        }
        if let Some(authorizer) = &self.engine.inner.authorizer {
            authorizer.authorize(&Request {
                user: self.user.as_deref(),
                owner,
                statement: &statement,
            })?;
        }
        if let Statement::SetRole(set) = &statement {
            return self.set_role(set).map(Outcome::Done);
        }
        if owner == Owner::Catalog {
            let role = self.resolved_role()?;
            return self.run_query(statement, &role).map(Outcome::Done);
        }
        let actor = self.actor()?;
        let result = self.run_airlock(statement, &actor);
        self.engine.registry().note_write();
        result.map(Outcome::Done)
    }

    /// Runs a catalog query on a read-only connection of its own, without the catalog's
    /// lock: other sessions' statements and credentials lookups go on meanwhile, and
    /// this session's cancel stops it.
    fn run_query(
        &mut self,
        statement: Statement,
        role: &str,
    ) -> Result<StatementResult, Diagnostic> {
        let mut statement = statement;
        if let Statement::Sql(sql) = &mut statement {
            let session_user = self.user.clone().unwrap_or_else(|| MZ_SYSTEM.to_owned());
            privileges::substitute_session_roles(sql, role, &session_user);
        }
        let Statement::Sql(sql) = &statement else {
            let actor = self.actor()?;
            return self.run_airlock(statement, &actor);
        };
        let Some(prepared) =
            crate::query::prepare(sql, crate::query::Target::of(self.engine.query_runner()))
                .map_err(ExecError::into_diagnostic)?
        else {
            let actor = self.actor()?;
            return self.run_airlock(statement, &actor);
        };
        let result = self.engine.query_runner().query(
            &prepared.sql,
            &prepared.types,
            Some(self.cancel.flag()),
        );
        match result {
            Ok(result) => Ok(StatementResult {
                response: crate::Response::Rows(result.into_rows()),
                notices: Vec::new(),
            }),
            Err(e) => {
                // The cancel is spent on this query.
                if matches!(e, airlock_catalog::CatalogError::QueryCanceled) {
                    self.cancel.reset();
                }
                Err(ExecError::from(e).into_diagnostic())
            }
        }
    }

    /// Runs one of Airlock's statements on the catalog, once `actor` may (checked under
    /// the same hold of the catalog as the statement's first step).
    fn run_airlock(
        &mut self,
        statement: Statement,
        actor: &privileges::Actor,
    ) -> Result<StatementResult, Diagnostic> {
        let inner = &self.engine.inner;
        let lock = || self.engine.lock_catalog();
        let mut catalog = lock();
        privileges::check(&catalog, actor, &statement).map_err(ExecError::into_diagnostic)?;
        if privileges::is_privilege_statement(&statement) {
            let mut notices = Vec::new();
            let response = privileges::execute(&mut catalog, actor, statement, &mut notices)
                .map_err(ExecError::into_diagnostic)?;
            return Ok(StatementResult { response, notices });
        }
        let step = Executor {
            catalog: &mut catalog,
            notices: Vec::new(),
            allowed: inner.aws.allowed_endpoints(),
            user: self.user.as_deref(),
            owner: Some(actor.role.id.clone()),
        }
        .execute(statement)
        .map_err(ExecError::into_diagnostic)?;
        drop(catalog);
        let result = match step {
            Step::Done(result) => result,
            Step::Validate(pending) => {
                // AWS calls take up to the configured timeout: the catalog stays free for
                // other sessions meanwhile.
                let (report, endpoint) = inner.aws.validate(
                    &pending.connection,
                    pending.principal.as_deref(),
                    &self.cancel,
                )?;
                Executor {
                    catalog: &mut lock(),
                    notices: Vec::new(),
                    allowed: inner.aws.allowed_endpoints(),
                    user: self.user.as_deref(),
                    owner: Some(actor.role.id.clone()),
                }
                .finish(pending, report, endpoint)
                .map_err(ExecError::into_diagnostic)?
            }
        };
        Ok(result)
    }
}

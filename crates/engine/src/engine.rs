//! The embeddable façade: an [`Engine`] owns the catalog; [`Session`]s run SQL on it.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use airlock_catalog::{Catalog, CatalogConfig};
use airlock_core::{Diagnostic, SqlState};
use airlock_parser::Statement;
use airlock_parser::ast::Ident;

use crate::aws_client::{Aws, AwsSetup};
use crate::error::ExecError;
use crate::execute::{Executor, Step};
use crate::response::{Response, StatementResult};

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
    /// Return them as [`Response::PassThrough`] for the host to run: an embedded engine.
    ReturnToHost,
}

/// How to open an engine.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    pub catalog: CatalogConfig,
    pub foreign_statements: ForeignStatements,
    /// How `VALIDATE CONNECTION` reaches AWS.
    pub aws: AwsSetup,
}

/// An open catalog and what runs on it. Cheap to clone; clones share the catalog.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    catalog: Mutex<Catalog>,
    foreign_statements: ForeignStatements,
    aws: Aws,
}

impl Engine {
    /// Opens (creating if missing) the catalog at `path`; `:memory:` for a throwaway one.
    pub fn open(path: impl AsRef<Path>, config: EngineConfig) -> Result<Engine, Diagnostic> {
        let catalog =
            Catalog::open(path, config.catalog).map_err(|e| Diagnostic::from_error(&e))?;
        Ok(Engine::with_catalog(
            catalog,
            config.foreign_statements,
            config.aws,
        ))
    }

    /// An engine over a catalog the host opened itself (e.g. with its own secret store).
    pub fn with_catalog(
        catalog: Catalog,
        foreign_statements: ForeignStatements,
        aws: AwsSetup,
    ) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                catalog: Mutex::new(catalog),
                foreign_statements,
                aws: Aws::new(aws),
            }),
        }
    }

    /// A new session.
    pub fn session(&self) -> Session {
        Session {
            engine: self.clone(),
        }
    }
}

/// Runs SQL on an [`Engine`]'s catalog.
#[derive(Debug, Clone)]
pub struct Session {
    engine: Engine,
}

impl Session {
    /// Runs a script of `;`-separated statements: the whole text is parsed first (a
    /// syntax error runs nothing, as in a PostgreSQL simple query), then the statements
    /// run in order until one fails. Unlike a simple query, the script is not one
    /// transaction: each statement commits as it finishes, and those before a failure
    /// stay committed (see `docs/architecture.md`). The result has one entry per
    /// statement run; only the last can be an error.
    pub fn execute(&mut self, sql: &str) -> Vec<Result<StatementResult, Diagnostic>> {
        if let Err(e) = airlock_parser::check_text(sql) {
            return vec![Err(Diagnostic::from_error(&e))];
        }
        let statements = match airlock_parser::parse_statements(sql) {
            Ok(statements) => statements,
            Err(e) => return vec![Err(Diagnostic::from_error(&e))],
        };
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            let result = self.run_statement(statement);
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        results
    }

    /// An AWS SDK configuration that acts through connection `name`: its region and
    /// endpoint, and credentials that are the assumed role with the connection's external
    /// ID (or its access keys), cached and refreshed by the SDK before they expire. For
    /// hosts that use connections to reach AWS services.
    pub fn aws_sdk_config(&mut self, name: &str) -> Result<aws_config::SdkConfig, Diagnostic> {
        let inner = &self.engine.inner;
        let (_, connection, principal) = {
            let mut catalog = inner.catalog.lock().unwrap_or_else(PoisonError::into_inner);
            Executor {
                catalog: &mut catalog,
                notices: Vec::new(),
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

    /// Runs one parsed statement.
    pub fn execute_statement(
        &mut self,
        statement: Statement,
    ) -> Result<StatementResult, Diagnostic> {
        // A statement a host built never went through `execute`'s text checks.
        airlock_parser::check_statement(&statement).map_err(|e| Diagnostic::from_error(&e))?;
        self.run_statement(statement)
    }

    fn run_statement(&mut self, statement: Statement) -> Result<StatementResult, Diagnostic> {
        let inner = &self.engine.inner;
        // A panic while holding the lock cannot leave the catalog half-written (every
        // write is a SQLite transaction), so a poisoned lock is safe to take over.
        let lock = || inner.catalog.lock().unwrap_or_else(PoisonError::into_inner);
        let step = Executor {
            catalog: &mut lock(),
            notices: Vec::new(),
        }
        .execute(statement)
        .map_err(ExecError::into_diagnostic)?;
        let result = match step {
            Step::Done(result) => result,
            Step::Validate(pending) => {
                // AWS calls take up to the configured timeout: the catalog stays free for
                // other sessions meanwhile.
                let report = inner
                    .aws
                    .validate(&pending.connection, pending.principal.as_deref())?;
                Executor {
                    catalog: &mut lock(),
                    notices: Vec::new(),
                }
                .finish(pending, report)
                .map_err(ExecError::into_diagnostic)?
            }
        };
        match (&result.response, inner.foreign_statements) {
            (Response::PassThrough(_), ForeignStatements::Reject) => Err(Diagnostic::error(
                SqlState::FeatureNotSupported,
                "statement not supported",
            )
            .with_detail(
                "Airlock runs its own statements (CREATE, ALTER and DROP of SECRET and CONNECTION, VALIDATE CONNECTION, SHOW, ALTER SYSTEM) and read-only SELECTs over the catalog.",
            )),
            _ => Ok(result),
        }
    }
}

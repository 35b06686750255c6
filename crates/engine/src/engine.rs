//! The embeddable façade: an [`Engine`] owns the catalog; [`Session`]s run SQL on it.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use airlock_aws::AllowedEndpoints;
use airlock_catalog::{Catalog, CatalogConfig};
use airlock_core::{Diagnostic, SqlState};
use airlock_parser::Statement;
use airlock_parser::ast::Ident;

use crate::aws_client::{Aws, AwsSetup};
use crate::error::ExecError;
use crate::execute::{Executor, Step};
use crate::response::{Response, StatementResult};

/// The most text one [`Session::execute`] call accepts. The parser holds every token of
/// its input at once (about 60 bytes a token), so this bounds its memory: 4 MiB of
/// `(((…` is some 250 MB of tokens. Real statements are a few hundred bytes.
pub const MAX_SCRIPT_BYTES: usize = 4 << 20;

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
    /// The process's `aws_allowed_endpoints`: endpoints beyond AWS STS that may receive
    /// credentials (the `airlock` binary's `--aws-allowed-endpoints` flag or
    /// `AIRLOCK_AWS_ALLOWED_ENDPOINTS`). The effective list is this one, the
    /// `AwsConfig`'s own list, and the catalog's (`ALTER SYSTEM SET
    /// aws_allowed_endpoints`) together.
    pub aws_allowed_endpoints: AllowedEndpoints,
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
        Ok(Engine::build(
            catalog,
            config.foreign_statements,
            config.aws,
            &config.aws_allowed_endpoints,
        ))
    }

    /// An engine over a catalog the host opened itself (e.g. with its own secret store).
    pub fn with_catalog(
        catalog: Catalog,
        foreign_statements: ForeignStatements,
        aws: AwsSetup,
    ) -> Engine {
        Engine::build(catalog, foreign_statements, aws, &AllowedEndpoints::none())
    }

    fn build(
        catalog: Catalog,
        foreign_statements: ForeignStatements,
        aws: AwsSetup,
        allowed: &AllowedEndpoints,
    ) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                catalog: Mutex::new(catalog),
                foreign_statements,
                aws: Aws::new(aws, allowed),
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
    /// Runs a script of `;`-separated statements, like one PostgreSQL simple-query
    /// message: the whole text is parsed first (a syntax error runs nothing), then the
    /// statements run in order until one fails. The result has one entry per statement
    /// run; only the last can be an error.
    pub fn execute(&mut self, sql: &str) -> Vec<Result<StatementResult, Diagnostic>> {
        if sql.len() > MAX_SCRIPT_BYTES {
            return vec![Err(Diagnostic::error(
                SqlState::ProgramLimitExceeded,
                format!("statement text exceeds {} MiB", MAX_SCRIPT_BYTES >> 20),
            )
            .with_hint(
                "Run large scripts statement by statement, e.g. with airlock -f FILE.",
            ))];
        }
        if let Some(nul) = sql.find('\0') {
            return vec![Err(nul_byte(sql, nul))];
        }
        let statements = match airlock_parser::parse_statements(sql) {
            Ok(statements) => statements,
            Err(e) => return vec![Err(Diagnostic::from_error(&e))],
        };
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            let result = self.execute_statement(statement);
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
                allowed: inner.aws.allowed_endpoints(),
            }
            .resolve_named(&Ident::new(name))
            .map_err(ExecError::into_diagnostic)?
        };
        inner.aws.sdk_config(&connection, principal.as_deref())
    }

    /// Runs one parsed statement.
    pub fn execute_statement(
        &mut self,
        statement: Statement,
    ) -> Result<StatementResult, Diagnostic> {
        let inner = &self.engine.inner;
        // A panic while holding the lock cannot leave the catalog half-written (every
        // write is a SQLite transaction), so a poisoned lock is safe to take over.
        let lock = || inner.catalog.lock().unwrap_or_else(PoisonError::into_inner);
        let step = Executor {
            catalog: &mut lock(),
            notices: Vec::new(),
            allowed: inner.aws.allowed_endpoints(),
        }
        .execute(statement)
        .map_err(ExecError::into_diagnostic)?;
        let result = match step {
            Step::Done(result) => result,
            Step::Validate(pending) => {
                // AWS calls take up to the configured timeout: the catalog stays free for
                // other sessions meanwhile.
                let (report, endpoint) = inner
                    .aws
                    .validate(&pending.connection, pending.principal.as_deref())?;
                Executor {
                    catalog: &mut lock(),
                    notices: Vec::new(),
                    allowed: inner.aws.allowed_endpoints(),
                }
                .finish(pending, report, endpoint)
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

/// PostgreSQL refuses NUL in text, whatever the client: so does Airlock, before parsing,
/// so that no NUL reaches a name, a value or the catalog.
fn nul_byte(sql: &str, at: usize) -> Diagnostic {
    let before = &sql[..at];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1;
    let mut d = Diagnostic::error(
        SqlState::CharacterNotInRepertoire,
        "invalid byte sequence for encoding \"UTF8\": 0x00",
    );
    d.position = Some(airlock_core::Position { line, column });
    d
}

//! The embeddable façade: an [`Engine`] owns the catalog; [`Session`]s run SQL on it.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use airlock_catalog::{Catalog, CatalogConfig};
use airlock_core::{Diagnostic, SqlState};
use airlock_parser::Statement;

use crate::error::ExecError;
use crate::execute::Executor;
use crate::response::{Response, StatementResult};

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
}

impl Engine {
    /// Opens (creating if missing) the catalog at `path`; `:memory:` for a throwaway one.
    pub fn open(path: impl AsRef<Path>, config: EngineConfig) -> Result<Engine, Diagnostic> {
        let catalog =
            Catalog::open(path, config.catalog).map_err(|e| Diagnostic::from_error(&e))?;
        Ok(Engine::with_catalog(catalog, config.foreign_statements))
    }

    /// An engine over a catalog the host opened itself (e.g. with its own secret store).
    pub fn with_catalog(catalog: Catalog, foreign_statements: ForeignStatements) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                catalog: Mutex::new(catalog),
                foreign_statements,
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

    /// Runs one parsed statement.
    pub fn execute_statement(
        &mut self,
        statement: Statement,
    ) -> Result<StatementResult, Diagnostic> {
        let inner = &self.engine.inner;
        // A panic while holding the lock cannot leave the catalog half-written (every
        // write is a SQLite transaction), so a poisoned lock is safe to take over.
        let mut catalog = inner.catalog.lock().unwrap_or_else(PoisonError::into_inner);
        let executor = Executor {
            catalog: &mut catalog,
            notices: Vec::new(),
        };
        let result = executor
            .execute(statement)
            .map_err(ExecError::into_diagnostic)?;
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

//! Airlock inside DataFusion: a `SessionContext` that runs Airlock's statements through
//! Airlock and everything else through DataFusion, in script order; Airlock's catalog
//! relations as DataFusion tables; and `s3://` tables read through an Airlock
//! connection's credentials.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use airlock_datafusion::AirlockContext;
//!
//! let mut ctx = AirlockContext::open(":memory:", Default::default())?;
//! ctx.sql(
//!     "CREATE CONNECTION lake TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader');
//!      CREATE EXTERNAL TABLE trips STORED AS PARQUET LOCATION 's3://bucket/trips/'
//!          OPTIONS ('aws.connection' 'lake');
//!      SELECT count(*) FROM trips",
//! )
//! .await?;
//! # Ok(())
//! # }
//! ```
//!
//! See `docs/datafusion.md`.

mod catalog_tables;
mod s3;
mod scope;

use std::path::Path;
use std::sync::Arc;

use airlock_core::Diagnostic;
use airlock_engine::catalog::RELATIONS;
use airlock_engine::route::Owner;
use airlock_engine::{Engine, EngineConfig, ForeignStatements, StatementResult};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

pub use airlock_engine;
pub use datafusion;

use crate::catalog_tables::CatalogTable;
pub use crate::scope::ScopedS3Store;

/// What one statement of a script gave.
#[derive(Debug)]
pub enum Output {
    /// One of Airlock's statements: its rows or command tag, and its notices.
    Airlock(StatementResult),
    /// A statement DataFusion ran: its result batches (empty for DDL).
    DataFusion(Vec<RecordBatch>),
}

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Airlock refused or failed it, with PostgreSQL's side channels.
    #[error("{0}")]
    Airlock(Diagnostic),
    /// DataFusion refused or failed it.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Error {
        Error::Airlock(d)
    }
}

/// A DataFusion session with Airlock in it.
pub struct AirlockContext {
    ctx: SessionContext,
    engine: Engine,
    session: airlock_engine::Session,
    /// The connection each `s3://` bucket reads through.
    bound: s3::Bindings,
}

impl std::fmt::Debug for AirlockContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AirlockContext")
            .field("session_id", &self.ctx.session_id())
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl AirlockContext {
    /// Opens Airlock's catalog at `path` (`:memory:` for a throwaway one) in a new
    /// DataFusion session. `config.foreign_statements` is set to return the host's
    /// statements: here DataFusion runs them.
    pub fn open(path: impl AsRef<Path>, config: EngineConfig) -> Result<AirlockContext, Error> {
        let engine = Engine::open(
            path,
            EngineConfig {
                foreign_statements: ForeignStatements::ReturnToHost,
                ..config
            },
        )?;
        Ok(AirlockContext::with_engine(SessionContext::new(), engine))
    }

    /// Airlock's `engine` (opened with [`ForeignStatements::ReturnToHost`]) in the
    /// host's own `ctx`: registers the catalog relations as tables, bare
    /// (`mz_connections`) and in their schemas (`mz_catalog.mz_connections`).
    pub fn with_engine(ctx: SessionContext, engine: Engine) -> AirlockContext {
        let session = engine.session();
        AirlockContext::with_session(ctx, engine, session)
    }

    /// [`AirlockContext::with_engine`] acting as the host's `user` (see
    /// `Engine::session_for`): Airlock's statements and every `s3://` read are checked
    /// against that role's privileges (USAGE on the connection a table reads through).
    pub fn with_engine_as(
        ctx: SessionContext,
        engine: Engine,
        user: impl Into<String>,
    ) -> AirlockContext {
        let session = engine.session_for(user);
        AirlockContext::with_session(ctx, engine, session)
    }

    fn with_session(
        ctx: SessionContext,
        engine: Engine,
        session: airlock_engine::Session,
    ) -> AirlockContext {
        let default_catalog = ctx
            .state()
            .config()
            .options()
            .catalog
            .default_catalog
            .clone();
        let catalog = ctx.catalog(&default_catalog);
        let mut schemas: Vec<(&str, Arc<MemorySchemaProvider>)> = Vec::new();
        for relation in &RELATIONS {
            let table = Arc::new(CatalogTable::new(engine.clone(), relation));
            // Registering a table can only fail for a name already taken; a host that
            // has its own `mz_connections` keeps it.
            let _ = ctx.register_table(relation.name, table.clone());
            let schema = match schemas.iter().find(|(name, _)| *name == relation.schema) {
                Some((_, schema)) => Arc::clone(schema),
                None => {
                    let schema = Arc::new(MemorySchemaProvider::new());
                    schemas.push((relation.schema, Arc::clone(&schema)));
                    schema
                }
            };
            let _ = schema.register_table(relation.name.to_owned(), table);
        }
        if let Some(catalog) = catalog {
            for (name, schema) in schemas {
                let _ = catalog.register_schema(name, schema);
            }
        }
        AirlockContext {
            ctx,
            engine,
            session,
            bound: s3::Bindings::new(),
        }
    }

    /// The DataFusion session.
    pub fn session_context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The Airlock engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs a script: each statement in order, Airlock's through Airlock, every other
    /// one (catalog queries included, so that they may join the host's tables) through
    /// DataFusion. The first error stops the script; the statements before it stay done.
    pub async fn sql(&mut self, sql: &str) -> Result<Vec<Output>, Error> {
        airlock_engine::parser::check_text(sql).map_err(|e| Diagnostic::from_error(&e))?;
        let split = airlock_engine::parser::split_complete(sql);
        let rest = (!split.rest_is_blank()).then_some(split.rest);
        let pieces = split.complete.into_iter().chain(rest);
        let mut outputs = Vec::new();
        for piece in pieces {
            let text = piece.trim().trim_end_matches(';');
            if airlock_engine::parser::is_blank(text) {
                continue;
            }
            outputs.push(self.statement(text).await?);
        }
        Ok(outputs)
    }

    /// One statement: Airlock's if Airlock's parser says so, else DataFusion's.
    async fn statement(&mut self, text: &str) -> Result<Output, Error> {
        match self.session.route(text) {
            Ok(routed)
                if routed
                    .first()
                    .is_some_and(|(owner, _)| *owner == Owner::Airlock) =>
            {
                let result = self.session.execute_async(text).await.pop();
                match result {
                    Some(result) => Ok(Output::Airlock(result?)),
                    None => Ok(Output::DataFusion(Vec::new())),
                }
            }
            Ok(_) => Ok(Output::DataFusion(
                s3::run(
                    &self.ctx,
                    &self.engine,
                    &self.session,
                    &mut self.bound,
                    text,
                )
                .await?,
            )),
            // Not PostgreSQL's syntax: DataFusion's own (`CREATE EXTERNAL TABLE`, `COPY …
            // TO`), or a mistake. When DataFusion cannot parse it either, Airlock's error
            // is the one shown: it never quotes a literal (a mistyped `CREATE SECRET`
            // would otherwise reach DataFusion's parser, whose errors quote the tokens
            // they stop at), and only DataFusion's own statements get DataFusion's.
            Err(airlock_error) => {
                match s3::run(
                    &self.ctx,
                    &self.engine,
                    &self.session,
                    &mut self.bound,
                    text,
                )
                .await
                {
                    Err(Error::DataFusion(DataFusionError::SQL(..)))
                        if !is_datafusion_statement(text) =>
                    {
                        Err(Error::Airlock(airlock_error))
                    }
                    other => other.map(Output::DataFusion),
                }
            }
        }
    }
}

/// Whether `text` is one of the statements only DataFusion's dialect has.
fn is_datafusion_statement(text: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        words.as_slice(),
        ["CREATE", "EXTERNAL", ..]
            | ["CREATE", "UNBOUNDED", "EXTERNAL"]
            | ["CREATE", "OR", "REPLACE"]
            | ["COPY", ..]
    )
}

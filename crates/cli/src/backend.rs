//! What the shell runs statements on: a [`Backend`].
//!
//! The shell's loop (`run`), its `\d` family (`describe`) and Ctrl-C (`interrupt`) only
//! speak to this trait, so the same shell, with the same output, runs on
//! - a catalog opened in this process ([`Local`], an engine [`Session`]), or
//! - an `airlock serve` server over the PostgreSQL protocol ([`crate::remote`]), or
//! - any other host that runs Airlock's statements (a DataFusion shell).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use airlock_engine::core::{Diagnostic, Rows, SqlState};
use airlock_engine::parser::{AirlockParser, Statement};
use airlock_engine::{CancelHandle, Response, Session, StatementResult};

/// One statement of a script, found by [`Backend::split`]: its byte range in the text,
/// and the statement itself when Airlock's parser read it (it gives the redacted history
/// entry; a backend that runs statements Airlock does not parse leaves it `None`).
#[derive(Debug)]
pub struct Planned {
    pub span: Range<usize>,
    pub statement: Option<Statement>,
}

/// Cancels the statement running on a backend, from the Ctrl-C thread.
pub type Canceller = Arc<dyn Fn() + Send + Sync>;

/// Where statements run.
pub trait Backend: std::fmt::Debug {
    /// Splits `text` into statements. A syntax error anywhere runs none of them (as a
    /// PostgreSQL simple query): it comes back as the error.
    fn split(&mut self, text: &str) -> Result<Vec<Planned>, Diagnostic> {
        split_airlock(text)
    }

    /// Runs one statement that [`Backend::split`] found in `text`.
    fn execute(&mut self, text: &str, planned: Planned) -> Result<StatementResult, Diagnostic>;

    /// Runs one catalog query and returns its rows (the `\d` family).
    fn query(&mut self, sql: &str) -> Result<Rows, Diagnostic> {
        let planned = split_airlock(sql)?;
        let mut rows = None;
        for planned in planned {
            if let Response::Rows(r) = self.execute(sql, planned)?.response {
                rows = Some(r);
            }
        }
        rows.ok_or_else(|| {
            Diagnostic::error(
                SqlState::InternalError,
                "internal error: a catalog query returned no rows",
            )
        })
    }

    /// What Ctrl-C calls while a statement runs.
    fn canceller(&self) -> Canceller;

    /// `\backup FILE`: copies the catalog, where the backend can.
    fn backup(&mut self, dest: &Path) -> Result<(), Diagnostic>;

    /// `\conninfo`'s line.
    fn conninfo(&self) -> String;
}

/// Airlock's own parser, with each statement's place in the text.
pub fn split_airlock(text: &str) -> Result<Vec<Planned>, Diagnostic> {
    let statements = AirlockParser::new(text)
        .and_then(|mut parser| parser.parse_statements_with_spans(text))
        .map_err(|e| Diagnostic::from_error(&e))?;
    Ok(statements
        .into_iter()
        .map(|(statement, span)| Planned {
            span,
            statement: Some(statement),
        })
        .collect())
}

/// A catalog opened in this process.
#[derive(Debug)]
pub struct Local {
    session: Session,
    catalog: String,
}

impl Local {
    /// `catalog` is how `\conninfo` names the catalog file.
    pub fn new(session: Session, catalog: String) -> Local {
        Local { session, catalog }
    }
}

impl Backend for Local {
    fn execute(&mut self, text: &str, planned: Planned) -> Result<StatementResult, Diagnostic> {
        match planned.statement {
            Some(statement) => self.session.execute_statement(statement),
            // Never made by `split` above; a text statement goes through the engine whole.
            None => self
                .session
                .execute(&text[planned.span])
                .pop()
                .unwrap_or_else(|| Err(Diagnostic::error(SqlState::InternalError, "no statement"))),
        }
    }

    fn canceller(&self) -> Canceller {
        let handle: CancelHandle = self.session.cancel_handle();
        Arc::new(move || handle.cancel())
    }

    fn backup(&mut self, dest: &Path) -> Result<(), Diagnostic> {
        self.session.backup(dest)
    }

    fn conninfo(&self) -> String {
        format!(
            "You are connected to the Airlock catalog \"{}\".\n",
            self.catalog
        )
    }
}

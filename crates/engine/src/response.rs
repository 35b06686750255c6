//! What a statement returns.

use airlock_core::{Diagnostic, Rows};
use airlock_parser::ast::SqlStatement;

/// The outcome of one successful statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// A result set (`SELECT`, `SHOW`, `VALIDATE CONNECTION`).
    Rows(Rows),
    /// A DDL statement's command tag, as PostgreSQL reports it (`CREATE CONNECTION`).
    Command(String),
    /// A statement Airlock does not own, returned to the host untouched (only when the
    /// engine was opened with [`crate::ForeignStatements::ReturnToHost`]).
    PassThrough(Box<SqlStatement>),
}

impl Response {
    pub(crate) fn command(tag: &str) -> Response {
        Response::Command(tag.to_owned())
    }
}

/// One statement's response and the notices it raised.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementResult {
    pub response: Response,
    pub notices: Vec<Diagnostic>,
}

impl StatementResult {
    /// The command tag psql prints after a command, or PostgreSQL's `SELECT n` for rows.
    pub fn tag(&self) -> Option<String> {
        match &self.response {
            Response::Command(tag) => Some(tag.clone()),
            Response::Rows(rows) => Some(format!("SELECT {}", rows.rows.len())),
            Response::PassThrough(_) => None,
        }
    }

    /// The result set, if the statement returned one.
    pub fn rows(&self) -> Option<&Rows> {
        match &self.response {
            Response::Rows(rows) => Some(rows),
            _ => None,
        }
    }
}

//! Describe before execute: the result columns a statement will return, with their
//! PostgreSQL types, without running it (PostgreSQL's `Describe` message, what a driver
//! asks before it binds and executes a prepared statement).

use airlock_core::{Column, Diagnostic, SqlState};
use airlock_parser::Statement;
use airlock_parser::ast::SqlStatement;

use crate::engine::{ForeignStatements, Session};
use crate::error::ExecError;
use crate::execute::{Executor, Step, validate_columns};
use crate::response::Response;
use crate::route::{Owner, classify};

/// What a statement returns, known before it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Description {
    /// A result set with these columns (`SELECT`, `SHOW`, `VALIDATE CONNECTION`).
    Rows(Vec<Column>),
    /// A command tag only (`CREATE CONNECTION`, …).
    Command,
    /// A statement of the host's, for the host to describe.
    Host(Box<SqlStatement>),
}

impl Session {
    /// Describes the one statement in `sql` without running it: its result columns and
    /// their types. Nothing is written, no AWS call is made, and the authorizer is not
    /// asked (it is asked when the statement runs). A text of several statements is
    /// refused, as PostgreSQL refuses to prepare one.
    pub fn describe(&mut self, sql: &str) -> Result<Description, Diagnostic> {
        crate::route::check_input(sql)?;
        let mut parsed = airlock_parser::parse_script(sql, self.engine.dialect())
            .map_err(|e| Diagnostic::from_error(&e))?;
        if parsed.len() > 1 {
            return Err(Diagnostic::error(
                SqlState::SyntaxError,
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        let Some((statement, _)) = parsed.pop() else {
            // An empty statement returns nothing.
            return Ok(Description::Command);
        };
        self.describe_statement(statement)
    }

    /// [`Session::describe`] for a parsed statement.
    pub fn describe_statement(&mut self, statement: Statement) -> Result<Description, Diagnostic> {
        airlock_parser::check_statement(&statement).map_err(|e| Diagnostic::from_error(&e))?;
        let foreign = self.engine.foreign_statements();
        match (classify(&statement, foreign), statement) {
            (Owner::Host, Statement::Sql(sql)) if foreign == ForeignStatements::ReturnToHost => {
                Ok(Description::Host(sql))
            }
            (Owner::Host, _) => Err(crate::engine::not_supported()),
            (Owner::Catalog, Statement::Sql(mut sql)) => {
                // Their values do not change the columns, only let the query prepare.
                crate::privileges::substitute_session_roles(
                    &mut sql,
                    &self.current_role(),
                    self.user().unwrap_or("mz_system"),
                );
                match crate::query::prepare(
                    &sql,
                    crate::query::Target::of(self.engine.query_runner()),
                )
                .map_err(ExecError::into_diagnostic)?
                {
                    Some(prepared) => {
                        let columns = self
                            .engine
                            .query_runner()
                            .describe(&prepared.sql, &prepared.types)
                            .map_err(|e| ExecError::from(e).into_diagnostic())?;
                        Ok(Description::Rows(
                            columns
                                .into_iter()
                                .map(|c| Column::new(c.name, c.ty))
                                .collect(),
                        ))
                    }
                    None => Ok(Description::Command),
                }
            }
            (_, Statement::ValidateConnection(_)) => Ok(Description::Rows(validate_columns())),
            // Reads of the catalog: run, and keep only the columns.
            (
                _,
                statement @ (Statement::ShowObjects(_)
                | Statement::ShowCreateConnection(_)
                | Statement::ShowVariable(_)
                | Statement::Sql(_)),
            ) => {
                let step = Executor {
                    catalog: &mut self.engine.lock_catalog(),
                    notices: Vec::new(),
                    allowed: self.engine.aws().allowed_endpoints(),
                    user: self.user(),
                    owner: None,
                }
                .execute(statement)
                .map_err(ExecError::into_diagnostic)?;
                Ok(match step {
                    Step::Done(result) => match result.response {
                        Response::Rows(rows) => Description::Rows(rows.columns),
                        _ => Description::Command,
                    },
                    Step::Validate(_) => Description::Rows(validate_columns()),
                })
            }
            _ => Ok(Description::Command),
        }
    }
}

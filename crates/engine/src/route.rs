//! Routing: who runs each statement of a script, and a cursor that runs Airlock's
//! statements one at a time, in script order, so that the host runs its own in between.
//!
//! A statement is
//! - **Airlock's** when it is Airlock's dialect (`CREATE SECRET`, `CREATE CONNECTION`,
//!   `VALIDATE CONNECTION`, `SHOW CONNECTIONS`, `ALTER SYSTEM`, …);
//! - a **catalog query** when it is a query that names one of the catalog relations
//!   ([`crate::query::RELATIONS`], bare or qualified by its schema) anywhere — in `FROM`,
//!   a join, a subquery or a CTE;
//! - the **host's** otherwise: `SELECT version()`, `SELECT * FROM t`, `SHOW search_path`,
//!   `CREATE TABLE`, `BEGIN`, ….
//!
//! The standalone engine ([`ForeignStatements::Reject`]) has no host: there every query
//! is a catalog query (SQLite answers `SELECT 1`, and `SELECT * FROM t` is "relation does
//! not exist"), and `SHOW` of a parameter that is not Airlock's is Airlock's error.

use std::ops::{ControlFlow, Range};

use airlock_core::{Diagnostic, SqlState};
use airlock_parser::Statement;
use airlock_parser::ast::SqlStatement;
use airlock_parser::sqlparser::ast::{ObjectName, ObjectNamePart, Visit, Visitor};

use crate::engine::{ForeignStatements, Session};
use crate::query::RELATIONS;
use crate::response::{Response, StatementResult};

/// Who runs a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// Airlock's own dialect.
    Airlock,
    /// A query over the catalog relations: Airlock answers it.
    Catalog,
    /// Everything else: the host runs it.
    Host,
}

/// Says who runs `statement` in an engine with the given foreign-statement policy.
pub fn classify(statement: &Statement, foreign: ForeignStatements) -> Owner {
    let Statement::Sql(sql) = statement else {
        return Owner::Airlock;
    };
    match (sql.as_ref(), foreign) {
        (SqlStatement::Query(query), _) if names_catalog_relation(query) => Owner::Catalog,
        (SqlStatement::Query(_), ForeignStatements::Reject) => Owner::Catalog,
        (SqlStatement::ShowVariable { .. }, ForeignStatements::Reject) => Owner::Airlock,
        _ => Owner::Host,
    }
}

/// Whether any relation the query reads is one of the catalog relations.
fn names_catalog_relation(query: &airlock_parser::sqlparser::ast::Query) -> bool {
    struct Finder(bool);
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
            let parts: Option<Vec<String>> = relation
                .0
                .iter()
                .map(|part| match part {
                    ObjectNamePart::Identifier(ident) => Some(match ident.quote_style {
                        None => ident.value.to_lowercase(),
                        Some(_) => ident.value.clone(),
                    }),
                    ObjectNamePart::Function(_) => None,
                })
                .collect();
            let known = match parts.as_deref() {
                Some([name]) => RELATIONS.iter().any(|r| r.name == name),
                Some([schema, name]) => RELATIONS
                    .iter()
                    .any(|r| r.schema == schema && r.name == name),
                _ => false,
            };
            if known {
                self.0 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder(false);
    let _ = Visit::visit(query, &mut finder);
    finder.0
}

/// The engine's input checks (size, NUL, UTF-8), shared with every other entry point:
/// see [`airlock_parser::check_text`].
pub(crate) fn check_input(sql: &str) -> Result<(), Diagnostic> {
    airlock_parser::check_text(sql).map_err(|e| Diagnostic::from_error(&e))
}

/// One statement of a script, routed and — when it is Airlock's — run.
#[derive(Debug, Clone, PartialEq)]
pub struct Routed {
    /// Its place in the script, from 0.
    pub index: usize,
    /// Its text: a byte range of the script, without the `;`.
    pub span: Range<usize>,
    pub owner: Owner,
    pub outcome: Outcome,
}

/// What became of a routed statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Airlock ran it (an Airlock statement or a catalog query).
    Done(StatementResult),
    /// The host's to run, untouched.
    Host(Box<SqlStatement>),
}

impl Outcome {
    /// The result as [`crate::Session::execute`] returns it.
    pub fn into_result(self) -> StatementResult {
        match self {
            Outcome::Done(result) => result,
            Outcome::Host(statement) => StatementResult {
                response: Response::PassThrough(statement),
                notices: Vec::new(),
            },
        }
    }
}

/// A failed statement (or a script that did not parse), with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    /// The failed statement's place in the script; `None` when the script did not
    /// parse (or failed the input checks), in which case nothing ran.
    pub index: Option<usize>,
    /// The failed statement's byte range in the script.
    pub span: Option<Range<usize>>,
    pub diagnostic: Diagnostic,
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(index) => write!(f, "statement {}: {}", index + 1, self.diagnostic.message),
            None => f.write_str(&self.diagnostic.message),
        }
    }
}

impl std::error::Error for StatementError {}

impl From<StatementError> for Diagnostic {
    fn from(e: StatementError) -> Diagnostic {
        e.diagnostic
    }
}

/// A script being run: an iterator over its statements in order. Each `next()` runs
/// the next statement if it is Airlock's, or hands it to the host; nothing runs ahead.
/// The first error ends the script (a host that fails its own statement simply stops
/// iterating). Made by [`Session::statements`].
#[derive(Debug)]
pub struct Statements<'s> {
    session: &'s mut Session,
    parsed: std::vec::IntoIter<(Statement, Range<usize>)>,
    /// The parse error, yielded first and alone.
    pending_error: Option<Diagnostic>,
    next_index: usize,
    finished: bool,
}

impl Session {
    /// Parses `sql` (a syntax error runs nothing) and returns a cursor over its
    /// statements in script order. See [`Statements`].
    pub fn statements(&mut self, sql: &str) -> Statements<'_> {
        self.cancel_handle().reset();
        let parsed = check_input(sql).and_then(|()| {
            airlock_parser::parse_script(sql, self.engine.dialect())
                .map_err(|e| Diagnostic::from_error(&e))
        });
        let (parsed, pending_error) = match parsed {
            Ok(parsed) => (parsed, None),
            Err(d) => (Vec::new(), Some(d)),
        };
        Statements {
            session: self,
            parsed: parsed.into_iter(),
            pending_error,
            next_index: 0,
            finished: false,
        }
    }

    /// [`Session::execute`] for async hosts: the script runs on the runtime's blocking
    /// pool (catalog work and `VALIDATE CONNECTION`'s wait for AWS included), so the
    /// calling task's worker thread stays free. Outside a runtime it runs right here.
    pub async fn execute_async(&self, sql: &str) -> Vec<Result<StatementResult, Diagnostic>> {
        let mut session = self.clone();
        let sql = sql.to_owned();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime
                .spawn_blocking(move || session.execute(&sql))
                .await
                .unwrap_or_else(|e| {
                    vec![Err(Diagnostic::error(
                        SqlState::InternalError,
                        "the statement's task failed",
                    )
                    .with_detail(e.to_string()))]
                }),
            Err(_) => session.execute(&sql),
        }
    }

    /// Who runs each statement of `sql`, with its span, without running anything.
    pub fn route(&self, sql: &str) -> Result<Vec<(Owner, Range<usize>)>, Diagnostic> {
        check_input(sql)?;
        let parsed = airlock_parser::parse_script(sql, self.engine.dialect())
            .map_err(|e| Diagnostic::from_error(&e))?;
        let foreign = self.engine.foreign_statements();
        Ok(parsed
            .iter()
            .map(|(statement, span)| (classify(statement, foreign), span.clone()))
            .collect())
    }
}

impl Iterator for Statements<'_> {
    type Item = Result<Routed, StatementError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        if let Some(diagnostic) = self.pending_error.take() {
            self.finished = true;
            return Some(Err(StatementError {
                index: None,
                span: None,
                diagnostic,
            }));
        }
        let (statement, span) = self.parsed.next()?;
        let index = self.next_index;
        self.next_index += 1;
        let owner = classify(&statement, self.session.engine.foreign_statements());
        let outcome = self.session.run_routed(statement, owner);
        match outcome {
            Ok(outcome) => Some(Ok(Routed {
                index,
                span,
                owner,
                outcome,
            })),
            Err(diagnostic) => {
                self.finished = true;
                Some(Err(StatementError {
                    index: Some(index),
                    span: Some(span),
                    diagnostic,
                }))
            }
        }
    }
}

impl std::iter::FusedIterator for Statements<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(sql: &str, foreign: ForeignStatements) -> Owner {
        classify(&airlock_parser::parse_statement(sql).unwrap(), foreign)
    }

    #[test]
    fn only_queries_naming_catalog_relations_are_catalog_queries() {
        use ForeignStatements::ReturnToHost as Host;
        for sql in [
            "SELECT * FROM mz_connections",
            "SELECT * FROM mz_catalog.mz_secrets",
            "SELECT * FROM MZ_INTERNAL.MZ_AWS_CONNECTIONS",
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM mz_object_dependencies)",
            "WITH v AS (SELECT * FROM mz_aws_connection_validations) SELECT * FROM v",
            "SELECT * FROM t JOIN mz_connections USING (id)",
        ] {
            assert_eq!(owner(sql, Host), Owner::Catalog, "{sql}");
        }
        for sql in [
            "SELECT version()",
            "SELECT * FROM t",
            "SELECT 1",
            "VALUES (1)",
            "SHOW search_path",
            "SHOW TIME ZONE",
            "SELECT * FROM \"MZ_CONNECTIONS\"",
            "SELECT * FROM mz_internal.mz_connections",
            "SELECT * FROM other.mz_connections",
            "CREATE TABLE t (a int)",
            "BEGIN",
        ] {
            assert_eq!(owner(sql, Host), Owner::Host, "{sql}");
        }
        for sql in [
            "CREATE SECRET s AS 'x'",
            "SHOW CONNECTIONS",
            "SHOW aws_principal",
            "ALTER SYSTEM SET aws_principal = 'arn:aws:iam::000000000000:role/r'",
        ] {
            assert_eq!(owner(sql, Host), Owner::Airlock, "{sql}");
        }
    }

    #[test]
    fn the_standalone_engine_answers_every_query_itself() {
        use ForeignStatements::Reject;
        assert_eq!(owner("SELECT 1", Reject), Owner::Catalog);
        assert_eq!(owner("SELECT * FROM t", Reject), Owner::Catalog);
        assert_eq!(owner("SHOW search_path", Reject), Owner::Airlock);
        assert_eq!(owner("CREATE TABLE t (a int)", Reject), Owner::Host);
    }
}

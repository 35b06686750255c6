//! `airlock-df`: the `airlock` shell — its flags, its backslash commands, its
//! psql-identical output — on a DataFusion session with Airlock inside
//! ([`airlock_datafusion::AirlockContext`]). Airlock's statements run through Airlock,
//! every other one through DataFusion, in script order; the shell only sees a
//! [`Backend`], so everything it prints is printed as `airlock` prints it.
//!
//! - Results of DataFusion's statements become the shell's rows: each value as Arrow's
//!   display writes it (booleans as PostgreSQL's `t`/`f`), numbers right-aligned.
//! - A DataFusion statement that returns nothing prints a command tag made from its
//!   leading keywords (`CREATE EXTERNAL TABLE`), as psql prints the server's tag.
//! - The `\d` family asks Airlock's engine directly (its queries are PostgreSQL's).
//! - Ctrl-C drops the running statement's future: DataFusion stops scanning.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use airlock_cli::args::Options;
use airlock_cli::backend::{Backend, Canceller, Planned};
use airlock_datafusion::airlock_engine::core::{Column, ColumnType, Diagnostic, Rows, SqlState};
use airlock_datafusion::airlock_engine::parser::{
    check_text, is_blank, parse_statement, split_complete,
};
use airlock_datafusion::airlock_engine::{ForeignStatements, Response, Session, StatementResult};
use airlock_datafusion::datafusion::arrow::array::Array;
use airlock_datafusion::datafusion::arrow::datatypes::{DataType, Schema};
use airlock_datafusion::datafusion::arrow::record_batch::RecordBatch;
use airlock_datafusion::datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use airlock_datafusion::datafusion::error::DataFusionError;
use airlock_datafusion::datafusion::prelude::SessionContext;
use airlock_datafusion::datafusion::sql::parser::Statement as DfStatement;
use airlock_datafusion::datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use airlock_datafusion::{AirlockContext, Error, Output};
use tokio::sync::Notify;

/// Runs `airlock-df` with `args` (the program name first); returns its exit status, with
/// `airlock`'s meanings.
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    airlock_cli::app::main_with(args, open)
}

/// The DataFusion session on the catalog of `--catalog`.
fn open(options: &Options) -> Result<Box<dyn Backend>, u8> {
    if options.server.is_some() {
        airlock_cli::run::write_stderr(
            "airlock-df: error: -h is not supported: airlock-df runs DataFusion in this process on a catalog file (--catalog)\n",
        );
        return Err(airlock_cli::run::EXIT_FAILURE);
    }
    let (engine, role) = airlock_cli::app::open_engine(options, ForeignStatements::ReturnToHost)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            airlock_cli::run::write_stderr(&format!("airlock-df: error: {e}\n"));
            airlock_cli::run::EXIT_BADCONN
        })?;
    let catalog_session = engine.session_for(role.clone());
    Ok(Box::new(DataFusionShell {
        ctx: AirlockContext::with_engine_as(SessionContext::new(), engine, role),
        catalog_session,
        runtime,
        cancel: Arc::new(Notify::new()),
        catalog: airlock_datafusion::airlock_engine::catalog::display_location(&options.catalog),
    }))
}

/// The shell's backend: a DataFusion session with Airlock inside.
pub struct DataFusionShell {
    ctx: AirlockContext,
    /// For the `\d` family, whose queries are Airlock's (PostgreSQL's) SQL.
    catalog_session: Session,
    runtime: tokio::runtime::Runtime,
    cancel: Arc<Notify>,
    catalog: String,
}

impl std::fmt::Debug for DataFusionShell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataFusionShell")
            .field("ctx", &self.ctx)
            .field("catalog", &self.catalog)
            .finish_non_exhaustive()
    }
}

impl Backend for DataFusionShell {
    /// Statements end at `;` outside quotes and comments, as for `airlock`; Airlock's
    /// parser reads the ones it can (for redacted history), DataFusion the rest.
    fn split(&mut self, text: &str) -> Result<Vec<Planned>, Diagnostic> {
        check_text(text).map_err(|e| Diagnostic::from_error(&e))?;
        let split = split_complete(text);
        let rest = (!split.rest_is_blank()).then_some(split.rest);
        let mut planned = Vec::new();
        for piece in split.complete.into_iter().chain(rest) {
            let span = statement_span(text, piece);
            let statement = &text[span.clone()];
            if is_blank(statement) {
                continue;
            }
            planned.push(Planned {
                statement: parse_statement(statement).ok(),
                span,
            });
        }
        Ok(planned)
    }

    fn execute(&mut self, text: &str, planned: Planned) -> Result<StatementResult, Diagnostic> {
        let statement = &text[planned.span];
        let cancel = Arc::clone(&self.cancel);
        let ctx = &mut self.ctx;
        let outcome = self.runtime.block_on(async {
            tokio::select! {
                outputs = ctx.sql(statement) => Some(outputs),
                () = cancel.notified() => None,
            }
        });
        let outputs = match outcome {
            None => {
                return Err(Diagnostic::error(
                    SqlState::QueryCanceled,
                    "canceling statement due to user request",
                ));
            }
            Some(outputs) => outputs.map_err(|e| diagnostic(&e))?,
        };
        let response = match outputs.into_iter().last() {
            Some(Output::Airlock(result)) => return Ok(result),
            Some(Output::DataFusion(batches)) => self.response(statement, &batches)?,
            None => Response::Command(String::new()),
        };
        Ok(StatementResult {
            response,
            notices: Vec::new(),
        })
    }

    fn query(&mut self, sql: &str) -> Result<Rows, Diagnostic> {
        let mut results = self.catalog_session.execute(sql);
        match results.pop() {
            Some(Ok(result)) => result.rows().cloned().ok_or_else(|| {
                Diagnostic::error(SqlState::InternalError, "internal error: no rows")
            }),
            Some(Err(e)) => Err(e),
            None => Err(Diagnostic::error(
                SqlState::InternalError,
                "internal error: no result",
            )),
        }
    }

    fn canceller(&self) -> Canceller {
        let cancel = Arc::clone(&self.cancel);
        Arc::new(move || cancel.notify_one())
    }

    fn backup(&mut self, dest: &Path) -> Result<(), Diagnostic> {
        self.catalog_session.backup(dest)
    }

    fn conninfo(&self) -> String {
        format!(
            "You are connected to the Airlock catalog \"{}\" in a DataFusion session.\n",
            self.catalog
        )
    }
}

impl DataFusionShell {
    /// What a DataFusion statement's batches print as: rows when it has columns, a
    /// command tag when it is a command.
    fn response(&self, statement: &str, batches: &[RecordBatch]) -> Result<Response, Diagnostic> {
        if let Some(first) = batches.first() {
            return Ok(Response::Rows(rows(&first.schema(), batches)?));
        }
        // No batch: a command, or a query with no rows, whose columns the plan knows.
        let state = self.ctx.session_context().state();
        let dialect = state.config().options().sql_parser.dialect;
        let parsed = state.sql_to_statement(statement, &dialect);
        if let Ok(parsed @ DfStatement::Statement(_)) = parsed
            && matches!(&parsed, DfStatement::Statement(s) if matches!(**s, SqlStatement::Query(_)))
        {
            let plan = self
                .runtime
                .block_on(state.statement_to_plan(parsed))
                .map_err(|e| diagnostic(&Error::DataFusion(e)))?;
            let schema: Schema = plan.schema().as_arrow().clone();
            return Ok(Response::Rows(rows(&schema, &[])?));
        }
        Ok(Response::Command(tag(statement)))
    }
}

/// The statement in `piece` (a slice of `text`): without the spaces around it and its
/// `;`.
fn statement_span(text: &str, piece: &str) -> Range<usize> {
    let start = piece.as_ptr() as usize - text.as_ptr() as usize;
    let trimmed = piece.trim_start();
    let start = start + (piece.len() - trimmed.len());
    let body = trimmed.trim_end().trim_end_matches(';').trim_end();
    start..start + body.len()
}

/// A command tag from a statement's leading keywords: two for `CREATE`, `DROP` and
/// `ALTER` (three for `CREATE EXTERNAL TABLE`), one otherwise.
fn tag(statement: &str) -> String {
    let words: Vec<String> = statement
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    let n = match words.first().map(String::as_str) {
        Some("CREATE" | "DROP" | "ALTER") if words.get(1).is_some_and(|w| w == "EXTERNAL") => 3,
        Some("CREATE" | "DROP" | "ALTER") => 2,
        _ => 1,
    };
    words.into_iter().take(n).collect::<Vec<_>>().join(" ")
}

/// Arrow batches as the shell's rows.
fn rows(schema: &Schema, batches: &[RecordBatch]) -> Result<Rows, Diagnostic> {
    let columns: Vec<Column> = schema
        .fields()
        .iter()
        .map(|f| Column::new(f.name().clone(), column_type(f.data_type())))
        .collect();
    let options = FormatOptions::default();
    let mut out = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|array| ArrayFormatter::try_new(array.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                diagnostic(&Error::DataFusion(DataFusionError::ArrowError(
                    Box::new(e),
                    None,
                )))
            })?;
        for row in 0..batch.num_rows() {
            let values = batch
                .columns()
                .iter()
                .zip(&formatters)
                .zip(&columns)
                .map(|((array, formatter), column)| {
                    if array.is_null(row) {
                        return None;
                    }
                    let text = formatter.value(row).to_string();
                    Some(match (column.ty, text.as_str()) {
                        (ColumnType::Bool, "true") => "t".to_owned(),
                        (ColumnType::Bool, "false") => "f".to_owned(),
                        _ => text,
                    })
                })
                .collect();
            out.push(values);
        }
    }
    Ok(Rows { columns, rows: out })
}

/// The shell's type for an Arrow type: what decides alignment and boolean spelling.
fn column_type(ty: &DataType) -> ColumnType {
    match ty {
        DataType::Boolean => ColumnType::Bool,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
            ColumnType::Int4
        }
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => ColumnType::Int8,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => ColumnType::Float8,
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => ColumnType::Numeric,
        DataType::Timestamp(_, Some(_)) => ColumnType::TimestampTz,
        _ => ColumnType::Text,
    }
}

/// A failed statement as the shell's error: Airlock's as it is, DataFusion's with an
/// SQLSTATE for its kind.
fn diagnostic(e: &Error) -> Diagnostic {
    match e {
        Error::Airlock(d) => d.clone(),
        Error::DataFusion(e) => {
            let code = match e.find_root() {
                DataFusionError::SQL(..) => SqlState::SyntaxError,
                DataFusionError::NotImplemented(_) => SqlState::FeatureNotSupported,
                DataFusionError::Plan(_) | DataFusionError::SchemaError(..) => {
                    SqlState::UndefinedObject
                }
                _ => SqlState::InternalError,
            };
            Diagnostic::error(code, e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_the_leading_keywords() {
        assert_eq!(
            tag("create external table t stored as csv location 'x'"),
            "CREATE EXTERNAL TABLE"
        );
        assert_eq!(tag("CREATE TABLE t AS VALUES (1)"), "CREATE TABLE");
        assert_eq!(tag("drop view v"), "DROP VIEW");
        assert_eq!(tag("SET datafusion.x = 1"), "SET");
    }

    #[test]
    fn spans_leave_out_spaces_and_the_semicolon() {
        let text = "  SELECT 1 ;\n SELECT 2";
        let split = split_complete(text);
        let span = statement_span(text, split.complete[0]);
        assert_eq!(&text[span], "SELECT 1");
    }
}

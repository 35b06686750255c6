//! One connection's query handling: simple query (a script, one response per
//! statement, stop at the first error) and extended query (Parse, Bind, Describe,
//! Execute), over the engine session of the connection's user.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};

use airlock_core::{Diagnostic, Rows, SqlState};
use airlock_engine::params::{self, ParamValue, Prepared};
use airlock_engine::{Description, Response as EngineResponse, Session};
use airlock_parser::Statement;
use airlock_parser::sqlparser::dialect::PostgreSqlDialect;
use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{NoData, ParameterDescription};
use pgwire::messages::extendedquery::{
    Describe, Parse, ParseComplete, TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{
    CommandComplete, EmptyQueryResponse, NoticeResponse, ReadyForQuery, TransactionStatus,
};
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::ParameterStatus;

use crate::local::{self, Block, Local, Settings};
use crate::server::Shared;
use crate::wire;

/// A connection: its engine session (made once the user is authenticated) and its
/// session parameters.
#[derive(Debug)]
pub struct Conn {
    pub shared: Arc<Shared>,
    pub peer: std::net::SocketAddr,
    pub state: Mutex<ConnState>,
}

#[derive(Debug, Default)]
pub struct ConnState {
    pub session: Option<Session>,
    pub settings: Option<Settings>,
    pub user: String,
    pub application_name: String,
    pub statements: u64,
    pub errors: u64,
    /// The process id and key a `CancelRequest` names this session by.
    pub cancel_key: Option<(i32, pgwire::messages::startup::SecretKey)>,
    /// Names of the statements prepared with `Parse`, for `DEALLOCATE ALL`.
    pub prepared: std::collections::BTreeSet<String>,
}

impl Conn {
    fn lock(&self) -> std::sync::MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn session(&self) -> Result<Session, Diagnostic> {
        self.lock().session.clone().ok_or_else(|| {
            Diagnostic::error(
                SqlState::InvalidAuthorizationSpecification,
                "the connection is not authenticated",
            )
        })
    }

    /// Logs a failed statement (its text masked) and counts it.
    fn log_error(&self, text: &str, info: &ErrorInfo) {
        let user = {
            let mut state = self.lock();
            state.errors += 1;
            state.user.clone()
        };
        self.shared.log.error(self.peer, &user, text, info);
    }

    /// Runs one parsed statement: the server's own, or the engine's with the session's
    /// statement timeout.
    async fn run(&self, statement: Statement, block: Block) -> Result<Done, Box<ErrorInfo>> {
        self.lock().statements += 1;
        if let Some(local) = local::classify(&statement) {
            if matches!(local, Local::Begin | Local::Commit | Local::Rollback) {
                let (block, tag, warning) = local::transaction(&local, block);
                return Ok(Done {
                    deallocate: None,
                    rows: None,
                    tag: tag.to_owned(),
                    notices: warning
                        .map(|w| warning_info(w, "WARNING"))
                        .into_iter()
                        .collect(),
                    changed: Vec::new(),
                    block,
                });
            }
            if block == Block::Failed {
                return Err(Box::new(warning_info(local::ABORTED, "ERROR")));
            }
            let answer = {
                let mut state = self.lock();
                let settings = state
                    .settings
                    .get_or_insert_with(|| Settings::new("", "", None));
                settings.answer(&local)
            };
            let answer = answer.map_err(|d| Box::new(wire::error_info(&d, None)))?;
            let deallocate = match local {
                Local::Deallocate(target) => Some(target),
                _ => None,
            };
            let tag = match &deallocate {
                Some(None) => "DEALLOCATE ALL".to_owned(),
                Some(Some(_)) => "DEALLOCATE".to_owned(),
                None => answer.tag,
            };
            return Ok(Done {
                deallocate,
                rows: answer.rows,
                tag,
                notices: Vec::new(),
                changed: answer.changed,
                block,
            });
        }
        if block == Block::Failed {
            return Err(Box::new(warning_info(local::ABORTED, "ERROR")));
        }
        let result = self
            .execute(statement)
            .await
            .map_err(|d| Box::new(wire::error_info(&d, None)))?;
        let tag = result.tag().unwrap_or_default();
        let rows = match result.response {
            EngineResponse::Rows(rows) => Some(rows),
            _ => None,
        };
        Ok(Done {
            deallocate: None,
            rows,
            tag,
            notices: result
                .notices
                .iter()
                .map(|n| wire::error_info(n, None))
                .collect(),
            changed: Vec::new(),
            block,
        })
    }

    /// Runs an engine statement on the blocking pool; past the statement timeout the
    /// session is cancelled (the engine stops a catalog query or a validation at once,
    /// and lets a short write finish).
    async fn execute(
        &self,
        statement: Statement,
    ) -> Result<airlock_engine::StatementResult, Diagnostic> {
        let session = self.session()?;
        let timeout = self
            .lock()
            .settings
            .as_ref()
            .and_then(Settings::statement_timeout);
        let cancel = session.cancel_handle();
        let mut task = tokio::task::spawn_blocking(move || {
            let mut session = session;
            session.execute_statement(statement)
        });
        let joined = match timeout {
            Some(timeout) => match tokio::time::timeout(timeout, &mut task).await {
                Ok(joined) => joined,
                Err(_) => {
                    cancel.cancel();
                    return match task.await {
                        Ok(Err(d)) if d.code == SqlState::QueryCanceled => Err(Diagnostic::error(
                            SqlState::QueryCanceled,
                            "canceling statement due to statement timeout",
                        )),
                        other => flatten(other),
                    };
                }
            },
            None => task.await,
        };
        flatten(joined)
    }

    /// Describes a prepared statement (placeholders bound to NULL, or the values of
    /// a portal).
    async fn describe(&self, statement: Statement) -> Result<Option<Rows>, Diagnostic> {
        if let Some(local) = local::classify(&statement) {
            return Ok(match local {
                Local::Show(name) => Some(Rows {
                    columns: vec![airlock_core::Column::new(
                        shown_name(&name),
                        airlock_core::ColumnType::Text,
                    )],
                    rows: Vec::new(),
                }),
                _ => None,
            });
        }
        let mut session = self.session()?;
        let description =
            tokio::task::spawn_blocking(move || session.describe_statement(statement))
                .await
                .map_err(|e| internal(&e.to_string()))??;
        Ok(match description {
            Description::Rows(columns) => Some(Rows {
                columns,
                rows: Vec::new(),
            }),
            _ => None,
        })
    }
}

fn shown_name(name: &str) -> String {
    match name {
        "datestyle" => "DateStyle".to_owned(),
        "timezone" => "TimeZone".to_owned(),
        "intervalstyle" => "IntervalStyle".to_owned(),
        other => other.to_owned(),
    }
}

fn flatten(
    joined: Result<Result<airlock_engine::StatementResult, Diagnostic>, tokio::task::JoinError>,
) -> Result<airlock_engine::StatementResult, Diagnostic> {
    joined.map_err(|e| internal(&e.to_string()))?
}

fn internal(detail: &str) -> Diagnostic {
    Diagnostic::error(SqlState::InternalError, "the statement's task failed").with_detail(detail)
}

/// An error or warning of the server's own, whose SQLSTATE the engine has no name for.
pub fn warning_info((code, message): local::Warning, severity: &str) -> ErrorInfo {
    ErrorInfo::new(severity.to_owned(), code.to_owned(), message.to_owned())
}

fn row_description(fields: &[FieldInfo]) -> pgwire::messages::data::RowDescription {
    pgwire::messages::data::RowDescription::new(fields.iter().map(Into::into).collect())
}

/// A copy of a notice's fields (`ErrorInfo` is not `Clone`).
fn copy_info(info: &ErrorInfo) -> ErrorInfo {
    let mut copy = ErrorInfo::new(
        info.severity.clone(),
        info.code.clone(),
        info.message.clone(),
    );
    copy.detail = info.detail.clone();
    copy.hint = info.hint.clone();
    copy.position = info.position.clone();
    copy
}

/// A statement that ran.
#[derive(Debug)]
struct Done {
    /// `DEALLOCATE`: the prepared statement to close, or all (`Some(None)`).
    deallocate: Option<Option<String>>,
    rows: Option<Rows>,
    tag: String,
    notices: Vec<ErrorInfo>,
    changed: Vec<(String, String)>,
    block: Block,
}

fn block_of(status: TransactionStatus) -> Block {
    match status {
        TransactionStatus::Idle => Block::Idle,
        TransactionStatus::Transaction => Block::InTransaction,
        TransactionStatus::Error => Block::Failed,
    }
}

fn status_of(block: Block) -> TransactionStatus {
    match block {
        Block::Idle => TransactionStatus::Idle,
        Block::InTransaction => TransactionStatus::Transaction,
        Block::Failed => TransactionStatus::Error,
    }
}

fn fail(block: Block) -> Block {
    match block {
        Block::Idle => Block::Idle,
        _ => Block::Failed,
    }
}

/// The handlers of one connection.
#[derive(Debug, Clone)]
pub struct Handler {
    pub conn: Arc<Conn>,
}

/// A statement prepared with `Parse`: its text (for logs, masked) and its tree.
#[derive(Debug)]
pub struct Parsed {
    text: String,
    prepared: Prepared,
}

/// A statement's notices and the `ParameterStatus` of the parameters it changed, sent
/// before its result as PostgreSQL sends them.
async fn feed_side_messages<C>(client: &mut C, conn: &Conn, done: &Done) -> PgWireResult<()>
where
    C: ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send,
    C::PortalStore: PortalStore,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    match &done.deallocate {
        Some(Some(name)) => {
            client.portal_store().rm_statement(name);
            conn.lock().prepared.remove(name);
        }
        Some(None) => {
            let names = std::mem::take(&mut conn.lock().prepared);
            for name in names {
                client.portal_store().rm_statement(&name);
            }
        }
        None => {}
    }
    for notice in &done.notices {
        client
            .feed(PgWireBackendMessage::NoticeResponse(NoticeResponse::from(
                copy_info(notice),
            )))
            .await?;
    }
    for (name, value) in &done.changed {
        client
            .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                name.clone(),
                value.clone(),
            )))
            .await?;
    }
    Ok(())
}

/// A statement's messages in a simple query: its notices, its rows (described first)
/// and its command tag.
async fn feed_done<C>(
    client: &mut C,
    conn: &Conn,
    done: &Done,
    format: &Format,
    describe: bool,
) -> PgWireResult<()>
where
    C: ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send,
    C::PortalStore: PortalStore,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    feed_side_messages(client, conn, done).await?;
    match &done.rows {
        Some(rows) => {
            let fields = wire::fields(&rows.columns, format);
            if describe {
                client
                    .feed(PgWireBackendMessage::RowDescription(row_description(
                        &fields,
                    )))
                    .await?;
            }
            for row in &rows.rows {
                client
                    .feed(PgWireBackendMessage::DataRow(wire::data_row(row, &fields)?))
                    .await?;
            }
            client
                .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                    done.tag.clone(),
                )))
                .await?;
        }
        None => {
            client
                .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                    done.tag.clone(),
                )))
                .await?;
        }
    }
    Ok(())
}

#[async_trait]
impl SimpleQueryHandler for Handler {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let sql = query.query;
        let mut block = block_of(client.transaction_status());
        let parsed = airlock_parser::check_text(&sql)
            .and_then(|()| airlock_parser::parse_script(&sql, &PostgreSqlDialect {}))
            .map_err(|e| Diagnostic::from_error(&e));
        match parsed {
            Ok(statements) if statements.is_empty() => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
            }
            Ok(statements) => {
                for (statement, span) in statements {
                    let text = &sql[span.clone()];
                    match self.conn.run(statement, block).await {
                        Ok(done) => {
                            block = done.block;
                            feed_done(client, &self.conn, &done, &Format::UnifiedText, true)
                                .await?;
                        }
                        Err(mut info) => {
                            if let Some(p) = info.position.take() {
                                // The engine's positions are in the statement's text.
                                let offset = sql[..span.start].chars().count();
                                info.position =
                                    p.parse::<usize>().ok().map(|p| (p + offset).to_string());
                            }
                            self.conn.log_error(text, &info);
                            client
                                .feed(PgWireBackendMessage::ErrorResponse((*info).into()))
                                .await?;
                            block = fail(block);
                            break;
                        }
                    }
                }
            }
            Err(d) => {
                let position = d.position.map(|p| wire::char_position(&sql, 0, p));
                let info = wire::error_info(&d, position);
                self.conn.log_error(&sql, &info);
                client
                    .feed(PgWireBackendMessage::ErrorResponse(info.into()))
                    .await?;
                block = fail(block);
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(status_of(block));
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status_of(block),
            )))
            .await?;
        Ok(())
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_query` answers every simple query itself.
        Ok(Vec::new())
    }
}

#[async_trait]
impl QueryParser for Handler {
    type Statement = Arc<Parsed>;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        match params::prepare(sql) {
            Ok(Some(prepared)) => Ok(Some(Arc::new(Parsed {
                text: sql.to_owned(),
                prepared,
            }))),
            Ok(None) => Ok(None),
            Err(d) => {
                let position = d.position.map(|p| wire::char_position(sql, 0, p));
                let info = wire::error_info(&d, position);
                self.conn.log_error(sql, &info);
                Err(PgWireError::UserError(Box::new(info)))
            }
        }
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        Ok(vec![Type::TEXT; stmt.prepared.parameter_count()])
    }

    fn get_result_schema(
        &self,
        _stmt: &Self::Statement,
        _column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        // Described by `on_describe`, which asks the engine.
        Ok(Vec::new())
    }
}

/// The parameter types of a prepared statement: the client's, or text.
fn parameter_types(stored: &StoredStatement<Arc<Parsed>>) -> Vec<Type> {
    (0..stored.statement.prepared.parameter_count())
        .map(|i| {
            stored
                .parameter_types
                .get(i)
                .cloned()
                .flatten()
                .filter(|t| *t != Type::UNKNOWN)
                .unwrap_or(Type::TEXT)
        })
        .collect()
}

/// Checks a format-code list against `n` items (0, 1 or `n` codes, as PostgreSQL).
fn check_formats(format: &Format, n: usize, what: &str) -> Result<(), Box<ErrorInfo>> {
    match format {
        Format::Individual(codes) if codes.len() != n => Err(Box::new(ErrorInfo::new(
            "ERROR".to_owned(),
            "08P01".to_owned(),
            format!(
                "bind message has {} {what} formats but {n} {what}s",
                codes.len()
            ),
        ))),
        _ => Ok(()),
    }
}

/// A portal's statement with its values bound.
fn bind_portal(portal: &Portal<Arc<Parsed>>) -> Result<Statement, Box<ErrorInfo>> {
    let types = parameter_types(&portal.statement);
    if portal.parameters.len() != types.len() {
        return Err(Box::new(ErrorInfo::new(
            "ERROR".to_owned(),
            "08P01".to_owned(),
            format!(
                "bind message supplies {} parameters, but prepared statement requires {}",
                portal.parameters.len(),
                types.len()
            ),
        )));
    }
    check_formats(&portal.parameter_format, types.len(), "parameter")?;
    let values = portal
        .parameters
        .iter()
        .zip(&types)
        .enumerate()
        .map(|(i, (value, ty))| {
            wire::decode_parameter(ty, portal.parameter_format.is_binary(i), value.as_deref())
        })
        .collect::<Result<Vec<ParamValue>, _>>()
        .map_err(|d| Box::new(wire::error_info(&d, None)))?;
    portal
        .statement
        .statement
        .prepared
        .bind(values)
        .map_err(|d| Box::new(wire::error_info(&d, None)))
}

#[async_trait]
impl ExtendedQueryHandler for Handler {
    type Statement = Arc<Parsed>;
    type QueryParser = Handler;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::new(self.clone())
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // pgwire's own Parse, plus the name, for `DEALLOCATE ALL`.
        let name = message
            .name
            .clone()
            .unwrap_or_else(|| DEFAULT_NAME.to_owned());
        match StoredStatement::parse(client, &message, self.query_parser()).await? {
            Some(stmt) => client.portal_store().put_statement(Arc::new(stmt)),
            None => client.portal_store().put_empty_statement(&name),
        }
        if message.name.is_some() {
            self.conn.lock().prepared.insert(name);
        }
        client
            .send(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let (statement, parameters, format, text) = match message.target_type {
            TARGET_TYPE_BYTE_STATEMENT => match client.portal_store().get_statement(name) {
                Some(Entry::Value(stored)) => {
                    let types = parameter_types(&stored);
                    let nulls = vec![ParamValue::Null; types.len()];
                    let prepared = &stored.statement.prepared;
                    // A secret statement describes as a command whatever its value.
                    let statement = match prepared.statement() {
                        s @ (Statement::CreateSecret(_) | Statement::AlterSecret(_)) => {
                            Ok(s.clone())
                        }
                        _ => prepared.bind(nulls),
                    };
                    (
                        statement.map_err(|d| Box::new(wire::error_info(&d, None))),
                        Some(types),
                        Format::UnifiedText,
                        stored.statement.text.clone(),
                    )
                }
                Some(Entry::Empty) => {
                    client
                        .send(PgWireBackendMessage::ParameterDescription(
                            ParameterDescription::new(Vec::new()),
                        ))
                        .await?;
                    client
                        .send(PgWireBackendMessage::NoData(NoData::new()))
                        .await?;
                    return Ok(());
                }
                None => return Err(PgWireError::StatementNotFound(name.to_owned())),
            },
            TARGET_TYPE_BYTE_PORTAL => match client.portal_store().get_portal(name) {
                Some(Entry::Value(portal)) => {
                    let format = portal.result_column_format.clone();
                    (
                        bind_portal(&portal),
                        None,
                        format,
                        portal.statement.statement.text.clone(),
                    )
                }
                Some(Entry::Empty) => {
                    client
                        .send(PgWireBackendMessage::NoData(NoData::new()))
                        .await?;
                    return Ok(());
                }
                None => return Err(PgWireError::PortalNotFound(name.to_owned())),
            },
            other => return Err(PgWireError::InvalidTargetType(other)),
        };
        let described = match statement {
            Ok(statement) => self
                .conn
                .describe(statement)
                .await
                .map_err(|d| Box::new(wire::error_info(&d, None))),
            Err(info) => Err(info),
        };
        let rows = match described {
            Ok(rows) => rows,
            Err(info) => {
                self.conn.log_error(&text, &info);
                return Err(PgWireError::UserError(info));
            }
        };
        if let Some(types) = parameters {
            client
                .send(PgWireBackendMessage::ParameterDescription(
                    ParameterDescription::new(types.iter().map(Type::oid).collect()),
                ))
                .await?;
        }
        match rows {
            Some(rows) => {
                if let Err(info) = check_formats(&format, rows.columns.len(), "result") {
                    return Err(PgWireError::UserError(info));
                }
                let fields = wire::fields(&rows.columns, &format);
                client
                    .send(PgWireBackendMessage::RowDescription(row_description(
                        &fields,
                    )))
                    .await?;
            }
            None => {
                client
                    .send(PgWireBackendMessage::NoData(NoData::new()))
                    .await?
            }
        }
        Ok(())
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let text = portal.statement.statement.text.clone();
        let block = block_of(client.transaction_status());
        let result = match bind_portal(portal) {
            Ok(statement) => self.conn.run(statement, block).await,
            Err(info) => Err(info),
        };
        let done = match result {
            Ok(done) => done,
            Err(info) => {
                self.conn.log_error(&text, &info);
                return Err(PgWireError::UserError(info));
            }
        };
        feed_side_messages(client, &self.conn, &done).await?;
        if let Some(rows) = done.rows {
            let format = &portal.result_column_format;
            if let Err(info) = check_formats(format, rows.columns.len(), "result") {
                return Err(PgWireError::UserError(info));
            }
            let fields = wire::fields(&rows.columns, format);
            let data = rows
                .rows
                .iter()
                .map(|row| wire::data_row(row, &fields))
                .collect::<Vec<_>>();
            return Ok(Response::Query(QueryResponse::new(
                fields,
                futures::stream::iter(data),
            )));
        }
        let tag = Tag::new(&done.tag);
        Ok(match (done.block, block) {
            (Block::InTransaction, Block::Idle) => Response::TransactionStart(tag),
            (Block::Idle, Block::InTransaction | Block::Failed) => Response::TransactionEnd(tag),
            _ => Response::Execution(tag),
        })
    }
}

//! The shell as a client: `airlock -h HOST [-p PORT] [-U USER]` runs on an `airlock serve`
//! server instead of a catalog file, with the same output as locally.
//!
//! The client speaks the PostgreSQL protocol (version 3) over TCP with `postgres-protocol`,
//! the message codec of the `rust-postgres` project, on a blocking socket: the shell runs
//! one statement at a time, so it needs no async runtime. It uses the simple-query flow
//! because that is what returns every value as text with its column's type OID: the
//! shell prints PostgreSQL's text forms and aligns numbers by type, exactly as it does
//! for a local catalog. (The `postgres`/`tokio-postgres` clients hide the type OIDs of a
//! simple query and ask for binary values in the extended one.)
//!
//! - Authentication: SCRAM-SHA-256 (the server's default; the server's signature is
//!   checked), cleartext and MD5 for completeness, or none (`--auth trust`). The password
//!   comes from `PGPASSWORD`, else is asked on the terminal (echo off) when the server
//!   wants one; `-W` asks before connecting, `-w` never asks.
//! - Each statement is sent as its own query, so the shell's loop (Ctrl-C between
//!   statements, `\timing` per statement, `ON_ERROR_STOP`) is the same as locally; an
//!   error's position is moved back into the whole text the user typed.
//! - Ctrl-C sends PostgreSQL's `CancelRequest` on a new connection with the key the
//!   server gave at startup.
//! - No TLS yet: connect over loopback or a trusted network (see `docs/server.md`).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use airlock_engine::core::{Column, ColumnType, Diagnostic, Position, Rows, Severity, SqlState};
use airlock_engine::{Response, StatementResult};
use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::sasl::{self, ChannelBinding, ScramSha256};
use postgres_protocol::message::{backend, frontend};

use crate::backend::{Backend, Canceller, Planned};

/// `airlock serve`'s default port (Materialize's).
pub const DEFAULT_PORT: u16 = 6875;

/// How long connecting (and sending a cancel) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// When the password is asked for on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordPrompt {
    /// When the server asks for one and `PGPASSWORD` is not set (psql's default).
    #[default]
    IfNeeded,
    /// `-W`: before connecting.
    Always,
    /// `-w`: never; a server that wants a password refuses the connection.
    Never,
}

/// The server to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: Option<String>,
    pub prompt: PasswordPrompt,
}

/// A password, wiped from memory when dropped.
struct Password(Vec<u8>);

impl Drop for Password {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(|b| *b = 0);
    }
}

/// A connection to an `airlock serve` server.
#[derive(Debug)]
pub struct Remote {
    target: Target,
    stream: TcpStream,
    addr: SocketAddr,
    buffer: BytesMut,
    /// `BackendKeyData`: what a cancel request names. Shared with the canceller, which
    /// must follow a reconnect.
    key: Arc<Mutex<Option<(i32, i32)>>>,
    /// The server went away; the next statement reconnects.
    broken: bool,
}

impl Remote {
    /// Connects and authenticates. The error is psql's text after `error: `.
    pub fn connect(target: Target) -> Result<Remote, String> {
        let mut password = match target.prompt {
            PasswordPrompt::Always => Some(ask_password(&target.user)?),
            _ => None,
        };
        Remote::connect_with(target, &mut password)
    }

    fn connect_with(target: Target, password: &mut Option<Password>) -> Result<Remote, String> {
        if target.host.starts_with('/') {
            return Err(format!(
                "connection to server on socket \"{}\" failed: Unix-domain sockets are not supported; give a host name or address",
                target.host
            ));
        }
        let (host, port) = (target.host.clone(), target.port);
        let failed = move |addr: Option<&SocketAddr>, why: &str| match addr {
            Some(addr) if addr.ip().to_string() != host => format!(
                "connection to server at \"{host}\" ({}), port {port} failed: {why}",
                addr.ip(),
            ),
            _ => format!("connection to server at \"{host}\", port {port} failed: {why}"),
        };
        let addrs: Vec<SocketAddr> = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|e| {
                format!(
                    "could not translate host name \"{}\" to address: {e}",
                    target.host
                )
            })?
            .collect();
        let mut last = None;
        let mut connected = None;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    connected = Some((stream, *addr));
                    break;
                }
                Err(e) => last = Some((*addr, e)),
            }
        }
        let (stream, addr) = match (connected, last) {
            (Some(found), _) => found,
            (None, Some((addr, e))) => {
                return Err(failed(
                    Some(&addr),
                    &format!(
                        "{}\n\tIs the server running on that host and accepting TCP/IP connections?",
                        io_reason(&e)
                    ),
                ));
            }
            (None, None) => return Err(failed(None, "no address")),
        };
        let _ = stream.set_nodelay(true);
        let mut remote = Remote {
            target,
            stream,
            addr,
            buffer: BytesMut::with_capacity(8192),
            key: Arc::default(),
            broken: false,
        };
        remote
            .start(password)
            .map_err(|why| failed(Some(&addr), &why))?;
        Ok(remote)
    }

    /// The startup packet and authentication, up to the first `ReadyForQuery`.
    fn start(&mut self, password: &mut Option<Password>) -> Result<(), String> {
        let mut out = BytesMut::new();
        let mut params = vec![
            ("user", self.target.user.as_str()),
            ("application_name", "airlock"),
            ("client_encoding", "UTF8"),
        ];
        if let Some(database) = &self.target.database {
            params.push(("database", database.as_str()));
        }
        frontend::startup_message(params, &mut out).map_err(|e| e.to_string())?;
        self.send(&out).map_err(|e| io_reason(&e))?;
        let mut scram: Option<ScramSha256> = None;
        loop {
            let message = self.receive().map_err(|e| io_reason(&e))?;
            let mut out = BytesMut::new();
            match message {
                backend::Message::AuthenticationOk => {}
                backend::Message::AuthenticationCleartextPassword => {
                    let password = self.password(password)?;
                    frontend::password_message(&password.0, &mut out).map_err(|e| e.to_string())?;
                }
                backend::Message::AuthenticationMd5Password(body) => {
                    let password = self.password(password)?;
                    let hash = postgres_protocol::authentication::md5_hash(
                        self.target.user.as_bytes(),
                        &password.0,
                        body.salt(),
                    );
                    frontend::password_message(hash.as_bytes(), &mut out)
                        .map_err(|e| e.to_string())?;
                }
                backend::Message::AuthenticationSasl(body) => {
                    let mechanisms: Vec<String> = body
                        .mechanisms()
                        .map(|m| Ok(m.to_owned()))
                        .collect()
                        .map_err(|e| e.to_string())?;
                    if !mechanisms.iter().any(|m| m == sasl::SCRAM_SHA_256) {
                        return Err(format!(
                            "none of the server's SASL authentication mechanisms are supported ({})",
                            mechanisms.join(", ")
                        ));
                    }
                    let password = self.password(password)?;
                    let client = ScramSha256::new(&password.0, ChannelBinding::unsupported());
                    frontend::sasl_initial_response(
                        sasl::SCRAM_SHA_256,
                        client.message(),
                        &mut out,
                    )
                    .map_err(|e| e.to_string())?;
                    scram = Some(client);
                }
                backend::Message::AuthenticationSaslContinue(body) => {
                    let client = scram.as_mut().ok_or("unexpected SASL message")?;
                    client
                        .update(body.data())
                        .map_err(|e| format!("SCRAM: {e}"))?;
                    frontend::sasl_response(client.message(), &mut out)
                        .map_err(|e| e.to_string())?;
                }
                backend::Message::AuthenticationSaslFinal(body) => {
                    // Checks the server's signature: a server that does not know the
                    // password cannot pretend it does.
                    scram
                        .as_mut()
                        .ok_or("unexpected SASL message")?
                        .finish(body.data())
                        .map_err(|e| format!("SCRAM: {e}"))?;
                }
                backend::Message::BackendKeyData(body) => {
                    *self.key.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some((body.process_id(), body.secret_key()));
                }
                backend::Message::ErrorResponse(body) => {
                    let d = diagnostic(body.fields(), Severity::Error);
                    return Err(format!("FATAL:  {}", d.message));
                }
                backend::Message::ReadyForQuery(_) => return Ok(()),
                backend::Message::ParameterStatus(_) | backend::Message::NoticeResponse(_) => {}
                _ => {
                    return Err("unexpected message from the server during startup".to_owned());
                }
            }
            if !out.is_empty() {
                self.send(&out).map_err(|e| io_reason(&e))?;
            }
        }
    }

    /// The password the server asked for: kept from `-W`, else `PGPASSWORD`, else asked.
    fn password<'p>(&self, password: &'p mut Option<Password>) -> Result<&'p Password, String> {
        if password.is_none() {
            let found = match std::env::var_os("PGPASSWORD") {
                Some(value) => Password(value.into_encoded_bytes()),
                None if self.target.prompt == PasswordPrompt::Never => {
                    return Err("fe_sendauth: no password supplied".to_owned());
                }
                None => ask_password(&self.target.user)?,
            };
            *password = Some(found);
        }
        password
            .as_ref()
            .ok_or_else(|| "fe_sendauth: no password supplied".to_owned())
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// The next message from the server.
    fn receive(&mut self) -> io::Result<backend::Message> {
        loop {
            if let Some(message) = backend::Message::parse(&mut self.buffer)? {
                return Ok(message);
            }
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed the connection unexpectedly",
                ));
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }

    /// Runs `sql` as one simple query: its result, or its error.
    fn simple_query(&mut self, sql: &str) -> io::Result<Result<StatementResult, Diagnostic>> {
        let mut out = BytesMut::new();
        frontend::query(sql, &mut out)?;
        self.send(&out)?;
        let mut notices = Vec::new();
        let mut rows: Option<Rows> = None;
        let mut response = None;
        let mut error = None;
        loop {
            match self.receive()? {
                backend::Message::RowDescription(body) => {
                    let columns = body
                        .fields()
                        .map(|f| Ok(Column::new(f.name(), column_type(f.type_oid()))))
                        .collect()?;
                    rows = Some(Rows {
                        columns,
                        rows: Vec::new(),
                    });
                }
                backend::Message::DataRow(body) => {
                    let Some(rows) = rows.as_mut() else {
                        return Err(protocol("a data row without a row description"));
                    };
                    let buffer = body.buffer();
                    let row = body
                        .ranges()
                        .map(|r| Ok(r.map(|r| String::from_utf8_lossy(&buffer[r]).into_owned())))
                        .collect()?;
                    rows.rows.push(row);
                }
                backend::Message::CommandComplete(body) => {
                    response = Some(match rows.take() {
                        Some(rows) => Response::Rows(rows),
                        None => Response::Command(body.tag()?.to_owned()),
                    });
                }
                backend::Message::EmptyQueryResponse => {
                    response = Some(Response::Command(String::new()));
                }
                backend::Message::NoticeResponse(body) => {
                    notices.push(diagnostic(body.fields(), Severity::Notice));
                }
                backend::Message::ErrorResponse(body) => {
                    error = Some(diagnostic(body.fields(), Severity::Error));
                }
                backend::Message::ReadyForQuery(_) => break,
                backend::Message::CopyInResponse(_) => {
                    let mut out = BytesMut::new();
                    frontend::copy_fail("COPY is not supported by the airlock shell", &mut out)?;
                    self.send(&out)?;
                }
                _ => {}
            }
        }
        Ok(match (error, response) {
            (Some(e), _) => Err(e),
            (None, Some(response)) => Ok(StatementResult { response, notices }),
            (None, None) => Err(Diagnostic::error(
                SqlState::ProtocolViolation,
                "the server sent no result",
            )),
        })
    }
}

impl Backend for Remote {
    fn execute(&mut self, text: &str, planned: Planned) -> Result<StatementResult, Diagnostic> {
        if self.broken {
            let mut password = None;
            match Remote::connect_with(self.target.clone(), &mut password) {
                Ok(fresh) => {
                    // The canceller holds this connection's key cell: give it the new key.
                    let shared = Arc::clone(&self.key);
                    *self = fresh;
                    let key = *self.key.lock().unwrap_or_else(PoisonError::into_inner);
                    *shared.lock().unwrap_or_else(PoisonError::into_inner) = key;
                    self.key = shared;
                }
                Err(e) => {
                    return Err(Diagnostic::error(
                        SqlState::ConnectionFailure,
                        format!("no connection to the server: {e}"),
                    ));
                }
            }
        }
        let statement = &text[planned.span.clone()];
        match self.simple_query(statement) {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(mut e)) => {
                // The server counted from the start of this statement; the shell shows
                // the error in the whole text.
                if let Some(p) = e.position {
                    let before = text[..planned.span.start].chars().count() as u64;
                    e.position = Some(position_in(text, before + p.column));
                }
                Err(e)
            }
            Err(e) => {
                self.broken = true;
                let mut d = Diagnostic::error(SqlState::ConnectionFailure, io_reason(&e));
                d.hint = Some(
                    "The server may have stopped; the next statement tries to reconnect."
                        .to_owned(),
                );
                Err(d)
            }
        }
    }

    fn canceller(&self) -> Canceller {
        let addr = self.addr;
        let key = Arc::clone(&self.key);
        Arc::new(move || {
            let Some((process_id, secret_key)) =
                *key.lock().unwrap_or_else(PoisonError::into_inner)
            else {
                return;
            };
            let mut out = BytesMut::new();
            frontend::cancel_request(process_id, secret_key, &mut out);
            if let Ok(mut stream) = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                let _ = stream.write_all(&out);
            }
        })
    }

    fn backup(&mut self, _dest: &Path) -> Result<(), Diagnostic> {
        let mut d = Diagnostic::error(
            SqlState::FeatureNotSupported,
            "\\backup copies a local catalog file",
        );
        d.hint = Some("Run \\backup in an airlock shell on the server's machine.".to_owned());
        Err(d)
    }

    fn conninfo(&self) -> String {
        format!(
            "You are connected to database \"{}\" as user \"{}\" on host \"{}\" at port \"{}\".\n",
            self.target.database.as_deref().unwrap_or(&self.target.user),
            self.target.user,
            self.target.host,
            self.target.port
        )
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        let mut out = BytesMut::new();
        frontend::terminate(&mut out);
        let _ = self.stream.write_all(&out);
    }
}

/// Asks for the password on the terminal with echo off, as psql does.
fn ask_password(user: &str) -> Result<Password, String> {
    use std::io::IsTerminal;
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err("fe_sendauth: no password supplied".to_owned());
    }
    eprint!("Password for user {user}: ");
    let line = read_without_echo(&stdin).map_err(|e| e.to_string())?;
    eprintln!();
    Ok(Password(line.into_bytes()))
}

#[cfg(unix)]
fn read_without_echo(stdin: &io::Stdin) -> io::Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let saved = tcgetattr(stdin)?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(stdin, OptionalActions::Now, &quiet)?;
    let mut line = String::new();
    let read = stdin.read_line(&mut line);
    let _ = tcsetattr(stdin, OptionalActions::Now, &saved);
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(not(unix))]
fn read_without_echo(stdin: &io::Stdin) -> io::Result<String> {
    let mut line = String::new();
    stdin.read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// An `ErrorResponse` or `NoticeResponse` as the shell's diagnostic.
fn diagnostic(mut fields: backend::ErrorFields<'_>, default: Severity) -> Diagnostic {
    let mut d = Diagnostic::error(SqlState::InternalError, String::new());
    d.severity = default;
    while let Ok(Some(field)) = fields.next() {
        let value = String::from_utf8_lossy(field.value_bytes());
        let value = value.as_ref();
        match field.type_() {
            b'V' => d.severity = severity(value).unwrap_or(default),
            b'C' => d.code = SqlState::from_code(value).unwrap_or(d.code),
            b'M' => d.message = value.to_owned(),
            b'D' => d.detail = Some(value.to_owned()),
            b'H' => d.hint = Some(value.to_owned()),
            b'P' => {
                // A character index into the query: kept as column `index` of line 1
                // until `execute` places it in the text the user typed.
                d.position = value.parse::<u64>().ok().map(|index| Position {
                    line: 1,
                    column: index,
                });
            }
            _ => {}
        }
    }
    if d.severity != Severity::Error && d.code == SqlState::InternalError {
        d.code = SqlState::SuccessfulCompletion;
    }
    d
}

fn severity(value: &str) -> Option<Severity> {
    Some(match value {
        "ERROR" | "FATAL" | "PANIC" => Severity::Error,
        "WARNING" => Severity::Warning,
        "NOTICE" | "INFO" | "LOG" | "DEBUG" => Severity::Notice,
        _ => return None,
    })
}

/// The line and column of the 1-based character `index` of `text`.
fn position_in(text: &str, index: u64) -> Position {
    let mut before = 0u64;
    let mut line = 1u64;
    for piece in text.split_inclusive('\n') {
        let len = piece.chars().count() as u64;
        if index <= before + len {
            return Position {
                line,
                column: index - before,
            };
        }
        before += len;
        line += 1;
    }
    Position {
        line: line.saturating_sub(1).max(1),
        column: index.saturating_sub(before).max(1),
    }
}

/// The shell's type for a PostgreSQL type OID: what decides alignment.
fn column_type(oid: u32) -> ColumnType {
    match oid {
        16 => ColumnType::Bool,
        20 => ColumnType::Int8,
        21 | 23 => ColumnType::Int4,
        700 | 701 => ColumnType::Float8,
        1700 => ColumnType::Numeric,
        26 => ColumnType::Oid,
        1184 => ColumnType::TimestampTz,
        3802 => ColumnType::Jsonb,
        _ => ColumnType::Text,
    }
}

fn protocol(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// psql's wording for a failed socket operation.
fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "Connection refused".to_owned(),
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe => "server closed the connection unexpectedly".to_owned(),
        io::ErrorKind::TimedOut => "timeout expired".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_come_back_to_lines_and_columns() {
        let text = "SELECT 1;\nSELECT é FROM x;";
        assert_eq!(position_in(text, 1), Position { line: 1, column: 1 });
        assert_eq!(
            position_in(text, 10),
            Position {
                line: 1,
                column: 10
            }
        );
        assert_eq!(position_in(text, 11), Position { line: 2, column: 1 });
        assert_eq!(position_in(text, 18), Position { line: 2, column: 8 });
    }

    #[test]
    fn type_oids_decide_alignment() {
        assert!(column_type(20).is_numeric());
        assert!(column_type(1700).is_numeric());
        assert!(!column_type(25).is_numeric());
        assert!(!column_type(16).is_numeric());
    }
}

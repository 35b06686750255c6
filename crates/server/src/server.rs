//! The listener and each connection's life: TLS negotiation, startup and
//! authentication, the message loop with its idle timeout, the connection limit, and
//! graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use airlock_engine::{Engine, EngineConfig};
use futures::{SinkExt, StreamExt};
use pgwire::api::auth::StartupHandler;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::{
    ClientInfo, METADATA_APPLICATION_NAME, METADATA_USER, NoopHandler, PgWireConnectionState,
};
use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::TlsAcceptor;
use pgwire::tokio::server::{
    MaybeTls, PgWireMessageServerCodec, negotiate_tls, process_error, process_message,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::codec::{Framed, FramedParts};

use crate::auth::{Cancels, Keys, Parameters, Trust, Users};
use crate::handler::{Conn, Handler, Parsed};
use crate::limit::{Framing, Limited};
use crate::local::Settings;
use crate::log::{ConnectionSummary, Log};

/// How clients prove who they are.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Anyone may connect as any user: accepted only on a loopback address.
    Trust,
    /// SCRAM-SHA-256 against these users' verifiers.
    Scram(Users),
}

/// Everything `airlock serve` is told.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The catalog file (`:memory:` for a throwaway one).
    pub catalog: PathBuf,
    pub auth: Auth,
    /// PEM certificate chain and private key: TLS is offered when set.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Refuse connections that do not negotiate TLS.
    pub require_tls: bool,
    /// Connections served at once; the next ones are told the server is full.
    pub max_connections: usize,
    /// Close a session idle (between statements) this long.
    pub idle_timeout: Option<Duration>,
    /// Cancel a statement running this long (each session may `SET statement_timeout`).
    pub statement_timeout: Option<Duration>,
    /// The time a client has to finish TLS, startup and authentication.
    pub startup_timeout: Duration,
    /// On SIGTERM, how long running statements have to finish.
    pub shutdown_grace: Duration,
    /// The largest message a client may send; a larger one ends its connection.
    pub max_message_bytes: usize,
    pub log: Log,
    /// The engine's settings (its `authorizer` is asked with each session's user, its
    /// `aws` is how `VALIDATE CONNECTION` reaches AWS). `foreign_statements` is always
    /// `Reject`: the server runs the standalone engine.
    pub engine: EngineConfig,
}

impl ServerConfig {
    /// The defaults of `airlock serve`: Materialize's port on loopback, SCRAM with no
    /// users yet.
    pub fn new(catalog: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 6875)),
            catalog: catalog.into(),
            auth: Auth::Scram(Users::default()),
            tls: None,
            require_tls: false,
            max_connections: 100,
            idle_timeout: None,
            statement_timeout: None,
            startup_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
            max_message_bytes: crate::limit::MAX_MESSAGE_BYTES,
            log: Log::default(),
            // Every authenticated user may do everything unless the host says otherwise
            // (`airlock serve --new-users login`): see docs/privileges.md.
            engine: EngineConfig {
                new_users: airlock_engine::NewUsers::Superuser,
                ..EngineConfig::default()
            },
        }
    }

    fn check(&self) -> Result<(), String> {
        if matches!(self.auth, Auth::Trust) && !self.listen.ip().is_loopback() {
            return Err(format!(
                "--auth trust is accepted only on a loopback address, not {}: use --auth scram with --users",
                self.listen.ip()
            ));
        }
        if self.require_tls && self.tls.is_none() {
            return Err("--require-tls needs --tls-cert and --tls-key".to_owned());
        }
        if self.max_connections == 0 {
            return Err("--max-connections must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// What every connection shares.
#[derive(Debug)]
pub struct Shared {
    pub engine: Engine,
    pub log: Log,
    pub keys: Arc<Keys>,
    statement_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    startup_timeout: Duration,
    require_tls: bool,
    max_message_bytes: usize,
}

/// The handshake and startup handler of the configured authentication.
enum Startup {
    Trust(Arc<Trust>),
    Scram(Arc<SASLAuthStartupHandler<Parameters>>),
}

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
    startup: Arc<Startup>,
    tls: Option<TlsAcceptor>,
    max_connections: usize,
    shutdown_grace: Duration,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Checks the configuration, opens the catalog and binds the address.
    pub async fn bind(config: ServerConfig) -> Result<Server, String> {
        config.check()?;
        let engine_config = EngineConfig {
            foreign_statements: airlock_engine::ForeignStatements::Reject,
            ..config.engine.clone()
        };
        let engine = Engine::open(&config.catalog, engine_config).map_err(|d| {
            format!(
                "cannot open catalog {}: {}",
                airlock_engine::catalog::display_location(&config.catalog),
                d.message
            )
        })?;
        let tls = match &config.tls {
            Some((cert, key)) => Some(crate::tls::acceptor(cert, key)?),
            None => None,
        };
        let keys = Arc::new(Keys::new());
        let parameters = Arc::new(Parameters {
            statement_timeout: config.statement_timeout,
        });
        let startup = match &config.auth {
            Auth::Trust => Startup::Trust(Arc::new(Trust {
                parameters,
                keys: keys.clone(),
            })),
            Auth::Scram(users) => {
                let mut scram = ScramAuth::new(Arc::new(users.clone()));
                scram.set_iterations(crate::auth::ITERATIONS);
                if let Some((cert, _)) = &config.tls {
                    // SCRAM-SHA-256-PLUS: the password proof is bound to this TLS channel.
                    let pem =
                        std::fs::read(cert).map_err(|e| format!("{}: {e}", cert.display()))?;
                    scram
                        .configure_certificate(&pem)
                        .map_err(|e| format!("{}: {e}", cert.display()))?;
                }
                Startup::Scram(Arc::new(
                    SASLAuthStartupHandler::new(parameters)
                        .with_scram(scram)
                        .with_pid_secret_key_generator(keys.clone()),
                ))
            }
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let auth = match config.auth {
            Auth::Trust => "trust",
            Auth::Scram(_) => "scram",
        };
        config.log.listening(
            listener.local_addr().map_err(|e| e.to_string())?,
            tls.is_some(),
            auth,
        );
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                engine,
                log: config.log,
                keys,
                statement_timeout: config.statement_timeout,
                idle_timeout: config.idle_timeout,
                startup_timeout: config.startup_timeout,
                require_tls: config.require_tls,
                max_message_bytes: config.max_message_bytes,
            }),
            startup: Arc::new(startup),
            tls,
            max_connections: config.max_connections,
            shutdown_grace: config.shutdown_grace,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes; then stops accepting, closes idle sessions,
    /// lets running statements finish (up to the grace period) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let slots = Arc::new(Semaphore::new(self.max_connections));
        // Refusals are cheap but not free: past this many at once, close at once.
        let refusals = Arc::new(Semaphore::new(64));
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            while tasks.try_join_next().is_some() {}
            let (tcp, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        self.shared.log.line(&format!("accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
            };
            match slots.clone().try_acquire_owned() {
                Ok(permit) => {
                    let shared = self.shared.clone();
                    let startup = self.startup.clone();
                    let tls = self.tls.clone();
                    let stopped = stopped.clone();
                    tasks.spawn(async move {
                        connection(tcp, peer, shared, startup, tls, stopped).await;
                        drop(permit);
                    });
                }
                Err(_) => {
                    if let Ok(permit) = refusals.clone().try_acquire_owned() {
                        let shared = self.shared.clone();
                        tasks.spawn(async move {
                            refuse_full(tcp, peer, &shared).await;
                            drop(permit);
                        });
                    }
                }
            }
        }
        drop(self.listener);
        self.shared.log.line("shutting down: no new connections");
        let _ = stop.send(true);
        let deadline = tokio::time::sleep(self.shutdown_grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => {
                    self.shared.log.line("shutdown grace period over: closing the remaining connections");
                    tasks.abort_all();
                    while tasks.join_next().await.is_some() {}
                    break;
                }
                next = tasks.join_next() => if next.is_none() { break },
            }
        }
        self.shared.log.line("shut down");
    }
}

/// Runs `airlock serve` until SIGTERM or SIGINT: the blocking entry point of the
/// binary (and of the `airlock serve` subcommand).
pub fn serve(config: ServerConfig) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        let shutdown = async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                        return;
                    }
                };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        server.run(shutdown).await;
        Ok(())
    })
}

type Socket = Framed<Limited<MaybeTls>, PgWireMessageServerCodec<Arc<Parsed>>>;

/// The negotiated connection with the message-size bound in front of pgwire's codec;
/// the bytes pgwire already read are checked too.
fn limited(socket: Framed<MaybeTls, PgWireMessageServerCodec<Arc<Parsed>>>, max: usize) -> Socket {
    let old = socket.into_parts();
    let mut framing = Framing::new(max);
    // A violation is kept: the next read reports it, after the messages before it.
    let _ = framing.observe(&old.read_buf);
    let mut parts = FramedParts::new(Limited::new(old.io, framing), old.codec);
    parts.read_buf = old.read_buf;
    parts.write_buf = old.write_buf;
    Framed::from_parts(parts)
}

/// A FATAL error sent before closing.
fn fatal(code: &str, message: &str) -> PgWireBackendMessage {
    PgWireBackendMessage::ErrorResponse(
        ErrorInfo::new("FATAL".to_owned(), code.to_owned(), message.to_owned()).into(),
    )
}

/// Tells a client past the connection limit, after its startup packet, that the
/// server is full (PostgreSQL's 53300), and closes.
async fn refuse_full(tcp: TcpStream, peer: SocketAddr, shared: &Shared) {
    let answer = async {
        let Some(mut socket) = negotiate_tls::<()>(tcp, None).await.ok().flatten() else {
            return;
        };
        // The startup packet (or a cancel request, which needs no answer).
        if let Some(Ok(PgWireFrontendMessage::Startup(_))) = socket.next().await {
            let _ = socket
                .send(fatal("53300", "sorry, too many clients already"))
                .await;
        }
        let _ = socket.close().await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), answer).await;
    shared
        .log
        .line(&format!("refused peer={peer}: too many connections"));
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    startup: Arc<Startup>,
    tls: Option<TlsAcceptor>,
    stopped: watch::Receiver<bool>,
) {
    let started = Instant::now();
    let conn = Arc::new(Conn {
        shared: shared.clone(),
        peer,
        state: Default::default(),
    });
    let deadline = tokio::time::Instant::now() + shared.startup_timeout;
    let end = match tokio::time::timeout_at(deadline, negotiate_tls::<Arc<Parsed>>(tcp, tls)).await
    {
        Ok(Ok(Some(socket))) => {
            let mut socket = limited(socket, shared.max_message_bytes);
            let end = if shared.require_tls && !socket.is_secure() {
                let _ = tokio::time::timeout_at(deadline, socket.next()).await;
                let _ = socket
                    .send(fatal(
                        "28000",
                        "this server accepts TLS connections only: connect with sslmode=require",
                    ))
                    .await;
                "refused: no TLS"
            } else {
                match &*startup {
                    Startup::Trust(h) => {
                        messages(&mut socket, &conn, h.clone(), deadline, stopped).await
                    }
                    Startup::Scram(h) => {
                        messages(&mut socket, &conn, h.clone(), deadline, stopped).await
                    }
                }
            };
            let _ = socket.close().await;
            end
        }
        Ok(Ok(None)) => "refused: TLS not offered",
        Ok(Err(_)) => "bad handshake",
        Err(_) => "startup timeout",
    };
    log_end(&shared, &conn, peer, started, end);
}

/// Unregisters a connection's cancel key and writes its log line.
fn log_end(shared: &Shared, conn: &Conn, peer: SocketAddr, started: Instant, end: &'static str) {
    let summary = {
        let mut state = conn
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((pid, key)) = state.cancel_key.take() {
            shared.keys.unregister(pid, &key);
        }
        ConnectionSummary {
            user: state.user.clone(),
            application_name: state.application_name.clone(),
            duration: started.elapsed(),
            statements: state.statements,
            errors: state.errors,
            end,
        }
    };
    shared.log.connection(peer, &summary);
}

/// The message loop of one connection; returns why it ended.
async fn messages<A: StartupHandler + 'static>(
    socket: &mut Socket,
    conn: &Arc<Conn>,
    startup: Arc<A>,
    deadline: tokio::time::Instant,
    mut stopped: watch::Receiver<bool>,
) -> &'static str {
    let handler = Arc::new(Handler { conn: conn.clone() });
    let copy = Arc::new(NoopHandler);
    let cancels = Arc::new(Cancels(conn.shared.keys.clone()));
    let idle = conn.shared.idle_timeout;
    loop {
        let authenticating = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        );
        let next = if authenticating {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return "startup timeout",
                next = socket.next() => next,
            }
        } else {
            let idle_sleep = async {
                match idle {
                    Some(idle) => tokio::time::sleep(idle).await,
                    None => std::future::pending().await,
                }
            };
            // Messages already sent come first: a shutdown or the idle timeout closes a
            // session only between requests, never between an Execute and its Sync.
            tokio::select! {
                biased;
                next = socket.next() => next,
                _ = stopped.changed() => {
                    let _ = socket.send(fatal("57P01", "terminating connection due to administrator command")).await;
                    return "server shutdown";
                }
                () = idle_sleep => {
                    let _ = socket.send(fatal("57P05", "terminating connection due to idle-session timeout")).await;
                    return "idle timeout";
                }
            }
        };
        let message = match next {
            Some(Ok(message)) => message,
            Some(Err(e)) => {
                // A message that does not decode: the stream cannot be trusted past it.
                let info = ErrorInfo::new(
                    "FATAL".to_owned(),
                    "08P01".to_owned(),
                    format!("invalid message: {e}"),
                );
                conn.shared.log.error(conn.peer, "", "", &info);
                let _ = socket
                    .send(PgWireBackendMessage::ErrorResponse(info.into()))
                    .await;
                return "protocol violation";
            }
            None => return "client closed",
        };
        if matches!(message, PgWireFrontendMessage::Terminate(_)) {
            return "terminate";
        }
        let is_cancel = matches!(message, PgWireFrontendMessage::CancelRequest(_));
        let is_extended = match socket.state() {
            PgWireConnectionState::CopyInProgress(extended) => extended,
            _ => message.is_extended_query(),
        };
        let result = process_message(
            message,
            socket,
            startup.clone(),
            handler.clone(),
            handler.clone(),
            copy.clone(),
            cancels.clone(),
        )
        .await;
        if let Err(e) = result {
            let fatal_error = e.is_fatal() || authenticating;
            let e = match e {
                // The user's name is all a failed login says.
                PgWireError::InvalidPassword(_) => {
                    // pgwire may not say whose proof failed: the startup's user.
                    let user = conn_user(socket);
                    PgWireError::UserError(Box::new(ErrorInfo::new(
                        "FATAL".to_owned(),
                        "28P01".to_owned(),
                        format!("password authentication failed for user \"{user}\""),
                    )))
                }
                e => e,
            };
            let info = ErrorInfo::from(e);
            conn.shared
                .log
                .error(conn.peer, &conn_user(socket), "", &info);
            let e = PgWireError::UserError(Box::new(info));
            if process_error(socket, e, is_extended).await.is_err() {
                return "client closed";
            }
            if fatal_error {
                return if authenticating {
                    "authentication failed"
                } else {
                    "fatal error"
                };
            }
        }
        if is_cancel {
            return "cancel request";
        }
        if !authenticating || !matches!(socket.state(), PgWireConnectionState::ReadyForQuery) {
            continue;
        }
        // Authenticated: the session of this user.
        let metadata = socket.metadata();
        let user = metadata.get(METADATA_USER).cloned().unwrap_or_default();
        let application_name = metadata
            .get(METADATA_APPLICATION_NAME)
            .cloned()
            .unwrap_or_default();
        let session = conn.shared.engine.session_for(user.clone());
        let (pid, key) = socket.pid_and_secret_key();
        conn.shared
            .keys
            .register(pid, &key, session.cancel_handle());
        let mut state = conn
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.settings = Some(Settings::new(
            &user,
            &application_name,
            conn.shared.statement_timeout,
        ));
        state.session = Some(session);
        state.user = user;
        state.application_name = application_name;
        state.cancel_key = Some((pid, key));
    }
}

fn conn_user(socket: &Socket) -> String {
    socket
        .metadata()
        .get(METADATA_USER)
        .cloned()
        .unwrap_or_default()
}

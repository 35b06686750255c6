//! Credentials handles: how a host acts through a connection.
//!
//! [`Engine::credentials`] returns a [`CredentialsHandle`], one per connection and shared
//! by all its clones, that implements the AWS SDK's `ProvideCredentials`. It keeps one
//! role session, asks AWS for a new one only when the session is within
//! [`CredentialsOptions::refresh_before_expiry`] of expiring (one caller asks; concurrent
//! callers wait for its answer), and checks the catalog on every call:
//!
//! - the catalog's generation — a counter of this engine's own statements plus the
//!   catalog's [`ChangeWatch`], which moves whenever another connection (another
//!   [`Engine`], another process, another node) commits — is read first;
//! - when it moved, the connection is read again by id and its *fingerprint* (role ARN,
//!   session name, external ID, access key and secret values, endpoint, region,
//!   `aws_principal`) compared with the cached one: the same, the session stays; any
//!   difference (`ALTER CONNECTION`, `ALTER SECRET` of a secret it uses, `ALTER SYSTEM
//!   SET aws_principal`) drops it; a connection that is gone (`DROP`) fails the call
//!   with SQLSTATE 42704, and every later call too.
//!
//! A session already handed out stays valid at AWS until it expires: revocation means
//! Airlock hands out no more of it.
//!
//! A role session lasts the connection's `ASSUME ROLE SESSION DURATION` (capped at one
//! hour when the principal hop is role chaining: AWS is never asked for more than it
//! grants). Every `AssumeRole`, and every failure to get a session, is recorded in the
//! catalog (`mz_internal.mz_aws_connection_credentials`), by the handle's clock, so that
//! every session and process sharing the catalog sees the connection's health.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use airlock_aws::{ResolvedAuth, ResolvedConnection};
use airlock_catalog::{
    Catalog, ChangeWatch, CredentialsEvent, CredentialsHealth, ValidationStatus,
};
use airlock_core::{ConnectionId, Diagnostic, SqlState};
use airlock_parser::ast::Ident;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};

use crate::engine::Engine;
use crate::error::ExecError;
use crate::execute::Executor;

/// The time a credentials handle judges expiry by. Tests inject their own.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// How credentials handles behave.
#[derive(Debug, Clone)]
pub struct CredentialsOptions {
    /// A session is renewed once it has less than this left (default 5 minutes), so
    /// that no request starts with credentials that lapse in flight.
    pub refresh_before_expiry: Duration,
    /// Refuse credentials (SQLSTATE 55000) for a connection whose last
    /// `VALIDATE CONNECTION` failed — e.g. a role whose trust policy lets anyone assume
    /// it without the external ID. Off by default: a connection never validated, or
    /// whose last validation was inconclusive, is not refused either way.
    pub refuse_failed_validation: bool,
    pub clock: Arc<dyn Clock>,
}

impl Default for CredentialsOptions {
    fn default() -> Self {
        CredentialsOptions {
            refresh_before_expiry: Duration::from_secs(300),
            refuse_failed_validation: false,
            clock: Arc::new(SystemClock),
        }
    }
}

/// The catalog's generation: this engine's statements, and the change watch's number.
type Generation = (u64, u64);

/// The engine's credentials state: the handles by connection, and how to tell that the
/// catalog changed.
#[derive(Debug)]
pub(crate) struct Registry {
    writes: AtomicU64,
    /// Moves with every commit to the catalog by another connection, process or node
    /// (`PRAGMA data_version` on a SQLite file, `LISTEN` on PostgreSQL); `None` when
    /// that cannot be known, and every call reads the connection again.
    watch: ChangeWatch,
    /// By connection, and by user for a connection whose session name names `{user}`
    /// (each user's sessions are their own, as CloudTrail shows them).
    handles: Mutex<HashMap<HandleKey, Arc<Shared>>>,
    hasher: std::collections::hash_map::RandomState,
    pub(crate) options: CredentialsOptions,
}

impl Registry {
    pub(crate) fn new(catalog: &Catalog, options: CredentialsOptions) -> Registry {
        Registry {
            writes: AtomicU64::new(0),
            watch: catalog.change_watch(),
            handles: Mutex::new(HashMap::new()),
            hasher: Default::default(),
            options,
        }
    }

    /// Called after each statement of Airlock's dialect this engine ran.
    pub(crate) fn note_write(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    /// The current generation; `None` when it cannot be known (treat as changed).
    pub(crate) fn generation(&self) -> Option<Generation> {
        let writes = self.writes.load(Ordering::SeqCst);
        Some((writes, self.watch.version()?))
    }

    fn fingerprint(&self, conn: &ResolvedConnection, principal: Option<&str>) -> u64 {
        let mut h = self.hasher.build_hasher();
        conn.endpoint.hash(&mut h);
        conn.sts_endpoint.hash(&mut h);
        conn.sts_region.hash(&mut h);
        // Taking an endpoint off `aws_allowed_endpoints` revokes what was obtained for it.
        conn.allowed_endpoints.to_setting().hash(&mut h);
        conn.region.hash(&mut h);
        principal.hash(&mut h);
        match &conn.auth {
            ResolvedAuth::AssumeRole(target) => {
                0u8.hash(&mut h);
                target.role_arn.hash(&mut h);
                target.session_name.hash(&mut h);
                target.external_id.hash(&mut h);
                target.session_duration.hash(&mut h);
            }
            ResolvedAuth::DefaultChain => 2u8.hash(&mut h),
            ResolvedAuth::AccessKey(key) => {
                1u8.hash(&mut h);
                key.access_key_id.hash(&mut h);
                key.secret_access_key.expose_secret().hash(&mut h);
                key.session_token
                    .as_ref()
                    .map(|t| t.expose_secret())
                    .hash(&mut h);
            }
        }
        h.finish()
    }
}

/// A connection, and the user its handle acts for when the session name names `{user}`.
type HandleKey = (ConnectionId, Option<String>);

/// One connection's handle state, shared by every clone of its handles.
#[derive(Debug)]
struct Shared {
    id: ConnectionId,
    name: String,
    /// The session's user the handle acts for, when the connection's session name
    /// names `{user}`.
    user: Option<String>,
    /// Held across the AWS call: concurrent callers wait for one session.
    state: tokio::sync::Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The generation `current` was read at.
    seen: Option<Generation>,
    current: Option<Current>,
    session: Option<Credentials>,
    /// The connection was dropped: the handle is dead for good.
    gone: bool,
}

/// The connection as last read from the catalog.
#[derive(Debug)]
struct Current {
    conn: ResolvedConnection,
    principal: Option<String>,
    fingerprint: u64,
    /// Why credentials are refused, if they are (a failed validation).
    refused: Option<Diagnostic>,
}

/// What the catalog says about a connection now.
struct Snapshot {
    conn: ResolvedConnection,
    principal: Option<String>,
    last_failed: bool,
}

/// A connection's credentials for a host: cheap to clone, shared per connection,
/// revoked by the catalog. See the [module docs](self).
#[derive(Clone)]
pub struct CredentialsHandle {
    engine: Engine,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for CredentialsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsHandle")
            .field("connection", &self.shared.name)
            .field("id", &self.shared.id)
            .finish_non_exhaustive()
    }
}

/// A connection name as a host passes it: folded to lower case like an unquoted
/// identifier (`Conn_A` is `conn_a`), or exactly as written inside double quotes
/// (`"Conn_A"`, with `""` for a quote).
pub fn fold_name(name: &str) -> Result<String, Diagnostic> {
    crate::route::check_input(name)?;
    let invalid = || {
        Diagnostic::error(
            SqlState::SyntaxError,
            format!("invalid connection name {name:?}"),
        )
        .with_hint("Pass a name as SQL writes it: conn_a, or \"Conn_A\" in double quotes.")
    };
    let folded = match name.strip_prefix('"') {
        Some(rest) => {
            let inner = rest.strip_suffix('"').ok_or_else(invalid)?;
            if inner.is_empty() || inner.replace("\"\"", "").contains('"') {
                return Err(invalid());
            }
            inner.replace("\"\"", "\"")
        }
        None if name.is_empty() || name.contains('"') => return Err(invalid()),
        None => name.to_ascii_lowercase(),
    };
    Ok(folded)
}

impl Engine {
    /// The credentials handle of connection `name` (folded as [`fold_name`] says).
    /// Fails for a missing name (42704), another kind of object (42809) and, with
    /// [`CredentialsOptions::refuse_failed_validation`], a connection whose last
    /// validation failed (55000). Reads the catalog: blocks for as long as a catalog
    /// statement of another session holds it (see [`Engine::credentials_async`]).
    pub fn credentials(&self, name: &str) -> Result<CredentialsHandle, Diagnostic> {
        self.credentials_as(name, None)
    }

    /// [`Engine::credentials`] for a session's `user`, which `{user}` in the
    /// connection's `ASSUME ROLE SESSION NAME` expands to ([`crate::Session::credentials`]).
    pub(crate) fn credentials_as(
        &self,
        name: &str,
        user: Option<String>,
    ) -> Result<CredentialsHandle, Diagnostic> {
        let name = fold_name(name)?;
        let registry = self.registry();
        let seen = registry.generation();
        let (id, snapshot, user) = {
            let mut catalog = self.lock_catalog();
            let (entry, conn, principal) = Executor {
                catalog: &mut catalog,
                notices: Vec::new(),
                allowed: self.aws().allowed_endpoints(),
                user: user.as_deref(),
                owner: None,
            }
            .resolve_named(&Ident::new(name.clone()))
            .map_err(ExecError::into_diagnostic)?;
            let id = entry.id;
            // Only a session name that names the user makes a handle per user.
            let user = user.filter(|_| entry.aws.session_name_names_user());
            let last_failed = last_validation_failed(&catalog, id)?;
            (
                id,
                Snapshot {
                    conn,
                    principal,
                    last_failed,
                },
                user,
            )
        };
        let current = self.current(&name, snapshot);
        if let Some(refused) = &current.refused {
            return Err(refused.clone());
        }
        let shared = registry
            .handles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((id, user.clone()))
            .or_insert_with(|| {
                Arc::new(Shared {
                    id,
                    name,
                    user,
                    state: tokio::sync::Mutex::new(State {
                        seen,
                        current: Some(current),
                        session: None,
                        gone: false,
                    }),
                })
            })
            .clone();
        Ok(CredentialsHandle {
            engine: self.clone(),
            shared,
        })
    }

    /// [`Engine::credentials`] with its catalog read on the runtime's blocking pool,
    /// so that the calling task's worker thread stays free.
    pub async fn credentials_async(&self, name: &str) -> Result<CredentialsHandle, Diagnostic> {
        let engine = self.clone();
        let name = name.to_owned();
        off_runtime(move || engine.credentials(&name)).await
    }

    fn current(&self, name: &str, snapshot: Snapshot) -> Current {
        let registry = self.registry();
        let refused = (registry.options.refuse_failed_validation && snapshot.last_failed)
            .then(|| {
                Diagnostic::error(
                    SqlState::ObjectNotInPrerequisiteState,
                    format!("connection \"{name}\" failed its last validation"),
                )
                .with_detail("The engine refuses credentials for connections whose last VALIDATE CONNECTION failed.")
                .with_hint(format!(
                    "Fix the role's trust policy, then run VALIDATE CONNECTION {}.",
                    Ident::new(name)
                ))
            });
        Current {
            fingerprint: registry.fingerprint(&snapshot.conn, snapshot.principal.as_deref()),
            conn: snapshot.conn,
            principal: snapshot.principal,
            refused,
        }
    }

    /// Connection `id` as the catalog holds it now; `None` when it is gone.
    fn snapshot(
        &self,
        id: ConnectionId,
        user: Option<&str>,
    ) -> Result<Option<Snapshot>, Diagnostic> {
        let mut catalog = self.lock_catalog();
        let diagnostic = |e: airlock_catalog::CatalogError| Diagnostic::from_error(&e);
        let Some(entry) = catalog.connection(id).map_err(diagnostic)? else {
            return Ok(None);
        };
        // Resolved as `Engine::credentials` resolves it: with the catalog's
        // `aws_allowed_endpoints`, so that a re-read keeps (or gains) the operator's list.
        let conn = Executor {
            catalog: &mut catalog,
            notices: Vec::new(),
            allowed: self.aws().allowed_endpoints(),
            user,
            owner: None,
        }
        .resolve(&entry.aws, id, &entry.name)
        .map_err(ExecError::into_diagnostic)?;
        let principal = catalog.settings().map_err(diagnostic)?.aws_principal;
        Ok(Some(Snapshot {
            conn,
            principal,
            last_failed: last_validation_failed(&catalog, id)?,
        }))
    }
}

fn last_validation_failed(catalog: &Catalog, id: ConnectionId) -> Result<bool, Diagnostic> {
    let validations = catalog
        .validations(id)
        .map_err(|e| Diagnostic::from_error(&e))?;
    Ok(validations
        .last()
        .is_some_and(|v| v.validation.status == ValidationStatus::Failed))
}

/// Runs catalog work on the current runtime's blocking pool, or right here outside a
/// runtime.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Diagnostic> + Send + 'static,
) -> Result<T, Diagnostic> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime.spawn_blocking(work).await.map_err(|e| {
            Diagnostic::error(SqlState::InternalError, "a catalog task failed")
                .with_detail(e.to_string())
        })?,
        Err(_) => work(),
    }
}

impl CredentialsHandle {
    /// The connection's name when the handle was made.
    pub fn connection_name(&self) -> &str {
        &self.shared.name
    }

    /// Current credentials for the connection: the cached session, or a new one when it
    /// is about to expire or the connection changed. Runs the catalog check on the
    /// runtime's blocking pool and the AWS call on the caller's runtime.
    pub async fn credentials(&self) -> Result<Credentials, Diagnostic> {
        let mut state = self.shared.state.lock().await;
        if state.gone {
            return Err(self.gone());
        }
        let registry = self.engine.registry();
        let now_seen = registry.generation();
        if now_seen.is_none() || now_seen != state.seen {
            let engine = self.engine.clone();
            let id = self.shared.id;
            let user = self.shared.user.clone();
            // A connection that may not be used now (`aws_allow_default_credentials`
            // turned off) keeps nothing: its session is dropped with the refusal.
            let snapshot = off_runtime(move || engine.snapshot(id, user.as_deref()))
                .await
                .inspect_err(|_| state.session = None)?;
            match snapshot {
                None => {
                    state.gone = true;
                    state.current = None;
                    state.session = None;
                    registry
                        .handles
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(&(id, self.shared.user.clone()));
                    return Err(self.gone());
                }
                Some(snapshot) => {
                    let current = self.engine.current(&self.shared.name, snapshot);
                    let same = state
                        .current
                        .as_ref()
                        .is_some_and(|c| c.fingerprint == current.fingerprint);
                    if !same {
                        tracing::debug!(
                            connection = self.shared.name,
                            "connection changed: session dropped"
                        );
                        state.session = None;
                    }
                    state.current = Some(current);
                    state.seen = now_seen;
                }
            }
        }
        let Some(current) = &state.current else {
            return Err(self.gone());
        };
        if let Some(refused) = &current.refused {
            return Err(refused.clone());
        }
        let options = &registry.options;
        if let Some(session) = &state.session {
            let fresh = session.expiry().is_none_or(|expiry| {
                expiry
                    .duration_since(options.clock.now())
                    .is_ok_and(|left| left > options.refresh_before_expiry)
            });
            if fresh {
                return Ok(session.clone());
            }
        }
        // Access keys need no AWS call (nor AWS's configuration).
        if let Some(keys) = airlock_aws::static_credentials(&current.conn) {
            state.session = Some(keys.clone());
            return Ok(keys);
        }
        let broker = self.engine.aws().broker()?;
        let asked_at = options.clock.now();
        let obtained = broker
            .session(&current.conn, current.principal.as_deref())
            .await
            .map_err(|e| Diagnostic::from_error(&e));
        let event = match &obtained {
            Ok(session) => CredentialsEvent::Assumed {
                at: asked_at,
                expires_at: session.credentials.expiry(),
                session_duration: session.duration_seconds,
                chained: session.chained,
            },
            Err(error) => CredentialsEvent::Failed {
                at: asked_at,
                error: match &error.detail {
                    Some(detail) => format!("{}: {detail}", error.message),
                    None => error.message.clone(),
                },
            },
        };
        self.record(event).await;
        let session = obtained?.credentials;
        state.session = Some(session.clone());
        Ok(session)
    }

    /// Records what the last attempt to get a session found, for
    /// `mz_internal.mz_aws_connection_credentials`. A failure to record is logged, never
    /// the caller's failure: the credentials matter more than their bookkeeping.
    async fn record(&self, event: CredentialsEvent) {
        let engine = self.engine.clone();
        let health = CredentialsHealth {
            connection_id: self.shared.id,
            event,
        };
        let written = off_runtime(move || {
            let mut catalog = engine.lock_catalog();
            let diagnostic = |e: airlock_catalog::CatalogError| Diagnostic::from_error(&e);
            let mut txn = catalog.begin().map_err(diagnostic)?;
            txn.record_credentials_health(&health).map_err(diagnostic)?;
            txn.commit().map_err(diagnostic)
        })
        .await;
        if let Err(e) = written {
            tracing::warn!(
                connection = self.shared.name,
                error = e.message,
                "could not record credentials health"
            );
        }
    }

    /// [`CredentialsHandle::credentials`] for synchronous hosts: blocks the calling
    /// thread; the AWS call runs on the engine's own runtime.
    pub fn blocking_credentials(&self) -> Result<Credentials, Diagnostic> {
        self.engine.aws().block_on(self.credentials())?
    }

    /// An AWS SDK configuration for clients that act through the connection: its
    /// region and endpoint, this handle as the credentials provider, and no SDK identity
    /// cache, so that every request goes through the handle (and a revoked connection
    /// stops working at the next request).
    pub fn sdk_config(&self) -> Result<aws_config::SdkConfig, Diagnostic> {
        let conn = {
            let state = self.shared.state.try_lock();
            match state.as_ref().ok().and_then(|s| s.current.as_ref()) {
                Some(current) => current.conn.clone(),
                None => match self
                    .engine
                    .snapshot(self.shared.id, self.shared.user.as_deref())?
                {
                    Some(snapshot) => snapshot.conn,
                    None => return Err(self.gone()),
                },
            }
        };
        let config = self.engine.aws().config()?;
        Ok(airlock_aws::connection_sdk_config(
            config,
            &conn,
            SharedCredentialsProvider::new(self.clone()),
        ))
    }

    fn gone(&self) -> Diagnostic {
        Diagnostic::error(
            SqlState::UndefinedObject,
            format!("unknown connection \"{}\"", self.shared.name),
        )
        .with_detail("The connection was dropped after this credentials handle was made.")
    }
}

impl ProvideCredentials for CredentialsHandle {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.credentials()
                .await
                .map_err(provider::error::CredentialsError::provider_error)
        })
    }
}

//! Who may connect: `trust` (loopback only) or SCRAM-SHA-256 against a file of
//! PostgreSQL-style verifiers, the startup parameters every session is told, and the
//! cancel keys.

use std::collections::HashMap;
use std::fmt::{self, Debug};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use airlock_engine::CancelHandle;
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use futures::Sink;
use pgwire::api::auth::sasl::scram::{ScramSecret, gen_salted_password};
use pgwire::api::auth::{
    AuthSource, LoginInfo, Password, ServerParameterProvider, StartupHandler,
    finish_authentication, protocol_negotiation, save_startup_parameters_to_metadata,
};
use pgwire::api::cancel::CancelHandler;
use pgwire::api::{ClientInfo, METADATA_APPLICATION_NAME, METADATA_USER, PidSecretKeyGenerator};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage, ProtocolVersion};

use crate::local::Settings;

/// SCRAM's iteration count for new verifiers: PostgreSQL's default.
pub const ITERATIONS: usize = 4096;

/// A user's SCRAM-SHA-256 verifier, as PostgreSQL stores it in `pg_authid.rolpassword`:
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64). It lets the
/// server check a password without holding it.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    iterations: usize,
    salt: Vec<u8>,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifier(<redacted>)")
    }
}

impl Verifier {
    /// A new verifier for `password`, with a random salt.
    pub fn for_password(password: &str) -> Verifier {
        let salt = uuid::Uuid::new_v4().as_bytes().to_vec();
        let salted = gen_salted_password(password, &salt, ITERATIONS);
        match ScramSecret::verifier_from_salted_password(salt, salted, ITERATIONS) {
            ScramSecret::Verifier {
                salt,
                iterations,
                stored_key,
                server_key,
            } => Verifier {
                iterations,
                salt,
                stored_key,
                server_key,
            },
            ScramSecret::SaltedPassword { .. } => unreachable!("a verifier is made"),
        }
    }

    /// Parses PostgreSQL's form.
    pub fn parse(text: &str) -> Option<Verifier> {
        let rest = text.trim().strip_prefix("SCRAM-SHA-256$")?;
        let (iterations_salt, keys) = rest.split_once('$')?;
        let (iterations, salt) = iterations_salt.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let verifier = Verifier {
            iterations: iterations.parse().ok().filter(|&n| n > 0)?,
            salt: BASE64.decode(salt).ok()?,
            stored_key: BASE64.decode(stored).ok()?,
            server_key: BASE64.decode(server).ok()?,
        };
        (verifier.stored_key.len() == 32 && verifier.server_key.len() == 32).then_some(verifier)
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            BASE64.encode(&self.salt),
            BASE64.encode(&self.stored_key),
            BASE64.encode(&self.server_key)
        )
    }
}

/// The `--users` file: `name:verifier` per line; `#` comments and blank lines.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: HashMap<String, Verifier>,
}

impl Users {
    pub fn load(path: &Path) -> Result<Users, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read users file {}: {e}", path.display()))?;
        Users::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Users, String> {
        let mut users = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, verifier) = line
                .split_once(':')
                .ok_or_else(|| format!("line {}: expected NAME:SCRAM-SHA-256$…", i + 1))?;
            let verifier = Verifier::parse(verifier).ok_or_else(|| {
                format!(
                    "line {}: not a SCRAM-SHA-256 verifier (make one with `airlock-server --print-verifier`)",
                    i + 1
                )
            })?;
            users.insert(name.trim().to_owned(), verifier);
        }
        Ok(Users { users })
    }
}

#[async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        Err(PgWireError::InvalidPassword(
            login.user().unwrap_or_default().to_owned(),
        ))
    }

    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        let user = login.user().unwrap_or_default();
        let verifier = self
            .users
            .get(user)
            .ok_or_else(|| PgWireError::InvalidPassword(user.to_owned()))?;
        Ok((
            ScramSecret::Verifier {
                salt: verifier.salt.clone(),
                iterations: verifier.iterations,
                stored_key: verifier.stored_key.clone(),
                server_key: verifier.server_key.clone(),
            },
            None,
        ))
    }
}

/// The `ParameterStatus` values of a new session.
#[derive(Debug)]
pub struct Parameters {
    pub statement_timeout: Option<std::time::Duration>,
}

impl ServerParameterProvider for Parameters {
    fn server_parameters<C>(&self, client: &C) -> Option<HashMap<String, String>>
    where
        C: ClientInfo,
    {
        let metadata = client.metadata();
        let user = metadata.get(METADATA_USER).map_or("", String::as_str);
        let app = metadata
            .get(METADATA_APPLICATION_NAME)
            .map_or("", String::as_str);
        Some(
            Settings::new(user, app, self.statement_timeout)
                .reported()
                .into_iter()
                .collect(),
        )
    }
}

/// `--auth trust`: no password, the startup's `user` is the session's user.
#[derive(Debug)]
pub struct Trust {
    pub parameters: Arc<Parameters>,
    pub keys: Arc<Keys>,
}

#[async_trait]
impl StartupHandler for Trust {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let PgWireFrontendMessage::Startup(ref startup) = message {
            protocol_negotiation(client, startup).await?;
            save_startup_parameters_to_metadata(client, startup);
            if client
                .metadata()
                .get(METADATA_USER)
                .is_none_or(|u| u.is_empty())
            {
                return Err(no_user());
            }
            let (pid, key) = self.keys.generate(client);
            client.set_pid_and_secret_key(pid, key);
            finish_authentication(client, &*self.parameters).await?;
        }
        Ok(())
    }
}

/// PostgreSQL's answer to a startup packet without a user.
pub fn no_user() -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_owned(),
        "28000".to_owned(),
        "no PostgreSQL user name specified in startup packet".to_owned(),
    )))
}

/// Process ids and cancel keys of sessions, and what a `CancelRequest` cancels.
#[derive(Debug, Default)]
pub struct Keys {
    next_pid: AtomicI32,
    sessions: Mutex<HashMap<(i32, Bytes), CancelHandle>>,
}

impl Keys {
    pub fn new() -> Keys {
        Keys {
            next_pid: AtomicI32::new(1),
            sessions: Mutex::default(),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<(i32, Bytes), CancelHandle>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `key` cancel `handle`'s statements, until [`Keys::unregister`].
    pub fn register(&self, pid: i32, key: &SecretKey, handle: CancelHandle) {
        self.sessions().insert((pid, key.to_bytes()), handle);
    }

    pub fn unregister(&self, pid: i32, key: &SecretKey) {
        self.sessions().remove(&(pid, key.to_bytes()));
    }
}

impl PidSecretKeyGenerator for Keys {
    fn generate(&self, client: &dyn ClientInfo) -> (i32, SecretKey) {
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
        let random = || *uuid::Uuid::new_v4().as_bytes();
        let key = match client.protocol_version() {
            ProtocolVersion::PROTOCOL3_0 => {
                let r = random();
                SecretKey::I32(i32::from_be_bytes([r[0], r[1], r[2], r[3]]))
            }
            _ => {
                let mut bytes = random().to_vec();
                bytes.extend_from_slice(&random());
                SecretKey::Bytes(bytes.into())
            }
        };
        (pid, key)
    }
}

/// Answers `CancelRequest`s: the session with that process id and key is cancelled
/// (its running statement fails with 57014); a wrong key does nothing.
#[derive(Debug)]
pub struct Cancels(pub Arc<Keys>);

#[async_trait]
impl CancelHandler for Cancels {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let handle = self
            .0
            .sessions()
            .get(&(request.pid, request.secret_key.to_bytes()))
            .cloned();
        if let Some(handle) = handle {
            handle.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_round_trip_and_match_postgresql() {
        let v = Verifier::for_password("pencil");
        assert_eq!(Verifier::parse(&v.to_string()), Some(v.clone()));
        assert!(!format!("{v:?}").contains("SCRAM"));
        assert!(Verifier::parse("md5abc").is_none());
        let users = Users::parse(&format!("# users\nalice:{v}\n")).unwrap();
        assert!(users.users.contains_key("alice"));
        assert!(Users::parse("bob").is_err());
    }
}

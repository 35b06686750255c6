//! Role sessions for hosts: one `AssumeRole` of a connection's role, with its external
//! ID, returned as credentials with their expiry. Caching, refresh and revocation are the
//! caller's business (the engine's credentials handle); this module only makes the call.
//!
//! The principal hop (Airlock's own session of the `aws_principal` role) is shared: a
//! [`SessionBroker`] establishes it once per principal and renews it before it expires,
//! so a host's sessions cost one `AssumeRole` each.

use std::sync::Arc;

use airlock_core::{Diagnostic, SqlState};
use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_sdk_sts::config::{IdentityCache, SharedCredentialsProvider};

use crate::config::AwsConfig;
use crate::connection::{ResolvedAuth, ResolvedConnection};
use crate::credentials::CredentialsError;
use crate::identity::{self, CachedIdentity, Identities, IdentityError};
use crate::sts::{self, CallError, Clients, Signed};
use crate::validate::identity_failure;

/// Obtains role sessions for connections. Build one per [`AwsConfig`] and share it: it
/// keeps the STS clients (and their HTTP connections) and, per principal, Airlock's
/// acting identity.
#[derive(Debug)]
pub struct SessionBroker {
    base: SdkConfig,
    clients: Clients,
    identities: Identities,
}

impl SessionBroker {
    pub fn new(config: &AwsConfig) -> Self {
        let base = config.effective_sdk_config();
        SessionBroker {
            clients: Clients::new(base.clone(), config.allowed_endpoints.clone()),
            base,
            identities: Identities::default(),
        }
    }

    /// Credentials that act through `conn`. An access-key connection's keys come back as
    /// they are (no call, no expiry). An assume-role connection costs one `AssumeRole`
    /// of its role, with its external ID, signed by the principal `principal` (the
    /// `aws_principal` setting); the credentials carry the session's expiry.
    pub async fn credentials(
        &self,
        conn: &ResolvedConnection,
        principal: Option<&str>,
    ) -> Result<Credentials, CredentialsError> {
        self.session(conn, principal).await.map(|s| s.credentials)
    }

    /// [`SessionBroker::credentials`], with what was asked of AWS: the
    /// `DurationSeconds` (the connection's `ASSUME ROLE SESSION DURATION`, capped at one
    /// hour when the principal hop is a role session, so that AWS is never asked for
    /// more than it grants to role chaining) and whether the hop was chained.
    pub async fn session(
        &self,
        conn: &ResolvedConnection,
        principal: Option<&str>,
    ) -> Result<RoleSession, CredentialsError> {
        // The endpoint rule first, for access keys too: whoever uses these credentials
        // sends them to the connection's endpoint.
        self.clients
            .endpoint_for(conn)
            .map_err(|err| CredentialsError::new(Diagnostic::from(err)))?;
        let target = match &conn.auth {
            ResolvedAuth::AccessKey(key) => {
                return Ok(RoleSession {
                    credentials: key.credentials(),
                    duration_seconds: None,
                    chained: false,
                });
            }
            ResolvedAuth::DefaultChain => {
                // Airlock's own identity, as the default chain gives it now, with the
                // chain's expiry (the caller caches them until they near it).
                let (_, credentials) = identity::own_credentials(&self.base)
                    .await
                    .map_err(|err| identity_error(IdentityError::OwnIdentity(err)))?;
                return Ok(RoleSession {
                    credentials,
                    duration_seconds: None,
                    chained: false,
                });
            }
            ResolvedAuth::AssumeRole(target) => target,
        };
        let acting = self.acting(principal).await.map_err(identity_error)?;
        let credentials = acting.credentials().await.map_err(identity_error)?;
        let chained = acting.identity.is_role_session();
        let duration_seconds = sts::effective_duration(target, chained);
        let (client, _) = self
            .clients
            .for_connection(conn)
            .map_err(|err| CredentialsError::new(Diagnostic::from(err)))?;
        let signed = Signed {
            client: &client,
            credentials,
        };
        let session = sts::assume_role_with_external_id(&signed, target, duration_seconds)
            .await
            .map_err(|err| assume_failed(&target.role_arn, &err))?;
        tracing::debug!(
            role = target.role_arn,
            duration_seconds,
            chained,
            "assumed a connection's role"
        );
        Ok(RoleSession {
            credentials: Credentials::new(
                session.access_key_id(),
                session.secret_access_key(),
                session.session_token().map(str::to_owned),
                session.expiry(),
                "airlock-connection",
            ),
            duration_seconds,
            chained,
        })
    }

    /// The acting identity for `principal` (see [`Identities`]).
    async fn acting(&self, principal: Option<&str>) -> Result<Arc<CachedIdentity>, IdentityError> {
        self.identities.acting(&self.base, principal).await
    }
}

/// A connection's credentials and how they were obtained.
#[derive(Debug, Clone)]
pub struct RoleSession {
    /// The session (or an access-key connection's keys); `Debug` redacts the secrets.
    pub credentials: Credentials,
    /// The `DurationSeconds` sent to AWS; `None` when none was (AWS's default, or keys).
    pub duration_seconds: Option<u32>,
    /// Whether the principal hop was a role session (role chaining).
    pub chained: bool,
}

/// An access-key connection's keys as SDK credentials (no AWS call); `None` for an
/// assume-role connection, whose credentials only [`SessionBroker::credentials`] gets.
pub fn static_credentials(conn: &ResolvedConnection) -> Option<Credentials> {
    match &conn.auth {
        ResolvedAuth::AccessKey(key) => Some(key.credentials()),
        ResolvedAuth::AssumeRole(_) | ResolvedAuth::DefaultChain => None,
    }
}

/// An [`SdkConfig`] for AWS clients that act through `conn` with `provider`: the
/// connection's region and endpoint, Airlock's timeouts and retries, and *no* identity
/// cache, so that every request asks `provider` (which caches, and can revoke).
pub fn connection_sdk_config(
    config: &AwsConfig,
    conn: &ResolvedConnection,
    provider: SharedCredentialsProvider,
) -> SdkConfig {
    let base = config.effective_sdk_config();
    let region = sts::region_for(&base, conn.region.as_deref());
    let mut builder = base.to_builder().region(region);
    if let Some(endpoint) = &conn.endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    builder
        .credentials_provider(provider)
        .identity_cache(IdentityCache::no_cache())
        .build()
}

fn identity_error(err: IdentityError) -> CredentialsError {
    CredentialsError::new(Diagnostic::from(identity_failure(err).into_error()))
}

fn assume_failed(role: &str, err: &CallError) -> CredentialsError {
    let (message, hint) = match err {
        CallError::Refused { .. } => (
            format!("AWS refused to let Airlock assume role {role}"),
            "Check the role's trust policy against mz_internal.mz_aws_connections, then run VALIDATE CONNECTION.",
        ),
        CallError::NoAnswer { .. } => (
            format!("no answer from AWS STS while assuming role {role}"),
            "Check the connection's ENDPOINT, STS ENDPOINT and REGION and the network path to AWS STS.",
        ),
    };
    CredentialsError::new(
        Diagnostic::error(SqlState::SystemError, message)
            .with_detail(err.to_string())
            .with_hint(hint),
    )
}

//! The principal chain: who Airlock is when it assumes a customer's role.
//!
//! Airlock's own credentials come from the base configuration (the default chain). The
//! customer's trust policy names the *principal* (`aws_principal`). When the principal is
//! a role and Airlock is not already running as a session of it, Airlock first assumes the
//! principal — without an external ID, since that hop stays inside the operator's own
//! trust — and assumes customer roles from there. When the principal is a user, Airlock's
//! credentials must be that user's.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use airlock_core::aws::{IamArn, IamArnKind};
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_sts::config::{Credentials, ProvideCredentials, SharedCredentialsProvider};

use crate::endpoints::EndpointGuard;
use crate::sts::{self, CallError};

/// The session name of Airlock's own session of the principal role.
pub const PRINCIPAL_SESSION_NAME: &str = "airlock";

/// Cached principal credentials are renewed this long before they expire, so that no
/// probe starts with credentials that lapse mid-flight.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

/// Why Airlock cannot act as the principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdentityError {
    /// `aws_principal` is not set.
    NotConfigured,
    /// `aws_principal` is not a role or user ARN.
    InvalidPrincipal { principal: String, reason: String },
    /// Airlock's own identity could not be established (no credentials, or
    /// `GetCallerIdentity` failed).
    OwnIdentity(CallError),
    /// The principal is a user, and Airlock's credentials belong to someone else.
    NotThePrincipalUser { principal: String, actual: String },
    /// Assuming the principal role failed.
    AssumePrincipal {
        principal: String,
        actual: String,
        error: CallError,
    },
}

impl IdentityError {
    /// Whether AWS could not be asked (as opposed to having said no).
    pub(crate) fn is_no_answer(&self) -> bool {
        matches!(
            self,
            IdentityError::OwnIdentity(CallError::NoAnswer { .. })
                | IdentityError::AssumePrincipal {
                    error: CallError::NoAnswer { .. },
                    ..
                }
        )
    }
}

/// Airlock acting as the principal.
#[derive(Debug, Clone)]
pub(crate) struct ActingIdentity {
    /// The configured principal ARN.
    pub principal: String,
    /// Airlock's own identity (`GetCallerIdentity` with the base credentials).
    pub own_arn: String,
    /// Whether Airlock assumed the principal role to get here (role chaining).
    pub chained: bool,
    /// Credentials of the principal: the base provider, or an `AssumeRoleProvider` for the
    /// principal role, which renews its session when asked again.
    pub provider: SharedCredentialsProvider,
}

impl ActingIdentity {
    /// Whether the principal's credentials are a role session — Airlock assumed the
    /// principal role, or runs as a session of a role (an instance profile, a task
    /// role, web identity) — so that assuming a connection's role is role chaining,
    /// which AWS caps at one hour.
    pub(crate) fn is_role_session(&self) -> bool {
        self.chained || self.own_arn.contains(":assumed-role/")
    }
}

/// Whether `caller` (a `GetCallerIdentity` ARN) is a session of the role `role`:
/// `arn:<partition>:sts::<account>:assumed-role/<name>/<session>`. The assumed-role ARN
/// carries the role's name but not its path.
pub(crate) fn is_session_of(caller: &str, role: &IamArn) -> bool {
    let prefix = format!(
        "arn:{}:sts::{}:assumed-role/{}/",
        role.partition, role.account, role.name
    );
    caller
        .strip_prefix(&prefix)
        .is_some_and(|session| !session.is_empty() && !session.contains('/'))
}

/// Establishes Airlock's acting identity for `principal` and fetches its first
/// credentials, so that every failure surfaces here, classified.
pub(crate) async fn resolve(
    base: &SdkConfig,
    principal: Option<&str>,
) -> Result<(ActingIdentity, Credentials), IdentityError> {
    let principal = principal
        .filter(|p| !p.is_empty())
        .ok_or(IdentityError::NotConfigured)?;
    let parsed =
        IamArn::parse_principal(principal).map_err(|e| IdentityError::InvalidPrincipal {
            principal: principal.to_owned(),
            reason: e.to_string(),
        })?;
    let (own_provider, own_credentials) = own_credentials(base)
        .await
        .map_err(IdentityError::OwnIdentity)?;
    // The principal hop uses the base configuration's endpoint and region: it is
    // Airlock's own business, not the connection's.
    // Airlock's own endpoint is allowed here, and only here (see `crate::endpoints`).
    let client = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(base)
            .credentials_provider(SharedCredentialsProvider::new(own_credentials.clone()))
            .region(sts::region_for(base, None))
            .interceptor(EndpointGuard::new(base.endpoint_url()))
            .build(),
    );
    let own_arn = sts::caller_identity(&sts::Signed {
        client: &client,
        credentials: own_credentials.clone(),
    })
    .await
    .map_err(IdentityError::OwnIdentity)?;
    tracing::debug!(own_arn, principal, "resolved Airlock's own AWS identity");

    let already_principal = match parsed.kind {
        IamArnKind::User => {
            if own_arn != parsed.to_string() {
                return Err(IdentityError::NotThePrincipalUser {
                    principal: principal.to_owned(),
                    actual: own_arn,
                });
            }
            true
        }
        IamArnKind::Role => is_session_of(&own_arn, &parsed),
    };
    if already_principal {
        let identity = ActingIdentity {
            principal: principal.to_owned(),
            own_arn,
            chained: false,
            provider: own_provider,
        };
        return Ok((identity, own_credentials));
    }

    let provider = AssumeRoleProvider::builder(principal)
        .session_name(PRINCIPAL_SESSION_NAME)
        .region(sts::region_for(base, None))
        .configure(base)
        .build()
        .await;
    let credentials =
        provider
            .provide_credentials()
            .await
            .map_err(|e| IdentityError::AssumePrincipal {
                principal: principal.to_owned(),
                actual: own_arn.clone(),
                error: sts::classify_credentials_error(&e),
            })?;
    tracing::debug!(principal, "assumed the principal role");
    let identity = ActingIdentity {
        principal: principal.to_owned(),
        own_arn,
        chained: true,
        provider: SharedCredentialsProvider::new(provider),
    };
    Ok((identity, credentials))
}

/// Airlock's own credentials: the base configuration's provider (the AWS default chain)
/// and what it gives now. `NoCredentials` when the chain has no provider.
pub(crate) async fn own_credentials(
    base: &SdkConfig,
) -> Result<(SharedCredentialsProvider, Credentials), CallError> {
    let provider = base
        .credentials_provider()
        .ok_or_else(|| CallError::Refused {
            code: "NoCredentials".to_owned(),
            message: "no AWS credentials were found in the default chain".to_owned(),
        })?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| sts::classify_credentials_error(&e))?;
    Ok((provider, credentials))
}

/// An acting identity with its current credentials, shared by the validations that run
/// under one principal so that the principal hop is not paid per connection.
#[derive(Debug)]
pub(crate) struct CachedIdentity {
    pub identity: ActingIdentity,
    credentials: Mutex<Credentials>,
}

impl CachedIdentity {
    pub(crate) fn new(identity: ActingIdentity, credentials: Credentials) -> Self {
        CachedIdentity {
            identity,
            credentials: Mutex::new(credentials),
        }
    }

    /// The principal's credentials, renewed when they are about to expire.
    pub(crate) async fn credentials(&self) -> Result<Credentials, IdentityError> {
        {
            let current = self.credentials.lock().unwrap_or_else(|e| e.into_inner());
            let fresh = current.expiry().is_none_or(|expiry| {
                expiry
                    .duration_since(SystemTime::now())
                    .is_ok_and(|left| left > REFRESH_BEFORE_EXPIRY)
            });
            if fresh {
                return Ok(current.clone());
            }
        }
        // Two validations may renew at once; both get valid credentials, the later
        // simply wins the slot.
        let renewed = self
            .identity
            .provider
            .provide_credentials()
            .await
            .map_err(|e| IdentityError::AssumePrincipal {
                principal: self.identity.principal.clone(),
                actual: self.identity.own_arn.clone(),
                error: sts::classify_credentials_error(&e),
            })?;
        *self.credentials.lock().unwrap_or_else(|e| e.into_inner()) = renewed.clone();
        Ok(renewed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_sessions_of_a_role() {
        let role = IamArn::parse_role("arn:aws:iam::000000000000:role/team/Airlock").unwrap();
        assert!(is_session_of(
            "arn:aws:sts::000000000000:assumed-role/Airlock/airlock",
            &role
        ));
        for other in [
            "arn:aws:sts::000000000000:assumed-role/Airlock/",
            "arn:aws:sts::000000000000:assumed-role/AirlockX/s",
            "arn:aws:sts::111111111111:assumed-role/Airlock/s",
            "arn:aws-cn:sts::000000000000:assumed-role/Airlock/s",
            "arn:aws:iam::000000000000:role/team/Airlock",
            "arn:aws:iam::000000000000:user/Airlock",
        ] {
            assert!(!is_session_of(other, &role), "{other}");
        }
    }
}

/// Airlock's acting identity per principal, established once and then shared by every
/// caller (the validator and the session broker each keep one). A failure is not kept:
/// the next call tries again, e.g. after the operator fixed the principal's trust policy.
#[derive(Debug, Default)]
pub(crate) struct Identities {
    cells: std::sync::Mutex<
        std::collections::HashMap<
            String,
            std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<CachedIdentity>>>,
        >,
    >,
}

impl Identities {
    pub(crate) async fn acting(
        &self,
        base: &SdkConfig,
        principal: Option<&str>,
    ) -> Result<std::sync::Arc<CachedIdentity>, IdentityError> {
        let Some(key) = principal.filter(|p| !p.is_empty()) else {
            return Err(IdentityError::NotConfigured);
        };
        let cell = self
            .cells
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.to_owned())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let (identity, credentials) = resolve(base, principal).await?;
            Ok(std::sync::Arc::new(CachedIdentity::new(
                identity,
                credentials,
            )))
        })
        .await
        .cloned()
    }
}

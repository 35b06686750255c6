//! The credentials provider for hosts: a connection turned into an [`SdkConfig`] that any
//! AWS SDK client can be built from.
//!
//! For an assume-role connection the credentials are the customer's role assumed *with*
//! the external ID — through the principal chain of [`crate::identity`] — by aws-config's
//! `AssumeRoleProvider`, behind the SDK's lazy identity cache, which renews them before
//! they expire. An access-key connection gives static credentials.

use airlock_core::{Diagnostic, SqlError, SqlState};
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_sts::config::{IdentityCache, SharedCredentialsProvider};

use crate::config::AwsConfig;
use crate::connection::{ResolvedAuth, ResolvedConnection};
use crate::endpoints;
use crate::identity;
use crate::sts::region_for;
use crate::validate::identity_failure;

/// Why no [`SdkConfig`] could be built: the connection's endpoint may not receive
/// credentials (SQLSTATE 42501, see [`crate::endpoints`]), or Airlock cannot act as the
/// principal (rendered like a failed validation: 58000, with DETAIL and HINT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    diagnostic: Diagnostic,
}

impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for CredentialsError {}

impl CredentialsError {
    pub(crate) fn new(diagnostic: Diagnostic) -> Self {
        CredentialsError { diagnostic }
    }
}

impl SqlError for CredentialsError {
    fn code(&self) -> SqlState {
        self.diagnostic.code
    }
    fn detail(&self) -> Option<String> {
        self.diagnostic.detail.clone()
    }
    fn hint(&self) -> Option<String> {
        self.diagnostic.hint.clone()
    }
}

/// An [`SdkConfig`] that acts through `conn`: its region, its endpoint (when set) and
/// its credentials. `principal` is the `aws_principal` setting.
///
/// The endpoint rule comes first: every client a host builds from the result sends the
/// connection's credentials (or, for an assume-role connection, the principal's, to
/// assume the role) to the connection's endpoint, so an endpoint that is not AWS STS and
/// not in the effective `aws_allowed_endpoints` is refused here, before any call — and
/// Airlock's own endpoint (`AWS_ENDPOINT_URL`) counts only when listed.
///
/// For an assume-role connection this establishes Airlock's acting identity first (one
/// `GetCallerIdentity`, plus one `AssumeRole` of the principal role when Airlock is not
/// already a session of it), so a broken principal chain fails here rather than at a
/// host's first call. The customer's role itself is assumed lazily, on first use, and
/// again before each session expires.
pub async fn sdk_config(
    config: &AwsConfig,
    conn: &ResolvedConnection,
    principal: Option<&str>,
) -> Result<SdkConfig, CredentialsError> {
    let base = config.effective_sdk_config();
    endpoints::connection_endpoint(
        &base,
        conn,
        &config.allowed_endpoints.union(&conn.allowed_endpoints),
    )
    .map_err(|err| CredentialsError {
        diagnostic: Diagnostic::from(err),
    })?;
    let region = region_for(&base, conn.region.as_deref());
    let mut builder = base.to_builder().region(region.clone());
    if let Some(endpoint) = &conn.endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    let conn_config = builder.build();
    let provider = match &conn.auth {
        ResolvedAuth::AccessKey(key) => SharedCredentialsProvider::new(key.credentials()),
        // Airlock's own identity: the default chain's provider itself, behind the lazy
        // identity cache below; asked once here so that an empty chain fails now.
        ResolvedAuth::DefaultChain => {
            identity::own_credentials(&base)
                .await
                .map_err(|err| CredentialsError {
                    diagnostic: Diagnostic::from(
                        identity_failure(identity::IdentityError::OwnIdentity(err)).into_error(),
                    ),
                })?
                .0
        }
        ResolvedAuth::AssumeRole(target) => {
            let (acting, _) =
                identity::resolve(&base, principal)
                    .await
                    .map_err(|err| CredentialsError {
                        diagnostic: Diagnostic::from(identity_failure(err).into_error()),
                    })?;
            // The customer's role is assumed at the connection's endpoint and region,
            // signed by the principal.
            let acting_config = conn_config
                .to_builder()
                .credentials_provider(acting.provider)
                .build();
            let provider = AssumeRoleProvider::builder(target.role_arn.clone())
                .external_id(target.external_id.clone())
                .session_name(target.session_name())
                .region(region)
                .configure(&acting_config)
                .build()
                .await;
            SharedCredentialsProvider::new(provider)
        }
    };
    Ok(conn_config
        .into_builder()
        .credentials_provider(provider)
        .identity_cache(IdentityCache::lazy().build())
        .build())
}

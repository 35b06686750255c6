//! How Airlock talks to AWS: its own identity (the base [`SdkConfig`]), the timeout of each
//! call and how often a call is retried.

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;

use crate::endpoints::AllowedEndpoints;

/// The default limit for one AWS call, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default number of attempts per call: the first one plus two retries.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Airlock's AWS settings.
///
/// `sdk_config` carries Airlock's *own* identity — normally the default credential chain
/// (environment, profile, web identity, instance metadata) with `AWS_ENDPOINT_URL` and
/// `AWS_REGION` honoured, see [`AwsConfig::from_env`]. Tests inject one that points at an
/// emulator.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    pub sdk_config: SdkConfig,
    /// The limit for one AWS call, all attempts included. A call that runs out of time
    /// makes a validation inconclusive.
    pub timeout: Duration,
    /// Attempts per AWS call (at least 1). Only transient failures are retried
    /// (throttling, 5xx, network); an `AccessDenied` is an answer and never retried.
    pub max_attempts: u32,
    /// Endpoints beyond AWS STS that may receive credentials (the process's
    /// `aws_allowed_endpoints`: a flag, an environment variable, a host's choice). A
    /// connection may add the catalog's list ([`crate::ResolvedConnection::allowed_endpoints`]);
    /// the effective list is both. See [`crate::endpoints`].
    pub allowed_endpoints: AllowedEndpoints,
}

impl AwsConfig {
    /// Settings around an explicit base configuration, with the default timeout and
    /// retries. A configuration without an HTTP client gets Airlock's
    /// ([`crate::https_client`]).
    pub fn new(sdk_config: SdkConfig) -> Self {
        let sdk_config = if sdk_config.http_client().is_some() {
            sdk_config
        } else {
            sdk_config
                .to_builder()
                .http_client(crate::https_client())
                .build()
        };
        AwsConfig {
            sdk_config,
            timeout: DEFAULT_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            allowed_endpoints: AllowedEndpoints::none(),
        }
    }

    /// Airlock's identity from the AWS default chain.
    pub async fn from_env() -> Self {
        AwsConfig::new(
            aws_config::defaults(BehaviorVersion::latest())
                .http_client(crate::https_client())
                .load()
                .await,
        )
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Lists endpoints beyond AWS STS that may receive credentials (added to any
    /// already listed).
    pub fn with_allowed_endpoints(mut self, allowed: &AllowedEndpoints) -> Self {
        self.allowed_endpoints = self.allowed_endpoints.union(allowed);
        self
    }

    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// The base configuration with Airlock's timeout and retry policy applied, so every
    /// client and credentials provider built from it inherits them.
    pub(crate) fn effective_sdk_config(&self) -> SdkConfig {
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(self.timeout)
            // A refused or unroutable endpoint should fail fast enough to leave room for
            // a retry inside the operation timeout.
            .connect_timeout(self.timeout.min(Duration::from_secs(3)))
            .build();
        let retries = RetryConfig::standard().with_max_attempts(self.max_attempts.max(1));
        self.sdk_config
            .to_builder()
            .timeout_config(timeouts)
            .retry_config(retries)
            .build()
    }
}

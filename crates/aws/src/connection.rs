//! A connection as the AWS side needs it: the catalog's model with its secrets already
//! read and its external ID already derived. The engine builds one per `VALIDATE` or per
//! credentials request; nothing here touches the catalog or the secret store.

use std::fmt;

use airlock_core::SecretId;
use airlock_core::SecretString;
use airlock_core::aws::{AwsAuth, AwsConnection, StringOrSecret};

use crate::endpoints::AllowedEndpoints;

/// The session name used when the connection sets no `ASSUME ROLE SESSION NAME`. A trust
/// policy may condition on `sts:RoleSessionName`, so a customer can pin this value.
pub const DEFAULT_SESSION_NAME: &str = "airlock";

/// An AWS connection ready for AWS calls.
#[derive(Debug, Clone)]
pub struct ResolvedConnection {
    /// `ENDPOINT`: replaces AWS's own STS endpoint (an emulator, a VPC endpoint). When
    /// unset, the base configuration's endpoint applies (`AWS_ENDPOINT_URL`), else AWS's.
    pub endpoint: Option<String>,
    /// `REGION`: when unset, the base configuration's region, else `us-east-1`.
    pub region: Option<String>,
    /// `STS ENDPOINT`: where STS calls go instead of `ENDPOINT` (a regional, FIPS or VPC
    /// endpoint of STS); `ENDPOINT` then serves only the service's clients. Never a
    /// fall-back: when it is set, STS calls go there or nowhere.
    pub sts_endpoint: Option<String>,
    /// `STS REGION`: the region STS calls are signed for instead of `REGION`.
    pub sts_region: Option<String>,
    pub auth: ResolvedAuth,
    /// Endpoints the operator allows beyond AWS STS, as the catalog had them when the
    /// connection was resolved (`aws_allowed_endpoints`); added to the
    /// [`crate::AwsConfig`]'s list. Empty by default.
    pub allowed_endpoints: AllowedEndpoints,
}

/// How the connection authenticates.
#[derive(Debug, Clone)]
pub enum ResolvedAuth {
    /// `ACCESS KEY ID`, `SECRET ACCESS KEY` and optional `SESSION TOKEN`.
    AccessKey(AccessKey),
    /// `ASSUME ROLE ARN` and optional `ASSUME ROLE SESSION NAME`, with the external ID
    /// Airlock derived for the connection.
    AssumeRole(AssumeRoleTarget),
    /// `USE DEFAULT CREDENTIALS`: Airlock's own identity, from the base configuration's
    /// credentials (the AWS default chain). No role, no external ID.
    DefaultChain,
}

/// Static credentials, with the secret parts kept as [`SecretString`].
#[derive(Clone)]
pub struct AccessKey {
    /// Not a secret by AWS's rules, but it may come from one, so `Debug` shows only its
    /// first four characters (the key type, e.g. `AKIA`).
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: Option<SecretString>,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix: String = self.access_key_id.chars().take(4).collect();
        f.debug_struct("AccessKey")
            .field("access_key_id", &format_args!("{prefix}<redacted>"))
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .finish()
    }
}

/// The customer's role and how to assume it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleTarget {
    /// The role ARN (`arn:aws:iam::<account>:role/<name>`).
    pub role_arn: String,
    /// `ASSUME ROLE SESSION NAME`; [`DEFAULT_SESSION_NAME`] when `None`.
    pub session_name: Option<String>,
    /// The connection's external ID (`airlock_core::aws::external_id`).
    pub external_id: String,
    /// `ASSUME ROLE SESSION DURATION` in seconds; `None` leaves AWS's default (one hour).
    pub session_duration: Option<u32>,
}

impl AssumeRoleTarget {
    /// The session name every call for this connection uses.
    pub fn session_name(&self) -> &str {
        self.session_name.as_deref().unwrap_or(DEFAULT_SESSION_NAME)
    }
}

impl AccessKey {
    /// The keys as the SDK's static credentials: the one place their values leave
    /// `SecretString`, to sign requests.
    pub(crate) fn credentials(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose_secret().to_owned(),
            self.session_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            None,
            "airlock-connection",
        )
    }
}

impl ResolvedConnection {
    /// Builds the resolved form of a planned connection: `read_secret` is asked for each
    /// secret the connection references (and only those), `external_id` is the
    /// connection's external ID (ignored for access-key connections).
    ///
    /// The secret reader's error is passed through unchanged, so the engine keeps its own
    /// error for an unreadable secret.
    pub fn resolve<E>(
        conn: &AwsConnection,
        external_id: impl Into<String>,
        mut read_secret: impl FnMut(SecretId) -> Result<SecretString, E>,
    ) -> Result<ResolvedConnection, E> {
        let auth = match &conn.auth {
            AwsAuth::AssumeRole(role) => ResolvedAuth::AssumeRole(AssumeRoleTarget {
                role_arn: role.arn.clone(),
                session_name: role.session_name.clone(),
                external_id: external_id.into(),
                session_duration: role.session_duration,
            }),
            AwsAuth::DefaultChain => ResolvedAuth::DefaultChain,
            AwsAuth::Credentials(creds) => {
                let mut text = |value: &StringOrSecret| -> Result<SecretString, E> {
                    match value {
                        StringOrSecret::Inline(s) => Ok(SecretString::new(s.clone())),
                        StringOrSecret::Secret(id) => read_secret(*id),
                    }
                };
                let access_key_id = text(&creds.access_key_id)?.expose_secret().to_owned();
                let secret_access_key = text(&StringOrSecret::Secret(creds.secret_access_key))?;
                let session_token = creds.session_token.as_ref().map(&mut text).transpose()?;
                ResolvedAuth::AccessKey(AccessKey {
                    access_key_id,
                    secret_access_key,
                    session_token,
                })
            }
        };
        Ok(ResolvedConnection {
            endpoint: conn.endpoint.clone().filter(|e| !e.is_empty()),
            region: conn.region.clone().filter(|r| !r.is_empty()),
            sts_endpoint: conn.sts.endpoint.clone().filter(|e| !e.is_empty()),
            sts_region: conn.sts.region.clone().filter(|r| !r.is_empty()),
            auth,
            allowed_endpoints: AllowedEndpoints::none(),
        })
    }

    /// A connection that assumes `role_arn` with `external_id`.
    pub fn assume_role(role_arn: impl Into<String>, external_id: impl Into<String>) -> Self {
        ResolvedConnection {
            endpoint: None,
            region: None,
            sts_endpoint: None,
            sts_region: None,
            allowed_endpoints: AllowedEndpoints::none(),
            auth: ResolvedAuth::AssumeRole(AssumeRoleTarget {
                role_arn: role_arn.into(),
                session_name: None,
                external_id: external_id.into(),
                session_duration: None,
            }),
        }
    }

    /// A connection with static credentials.
    pub fn access_key(
        access_key_id: impl Into<String>,
        secret_access_key: SecretString,
        session_token: Option<SecretString>,
    ) -> Self {
        ResolvedConnection {
            endpoint: None,
            region: None,
            sts_endpoint: None,
            sts_region: None,
            allowed_endpoints: AllowedEndpoints::none(),
            auth: ResolvedAuth::AccessKey(AccessKey {
                access_key_id: access_key_id.into(),
                secret_access_key,
                session_token,
            }),
        }
    }

    /// Sets `ENDPOINT`.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Adds endpoints the operator allows for this connection's calls (the catalog's
    /// `aws_allowed_endpoints`).
    pub fn with_allowed_endpoints(mut self, allowed: &AllowedEndpoints) -> Self {
        self.allowed_endpoints = self.allowed_endpoints.union(allowed);
        self
    }

    /// Sets `REGION`.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets `STS ENDPOINT`.
    pub fn with_sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// Sets `STS REGION`.
    pub fn with_sts_region(mut self, region: impl Into<String>) -> Self {
        self.sts_region = Some(region.into());
        self
    }

    /// The endpoint STS calls go to: `STS ENDPOINT`, else `ENDPOINT`.
    pub fn sts_endpoint(&self) -> Option<&str> {
        self.sts_endpoint.as_deref().or(self.endpoint.as_deref())
    }

    /// The region STS calls are signed for: `STS REGION`, else `REGION`.
    pub fn sts_region(&self) -> Option<&str> {
        self.sts_region.as_deref().or(self.region.as_deref())
    }

    /// Sets `ASSUME ROLE SESSION DURATION` in seconds (no effect on access-key
    /// connections).
    pub fn with_session_duration(mut self, seconds: u32) -> Self {
        if let ResolvedAuth::AssumeRole(target) = &mut self.auth {
            target.session_duration = Some(seconds);
        }
        self
    }

    /// Sets `ASSUME ROLE SESSION NAME` (no effect on access-key connections).
    pub fn with_session_name(mut self, name: impl Into<String>) -> Self {
        if let ResolvedAuth::AssumeRole(target) = &mut self.auth {
            target.session_name = Some(name.into());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_core::aws::{AwsAssumeRole, AwsCredentials};

    #[test]
    fn debug_never_shows_secret_values() {
        let conn = ResolvedConnection::access_key(
            "AKIACANARYKEYID00000",
            SecretString::new("canary-secret"),
            Some(SecretString::new("canary-token")),
        );
        let debug = format!("{conn:?}");
        assert!(!debug.contains("canary"), "{debug}");
        assert!(debug.contains("AKIA<redacted>"), "{debug}");
    }

    #[test]
    fn resolve_reads_only_referenced_secrets() {
        let planned = AwsConnection {
            endpoint: Some(String::new()),
            region: Some("eu-west-1".into()),
            sts: Default::default(),
            auth: AwsAuth::Credentials(AwsCredentials {
                access_key_id: StringOrSecret::Inline("AKIAEXAMPLE".into()),
                secret_access_key: SecretId(7),
                session_token: Some(StringOrSecret::Secret(SecretId(8))),
            }),
            scope: None,
        };
        let mut asked = Vec::new();
        let resolved = ResolvedConnection::resolve(&planned, "unused", |id| {
            asked.push(id);
            Ok::<_, ()>(SecretString::new(format!("value-of-{id}")))
        })
        .unwrap();
        assert_eq!(asked, vec![SecretId(7), SecretId(8)]);
        assert_eq!(resolved.endpoint, None, "'' means unset");
        let ResolvedAuth::AccessKey(key) = resolved.auth else {
            panic!("expected access keys")
        };
        assert_eq!(key.access_key_id, "AKIAEXAMPLE");
        assert_eq!(key.secret_access_key.expose_secret(), "value-of-u7");

        let role = AwsConnection {
            endpoint: None,
            region: None,
            sts: Default::default(),
            auth: AwsAuth::AssumeRole(AwsAssumeRole {
                arn: "arn:aws:iam::000000000000:role/R".into(),
                session_name: None,
                session_duration: None,
            }),
            scope: None,
        };
        let resolved =
            ResolvedConnection::resolve(&role, "mz_x_u1", |_| Err::<SecretString, _>("no"))
                .unwrap();
        let ResolvedAuth::AssumeRole(target) = resolved.auth else {
            panic!("expected a role")
        };
        assert_eq!(target.external_id, "mz_x_u1");
        assert_eq!(target.session_name(), DEFAULT_SESSION_NAME);
    }
}

//! The AWS connection model: what a `CREATE CONNECTION ... TO AWS` means once planned,
//! plus the pure functions every layer shares — IAM ARN and option syntax checks, the
//! external ID and the example trust policy.
//!
//! The model holds secret *ids*, never secret values: only the secret store decrypts.

mod arn;
mod duration;
mod policy;
mod scope;
mod syntax;

pub use arn::{ArnError, IamArn, IamArnKind};
pub use duration::{
    CHAINED_SESSION_LIMIT_SECONDS, MAX_SESSION_SECONDS, MIN_SESSION_SECONDS,
    parse_session_duration, session_duration_text,
};
pub use policy::{example_trust_policy, external_id};
pub use scope::{S3Scope, ScopeMatch, longest_scope};
pub use syntax::{
    REDACTED_USERINFO, SESSION_NAME_PLACEHOLDERS, check_access_key_id, check_endpoint,
    check_region, check_session_name, check_session_name_template, expand_session_name,
    looks_like_aws_access_key_id, normalize_endpoint, redact_userinfo, redact_userinfo_list,
};

use crate::SecretId;

/// A value given either inline (`ACCESS KEY ID = 'AKIA…'`) or by reference to a secret
/// (`ACCESS KEY ID = SECRET key_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringOrSecret {
    Inline(String),
    Secret(SecretId),
}

impl StringOrSecret {
    pub fn secret_id(&self) -> Option<SecretId> {
        match self {
            StringOrSecret::Inline(_) => None,
            StringOrSecret::Secret(id) => Some(*id),
        }
    }

    pub fn inline(&self) -> Option<&str> {
        match self {
            StringOrSecret::Inline(s) => Some(s),
            StringOrSecret::Secret(_) => None,
        }
    }
}

/// A planned AWS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConnection {
    /// `ENDPOINT`: an http(s) URL that replaces AWS's own endpoints, e.g. an emulator.
    pub endpoint: Option<String>,
    /// `REGION`.
    pub region: Option<String>,
    pub auth: AwsAuth,
    /// `SCOPE`: the part of S3 the connection is for, when a host picks a connection by
    /// URL (see [`longest_scope`]).
    pub scope: Option<S3Scope>,
    /// `STS ENDPOINT` and `STS REGION`: where STS calls go, apart from `ENDPOINT`.
    pub sts: AwsSts,
}

/// `STS ENDPOINT` and `STS REGION`: the STS endpoint (regional, FIPS, a VPC endpoint) and
/// the region STS calls are signed for, distinct from the service's `ENDPOINT` and
/// `REGION`. Unset, STS calls use `ENDPOINT` and `REGION` as before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSts {
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

/// How the connection authenticates: the three shapes are exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsAuth {
    Credentials(AwsCredentials),
    AssumeRole(AwsAssumeRole),
    /// `USE DEFAULT CREDENTIALS`: the connection acts as Airlock's own identity, from
    /// the AWS SDK's default credential chain. No customer role and no external ID, so
    /// no confused-deputy protection: allowed only while the operator enables
    /// `aws_allow_default_credentials`.
    DefaultChain,
}

/// Static credentials: `ACCESS KEY ID`, `SECRET ACCESS KEY`, optional `SESSION TOKEN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: StringOrSecret,
    /// Always a secret: a secret access key is never accepted inline.
    pub secret_access_key: SecretId,
    pub session_token: Option<StringOrSecret>,
}

/// `ASSUME ROLE ARN` with optional `ASSUME ROLE SESSION NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsAssumeRole {
    /// A role ARN that passed [`IamArn::parse_role`].
    pub arn: String,
    pub session_name: Option<String>,
    /// `ASSUME ROLE SESSION DURATION` in seconds (AWS's `DurationSeconds`); `None` asks
    /// for AWS's default (one hour).
    pub session_duration: Option<u32>,
}

impl AwsConnection {
    /// The secrets this connection depends on, in option order, without repeats.
    pub fn referenced_secrets(&self) -> Vec<SecretId> {
        let mut ids = Vec::new();
        if let AwsAuth::Credentials(c) = &self.auth {
            ids.extend(c.access_key_id.secret_id());
            ids.push(c.secret_access_key);
            ids.extend(c.session_token.as_ref().and_then(StringOrSecret::secret_id));
        }
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
        ids
    }

    /// Whether the connection acts as Airlock's own identity (`USE DEFAULT CREDENTIALS`).
    pub fn uses_default_credentials(&self) -> bool {
        matches!(self.auth, AwsAuth::DefaultChain)
    }

    /// Whether `ASSUME ROLE SESSION NAME` names the session's user (`{user}`): then
    /// each user acts through sessions of their own.
    pub fn session_name_names_user(&self) -> bool {
        self.assume_role()
            .and_then(|a| a.session_name.as_deref())
            .is_some_and(|name| name.contains("{user}"))
    }

    pub fn assume_role(&self) -> Option<&AwsAssumeRole> {
        match &self.auth {
            AwsAuth::AssumeRole(a) => Some(a),
            AwsAuth::Credentials(_) | AwsAuth::DefaultChain => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referenced_secrets_are_deduplicated() {
        let conn = AwsConnection {
            endpoint: None,
            region: None,
            sts: AwsSts::default(),
            auth: AwsAuth::Credentials(AwsCredentials {
                access_key_id: StringOrSecret::Secret(SecretId(1)),
                secret_access_key: SecretId(2),
                session_token: Some(StringOrSecret::Secret(SecretId(1))),
            }),
            scope: None,
        };
        assert_eq!(conn.referenced_secrets(), vec![SecretId(1), SecretId(2)]);
        let role = AwsConnection {
            endpoint: None,
            region: None,
            sts: AwsSts::default(),
            auth: AwsAuth::AssumeRole(AwsAssumeRole {
                arn: "arn:aws:iam::001234567890:role/Reader".into(),
                session_name: None,
                session_duration: None,
            }),
            scope: None,
        };
        assert!(role.referenced_secrets().is_empty());
        assert!(role.assume_role().is_some());
    }
}

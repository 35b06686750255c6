//! The STS calls Airlock makes, and what their failures mean.
//!
//! Every call ends in one of three ways: an answer, a *refusal* (AWS looked at the request
//! and said no, e.g. `AccessDenied`), or *no answer* (network, timeout, throttling, 5xx,
//! an unparseable response). The validator treats the last as inconclusive: a probe that
//! did not reach a decision proves nothing, in either direction.

use std::collections::HashMap;
use std::error::Error as _;
use std::fmt;
use std::sync::Mutex;

use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::config::{Credentials, IdentityCache, Region, SharedCredentialsProvider};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;

use crate::connection::{AssumeRoleTarget, ResolvedConnection};
use crate::endpoints::{self, AllowedEndpoints, EndpointError, EndpointGuard, EndpointUse};

/// The region STS calls are signed for when neither the connection nor the base
/// configuration names one: STS's global endpoint lives there.
const FALLBACK_REGION: &str = "us-east-1";

/// Error codes AWS uses for "slow down"; they are not answers about the role.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
];

/// Why an STS call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// AWS answered the request with an error: `code` is AWS's error code
    /// (`AccessDenied`, `InvalidClientTokenId`, …) and `message` its explanation.
    Refused { code: String, message: String },
    /// No decision was reached. `code` names what happened (`Timeout`,
    /// `ConnectionFailed`, `Throttling`, `ServiceUnavailable`, `InvalidResponse`, …).
    NoAnswer { code: String, reason: String },
}

impl CallError {
    /// AWS's error code, or the name of what kept AWS from answering.
    pub fn code(&self) -> &str {
        match self {
            CallError::Refused { code, .. } | CallError::NoAnswer { code, .. } => code,
        }
    }

    /// Whether AWS refused with `AccessDenied`, the only refusal that proves a trust
    /// policy said no.
    pub fn is_access_denied(&self) -> bool {
        matches!(self, CallError::Refused { code, .. } if code == "AccessDenied")
    }

    fn no_answer(code: &str, reason: impl Into<String>) -> Self {
        CallError::NoAnswer {
            code: code.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Refused { code, message } => write!(f, "{code}: {message}"),
            CallError::NoAnswer { code, reason } => write!(f, "{code}: {reason}"),
        }
    }
}

/// Classifies a failed SDK call. Texts come from AWS (or the endpoint) and from the HTTP
/// stack; the callers scrub the signing credentials out of them
/// ([`CallError::sanitized`]). Only network failures keep their chain of messages:
/// building and parsing errors would print the SDK's `Debug` dump of the request or of
/// the answer's XML, so they get a fixed description.
pub(crate) fn classify<E>(err: &SdkError<E, HttpResponse>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(refused) = guard_refusal(err) {
        return CallError::no_answer(crate::endpoints::EndpointError::CODE, refused);
    }
    match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = context.err().code();
            let message = context.err().message().unwrap_or("").to_owned();
            match code {
                Some(code) if THROTTLING_CODES.contains(&code) => {
                    CallError::no_answer("Throttling", format!("{code}: {message}"))
                }
                _ if status >= 500 => CallError::no_answer(
                    "ServiceUnavailable",
                    format!("HTTP {status}: {}", code.unwrap_or("no error code")),
                ),
                Some(code) => CallError::Refused {
                    code: code.to_owned(),
                    message,
                },
                None => CallError::no_answer(
                    "InvalidResponse",
                    format!("HTTP {status} without an AWS error code"),
                ),
            }
        }
        SdkError::TimeoutError(_) => CallError::no_answer("Timeout", "no answer in time"),
        SdkError::DispatchFailure(failure) => {
            let reason = error_chain(err);
            let code = if failure.is_timeout() {
                "Timeout"
            } else if failure.is_io() {
                "ConnectionFailed"
            } else {
                "DispatchFailure"
            };
            CallError::no_answer(code, reason)
        }
        SdkError::ResponseError(context) => CallError::no_answer(
            "InvalidResponse",
            format!(
                "HTTP {} with a body that is not an STS response",
                context.raw().status().as_u16()
            ),
        ),
        SdkError::ConstructionFailure(_) => {
            CallError::no_answer("RequestFailed", "the request could not be built")
        }
        _ => CallError::no_answer("RequestFailed", "the request failed"),
    }
}

/// The [`crate::endpoints::EndpointGuard`]'s refusal, wherever in the chain it sits.
fn guard_refusal(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(refused) = e.downcast_ref::<crate::endpoints::GuardRefused>() {
            return Some(refused.to_string());
        }
        next = e.source();
    }
    None
}

/// The messages of an error and its sources, joined by `: ` — readable where
/// `DisplayErrorContext` would append a `Debug` dump. Repeated messages are skipped
/// (wrappers often repeat their source).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Classifies a credentials provider's failure: an `AssumeRoleProvider` wraps the STS
/// error, which decides; anything else is no answer, except a chain that found no
/// credentials at all, which is a definite configuration problem.
pub(crate) fn classify_credentials_error(err: &CredentialsError) -> CallError {
    if let Some(sdk) = err
        .source()
        .and_then(|s| s.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>())
    {
        return classify(sdk);
    }
    match err {
        CredentialsError::CredentialsNotLoaded(_) => CallError::Refused {
            code: "NoCredentials".to_owned(),
            message: error_chain(err),
        },
        CredentialsError::ProviderTimedOut(_) => CallError::no_answer("Timeout", error_chain(err)),
        _ => CallError::no_answer("CredentialsError", error_chain(err)),
    }
}

/// STS clients by endpoint and region, shared by all validations so that their HTTP
/// connections (and TLS sessions) are reused. Credentials are given per call
/// ([`Signed`]), so one client serves every identity.
///
/// This is where every connection-bound request is built, so the endpoint rule is
/// enforced here: [`Clients::for_connection`] refuses an endpoint that may not receive
/// credentials, and each client carries an [`EndpointGuard`] that checks the final URL
/// of every request before it is signed.
#[derive(Debug)]
pub(crate) struct Clients {
    base: SdkConfig,
    allowed: AllowedEndpoints,
    clients: Mutex<HashMap<(Option<String>, Region), aws_sdk_sts::Client>>,
}

impl Clients {
    pub(crate) fn new(base: SdkConfig, allowed: AllowedEndpoints) -> Self {
        Clients {
            base,
            allowed,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Where `conn`'s calls go, if credentials may go there.
    pub(crate) fn endpoint_for(
        &self,
        conn: &ResolvedConnection,
    ) -> Result<EndpointUse, EndpointError> {
        endpoints::connection_endpoint(
            &self.base,
            conn,
            &self.allowed.union(&conn.allowed_endpoints),
        )
    }

    /// The client for a connection's endpoint and region, once the endpoint rule allows
    /// it.
    pub(crate) fn for_connection(
        &self,
        conn: &ResolvedConnection,
    ) -> Result<(aws_sdk_sts::Client, EndpointUse), EndpointError> {
        let used = self.endpoint_for(conn)?;
        let region = region_for(&self.base, conn.sts_region());
        let endpoint = conn.sts_endpoint().map(str::to_owned);
        let key = (endpoint.clone(), region.clone());
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let client = clients
            .entry(key)
            .or_insert_with(|| {
                let approved = endpoint.as_deref().or(self.base.endpoint_url());
                let mut builder = aws_sdk_sts::config::Builder::from(&self.base)
                    .region(region)
                    // Credentials come with each call; a cache would only collect one
                    // entry per call's provider.
                    .identity_cache(IdentityCache::no_cache())
                    .interceptor(EndpointGuard::new(approved));
                if let Some(endpoint) = &endpoint {
                    builder = builder.endpoint_url(endpoint);
                }
                aws_sdk_sts::Client::from_conf(builder.build())
            })
            .clone();
        Ok((client, used))
    }
}

/// A client and the credentials to sign with.
#[derive(Debug)]
pub(crate) struct Signed<'a> {
    pub client: &'a aws_sdk_sts::Client,
    pub credentials: Credentials,
}

impl Signed<'_> {
    fn config(&self) -> aws_sdk_sts::config::Builder {
        aws_sdk_sts::config::Builder::default()
            .credentials_provider(SharedCredentialsProvider::new(self.credentials.clone()))
    }
}

/// The connection's region, else the base configuration's, else STS's home region.
pub(crate) fn region_for(base: &SdkConfig, region: Option<&str>) -> Region {
    match region {
        Some(region) => Region::new(region.to_owned()),
        None => base
            .region()
            .cloned()
            .unwrap_or_else(|| Region::from_static(FALLBACK_REGION)),
    }
}

/// `GetCallerIdentity`: whose credentials these are.
pub(crate) async fn caller_identity(signed: &Signed<'_>) -> Result<String, CallError> {
    let out = signed
        .client
        .get_caller_identity()
        .customize()
        .config_override(signed.config())
        .send()
        .await
        .map_err(|e| classify(&e).sanitized(&signed.credentials))?;
    arn_of(out.arn).map(|arn| crate::scrub::scrub_credentials(arn, &signed.credentials))
}

fn arn_of(arn: Option<String>) -> Result<String, CallError> {
    arn.ok_or_else(|| CallError::no_answer("InvalidResponse", "GetCallerIdentity returned no Arn"))
}

/// `AssumeRole` with the connection's external ID: the credentials a host would use,
/// for `duration_seconds` (`None`: AWS's default). The caller has already capped the
/// duration to what AWS allows ([`effective_duration`]).
pub(crate) async fn assume_role_with_external_id(
    signed: &Signed<'_>,
    target: &AssumeRoleTarget,
    duration_seconds: Option<u32>,
) -> Result<Credentials, CallError> {
    assume_role(signed, target, Some(&target.external_id), duration_seconds).await
}

/// The `DurationSeconds` to ask for: the connection's, capped at one hour when the
/// principal hop is a role session (AWS refuses more to role chaining).
pub(crate) fn effective_duration(target: &AssumeRoleTarget, chained: bool) -> Option<u32> {
    let limit = airlock_core::aws::CHAINED_SESSION_LIMIT_SECONDS;
    target
        .session_duration
        .map(|asked| if chained { asked.min(limit) } else { asked })
}

/// `AssumeRole` with an external ID that is not the connection's — one an attacker could
/// make Airlock send (see `probes.rs`). A secure trust policy refuses it. Used only by
/// the validator's negative probes.
pub(crate) async fn assume_role_with_probe_external_id(
    signed: &Signed<'_>,
    target: &AssumeRoleTarget,
    external_id: &str,
) -> Result<Credentials, CallError> {
    assume_role(signed, target, Some(external_id), None).await
}

/// `AssumeRole` *without* an external ID: exactly what a confused deputy would do. A
/// secure trust policy refuses it. Used only by the validator's negative probe, whose
/// whole point is to check that this fails; never use it to obtain credentials.
pub(crate) async fn dangerously_assume_role_without_external_id(
    signed: &Signed<'_>,
    target: &AssumeRoleTarget,
) -> Result<Credentials, CallError> {
    assume_role(signed, target, None, None).await
}

async fn assume_role(
    signed: &Signed<'_>,
    target: &AssumeRoleTarget,
    external_id: Option<&str>,
    duration_seconds: Option<u32>,
) -> Result<Credentials, CallError> {
    let out = signed
        .client
        .assume_role()
        .role_arn(&target.role_arn)
        .role_session_name(target.session_name())
        .set_external_id(external_id.map(str::to_owned))
        .set_duration_seconds(duration_seconds.and_then(|d| i32::try_from(d).ok()))
        .customize()
        .config_override(signed.config())
        .send()
        .await
        .map_err(|e| classify(&e).sanitized(&signed.credentials))?;
    let creds = out.credentials.ok_or_else(|| {
        CallError::no_answer("InvalidResponse", "AssumeRole returned no credentials")
    })?;
    let expiry = std::time::SystemTime::try_from(creds.expiration).ok();
    Ok(Credentials::new(
        creds.access_key_id,
        creds.secret_access_key,
        Some(creds.session_token),
        expiry,
        "airlock-validate",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_access_denied_is_a_trust_refusal() {
        let denied = CallError::Refused {
            code: "AccessDenied".into(),
            message: "no".into(),
        };
        assert!(denied.is_access_denied());
        let other = CallError::Refused {
            code: "InvalidClientTokenId".into(),
            message: "no".into(),
        };
        assert!(!other.is_access_denied());
        assert!(!CallError::no_answer("AccessDenied", "spoofed code").is_access_denied());
    }

    /// A service error as the SDK hands it over: AWS's code and message, and the HTTP
    /// status. (The emulator never throttles nor fails with a 5xx, so these answers are
    /// built here.)
    fn service_error(status: u16, code: Option<&str>) -> SdkError<AssumeRoleError, HttpResponse> {
        let mut meta = aws_sdk_sts::error::ErrorMetadata::builder().message("said AWS");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(
            AssumeRoleError::generic(meta.build()),
            HttpResponse::new(status.try_into().unwrap(), "".into()),
        )
    }

    #[test]
    fn throttling_and_5xx_are_no_answer() {
        for code in THROTTLING_CODES {
            let err = classify(&service_error(400, Some(code)));
            assert_eq!(err.code(), "Throttling", "{code}");
            assert!(matches!(err, CallError::NoAnswer { .. }), "{code}");
        }
        for status in [500, 502, 503, 504] {
            for code in [None, Some("InternalFailure"), Some("AccessDenied")] {
                let err = classify(&service_error(status, code));
                assert_eq!(err.code(), "ServiceUnavailable", "{status} {code:?}");
                assert!(!err.is_access_denied(), "a 5xx decides nothing");
            }
        }
        // A 4xx without an error code cannot be read as a refusal either.
        assert_eq!(
            classify(&service_error(403, None)).code(),
            "InvalidResponse"
        );
    }

    #[test]
    fn refusals_keep_aws_code_and_message() {
        for code in [
            "AccessDenied",
            "InvalidClientTokenId",
            "SignatureDoesNotMatch",
            "ExpiredToken",
            "RegionDisabledException",
        ] {
            assert_eq!(
                classify(&service_error(403, Some(code))),
                CallError::Refused {
                    code: code.to_owned(),
                    message: "said AWS".to_owned()
                }
            );
        }
    }
}

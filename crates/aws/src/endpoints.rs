//! Which URLs may receive credentials: the endpoint rule.
//!
//! A connection's credentials, and Airlock's own (the principal's, which sign the probes),
//! are sent only to
//!
//! - **AWS STS over https**: `sts`/`sts-fips` in every partition of the SDK's partition
//!   table, global, regional, dual-stack and VPC-endpoint hostnames, on port 443; or
//! - **an endpoint the operator lists** in `aws_allowed_endpoints`: URL prefixes
//!   (scheme, host, port and a path prefix), compared on the normalized URL. `http://`,
//!   loopback and private addresses are allowed only this way.
//!
//! Airlock's own endpoint (`AWS_ENDPOINT_URL`, the base `SdkConfig`'s) is allowed for
//! Airlock's own identity calls only: a connection without `ENDPOINT` that would fall
//! back to it needs it listed too.
//!
//! Why only STS and not every `*.amazonaws.com` host: many names under AWS's domains
//! belong to customers — EC2 public DNS names, load balancers, API Gateway stages,
//! PrivateLink endpoint services (`vpce-…​.vpce-svc-…​.vpce.amazonaws.com`) — and forward a
//! request, headers included, to servers the customer runs. STS is the only service
//! Airlock calls with credentials.
//!
//! The rule is applied where requests are built: [`connection_endpoint`] before any
//! validation or credentials provider is set up, and [`EndpointGuard`], an SDK
//! interceptor on every STS client Airlock builds, which checks the URL of each request
//! after endpoint resolution and before signing, so that a refused request is never
//! signed or sent.

use std::fmt;

use airlock_core::aws::{check_region, redact_userinfo};
use airlock_core::{Diagnostic, SqlError, SqlState};
use aws_config::SdkConfig;
use aws_sdk_sts::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use url::Url;

use crate::connection::ResolvedConnection;
use crate::report::{Check, CheckName, Status, ValidationReport};

/// The setting's name, as `ALTER SYSTEM` and `SHOW` spell it.
pub const SETTING: &str = "aws_allowed_endpoints";
/// The environment variable a process reads its list from (the `airlock` binary).
pub const ENV_VAR: &str = "AIRLOCK_AWS_ALLOWED_ENDPOINTS";

/// AWS's partitions as the SDK's endpoint rules name them (`partitions.json` of
/// `aws-sdk-sts`): DNS suffix, dual-stack DNS suffix, and the fixed start of their
/// region names (`<start>-<word>-<digits>`, the partition's `regionRegex`).
const PARTITIONS: &[(&str, &str, &[&str])] = &[
    (
        "amazonaws.com",
        "api.aws",
        &[
            "us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "us-gov",
        ],
    ),
    ("amazonaws.com.cn", "api.amazonwebservices.com.cn", &["cn"]),
    ("amazonaws.eu", "api.amazonwebservices.eu", &["eusc-de"]),
    ("c2s.ic.gov", "api.aws.ic.gov", &["us-iso"]),
    ("sc2s.sgov.gov", "api.aws.scloud", &["us-isob"]),
    ("cloud.adc-e.uk", "api.cloud-aws.adc-e.uk", &["eu-isoe"]),
    ("csp.hci.ic.gov", "api.aws.hci.ic.gov", &["us-isof"]),
];

/// The first label of an STS hostname: the service, or its FIPS variant.
const STS_LABELS: [&str; 2] = ["sts", "sts-fips"];

/// Whether `url` is AWS STS itself: https, port 443, and a hostname of the form
/// `sts.<dns suffix>` (the global endpoint), `sts[-fips].<region>.<dns suffix>`,
/// `sts[-fips].<region>.<dual-stack suffix>`, `sts[-fips].dualstack.<region>.<dns suffix>`
/// or `vpce-<id>[-<zone>].sts.<region>.vpce.<dns suffix>`, where `<region>` matches the
/// partition's region pattern.
pub fn is_aws_sts(url: &Url) -> bool {
    if url.scheme() != "https" || url.port_or_known_default() != Some(443) {
        return false;
    }
    let Some(url::Host::Domain(host)) = url.host() else {
        return false;
    };
    PARTITIONS.iter().any(|(suffix, dual_stack, regions)| {
        let region_ok = |r: &str| is_region_of(r, regions);
        if let Some(name) = strip_suffix(host, dual_stack) {
            return matches!(labels(name)[..], [sts, region] if is_sts(sts) && region_ok(region));
        }
        let Some(name) = strip_suffix(host, suffix) else {
            return false;
        };
        match labels(name)[..] {
            // The global endpoint (aws partition: sts.amazonaws.com).
            ["sts"] => true,
            [sts, region] => is_sts(sts) && region_ok(region),
            [sts, "dualstack", region] => is_sts(sts) && region_ok(region),
            [endpoint, "sts", region, "vpce"] => is_vpce_id(endpoint) && region_ok(region),
            _ => false,
        }
    })
}

fn strip_suffix<'a>(host: &'a str, suffix: &str) -> Option<&'a str> {
    host.strip_suffix(suffix)?.strip_suffix('.')
}

fn labels(name: &str) -> Vec<&str> {
    name.split('.').collect()
}

fn is_sts(label: &str) -> bool {
    STS_LABELS.contains(&label)
}

/// `<start>-<word>-<digits>`, as the SDK's `regionRegex` (`^us\-gov\-\w+\-\d+$`, …).
fn is_region_of(region: &str, starts: &[&str]) -> bool {
    starts.iter().any(|start| {
        let Some(rest) = region.strip_prefix(start).and_then(|r| r.strip_prefix('-')) else {
            return false;
        };
        let mut parts = rest.split('-');
        let (Some(word), Some(digits), None) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        !word.is_empty()
            && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// `vpce-<hex id>-<id>` or, zonal, `vpce-<hex id>-<id>-<availability zone>`.
fn is_vpce_id(label: &str) -> bool {
    label.strip_prefix("vpce-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .split('-')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
    })
}

/// The operator's allow-list: normalized URL prefixes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedEndpoints {
    prefixes: Vec<Url>,
}

impl AllowedEndpoints {
    /// No endpoint beyond AWS STS.
    pub fn none() -> Self {
        AllowedEndpoints::default()
    }

    /// Parses a comma-separated list of URL prefixes (`'http://127.0.0.1:4566/,
    /// https://minio.internal/'`). Blanks around items and empty items are ignored; each
    /// item must be an `http`/`https` URL with a host and without user information,
    /// query or fragment. The error names the offending item, user information redacted.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut allowed = AllowedEndpoints::none();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let url = airlock_core::aws::normalize_endpoint(item)
                .and_then(|n| Url::parse(&n).map_err(|e| e.to_string()))
                .map_err(|reason| {
                    format!(
                        "\"{}\" is not an endpoint prefix: {reason}",
                        redact_userinfo(item)
                    )
                })?;
            allowed.push(url);
        }
        Ok(allowed)
    }

    fn push(&mut self, url: Url) {
        if !self.prefixes.contains(&url) {
            self.prefixes.push(url);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty()
    }

    /// Both lists: the effective list of a process setting and a catalog setting.
    pub fn union(&self, other: &AllowedEndpoints) -> AllowedEndpoints {
        let mut all = self.clone();
        for url in &other.prefixes {
            all.push(url.clone());
        }
        all
    }

    /// The list as stored and shown: normalized prefixes joined by `,`.
    pub fn to_setting(&self) -> String {
        self.prefixes
            .iter()
            .map(Url::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether a listed prefix covers `url`: same scheme, host and port (the scheme's
    /// default when absent), and the prefix's path is the URL's path or one of its
    /// ancestors (`/sts/` covers `/sts/x`; `/sts` covers `/sts` and `/sts/x`, not
    /// `/stsx`). Both sides are normalized URLs, so `http://127.0.0.1:4566.evil.com`,
    /// `http://127.0.0.1:4566@evil.com` or `/a/../b` tricks compare as what they are.
    pub fn allows(&self, url: &Url) -> bool {
        self.prefixes.iter().any(|prefix| covers(prefix, url))
    }
}

fn covers(prefix: &Url, url: &Url) -> bool {
    if prefix.scheme() != url.scheme()
        || prefix.host() != url.host()
        || prefix.port_or_known_default() != url.port_or_known_default()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return false;
    }
    let (want, path) = (prefix.path(), url.path());
    path.strip_prefix(want)
        .is_some_and(|rest| want.ends_with('/') || rest.is_empty() || rest.starts_with('/'))
}

/// Where a connection's calls go, once the rule has allowed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointUse {
    /// AWS STS: the connection's `ENDPOINT` is an STS URL, or it sets none and the SDK
    /// resolves STS's endpoint for the region.
    Aws,
    /// An endpoint that is not AWS, allowed because the operator listed it: the checks
    /// prove what that endpoint answered, not what AWS would. The normalized URL.
    Listed(String),
}

impl EndpointUse {
    /// The URL of a non-AWS endpoint, for the validation history.
    pub fn non_aws(&self) -> Option<&str> {
        match self {
            EndpointUse::Aws => None,
            EndpointUse::Listed(url) => Some(url),
        }
    }
}

/// Decides where `conn`'s STS calls may go: its `STS ENDPOINT`, else its `ENDPOINT`,
/// else Airlock's own endpoint (the base configuration's), else AWS STS for its region.
/// A connection with both `STS ENDPOINT` and `ENDPOINT` sends credentials to both (the
/// service's clients use `ENDPOINT`), so both must pass. `allowed` is the effective
/// allow-list (the process's and the catalog's).
pub fn connection_endpoint(
    base: &SdkConfig,
    conn: &ResolvedConnection,
    allowed: &AllowedEndpoints,
) -> Result<EndpointUse, EndpointError> {
    for region in [&conn.region, &conn.sts_region].into_iter().flatten() {
        // Planning checked it; a host that builds connections itself may not have. The
        // region becomes part of the hostname the SDK resolves.
        check_region(region).map_err(|reason| EndpointError::InvalidRegion {
            region: region.clone(),
            reason,
        })?;
    }
    if let (Some(_), Some(service)) = (&conn.sts_endpoint, &conn.endpoint) {
        decide(service, Source::Connection, allowed)?;
    }
    match (&conn.sts_endpoint, &conn.endpoint, base.endpoint_url()) {
        (Some(sts), _, _) => decide(sts, Source::ConnectionSts, allowed),
        (None, Some(endpoint), _) => decide(endpoint, Source::Connection, allowed),
        (None, None, Some(own)) => decide(own, Source::AirlockOwn, allowed),
        (None, None, None) => Ok(EndpointUse::Aws),
    }
}

/// Whether an explicit `ENDPOINT` may receive credentials under `allowed`: what
/// `CREATE`/`ALTER CONNECTION` check to warn that a connection cannot be used yet.
pub fn check_endpoint_allowed(
    endpoint: &str,
    allowed: &AllowedEndpoints,
) -> Result<EndpointUse, EndpointError> {
    decide(endpoint, Source::Connection, allowed)
}

fn decide(
    text: &str,
    source: Source,
    allowed: &AllowedEndpoints,
) -> Result<EndpointUse, EndpointError> {
    let url = airlock_core::aws::normalize_endpoint(text)
        .and_then(|n| Url::parse(&n).map_err(|e| e.to_string()))
        .map_err(|reason| EndpointError::Invalid {
            endpoint: redact_userinfo(text).into_owned(),
            reason,
        })?;
    if is_aws_sts(&url) {
        Ok(EndpointUse::Aws)
    } else if allowed.allows(&url) {
        Ok(EndpointUse::Listed(url.into()))
    } else {
        Err(EndpointError::NotAllowed {
            endpoint: url.into(),
            source,
        })
    }
}

/// Where a refused endpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The connection's `ENDPOINT`.
    Connection,
    /// The connection's `STS ENDPOINT`.
    ConnectionSts,
    /// Airlock's own endpoint (`AWS_ENDPOINT_URL`), which a connection without `ENDPOINT`
    /// would fall back to.
    AirlockOwn,
}

/// Credentials may not be sent where a connection points: SQLSTATE 42501
/// (insufficient_privilege). The statement is well-formed and the URL valid; what is
/// missing is the operator's permission to send credentials there, and the same
/// statement succeeds once the operator lists the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointError {
    NotAllowed {
        endpoint: String,
        source: Source,
    },
    /// Not a URL Airlock accepts (only for connections built outside the planner).
    Invalid {
        endpoint: String,
        reason: String,
    },
    InvalidRegion {
        region: String,
        reason: String,
    },
}

impl EndpointError {
    /// The `error_code` a refused validation reports.
    pub const CODE: &'static str = "EndpointNotAllowed";

    /// The report of a validation that was refused before anything was sent: failed,
    /// no checks, this error's message, DETAIL and HINT (SQLSTATE 42501 as an error).
    pub(crate) fn into_report(self) -> ValidationReport {
        let mut report = ValidationReport::from_checks(Vec::new(), None).with_error(
            match self {
                EndpointError::NotAllowed { .. } => Self::CODE,
                _ => "InvalidEndpoint",
            },
            self.to_string(),
            self.detail(),
            self.hint(),
        );
        report.status = Status::Failed;
        report
    }
}

/// The first row of a validation whose checks went to a listed endpoint. The URL itself
/// is in the connection's ENDPOINT and in the history's `non_aws_endpoint`.
pub(crate) fn listed_endpoint_check() -> Check {
    Check {
        name: CheckName::Endpoint,
        status: Status::Ok,
        detail: "not AWS STS: these checks went to an endpoint listed in aws_allowed_endpoints, not to AWS".to_owned(),
    }
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::NotAllowed { .. } => f.write_str(
                "credentials may not be sent to this endpoint: it is not AWS STS and not in aws_allowed_endpoints",
            ),
            EndpointError::Invalid { endpoint, reason } => {
                write!(f, "invalid ENDPOINT \"{endpoint}\": {reason}")
            }
            EndpointError::InvalidRegion { region, reason } => {
                write!(f, "invalid REGION \"{region}\": {reason}")
            }
        }
    }
}

impl std::error::Error for EndpointError {}

impl SqlError for EndpointError {
    fn code(&self) -> SqlState {
        match self {
            EndpointError::NotAllowed { .. } => SqlState::InsufficientPrivilege,
            EndpointError::Invalid { .. } | EndpointError::InvalidRegion { .. } => {
                SqlState::InvalidParameterValue
            }
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            EndpointError::NotAllowed {
                endpoint,
                source: Source::Connection,
            } => Some(format!(
                "The connection's ENDPOINT is {endpoint}. Airlock sends credentials only to AWS STS over https and to endpoints the operator lists; nothing was sent."
            )),
            EndpointError::NotAllowed {
                endpoint,
                source: Source::ConnectionSts,
            } => Some(format!(
                "The connection's STS ENDPOINT is {endpoint}. Airlock sends credentials only to AWS STS over https and to endpoints the operator lists; nothing was sent."
            )),
            EndpointError::NotAllowed {
                endpoint,
                source: Source::AirlockOwn,
            } => Some(format!(
                "The connection sets no ENDPOINT, so its calls would go to Airlock's own endpoint {endpoint} (AWS_ENDPOINT_URL), which serves Airlock's own identity calls only. Nothing was sent."
            )),
            _ => None,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            EndpointError::NotAllowed { endpoint, .. } => Some(listing_hint(endpoint)),
            _ => None,
        }
    }
}

/// How an operator lists `endpoint`.
pub fn listing_hint(endpoint: &str) -> String {
    format!(
        "An operator can allow it by adding {endpoint} to aws_allowed_endpoints (ALTER SYSTEM SET aws_allowed_endpoints = '…,{endpoint}', the --aws-allowed-endpoints flag or AIRLOCK_AWS_ALLOWED_ENDPOINTS). List only endpoints trusted with the credentials of every connection that names them."
    )
}

impl From<EndpointError> for Diagnostic {
    fn from(err: EndpointError) -> Diagnostic {
        Diagnostic::from_error(&err)
    }
}

/// An SDK interceptor on every STS client Airlock builds: before a request is signed, its
/// URL — after endpoint resolution, whatever set it — must be AWS STS or covered by the
/// endpoint this client was built for (which [`connection_endpoint`] allowed, or
/// Airlock's own endpoint for its own identity calls). Otherwise the request fails
/// unsigned and unsent.
#[derive(Debug, Clone)]
pub(crate) struct EndpointGuard {
    approved: Option<Url>,
}

impl EndpointGuard {
    pub(crate) fn new(approved: Option<&str>) -> Self {
        EndpointGuard {
            approved: approved.and_then(|a| Url::parse(a).ok()),
        }
    }

    fn allows(&self, uri: &str) -> bool {
        let Ok(url) = Url::parse(uri) else {
            return false;
        };
        is_aws_sts(&url) || self.approved.as_ref().is_some_and(|a| covers(a, &url))
    }
}

/// The error an [`EndpointGuard`] fails a request with.
#[derive(Debug)]
pub(crate) struct GuardRefused {
    pub endpoint: String,
}

impl fmt::Display for GuardRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refused to sign a request to {}: not AWS STS and not the endpoint allowed for this client",
            self.endpoint
        )
    }
}

impl std::error::Error for GuardRefused {}

impl Intercept for EndpointGuard {
    fn name(&self) -> &'static str {
        "AirlockEndpointGuard"
    }

    fn read_before_signing(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_sts::error::BoxError> {
        let uri = context.request().uri();
        if self.allows(uri) {
            Ok(())
        } else {
            Err(Box::new(GuardRefused {
                endpoint: redact_userinfo(uri).into_owned(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn aws_sts_hostnames_in_every_partition() {
        for ok in [
            "https://sts.amazonaws.com",
            "https://sts.amazonaws.com/",
            "https://STS.US-EAST-1.AMAZONAWS.COM:443/",
            "https://sts.eu-west-1.amazonaws.com/",
            "https://sts-fips.us-east-2.amazonaws.com/",
            "https://sts.us-gov-west-1.amazonaws.com/",
            "https://sts-fips.us-gov-east-1.amazonaws.com/",
            "https://sts.us-east-1.api.aws/",
            "https://sts-fips.us-west-2.api.aws/",
            "https://sts.dualstack.us-east-1.amazonaws.com/",
            "https://sts.cn-north-1.amazonaws.com.cn/",
            "https://sts.cn-northwest-1.api.amazonwebservices.com.cn/",
            "https://sts.eusc-de-east-1.amazonaws.eu/",
            "https://sts.us-iso-east-1.c2s.ic.gov/",
            "https://sts.us-isob-east-1.sc2s.sgov.gov/",
            "https://sts.eu-isoe-west-1.cloud.adc-e.uk/",
            "https://sts.us-isof-south-1.csp.hci.ic.gov/",
            "https://vpce-0a1b2c3d4e5f67890-abcdefgh.sts.us-east-1.vpce.amazonaws.com/",
            "https://vpce-0a1b2c3d4e5f67890-abcdefgh-us-east-1a.sts.us-east-1.vpce.amazonaws.com/",
            "https://vpce-0a1b2c3d-abcd.sts.cn-north-1.vpce.amazonaws.com.cn/",
        ] {
            assert!(is_aws_sts(&url(ok)), "{ok}");
        }
        for bad in [
            // Not https, or not AWS's port.
            "http://sts.amazonaws.com/",
            "http://sts.us-east-1.amazonaws.com/",
            "https://sts.amazonaws.com:8443/",
            // Hosts under AWS's domains that customers control.
            "https://ec2-1-2-3-4.compute-1.amazonaws.com/",
            "https://my-lb-1234.us-east-1.elb.amazonaws.com/",
            "https://abc123.execute-api.us-east-1.amazonaws.com/",
            "https://sts.s3.amazonaws.com/",
            "https://sts.s3-us-west-2.amazonaws.com/",
            "https://bucket.s3.us-east-1.amazonaws.com/",
            "https://vpce-0123-abcd.vpce-svc-0123456789.us-east-1.vpce.amazonaws.com/",
            "https://sts.compute-1.amazonaws.com/",
            // Other services, odd shapes, look-alikes.
            "https://s3.us-east-1.amazonaws.com/",
            "https://iam.amazonaws.com/",
            "https://sts.us-east-1.amazonaws.com.evil.com/",
            "https://sts.amazonaws.com.evil.com/",
            "https://evilamazonaws.com/",
            "https://sts.evilamazonaws.com/",
            "https://sts.us-east.amazonaws.com/",
            "https://sts.xx-east-1.amazonaws.com/",
            "https://sts.us-east-1.amazonaws.com./",
            "https://sts.cn-north-1.api.aws.evil/",
            "https://x.sts.us-east-1.amazonaws.com/",
            "https://vpce-.sts.us-east-1.vpce.amazonaws.com/",
            "https://54.239.28.85/",
            "https://localhost/",
        ] {
            assert!(!is_aws_sts(&url(bad)), "{bad}");
        }
    }

    #[test]
    fn every_endpoint_the_sdk_resolves_for_sts_is_aws() {
        use aws_sdk_sts::config::endpoint::{Params, ResolveEndpoint};
        let resolver = aws_sdk_sts::config::endpoint::DefaultResolver::new();
        let regions = [
            "us-east-1",
            "us-west-2",
            "eu-central-1",
            "ap-southeast-7",
            "me-central-1",
            "il-central-1",
            "mx-central-1",
            "us-gov-west-1",
            "cn-north-1",
            "cn-northwest-1",
            "eusc-de-east-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "us-isof-south-1",
        ];
        let mut seen = 0;
        for region in regions {
            for fips in [false, true] {
                for dual_stack in [false, true] {
                    for global in [false, true] {
                        let params = Params::builder()
                            .region(region)
                            .use_fips(fips)
                            .use_dual_stack(dual_stack)
                            .use_global_endpoint(global)
                            .build()
                            .unwrap();
                        let Ok(endpoint) =
                            futures_lite_block_on(resolver.resolve_endpoint(&params))
                        else {
                            continue;
                        };
                        let resolved = url(endpoint.url());
                        assert!(
                            is_aws_sts(&resolved),
                            "{region} fips={fips} dual={dual_stack}: {resolved}"
                        );
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= regions.len() * 4, "only {seen} endpoints resolved");
    }

    /// The resolver's future is ready at once; poll it without a runtime.
    fn futures_lite_block_on<F: std::future::IntoFuture>(f: F) -> F::Output {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(f.into_future())
    }

    #[test]
    fn allow_list_compares_normalized_urls() {
        let allowed =
            AllowedEndpoints::parse(" http://127.0.0.1:4566/ ,https://minio.internal/sts,")
                .unwrap();
        assert_eq!(
            allowed.to_setting(),
            "http://127.0.0.1:4566/,https://minio.internal/sts"
        );
        for ok in [
            "http://127.0.0.1:4566",
            "http://127.0.0.1:4566/",
            "http://127.0.0.1:4566/anything/below",
            "HTTP://127.0.0.1:4566/x/../",
            "http://0x7f.0.0.1:4566/",
            "https://minio.internal/sts",
            "https://MINIO.internal:443/sts/x",
        ] {
            assert!(allowed.allows(&url(ok)), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:45660/",
            "http://127.0.0.1:456/",
            "http://127.0.0.1/",
            "https://127.0.0.1:4566/",
            "http://127.0.0.2:4566/",
            "http://localhost:4566/",
            "http://[::1]:4566/",
            "http://127.0.0.1:4566@evil.com/",
            "http://user:pw@127.0.0.1:4566/",
            "https://minio.internal/stsx",
            "https://minio.internal/",
            "http://minio.internal/sts",
            "https://minio.internal.evil.com/sts",
        ] {
            assert!(!allowed.allows(&url(bad)), "{bad}");
        }
        // A port glued to a host is not a port: the prefix trick does not even parse.
        assert!(Url::parse("http://127.0.0.1:4566.evil.com/").is_err());
        assert!(
            AllowedEndpoints::none()
                .union(&allowed)
                .allows(&url("http://127.0.0.1:4566/"))
        );
        assert!(!AllowedEndpoints::none().allows(&url("http://127.0.0.1:4566/")));
    }

    #[test]
    fn bad_list_items_are_refused_without_their_password() {
        for (list, why) in [
            ("ftp://host/", "expected an http:// or https:// URL"),
            (
                "http://user:s3cret@host/",
                "must not contain a user name or password",
            ),
            ("http://host/?q=1", "without a query or fragment"),
            ("127.0.0.1:4566", "expected an http:// or https:// URL"),
        ] {
            let err = AllowedEndpoints::parse(list).unwrap_err();
            assert!(err.contains(why), "{list}: {err}");
            assert!(!err.contains("s3cret"), "{err}");
        }
        assert_eq!(
            AllowedEndpoints::parse("").unwrap(),
            AllowedEndpoints::none()
        );
    }

    #[test]
    fn a_connection_goes_to_its_endpoint_then_airlocks_then_aws() {
        let listed = AllowedEndpoints::parse("http://127.0.0.1:4566/").unwrap();
        let none = AllowedEndpoints::none();
        let plain = SdkConfig::builder().build();
        let own = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:4566")
            .build();
        let conn = ResolvedConnection::assume_role("arn", "x");

        assert_eq!(
            connection_endpoint(&plain, &conn, &none),
            Ok(EndpointUse::Aws)
        );
        let err = connection_endpoint(&own, &conn, &none).unwrap_err();
        assert_eq!(err.code(), SqlState::InsufficientPrivilege);
        assert!(
            err.detail()
                .unwrap()
                .contains("Airlock's own endpoint http://127.0.0.1:4566/")
        );
        assert_eq!(
            connection_endpoint(&own, &conn, &listed),
            Ok(EndpointUse::Listed("http://127.0.0.1:4566/".into()))
        );

        let exfil = conn.clone().with_endpoint("http://127.0.0.1:18002/");
        let err = connection_endpoint(&own, &exfil, &listed).unwrap_err();
        assert_eq!(err.code().code(), "42501");
        assert!(
            err.detail()
                .unwrap()
                .contains("ENDPOINT is http://127.0.0.1:18002/")
        );
        assert!(err.hint().unwrap().contains("aws_allowed_endpoints"));

        let aws = conn
            .clone()
            .with_endpoint("https://sts.eu-west-1.amazonaws.com");
        assert_eq!(connection_endpoint(&own, &aws, &none), Ok(EndpointUse::Aws));

        let password = conn
            .clone()
            .with_endpoint("http://user:s3cret@127.0.0.1:4566/");
        let err = connection_endpoint(&plain, &password, &listed).unwrap_err();
        let text = Diagnostic::from(err).render();
        assert!(!text.contains("s3cret"), "{text}");

        let region = conn.with_region("us-east-1.evil.com#");
        assert!(connection_endpoint(&plain, &region, &listed).is_err());
    }

    #[test]
    fn sts_endpoint_takes_sts_calls_and_endpoint_must_still_pass() {
        let listed = AllowedEndpoints::parse("http://127.0.0.1:4566/").unwrap();
        let none = AllowedEndpoints::none();
        let own = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:4566")
            .build();
        let conn = ResolvedConnection::assume_role("arn", "x");

        // A FIPS endpoint is AWS STS: STS calls go there, never to Airlock's own endpoint.
        let fips = conn
            .clone()
            .with_sts_endpoint("https://sts-fips.us-east-1.amazonaws.com")
            .with_sts_region("us-east-1");
        assert_eq!(
            connection_endpoint(&own, &fips, &none),
            Ok(EndpointUse::Aws)
        );
        assert_eq!(
            fips.sts_endpoint(),
            Some("https://sts-fips.us-east-1.amazonaws.com")
        );

        // The service's ENDPOINT receives credentials too: it must be allowed as well.
        let both = fips.clone().with_endpoint("http://127.0.0.1:18002/");
        let err = connection_endpoint(&own, &both, &listed).unwrap_err();
        assert!(
            err.detail()
                .unwrap()
                .contains("ENDPOINT is http://127.0.0.1:18002/"),
            "{err:?}"
        );
        let both = fips.with_endpoint("http://127.0.0.1:4566/");
        assert_eq!(
            connection_endpoint(&own, &both, &listed),
            Ok(EndpointUse::Aws)
        );

        // An STS ENDPOINT that is not AWS needs listing, and says which option it was.
        let vpc = conn
            .clone()
            .with_sts_endpoint("https://sts.internal.example/");
        let err = connection_endpoint(&own, &vpc, &listed).unwrap_err();
        assert!(
            err.detail()
                .unwrap()
                .starts_with("The connection's STS ENDPOINT is https://sts.internal.example/"),
            "{err:?}"
        );
        let region = conn.with_sts_region("us-east-1.evil.com#");
        assert!(connection_endpoint(&own, &region, &listed).is_err());
    }

    #[test]
    fn the_guard_checks_the_final_url() {
        let guard = EndpointGuard::new(Some("http://127.0.0.1:4566/"));
        assert!(guard.allows("http://127.0.0.1:4566/"));
        assert!(guard.allows("https://sts.us-east-1.amazonaws.com/"));
        assert!(!guard.allows("http://127.0.0.1:18002/"));
        assert!(!guard.allows("not a url"));
        assert!(!EndpointGuard::new(None).allows("http://127.0.0.1:4566/"));
    }
}

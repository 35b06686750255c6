//! `VALIDATE CONNECTION`: proving that a customer's role can be assumed *with* the
//! connection's external ID and *only* with it (the confused-deputy check), or that an
//! access key works.

use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use std::time::SystemTime;

use airlock_core::aws::{
    CHAINED_SESSION_LIMIT_SECONDS, IamArn, example_trust_policy, session_duration_text,
};
use aws_config::SdkConfig;
use aws_sdk_sts::config::Credentials;

use crate::config::AwsConfig;
use crate::connection::{AccessKey, AssumeRoleTarget, ResolvedAuth, ResolvedConnection};
use crate::endpoints::{self, EndpointError, EndpointUse};
use crate::identity::{self, CachedIdentity, Identities, IdentityError, is_session_of};
use crate::probes::{Probe, attacker_probes};
use crate::report::{Check, CheckName, Status, ValidationReport};
use crate::scrub;
use crate::sts::{self, CallError, Clients, Signed};

/// What to tell a user whose validation got no answer from AWS; made specific to the
/// connection by [`no_answer_hint`].
const NO_ANSWER_HINT: &str =
    "Check the network path to AWS STS, then run VALIDATE CONNECTION again.";

/// [`NO_ANSWER_HINT`] for `conn`: it names ENDPOINT and REGION only when the connection
/// sets them.
fn no_answer_hint(conn: &ResolvedConnection) -> String {
    if conn.sts_endpoint.is_some() {
        return "Check the connection's STS ENDPOINT and the network path to it, then run VALIDATE CONNECTION again.".to_owned();
    }
    match (&conn.endpoint, &conn.region) {
        (Some(_), _) => "Check the connection's ENDPOINT and the network path to it, then run VALIDATE CONNECTION again.".to_owned(),
        (None, Some(region)) => format!(
            "Check the connection's REGION ({region}) and the network path to AWS STS in it, then run VALIDATE CONNECTION again."
        ),
        (None, None) => NO_ANSWER_HINT.to_owned(),
    }
}

/// What is said when Airlock has no AWS identity of its own.
const NO_IDENTITY_DETAIL: &str = "VALIDATE acts as Airlock's own AWS identity, which Airlock takes from the AWS default credential chain, as the AWS CLI does: the environment (AWS_ACCESS_KEY_ID), a profile (AWS_PROFILE, ~/.aws/config), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), or the container or instance role. None of them gave credentials.";
const NO_IDENTITY_HINT: &str = "Give Airlock an AWS identity: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE, or AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, or run on an instance or task with a role; then run VALIDATE CONNECTION again.";
const NO_ANSWER_DETAIL: &str =
    "A check that gets no answer from AWS proves nothing, so the connection was not validated.";
/// Where the trust policy Airlock asks for is explained. Airlock speaks Materialize's
/// dialect, derives external IDs the same way and asks for the same policy, so
/// Materialize's page applies as is (with the principal from the HINT).
const TRUST_POLICY_DOCS: &str = "https://materialize.com/s/aws-connection-role-trust-policy";

/// Validates connections. Build one per process (or per [`AwsConfig`]) and share it:
/// it remembers, per principal, the acting identity and its credentials, so that the
/// principal hop is paid once rather than per validation.
#[derive(Debug)]
pub struct Validator {
    base: SdkConfig,
    clients: Clients,
    identities: Identities,
}

impl Validator {
    pub fn new(config: &AwsConfig) -> Self {
        let base = config.effective_sdk_config();
        Validator {
            clients: Clients::new(base.clone(), config.allowed_endpoints.clone()),
            base,
            identities: Identities::default(),
        }
    }

    /// Where `conn`'s calls would go, or why credentials may not be sent there (the
    /// endpoint rule, [`crate::endpoints`]). [`Validator::validate`] applies the same
    /// check; a caller that wants the refusal as its own error (42501) asks first.
    pub fn check_endpoint(&self, conn: &ResolvedConnection) -> Result<EndpointUse, EndpointError> {
        self.clients.endpoint_for(conn)
    }

    /// Validates one connection. `principal` is the `aws_principal` setting; it matters
    /// only for assume-role connections. Never fails: every outcome, including "AWS could
    /// not be reached" and "the endpoint may not receive credentials" (nothing sent), is a
    /// [`ValidationReport`]. Every string in it is scrubbed of the connection's secret
    /// values.
    pub async fn validate(
        &self,
        conn: &ResolvedConnection,
        principal: Option<&str>,
    ) -> ValidationReport {
        let (client, endpoint) = match self.clients.for_connection(conn) {
            Ok(found) => found,
            Err(refused) => return refused.into_report(),
        };
        let mut report = match &conn.auth {
            ResolvedAuth::AccessKey(key) => validate_access_key(&client, key).await,
            ResolvedAuth::AssumeRole(target) => {
                self.validate_assume_role(&client, target, principal).await
            }
            ResolvedAuth::DefaultChain => validate_default_chain(&client, &self.base).await,
        };
        // Marked when a check reached the endpoint (the principal hop uses Airlock's own;
        // a check that does not apply reached nothing).
        if matches!(endpoint, EndpointUse::Listed(_))
            && report
                .checks
                .iter()
                .any(|c| c.name != CheckName::Principal && c.status != Status::NotApplicable)
        {
            report.checks.insert(0, endpoints::listed_endpoint_check());
        }
        if report.hint.as_deref() == Some(NO_ANSWER_HINT) {
            report.hint = Some(no_answer_hint(conn));
        }
        scrub::scrub_report(&mut report, &scrub::connection_secrets(conn));
        tracing::debug!(
            status = %report.status,
            error_code = report.error_code.as_deref(),
            "validated AWS connection"
        );
        report
    }

    /// The acting identity for `principal` (see [`Identities`]).
    async fn acting(&self, principal: Option<&str>) -> Result<Arc<CachedIdentity>, IdentityError> {
        self.identities.acting(&self.base, principal).await
    }

    async fn validate_assume_role(
        &self,
        client: &aws_sdk_sts::Client,
        target: &AssumeRoleTarget,
        principal: Option<&str>,
    ) -> ValidationReport {
        let acting = match self.acting(principal).await {
            Ok(acting) => acting,
            Err(err) => return identity_failure(err),
        };
        let credentials = match acting.credentials().await {
            Ok(credentials) => credentials,
            Err(err) => return identity_failure(err),
        };
        let identity = &acting.identity;
        let principal_check = Check {
            name: CheckName::Principal,
            status: Status::Ok,
            detail: if identity.chained {
                format!(
                    "acting as {} (assumed from {})",
                    identity.principal, identity.own_arn
                )
            } else {
                format!("acting as {}", identity.own_arn)
            },
        };

        let signed = Signed {
            client,
            credentials,
        };
        // Every probe is independent, so all run together: a validation costs about one
        // `AssumeRole` round trip, plus the `GetCallerIdentity` that follows probe 1.
        let probes = attacker_probes(&target.external_id);
        let chained = identity.is_role_session();
        let (with, refusals) = tokio::join!(
            assume_and_identify(&signed, target, sts::effective_duration(target, chained)),
            join_all(probes.iter().map(|probe| run_probe(&signed, target, probe))),
        );

        let caller_arn = with.as_ref().ok().map(|(arn, _)| arn.clone());
        let duration = duration_check(target.session_duration, chained, &with);
        let duration_failed = duration
            .as_ref()
            .filter(|c| c.status == Status::Failed)
            .map(|c| c.detail.clone());
        let mut checks = vec![principal_check, with_check(&with)];
        checks.extend(duration);
        checks.extend(
            probes
                .iter()
                .zip(&refusals)
                .map(|(probe, result)| refusal_check(probe, result)),
        );
        let report = ValidationReport::from_checks(checks, caller_arn);
        let policy = example_trust_policy(&identity.principal, &target.external_id);
        let policy_hint = format!(
            "Replace the trust policy of role {} with: {policy} (see {TRUST_POLICY_DOCS}).",
            target.role_arn
        );

        // The most serious finding speaks for the report: an insecure policy first, since
        // it is exploitable today (the widest opening first); then a policy that locks
        // Airlock out; then no answer.
        let accepted: Vec<&Probe> = probes
            .iter()
            .zip(&refusals)
            .filter(|(_, result)| result.is_ok())
            .map(|(probe, _)| probe)
            .collect();
        let got_in = |name: CheckName| accepted.iter().any(|p| p.name == name);
        if got_in(CheckName::AssumeRoleWithoutExternalId) {
            return report.with_error(
                "ExternalIdNotRequired",
                "role trust policy does not require an external ID",
                Some(format!(
                    "The trust policy for the connection's role ({}) is insecure and allows any caller of {} to assume the role.",
                    target.role_arn, identity.principal
                )),
                Some(policy_hint),
            );
        }
        if got_in(CheckName::AssumeRoleWithRandomExternalId) {
            return report.with_error(
                "ExternalIdNotChecked",
                "role trust policy accepts any external ID",
                Some(format!(
                    "The trust policy for the connection's role ({}) accepts an external ID that is not the connection's (for example through a StringLike \"*\" condition), so any caller of {} can assume the role.",
                    target.role_arn, identity.principal
                )),
                Some(policy_hint),
            );
        }
        if !accepted.is_empty() {
            let consequences: Vec<&str> = accepted.iter().map(|p| p.consequence.as_str()).collect();
            return report.with_error(
                "ExternalIdOfAnotherConnection",
                "role trust policy accepts another connection's external ID",
                Some(format!(
                    "The trust policy for the connection's role ({}) accepts external IDs that Airlock sends for other connections: {}.",
                    target.role_arn,
                    consequences.join("; ")
                )),
                Some(policy_hint),
            );
        }
        if let Some(why) = duration_failed {
            let hint = if chained {
                "Set ASSUME ROLE SESSION DURATION to 1 hour or less, or give Airlock an identity that is not a role session (an IAM user as aws_principal).".to_owned()
            } else {
                format!(
                    "Set ASSUME ROLE SESSION DURATION within the role's maximum session duration, or raise the maximum of role {} (IAM: MaxSessionDuration).",
                    target.role_arn
                )
            };
            return report.with_error(
                "SessionDurationNotAllowed",
                "the connection's ASSUME ROLE SESSION DURATION is longer than AWS grants",
                Some(format!("session_duration: {why}.")),
                Some(hint),
            );
        }
        match &with {
            Err(ProbeError::Call(CallError::Refused { code, message })) => {
                return report.with_error(
                    code.clone(),
                    format!(
                        "cannot assume the connection's role with its external ID: {code}: {message}"
                    ),
                    Some(format!(
                        "Airlock acted as {} and asked AWS STS to assume {} with external ID {}.",
                        identity.principal, target.role_arn, target.external_id
                    )),
                    Some(format!(
                        "Check that role {} exists, that {} may call sts:AssumeRole on it, and that its trust policy is: {policy}",
                        target.role_arn, identity.principal
                    )),
                );
            }
            Err(ProbeError::UnexpectedCaller(arn)) => {
                return report.with_error(
                    "UnexpectedCaller",
                    "the connection's role was assumed as an unexpected identity",
                    Some(format!(
                        "GetCallerIdentity with the assumed credentials returned {arn}, which is not a session of {}.",
                        target.role_arn
                    )),
                    Some(
                        "Check the connection's ENDPOINT: it must be AWS STS or an emulator of it."
                            .to_owned(),
                    ),
                );
            }
            Ok(_) | Err(ProbeError::Call(CallError::NoAnswer { .. })) => {}
        }
        if report.status == Status::Ok {
            return report;
        }
        // What is left is a probe without a decision: no answer at all (after the SDK's
        // retries of throttling and 5xx answers), or a refusal other than AccessDenied
        // (e.g. RegionDisabledException), which proves nothing about the trust policy
        // either.
        let no_answer = match &with {
            Err(ProbeError::Call(err)) => Some(err),
            _ => None,
        }
        .into_iter()
        .chain(refusals.iter().filter_map(|r| r.as_ref().err()))
        .find(|err| matches!(err, CallError::NoAnswer { .. }));
        match no_answer {
            Some(err) => report.with_error(
                err.code().to_owned(),
                format!("connection validation is inconclusive: {err}"),
                Some(NO_ANSWER_DETAIL.to_owned()),
                Some(NO_ANSWER_HINT.to_owned()),
            ),
            None => {
                let first = report
                    .checks
                    .iter()
                    .find(|c| c.status != Status::Ok)
                    .map(|c| format!("{}: {}", c.name, c.detail))
                    .unwrap_or_default();
                report.with_error(
                    "UnexpectedRefusal",
                    format!("connection validation is inconclusive: {first}"),
                    Some(
                        "Only AccessDenied proves that the trust policy refused a probe."
                            .to_owned(),
                    ),
                    Some(NO_ANSWER_HINT.to_owned()),
                )
            }
        }
    }
}
/// Why probe 1 did not pass.
#[derive(Debug)]
enum ProbeError {
    Call(CallError),
    /// The assumed session is not a session of the connection's role.
    UnexpectedCaller(String),
}

/// Probe 1: assume with the external ID (for the duration a host would ask for), then
/// ask who those credentials are. The ARN, and when the session expires.
async fn assume_and_identify(
    signed: &Signed<'_>,
    target: &AssumeRoleTarget,
    duration_seconds: Option<u32>,
) -> Result<(String, Option<SystemTime>), ProbeError> {
    let credentials = sts::assume_role_with_external_id(signed, target, duration_seconds)
        .await
        .map_err(ProbeError::Call)?;
    let expiry = credentials.expiry();
    let as_role = Signed {
        client: signed.client,
        credentials,
    };
    let arn = sts::caller_identity(&as_role)
        .await
        .map_err(ProbeError::Call)?;
    // A role ARN that passed planning always parses; if it does not, there is nothing
    // to compare against and the ARN is reported as is.
    if let Ok(role) = IamArn::parse_role(&target.role_arn)
        && !is_session_of(&arn, &role)
    {
        return Err(ProbeError::UnexpectedCaller(arn));
    }
    Ok((arn, expiry))
}

/// The `session_duration` check: whether AWS grants the connection's
/// `ASSUME ROLE SESSION DURATION`. A chained principal hop is capped at one hour by AWS,
/// whatever the role allows; otherwise the role's `MaxSessionDuration` decides, which
/// AWS applies to the `AssumeRole` of probe 1 (it refuses a longer `DurationSeconds`
/// with a `ValidationError`). `None` when the connection sets no duration.
fn duration_check(
    asked: Option<u32>,
    chained: bool,
    with: &Result<(String, Option<SystemTime>), ProbeError>,
) -> Option<Check> {
    let asked = asked?;
    let text = session_duration_text(asked);
    let (status, detail) = if chained && asked > CHAINED_SESSION_LIMIT_SECONDS {
        (
            Status::Failed,
            format!(
                "{text} asked, but Airlock's principal is a role session, and AWS caps role chaining at 1 hour"
            ),
        )
    } else {
        match with {
            Ok((_, expiry)) => {
                let granted = expiry
                    .and_then(|e| e.duration_since(SystemTime::now()).ok())
                    .map(|d| d.as_secs());
                match granted {
                    // A session is granted for the whole duration from AWS's clock;
                    // allow for clock skew and the time the probe took.
                    Some(left) if left + DURATION_SLACK_SECONDS >= u64::from(asked) => {
                        (Status::Ok, format!("AWS granted a session of {text}"))
                    }
                    Some(left) => (
                        Status::Failed,
                        format!(
                            "{text} asked, but the session AWS granted expires in {left} seconds"
                        ),
                    ),
                    None => (
                        Status::Inconclusive,
                        "AWS returned a session without a usable expiry".to_owned(),
                    ),
                }
            }
            Err(ProbeError::Call(CallError::Refused { code, message }))
                if refuses_duration(code, message) =>
            {
                (
                    Status::Failed,
                    format!(
                        "{text} asked, which the role's maximum session duration does not allow: {code}: {message}"
                    ),
                )
            }
            Err(_) => (
                Status::Inconclusive,
                "not checked: the role could not be assumed with its external ID".to_owned(),
            ),
        }
    };
    Some(Check {
        name: CheckName::SessionDuration,
        status,
        detail,
    })
}

/// How far a granted session may fall short of the asked duration and still count.
const DURATION_SLACK_SECONDS: u64 = 300;

/// Whether an `AssumeRole` refusal is about `DurationSeconds` (AWS: "The requested
/// DurationSeconds exceeds the MaxSessionDuration set for this role.", or "… exceeds the
/// 1 hour session limit for roles assumed by role chaining.").
fn refuses_duration(code: &str, message: &str) -> bool {
    code == "ValidationError" && message.contains("DurationSeconds")
}

fn with_check(result: &Result<(String, Option<SystemTime>), ProbeError>) -> Check {
    let (status, detail) = match result {
        Ok((arn, _)) => (Status::Ok, format!("assumed the role as {arn}")),
        Err(ProbeError::UnexpectedCaller(arn)) => (
            Status::Failed,
            format!("the assumed credentials belong to {arn}, not to the role"),
        ),
        Err(ProbeError::Call(err @ CallError::Refused { .. })) => {
            (Status::Failed, format!("refused: {err}"))
        }
        Err(ProbeError::Call(err @ CallError::NoAnswer { .. })) => {
            (Status::Inconclusive, format!("no answer: {err}"))
        }
    };
    Check {
        name: CheckName::AssumeRoleWithExternalId,
        status,
        detail,
    }
}

/// One negative probe: `AssumeRole` with what an attacker could make Airlock send.
async fn run_probe(
    signed: &Signed<'_>,
    target: &AssumeRoleTarget,
    probe: &Probe,
) -> Result<Credentials, CallError> {
    match &probe.external_id {
        None => sts::dangerously_assume_role_without_external_id(signed, target).await,
        Some(external_id) => {
            sts::assume_role_with_probe_external_id(signed, target, external_id).await
        }
    }
}

/// Polls every future to completion on the caller's task, as `tokio::join!` does for a
/// fixed number, and returns their outputs in order.
async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// A negative probe passes only on `AccessDenied`.
fn refusal_check(probe: &Probe, result: &Result<Credentials, CallError>) -> Check {
    let sent = &probe.sent;
    let (status, detail) = match result {
        Err(err) if err.is_access_denied() => (
            Status::Ok,
            format!("{sent} refused with AccessDenied, as required"),
        ),
        Ok(_) => (
            Status::Failed,
            format!("{sent} accepted: {}", probe.consequence),
        ),
        Err(err @ CallError::Refused { .. }) => (
            Status::Inconclusive,
            format!("{sent}: AWS answered {err} instead of AccessDenied"),
        ),
        Err(err @ CallError::NoAnswer { .. }) => {
            (Status::Inconclusive, format!("{sent}: no answer: {err}"))
        }
    };
    Check {
        name: probe.name,
        status,
        detail,
    }
}
/// The report when Airlock cannot act as the principal: the probes never ran.
pub(crate) fn identity_failure(err: IdentityError) -> ValidationReport {
    let status = if err.is_no_answer() {
        Status::Inconclusive
    } else {
        Status::Failed
    };
    let set_principal = "Set the principal with ALTER SYSTEM SET aws_principal = 'arn:aws:iam::<account>:role/<name>', then add the trust policy shown in mz_internal.mz_aws_connections to the connection's role.";
    let (detail, code, message, fact, hint): (String, String, String, Option<String>, String) =
        match &err {
            IdentityError::NotConfigured => (
                "aws_principal is not set".to_owned(),
                "PrincipalNotConfigured".to_owned(),
                "cannot validate an assume-role connection: no AWS principal is configured".to_owned(),
                Some("Airlock assumes a connection's role as the principal named by aws_principal, and the role's trust policy must name that principal.".to_owned()),
                set_principal.to_owned(),
            ),
            IdentityError::InvalidPrincipal { principal, reason } => (
                format!("aws_principal {principal:?} is not a role or user ARN"),
                "InvalidPrincipal".to_owned(),
                format!("invalid aws_principal {principal:?}: {reason}"),
                None,
                set_principal.to_owned(),
            ),
            IdentityError::OwnIdentity(call) if call.code() == "NoCredentials" => (
                "Airlock has no AWS identity of its own: no credentials in the default chain".to_owned(),
                "NoCredentials".to_owned(),
                "cannot validate: Airlock has no AWS identity of its own".to_owned(),
                Some(NO_IDENTITY_DETAIL.to_owned()),
                NO_IDENTITY_HINT.to_owned(),
            ),
            IdentityError::OwnIdentity(call) => (
                format!("Airlock's own identity: {call}"),
                call.code().to_owned(),
                format!("cannot determine Airlock's own AWS identity: {call}"),
                Some("Airlock's credentials come from the AWS default chain (environment, profile, web identity, instance metadata); AWS_ENDPOINT_URL and AWS_REGION apply.".to_owned()),
                "Give Airlock AWS credentials of the principal, or of an identity that may assume the principal role.".to_owned(),
            ),
            IdentityError::NotThePrincipalUser { principal, actual } => (
                format!("Airlock runs as {actual}, not as {principal}"),
                "PrincipalMismatch".to_owned(),
                "Airlock's AWS identity is not the configured principal".to_owned(),
                Some(format!("aws_principal is the user {principal}, but Airlock's credentials belong to {actual}.")),
                format!("Run Airlock with credentials of {principal}, or set aws_principal to {actual} or to a role it may assume."),
            ),
            IdentityError::AssumePrincipal { principal, actual, error } => (
                format!("assuming {principal} from {actual}: {error}"),
                error.code().to_owned(),
                format!("cannot assume the AWS principal role {principal}: {error}"),
                Some(format!("Airlock runs as {actual} and assumes the principal role (without an external ID) before it assumes a connection's role.")),
                format!("Let {actual} assume {principal}: the principal role's trust policy must allow it, and its identity policy must allow sts:AssumeRole."),
            ),
        };
    let mut report = ValidationReport::from_checks(
        vec![Check {
            name: CheckName::Principal,
            status,
            detail,
        }],
        None,
    );
    report.status = status;
    if status == Status::Inconclusive {
        return report.with_error(
            code,
            format!("connection validation is inconclusive: {message}"),
            Some(fact.map_or(NO_ANSWER_DETAIL.to_owned(), |f| {
                format!("{f} {NO_ANSWER_DETAIL}")
            })),
            Some(NO_ANSWER_HINT.to_owned()),
        );
    }
    report.with_error(code, message, fact, Some(hint))
}

/// What the `external_id` check of a `USE DEFAULT CREDENTIALS` connection says.
const NO_EXTERNAL_ID_DETAIL: &str = "not checked: the connection uses Airlock's own identity (USE DEFAULT CREDENTIALS), so there is no customer role and no external ID, and no confused-deputy protection to check";

/// A `USE DEFAULT CREDENTIALS` connection: what can be checked is that Airlock's own
/// identity (the default chain) works at the connection's STS endpoint —
/// `GetCallerIdentity` with it. The external-ID checks do not apply and are reported as
/// such, never as passed.
async fn validate_default_chain(
    client: &aws_sdk_sts::Client,
    base: &SdkConfig,
) -> ValidationReport {
    let not_applicable = Check {
        name: CheckName::ExternalId,
        status: Status::NotApplicable,
        detail: NO_EXTERNAL_ID_DETAIL.to_owned(),
    };
    let credentials = match identity::own_credentials(base).await {
        Ok((_, credentials)) => credentials,
        Err(err) => {
            let mut report = identity_failure(IdentityError::OwnIdentity(err));
            report.checks.push(not_applicable);
            return report;
        }
    };
    let result = sts::caller_identity(&Signed {
        client,
        credentials,
    })
    .await;
    let (status, detail) = match &result {
        Ok(arn) => (
            Status::Ok,
            format!(
                "authenticated as {arn}, Airlock's own identity from the default credential chain"
            ),
        ),
        Err(err @ CallError::Refused { .. }) => (Status::Failed, format!("refused: {err}")),
        Err(err @ CallError::NoAnswer { .. }) => {
            (Status::Inconclusive, format!("no answer: {err}"))
        }
    };
    let report = ValidationReport::from_checks(
        vec![
            Check {
                name: CheckName::GetCallerIdentity,
                status,
                detail,
            },
            not_applicable,
        ],
        result.as_ref().ok().cloned(),
    );
    match result {
        Ok(_) => report,
        Err(err @ CallError::NoAnswer { .. }) => report.with_error(
            err.code().to_owned(),
            format!("connection validation is inconclusive: {err}"),
            Some(NO_ANSWER_DETAIL.to_owned()),
            Some(NO_ANSWER_HINT.to_owned()),
        ),
        Err(err @ CallError::Refused { .. }) => report.with_error(
            err.code().to_owned(),
            format!(
                "AWS rejected Airlock's own credentials (AWS error {})",
                err.code()
            ),
            Some(format!(
                "The connection uses Airlock's own identity (USE DEFAULT CREDENTIALS), from the AWS default credential chain. AWS STS answered {}.",
                err.to_string().trim_end_matches('.')
            )),
            Some("Check the credentials Airlock runs with (environment, profile, web identity, instance or task role) and the connection's ENDPOINT, STS ENDPOINT and REGION.".to_owned()),
        ),
    }
}

/// An access-key connection: `GetCallerIdentity` with its keys, with a message per
/// option to fix.
async fn validate_access_key(client: &aws_sdk_sts::Client, key: &AccessKey) -> ValidationReport {
    let credentials = key.credentials();
    let result = sts::caller_identity(&Signed {
        client,
        credentials,
    })
    .await;
    let (status, detail) = match &result {
        Ok(arn) => (Status::Ok, format!("authenticated as {arn}")),
        Err(err @ CallError::Refused { .. }) => (Status::Failed, format!("refused: {err}")),
        Err(err @ CallError::NoAnswer { .. }) => {
            (Status::Inconclusive, format!("no answer: {err}"))
        }
    };
    let report = ValidationReport::from_checks(
        vec![Check {
            name: CheckName::GetCallerIdentity,
            status,
            detail,
        }],
        result.as_ref().ok().cloned(),
    );
    let err = match result {
        Ok(_) => return report,
        Err(err) => err,
    };
    // AWS's own messages usually end with a period already.
    let aws_said = Some(format!(
        "AWS STS answered {}.",
        err.to_string().trim_end_matches('.')
    ));
    match &err {
        CallError::NoAnswer { .. } => report.with_error(
            err.code().to_owned(),
            format!("connection validation is inconclusive: {err}"),
            Some(NO_ANSWER_DETAIL.to_owned()),
            Some(NO_ANSWER_HINT.to_owned()),
        ),
        CallError::Refused { code, .. } => {
            let (message, hint) = match code.as_str() {
                "InvalidClientTokenId" if key.session_token.is_some() => (
                    "AWS does not recognize the connection's ACCESS KEY ID or SESSION TOKEN",
                    "Set ACCESS KEY ID, SECRET ACCESS KEY and SESSION TOKEN to one current set of temporary credentials.",
                ),
                "InvalidClientTokenId" => (
                    "AWS does not recognize the connection's ACCESS KEY ID",
                    "Set ACCESS KEY ID to an active access key: a deleted or deactivated key, or a key of another partition, is not recognized.",
                ),
                "SignatureDoesNotMatch" => (
                    "the connection's SECRET ACCESS KEY does not match its ACCESS KEY ID",
                    "Store the secret access key that belongs to the access key ID in the secret that SECRET ACCESS KEY names (ALTER SECRET name AS '...').",
                ),
                "ExpiredToken" => (
                    "the connection's SESSION TOKEN has expired",
                    "Set fresh temporary credentials (ACCESS KEY ID, SECRET ACCESS KEY, SESSION TOKEN), or use ASSUME ROLE ARN, whose credentials Airlock renews.",
                ),
                _ => (
                    "AWS rejected the connection's credentials",
                    "Check ACCESS KEY ID, SECRET ACCESS KEY and SESSION TOKEN, and the connection's ENDPOINT and REGION.",
                ),
            };
            // AWS's code stays in the primary message, so that users and scripts can
            // match on it as they do with Materialize's.
            report.with_error(
                code.clone(),
                format!("{message} (AWS error {code})"),
                aws_said,
                Some(hint.to_owned()),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn granted(seconds: u64) -> Result<(String, Option<SystemTime>), ProbeError> {
        Ok((
            "arn".to_owned(),
            Some(SystemTime::now() + Duration::from_secs(seconds)),
        ))
    }

    fn refused(code: &str, message: &str) -> Result<(String, Option<SystemTime>), ProbeError> {
        Err(ProbeError::Call(CallError::Refused {
            code: code.to_owned(),
            message: message.to_owned(),
        }))
    }

    #[test]
    fn the_duration_check() {
        assert_eq!(duration_check(None, true, &granted(3600)), None);
        fn check(
            asked: u32,
            chained: bool,
            with: &Result<(String, Option<SystemTime>), ProbeError>,
        ) -> (Status, String) {
            let c = duration_check(Some(asked), chained, with).unwrap();
            (c.status, c.detail)
        }
        assert_eq!(
            check(7200, false, &granted(7200)),
            (Status::Ok, "AWS granted a session of 2 hours".to_owned())
        );
        // Role chaining: failed whatever AWS said to the capped probe.
        let (status, detail) = check(7200, true, &granted(3600));
        assert_eq!(status, Status::Failed);
        assert!(
            detail.contains("AWS caps role chaining at 1 hour"),
            "{detail}"
        );
        assert_eq!(check(3600, true, &granted(3600)).0, Status::Ok);
        // The role's MaxSessionDuration, as AWS words its refusal.
        let (status, detail) = check(
            43_200,
            false,
            &refused(
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ),
        );
        assert_eq!(status, Status::Failed);
        assert!(
            detail.starts_with(
                "12 hours asked, which the role's maximum session duration does not allow"
            ),
            "{detail}"
        );
        // A session shorter than asked is a failure; another refusal decides nothing here.
        assert_eq!(check(7200, false, &granted(3600)).0, Status::Failed);
        assert_eq!(
            check(7200, false, &refused("AccessDenied", "no")).0,
            Status::Inconclusive
        );
    }
}

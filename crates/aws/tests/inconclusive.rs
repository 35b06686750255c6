//! A probe without an answer proves nothing: an endpoint that refuses connections or never
//! answers makes the validation inconclusive — an error, never a pass — within the
//! configured timeout.

mod support;

use std::time::{Duration, Instant};

use airlock_aws::{AllowedEndpoints, ResolvedConnection, Status, ValidationReport, Validator};
use airlock_core::{SecretString, SqlError};
use support::{principal_arn, secure_condition, shared, trust_policy, unique};

/// Short, so the tests are quick; the bound on elapsed time leaves room for a slow CI.
const TIMEOUT: Duration = Duration::from_millis(1500);
const BOUND: Duration = Duration::from_secs(6);

async fn validate_timed(conn: &ResolvedConnection) -> (ValidationReport, Duration) {
    let config = support::aws_config(shared().base_config().await)
        .with_timeout(TIMEOUT)
        .with_max_attempts(2)
        // The dead endpoints are listed, as an operator would list an emulator: these
        // tests are about what happens once the endpoint rule lets a call through.
        .with_allowed_endpoints(
            &AllowedEndpoints::parse(conn.endpoint.as_deref().unwrap_or("")).unwrap(),
        );
    let validator = Validator::new(&config);
    let started = Instant::now();
    let report = validator.validate(conn, Some(&principal_arn())).await;
    (report, started.elapsed())
}

/// An assume-role connection whose role would pass, if only STS could be reached.
async fn good_role() -> ResolvedConnection {
    let external_id = unique("mz_test_u");
    let iam = shared().iam().await;
    let role = support::create_role(
        &iam,
        &unique("Unreached"),
        &trust_policy(&principal_arn(), Some(secure_condition(&external_id))),
    )
    .await;
    ResolvedConnection::assume_role(role, external_id)
}

fn assert_inconclusive(report: &ValidationReport, elapsed: Duration, code: &str) {
    assert_eq!(report.status, Status::Inconclusive, "{report:#?}");
    assert!(elapsed < BOUND, "took {elapsed:?}");
    assert_eq!(report.error_code.as_deref(), Some(code), "{report:#?}");
    assert!(
        report
            .message
            .as_deref()
            .unwrap()
            .starts_with("connection validation is inconclusive: "),
        "{report:#?}"
    );
    assert!(
        report.clone().into_result().is_err(),
        "inconclusive must never pass"
    );
    assert_eq!(report.clone().into_error().code().code(), "58000");
}

#[tokio::test]
async fn assume_role_against_a_closed_port_is_inconclusive() {
    let conn = good_role()
        .await
        .with_endpoint(support::closed_port_endpoint());
    let (report, elapsed) = validate_timed(&conn).await;
    assert_inconclusive(&report, elapsed, "ConnectionFailed");
    // checks[0] says the listed endpoint is not AWS; the principal hop used Airlock's own
    // endpoint and worked; the probes did not.
    assert_eq!(report.checks[0].name, airlock_aws::CheckName::Endpoint);
    assert_eq!(report.checks[1].status, Status::Ok);
    assert!(
        report.checks[2..]
            .iter()
            .all(|c| c.status == Status::Inconclusive),
        "{report:#?}"
    );
}

#[tokio::test]
async fn assume_role_against_a_silent_endpoint_is_inconclusive() {
    let silent = support::silent_endpoint();
    let conn = good_role().await.with_endpoint(&silent.endpoint);
    let (report, elapsed) = validate_timed(&conn).await;
    assert_inconclusive(&report, elapsed, "Timeout");
    assert!(
        elapsed >= TIMEOUT,
        "gave up before the timeout: {elapsed:?}"
    );
}

#[tokio::test]
async fn access_key_against_a_closed_port_is_inconclusive() {
    let conn = ResolvedConnection::access_key("AKIAAAAAAAAAAAAAAAAA", SecretString::new("s"), None)
        .with_endpoint(support::closed_port_endpoint());
    let (report, elapsed) = validate_timed(&conn).await;
    assert_inconclusive(&report, elapsed, "ConnectionFailed");
}

#[tokio::test]
async fn access_key_against_a_silent_endpoint_is_inconclusive() {
    let silent = support::silent_endpoint();
    let conn = ResolvedConnection::access_key("AKIAAAAAAAAAAAAAAAAA", SecretString::new("s"), None)
        .with_endpoint(&silent.endpoint);
    let (report, elapsed) = validate_timed(&conn).await;
    assert_inconclusive(&report, elapsed, "Timeout");
}

#[tokio::test]
async fn airlocks_own_endpoint_unreachable_is_inconclusive() {
    // Airlock's base configuration points at a closed port: the principal chain cannot
    // be established, so nothing is proven.
    let ms = shared();
    let mut base = ms.base_config().await.into_builder();
    base.set_endpoint_url(Some(support::closed_port_endpoint()));
    let config = support::aws_config(base.build())
        .with_timeout(TIMEOUT)
        .with_max_attempts(2);
    let conn = ResolvedConnection::assume_role(support::role_arn("Any"), "mz_x_u1")
        .with_endpoint(&ms.endpoint);
    let started = Instant::now();
    let report = Validator::new(&config)
        .validate(&conn, Some(&principal_arn()))
        .await;
    assert_inconclusive(&report, started.elapsed(), "ConnectionFailed");
    assert_eq!(report.checks.len(), 1, "{report:#?}");
}

/// Without any AWS identity of its own (nothing in the default chain), VALIDATE names
/// that as the cause and says how to give one — not the SDK's chain dump, and not the
/// connection's ENDPOINT or REGION, which it may not have.
#[tokio::test]
async fn no_identity_of_its_own_says_how_to_give_one() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let validator = Validator::new(&airlock_aws::AwsConfig::new(sdk));
    let conn =
        ResolvedConnection::assume_role("arn:aws:iam::001234567890:role/Reader", "mz_test_u1");
    let report = validator.validate(&conn, Some(&principal_arn())).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("NoCredentials"));
    assert_eq!(
        report.message.as_deref(),
        Some("cannot validate: Airlock has no AWS identity of its own")
    );
    let hint = report.hint.as_deref().unwrap();
    assert!(
        hint.starts_with("Give Airlock an AWS identity: set AWS_ACCESS_KEY_ID"),
        "{hint}"
    );
    assert!(
        !hint.contains("ENDPOINT") && !hint.contains("REGION"),
        "{hint}"
    );
    let detail = report.detail.as_deref().unwrap();
    assert!(detail.contains("default credential chain"), "{detail}");
    assert_eq!(
        report.checks[0].detail,
        "Airlock has no AWS identity of its own: no credentials in the default chain"
    );
    assert!(report.into_result().is_err(), "no identity must never pass");
}

//! The endpoint rule at the AWS layer: a connection whose ENDPOINT is neither AWS STS nor
//! listed gets nothing — no connection, no byte — from the validator or the credentials
//! provider; a fake STS that answers "ok" cannot make a validation pass unless an operator
//! listed it, and then the report says it was not AWS.

mod support;

use airlock_aws::{
    AllowedEndpoints, AwsConfig, CheckName, ResolvedConnection, Status, Validator, sdk_config,
};
use airlock_core::{Diagnostic, SecretString, SqlError};
use support::{fake_sts, principal_arn, recording_listener, shared};

const CANARY: &str = "AKIACANARYVICTIMVALUE";

fn victim_keys(endpoint: &str) -> ResolvedConnection {
    // ACCESS KEY ID = SECRET victim, SECRET ACCESS KEY = SECRET victim
    ResolvedConnection::access_key(CANARY, SecretString::new(CANARY), None).with_endpoint(endpoint)
}

fn assert_nothing_arrived(received: &[Vec<u8>]) {
    assert!(
        received.is_empty(),
        "{} connection(s) reached the listener",
        received.len()
    );
    assert!(
        !received
            .concat()
            .windows(CANARY.len())
            .any(|w| w == CANARY.as_bytes())
    );
}

#[tokio::test]
async fn validate_sends_nothing_to_an_unlisted_endpoint() {
    let listener = recording_listener();
    let validator = Validator::new(&support::aws_config(shared().base_config().await));
    let conn = victim_keys(&listener.endpoint);
    let refused = validator.check_endpoint(&conn).unwrap_err();
    assert_eq!(refused.code().code(), "42501");
    let report = validator.validate(&conn, Some(&principal_arn())).await;
    assert_eq!(report.status, Status::Failed);
    assert_eq!(report.error_code.as_deref(), Some("EndpointNotAllowed"));
    let text = Diagnostic::from(report.into_error()).render();
    assert!(
        text.starts_with("ERROR:  credentials may not be sent"),
        "{text}"
    );
    assert!(text.contains(&listener.endpoint), "{text}");
    assert!(text.contains("HINT:  An operator can allow it"), "{text}");
    assert_nothing_arrived(&listener.finish());
}

#[tokio::test]
async fn principal_credentials_do_not_go_to_an_unlisted_endpoint() {
    // An assume-role connection: the probes would be signed by Airlock's principal.
    let listener = fake_sts("arn:aws:sts::000000000000:assumed-role/Victim/airlock");
    let validator = Validator::new(&support::aws_config(shared().base_config().await));
    let conn = ResolvedConnection::assume_role(support::role_arn("Victim"), "mz_x_u1")
        .with_endpoint(&listener.endpoint);
    let report = validator.validate(&conn, Some(&principal_arn())).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("EndpointNotAllowed"));
    assert_nothing_arrived(&listener.finish());
}

#[tokio::test]
async fn credentials_provider_refuses_an_unlisted_endpoint() {
    let listener = recording_listener();
    let config = support::aws_config(shared().base_config().await);
    for conn in [
        victim_keys(&listener.endpoint),
        ResolvedConnection::assume_role(support::role_arn("Victim"), "mz_x_u1")
            .with_endpoint(&listener.endpoint),
    ] {
        let err = sdk_config(&config, &conn, Some(&principal_arn()))
            .await
            .unwrap_err();
        assert_eq!(err.code().code(), "42501");
        assert!(err.detail().unwrap().contains(&listener.endpoint));
    }
    assert_nothing_arrived(&listener.finish());
}

#[tokio::test]
async fn airlocks_own_endpoint_is_not_a_connections_unless_listed() {
    // Airlock's base configuration points at the emulator (AWS_ENDPOINT_URL); nothing is
    // listed. A connection without ENDPOINT would fall back to it: refused.
    let config = AwsConfig::new(shared().base_config().await);
    let conn = ResolvedConnection::access_key(CANARY, SecretString::new(CANARY), None);
    let err = Validator::new(&config).check_endpoint(&conn).unwrap_err();
    assert!(
        err.detail().unwrap().contains("Airlock's own endpoint"),
        "{err:?}"
    );
    let err = sdk_config(&config, &conn, None).await.unwrap_err();
    assert_eq!(err.code().code(), "42501");
}

#[tokio::test]
async fn a_fake_sts_passes_only_when_listed_and_is_marked() {
    let arn = "arn:aws:iam::000000000000:user/someone-else";
    let unlisted = fake_sts(arn);
    let validator = Validator::new(&support::aws_config(shared().base_config().await));
    let report = validator
        .validate(&victim_keys(&unlisted.endpoint), None)
        .await;
    assert_ne!(report.status, Status::Ok, "{report:#?}");
    assert_nothing_arrived(&unlisted.finish());

    // Listed by the operator: the fake answers, and the report says it was not AWS.
    let listed = fake_sts(arn);
    let config = support::aws_config(shared().base_config().await)
        .with_allowed_endpoints(&AllowedEndpoints::parse(&listed.endpoint).unwrap());
    let report = Validator::new(&config)
        .validate(&victim_keys(&listed.endpoint), None)
        .await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    assert_eq!(report.checks[0].name, CheckName::Endpoint);
    assert!(report.checks[0].detail.starts_with("not AWS STS"));
    assert_eq!(listed.finish().len(), 1);
}

#[tokio::test]
async fn secrets_echoed_by_a_listed_endpoint_are_scrubbed() {
    // A listed endpoint that echoes the access key ID (a secret's value) in its answer.
    let listener = fake_sts(&format!("arn:aws:iam::000000000000:user/{CANARY}"));
    let config = support::aws_config(shared().base_config().await)
        .with_allowed_endpoints(&AllowedEndpoints::parse(&listener.endpoint).unwrap());
    let report = Validator::new(&config)
        .validate(&victim_keys(&listener.endpoint), None)
        .await;
    let text = format!("{report:?}");
    assert!(!text.contains(CANARY), "{text}");
    assert!(text.contains("<REDACTED>"), "{text}");
    listener.finish();
}

//! `VALIDATE CONNECTION` for access-key connections: `GetCallerIdentity` with the keys,
//! against the ministack emulator, which checks SigV4 signatures.

mod support;

use std::time::Duration;

use airlock_aws::{ResolvedConnection, Status, ValidationReport, Validator};
use airlock_core::{Diagnostic, SecretString};
use support::{shared, unique};

async fn validate(conn: &ResolvedConnection) -> ValidationReport {
    let ms = shared();
    Validator::new(&support::aws_config(ms.base_config().await))
        .validate(conn, None)
        .await
}

/// A fresh user's key: `(user arn, key id, secret)`.
async fn user_key() -> (String, String, String) {
    let iam = shared().iam().await;
    support::create_user_with_key(&iam, &unique("conn-user")).await
}

#[tokio::test]
async fn valid_keys_pass() {
    let (arn, id, secret) = user_key().await;
    let conn = ResolvedConnection::access_key(id, SecretString::new(secret), None);
    let report = validate(&conn).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    assert_eq!(report.caller_arn.as_deref(), Some(arn.as_str()));
    assert_eq!(
        report.rows(),
        vec![
            // The emulator is a listed endpoint, not AWS STS, and the report says so.
            [
                "endpoint".to_owned(),
                "ok".to_owned(),
                "not AWS STS: these checks went to an endpoint listed in aws_allowed_endpoints, not to AWS".to_owned()
            ],
            [
                "get_caller_identity".to_owned(),
                "ok".to_owned(),
                format!("authenticated as {arn}")
            ]
        ]
    );
}

#[tokio::test]
async fn wrong_secret_access_key_is_named() {
    let (_, id, _) = user_key().await;
    let canary = "wrong-secret-canary-0123456789abcdefghij";
    let conn = ResolvedConnection::access_key(id, SecretString::new(canary), None);
    let report = validate(&conn).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("SignatureDoesNotMatch"));
    assert_eq!(
        report.message.as_deref(),
        Some(
            "the connection's SECRET ACCESS KEY does not match its ACCESS KEY ID (AWS error SignatureDoesNotMatch)"
        )
    );
    let rendered = Diagnostic::from(report.clone().into_error()).render();
    assert!(!rendered.contains(canary), "secret leaked: {rendered}");
    assert!(
        !format!("{report:?}").contains(canary),
        "secret leaked in Debug"
    );
    assert!(rendered.contains("\nget_caller_identity: failed (refused: SignatureDoesNotMatch: "));
}

#[tokio::test]
async fn unknown_access_key_id_is_named() {
    let conn = ResolvedConnection::access_key(
        "AKIAAAAAAAAAAAAAAAAA",
        SecretString::new("x".repeat(40)),
        None,
    );
    let report = validate(&conn).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("InvalidClientTokenId"));
    assert_eq!(
        report.message.as_deref(),
        Some(
            "AWS does not recognize the connection's ACCESS KEY ID (AWS error InvalidClientTokenId)"
        )
    );
}

#[tokio::test]
async fn expired_session_token_is_named() {
    let ms = shared();
    // A one-second session of the principal role (the emulator accepts any duration).
    let root = aws_sdk_sts::Client::new(&ms.base_config().await);
    let session = root
        .assume_role()
        .role_arn(support::principal_arn())
        .role_session_name("short")
        .duration_seconds(1)
        .send()
        .await
        .expect("assume")
        .credentials
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let conn = ResolvedConnection::access_key(
        session.access_key_id,
        SecretString::new(session.secret_access_key),
        Some(SecretString::new(session.session_token)),
    );
    let report = validate(&conn).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("ExpiredToken"));
    assert_eq!(
        report.message.as_deref(),
        Some("the connection's SESSION TOKEN has expired (AWS error ExpiredToken)")
    );
}

#[tokio::test]
async fn short_access_key_ids_as_emulators_use_them_work() {
    // The emulator's root key is `test`, as MinIO's is `minioadmin`: not AWS's shape, and
    // a valid key all the same.
    let conn = ResolvedConnection::access_key(support::ROOT_KEY, SecretString::new("test"), None)
        .with_endpoint(&shared().endpoint);
    let report = validate(&conn).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    assert_eq!(
        report.caller_arn.as_deref(),
        Some("arn:aws:iam::000000000000:root")
    );
}

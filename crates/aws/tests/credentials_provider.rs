//! The credentials provider for hosts: an `SdkConfig` whose credentials are the
//! connection's role, assumed with the external ID through the principal chain.

mod support;

use airlock_aws::{ResolvedConnection, sdk_config};
use airlock_core::{SecretString, SqlError};
use aws_sdk_sts::config::ProvideCredentials;
use support::{principal_arn, secure_condition, shared, trust_policy, unique};

#[tokio::test]
async fn assume_role_connection_acts_as_the_role() {
    let ms = shared();
    let external_id = unique("mz_test_u");
    let name = unique("HostRole");
    let iam = ms.iam().await;
    let role = support::create_role(
        &iam,
        &name,
        &trust_policy(&principal_arn(), Some(secure_condition(&external_id))),
    )
    .await;
    let config = support::aws_config(ms.base_config().await);
    let conn = ResolvedConnection::assume_role(&role, &external_id)
        .with_endpoint(&ms.endpoint)
        .with_region("eu-west-1");
    let sdk = sdk_config(&config, &conn, Some(&principal_arn()))
        .await
        .expect("sdk config");
    assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
    assert_eq!(sdk.endpoint_url(), Some(ms.endpoint.as_str()));

    // Any client built from it acts as the role; the second call reuses the cached
    // session (same access key).
    let sts = aws_sdk_sts::Client::new(&sdk);
    let who = sts
        .get_caller_identity()
        .send()
        .await
        .expect("caller identity");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::000000000000:assumed-role/{name}/airlock").as_str())
    );
    let again = sts
        .get_caller_identity()
        .send()
        .await
        .expect("caller identity");
    assert_eq!(again.arn(), who.arn());

    // The provider itself yields session credentials that expire, so the SDK's
    // cache renews them.
    let creds = sdk
        .credentials_provider()
        .unwrap()
        .provide_credentials()
        .await
        .expect("credentials");
    assert!(creds.session_token().is_some());
    assert!(creds.expiry().is_some());
}

#[tokio::test]
async fn wrong_external_id_gives_no_credentials() {
    let ms = shared();
    let iam = ms.iam().await;
    let role = support::create_role(
        &iam,
        &unique("HostRole"),
        &trust_policy(&principal_arn(), Some(secure_condition("the-right-one"))),
    )
    .await;
    let config = support::aws_config(ms.base_config().await);
    let conn = ResolvedConnection::assume_role(&role, "not-the-right-one");
    let sdk = sdk_config(&config, &conn, Some(&principal_arn()))
        .await
        .expect("sdk config");
    let err = aws_sdk_sts::Client::new(&sdk)
        .get_caller_identity()
        .send()
        .await
        .expect_err("the role must not be assumable with another external ID");
    let text = aws_sdk_sts::error::DisplayErrorContext(&err).to_string();
    assert!(text.contains("AccessDenied"), "{text}");
}

#[tokio::test]
async fn no_principal_is_an_error_with_a_hint() {
    let ms = shared();
    let config = support::aws_config(ms.base_config().await);
    let conn = ResolvedConnection::assume_role(support::role_arn("Any"), "mz_x_u1");
    let err = sdk_config(&config, &conn, None).await.unwrap_err();
    assert_eq!(err.code().code(), "58000");
    assert!(
        err.hint()
            .unwrap()
            .contains("ALTER SYSTEM SET aws_principal")
    );
}

#[tokio::test]
async fn access_key_connection_gives_static_credentials() {
    let ms = shared();
    let iam = ms.iam().await;
    let (arn, id, secret) = support::create_user_with_key(&iam, &unique("host-user")).await;
    let config = support::aws_config(ms.base_config().await);
    let conn = ResolvedConnection::access_key(id, SecretString::new(secret), None);
    let sdk = sdk_config(&config, &conn, None).await.expect("sdk config");
    let who = aws_sdk_sts::Client::new(&sdk)
        .get_caller_identity()
        .send()
        .await
        .expect("caller identity");
    assert_eq!(who.arn(), Some(arn.as_str()));
}

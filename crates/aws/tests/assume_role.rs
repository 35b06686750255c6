//! `VALIDATE CONNECTION` for assume-role connections, through the real SDK against the
//! ministack emulator (which evaluates trust policies and `sts:ExternalId` conditions).

mod support;

use airlock_aws::{CheckName, ResolvedConnection, Status, ValidationReport, Validator};
use airlock_core::aws::example_trust_policy;
use airlock_core::{Diagnostic, SqlError, SqlState};
use aws_sdk_sts::config::Credentials;
use support::{principal_arn, secure_condition, shared, trust_policy, unique};

async fn validator() -> Validator {
    Validator::new(&support::aws_config(shared().base_config().await))
}

async fn validate(conn: &ResolvedConnection) -> ValidationReport {
    validator()
        .await
        .validate(conn, Some(&principal_arn()))
        .await
}

fn status_of(report: &ValidationReport, check: CheckName) -> Status {
    report
        .checks
        .iter()
        .find(|c| c.name == check)
        .unwrap_or_else(|| panic!("no {check} check in {report:#?}"))
        .status
}

fn render(report: ValidationReport) -> String {
    Diagnostic::from(report.into_error()).render()
}

/// A role whose trust policy lets the principal in under `condition`.
async fn role_with(condition: Option<serde_json::Value>) -> String {
    let iam = shared().iam().await;
    support::create_role(
        &iam,
        &unique("Role"),
        &trust_policy(&principal_arn(), condition),
    )
    .await
}

#[tokio::test]
async fn secure_trust_policy_passes() {
    let external_id = unique("mz_test_u");
    let role = role_with(Some(secure_condition(&external_id))).await;
    let conn = ResolvedConnection::assume_role(&role, &external_id);
    let report = validate(&conn).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    let names: Vec<_> = report.rows().into_iter().map(|[c, s, _]| (c, s)).collect();
    assert_eq!(
        names,
        [
            // The emulator is a listed endpoint, not AWS STS.
            ("endpoint", "ok"),
            ("principal", "ok"),
            ("assume_role_with_external_id", "ok"),
            ("assume_role_without_external_id", "ok"),
            ("assume_role_with_longer_connection_id", "ok"),
            ("assume_role_with_same_length_connection_id", "ok"),
            ("assume_role_with_unrelated_connection_id", "ok"),
            ("assume_role_with_other_environment_prefix", "ok"),
            ("assume_role_with_random_external_id", "ok"),
        ]
        .map(|(c, s)| (c.to_owned(), s.to_owned()))
    );
    let role_name = role.rsplit('/').next().unwrap();
    let caller = report.caller_arn.as_deref().unwrap();
    assert_eq!(
        caller,
        format!("arn:aws:sts::000000000000:assumed-role/{role_name}/airlock")
    );
    assert!(report.into_result().is_ok());
}

#[tokio::test]
async fn session_name_is_used() {
    let external_id = unique("mz_test_u");
    let role = role_with(Some(secure_condition(&external_id))).await;
    let conn =
        ResolvedConnection::assume_role(&role, &external_id).with_session_name("custom-session");
    let report = validate(&conn).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    assert!(report.caller_arn.unwrap().ends_with("/custom-session"));
}

#[tokio::test]
async fn policy_without_external_id_condition_fails() {
    let role = role_with(None).await;
    let external_id = unique("mz_test_u");
    let report = validate(&ResolvedConnection::assume_role(&role, &external_id)).await;
    assert_eq!(report.status, Status::Failed);
    assert_eq!(
        status_of(&report, CheckName::AssumeRoleWithoutExternalId),
        Status::Failed
    );
    assert_eq!(report.error_code.as_deref(), Some("ExternalIdNotRequired"));
    let err = report.clone().into_error();
    assert_eq!(err.code(), SqlState::SystemError);
    assert_eq!(
        err.to_string(),
        "role trust policy does not require an external ID"
    );
    let detail = err.detail().unwrap();
    assert!(
        detail.starts_with(&format!(
            "The trust policy for the connection's role ({role}) is insecure and allows any caller of {} to assume the role.",
            principal_arn()
        )),
        "{detail}"
    );
    // DETAIL lists every check.
    for check in [
        "principal",
        "assume_role_with_external_id",
        "assume_role_without_external_id",
        "assume_role_with_longer_connection_id",
        "assume_role_with_same_length_connection_id",
        "assume_role_with_unrelated_connection_id",
        "assume_role_with_other_environment_prefix",
        "assume_role_with_random_external_id",
    ] {
        assert!(detail.contains(&format!("\n{check}: ")), "{detail}");
    }
    let hint = err.hint().unwrap();
    assert!(
        hint.contains(&example_trust_policy(&principal_arn(), &external_id)),
        "{hint}"
    );
}

#[tokio::test]
async fn wildcard_external_id_fails() {
    let role = role_with(Some(
        serde_json::json!({ "StringLike": { "sts:ExternalId": "*" } }),
    ))
    .await;
    let external_id = unique("mz_test_u");
    let report = validate(&ResolvedConnection::assume_role(&role, &external_id)).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(
        status_of(&report, CheckName::AssumeRoleWithExternalId),
        Status::Ok
    );
    // StringLike "*" needs the key to be present, so no external ID is still refused.
    assert_eq!(
        status_of(&report, CheckName::AssumeRoleWithoutExternalId),
        Status::Ok
    );
    assert_eq!(
        status_of(&report, CheckName::AssumeRoleWithRandomExternalId),
        Status::Failed
    );
    assert_eq!(report.error_code.as_deref(), Some("ExternalIdNotChecked"));
    let rendered = render(report);
    assert!(
        rendered.starts_with("ERROR:  role trust policy accepts any external ID\nDETAIL:  "),
        "{rendered}"
    );
    assert!(rendered.contains(&example_trust_policy(&principal_arn(), &external_id)));
}

#[tokio::test]
async fn missing_role_fails_with_aws_reason() {
    let role = support::role_arn(&unique("Missing"));
    let report = validate(&ResolvedConnection::assume_role(&role, "mz_test_missing")).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(
        status_of(&report, CheckName::AssumeRoleWithExternalId),
        Status::Failed
    );
    assert_eq!(report.error_code.as_deref(), Some("AccessDenied"));
    let message = report.message.clone().unwrap();
    assert!(
        message.starts_with(
            "cannot assume the connection's role with its external ID: AccessDenied: "
        ) && message.contains("is not authorized to perform: sts:AssumeRole")
            && message.contains(&role),
        "{message}"
    );
    assert!(report.hint.as_deref().unwrap().contains("exists"));
}

#[tokio::test]
async fn role_not_trusting_the_principal_fails_with_aws_reason() {
    let external_id = unique("mz_test_u");
    let iam = shared().iam().await;
    let someone_else = support::role_arn("SomeoneElse");
    let role = support::create_role(
        &iam,
        &unique("Stranger"),
        &trust_policy(&someone_else, Some(secure_condition(&external_id))),
    )
    .await;
    let report = validate(&ResolvedConnection::assume_role(&role, &external_id)).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("AccessDenied"));
    let message = report.message.clone().unwrap();
    assert!(
        message.contains(&format!(
            "User: arn:aws:sts::000000000000:assumed-role/{}/airlock is not authorized to perform: sts:AssumeRole on resource: {role}",
            support::PRINCIPAL_ROLE
        )),
        "{message}"
    );
}

#[tokio::test]
async fn no_principal_fails_with_hint_to_set_it() {
    let conn = ResolvedConnection::assume_role(support::role_arn("Whatever"), "mz_x_u1");
    let report = validator().await.validate(&conn, None).await;
    assert_eq!(report.status, Status::Failed);
    assert_eq!(report.error_code.as_deref(), Some("PrincipalNotConfigured"));
    let err = report.into_error();
    assert!(
        err.hint()
            .unwrap()
            .contains("ALTER SYSTEM SET aws_principal = '"),
        "{:?}",
        err.hint()
    );
}

#[tokio::test]
async fn role_chaining_through_the_principal_role() {
    // Airlock runs as the account root; the principal is a role, so Airlock assumes it
    // first, and the customer's role trusts only the principal role.
    let external_id = unique("mz_test_u");
    let role = role_with(Some(secure_condition(&external_id))).await;
    let report = validate(&ResolvedConnection::assume_role(&role, &external_id)).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    // checks[0] is the `endpoint` row: the emulator is not AWS STS.
    let principal = &report.checks[1];
    assert_eq!(
        principal.detail,
        format!(
            "acting as {} (assumed from arn:aws:iam::000000000000:root)",
            principal_arn()
        )
    );
}

#[tokio::test]
async fn identity_already_a_session_of_the_principal_is_not_chained() {
    let ms = shared();
    // Airlock's own credentials are already a session of the principal role.
    let root = aws_sdk_sts::Client::new(&ms.base_config().await);
    let session = root
        .assume_role()
        .role_arn(principal_arn())
        .role_session_name("airlock-host")
        .send()
        .await
        .expect("assume principal")
        .credentials
        .unwrap();
    let creds = Credentials::new(
        session.access_key_id,
        session.secret_access_key,
        Some(session.session_token),
        None,
        "test",
    );
    let validator = Validator::new(&support::aws_config(ms.config_with(creds).await));
    let external_id = unique("mz_test_u");
    let role = role_with(Some(secure_condition(&external_id))).await;
    let report = validator
        .validate(
            &ResolvedConnection::assume_role(&role, &external_id),
            Some(&principal_arn()),
        )
        .await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");
    assert_eq!(
        report.checks[1].detail,
        format!(
            "acting as arn:aws:sts::000000000000:assumed-role/{}/airlock-host",
            support::PRINCIPAL_ROLE
        )
    );
}

#[tokio::test]
async fn user_principal_must_be_airlocks_identity() {
    let ms = shared();
    let iam = ms.iam().await;
    let (user_arn, key_id, secret) =
        support::create_user_with_key(&iam, &unique("airlock-user")).await;
    iam.put_user_policy()
        .user_name(user_arn.rsplit('/').next().unwrap())
        .policy_name("assume")
        .policy_document(support::assume_any_role_policy())
        .send()
        .await
        .unwrap();
    let external_id = unique("mz_test_u");
    let role = support::create_role(
        &iam,
        &unique("UserTrusted"),
        &trust_policy(&user_arn, Some(secure_condition(&external_id))),
    )
    .await;
    let conn = ResolvedConnection::assume_role(&role, &external_id);

    // Running as that user: passes, no chaining.
    let as_user = Validator::new(&support::aws_config(
        ms.config_with(Credentials::new(key_id, secret, None, None, "test"))
            .await,
    ));
    let report = as_user.validate(&conn, Some(&user_arn)).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");

    // Running as root with a user principal: a clear error, no AWS call to the role.
    let report = validator().await.validate(&conn, Some(&user_arn)).await;
    assert_eq!(report.status, Status::Failed);
    assert_eq!(report.error_code.as_deref(), Some("PrincipalMismatch"));
    assert_eq!(
        report.message.as_deref(),
        Some("Airlock's AWS identity is not the configured principal")
    );
    assert!(
        report
            .detail
            .as_deref()
            .unwrap()
            .contains("arn:aws:iam::000000000000:root")
    );
}

#[tokio::test]
async fn concurrent_validations_share_one_principal_session() {
    let validator = std::sync::Arc::new(validator().await);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let external_id = unique("mz_test_u");
        let conn = ResolvedConnection::assume_role(
            role_with(Some(secure_condition(&external_id))).await,
            external_id,
        );
        let validator = validator.clone();
        tasks.spawn(async move { validator.validate(&conn, Some(&principal_arn())).await });
    }
    while let Some(report) = tasks.join_next().await {
        let report = report.unwrap();
        assert_eq!(report.status, Status::Ok, "{report:#?}");
    }
}

/// The attack of the issue: another connection of the same environment (the same
/// prefix) points its own connection at the victim's role, and Airlock assumes it with
/// that connection's external ID. A trust policy `mz_<prefix>_u3*` passed the old probes.
#[tokio::test]
async fn policy_open_to_future_connections_fails_and_says_who_gets_in() {
    let prefix = "eb5cb59b-e2fe-41f3-87ca-d2176a495345";
    let external_id = format!("mz_{prefix}_u3");
    let role = role_with(Some(serde_json::json!({
        "StringLike": { "sts:ExternalId": format!("mz_{prefix}_u3*") }
    })))
    .await;
    let conn = ResolvedConnection::assume_role(&role, &external_id);
    let report = validate(&conn).await;
    assert_eq!(report.status, Status::Failed, "{report:#?}");
    assert_eq!(
        report.error_code.as_deref(),
        Some("ExternalIdOfAnotherConnection")
    );
    assert_eq!(
        status_of(&report, CheckName::AssumeRoleWithLongerConnectionId),
        Status::Failed
    );
    for refused in [
        CheckName::AssumeRoleWithoutExternalId,
        CheckName::AssumeRoleWithSameLengthConnectionId,
        CheckName::AssumeRoleWithUnrelatedConnectionId,
        CheckName::AssumeRoleWithOtherEnvironmentPrefix,
        CheckName::AssumeRoleWithRandomExternalId,
    ] {
        assert_eq!(status_of(&report, refused), Status::Ok, "{refused}");
    }
    let err = report.into_error();
    assert_eq!(
        err.to_string(),
        "role trust policy accepts another connection's external ID"
    );
    let detail = err.detail().unwrap();
    assert!(
        detail.starts_with(&format!(
            "The trust policy for the connection's role ({role}) accepts external IDs that Airlock sends for other connections: any future connection of this environment (for example u31) could assume the role.\n"
        )),
        "{detail}"
    );
    assert!(
        detail.contains(&format!(
            "\nassume_role_with_longer_connection_id: failed (external ID mz_{prefix}_u31 accepted: any future connection of this environment (for example u31) could assume the role)"
        )),
        "{detail}"
    );
    let hint = err.hint().unwrap();
    assert!(
        hint.contains(&example_trust_policy(&principal_arn(), &external_id)),
        "{hint}"
    );
}

/// The other shape of the issue: this connection's id in every other environment.
#[tokio::test]
async fn policy_open_to_other_environments_fails() {
    let external_id = "mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u3";
    let role = role_with(Some(serde_json::json!({
        "StringLike": { "sts:ExternalId": "mz_*_u3" }
    })))
    .await;
    let report = validate(&ResolvedConnection::assume_role(&role, external_id)).await;
    assert_eq!(
        report.error_code.as_deref(),
        Some("ExternalIdOfAnotherConnection"),
        "{report:#?}"
    );
    assert_eq!(
        status_of(&report, CheckName::AssumeRoleWithOtherEnvironmentPrefix),
        Status::Failed
    );
    assert!(
        report.detail.as_deref().unwrap().ends_with(
            "other connections: connection u3 of every other environment that uses the same principal could assume the role."
        ),
        "{report:#?}"
    );
}

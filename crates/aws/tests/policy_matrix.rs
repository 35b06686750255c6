//! The trust-policy matrix (`tests/golden/policy_matrix.txt`): every policy in it becomes
//! a role in the ministack emulator, connection u3 is validated against it through the
//! real AWS SDK, and the verdict must be the one written beside the policy.
//!
//! `AIRLOCK_REWRITE=1 cargo test -p airlock-aws --test policy_matrix` rewrites the
//! `verdict:`, `detail:` and `checks:` lines; review the diff line by line.

mod support;

use airlock_aws::{CheckName, ResolvedConnection, Status, ValidationReport, Validator};
use support::{principal_arn, shared};

const PREFIX: &str = "eb5cb59b-e2fe-41f3-87ca-d2176a495345";
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/policy_matrix.txt"
);

fn short(name: CheckName) -> &'static str {
    match name {
        CheckName::Endpoint => "endpoint",
        CheckName::Principal => "principal",
        CheckName::AssumeRoleWithExternalId => "with",
        CheckName::SessionDuration => "duration",
        CheckName::AssumeRoleWithoutExternalId => "without",
        CheckName::AssumeRoleWithLongerConnectionId => "longer",
        CheckName::AssumeRoleWithSameLengthConnectionId => "same_length",
        CheckName::AssumeRoleWithUnrelatedConnectionId => "unrelated",
        CheckName::AssumeRoleWithOtherEnvironmentPrefix => "other_environment",
        CheckName::AssumeRoleWithRandomExternalId => "random",
        CheckName::GetCallerIdentity => "get_caller_identity",
        CheckName::ExternalId => "external_id",
    }
}

/// The output lines for one validation.
fn verdict(report: &ValidationReport) -> Vec<String> {
    let mut lines = Vec::new();
    match report.status {
        Status::Ok => lines.push("verdict: ok".to_owned()),
        status => {
            lines.push(format!(
                "verdict: {status} {}: {}",
                report.error_code.as_deref().unwrap_or("-"),
                report.message.as_deref().unwrap_or("-")
            ));
            if let Some(detail) = &report.detail {
                lines.push(format!("detail: {detail}"));
            }
        }
    }
    let checks: Vec<String> = report
        .checks
        .iter()
        .map(|c| format!("{}={}", short(c.name), c.status))
        .collect();
    lines.push(format!("checks: {}", checks.join(" ")));
    lines
}

fn substitute(policy: &str, external_id: &str) -> String {
    policy
        .replace("${PRINCIPAL}", &principal_arn())
        .replace("${EXTERNAL_ID}", external_id)
        .replace("${PREFIX}", PREFIX)
}

fn is_output(line: &str) -> bool {
    ["verdict:", "detail:", "checks:"]
        .iter()
        .any(|p| line.starts_with(p))
}

#[tokio::test]
async fn every_policy_gets_the_verdict_written_beside_it() {
    let golden = std::fs::read_to_string(GOLDEN).expect("read the golden matrix");
    let iam = shared().iam().await;
    let validator = Validator::new(&support::aws_config(shared().base_config().await));
    let external_id = format!("mz_{PREFIX}_u3");

    // The file without its output lines, and the policies in order.
    let input: Vec<&str> = golden.lines().filter(|l| !is_output(l)).collect();
    let mut actual = Vec::new();
    let mut cases = 0;
    for line in &input {
        actual.push((*line).to_owned());
        let Some(policy) = line.strip_prefix("policy: ") else {
            continue;
        };
        cases += 1;
        let role = if policy == "none" {
            support::role_arn(&format!("MatrixMissing{cases}"))
        } else {
            support::create_role(
                &iam,
                &format!("Matrix{cases}"),
                &substitute(policy, &external_id),
            )
            .await
        };
        let report = validator
            .validate(
                &ResolvedConnection::assume_role(&role, &external_id),
                Some(&principal_arn()),
            )
            .await;
        actual.extend(verdict(&report));
    }
    assert!(cases >= 15, "the matrix lost its cases");
    let actual = actual.join("\n") + "\n";
    if std::env::var_os("AIRLOCK_REWRITE").is_some() {
        std::fs::write(GOLDEN, &actual).expect("rewrite the golden matrix");
        return;
    }
    let expected = golden.lines().collect::<Vec<_>>();
    for (i, (want, got)) in expected.iter().zip(actual.lines()).enumerate() {
        assert_eq!(want, &got, "line {} of {GOLDEN}", i + 1);
    }
    assert_eq!(
        expected.len(),
        actual.lines().count(),
        "{GOLDEN} has another number of lines; rewrite it with AIRLOCK_REWRITE=1 and review"
    );
}

//! `VALIDATE CONNECTION` end to end: the sqllogictest files in `testdata/slt/aws/`, run
//! through the engine and the real AWS SDK against the `ministack` STS/IAM emulator on a
//! loopback port (started here; if it cannot be, every test fails — never skipped).
//!
//! The files see these variables (with `control substitution on`):
//!
//! | variable | what |
//! |---|---|
//! | `PRINCIPAL` | the principal role Airlock acts as |
//! | `SECURE_ROLE`, `SECURE_ROLE_U14` | trust the principal only with the external ID of connection `u1`, `u14` |
//! | `INSECURE_ROLE` | trusts the principal with no external-ID condition |
//! | `WILDCARD_ROLE` | trusts the principal with `StringLike sts:ExternalId "*"` |
//! | `UNTRUSTING_ROLE` | trusts another account only |
//! | `MISSING_ROLE` | does not exist |
//! | `KEY_ID`, `SECRET_KEY`, `USER_ARN` | an IAM user's working access key |
//! | `SECRET_KEY_ROT13` | that key's secret, corrupted with rot13 (as Materialize's test does) |
//! | `ENDPOINT`, `CLOSED_ENDPOINT`, `SILENT_ENDPOINT` | the emulator; a refused port; a socket that never answers |
//! | `PYTHON`, `IAM_PY` | for `system ok` records that change roles between statements (`testdata/slt/aws/iam.py`) |
//!
//! `AIRLOCK_REWRITE=1 cargo test -p airlock-engine --test slt_aws` rewrites the files.

#[path = "common/dump.rs"]
mod dump;
#[path = "common/slt_db.rs"]
mod slt_db;

use std::time::Duration;

use airlock_engine::AwsSetup;
use airlock_engine::aws::{AllowedEndpoints, AwsConfig};
use airlock_testkit as kit;

/// Short, so the inconclusive cases finish quickly; ample for the emulator on loopback.
const TIMEOUT: Duration = Duration::from_millis(1500);
/// One attempt per call: with retries, whether a refused port ends as `ConnectionFailed`
/// or as `Timeout` would depend on the backoff's timing, and the files expect one answer.
const ATTEMPTS: u32 = 1;

fn main() {
    let ms = kit::shared();
    let silent = Box::leak(Box::new(kit::silent_endpoint()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (base, vars) = runtime.block_on(async {
        let iam = ms.iam().await;
        let principal = kit::principal_arn();
        let external_ids: Vec<String> = (1..=50)
            .map(|i| format!("mz_{}_u{i}", slt_db::PREFIX))
            .collect();
        // One role per connection: a role that trusts several connections' external IDs
        // is, rightly, refused by VALIDATE (another connection could assume it).
        let secure_role = |name: &'static str, id: u32| {
            let iam = iam.clone();
            let principal = principal.clone();
            async move {
                kit::create_role(
                    &iam,
                    name,
                    &kit::trust_policy(
                        &principal,
                        Some(kit::secure_condition(&format!(
                            "mz_{}_u{id}",
                            slt_db::PREFIX
                        ))),
                    ),
                )
                .await
            }
        };
        let secure = secure_role("SecureRole", 1).await;
        let secure_u14 = secure_role("SecureRoleU14", 14).await;
        let insecure =
            kit::create_role(&iam, "InsecureRole", &kit::trust_policy(&principal, None)).await;
        let wildcard = kit::create_role(
            &iam,
            "WildcardRole",
            &kit::trust_policy(
                &principal,
                Some(serde_json::json!({ "StringLike": { "sts:ExternalId": "*" } })),
            ),
        )
        .await;
        let untrusting = kit::create_role(
            &iam,
            "UntrustingRole",
            &kit::trust_policy(
                "arn:aws:iam::111111111111:root",
                Some(serde_json::json!({ "StringEquals": { "sts:ExternalId": external_ids } })),
            ),
        )
        .await;
        let (user_arn, key_id, secret_key) = kit::create_user_with_key(&iam, "slt-user").await;
        let vars = vec![
            ("PRINCIPAL", principal),
            ("SECURE_ROLE", secure),
            ("SECURE_ROLE_U14", secure_u14),
            ("INSECURE_ROLE", insecure),
            ("WILDCARD_ROLE", wildcard),
            ("UNTRUSTING_ROLE", untrusting),
            ("MISSING_ROLE", kit::role_arn("NoSuchRole")),
            ("KEY_ID", key_id),
            ("SECRET_KEY_ROT13", rot13(&secret_key)),
            ("SECRET_KEY", secret_key),
            ("USER_ARN", user_arn),
            ("ENDPOINT", ms.endpoint.clone()),
            ("CLOSED_ENDPOINT", kit::closed_port_endpoint()),
            ("SILENT_ENDPOINT", silent.endpoint.clone()),
            (
                "PYTHON",
                std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned()),
            ),
            (
                "IAM_PY",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/slt/aws/iam.py").to_owned(),
            ),
        ];
        (ms.base_config().await, vars)
    });
    // The emulator and the two dead endpoints are not AWS: the harness lists them, as an
    // operator would (the rule itself is tested in tests/endpoints.rs).
    let listed: Vec<&str> = vars
        .iter()
        .filter(|(k, _)| k.ends_with("ENDPOINT"))
        .map(|(_, v)| v.as_str())
        .collect();
    let listed = AllowedEndpoints::parse(&listed.join(",")).expect("loopback URLs");
    let config = AwsConfig::new(base)
        .with_timeout(TIMEOUT)
        .with_max_attempts(ATTEMPTS)
        .with_allowed_endpoints(&listed);
    let vars = vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    slt_db::main(
        &["../../testdata/slt/aws"],
        move || AwsSetup::Config(Box::new(config.clone())),
        vars,
        slt_db::Backend::Sqlite,
    );
}

fn rot13(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            c => c,
        })
        .collect()
}

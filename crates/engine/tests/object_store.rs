//! The `object_store` feature against ministack's S3, STS and IAM: an S3 store made from
//! an assume-role connection writes and reads objects with the role's session, and stops
//! at the first request after the connection is dropped.
//!
//! `cargo test -p airlock-engine --features object_store --test object_store`

use std::time::Duration;

use airlock_engine::aws::{AllowedEndpoints, AwsConfig};
use airlock_engine::{AwsSetup, Engine, EngineConfig, Session};
use airlock_testkit as kit;
use object_store::ObjectStoreExt;
use object_store::path::Path;

fn run(session: &mut Session, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut last = Vec::new();
    for result in session.execute(sql) {
        let result = result.unwrap_or_else(|e| panic!("{sql}: {}", e.render()));
        last = result.rows().map(|r| r.rows.clone()).unwrap_or_default();
    }
    last
}

#[test]
fn an_s3_store_acts_through_its_connection() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ms = kit::shared();
    let base = runtime.block_on(ms.base_config());
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(
        dir.path().join("catalog.db"),
        EngineConfig {
            aws: AwsSetup::Config(Box::new(
                AwsConfig::new(base).with_timeout(Duration::from_secs(5)),
            )),
            aws_allowed_endpoints: AllowedEndpoints::parse(&ms.endpoint).unwrap(),
            ..EngineConfig::default()
        },
    )
    .unwrap();
    let mut session = engine.session();
    let role_name = kit::unique("S3Reader");
    let role = kit::role_arn(&role_name);
    run(
        &mut session,
        &format!(
            "ALTER SYSTEM SET aws_principal = '{}';
             CREATE CONNECTION s3_conn TO AWS (ASSUME ROLE ARN = '{role}', ENDPOINT = '{}', REGION = 'us-east-1')",
            kit::principal_arn(),
            ms.endpoint
        ),
    );
    let external_id = run(
        &mut session,
        "SELECT external_id FROM mz_aws_connections JOIN mz_connections USING (id) WHERE name = 's3_conn'",
    )[0][0]
        .clone()
        .unwrap();
    let bucket = kit::unique("airlock-bucket")
        .to_lowercase()
        .replace('_', "-");
    runtime.block_on(async {
        let iam = ms.iam().await;
        kit::create_role(
            &iam,
            &role_name,
            &kit::trust_policy(
                &kit::principal_arn(),
                Some(kit::secure_condition(&external_id)),
            ),
        )
        .await;
        let permissions = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": format!("arn:aws:s3:::{bucket}/*"),
            }],
        });
        iam.put_role_policy()
            .role_name(&role_name)
            .policy_name("objects")
            .policy_document(permissions.to_string())
            .send()
            .await
            .unwrap();
    });
    kit::create_bucket(&ms.endpoint, &bucket);

    let handle = engine.credentials("S3_Conn").unwrap();
    let store = handle.s3_store(&bucket).unwrap();
    let path = Path::from("data/hello.csv");
    runtime.block_on(async {
        store.put(&path, "a,b\n1,2\n".into()).await.unwrap();
        let bytes = store.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(&bytes[..], b"a,b\n1,2\n");
        // A second store of the same connection shares the role session.
        let again = handle.s3_store(&bucket).unwrap();
        assert_eq!(again.head(&path).await.unwrap().size, 8);
    });

    // The role's own permissions apply: it may not write another bucket.
    let other = format!("{bucket}-other");
    kit::create_bucket(&ms.endpoint, &other);
    let elsewhere = handle.s3_store(&other).unwrap();
    let err = runtime
        .block_on(async { elsewhere.put(&path, "x".into()).await })
        .unwrap_err()
        .to_string();
    assert!(err.contains("AccessDenied") || err.contains("403"), "{err}");

    // Dropped: the next request has no credentials.
    run(&mut session, "DROP CONNECTION s3_conn");
    let err = runtime
        .block_on(async { store.get(&path).await })
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown connection \"s3_conn\""), "{err}");
}

//! A host's user reads S3 only through connections its role may use: `USAGE` on the
//! connection is checked before any credentials are asked for, whether the table names
//! the connection or a `SCOPE` chooses it. (No AWS is needed: the refusal comes first.)

use airlock_datafusion::AirlockContext;
use airlock_datafusion::airlock_engine::{Engine, EngineConfig, ForeignStatements};
use airlock_datafusion::datafusion::prelude::SessionContext;

fn engine(dir: &std::path::Path) -> Engine {
    let engine = Engine::open(
        dir.join("catalog.db"),
        EngineConfig {
            foreign_statements: ForeignStatements::ReturnToHost,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    for result in engine.session().execute(
        "CREATE CONNECTION named TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Named');
         CREATE CONNECTION scoped TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Scoped', SCOPE = 's3://lake');
         CREATE ROLE bob",
    ) {
        result.unwrap();
    }
    engine
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_without_usage_reads_through_no_connection() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let mut bob = AirlockContext::with_engine_as(SessionContext::new(), engine.clone(), "bob");

    let err = bob
        .sql("CREATE EXTERNAL TABLE t STORED AS CSV LOCATION 's3://named-bucket/t.csv' OPTIONS ('aws.connection' 'named')")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("permission denied for CONNECTION \"materialize.public.named\""),
        "{err}"
    );

    let err = bob
        .sql("CREATE EXTERNAL TABLE u STORED AS CSV LOCATION 's3://lake/u.csv'")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("permission denied for CONNECTION \"materialize.public.scoped\""),
        "{err}"
    );

    // The refusals left nothing behind.
    let tables = bob.session_context().table_exist("t").unwrap()
        || bob.session_context().table_exist("u").unwrap();
    assert!(!tables);
}

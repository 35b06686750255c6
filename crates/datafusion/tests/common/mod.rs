//! What the emulator tests share: an Airlock context on ministack, roles with a secure
//! trust policy and chosen S3 permissions, the external ID of each connection, counts,
//! and Parquet bytes.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use airlock_datafusion::airlock_engine::aws::{AllowedEndpoints, AwsConfig};
use airlock_datafusion::airlock_engine::catalog::CatalogConfig;
use airlock_datafusion::airlock_engine::{AwsSetup, EngineConfig};
use airlock_datafusion::datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use airlock_datafusion::datafusion::arrow::datatypes::{DataType, Field, Schema};
use airlock_datafusion::datafusion::parquet::arrow::ArrowWriter;
use airlock_datafusion::{AirlockContext, Error, Output};
use airlock_testkit as kit;

/// A context on a catalog in `dir`, whose AWS calls and S3 reads go to ministack.
pub async fn context(dir: &tempfile::TempDir) -> AirlockContext {
    context_with(dir, AwsConfig::new(kit::shared().base_config().await))
}

/// [`context`] with Airlock's AWS configuration `aws` (one with a counting HTTP client,
/// say).
pub fn context_with(dir: &tempfile::TempDir, aws: AwsConfig) -> AirlockContext {
    context_at(dir.path().join("catalog.db"), aws, CatalogConfig::default())
}

/// A context on the catalog at `location` (a file, or a PostgreSQL URL, whose key
/// `catalog` must give), whose AWS calls and S3 reads go to ministack.
pub fn context_at(
    location: impl AsRef<std::path::Path>,
    aws: AwsConfig,
    catalog: CatalogConfig,
) -> AirlockContext {
    let ms = kit::shared();
    AirlockContext::open(
        location,
        EngineConfig {
            catalog,
            aws: AwsSetup::Config(Box::new(aws.with_timeout(Duration::from_secs(5)))),
            aws_allowed_endpoints: AllowedEndpoints::parse(&ms.endpoint).unwrap(),
            ..EngineConfig::default()
        },
    )
    .unwrap()
}

/// A new bucket on the emulator, named after `prefix`.
pub fn bucket(prefix: &str) -> String {
    let bucket = kit::unique(prefix).to_lowercase().replace('_', "-");
    kit::create_bucket(&kit::shared().endpoint, &bucket);
    bucket
}

/// A role that trusts Airlock's principal with `external_id` and may do `actions` on
/// `buckets` and their objects.
pub async fn role(name: &str, external_id: &str, buckets: &[&str], actions: &[&str]) -> String {
    let iam = kit::shared().iam().await;
    let arn = kit::create_role(
        &iam,
        name,
        &kit::trust_policy(
            &kit::principal_arn(),
            Some(kit::secure_condition(external_id)),
        ),
    )
    .await;
    let resources: Vec<String> = buckets
        .iter()
        .flat_map(|b| [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")])
        .collect();
    let permissions = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": actions, "Resource": resources }],
    });
    iam.put_role_policy()
        .role_name(name)
        .policy_name("objects")
        .policy_document(permissions.to_string())
        .send()
        .await
        .unwrap();
    arn
}

/// Connection `name`, scoped to `s3://bucket`, acting as a new role (named after `role`)
/// that trusts Airlock's principal with the connection's external ID and may do
/// `actions` on the bucket. Sets the principal first.
pub async fn scoped_connection(
    ctx: &mut AirlockContext,
    name: &str,
    bucket: &str,
    role_prefix: &str,
    actions: &[&str],
) {
    let ms = kit::shared();
    let role_name = kit::unique(role_prefix);
    ctx.sql(&format!(
        "ALTER SYSTEM SET aws_principal = '{}';
         CREATE CONNECTION {name} TO AWS (ASSUME ROLE ARN = '{}', ENDPOINT = '{}', REGION = 'us-east-1', SCOPE = 's3://{bucket}')",
        kit::principal_arn(),
        kit::role_arn(&role_name),
        ms.endpoint
    ))
    .await
    .unwrap();
    let external_id = external_id(ctx, name).await;
    role(&role_name, &external_id, &[bucket], actions).await;
}

/// The external ID of connection `name`.
pub async fn external_id(ctx: &mut AirlockContext, name: &str) -> String {
    let outputs = ctx
        .sql(&format!(
            "SELECT a.external_id FROM mz_aws_connections a JOIN mz_connections c ON a.id = c.id WHERE c.name = '{name}'"
        ))
        .await
        .unwrap();
    let Some(Output::DataFusion(batches)) = outputs.last() else {
        panic!("a catalog query runs in DataFusion")
    };
    batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
        .value(0)
        .to_owned()
}

/// `sql` (a `CREATE EXTERNAL TABLE`) is refused because nothing binds `url`, with the
/// hint naming both ways to bind one.
pub async fn expect_unbound(ctx: &mut AirlockContext, sql: &str, url: &str) {
    let err = ctx.sql(sql).await.unwrap_err();
    let Error::Airlock(diagnostic) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        diagnostic.message,
        format!("no Airlock connection is bound to {url}")
    );
    let hint = diagnostic.hint.unwrap();
    assert!(
        hint.contains("aws.connection") && hint.contains("SCOPE"),
        "{hint}"
    );
}

/// The single integer the script's last statement returned.
pub fn count(outputs: &[Output]) -> i64 {
    let Some(Output::DataFusion(batches)) = outputs.last() else {
        panic!("not DataFusion's: {outputs:?}")
    };
    batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0)
}

/// A Parquet file of one Int64 column `n`, 0 to `rows - 1`.
pub fn parquet_bytes(rows: i64) -> Vec<u8> {
    let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from_iter_values(0..rows))],
    )
    .unwrap();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    out
}

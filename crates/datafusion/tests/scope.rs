//! Connections chosen by URL, end to end against ministack's S3, STS and IAM: two
//! connections with nested scopes — `outer` (`s3://bucket`) whose role may list but not
//! read, `inner` (`s3://bucket/inner`) whose role may read — so that every read tells
//! which one served it. CSV and Parquet through the inner scope; the outer scope for
//! everything else, path segments respected; an explicit `aws.connection` wins; ALTER of
//! a scope and DROP of a connection are seen at the next query; no scope, no read. And on
//! a PostgreSQL catalog shared by two nodes, one node's DROP stops the other's reads.

mod common;

use airlock_datafusion::Error;
use airlock_testkit as kit;
use common::{bucket, context, count, expect_unbound, external_id, parquet_bytes, role};
use object_store::ObjectStoreExt;
use object_store::path::Path;

const READ: &[&str] = &["s3:GetObject", "s3:PutObject", "s3:ListBucket"];
const LIST_ONLY: &[&str] = &["s3:ListBucket"];

fn forbidden(err: &Error) -> bool {
    err.to_string().contains("403 Forbidden")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_scope_chooses_the_connection() {
    let ms = kit::shared();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir).await;
    let lake = bucket("scoped");
    let other = bucket("scoped-other");
    let nowhere = bucket("scoped-nowhere");

    let (inner_role, outer_role) = (kit::unique("ScopeInner"), kit::unique("ScopeOuter"));
    ctx.sql(&format!(
        "ALTER SYSTEM SET aws_principal = '{principal}';
         CREATE CONNECTION outer_conn TO AWS (ASSUME ROLE ARN = '{o}', ENDPOINT = '{e}', REGION = 'us-east-1', SCOPE = 's3://{lake}');
         CREATE CONNECTION inner_conn TO AWS (ASSUME ROLE ARN = '{i}', ENDPOINT = '{e}', REGION = 'us-east-1', SCOPE = 's3://{lake}/inner/');
         CREATE CONNECTION other_conn TO AWS (ASSUME ROLE ARN = '{o}', ENDPOINT = '{e}', REGION = 'us-east-1', SCOPE = 's3://{other}')",
        principal = kit::principal_arn(),
        o = kit::role_arn(&outer_role),
        i = kit::role_arn(&inner_role),
        e = ms.endpoint,
    ))
    .await
    .unwrap();
    let inner_id = external_id(&mut ctx, "inner_conn").await;
    let outer_id = external_id(&mut ctx, "outer_conn").await;
    let other_id = external_id(&mut ctx, "other_conn").await;
    role(&inner_role, &inner_id, &[&lake, &other], READ).await;
    // One role for both outer connections: its trust policy takes either external ID.
    let iam = ms.iam().await;
    let both = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": kit::principal_arn() },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": [outer_id, other_id] } },
        }],
    });
    kit::create_role(&iam, &outer_role, &both.to_string()).await;
    iam.put_role_policy()
        .role_name(&outer_role)
        .policy_name("objects")
        .policy_document(
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{ "Effect": "Allow", "Action": LIST_ONLY, "Resource": "*" }],
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();

    // The objects, written through the reader.
    let writer = ctx.engine().credentials("inner_conn").unwrap();
    let csv = "a,b\n1,x\n2,y\n3,z\n";
    for (bucket, key) in [
        (&lake, "inner/trips.csv"),
        (&lake, "outer/trips.csv"),
        (&lake, "innerx/trips.csv"),
        (&other, "trips.csv"),
    ] {
        writer
            .s3_store(bucket)
            .unwrap()
            .put(&Path::from(key), csv.into())
            .await
            .unwrap();
    }
    writer
        .s3_store(&lake)
        .unwrap()
        .put(
            &Path::from("inner/numbers.parquet"),
            parquet_bytes(1000).into(),
        )
        .await
        .unwrap();

    // Under s3://lake/inner: the inner connection reads, CSV and Parquet.
    let outputs = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE trips STORED AS CSV LOCATION 's3://{lake}/inner/trips.csv'
                 OPTIONS ('format.has_header' 'true');
             SELECT count(*) FROM trips"
        ))
        .await
        .unwrap();
    assert_eq!(count(&outputs), 3);
    let outputs = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE numbers STORED AS PARQUET LOCATION 's3://{lake}/inner/numbers.parquet';
             SELECT sum(n) FROM numbers WHERE n % 2 = 0"
        ))
        .await
        .unwrap();
    assert_eq!(count(&outputs), 249_500);

    // Elsewhere in the bucket, and in a sibling folder whose name merely starts with
    // `inner`: the outer connection, whose role may not read.
    for key in ["outer/trips.csv", "innerx/trips.csv"] {
        let err = ctx
            .sql(&format!(
                "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION 's3://{lake}/{key}'"
            ))
            .await
            .unwrap_err();
        assert!(forbidden(&err), "{key}: {err}");
    }

    // An explicit connection wins over the scope of its bucket.
    let outputs = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE named STORED AS CSV LOCATION 's3://{other}/trips.csv'
                 OPTIONS ('format.has_header' 'true', 'aws.connection' 'inner_conn');
             SELECT count(*) FROM named"
        ))
        .await
        .unwrap();
    assert_eq!(count(&outputs), 3);
    // Naming a connection for a bucket that already reads through scopes is refused.
    let err = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION 's3://{lake}/outer/trips.csv'
                 OPTIONS ('aws.connection' 'inner_conn')"
        ))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "s3://{lake} already reads through connection scopes"
        )),
        "{err}"
    );

    // ALTER moves the inner scope away: the next read falls to the outer connection;
    // moved back, the inner one reads again.
    ctx.sql(&format!(
        "ALTER CONNECTION inner_conn SET (SCOPE = 's3://{lake}/elsewhere')"
    ))
    .await
    .unwrap();
    let err = ctx.sql("SELECT count(*) FROM trips").await.unwrap_err();
    assert!(forbidden(&err), "{err}");
    ctx.sql(&format!(
        "ALTER CONNECTION inner_conn SET (SCOPE = 's3://{lake}/inner')"
    ))
    .await
    .unwrap();
    assert_eq!(
        count(&ctx.sql("SELECT count(*) FROM trips").await.unwrap()),
        3
    );

    // Two connections with one scope: the rule cannot choose, and says so.
    ctx.sql(&format!(
        "CREATE CONNECTION twin TO AWS (ASSUME ROLE ARN = '{}', ENDPOINT = '{}', SCOPE = 's3://{lake}/inner')",
        kit::role_arn(&inner_role),
        ms.endpoint
    ))
    .await
    .unwrap();
    let err = ctx.sql("SELECT count(*) FROM trips").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("is in the scope of two connections, \"inner_conn\" and \"twin\""),
        "{err}"
    );
    ctx.sql("DROP CONNECTION twin").await.unwrap();

    // DROP of the inner connection: its objects fall to the outer scope; DROP of the
    // outer one too: nothing covers them, and the error says how to bind one.
    ctx.sql("DROP CONNECTION inner_conn").await.unwrap();
    let err = ctx.sql("SELECT count(*) FROM trips").await.unwrap_err();
    assert!(forbidden(&err), "{err}");
    ctx.sql("DROP CONNECTION outer_conn").await.unwrap();
    let err = ctx.sql("SELECT count(*) FROM trips").await.unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "no Airlock connection is bound to s3://{lake}/inner/trips.csv"
        )),
        "{err}"
    );

    // A bucket no scope covers and no option names: refused when the table is made.
    expect_unbound(
        &mut ctx,
        &format!("CREATE EXTERNAL TABLE lost STORED AS CSV LOCATION 's3://{nowhere}/trips.csv'"),
        &format!("s3://{nowhere}/trips.csv"),
    )
    .await;
}

/// On a PostgreSQL catalog shared by two nodes: a scope reads through its connection, and
/// once the other node's `DROP CONNECTION` has reached this node (its change watch hears
/// the commit), the next read finds no scope. Between changes the bucket's store is kept
/// (the catalog's generation is known on PostgreSQL too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_postgres_catalog_another_nodes_drop_stops_the_reads() {
    use airlock_datafusion::airlock_engine::aws::AwsConfig;
    use airlock_datafusion::airlock_engine::catalog::{CatalogConfig, SecretBackend, SecretKey};

    let ms = kit::shared();
    let server = kit::postgres::Server::start();
    let url = server.create_database("datafusion");
    let key = SecretKey::generate().to_hex();
    let catalog = || CatalogConfig {
        secrets: SecretBackend::EmbeddedWithKey(SecretKey::from_hex(&key).unwrap()),
        ..CatalogConfig::default()
    };
    let base = ms.base_config().await;
    let mut ctx = common::context_at(&url, AwsConfig::new(base.clone()), catalog());
    let lake = bucket("pg-scope");
    common::scoped_connection(&mut ctx, "lake_conn", &lake, "PgScopeReader", READ).await;
    ctx.engine()
        .credentials("lake_conn")
        .unwrap()
        .s3_store(&lake)
        .unwrap()
        .put(&Path::from("trips.csv"), "a,b\n1,x\n2,y\n3,z\n".into())
        .await
        .unwrap();
    let outputs = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE trips STORED AS CSV LOCATION 's3://{lake}/trips.csv'
                 OPTIONS ('format.has_header' 'true');
             SELECT count(*) FROM trips"
        ))
        .await
        .unwrap();
    assert_eq!(count(&outputs), 3);
    // The catalog's generation is known here too (the node's change watch listens), so
    // the bucket's store is kept between changes.
    let mut known = false;
    for _ in 0..2000 {
        known = ctx.engine().catalog_generation().is_some();
        if known {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(known, "the catalog's generation stayed unknown");

    // Another node drops the connection.
    let other = common::context_at(&url, AwsConfig::new(base), catalog());
    for result in other
        .engine()
        .session()
        .execute("DROP CONNECTION lake_conn")
    {
        result.unwrap();
    }
    let mut refused = None;
    for _ in 0..2000 {
        match ctx.sql("SELECT count(*) FROM trips").await {
            Ok(outputs) => assert_eq!(count(&outputs), 3),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let refused = refused.expect("the other node's DROP never reached this node");
    assert!(
        refused.to_string().contains(&format!(
            "no Airlock connection is bound to s3://{lake}/trips.csv"
        )),
        "{refused}"
    );
}

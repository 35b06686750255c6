//! DataFusion reads S3 through Airlock, end to end against ministack's S3, STS and IAM on
//! loopback: an assume-role connection whose role trusts only its external ID and may
//! read one bucket; `CREATE EXTERNAL TABLE` over a CSV and a Parquet object naming the
//! connection; the right counts; a role without `s3:GetObject` refused with AWS's code;
//! no connection, no read; `DROP CONNECTION` and the next query fails. Airlock's catalog
//! relations are DataFusion tables beside the host's.

mod common;

use airlock_datafusion::Output;
use airlock_testkit as kit;
use common::{bucket as new_bucket, context, count, expect_unbound, parquet_bytes, role};
use object_store::ObjectStoreExt;
use object_store::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datafusion_reads_s3_through_an_airlock_connection() {
    let ms = kit::shared();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir).await;
    let bucket = new_bucket("lake");
    let bucket2 = format!("{bucket}-two");
    kit::create_bucket(&ms.endpoint, &bucket2);

    // Two connections: a reader, and one whose role may not read.
    let reader = kit::unique("LakeReader");
    let blind = kit::unique("LakeBlind");
    ctx.sql(&format!(
        "ALTER SYSTEM SET aws_principal = '{principal}';
         CREATE CONNECTION lake TO AWS (ASSUME ROLE ARN = '{r}', ENDPOINT = '{e}', REGION = 'us-east-1');
         CREATE CONNECTION blind TO AWS (ASSUME ROLE ARN = '{b}', ENDPOINT = '{e}', REGION = 'us-east-1')",
        principal = kit::principal_arn(),
        r = kit::role_arn(&reader),
        b = kit::role_arn(&blind),
        e = ms.endpoint,
    ))
    .await
    .unwrap();
    let ids = ctx
        .sql("SELECT c.name, a.external_id FROM mz_aws_connections a JOIN mz_connections c ON a.id = c.id ORDER BY c.name")
        .await
        .unwrap();
    let Some(Output::DataFusion(batches)) = ids.last() else {
        panic!("a catalog query runs in DataFusion")
    };
    let ids = batches[0]
        .column(1)
        .as_any()
        .downcast_ref::<airlock_datafusion::datafusion::arrow::array::StringArray>()
        .unwrap();
    let (blind_id, lake_id) = (ids.value(0).to_owned(), ids.value(1).to_owned());
    role(
        &reader,
        &lake_id,
        &[&bucket, &bucket2],
        &["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
    )
    .await;
    role(&blind, &blind_id, &[&bucket, &bucket2], &["s3:ListBucket"]).await;

    // The objects, written through the reader connection itself.
    let store = ctx
        .engine()
        .credentials("lake")
        .unwrap()
        .s3_store(&bucket)
        .unwrap();
    store
        .put(&Path::from("trips.csv"), "a,b\n1,x\n2,y\n3,z\n".into())
        .await
        .unwrap();
    store
        .put(&Path::from("numbers.parquet"), parquet_bytes(1000).into())
        .await
        .unwrap();
    let store2 = ctx
        .engine()
        .credentials("lake")
        .unwrap()
        .s3_store(&bucket2)
        .unwrap();
    store2
        .put(&Path::from("trips.csv"), "a,b\n1,x\n".into())
        .await
        .unwrap();

    let outputs = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE trips STORED AS CSV LOCATION 's3://{bucket}/trips.csv'
                 OPTIONS ('format.has_header' 'true', 'aws.connection' 'lake');
             SELECT count(*) FROM trips"
        ))
        .await
        .unwrap();
    assert_eq!(count(&outputs), 3);
    let outputs = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE numbers STORED AS PARQUET LOCATION 's3://{bucket}/numbers.parquet'
                 OPTIONS ('aws.connection' 'LAKE');
             SELECT count(*) FROM numbers WHERE n % 2 = 0"
        ))
        .await
        .unwrap();
    assert_eq!(count(&outputs), 500);

    // A join of Airlock's catalog with the host's tables, with DataFusion's semantics:
    // the two connections' oids are 20001 and 20002, `a` is 1, 2, 3.
    let outputs = ctx
        .sql("SELECT count(*) FROM mz_catalog.mz_connections c JOIN trips t ON t.a = c.oid - 20000")
        .await
        .unwrap();
    assert_eq!(count(&outputs), 2);

    // A role without s3:GetObject: AWS's refusal.
    let err = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE hidden STORED AS CSV LOCATION 's3://{bucket2}/trips.csv'
                 OPTIONS ('aws.connection' 'blind');
             SELECT count(*) FROM hidden"
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("403 Forbidden"), "{err}");

    // A bucket reads through one connection per session.
    let err = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE again STORED AS CSV LOCATION 's3://{bucket}/trips.csv'
                 OPTIONS ('aws.connection' 'blind')"
        ))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "s3://{bucket} is already bound to connection \"lake\""
        )),
        "{err}"
    );

    // No connection for a bucket: refused, with how to bind one.
    expect_unbound(
        &mut ctx,
        &format!(
            "CREATE EXTERNAL TABLE nowhere STORED AS CSV LOCATION 's3://{bucket}-three/x.csv'"
        ),
        &format!("s3://{bucket}-three/x.csv"),
    )
    .await;

    // Dropped: the next read has no credentials.
    ctx.sql("DROP CONNECTION lake").await.unwrap();
    let err = ctx.sql("SELECT count(*) FROM trips").await.unwrap_err();
    assert!(
        err.to_string().contains("unknown connection \"lake\""),
        "{err}"
    );
}

//! A full scan of a 50 MB Parquet object on ministack's S3, side by side:
//!
//! - `airlock_scope`: DataFusion reads through an Airlock connection chosen by its
//!   `SCOPE` (the bucket's [`ScopedS3Store`] dispatching to the connection's store and
//!   credentials handle, role session from STS);
//! - `static_credentials`: the same query, with the emulator's static keys given to
//!   DataFusion's `AmazonS3Builder` directly.
//!
//! Neither case may profit from running second (the emulator, the page cache, the
//! allocator and the CPU's clock are cold at first): both are scanned a few times,
//! alternating, before anything is measured, and criterion measures them twice, in one
//! group with the static keys first and in another with the scope first.
//!
//! Then it prints the ratio of the two (medians of interleaved runs, each pair in the
//! other order than the last; the target is ≤ 1.05) and the number of `AssumeRole` calls
//! Airlock made for 1,000 reads of an object through the same store (counted on the wire:
//! Airlock's AWS configuration gets an HTTP client that records every request body).
//!
//! Run as a test (`cargo test --benches`, or `cargo bench -- --test`: no `--bench`
//! argument, or `--test` too, as criterion decides) it scans each case once or twice
//! instead, so that the test stays quick.
//!
//! `AIRLOCK_TEST_VENV=/work/main/target/test-venv cargo bench -p airlock-datafusion --bench scan`

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_datafusion::Output;
use airlock_datafusion::airlock_engine::aws::AwsConfig;
use airlock_datafusion::datafusion::arrow::array::{Int64Array, RecordBatch};
use airlock_datafusion::datafusion::arrow::datatypes::{DataType, Field, Schema};
use airlock_datafusion::datafusion::execution::object_store::ObjectStoreUrl;
use airlock_datafusion::datafusion::parquet::arrow::ArrowWriter;
use airlock_datafusion::datafusion::parquet::file::properties::WriterProperties;
use airlock_datafusion::datafusion::prelude::SessionContext;
use airlock_testkit as kit;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use criterion::Criterion;
use object_store::ObjectStoreExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;

const OBJECT_BYTES: usize = 50 * 1024 * 1024;
const COLUMNS: usize = 4;
const READS: usize = 1000;
const QUERY: &str = "SELECT sum(c0), sum(c1), sum(c2), sum(c3) FROM big";

/// Every `AssumeRole` request Airlock's AWS clients sent.
#[derive(Debug, Clone, Default)]
struct AssumeRoles(Arc<Mutex<usize>>);

#[derive(Debug)]
struct CountingClient {
    inner: SharedHttpClient,
    seen: AssumeRoles,
}

#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
    seen: AssumeRoles,
}

impl HttpClient for CountingClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CountingConnector {
            inner: self.inner.http_connector(settings, components),
            seen: self.seen.clone(),
        })
    }
}

impl HttpConnector for CountingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // STS's query protocol puts `Action=AssumeRole&…` in the body.
        if request
            .body()
            .bytes()
            .is_some_and(|b| b.starts_with(b"Action=AssumeRole&"))
        {
            *self.seen.0.lock().unwrap() += 1;
        }
        self.inner.call(request)
    }
}

/// A Parquet file of `COLUMNS` Int64 columns of pseudo-random values, about
/// `OBJECT_BYTES` long (plain encoding, no dictionary: the values barely repeat).
fn parquet_object() -> Vec<u8> {
    let rows = OBJECT_BYTES / (COLUMNS * 8);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 12) as i64
    };
    let fields: Vec<Field> = (0..COLUMNS)
        .map(|i| Field::new(format!("c{i}"), DataType::Int64, false))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_dictionary_enabled(false)
        .build();
    let mut out = Vec::with_capacity(OBJECT_BYTES + 1024 * 1024);
    let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), Some(props)).unwrap();
    let batch_rows = 64 * 1024;
    let mut written = 0;
    while written < rows {
        let n = batch_rows.min(rows - written);
        let columns = (0..COLUMNS)
            .map(|_| {
                Arc::new(Int64Array::from_iter_values((0..n).map(|_| next())))
                    as Arc<dyn airlock_datafusion::datafusion::arrow::array::Array>
            })
            .collect();
        writer
            .write(&RecordBatch::try_new(schema.clone(), columns).unwrap())
            .unwrap();
        written += n;
    }
    writer.close().unwrap();
    out
}

async fn scan(ctx: &SessionContext) {
    let batches = ctx.sql(QUERY).await.unwrap().collect().await.unwrap();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    let mid = times.len() / 2;
    if times.len().is_multiple_of(2) {
        (times[mid - 1] + times[mid]) / 2
    } else {
        times[mid]
    }
}

/// Whether criterion measures (`cargo bench`) or runs each benchmark once as a test
/// (`cargo test --benches`, `cargo bench -- --test`): criterion's own rule.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

/// One scan of each case, timed, in the order asked for.
fn scan_pair(
    runtime: &tokio::runtime::Runtime,
    airlock_ctx: &SessionContext,
    static_ctx: &SessionContext,
    scope_first: bool,
) -> (Duration, Duration) {
    let timed = |ctx: &SessionContext| {
        let start = Instant::now();
        runtime.block_on(scan(ctx));
        start.elapsed()
    };
    if scope_first {
        let a = timed(airlock_ctx);
        (a, timed(static_ctx))
    } else {
        let d = timed(static_ctx);
        (timed(airlock_ctx), d)
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ms = kit::shared();
    let seen = AssumeRoles::default();
    let dir = tempfile::tempdir().unwrap();

    // Airlock: a connection scoped to the bucket, its role allowed to read it.
    let (mut airlock, bucket) = runtime.block_on(async {
        let base = ms.base_config().await;
        let base = base
            .to_builder()
            .http_client(CountingClient {
                inner: aws_smithy_http_client::Builder::new().build_http(),
                seen: seen.clone(),
            })
            .build();
        let mut ctx = common::context_with(&dir, AwsConfig::new(base));
        let bucket = common::bucket("bench");
        let role = kit::unique("BenchReader");
        ctx.sql(&format!(
            "ALTER SYSTEM SET aws_principal = '{}';
             CREATE CONNECTION lake TO AWS (ASSUME ROLE ARN = '{}', ENDPOINT = '{}', REGION = 'us-east-1', SCOPE = 's3://{bucket}')",
            kit::principal_arn(),
            kit::role_arn(&role),
            ms.endpoint
        ))
        .await
        .unwrap();
        let external_id = common::external_id(&mut ctx, "lake").await;
        common::role(
            &role,
            &external_id,
            &[&bucket],
            &["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        )
        .await;
        (ctx, bucket)
    });

    let object = parquet_object();
    let size = object.len();
    let static_ctx = runtime.block_on(async {
        let store = airlock
            .engine()
            .credentials("lake")
            .unwrap()
            .s3_store(&bucket)
            .unwrap();
        store
            .put(&Path::from("big.parquet"), object.into())
            .await
            .unwrap();
        store
            .put(&Path::from("small.csv"), "a\n1\n".into())
            .await
            .unwrap();
        let outputs = airlock
            .sql(&format!(
                "CREATE EXTERNAL TABLE big STORED AS PARQUET LOCATION 's3://{bucket}/big.parquet'"
            ))
            .await
            .unwrap();
        assert!(matches!(outputs.last(), Some(Output::DataFusion(_))));

        // DataFusion alone, with the emulator's static keys.
        let ctx = SessionContext::new();
        let direct = AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region("us-east-1")
            .with_endpoint(&ms.endpoint)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_access_key_id(kit::ROOT_KEY)
            .with_secret_access_key(kit::ROOT_KEY)
            .build()
            .unwrap();
        ctx.register_object_store(
            &url::Url::parse(&format!("s3://{bucket}")).unwrap(),
            Arc::new(direct),
        );
        ctx.sql(&format!(
            "CREATE EXTERNAL TABLE big STORED AS PARQUET LOCATION 's3://{bucket}/big.parquet'"
        ))
        .await
        .unwrap();
        ctx
    });
    let airlock_ctx = airlock.session_context().clone();
    let after_setup = *seen.0.lock().unwrap();
    println!(
        "object: s3://{bucket}/big.parquet, {size} bytes ({:.1} MiB)",
        size as f64 / (1024.0 * 1024.0)
    );

    let measuring = measuring();
    // Pairs of scans before and after criterion; each pair runs in the other order than
    // the one before, so that neither case always runs first.
    let (warm_up_pairs, interleaved_pairs) = if measuring { (4, 10) } else { (1, 2) };

    // Warm both paths before either is measured: the first scans pay for the emulator's
    // and the machine's cold start, whichever case runs them.
    for i in 0..warm_up_pairs {
        let (a, d) = scan_pair(&runtime, &airlock_ctx, &static_ctx, i % 2 == 1);
        println!("warm-up {i}: airlock_scope {a:?}, static_credentials {d:?}");
    }

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15))
        .configure_from_args();
    // Twice, in both orders: a case measured second in one group is measured first in
    // the other, so a drift over the run shows as a difference between the groups.
    for (group_name, scope_first) in [
        ("scan_50mb_parquet_static_first", false),
        ("scan_50mb_parquet_scope_first", true),
    ] {
        let mut group = criterion.benchmark_group(group_name);
        group.throughput(criterion::Throughput::Bytes(size as u64));
        let mut airlock_scope =
            |b: &mut criterion::Bencher<'_>| b.iter(|| runtime.block_on(scan(&airlock_ctx)));
        let mut static_credentials =
            |b: &mut criterion::Bencher<'_>| b.iter(|| runtime.block_on(scan(&static_ctx)));
        if scope_first {
            group.bench_function("airlock_scope", &mut airlock_scope);
            group.bench_function("static_credentials", &mut static_credentials);
        } else {
            group.bench_function("static_credentials", &mut static_credentials);
            group.bench_function("airlock_scope", &mut airlock_scope);
        }
        group.finish();
    }

    // Interleaved, so that the emulator's and the machine's drift hits both alike.
    let (mut through_airlock, mut direct) = (Vec::new(), Vec::new());
    for i in 0..interleaved_pairs {
        let (a, d) = scan_pair(&runtime, &airlock_ctx, &static_ctx, i % 2 == 0);
        through_airlock.push(a);
        direct.push(d);
    }
    let (a, d) = (median(through_airlock), median(direct));
    println!(
        "interleaved medians ({interleaved_pairs} runs each, alternating which runs first): airlock_scope {a:?}, static_credentials {d:?}, ratio {:.3} (target <= 1.05)",
        a.as_secs_f64() / d.as_secs_f64()
    );

    // 1,000 reads through the store DataFusion uses for the bucket.
    let before = *seen.0.lock().unwrap();
    println!(
        "AssumeRole calls: {after_setup} during setup (writing the objects, creating the table), {} during the scans",
        before - after_setup
    );
    let store = airlock_ctx
        .runtime_env()
        .object_store(ObjectStoreUrl::parse(format!("s3://{bucket}")).unwrap())
        .unwrap();
    let start = Instant::now();
    runtime.block_on(async {
        for _ in 0..READS {
            let bytes = store
                .get(&Path::from("small.csv"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert_eq!(&bytes[..], b"a\n1\n");
        }
    });
    let total = *seen.0.lock().unwrap();
    println!(
        "{READS} object reads through the connection's scope in {:?}: {} AssumeRole call(s) during them, {total} in the whole run",
        start.elapsed(),
        total - before
    );
}

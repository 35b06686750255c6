//! A full scan of a 50 MB Parquet object on ministack's S3, three ways:
//!
//! - `airlock_scope`: DataFusion reads through an Airlock connection chosen by its
//!   `SCOPE` (the bucket's [`ScopedS3Store`] dispatching to the connection's store and
//!   credentials handle, role session from STS);
//! - `static_session_keys`: the same query, with that role session's keys given to
//!   DataFusion's `AmazonS3Builder` directly: the baseline, since the emulator then does
//!   exactly the work it does for Airlock's requests (a role session's requests are
//!   checked against the role's policies; the root keys' are not);
//! - `static_root_keys`: the same with the emulator's root keys, to show what the
//!   emulator's own policy checks cost.
//!
//! Criterion measures each case (last, once the emulator and the machine have settled).
//! The target (Airlock's path at most 1.05 times the baseline) is judged on paired
//! rounds instead: each round scans the three cases one after the other, the rounds
//! cycle through all six orders, and the benchmark prints the median of the per-round
//! ratios with a distribution-free 95 % confidence interval. On a small shared machine
//! the time of one scan drifts by more than 5 % over a run; two scans a few
//! milliseconds apart drift together, so their ratio does not.
//!
//! It also prints how many S3 requests one scan makes, what Airlock adds to each request
//! without the network (the scope lookup and the credentials handle, against a static
//! provider), and the number of `AssumeRole` calls Airlock made for 1,000 reads of an
//! object through the same store (counted on the wire: Airlock's AWS configuration gets
//! an HTTP client that records every request body).
//!
//! Run as a test (`cargo test --benches`, or `cargo bench -- --test`: no `--bench`
//! argument, or `--test` too, as criterion decides) it scans each case a few times
//! instead, so that the test stays quick.
//!
//! `AIRLOCK_TEST_VENV=/work/main/target/test-venv cargo bench -p airlock-datafusion --bench scan`

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_datafusion::airlock_engine::aws::AwsConfig;
use airlock_datafusion::datafusion::arrow::array::{Int64Array, RecordBatch};
use airlock_datafusion::datafusion::arrow::datatypes::{DataType, Field, Schema};
use airlock_datafusion::datafusion::execution::object_store::ObjectStoreUrl;
use airlock_datafusion::datafusion::parquet::arrow::ArrowWriter;
use airlock_datafusion::datafusion::parquet::file::properties::WriterProperties;
use airlock_datafusion::datafusion::prelude::SessionContext;
use airlock_datafusion::{Output, ScopedS3Store};
use airlock_testkit as kit;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use criterion::Criterion;
use object_store::aws::{AmazonS3Builder, AwsCredential};
use object_store::path::Path;
use object_store::{CredentialProvider, ObjectStore, ObjectStoreExt, StaticCredentialProvider};

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

/// The ways the benchmark reads the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// Through the bucket's [`ScopedS3Store`]: Airlock's whole path.
    Scope,
    /// The role session's own keys, given to DataFusion as static credentials: the
    /// emulator sees the very requests Airlock's path makes.
    SessionKeys,
    /// The emulator's root keys, given to DataFusion as static credentials: the
    /// emulator checks no role policy for them.
    RootKeys,
}

const CASES: [Case; 3] = [Case::Scope, Case::SessionKeys, Case::RootKeys];

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Scope => "airlock_scope",
            Case::SessionKeys => "static_session_keys",
            Case::RootKeys => "static_root_keys",
        }
    }
}

/// The order of the cases in round `i`: all six orders in turn, so that each case runs
/// first, second and third equally often and follows each other case equally often.
fn order(i: usize) -> [Case; 3] {
    const ORDERS: [[usize; 3]; 6] = [
        [0, 1, 2],
        [1, 2, 0],
        [2, 0, 1],
        [0, 2, 1],
        [2, 1, 0],
        [1, 0, 2],
    ];
    ORDERS[i % ORDERS.len()].map(|k| CASES[k])
}

/// A median with its distribution-free 95 % confidence interval: the order statistics
/// `k` and `n + 1 - k` of the sorted sample, `k` the largest with
/// `P(Binomial(n, 1/2) < k) <= 0.025`. It assumes nothing about the distribution, which
/// a scan's times on a shared machine (long right tail) need.
#[derive(Debug, Clone, Copy)]
struct Median {
    value: f64,
    /// `None` below six values, where no pair of order statistics covers the median
    /// with 95 % probability.
    interval: Option<(f64, f64)>,
}

fn median_ci(mut sample: Vec<f64>) -> Median {
    sample.sort_by(f64::total_cmp);
    let n = sample.len();
    let value = if !n.is_multiple_of(2) {
        sample[n / 2]
    } else {
        (sample[n / 2 - 1] + sample[n / 2]) / 2.0
    };
    // P(X <= j) for X ~ Binomial(n, 1/2), summed until it passes 2.5 %.
    let mut k = 0;
    let mut term = 0.5f64.powi(n as i32);
    let mut below = 0.0;
    while k < n / 2 {
        below += term;
        if below > 0.025 {
            break;
        }
        term *= (n - k) as f64 / (k + 1) as f64;
        k += 1;
    }
    // `k` order statistics lie below the interval, `k` above it.
    let interval = (k > 0).then(|| (sample[k - 1], sample[n - k]));
    Median { value, interval }
}

impl Median {
    /// Whether the whole interval is at or below `target`; `None`: not settled.
    fn at_most(&self, target: f64) -> Option<bool> {
        let (low, high) = self.interval?;
        if high <= target {
            Some(true)
        } else if low > target {
            Some(false)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Median {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.interval {
            Some((low, high)) => write!(f, "{:.3} [{low:.3}–{high:.3}]", self.value),
            None => write!(f, "{:.3} (too few values for a 95 % interval)", self.value),
        }
    }
}

/// Every `get_credential` call a store's requests make: one per HTTP request, which the
/// store signs.
#[derive(Debug)]
struct CountingCredentials {
    inner: Arc<dyn CredentialProvider<Credential = AwsCredential>>,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl CredentialProvider for CountingCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.get_credential().await
    }
}

/// An S3 store on the emulator for `bucket` with static `credentials`.
fn static_store(
    endpoint: &str,
    bucket: &str,
    credentials: Arc<dyn CredentialProvider<Credential = AwsCredential>>,
) -> Arc<dyn ObjectStore> {
    Arc::new(
        AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_endpoint(endpoint)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_credentials(credentials)
            .build()
            .unwrap(),
    )
}

/// A plain DataFusion session whose table `big` reads the object through `store`.
async fn plain_context(bucket: &str, store: Arc<dyn ObjectStore>) -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_object_store(&url::Url::parse(&format!("s3://{bucket}")).unwrap(), store);
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE big STORED AS PARQUET LOCATION 's3://{bucket}/big.parquet'"
    ))
    .await
    .unwrap();
    ctx
}

/// Whether criterion measures (`cargo bench`) or runs each benchmark once as a test
/// (`cargo test --benches`, `cargo bench -- --test`): criterion's own rule.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
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
        common::scoped_connection(
            &mut ctx,
            "lake",
            &bucket,
            "BenchReader",
            &["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        )
        .await;
        (ctx, bucket)
    });

    let object = parquet_object();
    let size = object.len();
    let handle = airlock.engine().credentials("lake").unwrap();
    let (session_keys, root_keys, counted, counting) = runtime.block_on(async {
        let store = handle.s3_store(&bucket).unwrap();
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

        // DataFusion alone, with the role session's keys: those the handle holds now.
        let session = handle.credentials().await.unwrap();
        let session = AwsCredential {
            key_id: session.access_key_id().to_owned(),
            secret_key: session.secret_access_key().to_owned(),
            token: session.session_token().map(str::to_owned),
        };
        let session_provider = Arc::new(StaticCredentialProvider::new(session));
        let session_keys = plain_context(
            &bucket,
            static_store(&ms.endpoint, &bucket, session_provider.clone()),
        )
        .await;
        // DataFusion alone, with the emulator's root keys.
        let root = Arc::new(StaticCredentialProvider::new(AwsCredential {
            key_id: kit::ROOT_KEY.to_owned(),
            secret_key: kit::ROOT_KEY.to_owned(),
            token: None,
        }));
        let root_keys = plain_context(&bucket, static_store(&ms.endpoint, &bucket, root)).await;
        // The session's keys again, counting the requests a scan makes.
        let counting = Arc::new(CountingCredentials {
            inner: session_provider,
            calls: AtomicUsize::new(0),
        });
        let counted = plain_context(
            &bucket,
            static_store(&ms.endpoint, &bucket, counting.clone()),
        )
        .await;
        (session_keys, root_keys, counted, counting)
    });
    let airlock_ctx = airlock.session_context().clone();
    let context = |case: Case| match case {
        Case::Scope => &airlock_ctx,
        Case::SessionKeys => &session_keys,
        Case::RootKeys => &root_keys,
    };
    let after_setup = *seen.0.lock().unwrap();
    println!(
        "object: s3://{bucket}/big.parquet, {size} bytes ({:.1} MiB)",
        size as f64 / (1024.0 * 1024.0)
    );

    let measuring = measuring();
    let (warm_up_rounds, rounds, reads, lookups) = if measuring {
        (6, 400, READS, 100_000)
    } else {
        (1, 2, 10, 100)
    };

    // Warm every path before anything is measured: the first scans pay for the
    // emulator's and the machine's cold start, whichever case runs them.
    let timed = |case: Case| {
        let start = Instant::now();
        runtime.block_on(scan(context(case)));
        start.elapsed()
    };
    for i in 0..warm_up_rounds {
        for case in order(i) {
            timed(case);
        }
    }

    // How many requests one scan makes (each signs with one `get_credential`).
    runtime.block_on(scan(&counted));
    let requests = counting.calls.load(Ordering::Relaxed);
    println!("one scan makes {requests} S3 requests");

    // Rounds of one scan of each case, in all six orders in turn. Neighbouring scans
    // share the machine's state of the moment (another process's burst, the CPU's
    // clock), so each round's ratio cancels the drift that separates criterion's
    // measurements of one case from those of the next.
    let mut times: [Vec<f64>; 3] = Default::default();
    for i in 0..rounds {
        for case in order(i) {
            let k = CASES.iter().position(|c| *c == case).unwrap();
            times[k].push(timed(case).as_secs_f64());
        }
    }
    let ratio = |a: usize, b: usize| {
        median_ci(times[a].iter().zip(&times[b]).map(|(a, b)| a / b).collect())
    };
    for (k, case) in CASES.iter().enumerate() {
        let median = median_ci(times[k].iter().map(|t| t * 1e3).collect());
        println!("{}: median scan {median} ms ({rounds} rounds)", case.name());
    }
    let against_session = ratio(0, 1);
    println!(
        "airlock_scope / static_session_keys, median of {rounds} paired rounds: {against_session} (target <= 1.05: {})",
        match against_session.at_most(1.05) {
            Some(true) => "met, the whole interval is below it",
            Some(false) => "missed, the whole interval is above it",
            None => "not settled",
        }
    );
    println!(
        "airlock_scope / static_root_keys: {}; static_session_keys / static_root_keys (the emulator's policy checks): {}",
        ratio(0, 2),
        ratio(1, 2)
    );

    // Criterion last, after the rounds have run for a minute or two: the emulator and
    // the machine settle over the first tens of seconds of a run, and whichever case
    // criterion measured first would bear that drift alone.
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    let mut group = criterion.benchmark_group("scan_50mb_parquet");
    group.throughput(criterion::Throughput::Bytes(size as u64));
    for case in CASES {
        group.bench_function(case.name(), |b| {
            b.iter(|| runtime.block_on(scan(context(case))))
        });
    }
    group.finish();

    // What Airlock adds to a request, without the network: finding the connection by
    // its scope (the catalog unchanged), and the credentials handle's answer, against
    // the static provider's.
    let scoped = ScopedS3Store::new(
        airlock.engine().clone(),
        airlock.engine().session(),
        bucket.clone(),
    );
    let provider = handle.object_store_credentials();
    let static_provider = StaticCredentialProvider::new(AwsCredential {
        key_id: kit::ROOT_KEY.to_owned(),
        secret_key: kit::ROOT_KEY.to_owned(),
        token: None,
    });
    let per_call = |work: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..lookups {
            work();
        }
        start.elapsed().as_secs_f64() * 1e6 / lookups as f64
    };
    let dispatch = per_call(&|| {
        runtime
            .block_on(scoped.connection_for("big.parquet"))
            .unwrap()
            .unwrap();
    });
    let airlock_credentials = per_call(&|| {
        runtime.block_on(provider.get_credential()).unwrap();
    });
    let static_credentials = per_call(&|| {
        runtime.block_on(static_provider.get_credential()).unwrap();
    });
    let added = dispatch + airlock_credentials - static_credentials;
    let scan_us = median_ci(times[1].clone()).value * 1e6;
    println!(
        "per request ({lookups} calls each): scope lookup {dispatch:.2} µs, Airlock's credentials {airlock_credentials:.2} µs, static credentials {static_credentials:.2} µs; about {added:.2} µs added to each of the scan's {requests} requests = {:.1} µs, {:.4} % of a {:.1} ms scan",
        added * requests as f64,
        100.0 * added * requests as f64 / scan_us,
        scan_us / 1e3
    );

    // Reads through the store DataFusion uses for the bucket.
    let before = *seen.0.lock().unwrap();
    println!(
        "AssumeRole calls: {after_setup} during setup (the role session: Airlock's principal role, then the connection's role, assumed with it), {} during the scans",
        before - after_setup
    );
    let store = airlock_ctx
        .runtime_env()
        .object_store(ObjectStoreUrl::parse(format!("s3://{bucket}")).unwrap())
        .unwrap();
    let start = Instant::now();
    runtime.block_on(async {
        for _ in 0..reads {
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
    // One role session for the whole run: a scan or a read that assumed the role again
    // would be a fault of the credentials handle, whatever the timings.
    assert_eq!(before, after_setup, "AssumeRole during the scans");
    assert_eq!(total, before, "AssumeRole during the reads");
    println!(
        "{reads} object reads through the connection's scope in {:?}: {} AssumeRole call(s) during them, {total} in the whole run",
        start.elapsed(),
        total - before
    );
}

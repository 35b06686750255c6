//! What concurrency buys `VALIDATE CONNECTION`, against the ministack emulator.
//!
//! - `one_connection`: validating one assume-role connection with today's probes
//!   (`Validator::validate`: the probe with the external ID and its `GetCallerIdentity`,
//!   and the six negative probes of the attacker model, all concurrent) vs. the three
//!   probes VALIDATE used to send (with, without, one random external ID), concurrent too
//!   vs. those three one after another. The first two in one run give the cost of the
//!   attacker model: the target is a ratio of at most 1.1 with a round trip.
//! - `fifty_connections`: 50 connections validated concurrently vs. one after another.
//!
//! Each runs twice: straight to the emulator on loopback (where the emulator's own
//! Python CPU time dominates), and through a proxy that delays every answer by 10 ms,
//! like a network round trip to AWS — the case the concurrency is for.
//!
//! `cargo bench -p airlock-aws --bench validate`

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use airlock_aws::{AwsConfig, ResolvedConnection, Status, Validator};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

use support::{Ministack, principal_arn, secure_condition, trust_policy};

const SIMULATED_RTT: Duration = Duration::from_millis(10);
const CONNECTIONS: usize = 50;

/// A loopback TCP proxy that holds every chunk from the server for `delay` before passing
/// it on: each response arrives one simulated round trip late, requests go straight.
async fn delaying_proxy(upstream: SocketAddr, delay: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                // Without these, Nagle's algorithm and delayed ACKs add their own 40 ms.
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                // Timestamped chunks, so a response in several chunks is late once.
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = server_read.read(&mut buf).await {
                        if n == 0
                            || tx
                                .send((Instant::now() + delay, buf[..n].to_vec()))
                                .is_err()
                        {
                            break;
                        }
                    }
                });
                while let Some((due, chunk)) = rx.recv().await {
                    tokio::time::sleep_until(due.into()).await;
                    if client_write.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// Everything one network setting needs: connections whose roles pass, a warmed-up
/// validator, and a client signed as the principal for the sequential variant.
struct Setup {
    conns: Vec<ResolvedConnection>,
    validator: Arc<Validator>,
    principal_client: aws_sdk_sts::Client,
}

async fn setup(ms: &Ministack, endpoint: &str, tag: &str) -> Setup {
    let iam = ms.iam().await;
    let mut conns = Vec::new();
    for i in 0..CONNECTIONS {
        let external_id = format!("mz_bench_{tag}_u{i}");
        let role = support::create_role(
            &iam,
            &format!("Bench{tag}{i}"),
            &trust_policy(&principal_arn(), Some(secure_condition(&external_id))),
        )
        .await;
        conns.push(ResolvedConnection::assume_role(role, external_id).with_endpoint(endpoint));
    }
    // The emulator and the delaying proxy are not AWS: listed, as an operator would.
    let listed = airlock_aws::AllowedEndpoints::parse(&format!("{},{endpoint}", ms.endpoint))
        .expect("loopback URLs");
    let validator = Arc::new(Validator::new(
        &AwsConfig::new(ms.base_config().await).with_allowed_endpoints(&listed),
    ));
    // Warm-up: the principal session is established once and then shared, as in a
    // running engine; the figures measure the probes.
    let report = validator.validate(&conns[0], Some(&principal_arn())).await;
    assert_eq!(report.status, Status::Ok, "{report:#?}");

    let root = aws_sdk_sts::Client::new(&ms.base_config().await);
    let session = root
        .assume_role()
        .role_arn(principal_arn())
        .role_session_name("airlock")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let principal = Credentials::new(
        session.access_key_id,
        session.secret_access_key,
        Some(session.session_token),
        None,
        "bench",
    );
    let config = aws_sdk_sts::config::Builder::from(&ms.base_config().await)
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(principal))
        .build();
    Setup {
        conns,
        validator,
        principal_client: aws_sdk_sts::Client::from_conf(config),
    }
}

/// The three probes VALIDATE used to send, concurrently as it sent them: assume with the
/// external ID then `GetCallerIdentity`, without an external ID, with a random one.
async fn old_three_probes(client: &aws_sdk_sts::Client, conn: &ResolvedConnection) {
    let airlock_aws::ResolvedAuth::AssumeRole(target) = &conn.auth else {
        unreachable!()
    };
    let refused = |external_id: Option<String>| async move {
        let refused = client
            .assume_role()
            .role_arn(&target.role_arn)
            .role_session_name("airlock")
            .set_external_id(external_id)
            .send()
            .await;
        assert!(refused.is_err(), "the secure policy must refuse");
    };
    let with = async {
        let assumed = client
            .assume_role()
            .role_arn(&target.role_arn)
            .role_session_name("airlock")
            .external_id(&target.external_id)
            .send()
            .await
            .expect("probe 1")
            .credentials
            .unwrap();
        let as_role = Credentials::new(
            assumed.access_key_id,
            assumed.secret_access_key,
            Some(assumed.session_token),
            None,
            "bench",
        );
        client
            .get_caller_identity()
            .customize()
            .config_override(
                aws_sdk_sts::config::Builder::default()
                    .credentials_provider(SharedCredentialsProvider::new(as_role)),
            )
            .send()
            .await
            .expect("probe 1 identity");
    };
    tokio::join!(
        with,
        refused(None),
        refused(Some(format!("airlock-probe-{}", uuid::Uuid::new_v4())))
    );
}

/// The old probes for one connection, one after another.
async fn probes_sequentially(client: &aws_sdk_sts::Client, conn: &ResolvedConnection) {
    let airlock_aws::ResolvedAuth::AssumeRole(target) = &conn.auth else {
        unreachable!()
    };
    let assumed = client
        .assume_role()
        .role_arn(&target.role_arn)
        .role_session_name("airlock")
        .external_id(&target.external_id)
        .send()
        .await
        .expect("probe 1")
        .credentials
        .unwrap();
    let as_role = Credentials::new(
        assumed.access_key_id,
        assumed.secret_access_key,
        Some(assumed.session_token),
        None,
        "bench",
    );
    client
        .get_caller_identity()
        .customize()
        .config_override(
            aws_sdk_sts::config::Builder::default()
                .credentials_provider(SharedCredentialsProvider::new(as_role)),
        )
        .send()
        .await
        .expect("probe 1 identity");
    for external_id in [None, Some("airlock-probe-wrong".to_owned())] {
        let refused = client
            .assume_role()
            .role_arn(&target.role_arn)
            .role_session_name("airlock")
            .set_external_id(external_id)
            .send()
            .await;
        assert!(refused.is_err(), "the secure policy must refuse");
    }
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let ms = Ministack::start();
    rt.block_on(async {
        let iam = ms.iam().await;
        let root = format!("arn:aws:iam::{}:root", support::ACCOUNT);
        support::create_role(&iam, support::PRINCIPAL_ROLE, &trust_policy(&root, None)).await;
        iam.put_role_policy()
            .role_name(support::PRINCIPAL_ROLE)
            .policy_name("assume")
            .policy_document(support::assume_any_role_policy())
            .send()
            .await
            .unwrap();
    });
    let upstream: SocketAddr = ms.endpoint.trim_start_matches("http://").parse().unwrap();
    let proxy = rt.block_on(delaying_proxy(upstream, SIMULATED_RTT));
    let networks = [
        ("loopback", ms.endpoint.clone()),
        ("rtt_10ms", format!("http://{proxy}")),
    ];
    let principal = principal_arn();

    for (network, endpoint) in &networks {
        let s = rt.block_on(setup(&ms, endpoint, network.replace('_', "").as_str()));

        let mut group = c.benchmark_group("one_connection");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        group.bench_function(BenchmarkId::new("attacker_model_probes", network), |b| {
            b.to_async(&rt).iter(|| async {
                let report = s.validator.validate(&s.conns[0], Some(&principal)).await;
                assert_eq!(report.status, Status::Ok);
            })
        });
        group.bench_function(BenchmarkId::new("old_three_probes", network), |b| {
            b.to_async(&rt)
                .iter(|| old_three_probes(&s.principal_client, &s.conns[0]))
        });
        group.bench_function(BenchmarkId::new("sequential_probes", network), |b| {
            b.to_async(&rt)
                .iter(|| probes_sequentially(&s.principal_client, &s.conns[0]))
        });
        group.finish();

        let mut group = c.benchmark_group("fifty_connections");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(5));
        group.bench_function(BenchmarkId::new("concurrent", network), |b| {
            b.to_async(&rt).iter(|| async {
                let mut tasks = tokio::task::JoinSet::new();
                for conn in &s.conns {
                    let (validator, conn, principal) =
                        (s.validator.clone(), conn.clone(), principal.clone());
                    tasks.spawn(async move { validator.validate(&conn, Some(&principal)).await });
                }
                while let Some(report) = tasks.join_next().await {
                    assert_eq!(report.unwrap().status, Status::Ok);
                }
            })
        });
        group.bench_function(BenchmarkId::new("sequential", network), |b| {
            b.to_async(&rt).iter(|| async {
                for conn in &s.conns {
                    let report = s.validator.validate(conn, Some(&principal)).await;
                    assert_eq!(report.status, Status::Ok);
                }
            })
        });
        group.finish();
    }
    drop(ms);
}

criterion_group!(benches, bench);
criterion_main!(benches);

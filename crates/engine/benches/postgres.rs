//! The engine on a PostgreSQL catalog against plain SQL on the same database, through
//! the same client library, side by side on one throwaway PostgreSQL 15 server (Unix
//! socket, `fsync = off`, as every test server here):
//!
//! - `create_connection/{airlock,plain_sql}`: `CREATE CONNECTION` statements through the
//!   engine (parse, plan, privilege check, the catalog's write lock, one commit each)
//!   against the same rows — objects, connections, aws_connections with the external ID
//!   and trust policy, the owner's privilege — written by plain `INSERT`s in one
//!   transaction per connection. Target: airlock ≥ 0.7 × plain.
//! - `design_doc_query_100k/{airlock,direct}`: the design document's JOIN over 100,000
//!   connections, through the engine (parse, check, run on PostgreSQL) against the same
//!   query sent straight to PostgreSQL. Target: airlock ≤ 1.2 × direct. A third case,
//!   `catalog_only`, runs the query through the catalog's query path without the engine
//!   (no parse or check), to show where the difference goes.
//!
//! - `credentials_handle_call/{postgres,sqlite_file,read_from_catalog}`: a credentials
//!   handle's call when nothing changed, on PostgreSQL (the node's change watch, no
//!   query) and on a SQLite file (`PRAGMA data_version`), and one read of the connection
//!   from PostgreSQL, which is what a call costs after a change (see
//!   [`credentials_calls`]).
//!
//! After criterion's groups, a bench run (`cargo bench -p airlock-engine --bench
//! postgres`) prints both ratios from one interleaved run: 10 rounds of 1,000 creates
//! per side (10,000 each) and 50 alternating queries per side, medians.

use std::hint::black_box;
use std::time::{Duration, Instant};

use airlock_engine::catalog::{CatalogConfig, SecretBackend, SecretKey};
use airlock_engine::{Engine, EngineConfig, Session};
use airlock_testkit::postgres::Server;
use criterion::{Criterion, Throughput};

const PRINCIPAL: &str = "arn:aws:iam::123456789012:role/AirlockConnection";
const ROLE: &str = "arn:aws:iam::001234567890:role/Reader";
const ROUND: usize = 1_000;
const QUERY: &str = "SELECT principal, external_id FROM mz_aws_connections aws JOIN mz_connections c ON aws.id = c.id WHERE c.name = 'aws_conn_77777'";
const DIRECT_QUERY: &str = "SELECT principal, external_id FROM mz_internal.mz_aws_connections aws JOIN mz_catalog.mz_connections c ON aws.id = c.id WHERE c.name = 'aws_conn_77777'";

fn engine(url: &str) -> Engine {
    let config = EngineConfig {
        catalog: CatalogConfig {
            aws_principal: Some(PRINCIPAL.to_owned()),
            secrets: SecretBackend::EmbeddedWithKey(SecretKey::generate()),
            ..CatalogConfig::default()
        },
        ..EngineConfig::default()
    };
    Engine::open(url, config).expect("open the PostgreSQL catalog")
}

/// `count` CREATE CONNECTION statements named from `*next` on.
fn airlock_creates(session: &mut Session, next: &mut u64, count: usize) {
    for _ in 0..count {
        *next += 1;
        let sql = format!("CREATE CONNECTION a{next} TO AWS (ASSUME ROLE ARN = '{ROLE}')");
        let results = session.execute(black_box(&sql));
        assert!(results[0].is_ok(), "{:?}", results[0]);
    }
}

/// The rows of `count` such connections by plain SQL, one transaction each.
fn plain_creates(client: &mut postgres::Client, prefix: &uuid::Uuid, next: &mut u64, count: usize) {
    for _ in 0..count {
        *next += 1;
        let mut tx = client.transaction().expect("begin");
        let id: i64 = tx
            .query_one("SELECT nextval('airlock.id_sequence')", &[])
            .expect("nextval")
            .get(0);
        let name = format!("p{next}");
        let sql = format!("CREATE CONNECTION {name} TO AWS (ASSUME ROLE ARN = '{ROLE}')");
        let ext = airlock_engine::core::aws::external_id(
            prefix,
            airlock_engine::core::ConnectionId(u64::try_from(id).expect("positive")),
        );
        let policy = airlock_engine::core::aws::example_trust_policy(PRINCIPAL, &ext);
        tx.execute(
            "INSERT INTO airlock.objects (id, kind, name, created_at, owner_id) VALUES ($1, 'connection', $2, now(), 's1')",
            &[&id, &name],
        )
        .expect("objects");
        tx.execute(
            "INSERT INTO airlock.object_privileges (object_id, grantee, grantor, privileges) VALUES ($1, 's1', 's1', 'U')",
            &[&id],
        )
        .expect("privileges");
        tx.execute(
            "INSERT INTO airlock.connections (id, type, create_sql, redacted_create_sql) VALUES ($1, 'aws', $2, $2)",
            &[&id, &sql],
        )
        .expect("connections");
        tx.execute(
            "INSERT INTO airlock.aws_connections (id, assume_role_arn, principal, external_id, example_trust_policy) VALUES ($1, $2, $3, $4, $5)",
            &[&id, &ROLE, &PRINCIPAL, &ext, &policy],
        )
        .expect("aws_connections");
        tx.commit().expect("commit");
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let server = Server::start();
    let mut criterion = Criterion::default().configure_from_args();

    // ---- CREATE CONNECTION ----
    let url = server.create_database("creates");
    let engine_a = engine(&url);
    let mut session = engine_a.session();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("client");
    let prefix = engine_a
        .session()
        .execute("SELECT 1")
        .first()
        .map(|_| ())
        .map(|()| {
            let row = client
                .query_one("SELECT external_id_prefix FROM airlock.settings", &[])
                .expect("prefix");
            row.get::<_, String>(0).parse::<uuid::Uuid>().expect("uuid")
        })
        .expect("prefix");
    let (mut next_a, mut next_p) = (0u64, 0u64);
    {
        let mut group = criterion.benchmark_group("create_connection");
        group.throughput(Throughput::Elements(1)).sample_size(20);
        group.bench_function("airlock", |b| {
            b.iter(|| airlock_creates(&mut session, &mut next_a, 1))
        });
        group.bench_function("plain_sql", |b| {
            b.iter(|| plain_creates(&mut client, &prefix, &mut next_p, 1))
        });
        group.finish();
    }
    let rounds = if benching { 10 } else { 1 };
    let per_round = if benching { ROUND } else { 10 };
    let (mut airlock, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        airlock_creates(&mut session, &mut next_a, per_round);
        airlock.push(start.elapsed());
        let start = Instant::now();
        plain_creates(&mut client, &prefix, &mut next_p, per_round);
        plain.push(start.elapsed());
    }
    let (a, p) = (median(airlock), median(plain));
    println!(
        "create_connection: {} rounds of {per_round} per side; median round airlock {a:?}, plain SQL {p:?}; airlock throughput = {:.2} x plain (target >= 0.7)",
        rounds,
        p.as_secs_f64() / a.as_secs_f64()
    );

    // ---- the design-doc JOIN over 100,000 connections ----
    let url = server.create_database("query");
    let engine_q = engine(&url);
    let mut session = engine_q.session();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("client");
    let n: i64 = if benching { 100_000 } else { 1_000 };
    client
        .batch_execute(&format!(
            "BEGIN;
             INSERT INTO airlock.objects (id, kind, name, created_at, owner_id)
                 SELECT g, 'connection', 'aws_conn_' || g, now(), 's1' FROM generate_series(1, {n}) g;
             INSERT INTO airlock.connections (id, type, create_sql, redacted_create_sql)
                 SELECT g, 'aws', 'CREATE CONNECTION …', 'CREATE CONNECTION …' FROM generate_series(1, {n}) g;
             INSERT INTO airlock.aws_connections (id, assume_role_arn, principal, external_id, example_trust_policy)
                 SELECT g, '{ROLE}', '{PRINCIPAL}', 'mz_{prefix}_u' || g, '{{}}' FROM generate_series(1, {n}) g;
             SELECT setval('airlock.id_sequence', {n});
             COMMIT;
             ANALYZE;"
        ))
        .expect("load");
    let expect = usize::from(n >= 77_777);
    let airlock_query = |session: &mut Session| {
        let results = session.execute(black_box(QUERY));
        let rows = results[0]
            .as_ref()
            .expect("query")
            .rows()
            .expect("rows")
            .rows
            .len();
        assert_eq!(rows, expect);
    };
    let direct_query = |client: &mut postgres::Client| {
        let rows = client.simple_query(black_box(DIRECT_QUERY)).expect("query");
        let n = rows
            .iter()
            .filter(|m| matches!(m, postgres::SimpleQueryMessage::Row(_)))
            .count();
        assert_eq!(n, expect);
    };
    {
        let mut group = criterion.benchmark_group("design_doc_query_100k");
        group.bench_function("airlock", |b| b.iter(|| airlock_query(&mut session)));
        group.bench_function("direct", |b| b.iter(|| direct_query(&mut client)));
        // The catalog's own query path without the engine in front: where the cost is.
        let catalog = airlock_engine::catalog::Catalog::open(
            &url,
            CatalogConfig {
                secrets: SecretBackend::EmbeddedWithKey(SecretKey::generate()),
                ..CatalogConfig::default()
            },
        )
        .expect("catalog");
        group.bench_function("catalog_only", |b| {
            b.iter(|| {
                let rows = catalog.query(black_box(DIRECT_QUERY)).expect("query");
                assert_eq!(rows.rows.len(), expect);
            })
        });
        group.finish();
    }
    let runs = if benching { 50 } else { 2 };
    let (mut airlock, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        airlock_query(&mut session);
        airlock.push(start.elapsed());
        let start = Instant::now();
        direct_query(&mut client);
        direct.push(start.elapsed());
    }
    let (a, d) = (median(airlock), median(direct));
    println!(
        "design_doc_query over {n} connections: {runs} alternating runs per side; median airlock {a:?}, direct {d:?}; airlock = {:.2} x direct (target <= 1.2)",
        a.as_secs_f64() / d.as_secs_f64()
    );

    // ---- A credentials handle's call ----
    credentials_calls(&mut criterion, &server);

    criterion.final_summary();
    drop((session, engine_q, engine_a, client));
    drop(server);
}

/// `CredentialsHandle::credentials` of an access-key connection (no AWS call: what is
/// measured is how the handle learns that the catalog has not changed) on a PostgreSQL
/// catalog — its node's change watch — against the same on a SQLite file, whose watch
/// is `PRAGMA data_version`. `read_from_catalog` is one read of the connection from
/// PostgreSQL (`Engine::credentials`, a new handle): what a call costs whenever the
/// catalog did change, and what every call cost before the watch.
fn credentials_calls(criterion: &mut Criterion, server: &Server) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let on_file =
        Engine::open(dir.path().join("catalog.db"), EngineConfig::default()).expect("file");
    let on_postgres = engine(&server.create_database("handles"));
    let mut group = criterion.benchmark_group("credentials_handle_call");
    for (name, engine) in [("postgres", &on_postgres), ("sqlite_file", &on_file)] {
        for result in engine.session().execute(
            "CREATE SECRET k AS 'bench-secret-key';
             CREATE CONNECTION keys TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET k)",
        ) {
            result.expect("setup");
        }
        let handle = engine.credentials("keys").expect("handle");
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(handle.credentials()).expect("credentials"))
        });
    }
    group.bench_function("read_from_catalog", |b| {
        b.iter(|| on_postgres.credentials(black_box("keys")).expect("handle"))
    });
    group.finish();
}

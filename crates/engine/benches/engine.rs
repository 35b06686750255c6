//! Engine benchmarks, each side by side with raw SQLite in the same run:
//!
//! - `create_connection_10k`: a script of 10,000 `CREATE CONNECTION` statements through
//!   the engine (parse + plan + one durable commit each) vs. raw rusqlite writing the same
//!   rows into the same schema with the same durability (one commit per connection), and
//!   vs. raw rusqlite in a single transaction (the floor).
//! - `design_doc_query_100k`: the design document's JOIN query over 100,000
//!   connections, through the engine (parse, check, rewrite, run on the read-only
//!   connection) vs. the same query prepared directly on the catalog file.
//! - `secret_value_512kib`: the largest secret Materialize and Airlock accept, from a
//!   `bytea` expression (`repeat('x', 524288)::bytea`: parse, evaluate, encrypt, one
//!   durable commit), and the worst expression under the 4 MiB statement bound that is
//!   refused for its size (`repeat(repeat('x', 1000000), 1000000)::bytea`), which must cost
//!   no more than its bound (2 MiB of intermediate values) — vs. raw rusqlite storing a
//!   512 KiB blob.
//!
//! `cargo bench -p airlock-engine`

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use airlock_engine::catalog::{Catalog, CatalogConfig, NewConnection};
use airlock_engine::core::aws::{AwsAssumeRole, AwsAuth, AwsConnection, example_trust_policy};
use airlock_engine::{Engine, EngineConfig};
use criterion::{Criterion, criterion_group, criterion_main};

const STATEMENTS: usize = 10_000;
const QUERY_CONNECTIONS: usize = 100_000;
const PRINCIPAL: &str = "arn:aws:iam::123456789012:role/AirlockConnection";

fn arn(i: usize) -> String {
    format!("arn:aws:iam::001234567890:role/Reader{i}")
}

fn script() -> String {
    (0..STATEMENTS)
        .map(|i| {
            format!(
                "CREATE CONNECTION aws_conn_{i} TO AWS (ASSUME ROLE ARN = '{}')",
                arn(i)
            )
        })
        .collect::<Vec<_>>()
        .join(";\n")
}

fn fresh_catalog(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("catalog.db");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(dir.join("catalog.db-wal"));
    let config = CatalogConfig {
        aws_principal: Some(PRINCIPAL.to_owned()),
        ..CatalogConfig::default()
    };
    drop(Catalog::open(&path, config).expect("create catalog"));
    path
}

/// Writes connection `i` the way the catalog stores it, with plain SQL.
fn raw_insert(conn: &rusqlite::Connection, prefix: &uuid::Uuid, i: usize) {
    let id: i64 = conn
        .query_row(
            "UPDATE id_sequence SET next_id = next_id + 1 RETURNING next_id - 1",
            [],
            |r| r.get(0),
        )
        .expect("id");
    let name = format!("aws_conn_{i}");
    let external = format!("mz_{prefix}_u{id}");
    let sql = format!(
        "CREATE CONNECTION {name} TO AWS (ASSUME ROLE ARN = '{}')",
        arn(i)
    );
    conn.execute(
        "INSERT INTO objects (id, kind, name, created_at) VALUES (?1, 'connection', ?2, '2026-11-22 00:00:00+00')",
        rusqlite::params![id, name],
    )
    .expect("objects");
    conn.execute(
        "INSERT INTO connections (id, type, create_sql, redacted_create_sql) VALUES (?1, 'aws', ?2, ?2)",
        rusqlite::params![id, sql],
    )
    .expect("connections");
    conn.execute(
        "INSERT INTO aws_connections (id, assume_role_arn, principal, external_id, example_trust_policy) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![id, arn(i), PRINCIPAL, external, example_trust_policy(PRINCIPAL, &external)],
    )
    .expect("aws_connections");
}

fn raw_connection(path: &Path) -> (rusqlite::Connection, uuid::Uuid) {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("synchronous");
    conn.pragma_update(None, "foreign_keys", "ON")
        .expect("foreign keys");
    let prefix: String = conn
        .query_row("SELECT external_id_prefix FROM settings", [], |r| r.get(0))
        .expect("prefix");
    (conn, prefix.parse().expect("uuid"))
}

/// Times `run` on a fresh catalog per iteration; the catalog's creation is not timed.
fn time_on_fresh_catalogs(
    dir: &Path,
    iters: u64,
    mut run: impl FnMut(&Path) -> Duration,
) -> Duration {
    (0..iters).map(|_| run(&fresh_catalog(dir))).sum()
}

fn create_connection(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = script();
    let mut group = c.benchmark_group("create_connection_10k");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("engine", |b| {
        b.iter_custom(|iters| {
            time_on_fresh_catalogs(dir.path(), iters, |path| {
                let engine = Engine::open(path, EngineConfig::default()).expect("open");
                let mut session = engine.session();
                let start = Instant::now();
                let results = session.execute(black_box(&script));
                let elapsed = start.elapsed();
                assert!(results.iter().all(Result::is_ok) && results.len() == STATEMENTS);
                elapsed
            })
        })
    });
    group.bench_function("raw_rusqlite_commit_each", |b| {
        b.iter_custom(|iters| {
            time_on_fresh_catalogs(dir.path(), iters, |path| {
                let (conn, prefix) = raw_connection(path);
                let start = Instant::now();
                for i in 0..STATEMENTS {
                    conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
                    raw_insert(&conn, &prefix, i);
                    conn.execute_batch("COMMIT").expect("commit");
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("raw_rusqlite_one_transaction", |b| {
        b.iter_custom(|iters| {
            time_on_fresh_catalogs(dir.path(), iters, |path| {
                let (conn, prefix) = raw_connection(path);
                let start = Instant::now();
                conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
                for i in 0..STATEMENTS {
                    raw_insert(&conn, &prefix, i);
                }
                conn.execute_batch("COMMIT").expect("commit");
                start.elapsed()
            })
        })
    });
    group.finish();
}

fn design_doc_query(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.db");
    {
        let config = CatalogConfig {
            aws_principal: Some(PRINCIPAL.to_owned()),
            ..CatalogConfig::default()
        };
        let mut catalog = Catalog::open(&path, config).expect("create");
        let mut txn = catalog.begin().expect("begin");
        for i in 0..QUERY_CONNECTIONS {
            let aws = AwsConnection {
                endpoint: None,
                region: None,
                sts: Default::default(),
                auth: AwsAuth::AssumeRole(AwsAssumeRole {
                    arn: arn(i),
                    session_name: None,
                    session_duration: None,
                }),
                scope: None,
            };
            let name = format!("aws_conn_{i}");
            let sql = format!(
                "CREATE CONNECTION {name} TO AWS (ASSUME ROLE ARN = '{}')",
                arn(i)
            );
            txn.create_connection(&NewConnection {
                name: &name,
                aws: &aws,
                create_sql: &sql,
                redacted_create_sql: &sql,
            })
            .expect("create");
        }
        txn.commit().expect("commit");
    }
    let query = "SELECT principal, external_id FROM mz_aws_connections aws JOIN mz_connections c ON aws.id = c.id WHERE c.name = 'aws_conn_77777'";

    let engine = Engine::open(&path, EngineConfig::default()).expect("open");
    let mut session = engine.session();
    let raw =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("raw");

    let mut group = c.benchmark_group("design_doc_query_100k");
    group.bench_function("engine", |b| {
        b.iter(|| {
            let results = session.execute(black_box(query));
            let rows = results[0]
                .as_ref()
                .expect("query")
                .rows()
                .expect("rows")
                .rows
                .len();
            assert_eq!(rows, 1);
        })
    });
    group.bench_function("raw_rusqlite", |b| {
        b.iter(|| {
            let mut stmt = raw.prepare(black_box(query)).expect("prepare");
            let rows: Vec<(Option<String>, Option<String>)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            assert_eq!(rows.len(), 1);
        })
    });
    group.finish();
}

fn secret_value(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fresh_catalog(dir.path());
    let engine = Engine::open(&path, EngineConfig::default()).expect("open");
    let mut session = engine.session();
    let mut group = c.benchmark_group("secret_value_512kib");
    group.sample_size(20);
    group.bench_function("engine_create_and_drop", |b| {
        b.iter(|| {
            let results = session.execute(black_box(
                "CREATE SECRET big AS repeat('x', 524288)::bytea; DROP SECRET big",
            ));
            assert!(results.iter().all(Result::is_ok));
        })
    });
    group.bench_function("engine_refuses_unbounded", |b| {
        b.iter(|| {
            let results = session.execute(black_box(
                "CREATE SECRET big AS repeat(repeat('x', 1000000), 1000000)::bytea",
            ));
            assert!(results[0].is_err());
        })
    });
    let raw = rusqlite::Connection::open(dir.path().join("raw.db")).expect("raw");
    raw.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (v BLOB)",
    )
    .expect("schema");
    let blob = vec![b'x'; 512 << 10];
    group.bench_function("raw_rusqlite_blob", |b| {
        b.iter(|| {
            raw.execute("INSERT INTO t (v) VALUES (?1)", [black_box(&blob)])
                .expect("insert");
            raw.execute("DELETE FROM t", []).expect("delete");
        })
    });
    group.finish();
}

criterion_group!(benches, create_connection, design_doc_query, secret_value);
criterion_main!(benches);

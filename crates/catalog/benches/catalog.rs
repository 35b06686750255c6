//! The catalog API against raw rusqlite writing the same rows.
//!
//! `cargo bench -p airlock-catalog` runs, side by side:
//! - `create_10k_in_one_txn/{api,raw}`: 10,000 assume-role connections (external ID and
//!   trust policy computed for each) in one transaction. Target: api ≥ 50 % of raw.
//! - `durable_commit_per_connection/{api,raw_txn,raw_autocommit_one_row}`: one durable
//!   commit per connection (WAL, `synchronous = FULL`), against raw SQLite writing the
//!   same three rows in one transaction each, and against the floor of one autocommit
//!   `INSERT` of one row.
//!
//! Every iteration starts from a fresh catalog file; creating it is not timed.

use std::hint::black_box;
use std::time::Duration;

use airlock_catalog::{
    Catalog, CatalogConfig, MIGRATIONS, NewConnection, SecretBackend, SecretKey, Txn,
};
use airlock_core::ConnectionId;
use airlock_core::aws::{AwsAssumeRole, AwsAuth, AwsConnection, example_trust_policy, external_id};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rusqlite::params;

const BULK: u64 = 10_000;
const DURABLE: u64 = 100;
const PRINCIPAL: &str = "arn:aws:iam::123456789012:role/AirlockConnection";
const SQL: &str = "CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader', REGION = 'us-east-1')";

fn model() -> AwsConnection {
    AwsConnection {
        endpoint: None,
        region: Some("us-east-1".to_owned()),
        sts: Default::default(),
        auth: AwsAuth::AssumeRole(AwsAssumeRole {
            arn: "arn:aws:iam::001234567890:role/Reader".to_owned(),
            session_name: None,
            session_duration: None,
        }),
        scope: None,
    }
}

fn fresh_catalog() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let config = CatalogConfig {
        aws_principal: Some(PRINCIPAL.to_owned()),
        secrets: SecretBackend::EmbeddedWithKey(SecretKey::from_hex(&"11".repeat(32)).unwrap()),
        ..CatalogConfig::default()
    };
    let catalog = Catalog::open(dir.path().join("bench.db"), config).unwrap();
    (dir, catalog)
}

/// The same file layout and settings the catalog uses, created with rusqlite alone.
fn fresh_raw() -> (tempfile::TempDir, rusqlite::Connection, uuid::Uuid) {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("raw.db")).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    for m in MIGRATIONS {
        conn.execute_batch(m.sql).unwrap();
    }
    let prefix = uuid::Uuid::new_v4();
    conn.execute(
        "INSERT INTO settings (singleton, environment_id, external_id_prefix, aws_principal) VALUES (1, ?1, ?2, ?3)",
        params![uuid::Uuid::new_v4().to_string(), prefix.to_string(), PRINCIPAL],
    )
    .unwrap();
    (dir, conn, prefix)
}

fn api_insert(txn: &mut Txn<'_>, aws: &AwsConnection, n: u64) {
    let name = format!("c{n}");
    let new = NewConnection {
        name: &name,
        aws,
        create_sql: SQL,
        redacted_create_sql: SQL,
    };
    black_box(txn.create_connection(&new).unwrap());
}

/// The rows `api_insert` writes, with the same derived values.
fn raw_insert(conn: &rusqlite::Connection, prefix: &uuid::Uuid, n: u64, now: &str) {
    let id = ConnectionId(n);
    let name = format!("c{n}");
    let ext = external_id(prefix, id);
    let policy = example_trust_policy(PRINCIPAL, &ext);
    conn.prepare_cached(
        "INSERT INTO objects (id, kind, name, created_at) VALUES (?1, 'connection', ?2, ?3)",
    )
    .unwrap()
    .execute(params![n as i64, name, now])
    .unwrap();
    conn.prepare_cached("INSERT INTO connections (id, type, create_sql, redacted_create_sql) VALUES (?1, 'aws', ?2, ?3)")
        .unwrap()
        .execute(params![n as i64, SQL, SQL])
        .unwrap();
    conn.prepare_cached(
        "INSERT INTO aws_connections (id, region, assume_role_arn, principal, external_id, example_trust_policy)
         VALUES (?1, 'us-east-1', 'arn:aws:iam::001234567890:role/Reader', ?2, ?3, ?4)",
    )
    .unwrap()
    .execute(params![n as i64, PRINCIPAL, ext, policy])
    .unwrap();
}

fn create_10k_in_one_txn(c: &mut Criterion) {
    let mut group = c.benchmark_group("create_10k_in_one_txn");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(16))
        .throughput(Throughput::Elements(BULK));
    let aws = model();

    group.bench_function("api", |b| {
        b.iter_batched(
            fresh_catalog,
            |(dir, mut catalog)| {
                let mut txn = catalog.begin().unwrap();
                for n in 0..BULK {
                    api_insert(&mut txn, &aws, n);
                }
                txn.commit().unwrap();
                (dir, catalog)
            },
            BatchSize::PerIteration,
        );
    });

    group.bench_function("raw", |b| {
        b.iter_batched(
            fresh_raw,
            |(dir, mut conn, prefix)| {
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .unwrap();
                let now = "2024-01-01 00:00:00+00";
                for n in 1..=BULK {
                    raw_insert(&tx, &prefix, n, now);
                }
                tx.execute("UPDATE id_sequence SET next_id = ?1", [BULK as i64 + 1])
                    .unwrap();
                tx.commit().unwrap();
                (dir, conn)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn durable_commit_per_connection(c: &mut Criterion) {
    let mut group = c.benchmark_group("durable_commit_per_connection");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(DURABLE));
    let aws = model();

    group.bench_function("api", |b| {
        b.iter_batched(
            fresh_catalog,
            |(dir, mut catalog)| {
                for n in 0..DURABLE {
                    let mut txn = catalog.begin().unwrap();
                    api_insert(&mut txn, &aws, n);
                    txn.commit().unwrap();
                }
                (dir, catalog)
            },
            BatchSize::PerIteration,
        );
    });

    group.bench_function("raw_txn", |b| {
        b.iter_batched(
            fresh_raw,
            |(dir, mut conn, prefix)| {
                for n in 1..=DURABLE {
                    let tx = conn
                        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                        .unwrap();
                    raw_insert(&tx, &prefix, n, "2024-01-01 00:00:00+00");
                    tx.execute("UPDATE id_sequence SET next_id = ?1", [n as i64 + 1])
                        .unwrap();
                    tx.commit().unwrap();
                }
                (dir, conn)
            },
            BatchSize::PerIteration,
        );
    });

    group.bench_function("raw_autocommit_one_row", |b| {
        b.iter_batched(
            fresh_raw,
            |(dir, conn, _prefix)| {
                for n in 1..=DURABLE {
                    conn.prepare_cached("INSERT INTO objects (id, kind, name, created_at) VALUES (?1, 'secret', ?2, '2024-01-01 00:00:00+00')")
                        .unwrap()
                        .execute(params![n as i64, format!("s{n}")])
                        .unwrap();
                }
                (dir, conn)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(
    benches,
    create_10k_in_one_txn,
    durable_commit_per_connection
);
criterion_main!(benches);

//! Parser benchmarks, each comparison side by side in one run:
//!
//! - `passthrough`: Airlock's parser vs. plain `sqlparser::Parser` on the same
//!   standard-SQL script — the cost of peeking for Airlock's statements (aim ≤ 5 %).
//! - `create_connection`: throughput on a script of 10,000 `CREATE CONNECTION`
//!   statements, beside sqlparser on 10,000 `CREATE TABLE` statements of similar length
//!   as a yardstick.
//!
//! `cargo bench -p airlock-parser`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

const STATEMENTS: usize = 10_000;

fn standard_sql_script() -> String {
    let shapes = [
        "SELECT principal, external_id FROM mz_aws_connections aws JOIN mz_connections c ON aws.id = c.id WHERE c.name = 'aws_conn_{i}'",
        "SELECT count(*) FROM mz_catalog.mz_connections WHERE created_at > '2026-01-01' GROUP BY type ORDER BY 1 LIMIT {i}",
        "INSERT INTO audit (id, name, at) VALUES ({i}, 'conn_{i}', now())",
        "CREATE TABLE t_{i} (id BIGINT PRIMARY KEY, name TEXT NOT NULL, created_at TIMESTAMPTZ)",
        "UPDATE audit SET name = 'x_{i}' WHERE id = {i} AND name LIKE 'conn%'",
    ];
    (0..STATEMENTS)
        .map(|i| shapes[i % shapes.len()].replace("{i}", &i.to_string()))
        .collect::<Vec<_>>()
        .join(";\n")
}

fn create_connection_script() -> String {
    (0..STATEMENTS)
        .map(|i| {
            format!(
                "CREATE CONNECTION aws_conn_{i} TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader{i}', \
                 ASSUME ROLE SESSION NAME = 'airlock', REGION = 'us-east-1')"
            )
        })
        .collect::<Vec<_>>()
        .join(";\n")
}

fn create_table_script() -> String {
    (0..STATEMENTS)
        .map(|i| {
            format!(
                "CREATE TABLE aws_conn_{i} (arn TEXT DEFAULT 'arn:aws:iam::001234567890:role/Reader{i}', \
                 session_name TEXT DEFAULT 'airlock', region TEXT)"
            )
        })
        .collect::<Vec<_>>()
        .join(";\n")
}

fn passthrough(c: &mut Criterion) {
    let script = standard_sql_script();
    let mut group = c.benchmark_group("passthrough");
    group.throughput(Throughput::Elements(STATEMENTS as u64));
    group.sample_size(20);
    group.bench_function("sqlparser", |b| {
        b.iter(|| Parser::parse_sql(&PostgreSqlDialect {}, black_box(&script)).expect("parses"))
    });
    group.bench_function("airlock", |b| {
        b.iter(|| airlock_parser::parse_statements(black_box(&script)).expect("parses"))
    });
    group.finish();
}

fn create_connection(c: &mut Criterion) {
    let connections = create_connection_script();
    let tables = create_table_script();
    let mut group = c.benchmark_group("create_connection");
    group.throughput(Throughput::Elements(STATEMENTS as u64));
    group.sample_size(20);
    group.bench_function("airlock_create_connection", |b| {
        b.iter(|| airlock_parser::parse_statements(black_box(&connections)).expect("parses"))
    });
    group.bench_function("sqlparser_create_table", |b| {
        b.iter(|| Parser::parse_sql(&PostgreSqlDialect {}, black_box(&tables)).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, passthrough, create_connection);
criterion_main!(benches);

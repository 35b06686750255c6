//! Start-to-exit time of a one-shot query, side by side with the `sqlite3` shell on the
//! same catalog file:
//!
//! - `airlock --catalog F -c 'SELECT count(*) FROM mz_connections'`
//! - `sqlite3 F 'SELECT count(*) FROM mz_connections'`
//!
//! Both processes open the same file, read the same view and print one number, so the
//! difference is what Airlock adds on top of SQLite: argument parsing, the catalog's
//! open-time checks (schema version, key file), parsing and planning the query, and
//! psql-style printing. The catalog holds 1,000 connections, created through the engine.
//!
//! `sqlite3` is Debian's package, installed by `scripts/install-test-deps.sh`; without it
//! this benchmark fails rather than silently measuring half of the comparison.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use airlock_engine::{Engine, EngineConfig};
use criterion::{Criterion, criterion_group, criterion_main};

const CONNECTIONS: usize = 1_000;
const QUERY: &str = "SELECT count(*) FROM mz_connections";

fn create_catalog(path: &Path) {
    let engine = Engine::open(path, EngineConfig::default()).expect("create the catalog");
    let mut session = engine.session();
    let script: String = (0..CONNECTIONS)
        .map(|i| {
            format!(
                "CREATE CONNECTION conn_{i} TO AWS \
                 (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/Reader{i}', REGION = 'us-east-1');\n"
            )
        })
        .collect();
    for result in session.execute(&script) {
        result.expect("create a connection");
    }
}

fn airlock(catalog: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .arg("--catalog")
        .arg(catalog)
        .args(["-A", "-t", "-c", QUERY])
        .output()
        .expect("run airlock")
}

fn sqlite3(catalog: &Path) -> Output {
    Command::new("sqlite3")
        .arg(catalog)
        .arg(QUERY)
        .output()
        .expect(
            "run sqlite3 (Debian's `sqlite3` package; scripts/install-test-deps.sh installs it)",
        )
}

/// Both programs must print the same count, or the comparison means nothing.
fn check(name: &str, output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim() == CONNECTIONS.to_string(),
        "{name} printed {stdout:?} (status {}, stderr {:?})",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn startup(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = dir.path().join("bench.db");
    create_catalog(&catalog);
    check("airlock", &airlock(&catalog));
    check("sqlite3", &sqlite3(&catalog));

    let mut group = c.benchmark_group("startup: count(*) over 1000 connections, start to exit");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("airlock -c", |b| b.iter(|| airlock(&catalog)));
    group.bench_function("sqlite3", |b| b.iter(|| sqlite3(&catalog)));
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);

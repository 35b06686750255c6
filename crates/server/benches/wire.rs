//! Latency over the wire against the same statements in-process, in one run, and the
//! server's peak RSS:
//!
//! - criterion's figures for a catalog query and a `CREATE SECRET`, through the real
//!   `airlock-server` process (tokio-postgres, one connection, simple query) and through
//!   `Session::execute` on an engine of the bench's own;
//! - the median and p99 of each over the same number of runs, printed side by side;
//! - the server's peak resident set (`VmHWM`) after the runs and 50 more connections.
//!
//! `cargo bench -p airlock-server --bench wire`

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use airlock_engine::{Engine, EngineConfig, NewUsers, Session};
use criterion::{Criterion, criterion_group, criterion_main};

const QUERY: &str =
    "SELECT name, id FROM mz_secrets WHERE name LIKE 'bench%' ORDER BY name LIMIT 10";
const RUNS: usize = 500;

struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    fn start() -> ServerProcess {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_airlock-server"))
            .args([
                "--auth",
                "trust",
                "--listen",
                "127.0.0.1:0",
                "--quiet",
                "--max-connections",
                "200",
                "--catalog",
            ])
            .arg(dir.path().join("catalog.db"))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let mut addr = None;
        for line in stderr.lines() {
            let line = line.unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                addr = rest.split(' ').next().map(|a| a.parse().unwrap());
                break;
            }
        }
        ServerProcess {
            child,
            addr: addr.expect("the server did not start"),
            _dir: dir,
        }
    }

    /// The process's peak resident set, from /proc.
    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The two ways to run a statement.
struct Sides {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    session: Session,
    _dir: tempfile::TempDir,
    next: usize,
}

impl Sides {
    fn wire(&mut self, sql: &str) {
        self.runtime
            .block_on(self.client.simple_query(sql))
            .unwrap();
    }

    fn in_process(&mut self, sql: &str) {
        for result in self.session.execute(sql) {
            result.unwrap();
        }
    }

    fn create(&mut self) -> String {
        self.next += 1;
        format!("CREATE SECRET bench_{} AS 'v'", self.next)
    }
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    )
}

fn bench(c: &mut Criterion) {
    let server = ServerProcess::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conninfo = format!(
        "host=127.0.0.1 port={} user=bench dbname=airlock",
        server.addr.port()
    );
    let client = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
    });
    let dir = tempfile::tempdir().unwrap();
    // As the server's users are by default (`--new-users superuser`).
    let config = EngineConfig {
        new_users: NewUsers::Superuser,
        ..EngineConfig::default()
    };
    let engine = Engine::open(dir.path().join("catalog.db"), config).unwrap();
    let mut sides = Sides {
        runtime,
        client,
        session: engine.session_for("bench"),
        _dir: dir,
        next: 0,
    };

    let mut group = c.benchmark_group("catalog_query");
    group.bench_function("wire", |b| b.iter(|| sides.wire(QUERY)));
    group.bench_function("in_process", |b| b.iter(|| sides.in_process(QUERY)));
    group.finish();
    let mut group = c.benchmark_group("create_secret");
    group.bench_function("wire", |b| {
        b.iter(|| {
            let sql = sides.create();
            sides.wire(&sql)
        })
    });
    group.bench_function("in_process", |b| {
        b.iter(|| {
            let sql = sides.create();
            sides.in_process(&sql)
        })
    });
    group.finish();

    // Median and p99 over the same runs, side by side.
    for (name, ddl) in [("catalog_query", false), ("create_secret", true)] {
        let mut wire = Vec::with_capacity(RUNS);
        let mut local = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let sql = if ddl {
                sides.create()
            } else {
                QUERY.to_owned()
            };
            let start = Instant::now();
            sides.wire(&sql);
            wire.push(start.elapsed());
            let sql = if ddl {
                sides.create()
            } else {
                QUERY.to_owned()
            };
            let start = Instant::now();
            sides.in_process(&sql);
            local.push(start.elapsed());
        }
        let (wm, w99) = percentiles(wire);
        let (lm, l99) = percentiles(local);
        println!(
            "{name}: wire median {wm:?} p99 {w99:?} | in-process median {lm:?} p99 {l99:?} ({RUNS} runs each)"
        );
    }

    // 50 more connections, each running the query once, then the peak RSS.
    sides.runtime.block_on(async {
        let mut clients = Vec::new();
        for _ in 0..50 {
            let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            client.simple_query(QUERY).await.unwrap();
            clients.push(client);
        }
    });
    if let Some(kib) = server.peak_rss_kib() {
        println!(
            "airlock-server peak RSS: {} MiB (51 connections, {} secrets)",
            kib / 1024,
            sides.next / 2
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);

//! What one slow catalog query costs everyone else, side by side with the same work on an
//! idle engine in the same run:
//!
//! - `other_call`: one credentials lookup (a new handle and its credentials) plus one
//!   small catalog query from another session, while a session runs a query that never
//!   ends on its own (`slow_query`) and while nothing else runs (`idle`). Besides
//!   criterion's figures, each side prints the slowest call it saw.
//! - a 10 ms ticker on a two-worker Tokio runtime while a task of the same runtime runs
//!   the slow query through `execute_async`: the worst lateness of a tick, with and
//!   without the slow query, printed.
//!
//! `cargo bench -p airlock-engine --bench contention`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use airlock_engine::{Engine, EngineConfig};
use criterion::{Criterion, criterion_group, criterion_main};

const SLOW: &str =
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";

fn engine(dir: &tempfile::TempDir) -> Engine {
    let engine = Engine::open(dir.path().join("catalog.db"), EngineConfig::default()).unwrap();
    for result in engine.session().execute(
        "CREATE SECRET shared AS 'wJalrXUtnFEMI/K7MDENG';
         CREATE CONNECTION keys TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET shared)",
    ) {
        result.unwrap();
    }
    engine
}

/// Runs the slow query over and over on a session of its own until dropped.
struct SlowQuery {
    stop: Arc<AtomicBool>,
    cancel: airlock_engine::CancelHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SlowQuery {
    fn start(engine: &Engine) -> SlowQuery {
        let mut session = engine.session();
        let cancel = session.cancel_handle();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                let _ = session.execute(SLOW);
            }
        });
        std::thread::sleep(Duration::from_millis(20));
        SlowQuery {
            stop,
            cancel,
            thread: Some(thread),
        }
    }
}

impl Drop for SlowQuery {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cancel.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn other_call(engine: &Engine, session: &mut airlock_engine::Session) {
    let handle = engine.credentials("keys").unwrap();
    handle.blocking_credentials().unwrap();
    let rows = session
        .execute("SELECT count(*) FROM mz_connections")
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(rows.rows().unwrap().rows.len(), 1);
}

fn contention(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&dir);
    let mut group = c.benchmark_group("other_call");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(3));
    for slow in [false, true] {
        let _running = slow.then(|| SlowQuery::start(&engine));
        let mut session = engine.session();
        let mut slowest = Duration::ZERO;
        group.bench_function(if slow { "slow_query" } else { "idle" }, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    other_call(&engine, &mut session);
                    let took = start.elapsed();
                    slowest = slowest.max(took);
                    total += took;
                }
                total
            })
        });
        eprintln!(
            "other_call/{}: slowest call {:.2} ms",
            if slow { "slow_query" } else { "idle" },
            slowest.as_secs_f64() * 1e3
        );
    }
    group.finish();

    for slow in [false, true] {
        let lateness = ticker_lateness(&engine, slow);
        eprintln!(
            "ticker/{}: worst lateness of a 10 ms tick {:.2} ms",
            if slow { "slow_query" } else { "idle" },
            lateness.as_secs_f64() * 1e3
        );
    }
}

/// The worst lateness of a 10 ms ticker over 100 ticks on a two-worker runtime, with or
/// without a task of the same runtime running the slow query.
fn ticker_lateness(engine: &Engine, slow: bool) -> Duration {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let session = engine.session();
        let cancel = session.cancel_handle();
        let query = slow.then(|| tokio::spawn(async move { session.execute_async(SLOW).await }));
        let period = Duration::from_millis(10);
        let mut worst = Duration::ZERO;
        let mut next = Instant::now() + period;
        for _ in 0..100 {
            tokio::time::sleep_until(next.into()).await;
            worst = worst.max(Instant::now().saturating_duration_since(next));
            next += period;
        }
        cancel.cancel();
        if let Some(query) = query {
            let _ = query.await;
        }
        worst
    })
}

criterion_group!(benches, contention);
criterion_main!(benches);

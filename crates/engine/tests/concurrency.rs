//! One engine under load from threads and async tasks at once, while one session runs a
//! slow catalog query: every call completes with the right answer, and the slow query
//! holds no lock that the others wait for (catalog queries run on read-only connections
//! of their own). Cancelling the slow query stops it.
//!
//! The latencies are a benchmark's business (`cargo bench -p airlock-engine --bench
//! contention`), not asserted here.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use airlock_engine::core::SqlState;
use airlock_engine::{Engine, EngineConfig, Session};

/// A query that runs until it is cancelled (or its 10 s timeout).
const SLOW: &str =
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";

const THREADS: usize = 8;
const TASKS: usize = 8;
const ROUNDS: usize = 12;

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

fn one(session: &mut Session, sql: &str) -> Vec<Vec<Option<String>>> {
    let result = session.execute(sql).pop().expect("a result");
    match result {
        Ok(result) => result.rows().map(|r| r.rows.clone()).unwrap_or_default(),
        Err(e) => panic!("{sql}: {e:?}"),
    }
}

/// The work of one worker `w`: DDL of its own, catalog queries that must see exactly
/// its own rows, and credentials of the shared connection.
fn round(session: &mut Session, engine: &Engine, w: &str, i: usize) {
    one(
        session,
        &format!(
            "CREATE CONNECTION {w}_{i} TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R{i}')"
        ),
    );
    let rows = one(
        session,
        &format!("SELECT count(*) FROM mz_connections WHERE name LIKE '{w}\\_%' ESCAPE '\\'"),
    );
    assert_eq!(rows, vec![vec![Some((i + 1).to_string())]], "{w} round {i}");
    let rows = one(
        session,
        &format!(
            "SELECT external_id LIKE '%' || c.id FROM mz_aws_connections a JOIN mz_connections c ON a.id = c.id WHERE c.name = '{w}_{i}'"
        ),
    );
    assert_eq!(rows, vec![vec![Some("t".to_owned())]]);
    let handle = engine.credentials("keys").unwrap();
    let credentials = handle.blocking_credentials().unwrap();
    assert_eq!(credentials.access_key_id(), "AKIAIOSFODNN7EXAMPLE");
}

#[test]
fn threads_and_tasks_share_one_engine_while_a_slow_query_runs() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&dir);

    // The slow query, on a session of its own.
    let mut slow_session = engine.session();
    let cancel = slow_session.cancel_handle();
    let started = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&started);
    let slow = std::thread::spawn(move || {
        flag.store(true, Ordering::SeqCst);
        slow_session.execute(SLOW).pop().unwrap()
    });
    while !started.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let engine = engine.clone();
            std::thread::spawn(move || {
                let mut session = engine.session();
                for i in 0..ROUNDS {
                    round(&mut session, &engine, &format!("t{t}"), i);
                }
            })
        })
        .collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let engine = engine.clone();
                tokio::spawn(async move {
                    let session = engine.session();
                    for i in 0..ROUNDS {
                        let w = format!("a{t}");
                        let created = session
                            .execute_async(&format!(
                                "CREATE CONNECTION {w}_{i} TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R{i}')"
                            ))
                            .await;
                        created.into_iter().for_each(|r| {
                            r.unwrap();
                        });
                        let counted = session
                            .execute_async(&format!(
                                "SELECT count(*) FROM mz_connections WHERE name LIKE '{w}\\_%' ESCAPE '\\'"
                            ))
                            .await
                            .pop()
                            .unwrap()
                            .unwrap();
                        assert_eq!(
                            counted.rows().unwrap().rows,
                            vec![vec![Some((i + 1).to_string())]]
                        );
                        let handle = engine.credentials_async("keys").await.unwrap();
                        let credentials = handle.credentials().await.unwrap();
                        assert_eq!(credentials.access_key_id(), "AKIAIOSFODNN7EXAMPLE");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("every task completes");
        }
    });
    for thread in threads {
        thread.join().expect("every thread completes");
    }

    // The slow query is still running: nothing above waited for it. Cancel it.
    assert!(
        !slow.is_finished(),
        "the slow query ended before the load did"
    );
    cancel.cancel();
    let err = slow.join().unwrap().unwrap_err();
    assert_eq!(err.code, SqlState::QueryCanceled);
    assert_eq!(err.message, "canceling statement due to user request");

    // Nothing lost, no duplicate id.
    let mut session = engine.session();
    let rows = one(
        &mut session,
        "SELECT count(*), count(DISTINCT id), count(DISTINCT external_id) FROM mz_aws_connections WHERE assume_role_arn IS NOT NULL",
    );
    let n = (THREADS + TASKS) * ROUNDS;
    assert_eq!(rows, vec![vec![Some(n.to_string()); 3]]);
}

#[test]
fn a_cancel_stops_a_running_query_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&dir);
    let mut session = engine.session();
    let cancel = session.cancel_handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        cancel.cancel();
    });
    let results = session.execute(&format!("{SLOW}; CREATE SECRET never AS 'x'"));
    canceller.join().unwrap();
    assert_eq!(
        results.len(),
        1,
        "the script stops at the cancelled statement"
    );
    assert_eq!(
        results[0].as_ref().unwrap_err().code,
        SqlState::QueryCanceled
    );
    // The cancel is spent: the next statement runs.
    assert_eq!(
        one(
            &mut session,
            "SELECT count(*) FROM mz_secrets WHERE name = 'never'"
        ),
        vec![vec![Some("0".to_owned())]]
    );
}

/// A cancel stops a VALIDATE that is waiting for AWS: the statement fails with 57014
/// (not with the inconclusive timeout it would reach later), and nothing is recorded.
#[test]
fn a_cancel_stops_a_validate_waiting_for_aws() {
    use airlock_engine::AwsSetup;
    use airlock_engine::aws::{AllowedEndpoints, AwsConfig};

    let silent = airlock_testkit::silent_endpoint();
    // Airlock's own identity and the connection both point at an endpoint that accepts
    // connections and never answers.
    let sdk = airlock_testkit::offline_sdk_config()
        .to_builder()
        .endpoint_url(&silent.endpoint)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(
        dir.path().join("catalog.db"),
        EngineConfig {
            aws: AwsSetup::Config(Box::new(
                AwsConfig::new(sdk)
                    .with_timeout(Duration::from_secs(30))
                    .with_max_attempts(1),
            )),
            aws_allowed_endpoints: AllowedEndpoints::parse(&silent.endpoint).unwrap(),
            ..EngineConfig::default()
        },
    )
    .unwrap();
    let mut session = engine.session();
    one(
        &mut session,
        &format!(
            "ALTER SYSTEM SET aws_principal = 'arn:aws:iam::000000000000:role/Airlock';
             CREATE CONNECTION c TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::001234567890:role/R', ENDPOINT = '{}')",
            silent.endpoint
        ),
    );
    let cancel = session.cancel_handle();
    let done = Arc::new(AtomicBool::new(false));
    let finished = Arc::clone(&done);
    // Cancels again until the statement returns: a cancel that lands before the script
    // starts is forgotten when it starts, as in PostgreSQL.
    let canceller = std::thread::spawn(move || {
        while !finished.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            cancel.cancel();
        }
    });
    let err = session
        .execute("VALIDATE CONNECTION c")
        .pop()
        .unwrap()
        .unwrap_err();
    done.store(true, Ordering::SeqCst);
    canceller.join().unwrap();
    assert_eq!(err.code, SqlState::QueryCanceled, "{err:?}");
    assert_eq!(
        one(
            &mut session,
            "SELECT count(*) FROM mz_aws_connection_validations"
        ),
        vec![vec![Some("0".to_owned())]]
    );
}

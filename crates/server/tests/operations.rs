//! Operations: the idle timeout, graceful shutdown on SIGTERM (idle sessions are told,
//! a running statement finishes, the catalog is whole), one log line per connection,
//! and the configuration checks.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{TestServer, connect, text};

#[tokio::test]
async fn idle_sessions_are_closed_after_the_idle_timeout() {
    let server = TestServer::trust(&["--idle-timeout", "1"]);
    let client = connect(&server.conninfo("alice")).await;
    client.query_one("SELECT 1", &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(client.query_one("SELECT 1", &[]).await.is_err());
    assert!(client.is_closed());
    let log = server.log_with("end=idle timeout");
    assert!(log.contains("end=idle timeout"), "{log}");
}

#[tokio::test]
async fn sigterm_lets_the_running_statement_finish_and_closes_idle_sessions() {
    let mut server = TestServer::trust(&["--shutdown-grace", "60"]);
    let idle = connect(&server.conninfo("alice")).await;
    idle.batch_execute("CREATE SECRET before AS 'x'")
        .await
        .unwrap();
    let busy = connect(&server.conninfo("bob")).await;
    // A finite statement that takes a moment.
    let running = tokio::spawn(async move {
        busy.query_one(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2000000) SELECT count(*) FROM r",
            &[],
        )
        .await
        .map(|row| row.get::<_, i64>(0))
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = tokio::task::spawn_blocking(move || {
        let status = server.terminate();
        (status, server)
    });
    assert_eq!(running.await.unwrap().unwrap(), 2_000_000);
    let (status, server) = status.await.unwrap();
    assert!(status.success(), "{status:?}");
    assert!(idle.query_one("SELECT 1", &[]).await.is_err());
    let log = server.stderr();
    assert!(log.contains("end=server shutdown"), "{log}");
    assert!(log.contains("shut down"), "{log}");

    // The catalog is whole: a new server on it sees the secret.
    let catalog = server.catalog();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&catalog, dir.path().join("catalog.db")).unwrap();
    for suffix in ["-wal", "-shm", ".key"] {
        let from = catalog.with_file_name(format!("catalog.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, dir.path().join(format!("catalog.db{suffix}"))).unwrap();
        }
    }
    drop(server);
    let again = TestServer::start_in(dir, &["--auth", "trust"]);
    let out = again.psql(
        "alice",
        &["-A", "-t", "-c", "SELECT name FROM mz_secrets"],
        "",
    );
    assert_eq!(text(&out.stdout), "before\n", "{}", text(&out.stderr));
}

#[test]
fn trust_is_refused_off_loopback_and_scram_needs_users() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c.db");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_airlock-server"))
            .arg("--catalog")
            .arg(&catalog)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--auth", "trust", "--listen", "0.0.0.0:0"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--auth trust is accepted only on a loopback address"));
    let out = run(&["--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--auth scram needs --users FILE"));
    let out = run(&[
        "--auth",
        "trust",
        "--listen",
        "127.0.0.1:0",
        "--require-tls",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--require-tls needs --tls-cert"));
}

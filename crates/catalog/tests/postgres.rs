//! The PostgreSQL backend against a real PostgreSQL 15 (a throwaway server on a Unix
//! socket, see `airlock_testkit::postgres`): many nodes on one catalog, secrets that
//! reach the database only encrypted, a newer schema refused, and a server that goes
//! away mid-stream. The catalog's semantics themselves are proven by the same
//! sqllogictest files as SQLite's (`cargo test -p airlock-engine --test slt_postgres`).

mod common;

use std::collections::BTreeSet;

use airlock_catalog::{
    Catalog, CatalogError, ChangeWatch, DropBehavior, NewConnection, ObjectKind,
};
use airlock_core::aws::StringOrSecret;
use airlock_core::{SecretString, SqlError, SqlState};
use airlock_testkit::postgres::Server;
use common::*;

fn open_pg(url: &str) -> Catalog {
    Catalog::open(url, config()).unwrap()
}

/// `psql -At -c sql` on database `db`.
fn psql(server: &Server, db: &str, sql: &str) -> String {
    psql_try(server, db, sql).unwrap_or_else(|stderr| panic!("{stderr}"))
}

/// [`psql`], with psql's error output as the error.
fn psql_try(server: &Server, db: &str, sql: &str) -> Result<String, String> {
    let out = server
        .psql_command()
        .args(["-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql])
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn secret_values_reach_postgres_only_encrypted() {
    let server = Server::start();
    let url = server.create_database("secrets");
    let canary = "wJalrXUtnFEMI-K7MDENG-canary-5f1c";
    let mut catalog = open_pg(&url);
    let mut txn = catalog.begin().unwrap();
    let secret = txn.create_secret("s", &SecretString::new(canary)).unwrap();
    txn.commit().unwrap();
    assert_eq!(
        catalog.read_secret(secret.id).unwrap().expose_secret(),
        canary
    );

    // Not in any row, nor in a dump of the whole database.
    let dump = server
        .as_server_user("pg_dump")
        .args(["-h"])
        .arg(server.socket_dir())
        .args([
            "-p",
            airlock_testkit::postgres::PORT,
            "-U",
            "postgres",
            "-d",
            "secrets",
        ])
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(
        dump.contains("secret_ciphertexts"),
        "the dump has the table"
    );
    assert!(
        !dump.contains(canary),
        "a plaintext secret value in pg_dump"
    );
    assert!(!dump.contains(&"42".repeat(32)), "the key in pg_dump");

    // Another node with the key reads it; one without the key cannot.
    let other = open_pg(&url);
    assert_eq!(
        other.read_secret(secret.id).unwrap().expose_secret(),
        canary
    );
    let keyless = Catalog::open(&url, airlock_catalog::CatalogConfig::default()).unwrap();
    let err = keyless.read_secret(secret.id).unwrap_err();
    assert!(
        matches!(err, CatalogError::MissingSecretKey { .. }),
        "{err:?}"
    );
}

#[test]
fn nodes_that_start_together_migrate_once_and_share_one_id_sequence() {
    let server = Server::start();
    let url = server.create_database("nodes");
    let ids: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|node| {
                let url = url.clone();
                scope.spawn(move || {
                    let mut catalog = open_pg(&url);
                    (0..50)
                        .map(|i| {
                            let mut txn = catalog.begin().unwrap();
                            let s = txn
                                .create_secret(&format!("s{node}_{i}"), &SecretString::new("v"))
                                .unwrap();
                            txn.commit().unwrap();
                            s.id.0
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let all: BTreeSet<u64> = ids.iter().flatten().copied().collect();
    assert_eq!(all.len(), 200, "no id was handed out twice");
    assert_eq!(
        psql(
            &server,
            "nodes",
            "SELECT count(*) FROM airlock.schema_migrations"
        ),
        format!("{}\n", airlock_catalog::POSTGRES_MIGRATIONS.len()),
        "each migration ran once"
    );
    assert_eq!(
        psql(
            &server,
            "nodes",
            "SELECT count(*) FROM mz_catalog.mz_secrets"
        ),
        "200\n"
    );
    // One bootstrap role and one settings row, whoever came first.
    assert_eq!(
        psql(
            &server,
            "nodes",
            "SELECT count(*) FROM airlock.roles WHERE id LIKE 'u%'"
        ),
        "1\n"
    );
}

#[test]
fn cascading_drops_race_connections_that_use_the_secrets() {
    let server = Server::start();
    let url = server.create_database("cascade");
    let mut setup = open_pg(&url);
    let mut txn = setup.begin().unwrap();
    let secrets: Vec<_> = (0..4)
        .map(|i| {
            txn.create_secret(&format!("k{i}"), &SecretString::new("v"))
                .unwrap()
        })
        .collect();
    txn.commit().unwrap();
    let names: Vec<String> = secrets.iter().map(|s| s.name.clone()).collect();

    std::thread::scope(|scope| {
        for node in 0..8 {
            let (url, names) = (url.clone(), names.clone());
            scope.spawn(move || {
                let mut catalog = open_pg(&url);
                for i in 0..20 {
                    let mut txn = catalog.begin().unwrap();
                    let Some(secret) = txn
                        .secret_by_name(&names[(node + i) % names.len()])
                        .unwrap()
                    else {
                        continue;
                    };
                    let aws =
                        credentials(StringOrSecret::Inline("AKIA".to_owned()), secret.id, None);
                    let name = format!("c{node}_{i}");
                    let sql = format!("CREATE CONNECTION {name} TO AWS (...)");
                    txn.create_connection(&NewConnection {
                        name: &name,
                        aws: &aws,
                        create_sql: &sql,
                        redacted_create_sql: &sql,
                    })
                    .unwrap();
                    txn.commit().unwrap();
                }
            });
        }
        let url = url.clone();
        scope.spawn(move || {
            let mut catalog = open_pg(&url);
            for secret in &secrets {
                std::thread::sleep(std::time::Duration::from_millis(20));
                let mut txn = catalog.begin().unwrap();
                txn.drop_secrets(&[secret.id], DropBehavior::Cascade)
                    .unwrap();
                txn.commit().unwrap();
            }
        });
    });
    // Every secret is gone, and with it every connection that used one: no connection
    // names a dropped secret, and no dependency row dangles.
    assert_eq!(
        psql(
            &server,
            "cascade",
            "SELECT count(*) FROM mz_catalog.mz_secrets"
        ),
        "0\n"
    );
    assert_eq!(
        psql(
            &server,
            "cascade",
            "SELECT count(*) FROM mz_catalog.mz_connections"
        ),
        "0\n"
    );
    assert_eq!(
        psql(
            &server,
            "cascade",
            "SELECT count(*) FROM airlock.object_dependencies"
        ),
        "0\n"
    );
}

#[test]
fn a_catalog_written_by_a_newer_version_is_refused_untouched() {
    let server = Server::start();
    let url = server.create_database("newer");
    drop(open_pg(&url));
    psql(
        &server,
        "newer",
        "INSERT INTO airlock.schema_migrations (version, name) VALUES (99, 'future.sql')",
    );
    let before = psql(&server, "newer", "SELECT count(*) FROM airlock.roles");
    let err = Catalog::open(&url, config()).unwrap_err();
    assert!(
        matches!(err, CatalogError::NewerVersion { found: 99, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), SqlState::ObjectNotInPrerequisiteState);
    assert_eq!(
        psql(&server, "newer", "SELECT count(*) FROM airlock.roles"),
        before
    );
}

#[test]
fn a_server_restart_fails_the_statement_and_the_next_one_reconnects() {
    let server = Server::start();
    let url = server.create_database("restart");
    let mut catalog = open_pg(&url);
    let mut txn = catalog.begin().unwrap();
    txn.create_secret("before", &SecretString::new("v"))
        .unwrap();
    txn.commit().unwrap();

    server.stop();
    let err = match catalog.begin() {
        Err(e) => e,
        Ok(mut txn) => match txn.create_secret("during", &SecretString::new("v")) {
            Err(e) => e,
            Ok(_) => txn.commit().unwrap_err(),
        },
    };
    assert!(
        matches!(
            err.code(),
            SqlState::ConnectionFailure | SqlState::AdminShutdown
        ),
        "{err:?}: {}",
        err.code()
    );
    assert!(err.to_string().contains("catalog database"), "{err}");
    server.restart();

    let mut txn = catalog.begin().unwrap();
    txn.create_secret("after", &SecretString::new("v")).unwrap();
    txn.commit().unwrap();
    let names: Vec<String> = catalog
        .secrets()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(
        names,
        ["before", "after"],
        "nothing half-written, nothing lost"
    );
    let rows = catalog
        .query("SELECT name FROM mz_catalog.mz_secrets ORDER BY name")
        .unwrap();
    assert_eq!(rows.rows.len(), 2);
    assert_eq!(
        catalog.object_by_name("before").unwrap().map(|o| o.kind),
        Some(ObjectKind::Secret)
    );
}

#[test]
fn an_unreachable_server_is_a_connection_error_and_a_bad_url_a_parameter_error() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().to_string_lossy().replace('/', "%2F");
    let err = Catalog::open(format!("postgres://u:hunter2@{socket}:5432/x"), config()).unwrap_err();
    assert_eq!(err.code(), SqlState::ConnectionFailure, "{err:?}");
    assert!(err.to_string().contains("could not connect"), "{err}");
    assert!(
        !err.to_string().contains("hunter2"),
        "a password in a message: {err}"
    );
    let err = Catalog::open("postgres://u:hunter2@host:notaport/x", config()).unwrap_err();
    assert_eq!(err.code(), SqlState::InvalidParameterValue, "{err:?}");
    assert!(
        !err.to_string().contains("hunter2"),
        "a password in a message: {err}"
    );
}

#[test]
fn a_connection_killed_inside_a_transaction_fails_its_commit_and_keeps_nothing() {
    let server = Server::start();
    let url = server.create_database("killed");
    let mut catalog = open_pg(&url);
    let mut txn = catalog.begin().unwrap();
    txn.create_secret("doomed", &SecretString::new("v"))
        .unwrap();
    // The writer's backend goes away between the statement and the commit.
    psql(
        &server,
        "killed",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'airlock' AND datname = 'killed'",
    );
    // A host that ignores the failed statement and commits anyway must not be told
    // the transaction committed.
    assert!(txn.create_secret("after", &SecretString::new("v")).is_err());
    let err = txn.commit().unwrap_err();
    assert!(
        matches!(
            err.code(),
            SqlState::ConnectionFailure | SqlState::AdminShutdown
        ),
        "{err:?}"
    );
    // The commit was not acknowledged and nothing of it is there; the next statement
    // reconnects.
    assert_eq!(catalog.secret_by_name("doomed").unwrap(), None);
    let mut txn = catalog.begin().unwrap();
    txn.create_secret("next", &SecretString::new("v")).unwrap();
    txn.commit().unwrap();
    assert_eq!(
        psql(
            &server,
            "killed",
            "SELECT string_agg(name, ',') FROM mz_catalog.mz_secrets"
        ),
        "next\n"
    );
}

/// Hosts are async (a server, DataFusion): opening, using and dropping a PostgreSQL
/// catalog on a runtime's own thread works as it does for SQLite, without tokio's
/// "cannot start a runtime from within a runtime" panic.
#[tokio::test(flavor = "current_thread")]
async fn the_catalog_works_from_inside_an_async_runtime() {
    let server = Server::start();
    let url = server.create_database("async");
    let mut catalog = open_pg(&url);
    let mut txn = catalog.begin().unwrap();
    txn.create_secret("from_async", &SecretString::new("v"))
        .unwrap();
    txn.commit().unwrap();
    let rows = catalog
        .query("SELECT name FROM mz_catalog.mz_secrets")
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Some("from_async".to_owned())]]);
    drop(catalog);
}

/// Catalog queries on PostgreSQL stop at the query timeout and at a cancel, cannot
/// write, and — run as a query role with `SELECT` on the views only — cannot read the
/// storage behind them even when a caller skips the engine's check.
#[test]
fn catalog_queries_are_bounded_read_only_and_can_run_as_a_reader_role() {
    let server = Server::start();
    let url = server.create_database("queries");
    let mut catalog = open_pg(&url);
    let mut txn = catalog.begin().unwrap();
    txn.create_secret("s", &SecretString::new("v")).unwrap();
    txn.commit().unwrap();

    let quick = Catalog::open(
        &url,
        airlock_catalog::CatalogConfig {
            query_timeout: std::time::Duration::from_millis(200),
            ..config()
        },
    )
    .unwrap();
    let err = quick.query("SELECT pg_sleep(5)").unwrap_err();
    assert!(matches!(err, CatalogError::QueryTimeout), "{err:?}");
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runner = catalog.query_runner();
    let err = std::thread::scope(|scope| {
        let cancel = scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(300));
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let err = runner
            .query("SELECT pg_sleep(5)", &[], Some(&flag))
            .unwrap_err();
        cancel.join().unwrap();
        err
    });
    assert!(matches!(err, CatalogError::QueryCanceled), "{err:?}");

    // Only one statement, and never a write.
    for sql in [
        "DELETE FROM airlock.objects",
        "SELECT 1; DELETE FROM airlock.objects",
        "WITH d AS (DELETE FROM airlock.objects RETURNING id) SELECT * FROM d",
    ] {
        assert!(catalog.query(sql).is_err(), "{sql} ran");
    }
    assert_eq!(catalog.secrets().unwrap().len(), 1);

    // The storage is readable by the connection's own user, and not by a reader role.
    assert!(
        catalog
            .query("SELECT count(*) FROM airlock.secret_ciphertexts")
            .is_ok()
    );
    psql(
        &server,
        "queries",
        "CREATE ROLE catalog_reader NOLOGIN; \
         GRANT catalog_reader TO postgres; \
         GRANT USAGE ON SCHEMA mz_catalog, mz_internal TO catalog_reader; \
         GRANT SELECT ON ALL TABLES IN SCHEMA mz_catalog, mz_internal TO catalog_reader",
    );
    let walled = Catalog::open(
        &url,
        airlock_catalog::CatalogConfig {
            postgres_query_role: Some("catalog_reader".to_owned()),
            ..config()
        },
    )
    .unwrap();
    let rows = walled
        .query("SELECT name FROM mz_catalog.mz_secrets")
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Some("s".to_owned())]]);
    let err = walled
        .query("SELECT count(*) FROM airlock.secret_ciphertexts")
        .unwrap_err();
    assert_eq!(err.code(), SqlState::InsufficientPrivilege, "{err:?}");
}

/// A version-1 PostgreSQL catalog with connections of both shapes and a scope upgrades to
/// migration 2 (USE DEFAULT CREDENTIALS) with its rows kept and the new CHECK holding.
#[test]
fn a_version_1_catalog_upgrades_with_its_connections() {
    let server = Server::start();
    let url = server.create_database("v1");
    // What the migration runner does, for migration 1 only.
    let migration = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations/postgres/0001_catalog.sql");
    let out = server
        .psql_command()
        .args(["-At", "-v", "ON_ERROR_STOP=1", "-d", "v1", "-c"])
        .arg(
            "CREATE SCHEMA airlock; CREATE TABLE airlock.schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); SET search_path TO airlock",
        )
        .arg("-f")
        .arg(&migration)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    psql(
        &server,
        "v1",
        "SET search_path TO airlock;
         INSERT INTO schema_migrations (version, name) VALUES (1, 'postgres/0001_catalog.sql');
         INSERT INTO settings (singleton, environment_id, external_id_prefix)
             VALUES (1, 'e5d0a7a6-45e2-4b8e-9b0f-6b1f8a7c2d11', 'eb5cb59b-e2fe-41f3-87ca-d2176a495345');
         SELECT setval('id_sequence', 3);
         INSERT INTO objects (id, kind, name, created_at) VALUES
             (1, 'secret', 'sk', now()), (2, 'connection', 'role_conn', now()),
             (3, 'connection', 'key_conn', now());
         INSERT INTO secrets VALUES (1, now());
         INSERT INTO connections VALUES (2, 'aws', 'CREATE CONNECTION role_conn', 'CREATE CONNECTION role_conn'),
             (3, 'aws', 'CREATE CONNECTION key_conn', 'CREATE CONNECTION key_conn');
         INSERT INTO aws_connections (id, assume_role_arn, external_id, assume_role_session_duration)
             VALUES (2, 'arn:aws:iam::001234567890:role/R', 'mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u2', 3600);
         INSERT INTO aws_connections (id, access_key_id, secret_access_key_secret_id)
             VALUES (3, 'AKIAIOSFODNN7EXAMPLE', 1);
         INSERT INTO object_dependencies VALUES (3, 1);
         INSERT INTO aws_connection_scopes VALUES (2, 's3://lake/raw');",
    );
    let catalog = open_pg(&url);
    let role = catalog.connection_by_name("role_conn").unwrap().unwrap();
    assert_eq!(
        role.aws.assume_role().map(|a| a.session_duration),
        Some(Some(3600))
    );
    assert_eq!(
        role.aws.scope.as_ref().map(|s| s.as_str()),
        Some("s3://lake/raw")
    );
    let keys = catalog.connection_by_name("key_conn").unwrap().unwrap();
    assert!(keys.aws.assume_role().is_none() && !keys.aws.uses_default_credentials());
    assert!(!catalog.settings().unwrap().aws_allow_default_credentials);
    drop(catalog);
    assert_eq!(
        psql(
            &server,
            "v1",
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM airlock.schema_migrations"
        ),
        format!(
            "{}\n",
            airlock_catalog::POSTGRES_MIGRATIONS
                .iter()
                .map(|m| m.version.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        "every migration after version 1 applied, once"
    );
    assert_eq!(
        psql(
            &server,
            "v1",
            "SELECT id, use_default_credentials FROM airlock.aws_connections ORDER BY id"
        ),
        "2|0\n3|0\n"
    );
    // The third shape's CHECK: a default-credentials row has no role.
    let refused = psql_try(
        &server,
        "v1",
        "UPDATE airlock.aws_connections SET use_default_credentials = 1 WHERE id = 2",
    )
    .unwrap_err();
    assert!(
        refused.contains("aws_connections_authentication_check"),
        "{refused}"
    );
}

/// Asks `watch` until its answer is known and other than `than` (at most 20 s: the
/// notification of a commit takes milliseconds, a reconnection a quarter second).
fn moved_from(watch: &ChangeWatch, than: Option<u64>) -> u64 {
    airlock_testkit::eventually(
        &format!("the change watch to move from {than:?}"),
        std::time::Duration::from_secs(20),
        || watch.version().filter(|v| Some(*v) != than),
    )
}

fn create_secret(catalog: &mut Catalog, name: &str) {
    let mut txn = catalog.begin().unwrap();
    txn.create_secret(name, &SecretString::new("v")).unwrap();
    txn.commit().unwrap();
}

#[test]
fn every_commit_of_any_node_moves_the_change_watch_and_nothing_else_does() {
    let server = Server::start();
    let url = server.create_database("watch");
    let a = open_pg(&url);
    let mut b = open_pg(&url);
    let watch = a.change_watch();
    let listening = moved_from(&watch, None);

    // Reads and a rolled-back write send nothing; the one commit after them moves the
    // number by exactly one (notifications arrive in commit order, so anything the
    // rollback or the reads had sent would have arrived first).
    b.secrets().unwrap();
    b.query("SELECT name FROM mz_catalog.mz_secrets").unwrap();
    {
        let mut txn = b.begin().unwrap();
        txn.create_secret("rolled_back", &SecretString::new("v"))
            .unwrap();
        drop(txn);
    }
    create_secret(&mut b, "one");
    let after_one = moved_from(&watch, Some(listening));
    assert_eq!(after_one, listening + 1);

    // A change made by hand, outside Airlock, is a change too.
    psql(&server, "watch", "DELETE FROM airlock.secret_ciphertexts");
    let by_hand = moved_from(&watch, Some(after_one));
    assert_eq!(by_hand, after_one + 1);

    // The listening connection killed: a commit made while it is gone is not missed —
    // the number moves when the watch listens again, whatever it heard.
    let killed = psql(
        &server,
        "watch",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'airlock-watch'",
    );
    assert_eq!(killed.trim(), "1");
    create_secret(&mut b, "while_gone");
    let again = moved_from(&watch, Some(by_hand));
    assert!(again > by_hand);
    // And it hears commits again.
    let mut settled = again;
    while let Some(v) = watch.version().filter(|v| *v != settled) {
        settled = v;
    }
    create_secret(&mut b, "after");
    assert!(moved_from(&watch, Some(settled)) > settled);

    // Dropping the watch ends its connection.
    drop(watch);
    airlock_testkit::eventually(
        "the watch's connection to end with it",
        std::time::Duration::from_secs(10),
        || {
            let left = psql(
                &server,
                "watch",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'airlock-watch'",
            );
            (left.trim() == "0").then_some(())
        },
    );
}

//! The schema: golden dump, upgrades, and files that must be refused untouched.

mod common;

use std::fs;
use std::path::Path;

use airlock_catalog::{Catalog, CatalogConfig, CatalogError, MIGRATIONS, SCHEMA_VERSION};
use airlock_core::{SqlError, SqlState};
use common::*;

const GOLDEN: &str = "testdata/catalog/schema.sql";

fn golden_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(GOLDEN)
}

fn schema_of(path: &Path) -> String {
    dump_schema(&rusqlite::Connection::open(path).unwrap())
}

#[test]
fn fresh_catalog_matches_the_golden_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    drop(open(&path));
    let actual = schema_of(&path);
    if std::env::var_os("AIRLOCK_REWRITE").is_some() {
        fs::write(golden_path(), &actual).unwrap();
    }
    let golden =
        fs::read_to_string(golden_path()).expect("golden schema; run with AIRLOCK_REWRITE=1");
    assert_eq!(
        actual, golden,
        "schema drifted from {GOLDEN}; rerun with AIRLOCK_REWRITE=1 and review the diff"
    );
}

/// A catalog made by a build that knew only migration `n`, holding data, upgraded by
/// this build, ends with exactly the fresh schema and keeps its data.
#[test]
fn stepwise_migration_matches_fresh_schema() {
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = db_path(&fresh_dir);
    drop(open(&fresh));
    let expected = schema_of(&fresh);

    for stop in 1..MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            let tx = conn.transaction().unwrap();
            for m in MIGRATIONS.iter().take(stop) {
                tx.execute_batch(m.sql).unwrap();
                tx.pragma_update(None, "user_version", m.version).unwrap();
            }
            tx.execute(
                "INSERT INTO settings (singleton, environment_id, external_id_prefix) VALUES (1, 'e5d0a7a6-45e2-4b8e-9b0f-6b1f8a7c2d11', 'eb5cb59b-e2fe-41f3-87ca-d2176a495345')",
                [],
            )
            .unwrap();
            tx.execute_batch(
                "UPDATE id_sequence SET next_id = 3;
                 INSERT INTO objects (id, kind, name, created_at) VALUES (2, 'connection', 'old', '2024-01-01 00:00:00+00');
                 INSERT INTO connections VALUES (2, 'aws', 'CREATE CONNECTION old ...', 'CREATE CONNECTION old ...');
                 INSERT INTO aws_connections (id, assume_role_arn, external_id) VALUES (2, 'arn:aws:iam::001234567890:role/R', 'mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u2');",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let catalog = open(&path);
        let old = catalog
            .connection_by_name("old")
            .unwrap()
            .expect("data survives the upgrade");
        assert_eq!(
            old.external_id.as_deref(),
            Some("mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u2")
        );
        assert_eq!(
            catalog.external_id_prefix().to_string(),
            "eb5cb59b-e2fe-41f3-87ca-d2176a495345"
        );
        drop(catalog);
        assert_eq!(
            schema_of(&path),
            expected,
            "after upgrading from version {stop}"
        );
    }
}

#[test]
fn newer_catalog_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    drop(open(&path));
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = fs::read(&path).unwrap();
    let err = Catalog::open(&path, config()).unwrap_err();
    assert!(
        matches!(err, CatalogError::NewerVersion { found, supported, .. } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    assert_eq!(err.code(), SqlState::ObjectNotInPrerequisiteState);
    assert!(
        err.to_string().contains("newer version of Airlock"),
        "{err}"
    );
    assert!(err.hint().is_some());
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "the file must not be modified"
    );
}

#[test]
fn random_bytes_are_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        (
            "random.db",
            (0..8192u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect::<Vec<u8>>(),
        ),
        ("short.db", b"hello".to_vec()),
        ("text.db", b"SQLite format 2 -- not quite\n".repeat(10)),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, &bytes).unwrap();
        let err = Catalog::open(&path, config()).unwrap_err();
        assert!(
            matches!(err, CatalogError::NotACatalog { .. }),
            "{name}: {err:?}"
        );
        assert!(
            err.to_string().ends_with("is not an Airlock catalog"),
            "{err}"
        );
        assert_eq!(fs::read(&path).unwrap(), bytes, "{name} was modified");
    }
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        3,
        "no -wal, -shm or key file was left behind: {names:?}"
    );
}

#[test]
fn foreign_sqlite_databases_are_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    // Another application's database, in rollback-journal mode and in WAL mode.
    for (name, wal, app_id) in [
        ("plain.db", false, 0),
        ("wal.db", true, 0),
        ("app.db", false, 0x1234),
    ] {
        let path = dir.path().join(name);
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            if wal {
                conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            }
            conn.pragma_update(None, "application_id", app_id).unwrap();
            conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'ada');")
                .unwrap();
        }
        let before = fs::read(&path).unwrap();
        let err = Catalog::open(&path, config()).unwrap_err();
        assert!(
            matches!(err, CatalogError::NotACatalog { .. }),
            "{name}: {err:?}"
        );
        assert!(
            err.detail().unwrap().contains("SQLite database"),
            "{:?}",
            err.detail()
        );
        assert_eq!(fs::read(&path).unwrap(), before, "{name} was modified");
        let conn = rusqlite::Connection::open(&path).unwrap();
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1);
    }
}

#[test]
fn empty_file_becomes_a_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    fs::write(&path, b"").unwrap();
    let catalog = open(&path);
    assert_eq!(catalog.connections().unwrap(), vec![]);
}

#[test]
fn prefix_is_fixed_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let prefix = uuid::Uuid::parse_str("eb5cb59b-e2fe-41f3-87ca-d2176a495345").unwrap();
    let with_prefix = |p| CatalogConfig {
        external_id_prefix: Some(p),
        ..config()
    };
    let created = Catalog::open(&path, with_prefix(prefix)).unwrap();
    let env = created.environment_id();
    assert_eq!(created.external_id_prefix(), prefix);
    drop(created);

    // Same prefix, or none: fine, and nothing changes.
    let again = Catalog::open(&path, with_prefix(prefix)).unwrap();
    assert_eq!(again.environment_id(), env);
    drop(again);
    let again = open(&path);
    assert_eq!(again.settings().unwrap().external_id_prefix, prefix);
    drop(again);

    let other = uuid::Uuid::new_v4();
    let err = Catalog::open(&path, with_prefix(other)).unwrap_err();
    assert!(
        matches!(err, CatalogError::PrefixMismatch { existing, given } if existing == prefix && given == other),
        "{err:?}"
    );
    assert_eq!(err.code(), SqlState::ObjectNotInPrerequisiteState);
    assert!(err.detail().unwrap().contains(&prefix.to_string()));
}

#[test]
fn initial_principal_is_validated_and_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let bad = CatalogConfig {
        aws_principal: Some("arn:aws:s3:::bucket".to_owned()),
        ..config()
    };
    let err = Catalog::open(&path, bad).unwrap_err();
    assert_eq!(err.code(), SqlState::InvalidParameterValue);
    assert!(!path.exists(), "a bad configuration creates no file");

    let good = CatalogConfig {
        aws_principal: Some(PRINCIPAL.to_owned()),
        ..config()
    };
    let catalog = Catalog::open(&path, good).unwrap();
    assert_eq!(
        catalog.settings().unwrap().aws_principal.as_deref(),
        Some(PRINCIPAL)
    );
}

#[cfg(unix)]
#[test]
fn catalog_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let mut txn = catalog.begin().unwrap();
    create(&mut txn, "c", &assume_role()).unwrap();
    txn.commit().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} has mode {mode:o}");
    }
}

#[test]
fn in_memory_catalogs_work_and_are_separate() {
    let mut a = Catalog::open(":memory:", CatalogConfig::default()).unwrap();
    let b = Catalog::open_in_memory(CatalogConfig::default()).unwrap();
    let mut txn = a.begin().unwrap();
    create(&mut txn, "c", &assume_role()).unwrap();
    txn.commit().unwrap();
    assert_eq!(a.connections().unwrap().len(), 1);
    assert_eq!(b.connections().unwrap().len(), 0);
    assert_eq!(
        a.query("SELECT name FROM mz_connections")
            .unwrap()
            .rows
            .len(),
        1
    );
    assert_ne!(a.external_id_prefix(), b.external_id_prefix());
}

/// The namespace qualified names must name: Materialize's `materialize.public` unless
/// chosen when the catalog is created; fixed after that.
#[test]
fn the_namespace_is_chosen_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let catalog = open(&path);
    assert_eq!(
        catalog.settings().unwrap().namespace,
        airlock_catalog::Namespace::default()
    );
    assert_eq!(
        catalog.settings().unwrap().namespace.database,
        "materialize"
    );
    drop(catalog);

    let chosen = airlock_catalog::Namespace {
        database: "prod".to_owned(),
        schema: "Airlock".to_owned(),
    };
    let with = |namespace: Option<airlock_catalog::Namespace>| CatalogConfig {
        namespace,
        ..config()
    };
    let other = dir.path().join("other.db");
    let catalog = Catalog::open(&other, with(Some(chosen.clone()))).unwrap();
    assert_eq!(catalog.settings().unwrap().namespace, chosen);
    drop(catalog);
    // Reopened, with or without a namespace given: the one chosen at creation.
    let catalog = Catalog::open(&other, with(None)).unwrap();
    assert_eq!(catalog.settings().unwrap().namespace, chosen);
    assert_eq!(catalog.namespace(), &chosen);
    drop(catalog);
    let catalog = Catalog::open(&path, with(Some(chosen.clone()))).unwrap();
    assert_eq!(
        catalog.settings().unwrap().namespace,
        airlock_catalog::Namespace::default()
    );
    drop(catalog);

    for bad in ["", ".", "..", &"x".repeat(256)] {
        let err = Catalog::open_in_memory(with(Some(airlock_catalog::Namespace {
            database: bad.to_owned(),
            schema: "public".to_owned(),
        })))
        .unwrap_err();
        assert_eq!(err.code(), SqlState::InvalidParameterValue, "{bad:?}");
        assert!(
            err.to_string().starts_with("invalid catalog namespace"),
            "{err}"
        );
    }
}

/// Migration 10 rebuilds `aws_connections` (SQLite cannot change a CHECK in place). A
/// version-9 catalog holding every shape of connection, a scope per connection, a secret
/// dependency, a validation and a health row comes out with every row kept — the scopes
/// too, which `DROP TABLE aws_connections` would have cascaded to — its foreign keys and
/// CHECKs working, and room for the new shape.
#[test]
fn a_version_9_catalog_keeps_its_connections_through_the_rebuild() {
    const PREFIX: &str = "eb5cb59b-e2fe-41f3-87ca-d2176a495345";
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        let tx = conn.transaction().unwrap();
        for m in MIGRATIONS.iter().take_while(|m| m.version <= 9) {
            tx.execute_batch(m.sql).unwrap();
            tx.pragma_update(None, "user_version", m.version).unwrap();
        }
        tx.execute_batch(&format!(
            "INSERT INTO settings (singleton, environment_id, external_id_prefix) VALUES (1, 'e5d0a7a6-45e2-4b8e-9b0f-6b1f8a7c2d11', '{PREFIX}');
             UPDATE id_sequence SET next_id = 4;
             INSERT INTO objects (id, kind, name, created_at) VALUES
                 (1, 'secret', 'sk', '2024-01-01 00:00:00+00'),
                 (2, 'connection', 'role_conn', '2024-01-01 00:00:00+00'),
                 (3, 'connection', 'key_conn', '2024-01-01 00:00:00+00');
             INSERT INTO secrets VALUES (1, '2024-01-01 00:00:00+00');
             INSERT INTO connections VALUES
                 (2, 'aws', 'CREATE CONNECTION role_conn ...', 'CREATE CONNECTION role_conn ...'),
                 (3, 'aws', 'CREATE CONNECTION key_conn ...', 'CREATE CONNECTION key_conn ...');
             INSERT INTO aws_connections (id, region, assume_role_arn, assume_role_session_name,
                     external_id, assume_role_session_duration, sts_endpoint, sts_region)
                 VALUES (2, 'us-east-1', 'arn:aws:iam::001234567890:role/R', 'airlock',
                     'mz_{PREFIX}_u2', 7200, 'https://sts.us-east-1.amazonaws.com/', 'us-east-1');
             INSERT INTO aws_connections (id, endpoint, access_key_id, secret_access_key_secret_id)
                 VALUES (3, 'http://127.0.0.1:4566/', 'AKIAIOSFODNN7EXAMPLE', 1);
             INSERT INTO object_dependencies VALUES (3, 1);
             INSERT INTO aws_connection_scopes VALUES (2, 's3://lake/raw'), (3, 's3://other');
             INSERT INTO aws_connection_validations (connection_id, validated_at, status)
                 VALUES (2, '2024-01-02 00:00:00+00', 'ok');
             INSERT INTO aws_connection_credentials (connection_id, session_duration, chained)
                 VALUES (2, 7200, 0);"
        ))
        .unwrap();
        tx.commit().unwrap();
    }
    // Every table but the rebuilt one and the settings (which gain a column) as it was.
    let unchanged = |dump: &str| -> String {
        dump.split("== ")
            .filter(|t| !t.starts_with("aws_connections\n") && !t.starts_with("settings\n"))
            .collect()
    };
    let before = dump_rows(&path);
    assert!(
        before.contains("== aws_connection_scopes\nInteger(2) | Text(")
            && before.contains("\nInteger(3) | Text("),
        "{before}"
    );

    let catalog = open(&path);
    assert_eq!(unchanged(&dump_rows(&path)), unchanged(&before));
    let role = catalog.connection_by_name("role_conn").unwrap().unwrap();
    let Some(assume) = role.aws.assume_role() else {
        panic!("{role:?}")
    };
    assert_eq!(assume.arn, "arn:aws:iam::001234567890:role/R");
    assert_eq!(assume.session_name.as_deref(), Some("airlock"));
    assert_eq!(assume.session_duration, Some(7200));
    assert_eq!(
        role.aws.sts.endpoint.as_deref(),
        Some("https://sts.us-east-1.amazonaws.com/")
    );
    assert_eq!(
        role.external_id.as_deref(),
        Some(&*format!("mz_{PREFIX}_u2"))
    );
    assert_eq!(
        role.aws.scope.as_ref().map(|s| s.as_str()),
        Some("s3://lake/raw")
    );
    let keys = catalog.connection_by_name("key_conn").unwrap().unwrap();
    assert!(
        matches!(keys.aws.auth, airlock_core::aws::AwsAuth::Credentials(_)),
        "{keys:?}"
    );
    assert_eq!(
        keys.aws.scope.as_ref().map(|s| s.as_str()),
        Some("s3://other")
    );
    assert!(!catalog.settings().unwrap().aws_allow_default_credentials);
    drop(catalog);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    let check = |pragma: &str| -> Vec<String> {
        conn.prepare(pragma)
            .unwrap()
            .query_map([], |r| r.get::<_, rusqlite::types::Value>(0))
            .unwrap()
            .map(|v| format!("{:?}", v.unwrap()))
            .collect()
    };
    assert_eq!(check("PRAGMA integrity_check"), ["Text(\"ok\")"]);
    assert!(check("PRAGMA foreign_key_check").is_empty());
    assert!(
        check("SELECT name FROM temp.sqlite_schema").is_empty(),
        "nothing left behind"
    );
    // The rebuilt table's constraints hold: a default-credentials row has no role.
    assert!(
        conn.execute(
            "UPDATE aws_connections SET use_default_credentials = 1 WHERE id = 2",
            []
        )
        .is_err()
    );
    assert!(
        conn.execute(
            "UPDATE aws_connections SET use_default_credentials = 2 WHERE id = 3",
            []
        )
        .is_err()
    );
    // The scopes' foreign key points at the new table: a scope needs its connection, and
    // goes with it.
    assert!(
        conn.execute(
            "INSERT INTO aws_connection_scopes VALUES (99, 's3://x')",
            []
        )
        .is_err()
    );
    conn.execute("DELETE FROM objects WHERE id = 2", [])
        .unwrap();
    let scopes: i64 = conn
        .query_row("SELECT count(*) FROM aws_connection_scopes", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(scopes, 1, "the dropped connection's scope went with it");
    // The secret a connection depends on is still protected.
    assert!(
        conn.execute("DELETE FROM objects WHERE id = 1", [])
            .is_err()
    );
}

//! The catalog file alone holds every committed statement after a clean close, and a
//! backup of a live catalog opens with every row (issue 20).

mod common;

use std::path::Path;

use airlock_catalog::{Catalog, SecretBackend};
use airlock_core::SecretString;
use common::*;

fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

/// Opening with the key file the catalog had: the default backend.
fn open_with_key_file(path: &Path) -> Catalog {
    Catalog::open(
        path,
        airlock_catalog::CatalogConfig {
            secrets: SecretBackend::Embedded,
            ..config()
        },
    )
    .unwrap()
}

#[test]
fn a_clean_close_leaves_everything_in_the_catalog_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    {
        let mut catalog = open_with_key_file(&db);
        let mut txn = catalog.begin().unwrap();
        txn.create_secret("t", &SecretString::new("x")).unwrap();
        txn.commit().unwrap();
        // A query too, so that the read-only connection has read the WAL.
        assert_eq!(
            catalog
                .query("SELECT name FROM mz_secrets")
                .unwrap()
                .rows
                .len(),
            1
        );
        assert!(wal_len(&db) > 0, "the commit went to the WAL");
    }
    assert_eq!(wal_len(&db), 0, "closed: the WAL is checkpointed");
    // Only the catalog file and its key, elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    std::fs::copy(
        dir.path().join("catalog.db.key"),
        elsewhere.path().join("copy.db.key"),
    )
    .unwrap();
    let catalog = open_with_key_file(&copy);
    let secret = catalog.secret_by_name("t").unwrap().expect("t survived");
    assert_eq!(catalog.read_secret(secret.id).unwrap().expose_secret(), "x");
}

#[test]
fn the_catalog_file_is_complete_while_another_connection_stays_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let other = open_with_key_file(&db);
    {
        let mut catalog = open_with_key_file(&db);
        let mut txn = catalog.begin().unwrap();
        txn.create_secret("t", &SecretString::new("x")).unwrap();
        txn.commit().unwrap();
    }
    // Copy the file alone while `other` still has the catalog open.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    let copied = Catalog::open(&copy, config()).unwrap();
    assert!(copied.secret_by_name("t").unwrap().is_some());
    drop(other);
}

#[test]
fn backup_child_writer() {
    let Ok(path) = std::env::var("AIRLOCK_TEST_PATH") else {
        return;
    };
    let mut catalog = open_with_key_file(Path::new(&path));
    for i in 0..150 {
        let mut txn = catalog.begin().unwrap();
        txn.create_secret(&format!("w{i}"), &SecretString::new(format!("v{i}")))
            .unwrap();
        txn.commit().unwrap();
        // Slow enough that the parent's backups overlap the writes.
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_backup_taken_while_another_process_writes_opens_with_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let catalog = open_with_key_file(&db);
    let mut child = child_command(
        "backup_child_writer",
        &[("AIRLOCK_TEST_PATH", db.to_str().unwrap())],
    )
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut counts = Vec::new();
    let mut during = 0;
    for n in 0..8 {
        // Wait until the writer has committed something new, unless it is done.
        let start = std::time::Instant::now();
        while catalog.secrets().unwrap().len() <= counts.last().copied().unwrap_or(0)
            && child.try_wait().unwrap().is_none()
            && start.elapsed() < std::time::Duration::from_secs(20)
        {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        if child.try_wait().unwrap().is_none() {
            during += 1;
        }
        let dest = out.path().join(format!("b{n}.db"));
        let before = catalog.secrets().unwrap().len();
        catalog.backup(&dest).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for file in [dest.clone(), out.path().join(format!("b{n}.db.key"))] {
                let mode = std::fs::metadata(&file).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{}", file.display());
            }
        }
        assert_eq!(wal_len(&dest), 0);
        assert!(!dest.with_extension("db-wal").exists());
        let copy = open_with_key_file(&dest);
        let secrets = copy.secrets().unwrap();
        assert!(
            secrets.len() >= before,
            "the backup is at least as new as its start"
        );
        // Every row of every secret the backup holds is there, value included, and
        // the secrets are a prefix of the writer's sequence (one committed state).
        for (i, s) in secrets.iter().enumerate() {
            assert_eq!(s.name, format!("w{i}"));
            assert_eq!(
                copy.read_secret(s.id).unwrap().expose_secret(),
                format!("v{i}")
            );
        }
        let integrity: String = rusqlite::Connection::open(&dest)
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        counts.push(secrets.len());
    }
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(
        during >= 2,
        "only {during} backups ran while the writer wrote"
    );
    eprintln!("secrets in each backup: {counts:?}");
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(
        counts.last().unwrap() > counts.first().unwrap(),
        "{counts:?}"
    );
    // A backup never overwrites.
    let err = catalog.backup(out.path().join("b0.db")).unwrap_err();
    assert!(err.to_string().contains("b0.db"), "{err}");
}

#[test]
fn an_in_memory_catalog_backs_up_too() {
    let mut catalog = Catalog::open_in_memory(config()).unwrap();
    let mut txn = catalog.begin().unwrap();
    txn.create_secret("m", &SecretString::new("v")).unwrap();
    txn.commit().unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("m.db");
    catalog.backup(&dest).unwrap();
    // No key file: an in-memory catalog's key dies with it.
    assert!(!out.path().join("m.db.key").exists());
    let copy = Catalog::open(&dest, config()).unwrap();
    assert!(copy.secret_by_name("m").unwrap().is_some());
}

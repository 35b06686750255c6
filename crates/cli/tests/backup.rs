//! Issue 20: a clean exit leaves the catalog file complete, and `\backup FILE` copies a
//! live catalog with its key file.

use std::path::Path;
use std::process::{Command, Stdio};

fn airlock(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .current_dir(dir)
        .env_remove("AIRLOCK_CATALOG")
        .env_remove("AIRLOCK_AWS_PRINCIPAL")
        .env_remove("AIRLOCK_SECRET_KEY")
        .env("AIRLOCK_HISTORY", dir.join("history"))
        .stdin(Stdio::null())
        .output()
        .expect("run airlock")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_clean_exit_leaves_every_write_in_the_catalog_file() {
    let dir = tempfile::tempdir().unwrap();
    // The reproduction: the WAL was left at 24 KB, and the file alone lost `t`.
    let out = airlock(dir.path(), &["-c", "CREATE SECRET t AS 'x'", "-c", "\\d"]);
    assert!(out.status.success(), "{out:?}");
    let wal = dir.path().join("airlock.db-wal");
    assert_eq!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()),
        0,
        "WAL left behind"
    );
    // The catalog file and its key, alone, somewhere else.
    let elsewhere = tempfile::tempdir().unwrap();
    for file in ["airlock.db", "airlock.db.key"] {
        std::fs::copy(dir.path().join(file), elsewhere.path().join(file)).unwrap();
    }
    let out = airlock(elsewhere.path(), &["-c", "SELECT name FROM mz_secrets"]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains(" t\n"), "{}", stdout(&out));
}

#[test]
fn backslash_backup_copies_the_catalog_and_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = airlock(
        dir.path(),
        &[
            "-c",
            "CREATE SECRET s AS 'v'",
            "-c",
            "CREATE CONNECTION c TO AWS (ACCESS KEY ID = 'AKIAIOSFODNN7EXAMPLE', SECRET ACCESS KEY = SECRET s)",
            "-c",
            "\\backup copy.db",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("Catalog copied to copy.db."),
        "{}",
        stdout(&out)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["copy.db", "copy.db.key"] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }
    assert_eq!(
        std::fs::read(dir.path().join("copy.db.key")).unwrap(),
        std::fs::read(dir.path().join("airlock.db.key")).unwrap()
    );
    // The copy is a catalog with the same rows.
    let out = airlock(
        dir.path(),
        &[
            "--catalog",
            "copy.db",
            "-c",
            "SELECT c.name, s.name FROM mz_connections c JOIN mz_object_dependencies d ON d.object_id = c.id JOIN mz_secrets s ON s.id = d.referenced_object_id",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains(" c    | s"), "{}", stdout(&out));
    // Never over an existing file; a missing argument is an error.
    let out = airlock(dir.path(), &["-c", "\\backup copy.db"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("copy.db"), "{err}");
    let out = airlock(dir.path(), &["-c", "\\backup"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

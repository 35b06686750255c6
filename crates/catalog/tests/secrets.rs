//! Secret values: never in plaintext on disk, keys handled carefully, external stores.

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use airlock_catalog::{
    Catalog, CatalogConfig, CatalogError, DropBehavior, MemorySecretStore, SecretBackend,
    SecretBytes, SecretKey, SecretStore,
};
use airlock_core::aws::StringOrSecret;
use airlock_core::{SecretId, SecretString, SqlError, SqlState};
use common::*;

const CANARY: &str = "CANARY-9f1c2e7a-wJalrXUtnFEMI-K7MDENG";
const CANARY2: &str = "CANARY-0b8d44d1-rotated-value";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Every file in `dir`, read raw.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| contains(&fs::read(p).unwrap(), needle))
        .map(|p| p.display().to_string())
        .collect()
}

#[test]
fn secret_values_never_reach_the_disk_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let mut txn = catalog.begin().unwrap();
    let s = txn
        .create_secret("aws_secret", &SecretString::new(CANARY))
        .unwrap();
    let dropped = txn
        .create_secret("dropped", &SecretString::new(CANARY))
        .unwrap();
    create(
        &mut txn,
        "c",
        &credentials(StringOrSecret::Inline("AKIA".into()), s.id, None),
    )
    .unwrap();
    txn.commit().unwrap();
    let mut txn = catalog.begin().unwrap();
    txn.rotate_secret(s.id, &SecretString::new(CANARY2))
        .unwrap();
    txn.drop_secrets(&[dropped.id], DropBehavior::Restrict)
        .unwrap();
    txn.commit().unwrap();

    // While open: the WAL holds every page written so far.
    let wal = format!("{}-wal", path.display());
    assert!(
        fs::metadata(&wal).unwrap().len() > 0,
        "the writes went through the WAL"
    );
    for needle in [CANARY, CANARY2] {
        assert_eq!(
            files_containing(dir.path(), needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
    assert_eq!(catalog.read_secret(s.id).unwrap().expose_secret(), CANARY2);
    // Nothing formats a value: not the catalog, not its errors.
    assert!(!format!("{catalog:?}").contains("CANARY"));
    let mut txn = catalog.begin().unwrap();
    let err = txn
        .create_secret("aws_secret", &SecretString::new(CANARY))
        .unwrap_err();
    assert!(!format!("{err:?} {err}").contains("CANARY"));
    assert!(!format!("{txn:?}").contains("CANARY"));
    drop(txn);

    // After a checkpoint and close, the database file alone.
    drop(catalog);
    for needle in [CANARY, CANARY2] {
        assert_eq!(
            files_containing(dir.path(), needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
    let catalog = open(&path);
    assert_eq!(catalog.read_secret(s.id).unwrap().expose_secret(), CANARY2);
}

#[test]
fn key_file_is_created_private_and_reused() {
    // In a child, so that AIRLOCK_SECRET_KEY from the environment cannot interfere.
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let p = path.to_str().unwrap();
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "create"),
            ("AIRLOCK_TEST_PATH", p),
            ("AIRLOCK_TEST_VALUE", CANARY),
        ],
    );
    assert_eq!(child_lines(&out), ["ok u1"], "{out:?}");

    let key_file = format!("{p}.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "key file mode {mode:o}");
    }
    let key_text = fs::read_to_string(&key_file).unwrap();
    assert!(SecretKey::from_hex(&key_text).is_some(), "64 hex digits");
    assert!(files_containing(dir.path(), CANARY).is_empty());

    // A second open reads the same key, and does not rewrite the file.
    let out = run_child(
        "child_worker",
        &[(CHILD_ENV, "read"), ("AIRLOCK_TEST_PATH", p)],
    );
    assert_eq!(child_lines(&out), [format!("ok {CANARY}")], "{out:?}");
    assert_eq!(fs::read_to_string(&key_file).unwrap(), key_text);

    // The same key in the environment works, and wins over the file.
    let hex = key_text.trim();
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "read"),
            ("AIRLOCK_TEST_PATH", p),
            ("AIRLOCK_SECRET_KEY", hex),
        ],
    );
    assert_eq!(child_lines(&out), [format!("ok {CANARY}")], "{out:?}");
    let other = SecretKey::generate();
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "read"),
            ("AIRLOCK_TEST_PATH", p),
            ("AIRLOCK_SECRET_KEY", &other.to_hex()),
        ],
    );
    assert_eq!(
        child_lines(&out),
        ["err 28000 the secret key does not match this catalog"],
        "{out:?}"
    );
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "read"),
            ("AIRLOCK_TEST_PATH", p),
            ("AIRLOCK_SECRET_KEY", "not-hex"),
        ],
    );
    assert_eq!(
        child_lines(&out),
        [
            "err 22023 invalid secret key from AIRLOCK_SECRET_KEY: expected 64 hexadecimal digits (32 bytes)"
        ],
        "{out:?}"
    );

    // A wrong key file: a clear error, never garbage.
    fs::write(&key_file, format!("{}\n", other.to_hex().as_str())).unwrap();
    let out = run_child(
        "child_worker",
        &[(CHILD_ENV, "read"), ("AIRLOCK_TEST_PATH", p)],
    );
    assert_eq!(
        child_lines(&out),
        ["err 28000 the secret key does not match this catalog"],
        "{out:?}"
    );

    // No key file: missing, and no new key is made up (that would orphan every value).
    fs::remove_file(&key_file).unwrap();
    let out = run_child(
        "child_worker",
        &[(CHILD_ENV, "read"), ("AIRLOCK_TEST_PATH", p)],
    );
    assert_eq!(
        child_lines(&out),
        ["err 58030 the secret key of this catalog is missing"],
        "{out:?}"
    );
    assert!(!Path::new(&key_file).exists());
    // ... while everything but secret values still works.
    let out = run_child(
        "child_worker",
        &[(CHILD_ENV, "list"), ("AIRLOCK_TEST_PATH", p)],
    );
    assert_eq!(child_lines(&out), ["ok secret"], "{out:?}");
}

#[test]
fn key_from_the_environment_creates_no_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let p = path.to_str().unwrap();
    let key = SecretKey::generate();
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "create"),
            ("AIRLOCK_TEST_PATH", p),
            ("AIRLOCK_TEST_VALUE", CANARY),
            ("AIRLOCK_SECRET_KEY", &key.to_hex()),
        ],
    );
    assert_eq!(child_lines(&out), ["ok u1"], "{out:?}");
    assert!(!Path::new(&format!("{p}.key")).exists());
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "read"),
            ("AIRLOCK_TEST_PATH", p),
            ("AIRLOCK_SECRET_KEY", &key.to_hex().to_uppercase()),
        ],
    );
    assert_eq!(child_lines(&out), [format!("ok {CANARY}")], "{out:?}");
}

/// Not a test of its own: the worker the tests above spawn.
#[test]
fn child_worker() {
    let Ok(op) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = std::env::var("AIRLOCK_TEST_PATH").unwrap();
    let result = (|| -> airlock_catalog::Result<String> {
        let mut catalog = Catalog::open(&path, CatalogConfig::default())?;
        match op.as_str() {
            "create" => {
                let value = SecretString::new(std::env::var("AIRLOCK_TEST_VALUE").unwrap());
                let mut txn = catalog.begin()?;
                let s = txn.create_secret("secret", &value)?;
                txn.commit()?;
                Ok(s.id.to_string())
            }
            "read" => {
                let s = catalog.secret_by_name("secret")?.expect("secret exists");
                Ok(catalog.read_secret(s.id)?.expose_secret().to_owned())
            }
            "list" => Ok(catalog
                .secrets()?
                .into_iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(",")),
            other => panic!("unknown child op {other}"),
        }
    })();
    match result {
        Ok(v) => println!("@@ ok {v}"),
        Err(e) => println!("@@ err {} {e}", e.code()),
    }
}

#[test]
fn wrong_key_and_tampered_ciphertexts_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut catalog = open(&path);
    let mut txn = catalog.begin().unwrap();
    let a = txn
        .create_secret("a", &SecretString::new("value-a"))
        .unwrap();
    let b = txn
        .create_secret("b", &SecretString::new("value-b"))
        .unwrap();
    txn.commit().unwrap();
    drop(catalog);

    let wrong = CatalogConfig {
        secrets: SecretBackend::EmbeddedWithKey(SecretKey::generate()),
        ..CatalogConfig::default()
    };
    let mut catalog = Catalog::open(&path, wrong).unwrap();
    let err = catalog.read_secret(a.id).unwrap_err();
    assert!(
        matches!(err, CatalogError::WrongSecretKey { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), SqlState::InvalidAuthorizationSpecification);
    assert!(err.hint().unwrap().contains("AIRLOCK_SECRET_KEY"));
    // Writing under a wrong key is refused too: values would become unreadable.
    let mut txn = catalog.begin().unwrap();
    let err = txn.create_secret("c", &SecretString::new("v")).unwrap_err();
    assert!(
        matches!(err, CatalogError::WrongSecretKey { .. }),
        "{err:?}"
    );
    drop(txn);
    drop(catalog);

    // Swap the two ciphertexts: the id is associated data, so neither decrypts.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TEMP TABLE t AS SELECT * FROM secret_ciphertexts;
             UPDATE secret_ciphertexts SET (nonce, ciphertext) =
                 (SELECT nonce, ciphertext FROM t WHERE t.secret_id != secret_ciphertexts.secret_id);",
        )
        .unwrap();
    }
    let catalog = open(&path);
    for id in [a.id, b.id] {
        let err = catalog.read_secret(id).unwrap_err();
        assert!(
            matches!(err, CatalogError::CorruptedSecret { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), SqlState::DataCorrupted);
        assert_eq!(
            err.to_string(),
            format!("the stored value of secret {id} is corrupted")
        );
    }
    drop(catalog);

    // Flip one bit of a ciphertext.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("UPDATE secret_ciphertexts SET ciphertext = zeroblob(length(ciphertext)) WHERE secret_id = 1", []).unwrap();
    }
    let catalog = open(&path);
    assert!(matches!(
        catalog.read_secret(a.id).unwrap_err(),
        CatalogError::CorruptedSecret { .. }
    ));
}

#[derive(Debug, Default)]
struct CountingStore {
    inner: MemorySecretStore,
    fail_puts: std::sync::atomic::AtomicBool,
}

impl SecretStore for CountingStore {
    fn put(
        &self,
        id: SecretId,
        value: &SecretString,
    ) -> Result<(), airlock_catalog::SecretStoreError> {
        if self.fail_puts.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(airlock_catalog::SecretStoreError::Backend(
                "vault is sealed".into(),
            ));
        }
        self.inner.put(id, value)
    }
    fn read(&self, id: SecretId) -> Result<SecretString, airlock_catalog::SecretStoreError> {
        self.inner.read(id)
    }
    fn rotate(
        &self,
        id: SecretId,
        value: &SecretString,
    ) -> Result<(), airlock_catalog::SecretStoreError> {
        self.inner.rotate(id, value)
    }
    fn delete(&self, id: SecretId) -> Result<(), airlock_catalog::SecretStoreError> {
        self.inner.delete(id)
    }
    fn list(&self) -> Result<Vec<SecretId>, airlock_catalog::SecretStoreError> {
        self.inner.list()
    }
}

#[test]
fn external_store_put_before_commit_delete_after_commit_orphans_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Arc::new(CountingStore::default());
    let config = || CatalogConfig {
        secrets: SecretBackend::External(store.clone()),
        ..CatalogConfig::default()
    };
    let mut catalog = Catalog::open(&path, config()).unwrap();
    assert!(
        !Path::new(&format!("{}.key", path.display())).exists(),
        "no key file for an external store"
    );

    let mut txn = catalog.begin().unwrap();
    let s = txn.create_secret("s", &SecretString::new(CANARY)).unwrap();
    assert_eq!(store.list().unwrap(), [s.id], "put before commit");
    txn.commit().unwrap();
    assert_eq!(catalog.read_secret(s.id).unwrap().expose_secret(), CANARY);

    // Rolled back: the value put for it is deleted again.
    let mut txn = catalog.begin().unwrap();
    let gone = txn.create_secret("gone", &SecretString::new("x")).unwrap();
    assert!(store.list().unwrap().contains(&gone.id));
    drop(txn);
    assert_eq!(store.list().unwrap(), [s.id]);

    // A failing store fails the statement, and nothing is recorded.
    store
        .fail_puts
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let mut txn = catalog.begin().unwrap();
    let err = txn.create_secret("t", &SecretString::new("x")).unwrap_err();
    assert_eq!(err.code(), SqlState::SystemError);
    assert_eq!(err.to_string(), "secret store error: vault is sealed");
    drop(txn);
    store
        .fail_puts
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(catalog.secret_by_name("t").unwrap().is_none());

    // Dropped: deleted only once the drop committed.
    let mut txn = catalog.begin().unwrap();
    txn.drop_secrets(&[s.id], DropBehavior::Restrict).unwrap();
    assert_eq!(
        store.list().unwrap(),
        [s.id],
        "still there until the commit"
    );
    txn.commit().unwrap();
    assert!(store.list().unwrap().is_empty());

    // An orphan (a put whose transaction never committed, e.g. a crash) is deleted on open.
    store
        .put(SecretId(77), &SecretString::new("orphan"))
        .unwrap();
    let mut txn = catalog.begin().unwrap();
    let kept = txn.create_secret("kept", &SecretString::new("k")).unwrap();
    txn.commit().unwrap();
    drop(catalog);
    let mut catalog = Catalog::open(&path, config()).unwrap();
    assert_eq!(store.list().unwrap(), [kept.id]);
    assert!(catalog.cleanup_orphaned_secrets().unwrap().is_empty());
    assert!(files_containing(dir.path(), CANARY).is_empty());
}

/// Secrets are bytes (a `bytea` in Materialize): every byte value survives storage,
/// rotation and reopening; readers that need text get a typed error, never a lossy value.
#[test]
fn binary_values_survive_storage() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let every_byte: Vec<u8> = (0..=255u8).rev().collect();
    let big = vec![0xffu8; 512 << 10];
    let (binary, text) = {
        let mut catalog = open(&path);
        let mut txn = catalog.begin().unwrap();
        let binary = txn
            .create_secret_bytes("binary", &SecretBytes::new(every_byte.clone()))
            .unwrap();
        let text = txn
            .create_secret("text", &SecretString::new(CANARY))
            .unwrap();
        txn.commit().unwrap();
        (binary.id, text.id)
    };
    let mut catalog = open(&path);
    assert_eq!(
        catalog.read_secret_bytes(binary).unwrap().expose_secret(),
        &every_byte[..]
    );
    assert_eq!(
        catalog.read_secret_bytes(text).unwrap().expose_secret(),
        CANARY.as_bytes()
    );
    assert_eq!(catalog.read_secret(text).unwrap().expose_secret(), CANARY);
    let err = catalog.read_secret(binary).unwrap_err();
    assert!(matches!(err, CatalogError::SecretNotUtf8));
    assert_eq!(err.to_string(), "secret value must be valid UTF-8");
    assert_eq!(err.code(), SqlState::CharacterNotInRepertoire);
    assert!(err.hint().unwrap().contains("UTF-8"));

    // Rotation to the largest value Airlock accepts (512 KiB), and back to text.
    let mut txn = catalog.begin().unwrap();
    txn.rotate_secret_bytes(binary, &SecretBytes::new(big.clone()))
        .unwrap();
    txn.commit().unwrap();
    assert_eq!(
        catalog.read_secret_bytes(binary).unwrap().expose_secret(),
        &big[..]
    );
    let mut txn = catalog.begin().unwrap();
    txn.rotate_secret(binary, &SecretString::new(CANARY2))
        .unwrap();
    txn.commit().unwrap();
    assert_eq!(
        catalog.read_secret(binary).unwrap().expose_secret(),
        CANARY2
    );
    assert_eq!(
        format!("{:?}", catalog.read_secret_bytes(binary).unwrap()),
        "SecretBytes(<redacted>)"
    );
}

/// A host's store holds text: a binary value is refused before anything is written.
#[test]
fn external_stores_refuse_binary_values() {
    let store = Arc::new(MemorySecretStore::default());
    let mut catalog = Catalog::open_in_memory(CatalogConfig {
        secrets: SecretBackend::External(store.clone()),
        ..CatalogConfig::default()
    })
    .unwrap();
    let mut txn = catalog.begin().unwrap();
    let err = txn
        .create_secret_bytes("b", &SecretBytes::new(vec![0xff, 0x00]))
        .unwrap_err();
    assert!(matches!(err, CatalogError::SecretNotUtf8), "{err}");
    let utf8 = txn
        .create_secret_bytes("t", &SecretBytes::new(b"text".to_vec()))
        .unwrap();
    txn.commit().unwrap();
    assert_eq!(store.list().unwrap(), vec![utf8.id]);
    assert_eq!(
        catalog.read_secret(utf8.id).unwrap().expose_secret(),
        "text"
    );
}

/// A PostgreSQL catalog has no file to keep a key beside: its nodes take the key from
/// `AIRLOCK_SECRET_KEY`, else from the file `AIRLOCK_SECRET_KEY_FILE` names, and never
/// make one up. Without either, secret values are refused and nothing is written.
#[test]
fn a_postgres_catalog_takes_its_key_from_the_environment_or_a_key_file() {
    let server = airlock_testkit::postgres::Server::start();
    let url = server.create_database("keys");
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate();
    let key_file = dir.path().join("node.key");
    fs::write(&key_file, key.to_hex()).unwrap();
    let key_file = key_file.to_str().unwrap();

    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "create"),
            ("AIRLOCK_TEST_PATH", &url),
            ("AIRLOCK_TEST_VALUE", CANARY),
        ],
    );
    assert_eq!(
        child_lines(&out),
        ["err 58030 the secret key of this catalog is missing"],
        "{out:?}"
    );
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "create"),
            ("AIRLOCK_TEST_PATH", &url),
            ("AIRLOCK_TEST_VALUE", CANARY),
            ("AIRLOCK_SECRET_KEY_FILE", key_file),
        ],
    );
    assert_eq!(child_lines(&out), ["ok u1"], "{out:?}");
    // Another node with the same key in the environment reads it; a wrong key cannot.
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "read"),
            ("AIRLOCK_TEST_PATH", &url),
            ("AIRLOCK_SECRET_KEY", &key.to_hex()),
        ],
    );
    assert_eq!(child_lines(&out), [format!("ok {CANARY}")], "{out:?}");
    let out = run_child(
        "child_worker",
        &[
            (CHILD_ENV, "read"),
            ("AIRLOCK_TEST_PATH", &url),
            ("AIRLOCK_SECRET_KEY", &SecretKey::generate().to_hex()),
        ],
    );
    assert_eq!(
        child_lines(&out),
        ["err 28000 the secret key does not match this catalog"],
        "{out:?}"
    );
    // No key file was made anywhere, and the database holds neither key nor value.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    let dump = server
        .psql_command()
        .args(["-At", "-d", "keys", "-c"])
        .arg("SELECT string_agg(t::text, ' ') FROM airlock.secret_ciphertexts t")
        .output()
        .unwrap();
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(!dump.is_empty() && !dump.contains(CANARY) && !dump.contains(key.to_hex().as_str()));
}

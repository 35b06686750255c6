//! The embedded secret store: values encrypted with XChaCha20-Poly1305 into the
//! `secret_ciphertexts` table of the catalog itself, in the same transaction as the
//! secret's metadata (SQLite or PostgreSQL: the database only ever sees ciphertext).
//!
//! Each value gets a random 24-byte nonce (XChaCha's nonce is large enough that random
//! nonces never collide in practice) and is bound to its secret id by the associated
//! data, so a ciphertext copied onto another secret's row fails to decrypt instead of
//! yielding the wrong secret. A key-check token in `settings` tells a wrong key
//! ("the key does not match") from a damaged ciphertext ("corrupted").

use std::fmt;
use std::path::{Path, PathBuf};

use airlock_core::SecretId;
use chacha20poly1305::aead::{Aead, AeadCore, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::key::{self, SecretKey};
use super::{SECRET_KEY_ENV, SECRET_KEY_FILE_ENV, SecretBytes};
use crate::backend::{Backend, DbContext, Sql, args};
use crate::error::{CatalogError, Result};
use crate::read::sql_id;

const NONCE_LEN: usize = 24;
const KEY_CHECK_PLAINTEXT: &[u8] = b"airlock secret key check";

/// Where the key comes from, as decided by the host.
#[derive(Debug)]
pub(crate) enum KeyChoice {
    /// The host passed a key.
    Given(SecretKey),
    /// The environment variable, else the key file beside the catalog.
    Auto { key_file: PathBuf },
    /// An in-memory catalog: a random key that dies with it.
    Ephemeral,
    /// A catalog many nodes share (PostgreSQL): `AIRLOCK_SECRET_KEY`, else the key file
    /// `AIRLOCK_SECRET_KEY_FILE` names. No key is ever made up here, since the other
    /// nodes could not know it.
    Environment,
}

enum KeyState {
    Ready { cipher: Box<XChaCha20Poly1305> },
    Missing { key_file: Option<PathBuf> },
    Wrong { source: String },
}

/// The embedded store of one open catalog.
pub(crate) struct EmbeddedStore {
    key: KeyState,
}

impl fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.key {
            KeyState::Ready { .. } => "ready",
            KeyState::Missing { .. } => "missing key",
            KeyState::Wrong { .. } => "wrong key",
        };
        f.debug_struct("EmbeddedStore")
            .field("key", &state)
            .finish()
    }
}

impl EmbeddedStore {
    /// Finds the key and checks it against the catalog's key-check token, writing the
    /// token if the catalog has none yet.
    ///
    /// A missing or wrong key does not fail here: the catalog stays usable for
    /// everything but secret values (so that a user can still drop and recreate
    /// secrets), and each secret operation reports the problem.
    pub(crate) fn open(db: &mut dyn Backend, choice: KeyChoice) -> Result<EmbeddedStore> {
        let (key, source, key_file) = match choice {
            KeyChoice::Given(key) => (Some(key), "the configured key".to_owned(), None),
            KeyChoice::Ephemeral => (Some(SecretKey::generate()), "a random key".to_owned(), None),
            KeyChoice::Environment => match key_from_env()? {
                Some(key) => (Some(key), SECRET_KEY_ENV.to_owned(), None),
                None => match std::env::var_os(SECRET_KEY_FILE_ENV) {
                    Some(path) if !path.is_empty() => {
                        let path = PathBuf::from(path);
                        match key::read_key_file(&path)? {
                            Some(key) => (Some(key), format!("key file {}", path.display()), None),
                            None => {
                                return Ok(EmbeddedStore {
                                    key: KeyState::Missing {
                                        key_file: Some(path),
                                    },
                                });
                            }
                        }
                    }
                    _ => {
                        return Ok(EmbeddedStore {
                            key: KeyState::Missing { key_file: None },
                        });
                    }
                },
            },
            KeyChoice::Auto { key_file } => match std::env::var(SECRET_KEY_ENV) {
                Ok(text) if !text.trim().is_empty() => {
                    let key = SecretKey::from_hex(&Zeroizing::new(text)).ok_or_else(|| {
                        CatalogError::InvalidSecretKey {
                            source_name: SECRET_KEY_ENV.to_owned(),
                        }
                    })?;
                    (Some(key), SECRET_KEY_ENV.to_owned(), None)
                }
                _ => {
                    let key = key::read_key_file(&key_file)?;
                    let source = format!("key file {}", key_file.display());
                    (key, source, Some(key_file))
                }
            },
        };

        let stored = read_key_check(db.sql())?;
        let key = match (stored, key) {
            (Some(check), Some(key)) => {
                return Ok(EmbeddedStore::checked(&check, key, source));
            }
            (Some(_), None) => {
                return Ok(EmbeddedStore {
                    key: KeyState::Missing { key_file },
                });
            }
            (None, Some(key)) => key,
            // A catalog that never stored a secret and has no key yet: make one. Only
            // the key file can be missing here (the other choices always give a key).
            (None, None) => match &key_file {
                Some(path) => key::create_key_file(path)?,
                None => SecretKey::generate(),
            },
        };

        // Record the token, unless another process did so meanwhile: decide under the
        // write lock.
        let tx = db.begin()?;
        let store = match read_key_check(tx.sql())? {
            Some(check) => EmbeddedStore::checked(&check, key, source),
            None => {
                let check = make_key_check(&key)?;
                tx.execute(
                    "UPDATE settings SET secret_key_check = ?1 WHERE singleton = 1",
                    args![check.as_slice()],
                )
                .ctx("recording the secret key check")?;
                EmbeddedStore {
                    key: KeyState::Ready {
                        cipher: Box::new(key.cipher()),
                    },
                }
            }
        };
        tx.commit().ctx("recording the secret key check")?;
        Ok(store)
    }

    fn checked(check: &[u8], key: SecretKey, source: String) -> EmbeddedStore {
        let cipher = key.cipher();
        let ok = check.len() > NONCE_LEN && {
            let (nonce, sealed) = check.split_at(NONCE_LEN);
            cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: KEY_CHECK_AAD,
                    },
                )
                .is_ok_and(|plain| plain == KEY_CHECK_PLAINTEXT)
        };
        EmbeddedStore {
            key: if ok {
                KeyState::Ready {
                    cipher: Box::new(cipher),
                }
            } else {
                KeyState::Wrong { source }
            },
        }
    }

    /// Fails as a secret operation would if the key is missing or wrong.
    pub(crate) fn check_key(&self) -> Result<()> {
        self.cipher().map(|_| ())
    }

    fn cipher(&self) -> Result<&XChaCha20Poly1305> {
        match &self.key {
            KeyState::Ready { cipher } => Ok(cipher),
            KeyState::Missing { key_file } => Err(CatalogError::MissingSecretKey {
                key_file: key_file.clone(),
            }),
            KeyState::Wrong { source } => Err(CatalogError::WrongSecretKey {
                key_source: source.clone(),
            }),
        }
    }

    /// Stores (or replaces) the value of secret `id`, inside the caller's transaction.
    pub(crate) fn put(&self, conn: &dyn Sql, id: SecretId, value: &[u8]) -> Result<()> {
        let cipher = self.cipher()?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = id.to_string();
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: value,
                    aad: aad.as_bytes(),
                },
            )
            // Encryption only fails for messages beyond the cipher's length limit (256 GiB).
            .map_err(|_| CatalogError::Corrupted(format!("cannot encrypt secret {id}")))?;
        let raw_id = sql_id(id)?;
        conn.execute(
            "INSERT INTO secret_ciphertexts (secret_id, nonce, ciphertext) VALUES (?1, ?2, ?3)
             ON CONFLICT (secret_id) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext",
            args![raw_id, nonce.as_slice(), sealed.as_slice()],
        )
        .ctx("storing a secret value")?;
        Ok(())
    }

    /// Decrypts the value of secret `id`.
    pub(crate) fn read(&self, conn: &dyn Sql, id: SecretId) -> Result<SecretBytes> {
        let cipher = self.cipher()?;
        let raw_id = sql_id(id)?;
        let row = conn
            .query_opt(
                "SELECT nonce, ciphertext FROM secret_ciphertexts WHERE secret_id = ?1",
                args![raw_id],
            )
            .ctx("reading a secret value")?;
        let row = match row {
            Some(r) => Some((
                r.opt_bytes(0)?.unwrap_or_default(),
                r.opt_bytes(1)?.unwrap_or_default(),
            )),
            None => None,
        };
        let Some((nonce, sealed)) = row else {
            return Err(CatalogError::Corrupted(format!(
                "secret {id} has no stored value"
            )));
        };
        if nonce.len() != NONCE_LEN {
            return Err(CatalogError::CorruptedSecret { id: id.into() });
        }
        let aad = id.to_string();
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CatalogError::CorruptedSecret { id: id.into() })?;
        Ok(SecretBytes::new(plain))
    }
}

const KEY_CHECK_AAD: &[u8] = b"airlock-key-check";

fn make_key_check(key: &SecretKey) -> Result<Vec<u8>> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = key
        .cipher()
        .encrypt(
            &nonce,
            Payload {
                msg: KEY_CHECK_PLAINTEXT,
                aad: KEY_CHECK_AAD,
            },
        )
        .map_err(|_| CatalogError::Corrupted("cannot encrypt the key check".to_owned()))?;
    let mut check = nonce.to_vec();
    check.extend_from_slice(&sealed);
    Ok(check)
}

fn read_key_check(conn: &dyn Sql) -> Result<Option<Vec<u8>>> {
    match conn
        .query_opt(
            "SELECT secret_key_check FROM settings WHERE singleton = 1",
            &[],
        )
        .ctx("reading the secret key check")?
    {
        Some(row) => row.opt_bytes(0),
        None => Ok(None),
    }
}

/// The key in `AIRLOCK_SECRET_KEY`, if it is set.
fn key_from_env() -> Result<Option<SecretKey>> {
    match std::env::var(SECRET_KEY_ENV) {
        Ok(text) if !text.trim().is_empty() => SecretKey::from_hex(&Zeroizing::new(text))
            .map(Some)
            .ok_or_else(|| CatalogError::InvalidSecretKey {
                source_name: SECRET_KEY_ENV.to_owned(),
            }),
        _ => Ok(None),
    }
}

/// Path of the key file for a catalog file: `<catalog path>.key`.
pub(crate) fn key_file_for(catalog: &Path) -> PathBuf {
    let mut name = catalog.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

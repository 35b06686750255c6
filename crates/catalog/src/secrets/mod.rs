//! Secret values: the [`SecretStore`] trait a host can implement (Vault, Kubernetes, AWS
//! Secrets Manager), and the embedded default that keeps them encrypted in the catalog
//! file.
//!
//! # How values and metadata stay in step
//!
//! The embedded store writes its ciphertext in the catalog's own SQLite transaction, so
//! a secret's metadata and value commit or roll back together.
//!
//! An external store cannot join that transaction. The catalog follows Materialize's
//! order instead: a value is put (or rotated) *before* the transaction commits, and
//! deleted only *after* it has committed. A crash in between leaves at worst a value
//! without metadata — an orphan, never metadata without a value — and orphans are
//! deleted the next time a catalog is opened over that store (under the catalog's write
//! lock, so a value another process is about to commit is never mistaken for one). A
//! store must therefore serve one catalog only; namespace it by the catalog's
//! environment id.

pub(crate) mod embedded;
pub(crate) mod key;
mod memory;

use std::fmt;
use std::sync::Arc;

use airlock_core::{SecretId, SecretString};

pub(crate) use embedded::EmbeddedStore;
pub use key::SecretKey;
pub use memory::MemorySecretStore;

/// A secret's value as bytes: what `CREATE SECRET ... AS` stores (in Materialize a secret
/// is a `bytea`). Zeroed when dropped; `Debug` redacts.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(zeroize::Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(zeroize::Zeroizing::new(bytes))
    }

    /// The bytes themselves.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// The value as text, for a store or a consumer that holds text only; `None` when it
    /// is not UTF-8. The copy is zeroed when dropped.
    pub fn to_secret_string(&self) -> Option<SecretString> {
        std::str::from_utf8(&self.0).ok().map(SecretString::new)
    }
}

impl From<&SecretString> for SecretBytes {
    fn from(value: &SecretString) -> Self {
        SecretBytes::new(value.expose_secret().as_bytes().to_vec())
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(<redacted>)")
    }
}

/// The environment variable that holds the embedded store's key: 64 hexadecimal
/// digits (32 bytes).
pub const SECRET_KEY_ENV: &str = "AIRLOCK_SECRET_KEY";

/// The environment variable naming a key file (64 hexadecimal digits) for a catalog
/// that has no file of its own to put one beside: a PostgreSQL catalog, when
/// [`SECRET_KEY_ENV`] is not set.
pub const SECRET_KEY_FILE_ENV: &str = "AIRLOCK_SECRET_KEY_FILE";

/// Where secret values live, for a host that keeps them outside the catalog.
///
/// Implementations must be safe to call from several threads, must never put a value in
/// an error message, and must treat `delete` of an absent id as success.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// Stores the value of a new secret. Called before the creating transaction commits.
    fn put(&self, id: SecretId, value: &SecretString) -> Result<(), SecretStoreError>;
    /// The current value of a secret.
    fn read(&self, id: SecretId) -> Result<SecretString, SecretStoreError>;
    /// Replaces the value of an existing secret (`ALTER SECRET ... AS`). Called before
    /// the transaction commits.
    fn rotate(&self, id: SecretId, value: &SecretString) -> Result<(), SecretStoreError>;
    /// Forgets a secret. Called after the dropping transaction committed.
    fn delete(&self, id: SecretId) -> Result<(), SecretStoreError>;
    /// Every id the store holds a value for, to find orphans.
    fn list(&self) -> Result<Vec<SecretId>, SecretStoreError>;
}

/// A failure of a [`SecretStore`].
#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    #[error("secret {0} has no value in the secret store")]
    NotFound(SecretId),
    /// Anything the store's backend reports. Must not contain a secret value.
    #[error("secret store error: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// Which secret store a catalog uses.
#[derive(Clone, Default)]
pub enum SecretBackend {
    /// The embedded store: values encrypted into the catalog file. The key comes from
    /// [`SECRET_KEY_ENV`] if set, else from the key file `<catalog path>.key`, which is
    /// created (mode 0600) if there is none yet. An in-memory catalog uses a random key.
    #[default]
    Embedded,
    /// The embedded store with this key; neither the environment nor a key file is
    /// consulted.
    EmbeddedWithKey(SecretKey),
    /// A store the host provides.
    External(Arc<dyn SecretStore>),
}

impl fmt::Debug for SecretBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretBackend::Embedded => f.write_str("Embedded"),
            SecretBackend::EmbeddedWithKey(_) => f.write_str("EmbeddedWithKey(<redacted>)"),
            SecretBackend::External(store) => f.debug_tuple("External").field(store).finish(),
        }
    }
}

/// The store a catalog actually talks to.
#[derive(Debug)]
pub(crate) enum Secrets {
    Embedded(EmbeddedStore),
    External(Arc<dyn SecretStore>),
}

impl Secrets {
    pub(crate) fn external(&self) -> Option<&dyn SecretStore> {
        match self {
            Secrets::External(store) => Some(store.as_ref()),
            Secrets::Embedded(_) => None,
        }
    }
}

//! A [`SecretStore`] that keeps values in process memory: for tests, and as the
//! smallest example of the trait.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use airlock_core::{SecretId, SecretString};

use super::{SecretStore, SecretStoreError};

/// Values in a map in memory; gone when the process exits.
#[derive(Debug, Default)]
pub struct MemorySecretStore {
    values: Mutex<BTreeMap<SecretId, SecretString>>,
}

impl MemorySecretStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn values(&self) -> MutexGuard<'_, BTreeMap<SecretId, SecretString>> {
        // A panic elsewhere while holding the lock leaves the map itself intact.
        self.values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SecretStore for MemorySecretStore {
    fn put(&self, id: SecretId, value: &SecretString) -> Result<(), SecretStoreError> {
        self.values().insert(id, value.clone());
        Ok(())
    }

    fn read(&self, id: SecretId) -> Result<SecretString, SecretStoreError> {
        self.values()
            .get(&id)
            .cloned()
            .ok_or(SecretStoreError::NotFound(id))
    }

    fn rotate(&self, id: SecretId, value: &SecretString) -> Result<(), SecretStoreError> {
        match self.values().get_mut(&id) {
            Some(slot) => {
                *slot = value.clone();
                Ok(())
            }
            None => Err(SecretStoreError::NotFound(id)),
        }
    }

    fn delete(&self, id: SecretId) -> Result<(), SecretStoreError> {
        self.values().remove(&id);
        Ok(())
    }

    fn list(&self) -> Result<Vec<SecretId>, SecretStoreError> {
        Ok(self.values().keys().copied().collect())
    }
}

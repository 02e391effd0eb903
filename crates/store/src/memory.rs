//! The registry in memory: for tests and throwaway runs.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::{DeviceCredential, DeviceKey, DeviceRecord, Store, StoreError};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Default)]
struct Inner {
    devices: Map<DeviceKey, DeviceRecord>,
    credentials: Map<String, DeviceCredential>,
    failing: bool,
    batches: usize,
}

/// Keeps nothing across restarts. Can be told to fail its writes, so tests
/// can see what a broken disk or database does to sessions.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("devices", &self.len())
            .finish()
    }
}

impl MemoryStore {
    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store poisoned".into()))
    }

    /// From now on every write fails (`true`) or works again (`false`).
    pub fn set_failing(&self, failing: bool) {
        if let Ok(mut inner) = self.lock() {
            inner.failing = failing;
        }
    }

    /// Successful `put_batch` calls so far: one per commit.
    pub fn batches(&self) -> usize {
        self.lock().map_or(0, |i| i.batches)
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &DeviceKey) -> Option<DeviceRecord> {
        self.lock().ok()?.devices.get(key).cloned()
    }

    fn put_batch(&self, records: &[DeviceRecord]) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if inner.failing {
            return Err(StoreError::Unavailable("writes disabled".into()));
        }
        for r in records {
            inner.devices.insert(r.key.clone(), r.clone());
        }
        inner.batches += 1;
        Ok(())
    }

    fn len(&self) -> usize {
        self.lock().map_or(0, |i| i.devices.len())
    }

    fn all(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let mut all: Vec<DeviceRecord> = self.lock()?.devices.values().cloned().collect();
        all.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(all)
    }

    fn credential(&self, username: &str) -> Option<DeviceCredential> {
        self.lock().ok()?.credentials.get(username).cloned()
    }

    fn put_credentials(&self, credentials: &[DeviceCredential]) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if inner.failing {
            return Err(StoreError::Unavailable("writes disabled".into()));
        }
        let devices: Vec<&DeviceKey> = credentials.iter().map(|c| &c.device).collect();
        inner
            .credentials
            .retain(|_, c| !devices.contains(&&c.device));
        for c in credentials {
            inner.credentials.insert(c.username.clone(), c.clone());
        }
        Ok(())
    }
}

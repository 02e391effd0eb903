//! The registry in memory: for tests and throwaway runs.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::{DeviceCredential, DeviceKey, DeviceRecord, Store, StoreError};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Default)]
struct Inner {
    devices: Map<DeviceKey, DeviceRecord>,
    credentials: Map<String, DeviceCredential>,
    agents: std::collections::BTreeMap<String, Vec<u8>>,
    failing: bool,
    failing_reads: bool,
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

    /// From now on every read fails (`true`) or works again (`false`).
    pub fn set_failing_reads(&self, failing: bool) {
        if let Ok(mut inner) = self.lock() {
            inner.failing_reads = failing;
        }
    }

    /// Successful `put_batch` calls so far: one per commit.
    pub fn batches(&self) -> usize {
        self.lock().map_or(0, |i| i.batches)
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &DeviceKey) -> Result<Option<DeviceRecord>, StoreError> {
        let inner = self.lock()?;
        if inner.failing_reads {
            return Err(StoreError::Unavailable("reads disabled".into()));
        }
        Ok(inner.devices.get(key).cloned())
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

    fn credential(&self, username: &str) -> Result<Option<DeviceCredential>, StoreError> {
        let inner = self.lock()?;
        if inner.failing_reads {
            return Err(StoreError::Unavailable("reads disabled".into()));
        }
        Ok(inner.credentials.get(username).cloned())
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

    fn agent_states(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let inner = self.lock()?;
        if inner.failing_reads {
            return Err(StoreError::Unavailable("reads disabled".into()));
        }
        Ok(inner
            .agents
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn put_agent_states(&self, states: &[(String, Option<Vec<u8>>)]) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if inner.failing {
            return Err(StoreError::Unavailable("writes disabled".into()));
        }
        for (eid, state) in states {
            match state {
                Some(bytes) => inner.agents.insert(eid.clone(), bytes.clone()),
                None => inner.agents.remove(eid),
            };
        }
        Ok(())
    }
}

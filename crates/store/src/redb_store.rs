//! The registry in redb: one file, copy-on-write B-trees, and a commit
//! that is durable (fsync'd) before it returns, so a record written before
//! an InformResponse survives `kill -9` and power loss. A batch is one
//! write transaction: however many records, one fsync.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::codec::{decode_record, encode_record, Unreadable};
use crate::{DeviceCredential, DeviceKey, DeviceRecord, Store, StoreError};

/// Device records ([`crate::codec`]: binary, or JSON from before), keyed by `OUI \0 ProductClass \0 Serial`.
const DEVICES: TableDefinition<&str, &[u8]> = TableDefinition::new("devices");
/// Per-device credentials as JSON, keyed by user name (what the
/// authentication path looks up).
const CREDENTIALS: TableDefinition<&str, &[u8]> = TableDefinition::new("credentials");

/// Each USP agent's own state, opaque to the store, keyed by endpoint ID.
const AGENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("agents");

/// The page cache `cwmp2usp run` uses unless told otherwise.
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;

pub struct RedbStore {
    db: Database,
    /// Records in the table, kept so `len` needs no read transaction.
    count: AtomicUsize,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn key_text(key: &DeviceKey) -> String {
    format!("{}\0{}\0{}", key.oui, key.product_class, key.serial)
}

impl RedbStore {
    /// Opens (or creates) the registry file at `path` with the default
    /// page cache ([`DEFAULT_CACHE_BYTES`]). Fails while another process has
    /// it open: redb locks the file.
    pub fn open(path: &Path) -> Result<RedbStore, StoreError> {
        Self::open_with_cache(path, DEFAULT_CACHE_BYTES)
    }

    /// As [`RedbStore::open`], keeping at most `cache_bytes` of the file's
    /// pages in memory. redb's own default (a gigabyte) let a registry of
    /// 100k devices hold 2.6 KiB of memory per idle device; the registry is
    /// read once per session, so a small cache costs little.
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<RedbStore, StoreError> {
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)
            .map_err(unavailable)?;
        // Create the tables on first use so reads never miss them.
        let tx = db.begin_write().map_err(unavailable)?;
        tx.open_table(DEVICES).map_err(unavailable)?;
        tx.open_table(CREDENTIALS).map_err(unavailable)?;
        tx.open_table(AGENTS).map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        let count = {
            let rx = db.begin_read().map_err(unavailable)?;
            let table = rx.open_table(DEVICES).map_err(unavailable)?;
            usize::try_from(table.len().map_err(unavailable)?).unwrap_or(usize::MAX)
        };
        Ok(RedbStore {
            db,
            count: AtomicUsize::new(count),
        })
    }

    fn decode<T: serde::de::DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
            key: key.replace('\0', "/"),
            reason: e.to_string(),
        })
    }

    fn decode_device(key: &str, bytes: &[u8]) -> Result<DeviceRecord, StoreError> {
        decode_record(bytes).map_err(|Unreadable(reason)| StoreError::Corrupt {
            key: key.replace('\0', "/"),
            reason,
        })
    }
}

impl Store for RedbStore {
    fn get(&self, key: &DeviceKey) -> Result<Option<DeviceRecord>, StoreError> {
        let rx = self.db.begin_read().map_err(unavailable)?;
        let table = rx.open_table(DEVICES).map_err(unavailable)?;
        let k = key_text(key);
        match table.get(k.as_str()).map_err(unavailable)? {
            Some(guard) => Self::decode_device(&k, guard.value()).map(Some),
            None => Ok(None),
        }
    }

    fn put_batch(&self, records: &[DeviceRecord]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(unavailable)?;
        let mut added = 0;
        let mut value = Vec::new();
        {
            let mut table = tx.open_table(DEVICES).map_err(unavailable)?;
            for record in records {
                encode_record(record, &mut value);
                let k = key_text(&record.key);
                let old = table
                    .insert(k.as_str(), value.as_slice())
                    .map_err(unavailable)?;
                added += usize::from(old.is_none());
            }
        }
        // Dropping an uncommitted transaction aborts it: on any error above
        // nothing of the batch is written.
        tx.commit().map_err(unavailable)?;
        self.count.fetch_add(added, Ordering::Relaxed);
        Ok(())
    }

    fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    fn all(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let rx = self.db.begin_read().map_err(unavailable)?;
        let table = rx.open_table(DEVICES).map_err(unavailable)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(unavailable)? {
            let (k, v) = entry.map_err(unavailable)?;
            out.push(Self::decode_device(k.value(), v.value())?);
        }
        Ok(out)
    }

    fn credential(&self, username: &str) -> Result<Option<DeviceCredential>, StoreError> {
        let rx = self.db.begin_read().map_err(unavailable)?;
        let table = rx.open_table(CREDENTIALS).map_err(unavailable)?;
        match table.get(username).map_err(unavailable)? {
            Some(guard) => Self::decode(username, guard.value()).map(Some),
            None => Ok(None),
        }
    }

    fn put_credentials(&self, credentials: &[DeviceCredential]) -> Result<(), StoreError> {
        let devices: HashSet<&DeviceKey> = credentials.iter().map(|c| &c.device).collect();
        let tx = self.db.begin_write().map_err(unavailable)?;
        {
            let mut table = tx.open_table(CREDENTIALS).map_err(unavailable)?;
            // Imports are offline and rare: a full scan for the names these
            // devices had before is fine.
            let mut stale = Vec::new();
            for entry in table.iter().map_err(unavailable)? {
                let (k, v) = entry.map_err(unavailable)?;
                let old: DeviceCredential = Self::decode(k.value(), v.value())?;
                if devices.contains(&old.device) {
                    stale.push(k.value().to_string());
                }
            }
            for k in stale {
                table.remove(k.as_str()).map_err(unavailable)?;
            }
            for c in credentials {
                let value = serde_json::to_vec(c).map_err(unavailable)?;
                table
                    .insert(c.username.as_str(), value.as_slice())
                    .map_err(unavailable)?;
            }
        }
        tx.commit().map_err(unavailable)
    }

    fn agent_states(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rx = self.db.begin_read().map_err(unavailable)?;
        let table = rx.open_table(AGENTS).map_err(unavailable)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(unavailable)? {
            let (k, v) = entry.map_err(unavailable)?;
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn put_agent_states(&self, states: &[(String, Option<Vec<u8>>)]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(unavailable)?;
        {
            let mut table = tx.open_table(AGENTS).map_err(unavailable)?;
            for (eid, state) in states {
                match state {
                    Some(bytes) => table.insert(eid.as_str(), bytes.as_slice()),
                    None => table.remove(eid.as_str()),
                }
                .map_err(unavailable)?;
            }
        }
        tx.commit().map_err(unavailable)
    }
}

#[cfg(test)]
#[path = "redb_store_tests.rs"]
mod tests;

//! The registry in redb: one file, copy-on-write B-trees, and a commit
//! that is durable (fsync'd) before it returns, so a record `put` before an
//! InformResponse survives `kill -9` and power loss.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::{DeviceKey, DeviceRecord, Store, StoreError};

/// Device records as JSON, keyed by `OUI \0 ProductClass \0 Serial`.
const DEVICES: TableDefinition<&str, &[u8]> = TableDefinition::new("devices");

pub struct RedbStore {
    db: Database,
    /// Records in the table, kept so `len` needs no read transaction.
    count: usize,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn key_text(key: &DeviceKey) -> String {
    format!("{}\0{}\0{}", key.oui, key.product_class, key.serial)
}

impl RedbStore {
    /// Opens (or creates) the registry file at `path`.
    pub fn open(path: &Path) -> Result<RedbStore, StoreError> {
        let db = Database::create(path).map_err(unavailable)?;
        // Create the table on first use so reads never miss it.
        let tx = db.begin_write().map_err(unavailable)?;
        tx.open_table(DEVICES).map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        let count = {
            let rx = db.begin_read().map_err(unavailable)?;
            let table = rx.open_table(DEVICES).map_err(unavailable)?;
            usize::try_from(table.len().map_err(unavailable)?).unwrap_or(usize::MAX)
        };
        Ok(RedbStore { db, count })
    }

    fn decode(key: &str, bytes: &[u8]) -> Result<DeviceRecord, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
            key: key.replace('\0', "/"),
            reason: e.to_string(),
        })
    }
}

impl Store for RedbStore {
    fn get(&self, key: &DeviceKey) -> Option<DeviceRecord> {
        let rx = self.db.begin_read().ok()?;
        let table = rx.open_table(DEVICES).ok()?;
        let k = key_text(key);
        let guard = table.get(k.as_str()).ok()??;
        Self::decode(&k, guard.value()).ok()
    }

    fn put(&mut self, record: DeviceRecord) -> Result<(), StoreError> {
        let value = serde_json::to_vec(&record).map_err(unavailable)?;
        let tx = self.db.begin_write().map_err(unavailable)?;
        let added = {
            let mut table = tx.open_table(DEVICES).map_err(unavailable)?;
            let k = key_text(&record.key);
            let old = table
                .insert(k.as_str(), value.as_slice())
                .map_err(unavailable)?;
            old.is_none()
        };
        tx.commit().map_err(unavailable)?;
        if added {
            self.count += 1;
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.count
    }

    fn all(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let rx = self.db.begin_read().map_err(unavailable)?;
        let table = rx.open_table(DEVICES).map_err(unavailable)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(unavailable)? {
            let (k, v) = entry.map_err(unavailable)?;
            out.push(Self::decode(k.value(), v.value())?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn record(serial: &str) -> DeviceRecord {
        DeviceRecord {
            key: DeviceKey {
                oui: "00D09E".into(),
                product_class: "HGW".into(),
                serial: serial.into(),
            },
            manufacturer: "Acme".into(),
            root: "Device.".into(),
            cwmp_version: "1.2".into(),
            connection_request_url: Some("http://10.0.0.1:7547/cr".into()),
            last_events: vec!["1 BOOT".into()],
            last_inform: Duration::from_secs(1_795_393_567),
            params: vec![("Device.DeviceInfo.SoftwareVersion".into(), "1.0".into())],
        }
    }

    #[test]
    fn records_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.redb");
        {
            let mut s = RedbStore::open(&path).unwrap();
            s.put(record("SN1")).unwrap();
            s.put(record("SN2")).unwrap();
            let mut again = record("SN1");
            again.last_events = vec!["2 PERIODIC".into()];
            s.put(again).unwrap();
            assert_eq!(s.len(), 2);
        }
        let s = RedbStore::open(&path).unwrap();
        assert_eq!(s.len(), 2);
        let one = s.get(&record("SN1").key).unwrap();
        assert_eq!(one.last_events, ["2 PERIODIC"]);
        assert_eq!(s.get(&record("SN2").key), Some(record("SN2")));
        assert_eq!(s.get(&record("SN3").key), None);
        let serials: Vec<String> = s.all().unwrap().into_iter().map(|r| r.key.serial).collect();
        assert_eq!(serials, ["SN1", "SN2"]);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.redb");
        std::fs::write(&path, b"not a database at all, just text").unwrap();
        let err = RedbStore::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    }
}

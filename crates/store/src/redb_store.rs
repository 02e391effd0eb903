//! The registry in redb: one file, copy-on-write B-trees, and a commit
//! that is durable (fsync'd) before it returns, so a record written before
//! an InformResponse survives `kill -9` and power loss. A batch is one
//! write transaction: however many records, one fsync.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::{DeviceCredential, DeviceKey, DeviceRecord, Store, StoreError};

/// Device records as JSON, keyed by `OUI \0 ProductClass \0 Serial`.
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
}

impl Store for RedbStore {
    fn get(&self, key: &DeviceKey) -> Result<Option<DeviceRecord>, StoreError> {
        let rx = self.db.begin_read().map_err(unavailable)?;
        let table = rx.open_table(DEVICES).map_err(unavailable)?;
        let k = key_text(key);
        match table.get(k.as_str()).map_err(unavailable)? {
            Some(guard) => Self::decode(&k, guard.value()).map(Some),
            None => Ok(None),
        }
    }

    fn put_batch(&self, records: &[DeviceRecord]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(unavailable)?;
        let mut added = 0;
        {
            let mut table = tx.open_table(DEVICES).map_err(unavailable)?;
            for record in records {
                let value = serde_json::to_vec(record).map_err(unavailable)?;
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
            out.push(Self::decode(k.value(), v.value())?);
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
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{Provisioning, Secret};

    fn key(serial: &str) -> DeviceKey {
        DeviceKey {
            oui: "00D09E".into(),
            product_class: "HGW".into(),
            serial: serial.into(),
        }
    }

    fn record(serial: &str) -> DeviceRecord {
        DeviceRecord {
            manufacturer: "Acme".into(),
            root: "Device.".into(),
            cwmp_version: "1.2".into(),
            connection_request_url: Some("http://10.0.0.1:7547/cr".into()),
            last_events: vec!["1 BOOT".into()],
            params: vec![("Device.DeviceInfo.SoftwareVersion".into(), "1.0".into())],
            ..DeviceRecord::new(key(serial), Duration::from_secs(1_795_393_567))
        }
    }

    fn open(dir: &tempfile::TempDir) -> RedbStore {
        RedbStore::open(&dir.path().join("registry.redb")).unwrap()
    }

    #[test]
    fn records_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = open(&dir);
            s.put(record("SN1")).unwrap();
            s.put(record("SN2")).unwrap();
            let mut again = record("SN1");
            again.last_events = vec!["2 PERIODIC".into()];
            s.put(again).unwrap();
            assert_eq!(s.len(), 2);
        }
        let s = open(&dir);
        assert_eq!(s.len(), 2);
        let one = s.get(&key("SN1")).unwrap().unwrap();
        assert_eq!(one.last_events, ["2 PERIODIC"]);
        assert_eq!(s.get(&key("SN2")).unwrap(), Some(record("SN2")));
        assert_eq!(s.get(&key("SN3")).unwrap(), None);
        let serials: Vec<String> = s.all().unwrap().into_iter().map(|r| r.key.serial).collect();
        assert_eq!(serials, ["SN1", "SN2"]);
    }

    #[test]
    fn a_batch_lands_whole_and_counts_new_devices_once() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = open(&dir);
            s.put(record("SN1")).unwrap();
            let mut updated = record("SN1");
            updated.provisioning = Provisioning::Done {
                at: Duration::from_secs(7),
            };
            updated.connection_request_username = Some("u".into());
            updated.connection_request_password = Some(Secret::new("p"));
            let batch: Vec<DeviceRecord> = std::iter::once(updated.clone())
                .chain((2..=50).map(|i| record(&format!("SN{i}"))))
                .collect();
            s.put_batch(&batch).unwrap();
            assert_eq!(s.len(), 50);
            s.put_batch(&[]).unwrap();
            assert_eq!(s.len(), 50);
        }
        let s = open(&dir);
        assert_eq!(s.len(), 50);
        let one = s.get(&key("SN1")).unwrap().unwrap();
        assert!(one.has_connection_request_credentials());
        assert_eq!(
            one.provisioning,
            Provisioning::Done {
                at: Duration::from_secs(7)
            }
        );
        assert_eq!(s.get(&key("SN50")).unwrap(), Some(record("SN50")));
    }

    #[test]
    fn records_from_before_provisioning_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(&dir);
        let mut old = serde_json::to_value(record("SN1")).unwrap();
        let fields = old.as_object_mut().unwrap();
        for gone in [
            "connection_request_username",
            "connection_request_password",
            "provisioning",
        ] {
            fields.remove(gone);
        }
        let bytes = serde_json::to_vec(&old).unwrap();
        let tx = s.db.begin_write().unwrap();
        tx.open_table(DEVICES)
            .unwrap()
            .insert(key_text(&key("SN1")).as_str(), bytes.as_slice())
            .unwrap();
        tx.commit().unwrap();
        let read = s.get(&key("SN1")).unwrap().unwrap();
        assert_eq!(read.provisioning, Provisioning::Needed);
        assert!(!read.has_connection_request_credentials());
    }

    #[test]
    fn credentials_are_found_by_user_name_and_reimport_rotates_them() {
        let dir = tempfile::tempdir().unwrap();
        let cred = |user: &str, pass: &str, serial: &str| DeviceCredential {
            username: user.into(),
            password: Secret::new(pass),
            device: key(serial),
        };
        {
            let s = open(&dir);
            s.put_credentials(&[cred("a", "pa", "SN1"), cred("b", "pb", "SN2")])
                .unwrap();
        }
        let s = open(&dir);
        assert_eq!(s.credential("a").unwrap(), Some(cred("a", "pa", "SN1")));
        assert_eq!(s.credential("c").unwrap(), None);
        s.put_credentials(&[cred("a2", "new", "SN1")]).unwrap();
        assert_eq!(
            s.credential("a").unwrap(),
            None,
            "the old name of SN1 is gone"
        );
        assert_eq!(
            s.credential("a2").unwrap().unwrap().password.expose(),
            "new"
        );
        assert_eq!(s.credential("b").unwrap(), Some(cred("b", "pb", "SN2")));
    }

    #[test]
    fn a_second_opener_is_refused_while_the_first_holds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let _first = open(&dir);
        let err = RedbStore::open(&dir.path().join("registry.redb"))
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.redb");
        std::fs::write(&path, b"not a database at all, just text").unwrap();
        let err = RedbStore::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    }

    #[test]
    fn a_corrupt_record_is_an_error_not_a_missing_device() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(&dir);
        let tx = s.db.begin_write().unwrap();
        tx.open_table(DEVICES)
            .unwrap()
            .insert(key_text(&key("SN1")).as_str(), b"{not json".as_slice())
            .unwrap();
        tx.commit().unwrap();
        assert!(matches!(
            s.get(&key("SN1")),
            Err(StoreError::Corrupt { .. })
        ));
        assert_eq!(s.get(&key("SN2")).unwrap(), None);
    }

    #[test]
    fn agent_states_survive_reopening_and_can_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = open(&dir);
            s.put_agent_states(&[
                ("os::A-1".into(), Some(b"one".to_vec())),
                ("os::A-2".into(), Some(b"two".to_vec())),
            ])
            .unwrap();
            s.put_agent_states(&[
                ("os::A-1".into(), None),
                ("os::A-2".into(), Some(b"2".to_vec())),
            ])
            .unwrap();
        }
        let s = open(&dir);
        assert_eq!(
            s.agent_states().unwrap(),
            [("os::A-2".to_string(), b"2".to_vec())]
        );
    }
}

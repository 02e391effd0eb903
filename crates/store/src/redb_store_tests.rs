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

#[test]
fn a_registry_written_as_json_opens_and_is_rewritten_compact() {
    let dir = tempfile::tempdir().unwrap();
    // As versions before the binary form wrote every record.
    {
        let s = open(&dir);
        let tx = s.db.begin_write().unwrap();
        {
            let mut table = tx.open_table(DEVICES).unwrap();
            for serial in ["SN1", "SN2"] {
                let json = serde_json::to_vec(&record(serial)).unwrap();
                table
                    .insert(key_text(&key(serial)).as_str(), json.as_slice())
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let stored = |s: &RedbStore, serial: &str| {
        let rx = s.db.begin_read().unwrap();
        let table = rx.open_table(DEVICES).unwrap();
        let bytes = table.get(key_text(&key(serial)).as_str()).unwrap().unwrap();
        bytes.value().to_vec()
    };
    let s = open(&dir);
    assert_eq!(s.len(), 2);
    assert_eq!(s.get(&key("SN1")).unwrap(), Some(record("SN1")));
    assert_eq!(s.all().unwrap(), [record("SN1"), record("SN2")]);
    let mut updated = record("SN1");
    updated.last_events = vec!["2 PERIODIC".into()];
    s.put(updated.clone()).unwrap();
    let bytes = stored(&s, "SN1");
    assert_ne!(bytes[0], b'{', "rewritten in the compact form");
    assert!(bytes.len() < serde_json::to_vec(&updated).unwrap().len());
    assert_eq!(
        stored(&s, "SN2")[0],
        b'{',
        "untouched records stay as they were"
    );
    drop(s);
    let s = open(&dir);
    assert_eq!(s.get(&key("SN1")).unwrap(), Some(updated));
    assert_eq!(s.get(&key("SN2")).unwrap(), Some(record("SN2")));
}

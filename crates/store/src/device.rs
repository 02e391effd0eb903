//! Devices as the registry knows them, and the [`Store`] that keeps them.

use std::collections::HashMap;
use std::time::Duration;

/// A device's identity: OUI, ProductClass and SerialNumber from its Inform.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct DeviceKey {
    pub oui: String,
    pub product_class: String,
    pub serial: String,
}

impl DeviceKey {
    /// The USP Endpoint ID this device gets northbound (`os::<OUI>-<Serial>`).
    /// ProductClass is not part of it, as in TR-369's `os` authority scheme
    /// when the OUI and serial are unique.
    pub fn endpoint_id(&self) -> String {
        format!("os::{}-{}", self.oui, self.serial)
    }
}

/// What the registry keeps per device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceRecord {
    pub key: DeviceKey,
    pub manufacturer: String,
    /// `Device.` or `InternetGatewayDevice.`, from the Inform's parameters.
    pub root: String,
    /// The cwmp namespace version the device speaks (e.g. "1.2").
    pub cwmp_version: String,
    pub connection_request_url: Option<String>,
    /// Event codes of the last Inform.
    pub last_events: Vec<String>,
    /// When the last Inform arrived, as time since the Unix epoch (the
    /// engine's clock).
    pub last_inform: Duration,
    /// Every parameter value seen in Informs, latest first wins.
    pub params: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored record for {key} is unreadable: {reason}")]
    Corrupt { key: String, reason: String },
}

/// Where device records live. An Inform's effects must be stored before
/// its InformResponse goes out, so `put` returns only once they are.
pub trait Store {
    fn get(&self, key: &DeviceKey) -> Option<DeviceRecord>;
    fn put(&mut self, record: DeviceRecord) -> Result<(), StoreError>;
    fn len(&self) -> usize;
    /// Every record, in key order (for operators' listings).
    fn all(&self) -> Result<Vec<DeviceRecord>, StoreError>;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A store in memory: for tests and for the first tracer of `run`. It keeps
/// nothing across restarts.
#[derive(Debug, Default)]
pub struct MemoryStore {
    devices: HashMap<DeviceKey, DeviceRecord, foldhash::fast::RandomState>,
}

impl Store for MemoryStore {
    fn get(&self, key: &DeviceKey) -> Option<DeviceRecord> {
        self.devices.get(key).cloned()
    }

    fn put(&mut self, record: DeviceRecord) -> Result<(), StoreError> {
        self.devices.insert(record.key.clone(), record);
        Ok(())
    }

    fn len(&self) -> usize {
        self.devices.len()
    }

    fn all(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let mut all: Vec<DeviceRecord> = self.devices.values().cloned().collect();
        all.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(all)
    }
}

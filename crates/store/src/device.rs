//! Devices as the registry knows them, and the [`Store`] that keeps them.

use std::time::Duration;

use crate::Secret;

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

/// Where the gateway stands in setting up a device's ManagementServer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Provisioning {
    /// Never done, or undone by "0 BOOTSTRAP". Records written before
    /// provisioning existed read as this too.
    #[default]
    Needed,
    /// The CPE accepted our SetParameterValues.
    Done { at: Duration },
    /// The CPE refused it (`fault`) or never answered (`None`); tried again
    /// after a backoff or on the next "0 BOOTSTRAP".
    Failed { at: Duration, fault: Option<u32> },
}

/// What the registry keeps per device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceRecord {
    pub key: DeviceKey,
    pub manufacturer: String,
    /// `Device.` or `InternetGatewayDevice.`, from the Inform's parameters.
    pub root: String,
    /// The cwmp namespace the device speaks, as its URI (e.g.
    /// `urn:dslforum-org:cwmp-1-2`): answers go out in the same one.
    pub cwmp_version: String,
    pub connection_request_url: Option<String>,
    /// Event codes of the last Inform.
    pub last_events: Vec<String>,
    /// When the last Inform arrived, as time since the Unix epoch (the
    /// engine's clock).
    pub last_inform: Duration,
    /// Every parameter value seen in Informs, latest first wins.
    pub params: Vec<(String, String)>,
    /// Connection-request credentials the device accepted from us; `None`
    /// until a provisioning SetParameterValues succeeded.
    #[serde(default)]
    pub connection_request_username: Option<String>,
    #[serde(default)]
    pub connection_request_password: Option<Secret>,
    #[serde(default)]
    pub provisioning: Provisioning,
}

impl DeviceRecord {
    /// A device seen for the first time at `now`.
    pub fn new(key: DeviceKey, now: Duration) -> DeviceRecord {
        DeviceRecord {
            key,
            manufacturer: String::new(),
            root: String::new(),
            cwmp_version: String::new(),
            connection_request_url: None,
            last_events: Vec::new(),
            last_inform: now,
            params: Vec::new(),
            connection_request_username: None,
            connection_request_password: None,
            provisioning: Provisioning::Needed,
        }
    }

    /// Whether the gateway holds connection-request credentials for it.
    pub fn has_connection_request_credentials(&self) -> bool {
        self.connection_request_username.is_some() && self.connection_request_password.is_some()
    }
}

/// A device's own CWMP credentials: whoever authenticates with them may
/// only speak as `device`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceCredential {
    pub username: String,
    pub password: Secret,
    pub device: DeviceKey,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored record for {key} is unreadable: {reason}")]
    Corrupt { key: String, reason: String },
}

/// Where device records and device credentials live.
///
/// Writes come in batches so that many sessions' Informs share one durable
/// commit (one fsync for an embedded file, one transaction for a SQL
/// server); a batch is all or nothing and durable when `put_batch` returns.
/// Every method takes `&self` so that one writer can commit while the
/// engine keeps reading.
pub trait Store {
    /// The device's record; `Ok(None)` only when there is none. A failed
    /// read is an error, never "no record": a known device taken for a new
    /// one would be provisioned again and lose what we hold for it.
    fn get(&self, key: &DeviceKey) -> Result<Option<DeviceRecord>, StoreError>;
    fn put_batch(&self, records: &[DeviceRecord]) -> Result<(), StoreError>;
    fn put(&self, record: DeviceRecord) -> Result<(), StoreError> {
        self.put_batch(std::slice::from_ref(&record))
    }
    fn len(&self) -> usize;
    /// Every record, in key order (for operators' listings).
    fn all(&self) -> Result<Vec<DeviceRecord>, StoreError>;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The per-device credentials whose user name is `username`; a failed
    /// read is an error, as for [`Store::get`].
    fn credential(&self, username: &str) -> Result<Option<DeviceCredential>, StoreError>;
    /// Adds or replaces credentials in one commit. A device gets exactly
    /// the user names given here: names it had before are dropped, so a
    /// re-import rotates credentials rather than piling them up.
    fn put_credentials(&self, credentials: &[DeviceCredential]) -> Result<(), StoreError>;
    /// Every USP agent's own state (subscriptions, controller settings), as
    /// the northbound serialised it, keyed by endpoint ID.
    fn agent_states(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// Replaces (`Some`) or removes (`None`) agents' states in one durable
    /// commit.
    fn put_agent_states(&self, states: &[(String, Option<Vec<u8>>)]) -> Result<(), StoreError>;
}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn get(&self, key: &DeviceKey) -> Result<Option<DeviceRecord>, StoreError> {
        (**self).get(key)
    }
    fn put_batch(&self, records: &[DeviceRecord]) -> Result<(), StoreError> {
        (**self).put_batch(records)
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn all(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        (**self).all()
    }
    fn credential(&self, username: &str) -> Result<Option<DeviceCredential>, StoreError> {
        (**self).credential(username)
    }
    fn put_credentials(&self, credentials: &[DeviceCredential]) -> Result<(), StoreError> {
        (**self).put_credentials(credentials)
    }
    fn agent_states(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        (**self).agent_states()
    }
    fn put_agent_states(&self, states: &[(String, Option<Vec<u8>>)]) -> Result<(), StoreError> {
        (**self).put_agent_states(states)
    }
}

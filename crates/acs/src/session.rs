//! One CWMP session as the ACS sees it.

use std::time::Duration;

use cwmp::CwmpVersion;

use crate::engine::{ConnId, RpcId};
use crate::DeviceKey;

pub(crate) struct Session {
    pub device: DeviceKey,
    /// The namespace the CPE used in its Inform; every reply reuses it.
    pub version: CwmpVersion,
    pub conn: ConnId,
    pub cookie: String,
    pub started: Duration,
    pub last_seen: Duration,
    /// Our RPC awaiting the CPE's answer: its `cwmp:ID` and ticket.
    pub outstanding: Option<(String, RpcId)>,
}

impl Session {
    /// When the session is over whatever the CPE does next.
    pub fn deadline(&self, idle: Duration, max: Duration) -> Duration {
        (self.last_seen + idle).min(self.started + max)
    }
}

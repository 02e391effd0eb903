//! One CWMP session as the ACS sees it.

use std::time::Duration;

use cwmp::CwmpVersion;

use crate::exchange::{ConnId, RpcId};
use crate::provision::Offer;
use crate::DeviceKey;

pub(crate) struct Session {
    pub device: DeviceKey,
    /// The namespace the CPE used in its Inform; every reply reuses it.
    pub version: CwmpVersion,
    pub conn: ConnId,
    pub cookie: String,
    /// The identity that opened the session; only it may continue it.
    pub user: Option<String>,
    pub started: Duration,
    pub last_seen: Duration,
    /// Our RPC awaiting the CPE's answer, by its `cwmp:ID`.
    pub outstanding: Option<(String, Sent)>,
    /// Provisioning to send before any queued RPC.
    pub provision: Option<Offer>,
    /// The CPE's last POST is unanswered until an RPC is queued, the
    /// device's holds are released, or this time passes.
    pub parked: Option<Duration>,
}

/// What an outstanding `cwmp:ID` stands for.
pub(crate) enum Sent {
    Rpc(RpcId),
    /// Our own SetParameterValues, with the credentials it carries.
    Provision(Offer),
}

impl Session {
    /// When the session is over whatever the CPE does next.
    pub fn deadline(&self, idle: Duration, max: Duration) -> Duration {
        (self.last_seen + idle).min(self.started + max)
    }
}

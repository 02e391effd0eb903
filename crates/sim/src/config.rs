//! Settings shared by every CPE of a fleet (one `Arc<CpeConfig>`).

use std::collections::HashMap;
use std::time::Duration;

use cwmp::CwmpVersion;

#[derive(Debug, Clone)]
pub struct CpeConfig {
    pub version: CwmpVersion,
    /// Request-target of the ACS URL (`/acs`), the Digest `uri`.
    pub acs_path: String,
    /// Full ACS URL, stored in ManagementServer.URL.
    pub acs_url: String,
    pub acs_user: String,
    pub acs_password: String,
    pub manufacturer: String,
    pub oui: String,
    pub product_class: String,
    pub serial_prefix: String,
    /// Connection-request URL prefix; the serial number is appended.
    pub cr_url_prefix: String,
    pub cr_user: String,
    pub cr_password: String,
    /// Periodic inform interval; zero means "start the next session as soon
    /// as the previous one ended" (load generation).
    pub periodic_interval: Duration,
    /// Spread the first periodic inform over the interval.
    pub periodic_jitter: bool,
    pub echo_cookies: bool,
    pub think_time: Duration,
    /// CWMPRetryMinimumWaitInterval.
    pub retry_min_wait: Duration,
    /// CWMPRetryIntervalMultiplier (per mille: 2000 doubles each attempt).
    pub retry_multiplier: u32,
    pub retry_max_wait: Duration,
    /// How long a reboot takes before the "1 BOOT" session.
    pub reboot_delay: Duration,
    /// First contact sends "0 BOOTSTRAP" with "1 BOOT".
    pub bootstrap: bool,
    /// Unix time at `now == 0`, for CurrentTime and transfer times.
    pub epoch_unix: u64,
    pub fault_rpc: HashMap<String, u32>,
    /// Close the connection instead of answering the ACS's RPC number N+1.
    pub fault_drop_after_rpc: Option<u32>,
    /// Probability (0..=1) of closing the connection at each exchange.
    pub fault_drop_probability: f64,
    /// Refuse connection requests (the driver answers 503).
    pub refuse_cr: bool,
    /// Fault injection: parameters (globs, `*` any run of characters, in
    /// the CPE's own names) whose active notification is refused with
    /// 9009, besides the counters every CPE refuses.
    pub reject_notification: Vec<String>,
}

impl Default for CpeConfig {
    fn default() -> Self {
        CpeConfig {
            version: CwmpVersion::V1_2,
            acs_path: "/".into(),
            acs_url: "http://127.0.0.1/".into(),
            acs_user: String::new(),
            acs_password: String::new(),
            manufacturer: "cwmp2usp".into(),
            oui: "00D09E".into(),
            product_class: "SimGateway".into(),
            serial_prefix: "SIM".into(),
            cr_url_prefix: "http://127.0.0.1:7547/cr/".into(),
            cr_user: "cr".into(),
            cr_password: "cr".into(),
            periodic_interval: Duration::from_secs(300),
            periodic_jitter: true,
            echo_cookies: true,
            think_time: Duration::ZERO,
            retry_min_wait: Duration::from_secs(5),
            retry_multiplier: 2000,
            retry_max_wait: Duration::from_secs(3600),
            reboot_delay: Duration::from_secs(1),
            bootstrap: true,
            epoch_unix: 0,
            fault_rpc: HashMap::new(),
            fault_drop_after_rpc: None,
            fault_drop_probability: 0.0,
            refuse_cr: false,
            reject_notification: Vec::new(),
        }
    }
}

impl CpeConfig {
    pub fn serial(&self, index: u32) -> String {
        format!("{}{index:06}", self.serial_prefix)
    }
}

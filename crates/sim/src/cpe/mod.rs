//! The sans-IO CPE: one simulated device's state machine.
//!
//! The driver feeds it time and events (`handle_*` methods) and drains
//! [`Action`]s with [`Cpe::poll_action`]; [`Cpe::poll_timeout`] says when to
//! call [`Cpe::handle_timeout`] next. Time is a `Duration` since the fleet
//! started, so tests run thousands of CPE without a clock or a socket.

mod acs_rpc;
mod inform;
mod inform_cache;
mod lifecycle;
mod local;
mod session;

use std::borrow::Cow;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::config::CpeConfig;
use crate::events::EventQueue;
use crate::model::DataModel;
use crate::profile::Profile;

pub use session::Session;

/// An HTTP POST to the ACS. The driver adds Host and Content-Length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub body: Bytes,
    /// Borrowed where fixed (most are), so a session allocates no header.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// Open a new TCP connection for this request (a session's first POST).
    pub new_connection: bool,
}

/// The ACS's HTTP answer.
///
/// Headers stay as the received `Name: value` lines and are looked up on
/// demand: a CPE reads two of them at most, and copying each into Strings
/// cost a dozen allocations per session under load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    head: Bytes,
    pub body: Bytes,
}

impl HttpResponse {
    /// From header lines as received (`Name: value`, CRLF-separated).
    pub fn from_head(status: u16, head: Bytes, body: Bytes) -> Self {
        HttpResponse { status, head, body }
    }

    pub fn new<'a>(
        status: u16,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: Bytes,
    ) -> Self {
        let mut head = String::new();
        for (name, value) in headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        Self::from_head(status, head.into(), body)
    }

    /// `(name, value)` byte slices of every `Name: value` line, trimmed.
    fn lines(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.head.split(|b| *b == b'\n').filter_map(|line| {
            let colon = line.iter().position(|b| *b == b':')?;
            Some((line[..colon].trim_ascii(), line[colon + 1..].trim_ascii()))
        })
    }

    /// Every header in order; lines that are not UTF-8 `Name: value` are
    /// skipped.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.lines()
            .filter_map(|(n, v)| Some((std::str::from_utf8(n).ok()?, std::str::from_utf8(v).ok()?)))
    }

    pub fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.headers_named(name).next()
    }

    /// The values of every header called `name` (any case). A line is
    /// only looked into when it starts with the name and a colon (HTTP
    /// allows no space before it), so other lines cost one comparison.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let name = name.as_bytes();
        self.head.split(|b| *b == b'\n').filter_map(move |line| {
            let rest = line.get(name.len()..)?.strip_prefix(b":")?;
            if !line[..name.len()].eq_ignore_ascii_case(name) {
                return None;
            }
            std::str::from_utf8(rest.trim_ascii()).ok()
        })
    }
}

/// A file transfer the driver performs for Download/Upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferJob {
    pub id: u64,
    pub upload: bool,
    pub url: String,
    pub username: String,
    pub password: String,
    pub command_key: String,
    pub file_type: String,
}

/// What the driver reports back once a transfer finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferResult {
    pub id: u64,
    /// 0 on success, otherwise a CWMP fault code (9010-9019).
    pub fault_code: u32,
    pub fault_string: String,
    pub start: Duration,
    pub complete: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Send(HttpRequest),
    /// The session is over: close the connection. `inform_rtt` is the
    /// Inform round trip when an InformResponse arrived.
    SessionEnded {
        ok: bool,
        inform_rtt: Option<Duration>,
    },
    /// Fault injection: close the connection now, mid-session.
    Drop,
    Transfer(TransferJob),
    /// The device restarts (session state lost; values kept).
    Rebooting,
    /// The ACS changed the credentials the connection-request listener checks.
    CrCredentials {
        user: String,
        password: String,
    },
}

/// Local triggers (control API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Power-cycle: reboot, then "1 BOOT".
    Reboot,
    /// Send "1 BOOT" now without restarting.
    Boot,
    /// Send "2 PERIODIC" now.
    Periodic,
}

#[derive(Debug, Clone)]
enum AfterSession {
    Reboot(String),
    FactoryReset,
    Transfer(TransferJob, Duration),
    Diagnostics(String),
}

/// Counters a driver may read for statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpeStats {
    pub sessions_ok: u64,
    pub sessions_failed: u64,
    pub rpcs: u64,
    pub boots: u64,
}

pub struct Cpe {
    cfg: Arc<CpeConfig>,
    serial: Box<str>,
    model: DataModel,
    events: EventQueue,
    /// Names whose value changed locally and are due in the next Inform.
    changed: BTreeSet<Box<str>>,
    session: Option<Session>,
    actions: VecDeque<Action>,
    after_session: Vec<AfterSession>,
    retry_count: u32,
    retry_due: Option<Duration>,
    periodic_due: Option<Duration>,
    scheduled: Vec<(Duration, Box<str>)>,
    reboot_due: Option<Duration>,
    delayed_transfers: Vec<(Duration, TransferJob)>,
    pending_transfer: Option<cwmp::TransferComplete<'static>>,
    in_flight: Vec<TransferJob>,
    boot_time: Duration,
    index: u32,
    reboot_key: Option<String>,
    factory_reset_pending: bool,
    next_id: u64,
    rng: u64,
    /// The standard Inform parameters, encoded at this model revision.
    inform_params: Option<(u64, cwmp::EncodedParameters)>,
    /// The last Inform, to refill rather than encode the next one.
    inform_template: Option<inform_cache::InformTemplate>,
    /// The ACS's last InformResponse, to recognise the next one cheaply.
    inform_answer: Option<cwmp::IdTemplate>,
    pub stats: CpeStats,
}

impl Cpe {
    /// A powered-off CPE; call [`Cpe::power_on`] to start it.
    pub fn new(cfg: Arc<CpeConfig>, profile: Arc<Profile>, index: u32) -> Cpe {
        let serial: Box<str> = cfg.serial(index).into();
        let mut cpe = Cpe {
            model: DataModel::new(profile),
            serial,
            events: EventQueue::default(),
            changed: BTreeSet::new(),
            session: None,
            actions: VecDeque::new(),
            after_session: Vec::new(),
            retry_count: 0,
            retry_due: None,
            periodic_due: None,
            scheduled: Vec::new(),
            reboot_due: None,
            delayed_transfers: Vec::new(),
            pending_transfer: None,
            in_flight: Vec::new(),
            boot_time: Duration::ZERO,
            index,
            reboot_key: None,
            factory_reset_pending: false,
            next_id: 0,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (u64::from(index) + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
            inform_params: None,
            inform_template: None,
            inform_answer: None,
            stats: CpeStats::default(),
            cfg,
        };
        cpe.apply_identity(index);
        cpe
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    pub fn model(&self) -> &DataModel {
        &self.model
    }

    pub fn in_session(&self) -> bool {
        self.session.is_some()
    }

    /// Events waiting for delivery (codes), oldest first.
    pub fn pending_events(&self) -> Vec<String> {
        self.events.iter().map(|e| e.code.to_string()).collect()
    }

    pub fn retry_count(&self) -> u32 {
        self.retry_count
    }

    /// Full name of a parameter under the profile root, e.g.
    /// `ManagementServer.ParameterKey`.
    fn rooted(&self, rel: &str) -> String {
        let root = self.model.root();
        let mut name = String::with_capacity(root.len() + rel.len());
        name.push_str(root);
        name.push_str(rel);
        name
    }

    /// Per-device values written over the profile defaults.
    fn apply_identity(&mut self, index: u32) {
        let cfg = self.cfg.clone();
        let ip = format!(
            "10.{}.{}.{}",
            64 + (index >> 16) % 64,
            (index >> 8) & 255,
            index & 255
        );
        let wan = [
            "IP.Interface.1.IPv4Address.1.IPAddress",
            "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress",
        ];
        let mut sets: Vec<(String, String)> = vec![
            (
                self.rooted("DeviceInfo.SerialNumber"),
                self.serial.to_string(),
            ),
            (
                self.rooted("DeviceInfo.Manufacturer"),
                cfg.manufacturer.clone(),
            ),
            (self.rooted("DeviceInfo.ManufacturerOUI"), cfg.oui.clone()),
            (
                self.rooted("DeviceInfo.ProductClass"),
                cfg.product_class.clone(),
            ),
            (self.rooted("ManagementServer.URL"), cfg.acs_url.clone()),
            (
                self.rooted("ManagementServer.Username"),
                cfg.acs_user.clone(),
            ),
            (
                self.rooted("ManagementServer.ConnectionRequestURL"),
                format!("{}{}", cfg.cr_url_prefix, self.serial),
            ),
            (
                self.rooted("ManagementServer.ConnectionRequestUsername"),
                cfg.cr_user.clone(),
            ),
        ];
        if !cfg.periodic_interval.is_zero() {
            sets.push((
                self.rooted("ManagementServer.PeriodicInformEnable"),
                "true".into(),
            ));
            sets.push((
                self.rooted("ManagementServer.PeriodicInformInterval"),
                cfg.periodic_interval.as_secs().max(1).to_string(),
            ));
        }
        for w in wan {
            sets.push((self.rooted(w), ip.clone()));
        }
        for (name, value) in sets {
            self.model.set(&name, &value);
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic per CPE, good enough for jitter.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn random_unit(&mut self) -> f64 {
        (self.next_random() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn unix_now(&self, now: Duration) -> u64 {
        self.cfg.epoch_unix + now.as_secs()
    }

    /// First boot: "0 BOOTSTRAP" (if configured) and "1 BOOT", then a session.
    pub fn power_on(&mut self, now: Duration) {
        if self.cfg.bootstrap {
            self.events.push("0 BOOTSTRAP", "");
        }
        self.booted(now);
    }

    fn booted(&mut self, now: Duration) {
        self.events.push("1 BOOT", "");
        self.boot_time = now;
        self.stats.boots += 1;
        self.schedule_first_periodic(now);
        self.maybe_start(now);
    }

    fn periodic_interval(&self) -> Option<Duration> {
        if self.cfg.periodic_interval.is_zero() {
            return Some(Duration::ZERO);
        }
        let enabled = self
            .model
            .value(&self.rooted("ManagementServer.PeriodicInformEnable"))
            .is_none_or(|v| v == "true" || v == "1");
        if !enabled {
            return None;
        }
        let secs = self
            .model
            .value(&self.rooted("ManagementServer.PeriodicInformInterval"))
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&s| s > 0)
            .map_or(self.cfg.periodic_interval, Duration::from_secs);
        Some(secs)
    }

    fn schedule_first_periodic(&mut self, now: Duration) {
        self.periodic_due = match self.periodic_interval() {
            None => None,
            Some(i) if i.is_zero() => None,
            Some(i) => {
                let frac = if self.cfg.periodic_jitter {
                    self.random_unit()
                } else {
                    1.0
                };
                Some(now + i.mul_f64(frac.max(0.001)))
            }
        };
    }

    /// The next instant [`Cpe::handle_timeout`] must be called, if any.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let mut t: Option<Duration> = None;
        let mut consider = |d: Option<Duration>| {
            if let Some(d) = d {
                t = Some(t.map_or(d, |x| x.min(d)));
            }
        };
        consider(self.periodic_due);
        consider(self.reboot_due);
        consider(self.scheduled.iter().map(|s| s.0).min());
        consider(self.delayed_transfers.iter().map(|s| s.0).min());
        consider(self.session.as_ref().and_then(|s| s.send_due()));
        if self.session.is_none() && !self.events.is_empty() {
            consider(self.retry_due);
        }
        t
    }

    pub fn handle_timeout(&mut self, now: Duration) {
        if self.reboot_due.is_some_and(|d| d <= now) {
            self.reboot_due = None;
            self.finish_reboot(now);
        }
        if self.periodic_due.is_some_and(|d| d <= now) {
            self.events.push("2 PERIODIC", "");
            self.periodic_due = self
                .periodic_interval()
                .filter(|i| !i.is_zero())
                .map(|i| self.periodic_due.unwrap_or(now) + i)
                .map(|d| d.max(now));
        }
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.scheduled)
            .into_iter()
            .partition(|s| s.0 <= now);
        self.scheduled = later;
        for (_, key) in due {
            self.events.push("3 SCHEDULED", "");
            self.events.push("M ScheduleInform", &key);
        }
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.delayed_transfers)
            .into_iter()
            .partition(|s| s.0 <= now);
        self.delayed_transfers = later;
        for (_, job) in due {
            self.start_transfer(job);
        }
        if let Some(s) = self.session.as_mut() {
            if let Some(req) = s.take_due_send(now) {
                self.actions.push_back(Action::Send(req));
            }
        }
        self.maybe_start(now);
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}

#[cfg(test)]
mod test_acs;
#[cfg(test)]
mod tests;

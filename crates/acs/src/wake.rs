//! Automatic connection requests: the bookkeeping that keeps one request
//! in flight per device and bounds how many run and wait at once. The
//! shell (`shared`) spawns the requests and applies their outcomes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, Semaphore};

use crate::connreq::{ConnectionRequestConfig, ConnectionRequestOutcome, RetryAfter};
use crate::{DeviceKey, DeviceRecord, Secret};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// How the shell wakes devices and how much waiting it allows.
#[derive(Debug, Clone)]
pub struct WakeConfig {
    pub connection_requests: ConnectionRequestConfig,
    /// ConnectionRequestUsername/Password for devices the gateway holds
    /// none of its own for (provisioning off, or not done yet). Empty: a
    /// CPE that asks for credentials gets none, and the request fails as
    /// `auth_failed`.
    pub shared_user: String,
    pub shared_password: Secret,
    /// Connection requests under way at once, gateway-wide.
    pub max_in_flight: usize,
    /// Devices with a connection request under way or waiting for a slot;
    /// beyond, a new one fails at once as `local_error`.
    pub max_pending: usize,
    /// Northbound callers awaiting an RPC's outcome at once.
    pub max_waiting_rpcs: usize,
}

impl Default for WakeConfig {
    fn default() -> Self {
        WakeConfig {
            connection_requests: ConnectionRequestConfig::default(),
            shared_user: String::new(),
            shared_password: Secret::new(""),
            // Each costs a socket for at most the request's timeout.
            max_in_flight: 128,
            max_pending: 100_000,
            max_waiting_rpcs: 100_000,
        }
    }
}

/// Longest a request waits for a slot: beyond that the gateway is too far
/// behind for the wake-up to be worth anything to whoever queued the RPC.
pub(crate) const SLOT_WAIT: Duration = Duration::from_secs(60);

/// Callers joining one device's request beyond this are refused.
const MAX_LISTENERS: usize = 64;

/// What [`Wakeups::join`] decided.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Nothing was under way: the caller must start the request.
    Start,
    /// A request is under way; its outcome will reach the listener.
    Joined,
    /// No room: this outcome, now.
    Refused(ConnectionRequestOutcome),
}

/// How long a CPE that answered 503 is left alone when it named no time
/// (or an HTTP date, which we do not parse).
const DEFAULT_COOL_DOWN: Duration = Duration::from_secs(30);
/// A CPE asking for more than this is asked again after this anyway.
const MAX_COOL_DOWN: Duration = Duration::from_secs(3600);

pub(crate) struct Wakeups {
    /// Devices with a request under way, and who awaits its outcome.
    in_flight: Mutex<Map<DeviceKey, Vec<oneshot::Sender<ConnectionRequestOutcome>>>>,
    /// Devices that rate-limited us (503), until when we leave them alone.
    cooling: Mutex<Map<DeviceKey, Instant>>,
    pub slots: Arc<Semaphore>,
    max_pending: usize,
}

impl Wakeups {
    pub fn new(config: &WakeConfig) -> Wakeups {
        Wakeups {
            in_flight: Mutex::new(Map::default()),
            cooling: Mutex::new(Map::default()),
            slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            max_pending: config.max_pending,
        }
    }

    /// Notes that `device` needs waking; `listener` (if any) gets the
    /// outcome. At most one request per device is under way: later needs
    /// ride on it.
    pub fn join(
        &self,
        device: &DeviceKey,
        listener: Option<oneshot::Sender<ConnectionRequestOutcome>>,
    ) -> Admission {
        self.join_at(device, listener, Instant::now())
    }

    fn join_at(
        &self,
        device: &DeviceKey,
        listener: Option<oneshot::Sender<ConnectionRequestOutcome>>,
        now: Instant,
    ) -> Admission {
        if let Some(left) = self.cooling_left(device, now) {
            // Asking again before the CPE's Retry-After only earns another
            // 503 and may get us blocked: the caller hears it at once.
            let secs = u32::try_from(left.as_secs() + u64::from(left.subsec_nanos() > 0));
            return Admission::Refused(ConnectionRequestOutcome::RateLimited {
                retry_after: Some(RetryAfter::Seconds(secs.unwrap_or(u32::MAX))),
            });
        }
        let Ok(mut map) = self.in_flight.lock() else {
            return Admission::Refused(stopping());
        };
        if let Some(listeners) = map.get_mut(device) {
            if let Some(l) = listener {
                if listeners.len() >= MAX_LISTENERS {
                    return Admission::Refused(ConnectionRequestOutcome::Local(
                        "too many callers waiting on this device's connection request".into(),
                    ));
                }
                listeners.push(l);
            }
            return Admission::Joined;
        }
        if map.len() >= self.max_pending || self.slots.is_closed() {
            return Admission::Refused(ConnectionRequestOutcome::Local(
                "too many connection requests pending".into(),
            ));
        }
        map.insert(device.clone(), listener.into_iter().collect());
        Admission::Start
    }

    /// Time left before `device` may be asked again, if it rate-limited us.
    fn cooling_left(&self, device: &DeviceKey, now: Instant) -> Option<Duration> {
        let mut cooling = self.cooling.lock().ok()?;
        let until = *cooling.get(device)?;
        if until > now {
            return Some(until - now);
        }
        cooling.remove(device);
        None
    }

    /// Remembers a 503 from `device` so no request goes to it before its
    /// Retry-After (bounded by [`MAX_COOL_DOWN`]). Other outcomes end a
    /// cool-down.
    pub fn cool_down(&self, device: &DeviceKey, outcome: &ConnectionRequestOutcome) {
        self.cool_down_at(device, outcome, Instant::now());
    }

    fn cool_down_at(&self, device: &DeviceKey, outcome: &ConnectionRequestOutcome, now: Instant) {
        let Ok(mut cooling) = self.cooling.lock() else {
            return;
        };
        let ConnectionRequestOutcome::RateLimited { retry_after } = outcome else {
            cooling.remove(device);
            return;
        };
        let wait = match retry_after {
            Some(RetryAfter::Seconds(s)) => Duration::from_secs(u64::from(*s)),
            _ => DEFAULT_COOL_DOWN,
        }
        .min(MAX_COOL_DOWN);
        if cooling.len() >= self.max_pending {
            cooling.retain(|_, until| *until > now);
            if cooling.len() >= self.max_pending {
                return;
            }
        }
        cooling.insert(device.clone(), now + wait);
    }

    /// The request to `device` ended: whoever awaits it, now forgotten.
    pub fn finish(&self, device: &DeviceKey) -> Vec<oneshot::Sender<ConnectionRequestOutcome>> {
        self.in_flight
            .lock()
            .ok()
            .and_then(|mut m| m.remove(device))
            .unwrap_or_default()
    }

    /// No new request starts; waiting ones give up.
    pub fn close(&self) {
        self.slots.close();
        if let Ok(mut m) = self.in_flight.lock() {
            m.clear();
        }
    }

    #[cfg(test)]
    pub fn listeners(&self, device: &DeviceKey) -> usize {
        self.in_flight
            .lock()
            .map_or(0, |m| m.get(device).map_or(0, Vec::len))
    }

    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.in_flight.lock().map_or(0, |m| m.len())
    }
}

pub(crate) fn stopping() -> ConnectionRequestOutcome {
    ConnectionRequestOutcome::Local("the ACS is stopping".into())
}

/// Where and as whom to wake the device `record` describes.
pub(crate) struct Target {
    /// ConnectionRequestURL (HTTP), tried first.
    pub url: Option<String>,
    /// UDPConnectionRequestAddress (TR-111), for a CPE behind NAT: tried
    /// when there is no URL or it cannot be reached.
    pub udp: Option<String>,
    pub user: String,
    pub password: Secret,
}

/// The device's UDPConnectionRequestAddress, as its Informs last gave it.
fn udp_address(record: &DeviceRecord) -> Option<String> {
    record
        .params
        .iter()
        .find(|(n, _)| n.ends_with("ManagementServer.UDPConnectionRequestAddress"))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Whether a failed HTTP request leaves the UDP path worth a try: the CPE
/// could not be reached at all (behind NAT), not one that answered.
pub(crate) fn try_udp_after(outcome: &ConnectionRequestOutcome) -> bool {
    matches!(
        outcome,
        ConnectionRequestOutcome::Offline(_) | ConnectionRequestOutcome::BadUrl(_)
    )
}

/// The device's own credentials when provisioning gave it some, the
/// shared ones otherwise.
pub(crate) fn target(
    record: Option<&DeviceRecord>,
    config: &WakeConfig,
) -> Result<Target, ConnectionRequestOutcome> {
    let Some(record) = record else {
        return Err(ConnectionRequestOutcome::BadUrl(
            "the device is not in the registry".into(),
        ));
    };
    let url = match record.connection_request_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => Some(url.to_string()),
        _ => None,
    };
    let udp = udp_address(record);
    if url.is_none() && udp.is_none() {
        return Err(ConnectionRequestOutcome::BadUrl(
            "the device never reported a ConnectionRequestURL or UDPConnectionRequestAddress"
                .into(),
        ));
    }
    let (user, password) = match (
        &record.connection_request_username,
        &record.connection_request_password,
    ) {
        (Some(u), Some(p)) => (u.clone(), p.clone()),
        _ => (config.shared_user.clone(), config.shared_password.clone()),
    };
    Ok(Target {
        url,
        udp,
        user,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn key(serial: &str) -> DeviceKey {
        DeviceKey {
            oui: "00D09E".into(),
            product_class: "HGW".into(),
            serial: serial.into(),
        }
    }

    #[test]
    fn one_request_per_device_and_a_bounded_table() {
        let w = Wakeups::new(&WakeConfig {
            max_pending: 2,
            ..WakeConfig::default()
        });
        assert!(matches!(w.join(&key("A"), None), Admission::Start));
        let (tx, mut rx) = oneshot::channel();
        assert!(matches!(w.join(&key("A"), Some(tx)), Admission::Joined));
        assert!(matches!(w.join(&key("B"), None), Admission::Start));
        assert!(matches!(
            w.join(&key("C"), None),
            Admission::Refused(ConnectionRequestOutcome::Local(_))
        ));
        assert_eq!(w.pending(), 2);
        for l in w.finish(&key("A")) {
            l.send(ConnectionRequestOutcome::Ok).unwrap();
        }
        assert_eq!(rx.try_recv().unwrap(), ConnectionRequestOutcome::Ok);
        assert!(w.finish(&key("A")).is_empty());
        assert!(matches!(w.join(&key("C"), None), Admission::Start));
        w.close();
        assert_eq!(w.pending(), 0);
        assert!(matches!(w.join(&key("D"), None), Admission::Refused(_)));
    }

    #[test]
    fn a_rate_limiting_cpe_is_left_alone_until_its_retry_after() {
        let w = Wakeups::new(&WakeConfig::default());
        let t0 = Instant::now();
        let limited = |s| ConnectionRequestOutcome::RateLimited {
            retry_after: Some(RetryAfter::Seconds(s)),
        };
        assert!(matches!(w.join_at(&key("A"), None, t0), Admission::Start));
        w.finish(&key("A"));
        w.cool_down_at(&key("A"), &limited(10), t0);
        let refused = w.join_at(&key("A"), None, t0 + Duration::from_millis(2500));
        assert!(
            matches!(
                &refused,
                Admission::Refused(ConnectionRequestOutcome::RateLimited {
                    retry_after: Some(RetryAfter::Seconds(8))
                })
            ),
            "{refused:?}"
        );
        assert!(
            matches!(w.join_at(&key("B"), None, t0), Admission::Start),
            "others unaffected"
        );
        assert!(matches!(
            w.join_at(&key("A"), None, t0 + Duration::from_secs(10)),
            Admission::Start
        ));
        w.finish(&key("A"));

        // Without a usable Retry-After: a default wait; absurd ones are capped;
        // any other outcome ends the cool-down.
        let dated = ConnectionRequestOutcome::RateLimited {
            retry_after: Some(RetryAfter::Date("Wed, 21 Oct 2026 07:28:00 GMT".into())),
        };
        w.cool_down_at(&key("C"), &dated, t0);
        assert!(matches!(
            w.join_at(&key("C"), None, t0 + DEFAULT_COOL_DOWN / 2),
            Admission::Refused(_)
        ));
        w.cool_down_at(&key("D"), &limited(u32::MAX), t0);
        assert!(matches!(
            w.join_at(&key("D"), None, t0 + MAX_COOL_DOWN),
            Admission::Start
        ));
        w.finish(&key("D"));
        w.cool_down_at(&key("C"), &ConnectionRequestOutcome::Ok, t0);
        assert!(matches!(w.join_at(&key("C"), None, t0), Admission::Start));
    }

    #[test]
    fn listeners_on_one_device_are_bounded() {
        let w = Wakeups::new(&WakeConfig::default());
        let mut keep = Vec::new();
        for i in 0..=MAX_LISTENERS {
            let (tx, rx) = oneshot::channel();
            keep.push(rx);
            let joined = w.join(&key("A"), Some(tx));
            match i {
                0 => assert!(matches!(joined, Admission::Start)),
                i if i < MAX_LISTENERS => assert!(matches!(joined, Admission::Joined)),
                _ => assert!(matches!(joined, Admission::Refused(_))),
            }
        }
    }

    #[test]
    fn own_credentials_first_then_the_shared_ones() {
        let config = WakeConfig {
            shared_user: "fleet".into(),
            shared_password: Secret::new("fleet-pw"),
            ..WakeConfig::default()
        };
        let mut record = DeviceRecord::new(key("A"), Duration::ZERO);
        assert!(matches!(
            target(Some(&record), &config),
            Err(ConnectionRequestOutcome::BadUrl(why)) if why.contains("ConnectionRequestURL")
        ));
        assert!(matches!(
            target(None, &config),
            Err(ConnectionRequestOutcome::BadUrl(why)) if why.contains("registry")
        ));
        // Behind NAT: only the UDP address.
        record.params.push((
            "Device.ManagementServer.UDPConnectionRequestAddress".into(),
            "203.0.113.5:51000".into(),
        ));
        let t = target(Some(&record), &config).unwrap();
        assert_eq!((t.url, t.udp.as_deref()), (None, Some("203.0.113.5:51000")));
        record.connection_request_url = Some(" http://10.0.0.1:7547/cr ".into());
        let t = target(Some(&record), &config).unwrap();
        assert_eq!(
            (t.url.as_deref(), t.user.as_str(), t.password.expose()),
            (Some("http://10.0.0.1:7547/cr"), "fleet", "fleet-pw")
        );
        // UDP only when HTTP could not reach the CPE at all.
        use crate::connreq::OfflineCause;
        assert!(try_udp_after(&ConnectionRequestOutcome::Offline(
            OfflineCause::Timeout
        )));
        assert!(!try_udp_after(&ConnectionRequestOutcome::AuthFailed(
            "no".into()
        )));
        assert!(!try_udp_after(&ConnectionRequestOutcome::Ok));
        record.connection_request_username = Some("own".into());
        record.connection_request_password = Some(Secret::new("own-pw"));
        let t = target(Some(&record), &config).unwrap();
        assert_eq!((t.user.as_str(), t.password.expose()), ("own", "own-pw"));
    }
}

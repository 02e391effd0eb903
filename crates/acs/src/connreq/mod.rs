//! Connection requests: how the ACS wakes a CPE that has no session open
//! (the engine's [`Event::ConnectionRequestNeeded`](crate::Event)).
//!
//! Over HTTP, a bodiless `GET` to the CPE's ConnectionRequestURL, answered
//! with Digest (Basic only when allowed); over UDP, a signed datagram to its
//! UDPConnectionRequestAddress for CPE behind NAT. Either way the CPE then
//! opens a session with `6 CONNECTION REQUEST`. Every request ends in a
//! [`ConnectionRequestOutcome`]; the table there says which answer maps to
//! which variant.
//!
//! The decisions are sans-IO (`exchange`, `target`, [`udp_message`]); the
//! tokio/hyper code in `http` and `udp` only moves bytes within the
//! configured time limits.

mod exchange;
mod http;
mod outcome;
mod target;
mod udp;
pub mod udp_message;

#[cfg(test)]
mod http_tests;

use std::net::SocketAddr;
use std::time::Duration;

pub use outcome::{ConnectionRequestOutcome, OfflineCause, RetryAfter};
pub use target::{HttpTarget, UdpTarget, MAX_TARGET_LEN};
pub use udp_message::{UdpConnectionRequest, UdpRequestError};

/// Settings shared by every connection request.
#[derive(Debug, Clone)]
pub struct ConnectionRequestConfig {
    /// For the whole HTTP exchange, challenge and retry included (and for
    /// resolving a UDP address). A CPE silent this long is offline.
    pub timeout: Duration,
    /// Answer a Basic challenge. Off by default: on plain HTTP it would
    /// send the password in clear.
    pub allow_basic: bool,
    /// Copies of each UDP datagram sent (UDP may drop any one of them).
    pub udp_repeat: u32,
    /// Pause between two copies.
    pub udp_interval: Duration,
    /// Local address of the UDP socket. Behind NAT this must be the STUN
    /// server's address and port, the only source the CPE's pinhole admits;
    /// `None` is any port on the unspecified address.
    pub udp_bind: Option<SocketAddr>,
}

impl Default for ConnectionRequestConfig {
    fn default() -> Self {
        ConnectionRequestConfig {
            timeout: Duration::from_secs(2),
            allow_basic: false,
            udp_repeat: 3,
            udp_interval: Duration::from_millis(500),
            udp_bind: None,
        }
    }
}

/// Sends connection requests. Cheap to clone; holds no connection between
/// requests, so it can serve any number of concurrent callers.
#[derive(Debug, Clone, Default)]
pub struct ConnectionRequester {
    config: ConnectionRequestConfig,
}

impl ConnectionRequester {
    pub fn new(config: ConnectionRequestConfig) -> Self {
        ConnectionRequester { config }
    }

    pub fn config(&self) -> &ConnectionRequestConfig {
        &self.config
    }

    /// An HTTP connection request to `url` with the CPE's
    /// ConnectionRequestUsername and ConnectionRequestPassword.
    pub async fn http(&self, url: &str, user: &str, password: &str) -> ConnectionRequestOutcome {
        match HttpTarget::parse(url) {
            Ok(target) => http::request(&target, user, password, &self.config).await,
            Err(why) => ConnectionRequestOutcome::BadUrl(why),
        }
    }

    /// A UDP connection request to `address` (`host[:port]`), sent
    /// `udp_repeat` times.
    pub async fn udp(&self, address: &str, user: &str, password: &str) -> ConnectionRequestOutcome {
        match UdpTarget::parse(address) {
            Ok(target) => udp::send(&target, user, password, &self.config).await,
            Err(why) => ConnectionRequestOutcome::BadUrl(why),
        }
    }
}

/// `2 * n` hex digits from the OS's CSPRNG. Should that fail (it does not
/// on any supported OS), std's per-process random hasher keys plus a
/// counter still give values that never repeat within the process, which
/// is what cnonce and id need most.
pub(crate) fn random_hex(n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = vec![0u8; n];
    if getrandom::fill(&mut bytes).is_err() {
        let state = std::collections::hash_map::RandomState::new();
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            let mut h = state.build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            h.write_usize(i);
            let word = h.finish().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_is_fresh_hex() {
        let a = random_hex(16);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(16));
    }

    #[tokio::test]
    async fn bad_targets_never_touch_the_network() {
        let r = ConnectionRequester::default();
        assert!(matches!(
            r.http("https://10.0.0.1/", "u", "p").await,
            ConnectionRequestOutcome::BadUrl(_)
        ));
        assert!(matches!(
            r.udp("10.0.0.1:0", "u", "p").await,
            ConnectionRequestOutcome::BadUrl(_)
        ));
    }
}

//! Fleet-wide counters and the Inform round-trip histogram.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

pub struct Stats {
    pub sessions_ok: AtomicU64,
    pub sessions_failed: AtomicU64,
    pub rpcs: AtomicU64,
    pub connection_requests: AtomicU64,
    pub transfers: AtomicU64,
    pub reboots: AtomicU64,
    /// Connections that resumed a TLS session rather than a full handshake.
    pub tls_resumed: AtomicU64,
    /// Microseconds, 1 µs .. 60 s, 3 significant digits.
    rtt: Mutex<Option<Histogram<u64>>>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            sessions_ok: AtomicU64::new(0),
            sessions_failed: AtomicU64::new(0),
            rpcs: AtomicU64::new(0),
            connection_requests: AtomicU64::new(0),
            transfers: AtomicU64::new(0),
            reboots: AtomicU64::new(0),
            tls_resumed: AtomicU64::new(0),
            rtt: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).ok()),
        }
    }
}

impl Stats {
    pub fn record_rtt(&self, d: Duration) {
        let us = u64::try_from(d.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, 60_000_000);
        if let Ok(mut h) = self.rtt.lock() {
            if let Some(h) = h.as_mut() {
                let _ = h.record(us);
            }
        }
    }

    /// The statistics as one JSON object.
    pub fn snapshot(&self, count: usize, elapsed: Duration) -> serde_json::Value {
        let ok = self.sessions_ok.load(Relaxed);
        let secs = elapsed.as_secs_f64().max(1e-9);
        let (p50, p90, p99, max, n) = match self.rtt.lock() {
            Ok(h) => match h.as_ref() {
                Some(h) if !h.is_empty() => (
                    h.value_at_quantile(0.50),
                    h.value_at_quantile(0.90),
                    h.value_at_quantile(0.99),
                    h.max(),
                    h.len(),
                ),
                _ => (0, 0, 0, 0, 0),
            },
            Err(_) => (0, 0, 0, 0, 0),
        };
        let ms = |us: u64| (us as f64 / 1000.0 * 1000.0).round() / 1000.0;
        serde_json::json!({
            "cpe": count,
            "elapsed_s": (secs * 1000.0).round() / 1000.0,
            "sessions_completed": ok,
            "sessions_failed": self.sessions_failed.load(Relaxed),
            "sessions_per_second": ((ok as f64 / secs) * 10.0).round() / 10.0,
            "informs_acknowledged": n,
            "inform_rtt_ms": { "p50": ms(p50), "p90": ms(p90), "p99": ms(p99), "max": ms(max) },
            "rpcs": self.rpcs.load(Relaxed),
            "connection_requests": self.connection_requests.load(Relaxed),
            "transfers": self.transfers.load(Relaxed),
            "reboots": self.reboots.load(Relaxed),
            "tls_resumed": self.tls_resumed.load(Relaxed),
        })
    }
}

//! How long a CPE's event takes to become a USP Notify inside the gateway:
//! from the Inform's receipt (before it is parsed and made durable) to the
//! Notify's hand-over to its MTP. Plus the agents' notification counters.
//! `cwmp2usp run` prints both in its exit report.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent::NotifyStats;
use hdrhistogram::Histogram;

/// Longest latency kept exactly, in microseconds.
const MAX_MICROS: u64 = 60_000_000;

/// Shared between the northbound task and the exit report; fixed size.
#[derive(Clone)]
pub struct NotifyTimes(Arc<Mutex<Inner>>);

struct Inner {
    latency: Histogram<u64>,
    stats: NotifyStats,
    /// CPE parameters polled since start because active notification was
    /// refused (9009).
    polling_fallbacks: u64,
}

impl NotifyTimes {
    pub fn new() -> Result<NotifyTimes, hdrhistogram::CreationError> {
        Ok(NotifyTimes(Arc::new(Mutex::new(Inner {
            latency: Histogram::new_with_bounds(1, MAX_MICROS, 3)?,
            stats: NotifyStats::default(),
            polling_fallbacks: 0,
        }))))
    }

    /// `n` Notify messages left `since` after their Inform arrived.
    pub fn record(&self, since: Duration, n: u64) {
        let micros = u64::try_from(since.as_micros()).unwrap_or(u64::MAX).max(1);
        // A poisoned lock only means a panic elsewhere; the counts stay valid.
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = inner.latency.record_n(micros.min(MAX_MICROS), n);
    }

    pub fn set_stats(&self, stats: NotifyStats, polling_fallbacks: u64) {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        inner.stats = stats;
        inner.polling_fallbacks = polling_fallbacks;
    }

    pub fn report(&self) -> serde_json::Value {
        let inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let h = &inner.latency;
        let s = &inner.stats;
        serde_json::json!({
            "from_inform": h.len(),
            "inform_to_publish": {
                "p50_us": h.value_at_quantile(0.50),
                "p99_us": h.value_at_quantile(0.99),
                "max_us": h.max(),
                "mean_us": h.mean().round(),
            },
            "sent": s.sent,
            "retried": s.retried,
            "dropped_overflow": s.dropped_overflow,
            "dropped_expired": s.dropped_expired,
            "dropped_no_link": s.dropped_no_link,
            "polling_fallbacks": inner.polling_fallbacks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_and_counters_reach_the_report() {
        let t = NotifyTimes::new().unwrap();
        t.record(Duration::from_micros(800), 3);
        t.record(Duration::from_millis(40), 1);
        t.set_stats(
            NotifyStats {
                sent: 4,
                dropped_overflow: 2,
                ..NotifyStats::default()
            },
            5,
        );
        let r = t.report();
        assert_eq!(r["from_inform"], 4);
        assert_eq!(r["inform_to_publish"]["p50_us"], 800);
        assert!(r["inform_to_publish"]["max_us"].as_u64().unwrap() >= 40_000);
        assert_eq!(r["sent"], 4);
        assert_eq!(r["dropped_overflow"], 2);
        assert_eq!(r["polling_fallbacks"], 5);
    }
}

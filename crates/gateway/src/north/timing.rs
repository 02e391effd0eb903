//! Where USP requests on the CPE's model spend their time: waiting on the
//! CPE (connection request, CWMP session, the CPE's answers) or in the
//! gateway (plan steps, the agent's answer, hand-over to the MTP). The
//! two are told apart so that a slow CPE does not hide the gateway's own
//! cost; `cwmp2usp run` prints them in its exit report. Plans that first
//! read the device's model (once per device after a start) are counted
//! apart: they would hide the steady state.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;

/// Longest time kept exactly; anything longer counts as this (plans end
/// by the RPC deadline, well below).
const MAX_MICROS: u64 = 60_000_000;

/// Latency histograms of finished plans, in microseconds. Fixed size
/// whatever the number of plans: memory stays bounded.
#[derive(Clone)]
pub struct PlanTimes(Arc<Mutex<Histograms>>);

struct Histograms {
    total: Histogram<u64>,
    cpe: Histogram<u64>,
    gateway: Histogram<u64>,
    reading_model: u64,
    reading_model_micros: u64,
}

impl PlanTimes {
    pub fn new() -> Result<PlanTimes, hdrhistogram::CreationError> {
        let histogram = || Histogram::new_with_bounds(1, MAX_MICROS, 3);
        Ok(PlanTimes(Arc::new(Mutex::new(Histograms {
            total: histogram()?,
            cpe: histogram()?,
            gateway: histogram()?,
            reading_model: 0,
            reading_model_micros: 0,
        }))))
    }

    /// One plan that took `total` from its start to its answer handed to
    /// the MTP, `cpe` of it waiting on the CPE; `read_model` if it read
    /// the device's model first.
    pub fn record(&self, total: Duration, cpe: Duration, read_model: bool) {
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
        let gateway = total.saturating_sub(cpe);
        // A poisoned lock only means a panic elsewhere; the counts stay valid.
        let mut h = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if read_model {
            h.reading_model += 1;
            h.reading_model_micros = h.reading_model_micros.saturating_add(micros(total));
            return;
        }
        h.total.saturating_record(micros(total));
        h.cpe.saturating_record(micros(cpe));
        h.gateway.saturating_record(micros(gateway));
    }

    /// Plan count and p50/p99/max of each histogram, in microseconds.
    pub fn report(&self) -> serde_json::Value {
        let h = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let summary = |h: &Histogram<u64>| {
            serde_json::json!({
                "p50_us": h.value_at_quantile(0.50),
                "p99_us": h.value_at_quantile(0.99),
                "max_us": h.max(),
                "mean_us": h.mean().round(),
            })
        };
        serde_json::json!({
            "plans": h.total.len(),
            "plans_reading_model": h.reading_model,
            "reading_model_mean_us": h.reading_model_micros / h.reading_model.max(1),
            "total": summary(&h.total),
            "cpe_wait": summary(&h.cpe),
            "gateway": summary(&h.gateway),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_time_is_what_the_cpe_did_not_take() {
        let t = PlanTimes::new().unwrap();
        for _ in 0..99 {
            t.record(Duration::from_millis(10), Duration::from_millis(9), false);
        }
        t.record(Duration::from_millis(20), Duration::from_millis(5), false);
        t.record(Duration::from_millis(500), Duration::from_millis(1), true);
        let r = t.report();
        assert_eq!(r["plans"], 100);
        assert_eq!(r["plans_reading_model"], 1);
        assert_eq!(r["reading_model_mean_us"], 500_000);
        assert_eq!(r["gateway"]["p50_us"], 1000);
        assert_eq!(r["cpe_wait"]["p50_us"], 9007);
        // The one slow plan was slow in the gateway, not on the CPE.
        assert_eq!(r["gateway"]["max_us"], 15007);
        assert_eq!(r["cpe_wait"]["max_us"], 9007);
    }
}

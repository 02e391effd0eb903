//! What the shell counts, for `run`'s report and later for metrics.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::connreq::ConnectionRequestOutcome;

/// Counters the shell keeps from the engine's events.
#[derive(Debug, Default)]
pub struct Counters {
    /// Engine events a slow northbound listener never got.
    pub events_dropped: AtomicU64,
    pub sessions_ok: AtomicU64,
    pub sessions_failed: AtomicU64,
    pub informs: AtomicU64,
    pub auth_failures: AtomicU64,
    /// Informs refused because their device was not the credentials' own.
    pub identity_refusals: AtomicU64,
    /// TLS handshakes that failed or timed out.
    pub tls_handshake_failures: AtomicU64,
    /// ACS RPCs the CPE answered with a CWMP fault.
    pub cpe_faults: AtomicU64,
    /// Connection requests sent, by how they ended.
    pub connection_requests: ConnectionRequestCounters,
}

/// One counter per [`ConnectionRequestOutcome::kind`].
#[derive(Debug, Default)]
pub struct ConnectionRequestCounters {
    pub ok: AtomicU64,
    pub offline: AtomicU64,
    pub auth_failed: AtomicU64,
    pub rate_limited: AtomicU64,
    pub bad_url: AtomicU64,
    pub unexpected: AtomicU64,
    pub local_error: AtomicU64,
}

impl ConnectionRequestCounters {
    pub fn record(&self, outcome: &ConnectionRequestOutcome) {
        use ConnectionRequestOutcome as O;
        let counter = match outcome {
            O::Ok => &self.ok,
            O::Offline(_) => &self.offline,
            O::AuthFailed(_) => &self.auth_failed,
            O::RateLimited { .. } => &self.rate_limited,
            O::BadUrl(_) => &self.bad_url,
            O::Unexpected(_) => &self.unexpected,
            O::Local(_) => &self.local_error,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Every kind with its count, named as [`ConnectionRequestOutcome::kind`]
    /// names them.
    pub fn by_kind(&self) -> [(&'static str, u64); 7] {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("ok", n(&self.ok)),
            ("offline", n(&self.offline)),
            ("auth_failed", n(&self.auth_failed)),
            ("rate_limited", n(&self.rate_limited)),
            ("bad_url", n(&self.bad_url)),
            ("unexpected", n(&self.unexpected)),
            ("local_error", n(&self.local_error)),
        ]
    }

    pub fn total(&self) -> u64 {
        self.by_kind().iter().map(|(_, n)| n).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connreq::OfflineCause;

    #[test]
    fn each_outcome_counts_under_its_own_kind() {
        let c = ConnectionRequestCounters::default();
        let outcomes = [
            ConnectionRequestOutcome::Ok,
            ConnectionRequestOutcome::Offline(OfflineCause::Refused),
            ConnectionRequestOutcome::AuthFailed("no".into()),
            ConnectionRequestOutcome::RateLimited { retry_after: None },
            ConnectionRequestOutcome::BadUrl("x".into()),
            ConnectionRequestOutcome::Unexpected(404),
            ConnectionRequestOutcome::Local("y".into()),
        ];
        for (i, o) in outcomes.iter().enumerate() {
            for _ in 0..=i {
                c.record(o);
            }
        }
        for (i, (o, (kind, n))) in outcomes.iter().zip(c.by_kind()).enumerate() {
            assert_eq!((kind, n), (o.kind(), i as u64 + 1));
        }
        assert_eq!(c.total(), 28);
    }
}

//! Timing decisions, sans-IO: how long an agent waits before reconnecting
//! ([`Backoff`]) and when a connection attempt may start ([`Pacer`]), so
//! that ten thousand agents coming up (or a broker restarting under them)
//! do not hit the broker all at once.

use std::time::{Duration, Instant};

/// Exponential backoff with "equal jitter": the n-th wait is drawn from
/// `[d/2, d)` where `d = min(first · 2ⁿ, max)`. Half the delay is random, so
/// agents that lost the broker together spread out; the other half keeps
/// the wait growing.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    attempt: u32,
    rng: u64,
}

impl Backoff {
    /// `seed` only needs to differ between agents.
    pub fn new(first: Duration, max: Duration, seed: u64) -> Self {
        let first = first.max(Duration::from_millis(1));
        Backoff {
            first,
            max: max.max(first),
            attempt: 0,
            rng: seed | 1,
        }
    }

    /// The wait before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .first
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_nanos(self.next_random() % jitter_nanos)
    }

    /// A link came up: the next loss starts again from the first delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: plenty for spreading reconnects, and no lock.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

/// Hands out connection slots at a fixed rate to whoever asks, in order:
/// the k-th caller in a burst waits k intervals.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// `per_second` connection attempts at most; 0 means no pacing.
    pub fn new(per_second: u32) -> Self {
        let interval = if per_second == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs(1) / per_second
        };
        Pacer {
            interval,
            next: None,
        }
    }

    /// Reserves the next slot at or after `now`; the caller starts its
    /// attempt at the returned instant.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let slot = match self.next {
            Some(next) if next > now => next,
            _ => now,
        };
        self.next = Some(slot + self.interval);
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_ceiling_with_jitter_below_it() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), 42);
        let mut ceilings = vec![];
        for _ in 0..10 {
            let d = b.next_delay();
            ceilings.push(d);
        }
        for (n, d) in ceilings.iter().enumerate() {
            let ceiling = Duration::from_secs((1u64 << n).min(60));
            assert!(*d >= ceiling / 2 && *d < ceiling, "{n}: {d:?}");
        }
        b.reset();
        assert!(b.next_delay() < Duration::from_secs(1));
    }

    #[test]
    fn backoff_spreads_agents_that_failed_together() {
        let delays: std::collections::BTreeSet<_> = (1..50u64)
            .map(|seed| {
                let mut b =
                    Backoff::new(Duration::from_secs(1), Duration::from_secs(60), seed * 7919);
                b.next_delay();
                b.next_delay()
            })
            .collect();
        assert!(delays.len() > 40, "{}", delays.len());
    }

    #[test]
    fn backoff_survives_extreme_settings() {
        let mut b = Backoff::new(Duration::ZERO, Duration::ZERO, 0);
        for _ in 0..100 {
            assert!(b.next_delay() < Duration::from_millis(1));
        }
        let mut b = Backoff::new(Duration::from_secs(u64::MAX / 4), Duration::MAX, 3);
        for _ in 0..40 {
            b.next_delay();
        }
    }

    #[test]
    fn pacer_spaces_a_burst_and_forgets_idle_time() {
        let t0 = Instant::now();
        let mut p = Pacer::new(500);
        let slots: Vec<_> = (0..4).map(|_| p.reserve(t0)).collect();
        assert_eq!(
            slots,
            (0..4)
                .map(|k| t0 + Duration::from_millis(2 * k))
                .collect::<Vec<_>>()
        );
        let later = t0 + Duration::from_secs(5);
        assert_eq!(p.reserve(later), later);
        assert_eq!(p.reserve(later), later + Duration::from_millis(2));
    }

    #[test]
    fn unpaced_means_now() {
        let t0 = Instant::now();
        let mut p = Pacer::new(0);
        assert_eq!(p.reserve(t0), t0);
        assert_eq!(p.reserve(t0), t0);
    }
}

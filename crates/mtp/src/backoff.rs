//! The reconnection schedule of an agent's MTP client, as TR-369 gives it
//! for WebSocket (R-WS.19/20) and STOMP (R-STOMP.7/28): the n-th retry waits
//! a random time between `m·(k/1000)^(n-1)` and `m·(k/1000)^n`, the exponent
//! stopping at 10, and an established session resets the count. The
//! randomness comes from the caller so the schedule itself is deterministic.

use std::time::Duration;

/// `SessionRetryMinimumWaitInterval` / `SessionRetryIntervalMultiplier`,
/// plus a hard cap (STOMP's `ServerRetryMaxInterval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `m`: the shortest first wait (spec default 5 s).
    pub min_wait: Duration,
    /// `k`: the multiplier in thousandths (spec default 2000, i.e. ×2).
    pub multiplier_permille: u32,
    /// No wait is longer than this.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            min_wait: Duration::from_secs(5),
            multiplier_permille: 2000,
            max_wait: Duration::from_secs(5120),
        }
    }
}

/// Where an agent's client is in its retry schedule.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    retries: u32,
}

/// The exponent stops growing at the 10th retry.
const MAX_EXPONENT: u32 = 10;

impl Backoff {
    pub fn new(policy: RetryPolicy) -> Self {
        Backoff { policy, retries: 0 }
    }

    /// A session was established: the next failure starts from retry #1.
    pub fn reset(&mut self) {
        self.retries = 0;
    }

    /// How many retries have been scheduled since the last reset.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The wait before the next attempt; `random` picks the point in the
    /// interval (any u32, uniformly distributed for a uniform spread).
    pub fn next_wait(&mut self, random: u32) -> Duration {
        self.retries = self.retries.saturating_add(1);
        let n = self.retries.min(MAX_EXPONENT);
        let k = f64::from(self.policy.multiplier_permille.max(1000)) / 1000.0;
        let m = self.policy.min_wait.as_secs_f64();
        let low = m * k.powi(n as i32 - 1);
        let high = m * k.powi(n as i32);
        let fraction = f64::from(random) / f64::from(u32::MAX);
        let secs = low + (high - low) * fraction;
        let cap = self.policy.max_wait.as_secs_f64();
        Duration::from_secs_f64(secs.min(cap).max(0.0))
    }
}

/// A random value for [`Backoff::next_wait`]; a failing OS source only
/// costs the spread between agents, never the retry.
pub fn jitter() -> u32 {
    getrandom::u32().unwrap_or(u32::MAX / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_the_spec_table() {
        let mut b = Backoff::new(RetryPolicy::default());
        let expect = [(5, 10), (10, 20), (20, 40), (40, 80), (80, 160)];
        for (low, high) in expect {
            let mut lo = b.clone();
            assert_eq!(lo.next_wait(0), Duration::from_secs(low));
            assert_eq!(b.next_wait(u32::MAX), Duration::from_secs(high));
        }
    }

    #[test]
    fn exponent_stops_at_ten_and_the_cap_holds() {
        let mut b = Backoff::new(RetryPolicy::default());
        for _ in 0..9 {
            b.next_wait(0);
        }
        assert_eq!(b.next_wait(0), Duration::from_secs(2560));
        assert_eq!(b.next_wait(0), Duration::from_secs(2560));
        assert_eq!(b.next_wait(u32::MAX), Duration::from_secs(5120));
        let mut capped = Backoff::new(RetryPolicy {
            max_wait: Duration::from_secs(30),
            ..RetryPolicy::default()
        });
        for _ in 0..20 {
            assert!(capped.next_wait(u32::MAX) <= Duration::from_secs(30));
        }
    }

    #[test]
    fn reset_starts_over() {
        let mut b = Backoff::new(RetryPolicy::default());
        b.next_wait(0);
        b.next_wait(0);
        b.reset();
        assert_eq!(b.next_wait(0), Duration::from_secs(5));
    }
}

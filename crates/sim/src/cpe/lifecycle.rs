//! Session start and end, retry backoff, reboot and factory reset.

use std::time::Duration;

use super::{Action, AfterSession, Cpe};

impl Cpe {
    /// Starts a session when events wait, nothing else runs and the retry
    /// backoff (if any) has passed.
    pub(super) fn maybe_start(&mut self, now: Duration) {
        if self.session.is_some() || self.reboot_due.is_some() || self.events.is_empty() {
            return;
        }
        if self.retry_due.is_some_and(|d| d > now) {
            return;
        }
        self.retry_due = None;
        self.start_session(now);
    }

    /// CWMP retry wait for the n-th failed attempt: between
    /// m·(k/1000)^(n-1) and m·(k/1000)^n, capped.
    pub(super) fn backoff(&mut self, attempt: u32) -> Duration {
        let k = f64::from(self.cfg.retry_multiplier.max(1000)) / 1000.0;
        let exp = i32::try_from(attempt.saturating_sub(1).min(10)).unwrap_or(10);
        let low = self.cfg.retry_min_wait.as_secs_f64() * k.powi(exp);
        let high = low * k;
        let wait = low + (high - low) * self.random_unit();
        Duration::from_secs_f64(wait.min(self.cfg.retry_max_wait.as_secs_f64()).max(0.0))
    }

    pub(super) fn end_session(&mut self, now: Duration, ok: bool) {
        let inform_rtt = self.session_rtt();
        if self.session.take().is_none() {
            return;
        }
        self.actions
            .push_back(Action::SessionEnded { ok, inform_rtt });
        if ok {
            self.stats.sessions_ok += 1;
        } else {
            self.stats.sessions_failed += 1;
            // A session that failed after the InformResponse delivered its
            // events; only a failed Inform counts as a retry.
            if inform_rtt.is_none() {
                self.retry_count = self.retry_count.saturating_add(1);
                let wait = self.backoff(self.retry_count);
                self.retry_due = Some(now + wait);
            }
        }
        for job in std::mem::take(&mut self.after_session) {
            match job {
                AfterSession::Reboot(key) => {
                    self.reboot_key = Some(key);
                    self.start_reboot(now);
                }
                AfterSession::FactoryReset => {
                    self.model.factory_reset();
                    let index = self.index;
                    self.apply_identity(index);
                    self.events.clear();
                    self.changed.clear();
                    self.pending_transfer = None;
                    self.retry_count = 0;
                    self.retry_due = None;
                    self.factory_reset_pending = true;
                    self.start_reboot(now);
                }
                AfterSession::Transfer(job, delay) => {
                    if delay.is_zero() {
                        self.start_transfer(job);
                    } else {
                        self.delayed_transfers.push((now + delay, job));
                    }
                }
                AfterSession::Diagnostics(prefix) => self.complete_diagnostics(&prefix),
            }
        }
        if ok && self.cfg.periodic_interval.is_zero() && self.events.is_empty() {
            // Load mode: the next session starts right away.
            self.events.push("2 PERIODIC", "");
        }
        self.maybe_start(now);
    }

    pub(super) fn start_reboot(&mut self, now: Duration) {
        self.actions.push_back(Action::Rebooting);
        self.periodic_due = None;
        self.scheduled.clear();
        self.reboot_due = Some(now + self.cfg.reboot_delay);
    }

    pub(super) fn finish_reboot(&mut self, now: Duration) {
        if std::mem::take(&mut self.factory_reset_pending) {
            self.events.push("0 BOOTSTRAP", "");
        }
        self.events.push("1 BOOT", "");
        if let Some(key) = self.reboot_key.take() {
            self.events.push("M Reboot", &key);
        }
        self.booted(now);
    }

    /// Fills in plausible results and marks the test complete.
    fn complete_diagnostics(&mut self, prefix: &str) {
        let get = |m: &crate::model::DataModel, rel: &str| {
            m.value(&format!("{prefix}{rel}")).map(str::to_string)
        };
        let is_ping = prefix.contains("IPPing");
        let host = get(&self.model, "Host").unwrap_or_default();
        let mut sets: Vec<(&str, String)> = Vec::new();
        if is_ping {
            let reps = get(&self.model, "NumberOfRepetitions")
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|&n| n > 0)
                .unwrap_or(3);
            if host.is_empty() {
                sets.push(("DiagnosticsState", "Error_CannotResolveHostName".into()));
                sets.push(("SuccessCount", "0".into()));
                sets.push(("FailureCount", reps.to_string()));
            } else {
                let base = 5 + u32::try_from(self.next_random() % 20).unwrap_or(0);
                sets.push(("DiagnosticsState", "Complete".into()));
                sets.push(("SuccessCount", reps.to_string()));
                sets.push(("FailureCount", "0".into()));
                sets.push(("AverageResponseTime", (base + 2).to_string()));
                sets.push(("MinimumResponseTime", base.to_string()));
                sets.push(("MaximumResponseTime", (base + 5).to_string()));
                sets.push((
                    "AverageResponseTimeDetailed",
                    ((base + 2) * 1000).to_string(),
                ));
                sets.push(("MinimumResponseTimeDetailed", (base * 1000).to_string()));
                sets.push((
                    "MaximumResponseTimeDetailed",
                    ((base + 5) * 1000).to_string(),
                ));
                sets.push(("IPAddressUsed", "10.64.0.1".into()));
            }
        } else {
            sets.push(("DiagnosticsState", "Complete".into()));
        }
        for (rel, v) in sets {
            self.model.set(&format!("{prefix}{rel}"), &v);
        }
        self.events.push("8 DIAGNOSTICS COMPLETE", "");
    }
}

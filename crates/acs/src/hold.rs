//! Session holds: the northbound says it will soon have another RPC for a
//! device (the next step of a plan that depends on the last answer), so a
//! session of that device whose queue runs empty is not ended at once.
//! The CPE's POST stays unanswered ("parked") until an RPC is queued, the
//! last hold goes, or `hold_max` passes; the session's own timeouts still
//! win. One session then carries the whole plan: no connection request
//! (which CPE rate-limit) and no Inform per step.

use std::time::Duration;

use crate::exchange::{ConnId, Reply};
use crate::{DeviceKey, Engine, Store};

impl<S: Store> Engine<S> {
    /// Adds a hold on `device`, whether or not it has a session: one that
    /// opens later lingers the same way.
    pub fn hold(&mut self, device: &DeviceKey) {
        *self.holds.entry(device.clone()).or_default() += 1;
    }

    /// Takes one hold back; after the last, a parked session ends.
    pub fn release(&mut self, device: &DeviceKey) {
        let Some(count) = self.holds.get_mut(device) else {
            return;
        };
        *count = count.saturating_sub(1);
        if *count == 0 {
            self.holds.remove(device);
            self.unpark(device);
        }
    }

    /// Holds on `device` now.
    pub fn holds(&self, device: &DeviceKey) -> usize {
        self.holds.get(device).copied().unwrap_or(0)
    }

    /// A connection whose parked POST should be resumed now
    /// ([`Engine::resume`]). A connection may be named twice; the second
    /// resume just parks again.
    pub fn poll_unparked(&mut self) -> Option<ConnId> {
        self.unparked.pop_front()
    }

    /// The answer for the POST parked on `conn`: the next queued RPC; 204
    /// and the session's end once the device is no longer held or the
    /// hold's time is up; or parked again with the same deadline. A
    /// session that ended meanwhile gets 204 with close.
    pub fn resume(&mut self, now: Duration, conn: ConnId) -> Reply {
        let Some(&sid) = self.by_conn.get(&conn) else {
            return Reply::closing(204);
        };
        let held = self.holds_device_of(sid);
        let Some(s) = self.sessions.get_mut(&sid) else {
            return Reply::closing(204);
        };
        let device = Some(s.device.clone());
        let Some(until) = s.parked else {
            // Nothing of ours waits on this connection.
            return Reply::closing(204);
        };
        let due = self
            .queues
            .get(&s.device)
            .is_some_and(|q| q.iter().any(|r| r.deadline > now));
        let reply = if due {
            s.parked = None;
            // The CPE's silence is counted from our answer, not from the
            // POST we sat on.
            s.last_seen = now;
            self.dispatch(now, sid)
        } else if !held || now >= until {
            s.parked = None;
            self.end_session(sid, true);
            Reply::closing(204)
        } else {
            Reply::parked(until)
        };
        Reply { device, ..reply }
    }

    /// The queue of session `sid` ran empty: park its POST if the device
    /// is held, else end the session.
    pub(crate) fn park_or_end(&mut self, now: Duration, sid: u64) -> Reply {
        let (idle, max, hold) = (
            self.config.session_timeout,
            self.config.max_session,
            self.config.hold_max,
        );
        let held = self.holds_device_of(sid);
        if let Some(s) = self.sessions.get_mut(&sid) {
            let until = now.saturating_add(hold).min(s.deadline(idle, max));
            if held && until > now {
                s.parked = Some(until);
                return Reply::parked(until);
            }
        }
        self.end_session(sid, true);
        Reply::closing(204)
    }

    /// `device`'s parked POST, if any, may have its answer now.
    pub(crate) fn unpark(&mut self, device: &DeviceKey) {
        let parked = self
            .by_device
            .get(device)
            .and_then(|sid| self.sessions.get(sid))
            .filter(|s| s.parked.is_some());
        if let Some(s) = parked {
            self.unparked.push_back(s.conn);
        }
    }

    /// Parked POSTs whose hold time is up, for a shell that relies on
    /// [`Engine::handle_timeout`] alone.
    pub(crate) fn unpark_overdue(&mut self, now: Duration) {
        let overdue = self
            .sessions
            .values()
            .filter(|s| s.parked.is_some_and(|until| until <= now))
            .map(|s| s.conn);
        self.unparked.extend(overdue);
    }

    fn holds_device_of(&self, sid: u64) -> bool {
        self.sessions
            .get(&sid)
            .is_some_and(|s| self.holds.contains_key(&s.device))
    }
}

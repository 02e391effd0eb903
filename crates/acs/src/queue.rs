//! Per-device queues of ACS RPCs waiting for the device's next session,
//! and what ends them early: the caller withdrawing one, or a connection
//! request that could not wake the device.

use std::collections::VecDeque;
use std::time::Duration;

use cwmp::Body;

use crate::connreq::ConnectionRequestOutcome;
use crate::exchange::{Event, RpcId, RpcOutcome};
use crate::{DeviceKey, Engine, Store};

pub(crate) struct Queued {
    pub id: RpcId,
    pub rpc: Body<'static>,
    pub deadline: Duration,
}

impl<S: Store> Engine<S> {
    /// Queues `rpc` for `device`, to run in its next session before
    /// `deadline`. `None` when the device's queue is full.
    pub fn submit(
        &mut self,
        device: DeviceKey,
        rpc: Body<'static>,
        deadline: Duration,
    ) -> Option<RpcId> {
        let queue = self.queues.entry(device.clone()).or_default();
        if queue.len() >= self.config.max_queued_per_device {
            return None;
        }
        self.next_rpc += 1;
        let id = RpcId(self.next_rpc);
        let first = queue.is_empty();
        queue.push_back(Queued { id, rpc, deadline });
        // One connection request per idle device, however many RPCs wait.
        if first && !self.by_device.contains_key(&device) {
            self.events
                .push_back(Event::ConnectionRequestNeeded(device));
        } else {
            // A held session waiting for exactly this.
            self.unpark(&device);
        }
        Some(id)
    }

    /// Takes back an RPC that has not been sent yet; `false` if it was
    /// sent (its answer will still be reported) or is unknown. No
    /// [`Event::RpcDone`] follows: whoever withdraws it stopped listening.
    pub fn withdraw(&mut self, device: &DeviceKey, id: RpcId) -> bool {
        let Some(queue) = self.queues.get_mut(device) else {
            return false;
        };
        let before = queue.len();
        queue.retain(|r| r.id != id);
        let removed = queue.len() < before;
        if queue.is_empty() {
            self.queues.remove(device);
        }
        removed
    }

    /// A connection request to `device` failed. Unless the device opened a
    /// session meanwhile (which will run its queue), every RPC waiting for
    /// it ends now as [`RpcOutcome::Unreachable`]: the caller learns why at
    /// once rather than at its deadline, and an RPC it has given up on
    /// cannot surprise the device at its next periodic Inform.
    pub fn connection_request_failed(
        &mut self,
        device: &DeviceKey,
        outcome: &ConnectionRequestOutcome,
    ) {
        if outcome.is_ok() || self.by_device.contains_key(device) {
            return;
        }
        let Some(queue) = self.queues.remove(device) else {
            return;
        };
        for r in queue {
            self.events.push_back(Event::RpcDone {
                id: r.id,
                device: device.clone(),
                outcome: RpcOutcome::Unreachable(outcome.clone()),
            });
        }
    }

    /// Whether `device` has a session open now.
    pub fn in_session(&self, device: &DeviceKey) -> bool {
        self.by_device.contains_key(device)
    }

    /// RPCs queued for `device` and not sent yet.
    pub fn queued(&self, device: &DeviceKey) -> usize {
        self.queues.get(device).map_or(0, VecDeque::len)
    }

    /// A session ended with RPCs still waiting (submitted while it was
    /// open, then the CPE vanished): the device must be woken again.
    pub(crate) fn wake_if_waiting(&mut self, device: &DeviceKey) {
        if self.queued(device) > 0 && !self.in_session(device) {
            self.events
                .push_back(Event::ConnectionRequestNeeded(device.clone()));
        }
    }
}

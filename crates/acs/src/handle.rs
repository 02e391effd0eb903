//! The northbound side's way into a running ACS: queue an RPC for a device
//! and await its result, or just wake a device.
//!
//! A submitted RPC goes into the engine's queue for its device; if the
//! device has no session open the shell sends it a connection request, and
//! the RPC runs in the session that follows, after any RPC queued before
//! it and in the same session. The caller's future resolves when the
//! engine reports the RPC done. Dropping the future takes the RPC back if
//! it has not been sent yet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cwmp::Body;
use tokio::sync::oneshot;

use crate::connreq::ConnectionRequestOutcome;
use crate::exchange::{RpcId, RpcOutcome};
use crate::DeviceKey;

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Why a submitted RPC has no outcome from the device.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubmitError {
    /// No device with this key is in the registry: nothing to wake.
    #[error("unknown device")]
    UnknownDevice,
    /// The device already has as many RPCs waiting as allowed.
    #[error("the device's RPC queue is full")]
    QueueFull,
    /// The gateway has as many callers waiting as allowed.
    #[error("too many RPCs awaiting results")]
    Overloaded,
    /// The device had no session and could not be woken; the RPC was not
    /// sent and will not be.
    #[error("connection request failed: {0}")]
    ConnectionRequestFailed(ConnectionRequestOutcome),
    /// The registry could not be read, so whether the device exists is
    /// unknown; try again later.
    #[error("registry unavailable: {0}")]
    Unavailable(String),
    /// The ACS is not serving (stopped, or never started).
    #[error("the ACS is not running")]
    Stopped,
}

/// What a handle needs from the shell, without the store's type.
pub(crate) trait Northbound: Send + Sync {
    /// Queues `rpc`, due `deadline` from now, and registers its waiter.
    fn enqueue(
        &self,
        device: &DeviceKey,
        rpc: Body<'static>,
        deadline: Duration,
    ) -> Result<(RpcId, oneshot::Receiver<RpcOutcome>), SubmitError>;
    /// The caller gave up: take the RPC back if unsent, forget the waiter.
    fn withdraw(&self, device: &DeviceKey, id: RpcId);
    /// Wakes `device` (joining a request already under way); resolves
    /// with its outcome, or fails at once.
    fn wake(
        &self,
        device: &DeviceKey,
    ) -> Result<oneshot::Receiver<ConnectionRequestOutcome>, ConnectionRequestOutcome>;
    /// Adds a session hold on `device` ([`crate::Engine::hold`]).
    fn hold(&self, device: &DeviceKey);
    /// Takes one back.
    fn release(&self, device: &DeviceKey);
    /// How long past its deadline a sent RPC may still be answered: its
    /// session may last this long.
    fn answer_grace(&self) -> Duration;
}

/// A clonable handle on a running ACS for the northbound side
/// ([`crate::server::Server::handle`]).
#[derive(Clone)]
pub struct AcsHandle {
    core: Arc<dyn Northbound>,
}

impl std::fmt::Debug for AcsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AcsHandle")
    }
}

impl AcsHandle {
    pub(crate) fn new(core: Arc<dyn Northbound>) -> AcsHandle {
        AcsHandle { core }
    }

    /// Runs `rpc` on `device` in its next session, which a connection
    /// request opens if none is open. `deadline` bounds how long the RPC
    /// may wait to be sent; once sent, its answer may take as long as the
    /// session does. `Ok` carries what the device did (a response, a CWMP
    /// fault) or [`RpcOutcome::Expired`] / [`RpcOutcome::NoAnswer`]; never
    /// [`RpcOutcome::Unreachable`], which is
    /// [`SubmitError::ConnectionRequestFailed`].
    pub async fn submit(
        &self,
        device: DeviceKey,
        rpc: Body<'static>,
        deadline: Duration,
    ) -> Result<RpcOutcome, SubmitError> {
        let (id, answer) = self.core.enqueue(&device, rpc, deadline)?;
        let mut pending = Pending {
            core: &*self.core,
            device: &device,
            id: Some(id),
        };
        // The engine always reports first; this only ends the wait of an
        // ACS that stopped ticking without saying so.
        let backstop = deadline
            .saturating_add(self.core.answer_grace())
            .saturating_add(TICK_SLACK);
        let outcome = tokio::time::timeout(backstop, answer).await;
        match outcome {
            Ok(Ok(outcome)) => {
                pending.id = None;
                match outcome {
                    RpcOutcome::Unreachable(why) => Err(SubmitError::ConnectionRequestFailed(why)),
                    done => Ok(done),
                }
            }
            // The waiter was dropped: the ACS stopped.
            Ok(Err(_)) => Err(SubmitError::Stopped),
            Err(_) => Err(SubmitError::Stopped),
        }
    }

    /// Keeps `device`'s sessions open between dependent RPCs until the
    /// guard is dropped: when its queue runs empty, the session waits (up
    /// to the engine's `hold_max` each time) for the next
    /// [`AcsHandle::submit`] instead of ending, so a plan of several
    /// steps, each built from the last one's answer, runs in one session
    /// with one connection request. Holds add up; the device need not have
    /// a session now. Submit the next step promptly: while the session
    /// waits, the CPE's HTTP request does too.
    pub fn hold(&self, device: DeviceKey) -> Hold {
        self.core.hold(&device);
        Hold {
            core: self.core.clone(),
            device,
        }
    }

    /// Sends `device` a connection request now (or joins the one under
    /// way) and says how it went. RPCs waiting for the device end with
    /// [`SubmitError::ConnectionRequestFailed`] if it failed.
    pub async fn connection_request(&self, device: DeviceKey) -> ConnectionRequestOutcome {
        match self.core.wake(&device) {
            Err(outcome) => outcome,
            Ok(answer) => answer
                .await
                .unwrap_or_else(|_| ConnectionRequestOutcome::Local("the ACS stopped".into())),
        }
    }
}

/// A session hold on one device ([`AcsHandle::hold`]); dropping it lets
/// the session end once nothing else holds the device.
pub struct Hold {
    core: Arc<dyn Northbound>,
    device: DeviceKey,
}

impl std::fmt::Debug for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hold")
            .field("device", &self.device)
            .finish()
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.core.release(&self.device);
    }
}

/// Slack for the shell's once-a-second timeout tick.
const TICK_SLACK: Duration = Duration::from_secs(5);

/// An RPC whose caller may still give up (drop the future).
struct Pending<'a> {
    core: &'a dyn Northbound,
    device: &'a DeviceKey,
    id: Option<RpcId>,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.core.withdraw(self.device, id);
        }
    }
}

/// Callers waiting for their RPC's outcome, at most `max` of them.
pub(crate) struct Waiters {
    map: Mutex<Map<RpcId, oneshot::Sender<RpcOutcome>>>,
    max: usize,
}

impl Waiters {
    pub fn new(max: usize) -> Waiters {
        Waiters {
            map: Mutex::new(Map::default()),
            max,
        }
    }

    /// Runs `submit` and registers a waiter for the id it returns, if
    /// there is room for one; the room is checked first so a full table
    /// never leaves an RPC queued that nobody awaits.
    pub fn register(
        &self,
        submit: impl FnOnce() -> Result<RpcId, SubmitError>,
    ) -> Result<(RpcId, oneshot::Receiver<RpcOutcome>), SubmitError> {
        let mut map = self.map.lock().map_err(|_| SubmitError::Stopped)?;
        if map.len() >= self.max {
            return Err(SubmitError::Overloaded);
        }
        let id = submit()?;
        let (tx, rx) = oneshot::channel();
        map.insert(id, tx);
        Ok((id, rx))
    }

    /// Hands `outcome` to the caller waiting for `id`, if any.
    pub fn resolve(&self, id: RpcId, outcome: RpcOutcome) -> bool {
        let tx = self.map.lock().ok().and_then(|mut m| m.remove(&id));
        // A caller that dropped its future meanwhile just misses it.
        tx.is_some_and(|tx| tx.send(outcome).is_ok())
    }

    pub fn forget(&self, id: RpcId) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&id);
        }
    }

    /// Drops every waiter: their callers see [`SubmitError::Stopped`].
    pub fn close(&self) {
        if let Ok(mut m) = self.map.lock() {
            m.clear();
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_bounded_and_resolved_once() {
        let w = Waiters::new(2);
        let (a, mut rx_a) = w.register(|| Ok(RpcId(1))).unwrap();
        let (_, mut rx_b) = w.register(|| Ok(RpcId(2))).unwrap();
        let mut called = false;
        let full = w.register(|| {
            called = true;
            Ok(RpcId(3))
        });
        assert_eq!(full.unwrap_err(), SubmitError::Overloaded);
        assert!(!called, "nothing is queued for a caller with no room");
        assert!(w.resolve(a, RpcOutcome::Expired));
        assert_eq!(rx_a.try_recv().unwrap(), RpcOutcome::Expired);
        assert!(!w.resolve(a, RpcOutcome::NoAnswer), "once only");
        assert_eq!(w.len(), 1);
        // A refused submit leaves no waiter behind.
        assert_eq!(
            w.register(|| Err(SubmitError::QueueFull)).unwrap_err(),
            SubmitError::QueueFull
        );
        assert_eq!(w.len(), 1);
        w.close();
        assert_eq!(w.len(), 0);
        assert!(rx_b.try_recv().is_err(), "closed waiters see the ACS gone");
    }

    #[test]
    fn a_caller_that_left_is_forgotten() {
        let w = Waiters::new(4);
        let (id, rx) = w.register(|| Ok(RpcId(7))).unwrap();
        drop(rx);
        assert!(!w.resolve(id, RpcOutcome::NoAnswer));
        assert_eq!(w.len(), 0);
        let (id, _rx) = w.register(|| Ok(RpcId(8))).unwrap();
        w.forget(id);
        assert_eq!(w.len(), 0);
    }
}

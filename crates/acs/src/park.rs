//! The shell's side of session holds: a parked POST waits here, without
//! polling, until the engine names its connection
//! ([`crate::Engine::poll_unparked`]) or its hold runs out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::exchange::ConnId;
use crate::shared::{Held, Shared};
use crate::{Reply, Store};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One entry per parked POST, so at most one per open session.
#[derive(Default)]
pub(crate) struct Parking {
    waiting: Mutex<Map<ConnId, Arc<Notify>>>,
}

impl Parking {
    /// Call it under the engine lock that parked the POST: a wake-up that
    /// comes before the wait starts is kept, not lost.
    pub fn park(&self, conn: ConnId) -> Parked<'_> {
        let notify = Arc::new(Notify::new());
        if let Ok(mut w) = self.waiting.lock() {
            w.insert(conn, notify.clone());
        }
        Parked {
            parking: self,
            conn,
            notify,
        }
    }

    pub fn wake(&self, conn: ConnId) {
        if let Some(n) = self.waiting.lock().ok().and_then(|w| w.get(&conn).cloned()) {
            n.notify_one();
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.waiting.lock().map_or(0, |w| w.len())
    }
}

/// A parked POST's registration; gone with the exchange however it ends
/// (answered, or dropped by hyper when the CPE hangs up).
pub(crate) struct Parked<'a> {
    parking: &'a Parking,
    conn: ConnId,
    notify: Arc<Notify>,
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        if let Ok(mut w) = self.parking.waiting.lock() {
            w.remove(&self.conn);
        }
    }
}

impl<S: Store + Clone + Send + Sync + 'static> Shared<S> {
    /// Waits until the engine has the answer for a POST it parked until
    /// `until` (its clock); the answer and its commit hold.
    pub async fn unparked(&self, parked: Parked<'_>, mut until: Duration) -> (Reply, Held) {
        loop {
            let wait = until.saturating_sub(self.now());
            // Timing out is as good as a wake-up: the engine decides.
            let _ = tokio::time::timeout(wait, parked.notify.notified()).await;
            let Ok(mut e) = self.engine.lock() else {
                return (Reply::closing(503), None);
            };
            let reply = e.resume(self.now(), parked.conn);
            self.drain_events(&mut e);
            match reply.parked {
                Some(next) => until = next,
                None => {
                    let held = self.held(&e, &reply);
                    return (reply, held);
                }
            }
        }
    }
}

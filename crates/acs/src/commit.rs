//! The shell's committer: one task writes every staged registry change in
//! one batch (one fsync, off the engine's lock) and then releases all the
//! replies that waited on it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use crate::{CommitTicket, Engine, Store, StoreError};

/// Longest a reply waits for its commit before the CPE is told to come
/// back (503): a disk that stalls this long is overloaded, and CPE HTTP
/// clients give up not much later anyway.
pub(crate) const COMMIT_WAIT: Duration = Duration::from_secs(10);

#[derive(Default)]
pub(crate) struct Commits {
    wake: Notify,
    /// Replies waiting, by ticket: `true` once durable, `false` if the
    /// commit failed.
    waiters: Mutex<BTreeMap<u64, oneshot::Sender<bool>>>,
}

impl Commits {
    /// Registers a reply for `ticket`. Call it under the engine lock that
    /// produced the ticket: the committer releases under that lock too, so
    /// no ticket can be released before its waiter is there.
    pub fn wait_for(&self, ticket: CommitTicket) -> oneshot::Receiver<bool> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiters.lock() {
            w.insert(ticket.0, tx);
        }
        self.wake.notify_one();
        rx
    }

    /// Commits what is staged even if no reply waits for it.
    pub fn kick(&self) {
        self.wake.notify_one();
    }

    fn release(&self, upto: CommitTicket, ok: bool) {
        let Ok(mut w) = self.waiters.lock() else {
            return;
        };
        let later = w.split_off(&(upto.0 + 1));
        for (_, tx) in std::mem::replace(&mut *w, later) {
            // The exchange may have given up (timeout, closed connection).
            let _ = tx.send(ok);
        }
    }
}

/// Runs until dropped. While one batch is on its way to disk, new writes
/// stage in the engine; the next round takes them all: that is the group
/// commit, with no timer and no added latency when idle.
pub(crate) async fn committer<S, F>(
    engine: &Mutex<Engine<S>>,
    store: S,
    commits: &Commits,
    after: F,
) where
    S: Store + Clone + Send + Sync + 'static,
    F: Fn(&mut Engine<S>),
{
    loop {
        commits.wake.notified().await;
        loop {
            let batch = match engine.lock() {
                Ok(mut e) => e.poll_commit(),
                Err(_) => return,
            };
            let Some(batch) = batch else { break };
            let store = store.clone();
            let records = batch.records;
            let count = records.len();
            let result = match tokio::task::spawn_blocking(move || store.put_batch(&records)).await
            {
                Ok(r) => r,
                Err(e) => Err(StoreError::Unavailable(format!("commit task: {e}"))),
            };
            if let Err(e) = &result {
                tracing::error!(records = count, error = %e, "registry commit failed");
            }
            let ok = result.is_ok();
            let Ok(mut e) = engine.lock() else { return };
            e.commit_done(batch.upto, result);
            after(&mut e);
            commits.release(batch.upto, ok);
        }
    }
}

//! Group commit, sans-IO: the engine stages registry writes and tags the
//! replies that depend on them; the shell commits every staged write in one
//! batch and reports back, releasing all those replies at once.

use std::collections::{BTreeMap, HashMap};

use crate::exchange::{CommitTicket, Event, Reply};
use crate::{DeviceKey, DeviceRecord, Engine, Store, StoreError};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Staged registry writes for the shell to commit ([`Engine::poll_commit`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CommitBatch {
    /// Every ticket up to this one is in the batch.
    pub upto: CommitTicket,
    pub records: Vec<DeviceRecord>,
}

/// A reply held for its commit, and what it makes true once durable.
struct Held {
    session: u64,
    events: Vec<Event>,
}

#[derive(Default)]
pub(crate) struct Staging {
    last_ticket: u64,
    /// Newest state of each device not yet handed to the shell; a device
    /// written twice before a commit is written once.
    staged: Map<DeviceKey, DeviceRecord>,
    /// The batch the shell is committing (at most one at a time, so
    /// batches are durable in ticket order).
    committing: Map<DeviceKey, DeviceRecord>,
    committing_upto: Option<u64>,
    held: BTreeMap<u64, Held>,
}

impl Staging {
    /// Writes staged or being committed.
    pub fn pending(&self) -> usize {
        self.staged.len() + self.committing.len()
    }
}

impl<S: Store> Engine<S> {
    /// A device's record as the engine knows it: staged, being committed,
    /// or stored.
    pub fn device(&self, key: &DeviceKey) -> Result<Option<DeviceRecord>, StoreError> {
        let s = &self.staging;
        match s.staged.get(key).or_else(|| s.committing.get(key)) {
            Some(r) => Ok(Some(r.clone())),
            None => self.store.get(key),
        }
    }

    /// Stages `record`. The reply of `session`'s exchange must wait for the
    /// returned ticket; `events` go out once the write is durable and are
    /// dropped if it fails.
    pub(crate) fn stage(
        &mut self,
        record: DeviceRecord,
        session: u64,
        events: Vec<Event>,
    ) -> CommitTicket {
        let s = &mut self.staging;
        s.last_ticket += 1;
        s.staged.insert(record.key.clone(), record);
        s.held.insert(s.last_ticket, Held { session, events });
        CommitTicket(s.last_ticket)
    }

    /// Stages a write no reply waits for (bookkeeping after a session
    /// ended).
    pub(crate) fn stage_quietly(&mut self, record: DeviceRecord) {
        let s = &mut self.staging;
        s.last_ticket += 1;
        s.staged.insert(record.key.clone(), record);
    }

    /// Whether a new session may add writes.
    pub(crate) fn can_stage(&self) -> bool {
        self.staging.pending() < self.config.max_pending_writes
    }

    /// The next batch to commit: everything staged, once the previous batch
    /// is done. Staged records stay visible to the engine meanwhile.
    pub fn poll_commit(&mut self) -> Option<CommitBatch> {
        let s = &mut self.staging;
        if s.committing_upto.is_some() || s.staged.is_empty() {
            return None;
        }
        s.committing = std::mem::take(&mut s.staged);
        s.committing_upto = Some(s.last_ticket);
        Some(CommitBatch {
            upto: CommitTicket(s.last_ticket),
            records: s.committing.values().cloned().collect(),
        })
    }

    /// The shell's report on the batch up to `upto`. On success its held
    /// events go out. On failure the sessions whose replies waited on it
    /// are forgotten (their replies become [`Engine::try_later`]) so the
    /// CPE can start over, and their events are dropped.
    pub fn commit_done(&mut self, upto: CommitTicket, result: Result<(), StoreError>) {
        let s = &mut self.staging;
        if s.committing_upto != Some(upto.0) {
            return;
        }
        s.committing_upto = None;
        s.committing.clear();
        let later = s.held.split_off(&(upto.0 + 1));
        let done = std::mem::replace(&mut s.held, later);
        for held in done.into_values() {
            if result.is_ok() {
                self.events.extend(held.events);
            } else {
                self.end_session(held.session, false);
            }
        }
    }

    /// Commits everything staged through the engine's own store, for
    /// callers without a separate committer (tests, tools).
    pub fn commit_staged(&mut self) -> Result<(), StoreError> {
        while let Some(batch) = self.poll_commit() {
            let result = self.store.put_batch(&batch.records);
            self.commit_done(batch.upto, result.clone());
            result?;
        }
        Ok(())
    }

    /// The answer to an Inform whose device record could not be read.
    pub(crate) fn store_unreadable(&mut self, device: &DeviceKey, error: &StoreError) -> Reply {
        self.events.push_back(Event::StoreUnreadable {
            device: device.clone(),
            error: error.to_string(),
        });
        Reply {
            device: Some(device.clone()),
            ..self.try_later()
        }
    }

    /// The answer instead of a reply whose commit failed or never came.
    pub fn try_later(&self) -> Reply {
        Reply {
            retry_after: Some(self.config.retry_after_secs),
            ..Reply::closing(503)
        }
    }
}

//! The northbound loop's side of the watch jobs: handing them to the
//! Interworker and telling agents what they found.

use std::time::SystemTime;

use agent::{Action, Happening};
use store::Store;

use super::{WatchFinished, WatchJob};

impl<S: Store + Clone + Send + Sync + 'static> super::super::North<S> {
    /// Hands `agent`'s job to the Interworker, in turn with its requests.
    pub(in crate::north) fn submit_watch(
        &mut self,
        agent: &str,
        job: WatchJob,
        cpe: &mut super::super::Interworker,
    ) {
        let list = matches!(job, WatchJob::List { .. });
        let Some((oui, product_class, serial)) = self.agents.identity(agent) else {
            self.watcher.refused(agent, list);
            return;
        };
        let device = store::DeviceKey {
            oui: oui.to_owned(),
            product_class: product_class.to_owned(),
            serial: serial.to_owned(),
        };
        if !cpe.submit_watch(agent, device, job) {
            self.watcher.refused(agent, list);
        }
    }

    /// A watch job ended: its state kept, its changes told to the agent
    /// as ValueChange, the agent's next job started.
    pub(in crate::north) fn on_watch_finished(
        &mut self,
        f: WatchFinished,
        cpe: &mut super::super::Interworker,
    ) -> Vec<Action> {
        let agent = f.agent.clone();
        cpe.ended(&agent, Vec::new());
        let done = self.watcher.finished(f);
        if let Some(m) = done.model {
            cpe.learned(&agent, m);
        }
        self.watcher.persist.extend(done.persist);
        if let Some(job) = done.next {
            self.submit_watch(&agent, job, cpe);
        }
        if let Some(job) = done.next_list {
            self.submit_watch(&agent, job, cpe);
        }
        let now = SystemTime::now();
        let mut actions = Vec::new();
        for (path, keys) in done.objects {
            let h = match keys {
                Some(unique_keys) => Happening::ObjectCreation { path, unique_keys },
                None => Happening::ObjectDeletion { path },
            };
            actions.extend(self.agents.notify(&agent, h, now));
        }
        for (eid, path, value) in done.changes {
            actions.extend(
                self.agents
                    .notify(&eid, Happening::ValueChange { path, value }, now),
            );
        }
        actions
    }

    pub(in crate::north) fn on_bootstrap(
        &mut self,
        agent: &str,
        cpe: &mut super::super::Interworker,
    ) {
        if let Some(job) = self.watcher.bootstrapped(agent) {
            self.submit_watch(agent, job, cpe);
        }
    }

    /// Every `--value-change-poll`: polls and the plans that waited.
    pub(in crate::north) fn on_watch_tick(&mut self, cpe: &mut super::super::Interworker) {
        for (agent, job) in self.watcher.tick() {
            self.submit_watch(&agent, job, cpe);
        }
    }
}

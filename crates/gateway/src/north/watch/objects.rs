//! The CPE side of ObjectCreation / ObjectDeletion subscriptions: the
//! tables they watch, their last instance listing (persisted with the
//! applied state), and the listing jobs that diff it — one when a table
//! is first watched (the baseline), one per CWMP session of the CPE, and
//! one after a USP Add or Delete through the gateway. A listing asked for
//! while one runs is run once after it, so sessions never pile them up;
//! the diff itself makes each change told exactly once, whichever of
//! these jobs sees it first.

use std::collections::BTreeMap;

use interwork::objects::ListReport;
use store::Store;
use tracing::warn;

use super::{plan_of, AgentWatch, WatchJob, Watcher};

impl AgentWatch {
    /// The listing to run now, or none (one runs: it runs again after).
    pub(super) fn list(&mut self) -> Option<WatchJob> {
        if self.tables.is_empty() {
            return None;
        }
        if self.listing {
            self.list_again = true;
            return None;
        }
        self.listing = true;
        Some(WatchJob::List {
            tables: self.tables.clone(),
            known: self.known.clone(),
        })
    }

    /// A listing ended: it becomes the known one (for the tables still
    /// watched); the instances that came (with their keys) and went.
    pub(super) fn listed(
        &mut self,
        report: ListReport,
    ) -> Vec<(String, Option<BTreeMap<String, String>>)> {
        self.listing = false;
        for e in &report.errors {
            warn!(error = e, "instance listing");
        }
        let mut listing = report.listing;
        listing.retain(|t, _| self.tables.contains(t));
        self.known = listing;
        let created = report.created.into_iter().map(|(p, k)| (p, Some(k)));
        let deleted = report.deleted.into_iter().map(|p| (p, None));
        created.chain(deleted).collect()
    }
}

impl Watcher {
    /// `agent`'s ObjectCreation / ObjectDeletion subscriptions now watch
    /// `tables`: the plan that sets their counts' notification, and the
    /// listing that takes the new tables' baseline.
    pub fn want_tables(&mut self, agent: &str, mut tables: Vec<String>) -> Vec<WatchJob> {
        tables.sort();
        tables.dedup();
        let a = self.agents.entry(agent.to_owned()).or_default();
        if a.tables == tables {
            return Vec::new();
        }
        a.known.retain(|t, _| tables.contains(t));
        a.tables = tables;
        let mut jobs = Vec::new();
        if a.wanted.is_none() {
            a.wanted = Some(Vec::new());
        }
        if a.running {
            a.dirty = true;
        } else {
            a.running = true;
            a.dirty = false;
            jobs.push(plan_of(a));
        }
        jobs.extend(a.list());
        jobs
    }

    /// A session of `agent`'s CPE, or a change made through the gateway:
    /// the listing to run, if it watches tables.
    pub fn list(&mut self, agent: &str) -> Option<WatchJob> {
        self.agents.get_mut(agent)?.list()
    }
}

impl<S: Store + Clone + Send + Sync + 'static> super::super::North<S> {
    /// Lists `agent`'s watched tables, when it has any.
    pub(in crate::north) fn list_objects(
        &mut self,
        agent: &str,
        cpe: &mut super::super::Interworker,
    ) {
        if let Some(job) = self.watcher.list(agent) {
            self.submit_watch(agent, job, cpe);
        }
    }

    /// `agent` watches `tables` now.
    pub(in crate::north) fn watch_tables(
        &mut self,
        agent: &str,
        tables: Vec<String>,
        cpe: &mut super::super::Interworker,
    ) {
        for job in self.watcher.want_tables(agent, tables) {
            self.submit_watch(agent, job, cpe);
        }
    }
}

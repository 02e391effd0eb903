//! The CPE side of ValueChange subscriptions. Each agent tells the set of
//! CPE paths its subscriptions watch (`Action::Watch`); this keeps, per
//! agent, that wanted set and what was applied on the CPE (the original
//! Notification attributes, the names set active, the names polled),
//! and hands the Interworker the jobs that keep them in line: an
//! `interwork::watch::WatchPlan` when the wanted set changes, a
//! GetParameterValues of the polled names every `--value-change-poll`.
//!
//! ObjectCreation / ObjectDeletion subscriptions name tables
//! (`Action::Watch { tables }`): their counts join the plan, and their
//! instance listings are kept and diffed (see [`objects`]).
//!
//! The applied state is persisted (the registry's agent-state table,
//! under [`KEY_PREFIX`]): the originals must survive a restart to be put
//! back when a subscription goes.
//!
//! Every name that falls back to polling is logged ("polling fallback",
//! with the CPE's fault and the running total of such names since start).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use interwork::objects::{ListReport, Listing};
use interwork::watch::{Applied, WatchReport};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

/// Agent-state keys of the applied state: `watch/<eid>`. Endpoint IDs
/// start with their scheme (`os::`), so the two never meet.
pub const KEY_PREFIX: &str = "watch/";
/// Values remembered per agent to tell changes (a poll's worth).
const MAX_POLLED: usize = interwork::watch::MAX_WATCHED;

/// A job for the Interworker.
#[derive(Debug, Clone)]
pub enum WatchJob {
    /// Make the CPE's attributes follow `wanted` and the counts of
    /// `tables`.
    Plan {
        wanted: Vec<String>,
        tables: Vec<String>,
        applied: Applied,
    },
    /// Read these names.
    Poll(BTreeSet<String>),
    /// List the instances of these tables and diff them with `known`.
    List { tables: Vec<String>, known: Listing },
}

pub enum WatchResult {
    Plan(WatchReport),
    Poll(Vec<(String, String)>),
    List(ListReport),
}

pub struct WatchFinished {
    pub agent: String,
    pub result: WatchResult,
}

#[derive(Serialize, Deserialize, Default)]
struct Stored {
    active: BTreeMap<String, u8>,
    polled: BTreeSet<String>,
    /// The paths the applied state answers; empty in records written
    /// before it was kept, or while a newer set waited: either way a
    /// restart compares it with what the agent watches and plans again
    /// if they differ.
    #[serde(default)]
    wanted: Vec<String>,
    /// Likewise for the tables whose counts the applied state watches.
    #[serde(default)]
    tables: Vec<String>,
    /// The last instance listing of each watched table: a restart
    /// neither announces them again nor misses what went meanwhile.
    #[serde(default)]
    instances: Listing,
}

#[derive(Default)]
struct AgentWatch {
    /// None until the agent said what it watches (after a restart the
    /// applied state is known before).
    wanted: Option<Vec<String>>,
    applied: Applied,
    /// A job of this agent is with the Interworker.
    running: bool,
    /// The wanted set changed while a job ran.
    dirty: bool,
    /// Last values polled.
    last: HashMap<String, String>,
    /// After a restart: the paths the restored applied state answers.
    restored_for: Option<(Vec<String>, Vec<String>)>,
    /// The (paths, tables) the applied state answers, as persisted.
    stored_for: (Vec<String>, Vec<String>),
    /// Tables the ObjectCreation / ObjectDeletion subscriptions watch.
    tables: Vec<String>,
    /// Their last listing.
    known: Listing,
    /// A listing of this agent is with the Interworker.
    listing: bool,
    /// Another listing was asked for while one ran.
    list_again: bool,
}

#[derive(Default)]
pub struct Watcher {
    agents: HashMap<String, AgentWatch>,
    /// Names that fell back to polling since start; each "polling
    /// fallback" log line carries the running total.
    fallbacks: u64,
    /// Applied states to write with the next batch of agent states.
    pub(super) persist: Vec<(String, Option<Vec<u8>>)>,
}

impl Watcher {
    /// Names that fell back to polling since start.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks
    }

    /// The applied state read back at start; `false` if `key` is not one
    /// of this module's.
    pub fn restore(&mut self, key: &str, bytes: &[u8]) -> bool {
        let Some(eid) = key.strip_prefix(KEY_PREFIX) else {
            return false;
        };
        match serde_json::from_slice::<Stored>(bytes) {
            Ok(s) => {
                let a = self.agents.entry(eid.to_owned()).or_default();
                a.applied = Applied {
                    active: s.active,
                    polled: s.polled,
                };
                a.known = s.instances;
                a.stored_for = (s.wanted.clone(), s.tables.clone());
                a.restored_for = Some((s.wanted, s.tables));
            }
            Err(e) => warn!(agent = eid, error = %e, "watched parameters unreadable"),
        }
        true
    }

    /// At start, what the restored `agent` watches: nothing to do when the
    /// applied state read back was made for exactly these paths (so a
    /// restart costs the fleet no sessions), else the plan that brings
    /// the CPE in line (a crash came between a subscription and its
    /// plan's end).
    pub fn resume(
        &mut self,
        agent: &str,
        mut paths: Vec<String>,
        mut tables: Vec<String>,
    ) -> Option<WatchJob> {
        paths.sort();
        paths.dedup();
        tables.sort();
        tables.dedup();
        if !tables.is_empty() || self.agents.contains_key(agent) {
            let a = self.agents.entry(agent.to_owned()).or_default();
            a.known.retain(|t, _| tables.contains(t));
            a.tables = tables.clone();
        }
        let restored = self
            .agents
            .get_mut(agent)
            .and_then(|a| a.restored_for.take());
        match restored {
            Some(r) if r == (paths.clone(), tables.clone()) => {
                if let Some(a) = self.agents.get_mut(agent) {
                    a.wanted = Some(paths);
                }
                None
            }
            None if paths.is_empty() && tables.is_empty() => None,
            _ => {
                if let Some(a) = self.agents.get_mut(agent) {
                    a.wanted = None;
                }
                self.want(agent, paths)
            }
        }
    }

    /// `agent` now watches `paths`: the plan to run, unless one runs.
    pub fn want(&mut self, agent: &str, mut paths: Vec<String>) -> Option<WatchJob> {
        paths.sort();
        paths.dedup();
        let a = self.agents.entry(agent.to_owned()).or_default();
        if a.wanted.as_ref() == Some(&paths) && !a.dirty {
            return None;
        }
        a.wanted = Some(paths);
        if a.running {
            a.dirty = true;
            return None;
        }
        a.running = true;
        a.dirty = false;
        Some(plan_of(a))
    }

    /// The CPE was reset ("0 BOOTSTRAP"): its attributes are the
    /// factory's again, so nothing the gateway set holds any more; the
    /// plan that sets them again, when the agent watches anything.
    pub fn bootstrapped(&mut self, agent: &str) -> Option<WatchJob> {
        let a = self.agents.get_mut(agent)?;
        a.applied = Applied::default();
        a.last.clear();
        a.stored_for = Default::default();
        // The listing stays: what the reset removed is told as deleted.
        self.persist.push(record(agent, a));
        if a.running {
            a.dirty = true;
            return None;
        }
        a.wanted.as_ref()?;
        a.running = true;
        a.dirty = false;
        Some(plan_of(a))
    }

    /// The Interworker could not take `agent`'s job: a plan is tried at
    /// the next tick, a listing at the CPE's next session.
    pub fn refused(&mut self, agent: &str, list: bool) {
        if let Some(a) = self.agents.get_mut(agent) {
            if list {
                a.listing = false;
            } else {
                a.running = false;
                a.dirty = true;
            }
        }
    }

    /// A job ended: the state to persist (key, bytes), the changed values
    /// (agent, TR-181 path, value) and the next job of that agent.
    pub fn finished(&mut self, f: WatchFinished) -> Finished {
        let mut out = Finished::default();
        let Some(a) = self.agents.get_mut(&f.agent) else {
            return out;
        };
        let prior_running = a.running;
        a.running = false;
        match f.result {
            WatchResult::Plan(report) => {
                for (name, why) in &report.fell_back {
                    self.fallbacks += 1;
                    let total = self.fallbacks;
                    info!(agent = %f.agent, name, reason = why, total, "polling fallback");
                }
                for e in &report.errors {
                    warn!(agent = %f.agent, error = e, "notification attributes");
                }
                a.last.retain(|n, _| report.applied.polled.contains(n));
                a.stored_for = match (&a.wanted, a.dirty) {
                    (Some(w), false) => (w.clone(), a.tables.clone()),
                    _ => Default::default(),
                };
                a.applied = report.applied;
                out.persist = Some(record(&f.agent, a));
                out.model = report.model;
            }
            WatchResult::List(report) => {
                a.running = prior_running;
                out.model = report.model.clone();
                out.objects = a.listed(report);
                out.persist = Some(record(&f.agent, a));
                if std::mem::take(&mut a.list_again) {
                    if let Some(job) = a.list() {
                        out.next_list = Some(job);
                    }
                }
                return out;
            }
            WatchResult::Poll(values) => {
                for (name, value) in values {
                    if !a.applied.polled.contains(&name) {
                        continue;
                    }
                    let changed = a.last.get(&name).is_some_and(|v| *v != value);
                    if changed {
                        out.changes
                            .push((f.agent.clone(), name.clone(), value.clone()));
                    }
                    if a.last.len() < MAX_POLLED || a.last.contains_key(&name) {
                        a.last.insert(name, value);
                    }
                }
            }
        }
        if a.dirty && a.wanted.is_some() {
            a.running = true;
            a.dirty = false;
            out.next = Some(plan_of(a));
        }
        out
    }

    /// Every poll interval: the agents whose polled names to read, and
    /// the plans that could not start before.
    pub fn tick(&mut self) -> Vec<(String, WatchJob)> {
        let mut jobs = Vec::new();
        for (eid, a) in &mut self.agents {
            if a.running {
                continue;
            }
            if a.dirty && a.wanted.is_some() {
                a.running = true;
                a.dirty = false;
                jobs.push((eid.clone(), plan_of(a)));
            } else if !a.applied.polled.is_empty() {
                a.running = true;
                jobs.push((eid.clone(), WatchJob::Poll(a.applied.polled.clone())));
            }
        }
        jobs
    }
}

fn plan_of(a: &AgentWatch) -> WatchJob {
    WatchJob::Plan {
        wanted: a.wanted.clone().unwrap_or_default(),
        tables: a.tables.clone(),
        applied: a.applied.clone(),
    }
}

/// The persisted state of `a` (none when there is nothing to keep).
fn record(eid: &str, a: &AgentWatch) -> (String, Option<Vec<u8>>) {
    let stored = Stored {
        active: a.applied.active.clone(),
        polled: a.applied.polled.clone(),
        wanted: a.stored_for.0.clone(),
        tables: a.stored_for.1.clone(),
        instances: a.known.clone(),
    };
    let empty = stored.active.is_empty() && stored.polled.is_empty() && stored.instances.is_empty();
    let bytes = if empty {
        None
    } else {
        serde_json::to_vec(&stored).ok()
    };
    (format!("{KEY_PREFIX}{eid}"), bytes)
}

/// What [`Watcher::finished`] asks of the caller.
#[derive(Default)]
pub struct Finished {
    pub persist: Option<(String, Option<Vec<u8>>)>,
    /// (agent eid, TR-181 path, new value).
    pub changes: Vec<(String, String, String)>,
    pub next: Option<WatchJob>,
    /// The listing to start next (asked for while one ran).
    pub next_list: Option<WatchJob>,
    /// (TR-181 path, unique keys; None for a deletion) of the instances
    /// that came or went.
    pub objects: Vec<(String, Option<BTreeMap<String, String>>)>,
    pub model: Option<std::sync::Arc<interwork::DeviceModel>>,
}

mod objects;
mod shell;
#[cfg(test)]
mod tests;

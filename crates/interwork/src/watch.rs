//! The CPE's notification attributes following the paths USP ValueChange
//! subscriptions watch, as a sans-IO state machine in the style of
//! [`crate::Plan`] (poll, send, feed).
//!
//! ```text
//! (discover the model, when not known)
//! GetParameterNames of each path's root   -> the concrete names
//! GetParameterAttributes of the new names -> their Notification before
//! SetParameterAttributes Notification=2   on the new names
//! SetParameterAttributes <original>       on names no longer watched
//! ```
//!
//! A CPE may refuse active notification (9009, CWMP A.3.2.4), typically
//! for counters; those names are *polled*: the gateway reads them
//! periodically instead ([`poll_calls`]). A 9009 for a whole
//! SetParameterAttributes of several names is retried name by name, as
//! the RPC is atomic and the fault does not say which name refused.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cwmp::Body;

use crate::calls::{body, Call};
use crate::dialect::Root;
use crate::model::{template, DeviceModel};
use crate::plan::{Config, Outcome};

mod outcome;
pub(crate) mod resolve;

/// Names one device may watch; beyond it the rest are reported, not
/// watched (a stray `Device.` subscription must not cost the CPE a
/// notification on every counter).
pub const MAX_WATCHED: usize = 4096;
/// Active notification refused (CWMP fault 9009).
pub const REJECTED: u32 = 9009;
const ACTIVE: u8 = 2;

/// What the gateway changed on one CPE: kept between plans, and across
/// restarts, so the original attributes can be put back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Names with active notification set by the gateway, and the
    /// Notification each had before.
    pub active: BTreeMap<String, u8>,
    /// Names the CPE refused active notification for: read periodically.
    pub polled: BTreeSet<String>,
}

/// What a [`WatchPlan`] did.
#[derive(Debug, Clone, Default)]
pub struct WatchReport {
    pub applied: Applied,
    /// Names newly polled, and why.
    pub fell_back: Vec<(String, String)>,
    /// Faults other than 9009 and RPCs that failed: the names they
    /// concern are left as they were.
    pub errors: Vec<String>,
    /// The device's model, when this plan discovered it.
    pub model: Option<Arc<DeviceModel>>,
}

#[derive(Debug, Clone)]
pub enum WatchStep {
    Send(Vec<Body<'static>>),
    Done(WatchReport),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Discover,
    Resolve,
    Originals,
    Apply,
    Done,
}

/// One reconciliation of a device's notification attributes.
#[derive(Debug)]
pub struct WatchPlan {
    model: Option<Arc<DeviceModel>>,
    learned: bool,
    wanted: Vec<String>,
    /// Tables whose entry counts are watched too.
    tables: Vec<String>,
    stage: Stage,
    queue: Vec<Call>,
    sent: Vec<Call>,
    /// Concrete names the wanted paths refer to.
    resolved: BTreeSet<String>,
    /// New names and their original Notification, once read.
    originals: BTreeMap<String, u8>,
    /// Names being set back to their original.
    restoring: BTreeSet<String>,
    rounds: u32,
    config: Config,
    report: WatchReport,
    /// How a TR-098 CPE is mapped, and its listing while its list
    /// parameters are read.
    tr098: crate::plan::Tr098,
    listing: Option<Vec<(String, bool)>>,
}

impl WatchPlan {
    /// A plan making `applied` follow `wanted` (TR-181 paths) on a CPE
    /// whose model is `model` (discovered first when `None`).
    pub fn new(
        model: Option<Arc<DeviceModel>>,
        wanted: impl IntoIterator<Item = String>,
        applied: Applied,
        config: Config,
    ) -> WatchPlan {
        WatchPlan {
            stage: if model.is_some() {
                Stage::Resolve
            } else {
                Stage::Discover
            },
            model,
            learned: false,
            wanted: wanted.into_iter().collect(),
            tables: Vec::new(),
            queue: Vec::new(),
            sent: Vec::new(),
            resolved: BTreeSet::new(),
            originals: BTreeMap::new(),
            restoring: BTreeSet::new(),
            rounds: 0,
            config,
            tr098: crate::plan::Tr098::default(),
            listing: None,
            report: WatchReport {
                applied,
                ..WatchReport::default()
            },
        }
    }

    /// How to map the CPE should it turn out to speak TR-098.
    pub fn tr098(&mut self, tr098: crate::plan::Tr098) {
        self.tr098 = tr098;
    }

    /// Also watch the `*NumberOfEntries` parameter of each table of
    /// `tables` (see [`crate::objects`]): a CPE that informs its change
    /// opens a session, and the session's listing finds the instance.
    pub fn counting(mut self, tables: Vec<String>) -> WatchPlan {
        self.tables = tables;
        self
    }

    /// The next step; after a `Send`, [`WatchPlan::feed`] its outcomes.
    pub fn poll(&mut self) -> WatchStep {
        if self.sent.is_empty() && self.queue.is_empty() {
            self.next_stage();
        }
        self.rounds += 1;
        if self.queue.is_empty() || self.rounds > self.config.max_rounds.max(4) * 4 {
            if !self.queue.is_empty() {
                self.report.errors.push("too many rounds of RPCs".into());
            }
            self.stage = Stage::Done;
            let mut report = std::mem::take(&mut self.report);
            report.model = self.model.clone().filter(|_| self.learned);
            return WatchStep::Done(report);
        }
        self.sent = std::mem::take(&mut self.queue);
        let model = self.model.as_deref();
        WatchStep::Send(self.sent.iter().map(|c| cpe_body(model, c)).collect())
    }

    /// Queues the RPCs of the next stage that has any.
    fn next_stage(&mut self) {
        while self.queue.is_empty() && self.stage != Stage::Done {
            self.stage = match self.stage {
                Stage::Discover => {
                    if self.model.is_none() {
                        self.queue.push(Call::Discover(Root::Tr181));
                        return;
                    }
                    Stage::Resolve
                }
                Stage::Resolve => {
                    self.queue_listings();
                    Stage::Originals
                }
                Stage::Originals => {
                    self.queue_originals();
                    Stage::Apply
                }
                Stage::Apply => {
                    self.queue_changes();
                    Stage::Done
                }
                Stage::Done => Stage::Done,
            };
        }
    }

    fn queue_listings(&mut self) {
        let Some(model) = self.model.clone() else {
            return;
        };
        for t in std::mem::take(&mut self.tables) {
            self.wanted.extend(crate::objects::count_path(&model, &t));
        }
        let roots: BTreeSet<String> = self
            .wanted
            .iter()
            .map(|p| resolve::listing_root(p))
            .collect();
        for r in roots {
            // Paths outside the CPE's model would only fault.
            let known = r == crate::model::ROOT
                || model.schema().find(&template(&r)).is_some()
                || model
                    .schema()
                    .find(&format!("{}{{i}}.", template(&r)))
                    .is_some();
            if known {
                self.queue.push(Call::Gpn {
                    path: r,
                    next_level: false,
                });
            }
        }
    }

    fn watched(&self) -> impl Iterator<Item = &String> {
        let a = &self.report.applied;
        a.active.keys().chain(a.polled.iter())
    }

    fn queue_originals(&mut self) {
        let new: Vec<String> = self
            .resolved
            .iter()
            .filter(|n| {
                let a = &self.report.applied;
                !a.active.contains_key(*n) && !a.polled.contains(*n)
            })
            .cloned()
            .collect();
        for chunk in new.chunks(self.config.batch.max(1)) {
            self.queue.push(Call::Gpa(chunk.to_vec()));
        }
    }

    fn queue_changes(&mut self) {
        let watch: Vec<(String, u8)> = self.originals.keys().map(|n| (n.clone(), ACTIVE)).collect();
        if !watch.is_empty() {
            self.queue.push(Call::Spa(watch));
        }
        let gone: Vec<String> = self
            .watched()
            .filter(|n| !self.resolved.contains(*n))
            .cloned()
            .collect();
        let applied = &mut self.report.applied;
        let mut restore = Vec::new();
        for n in gone {
            // A polled name's attribute was never changed.
            if applied.polled.remove(&n) {
                continue;
            }
            if let Some(orig) = applied.active.get(&n) {
                restore.push((n.clone(), *orig));
                self.restoring.insert(n);
            }
        }
        if !restore.is_empty() {
            self.queue.push(Call::Spa(restore));
        }
    }

    /// The outcomes of the last `Send`, in order.
    pub fn feed(&mut self, outcomes: Vec<Outcome>) {
        let sent = std::mem::take(&mut self.sent);
        let mut outcomes = outcomes.into_iter();
        for call in sent {
            let outcome = outcomes.next().unwrap_or(Outcome::Failed {
                code: 0,
                msg: "no outcome for an RPC".into(),
            });
            let outcome = cpe_outcome(self.model.as_deref(), &call, outcome);
            self.take(call, outcome);
        }
    }
}

/// `call` in the CPE's names (TR-181 until its model is known).
fn cpe_body(model: Option<&DeviceModel>, call: &Call) -> Body<'static> {
    match model {
        Some(m) => m.body(call, ""),
        None => body(call, ""),
    }
}

/// The answer to `call` in USP names. A TR-098 listing seen here also
/// changes the mapping; the next plan's discovery takes it up.
fn cpe_outcome(model: Option<&DeviceModel>, call: &Call, outcome: Outcome) -> Outcome {
    match model {
        Some(m) => m.outcome(call, outcome).0,
        None => outcome,
    }
}

/// The reads of the polled names: each call, and its body in the CPE's
/// names.
pub fn poll_calls(
    model: Option<&DeviceModel>,
    names: &BTreeSet<String>,
    batch: usize,
) -> Vec<(Call, Body<'static>)> {
    let names: Vec<String> = names.iter().cloned().collect();
    names
        .chunks(batch.max(1))
        .map(|c| {
            let call = Call::Gpv(c.to_vec());
            let b = cpe_body(model, &call);
            (call, b)
        })
        .collect()
}

/// The (name, value) pairs of one poll answer, in USP names.
pub fn polled_values(
    model: Option<&DeviceModel>,
    call: &Call,
    outcome: Outcome,
) -> Vec<(String, String)> {
    match cpe_outcome(model, call, outcome) {
        Outcome::Response(Body::GetParameterValuesResponse(r)) => r
            .parameter_list
            .into_iter()
            .map(|p| (p.name.into_owned(), p.value.text.into_owned()))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;

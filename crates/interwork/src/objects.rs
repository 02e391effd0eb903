//! The instances of the tables USP ObjectCreation / ObjectDeletion
//! subscriptions watch, diffed against the last listing, as a sans-IO
//! plan in the style of [`crate::watch::WatchPlan`] (poll, send, feed).
//!
//! ```text
//! (discover the model, when not known)
//! GetParameterNames(prefix, NextLevel=true)   one per wildcard level, then
//! GetParameterNames(table, NextLevel=true)    -> the instances now
//! diff with the last listing                  -> created, deleted
//! GetParameterValues of the functional keys of the created instances
//! ```
//!
//! A pattern seen for the first time is a baseline: listed, never told.
//! A pattern whose listing failed (fault, no answer, over the limits)
//! keeps its last listing: a CPE that did not answer has not deleted
//! anything. Only ReferenceList entries that name a table of the CPE's
//! model (`Device.NAT.PortMapping.`, `Device.IP.Interface.*.IPv4Address.`)
//! are listed; a partial path above tables would cost a listing of the
//! whole subtree in every session.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cwmp::Body;

use agent::dm::schema::Object;

use crate::calls::{body, Call};
use crate::dialect::Root;
use crate::model::{template, DeviceModel};
use crate::plan::{Config, Outcome};
use crate::watch::resolve::segments;

/// Instances remembered per device, over all its patterns.
pub const MAX_INSTANCES: usize = crate::watch::MAX_WATCHED;
/// GetParameterNames one listing may send (wildcards multiply them).
const MAX_LISTINGS: usize = 256;

/// Pattern (ReferenceList entry) -> its instances (`Device.X.3.`).
pub type Listing = BTreeMap<String, BTreeSet<String>>;

/// What a [`ListPlan`] found.
#[derive(Debug, Clone, Default)]
pub struct ListReport {
    /// The listing to keep for the next diff.
    pub listing: Listing,
    /// New instances and their functional unique keys (relative names).
    pub created: Vec<(String, BTreeMap<String, String>)>,
    /// Instances gone.
    pub deleted: Vec<String>,
    pub errors: Vec<String>,
    /// The device's model, when this plan discovered it.
    pub model: Option<Arc<DeviceModel>>,
}

#[derive(Debug, Clone)]
pub enum ListStep {
    Send(Vec<Body<'static>>),
    Done(ListReport),
}

/// One listing of a device's watched tables.
#[derive(Debug)]
pub struct ListPlan {
    model: Option<Arc<DeviceModel>>,
    learned: bool,
    /// The root to list for the model, while it is not known.
    discover: Option<Root>,
    patterns: Vec<String>,
    known: Listing,
    started: bool,
    /// (pattern, the path to list next: the pattern with its wildcards
    /// filled so far).
    work: Vec<(String, String)>,
    sent: Vec<(Option<(String, String)>, Call)>,
    found: Listing,
    failed: BTreeSet<String>,
    listings: usize,
    keys_asked: bool,
    rounds: u32,
    /// How a TR-098 CPE is mapped, for a discovery.
    tr098: crate::plan::Tr098,
    config: Config,
    report: ListReport,
}

impl ListPlan {
    /// A listing of `patterns` on a CPE whose model is `model` (discovered
    /// first when `None`), diffed against `known`.
    pub fn new(
        model: Option<Arc<DeviceModel>>,
        patterns: impl IntoIterator<Item = String>,
        known: Listing,
        config: Config,
    ) -> ListPlan {
        ListPlan {
            discover: model.is_none().then_some(Root::Tr181),
            model,
            learned: false,
            patterns: patterns.into_iter().collect(),
            known,
            started: false,
            work: Vec::new(),
            sent: Vec::new(),
            found: Listing::new(),
            failed: BTreeSet::new(),
            listings: 0,
            keys_asked: false,
            rounds: 0,
            tr098: crate::plan::Tr098::default(),
            config,
            report: ListReport::default(),
        }
    }

    /// How to map the CPE should it turn out to speak TR-098 (its tables
    /// are then the mapping's).
    pub fn tr098(mut self, tr098: crate::plan::Tr098) -> ListPlan {
        self.tr098 = tr098;
        self
    }

    /// The next step; after a `Send`, [`ListPlan::feed`] its outcomes.
    pub fn poll(&mut self) -> ListStep {
        self.rounds += 1;
        let mut calls = Vec::new();
        if self.rounds > self.config.max_rounds.max(4) * 4 {
            self.report.errors.push("too many rounds of RPCs".into());
            self.failed.extend(self.work.drain(..).map(|(p, _)| p));
        } else if self.model.is_none() {
            if let Some(root) = self.discover.take() {
                calls.push((None, Call::Discover(root)));
            }
        } else {
            if !self.started {
                self.start();
            }
            for (pattern, path) in std::mem::take(&mut self.work) {
                if self.listings >= MAX_LISTINGS {
                    self.failed.insert(pattern);
                    continue;
                }
                self.listings += 1;
                let prefix = listing_prefix(&path);
                let call = Call::Gpn {
                    path: prefix,
                    next_level: true,
                };
                calls.push((Some((pattern, path)), call));
            }
            if calls.is_empty() && !self.keys_asked {
                self.keys_asked = true;
                self.diff();
                calls = self.key_reads();
            }
        }
        if calls.is_empty() {
            let mut report = std::mem::take(&mut self.report);
            report.model = self.model.clone().filter(|_| self.learned);
            return ListStep::Done(report);
        }
        // A TR-098 CPE's tables are listed through its mapping.
        let bodies = calls
            .iter()
            .map(|(_, c)| match &self.model {
                Some(m) => m.body(c, ""),
                None => body(c, ""),
            })
            .collect();
        self.sent = calls;
        ListStep::Send(bodies)
    }

    /// The patterns that name a table of the model become work.
    fn start(&mut self) {
        self.started = true;
        let Some(model) = self.model.clone() else {
            return;
        };
        for p in &self.patterns {
            if is_table(&model, p) {
                self.found.entry(p.clone()).or_default();
                self.work.push((p.clone(), p.clone()));
            } else {
                self.report
                    .errors
                    .push(format!("{p} is not a table of this CPE"));
            }
        }
    }

    /// The outcomes of the last `Send`, in order.
    pub fn feed(&mut self, outcomes: Vec<Outcome>) {
        let mut outcomes = outcomes.into_iter();
        for (work, call) in std::mem::take(&mut self.sent) {
            let outcome = outcomes.next().unwrap_or(Outcome::Failed {
                code: 0,
                msg: "no outcome for an RPC".into(),
            });
            let outcome = match &self.model {
                Some(m) => m.outcome(&call, outcome).0,
                None => outcome,
            };
            self.take(work, call, outcome);
        }
    }

    fn take(&mut self, work: Option<(String, String)>, call: Call, outcome: Outcome) {
        match (call, outcome, work) {
            (Call::Discover(root), Outcome::Response(Body::GetParameterNamesResponse(r)), _) => {
                let names = r.parameter_list.iter().map(|p| (&*p.name, p.writable));
                // A TR-098 CPE through its mapping (its list tables are
                // left to the request plans that read them).
                let mapped = (root == Root::Tr098).then(|| {
                    let listing = names.clone().map(|(n, w)| (n.to_owned(), w)).collect();
                    self.tr098.model(listing, Default::default())
                });
                let model = match mapped.flatten() {
                    Some(m) => m,
                    None => crate::dialect::discovered(root, names),
                };
                match model {
                    Ok(m) => {
                        self.model = Some(Arc::new(m));
                        self.learned = true;
                    }
                    Err(e) => self.report.errors.push(format!("data model facts: {e:?}")),
                }
            }
            (Call::Discover(Root::Tr181), Outcome::Fault { code: 9005, .. }, _) => {
                self.discover = Some(Root::Tr098);
            }
            (Call::Discover(_), other, _) => {
                self.report
                    .errors
                    .push(format!("model discovery failed: {other:?}"));
            }
            (
                Call::Gpn { path: prefix, .. },
                Outcome::Response(Body::GetParameterNamesResponse(r)),
                Some((pattern, path)),
            ) => {
                let numbers = r
                    .parameter_list
                    .iter()
                    .filter_map(|p| instance_number(&prefix, &p.name));
                if prefix == path {
                    let found = self.found.entry(pattern).or_default();
                    found.extend(numbers.map(|n| format!("{prefix}{n}.")));
                } else {
                    let rest = &path[prefix.len()..];
                    let wild = segments(rest).first().map_or(0, |s| s.len());
                    let below = rest.get(wild + 1..).unwrap_or("");
                    for n in numbers {
                        let next = format!("{prefix}{n}.{below}");
                        self.work.push((pattern.clone(), next));
                    }
                }
            }
            (Call::Gpn { path, .. }, other, Some((pattern, _))) => {
                self.report
                    .errors
                    .push(format!("listing {path}: {other:?}"));
                self.failed.insert(pattern);
            }
            (Call::Gpv(names), Outcome::Response(Body::GetParameterValuesResponse(r)), _) => {
                let values: BTreeMap<&str, &str> = r
                    .parameter_list
                    .iter()
                    .map(|p| (&*p.name, &*p.value.text))
                    .collect();
                for (inst, keys) in &mut self.report.created {
                    for n in names.iter().filter(|n| n.starts_with(inst.as_str())) {
                        if let Some(v) = values.get(n.as_str()) {
                            keys.insert(n[inst.len()..].to_owned(), (*v).to_owned());
                        }
                    }
                }
            }
            (Call::Gpv(_), other, _) => {
                self.report.errors.push(format!("unique keys: {other:?}"));
            }
            _ => {}
        }
    }

    /// The new listing, and what changed since the known one.
    fn diff(&mut self) {
        let mut budget = MAX_INSTANCES;
        let (mut created, mut deleted) = (BTreeSet::new(), BTreeSet::new());
        for (pattern, now) in std::mem::take(&mut self.found) {
            let before = self.known.remove(&pattern);
            if self.failed.contains(&pattern) || now.len() > budget {
                if now.len() > budget {
                    self.report
                        .errors
                        .push(format!("{pattern}: more than {MAX_INSTANCES} instances"));
                }
                if let Some(b) = before {
                    budget = budget.saturating_sub(b.len());
                    self.report.listing.insert(pattern, b);
                }
                continue;
            }
            budget -= now.len();
            if let Some(before) = before {
                created.extend(now.difference(&before).cloned());
                deleted.extend(before.difference(&now).cloned());
            }
            self.report.listing.insert(pattern, now);
        }
        // An instance two patterns cover is told once.
        self.report.created = created.into_iter().map(|p| (p, BTreeMap::new())).collect();
        self.report.deleted = deleted.into_iter().collect();
    }

    /// GetParameterValues of the functional keys of the created instances.
    fn key_reads(&self) -> Vec<(Option<(String, String)>, Call)> {
        let Some(model) = &self.model else {
            return Vec::new();
        };
        let s = model.schema();
        let names: Vec<String> = self
            .report
            .created
            .iter()
            .flat_map(|(inst, _)| {
                let keys = s
                    .find(&template(inst))
                    .and_then(|id| s.node(id).object())
                    .map(|o| o.keys.clone())
                    .unwrap_or_default();
                let mut names: Vec<String> = keys
                    .into_iter()
                    .filter(|k| k.functional)
                    .flat_map(|k| k.names)
                    .map(|n| format!("{inst}{n}"))
                    .filter(|n| s.find(&template(n)).is_some())
                    .collect();
                names.sort();
                names.dedup();
                names
            })
            .take(MAX_INSTANCES)
            .collect();
        names
            .chunks(self.config.batch.max(1))
            .map(|c| (None, Call::Gpv(c.to_vec())))
            .collect()
    }
}

/// The table object of `model` that `pattern` names, if it names one.
fn table_of<'m>(model: &'m DeviceModel, pattern: &str) -> Option<&'m Object> {
    if !pattern.ends_with('.') || pattern.contains("{i}") {
        return None;
    }
    let segs = segments(pattern);
    let t: Vec<&str> = segs
        .iter()
        .map(|s| if any_instance(s) { "{i}" } else { s })
        .collect();
    let t = template(&t.join("."));
    let s = model.schema();
    s.find(&format!("{t}{{i}}."))
        .and_then(|id| s.node(id).object())
        .filter(|o| o.multi)
}

fn is_table(model: &DeviceModel, pattern: &str) -> bool {
    table_of(model, pattern).is_some()
}

/// The parameter counting the entries of the table `pattern` names
/// (`Device.NAT.PortMappingNumberOfEntries`, wildcards kept), when the
/// facts give it one.
pub fn count_path(model: &DeviceModel, pattern: &str) -> Option<String> {
    let count = table_of(model, pattern)?.count.as_deref()?;
    let table = pattern.strip_suffix('.')?;
    let segs = segments(table);
    let parent = segs.get(..segs.len().checked_sub(1)?)?.join(".");
    Some(format!("{parent}.{count}"))
}

fn any_instance(seg: &str) -> bool {
    seg == "*"
        || seg.starts_with('[')
        || (!seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()))
}

/// The object to list for `path`: itself, or the table before its first
/// wildcard or search expression.
fn listing_prefix(path: &str) -> String {
    let segs = segments(path);
    match segs.iter().position(|s| *s == "*" || s.starts_with('[')) {
        Some(i) => format!("{}.", segs[..i].join(".")),
        None => path.to_owned(),
    }
}

/// `n` when `name` is the instance `prefix` + `n` + `.`.
fn instance_number(prefix: &str, name: &str) -> Option<u32> {
    let n = name.strip_prefix(prefix)?.strip_suffix('.')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

#[cfg(test)]
mod tests;

//! What each CPE answer means for a [`WatchPlan`]: listings into the
//! resolved names, attributes into the originals, and refusals into the
//! polled names.

use std::sync::Arc;

use cwmp::Body;

use super::{resolve, Stage, WatchPlan, ACTIVE, MAX_WATCHED, REJECTED};
use crate::calls::Call;
use crate::dialect::{self, Root};
use crate::model::template;
use crate::plan::Outcome;

impl WatchPlan {
    pub(super) fn take(&mut self, call: Call, outcome: Outcome) {
        if let Some(listing) = self.listing.take() {
            let lists = crate::plan::list_values(outcome);
            if let Some(model) = self.tr098.model(listing, lists) {
                self.use_model(model, true);
            }
            return;
        }
        match (call, outcome) {
            (
                Call::Discover(Root::Tr098),
                Outcome::Response(Body::GetParameterNamesResponse(r)),
            ) if self.tr098.pack.is_some() => {
                let listing: Vec<(String, bool)> = r
                    .parameter_list
                    .iter()
                    .map(|p| (p.name.to_string(), p.writable))
                    .collect();
                let lists = self.tr098.lists(&listing);
                if lists.is_empty() {
                    if let Some(model) = self.tr098.model(listing, Default::default()) {
                        self.use_model(model, true);
                    }
                } else {
                    self.listing = Some(listing);
                    self.queue.push(Call::Gpv(lists));
                }
            }
            (Call::Discover(root), Outcome::Response(Body::GetParameterNamesResponse(r))) => {
                let names = r.parameter_list.iter().map(|p| (&*p.name, p.writable));
                self.use_model(dialect::discovered(root, names), true);
            }
            (Call::Discover(Root::Tr181), Outcome::Fault { code: 9005, .. }) => {
                self.queue.push(Call::Discover(Root::Tr098))
            }
            (Call::Gpn { path, .. }, Outcome::Response(Body::GetParameterNamesResponse(r))) => {
                let model = self.model.clone();
                for p in &r.parameter_list {
                    let in_model = model.as_ref().is_some_and(|m| {
                        let s = m.schema();
                        s.find(&template(&p.name))
                            .is_some_and(|id| s.node(id).param().is_some())
                    });
                    let wanted = self
                        .wanted
                        .iter()
                        .any(|w| resolve::listing_root(w) == path && resolve::matches(w, &p.name));
                    if in_model && wanted && !p.name.ends_with('.') {
                        if self.resolved.len() >= MAX_WATCHED {
                            self.report
                                .errors
                                .push(format!("more than {MAX_WATCHED} names watched"));
                            return;
                        }
                        self.resolved.insert(p.name.to_string());
                    }
                }
            }
            // Nothing there (yet): nothing to watch.
            (Call::Gpn { .. }, Outcome::Fault { code: 9005, .. }) => {}
            (Call::Gpa(_), Outcome::Response(Body::GetParameterAttributesResponse(r))) => {
                for p in r.parameter_list {
                    if self.resolved.contains(&*p.name) {
                        let n = u8::try_from(p.notification).unwrap_or(0).min(ACTIVE);
                        self.originals.insert(p.name.into_owned(), n);
                    }
                }
            }
            (Call::Spa(list), Outcome::Response(_)) => {
                let applied = &mut self.report.applied;
                for (n, _) in list {
                    if self.restoring.remove(&n) {
                        applied.active.remove(&n);
                    } else if let Some(orig) = self.originals.get(&n) {
                        applied.active.insert(n, *orig);
                    }
                }
            }
            (
                Call::Spa(list),
                Outcome::Fault {
                    code,
                    string,
                    params,
                },
            ) => self.spa_fault(list, code, &string, params),
            (call, Outcome::Fault { code, string, .. }) => {
                self.failed(&call);
                self.report
                    .errors
                    .push(format!("{call:?}: fault {code} {string}"))
            }
            (call, Outcome::Failed { code, msg }) => {
                self.failed(&call);
                self.report.errors.push(format!("{call:?}: {code} {msg}"))
            }
            (call, Outcome::Response(b)) => self
                .report
                .errors
                .push(format!("{call:?}: unexpected answer {b:?}")),
        }
    }

    /// Without the model or a listing, the names watched are not known:
    /// nothing changes (a missing listing must not restore everything).
    fn failed(&mut self, call: &Call) {
        if matches!(call, Call::Discover(_) | Call::Gpn { .. }) {
            self.stage = Stage::Done;
            self.queue.clear();
            self.originals.clear();
        }
    }

    fn spa_fault(
        &mut self,
        list: Vec<(String, u8)>,
        code: u32,
        string: &str,
        params: Vec<crate::ParamFault>,
    ) {
        let restoring = list
            .first()
            .is_some_and(|(n, _)| self.restoring.contains(n));
        if !params.is_empty() {
            // The RPC is atomic: the names no parameter fault blames go again.
            let mut again = Vec::new();
            for (n, v) in list {
                match params.iter().find(|p| p.name == n) {
                    Some(p) => self.refused(n, p.code, &p.string, restoring),
                    None => again.push((n, v)),
                }
            }
            if !again.is_empty() {
                self.queue.push(Call::Spa(again));
            }
        } else if list.len() > 1 {
            // The fault does not say which name: each goes alone, so one
            // refused (or vanished) name does not sink the others.
            self.queue
                .extend(list.into_iter().map(|x| Call::Spa(vec![x])));
        } else {
            for (n, _) in list {
                self.refused(n, code, string, restoring);
            }
        }
    }

    fn refused(&mut self, name: String, code: u32, string: &str, restoring: bool) {
        if restoring {
            // Nothing better to do than to forget it: reported.
            self.restoring.remove(&name);
            self.report.applied.active.remove(&name);
            self.report.errors.push(format!(
                "{name}: restoring Notification: fault {code} {string}"
            ));
        } else if code == REJECTED {
            self.report.applied.polled.insert(name.clone());
            self.report
                .fell_back
                .push((name, format!("fault {code} {string}")));
        } else {
            self.report
                .errors
                .push(format!("{name}: fault {code} {string}"));
        }
    }
}

impl WatchPlan {
    fn use_model(
        &mut self,
        model: Result<crate::model::DeviceModel, agent::dm::schema::SchemaError>,
        learned: bool,
    ) {
        match model {
            Ok(m) => {
                self.model = Some(Arc::new(m));
                self.learned = learned;
            }
            Err(e) => self.report.errors.push(format!("data model facts: {e:?}")),
        }
    }
}

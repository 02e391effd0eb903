//! A TR-098 CPE through a mapping pack (`crates/mapping`): plans keep
//! TR-181 names and calls; this turns each call into the CWMP call the
//! CPE understands and each answer back into TR-181 terms. A listing, an
//! AddObject or a DeleteObject changes what the CPE has, so its answer
//! also gives a new [`Mapped`] that the plan makes its model.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use cwmp::{Body, GetParameterAttributesResponse, ParameterAttribute, ValueType};
use mapping::{Binding, Instances, Pack, View};

use crate::calls::{body, Call};
use crate::plan::Outcome;

/// Read when a call needs no TR-098 value at all (every name it asks is
/// the gateway's): a call still needs a body, and every TR-098 CPE
/// informs this one.
const ALWAYS: &str = "InternetGatewayDevice.DeviceInfo.SoftwareVersion";
/// Names a CPE's listing may hold (the discovery listing's own bound).
const MAX_LISTING: usize = 100_000;

/// One CPE's mapped model: its TR-098 listing, the pack, and the view.
#[derive(Debug, Clone)]
pub struct Mapped {
    pack: Arc<Pack>,
    ext_root: String,
    listing: Vec<(String, bool)>,
    lists: HashMap<String, String>,
    instances: Instances,
    view: View,
}

impl Mapped {
    pub fn new(
        pack: Arc<Pack>,
        ext_root: String,
        mut listing: Vec<(String, bool)>,
        lists: HashMap<String, String>,
        mut instances: Instances,
    ) -> Mapped {
        listing.truncate(MAX_LISTING);
        // Sorted, so that what lies under an object is one slice.
        listing.sort_unstable();
        listing.dedup_by(|a, b| a.0 == b.0);
        let view = View::build(&pack, &listing, &lists, &mut instances, &ext_root);
        Mapped {
            pack,
            ext_root,
            listing,
            lists,
            instances,
            view,
        }
    }

    /// The TR-181 names and writability the model is built from.
    pub fn names(&self) -> &[(String, bool)] {
        &self.view.names
    }

    /// The instance numbers handed out, for the caller to keep.
    pub fn instances(&self) -> &Instances {
        &self.instances
    }

    pub fn view(&self) -> &View {
        &self.view
    }

    fn rebuilt(&self, listing: Vec<(String, bool)>) -> Mapped {
        Mapped::new(
            self.pack.clone(),
            self.ext_root.clone(),
            listing,
            self.lists.clone(),
            self.instances.clone(),
        )
    }

    /// The view's names under `path` (they are sorted: one slice).
    fn under(&self, path: &str) -> &[(String, bool)] {
        under(&self.view.names, path)
    }

    /// The TR-181 parameters a read of `names` covers: partial paths
    /// stand for every parameter under them.
    fn expand(&self, names: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for n in names {
            if n.ends_with('.') {
                out.extend(
                    self.under(n)
                        .iter()
                        .filter(|(m, _)| !m.ends_with('.'))
                        .map(|(m, _)| m.clone()),
                );
            } else {
                out.push(n.clone());
            }
        }
        out
    }

    fn cwmp_name(&self, usp: &str) -> Option<&str> {
        match self.view.binding(usp)? {
            Binding::Cwmp { name, .. } => Some(name),
            Binding::Item { list, .. } => Some(list),
            Binding::Fixed(_) => None,
        }
    }

    /// The TR-098 object whose listing covers the TR-181 `path`: the
    /// common ancestor of what its names are made of.
    fn cover(&self, path: &str) -> String {
        let mut sources = self
            .under(path)
            .iter()
            .filter_map(|(n, _)| self.view.source_of(n).or_else(|| self.cwmp_name(n)));
        let Some(first) = sources.next() else {
            return mapping::CWMP_ROOT.to_owned();
        };
        let mut common = first.to_owned();
        for s in sources {
            while !s.starts_with(common.as_str()) {
                let cut = common.trim_end_matches('.').rfind('.').map_or(0, |i| i + 1);
                common.truncate(cut);
            }
        }
        // A parameter alone: its object.
        if !common.ends_with('.') {
            let cut = common.rfind('.').map_or(0, |i| i + 1);
            common.truncate(cut);
        }
        if common.len() < mapping::CWMP_ROOT.len() {
            return mapping::CWMP_ROOT.to_owned();
        }
        common
    }

    /// The TR-098 listing that answers a TR-181 GetParameterNames of
    /// `path`: (object, next level). A table whose instances are all
    /// instances of one TR-098 table needs only that table's next level
    /// (its instances), not every name below it.
    fn listing_for(&self, path: &str, next_level: bool) -> (String, bool) {
        let cover = self.cover(path);
        if !next_level {
            return (cover, false);
        }
        let mut any = false;
        for (n, _) in self
            .under(path)
            .iter()
            .filter(|(n, _)| instance_of(path, n))
        {
            match self.view.source_of(n) {
                Some(s) if instance_of(&cover, s) => any = true,
                _ => return (cover, false),
            }
        }
        (cover, any)
    }

    /// The call as the CPE must get it.
    pub fn to_cpe(&self, call: &Call) -> Call {
        let names = |list: &[String]| -> Vec<String> {
            let mut seen = BTreeSet::new();
            list.iter()
                .filter_map(|n| self.cwmp_name(n))
                .filter(|n| seen.insert(n.to_string()))
                .map(str::to_owned)
                .collect()
        };
        let write = |list: &[(String, ValueType, String)]| {
            list.iter()
                .map(
                    |(n, ty, v)| match (self.cwmp_name(n), self.view.value_to_cpe(n, v)) {
                        (Some(c), Ok(v)) => (c.to_owned(), *ty, v),
                        // Untranslatable: the CPE refuses the TR-181 name,
                        // and the refusal comes back on it.
                        _ => (n.clone(), *ty, v.clone()),
                    },
                )
                .collect()
        };
        match call {
            Call::Gpv(list) => {
                let mut out = names(&self.expand(list));
                if out.is_empty() {
                    out.push(ALWAYS.to_owned());
                }
                Call::Gpv(out)
            }
            Call::Gpn { path, next_level } => {
                let (path, next_level) = self.listing_for(path, *next_level);
                Call::Gpn { path, next_level }
            }
            Call::Spv(list) => Call::Spv(write(list)),
            Call::Diagnose(list) => Call::Diagnose(write(list)),
            Call::Add { table, ordinal } => Call::Add {
                table: self
                    .view
                    .add_target(table)
                    .map_or_else(|| table.clone(), str::to_owned),
                ordinal: *ordinal,
            },
            Call::Delete(path) => Call::Delete(
                self.view
                    .source_of(path)
                    .map_or_else(|| path.clone(), str::to_owned),
            ),
            Call::Spa(list) => Call::Spa(
                list.iter()
                    .filter_map(|(n, v)| Some((self.cwmp_name(n)?.to_owned(), *v)))
                    .collect(),
            ),
            Call::Gpa(list) => Call::Gpa(names(list)),
            other => other.clone(),
        }
    }

    pub fn body(&self, call: &Call, key: &str) -> Body<'static> {
        body(&self.to_cpe(call), key)
    }

    /// The CPE's answer to `call` in TR-181 terms, and the new mapping
    /// when it changed what the CPE has.
    pub fn outcome(&self, call: &Call, outcome: Outcome) -> (Outcome, Option<Mapped>) {
        let Outcome::Response(resp) = outcome else {
            return (self.fault(call, outcome), None);
        };
        match (call, resp) {
            (Call::Gpv(names), Body::GetParameterValuesResponse(r)) => {
                (self.values(&self.expand(names), r), None)
            }
            (Call::Gpn { path, next_level }, Body::GetParameterNamesResponse(r)) => {
                let listed: Vec<(String, bool)> = r
                    .parameter_list
                    .iter()
                    .map(|p| (p.name.to_string(), p.writable))
                    .collect();
                match self.relisted(path, *next_level, listed) {
                    Some(next) => {
                        let answer = next.listing_under(path, *next_level);
                        (answer, Some(next))
                    }
                    // The common case: nothing came or went, and rebuilding
                    // the view (and the model on it) would be wasted.
                    None => (self.listing_under(path, *next_level), None),
                }
            }
            (Call::Add { table, .. }, Body::AddObjectResponse(r)) => self.added(table, r),
            (Call::Delete(path), b @ Body::DeleteObjectResponse(_)) => {
                let next = self.view.source_of(path).map(|source| {
                    let listing = self
                        .listing
                        .iter()
                        .filter(|(n, _)| !n.starts_with(source))
                        .cloned()
                        .collect();
                    self.rebuilt(listing)
                });
                (Outcome::Response(b), next)
            }
            (Call::Gpa(names), Body::GetParameterAttributesResponse(r)) => {
                let list = names
                    .iter()
                    .filter_map(|n| {
                        let c = self.cwmp_name(n)?;
                        let a = r.parameter_list.iter().find(|a| a.name == c)?;
                        Some(ParameterAttribute {
                            name: n.clone().into(),
                            notification: a.notification,
                            access_list: a.access_list.clone(),
                        })
                    })
                    .collect();
                let body = GetParameterAttributesResponse {
                    parameter_list: list,
                };
                (
                    Outcome::Response(Body::GetParameterAttributesResponse(body)),
                    None,
                )
            }
            (_, b) => (Outcome::Response(b), None),
        }
    }
}

/// The names under `path` in a sorted list: one slice.
fn under<'a>(sorted: &'a [(String, bool)], path: &str) -> &'a [(String, bool)] {
    let start = sorted.partition_point(|(n, _)| n.as_str() < path);
    let len = sorted[start..].partition_point(|(n, _)| n.starts_with(path));
    &sorted[start..start + len]
}

/// Whether `name` is an instance directly in table `table`
/// (`table` + digits + `.`).
fn instance_of(table: &str, name: &str) -> bool {
    name.strip_prefix(table)
        .and_then(|rest| rest.strip_suffix('.'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

mod answer;

#[cfg(test)]
#[path = "mapped_tests.rs"]
pub(crate) mod tests;

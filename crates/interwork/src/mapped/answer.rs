//! A CPE's answers turned into TR-181 terms, and the mapping they leave
//! behind: values through the view's transforms, listings compared with
//! what the mapping holds, an AddObject's instance under its TR-181
//! number, a fault's parameters under the names the call wrote.

use std::collections::{BTreeSet, HashMap};

use cwmp::{
    AddObjectResponse, Body, GetParameterNamesResponse, GetParameterValuesResponse, ParameterInfo,
    ParameterValue, Value, ValueType,
};
use mapping::Binding;

use super::{instance_of, under, Mapped};
use crate::calls::Call;
use crate::plan::Outcome;

impl Mapped {
    pub(super) fn values(
        &self,
        names: &[String],
        r: GetParameterValuesResponse<'static>,
    ) -> Outcome {
        let got: HashMap<&str, &Value<'_>> = r
            .parameter_list
            .iter()
            .map(|p| (&*p.name, &p.value))
            .collect();
        let mut list = Vec::new();
        for n in names {
            let v = match self.view.binding(n) {
                Some(Binding::Cwmp { name, .. }) => got
                    .get(name.as_str())
                    .map(|v| Value::new(v.ty, self.view.value_from_cpe(n, &v.text))),
                Some(Binding::Fixed(v)) => Some(Value::new(ValueType::String, v.clone())),
                Some(Binding::Item { list, item }) => got
                    .get(list.as_str())
                    .filter(|v| v.text.split(',').any(|i| i.trim() == item))
                    .map(|_| Value::new(ValueType::String, item.clone())),
                None => None,
            };
            if let Some(v) = v {
                list.push(ParameterValue::new(n.clone(), v));
            }
        }
        Outcome::Response(Body::GetParameterValuesResponse(
            GetParameterValuesResponse {
                parameter_list: list,
            },
        ))
    }

    /// The mapping after a listing for TR-181 `path` (see
    /// [`Mapped::listing_for`]); `None` if the CPE has what it had.
    pub(super) fn relisted(
        &self,
        path: &str,
        next_level: bool,
        mut listed: Vec<(String, bool)>,
    ) -> Option<Mapped> {
        let (cover, shallow) = self.listing_for(path, next_level);
        let had = under(&self.listing, &cover);
        listed.sort_unstable();
        if !shallow {
            if had == listed.as_slice() {
                return None;
            }
            let mut listing: Vec<(String, bool)> = self
                .listing
                .iter()
                .filter(|(n, _)| !n.starts_with(cover.as_str()))
                .cloned()
                .collect();
            listing.extend(listed);
            return Some(self.rebuilt(listing));
        }
        // Instances only: compare them; a new one joins with the names
        // the pack maps from it.
        let old: BTreeSet<&str> = had
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| instance_of(&cover, n))
            .collect();
        let new: BTreeSet<&str> = listed
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| instance_of(&cover, n))
            .collect();
        if old == new {
            return None;
        }
        let mut listing: Vec<(String, bool)> = self
            .listing
            .iter()
            .filter(|(n, _)| !old.iter().any(|o| !new.contains(o) && n.starts_with(o)))
            .cloned()
            .collect();
        for added in new.difference(&old) {
            listing.extend(self.synthesised(added));
        }
        Some(self.rebuilt(listing))
    }

    /// A TR-098 instance the mapping has not listed: the object and the
    /// first name of each parameter the pack maps from it.
    pub(super) fn synthesised(&self, source: &str) -> Vec<(String, bool)> {
        let mut out = vec![(source.to_owned(), true)];
        for rule in &self.pack.rules {
            if !mapping::template::matches(&rule.cwmp, source) {
                continue;
            }
            for p in &rule.params {
                if let mapping::Source::Cwmp(names) = &p.source {
                    if let Some(first) = names.first() {
                        out.push((format!("{source}{first}"), true));
                    }
                }
            }
        }
        out
    }

    /// A GetParameterNames answer for TR-181 `path`, from the view.
    pub(super) fn listing_under(&self, path: &str, next_level: bool) -> Outcome {
        let list = self
            .under(path)
            .iter()
            .filter(|(n, _)| {
                let rest = &n[path.len()..];
                !next_level || rest.trim_end_matches('.').split('.').count() <= 1
            })
            .map(|(n, w)| ParameterInfo {
                name: n.clone().into(),
                writable: *w,
            })
            .collect();
        Outcome::Response(Body::GetParameterNamesResponse(GetParameterNamesResponse {
            parameter_list: list,
        }))
    }

    /// An AddObject answered: the new TR-098 instance joins the listing
    /// with the parameters the pack maps from it, and the plan hears the
    /// TR-181 instance number.
    pub(super) fn added(&self, table: &str, r: AddObjectResponse) -> (Outcome, Option<Mapped>) {
        let Some(target) = self.view.add_target(table) else {
            return (Outcome::Response(Body::AddObjectResponse(r)), None);
        };
        let source = format!("{target}{}.", r.instance_number);
        let mut listing = self.listing.clone();
        listing.extend(self.synthesised(&source));
        let next = self.rebuilt(listing);
        let number = next
            .view
            .names
            .iter()
            .filter(|(n, _)| n.ends_with('.') && next.view.source_of(n) == Some(source.as_str()))
            .filter_map(|(n, _)| n.strip_prefix(table))
            .find_map(|rest| rest.trim_end_matches('.').parse::<u32>().ok());
        let answer = AddObjectResponse {
            instance_number: number.unwrap_or(r.instance_number),
            status: r.status,
        };
        (
            Outcome::Response(Body::AddObjectResponse(answer)),
            Some(next),
        )
    }

    /// A fault names the CPE's parameters: give them their TR-181 names
    /// as the call wrote them.
    pub(super) fn fault(&self, call: &Call, outcome: Outcome) -> Outcome {
        let Outcome::Fault {
            code,
            string,
            mut params,
        } = outcome
        else {
            return outcome;
        };
        let written: Vec<&String> = match call {
            Call::Spv(l) | Call::Diagnose(l) => l.iter().map(|(n, _, _)| n).collect(),
            _ => Vec::new(),
        };
        for p in &mut params {
            if let Some(usp) = written
                .iter()
                .find(|n| self.cwmp_name(n) == Some(p.name.as_str()))
            {
                p.name = (*usp).clone();
            } else if written.contains(&&p.name) && self.view.binding(&p.name).is_some() {
                // Sent under its TR-181 name: its value has no TR-098 form.
                p.code = 9007;
                p.string = "the value cannot be expressed in the CPE's TR-098 model".into();
            }
        }
        Outcome::Fault {
            code,
            string,
            params,
        }
    }
}

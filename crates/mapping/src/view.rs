//! One TR-098 CPE as TR-181: built from its GetParameterNames listing by
//! a pack, it says which TR-181 names the CPE has and, for each, where
//! its value lives on the CPE and how it is transformed. Every TR-098
//! parameter no rule takes stays reachable under the extension root
//! (`Device.X_<OUI>_TR098.` + its TR-098 path after the root).
//!
//! Building is deterministic: the same listing, values and instance map
//! give the same view; the instance map only grows ([`Instances`]).

use std::collections::{BTreeMap, HashMap};

/// Lookups by name on every call a plan makes: foldhash with a random
/// seed, as the ACS uses, not SipHash (a CPE's listing is bounded, and
/// the seed keeps its names from choosing buckets).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use crate::compile::{Pack, Param};
use crate::instances::Instances;
use crate::template;

/// The TR-098 root every name of such a CPE starts with.
pub const CWMP_ROOT: &str = "InternetGatewayDevice.";
/// List items a list parameter may give (DNSServers has a handful).
const MAX_ITEMS: usize = 64;

/// Where a TR-181 name's value lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// A TR-098 parameter, through the rule's transform (`param` indexes
    /// [`View::params`]; `None` for the extension subtree, unchanged).
    Cwmp { name: String, param: Option<usize> },
    /// Given by the gateway: a constant or a computed reference.
    Fixed(String),
    /// An item of a TR-098 list parameter.
    Item { list: String, item: String },
}

/// A refused write: the value cannot be said in TR-098.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Untranslatable(pub String);

mod build;

#[derive(Debug, Clone, Default)]
pub struct View {
    /// TR-181 names of the CPE, objects (ending with a dot) and
    /// parameters, with their writability, in a stable order.
    pub names: Vec<(String, bool)>,
    bindings: Map<String, Binding>,
    /// TR-098 parameter → the TR-181 names it feeds.
    reverse: Map<String, Vec<String>>,
    /// The transforms bindings point at.
    params: Vec<Param>,
    /// TR-181 instance → the TR-098 instance it is made from.
    sources: Map<String, String>,
    /// (TR-181 template, TR-098 instance) → the TR-181 instance.
    made_from: Map<(String, String), String>,
    /// TR-181 table (concrete) → the TR-098 table its Add goes to.
    add_targets: BTreeMap<String, String>,
}

/// The TR-098 list parameters whose values a build needs (a listing
/// gives names, not values).
pub fn list_parameters(pack: &Pack, listing: &[(String, bool)]) -> Vec<String> {
    let mut out = Vec::new();
    for rule in &pack.rules {
        let Some(list) = &rule.list else { continue };
        for (name, _) in listing {
            if name.ends_with('.') && template::matches(&rule.cwmp, name) {
                out.push(format!("{name}{list}"));
            }
        }
    }
    out
}

impl View {
    /// The view of a CPE whose GetParameterNames listing (NextLevel
    /// false) is `listing`. `lists` gives the values of
    /// [`list_parameters`]; `ext_root` is the extension root, ending
    /// with a dot.
    pub fn build(
        pack: &Pack,
        listing: &[(String, bool)],
        lists: &HashMap<String, String>,
        instances: &mut Instances,
        ext_root: &str,
    ) -> View {
        build::build(pack, listing, lists, instances, ext_root)
    }

    pub fn binding(&self, usp: &str) -> Option<&Binding> {
        self.bindings.get(usp)
    }

    /// The TR-181 names a TR-098 parameter feeds (a ValueChange of it).
    pub fn from_cpe(&self, cwmp: &str) -> &[String] {
        self.reverse.get(cwmp).map_or(&[], Vec::as_slice)
    }

    /// The TR-098 instance a TR-181 instance is made from (its Delete).
    pub fn source_of(&self, usp_instance: &str) -> Option<&str> {
        self.sources.get(usp_instance).map(String::as_str)
    }

    /// The TR-098 table a USP Add on this TR-181 table goes to.
    pub fn add_target(&self, usp_table: &str) -> Option<&str> {
        self.add_targets.get(usp_table).map(String::as_str)
    }

    /// A TR-098 value as TR-181 says it.
    pub fn value_from_cpe(&self, usp: &str, cwmp_value: &str) -> String {
        let Some(Binding::Cwmp { param: Some(i), .. }) = self.bindings.get(usp) else {
            return cwmp_value.to_owned();
        };
        let p = &self.params[*i];
        match &p.path {
            Some(table) => self.paths_from_cpe(table, cwmp_value),
            None => crate::value::from_cpe(p, cwmp_value),
        }
    }

    /// TR-098 object paths as the TR-181 instances of `table` made from
    /// them (TR-181 references carry no final dot); paths with none are
    /// left out.
    fn paths_from_cpe(&self, table: &str, value: &str) -> String {
        let items: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter_map(|item| {
                let key = (table.to_owned(), format!("{}.", item.trim_end_matches('.')));
                self.made_from.get(&key).map(|p| p.trim_end_matches('.'))
            })
            .collect();
        items.join(",")
    }

    fn paths_to_cpe(&self, value: &str) -> Result<String, Untranslatable> {
        let mut out = Vec::new();
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let key = format!("{}.", item.trim_end_matches('.'));
            match self.sources.get(&key) {
                Some(s) => out.push(s.trim_end_matches('.').to_owned()),
                None => return Err(Untranslatable(format!("{item} is no object of this CPE"))),
            }
        }
        Ok(out.join(","))
    }

    /// A TR-181 value as the CPE must be given it.
    pub fn value_to_cpe(&self, usp: &str, usp_value: &str) -> Result<String, Untranslatable> {
        match self.bindings.get(usp) {
            Some(Binding::Cwmp { param: Some(i), .. }) => match &self.params[*i].path {
                Some(_) => self.paths_to_cpe(usp_value),
                None => crate::value::to_cpe(&self.params[*i], usp_value),
            },
            Some(Binding::Cwmp { param: None, .. }) => Ok(usp_value.to_owned()),
            _ => Err(Untranslatable(format!("{usp} is set by the gateway"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Library;
    use proptest::prelude::*;

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("LANDevice".to_string()),
            Just("WLANConfiguration".to_string()),
            Just("WANDevice".to_string()),
            Just("WANConnectionDevice".to_string()),
            Just("WANIPConnection".to_string()),
            Just("PortMapping".to_string()),
            Just("SSID".to_string()),
            Just("DNSServers".to_string()),
            (1u32..4).prop_map(|n| n.to_string()),
        ]
    }

    proptest! {
        /// Any listing, any list values: a view, the same one twice, and
        /// no name outside `Device.`.
        #[test]
        fn any_listing_builds_a_stable_view(
            names in proptest::collection::vec(
                (proptest::collection::vec(segment(), 1..7), any::<bool>(), any::<bool>()),
                0..60,
            ),
            list in "[0-9., ]{0,30}",
        ) {
            let listing: Vec<(String, bool)> = names
                .into_iter()
                .map(|(segs, object, w)| {
                    let mut n = format!("{CWMP_ROOT}{}", segs.join("."));
                    if object {
                        n.push('.');
                    }
                    (n, w)
                })
                .collect();
            let pack = Library::embedded().unwrap().get("tr098-core").unwrap();
            let lists: HashMap<String, String> = list_parameters(&pack, &listing)
                .into_iter()
                .map(|n| (n, list.clone()))
                .collect();
            let mut instances = Instances::default();
            let a = View::build(&pack, &listing, &lists, &mut instances, "Device.X_T.");
            let b = View::build(&pack, &listing, &lists, &mut instances, "Device.X_T.");
            prop_assert_eq!(&a.names, &b.names);
            for (n, _) in &a.names {
                prop_assert!(n.starts_with("Device."), "{}", n);
            }
        }
    }
}

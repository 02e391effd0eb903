//! One TR-098 CPE as TR-181: built from its GetParameterNames listing by
//! a pack, it says which TR-181 names the CPE has and, for each, where
//! its value lives on the CPE and how it is transformed. Every TR-098
//! parameter no rule takes stays reachable under the extension root
//! (`Device.X_<OUI>_TR098.` + its TR-098 path after the root).
//!
//! Building is deterministic: the same listing, values and instance map
//! give the same view; the instance map only grows ([`Instances`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::compile::{Pack, Param, Rule, Source};
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

#[derive(Debug, Clone, Default)]
pub struct View {
    /// TR-181 names of the CPE, objects (ending with a dot) and
    /// parameters, with their writability, in a stable order.
    pub names: Vec<(String, bool)>,
    bindings: HashMap<String, Binding>,
    /// TR-098 parameter → the TR-181 names it feeds.
    reverse: HashMap<String, Vec<String>>,
    /// The transforms bindings point at.
    params: Vec<Param>,
    /// TR-181 instance → the TR-098 instance it is made from.
    sources: HashMap<String, String>,
    /// (TR-181 template, TR-098 instance) → the TR-181 instance.
    made_from: HashMap<(String, String), String>,
    /// TR-181 table (concrete) → the TR-098 table its Add goes to.
    add_targets: BTreeMap<String, String>,
}

/// One TR-181 object made during a build.
struct Made {
    template: String,
    path: String,
    source: String,
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
        let have: HashMap<&str, bool> = listing.iter().map(|(n, w)| (n.as_str(), *w)).collect();
        let mut objects: Vec<&str> = have.keys().copied().filter(|n| n.ends_with('.')).collect();
        objects.sort_by_key(|p| template::natural_key(p));
        let mut rules: Vec<(usize, &Rule)> = pack.rules.iter().enumerate().collect();
        rules.sort_by_key(|(i, r)| (template::depth(&r.usp), *i));

        let mut children: HashMap<&str, Vec<(&str, bool)>> = HashMap::new();
        for (name, w) in listing {
            if name.ends_with('.') {
                continue;
            }
            if let Some(i) = name.rfind('.') {
                children
                    .entry(&name[..=i])
                    .or_default()
                    .push((&name[i + 1..], *w));
            }
        }
        let mut b = Builder {
            children,
            view: View::default(),
            made: Vec::new(),
            seen: HashSet::new(),
            consumed: HashSet::new(),
            refs: Vec::new(),
            listed: BTreeMap::new(),
        };
        for (_, rule) in rules {
            for source in objects.iter().filter(|o| template::matches(&rule.cwmp, o)) {
                b.apply(rule, source, &have, lists, instances);
            }
        }
        b.resolve_refs();
        b.extension(listing, ext_root);
        instances.retain(&b.seen);
        b.ancestors();
        b.view.names = b.listed.into_iter().collect();
        b.view
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

struct Builder<'a> {
    /// TR-098 object → its parameters (name, writable).
    children: HashMap<&'a str, Vec<(&'a str, bool)>>,
    view: View,
    made: Vec<Made>,
    /// (TR-181 table, source) pairs numbered by this build.
    seen: HashSet<(String, String)>,
    /// TR-098 parameters some rule took.
    consumed: HashSet<String>,
    /// (TR-181 name, instance source, table, within) to compute last.
    refs: Vec<(String, String, String, Option<String>)>,
    listed: BTreeMap<String, bool>,
}

impl Builder<'_> {
    fn apply(
        &mut self,
        rule: &Rule,
        source: &str,
        have: &HashMap<&str, bool>,
        lists: &HashMap<String, String>,
        instances: &mut Instances,
    ) {
        let Some(base) = self.usp_base(rule, source) else {
            return;
        };
        match (&rule.list, template::table_of(&rule.usp)) {
            (Some(list), Some(_)) => {
                let list_name = format!("{source}{list}");
                let Some(value) = lists.get(&list_name) else {
                    return;
                };
                self.consumed.insert(list_name.clone());
                let items: BTreeSet<&str> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .take(MAX_ITEMS)
                    .collect();
                for item in items {
                    let key = format!("{source}#{item}");
                    let Some(path) = self.number(&base, &key, instances) else {
                        continue;
                    };
                    self.made(rule, &path, source);
                    for p in &rule.params {
                        let bind = match &p.source {
                            Source::Item => Some(Binding::Item {
                                list: list_name.clone(),
                                item: item.to_owned(),
                            }),
                            _ => None,
                        };
                        match bind {
                            Some(b) => self.bind(&path, p, b, false),
                            None => self.param(&path, source, p, have),
                        }
                    }
                }
            }
            (Some(_), None) => {}
            (None, Some(_)) => {
                let Some(path) = self.number(&base, source, instances) else {
                    return;
                };
                if rule.add && have.get(template_parent(source)).copied() == Some(true) {
                    self.view
                        .add_targets
                        .entry(base.clone())
                        .or_insert_with(|| template_parent(source).to_owned());
                }
                self.made(rule, &path, source);
                self.params(&path, source, rule, have);
            }
            (None, None) => {
                // A single object: the first source to reach it holds it.
                if self.made.iter().any(|m| m.path == base) {
                    return;
                }
                self.made(rule, &base, source);
                self.params(&base, source, rule, have);
            }
        }
    }

    /// The concrete TR-181 path of a rule's object up to its last `{i}`
    /// (the table, or the object itself when it is single), under the
    /// parent instance made from the nearest source above `source`.
    fn usp_base(&self, rule: &Rule, source: &str) -> Option<String> {
        let own = template::table_of(&rule.usp).unwrap_or(&rule.usp);
        let Some(cut) = own.rfind("{i}.") else {
            return Some(own.to_owned());
        };
        let parent_template = &own[..cut + 4];
        let parent = self
            .made
            .iter()
            .filter(|m| m.template == parent_template && source.starts_with(m.source.as_str()))
            .max_by_key(|m| m.source.len())?;
        Some(format!("{}{}", parent.path, &own[cut + 4..]))
    }

    fn number(&mut self, table: &str, key: &str, instances: &mut Instances) -> Option<String> {
        let n = instances.number(table, key)?;
        self.seen.insert((table.to_owned(), key.to_owned()));
        Some(format!("{table}{n}."))
    }

    fn made(&mut self, rule: &Rule, path: &str, source: &str) {
        self.made.push(Made {
            template: rule.usp.clone(),
            path: path.to_owned(),
            source: source.to_owned(),
        });
        self.view.sources.insert(path.to_owned(), source.to_owned());
        self.view
            .made_from
            .entry((rule.usp.clone(), source.to_owned()))
            .or_insert_with(|| path.to_owned());
        let writable = template::table_of(&rule.usp).is_some() && rule.add;
        self.object(path, writable);
    }

    fn object(&mut self, path: &str, writable: bool) {
        self.listed.insert(path.to_owned(), writable);
    }

    fn params(&mut self, path: &str, source: &str, rule: &Rule, have: &HashMap<&str, bool>) {
        for p in &rule.params {
            self.param(path, source, p, have);
        }
        let Some(except) = &rule.same else { return };
        let named = |n: &str| {
            rule.params.iter().any(|p| {
                p.usp == n || matches!(&p.source, Source::Cwmp(c) if c.iter().any(|c| c == n))
            })
        };
        let same: Vec<(String, bool)> = self
            .children
            .get(source)
            .into_iter()
            .flatten()
            .filter(|(n, _)| !except.iter().any(|e| e == n) && !named(n))
            .map(|(n, w)| ((*n).to_owned(), *w))
            .collect();
        for (name, writable) in same {
            let cwmp = format!("{source}{name}");
            let usp = format!("{path}{name}");
            self.consumed.insert(cwmp.clone());
            self.view
                .reverse
                .entry(cwmp.clone())
                .or_default()
                .push(usp.clone());
            self.listed.insert(usp.clone(), writable);
            let bind = Binding::Cwmp {
                name: cwmp,
                param: None,
            };
            self.view.bindings.insert(usp, bind);
        }
    }

    fn param(&mut self, path: &str, source: &str, p: &Param, have: &HashMap<&str, bool>) {
        match &p.source {
            Source::Cwmp(names) => {
                let found = names.iter().find_map(|n| {
                    let full = format!("{source}{n}");
                    have.get(full.as_str()).map(|w| (full, *w))
                });
                let Some((cwmp, writable)) = found else {
                    return;
                };
                self.consumed.insert(cwmp.clone());
                let usp = format!("{path}{}", p.usp);
                self.view.reverse.entry(cwmp.clone()).or_default().push(usp);
                let i = self.view.params.len();
                self.view.params.push(p.clone());
                let bind = Binding::Cwmp {
                    name: cwmp,
                    param: Some(i),
                };
                self.bind(path, p, bind, writable && !p.read_only);
            }
            Source::Const(v) => self.bind(path, p, Binding::Fixed(v.clone()), false),
            Source::Ref { table, within } => {
                let usp = format!("{path}{}", p.usp);
                self.refs
                    .push((usp, source.to_owned(), table.clone(), within.clone()));
                self.sub_objects(path, &p.usp);
                self.listed.insert(format!("{path}{}", p.usp), false);
            }
            Source::Item => {}
        }
    }

    fn bind(&mut self, path: &str, p: &Param, b: Binding, writable: bool) {
        let usp = format!("{path}{}", p.usp);
        self.sub_objects(path, &p.usp);
        self.listed.insert(usp.clone(), writable);
        self.view.bindings.insert(usp, b);
    }

    /// `Security.` of `Security.ModeEnabled`: objects between an instance
    /// and its parameter.
    fn sub_objects(&mut self, path: &str, relative: &str) {
        let mut at = 0;
        while let Some(i) = relative[at..].find('.') {
            at += i + 1;
            self.listed
                .entry(format!("{path}{}", &relative[..at]))
                .or_insert(false);
        }
    }

    fn resolve_refs(&mut self) {
        for (usp, source, table, within) in std::mem::take(&mut self.refs) {
            let scope = within
                .as_deref()
                .and_then(|w| template::prefix_len(w, &source).map(|n| &source[..n]));
            let mut targets: Vec<&str> = self
                .made
                .iter()
                .filter(|m| m.template == table)
                .filter(|m| match (within.as_ref(), scope) {
                    (Some(_), Some(scope)) => m.source.starts_with(scope),
                    (Some(_), None) => false,
                    (None, _) => m.source == source,
                })
                .map(|m| m.path.trim_end_matches('.'))
                .collect();
            targets.sort_by_key(|p| template::natural_key(p));
            targets.dedup();
            let value = targets.join(",");
            self.view.bindings.insert(usp, Binding::Fixed(value));
        }
    }

    /// The objects above every name, as a CPE's listing has them: a
    /// table object (`Device.NAT.PortMapping.`) is writable when an Add
    /// on it maps.
    fn ancestors(&mut self) {
        let mut more = Vec::new();
        for name in self.listed.keys() {
            let trimmed = name.trim_end_matches('.');
            let mut at = 0;
            while let Some(i) = trimmed[at..].find('.') {
                at += i + 1;
                let parent = &name[..at];
                if !self.listed.contains_key(parent) {
                    more.push(parent.to_owned());
                }
            }
        }
        for p in more {
            let writable = self.view.add_targets.contains_key(&p);
            self.listed.entry(p).or_insert(writable);
        }
    }

    /// Every TR-098 parameter no rule took, under `ext_root`.
    fn extension(&mut self, listing: &[(String, bool)], ext_root: &str) {
        for (name, writable) in listing {
            if name.ends_with('.') || self.consumed.contains(name) {
                continue;
            }
            let Some(rest) = name.strip_prefix(CWMP_ROOT) else {
                continue;
            };
            let usp = format!("{ext_root}{rest}");
            self.sub_objects(ext_root, rest);
            self.listed.insert(usp.clone(), *writable);
            self.view
                .reverse
                .entry(name.clone())
                .or_default()
                .push(usp.clone());
            let bind = Binding::Cwmp {
                name: name.clone(),
                param: None,
            };
            self.view.bindings.insert(usp, bind);
        }
        if self.listed.keys().any(|k| k.starts_with(ext_root)) {
            self.listed.insert(ext_root.to_owned(), false);
        }
    }
}

/// `A.B.3.` → `A.B.`: the table a TR-098 instance is in.
fn template_parent(instance: &str) -> &str {
    let trimmed = instance.strip_suffix('.').unwrap_or(instance);
    match trimmed.rfind('.') {
        Some(i) => &instance[..=i],
        None => instance,
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

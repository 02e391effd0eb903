//! Building a [`View`]: rules in order of depth, each over the TR-098
//! objects its template matches; references last, once every instance
//! is numbered; the extension subtree and the objects above every name.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{Binding, View, CWMP_ROOT, MAX_ITEMS};
use crate::compile::{Pack, Param, Rule, Source};
use crate::instances::Instances;
use crate::template;

/// One TR-181 object made during a build.
struct Made {
    template: String,
    path: String,
    source: String,
}

pub(super) fn build(
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

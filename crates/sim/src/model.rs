//! One CPE's data model: the shared [`Profile`] plus this CPE's differences
//! (changed values, added and deleted instances, attributes). A CPE that
//! never changed anything costs a few empty maps.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cwmp::ValueType;

use crate::profile::{Kind, Profile};

/// Where a parameter lives: a profile row, or an instance added at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Profile(u32),
    Added,
}

/// A read view of one parameter or object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub kind: Kind,
    pub writable: bool,
    pub value: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AddedRow {
    kind: Kind,
    writable: bool,
    value: Box<str>,
}

/// Notification and AccessList of one parameter (defaults: 0, empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    pub notification: u8,
    pub access_list: Vec<Box<str>>,
}

#[derive(Debug, Clone)]
pub struct DataModel {
    profile: Arc<Profile>,
    overrides: HashMap<u32, Box<str>>,
    /// Profile instances removed by DeleteObject (object paths ending in `.`).
    deleted: Vec<Box<str>>,
    added: BTreeMap<Box<str>, AddedRow>,
    /// Per table (`Device.NAT.PortMapping.`): the last instance number handed
    /// out, so numbers are never reused after a delete.
    last_instance: HashMap<Box<str>, u32>,
    attributes: HashMap<Box<str>, Attributes>,
    /// Bumped by every change to a value or to the set of rows, so callers
    /// can keep things derived from values (the Inform's encoded
    /// parameters) until it moves.
    revision: u64,
}

/// Why an object operation failed; maps to a CWMP fault code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectError {
    /// 9005.
    InvalidName,
    /// 9004: too many instances.
    ResourcesExceeded,
}

/// Bound on instances a CPE may add, whatever the ACS asks.
pub const MAX_ADDED_ROWS: usize = 50_000;

impl DataModel {
    pub fn new(profile: Arc<Profile>) -> Self {
        DataModel {
            profile,
            overrides: HashMap::new(),
            deleted: Vec::new(),
            added: BTreeMap::new(),
            last_instance: HashMap::new(),
            attributes: HashMap::new(),
            revision: 0,
        }
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn profile(&self) -> &Arc<Profile> {
        &self.profile
    }

    pub fn root(&self) -> &str {
        self.profile.root()
    }

    /// Back to the profile's defaults: everything this CPE changed is gone.
    pub fn factory_reset(&mut self) {
        let revision = self.revision + 1;
        *self = DataModel::new(self.profile.clone());
        self.revision = revision;
    }

    fn is_deleted(&self, name: &str) -> bool {
        self.deleted.iter().any(|d| name.starts_with(&**d))
    }

    fn slot(&self, name: &str) -> Option<Slot> {
        if let Some(id) = self.profile.id(name) {
            if !self.is_deleted(name) {
                return Some(Slot::Profile(id));
            }
        }
        self.added.contains_key(name).then_some(Slot::Added)
    }

    pub fn get(&self, name: &str) -> Option<Entry<'_>> {
        match self.slot(name)? {
            Slot::Profile(id) => {
                let def = self.profile.get(id)?;
                let value = self.overrides.get(&id).map_or(&*def.default, |v| &**v);
                Some(Entry {
                    name: &def.name,
                    kind: def.kind,
                    writable: def.writable,
                    value,
                })
            }
            Slot::Added => {
                let (name, row) = self.added.get_key_value(name)?;
                Some(Entry {
                    name,
                    kind: row.kind,
                    writable: row.writable,
                    value: &row.value,
                })
            }
        }
    }

    /// The value's text, if the parameter exists.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|e| e.value)
    }

    /// Stores a value without any check (callers validate first). Returns
    /// false when the parameter does not exist.
    pub fn set(&mut self, name: &str, value: &str) -> bool {
        // Rewriting the same value is no change, and must not cost the
        // Inform its encoded parameters.
        if self.value(name) != Some(value) {
            self.revision += 1;
        }
        self.store(name, value)
    }

    /// As [`DataModel::set`], leaving the revision alone: for the clock
    /// values a CPE refreshes every session (UpTime), which no cache keyed
    /// on the revision holds. Moving the revision every second cost every
    /// CPE a fresh Inform encoding each second under load.
    pub fn set_untracked(&mut self, name: &str, value: &str) -> bool {
        self.store(name, value)
    }

    fn store(&mut self, name: &str, value: &str) -> bool {
        match self.slot(name) {
            Some(Slot::Profile(id)) => {
                let default = self.profile.get(id).map(|d| &*d.default);
                if default == Some(value) {
                    self.overrides.remove(&id);
                } else {
                    self.overrides.insert(id, value.into());
                }
                true
            }
            Some(Slot::Added) => match self.added.get_mut(name) {
                Some(row) => {
                    row.value = value.into();
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// Every visible row whose name starts with `prefix`, profile rows in
    /// profile order first, then added rows in name order.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = Entry<'a>> + 'a {
        let from_profile = self
            .profile
            .params()
            .iter()
            .enumerate()
            .filter(move |(_, p)| p.name.starts_with(prefix) && !self.is_deleted(&p.name))
            .map(move |(i, p)| Entry {
                name: &p.name,
                kind: p.kind,
                writable: p.writable,
                value: u32::try_from(i)
                    .ok()
                    .and_then(|i| self.overrides.get(&i))
                    .map_or(&*p.default, |v| &**v),
            });
        let from_added = self
            .added
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(n, _)| n.starts_with(prefix))
            .map(|(n, r)| Entry {
                name: n,
                kind: r.kind,
                writable: r.writable,
                value: &r.value,
            });
        from_profile.chain(from_added)
    }

    /// Adds an instance to `table` (a path ending in `.`), filling it from
    /// the profile's template rows. Returns the new instance number.
    pub fn add_object(&mut self, table: &str) -> Result<u32, ObjectError> {
        let entry = self.get(table).ok_or(ObjectError::InvalidName)?;
        if entry.kind != Kind::Object || !entry.writable || ends_with_instance(table) {
            return Err(ObjectError::InvalidName);
        }
        let key = template_key(table);
        let rows = self
            .profile
            .template(&key)
            .ok_or(ObjectError::InvalidName)?
            .to_vec();
        if self.added.len() + rows.len() + 1 > MAX_ADDED_ROWS {
            return Err(ObjectError::ResourcesExceeded);
        }
        let highest_now = self
            .under(table)
            .filter_map(|e| instance_of(table, e.name))
            .max()
            .unwrap_or(0);
        let last = self.last_instance.get(table).copied().unwrap_or(0);
        let n = last
            .max(highest_now)
            .checked_add(1)
            .ok_or(ObjectError::ResourcesExceeded)?;
        self.last_instance.insert(table.into(), n);
        self.revision += 1;
        let base = format!("{table}{n}.");
        let mut has_object_row = false;
        for r in rows {
            has_object_row |= r.suffix.is_empty();
            self.added.insert(
                format!("{base}{}", r.suffix).into(),
                AddedRow {
                    kind: r.kind,
                    writable: r.writable,
                    value: r.default,
                },
            );
        }
        if !has_object_row {
            self.added.insert(
                base.into(),
                AddedRow {
                    kind: Kind::Object,
                    writable: true,
                    value: "".into(),
                },
            );
        }
        Ok(n)
    }

    /// Deletes one instance (a path like `Device.NAT.PortMapping.3.`).
    pub fn delete_object(&mut self, object: &str) -> Result<(), ObjectError> {
        let entry = self.get(object).ok_or(ObjectError::InvalidName)?;
        if entry.kind != Kind::Object || !entry.writable || !ends_with_instance(object) {
            return Err(ObjectError::InvalidName);
        }
        self.revision += 1;
        let doomed: Vec<Box<str>> = self
            .added
            .range::<str, _>((
                std::ops::Bound::Included(object),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(n, _)| n.starts_with(object))
            .map(|(n, _)| n.clone())
            .collect();
        for n in doomed {
            self.added.remove(&n);
        }
        if self.profile.id(object).is_some() {
            self.deleted.push(object.into());
        }
        self.attributes.retain(|n, _| !n.starts_with(object));
        Ok(())
    }

    pub fn attributes(&self, name: &str) -> Attributes {
        self.attributes.get(name).cloned().unwrap_or_default()
    }

    pub fn notification(&self, name: &str) -> u8 {
        self.attributes.get(name).map_or(0, |a| a.notification)
    }

    pub fn set_attributes(&mut self, name: &str, attrs: Attributes) {
        if attrs == Attributes::default() {
            self.attributes.remove(name);
        } else {
            self.attributes.insert(name.into(), attrs);
        }
    }

    /// Number of instances currently in `table` (for `...NumberOfEntries`).
    pub fn instance_count(&self, table: &str) -> usize {
        self.under(table)
            .filter(|e| e.kind == Kind::Object)
            .filter(|e| {
                e.name
                    .strip_prefix(table)
                    .and_then(|rest| rest.strip_suffix('.'))
                    .is_some_and(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()))
            })
            .count()
    }

    /// The type of a value parameter, if it is one.
    pub fn value_type(&self, name: &str) -> Option<ValueType> {
        match self.get(name)?.kind {
            Kind::Value(t) => Some(t),
            Kind::Object => None,
        }
    }
}

/// `Device.IP.Interface.2.IPv4Address.` → `Device.IP.Interface.{i}.IPv4Address.`.
pub fn template_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    for seg in path.split_inclusive('.') {
        let bare = seg.trim_end_matches('.');
        if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("{i}");
            out.push_str(&seg[bare.len()..]);
        } else {
            out.push_str(seg);
        }
    }
    out
}

fn ends_with_instance(object: &str) -> bool {
    object
        .strip_suffix('.')
        .and_then(|s| s.rsplit('.').next())
        .is_some_and(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()))
}

/// The instance number of `name` directly inside `table`, if any.
fn instance_of(table: &str, name: &str) -> Option<u32> {
    let rest = name.strip_prefix(table)?;
    let seg = rest.split('.').next()?;
    seg.parse().ok()
}

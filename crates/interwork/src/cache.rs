//! What a plan has read from the CPE, as the data-model engine sees it.
//!
//! Reads the cache cannot answer are noted as misses and answered as
//! "nothing" for now; the plan fetches them and runs the engine again.
//! Prefixes read whole (GetParameterValues on a partial path) answer every
//! read below them: what the CPE did not return does not exist. Prefixes
//! listed whole (GetParameterNames, NextLevel false) answer instance lists.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use agent::dm::{Data, ParamType, Refusal, Schema};
use cwmp::ValueType;
use usp::ErrorCode;

use crate::model::template;

/// Reads the engine wanted and the cache did not have.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Misses {
    /// Concrete parameter paths.
    pub values: BTreeSet<String>,
    /// Concrete table paths (`Device.WiFi.SSID.`).
    pub tables: BTreeSet<String>,
}

impl Misses {
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.tables.is_empty()
    }
}

/// Values and instance lists read so far in one plan.
#[derive(Debug, Default)]
pub struct Cache {
    values: HashMap<String, Option<String>>,
    tables: HashMap<String, BTreeSet<u32>>,
    /// The CWMP type each value came with.
    types: HashMap<String, ValueType>,
    /// Values given to the plan rather than read by it.
    remembered: HashSet<String>,
    /// Tables whose instance list is complete (GetParameterNames on them).
    complete: HashSet<String>,
    /// Object prefixes whose every value was read.
    read_whole: Vec<String>,
    /// Object prefixes whose every instance was listed.
    listed_whole: Vec<String>,
    misses: RefCell<Misses>,
}

pub use agent::dm::schema::fill;

/// A CWMP value as USP writes it: booleans are `true`/`false` in USP,
/// where CWMP also allows `1`/`0`.
fn usp_value(schema: &Schema, path: &str, value: &str) -> String {
    let ty = schema
        .find(&template(path))
        .and_then(|id| schema.node(id).param().map(|p| p.ty));
    match (ty, value) {
        (Some(ParamType::Boolean), "1") => "true".into(),
        (Some(ParamType::Boolean), "0") => "false".into(),
        _ => value.to_owned(),
    }
}

impl Cache {
    fn covered(prefixes: &[String], path: &str) -> bool {
        prefixes.iter().any(|p| path.starts_with(p.as_str()))
    }

    /// Notes every instance a returned name shows (`...SSID.2.Enable`
    /// shows instance 2 of `...SSID.`).
    fn note_instances(&mut self, name: &str) {
        let mut end = 0;
        for seg in name.split('.') {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(n) = seg.parse::<u32>() {
                    self.tables
                        .entry(name[..end].to_owned())
                        .or_default()
                        .insert(n);
                }
            }
            end += seg.len() + 1;
            if end > name.len() {
                break;
            }
        }
    }

    /// Takes a GetParameterValues answer for `asked` (the names sent).
    pub fn take_values<'a>(
        &mut self,
        schema: &Schema,
        asked: &[String],
        got: impl IntoIterator<Item = (&'a str, &'a str, ValueType)>,
    ) {
        for (name, value, ty) in got {
            self.note_instances(name);
            self.types.insert(name.to_owned(), ty);
            self.values
                .insert(name.to_owned(), Some(usp_value(schema, name, value)));
        }
        for a in asked {
            if a.ends_with('.') {
                self.read_whole.push(a.clone());
                self.listed_whole.push(a.clone());
            } else {
                self.values.entry(a.clone()).or_insert(None);
            }
        }
    }

    /// The CPE says `name` does not exist (fault 9005 for it alone).
    pub fn take_absent(&mut self, name: &str) {
        if name.ends_with('.') {
            self.read_whole.push(name.to_owned());
            self.listed_whole.push(name.to_owned());
            self.tables.entry(name.to_owned()).or_default();
            self.complete.insert(name.to_owned());
        } else {
            self.values.insert(name.to_owned(), None);
        }
    }

    /// Takes a GetParameterNames answer for `path`.
    pub fn take_names<'a>(
        &mut self,
        path: &str,
        next_level: bool,
        names: impl IntoIterator<Item = &'a str>,
    ) {
        self.tables.entry(path.to_owned()).or_default();
        self.complete.insert(path.to_owned());
        for n in names {
            self.note_instances(n);
        }
        if !next_level {
            self.listed_whole.push(path.to_owned());
        }
    }

    /// The misses of the engine runs since the last call.
    pub fn take_misses(&self) -> Misses {
        std::mem::take(&mut *self.misses.borrow_mut())
    }

    /// A value read from this CPE earlier and still fresh enough to serve.
    pub fn remember(&mut self, path: String, value: String, ty: ValueType) {
        self.types.insert(path.clone(), ty);
        self.remembered.insert(path.clone());
        self.values.insert(path, Some(value));
    }

    /// Whether the value of `path` is known, present or not.
    pub fn knows(&self, path: &str) -> bool {
        self.values.contains_key(path)
    }

    /// Values this plan read from the CPE (or wrote to it), with types.
    pub fn read_values(&self) -> impl Iterator<Item = (&str, &str, ValueType)> + '_ {
        self.values.iter().filter_map(|(p, v)| {
            let v = v.as_deref()?;
            if self.remembered.contains(p) {
                return None;
            }
            Some((
                p.as_str(),
                v,
                self.types.get(p).copied().unwrap_or_default(),
            ))
        })
    }

    /// A value the CPE now holds because we wrote it.
    pub fn put(&mut self, path: &str, value: &str) {
        self.values.insert(path.to_owned(), Some(value.to_owned()));
    }

    /// The CWMP type the CPE reported a value with.
    pub fn value_type(&self, path: &str) -> Option<ValueType> {
        self.types.get(path).copied()
    }

    /// A value read in this plan (None: absent or never read).
    pub fn get(&self, path: &str) -> Option<&str> {
        self.values.get(path).and_then(|v| v.as_deref())
    }
}

impl Data for Cache {
    fn instances(&self, table: &str, parents: &[u32]) -> Vec<u32> {
        let t = fill(table.strip_suffix("{i}.").unwrap_or(table), parents);
        // Instances seen in passing (a value of `...SSID.2.`) are not the
        // whole list; only a listing of the table or of a prefix is.
        if self.complete.contains(&t) || Self::covered(&self.listed_whole, &t) {
            return self
                .tables
                .get(&t)
                .map(|set| set.iter().copied().collect())
                .unwrap_or_default();
        }
        self.misses.borrow_mut().tables.insert(t);
        Vec::new()
    }

    fn value(&self, param: &str, inst: &[u32]) -> Option<String> {
        let p = fill(param, inst);
        if let Some(v) = self.values.get(&p) {
            return v.clone();
        }
        if !Self::covered(&self.read_whole, &p) {
            self.misses.borrow_mut().values.insert(p);
        }
        None
    }

    fn begin(&mut self) {}
    fn commit(&mut self) {}
    fn rollback(&mut self) {}

    fn set(&mut self, _: &str, _: &[u32], _: &str) -> Result<(), Refusal> {
        Err(read_only())
    }

    fn add(&mut self, _: &str, _: &[u32]) -> Result<u32, Refusal> {
        Err(read_only())
    }

    fn delete(&mut self, _: &str, _: &[u32]) -> Result<(), Refusal> {
        Err(read_only())
    }
}

fn read_only() -> Refusal {
    Refusal::new(ErrorCode::InternalError, "a read plan does not write")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_templates() {
        assert_eq!(fill("Device.A.{i}.B.{i}.C", &[1, 22]), "Device.A.1.B.22.C");
        assert_eq!(fill("Device.A.{i}.", &[]), "Device.A.");
    }

    #[test]
    fn misses_then_hits() {
        let schema = agent::local::schema().unwrap();
        let mut c = Cache::default();
        assert_eq!(c.value("Device.X.{i}.Y", &[3]), None);
        assert!(c.instances("Device.X.{i}.", &[]).is_empty());
        let m = c.take_misses();
        assert!(m.values.contains("Device.X.3.Y") && m.tables.contains("Device.X."));
        c.take_values(
            &schema,
            &["Device.X.".to_owned()],
            [("Device.X.3.Y", "v", ValueType::String)],
        );
        assert_eq!(c.value("Device.X.{i}.Y", &[3]).as_deref(), Some("v"));
        assert_eq!(c.instances("Device.X.{i}.", &[]), [3]);
        // A value seen in passing does not make the list complete.
        c.take_values(
            &schema,
            &["Device.T.4.N".to_owned()],
            [("Device.T.4.N", "n", ValueType::String)],
        );
        assert!(c.instances("Device.T.{i}.", &[]).is_empty());
        assert!(c.take_misses().tables.contains("Device.T."));
        c.take_names("Device.T.", true, ["Device.T.4.", "Device.T.9."]);
        assert_eq!(c.instances("Device.T.{i}.", &[]), [4, 9]);
        // Read whole: what the CPE did not return does not exist.
        assert_eq!(c.value("Device.X.{i}.Z", &[3]), None);
        assert!(c.instances("Device.X.{i}.W.{i}.", &[3]).is_empty());
        assert!(c.take_misses().is_empty());
    }
}

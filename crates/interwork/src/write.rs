//! Set, Add and Delete on a CPE: the data-model engine decides, the CPE
//! does.
//!
//! Each engine run sees the CPE through [`Run`]: reads come from the
//! plan's cache, writes are recorded per transaction. A committed
//! transaction becomes RPCs: its AddObjects (run before, as their instance
//! numbers are needed), one SetParameterValues for its values (atomic on
//! the CPE, so one transaction stays all-or-nothing) and its
//! DeleteObjects. A rolled-back transaction deletes the instances it
//! created (compensation). What the CPE refused (SetParameterValuesFault
//! entries, faults on AddObject/DeleteObject) is fed to the next run as
//! refusals, so the engine itself works out the USP answer: the
//! allow_partial × required matrix, retrying an object without the
//! non-required parameters that failed. Runs repeat until one needs no
//! RPC it has not already had done; refusals only grow, so they end.

use std::collections::{BTreeSet, HashMap, HashSet};

use agent::dm::{Data, ParamType, Refusal, Schema};
use cwmp::ValueType;
use usp::ErrorCode;

use crate::cache::{fill, Cache};
use crate::calls::Call;
use crate::model::template;

/// What the CPE has done and refused so far in one plan.
#[derive(Debug, Default)]
pub struct Writes {
    /// Parameter path → why the CPE refused it.
    pub refused: HashMap<String, Refusal>,
    /// `table#ordinal` of an Add, or an instance path of a Delete → why.
    pub refused_objects: HashMap<String, Refusal>,
    /// (table, ordinal) → instance number the CPE created.
    pub added: HashMap<(String, usize), u32>,
    /// SetParameterValues the CPE applied.
    pub applied: HashSet<Vec<(String, String)>>,
    /// Instances the CPE deleted (as asked, or as compensation).
    pub deleted: HashSet<String>,
}

/// A write of one transaction.
#[derive(Debug, Clone)]
enum Op {
    Set(String, String),
    Add(String, usize),
    Delete(String),
}

/// One engine run over the CPE.
pub struct Run<'a> {
    schema: &'a Schema,
    cache: &'a Cache,
    writes: &'a Writes,
    /// Values written in this run, over the cache.
    overlay: HashMap<String, String>,
    /// Instances added (+) and deleted (-) in this run, per table path.
    added_here: HashMap<String, BTreeSet<u32>>,
    deleted_here: HashSet<String>,
    ordinals: HashMap<String, usize>,
    tx: Vec<Op>,
    /// An Add waits for its AddObject: this run's answer is not final.
    incomplete: bool,
    /// RPCs this run needs, in the order they must run.
    pub adds: Vec<Call>,
    pub rest: Vec<Call>,
}

fn object_key(table: &str, ordinal: usize) -> String {
    format!("{table}#{ordinal}")
}

/// The CWMP type a value is sent as: what the CPE itself reported, or
/// what TR-181 says, so that CPE do not answer 9006.
pub fn value_type(schema: &Schema, cache: &Cache, path: &str) -> ValueType {
    if let Some(t) = cache.value_type(path) {
        return t;
    }
    let ty = schema
        .find(&template(path))
        .and_then(|id| schema.node(id).param().map(|p| p.ty));
    match ty {
        Some(ParamType::Int) => ValueType::Int,
        Some(ParamType::UnsignedInt) => ValueType::UnsignedInt,
        Some(ParamType::Long) => ValueType::Long,
        Some(ParamType::UnsignedLong) => ValueType::UnsignedLong,
        Some(ParamType::Boolean) => ValueType::Boolean,
        Some(ParamType::DateTime) => ValueType::DateTime,
        Some(ParamType::Base64) => ValueType::Base64,
        Some(ParamType::HexBinary) => ValueType::HexBinary,
        _ => ValueType::String,
    }
}

impl<'a> Run<'a> {
    pub fn new(schema: &'a Schema, cache: &'a Cache, writes: &'a Writes) -> Run<'a> {
        Run {
            schema,
            cache,
            writes,
            overlay: HashMap::new(),
            added_here: HashMap::new(),
            deleted_here: HashSet::new(),
            ordinals: HashMap::new(),
            tx: Vec::new(),
            incomplete: false,
            adds: Vec::new(),
            rest: Vec::new(),
        }
    }

    /// No RPC is left to do: the run's answer is the request's.
    pub fn is_final(&self) -> bool {
        !self.incomplete && self.adds.is_empty() && self.rest.is_empty()
    }

    fn instance_path(table: &str, n: u32) -> String {
        format!("{table}{n}.")
    }
}

impl Data for Run<'_> {
    fn instances(&self, table: &str, parents: &[u32]) -> Vec<u32> {
        let t = fill(table.strip_suffix("{i}.").unwrap_or(table), parents);
        let mut out: BTreeSet<u32> = self.cache.instances(table, parents).into_iter().collect();
        if let Some(added) = self.added_here.get(&t) {
            out.extend(added);
        }
        out.into_iter()
            .filter(|n| {
                let p = Self::instance_path(&t, *n);
                !self.deleted_here.contains(&p) && !self.writes.deleted.contains(&p)
            })
            .collect()
    }

    fn value(&self, param: &str, inst: &[u32]) -> Option<String> {
        let p = fill(param, inst);
        if let Some(v) = self.overlay.get(&p) {
            return Some(v.clone());
        }
        self.cache.value(param, inst)
    }

    fn begin(&mut self) {
        self.tx.clear();
    }

    fn commit(&mut self) {
        if self.incomplete {
            self.tx.clear();
            return;
        }
        let mut spv = Vec::new();
        let mut deletes = Vec::new();
        for op in std::mem::take(&mut self.tx) {
            match op {
                Op::Set(p, v) => spv.push((p, v)),
                Op::Delete(p) if !self.writes.deleted.contains(&p) => deletes.push(Call::Delete(p)),
                Op::Add(..) | Op::Delete(_) => {}
            }
        }
        if !spv.is_empty() && !self.writes.applied.contains(&spv) {
            let typed = spv
                .into_iter()
                .map(|(p, v)| {
                    let ty = value_type(self.schema, self.cache, &p);
                    (p, ty, v)
                })
                .collect();
            self.rest.push(Call::Spv(typed));
        }
        self.rest.extend(deletes);
    }

    fn rollback(&mut self) {
        for op in std::mem::take(&mut self.tx) {
            match op {
                Op::Set(p, _) => {
                    self.overlay.remove(&p);
                }
                Op::Add(table, ordinal) => {
                    let Some(&n) = self.writes.added.get(&(table.clone(), ordinal)) else {
                        continue;
                    };
                    if let Some(set) = self.added_here.get_mut(&table) {
                        set.remove(&n);
                    }
                    let p = Self::instance_path(&table, n);
                    // A run still waiting for an AddObject says nothing yet
                    // about the instances before it.
                    if !self.incomplete && !self.writes.deleted.contains(&p) {
                        self.rest.push(Call::Delete(p));
                    }
                }
                Op::Delete(p) => {
                    self.deleted_here.remove(&p);
                }
            }
        }
    }

    fn set(&mut self, param: &str, inst: &[u32], value: &str) -> Result<(), Refusal> {
        let p = fill(param, inst);
        if let Some(r) = self.writes.refused.get(&p) {
            return Err(r.clone());
        }
        self.overlay.insert(p.clone(), value.to_owned());
        self.tx.push(Op::Set(p, value.to_owned()));
        Ok(())
    }

    fn add(&mut self, table: &str, parents: &[u32]) -> Result<u32, Refusal> {
        let t = fill(table.strip_suffix("{i}.").unwrap_or(table), parents);
        let ordinal = {
            let o = self.ordinals.entry(t.clone()).or_default();
            *o += 1;
            *o - 1
        };
        if let Some(r) = self.writes.refused_objects.get(&object_key(&t, ordinal)) {
            return Err(r.clone());
        }
        match self.writes.added.get(&(t.clone(), ordinal)) {
            Some(&n) => {
                self.added_here.entry(t.clone()).or_default().insert(n);
                self.tx.push(Op::Add(t, ordinal));
                Ok(n)
            }
            None => {
                self.incomplete = true;
                self.adds.push(Call::Add { table: t, ordinal });
                Err(Refusal::new(
                    ErrorCode::InternalError,
                    "waiting for the CPE to create the instance",
                ))
            }
        }
    }

    fn delete(&mut self, table: &str, inst: &[u32]) -> Result<(), Refusal> {
        let p = fill(table, inst);
        if let Some(r) = self.writes.refused_objects.get(&p) {
            return Err(r.clone());
        }
        self.deleted_here.insert(p.clone());
        self.tx.push(Op::Delete(p));
        Ok(())
    }
}

/// Notes the CPE's refusal of an Add.
pub fn refuse_add(writes: &mut Writes, table: &str, ordinal: usize, r: Refusal) {
    writes.refused_objects.insert(object_key(table, ordinal), r);
}

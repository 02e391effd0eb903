//! A generic data-model engine: a [`Schema`] (the supported model), a
//! [`Data`] implementation (the instance tree, owned by someone else), path
//! resolution, and the six USP operations over them, each producing exactly
//! the response a native agent gives.
//!
//! # Transactions
//!
//! The engine checks what it can (the path exists, the parameter is
//! writable, the value has the parameter's type) before it writes, and then
//! writes through [`Data`] inside [`Data::begin`] / [`Data::commit`]. A
//! failure after the first write (the owner refusing a value, a duplicate
//! unique key) ends in [`Data::rollback`], which must restore the state
//! `begin` saw. Transactions never nest: an atomic request (allow_partial
//! false) is one transaction, a partial one is one per requested object.

use usp::ErrorCode;

pub mod add;
pub mod delete;
pub mod get;
pub mod instances;
pub mod resolve;
pub mod schema;
mod search;
pub mod set;
pub mod supported;
pub mod value;

pub use resolve::{resolve, Loc, Resolution, ResolveError};
pub use schema::{Access, Kind, NodeId, ParamType, Schema};

/// Why the owner of the data refused a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub msg: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, msg: impl Into<String>) -> Refusal {
        Refusal {
            code,
            msg: msg.into(),
        }
    }
}

/// The instance tree the engine reads and writes. Items are named by their
/// schema path in `{i}` form (`Device.LocalAgent.MTP.{i}.Enable`) plus the
/// instance numbers filling the `{i}`s, outermost first.
pub trait Data {
    /// Instance numbers of `table` (a `{i}` object path) under the parent
    /// instance `parents`, ascending. Numbers are never reused.
    fn instances(&self, table: &str, parents: &[u32]) -> Vec<u32>;

    /// The value of a parameter as USP carries it, `None` when the owner has
    /// none (the engine then leaves it out). Counting parameters
    /// (`...NumberOfEntries`) are answered by the engine.
    fn value(&self, param: &str, inst: &[u32]) -> Option<String>;

    /// Starts a transaction.
    fn begin(&mut self);
    /// Keeps every write since [`Data::begin`].
    fn commit(&mut self);
    /// Undoes every write since [`Data::begin`].
    fn rollback(&mut self);

    /// Writes a parameter the engine has checked for existence, writability
    /// and type; the owner may still refuse (enumerations, immutability).
    fn set(&mut self, param: &str, inst: &[u32], value: &str) -> Result<(), Refusal>;

    /// Creates an instance of `table` under `parents` with its default
    /// values and returns its number.
    fn add(&mut self, table: &str, parents: &[u32]) -> Result<u32, Refusal>;

    /// Deletes an instance (and everything below it).
    fn delete(&mut self, table: &str, inst: &[u32]) -> Result<(), Refusal>;
}

/// The answer to one request: a response body or an Error.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Resp(usp::proto::usp::response::RespType),
    Error(usp::proto::usp::Error),
}

impl Answer {
    pub(crate) fn error(code: ErrorCode, msg: impl Into<String>) -> Answer {
        Answer::Error(usp::proto::usp::Error {
            err_code: code.as_u32(),
            err_msg: msg.into(),
            param_errs: Vec::new(),
        })
    }

    /// The Msg answering request `msg_id`.
    pub fn into_msg(self, msg_id: &str) -> usp::Msg {
        match self {
            Answer::Resp(r) => usp::msg::response(msg_id, r),
            Answer::Error(e) => usp::msg::error(msg_id, e.err_code, e.err_msg, e.param_errs),
        }
    }
}

/// Reads a parameter as Get reports it: counts computed, hidden values "".
pub fn read_param(schema: &Schema, data: &dyn Data, param: NodeId, inst: &[u32]) -> Option<String> {
    let node = schema.node(param);
    let p = node.param()?;
    if let Some(table) = schema.counted_table(param) {
        return Some(
            data.instances(&schema.node(table).path, inst)
                .len()
                .to_string(),
        );
    }
    let v = data.value(&node.path, inst)?;
    Some(if p.hidden { String::new() } else { v })
}

/// The values of every unique-key parameter of the instance `inst` of
/// `table`, as AddResp and GetInstancesResp report them.
pub fn unique_keys(
    schema: &Schema,
    data: &dyn Data,
    table: NodeId,
    inst: &[u32],
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let Some(o) = schema.node(table).object() else {
        return out;
    };
    for name in o.keys.iter().flat_map(|k| &k.names) {
        if let Some(p) = schema.child(table, name) {
            if let Some(v) = read_param(schema, data, p, inst) {
                out.insert(name.clone(), v);
            }
        }
    }
    out
}

/// Checks every unique key of `table` for the instance `inst` against its
/// siblings; a key with an empty value is not checked (the owner fills
/// those in). Returns the first key set that collides.
pub(crate) fn duplicate_key(
    schema: &Schema,
    data: &dyn Data,
    table: NodeId,
    inst: &[u32],
) -> Option<String> {
    let node = schema.node(table);
    let o = node.object()?;
    let (parents, me) = inst.split_at(inst.len().saturating_sub(1));
    let me = *me.first()?;
    let key_of = |n: u32, set: &schema::KeySet| -> Option<Vec<String>> {
        let mut full = parents.to_vec();
        full.push(n);
        set.names
            .iter()
            .map(|name| {
                let p = schema.child(table, name)?;
                data.value(&schema.node(p).path, &full)
                    .filter(|v| !v.is_empty())
            })
            .collect()
    };
    let siblings = data.instances(&node.path, parents);
    for set in &o.keys {
        let Some(mine) = key_of(me, set) else {
            continue;
        };
        if siblings
            .iter()
            .any(|&n| n != me && key_of(n, set).as_ref() == Some(&mine))
        {
            return Some(set.names.join(","));
        }
    }
    None
}

#[cfg(test)]
mod tests;

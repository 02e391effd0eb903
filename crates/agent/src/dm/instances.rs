//! GetInstances: the instances of the tables a path names (or, for an
//! object path, of the tables below it), with their unique keys; all
//! levels below unless `first_level_only`.

use usp::msg;
use usp::path::{Path, PathKind};
use usp::proto::usp::get_instances_resp::{CurrInstance, RequestedPathResult};
use usp::proto::usp::{response::RespType, GetInstances, GetInstancesResp};
use usp::ErrorCode;

use super::resolve::{resolve, Loc, MAX_RESOLVED};
use super::schema::Schema;
use super::{unique_keys, Answer, Data};

/// Answers a GetInstances.
pub fn get_instances(schema: &Schema, data: &dyn Data, req: &GetInstances) -> Answer {
    let results = req
        .obj_paths
        .iter()
        .map(|p| one(schema, data, p, req.first_level_only))
        .collect();
    Answer::Resp(RespType::GetInstancesResp(GetInstancesResp {
        req_path_results: results,
    }))
}

fn one(
    schema: &Schema,
    data: &dyn Data,
    requested: &str,
    first_level_only: bool,
) -> RequestedPathResult {
    let path = match Path::parse(requested) {
        Ok(p) => p,
        Err(e) => {
            return msg::instances_err(requested, ErrorCode::InvalidPathSyntax, e.to_string())
        }
    };
    if path.kind != PathKind::Object {
        return msg::instances_err(requested, ErrorCode::ObjectNotATable, "not an object path");
    }
    let r = match resolve(schema, data, &path) {
        Ok(r) => r,
        Err(e) => return msg::instances_err(requested, e.code(), e.message()),
    };
    let mut out = Vec::new();
    for loc in &r.locs {
        if loc.is_table(schema) {
            table(schema, data, loc, first_level_only, &mut out);
        } else {
            if schema.node(loc.node).is_table() {
                push(schema, data, loc, &mut out);
            }
            children(schema, data, loc, first_level_only, &mut out);
        }
    }
    RequestedPathResult {
        requested_path: requested.to_owned(),
        err_code: 0,
        err_msg: String::new(),
        curr_insts: out,
    }
}

fn push(schema: &Schema, data: &dyn Data, inst: &Loc, out: &mut Vec<CurrInstance>) {
    out.push(CurrInstance {
        instantiated_obj_path: inst.path(schema),
        unique_keys: unique_keys(schema, data, inst.node, &inst.inst),
    });
}

fn table(schema: &Schema, data: &dyn Data, t: &Loc, first: bool, out: &mut Vec<CurrInstance>) {
    for n in data.instances(&schema.node(t.node).path, &t.inst) {
        if out.len() >= MAX_RESOLVED {
            return;
        }
        let mut inst = t.inst.clone();
        inst.push(n);
        let loc = Loc::new(t.node, inst);
        push(schema, data, &loc, out);
        if !first {
            children(schema, data, &loc, first, out);
        }
    }
}

/// The tables below an object; single-instance sub-objects are passed
/// through without counting as a level.
fn children(schema: &Schema, data: &dyn Data, obj: &Loc, first: bool, out: &mut Vec<CurrInstance>) {
    for &c in &schema.node(obj.node).children {
        let Some(o) = schema.node(c).object() else {
            continue;
        };
        let loc = Loc::new(c, obj.inst.clone());
        if o.multi {
            table(schema, data, &loc, first, out);
        } else {
            children(schema, data, &loc, first, out);
        }
    }
}

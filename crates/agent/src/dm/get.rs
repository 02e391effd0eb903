//! Get: one `req_path_result` per requested path, in request order; each
//! object reached (and, within `max_depth`, each sub-object) is its own
//! `resolved_path_result` with parameter names relative to it (USP 1.2+).

use usp::msg;
use usp::path::Path;
use usp::proto::usp::get_resp::{RequestedPathResult, ResolvedPathResult};
use usp::proto::usp::{response::RespType, Get, GetResp};
use usp::ErrorCode;

use super::resolve::{resolve, Loc, MAX_RESOLVED};
use super::schema::{Kind, Schema};
use super::{read_param, Answer, Data};

/// Answers a Get whose paths all belong to this engine.
pub fn get(schema: &Schema, data: &dyn Data, req: &Get) -> Answer {
    let results = req
        .param_paths
        .iter()
        .map(|p| get_path(schema, data, p, req.max_depth))
        .collect();
    Answer::Resp(RespType::GetResp(GetResp {
        req_path_results: results,
    }))
}

/// One requested path of a Get.
pub fn get_path(
    schema: &Schema,
    data: &dyn Data,
    requested: &str,
    max_depth: u32,
) -> RequestedPathResult {
    let path = match Path::parse(requested) {
        Ok(p) => p,
        Err(e) => return msg::get_path_err(requested, ErrorCode::InvalidPathSyntax, e.to_string()),
    };
    let r = match resolve(schema, data, &path) {
        Ok(r) => r,
        Err(e) => return msg::get_path_err(requested, e.code(), e.message()),
    };
    // max_depth counts object levels, the requested one being 1; a table
    // and its instances are one level; 0 means no limit.
    let depth = if max_depth == 0 { u32::MAX } else { max_depth };
    let mut out: Vec<ResolvedPathResult> = Vec::new();
    for loc in &r.locs {
        let node = schema.node(loc.node);
        match &node.kind {
            Kind::Param(_) => {
                let Some(parent) = node.parent else { continue };
                let obj = schema.render(parent, &loc.inst);
                let Some(v) = read_param(schema, data, loc.node, &loc.inst) else {
                    continue;
                };
                // Several parameters of one object (a search on a
                // parameter path) share its resolved_path_result.
                match out.iter_mut().find(|x| x.resolved_path == obj) {
                    Some(x) => {
                        x.result_params.insert(node.name.clone(), v);
                    }
                    None => out.push(msg::resolved(obj, [(node.name.clone(), v)])),
                }
            }
            Kind::Object(_) if loc.is_table(schema) => {
                let mut inst = loc.inst.clone();
                for n in data.instances(&node.path, &loc.inst) {
                    inst.push(n);
                    walk(
                        schema,
                        data,
                        &Loc::new(loc.node, inst.clone()),
                        depth,
                        &mut out,
                    );
                    inst.pop();
                }
            }
            Kind::Object(_) => walk(schema, data, loc, depth, &mut out),
            Kind::Command(_) | Kind::Event(_) => {
                return msg::get_path_err(
                    requested,
                    ErrorCode::InvalidPath,
                    "not a parameter or object path",
                )
            }
        }
    }
    msg::get_path_ok(requested, out)
}

/// Emits `obj` and its sub-objects down to `depth` levels.
fn walk(
    schema: &Schema,
    data: &dyn Data,
    obj: &Loc,
    depth: u32,
    out: &mut Vec<ResolvedPathResult>,
) {
    if depth == 0 || out.len() >= MAX_RESOLVED {
        return;
    }
    let node = schema.node(obj.node);
    let mut params = std::collections::BTreeMap::new();
    for &c in &node.children {
        if let Some(v) = read_param(schema, data, c, &obj.inst) {
            params.insert(schema.node(c).name.clone(), v);
        }
    }
    out.push(ResolvedPathResult {
        resolved_path: obj.path(schema),
        result_params: params,
    });
    for &c in &node.children {
        let child = schema.node(c);
        let Some(o) = child.object() else { continue };
        if o.multi {
            for n in data.instances(&child.path, &obj.inst) {
                let mut inst = obj.inst.clone();
                inst.push(n);
                walk(schema, data, &Loc::new(c, inst), depth - 1, out);
            }
        } else {
            walk(schema, data, &Loc::new(c, obj.inst.clone()), depth - 1, out);
        }
    }
}

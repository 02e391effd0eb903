//! Delete: removes the instances a path names. An instance number that
//! does not exist is a success with nothing affected (the end state is the
//! one asked for). `affected_paths` lists each deleted instance and the
//! instances below it.

use usp::path::{Path, PathKind};
use usp::proto::usp::delete_resp::{
    deleted_object_result::{operation_status, OperationStatus},
    DeletedObjectResult, UnaffectedPathError,
};
use usp::proto::usp::{response::RespType, Delete, DeleteResp};
use usp::ErrorCode;

use super::resolve::{resolve, Loc, ResolveError};
use super::schema::Schema;
use super::set::ObjFailure;
use super::{Answer, Data};

/// Answers a Delete.
pub fn delete(schema: &Schema, data: &mut dyn Data, req: &Delete) -> Answer {
    if !req.allow_partial {
        data.begin();
    }
    let mut results = Vec::new();
    for requested in &req.obj_paths {
        if req.allow_partial {
            data.begin();
        }
        match delete_path(schema, data, requested, req.allow_partial) {
            Ok(ok) => {
                if req.allow_partial {
                    data.commit();
                }
                results.push(result(
                    requested,
                    operation_status::OperStatus::OperSuccess(ok),
                ));
            }
            Err(f) => {
                data.rollback();
                if !req.allow_partial {
                    return f.into_error(requested);
                }
                let fail = operation_status::OperationFailure {
                    err_code: f.code.as_u32(),
                    err_msg: f.msg,
                };
                results.push(result(
                    requested,
                    operation_status::OperStatus::OperFailure(fail),
                ));
            }
        }
    }
    if !req.allow_partial {
        data.commit();
    }
    Answer::Resp(RespType::DeleteResp(DeleteResp {
        deleted_obj_results: results,
    }))
}

fn result(requested: &str, s: operation_status::OperStatus) -> DeletedObjectResult {
    DeletedObjectResult {
        requested_path: requested.to_owned(),
        oper_status: Some(OperationStatus {
            oper_status: Some(s),
        }),
    }
}

fn delete_path(
    schema: &Schema,
    data: &mut dyn Data,
    requested: &str,
    allow_partial: bool,
) -> Result<operation_status::OperationSuccess, ObjFailure> {
    let path = Path::parse(requested)
        .map_err(|e| ObjFailure::path(ErrorCode::InvalidPathSyntax, e.to_string()))?;
    if path.kind != PathKind::Object {
        return Err(ObjFailure::path(
            ErrorCode::InvalidPath,
            "Delete takes object instance paths",
        ));
    }
    let r = match resolve(schema, &*data, &path) {
        Ok(r) => r,
        Err(ResolveError::NotInstantiated(_)) => {
            return Ok(operation_status::OperationSuccess::default())
        }
        Err(e) => return Err(ObjFailure::path(e.code(), e.message())),
    };
    let mut ok = operation_status::OperationSuccess::default();
    for loc in r.locs {
        let node = schema.node(loc.node);
        let Some(o) = node
            .object()
            .filter(|o| o.multi && loc.inst.len() == node.depth)
        else {
            return Err(ObjFailure::path(
                ErrorCode::ObjectNotATable,
                format!("{} is not a table instance", loc.path(schema)),
            ));
        };
        if !o.writable {
            return Err(ObjFailure::path(
                ErrorCode::DeleteFailure,
                format!("{} cannot be deleted", loc.path(schema)),
            ));
        }
        let mut below = Vec::new();
        instances_below(schema, &*data, &loc, &mut below);
        match data.delete(&node.path, &loc.inst) {
            Ok(()) => ok.affected_paths.extend(below),
            Err(refusal) if allow_partial => ok.unaffected_path_errs.push(UnaffectedPathError {
                unaffected_path: loc.path(schema),
                err_code: refusal.code.as_u32(),
                err_msg: refusal.msg,
            }),
            Err(refusal) => return Err(ObjFailure::path(refusal.code, refusal.msg)),
        }
    }
    Ok(ok)
}

/// `inst` and every object instance below it, parents first.
pub(crate) fn instances_below(schema: &Schema, data: &dyn Data, inst: &Loc, out: &mut Vec<String>) {
    out.push(inst.path(schema));
    descend(schema, data, inst, out);
}

fn descend(schema: &Schema, data: &dyn Data, obj: &Loc, out: &mut Vec<String>) {
    for &c in &schema.node(obj.node).children {
        let child = schema.node(c);
        let Some(o) = child.object() else { continue };
        if o.multi {
            for n in data.instances(&child.path, &obj.inst) {
                let mut inst = obj.inst.clone();
                inst.push(n);
                instances_below(schema, data, &Loc::new(c, inst), out);
            }
        } else {
            descend(schema, data, &Loc::new(c, obj.inst.clone()), out);
        }
    }
}

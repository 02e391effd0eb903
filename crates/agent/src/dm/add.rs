//! Add: creates an instance in each table the path names (a search path
//! may name several since USP 1.3; each new instance gets its own
//! `created_obj_result`). A required parameter that fails, or a duplicate
//! unique key (7025), fails the object; with allow_partial false the whole
//! request becomes an Error and nothing is created.

use usp::path::{Path, PathKind};
use usp::proto::usp::add::CreateObject;
use usp::proto::usp::add_resp::{
    created_object_result::{operation_status, OperationStatus},
    CreatedObjectResult, ParameterError,
};
use usp::proto::usp::{response::RespType, Add, AddResp};
use usp::ErrorCode;

use super::resolve::{resolve, Loc, ResolveError};
use super::schema::Schema;
use super::set::{write_param, ObjFailure};
use super::{duplicate_key, unique_keys, Answer, Data};

/// Answers an Add.
pub fn add(schema: &Schema, data: &mut dyn Data, req: &Add) -> Answer {
    if !req.allow_partial {
        data.begin();
    }
    let mut results = Vec::new();
    for obj in &req.create_objs {
        if req.allow_partial {
            data.begin();
        }
        match create(schema, data, obj) {
            Ok(created) => {
                if req.allow_partial {
                    data.commit();
                }
                for ok in created {
                    results.push(result(obj, operation_status::OperStatus::OperSuccess(ok)));
                }
            }
            Err(f) => {
                data.rollback();
                if !req.allow_partial {
                    return f.into_error(&obj.obj_path);
                }
                let fail = operation_status::OperationFailure {
                    err_code: f.code.as_u32(),
                    err_msg: f.msg,
                };
                results.push(result(obj, operation_status::OperStatus::OperFailure(fail)));
            }
        }
    }
    if !req.allow_partial {
        data.commit();
    }
    Answer::Resp(RespType::AddResp(AddResp {
        created_obj_results: results,
    }))
}

fn result(obj: &CreateObject, s: operation_status::OperStatus) -> CreatedObjectResult {
    CreatedObjectResult {
        requested_path: obj.obj_path.clone(),
        oper_status: Some(OperationStatus {
            oper_status: Some(s),
        }),
    }
}

fn create(
    schema: &Schema,
    data: &mut dyn Data,
    obj: &CreateObject,
) -> Result<Vec<operation_status::OperationSuccess>, ObjFailure> {
    let path = Path::parse(&obj.obj_path)
        .map_err(|e| ObjFailure::path(ErrorCode::InvalidPathSyntax, e.to_string()))?;
    if path.kind != PathKind::Object {
        return Err(ObjFailure::path(
            ErrorCode::ObjectNotATable,
            "Add takes a table path",
        ));
    }
    let r = resolve(schema, &*data, &path).map_err(|e| match e {
        ResolveError::NotInstantiated(m) => ObjFailure::path(ErrorCode::ObjectDoesNotExist, m),
        e => ObjFailure::path(e.code(), e.message()),
    })?;
    let mut out = Vec::new();
    for table in r.locs {
        let node = schema.node(table.node);
        if !table.is_table(schema) {
            return Err(ObjFailure::path(
                ErrorCode::ObjectNotATable,
                format!("{} is not a table", table.path(schema)),
            ));
        }
        if !node.object().is_some_and(|o| o.writable) {
            return Err(ObjFailure::path(
                ErrorCode::ObjectNotCreatable,
                format!("{} is read-only", table.path(schema)),
            ));
        }
        let n = data
            .add(&node.path, &table.inst)
            .map_err(|r| ObjFailure::path(r.code, r.msg))?;
        let mut inst = table.inst.clone();
        inst.push(n);
        let new = Loc::new(table.node, inst);
        let new_path = new.path(schema);
        let mut soft = Vec::new();
        for s in &obj.param_settings {
            if let Err((code, msg)) = write_param(schema, data, &new, &s.param, &s.value, true) {
                if s.required {
                    return Err(ObjFailure {
                        code,
                        msg: msg.clone(),
                        params: vec![(new_path.clone(), s.param.clone(), code, msg)],
                    });
                }
                soft.push(ParameterError {
                    param: s.param.clone(),
                    err_code: code.as_u32(),
                    err_msg: msg,
                });
            }
        }
        if let Some(keys) = duplicate_key(schema, &*data, new.node, &new.inst) {
            return Err(ObjFailure::path(
                ErrorCode::DuplicateUniqueKey,
                format!("an instance with the same {keys} exists"),
            ));
        }
        out.push(operation_status::OperationSuccess {
            instantiated_path: new_path,
            param_errs: soft,
            unique_keys: unique_keys(schema, &*data, new.node, &new.inst),
        });
    }
    Ok(out)
}

//! Set, with the allow_partial × required matrix of USP "Using Allow
//! Partial":
//!
//! | allow_partial | a required parameter fails | a non-required one fails |
//! |---|---|---|
//! | false | Error 7004 with `param_errs`, nothing changed | SetResp success, `param_errs` in the instance result |
//! | true | that object: `oper_failure` 7021 with `updated_inst_failures`, unchanged; others go on | as with false |
//!
//! A path that does not resolve fails its object the same way, with its
//! own code (7008, 7016, 7026) instead of 7021 / 7004.

use std::collections::BTreeMap;

use usp::path::{Path, PathKind};
use usp::proto::usp::error::ParamError;
use usp::proto::usp::set::UpdateObject;
use usp::proto::usp::set_resp::{
    updated_object_result::{operation_status, OperationStatus},
    ParameterError, UpdatedInstanceFailure, UpdatedInstanceResult, UpdatedObjectResult,
};
use usp::proto::usp::{response::RespType, Set, SetResp};
use usp::ErrorCode;

use super::resolve::{resolve, Loc, ResolveError};
use super::schema::{Access, NodeId, Schema};
use super::{duplicate_key, value, Answer, Data};

/// Why one object of a Set (or Add) failed.
pub(crate) struct ObjFailure {
    pub code: ErrorCode,
    pub msg: String,
    /// Failed parameters as (instance path, parameter name, code, message).
    pub params: Vec<(String, String, ErrorCode, String)>,
}

impl ObjFailure {
    pub(crate) fn path(code: ErrorCode, msg: impl Into<String>) -> ObjFailure {
        ObjFailure {
            code,
            msg: msg.into(),
            params: Vec::new(),
        }
    }

    /// The Error of an atomic request: param-level causes become 7004 with
    /// `param_errs`, path-level ones keep their code.
    pub(crate) fn into_error(self, requested: &str) -> Answer {
        let (code, param_errs) = if self.params.is_empty() {
            let pe = vec![usp::msg::param_error(
                requested,
                self.code,
                self.msg.clone(),
            )];
            (self.code, pe)
        } else {
            let pe: Vec<ParamError> = self
                .params
                .iter()
                .map(|(obj, name, code, msg)| {
                    usp::msg::param_error(format!("{obj}{name}"), *code, msg.clone())
                })
                .collect();
            (ErrorCode::InvalidArguments, pe)
        };
        Answer::Error(usp::proto::usp::Error {
            err_code: code.as_u32(),
            err_msg: self.msg,
            param_errs,
        })
    }
}

/// Answers a Set.
pub fn set(schema: &Schema, data: &mut dyn Data, req: &Set) -> Answer {
    if !req.allow_partial {
        data.begin();
    }
    let mut results = Vec::with_capacity(req.update_objs.len());
    for obj in &req.update_objs {
        if req.allow_partial {
            data.begin();
        }
        match update_object(schema, data, obj) {
            Ok(insts) => {
                if req.allow_partial {
                    data.commit();
                }
                results.push(result(
                    obj,
                    operation_status::OperStatus::OperSuccess(operation_status::OperationSuccess {
                        updated_inst_results: insts,
                    }),
                ));
            }
            Err(f) => {
                data.rollback();
                if !req.allow_partial {
                    return f.into_error(&obj.obj_path);
                }
                let failures = instance_failures(&f);
                results.push(result(
                    obj,
                    operation_status::OperStatus::OperFailure(operation_status::OperationFailure {
                        err_code: f.code.as_u32(),
                        err_msg: f.msg,
                        updated_inst_failures: failures,
                    }),
                ));
            }
        }
    }
    if !req.allow_partial {
        data.commit();
    }
    Answer::Resp(RespType::SetResp(SetResp {
        updated_obj_results: results,
    }))
}

fn result(obj: &UpdateObject, s: operation_status::OperStatus) -> UpdatedObjectResult {
    UpdatedObjectResult {
        requested_path: obj.obj_path.clone(),
        oper_status: Some(OperationStatus {
            oper_status: Some(s),
        }),
    }
}

fn instance_failures(f: &ObjFailure) -> Vec<UpdatedInstanceFailure> {
    let mut out: Vec<UpdatedInstanceFailure> = Vec::new();
    for (obj, name, code, msg) in &f.params {
        let pe = ParameterError {
            param: name.clone(),
            err_code: code.as_u32(),
            err_msg: msg.clone(),
        };
        match out.iter_mut().find(|x| &x.affected_path == obj) {
            Some(x) => x.param_errs.push(pe),
            None => out.push(UpdatedInstanceFailure {
                affected_path: obj.clone(),
                param_errs: vec![pe],
            }),
        }
    }
    out
}

fn update_object(
    schema: &Schema,
    data: &mut dyn Data,
    obj: &UpdateObject,
) -> Result<Vec<UpdatedInstanceResult>, ObjFailure> {
    let path = Path::parse(&obj.obj_path)
        .map_err(|e| ObjFailure::path(ErrorCode::InvalidPathSyntax, e.to_string()))?;
    if path.kind != PathKind::Object {
        return Err(ObjFailure::path(
            ErrorCode::InvalidPath,
            "Set takes an object path",
        ));
    }
    let r = resolve(schema, &*data, &path).map_err(|e| match e {
        ResolveError::NotInstantiated(m) => ObjFailure::path(ErrorCode::ObjectDoesNotExist, m),
        e => ObjFailure::path(e.code(), e.message()),
    })?;
    let mut out = Vec::new();
    for loc in r.locs {
        if !loc.is_object(schema) {
            return Err(ObjFailure::path(
                ErrorCode::InvalidPath,
                "Set takes object instances, not a table",
            ));
        }
        let mut done = BTreeMap::new();
        let mut soft = Vec::new();
        let mut hard = Vec::new();
        for s in &obj.param_settings {
            match write_param(schema, data, &loc, &s.param, &s.value, false) {
                Ok(()) => {
                    done.insert(s.param.clone(), s.value.clone());
                }
                Err((code, msg)) if s.required => {
                    hard.push((loc.path(schema), s.param.clone(), code, msg))
                }
                Err((code, msg)) => soft.push(ParameterError {
                    param: s.param.clone(),
                    err_code: code.as_u32(),
                    err_msg: msg,
                }),
            }
        }
        if hard.is_empty() {
            if let Some(keys) =
                table_of(schema, &loc).and_then(|t| duplicate_key(schema, &*data, t, &loc.inst))
            {
                let p = (
                    loc.path(schema),
                    keys.clone(),
                    ErrorCode::ValueConflict,
                    "duplicate unique key".to_owned(),
                );
                hard.push(p);
            }
        }
        if !hard.is_empty() {
            return Err(ObjFailure {
                code: ErrorCode::RequiredParameterFailed,
                msg: "a required parameter failed".into(),
                params: hard,
            });
        }
        out.push(UpdatedInstanceResult {
            affected_path: loc.path(schema),
            param_errs: soft,
            updated_params: done,
        });
    }
    Ok(out)
}

/// The table node of an instance location, if it is one.
pub(crate) fn table_of(schema: &Schema, loc: &Loc) -> Option<NodeId> {
    let n = schema.node(loc.node);
    (n.is_table() && loc.inst.len() == n.depth).then_some(loc.node)
}

/// Checks and writes one parameter (a name relative to `obj`, possibly
/// through single-instance sub-objects). `creating` allows
/// writeOnceReadOnly parameters (Add).
pub(crate) fn write_param(
    schema: &Schema,
    data: &mut dyn Data,
    obj: &Loc,
    rel: &str,
    v: &str,
    creating: bool,
) -> Result<(), (ErrorCode, String)> {
    let unsupported = || {
        (
            ErrorCode::UnsupportedParameter,
            format!("{rel} is not a parameter of this object"),
        )
    };
    let mut node = obj.node;
    let mut names = rel.split('.').peekable();
    let param = loop {
        let Some(name) = names.next() else {
            return Err(unsupported());
        };
        let c = schema.child(node, name).ok_or_else(unsupported)?;
        let n = schema.node(c);
        if names.peek().is_none() {
            break c;
        }
        match n.object() {
            Some(o) if !o.multi => node = c,
            _ => return Err(unsupported()),
        }
    };
    let n = schema.node(param);
    let p = n.param().ok_or_else(unsupported)?;
    let writable = match p.access {
        Access::ReadWrite => true,
        Access::ReadOnly => false,
        Access::WriteOnceReadOnly => {
            creating || data.value(&n.path, &obj.inst).is_none_or(|v| v.is_empty())
        }
    };
    if !writable {
        return Err((
            ErrorCode::ParameterReadOnly,
            format!("{rel} is not writable"),
        ));
    }
    value::check(p, v)?;
    data.set(&n.path, &obj.inst, v).map_err(|r| (r.code, r.msg))
}

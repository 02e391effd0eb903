//! Response and Error builders, plus helpers for their per-path results.
//! Per-path results are plain structs: the helpers cover the common shapes,
//! and fields such as `param_errs` can be filled in afterwards.

use super::{map, new, response, strings};
use crate::proto::usp::{
    add_resp, body::MsgBody, delete_resp, deregister_resp, error::ParamError, get_instances_resp,
    get_resp, get_supported_dm_resp, header::MsgType, operate_resp, register_resp,
    response::RespType, set_resp, AddResp, DeleteResp, DeregisterResp, Error, GetInstancesResp,
    GetResp, GetSupportedDmResp, GetSupportedProtocolResp, Msg, NotifyResp, OperateResp,
    RegisterResp, SetResp,
};

// ------------------------------------------------------------------ Error

/// Error Msg answering request `msg_id`.
pub fn error(
    msg_id: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
    param_errs: Vec<ParamError>,
) -> Msg {
    let e = Error {
        err_code: err_code.into(),
        err_msg: err_msg.into(),
        param_errs,
    };
    new(msg_id, MsgType::Error, MsgBody::Error(e))
}

/// One `param_errs` entry of an Error.
pub fn param_error(
    path: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> ParamError {
    ParamError {
        param_path: path.into(),
        err_code: err_code.into(),
        err_msg: err_msg.into(),
    }
}

// ------------------------------------------------------------------ Get

/// GetResp with one result per requested path.
pub fn get_resp(msg_id: impl Into<String>, results: Vec<get_resp::RequestedPathResult>) -> Msg {
    response(
        msg_id,
        RespType::GetResp(GetResp {
            req_path_results: results,
        }),
    )
}

/// A requested path that resolved (possibly to nothing).
pub fn get_path_ok(
    requested_path: impl Into<String>,
    resolved: Vec<get_resp::ResolvedPathResult>,
) -> get_resp::RequestedPathResult {
    get_resp::RequestedPathResult {
        requested_path: requested_path.into(),
        err_code: 0,
        err_msg: String::new(),
        resolved_path_results: resolved,
    }
}

/// A requested path that failed.
pub fn get_path_err(
    requested_path: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> get_resp::RequestedPathResult {
    get_resp::RequestedPathResult {
        requested_path: requested_path.into(),
        err_code: err_code.into(),
        err_msg: err_msg.into(),
        resolved_path_results: Vec::new(),
    }
}

/// One resolved object with its parameters (names relative to `path`).
pub fn resolved<K: Into<String>, V: Into<String>>(
    path: impl Into<String>,
    params: impl IntoIterator<Item = (K, V)>,
) -> get_resp::ResolvedPathResult {
    get_resp::ResolvedPathResult {
        resolved_path: path.into(),
        result_params: map(params),
    }
}

// ------------------------------------------------------------------ Set

use set_resp::updated_object_result::{
    operation_status as set_status, OperationStatus as SetStatus,
};

/// SetResp (allow_partial or all-success answers; otherwise use [`error`]).
pub fn set_resp(msg_id: impl Into<String>, results: Vec<set_resp::UpdatedObjectResult>) -> Msg {
    response(
        msg_id,
        RespType::SetResp(SetResp {
            updated_obj_results: results,
        }),
    )
}

fn set_result(
    requested_path: impl Into<String>,
    s: set_status::OperStatus,
) -> set_resp::UpdatedObjectResult {
    set_resp::UpdatedObjectResult {
        requested_path: requested_path.into(),
        oper_status: Some(SetStatus {
            oper_status: Some(s),
        }),
    }
}

/// A requested object path that was updated.
pub fn set_obj_ok(
    requested_path: impl Into<String>,
    instances: Vec<set_resp::UpdatedInstanceResult>,
) -> set_resp::UpdatedObjectResult {
    let ok = set_status::OperationSuccess {
        updated_inst_results: instances,
    };
    set_result(requested_path, set_status::OperStatus::OperSuccess(ok))
}

/// A requested object path that failed.
pub fn set_obj_failure(
    requested_path: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
    failures: Vec<set_resp::UpdatedInstanceFailure>,
) -> set_resp::UpdatedObjectResult {
    let f = set_status::OperationFailure {
        err_code: err_code.into(),
        err_msg: err_msg.into(),
        updated_inst_failures: failures,
    };
    set_result(requested_path, set_status::OperStatus::OperFailure(f))
}

/// One updated instance with the parameters that were set.
pub fn set_inst_ok<K: Into<String>, V: Into<String>>(
    affected_path: impl Into<String>,
    updated_params: impl IntoIterator<Item = (K, V)>,
) -> set_resp::UpdatedInstanceResult {
    set_resp::UpdatedInstanceResult {
        affected_path: affected_path.into(),
        param_errs: Vec::new(),
        updated_params: map(updated_params),
    }
}

// ------------------------------------------------------------------ Add

use add_resp::created_object_result::{
    operation_status as add_status, OperationStatus as AddStatus,
};

/// AddResp.
pub fn add_resp(msg_id: impl Into<String>, results: Vec<add_resp::CreatedObjectResult>) -> Msg {
    response(
        msg_id,
        RespType::AddResp(AddResp {
            created_obj_results: results,
        }),
    )
}

fn add_result(
    requested_path: impl Into<String>,
    s: add_status::OperStatus,
) -> add_resp::CreatedObjectResult {
    add_resp::CreatedObjectResult {
        requested_path: requested_path.into(),
        oper_status: Some(AddStatus {
            oper_status: Some(s),
        }),
    }
}

/// A created object with its unique keys.
pub fn add_obj_ok<K: Into<String>, V: Into<String>>(
    requested_path: impl Into<String>,
    instantiated_path: impl Into<String>,
    unique_keys: impl IntoIterator<Item = (K, V)>,
) -> add_resp::CreatedObjectResult {
    let ok = add_status::OperationSuccess {
        instantiated_path: instantiated_path.into(),
        param_errs: Vec::new(),
        unique_keys: map(unique_keys),
    };
    add_result(requested_path, add_status::OperStatus::OperSuccess(ok))
}

/// An object that could not be created.
pub fn add_obj_failure(
    requested_path: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> add_resp::CreatedObjectResult {
    let f = add_status::OperationFailure {
        err_code: err_code.into(),
        err_msg: err_msg.into(),
    };
    add_result(requested_path, add_status::OperStatus::OperFailure(f))
}

// ------------------------------------------------------------------ Delete

use delete_resp::deleted_object_result::{
    operation_status as del_status, OperationStatus as DelStatus,
};

/// DeleteResp.
pub fn delete_resp(
    msg_id: impl Into<String>,
    results: Vec<delete_resp::DeletedObjectResult>,
) -> Msg {
    response(
        msg_id,
        RespType::DeleteResp(DeleteResp {
            deleted_obj_results: results,
        }),
    )
}

fn delete_result(
    requested_path: impl Into<String>,
    s: del_status::OperStatus,
) -> delete_resp::DeletedObjectResult {
    delete_resp::DeletedObjectResult {
        requested_path: requested_path.into(),
        oper_status: Some(DelStatus {
            oper_status: Some(s),
        }),
    }
}

/// A requested path whose matches were deleted.
pub fn delete_obj_ok<S: Into<String>>(
    requested_path: impl Into<String>,
    affected_paths: impl IntoIterator<Item = S>,
) -> delete_resp::DeletedObjectResult {
    let ok = del_status::OperationSuccess {
        affected_paths: strings(affected_paths),
        unaffected_path_errs: Vec::new(),
    };
    delete_result(requested_path, del_status::OperStatus::OperSuccess(ok))
}

/// A requested path that could not be deleted.
pub fn delete_obj_failure(
    requested_path: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> delete_resp::DeletedObjectResult {
    let f = del_status::OperationFailure {
        err_code: err_code.into(),
        err_msg: err_msg.into(),
    };
    delete_result(requested_path, del_status::OperStatus::OperFailure(f))
}

// ------------------------------------------------------------------ Operate

use operate_resp::operation_result::{CommandFailure, OperationResp, OutputArgs};

/// OperateResp.
pub fn operate_resp(msg_id: impl Into<String>, results: Vec<operate_resp::OperationResult>) -> Msg {
    response(
        msg_id,
        RespType::OperateResp(OperateResp {
            operation_results: results,
        }),
    )
}

fn operate_result(cmd: impl Into<String>, r: OperationResp) -> operate_resp::OperationResult {
    operate_resp::OperationResult {
        executed_command: cmd.into(),
        operation_resp: Some(r),
    }
}

/// A synchronous command's output arguments.
pub fn operate_output<K: Into<String>, V: Into<String>>(
    executed_command: impl Into<String>,
    output_args: impl IntoIterator<Item = (K, V)>,
) -> operate_resp::OperationResult {
    operate_result(
        executed_command,
        OperationResp::ReqOutputArgs(OutputArgs {
            output_args: map(output_args),
        }),
    )
}

/// An asynchronous command, tracked by the `Request.{i}.` at `req_obj_path`.
pub fn operate_async(
    executed_command: impl Into<String>,
    req_obj_path: impl Into<String>,
) -> operate_resp::OperationResult {
    operate_result(
        executed_command,
        OperationResp::ReqObjPath(req_obj_path.into()),
    )
}

/// A command that failed.
pub fn operate_failure(
    executed_command: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> operate_resp::OperationResult {
    let f = CommandFailure {
        err_code: err_code.into(),
        err_msg: err_msg.into(),
    };
    operate_result(executed_command, OperationResp::CmdFailure(f))
}

// ------------------------------------------------------------------ Notify

/// NotifyResp echoing the Notify's subscription id.
pub fn notify_resp(msg_id: impl Into<String>, subscription_id: impl Into<String>) -> Msg {
    response(
        msg_id,
        RespType::NotifyResp(NotifyResp {
            subscription_id: subscription_id.into(),
        }),
    )
}

// ------------------------------------------------------------------ GetSupportedDM

/// GetSupportedDMResp (results are built as structs).
pub fn get_supported_dm_resp(
    msg_id: impl Into<String>,
    results: Vec<get_supported_dm_resp::RequestedObjectResult>,
) -> Msg {
    response(
        msg_id,
        RespType::GetSupportedDmResp(GetSupportedDmResp {
            req_obj_results: results,
        }),
    )
}

// ------------------------------------------------------------------ GetInstances

/// GetInstancesResp.
pub fn get_instances_resp(
    msg_id: impl Into<String>,
    results: Vec<get_instances_resp::RequestedPathResult>,
) -> Msg {
    response(
        msg_id,
        RespType::GetInstancesResp(GetInstancesResp {
            req_path_results: results,
        }),
    )
}

/// A requested path with its current instances.
pub fn instances_ok(
    requested_path: impl Into<String>,
    curr_insts: Vec<get_instances_resp::CurrInstance>,
) -> get_instances_resp::RequestedPathResult {
    get_instances_resp::RequestedPathResult {
        requested_path: requested_path.into(),
        err_code: 0,
        err_msg: String::new(),
        curr_insts,
    }
}

/// A requested path that failed.
pub fn instances_err(
    requested_path: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> get_instances_resp::RequestedPathResult {
    get_instances_resp::RequestedPathResult {
        requested_path: requested_path.into(),
        err_code: err_code.into(),
        err_msg: err_msg.into(),
        curr_insts: Vec::new(),
    }
}

/// One current instance with its unique keys.
pub fn instance<K: Into<String>, V: Into<String>>(
    instantiated_obj_path: impl Into<String>,
    unique_keys: impl IntoIterator<Item = (K, V)>,
) -> get_instances_resp::CurrInstance {
    get_instances_resp::CurrInstance {
        instantiated_obj_path: instantiated_obj_path.into(),
        unique_keys: map(unique_keys),
    }
}

// ------------------------------------------------------------------ GetSupportedProtocol

/// GetSupportedProtocolResp; `versions` is a CSV like `"1.0,1.1,1.2,1.3"`.
pub fn get_supported_protocol_resp(msg_id: impl Into<String>, versions: impl Into<String>) -> Msg {
    let r = GetSupportedProtocolResp {
        agent_supported_protocol_versions: versions.into(),
    };
    response(msg_id, RespType::GetSupportedProtocolResp(r))
}

// ------------------------------------------------------------------ Register / Deregister

use deregister_resp::deregistered_path_result::{
    operation_status as dereg_status, OperationStatus as DeregStatus,
};
use register_resp::registered_path_result::{
    operation_status as reg_status, OperationStatus as RegStatus,
};

/// RegisterResp.
pub fn register_resp(
    msg_id: impl Into<String>,
    results: Vec<register_resp::RegisteredPathResult>,
) -> Msg {
    response(
        msg_id,
        RespType::RegisterResp(RegisterResp {
            registered_path_results: results,
        }),
    )
}

fn register_result(
    requested_path: impl Into<String>,
    s: reg_status::OperStatus,
) -> register_resp::RegisteredPathResult {
    register_resp::RegisteredPathResult {
        requested_path: requested_path.into(),
        oper_status: Some(RegStatus {
            oper_status: Some(s),
        }),
    }
}

/// A path that was registered.
pub fn register_ok(
    requested_path: impl Into<String>,
    registered_path: impl Into<String>,
) -> register_resp::RegisteredPathResult {
    let ok = reg_status::OperationSuccess {
        registered_path: registered_path.into(),
    };
    register_result(requested_path, reg_status::OperStatus::OperSuccess(ok))
}

/// A path that could not be registered.
pub fn register_failure(
    requested_path: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> register_resp::RegisteredPathResult {
    let f = reg_status::OperationFailure {
        err_code: err_code.into(),
        err_msg: err_msg.into(),
    };
    register_result(requested_path, reg_status::OperStatus::OperFailure(f))
}

/// DeregisterResp (a Controller never answers Deregister with Error).
pub fn deregister_resp(
    msg_id: impl Into<String>,
    results: Vec<deregister_resp::DeregisteredPathResult>,
) -> Msg {
    response(
        msg_id,
        RespType::DeregisterResp(DeregisterResp {
            deregistered_path_results: results,
        }),
    )
}

fn deregister_result(
    requested_path: impl Into<String>,
    s: dereg_status::OperStatus,
) -> deregister_resp::DeregisteredPathResult {
    deregister_resp::DeregisteredPathResult {
        requested_path: requested_path.into(),
        oper_status: Some(DeregStatus {
            oper_status: Some(s),
        }),
    }
}

/// A requested path and the paths it deregistered.
pub fn deregister_ok<S: Into<String>>(
    requested_path: impl Into<String>,
    deregistered_paths: impl IntoIterator<Item = S>,
) -> deregister_resp::DeregisteredPathResult {
    let ok = dereg_status::OperationSuccess {
        deregistered_path: strings(deregistered_paths),
    };
    deregister_result(requested_path, dereg_status::OperStatus::OperSuccess(ok))
}

/// A path that could not be deregistered.
pub fn deregister_failure(
    requested_path: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> deregister_resp::DeregisteredPathResult {
    let f = dereg_status::OperationFailure {
        err_code: err_code.into(),
        err_msg: err_msg.into(),
    };
    deregister_result(requested_path, dereg_status::OperStatus::OperFailure(f))
}

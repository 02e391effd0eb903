//! The Notify payloads (the `notification` oneof), for [`super::notify`].

use super::map;
use crate::proto::usp::notify::{
    operation_complete::{CommandFailure, OperationResp, OutputArgs},
    Event, Notification, ObjectCreation, ObjectDeletion, OnBoardRequest, OperationComplete,
    ValueChange,
};

/// Event `event_name` (e.g. `Boot!`) on `obj_path` with its arguments.
pub fn event<K: Into<String>, V: Into<String>>(
    obj_path: impl Into<String>,
    event_name: impl Into<String>,
    params: impl IntoIterator<Item = (K, V)>,
) -> Notification {
    Notification::Event(Event {
        obj_path: obj_path.into(),
        event_name: event_name.into(),
        params: map(params),
    })
}

/// ValueChange of `param_path` to `value`.
pub fn value_change(param_path: impl Into<String>, value: impl Into<String>) -> Notification {
    Notification::ValueChange(ValueChange {
        param_path: param_path.into(),
        param_value: value.into(),
    })
}

/// ObjectCreation of `obj_path` with its unique keys.
pub fn obj_creation<K: Into<String>, V: Into<String>>(
    obj_path: impl Into<String>,
    unique_keys: impl IntoIterator<Item = (K, V)>,
) -> Notification {
    Notification::ObjCreation(ObjectCreation {
        obj_path: obj_path.into(),
        unique_keys: map(unique_keys),
    })
}

/// ObjectDeletion of `obj_path`.
pub fn obj_deletion(obj_path: impl Into<String>) -> Notification {
    Notification::ObjDeletion(ObjectDeletion {
        obj_path: obj_path.into(),
    })
}

fn oper_complete(
    obj_path: String,
    command_name: String,
    command_key: String,
    resp: OperationResp,
) -> Notification {
    Notification::OperComplete(OperationComplete {
        obj_path,
        command_name,
        command_key,
        operation_resp: Some(resp),
    })
}

/// OperationComplete of an async command that succeeded.
pub fn oper_complete_ok<K: Into<String>, V: Into<String>>(
    obj_path: impl Into<String>,
    command_name: impl Into<String>,
    command_key: impl Into<String>,
    output_args: impl IntoIterator<Item = (K, V)>,
) -> Notification {
    let resp = OperationResp::ReqOutputArgs(OutputArgs {
        output_args: map(output_args),
    });
    oper_complete(
        obj_path.into(),
        command_name.into(),
        command_key.into(),
        resp,
    )
}

/// OperationComplete of an async command that failed.
pub fn oper_complete_failure(
    obj_path: impl Into<String>,
    command_name: impl Into<String>,
    command_key: impl Into<String>,
    err_code: impl Into<u32>,
    err_msg: impl Into<String>,
) -> Notification {
    let resp = OperationResp::CmdFailure(CommandFailure {
        err_code: err_code.into(),
        err_msg: err_msg.into(),
    });
    oper_complete(
        obj_path.into(),
        command_name.into(),
        command_key.into(),
        resp,
    )
}

/// OnBoardRequest (send with subscription_id "" and send_resp true).
pub fn on_board_req(
    oui: impl Into<String>,
    product_class: impl Into<String>,
    serial_number: impl Into<String>,
    agent_supported_protocol_versions: impl Into<String>,
) -> Notification {
    Notification::OnBoardReq(OnBoardRequest {
        oui: oui.into(),
        product_class: product_class.into(),
        serial_number: serial_number.into(),
        agent_supported_protocol_versions: agent_supported_protocol_versions.into(),
    })
}

//! Request builders. Anything not covered here can be built directly and
//! wrapped with [`super::request`].

use super::{map, request, strings};
use crate::proto::usp::{
    add, notify::Notification, request::ReqType, set, Add, Delete, Deregister, Get, GetInstances,
    GetSupportedDm, GetSupportedProtocol, Msg, Notify, Operate, Register, Set,
};

/// Get of `paths`; `max_depth` 0 means everything below.
pub fn get<S: Into<String>>(
    msg_id: impl Into<String>,
    paths: impl IntoIterator<Item = S>,
    max_depth: u32,
) -> Msg {
    request(
        msg_id,
        ReqType::Get(Get {
            param_paths: strings(paths),
            max_depth,
        }),
    )
}

/// Set of `objs` (see [`set_obj`]).
pub fn set(msg_id: impl Into<String>, allow_partial: bool, objs: Vec<set::UpdateObject>) -> Msg {
    request(
        msg_id,
        ReqType::Set(Set {
            allow_partial,
            update_objs: objs,
        }),
    )
}

/// One object of a Set: `(param, value, required)` settings.
pub fn set_obj<P: Into<String>, V: Into<String>>(
    obj_path: impl Into<String>,
    settings: impl IntoIterator<Item = (P, V, bool)>,
) -> set::UpdateObject {
    let param_settings = settings
        .into_iter()
        .map(|(p, v, required)| set::UpdateParamSetting {
            param: p.into(),
            value: v.into(),
            required,
        })
        .collect();
    set::UpdateObject {
        obj_path: obj_path.into(),
        param_settings,
    }
}

/// Add of `objs` (see [`add_obj`]).
pub fn add(msg_id: impl Into<String>, allow_partial: bool, objs: Vec<add::CreateObject>) -> Msg {
    request(
        msg_id,
        ReqType::Add(Add {
            allow_partial,
            create_objs: objs,
        }),
    )
}

/// One object of an Add: `(param, value, required)` settings.
pub fn add_obj<P: Into<String>, V: Into<String>>(
    obj_path: impl Into<String>,
    settings: impl IntoIterator<Item = (P, V, bool)>,
) -> add::CreateObject {
    let param_settings = settings
        .into_iter()
        .map(|(p, v, required)| add::CreateParamSetting {
            param: p.into(),
            value: v.into(),
            required,
        })
        .collect();
    add::CreateObject {
        obj_path: obj_path.into(),
        param_settings,
    }
}

/// Delete of `paths`.
pub fn delete<S: Into<String>>(
    msg_id: impl Into<String>,
    allow_partial: bool,
    paths: impl IntoIterator<Item = S>,
) -> Msg {
    request(
        msg_id,
        ReqType::Delete(Delete {
            allow_partial,
            obj_paths: strings(paths),
        }),
    )
}

/// Operate of `command` (e.g. `Device.Reboot()`).
pub fn operate<K: Into<String>, V: Into<String>>(
    msg_id: impl Into<String>,
    command: impl Into<String>,
    command_key: impl Into<String>,
    send_resp: bool,
    input_args: impl IntoIterator<Item = (K, V)>,
) -> Msg {
    request(
        msg_id,
        ReqType::Operate(Operate {
            command: command.into(),
            command_key: command_key.into(),
            send_resp,
            input_args: map(input_args),
        }),
    )
}

/// Notify; build `notification` with [`super::notify`].
pub fn notify(
    msg_id: impl Into<String>,
    subscription_id: impl Into<String>,
    send_resp: bool,
    notification: Notification,
) -> Msg {
    let n = Notify {
        subscription_id: subscription_id.into(),
        send_resp,
        notification: Some(notification),
    };
    request(msg_id, ReqType::Notify(n))
}

/// GetSupportedDM asking for commands, events, params and unique key sets.
/// For other flag combinations build [`GetSupportedDm`] and use [`super::request`].
pub fn get_supported_dm<S: Into<String>>(
    msg_id: impl Into<String>,
    obj_paths: impl IntoIterator<Item = S>,
    first_level_only: bool,
) -> Msg {
    request(
        msg_id,
        ReqType::GetSupportedDm(GetSupportedDm {
            obj_paths: strings(obj_paths),
            first_level_only,
            return_commands: true,
            return_events: true,
            return_params: true,
            return_unique_key_sets: true,
        }),
    )
}

/// GetInstances of `obj_paths`.
pub fn get_instances<S: Into<String>>(
    msg_id: impl Into<String>,
    obj_paths: impl IntoIterator<Item = S>,
    first_level_only: bool,
) -> Msg {
    request(
        msg_id,
        ReqType::GetInstances(GetInstances {
            obj_paths: strings(obj_paths),
            first_level_only,
        }),
    )
}

/// GetSupportedProtocol; `versions` is a CSV like `"1.3,1.4"`.
pub fn get_supported_protocol(msg_id: impl Into<String>, versions: impl Into<String>) -> Msg {
    let g = GetSupportedProtocol {
        controller_supported_protocol_versions: versions.into(),
    };
    request(msg_id, ReqType::GetSupportedProtocol(g))
}

/// Register of `paths` (USP Service → Broker).
pub fn register<S: Into<String>>(
    msg_id: impl Into<String>,
    allow_partial: bool,
    paths: impl IntoIterator<Item = S>,
) -> Msg {
    use crate::proto::usp::register::RegistrationPath;
    let reg_paths = paths
        .into_iter()
        .map(|p| RegistrationPath { path: p.into() })
        .collect();
    request(
        msg_id,
        ReqType::Register(Register {
            allow_partial,
            reg_paths,
        }),
    )
}

/// Deregister of `paths`; a single `""` means everything.
pub fn deregister<S: Into<String>>(
    msg_id: impl Into<String>,
    paths: impl IntoIterator<Item = S>,
) -> Msg {
    request(
        msg_id,
        ReqType::Deregister(Deregister {
            paths: strings(paths),
        }),
    )
}

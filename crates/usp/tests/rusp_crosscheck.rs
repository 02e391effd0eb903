//! Cross-check against rusp-lib 1.0.1 (quick-protobuf, independently
//! generated from the BBF protos).
//!
//! Each case builds the same message twice, once with our builders and once
//! as rusp-lib structs, then checks both directions: rusp bytes decoded by us
//! equal our value, and our bytes decoded by rusp equal its value. Equality is
//! the derived `PartialEq`, i.e. every field. Where no map has two or more
//! entries (rusp's maps are `HashMap`s, so their order varies) the encodings
//! must also be byte-identical.
//!
//! Coverage: every request, response and Error, all six Notify kinds (both
//! OperationComplete outcomes), and all seven Record types. rusp-lib 1.0.1
//! supports every type in USP 1.4, so there are no gaps.

use std::collections::HashMap;

use rusp_lib::usp as r;
use rusp_lib::usp::mod_Header::MsgType as RT;
use rusp_lib::usp_decoder::{try_decode_msg, try_decode_record};
use rusp_lib::usp_record as rr;
use usp::msg::{self, notify};
use usp::proto::usp::{get_supported_dm_resp as gsdm, request::ReqType, GetSupportedDm, Msg};
use usp::{decode_msg, decode_record, encode_msg, encode_record, record, ErrorCode};

// ------------------------------------------------------------------ helpers

fn s(v: &str) -> String {
    v.to_owned()
}

fn kv(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (s(k), s(v))).collect()
}

fn rmsg(id: &str, t: RT, body: r::mod_Body::OneOfmsg_body) -> r::Msg {
    r::Msg {
        header: Some(r::Header {
            msg_id: s(id),
            msg_type: t,
        }),
        body: Some(r::Body { msg_body: body }),
    }
}

fn rreq(id: &str, t: RT, req: r::mod_Request::OneOfreq_type) -> r::Msg {
    rmsg(
        id,
        t,
        r::mod_Body::OneOfmsg_body::request(r::Request { req_type: req }),
    )
}

fn rresp(id: &str, t: RT, resp: r::mod_Response::OneOfresp_type) -> r::Msg {
    rmsg(
        id,
        t,
        r::mod_Body::OneOfmsg_body::response(r::Response { resp_type: resp }),
    )
}

/// Both directions; `same_bytes` when map ordering cannot differ.
fn check(ours: Msg, theirs: r::Msg, same_bytes: bool) {
    let their_bytes = theirs.to_vec().unwrap();
    let our_bytes = encode_msg(&ours);
    let decoded_by_us = decode_msg(&their_bytes).unwrap();
    assert_eq!(decoded_by_us, ours, "rusp → ours");
    let decoded_by_rusp = try_decode_msg(&our_bytes).unwrap();
    assert_eq!(decoded_by_rusp, theirs, "ours → rusp");
    if same_bytes {
        assert_eq!(our_bytes, their_bytes, "encodings differ");
    }
    // Our JSON view must be producible for every type.
    serde_json::to_string(&ours).unwrap();
}

// ------------------------------------------------------------------ requests

#[test]
fn get() {
    use r::mod_Request::OneOfreq_type as Q;
    let ours = msg::get("g-1", ["Device.DeviceInfo.", "Device.WiFi.SSID.*.SSID"], 2);
    let theirs = rreq(
        "g-1",
        RT::GET,
        Q::get(r::Get {
            param_paths: vec![s("Device.DeviceInfo."), s("Device.WiFi.SSID.*.SSID")],
            max_depth: 2,
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn set() {
    use r::mod_Request::OneOfreq_type as Q;
    use r::mod_Set::{UpdateObject, UpdateParamSetting};
    let ours = msg::set(
        "s-1",
        true,
        vec![
            msg::set_obj(
                "Device.WiFi.SSID.1.",
                [("SSID", "home", true), ("Enable", "true", false)],
            ),
            msg::set_obj("Device.LocalAgent.", [("X_Vendor", "", false)]),
        ],
    );
    let setting = |p: &str, v: &str, required| UpdateParamSetting {
        param: s(p),
        value: s(v),
        required,
    };
    let theirs = rreq(
        "s-1",
        RT::SET,
        Q::set(r::Set {
            allow_partial: true,
            update_objs: vec![
                UpdateObject {
                    obj_path: s("Device.WiFi.SSID.1."),
                    param_settings: vec![
                        setting("SSID", "home", true),
                        setting("Enable", "true", false),
                    ],
                },
                UpdateObject {
                    obj_path: s("Device.LocalAgent."),
                    param_settings: vec![setting("X_Vendor", "", false)],
                },
            ],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn add() {
    use r::mod_Add::{CreateObject, CreateParamSetting};
    use r::mod_Request::OneOfreq_type as Q;
    let ours = msg::add(
        "a-1",
        false,
        vec![msg::add_obj(
            "Device.LocalAgent.Subscription.",
            [("ID", "sub-1", true), ("NotifType", "ValueChange", true)],
        )],
    );
    let setting = |p: &str, v: &str, required| CreateParamSetting {
        param: s(p),
        value: s(v),
        required,
    };
    let theirs = rreq(
        "a-1",
        RT::ADD,
        Q::add(r::Add {
            allow_partial: false,
            create_objs: vec![CreateObject {
                obj_path: s("Device.LocalAgent.Subscription."),
                param_settings: vec![
                    setting("ID", "sub-1", true),
                    setting("NotifType", "ValueChange", true),
                ],
            }],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn delete() {
    use r::mod_Request::OneOfreq_type as Q;
    let ours = msg::delete(
        "d-1",
        true,
        [
            "Device.LocalAgent.Subscription.1.",
            "Device.NAT.PortMapping.[Alias==\"x\"].",
        ],
    );
    let theirs = rreq(
        "d-1",
        RT::DELETE,
        Q::delete(r::Delete {
            allow_partial: true,
            obj_paths: vec![
                s("Device.LocalAgent.Subscription.1."),
                s("Device.NAT.PortMapping.[Alias==\"x\"]."),
            ],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn operate() {
    use r::mod_Request::OneOfreq_type as Q;
    let args = [
        ("URL", "http://fw/img.bin"),
        ("AutoActivate", "true"),
        ("Username", ""),
    ];
    let ours = msg::operate(
        "o-1",
        "Device.DeviceInfo.FirmwareImage.2.Download()",
        "ck-9",
        true,
        args,
    );
    let theirs = rreq(
        "o-1",
        RT::OPERATE,
        Q::operate(r::Operate {
            command: s("Device.DeviceInfo.FirmwareImage.2.Download()"),
            command_key: s("ck-9"),
            send_resp: true,
            input_args: kv(&args),
        }),
    );
    check(ours, theirs, false);
    // Single-entry map: byte-identical too.
    let ours = msg::operate("o-2", "Device.Reboot()", "", false, [("Delay", "5")]);
    let theirs = rreq(
        "o-2",
        RT::OPERATE,
        Q::operate(r::Operate {
            command: s("Device.Reboot()"),
            command_key: s(""),
            send_resp: false,
            input_args: kv(&[("Delay", "5")]),
        }),
    );
    check(ours, theirs, true);
}

fn rnotify(id: &str, sub: &str, send_resp: bool, n: r::mod_Notify::OneOfnotification) -> r::Msg {
    use r::mod_Request::OneOfreq_type as Q;
    rreq(
        id,
        RT::NOTIFY,
        Q::notify(r::Notify {
            subscription_id: s(sub),
            send_resp,
            notification: n,
        }),
    )
}

#[test]
fn notify_all_kinds() {
    use r::mod_Notify as n;
    use r::mod_Notify::OneOfnotification as N;
    let boot = [
        ("Cause", "LocalReboot"),
        ("CommandKey", ""),
        ("FirmwareUpdated", "false"),
        ("ParameterMap", "{}"),
    ];
    check(
        msg::notify("n-1", "boot", true, notify::event("Device.", "Boot!", boot)),
        rnotify(
            "n-1",
            "boot",
            true,
            N::event(n::Event {
                obj_path: s("Device."),
                event_name: s("Boot!"),
                params: kv(&boot),
            }),
        ),
        false,
    );
    check(
        msg::notify(
            "n-2",
            "vc",
            false,
            notify::value_change("Device.WiFi.SSID.1.SSID", "guest"),
        ),
        rnotify(
            "n-2",
            "vc",
            false,
            N::value_change(n::ValueChange {
                param_path: s("Device.WiFi.SSID.1.SSID"),
                param_value: s("guest"),
            }),
        ),
        true,
    );
    check(
        msg::notify(
            "n-3",
            "oc",
            true,
            notify::obj_creation("Device.NAT.PortMapping.4.", [("Alias", "cpe-4")]),
        ),
        rnotify(
            "n-3",
            "oc",
            true,
            N::obj_creation(n::ObjectCreation {
                obj_path: s("Device.NAT.PortMapping.4."),
                unique_keys: kv(&[("Alias", "cpe-4")]),
            }),
        ),
        true,
    );
    check(
        msg::notify(
            "n-4",
            "od",
            true,
            notify::obj_deletion("Device.NAT.PortMapping.4."),
        ),
        rnotify(
            "n-4",
            "od",
            true,
            N::obj_deletion(n::ObjectDeletion {
                obj_path: s("Device.NAT.PortMapping.4."),
            }),
        ),
        true,
    );
    let out = [("Status", "Complete"), ("Code", "0")];
    check(
        msg::notify(
            "n-5",
            "op",
            true,
            notify::oper_complete_ok(
                "Device.DeviceInfo.FirmwareImage.2.",
                "Download()",
                "ck",
                out,
            ),
        ),
        rnotify(
            "n-5",
            "op",
            true,
            N::oper_complete(n::OperationComplete {
                obj_path: s("Device.DeviceInfo.FirmwareImage.2."),
                command_name: s("Download()"),
                command_key: s("ck"),
                operation_resp: n::mod_OperationComplete::OneOfoperation_resp::req_output_args(
                    n::mod_OperationComplete::OutputArgs {
                        output_args: kv(&out),
                    },
                ),
            }),
        ),
        false,
    );
    check(
        msg::notify(
            "n-6",
            "op",
            true,
            notify::oper_complete_failure(
                "Device.",
                "Reboot()",
                "ck2",
                ErrorCode::CommandFailure,
                "boom",
            ),
        ),
        rnotify(
            "n-6",
            "op",
            true,
            N::oper_complete(n::OperationComplete {
                obj_path: s("Device."),
                command_name: s("Reboot()"),
                command_key: s("ck2"),
                operation_resp: n::mod_OperationComplete::OneOfoperation_resp::cmd_failure(
                    n::mod_OperationComplete::CommandFailure {
                        err_code: 7022,
                        err_msg: s("boom"),
                    },
                ),
            }),
        ),
        true,
    );
    check(
        msg::notify(
            "n-7",
            "",
            true,
            notify::on_board_req("00D09E", "Gateway", "SN123", "1.0,1.1,1.2,1.3,1.4"),
        ),
        rnotify(
            "n-7",
            "",
            true,
            N::on_board_req(n::OnBoardRequest {
                oui: s("00D09E"),
                product_class: s("Gateway"),
                serial_number: s("SN123"),
                agent_supported_protocol_versions: s("1.0,1.1,1.2,1.3,1.4"),
            }),
        ),
        true,
    );
}

#[test]
fn get_supported_dm() {
    use r::mod_Request::OneOfreq_type as Q;
    let ours = msg::get_supported_dm("gsdm-1", ["Device.", "Device.WiFi."], true);
    let theirs = rreq(
        "gsdm-1",
        RT::GET_SUPPORTED_DM,
        Q::get_supported_dm(r::GetSupportedDM {
            obj_paths: vec![s("Device."), s("Device.WiFi.")],
            first_level_only: true,
            return_commands: true,
            return_events: true,
            return_params: true,
            return_unique_key_sets: true,
        }),
    );
    check(ours, theirs, true);
    // Each flag on its own, to pin every field number.
    for bit in 0..5 {
        let f = |b: usize| bit == b;
        let ours = msg::request(
            "gsdm-2",
            ReqType::GetSupportedDm(GetSupportedDm {
                obj_paths: vec![s("Device.")],
                first_level_only: f(0),
                return_commands: f(1),
                return_events: f(2),
                return_params: f(3),
                return_unique_key_sets: f(4),
            }),
        );
        let theirs = rreq(
            "gsdm-2",
            RT::GET_SUPPORTED_DM,
            Q::get_supported_dm(r::GetSupportedDM {
                obj_paths: vec![s("Device.")],
                first_level_only: f(0),
                return_commands: f(1),
                return_events: f(2),
                return_params: f(3),
                return_unique_key_sets: f(4),
            }),
        );
        check(ours, theirs, true);
    }
}

#[test]
fn get_instances() {
    use r::mod_Request::OneOfreq_type as Q;
    let ours = msg::get_instances("gi-1", ["Device.WiFi.SSID."], true);
    let theirs = rreq(
        "gi-1",
        RT::GET_INSTANCES,
        Q::get_instances(r::GetInstances {
            obj_paths: vec![s("Device.WiFi.SSID.")],
            first_level_only: true,
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn get_supported_protocol() {
    use r::mod_Request::OneOfreq_type as Q;
    check(
        msg::get_supported_protocol("gsp-1", "1.3,1.4"),
        rreq(
            "gsp-1",
            RT::GET_SUPPORTED_PROTO,
            Q::get_supported_protocol(r::GetSupportedProtocol {
                controller_supported_protocol_versions: s("1.3,1.4"),
            }),
        ),
        true,
    );
}

#[test]
fn register_and_deregister() {
    use r::mod_Request::OneOfreq_type as Q;
    check(
        msg::register("reg-1", true, ["Device.X_Svc.", "Device.Y."]),
        rreq(
            "reg-1",
            RT::REGISTER,
            Q::register(r::Register {
                allow_partial: true,
                reg_paths: vec![
                    r::mod_Register::RegistrationPath {
                        path: s("Device.X_Svc."),
                    },
                    r::mod_Register::RegistrationPath {
                        path: s("Device.Y."),
                    },
                ],
            }),
        ),
        true,
    );
    check(
        msg::deregister("dereg-1", ["Device.X_Svc.", ""]),
        rreq(
            "dereg-1",
            RT::DEREGISTER,
            Q::deregister(r::Deregister {
                paths: vec![s("Device.X_Svc."), s("")],
            }),
        ),
        true,
    );
}

// ------------------------------------------------------------------ responses

#[test]
fn get_resp() {
    use r::mod_GetResp::{RequestedPathResult, ResolvedPathResult};
    use r::mod_Response::OneOfresp_type as P;
    let params = [
        ("Manufacturer", "ACME"),
        ("SerialNumber", "SN1"),
        ("UpTime", "42"),
    ];
    let ours = msg::get_resp(
        "g-1",
        vec![
            msg::get_path_ok(
                "Device.DeviceInfo.",
                vec![
                    msg::resolved("Device.DeviceInfo.", params),
                    msg::resolved("Device.DeviceInfo.FirmwareImage.1.", [("Alias", "a")]),
                ],
            ),
            msg::get_path_err(
                "Device.Nope.",
                ErrorCode::InvalidPath,
                "not in the supported data model",
            ),
            msg::get_path_ok("Device.Empty.[Enable==true].", vec![]),
        ],
    );
    let theirs = rresp(
        "g-1",
        RT::GET_RESP,
        P::get_resp(r::GetResp {
            req_path_results: vec![
                RequestedPathResult {
                    requested_path: s("Device.DeviceInfo."),
                    err_code: 0,
                    err_msg: s(""),
                    resolved_path_results: vec![
                        ResolvedPathResult {
                            resolved_path: s("Device.DeviceInfo."),
                            result_params: kv(&params),
                        },
                        ResolvedPathResult {
                            resolved_path: s("Device.DeviceInfo.FirmwareImage.1."),
                            result_params: kv(&[("Alias", "a")]),
                        },
                    ],
                },
                RequestedPathResult {
                    requested_path: s("Device.Nope."),
                    err_code: 7026,
                    err_msg: s("not in the supported data model"),
                    resolved_path_results: vec![],
                },
                RequestedPathResult {
                    requested_path: s("Device.Empty.[Enable==true]."),
                    err_code: 0,
                    err_msg: s(""),
                    resolved_path_results: vec![],
                },
            ],
        }),
    );
    check(ours, theirs, false);
}

#[test]
fn set_resp() {
    use r::mod_Response::OneOfresp_type as P;
    use r::mod_SetResp::mod_UpdatedObjectResult::mod_OperationStatus as st;
    use r::mod_SetResp::mod_UpdatedObjectResult::OperationStatus;
    use r::mod_SetResp::{
        ParameterError, UpdatedInstanceFailure, UpdatedInstanceResult, UpdatedObjectResult,
    };
    use usp::proto::usp::set_resp as ours_sr;

    let mut inst = msg::set_inst_ok("Device.DeviceInfo.", [("FriendlyName", "box")]);
    inst.param_errs.push(ours_sr::ParameterError {
        param: s("SerialNumber"),
        err_code: 7013,
        err_msg: s("read-only"),
    });
    let ours = msg::set_resp(
        "s-1",
        vec![
            msg::set_obj_ok("Device.DeviceInfo.", vec![inst]),
            msg::set_obj_failure(
                "Device.WiFi.SSID.9.",
                ErrorCode::RequiredParameterFailed,
                "required failed",
                vec![ours_sr::UpdatedInstanceFailure {
                    affected_path: s("Device.WiFi.SSID.9."),
                    param_errs: vec![ours_sr::ParameterError {
                        param: s("SSID"),
                        err_code: 7012,
                        err_msg: s("too long"),
                    }],
                }],
            ),
        ],
    );
    let pe = |p: &str, c, m: &str| ParameterError {
        param: s(p),
        err_code: c,
        err_msg: s(m),
    };
    let theirs = rresp(
        "s-1",
        RT::SET_RESP,
        P::set_resp(r::SetResp {
            updated_obj_results: vec![
                UpdatedObjectResult {
                    requested_path: s("Device.DeviceInfo."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_success(st::OperationSuccess {
                            updated_inst_results: vec![UpdatedInstanceResult {
                                affected_path: s("Device.DeviceInfo."),
                                param_errs: vec![pe("SerialNumber", 7013, "read-only")],
                                updated_params: kv(&[("FriendlyName", "box")]),
                            }],
                        }),
                    }),
                },
                UpdatedObjectResult {
                    requested_path: s("Device.WiFi.SSID.9."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_failure(st::OperationFailure {
                            err_code: 7021,
                            err_msg: s("required failed"),
                            updated_inst_failures: vec![UpdatedInstanceFailure {
                                affected_path: s("Device.WiFi.SSID.9."),
                                param_errs: vec![pe("SSID", 7012, "too long")],
                            }],
                        }),
                    }),
                },
            ],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn add_resp() {
    use r::mod_AddResp::mod_CreatedObjectResult::mod_OperationStatus as st;
    use r::mod_AddResp::mod_CreatedObjectResult::OperationStatus;
    use r::mod_AddResp::{CreatedObjectResult, ParameterError};
    use r::mod_Response::OneOfresp_type as P;
    use usp::proto::usp::add_resp as ours_ar;

    let mut ok = msg::add_obj_ok(
        "Device.LocalAgent.Subscription.",
        "Device.LocalAgent.Subscription.3.",
        [("Alias", "cpe-3")],
    );
    if let Some(ours_ar::created_object_result::OperationStatus {
        oper_status:
            Some(ours_ar::created_object_result::operation_status::OperStatus::OperSuccess(s_)),
    }) = ok.oper_status.as_mut()
    {
        s_.param_errs.push(ours_ar::ParameterError {
            param: s("Persistent"),
            err_code: 7012,
            err_msg: s("bad"),
        });
    } else {
        panic!("builder shape");
    }
    let ours = msg::add_resp(
        "a-1",
        vec![
            ok,
            msg::add_obj_failure(
                "Device.DeviceInfo.",
                ErrorCode::ObjectNotATable,
                "not a table",
            ),
        ],
    );
    let theirs = rresp(
        "a-1",
        RT::ADD_RESP,
        P::add_resp(r::AddResp {
            created_obj_results: vec![
                CreatedObjectResult {
                    requested_path: s("Device.LocalAgent.Subscription."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_success(st::OperationSuccess {
                            instantiated_path: s("Device.LocalAgent.Subscription.3."),
                            param_errs: vec![ParameterError {
                                param: s("Persistent"),
                                err_code: 7012,
                                err_msg: s("bad"),
                            }],
                            unique_keys: kv(&[("Alias", "cpe-3")]),
                        }),
                    }),
                },
                CreatedObjectResult {
                    requested_path: s("Device.DeviceInfo."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_failure(st::OperationFailure {
                            err_code: 7018,
                            err_msg: s("not a table"),
                        }),
                    }),
                },
            ],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn delete_resp() {
    use r::mod_DeleteResp::mod_DeletedObjectResult::mod_OperationStatus as st;
    use r::mod_DeleteResp::mod_DeletedObjectResult::OperationStatus;
    use r::mod_DeleteResp::{DeletedObjectResult, UnaffectedPathError};
    use r::mod_Response::OneOfresp_type as P;
    use usp::proto::usp::delete_resp as ours_dr;

    let mut ok = msg::delete_obj_ok(
        "Device.NAT.PortMapping.*.",
        ["Device.NAT.PortMapping.1.", "Device.NAT.PortMapping.2."],
    );
    if let Some(ours_dr::deleted_object_result::OperationStatus {
        oper_status:
            Some(ours_dr::deleted_object_result::operation_status::OperStatus::OperSuccess(s_)),
    }) = ok.oper_status.as_mut()
    {
        s_.unaffected_path_errs.push(ours_dr::UnaffectedPathError {
            unaffected_path: s("Device.NAT.PortMapping.3."),
            err_code: 7024,
            err_msg: s("locked"),
        });
    } else {
        panic!("builder shape");
    }
    let ours = msg::delete_resp(
        "d-1",
        vec![
            ok,
            msg::delete_obj_failure("Device.X.", ErrorCode::ObjectDoesNotExist, "gone"),
        ],
    );
    let theirs = rresp(
        "d-1",
        RT::DELETE_RESP,
        P::delete_resp(r::DeleteResp {
            deleted_obj_results: vec![
                DeletedObjectResult {
                    requested_path: s("Device.NAT.PortMapping.*."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_success(st::OperationSuccess {
                            affected_paths: vec![
                                s("Device.NAT.PortMapping.1."),
                                s("Device.NAT.PortMapping.2."),
                            ],
                            unaffected_path_errs: vec![UnaffectedPathError {
                                unaffected_path: s("Device.NAT.PortMapping.3."),
                                err_code: 7024,
                                err_msg: s("locked"),
                            }],
                        }),
                    }),
                },
                DeletedObjectResult {
                    requested_path: s("Device.X."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_failure(st::OperationFailure {
                            err_code: 7016,
                            err_msg: s("gone"),
                        }),
                    }),
                },
            ],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn operate_resp() {
    use r::mod_OperateResp::mod_OperationResult as opr;
    use r::mod_OperateResp::OperationResult;
    use r::mod_Response::OneOfresp_type as P;
    let out = [("Result", "ok"), ("Bytes", "12")];
    let ours = msg::operate_resp(
        "o-1",
        vec![
            msg::operate_output("Device.IP.Diagnostics.Ping()", out),
            msg::operate_async(
                "Device.DeviceInfo.FirmwareImage.2.Download()",
                "Device.LocalAgent.Request.7.",
            ),
            msg::operate_failure("Device.Reboot()", ErrorCode::CommandFailure, "refused"),
        ],
    );
    let theirs = rresp(
        "o-1",
        RT::OPERATE_RESP,
        P::operate_resp(r::OperateResp {
            operation_results: vec![
                OperationResult {
                    executed_command: s("Device.IP.Diagnostics.Ping()"),
                    operation_resp: opr::OneOfoperation_resp::req_output_args(opr::OutputArgs {
                        output_args: kv(&out),
                    }),
                },
                OperationResult {
                    executed_command: s("Device.DeviceInfo.FirmwareImage.2.Download()"),
                    operation_resp: opr::OneOfoperation_resp::req_obj_path(s(
                        "Device.LocalAgent.Request.7.",
                    )),
                },
                OperationResult {
                    executed_command: s("Device.Reboot()"),
                    operation_resp: opr::OneOfoperation_resp::cmd_failure(opr::CommandFailure {
                        err_code: 7022,
                        err_msg: s("refused"),
                    }),
                },
            ],
        }),
    );
    check(ours, theirs, false);
}

#[test]
fn notify_resp() {
    use r::mod_Response::OneOfresp_type as P;
    check(
        msg::notify_resp("n-1", "boot"),
        rresp(
            "n-1",
            RT::NOTIFY_RESP,
            P::notify_resp(r::NotifyResp {
                subscription_id: s("boot"),
            }),
        ),
        true,
    );
}

#[test]
fn get_supported_dm_resp() {
    use r::mod_GetSupportedDMResp as t;
    use r::mod_Response::OneOfresp_type as P;
    let ours = msg::get_supported_dm_resp(
        "gsdm-1",
        vec![
            gsdm::RequestedObjectResult {
                req_obj_path: s("Device.WiFi."),
                err_code: 0,
                err_msg: s(""),
                data_model_inst_uri: s("urn:broadband-forum-org:tr-181-2-19-0-usp"),
                supported_objs: vec![gsdm::SupportedObjectResult {
                    supported_obj_path: s("Device.WiFi.SSID.{i}."),
                    access: gsdm::ObjAccessType::ObjAddDelete as i32,
                    is_multi_instance: true,
                    supported_commands: vec![gsdm::SupportedCommandResult {
                        command_name: s("Reset()"),
                        input_arg_names: vec![s("Mode")],
                        output_arg_names: vec![s("Status"), s("Code")],
                        command_type: gsdm::CmdType::CmdAsync as i32,
                    }],
                    supported_events: vec![gsdm::SupportedEventResult {
                        event_name: s("Changed!"),
                        arg_names: vec![s("Old"), s("New")],
                    }],
                    supported_params: vec![
                        gsdm::SupportedParamResult {
                            param_name: s("SSID"),
                            access: gsdm::ParamAccessType::ParamReadWrite as i32,
                            value_type: gsdm::ParamValueType::ParamString as i32,
                            value_change: gsdm::ValueChangeType::ValueChangeAllowed as i32,
                        },
                        gsdm::SupportedParamResult {
                            param_name: s("Stats.BytesSent"),
                            access: gsdm::ParamAccessType::ParamWriteOnly as i32,
                            value_type: gsdm::ParamValueType::ParamUnsignedLong as i32,
                            value_change: gsdm::ValueChangeType::ValueChangeWillIgnore as i32,
                        },
                    ],
                    divergent_paths: vec![s("Device.WiFi.SSID.1.X_Vendor.")],
                    unique_key_sets: vec![
                        gsdm::SupportedUniqueKeySet {
                            key_names: vec![s("Alias")],
                        },
                        gsdm::SupportedUniqueKeySet {
                            key_names: vec![s("Name"), s("BSSID")],
                        },
                    ],
                }],
            },
            gsdm::RequestedObjectResult {
                req_obj_path: s("Device.Nope."),
                err_code: 7026,
                err_msg: s("invalid path"),
                data_model_inst_uri: s(""),
                supported_objs: vec![],
            },
        ],
    );
    let theirs = rresp(
        "gsdm-1",
        RT::GET_SUPPORTED_DM_RESP,
        P::get_supported_dm_resp(r::GetSupportedDMResp {
            req_obj_results: vec![
                t::RequestedObjectResult {
                    req_obj_path: s("Device.WiFi."),
                    err_code: 0,
                    err_msg: s(""),
                    data_model_inst_uri: s("urn:broadband-forum-org:tr-181-2-19-0-usp"),
                    supported_objs: vec![t::SupportedObjectResult {
                        supported_obj_path: s("Device.WiFi.SSID.{i}."),
                        access: t::ObjAccessType::OBJ_ADD_DELETE,
                        is_multi_instance: true,
                        supported_commands: vec![t::SupportedCommandResult {
                            command_name: s("Reset()"),
                            input_arg_names: vec![s("Mode")],
                            output_arg_names: vec![s("Status"), s("Code")],
                            command_type: t::CmdType::CMD_ASYNC,
                        }],
                        supported_events: vec![t::SupportedEventResult {
                            event_name: s("Changed!"),
                            arg_names: vec![s("Old"), s("New")],
                        }],
                        supported_params: vec![
                            t::SupportedParamResult {
                                param_name: s("SSID"),
                                access: t::ParamAccessType::PARAM_READ_WRITE,
                                value_type: t::ParamValueType::PARAM_STRING,
                                value_change: t::ValueChangeType::VALUE_CHANGE_ALLOWED,
                            },
                            t::SupportedParamResult {
                                param_name: s("Stats.BytesSent"),
                                access: t::ParamAccessType::PARAM_WRITE_ONLY,
                                value_type: t::ParamValueType::PARAM_UNSIGNED_LONG,
                                value_change: t::ValueChangeType::VALUE_CHANGE_WILL_IGNORE,
                            },
                        ],
                        divergent_paths: vec![s("Device.WiFi.SSID.1.X_Vendor.")],
                        unique_key_sets: vec![
                            t::SupportedUniqueKeySet {
                                key_names: vec![s("Alias")],
                            },
                            t::SupportedUniqueKeySet {
                                key_names: vec![s("Name"), s("BSSID")],
                            },
                        ],
                    }],
                },
                t::RequestedObjectResult {
                    req_obj_path: s("Device.Nope."),
                    err_code: 7026,
                    err_msg: s("invalid path"),
                    data_model_inst_uri: s(""),
                    supported_objs: vec![],
                },
            ],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn get_instances_resp() {
    use r::mod_GetInstancesResp::{CurrInstance, RequestedPathResult};
    use r::mod_Response::OneOfresp_type as P;
    let keys = [("Alias", "cpe-1"), ("Name", "wl0")];
    let ours = msg::get_instances_resp(
        "gi-1",
        vec![
            msg::instances_ok(
                "Device.WiFi.SSID.",
                vec![
                    msg::instance("Device.WiFi.SSID.1.", keys),
                    msg::instance("Device.WiFi.SSID.2.", [("Alias", "cpe-2")]),
                ],
            ),
            msg::instances_err(
                "Device.DeviceInfo.",
                ErrorCode::ObjectNotATable,
                "not a table",
            ),
        ],
    );
    let theirs = rresp(
        "gi-1",
        RT::GET_INSTANCES_RESP,
        P::get_instances_resp(r::GetInstancesResp {
            req_path_results: vec![
                RequestedPathResult {
                    requested_path: s("Device.WiFi.SSID."),
                    err_code: 0,
                    err_msg: s(""),
                    curr_insts: vec![
                        CurrInstance {
                            instantiated_obj_path: s("Device.WiFi.SSID.1."),
                            unique_keys: kv(&keys),
                        },
                        CurrInstance {
                            instantiated_obj_path: s("Device.WiFi.SSID.2."),
                            unique_keys: kv(&[("Alias", "cpe-2")]),
                        },
                    ],
                },
                RequestedPathResult {
                    requested_path: s("Device.DeviceInfo."),
                    err_code: 7018,
                    err_msg: s("not a table"),
                    curr_insts: vec![],
                },
            ],
        }),
    );
    check(ours, theirs, false);
}

#[test]
fn get_supported_protocol_resp() {
    use r::mod_Response::OneOfresp_type as P;
    check(
        msg::get_supported_protocol_resp("gsp-1", "1.0,1.1,1.2,1.3,1.4"),
        rresp(
            "gsp-1",
            RT::GET_SUPPORTED_PROTO_RESP,
            P::get_supported_protocol_resp(r::GetSupportedProtocolResp {
                agent_supported_protocol_versions: s("1.0,1.1,1.2,1.3,1.4"),
            }),
        ),
        true,
    );
}

#[test]
fn register_resp() {
    use r::mod_RegisterResp::mod_RegisteredPathResult::mod_OperationStatus as st;
    use r::mod_RegisterResp::mod_RegisteredPathResult::OperationStatus;
    use r::mod_RegisterResp::RegisteredPathResult;
    use r::mod_Response::OneOfresp_type as P;
    let ours = msg::register_resp(
        "reg-1",
        vec![
            msg::register_ok("Device.X_Svc.", "Device.X_Svc."),
            msg::register_failure(
                "Device.Y.",
                ErrorCode::AlreadyInUse,
                "owned by another service",
            ),
        ],
    );
    let theirs = rresp(
        "reg-1",
        RT::REGISTER_RESP,
        P::register_resp(r::RegisterResp {
            registered_path_results: vec![
                RegisteredPathResult {
                    requested_path: s("Device.X_Svc."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_success(st::OperationSuccess {
                            registered_path: s("Device.X_Svc."),
                        }),
                    }),
                },
                RegisteredPathResult {
                    requested_path: s("Device.Y."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_failure(st::OperationFailure {
                            err_code: 7029,
                            err_msg: s("owned by another service"),
                        }),
                    }),
                },
            ],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn deregister_resp() {
    use r::mod_DeregisterResp::mod_DeregisteredPathResult::mod_OperationStatus as st;
    use r::mod_DeregisterResp::mod_DeregisteredPathResult::OperationStatus;
    use r::mod_DeregisterResp::DeregisteredPathResult;
    use r::mod_Response::OneOfresp_type as P;
    let ours = msg::deregister_resp(
        "dereg-1",
        vec![
            msg::deregister_ok("", ["Device.X_Svc.", "Device.Z."]),
            msg::deregister_failure("Device.Y.", ErrorCode::DeregisterFailure, "not registered"),
        ],
    );
    let theirs = rresp(
        "dereg-1",
        RT::DEREGISTER_RESP,
        P::deregister_resp(r::DeregisterResp {
            deregistered_path_results: vec![
                DeregisteredPathResult {
                    requested_path: s(""),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_success(st::OperationSuccess {
                            deregistered_path: vec![s("Device.X_Svc."), s("Device.Z.")],
                        }),
                    }),
                },
                DeregisteredPathResult {
                    requested_path: s("Device.Y."),
                    oper_status: Some(OperationStatus {
                        oper_status: st::OneOfoper_status::oper_failure(st::OperationFailure {
                            err_code: 7030,
                            err_msg: s("not registered"),
                        }),
                    }),
                },
            ],
        }),
    );
    check(ours, theirs, true);
}

#[test]
fn error() {
    let ours = msg::error(
        "s-9",
        ErrorCode::InvalidArguments,
        "invalid arguments",
        vec![msg::param_error(
            "Device.DeviceInfo.SerialNumber",
            ErrorCode::ParameterReadOnly,
            "read-only",
        )],
    );
    let theirs = rmsg(
        "s-9",
        RT::ERROR,
        r::mod_Body::OneOfmsg_body::error(r::Error {
            err_code: 7004,
            err_msg: s("invalid arguments"),
            param_errs: vec![r::mod_Error::ParamError {
                param_path: s("Device.DeviceInfo.SerialNumber"),
                err_code: 7013,
                err_msg: s("read-only"),
            }],
        }),
    );
    check(ours, theirs, true);
    // Vendor code survives both ways.
    check(
        msg::error("x", 7801u32, "vendor", vec![]),
        rmsg(
            "x",
            RT::ERROR,
            r::mod_Body::OneOfmsg_body::error(r::Error {
                err_code: 7801,
                err_msg: s("vendor"),
                param_errs: vec![],
            }),
        ),
        true,
    );
}

// ------------------------------------------------------------------ records

fn rrecord(rt: rr::mod_Record::OneOfrecord_type) -> rr::Record {
    rr::Record {
        version: s(usp::record::RECORD_VERSION),
        to_id: s("proto::controller"),
        from_id: s("os::00D09E-SN1"),
        payload_security: rr::mod_Record::PayloadSecurity::PLAINTEXT,
        mac_signature: vec![],
        sender_cert: vec![],
        record_type: rt,
    }
}

/// Both directions for a Record; returns what our decoder found as the Msg.
fn check_record(ours: usp::Record, theirs: rr::Record) -> Option<Msg> {
    let their_bytes = theirs.to_vec().unwrap();
    let our_bytes = encode_record(&ours);
    let decoded = decode_record(&their_bytes).unwrap();
    assert_eq!(decoded.record, ours, "rusp → ours");
    assert_eq!(
        try_decode_record(&our_bytes).unwrap(),
        theirs,
        "ours → rusp"
    );
    assert_eq!(our_bytes, their_bytes, "encodings differ");
    decoded.msg
}

#[test]
fn record_no_session_context() {
    use rr::mod_Record::OneOfrecord_type as T;
    let m = msg::get("g-1", ["Device.DeviceInfo."], 0);
    let theirs_msg = rreq(
        "g-1",
        RT::GET,
        r::mod_Request::OneOfreq_type::get(r::Get {
            param_paths: vec![s("Device.DeviceInfo.")],
            max_depth: 0,
        }),
    );
    let ours = record::no_session_context("proto::controller", "os::00D09E-SN1", &m);
    let theirs = rrecord(T::no_session_context(rr::NoSessionContextRecord {
        payload: theirs_msg.to_vec().unwrap(),
    }));
    assert_eq!(check_record(ours, theirs), Some(m));
}

#[test]
fn record_session_context() {
    use rr::mod_Record::OneOfrecord_type as T;
    use rr::mod_SessionContextRecord::PayloadSARState as Sar;
    let m = msg::notify_resp("n-1", "sub");
    let ours = record::session_context("proto::controller", "os::00D09E-SN1", 11, 22, 23, &m);
    let theirs = rrecord(T::session_context(
        rr::SessionContextRecord::new_unfragmented(11, 22, 23, 0, encode_msg(&m)),
    ));
    assert_eq!(check_record(ours.clone(), theirs), Some(m.clone()));

    // All fields set, including SAR states and retransmit_id (segment: no Msg).
    let mut ours = ours;
    let Some(usp::proto::usp_record::record::RecordType::SessionContext(sc)) =
        &mut ours.record_type
    else {
        panic!("builder shape")
    };
    sc.retransmit_id = 21;
    sc.payload_sar_state = 1;
    sc.payloadrec_sar_state = 2;
    sc.payload = vec![vec![1, 2, 3].into(), vec![4].into()];
    let theirs = rrecord(T::session_context(rr::SessionContextRecord {
        session_id: 11,
        sequence_id: 22,
        expected_id: 23,
        retransmit_id: 21,
        payload_sar_state: Sar::BEGIN,
        payloadrec_sar_state: Sar::INPROCESS,
        payload: vec![vec![1, 2, 3], vec![4]],
    }));
    assert_eq!(check_record(ours, theirs), None);
}

#[test]
fn record_connect_and_disconnect() {
    use rr::mod_Record::OneOfrecord_type as T;
    use usp::proto::usp_record::mqtt_connect_record::MqttVersion;
    let (to, from) = ("proto::controller", "os::00D09E-SN1");
    let cases = [
        (
            record::websocket_connect(to, from),
            rrecord(T::websocket_connect(rr::WebSocketConnectRecord {})),
        ),
        (
            record::mqtt_connect(to, from, MqttVersion::V5, "usp/agent/gw"),
            rrecord(T::mqtt_connect(rr::MQTTConnectRecord {
                version: rr::mod_MQTTConnectRecord::MQTTVersion::V5,
                subscribed_topic: s("usp/agent/gw"),
            })),
        ),
        (
            record::mqtt_connect(to, from, MqttVersion::V311, "t"),
            rrecord(T::mqtt_connect(rr::MQTTConnectRecord {
                version: rr::mod_MQTTConnectRecord::MQTTVersion::V3_1_1,
                subscribed_topic: s("t"),
            })),
        ),
        (
            record::stomp_connect(to, from, "/queue/agent"),
            rrecord(T::stomp_connect(rr::STOMPConnectRecord {
                version: rr::mod_STOMPConnectRecord::STOMPVersion::V1_2,
                subscribed_destination: s("/queue/agent"),
            })),
        ),
        (
            record::disconnect(
                to,
                from,
                "session context not allowed",
                ErrorCode::SessionContextNotAllowed,
            ),
            rrecord(T::disconnect(rr::DisconnectRecord {
                reason: s("session context not allowed"),
                reason_code: 7106,
            })),
        ),
        (
            record::uds_connect(to, from),
            rrecord(T::uds_connect(rr::UDSConnectRecord {})),
        ),
    ];
    for (ours, theirs) in cases {
        assert_eq!(check_record(ours, theirs), None);
    }
}

#[test]
fn record_header_fields() {
    use rr::mod_Record::OneOfrecord_type as T;
    // mac_signature / sender_cert / version / ids all survive both ways.
    let mut ours = record::websocket_connect("to", "from");
    ours.version = s("1.2");
    ours.mac_signature = vec![0xde, 0xad].into();
    ours.sender_cert = vec![0x30, 0x82, 0x01].into();
    let mut theirs = rrecord(T::websocket_connect(rr::WebSocketConnectRecord {}));
    theirs.version = s("1.2");
    theirs.to_id = s("to");
    theirs.from_id = s("from");
    theirs.mac_signature = vec![0xde, 0xad];
    theirs.sender_cert = vec![0x30, 0x82, 0x01];
    check_record(ours, theirs);
}

#[test]
fn record_payload_security_field() {
    use rr::mod_Record::OneOfrecord_type as T;
    use usp::proto::usp_record::record::PayloadSecurity;
    // TLS12 (field 4) is read by us and rejected as 7102; both agree on the value.
    let mut theirs = rrecord(T::no_session_context(rr::NoSessionContextRecord {
        payload: vec![1, 2],
    }));
    theirs.payload_security = rr::mod_Record::PayloadSecurity::TLS12;
    let err = decode_record(&theirs.to_vec().unwrap()).unwrap_err();
    assert_eq!(err, usp::RecordError::SecureSessionNotSupported);
    assert_eq!(err.code().as_u32(), 7102);
    let mut ours = record::no_session_context(
        "proto::controller",
        "os::00D09E-SN1",
        &msg::get("x", ["Device."], 0),
    );
    ours.payload_security = PayloadSecurity::Tls12 as i32;
    let back = try_decode_record(&encode_record(&ours)).unwrap();
    assert_eq!(
        back.payload_security,
        rr::mod_Record::PayloadSecurity::TLS12
    );
}

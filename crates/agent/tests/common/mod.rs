//! Shared helpers: an `Agents` with two configured controllers, request
//! round trips, and the rusp-lib cross-check every emitted Record goes
//! through.
#![allow(dead_code)]

pub mod subs;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent::dm::Answer;
use agent::local::{AgentConfig, AgentMtp, ControllerConfig, ControllerMtp};
use agent::{Action, Agents, IdScheme, ReplyTo};
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::GetResp;
use usp::proto::usp_record::record::RecordType;
use usp::ErrorCode;
use usp::{decode_msg, decode_record, record, Msg, Record};

pub const C1: &str = "proto::controller-1";
pub const C2: &str = "proto::controller-2";

pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

pub fn config() -> AgentConfig {
    AgentConfig {
        software_version: "0.1.0".into(),
        mtps: vec![
            AgentMtp::Mqtt {
                response_topic: "usp/agent/{eid}".into(),
                publish_qos: 0,
            },
            AgentMtp::Stomp {
                destination: "/queue/{eid}".into(),
            },
        ],
        controllers: vec![
            ControllerConfig {
                endpoint_id: C1.into(),
                assigned_role: "Device.LocalAgent.ControllerTrust.Role.1".into(),
                mtps: vec![ControllerMtp::Mqtt {
                    topic: "usp/controller/1".into(),
                }],
            },
            ControllerConfig {
                endpoint_id: C2.into(),
                assigned_role: String::new(),
                mtps: vec![
                    ControllerMtp::Stomp {
                        destination: "/queue/controller-2".into(),
                    },
                    ControllerMtp::Mqtt {
                        topic: "usp/controller/2".into(),
                    },
                ],
            },
        ],
        notif_retry_min_wait: None,
    }
}

pub fn setup() -> (Agents, String) {
    let mut a = Agents::new(Arc::new(config())).unwrap();
    let eid = a.add("00D09E", "IGD", "SN1", IdScheme::Os, t0()).unwrap();
    (a, eid)
}

pub fn reply_to() -> ReplyTo {
    ReplyTo::Mqtt {
        topic: "usp/controller/1/reply".into(),
    }
}

/// Decodes an emitted Record with rusp-lib, re-encodes it there and checks
/// that our decoder sees the same Record and Msg either way.
pub fn crosscheck(bytes: &[u8]) -> (Record, Option<Msg>) {
    let ours = decode_record(bytes).expect("we decode our own record");
    let theirs = rusp_lib::usp_record::Record::from_bytes(bytes).expect("rusp decodes our record");
    let again = decode_record(&theirs.to_vec().unwrap()).unwrap();
    assert_eq!(again.record.version, ours.record.version);
    assert_eq!(again.record.to_id, ours.record.to_id);
    assert_eq!(again.record.from_id, ours.record.from_id);
    if let Some(RecordType::NoSessionContext(n)) = &ours.record.record_type {
        let m = rusp_lib::usp_decoder::try_decode_msg(&n.payload).expect("rusp decodes our msg");
        m.check_validity().expect("rusp finds our msg valid");
        let back = decode_msg(&m.to_vec().unwrap()).unwrap();
        assert_eq!(
            Some(&back),
            ours.msg.as_ref(),
            "msg differs after a rusp round trip"
        );
    } else {
        assert_eq!(
            again.record, ours.record,
            "record differs after a rusp round trip"
        );
    }
    (ours.record, ours.msg)
}

pub fn record_from(from: &str, to: &str, m: &Msg) -> Vec<u8> {
    record::encode_record(&record::no_session_context(to, from, m))
}

/// Sends `m` from controller 1, expects exactly one answer Record to
/// controller 1 (plus any Persist) and returns its Msg.
pub fn ask(a: &mut Agents, eid: &str, m: &Msg) -> Msg {
    ask_from(a, eid, C1, m)
}

pub fn ask_from(a: &mut Agents, eid: &str, from: &str, m: &Msg) -> Msg {
    let now = t0() + Duration::from_secs(42);
    let first = a.handle_record(eid, &record_from(from, eid, m), reply_to(), now);
    let actions = settle(a, first, now);
    let sends: Vec<_> = actions
        .iter()
        .filter_map(|x| match x {
            Action::Send { agent, to, record } => Some((agent, to, record)),
            _ => None,
        })
        .collect();
    assert_eq!(sends.len(), 1, "{actions:?}");
    let (agent, to, bytes) = sends[0];
    assert_eq!(agent, eid);
    assert_eq!(to, &reply_to());
    let (rec, msg) = crosscheck(bytes);
    assert_eq!(rec.version, "1.4");
    assert_eq!(rec.to_id, from);
    assert_eq!(rec.from_id, eid);
    assert!(matches!(
        rec.record_type,
        Some(RecordType::NoSessionContext(_))
    ));
    let msg = msg.unwrap();
    assert_eq!(msg.msg_id(), m.msg_id());
    msg
}

pub fn resp(m: &Msg) -> &RespType {
    m.response()
        .unwrap_or_else(|| panic!("not a response: {m:?}"))
}

pub fn error(m: &Msg) -> &usp::proto::usp::Error {
    m.error().unwrap_or_else(|| panic!("not an error: {m:?}"))
}

/// What the interworking layer answers for a CPE whose model is empty:
/// every path is outside it.
pub fn empty_device(req: &ReqType) -> Answer {
    let outside = "not in the device's data model";
    match req {
        ReqType::Get(g) => Answer::Resp(RespType::GetResp(GetResp {
            req_path_results: g
                .param_paths
                .iter()
                .map(|p| usp::msg::get_path_err(p, ErrorCode::InvalidPath, outside))
                .collect(),
        })),
        ReqType::GetSupportedDm(g) => Answer::Resp(RespType::GetSupportedDmResp(
            usp::proto::usp::GetSupportedDmResp {
                req_obj_results: g
                    .obj_paths
                    .iter()
                    .map(
                        |p| usp::proto::usp::get_supported_dm_resp::RequestedObjectResult {
                            req_obj_path: p.clone(),
                            err_code: ErrorCode::InvalidPath.as_u32(),
                            err_msg: outside.into(),
                            ..Default::default()
                        },
                    )
                    .collect(),
            },
        )),
        ReqType::GetInstances(g) => Answer::Resp(RespType::GetInstancesResp(
            usp::proto::usp::GetInstancesResp {
                req_path_results: g
                    .obj_paths
                    .iter()
                    .map(|p| usp::msg::instances_err(p, ErrorCode::InvalidPath, outside))
                    .collect(),
            },
        )),
        _ => Answer::Error(usp::proto::usp::Error {
            err_code: ErrorCode::InvalidPath.as_u32(),
            err_msg: outside.into(),
            param_errs: Vec::new(),
        }),
    }
}

/// Finishes every request handed to the CPE side as [`empty_device`].
pub fn settle(a: &mut Agents, actions: Vec<Action>, now: SystemTime) -> Vec<Action> {
    let mut out = Vec::new();
    for x in actions {
        match x {
            Action::Remote(r) => {
                let answer = empty_device(&r.request);
                out.extend(a.finish_remote(*r, Some(answer), now));
            }
            x => out.push(x),
        }
    }
    out
}

//! Record-level rules, dispatch of the other messages, Connect records,
//! GetSupportedDM.

mod common;
use common::*;

use std::sync::Arc;

use agent::{Action, Agents, IdScheme, LinkUp, MqttVersion, ReplyTo};
use usp::msg;
use usp::proto::usp::get_supported_dm_resp::{
    CmdType, ObjAccessType, ParamAccessType, ParamValueType,
};
use usp::proto::usp::operate_resp::operation_result::OperationResp;
use usp::proto::usp::response::RespType;
use usp::proto::usp_record::mqtt_connect_record::MqttVersion as RecMqtt;
use usp::proto::usp_record::record::RecordType;
use usp::{record, Msg};

fn run(a: &mut Agents, eid: &str, bytes: &[u8]) -> Vec<Action> {
    a.handle_record(eid, bytes, reply_to(), t0())
}

#[test]
fn ignores_records_not_for_us_from_us_or_undecodable() {
    let (mut a, eid) = setup();
    let get = msg::get("1", ["Device."], 0);
    assert!(run(&mut a, &eid, &record_from(C1, "os::other-agent", &get)).is_empty());
    assert!(run(&mut a, &eid, &record_from(&eid, &eid, &get)).is_empty());
    assert!(run(&mut a, &eid, &record_from("", &eid, &get)).is_empty());
    assert!(run(
        &mut a,
        "os::unknown-agent",
        &record_from(C1, "os::unknown-agent", &get)
    )
    .is_empty());
    assert!(run(&mut a, &eid, b"\xff\xff garbage").is_empty());
    assert!(run(&mut a, &eid, b"").is_empty());
    // A Record whose payload is not a Msg: no msg_id to answer.
    let mut r = record::no_session_context(&eid, C1, &get);
    if let Some(RecordType::NoSessionContext(n)) = &mut r.record_type {
        n.payload = bytes::Bytes::from_static(b"\x0a\xff");
    }
    assert!(run(&mut a, &eid, &record::encode_record(&r)).is_empty());
    // A major version we do not speak.
    let mut r = record::no_session_context(&eid, C1, &get);
    r.version = "2.0".into();
    assert!(run(&mut a, &eid, &record::encode_record(&r)).is_empty());
    // But the right Record gets its answer.
    assert_eq!(run(&mut a, &eid, &record_from(C1, &eid, &get)).len(), 1);
}

#[test]
fn accepts_every_1x_version() {
    let (mut a, eid) = setup();
    for v in ["1.0", "1.1", "1.2", "1.3", "1.4"] {
        let mut r =
            record::no_session_context(&eid, C1, &msg::get("1", ["Device.LocalAgent.UpTime"], 0));
        r.version = v.into();
        let out = run(&mut a, &eid, &record::encode_record(&r));
        let Action::Send { record, .. } = &out[0] else {
            panic!()
        };
        assert_eq!(crosscheck(record).0.version, "1.4", "answer to {v}");
    }
}

#[test]
fn session_context_gets_disconnect_7106() {
    let (mut a, eid) = setup();
    let r = record::session_context(&eid, C1, 1, 1, 2, &msg::get("1", ["Device."], 0));
    let out = run(&mut a, &eid, &record::encode_record(&r));
    let [Action::Send { to, record, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(to, &reply_to());
    let (rec, _) = crosscheck(record);
    assert_eq!(
        (rec.to_id.as_str(), rec.from_id.as_str()),
        (C1, eid.as_str())
    );
    let Some(RecordType::Disconnect(d)) = rec.record_type else {
        panic!()
    };
    assert_eq!(d.reason_code, 7106);
    assert!(!d.reason.is_empty());
}

#[test]
fn malformed_msgs() {
    let (mut a, eid) = setup();
    // Header says Set, body is a Get: 7004 (R-ENC.3-5).
    let mut m = msg::get("bad-1", ["Device."], 0);
    m.header.as_mut().unwrap().msg_type = 4;
    let e = ask(&mut a, &eid, &m);
    assert_eq!(error(&e).err_code, 7004);
    // No body at all.
    let mut m = msg::get("bad-2", ["Device."], 0);
    m.body = None;
    assert_eq!(error(&ask(&mut a, &eid, &m)).err_code, 7004);
    // No msg_id, or a malformed response: nothing.
    let mut m = msg::get("", ["Device."], 0);
    assert!(run(&mut a, &eid, &record_from(C1, &eid, &m)).is_empty());
    m = msg::get_resp("r", vec![]);
    m.header.as_mut().unwrap().msg_type = 1;
    assert!(run(&mut a, &eid, &record_from(C1, &eid, &m)).is_empty());
    // Responses and Errors are not answered.
    for m in [
        msg::get_resp("r", vec![]),
        msg::error("e", 7000u32, "x", vec![]),
    ] {
        assert!(run(&mut a, &eid, &record_from(C1, &eid, &m)).is_empty());
    }
}

#[test]
fn other_messages() {
    let (mut a, eid) = setup();
    let m = ask(&mut a, &eid, &msg::get_supported_protocol("p", "1.3,1.4"));
    let RespType::GetSupportedProtocolResp(p) = resp(&m) else {
        panic!()
    };
    assert_eq!(p.agent_supported_protocol_versions, "1.0,1.1,1.2,1.3,1.4");

    for m in [
        msg::notify("n", "s", true, msg::notify::value_change("Device.X", "1")),
        msg::register("r", true, ["Device.X."]),
        msg::deregister("d", ["Device.X."]),
    ] {
        assert_eq!(error(&ask(&mut a, &eid, &m)).err_code, 7001);
    }

    let m = ask(
        &mut a,
        &eid,
        &msg::operate(
            "o",
            "Device.LocalAgent.Controller.*.SendOnBoardRequest()",
            "k",
            true,
            [("a", "b")],
        ),
    );
    let RespType::OperateResp(o) = resp(&m) else {
        panic!()
    };
    assert_eq!(o.operation_results.len(), 2);
    assert_eq!(
        o.operation_results[0].executed_command,
        "Device.LocalAgent.Controller.1.SendOnBoardRequest()"
    );
    // SendOnBoardRequest() runs (tests/notify.rs follows what it sends).
    for r in &o.operation_results {
        let Some(OperationResp::ReqOutputArgs(out)) = &r.operation_resp else {
            panic!("{r:?}")
        };
        assert!(out.output_args.is_empty());
    }
    assert_eq!(a.pending_notifications(&eid).len(), 2);
    let m = ask(
        &mut a,
        &eid,
        &msg::operate(
            "o2",
            "Device.LocalAgent.Controller.1.ScheduleTimer()",
            "k",
            true,
            [("DelaySeconds", "1")],
        ),
    );
    let RespType::OperateResp(o) = resp(&m) else {
        panic!()
    };
    let Some(OperationResp::CmdFailure(f)) = &o.operation_results[0].operation_resp else {
        panic!()
    };
    assert_eq!(f.err_code, 7022);
    // send_resp false: it runs (a new OnBoardRequest, persisted), unanswered.
    let quiet = run(
        &mut a,
        &eid,
        &record_from(
            C1,
            &eid,
            &msg::operate(
                "o",
                "Device.LocalAgent.Controller.1.SendOnBoardRequest()",
                "k",
                false,
                [("a", "b")],
            ),
        ),
    );
    assert!(
        quiet.iter().all(|x| matches!(x, Action::Persist { .. })),
        "{quiet:?}"
    );
    for (cmd, code) in [
        ("Device.Reboot()", 7026),
        ("Device.LocalAgent.Nope()", 7026),
        ("Device.LocalAgent.[x()", 7008),
    ] {
        assert_eq!(
            error(&ask(
                &mut a,
                &eid,
                &msg::operate("o", cmd, "", true, [("a", "b")])
            ))
            .err_code,
            code,
            "{cmd}"
        );
    }

    // A NotifyResp to nothing waiting is ignored (R-NOT.16).
    let out = run(
        &mut a,
        &eid,
        &record_from(C2, &eid, &msg::notify_resp("n-7", "sub-1")),
    );
    assert_eq!(out, []);
}

#[test]
fn connect_records_on_mtp_up() {
    let (mut a, eid) = setup();
    let up = LinkUp::Mqtt {
        version: MqttVersion::V5,
        subscribed_topic: format!("usp/agent/{eid}"),
    };
    let out = a.on_mtp_up(&eid, &up, t0());
    let mut seen = Vec::new();
    for x in &out {
        let Action::Send { agent, to, record } = x else {
            panic!()
        };
        assert_eq!(agent, &eid);
        let (rec, _) = crosscheck(record);
        let Some(RecordType::MqttConnect(c)) = rec.record_type else {
            panic!()
        };
        assert_eq!(
            (c.version, c.subscribed_topic.as_str()),
            (RecMqtt::V5 as i32, format!("usp/agent/{eid}").as_str())
        );
        seen.push((rec.to_id, to.clone()));
    }
    assert_eq!(
        seen,
        [
            (
                C1.to_owned(),
                ReplyTo::Mqtt {
                    topic: "usp/controller/1".into()
                }
            ),
            (
                C2.to_owned(),
                ReplyTo::Mqtt {
                    topic: "usp/controller/2".into()
                }
            )
        ]
    );
    let out = a.on_mtp_up(
        &eid,
        &LinkUp::Stomp {
            subscribed_destination: "/queue/a".into(),
        },
        t0(),
    );
    let [Action::Send { to, record, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(
        to,
        &ReplyTo::Stomp {
            destination: "/queue/controller-2".into()
        }
    );
    assert!(matches!(
        crosscheck(record).0.record_type,
        Some(RecordType::StompConnect(_))
    ));
    let out = a.on_mtp_up(
        &eid,
        &LinkUp::WebSocket {
            link: 9,
            peer: Some(C1.into()),
        },
        t0(),
    );
    let [Action::Send { to, record, .. }] = out.as_slice() else {
        panic!()
    };
    assert_eq!(to, &ReplyTo::WebSocket { link: 9 });
    let (rec, _) = crosscheck(record);
    assert_eq!(rec.to_id, C1);
    assert!(matches!(
        rec.record_type,
        Some(RecordType::WebsocketConnect(_))
    ));
    assert!(a
        .on_mtp_up(
            &eid,
            &LinkUp::WebSocket {
                link: 9,
                peer: None
            },
            t0()
        )
        .is_empty());

    // A controller that disables its MQTT MTP gets no MQTTConnect.
    ask(
        &mut a,
        &eid,
        &msg::set(
            "s",
            false,
            vec![msg::set_obj(
                "Device.LocalAgent.Controller.2.MTP.2.",
                [("Enable", "false", true)],
            )],
        ),
    );
    assert_eq!(a.on_mtp_up(&eid, &up, t0()).len(), 1);
}

#[test]
fn agents_are_keyed_by_endpoint_id() {
    let mut a = Agents::new(Arc::new(config())).unwrap();
    let e1 = a.add("00D09E", "IGD", "SN 1", IdScheme::Os, t0()).unwrap();
    assert_eq!(e1, "os::00D09E-SN%201");
    assert_eq!(
        a.add("00D09E", "IGD", "SN 1", IdScheme::Os, t0()).unwrap(),
        e1
    );
    let e2 = a.add("00D09E", "IGD", "SN 1", IdScheme::Ops, t0()).unwrap();
    assert_eq!(e2, "ops::00D09E-IGD-SN%201");
    assert_eq!(a.len(), 2);
    assert!(a.add("", "", "x", IdScheme::Os, t0()).is_err());
    assert!(a.remove(&e1) && !a.contains(&e1));
}

fn gsdm(paths: &[&str], first: bool) -> Msg {
    let mut m = msg::get_supported_dm("d", paths.iter().copied(), first);
    if let Some(usp::proto::usp::request::ReqType::GetSupportedDm(g)) =
        m.body.as_mut().and_then(|b| match b.msg_body.as_mut()? {
            usp::proto::usp::body::MsgBody::Request(r) => r.req_type.as_mut(),
            _ => None,
        })
    {
        g.return_commands = true;
        g.return_events = true;
        g.return_params = true;
        g.return_unique_key_sets = true;
    }
    m
}

#[test]
fn get_supported_dm() {
    let (mut a, eid) = setup();
    let m = ask(
        &mut a,
        &eid,
        &gsdm(
            &[
                "Device.LocalAgent.Controller.{i}.",
                "Device.LocalAgent.Subscription.3.",
                "Device.LocalAgent.",
                "Device.LocalAgent.UpTime",
                "Device.DeviceInfo.",
                "Device.LocalAgent.[x",
            ],
            false,
        ),
    );
    let RespType::GetSupportedDmResp(r) = resp(&m) else {
        panic!()
    };
    let r = &r.req_obj_results;
    assert_eq!(
        r[0].data_model_inst_uri,
        "urn:broadband-forum-org:tr-181-2-16-0-usp"
    );
    let ctrl = &r[0].supported_objs[0];
    assert_eq!(ctrl.supported_obj_path, "Device.LocalAgent.Controller.{i}.");
    assert!(ctrl.is_multi_instance);
    assert_eq!(ctrl.access, ObjAccessType::ObjAddDelete as i32);
    let names: Vec<Vec<String>> = ctrl
        .unique_key_sets
        .iter()
        .map(|k| k.key_names.clone())
        .collect();
    assert_eq!(
        names,
        [vec!["EndpointID".to_owned()], vec!["Alias".to_owned()]]
    );
    let cmd = ctrl
        .supported_commands
        .iter()
        .find(|c| c.command_name == "ScheduleTimer()")
        .unwrap();
    assert_eq!(
        (cmd.command_type, cmd.input_arg_names.clone()),
        (CmdType::CmdSync as i32, vec!["DelaySeconds".to_owned()])
    );
    assert_eq!(ctrl.supported_events[0].event_name, "Timer!");
    let eid_param = ctrl
        .supported_params
        .iter()
        .find(|p| p.param_name == "EndpointID")
        .unwrap();
    assert_eq!(
        (eid_param.access, eid_param.value_type),
        (
            ParamAccessType::ParamReadWrite as i32,
            ParamValueType::ParamString as i32
        )
    );
    assert!(r[0]
        .supported_objs
        .iter()
        .any(|o| o.supported_obj_path == "Device.LocalAgent.Controller.{i}.MTP.{i}.MQTT."));
    // Instantiated path: same object, {i} form.
    assert_eq!(
        r[1].supported_objs[0].supported_obj_path,
        "Device.LocalAgent.Subscription.{i}."
    );
    let up = r[1].supported_objs[0]
        .supported_params
        .iter()
        .find(|p| p.param_name == "CreationDate")
        .unwrap();
    assert_eq!(
        (up.access, up.value_type),
        (
            ParamAccessType::ParamReadOnly as i32,
            ParamValueType::ParamDateTime as i32
        )
    );
    // Left-out parts of the model are not advertised.
    assert!(!r[2]
        .supported_objs
        .iter()
        .any(|o| o.supported_obj_path.contains("ControllerTrust")));
    // A single parameter (USP 1.4).
    assert_eq!(r[3].supported_objs.len(), 1);
    assert_eq!(
        r[3].supported_objs[0].supported_obj_path,
        "Device.LocalAgent."
    );
    assert_eq!(r[3].supported_objs[0].supported_params.len(), 1);
    assert_eq!((r[4].err_code, r[5].err_code), (7026, 7008));

    let m = ask(&mut a, &eid, &gsdm(&["Device.LocalAgent."], true));
    let RespType::GetSupportedDmResp(r) = resp(&m) else {
        panic!()
    };
    let objs: Vec<&str> = r.req_obj_results[0]
        .supported_objs
        .iter()
        .map(|o| o.supported_obj_path.as_str())
        .collect();
    assert_eq!(
        objs,
        [
            "Device.LocalAgent.",
            "Device.LocalAgent.MTP.{i}.",
            "Device.LocalAgent.Controller.{i}.",
            "Device.LocalAgent.Subscription.{i}.",
            "Device.LocalAgent.Request.{i}."
        ]
    );
    assert!(r.req_obj_results[0].supported_objs[1]
        .supported_params
        .is_empty());
}

#[test]
fn an_endpoint_id_is_never_presented_for_two_devices() {
    let mut a = agent::Agents::new(std::sync::Arc::new(config())).unwrap();
    let first = a
        .add("00D09E", "HGW", "SN1", agent::IdScheme::Os, t0())
        .unwrap();
    assert_eq!(
        a.add("00D09E", "HGW", "SN1", agent::IdScheme::Os, t0()),
        Ok(first.clone()),
        "the same device again is the same agent"
    );
    // Same OUI and serial, another product: os:: cannot tell them apart.
    let err = a
        .add("00D09E", "ONT", "SN1", agent::IdScheme::Os, t0())
        .unwrap_err();
    assert!(
        matches!(&err, agent::AddError::Taken { eid, owner } if *eid == first && owner == "00D09E/HGW/SN1"),
        "{err}"
    );
    assert_eq!(a.identity(&first), Some(("00D09E", "HGW", "SN1")));
    let ops = a
        .add("00D09E", "ONT", "SN1", agent::IdScheme::Ops, t0())
        .unwrap();
    assert_eq!(ops, "ops::00D09E-ONT-SN1");
}

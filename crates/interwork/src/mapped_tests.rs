//! A TR-098 CPE (the simulator's home gateway, in process) read and
//! written through the core mapping pack, as a USP controller sees it.

use std::sync::Arc;

use agent::dm::Answer;
use cwmp::Body;
use sim::{DataModel, Profile};
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::{GetInstances, GetSupportedDm};

use crate::model::DeviceModel;
use crate::plan::tests::{answer, get, param, results};
use crate::plan::{Config, Plan, Step};

const WLAN: &str = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.";
const WAN: &str = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.";

fn gateway() -> DataModel {
    DataModel::new(Profile::from_model_arg("tr098").unwrap().into_shared())
}

/// Runs a plan; the answer, the RPCs per round, and the model it ends with.
fn run(
    req: ReqType,
    model: Option<Arc<DeviceModel>>,
    cpe: &mut DataModel,
) -> (Answer, Vec<Vec<Body<'static>>>, Arc<DeviceModel>) {
    let mut plan = Plan::new(req, "msg-1", model, Config::default());
    let mut rounds = Vec::new();
    loop {
        match plan.poll() {
            Step::Done(a) => return (a, rounds, plan.model().unwrap().clone()),
            Step::Send(rpcs) => {
                let outcomes = rpcs.iter().map(|b| answer(cpe, b)).collect();
                rounds.push(rpcs);
                plan.feed(outcomes);
                assert!(rounds.len() < 20, "plan does not end");
            }
        }
    }
}

pub(crate) fn discovered(cpe: &mut DataModel) -> Arc<DeviceModel> {
    run(get(&["Device.DeviceInfo.SerialNumber"], 0), None, cpe).2
}

#[test]
fn wifi_reads_as_tr181_from_the_wlan_configurations() {
    let mut cpe = gateway();
    let model = discovered(&mut cpe);
    assert!(model.mapping().is_some());
    let (a, rounds, _) = run(
        get(
            &[
                "Device.WiFi.SSID.2.SSID",
                "Device.WiFi.AccessPoint.1.Security.",
                "Device.WiFi.Radio.1.Channel",
            ],
            0,
        ),
        Some(model),
        &mut cpe,
    );
    let r = results(a);
    let ssid = cpe.value(&format!("{WLAN}2.SSID")).unwrap().to_owned();
    assert_eq!(
        param(&r[0], "Device.WiFi.SSID.2.", "SSID"),
        Some(ssid.as_str())
    );
    let beacon = cpe
        .value(&format!("{WLAN}1.BeaconType"))
        .unwrap()
        .to_owned();
    let mode = param(&r[1], "Device.WiFi.AccessPoint.1.Security.", "ModeEnabled").unwrap();
    assert_ne!(mode, beacon.as_str(), "BeaconType {beacon} is renamed");
    let channel = cpe.value(&format!("{WLAN}1.Channel")).unwrap().to_owned();
    assert_eq!(
        param(&r[2], "Device.WiFi.Radio.1.", "Channel"),
        Some(channel.as_str())
    );
    // Only TR-098 names reach the CPE.
    for rpc in rounds.iter().flatten() {
        let names: Vec<String> = match rpc {
            Body::GetParameterValues(g) => {
                g.parameter_names.iter().map(|n| n.to_string()).collect()
            }
            Body::GetParameterNames(g) => vec![g.parameter_path.to_string()],
            other => panic!("{other:?}"),
        };
        assert!(
            names
                .iter()
                .all(|n| n.starts_with("InternetGatewayDevice.")),
            "{names:?}"
        );
    }
}

#[test]
fn a_set_lands_on_the_tr098_parameter() {
    let mut cpe = gateway();
    let model = discovered(&mut cpe);
    let set = ReqType::Set(usp::proto::usp::Set {
        allow_partial: false,
        update_objs: vec![
            usp::msg::set_obj("Device.WiFi.SSID.1.", [("SSID", "Mapped-Home", true)]),
            usp::msg::set_obj(
                "Device.WiFi.AccessPoint.1.Security.",
                [("ModeEnabled", "WPA2-Personal", true)],
            ),
        ],
    });
    let (a, _, _) = run(set, Some(model), &mut cpe);
    assert!(matches!(a, Answer::Resp(RespType::SetResp(_))), "{a:?}");
    assert_eq!(cpe.value(&format!("{WLAN}1.SSID")), Some("Mapped-Home"));
    assert_eq!(cpe.value(&format!("{WLAN}1.BeaconType")), Some("11i"));
}

#[test]
fn port_mappings_are_added_and_deleted_on_the_wan_connection() {
    let mut cpe = gateway();
    let model = discovered(&mut cpe);
    let add = ReqType::Add(usp::proto::usp::Add {
        allow_partial: false,
        create_objs: vec![usp::msg::add_obj(
            "Device.NAT.PortMapping.",
            [("ExternalPort", "18443", true), ("Protocol", "TCP", true)],
        )],
    });
    let (a, _, model) = run(add, Some(model), &mut cpe);
    let Answer::Resp(RespType::AddResp(r)) = &a else {
        panic!("{a:?}")
    };
    let created = format!("{:?}", r.created_obj_results[0]);
    assert!(created.contains("Device.NAT.PortMapping.3."), "{created}");
    let table = format!("{WAN}WANIPConnection.1.PortMapping.");
    let added = cpe
        .under(&table)
        .filter(|e| e.name.ends_with(".ExternalPort") && cpe.value(e.name) == Some("18443"))
        .count();
    assert_eq!(added, 1);

    let (a, _, _) = run(
        ReqType::Delete(usp::proto::usp::Delete {
            allow_partial: false,
            obj_paths: vec!["Device.NAT.PortMapping.3.".into()],
        }),
        Some(model),
        &mut cpe,
    );
    assert!(matches!(a, Answer::Resp(RespType::DeleteResp(_))), "{a:?}");
    let left = cpe
        .under(&table)
        .filter(|e| cpe.value(e.name) == Some("18443"))
        .count();
    assert_eq!(left, 0);
}

#[test]
fn instances_references_and_the_extension_subtree() {
    let mut cpe = gateway();
    let model = discovered(&mut cpe);
    let gi = ReqType::GetInstances(GetInstances {
        obj_paths: vec!["Device.IP.Interface.".into()],
        first_level_only: true,
    });
    let (a, _, model) = run(gi, Some(model), &mut cpe);
    let Answer::Resp(RespType::GetInstancesResp(r)) = a else {
        panic!()
    };
    let n = r.req_path_results[0].curr_insts.len();
    assert_eq!(n, 3, "two WAN connections and a LAN interface: {r:?}");
    let (a, _, model) = run(
        get(
            &[
                "Device.IP.Interface.*.LowerLayers",
                "Device.DNS.Client.Server.*.DNSServer",
            ],
            0,
        ),
        Some(model),
        &mut cpe,
    );
    let r = results(a);
    let stacked: Vec<&str> = r[0]
        .resolved_path_results
        .iter()
        .filter_map(|o| o.result_params.get("LowerLayers").map(String::as_str))
        .collect();
    assert!(
        stacked
            .iter()
            .any(|l| l.starts_with("Device.PPP.Interface.")),
        "{stacked:?}"
    );
    assert!(
        !r[1].resolved_path_results.is_empty(),
        "DNS servers from DNSServers"
    );
    let ext = "Device.X_TR098.DeviceInfo.SpecVersion";
    let (a, _, model) = run(get(&[ext], 0), Some(model), &mut cpe);
    let r = results(a);
    let spec = cpe
        .value("InternetGatewayDevice.DeviceInfo.SpecVersion")
        .unwrap()
        .to_owned();
    assert_eq!(
        param(&r[0], "Device.X_TR098.DeviceInfo.", "SpecVersion"),
        Some(spec.as_str())
    );
    // GetSupportedDM reports the extension subtree as well.
    let gsdm = ReqType::GetSupportedDm(GetSupportedDm {
        obj_paths: vec!["Device.X_TR098.".into()],
        first_level_only: false,
        return_commands: false,
        return_events: false,
        return_params: true,
        return_unique_key_sets: false,
    });
    let (a, _, _) = run(gsdm, Some(model), &mut cpe);
    let text = format!("{a:?}");
    assert!(text.contains("SpecVersion"), "{text}");
}

#[test]
fn firmware_download_and_ipping_run_on_a_tr098_cpe() {
    use usp::proto::usp::operate_resp::operation_result::OperationResp;
    let mut cpe = gateway();
    let model = discovered(&mut cpe);
    let op = |command: &str, inputs: &[(&str, &str)]| {
        ReqType::Operate(usp::proto::usp::Operate {
            command: command.into(),
            command_key: "k1".into(),
            send_resp: true,
            input_args: inputs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        })
    };
    let dl = op(
        "Device.DeviceInfo.FirmwareImage.1.Download()",
        &[("URL", "http://fw.example/img"), ("AutoActivate", "true")],
    );
    let (a, rounds, model) = run(dl, Some(model), &mut cpe);
    let Answer::Resp(RespType::OperateResp(r)) = &a else {
        panic!("{a:?}")
    };
    assert!(
        matches!(
            r.operation_results[0].operation_resp,
            Some(OperationResp::ReqObjPath(_))
        ),
        "{a:?}"
    );
    let Body::Download(d) = &rounds[0][0] else {
        panic!("{rounds:?}")
    };
    assert_eq!(d.file_type, "1 Firmware Upgrade Image");

    let ping = op("Device.IP.Diagnostics.IPPing()", &[("Host", "192.0.2.9")]);
    let (a, _, _) = run(ping, Some(model), &mut cpe);
    assert!(matches!(a, Answer::Resp(RespType::OperateResp(_))), "{a:?}");
    assert_eq!(
        cpe.value("InternetGatewayDevice.IPPingDiagnostics.Host"),
        Some("192.0.2.9")
    );
    assert_eq!(
        cpe.value("InternetGatewayDevice.IPPingDiagnostics.DiagnosticsState"),
        Some("Requested")
    );
}

/// A listing that finds what the view already has changes nothing: the
/// model stays (rebuilding it costs milliseconds per request).
#[test]
fn an_unchanged_listing_keeps_the_model() {
    let mut cpe = gateway();
    let model = discovered(&mut cpe);
    let names = ["Device.WiFi.SSID.1.BSSID", "Device.WiFi.Radio.2.Channel"];
    let (_, rounds, after) = run(get(&names, 0), Some(model.clone()), &mut cpe);
    let listed = rounds
        .iter()
        .flatten()
        .any(|b| matches!(b, Body::GetParameterNames(_)));
    assert!(listed, "the plan lists the tables: {rounds:?}");
    // Instances only: the WLAN table's next level, not its every name.
    for b in rounds.iter().flatten() {
        if let Body::GetParameterNames(g) = b {
            assert_eq!(
                (g.parameter_path.as_ref(), g.next_level),
                (WLAN, true),
                "{rounds:?}"
            );
        }
    }
    assert!(Arc::ptr_eq(&model, &after), "the model was rebuilt");
}

/// An instance the CPE gained by itself (another ACS, the CPE's own UI)
/// shows at the next listing, under a new TR-181 number.
#[test]
fn an_instance_added_on_the_cpe_shows_at_the_next_listing() {
    let mut cpe = gateway();
    let model = discovered(&mut cpe);
    let add = cwmp::AddObject {
        object_name: format!("{WAN}WANIPConnection.1.PortMapping.").into(),
        parameter_key: "".into(),
    };
    let made = sim::rpc::add_object(
        &mut cpe,
        &add,
        "InternetGatewayDevice.ManagementServer.ParameterKey",
    );
    assert!(matches!(made, Body::AddObjectResponse(_)), "{made:?}");
    let gi = ReqType::GetInstances(GetInstances {
        obj_paths: vec!["Device.NAT.PortMapping.".into()],
        first_level_only: true,
    });
    let (a, _, after) = run(gi, Some(model.clone()), &mut cpe);
    let Answer::Resp(RespType::GetInstancesResp(r)) = a else {
        panic!()
    };
    let paths: Vec<&str> = r.req_path_results[0]
        .curr_insts
        .iter()
        .map(|i| i.instantiated_obj_path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "Device.NAT.PortMapping.1.",
            "Device.NAT.PortMapping.2.",
            "Device.NAT.PortMapping.3."
        ]
    );
    assert!(
        !Arc::ptr_eq(&model, &after),
        "the new instance changed the model"
    );
}

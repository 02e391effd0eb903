use std::sync::Arc;

use cwmp::Body;
use sim::{DataModel, Profile};
use usp::proto::usp::get_resp::RequestedPathResult;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::{Get, GetInstances, GetSupportedDm};

use super::*;

pub(crate) fn cpe() -> DataModel {
    let profile = Profile::from_model_arg("tr181").unwrap().into_shared();
    DataModel::new(profile)
}

/// Runs `plan` against the simulator's model; returns the answer and the
/// RPCs sent, one Vec per round.
pub(crate) fn run(mut plan: Plan, cpe: &mut DataModel) -> (Answer, Vec<Vec<Body<'static>>>) {
    let mut rounds = Vec::new();
    loop {
        match plan.poll() {
            Step::Done(a) => return (a, rounds),
            Step::Send(rpcs) => {
                let outcomes = rpcs.iter().map(|b| answer(cpe, b)).collect();
                rounds.push(rpcs);
                plan.feed(outcomes);
                assert!(rounds.len() < 20, "plan does not end");
            }
        }
    }
}

pub(crate) fn answer(cpe: &mut DataModel, rpc: &Body<'_>) -> Outcome {
    const KEY: &str = "Device.ManagementServer.ParameterKey";
    let b = match rpc {
        Body::GetParameterValues(r) => sim::rpc::get_parameter_values(cpe, r),
        Body::GetParameterNames(r) => sim::rpc::get_parameter_names(cpe, r),
        Body::SetParameterValues(r) => sim::rpc::set_parameter_values(cpe, r, KEY).0,
        Body::AddObject(r) => sim::rpc::add_object(cpe, r, KEY),
        Body::DeleteObject(r) => sim::rpc::delete_object(cpe, r, KEY),
        Body::Reboot(_) => Body::RebootResponse,
        Body::FactoryReset => Body::FactoryResetResponse,
        Body::Download(_) => Body::DownloadResponse(cwmp::TransferResponse {
            status: 1,
            ..Default::default()
        }),
        Body::Upload(_) => Body::UploadResponse(cwmp::TransferResponse {
            status: 1,
            ..Default::default()
        }),
        other => panic!("unexpected {other:?}"),
    };
    match b {
        Body::Fault(f) => Outcome::Fault {
            code: f.fault_code().unwrap_or(0),
            string: String::new(),
            params: f
                .detail
                .map(|d| {
                    d.set_parameter_values_fault
                        .iter()
                        .map(|p| ParamFault {
                            name: p.parameter_name.to_string(),
                            code: p.fault_code,
                            string: p.fault_string.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        },
        b => Outcome::Response(b),
    }
}

impl Plan {
    pub(crate) fn new_test(req: ReqType, model: Option<Arc<DeviceModel>>, config: Config) -> Plan {
        Plan::new(req, "msg-1", model, config)
    }
}

pub(crate) fn model(cpe: &mut DataModel) -> Arc<DeviceModel> {
    let discover = Plan::new_test(
        get(&["Device.DeviceInfo.SerialNumber"], 0),
        None,
        Config::default(),
    );
    let mut p = discover;
    let Step::Send(rpcs) = p.poll() else { panic!() };
    p.feed(rpcs.iter().map(|b| answer(cpe, b)).collect());
    p.model().unwrap().clone()
}

pub(crate) fn get(paths: &[&str], max_depth: u32) -> ReqType {
    ReqType::Get(Get {
        param_paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        max_depth,
    })
}

pub(crate) fn results(a: Answer) -> Vec<RequestedPathResult> {
    match a {
        Answer::Resp(RespType::GetResp(r)) => r.req_path_results,
        other => panic!("not a GetResp: {other:?}"),
    }
}

pub(crate) fn param<'a>(r: &'a RequestedPathResult, obj: &str, name: &str) -> Option<&'a str> {
    r.resolved_path_results
        .iter()
        .find(|x| x.resolved_path == obj)
        .and_then(|x| x.result_params.get(name))
        .map(String::as_str)
}

#[test]
fn first_get_reads_the_model_then_the_value() {
    let mut cpe = cpe();
    let plan = Plan::new_test(
        get(&["Device.DeviceInfo.SerialNumber"], 0),
        None,
        Config::default(),
    );
    let (a, rounds) = run(plan, &mut cpe);
    assert_eq!(rounds.len(), 2, "{rounds:?}");
    assert!(
        matches!(&rounds[0][0], Body::GetParameterNames(n) if n.parameter_path == "Device." && !n.next_level)
    );
    let r = results(a);
    assert_eq!(r[0].err_code, 0);
    assert_eq!(
        param(&r[0], "Device.DeviceInfo.", "SerialNumber"),
        cpe.value("Device.DeviceInfo.SerialNumber")
    );
}

#[test]
fn an_object_get_is_one_partial_path_read() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let plan = Plan::new_test(get(&["Device.DeviceInfo."], 0), Some(m), Config::default());
    let (a, rounds) = run(plan, &mut cpe);
    assert_eq!(rounds.len(), 1, "{rounds:?}");
    let r = results(a);
    assert_eq!(
        param(&r[0], "Device.DeviceInfo.", "ModelName"),
        Some("HGW-4200")
    );
    // Sub-objects come as their own resolved paths.
    assert!(r[0].resolved_path_results.len() > 1);
}

#[test]
fn wildcards_list_instances_then_read_them() {
    let mut cpe = cpe();
    let plan = Plan::new_test(
        get(&["Device.WiFi.SSID.*.SSID"], 0),
        Some(model(&mut cpe)),
        Config::default(),
    );
    let (a, rounds) = run(plan, &mut cpe);
    assert_eq!(rounds.len(), 2, "{rounds:?}");
    assert!(
        matches!(&rounds[0][0], Body::GetParameterNames(n) if n.parameter_path == "Device.WiFi.SSID." && n.next_level)
    );
    let r = results(a);
    assert_eq!(
        param(&r[0], "Device.WiFi.SSID.1.", "SSID"),
        Some("HomeNet-2G")
    );
    assert_eq!(
        param(&r[0], "Device.WiFi.SSID.2.", "SSID"),
        Some("HomeNet-5G")
    );
}

#[test]
fn a_search_reads_keys_then_targets() {
    let mut cpe = cpe();
    assert!(cpe.set("Device.WiFi.SSID.2.Enable", "false"));
    let req = get(&["Device.WiFi.SSID.[Enable==true].SSID"], 0);
    let (a, rounds) = run(
        Plan::new_test(req, Some(model(&mut cpe)), Config::default()),
        &mut cpe,
    );
    let r = results(a);
    assert_eq!(r[0].err_code, 0, "{r:?}");
    assert_eq!(
        param(&r[0], "Device.WiFi.SSID.1.", "SSID"),
        Some("HomeNet-2G")
    );
    assert_eq!(r[0].resolved_path_results.len(), 1, "{r:?}");
    // Instances, then Enable of each, then the SSID of the match.
    assert_eq!(rounds.len(), 3, "{rounds:?}");
}

#[test]
fn paths_outside_the_device_model_are_7026_without_rpcs() {
    let mut cpe = cpe();
    let req = get(&["Device.NoSuchThing.X", "Device.DeviceInfo.ModelName"], 0);
    let (a, rounds) = run(
        Plan::new_test(req, Some(model(&mut cpe)), Config::default()),
        &mut cpe,
    );
    let r = results(a);
    assert_eq!(r[0].err_code, 7026);
    // Only the name the device has is asked for: no fault, no halving.
    assert_eq!(rounds.len(), 1, "{rounds:?}");
    assert_eq!(
        param(&r[1], "Device.DeviceInfo.", "ModelName"),
        Some("HGW-4200")
    );
}

#[test]
fn a_bad_name_in_a_batch_is_found_by_halving() {
    let mut cpe = cpe();
    // The model says the parameter exists; the CPE then denies it.
    let mut names: Vec<(String, bool)> = cpe
        .under("Device.")
        .map(|e| (e.name.to_owned(), e.writable))
        .collect();
    names.push(("Device.DeviceInfo.FriendlyName".into(), true));
    let m = Arc::new(DeviceModel::from_names(names.iter().map(|(n, w)| (n.as_str(), *w))).unwrap());
    let req = get(
        &[
            "Device.DeviceInfo.ModelName",
            "Device.DeviceInfo.FriendlyName",
            "Device.DeviceInfo.SerialNumber",
        ],
        0,
    );
    let (a, rounds) = run(Plan::new_test(req, Some(m), Config::default()), &mut cpe);
    assert!(rounds.len() >= 2);
    let r = results(a);
    assert_eq!(
        param(&r[0], "Device.DeviceInfo.", "ModelName"),
        Some("HGW-4200")
    );
    assert!(
        r[1].resolved_path_results
            .iter()
            .all(|x| x.result_params.is_empty()),
        "{r:?}"
    );
    assert!(param(&r[2], "Device.DeviceInfo.", "SerialNumber").is_some());
}

#[test]
fn no_answer_from_the_cpe_is_an_error() {
    let mut plan = Plan::new_test(get(&["Device.DeviceInfo."], 0), None, Config::default());
    let Step::Send(rpcs) = plan.poll() else {
        panic!()
    };
    assert_eq!(rpcs.len(), 1);
    plan.feed(vec![Outcome::Failed {
        code: crate::fault::vendor::UNREACHABLE,
        msg: "offline".into(),
    }]);
    match plan.poll() {
        Step::Done(Answer::Error(e)) => assert_eq!(e.err_code, 7800),
        other => panic!("{other:?}"),
    }
}

#[test]
fn other_faults_end_the_request_with_their_usp_code() {
    let mut cpe = cpe();
    let mut plan = Plan::new_test(
        get(&["Device.DeviceInfo."], 0),
        Some(model(&mut cpe)),
        Config::default(),
    );
    let Step::Send(_) = plan.poll() else { panic!() };
    plan.feed(vec![Outcome::Fault {
        code: 9002,
        string: "busy".into(),
        params: vec![],
    }]);
    match plan.poll() {
        Step::Done(Answer::Error(e)) => {
            assert_eq!(e.err_code, 7003);
            assert!(e.err_msg.contains("9002") && e.err_msg.contains("busy"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn get_instances_and_supported_dm() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let req = ReqType::GetInstances(GetInstances {
        obj_paths: vec!["Device.WiFi.SSID.".into()],
        first_level_only: true,
    });
    let (a, _) = run(
        Plan::new_test(req, Some(m.clone()), Config::default()),
        &mut cpe,
    );
    let Answer::Resp(RespType::GetInstancesResp(r)) = a else {
        panic!("{a:?}")
    };
    let inst: Vec<_> = r.req_path_results[0]
        .curr_insts
        .iter()
        .map(|i| i.instantiated_obj_path.as_str())
        .collect();
    assert_eq!(inst, ["Device.WiFi.SSID.1.", "Device.WiFi.SSID.2."]);

    let req = ReqType::GetSupportedDm(GetSupportedDm {
        obj_paths: vec!["Device.WiFi.SSID.{i}.".into()],
        first_level_only: true,
        return_commands: true,
        return_events: true,
        return_params: true,
        return_unique_key_sets: true,
    });
    let (a, rounds) = run(Plan::new_test(req, Some(m), Config::default()), &mut cpe);
    assert!(rounds.is_empty());
    let Answer::Resp(RespType::GetSupportedDmResp(r)) = a else {
        panic!("{a:?}")
    };
    let obj = &r.req_obj_results[0].supported_objs[0];
    let ssid = obj
        .supported_params
        .iter()
        .find(|p| p.param_name == "SSID")
        .unwrap();
    // Type from the TR-181 facts, writability from the CPE.
    assert_eq!(
        ssid.value_type,
        usp::proto::usp::get_supported_dm_resp::ParamValueType::ParamString as i32
    );
    assert_eq!(
        ssid.access,
        usp::proto::usp::get_supported_dm_resp::ParamAccessType::ParamReadWrite as i32
    );
}

#[test]
fn booleans_read_as_usp_writes_them() {
    let mut cpe = cpe();
    assert!(cpe.set_untracked("Device.WiFi.SSID.1.Enable", "1"));
    let req = get(&["Device.WiFi.SSID.1.Enable"], 0);
    let (a, _) = run(
        Plan::new_test(req, Some(model(&mut cpe)), Config::default()),
        &mut cpe,
    );
    assert_eq!(
        param(&results(a)[0], "Device.WiFi.SSID.1.", "Enable"),
        Some("true")
    );
}

#[test]
fn remembered_values_answer_a_get_without_the_cpe() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let remembered = || {
        vec![(
            "Device.DeviceInfo.ModelName".to_owned(),
            "Cached-1".to_owned(),
            cwmp::ValueType::String,
        )]
    };
    let mut plan = Plan::new_test(
        get(&["Device.DeviceInfo.ModelName"], 0),
        Some(m.clone()),
        Config::default(),
    );
    plan.remember(remembered());
    let (a, rounds) = run(plan, &mut cpe);
    assert!(rounds.is_empty(), "{rounds:?}");
    assert_eq!(
        param(&results(a)[0], "Device.DeviceInfo.", "ModelName"),
        Some("Cached-1")
    );

    // What a plan reads is handed back for the next ones; remembered
    // values are not.
    let mut plan = Plan::new_test(
        get(
            &[
                "Device.DeviceInfo.ModelName",
                "Device.DeviceInfo.SerialNumber",
            ],
            0,
        ),
        Some(m),
        Config::default(),
    );
    plan.remember(remembered());
    loop {
        match plan.poll() {
            Step::Done(_) => break,
            Step::Send(rpcs) => {
                let outcomes = rpcs.iter().map(|b| answer(&mut cpe, b)).collect();
                plan.feed(outcomes);
            }
        }
    }
    let read: Vec<_> = plan.read_values().map(|(p, _, _)| p.to_owned()).collect();
    assert_eq!(read, ["Device.DeviceInfo.SerialNumber"]);
}

//! Set, Add, Delete and Operate against the simulator's TR-181 model.

use std::sync::Arc;

use cwmp::Body;
use sim::DataModel;
use usp::msg;
use usp::proto::usp::add_resp::created_object_result::operation_status::OperStatus as AddStatus;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::set_resp::updated_object_result::operation_status::OperStatus as SetStatus;

use super::tests::{cpe, model, run};
use super::*;

fn req(m: usp::Msg) -> ReqType {
    m.request().unwrap().clone()
}

fn plan(m: usp::Msg, model: Arc<DeviceModel>) -> Plan {
    Plan::new(req(m), "ctl-42", Some(model), Config::default())
}

/// The CPE's model, except that it claims PortMapping Status writable:
/// the CPE itself then refuses it (9008), as real CPE do with parameters
/// their GetParameterNames misreports.
fn lying_model(cpe: &DataModel) -> Arc<DeviceModel> {
    let names: Vec<(String, bool)> = cpe
        .under("Device.")
        .map(|e| (e.name.to_owned(), e.writable || e.name.ends_with(".Status")))
        .collect();
    Arc::new(DeviceModel::from_names(names.iter().map(|(n, w)| (n.as_str(), *w))).unwrap())
}

const PM1: &str = "Device.NAT.PortMapping.1.";
const PM2: &str = "Device.NAT.PortMapping.2.";

#[test]
fn an_atomic_set_is_one_spv_with_the_request_as_parameter_key() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let set = msg::set(
        "s1",
        false,
        vec![msg::set_obj(
            "Device.WiFi.SSID.1.",
            [("SSID", "New-2G", true)],
        )],
    );
    let (a, rounds) = run(plan(set, m), &mut cpe);
    assert!(matches!(a, Answer::Resp(RespType::SetResp(_))), "{a:?}");
    let spvs: Vec<_> = rounds
        .iter()
        .flatten()
        .filter(|b| matches!(b, Body::SetParameterValues(_)))
        .collect();
    assert_eq!(spvs.len(), 1);
    assert_eq!(cpe.value("Device.WiFi.SSID.1.SSID"), Some("New-2G"));
    assert_eq!(
        cpe.value("Device.ManagementServer.ParameterKey"),
        Some("ctl-42")
    );
    // Types come from TR-181 (or from what the CPE reported), never all
    // strings: a boolean goes as xsd:boolean.
    let set = msg::set(
        "s2",
        false,
        vec![msg::set_obj(
            "Device.WiFi.SSID.1.",
            [("Enable", "false", true)],
        )],
    );
    let (_, rounds) = run(plan(set, model(&mut cpe)), &mut cpe);
    let Some(Body::SetParameterValues(spv)) = rounds
        .iter()
        .flatten()
        .find(|b| matches!(b, Body::SetParameterValues(_)))
    else {
        panic!("{rounds:?}")
    };
    assert_eq!(spv.parameter_list[0].value.ty, cwmp::ValueType::Boolean);
}

#[test]
fn a_refused_non_required_parameter_is_dropped_and_reported() {
    let mut cpe = cpe();
    let m = lying_model(&cpe);
    let set = msg::set(
        "s1",
        false,
        vec![msg::set_obj(
            PM1,
            [
                ("Status", "Disabled", false),
                ("Description", "changed", true),
            ],
        )],
    );
    let (a, _) = run(plan(set, m), &mut cpe);
    let Answer::Resp(RespType::SetResp(r)) = a else {
        panic!("{a:?}")
    };
    let Some(SetStatus::OperSuccess(ok)) = &r.updated_obj_results[0]
        .oper_status
        .as_ref()
        .unwrap()
        .oper_status
    else {
        panic!("{r:?}")
    };
    let errs = &ok.updated_inst_results[0].param_errs;
    assert_eq!(
        (errs[0].param.as_str(), errs[0].err_code),
        ("Status", 7013),
        "{errs:?}"
    );
    assert_eq!(
        cpe.value("Device.NAT.PortMapping.1.Description"),
        Some("changed")
    );
}

#[test]
fn a_refused_required_parameter_fails_an_atomic_set_and_changes_nothing() {
    let mut cpe = cpe();
    let m = lying_model(&cpe);
    let set = msg::set(
        "s1",
        false,
        vec![
            msg::set_obj(PM1, [("Status", "Disabled", true)]),
            msg::set_obj(PM2, [("Description", "changed", true)]),
        ],
    );
    let (a, _) = run(plan(set, m), &mut cpe);
    let Answer::Error(e) = a else { panic!("{a:?}") };
    assert_eq!(e.err_code, 7004);
    assert_eq!(
        e.param_errs[0].param_path,
        "Device.NAT.PortMapping.1.Status"
    );
    assert_eq!(e.param_errs[0].err_code, 7013);
    assert_eq!(
        cpe.value("Device.NAT.PortMapping.2.Description"),
        Some("nas-vpn")
    );
}

#[test]
fn a_partial_set_fails_only_the_refused_object() {
    let mut cpe = cpe();
    let m = lying_model(&cpe);
    let set = msg::set(
        "s1",
        true,
        vec![
            msg::set_obj(PM1, [("Status", "Disabled", true)]),
            msg::set_obj(PM2, [("Description", "changed", true)]),
        ],
    );
    let (a, rounds) = run(plan(set, m), &mut cpe);
    let Answer::Resp(RespType::SetResp(r)) = a else {
        panic!("{a:?}")
    };
    let status = |i: usize| {
        r.updated_obj_results[i]
            .oper_status
            .clone()
            .unwrap()
            .oper_status
            .unwrap()
    };
    assert!(
        matches!(status(0), SetStatus::OperFailure(f) if f.err_code == 7021),
        "{r:?}"
    );
    assert!(matches!(status(1), SetStatus::OperSuccess(_)), "{r:?}");
    assert_eq!(
        cpe.value("Device.NAT.PortMapping.2.Description"),
        Some("changed")
    );
    // One SetParameterValues per object.
    let spvs = rounds
        .iter()
        .flatten()
        .filter(|b| matches!(b, Body::SetParameterValues(_)))
        .count();
    assert_eq!(spvs, 2, "{rounds:?}");
}

#[test]
fn add_creates_sets_and_reads_back_the_keys() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let add = msg::add(
        "a1",
        false,
        vec![msg::add_obj(
            "Device.NAT.PortMapping.",
            [
                ("ExternalPort", "8080", true),
                ("Protocol", "TCP", true),
                ("Description", "web", true),
            ],
        )],
    );
    let (a, _) = run(plan(add, m), &mut cpe);
    let Answer::Resp(RespType::AddResp(r)) = a else {
        panic!("{a:?}")
    };
    let Some(AddStatus::OperSuccess(ok)) = &r.created_obj_results[0]
        .oper_status
        .as_ref()
        .unwrap()
        .oper_status
    else {
        panic!("{r:?}")
    };
    let path = ok.instantiated_path.clone();
    assert!(
        path.starts_with("Device.NAT.PortMapping.") && path != PM1 && path != PM2,
        "{path}"
    );
    assert_eq!(cpe.value(&format!("{path}ExternalPort")), Some("8080"));
    assert_eq!(cpe.value(&format!("{path}Description")), Some("web"));
    assert_eq!(
        ok.unique_keys.get("ExternalPort").map(String::as_str),
        Some("8080"),
        "{ok:?}"
    );
}

#[test]
fn a_failed_atomic_add_deletes_what_it_created() {
    let mut cpe = cpe();
    let before = cpe.instance_count("Device.NAT.PortMapping.");
    let m = lying_model(&cpe);
    let add = msg::add(
        "a1",
        false,
        vec![msg::add_obj(
            "Device.NAT.PortMapping.",
            [("Status", "Enabled", true)],
        )],
    );
    let (a, rounds) = run(plan(add, m), &mut cpe);
    assert!(
        matches!(a, Answer::Error(ref e) if e.err_code == 7004),
        "{a:?}"
    );
    assert_eq!(cpe.instance_count("Device.NAT.PortMapping."), before);
    assert!(rounds
        .iter()
        .flatten()
        .any(|b| matches!(b, Body::DeleteObject(_))));
}

#[test]
fn delete_removes_instances_and_reports_them() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let del = msg::delete("d1", false, [PM1]);
    let (a, _) = run(plan(del, m), &mut cpe);
    let Answer::Resp(RespType::DeleteResp(r)) = a else {
        panic!("{a:?}")
    };
    assert_eq!(r.deleted_obj_results.len(), 1, "{r:?}");
    assert!(cpe.get("Device.NAT.PortMapping.1.").is_none());
    assert!(cpe.get("Device.NAT.PortMapping.2.").is_some());
}

#[test]
fn reboot_runs_with_the_command_key() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let op = msg::operate(
        "o1",
        "Device.Reboot()",
        "ck-1",
        true,
        std::iter::empty::<(String, String)>(),
    );
    let (a, rounds) = run(plan(op, m.clone()), &mut cpe);
    assert!(
        matches!(&rounds[0][0], Body::Reboot(r) if r.command_key == "ck-1"),
        "{rounds:?}"
    );
    let Answer::Resp(RespType::OperateResp(r)) = a else {
        panic!("{a:?}")
    };
    assert_eq!(r.operation_results[0].executed_command, "Device.Reboot()");

    let op = msg::operate(
        "o2",
        "Device.SelfDestruct()",
        "",
        true,
        std::iter::empty::<(String, String)>(),
    );
    let (a, rounds) = run(plan(op, m), &mut cpe);
    assert!(rounds.is_empty());
    assert!(
        matches!(a, Answer::Error(ref e) if e.err_code == 7026),
        "{a:?}"
    );
}

//! Set across the allow_partial × required matrix (usp.md §2, LAB notes).

mod common;
use common::*;

use usp::msg;
use usp::proto::usp::response::RespType;
use usp::proto::usp::set_resp::updated_object_result::operation_status::OperStatus;
use usp::Msg;

fn set(
    allow_partial: bool,
    objs: Vec<usp::proto::usp::set::UpdateObject>,
) -> (agent::Agents, String, Msg) {
    let (mut a, eid) = setup();
    let m = ask(&mut a, &eid, &msg::set("s1", allow_partial, objs));
    (a, eid, m)
}

fn value(a: &mut agent::Agents, eid: &str, path: &str) -> String {
    let m = ask(a, eid, &msg::get("g", [path], 0));
    let RespType::GetResp(g) = resp(&m) else {
        panic!()
    };
    let r = &g.req_path_results[0].resolved_path_results[0];
    r.result_params.values().next().unwrap().clone()
}

fn statuses(m: &Msg) -> Vec<OperStatus> {
    let RespType::SetResp(s) = resp(m) else {
        panic!("{m:?}")
    };
    s.updated_obj_results
        .iter()
        .map(|r| r.oper_status.clone().unwrap().oper_status.unwrap())
        .collect()
}

fn one(v: Vec<OperStatus>) -> [OperStatus; 1] {
    v.try_into().unwrap()
}

const EID: &str = "Device.LocalAgent.EndpointID";

#[test]
fn read_only_required_atomic_is_error_7004_with_param_errs() {
    // LAB: Error{7004, param_errs[{<full path>, 7013}]}.
    let (_, _, m) = set(
        false,
        vec![msg::set_obj(
            "Device.LocalAgent.",
            [("EndpointID", "x", true)],
        )],
    );
    let e = error(&m);
    assert_eq!(e.err_code, 7004);
    assert_eq!(e.param_errs.len(), 1);
    assert_eq!(e.param_errs[0].param_path, EID);
    assert_eq!(e.param_errs[0].err_code, 7013);
}

#[test]
fn read_only_not_required_is_success_with_param_errs() {
    let (_, _, m) = set(
        false,
        vec![msg::set_obj(
            "Device.LocalAgent.",
            [("EndpointID", "x", false)],
        )],
    );
    let [OperStatus::OperSuccess(ok)] = one(statuses(&m)) else {
        panic!()
    };
    assert_eq!(ok.updated_inst_results.len(), 1);
    let r = &ok.updated_inst_results[0];
    assert_eq!(r.affected_path, "Device.LocalAgent.");
    assert_eq!(
        (r.param_errs[0].param.as_str(), r.param_errs[0].err_code),
        ("EndpointID", 7013)
    );
    assert!(r.updated_params.is_empty());
}

#[test]
fn required_failure_with_allow_partial_is_oper_failure_7021() {
    let (mut a, eid, m) = set(
        true,
        vec![
            msg::set_obj(
                "Device.LocalAgent.",
                [
                    ("MaxSubscriptionChangeAdoptionTime", "7", true),
                    ("EndpointID", "x", true),
                ],
            ),
            msg::set_obj(
                "Device.LocalAgent.Controller.1.",
                [("ProvisioningCode", "pc", true)],
            ),
        ],
    );
    let st = statuses(&m);
    let OperStatus::OperFailure(f) = &st[0] else {
        panic!("{st:?}")
    };
    assert_eq!(f.err_code, 7021);
    assert_eq!(
        f.updated_inst_failures[0].affected_path,
        "Device.LocalAgent."
    );
    assert_eq!(f.updated_inst_failures[0].param_errs[0].err_code, 7013);
    let OperStatus::OperSuccess(ok) = &st[1] else {
        panic!()
    };
    assert_eq!(
        ok.updated_inst_results[0].updated_params["ProvisioningCode"],
        "pc"
    );
    // The failed object changed nothing, the other one did.
    assert_eq!(
        value(
            &mut a,
            &eid,
            "Device.LocalAgent.MaxSubscriptionChangeAdoptionTime"
        ),
        "0"
    );
    assert_eq!(
        value(
            &mut a,
            &eid,
            "Device.LocalAgent.Controller.1.ProvisioningCode"
        ),
        "pc"
    );
}

#[test]
fn atomic_failure_leaves_nothing_changed() {
    let (mut a, eid, m) = set(
        false,
        vec![
            msg::set_obj(
                "Device.LocalAgent.Controller.1.",
                [("ProvisioningCode", "pc", true)],
            ),
            msg::set_obj(
                "Device.LocalAgent.Controller.2.",
                [("PeriodicNotifInterval", "abc", true)],
            ),
        ],
    );
    let e = error(&m);
    assert_eq!(e.err_code, 7004);
    assert_eq!(
        e.param_errs[0].param_path,
        "Device.LocalAgent.Controller.2.PeriodicNotifInterval"
    );
    assert_eq!(e.param_errs[0].err_code, 7011);
    assert_eq!(
        value(
            &mut a,
            &eid,
            "Device.LocalAgent.Controller.1.ProvisioningCode"
        ),
        ""
    );
}

#[test]
fn value_checks_and_unknown_parameters() {
    let (_, _, m) = set(
        false,
        vec![msg::set_obj(
            "Device.LocalAgent.Controller.1.",
            [
                ("PeriodicNotifInterval", "4294967296", false),
                ("Enable", "yes", false),
                ("PeriodicNotifTime", "tomorrow", false),
                ("Nope", "1", false),
                ("MTP.1.Protocol", "CoAP", false),
                ("USPNotifRetryMinimumWaitInterval", "10", false),
            ],
        )],
    );
    let [OperStatus::OperSuccess(ok)] = one(statuses(&m)) else {
        panic!()
    };
    let r = &ok.updated_inst_results[0];
    let codes: Vec<(&str, u32)> = r
        .param_errs
        .iter()
        .map(|e| (e.param.as_str(), e.err_code))
        .collect();
    assert_eq!(
        codes,
        [
            ("PeriodicNotifInterval", 7012),
            ("Enable", 7011),
            ("PeriodicNotifTime", 7011),
            ("Nope", 7010),
            ("MTP.1.Protocol", 7010)
        ]
    );
    assert_eq!(r.updated_params.len(), 1);
}

#[test]
fn path_failures_and_searches() {
    let (_, _, m) = set(
        false,
        vec![msg::set_obj(
            "Device.LocalAgent.Controller.7.",
            [("Alias", "x", true)],
        )],
    );
    assert_eq!(error(&m).err_code, 7016);
    let (_, _, m) = set(
        true,
        vec![msg::set_obj(
            "Device.LocalAgent.Nope.",
            [("Alias", "x", true)],
        )],
    );
    let [OperStatus::OperFailure(f)] = one(statuses(&m)) else {
        panic!()
    };
    assert_eq!(f.err_code, 7026);
    // A search that matches nothing succeeds with nothing updated; one that
    // matches both controllers updates both.
    let (mut a, eid, m) = set(
        false,
        vec![
            msg::set_obj(
                "Device.LocalAgent.Controller.[Alias==\"zzz\"].",
                [("ProvisioningCode", "x", true)],
            ),
            msg::set_obj(
                "Device.LocalAgent.Controller.*.",
                [("ProvisioningCode", "all", true)],
            ),
        ],
    );
    let st = statuses(&m);
    let OperStatus::OperSuccess(none) = &st[0] else {
        panic!()
    };
    assert!(none.updated_inst_results.is_empty());
    let OperStatus::OperSuccess(both) = &st[1] else {
        panic!()
    };
    assert_eq!(both.updated_inst_results.len(), 2);
    assert_eq!(
        value(
            &mut a,
            &eid,
            "Device.LocalAgent.Controller.2.ProvisioningCode"
        ),
        "all"
    );
}

#[test]
fn duplicate_unique_key_by_set_is_refused() {
    let (_, _, m) = set(
        false,
        vec![msg::set_obj(
            "Device.LocalAgent.Controller.2.",
            [("EndpointID", C1, true)],
        )],
    );
    let e = error(&m);
    assert_eq!(e.err_code, 7004);
    assert_eq!(e.param_errs[0].err_code, 7014);
}

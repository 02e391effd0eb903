//! `Device.LocalAgent.Request.{i}.` for asynchronous commands the CPE
//! runs: opened with the Operate, given in the OperateResp, readable,
//! persisted, removed on completion (R-OPR.0-2).

mod common;
use common::*;

use agent::commands::ASYNC;
use agent::dm::Answer;
use agent::local::request::{Outcome, Status};
use agent::{Action, Agents};
use usp::msg;
use usp::proto::usp::operate_resp::operation_result::OperationResp;
use usp::proto::usp::response::RespType;
use usp::proto::usp::OperateResp;

const PING: &str = "Device.IP.Diagnostics.IPPing()";

/// Sends an Operate of `command`, which must go to the CPE side.
fn operate(a: &mut Agents, eid: &str, id: &str, command: &str) -> Box<agent::Remote> {
    let m = msg::operate(id, command, "key-1", true, [("Host", "192.0.2.1")]);
    let out = a.handle_record(eid, &record_from(C1, eid, &m), reply_to(), t0());
    match out.into_iter().next() {
        Some(Action::Remote(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn answer_of(actions: &[Action]) -> OperationResp {
    let bytes = actions
        .iter()
        .find_map(|x| match x {
            Action::Send { record, .. } => Some(record),
            _ => None,
        })
        .expect("an answer");
    let m = crosscheck(bytes).1.unwrap();
    let RespType::OperateResp(r) = resp(&m) else {
        panic!("{m:?}")
    };
    r.operation_results[0].operation_resp.clone().unwrap()
}

fn accepted(command: &str) -> Answer {
    Answer::Resp(RespType::OperateResp(OperateResp {
        operation_results: vec![msg::operate_async(command, ASYNC)],
    }))
}

#[test]
fn an_async_command_gets_a_request_until_it_completes() {
    let (mut a, eid) = setup();
    let remote = operate(&mut a, &eid, "op-1", PING);
    // While the CPE is being asked, the same command may not start again.
    let m = msg::operate("op-2", PING, "", true, [("Host", "x")]);
    let again = a.handle_record(&eid, &record_from(C1, &eid, &m), reply_to(), t0());
    let OperationResp::CmdFailure(f) = answer_of(&again) else {
        panic!("{again:?}")
    };
    assert_eq!(f.err_code, usp::ErrorCode::CommandFailure.as_u32());

    let done = a.finish_remote(*remote, Some(accepted(PING)), t0());
    assert!(matches!(done[0], Action::Persist { .. }), "{done:?}");
    assert_eq!(
        answer_of(&done),
        OperationResp::ReqObjPath("Device.LocalAgent.Request.1.".into())
    );
    let r = &a.requests(&eid)[0];
    assert_eq!(
        (r.status, r.command_key.as_str()),
        (Status::Active, "key-1")
    );
    assert_eq!(r.inputs.get("Host").map(String::as_str), Some("192.0.2.1"));

    let got = ask(
        &mut a,
        &eid,
        &msg::get("g", ["Device.LocalAgent.Request.1."], 0),
    );
    let RespType::GetResp(g) = resp(&got) else {
        panic!()
    };
    let params = &g.req_path_results[0].resolved_path_results[0].result_params;
    assert_eq!(params["Command"], PING);
    assert_eq!(params["Status"], "Active");
    assert_eq!(params["Originator"], C1);
    let count = ask(
        &mut a,
        &eid,
        &msg::get("c", ["Device.LocalAgent.RequestNumberOfEntries"], 0),
    );
    assert!(format!("{count:?}").contains("\"1\""), "{count:?}");

    // It survives a restart.
    let snap = a.snapshot(&eid).unwrap();
    let (mut b, _) = setup();
    assert!(b.restore(
        &eid,
        serde_json::from_slice(&serde_json::to_vec(&snap).unwrap()).unwrap()
    ));
    assert_eq!(b.requests(&eid).len(), 1);

    let (completed, persist) = a.complete_request(
        &eid,
        "Device.LocalAgent.Request.1.",
        Outcome::Success(Default::default()),
    );
    assert_eq!(completed.unwrap().request.status, Status::Success);
    assert_eq!(persist.len(), 1);
    assert!(a.requests(&eid).is_empty());
    assert!(a.snapshot(&eid).unwrap().requests.is_empty());
    // A second completion finds nothing.
    let (none, _) = a.complete_request(
        &eid,
        "Device.LocalAgent.Request.1.",
        Outcome::Success(Default::default()),
    );
    assert!(none.is_none());
}

#[test]
fn a_synchronous_answer_or_a_failure_leaves_no_request() {
    let (mut a, eid) = setup();
    let remote = operate(&mut a, &eid, "op-1", "Device.Reboot()");
    let sync = Answer::Resp(RespType::OperateResp(OperateResp {
        operation_results: vec![msg::operate_output(
            "Device.Reboot()",
            Vec::<(String, String)>::new(),
        )],
    }));
    let done = a.finish_remote(*remote, Some(sync), t0());
    assert!(matches!(answer_of(&done), OperationResp::ReqOutputArgs(_)));
    assert!(a.requests(&eid).is_empty());
    let remote = operate(&mut a, &eid, "op-2", PING);
    let done = a.finish_remote(*remote, Some(empty_device(&remote_req(PING))), t0());
    assert!(done.iter().all(|x| !matches!(x, Action::Persist { .. })));
    assert!(a.requests(&eid).is_empty());
}

#[test]
fn old_snapshots_without_requests_still_load() {
    let (mut a, eid) = setup();
    let old = r#"{"subscriptions":[],"last_subscription":0,"overrides":null}"#;
    assert!(a.restore(&eid, serde_json::from_str(old).unwrap()));
    assert!(a.requests(&eid).is_empty());
}

fn remote_req(command: &str) -> usp::proto::usp::request::ReqType {
    usp::proto::usp::request::ReqType::Operate(usp::proto::usp::Operate {
        command: command.into(),
        ..Default::default()
    })
}

#[test]
fn an_end_reported_before_the_answer_still_names_the_request() {
    let (mut a, eid) = setup();
    let remote = operate(&mut a, &eid, "op-1", PING);
    let path = "Device.LocalAgent.Request.1.";
    let (done, _) = a.complete_request(&eid, path, Outcome::Success(Default::default()));
    assert!(done.is_some());
    let out = a.finish_remote(*remote, Some(accepted(PING)), t0());
    assert_eq!(answer_of(&out), OperationResp::ReqObjPath(path.into()));
    assert!(a.requests(&eid).is_empty());
}

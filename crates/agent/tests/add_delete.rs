//! Add, Delete, GetInstances and the Subscription table.

mod common;
use common::*;

use agent::local::NotifType;
use agent::Action;
use usp::msg;
use usp::proto::usp::add_resp::created_object_result::operation_status::OperStatus as AddStatus;
use usp::proto::usp::delete_resp::deleted_object_result::operation_status::OperStatus as DelStatus;
use usp::proto::usp::response::RespType;
use usp::Msg;

fn added(m: &Msg) -> Vec<AddStatus> {
    let RespType::AddResp(r) = resp(m) else {
        panic!("{m:?}")
    };
    r.created_obj_results
        .iter()
        .map(|r| r.oper_status.clone().unwrap().oper_status.unwrap())
        .collect()
}

fn deleted(m: &Msg) -> Vec<DelStatus> {
    let RespType::DeleteResp(r) = resp(m) else {
        panic!("{m:?}")
    };
    r.deleted_obj_results
        .iter()
        .map(|r| r.oper_status.clone().unwrap().oper_status.unwrap())
        .collect()
}

/// A fresh msg_id each time: a repeated one would be a duplicate (R-MSG.4).
fn sub_add(id: Option<&str>) -> Msg {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut params = vec![
        ("NotifType", "ValueChange", true),
        ("ReferenceList", "Device.LocalAgent.UpTime", true),
    ];
    if let Some(id) = id {
        params.push(("ID", id, true));
    }
    msg::add(
        format!("a{n}"),
        false,
        vec![msg::add_obj("Device.LocalAgent.Subscription.", params)],
    )
}

#[test]
fn subscription_add_fills_recipient_id_and_creation_date() {
    let (mut a, eid) = setup();
    let m = ask_from(&mut a, &eid, C2, &sub_add(None));
    let [AddStatus::OperSuccess(ok)] = <[_; 1]>::try_from(added(&m)).unwrap() else {
        panic!("{m:?}")
    };
    assert_eq!(ok.instantiated_path, "Device.LocalAgent.Subscription.1.");
    assert!(ok.param_errs.is_empty());
    assert_eq!(
        ok.unique_keys["Recipient"],
        "Device.LocalAgent.Controller.2"
    );
    assert_eq!(ok.unique_keys["Alias"], "cpe-1");
    let id = ok.unique_keys["ID"].clone();
    assert!(!id.is_empty());

    let m = ask(
        &mut a,
        &eid,
        &msg::get("g", ["Device.LocalAgent.Subscription.1."], 0),
    );
    let RespType::GetResp(g) = resp(&m) else {
        panic!()
    };
    let p = &g.req_path_results[0].resolved_path_results[0].result_params;
    assert_eq!(p["CreationDate"], "2023-11-14T22:14:02Z");
    assert_eq!(p["Recipient"], "Device.LocalAgent.Controller.2");
    assert_eq!(p["ReferenceList"], "Device.LocalAgent.UpTime");

    let subs = a.subscriptions(&eid);
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].recipient.as_deref(), Some(C2));
    assert_eq!(subs[0].notif_type, Some(NotifType::ValueChange));
    assert_eq!(subs[0].id, id);

    // A second one gets a different ID and instance number.
    let m = ask_from(&mut a, &eid, C2, &sub_add(None));
    let [AddStatus::OperSuccess(ok2)] = <[_; 1]>::try_from(added(&m)).unwrap() else {
        panic!()
    };
    assert_eq!(ok2.instantiated_path, "Device.LocalAgent.Subscription.2.");
    assert_ne!(ok2.unique_keys["ID"], id);
}

#[test]
fn reference_list_is_immutable_once_set() {
    let (mut a, eid) = setup();
    ask(&mut a, &eid, &sub_add(Some("x")));
    let m = ask(
        &mut a,
        &eid,
        &msg::set(
            "s",
            false,
            vec![msg::set_obj(
                "Device.LocalAgent.Subscription.1.",
                [("ReferenceList", "Device.", true)],
            )],
        ),
    );
    let e = error(&m);
    assert_eq!((e.err_code, e.param_errs[0].err_code), (7004, 7013));
    // Other fields stay writable; Recipient and CreationDate are read-only.
    let m = ask(
        &mut a,
        &eid,
        &msg::set(
            "s",
            true,
            vec![msg::set_obj(
                "Device.LocalAgent.Subscription.1.",
                [
                    ("Enable", "true", true),
                    ("Recipient", "x", false),
                    ("CreationDate", "2020-01-01T00:00:00Z", false),
                ],
            )],
        ),
    );
    let RespType::SetResp(s) = resp(&m) else {
        panic!()
    };
    let st = s.updated_obj_results[0]
        .oper_status
        .clone()
        .unwrap()
        .oper_status
        .unwrap();
    let usp::proto::usp::set_resp::updated_object_result::operation_status::OperStatus::OperSuccess(
        ok,
    ) = st
    else {
        panic!()
    };
    let codes: Vec<u32> = ok.updated_inst_results[0]
        .param_errs
        .iter()
        .map(|e| e.err_code)
        .collect();
    assert_eq!(codes, [7013, 7013]);
    assert!(a.subscriptions(&eid)[0].enable);
}

#[test]
fn add_failures() {
    let (mut a, eid) = setup();
    // Duplicate (Recipient, ID).
    ask(&mut a, &eid, &sub_add(Some("dup")));
    let m = ask(&mut a, &eid, &sub_add(Some("dup")));
    assert_eq!(error(&m).err_code, 7025);
    // Not a table, read-only table, not in the model, bad NotifType.
    let m = ask(
        &mut a,
        &eid,
        &msg::add(
            "a",
            true,
            vec![
                msg::add_obj("Device.LocalAgent.", [("A", "1", false)]),
                msg::add_obj("Device.LocalAgent.Request.", [("A", "1", false)]),
                msg::add_obj("Device.LocalAgent.Nope.", [("A", "1", false)]),
                msg::add_obj(
                    "Device.LocalAgent.Subscription.",
                    [("NotifType", "Sometimes", true)],
                ),
                msg::add_obj(
                    "Device.LocalAgent.Subscription.",
                    [("NotifType", "Sometimes", false), ("Bogus", "1", false)],
                ),
            ],
        ),
    );
    let st = added(&m);
    let codes: Vec<u32> = st
        .iter()
        .map(|s| match s {
            AddStatus::OperFailure(f) => f.err_code,
            AddStatus::OperSuccess(_) => 0,
        })
        .collect();
    assert_eq!(codes, [7018, 7019, 7026, 7012, 0]);
    let AddStatus::OperSuccess(ok) = &st[4] else {
        panic!()
    };
    let errs: Vec<(&str, u32)> = ok
        .param_errs
        .iter()
        .map(|e| (e.param.as_str(), e.err_code))
        .collect();
    assert_eq!(errs, [("NotifType", 7012), ("Bogus", 7010)]);
    // Only the dup-free first one and the last (partial) one exist: the
    // failed required one was rolled back.
    assert_eq!(a.subscriptions(&eid).len(), 2);
}

#[test]
fn atomic_add_creates_nothing_on_failure() {
    let (mut a, eid) = setup();
    let m = ask(
        &mut a,
        &eid,
        &msg::add(
            "a",
            false,
            vec![
                msg::add_obj("Device.LocalAgent.Subscription.", [("ID", "one", true)]),
                msg::add_obj(
                    "Device.LocalAgent.Subscription.",
                    [("TimeToLive", "-3", true)],
                ),
            ],
        ),
    );
    let e = error(&m);
    assert_eq!(e.err_code, 7004);
    assert_eq!(
        e.param_errs[0].param_path,
        "Device.LocalAgent.Subscription.2.TimeToLive"
    );
    assert!(a.subscriptions(&eid).is_empty());
    // Instance numbers are not reused, even after a rollback... but a
    // rolled-back number was never visible, so reuse of it is harmless;
    // what matters is that a deleted one never comes back.
    ask(&mut a, &eid, &sub_add(Some("a")));
    let first = a.subscriptions(&eid)[0].instance;
    ask(
        &mut a,
        &eid,
        &msg::delete(
            "d",
            false,
            [format!("Device.LocalAgent.Subscription.{first}.")],
        ),
    );
    ask(&mut a, &eid, &sub_add(Some("b")));
    assert!(a.subscriptions(&eid)[0].instance > first);
}

#[test]
fn add_and_delete_in_configured_tables() {
    let (mut a, eid) = setup();
    let m = ask(
        &mut a,
        &eid,
        &msg::add(
            "a",
            false,
            vec![msg::add_obj(
                "Device.LocalAgent.Controller.*.MTP.",
                [("Protocol", "WebSocket", true), ("Alias", "", false)],
            )],
        ),
    );
    let paths: Vec<String> = added(&m)
        .into_iter()
        .map(|s| match s {
            AddStatus::OperSuccess(ok) => ok.instantiated_path,
            f => panic!("{f:?}"),
        })
        .collect();
    assert_eq!(
        paths,
        [
            "Device.LocalAgent.Controller.1.MTP.2.",
            "Device.LocalAgent.Controller.2.MTP.3."
        ]
    );

    // Deleting a configured controller takes its MTPs along.
    let m = ask(
        &mut a,
        &eid,
        &msg::delete(
            "d",
            false,
            [
                "Device.LocalAgent.Controller.1.",
                "Device.LocalAgent.Controller.9.",
            ],
        ),
    );
    let st = deleted(&m);
    let DelStatus::OperSuccess(ok) = &st[0] else {
        panic!()
    };
    assert_eq!(
        ok.affected_paths,
        [
            "Device.LocalAgent.Controller.1.",
            "Device.LocalAgent.Controller.1.MTP.1.",
            "Device.LocalAgent.Controller.1.MTP.2."
        ]
    );
    // A non-existent instance number: success, nothing affected.
    let DelStatus::OperSuccess(none) = &st[1] else {
        panic!()
    };
    assert!(none.affected_paths.is_empty() && none.unaffected_path_errs.is_empty());

    let m = ask(
        &mut a,
        &eid,
        &msg::get_instances("i", ["Device.LocalAgent.Controller."], false),
    );
    let RespType::GetInstancesResp(g) = resp(&m) else {
        panic!()
    };
    let insts: Vec<&str> = g.req_path_results[0]
        .curr_insts
        .iter()
        .map(|c| c.instantiated_obj_path.as_str())
        .collect();
    assert_eq!(
        insts,
        [
            "Device.LocalAgent.Controller.2.",
            "Device.LocalAgent.Controller.2.MTP.1.",
            "Device.LocalAgent.Controller.2.MTP.2.",
            "Device.LocalAgent.Controller.2.MTP.3."
        ]
    );
    assert_eq!(
        g.req_path_results[0].curr_insts[0].unique_keys["EndpointID"],
        C2
    );
    // A re-added controller gets a new number.
    let m = ask(
        &mut a,
        &eid,
        &msg::add(
            "a",
            false,
            vec![msg::add_obj(
                "Device.LocalAgent.Controller.",
                [("EndpointID", "proto::c3", true)],
            )],
        ),
    );
    let [AddStatus::OperSuccess(ok)] = <[_; 1]>::try_from(added(&m)).unwrap() else {
        panic!()
    };
    assert_eq!(ok.instantiated_path, "Device.LocalAgent.Controller.3.");
}

#[test]
fn delete_failures() {
    let (mut a, eid) = setup();
    let m = ask(
        &mut a,
        &eid,
        &msg::delete(
            "d",
            true,
            [
                "Device.LocalAgent.",
                "Device.LocalAgent.Nope.1.",
                "Device.LocalAgent.EndpointID",
                "Device.LocalAgent.Controller.*.",
            ],
        ),
    );
    let codes: Vec<u32> = deleted(&m)
        .iter()
        .map(|s| match s {
            DelStatus::OperFailure(f) => f.err_code,
            DelStatus::OperSuccess(_) => 0,
        })
        .collect();
    assert_eq!(codes, [7018, 7026, 7026, 0]);
    let m = ask(
        &mut a,
        &eid,
        &msg::delete(
            "d",
            false,
            ["Device.LocalAgent.MTP.1.", "Device.LocalAgent.[bad."],
        ),
    );
    assert_eq!(error(&m).err_code, 7008);
    // The MTP delete was rolled back with the rest.
    let m = ask(
        &mut a,
        &eid,
        &msg::get_instances("i", ["Device.LocalAgent.MTP."], true),
    );
    let RespType::GetInstancesResp(g) = resp(&m) else {
        panic!()
    };
    assert_eq!(g.req_path_results[0].curr_insts.len(), 2);
}

#[test]
fn get_instances_first_level_and_errors() {
    let (mut a, eid) = setup();
    let m = ask(
        &mut a,
        &eid,
        &msg::get_instances(
            "i",
            [
                "Device.LocalAgent.",
                "Device.LocalAgent.Controller.2.",
                "Device.LocalAgent.EndpointID",
                "Device.LocalAgent.Controller.5.",
            ],
            true,
        ),
    );
    let RespType::GetInstancesResp(g) = resp(&m) else {
        panic!()
    };
    let r = &g.req_path_results;
    let p = |i: usize| {
        r[i].curr_insts
            .iter()
            .map(|c| c.instantiated_obj_path.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        p(0),
        [
            "Device.LocalAgent.MTP.1.",
            "Device.LocalAgent.MTP.2.",
            "Device.LocalAgent.Controller.1.",
            "Device.LocalAgent.Controller.2."
        ]
    );
    assert_eq!(
        p(1),
        [
            "Device.LocalAgent.Controller.2.",
            "Device.LocalAgent.Controller.2.MTP.1.",
            "Device.LocalAgent.Controller.2.MTP.2."
        ]
    );
    assert_eq!((r[2].err_code, r[3].err_code), (7018, 7026));
}

#[test]
fn persistent_state_changes_emit_persist() {
    let (mut a, eid) = setup();
    let m = msg::add(
        "p",
        false,
        vec![msg::add_obj(
            "Device.LocalAgent.Subscription.",
            [("Persistent", "true", true), ("ID", "keep", true)],
        )],
    );
    let actions = a.handle_record(&eid, &record_from(C1, &eid, &m), reply_to(), t0());
    let snap = actions
        .iter()
        .find_map(|x| match x {
            Action::Persist { agent, snapshot } if agent == &eid => Some(snapshot.clone()),
            _ => None,
        })
        .expect("persist");
    assert_eq!(snap.subscriptions.len(), 1);
    // A Get changes nothing and persists nothing.
    let actions = a.handle_record(
        &eid,
        &record_from(C1, &eid, &msg::get("g", ["Device."], 0)),
        reply_to(),
        t0(),
    );
    assert!(actions.iter().all(|x| !matches!(x, Action::Persist { .. })));
    // The snapshot survives serde and restores into a fresh gateway.
    let json = serde_json::to_string(&snap).unwrap();
    let (mut b, eid_b) = setup();
    assert!(b.restore(&eid_b, serde_json::from_str(&json).unwrap()));
    assert_eq!(b.subscriptions(&eid_b)[0].id, "keep");
    assert_eq!(b.snapshot(&eid_b), Some(snap));
}

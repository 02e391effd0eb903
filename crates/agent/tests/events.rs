//! Subscription-driven notifications: Happenings matched against
//! NotifType and ReferenceList, OperationComplete from completed Requests,
//! and Watch. Every Record is cross-checked with rusp-lib.

mod common;
use common::subs::*;
use common::*;

use std::collections::BTreeMap;

use agent::local::request::Outcome;
use agent::{Action, Agents, Happening, ReplyTo};
use usp::msg;
use usp::proto::usp::notify::operation_complete::OperationResp;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::response::RespType;

#[test]
fn a_value_change_reaches_the_controller_that_owns_the_subscription() {
    // R-NOT.0a: controller 2 subscribes (and may itself have caused the
    // change); it alone hears about it, over its first MTP (STOMP).
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    let p = [
        ("ID", "c2-sub"),
        ("NotifType", "ValueChange"),
        ("ReferenceList", "Device.DeviceInfo.FriendlyName"),
        ("Enable", "true"),
    ];
    subscribe_with(&mut a, &eid, C2, &p);
    let out = a.notify(
        &eid,
        value_change("Device.DeviceInfo.FriendlyName", "den"),
        t0(),
    );
    let sent = notifies(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    let (to, to_id, _, n) = &sent[0];
    assert_eq!(to_id, C2);
    assert_eq!(
        to,
        &ReplyTo::Stomp {
            destination: "/queue/controller-2".into()
        }
    );
    assert_eq!(n.subscription_id, "c2-sub");
    assert!(!n.send_resp, "no NotifRetry, no NotifyResp wanted");
    let Some(Notification::ValueChange(v)) = &n.notification else {
        panic!("{n:?}")
    };
    assert_eq!(
        (&*v.param_path, &*v.param_value),
        ("Device.DeviceInfo.FriendlyName", "den")
    );
    assert_eq!(a.notify_stats().sent, 1);
    assert!(a.pending_notifications(&eid).is_empty());
}

#[test]
fn each_notif_type_reaches_only_its_own_subscriptions() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    subscribe(&mut a, &eid, "vc", "ValueChange", "Device.");
    subscribe(&mut a, &eid, "ev", "Event", "Device.Boot!");
    subscribe(&mut a, &eid, "oc", "ObjectCreation", "Device.Hosts.Host.");
    subscribe(&mut a, &eid, "od", "ObjectDeletion", "Device.Hosts.Host.*.");
    let cmd = "Device.DeviceInfo.FirmwareImage.*.Download()";
    subscribe(&mut a, &eid, "op", "OperationComplete", cmd);
    let t = t0();

    let out = a.notify(&eid, value_change("Device.Hosts.Host.1.Active", "true"), t);
    assert_eq!(ids(&out), ["vc"]);

    let params = BTreeMap::from([("Cause".to_string(), "LocalReboot".to_string())]);
    let boot = Happening::Event {
        obj_path: "Device.".into(),
        event_name: "Boot!".into(),
        params,
    };
    let out = a.notify(&eid, boot, t);
    assert_eq!(ids(&out), ["ev"]);
    let Some(Notification::Event(e)) = &notifies(&out)[0].3.notification else {
        panic!("{out:?}")
    };
    assert_eq!((&*e.obj_path, &*e.event_name), ("Device.", "Boot!"));
    assert_eq!(e.params["Cause"], "LocalReboot");

    let created = Happening::ObjectCreation {
        path: "Device.Hosts.Host.3.".into(),
        unique_keys: BTreeMap::from([("PhysAddress".into(), "aa:bb".into())]),
    };
    let out = a.notify(&eid, created, t);
    assert_eq!(ids(&out), ["oc"]);
    let Some(Notification::ObjCreation(c)) = &notifies(&out)[0].3.notification else {
        panic!("{out:?}")
    };
    assert_eq!(c.obj_path, "Device.Hosts.Host.3.");
    assert_eq!(c.unique_keys["PhysAddress"], "aa:bb");

    let deleted = Happening::ObjectDeletion {
        path: "Device.Hosts.Host.3.".into(),
    };
    assert_eq!(ids(&a.notify(&eid, deleted, t)), ["od"]);

    let done = Happening::OperationComplete {
        obj_path: "Device.DeviceInfo.FirmwareImage.2.".into(),
        command_name: "Download()".into(),
        command_key: "k".into(),
        outcome: Outcome::Success(BTreeMap::new()),
    };
    assert_eq!(ids(&a.notify(&eid, done, t)), ["op"]);
    assert_eq!(a.notify_stats().sent, 5);
}

#[test]
fn reference_lists_match_partial_paths_and_wildcards_only() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    subscribe(&mut a, &eid, "partial", "ValueChange", "Device.WiFi.");
    subscribe(
        &mut a,
        &eid,
        "wild",
        "ValueChange",
        "Device.WiFi.SSID.*.SSID",
    );
    let search = "Device.WiFi.SSID.[Enable==true].SSID";
    subscribe(&mut a, &eid, "search", "ValueChange", search);
    let other = "Device.Ethernet.,Device.WiFi.SSID.1.Enable";
    subscribe(&mut a, &eid, "other", "ValueChange", other);
    let out = a.notify(&eid, value_change("Device.WiFi.SSID.2.SSID", "x"), t0());
    assert_eq!(ids(&out), ["partial", "search", "wild"]);
    let out = a.notify(&eid, value_change("Device.WiFi.SSID.1.Enable", "1"), t0());
    assert_eq!(ids(&out), ["other", "partial"]);
    let out = a.notify(&eid, value_change("Device.DSL.Line.1.Enable", "1"), t0());
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn disabled_subscriptions_are_silent_and_no_link_drops_and_counts() {
    let (mut a, eid) = setup();
    let n = subscribe(&mut a, &eid, "s", "ValueChange", "Device.X.");
    // No link is up yet: nothing goes, and that is counted.
    let out = a.notify(&eid, value_change("Device.X.Y", "1"), t0());
    assert!(notifies(&out).is_empty());
    assert_eq!(a.notify_stats().dropped_no_link, 1);
    brokers_up(&mut a, &eid);
    assert_eq!(
        ids(&a.notify(&eid, value_change("Device.X.Y", "2"), t0())),
        ["s"]
    );
    set_sub(&mut a, &eid, n, "Enable", "false");
    let out = a.notify(&eid, value_change("Device.X.Y", "3"), t0());
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(a.notify_stats().sent, 1);
}

fn async_download(a: &mut Agents, eid: &str, id: &str, command: &str) {
    let m = msg::operate(id, command, "key-9", true, [("URL", "http://x/fw")]);
    let out = a.handle_record(eid, &record_from(C1, eid, &m), reply_to(), t0());
    let Some(Action::Remote(r)) = out.into_iter().next() else {
        panic!()
    };
    let accepted = agent::dm::Answer::Resp(RespType::OperateResp(usp::proto::usp::OperateResp {
        operation_results: vec![msg::operate_async(command, agent::commands::ASYNC)],
    }));
    a.finish_remote(*r, Some(accepted), t0());
}

#[test]
fn a_completed_request_notifies_operation_complete_subscriptions() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    let refs = "Device.DeviceInfo.FirmwareImage.*.Download()";
    subscribe(&mut a, &eid, "op", "OperationComplete", refs);
    let cmd = "Device.DeviceInfo.FirmwareImage.2.Download()";
    async_download(&mut a, &eid, "op-1", cmd);
    let path = a.requests(&eid)[0].path();
    let out_args = BTreeMap::from([("Status".to_string(), "ok".to_string())]);
    let (done, out) = a.complete_request(&eid, &path, Outcome::Success(out_args));
    assert!(done.is_some());
    assert!(matches!(out.last(), Some(Action::Persist { .. })));
    let sent = notifies(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    let Some(Notification::OperComplete(o)) = &sent[0].3.notification else {
        panic!("{sent:?}")
    };
    assert_eq!(
        (&*o.obj_path, &*o.command_name, &*o.command_key),
        ("Device.DeviceInfo.FirmwareImage.2.", "Download()", "key-9")
    );
    let Some(OperationResp::ReqOutputArgs(args)) = &o.operation_resp else {
        panic!("{o:?}")
    };
    assert_eq!(args.output_args["Status"], "ok");

    async_download(&mut a, &eid, "op-2", cmd);
    let path = a.requests(&eid)[0].path();
    let failed = Outcome::Failure {
        err_code: 7022,
        err_msg: "download failed".into(),
    };
    let (_, out) = a.complete_request(&eid, &path, failed);
    let sent = notifies(&out);
    let Some(Notification::OperComplete(o)) = &sent[0].3.notification else {
        panic!("{sent:?}")
    };
    let Some(OperationResp::CmdFailure(f)) = &o.operation_resp else {
        panic!("{o:?}")
    };
    assert_eq!((f.err_code, &*f.err_msg), (7022, "download failed"));
    // An unknown Request: nothing.
    let (done, out) = a.complete_request(&eid, &path, Outcome::Success(BTreeMap::new()));
    assert!(done.is_none() && out.is_empty());
}

#[test]
fn watch_follows_the_enabled_value_change_subscriptions() {
    let (mut a, eid) = setup();
    assert!(a.watched(&eid).is_empty());
    let p = [
        ("ID", "w1"),
        ("NotifType", "ValueChange"),
        (
            "ReferenceList",
            "Device.WiFi.,Device.LocalAgent.UpTime,Device.A.B",
        ),
        ("Enable", "true"),
    ];
    let (n1, out) = subscribe_with(&mut a, &eid, C1, &p);
    assert_eq!(watches(&out), [vec!["Device.A.B", "Device.WiFi."]]);
    // Disabled at creation: no change, no Watch.
    let p = [
        ("ID", "w2"),
        ("NotifType", "ValueChange"),
        ("ReferenceList", "Device.A.B,Device.C."),
    ];
    let (n2, out) = subscribe_with(&mut a, &eid, C1, &p);
    assert!(watches(&out).is_empty());
    // An Event subscription watches nothing.
    let (_, out) = subscribe_with(
        &mut a,
        &eid,
        C1,
        &[
            ("ID", "e"),
            ("NotifType", "Event"),
            ("ReferenceList", "Device.Boot!"),
            ("Enable", "true"),
        ],
    );
    assert!(watches(&out).is_empty());
    let out = set_sub(&mut a, &eid, n2, "Enable", "true");
    assert_eq!(
        watches(&out),
        [vec!["Device.A.B", "Device.C.", "Device.WiFi."]]
    );
    assert_eq!(a.watched(&eid), ["Device.A.B", "Device.C.", "Device.WiFi."]);
    let out = set_sub(&mut a, &eid, n1, "Enable", "false");
    assert_eq!(watches(&out), [vec!["Device.A.B", "Device.C."]]);
    let del = msg::delete(
        "del",
        false,
        [format!("Device.LocalAgent.Subscription.{n2}.")],
    );
    let out = a.handle_record(&eid, &record_from(C1, &eid, &del), reply_to(), t0());
    assert_eq!(watches(&out), [Vec::<String>::new()]);
    assert!(a.watched(&eid).is_empty());
}

#[test]
fn watch_names_the_tables_of_object_subscriptions() {
    let (mut a, eid) = setup();
    let tables = |out: &[Action]| -> Vec<Vec<String>> {
        out.iter()
            .filter_map(|x| match x {
                Action::Watch { tables, .. } => Some(tables.clone()),
                _ => None,
            })
            .collect()
    };
    let p = [
        ("ID", "oc"),
        ("NotifType", "ObjectCreation"),
        (
            "ReferenceList",
            "Device.NAT.PortMapping.,Device.LocalAgent.Controller.",
        ),
        ("Enable", "true"),
    ];
    let (_, out) = subscribe_with(&mut a, &eid, C1, &p);
    assert_eq!(tables(&out), [vec!["Device.NAT.PortMapping."]]);
    assert!(watches(&out)[0].is_empty(), "no ValueChange paths");
    let p = [
        ("ID", "od"),
        ("NotifType", "ObjectDeletion"),
        ("ReferenceList", "Device.IP.Interface.*.IPv4Address."),
        ("Enable", "true"),
    ];
    let (n, out) = subscribe_with(&mut a, &eid, C1, &p);
    let both = vec![
        "Device.IP.Interface.*.IPv4Address.",
        "Device.NAT.PortMapping.",
    ];
    assert_eq!(tables(&out), std::slice::from_ref(&both));
    assert_eq!(a.watched_tables(&eid), both);
    let out = set_sub(&mut a, &eid, n, "Enable", "false");
    assert_eq!(tables(&out), [vec!["Device.NAT.PortMapping."]]);
}

/// A CWMP CPE does not inform changes its ACS made: the agent tells the
/// subscription itself when a Set it forwarded succeeded (R-NOT.0a), after
/// the SetResp, and only for the paths the subscription covers.
#[test]
fn a_set_through_the_agent_is_told_as_value_change() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    subscribe(&mut a, &eid, "vc", "ValueChange", "Device.WiFi.SSID.1.SSID");
    let set = msg::set(
        "set-1",
        false,
        vec![msg::set_obj(
            "Device.WiFi.SSID.1.",
            [("SSID", "Mine", true), ("Enable", "true", true)],
        )],
    );
    let out = a.handle_record(&eid, &record_from(C1, &eid, &set), reply_to(), t0());
    let Some(Action::Remote(r)) = out.into_iter().next() else {
        panic!()
    };
    let ok = usp::msg::set_obj_ok(
        "Device.WiFi.SSID.1.",
        vec![usp::msg::set_inst_ok(
            "Device.WiFi.SSID.1.",
            [("SSID", "Mine"), ("Enable", "true")],
        )],
    );
    let answer = agent::dm::Answer::Resp(RespType::SetResp(usp::proto::usp::SetResp {
        updated_obj_results: vec![ok],
    }));
    let mut out = a.finish_remote(*r, Some(answer), t0());
    // The SetResp goes first.
    let Some(Action::Send { record, .. }) = out.first() else {
        panic!("{out:?}")
    };
    let first = crosscheck(record).1.unwrap();
    assert!(matches!(resp(&first), RespType::SetResp(_)), "{first:?}");
    out.extend(a.handle_timeout(t0(), &mut low));
    let sent = notifies(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    let Some(Notification::ValueChange(v)) = &sent[0].3.notification else {
        panic!("{sent:?}")
    };
    assert_eq!(
        (&*v.param_path, &*v.param_value),
        ("Device.WiFi.SSID.1.SSID", "Mine")
    );
}

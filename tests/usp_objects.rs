//! ObjectCreation / ObjectDeletion for a CWMP CPE, end to end: the real
//! `cwmp2usp run`, a Mosquitto the test starts, the simulated TR-181 CPE
//! and an MQTT 5 controller. Instances added or deleted by the controller
//! (USP Add/Delete) and by a local user of the CPE (the simulator's control
//! API) are each notified exactly once.

mod support;

use std::time::Duration;

use support::mqtt_ctl::{broker, setup, Controller, SERIAL};
use support::sim::{Sim, WAIT};
use usp::proto::usp::add_resp::created_object_result::operation_status::OperStatus;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;

const MAPS: &str = "Device.NAT.PortMapping.";

/// What a notification says happened: ("created" | "deleted", path).
fn change(n: &Notification) -> Option<(&'static str, String)> {
    match n {
        Notification::ObjCreation(c) => Some(("created", c.obj_path.clone())),
        Notification::ObjDeletion(d) => Some(("deleted", d.obj_path.clone())),
        _ => None,
    }
}

/// Every ObjectCreation/ObjectDeletion Notify until the CPE has had
/// `sessions` more sessions, and a while for their listings.
async fn changes_until(
    ctrl: &mut Controller,
    sim: &Sim,
    sessions: u64,
) -> Vec<(&'static str, String)> {
    let done = |s: &serde_json::Value| s["sessions_completed"].as_u64().unwrap_or(0);
    let target = done(&sim.stats()) + sessions;
    sim.trigger(SERIAL, "periodic");
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut quiet_until = None;
    loop {
        let told = ctrl
            .within(Duration::from_millis(200), |m| match m.request() {
                Some(ReqType::Notify(n)) => n.notification.as_ref().and_then(change),
                _ => None,
            })
            .await;
        seen.extend(told);
        let now = tokio::time::Instant::now();
        assert!(now < deadline, "the CPE had no session in time");
        match quiet_until {
            None if done(&sim.stats()) >= target => {
                quiet_until = Some(now + Duration::from_secs(3))
            }
            Some(t) if now >= t => return seen,
            _ => {}
        }
    }
}

/// The next ObjectCreation/ObjectDeletion Notify.
async fn next_change(ctrl: &mut Controller) -> (&'static str, String, Notification) {
    ctrl.until("object notification", |m| match m.request() {
        Some(ReqType::Notify(n)) => {
            let note = n.notification.clone()?;
            let (what, path) = change(&note)?;
            Some((what, path, note))
        }
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_added_and_deleted_are_notified_exactly_once() {
    let Some(broker) = broker() else { return };
    let (_gw, sim, mut ctrl) = setup(&broker).await;
    ctrl.subscribe("created", "ObjectCreation", MAPS).await;
    ctrl.subscribe("deleted", "ObjectDeletion", MAPS).await;

    // (a) The controller's own Add (R-NOT.0a), with its unique keys.
    let add = usp::msg::add(
        "add-map",
        false,
        vec![usp::msg::add_obj(
            MAPS,
            [("ExternalPort", "8081", true), ("Protocol", "TCP", true)],
        )],
    );
    let answer = ctrl.request(&add).await;
    let Some(RespType::AddResp(r)) = answer.response() else {
        panic!("{answer:?}")
    };
    let status = r.created_obj_results[0].oper_status.clone();
    let Some(OperStatus::OperSuccess(ok)) = status.and_then(|s| s.oper_status) else {
        panic!("{r:?}")
    };
    let added = ok.instantiated_path;
    let (what, path, note) = next_change(&mut ctrl).await;
    assert_eq!((what, path.as_str()), ("created", added.as_str()));
    let Notification::ObjCreation(c) = note else {
        unreachable!()
    };
    assert_eq!(
        c.unique_keys.get("ExternalPort").map(String::as_str),
        Some("8081")
    );
    assert_eq!(
        c.unique_keys.get("Protocol").map(String::as_str),
        Some("TCP")
    );

    // (b) A local user adds one: the count's active notification makes the
    // CPE inform, and that session's listing finds it.
    let r = sim.object(SERIAL, "add", MAPS);
    assert_eq!(r.status, 200, "{}", r.body);
    let n = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["instance"]
        .as_u64()
        .unwrap();
    let local = format!("{MAPS}{n}.");
    let (what, path, _) = next_change(&mut ctrl).await;
    assert_eq!((what, path.as_str()), ("created", local.as_str()));

    // (c) Deleted by the controller and locally.
    let del = usp::msg::delete("del-map", false, [added.clone()]);
    let answer = ctrl.request(&del).await;
    assert!(
        matches!(answer.response(), Some(RespType::DeleteResp(_))),
        "{answer:?}"
    );
    let (what, path, _) = next_change(&mut ctrl).await;
    assert_eq!((what, path.as_str()), ("deleted", added.as_str()));
    let r = sim.object(SERIAL, "delete", &local);
    assert_eq!(r.status, 200, "{}", r.body);
    let (what, path, _) = next_change(&mut ctrl).await;
    assert_eq!((what, path.as_str()), ("deleted", local.as_str()));

    // Exactly once: more sessions (and their listings) tell nothing new.
    let later = changes_until(&mut ctrl, &sim, 1).await;
    assert!(later.is_empty(), "told again: {later:?}");
}

/// A TR-098 CPE's port mappings through the mapping pack: a USP Add on
/// `Device.NAT.PortMapping.` (a WANIPConnection's PortMapping table on the
/// CPE) is told as an ObjectCreation of its TR-181 instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tr098_port_mapping_is_told_under_its_tr181_path() {
    let Some(broker) = broker() else { return };
    let (_gw, _sim, mut ctrl) =
        support::mqtt_ctl::setup_with(&broker, &[], &["--model", "tr098"]).await;
    ctrl.subscribe("created98", "ObjectCreation", MAPS).await;
    let add = usp::msg::add(
        "add98",
        false,
        vec![usp::msg::add_obj(
            MAPS,
            [("ExternalPort", "18080", true), ("Protocol", "TCP", true)],
        )],
    );
    let answer = ctrl.request(&add).await;
    assert!(
        matches!(answer.response(), Some(RespType::AddResp(_))),
        "{answer:?}"
    );
    let Notification::ObjCreation(c) = ctrl.notification("created98").await else {
        panic!("not an ObjectCreation")
    };
    assert_eq!(c.obj_path, "Device.NAT.PortMapping.3.");
}

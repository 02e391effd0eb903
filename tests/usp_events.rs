//! Inform events as USP notifications, end to end: the real `cwmp2usp
//! run`, a Mosquitto the test starts, a simulated CPE and an MQTT 5
//! controller configured on the gateway (a Subscription's Recipient must
//! be a configured Controller). The controller subscribes; what the CPE
//! informs comes back as Notify.

mod support;

use support::files::FileServer;
use support::gateway::Gateway;
use support::mqtt_ctl::{broker, setup, setup_with, Controller, SubOptions, AGENT, CTRL};
use support::mqtt_ctl::{CTRL_TOPIC, SERIAL};
use support::sim::{free_port, Sim, WAIT};
use usp::proto::usp::notify::operation_complete::OperationResp;
use usp::proto::usp::notify::{Event, Notification, OperationComplete};
use usp::proto::usp::response::RespType;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reboot_asked_by_the_controller_comes_back_as_boot_with_its_command_key() {
    let Some(broker) = broker() else { return };
    let (_gw, sim, mut ctrl) = setup(&broker).await;
    ctrl.subscribe("boot", "Event", "Device.Boot!").await;
    // A BootParameter the boot Inform does not carry: read in its session.
    let ssid = "Device.WiFi.SSID.1.SSID";
    let add = usp::msg::add(
        "bp-1",
        false,
        vec![usp::msg::add_obj(
            "Device.LocalAgent.Controller.1.BootParameter.",
            [("Enable", "true", true), ("ParameterName", ssid, true)],
        )],
    );
    let answer = ctrl.request(&add).await;
    assert!(
        matches!(answer.response(), Some(RespType::AddResp(_))),
        "{answer:?}"
    );
    let before = sim.get_value(SERIAL, ssid).expect("the CPE has an SSID");

    let op = usp::msg::operate("rb-1", "Device.Reboot()", "ck-reboot", true, [("", ""); 0]);
    let answer = ctrl.request(&op).await;
    assert!(
        matches!(answer.response(), Some(RespType::OperateResp(_))),
        "{answer:?}"
    );
    let Notification::Event(e) = ctrl.notification("boot").await else {
        panic!("not an Event")
    };
    assert_eq!(
        (e.obj_path.as_str(), e.event_name.as_str()),
        ("Device.", "Boot!")
    );
    let arg = |k: &str| e.params.get(k).map(String::as_str);
    assert_eq!(arg("Cause"), Some("RemoteReboot"));
    assert_eq!(arg("CommandKey"), Some("ck-reboot"));
    assert_eq!(arg("FirmwareUpdated"), Some("false"));
    let map: serde_json::Value = serde_json::from_str(arg("ParameterMap").unwrap()).unwrap();
    assert_eq!(map[ssid], before.as_str(), "{map}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_change_on_the_cpe_comes_back_as_value_change() {
    let Some(broker) = broker() else { return };
    let (_gw, sim, mut ctrl) = setup(&broker).await;
    let ssid = "Device.WiFi.SSID.1.SSID";
    ctrl.subscribe("vc", "ValueChange", ssid).await;
    // Time for the gateway to set the attribute on the CPE.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let r = sim.set_value(SERIAL, ssid, "Changed-Locally");
    assert_eq!(r.status, 200, "{}", r.body);
    let Notification::ValueChange(v) = ctrl.notification("vc").await else {
        panic!("not a ValueChange")
    };
    assert_eq!(
        (v.param_path.as_str(), v.param_value.as_str()),
        (ssid, "Changed-Locally")
    );
}

/// A CPE that refuses active notification (9009) on the watched parameter:
/// the gateway polls it instead, and a change still becomes a Notify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_parameter_is_polled_and_its_changes_notified() {
    let Some(broker) = broker() else { return };
    let ssid = "Device.WiFi.SSID.2.SSID";
    let (gw, sim, mut ctrl) = setup_with(
        &broker,
        &["--value-change-poll", "1"],
        &["--reject-notification", ssid],
    )
    .await;
    ctrl.subscribe("polled", "ValueChange", "Device.WiFi.SSID.*.SSID")
        .await;
    // Time for the attribute plan and a first (baseline) poll.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert!(gw.stderr().contains("polling fallback"), "{}", gw.stderr());
    let r = sim.set_value(SERIAL, ssid, "Polled-5G");
    assert_eq!(r.status, 200, "{}", r.body);
    let Notification::ValueChange(v) = ctrl.notification("polled").await else {
        panic!("not a ValueChange")
    };
    assert_eq!(
        (v.param_path.as_str(), v.param_value.as_str()),
        (ssid, "Polled-5G")
    );
    let report = gw.stop();
    let fallbacks = report["notifications"]["polling_fallbacks"].as_u64();
    assert_eq!(fallbacks, Some(1), "{report}");
}

/// A persistent subscription survives a kill -9 of the gateway that has
/// just acknowledged it: after the restart (same registry, same CWMP
/// port, so the CPE still reach it) a change on the CPE is still notified,
/// and the CPE's attribute is left as it was (no plan restores it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_survives_kill_9() {
    let Some(broker) = broker() else { return };
    let mut ctrl = Controller::connect(broker.port, CTRL, CTRL_TOPIC, AGENT).await;
    let data = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let controller = format!("{CTRL}={CTRL_TOPIC}");
    let url = broker.url();
    let args = [
        "--cwmp-auth",
        "none",
        "--cwmp-listen",
        &listen,
        "--mqtt-url",
        &url,
        "--controller",
        &controller,
    ];
    let gw = Gateway::start_in(data.path(), &args);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let sim = Sim::start(&acs, &["--count", "1", "--interval", "300"]);
    sim.wait_for("a session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });
    let ssid = "Device.WiFi.SSID.1.SSID";
    let keep = SubOptions {
        persistent: true,
        ..SubOptions::default()
    };
    ctrl.subscribe_with("kept", "ValueChange", ssid, keep).await;
    // Time for the gateway to set the attribute on the CPE.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    gw.kill_9();

    let _again = Gateway::start_in(data.path(), &args);
    // The agent's MQTT link comes up again before it can notify.
    ctrl.agent_connected().await;
    let r = sim.set_value(SERIAL, ssid, "After-Kill");
    assert_eq!(r.status, 200, "{}", r.body);
    let Notification::ValueChange(v) = ctrl.notification("kept").await else {
        panic!("not a ValueChange")
    };
    assert_eq!(
        (v.param_path.as_str(), v.param_value.as_str()),
        (ssid, "After-Kill")
    );
}

/// The Notifies that end a firmware Download(): OperationComplete for the
/// Request, and `Device.LocalAgent.TransferComplete!`.
async fn download_ends(ctrl: &mut Controller) -> (OperationComplete, Event) {
    let Notification::OperComplete(op) = ctrl.notification("op").await else {
        panic!("not an OperationComplete")
    };
    let Notification::Event(tc) = ctrl.notification("tc").await else {
        panic!("not an Event")
    };
    assert_eq!(
        (op.obj_path.as_str(), op.command_name.as_str()),
        ("Device.DeviceInfo.FirmwareImage.2.", "Download()")
    );
    assert_eq!(
        (tc.obj_path.as_str(), tc.event_name.as_str()),
        ("Device.LocalAgent.", "TransferComplete!")
    );
    (op, tc)
}

/// Operates `Download()` of `url` with `key`; the answer names a Request.
async fn download(ctrl: &mut Controller, key: &str, url: &str) {
    let inputs = [("URL", url), ("AutoActivate", "true")];
    ctrl.operate_async(DOWNLOAD, key, &inputs).await;
}

const DOWNLOAD: &str = "Device.DeviceInfo.FirmwareImage.2.Download()";

/// A firmware Download() that the CPE completes, then one whose file is
/// not there: each ends in OperationComplete and TransferComplete!, the
/// second with the CPE's fault as a USP error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_ends_in_operation_complete_and_transfer_complete() {
    let Some(broker) = broker() else { return };
    let (_gw, _sim, mut ctrl) = setup(&broker).await;
    let files = FileServer::start().await;
    ctrl.subscribe("op", "OperationComplete", DOWNLOAD).await;
    ctrl.subscribe("tc", "Event", "Device.LocalAgent.TransferComplete!")
        .await;

    download(&mut ctrl, "ck-good", &files.url()).await;
    let (op, tc) = download_ends(&mut ctrl).await;
    assert_eq!(op.command_key, "ck-good");
    assert!(
        matches!(op.operation_resp, Some(OperationResp::ReqOutputArgs(_))),
        "{op:?}"
    );
    let arg = |k: &str| tc.params.get(k).cloned().unwrap_or_default();
    assert_eq!(arg("CommandKey"), "ck-good");
    assert_eq!(arg("Command"), DOWNLOAD);
    assert_eq!(arg("TransferType"), "Download");
    assert_eq!(arg("TransferURL"), files.url());
    assert_eq!(arg("Requestor"), CTRL);
    assert_eq!(arg("FaultCode"), "0");

    download(&mut ctrl, "ck-bad", &files.missing_url()).await;
    let (op, tc) = download_ends(&mut ctrl).await;
    assert_eq!(op.command_key, "ck-bad");
    let Some(OperationResp::CmdFailure(f)) = &op.operation_resp else {
        panic!("{op:?}")
    };
    let arg = |k: &str| tc.params.get(k).cloned().unwrap_or_default();
    assert_eq!(arg("CommandKey"), "ck-bad");
    assert_eq!(arg("FaultCode"), f.err_code.to_string());
    assert_ne!(arg("FaultCode"), "0");
    assert!(!arg("FaultString").is_empty(), "{tc:?}");
}

/// A TR-098 CPE: the subscription names the TR-181 path its mapping pack
/// gives WLANConfiguration.1.SSID; active notification is set on that
/// TR-098 parameter, and the CPE's "4 VALUE CHANGE" comes back as a
/// ValueChange of the TR-181 path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tr098_change_is_told_under_its_tr181_name() {
    let Some(broker) = broker() else { return };
    let (_gw, sim, mut ctrl) = setup_with(&broker, &[], &["--model", "tr098"]).await;
    let ssid = "Device.WiFi.SSID.1.SSID";
    ctrl.subscribe("vc98", "ValueChange", ssid).await;
    let wlan = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID";
    // Until the gateway has set the attribute a change goes untold: change
    // it again until one is.
    let started = std::time::Instant::now();
    for attempt in 0.. {
        assert!(started.elapsed() < WAIT, "no ValueChange in time");
        let value = format!("Changed-98-{attempt}");
        let r = sim.set_value(SERIAL, wlan, &value);
        assert_eq!(r.status, 200, "{}", r.body);
        let told = ctrl
            .within(std::time::Duration::from_secs(2), |m| match m.request() {
                Some(usp::proto::usp::request::ReqType::Notify(n))
                    if n.subscription_id == "vc98" =>
                {
                    n.notification.clone()
                }
                _ => None,
            })
            .await;
        if let Some(Notification::ValueChange(v)) = told {
            assert_eq!(v.param_path, ssid);
            assert!(v.param_value.starts_with("Changed-98-"), "{v:?}");
            break;
        }
    }
}

/// A diagnostic ends in OperationComplete with the CPE's results as its
/// output arguments ("8 DIAGNOSTICS COMPLETE", then a read of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_diagnostic_ends_in_operation_complete_with_its_results() {
    let Some(broker) = broker() else { return };
    let (_gw, _sim, mut ctrl) = setup(&broker).await;
    let ping = "Device.IP.Diagnostics.IPPing()";
    ctrl.subscribe("diag", "OperationComplete", ping).await;
    let inputs = [("Host", "192.0.2.7"), ("NumberOfRepetitions", "3")];
    let op = usp::msg::operate("ping-1", ping, "ck-ping", true, inputs);
    let answer = ctrl.request(&op).await;
    assert!(
        matches!(answer.response(), Some(RespType::OperateResp(_))),
        "{answer:?}"
    );
    let Notification::OperComplete(done) = ctrl.notification("diag").await else {
        panic!("not an OperationComplete")
    };
    assert_eq!(
        (
            done.obj_path.as_str(),
            done.command_name.as_str(),
            done.command_key.as_str()
        ),
        ("Device.IP.Diagnostics.", "IPPing()", "ck-ping")
    );
    let Some(OperationResp::ReqOutputArgs(out)) = &done.operation_resp else {
        panic!("{done:?}")
    };
    assert_eq!(
        out.output_args.get("Status").map(String::as_str),
        Some("Complete")
    );
    assert!(out.output_args.contains_key("SuccessCount"), "{out:?}");
}

/// Periodic! on the controller's PeriodicNotifInterval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_comes_on_the_controller_s_interval() {
    let Some(broker) = broker() else { return };
    let (_gw, _sim, mut ctrl) = setup(&broker).await;
    let set = usp::msg::set(
        "per-1",
        false,
        vec![usp::msg::set_obj(
            "Device.LocalAgent.Controller.1.",
            [("PeriodicNotifInterval", "1", true)],
        )],
    );
    let answer = ctrl.request(&set).await;
    assert!(
        matches!(answer.response(), Some(RespType::SetResp(_))),
        "{answer:?}"
    );
    ctrl.subscribe("tick", "Event", "Device.LocalAgent.Periodic!")
        .await;
    for _ in 0..2 {
        let Notification::Event(e) = ctrl.notification("tick").await else {
            panic!("not an Event")
        };
        assert_eq!(
            (e.obj_path.as_str(), e.event_name.as_str()),
            ("Device.LocalAgent.", "Periodic!")
        );
    }
}

/// The subscribing controller's own Set is told too (R-NOT.0a), though the
/// CPE never informs changes its ACS made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_s_own_set_is_told() {
    let Some(broker) = broker() else { return };
    let (_gw, _sim, mut ctrl) = setup(&broker).await;
    let ssid = "Device.WiFi.SSID.1.SSID";
    ctrl.subscribe("own", "ValueChange", ssid).await;
    let set = usp::msg::set(
        "own-set",
        false,
        vec![usp::msg::set_obj(
            "Device.WiFi.SSID.1.",
            [("SSID", "Set-By-Me", true)],
        )],
    );
    let answer = ctrl.request(&set).await;
    assert!(
        matches!(answer.response(), Some(RespType::SetResp(_))),
        "{answer:?}"
    );
    let Notification::ValueChange(v) = ctrl.notification("own").await else {
        panic!("not a ValueChange")
    };
    assert_eq!(
        (v.param_path.as_str(), v.param_value.as_str()),
        (ssid, "Set-By-Me")
    );
}

//! Inform events as USP notifications, end to end: the real `cwmp2usp
//! run`, a Mosquitto the test starts, a simulated CPE and an MQTT 5
//! controller configured on the gateway (a Subscription's Recipient must
//! be a configured Controller). The controller subscribes; what the CPE
//! informs comes back as Notify.

#[path = "../crates/mtp/tests/support/controller5.rs"]
mod controller5;
#[path = "../crates/mtp/tests/support/mosquitto.rs"]
#[allow(dead_code)]
mod mosquitto;
mod support;
#[path = "support/usp_mqtt.rs"]
mod usp_mqtt;

use support::gateway::Gateway;
use support::sim::{free_port, Sim, WAIT};
use usp::proto::usp::notify::Notification;
use usp::proto::usp::response::RespType;
use usp_mqtt::{broker, setup, setup_with, Controller, CTRL, CTRL_TOPIC, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reboot_asked_by_the_controller_comes_back_as_boot_with_its_command_key() {
    let Some(broker) = broker() else { return };
    let (_gw, _sim, mut ctrl) = setup(&broker).await;
    ctrl.subscribe("boot", "Event", "Device.Boot!").await;

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
}

/// A persistent subscription survives a kill -9 of the gateway that has
/// just acknowledged it: after the restart (same registry, same CWMP
/// port, so the CPE still reach it) a change on the CPE is still notified,
/// and the CPE's attribute is left as it was (no plan restores it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_survives_kill_9() {
    let Some(broker) = broker() else { return };
    let (client, inbox) = controller5::v5_controller(broker.port, "e2e-kill", CTRL_TOPIC).await;
    let mut ctrl = Controller { client, inbox };
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
    ctrl.subscribe_with("kept", "ValueChange", ssid, "true")
        .await;
    // Time for the gateway to set the attribute on the CPE.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    gw.kill_9();

    let _again = Gateway::start_in(data.path(), &args);
    // The agent's MQTT link comes up again before it can notify.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
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

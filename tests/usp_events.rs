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

use mosquitto::Mosquitto;
use rumqttc::v5::mqttbytes::v5::{Publish, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::AsyncClient;
use support::gateway::Gateway;
use support::sim::{free_port, Sim, WAIT};
use tokio::sync::mpsc;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;

const AGENT: &str = "os::00D09E-SIM000000";
const SERIAL: &str = "SIM000000";
const CTRL: &str = "proto::e2e-events";
const CTRL_TOPIC: &str = "usp/controller/e2e-events";

/// A broker, or a skip outside CI (CI installs mosquitto).
fn broker() -> Option<Mosquitto> {
    let b = Mosquitto::start();
    assert!(
        b.is_some() || std::env::var_os("CI").is_none(),
        "mosquitto is missing"
    );
    b
}

struct Controller {
    client: AsyncClient,
    inbox: mpsc::Receiver<Publish>,
}

impl Controller {
    async fn send(&self, msg: &usp::Msg) {
        let record = usp::record::no_session_context(AGENT, CTRL, msg);
        let props = PublishProperties {
            content_type: Some("usp.msg".into()),
            response_topic: Some(CTRL_TOPIC.into()),
            ..PublishProperties::default()
        };
        self.client
            .publish_with_properties(
                format!("usp/agent/{AGENT}"),
                QoS::AtLeastOnce,
                false,
                usp::encode_record(&record),
                props,
            )
            .await
            .unwrap();
    }

    /// The next Msg from the agent that `pick` takes (others pass by).
    async fn until<T>(&mut self, what: &str, pick: impl Fn(&usp::Msg) -> Option<T>) -> T {
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let p = self.inbox.recv().await.expect("controller running");
                let Ok(record) = usp::decode_record(&p.payload) else {
                    continue;
                };
                if let Some(t) = record.msg.as_ref().and_then(&pick) {
                    return t;
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no {what} in time"))
    }

    async fn request(&mut self, msg: &usp::Msg) -> usp::Msg {
        self.send(msg).await;
        let id = msg.msg_id().to_owned();
        self.until(&id, |m| (m.msg_id() == id).then(|| m.clone()))
            .await
    }

    async fn subscribe(&mut self, id: &str, kind: &str, refs: &str) {
        self.subscribe_with(id, kind, refs, "false").await
    }

    /// As [`Controller::subscribe`]; `persistent` "true" keeps it across
    /// restarts of the agent (TR-181 Subscription.Persistent).
    async fn subscribe_with(&mut self, id: &str, kind: &str, refs: &str, persistent: &str) {
        let settings = [
            ("ID", id, true),
            ("NotifType", kind, true),
            ("ReferenceList", refs, true),
            ("Persistent", persistent, true),
            ("Enable", "true", true),
        ];
        let add = usp::msg::add(
            format!("add-{id}"),
            false,
            vec![usp::msg::add_obj(
                "Device.LocalAgent.Subscription.",
                settings,
            )],
        );
        let answer = self.request(&add).await;
        assert!(
            matches!(answer.response(), Some(RespType::AddResp(_))),
            "{answer:?}"
        );
    }

    /// The next Notify of subscription `id`.
    async fn notification(&mut self, id: &str) -> Notification {
        self.until(id, |m| match m.request() {
            Some(ReqType::Notify(n)) if n.subscription_id == id => n.notification.clone(),
            _ => None,
        })
        .await
    }
}

/// The gateway, one CPE past its boot session, and the controller.
async fn setup(broker: &Mosquitto) -> (Gateway, Sim, Controller) {
    setup_with(broker, &[], &[]).await
}

/// As [`setup`], with more gateway and simulator arguments.
async fn setup_with(
    broker: &Mosquitto,
    gateway: &[&str],
    cpe: &[&str],
) -> (Gateway, Sim, Controller) {
    let (client, inbox) = controller5::v5_controller(broker.port, "e2e-events", CTRL_TOPIC).await;
    let controller = format!("{CTRL}={CTRL_TOPIC}");
    let url = broker.url();
    let mut args = vec![
        "--cwmp-auth",
        "none",
        "--mqtt-url",
        &url,
        "--controller",
        &controller,
    ];
    args.extend_from_slice(gateway);
    let gw = Gateway::start(&args);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let mut sim_args = vec!["--count", "1", "--interval", "300"];
    sim_args.extend_from_slice(cpe);
    let sim = Sim::start(&acs, &sim_args);
    sim.wait_for("a session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });
    (gw, sim, Controller { client, inbox })
}

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

//! A USP controller over MQTT 5 for the end-to-end tests of
//! notifications: a Mosquitto the test starts, the real `cwmp2usp run`
//! with that controller configured, one simulated CPE past its boot
//! session. Used with `mod controller5; mod mosquitto; mod support;`
//! declared by the test (see tests/usp_events.rs).

use crate::controller5;
use crate::mosquitto::Mosquitto;
use crate::support::gateway::Gateway;
use crate::support::sim::{Sim, WAIT};
use rumqttc::v5::mqttbytes::v5::{Publish, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::AsyncClient;
use tokio::sync::mpsc;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;

pub const AGENT: &str = "os::00D09E-SIM000000";
pub const SERIAL: &str = "SIM000000";
pub const CTRL: &str = "proto::e2e-events";
pub const CTRL_TOPIC: &str = "usp/controller/e2e-events";

/// A broker, or a skip outside CI (CI installs mosquitto).
pub fn broker() -> Option<Mosquitto> {
    let b = Mosquitto::start();
    assert!(
        b.is_some() || std::env::var_os("CI").is_none(),
        "mosquitto is missing"
    );
    b
}

pub struct Controller {
    pub client: AsyncClient,
    pub inbox: mpsc::Receiver<Publish>,
}

impl Controller {
    pub async fn send(&self, msg: &usp::Msg) {
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
    pub async fn until<T>(&mut self, what: &str, pick: impl Fn(&usp::Msg) -> Option<T>) -> T {
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

    pub async fn request(&mut self, msg: &usp::Msg) -> usp::Msg {
        self.send(msg).await;
        let id = msg.msg_id().to_owned();
        self.until(&id, |m| (m.msg_id() == id).then(|| m.clone()))
            .await
    }

    pub async fn subscribe(&mut self, id: &str, kind: &str, refs: &str) {
        self.subscribe_with(id, kind, refs, "false").await
    }

    /// As [`Controller::subscribe`]; `persistent` "true" keeps it across
    /// restarts of the agent (TR-181 Subscription.Persistent).
    pub async fn subscribe_with(&mut self, id: &str, kind: &str, refs: &str, persistent: &str) {
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
    pub async fn notification(&mut self, id: &str) -> Notification {
        self.until(id, |m| match m.request() {
            Some(ReqType::Notify(n)) if n.subscription_id == id => n.notification.clone(),
            _ => None,
        })
        .await
    }
}

/// The gateway, one CPE past its boot session, and the controller.
pub async fn setup(broker: &Mosquitto) -> (Gateway, Sim, Controller) {
    setup_with(broker, &[], &[]).await
}

/// As [`setup`], with more gateway and simulator arguments.
pub async fn setup_with(
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

//! An MQTT 5 USP controller for the events tests: it talks to one agent,
//! subscribes through `Device.LocalAgent.Subscription.` and waits for the
//! Notify it expects. Unlike the mtp crate's `controller5`, its client
//! survives a broker restart: it polls on after a lost connection and
//! subscribes again on each CONNACK (a restarted broker has no session).

use std::collections::VecDeque;
use std::time::Duration;

use rumqttc::v5;
use rumqttc::v5::mqttbytes::v5::{Packet, Publish, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use tokio::sync::mpsc;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;

use super::gateway::Gateway;
use super::mosquitto::Mosquitto;
use super::sim::{Sim, WAIT};

/// The simulator's first CPE, as an agent and as a serial number.
pub const AGENT: &str = "os::00D09E-SIM000000";
pub const SERIAL: &str = "SIM000000";
/// The controller configured on the gateway (a Subscription's Recipient
/// must be a configured Controller) and its topic.
pub const CTRL: &str = "proto::e2e-events";
pub const CTRL_TOPIC: &str = "usp/controller/e2e-events";

/// A broker on a free port, or a skip outside CI (CI installs mosquitto).
pub fn broker() -> Option<Mosquitto> {
    let b = Mosquitto::start();
    assert!(
        b.is_some() || std::env::var_os("CI").is_none(),
        "mosquitto is missing"
    );
    b
}

/// The gateway with [`CTRL`] configured, one CPE past its boot session,
/// and the controller.
pub async fn setup(broker: &Mosquitto) -> (Gateway, Sim, Controller) {
    setup_with(broker, &[], &[]).await
}

/// As [`setup`], with more gateway and simulator arguments.
pub async fn setup_with(
    broker: &Mosquitto,
    gateway: &[&str],
    cpe: &[&str],
) -> (Gateway, Sim, Controller) {
    let ctrl = Controller::connect(broker.port, CTRL, CTRL_TOPIC, AGENT).await;
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
    (gw, sim, ctrl)
}

pub struct Controller {
    pub client: v5::AsyncClient,
    inbox: mpsc::Receiver<Publish>,
    /// Msgs no wait took yet: Notifies of two subscriptions may come in
    /// either order.
    unread: VecDeque<usp::Msg>,
    agent: String,
    eid: String,
    topic: String,
}

/// What a subscription asks for beyond its type and ReferenceList.
#[derive(Clone, Copy, Default)]
pub struct SubOptions {
    pub persistent: bool,
    pub notif_retry: bool,
}

impl Controller {
    /// A controller `eid` on the broker at 127.0.0.1:`port`, reading its
    /// answers on `topic`, talking to `agent` on `usp/agent/<agent>`.
    pub async fn connect(port: u16, eid: &str, topic: &str, agent: &str) -> Controller {
        let client_id = format!("ctl-{}", topic.replace('/', "-"));
        let mut o = v5::MqttOptions::new(client_id, "127.0.0.1", port);
        o.set_max_packet_size(Some(4 * 1024 * 1024));
        let (client, mut eventloop) = v5::AsyncClient::new(o, 16);
        let (tx, inbox) = mpsc::channel(64);
        let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel();
        let (resub, filter) = (client.clone(), topic.to_owned());
        tokio::spawn(async move {
            let mut subscribed = Some(subscribed_tx);
            loop {
                match eventloop.poll().await {
                    Ok(v5::Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = resub.try_subscribe(filter.clone(), QoS::AtLeastOnce);
                    }
                    Ok(v5::Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(s) = subscribed.take() {
                            let _ = s.send(());
                        }
                    }
                    Ok(v5::Event::Incoming(Packet::Publish(p))) => {
                        // The test is over when nobody reads.
                        if tx.send(p).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    // The broker is away: rumqttc reconnects on the next poll.
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        });
        tokio::time::timeout(WAIT, subscribed_rx)
            .await
            .expect("subscribed in time")
            .expect("controller running");
        Controller {
            client,
            inbox,
            unread: VecDeque::new(),
            agent: agent.into(),
            eid: eid.into(),
            topic: topic.into(),
        }
    }

    pub async fn send(&self, msg: &usp::Msg) {
        let record = usp::record::no_session_context(&self.agent, &self.eid, msg);
        let props = PublishProperties {
            content_type: Some("usp.msg".into()),
            response_topic: Some(self.topic.clone()),
            ..PublishProperties::default()
        };
        self.client
            .publish_with_properties(
                format!("usp/agent/{}", self.agent),
                QoS::AtLeastOnce,
                false,
                usp::encode_record(&record),
                props,
            )
            .await
            .expect("controller running");
    }

    /// The next Msg from the agent that `pick` takes (others wait for a
    /// later call).
    pub async fn until<T>(&mut self, what: &str, pick: impl Fn(&usp::Msg) -> Option<T>) -> T {
        self.within(WAIT, pick)
            .await
            .unwrap_or_else(|| panic!("no {what} in time"))
    }

    /// As [`Controller::until`], `None` after `limit`.
    pub async fn within<T>(
        &mut self,
        limit: Duration,
        pick: impl Fn(&usp::Msg) -> Option<T>,
    ) -> Option<T> {
        if let Some(i) = self.unread.iter().position(|m| pick(m).is_some()) {
            return self.unread.remove(i).and_then(|m| pick(&m));
        }
        let (inbox, unread) = (&mut self.inbox, &mut self.unread);
        tokio::time::timeout(limit, async {
            loop {
                let p = inbox.recv().await.expect("controller running");
                let Some(msg) = usp::decode_record(&p.payload).ok().and_then(|r| r.msg) else {
                    continue;
                };
                if let Some(t) = pick(&msg) {
                    return t;
                }
                if unread.len() == 256 {
                    unread.pop_front();
                }
                unread.push_back(msg);
            }
        })
        .await
        .ok()
    }

    /// Waits for the agent's MQTTConnect Record: after it, the agent is
    /// subscribed and its Notifies have a link (R-MTP.6).
    pub async fn agent_connected(&mut self) {
        use usp::proto::usp_record::record::RecordType;
        let (inbox, unread) = (&mut self.inbox, &mut self.unread);
        let connected = tokio::time::timeout(WAIT, async {
            loop {
                let p = inbox.recv().await.expect("controller running");
                let Ok(r) = usp::decode_record(&p.payload) else {
                    continue;
                };
                if matches!(r.record.record_type, Some(RecordType::MqttConnect(_))) {
                    return;
                }
                if let Some(m) = r.msg {
                    unread.push_back(m);
                }
            }
        })
        .await;
        assert!(connected.is_ok(), "the agent never connected");
    }

    pub async fn request(&mut self, msg: &usp::Msg) -> usp::Msg {
        self.send(msg).await;
        let id = msg.msg_id().to_owned();
        self.until(&id, |m| (m.msg_id() == id).then(|| m.clone()))
            .await
    }

    /// Operates an asynchronous `command` with `key` and `inputs`; the
    /// answer must name the Request it opened.
    pub async fn operate_async(&mut self, command: &str, key: &str, inputs: &[(&str, &str)]) {
        use usp::proto::usp::operate_resp::operation_result::OperationResp;
        let op = usp::msg::operate(format!("op-{key}"), command, key, true, inputs.to_vec());
        let answer = self.request(&op).await;
        let Some(RespType::OperateResp(r)) = answer.response() else {
            panic!("{answer:?}")
        };
        assert!(
            matches!(
                r.operation_results[0].operation_resp,
                Some(OperationResp::ReqObjPath(_))
            ),
            "{r:?}"
        );
    }

    /// Adds an enabled, non-persistent subscription without NotifRetry.
    pub async fn subscribe(&mut self, id: &str, kind: &str, refs: &str) {
        self.subscribe_with(id, kind, refs, SubOptions::default())
            .await
    }

    pub async fn subscribe_with(&mut self, id: &str, kind: &str, refs: &str, o: SubOptions) {
        let flag = |b: bool| if b { "true" } else { "false" };
        let settings = [
            ("ID", id, true),
            ("NotifType", kind, true),
            ("ReferenceList", refs, true),
            ("Persistent", flag(o.persistent), true),
            ("NotifRetry", flag(o.notif_retry), true),
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

    /// The next Notify of subscription `id`, with its msg_id and send_resp.
    pub async fn notify(&mut self, id: &str) -> (String, bool, Notification) {
        self.until(id, |m| match m.request() {
            Some(ReqType::Notify(n)) if n.subscription_id == id => n
                .notification
                .clone()
                .map(|x| (m.msg_id().to_owned(), n.send_resp, x)),
            _ => None,
        })
        .await
    }

    /// The next Notify's content only.
    pub async fn notification(&mut self, id: &str) -> Notification {
        self.notify(id).await.2
    }

    /// Answers a Notify that asked for it.
    pub async fn notify_resp(&self, msg_id: &str, subscription_id: &str) {
        self.send(&usp::msg::notify_resp(msg_id, subscription_id))
            .await
    }
}

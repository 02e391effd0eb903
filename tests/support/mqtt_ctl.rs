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

use super::sim::WAIT;

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

    pub async fn request(&mut self, msg: &usp::Msg) -> usp::Msg {
        self.send(msg).await;
        let id = msg.msg_id().to_owned();
        self.until(&id, |m| (m.msg_id() == id).then(|| m.clone()))
            .await
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

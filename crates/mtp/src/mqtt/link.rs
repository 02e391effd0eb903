//! One agent's MQTT connection, as a tokio task: wait for a connection slot,
//! connect, subscribe, announce the link, deliver Records, and on loss tell
//! the agent and retry after a backoff. Decisions come from [`Session`],
//! [`Backoff`] and [`Pacer`]; this file only waits and moves things.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use usp::mtp::{LinkUp, MqttVersion, ReplyTo};

use super::config::MqttConfig;
use super::pace::{Backoff, Pacer};
use super::session::{Session, Subscribed};
use super::wire::{Client, Happening, Wire};
use crate::Inbound;

/// What the handle and the task of one agent share.
pub struct Link {
    pub eid: Arc<str>,
    pub agent_topic: Arc<str>,
    pub client: Client,
    /// Our reply topic while the link is up (subscribed); `None` otherwise.
    reply_topic: RwLock<Option<Arc<str>>>,
    /// The broker's Maximum Packet Size from CONNACK; 0 when it gave none.
    broker_max_packet: AtomicUsize,
    removed: AtomicBool,
}

impl Link {
    pub fn new(eid: Arc<str>, agent_topic: Arc<str>, client: Client) -> Self {
        Link {
            eid,
            agent_topic,
            client,
            reply_topic: RwLock::new(None),
            broker_max_packet: AtomicUsize::new(0),
            removed: AtomicBool::new(false),
        }
    }

    pub fn reply_topic(&self) -> Option<Arc<str>> {
        self.reply_topic.read().ok().and_then(|r| r.clone())
    }

    fn set_reply_topic(&self, topic: Option<Arc<str>>) {
        if let Ok(mut r) = self.reply_topic.write() {
            *r = topic;
        }
    }

    pub fn broker_max_packet(&self) -> Option<usize> {
        match self.broker_max_packet.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// Stops the task at its next step; a DISCONNECT goes out if the link
    /// can still carry one (R-MQTT.35).
    pub fn remove(&self) {
        self.removed.store(true, Ordering::Relaxed);
        self.client.try_disconnect();
    }
}

/// Everything the agents of one MTP share.
pub struct Shared {
    pub config: MqttConfig,
    pub inbound: mpsc::Sender<Inbound>,
    pub pacer: Mutex<Pacer>,
}

impl Shared {
    async fn wait_for_slot(&self) {
        let now = Instant::now();
        let slot = self.pacer.lock().map(|mut p| p.reserve(now)).unwrap_or(now);
        tokio::time::sleep_until(slot.into()).await;
    }
}

enum End {
    /// The connection failed or broke: retry.
    Lost,
    /// We said DISCONNECT, or nobody listens any more: stop.
    Stop,
}

/// The task body of one agent.
pub async fn run<W: Wire>(mut wire: W, link: Arc<Link>, shared: Arc<Shared>, seed: u64) {
    let mut session = Session::new(W::V5, link.agent_topic.clone());
    let config = &shared.config;
    let mut backoff = Backoff::new(config.retry_first, config.retry_max, seed);
    loop {
        shared.wait_for_slot().await;
        if link.removed.load(Ordering::Relaxed) {
            return;
        }
        let end = connection(&mut wire, &mut session, &link, &shared, &mut backoff).await;
        wire.reset();
        link.set_reply_topic(None);
        if session.lost() {
            let down = Inbound::Down {
                agent: link.eid.clone(),
                protocol: "MQTT",
                link: None,
            };
            if shared.inbound.send(down).await.is_err() {
                return;
            }
        }
        if matches!(end, End::Stop) || link.removed.load(Ordering::Relaxed) {
            return;
        }
        let delay = backoff.next_delay();
        debug!(agent = %link.eid, ?delay, "MQTT reconnect scheduled");
        tokio::time::sleep(delay).await;
    }
}

async fn connection<W: Wire>(
    wire: &mut W,
    session: &mut Session,
    link: &Link,
    shared: &Shared,
    backoff: &mut Backoff,
) -> End {
    let mut refused = false;
    loop {
        let happening = match wire.next().await {
            Ok(h) => h,
            Err(e) => {
                debug!(agent = %link.eid, error = %e, "MQTT connection lost");
                return End::Lost;
            }
        };
        match happening {
            Happening::Connected {
                subscribe_topics,
                response_information,
                broker_max_packet,
            } => {
                let max = broker_max_packet.map_or(0, |m| usize::try_from(m).unwrap_or(usize::MAX));
                link.broker_max_packet.store(max, Ordering::Relaxed);
                let filters = session.connected(
                    subscribe_topics.iter().map(String::as_str),
                    response_information.as_deref(),
                );
                if let Err(e) = wire.subscribe(filters) {
                    warn!(agent = %link.eid, error = %e, "MQTT SUBSCRIBE not queued");
                    return End::Lost;
                }
            }
            Happening::SubAck(granted) => match session.subscribed(&granted) {
                Subscribed::Up(reply) => {
                    backoff.reset();
                    link.set_reply_topic(Some(reply.clone()));
                    info!(agent = %link.eid, topic = %reply, "MQTT link up");
                    let up = Inbound::Up {
                        agent: link.eid.clone(),
                        link: LinkUp::Mqtt {
                            version: if W::V5 {
                                MqttVersion::V5
                            } else {
                                MqttVersion::V3_1_1
                            },
                            subscribed_topic: reply.to_string(),
                        },
                    };
                    if shared.inbound.send(up).await.is_err() {
                        wire.disconnect();
                        return End::Stop;
                    }
                }
                Subscribed::Refused => {
                    warn!(agent = %link.eid, "MQTT broker refused the agent's reply topic; disconnecting");
                    refused = true;
                    wire.disconnect();
                }
                Subscribed::Ignored => {}
            },
            Happening::Record { reply, payload } => {
                let record = Inbound::Record {
                    agent: link.eid.clone(),
                    reply: ReplyTo::Mqtt { topic: reply },
                    payload,
                };
                // Waiting here pushes back on the broker through TCP while
                // the agent logic is busy: memory stays bounded.
                if shared.inbound.send(record).await.is_err() {
                    wire.disconnect();
                    return End::Stop;
                }
            }
            Happening::Refused(why) => {
                warn!(agent = %link.eid, ?why, "MQTT PUBLISH dropped");
            }
            Happening::Closed => return if refused { End::Lost } else { End::Stop },
            Happening::Nothing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::config::BrokerUrl;
    use crate::mqtt::driver::{NativeWire, Target};
    use crate::mqtt::wire::{V311Wire, V5Wire};

    /// The task of an agent is allocated once and lives as long as the
    /// agent: at ten thousand agents every KiB here is 10 MiB. With
    /// rumqttc its `poll` future (connect, TLS, keep-alive) is most of it;
    /// the native driver boxes its connect and keeps its read buffer on
    /// the poll stack, so a stray buffer in the future shows up here.
    #[test]
    fn an_agent_task_stays_small() {
        let config = MqttConfig::new(BrokerUrl::parse("mqtt://127.0.0.1:1").unwrap());
        let (tx, _rx) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            config: config.clone(),
            inbound: tx,
            pacer: Mutex::new(Pacer::new(0)),
        });
        let (client, wire) = V5Wire::new(&config, "e", String::new());
        let link = Arc::new(Link::new("e".into(), "t".into(), client));
        let v5 = std::mem::size_of_val(&run(wire, link, shared.clone(), 1));
        let (client, wire) = V311Wire::new(&config, String::new());
        let link = Arc::new(Link::new("e".into(), "t".into(), client));
        let v3 = std::mem::size_of_val(&run(wire, link, shared.clone(), 1));
        eprintln!("agent task future, rumqttc: MQTT 5 {v5} bytes, 3.1.1 {v3} bytes");
        assert!(v5 <= 6 * 1024 && v3 <= 4 * 1024, "v5 {v5}, v3 {v3}");
        let target = Arc::new(Target::new(&config));
        let (outbox, wire) =
            NativeWire::<true>::new(&config, target.clone(), "e".into(), String::new());
        let link = Arc::new(Link::new("e".into(), "t".into(), Client::Native(outbox)));
        let native5 = std::mem::size_of_val(&run(wire, link, shared.clone(), 1));
        let (outbox, wire) = NativeWire::<false>::new(&config, target, "e".into(), String::new());
        let link = Arc::new(Link::new("e".into(), "t".into(), Client::Native(outbox)));
        let native3 = std::mem::size_of_val(&run(wire, link, shared, 1));
        eprintln!("agent task future, native: MQTT 5 {native5} bytes, 3.1.1 {native3} bytes");
        assert!(
            native5 <= 2048 && native3 <= 2048,
            "v5 {native5}, v3 {native3}"
        );
    }
}

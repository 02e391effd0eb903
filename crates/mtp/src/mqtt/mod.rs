//! The MQTT 5 / 3.1.1 MTP: every virtual agent is its own MQTT client with
//! its own broker connection, as a native agent would be.
//!
//! [`MqttMtp`] is the handle: [`MqttMtp::add_agent`] spawns one tokio task
//! per agent that connects (paced across agents, [`MqttConfig::connects_per_second`]),
//! subscribes, announces [`Inbound::Up`], delivers [`Inbound::Record`]s and
//! reconnects with a jittered exponential backoff after [`Inbound::Down`].
//! [`MqttMtp::send`] publishes at QoS 1 (or 0, [`MqttConfig::publish_qos`]) without waiting.
//!
//! # What goes on the wire (USP MQTT binding)
//!
//! - CONNECT (5): user property `usp-endpoint-id` = EID (R-MQTT.13),
//!   Request Response Information = 1 (R-MQTT.12), Maximum Packet Size =
//!   `max_record_bytes` + 8 KiB, Receive Maximum, Clean Start.
//! - ClientId (R-MQTT.8/9/11): the configured template with `{eid}`; else
//!   empty on MQTT 5, after which an Assigned Client Identifier from the
//!   CONNACK is kept for every reconnect; else the EID on 3.1.1.
//! - SUBSCRIBE at QoS 1, or 0 with [`MqttConfig::subscribe_qos`] (R-MQTT.15
//!   names no QoS): the agent topic, every CONNACK
//!   `subscribe-topic`, and the CONNACK Response Information unless already
//!   covered; that Response Information becomes our reply topic (R-MQTT.21).
//!   On 3.1.1 the one filter is `<agent topic>/#`: it matches the agent
//!   topic itself and the `/reply-to=` suffixes 3.1.1 controllers append.
//!   The link is up when a granted filter covers the reply topic; otherwise
//!   we DISCONNECT and retry later (R-MQTT.17).
//! - Inbound PUBLISH: Content Type `usp.msg`, `application/vnd.bbf.usp.msg`
//!   or none (Oktopus sends none); reply-to from the Response Topic (5) or
//!   the last `/reply-to=` suffix, `%2F` → `/` (3.1.1, R-MQTT.25/26).
//! - Outbound PUBLISH at [`MqttConfig::publish_qos`] (default 1): Content Type `usp.msg` and Response Topic =
//!   our reply topic (5); `<destination>/reply-to=<our topic, / as %2F>`
//!   (3.1.1, R-MQTT.24).
//!
//! # Decisions and deviations
//!
//! - A PUBLISH without a reply-to is dropped with a warning: R-MQTT.22
//!   requires one and an answer could go nowhere (R-MQTT.26).
//! - Oversized Records: on MQTT 5 the broker drops what exceeds our
//!   Maximum Packet Size, and the shell drops payloads over
//!   `max_record_bytes`; the link stays up. On 3.1.1 a payload between
//!   `max_record_bytes` and `max_record_bytes` + 8 KiB is dropped the same
//!   way, but a bigger packet makes the client close the connection as soon
//!   as its fixed header arrives, without buffering it (3.1.1 has no way to
//!   tell the broker our limit); we reconnect after the backoff.
//! - R-MQTT.31/32 (an error PUBLISH, or PUBACK reason 0x99, for a Record
//!   that cannot be extracted) are not done: the shell does not decode
//!   Records, and QoS 1 is acknowledged before the packet is handed over.
//! - Sessions start clean, so what was queued while the link was down is
//!   dropped on reconnect; `send` refuses while the link is down
//!   ([`MtpError::NoLink`]) and the agent logic's NotifRetry covers it.
//! - Records for the agent logic are handed over with a waiting send: a
//!   slow consumer slows the broker down through TCP instead of growing a
//!   queue; stalled beyond 1.5 × keep-alive, the broker drops the link.
//!
//! # Two drivers ([`MqttConfig::driver`])
//!
//! - [`MqttDriver::Native`] (default): a sans-IO client state machine
//!   (`protocol.rs`: CONNECT/CONNACK, SUBSCRIBE/SUBACK, QoS 0/1 PUBLISH
//!   with PUBACK, PINGREQ keep-alive, DISCONNECT with reason codes,
//!   packet ids within a small window) on rumqttc's packet codec
//!   (`codec.rs`), driven by a tokio task per agent (`driver.rs`).
//! - [`MqttDriver::Rumqttc`]: rumqttc's `EventLoop` (`wire.rs`), the
//!   previous implementation, kept as a fallback. Same wire behaviour,
//!   ~35–40 KiB per connection instead of ~3.
//!
//! # Memory per connection (native driver, see docs/benchmarks.md)
//!
//! About 2.5 KiB idle at 10,000 agents, measured:
//!
//! - The task and its future (~1.4 KiB in a debug build): the connect and
//!   TLS handshake futures are boxed and live only while connecting.
//! - No read buffer while idle: reads land in a 4 KiB array on the poll
//!   stack; only a partial packet is kept on the heap, sized to that
//!   packet (at most `max_record_bytes` + 8 KiB) and released once
//!   complete. A Record's payload is a slice of the packet it came in.
//! - No write buffer while idle: packets are encoded, written, released.
//! - Publishes awaiting PUBACK are a few packet ids (`u16`), bounded by
//!   `outgoing_inflight` and the broker's Receive Maximum; the Records
//!   themselves are not kept (clean sessions never resend). Queued
//!   publishes wait in the agent's `Outbox`, at most `send_queue`.
//! - The socket's tokio registration, the `Link`, topics and client id.
//!
//! With mqtts://, rustls's per-connection state comes on top (its own
//! record buffers; not measured here).

mod codec;
mod config;
mod driver;
#[cfg(test)]
mod fake_broker;
mod fuzz;
mod link;
mod pace;
mod protocol;
mod session;
pub mod topic;
mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::v5::mqttbytes::v5::PublishProperties;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::debug;
use usp::mtp::{MqttVersion, ReplyTo};

pub use config::{BrokerUrl, MqttConfig, MqttDriver};
#[doc(hidden)]
pub use fuzz::fuzz_session;
pub use wire::{EID_PROPERTY, SUBSCRIBE_TOPIC_PROPERTY};

use crate::{Inbound, MtpError, Outbound};
use driver::{NativeWire, Target};
use link::{Link, Shared};
use pace::Pacer;
use topic::{check_topic, with_reply_to, CONTENT_TYPE, EID_PLACEHOLDER};
use wire::{Client, V311Wire, V5Wire};

/// How long a removed agent's DISCONNECT may take before its task is
/// aborted.
const REMOVE_GRACE: Duration = Duration::from_secs(2);

/// Per-publish slack for the fixed header and properties.
const PUBLISH_HEADER_BYTES: usize = 64;

struct Agent {
    link: Arc<Link>,
    task: AbortHandle,
}

/// The MQTT MTP of many agents; clones share it.
#[derive(Clone)]
pub struct MqttMtp {
    shared: Arc<Shared>,
    target: Arc<Target>,
    agents: Arc<Mutex<HashMap<Arc<str>, Agent>>>,
}

impl MqttMtp {
    /// Checks `config`; agents deliver on `inbound`.
    pub fn new(config: MqttConfig, inbound: mpsc::Sender<Inbound>) -> Result<Self, MtpError> {
        config.validate()?;
        let pacer = Mutex::new(Pacer::new(config.connects_per_second));
        let target = Arc::new(Target::new(&config));
        Ok(MqttMtp {
            target,
            shared: Arc::new(Shared {
                config,
                inbound,
                pacer,
            }),
            agents: Arc::default(),
        })
    }

    /// Starts the MQTT client of agent `eid` on the current tokio runtime;
    /// [`Inbound::Up`] follows once it is connected and subscribed.
    pub fn add_agent(&self, eid: &str) -> Result<(), MtpError> {
        let config = &self.shared.config;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MtpError::Invalid {
            what: "runtime",
            why: "add_agent needs a tokio runtime".into(),
        })?;
        let agent_topic: Arc<str> = topic::agent_topic(&config.agent_topic, eid)?.into();
        let mut agents = self.agents.lock().map_err(|_| MtpError::Stopped)?;
        if agents.contains_key(eid) {
            return Err(MtpError::DuplicateAgent(eid.to_owned()));
        }
        let eid: Arc<str> = Arc::from(eid);
        let v5 = config.version == MqttVersion::V5;
        let client_id = match &config.client_id {
            Some(template) if !template.is_empty() => template.replace(EID_PLACEHOLDER, &eid),
            _ if v5 => String::new(),
            _ => eid.to_string(),
        };
        let seed = random_seed();
        let shared = self.shared.clone();
        let (task, link) = if config.driver == MqttDriver::Native {
            let target = self.target.clone();
            if v5 {
                let (outbox, wire) =
                    NativeWire::<true>::new(config, target, eid.clone(), client_id);
                let link = Arc::new(Link::new(eid.clone(), agent_topic, Client::Native(outbox)));
                (
                    runtime.spawn(link::run(wire, link.clone(), shared, seed)),
                    link,
                )
            } else {
                let (outbox, wire) =
                    NativeWire::<false>::new(config, target, eid.clone(), client_id);
                let link = Arc::new(Link::new(eid.clone(), agent_topic, Client::Native(outbox)));
                (
                    runtime.spawn(link::run(wire, link.clone(), shared, seed)),
                    link,
                )
            }
        } else if v5 {
            let (client, wire) = V5Wire::new(config, &eid, client_id);
            let link = Arc::new(Link::new(eid.clone(), agent_topic, client));
            let task = runtime.spawn(link::run(wire, link.clone(), shared, seed));
            (task, link)
        } else {
            let (client, wire) = V311Wire::new(config, client_id);
            let link = Arc::new(Link::new(eid.clone(), agent_topic, client));
            let task = runtime.spawn(link::run(wire, link.clone(), shared, seed));
            (task, link)
        };
        agents.insert(
            eid,
            Agent {
                link,
                task: task.abort_handle(),
            },
        );
        Ok(())
    }

    /// Disconnects agent `eid` and forgets it; no [`Inbound::Down`] follows.
    pub fn remove_agent(&self, eid: &str) -> Result<(), MtpError> {
        let agent = self
            .agents
            .lock()
            .map_err(|_| MtpError::Stopped)?
            .remove(eid)
            .ok_or_else(|| MtpError::UnknownAgent(eid.to_owned()))?;
        agent.link.remove();
        let task = agent.task;
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(async move {
                tokio::time::sleep(REMOVE_GRACE).await;
                task.abort();
            });
        } else {
            task.abort();
        }
        Ok(())
    }

    /// Removes every agent.
    pub fn shutdown(&self) {
        let eids: Vec<Arc<str>> = match self.agents.lock() {
            Ok(agents) => agents.keys().cloned().collect(),
            Err(_) => return,
        };
        for eid in eids {
            let _ = self.remove_agent(&eid);
        }
    }

    /// How many agents this MTP carries.
    pub fn agent_count(&self) -> usize {
        self.agents.lock().map(|a| a.len()).unwrap_or(0)
    }

    /// The reply topic of `eid` while its link is up.
    pub fn reply_topic(&self, eid: &str) -> Option<Arc<str>> {
        self.link(eid).ok()?.reply_topic()
    }

    /// Queues a PUBLISH of `out.payload` to `out.to`; never waits.
    pub fn send(&self, out: Outbound) -> Result<(), MtpError> {
        let ReplyTo::Mqtt { topic } = &out.to else {
            return Err(MtpError::WrongTransport(out.to.to_string()));
        };
        if let Err(why) = check_topic(topic) {
            return Err(MtpError::Invalid {
                what: "destination topic",
                why: why.to_owned(),
            });
        }
        let link = self.link(&out.agent)?;
        let reply = link
            .reply_topic()
            .ok_or_else(|| MtpError::NoLink(out.agent.to_string()))?;
        let config = &self.shared.config;
        let len = out.payload.len();
        if len > config.max_record_bytes {
            return Err(MtpError::TooLarge {
                size: len,
                limit: config.max_record_bytes,
            });
        }
        // rumqttc closes the connection rather than send a packet over the
        // limit (ours, or the broker's on MQTT 5), so refuse it here.
        let packet = len + topic.len() + 3 * reply.len() + PUBLISH_HEADER_BYTES;
        let limit = link
            .broker_max_packet()
            .map_or(config.max_packet_bytes(), |b| {
                b.min(config.max_packet_bytes())
            });
        if packet > limit {
            return Err(MtpError::TooLarge {
                size: len,
                limit: limit.saturating_sub(packet - len),
            });
        }
        let queued = match &link.client {
            Client::V5(c) => {
                let properties = PublishProperties {
                    content_type: Some(CONTENT_TYPE.to_owned()),
                    response_topic: Some(reply.to_string()),
                    ..PublishProperties::default()
                };
                c.try_publish_with_properties(
                    topic.as_str(),
                    if config.publish_qos == 0 {
                        rumqttc::v5::mqttbytes::QoS::AtMostOnce
                    } else {
                        rumqttc::v5::mqttbytes::QoS::AtLeastOnce
                    },
                    false,
                    out.payload,
                    properties,
                )
                .is_ok()
            }
            Client::Native(outbox) => outbox.push(match config.version {
                MqttVersion::V5 => driver::Publish {
                    topic: topic.clone(),
                    response_topic: Some(reply),
                    payload: out.payload,
                    at_most_once: config.publish_qos == 0,
                },
                MqttVersion::V3_1_1 => driver::Publish {
                    topic: with_reply_to(topic, &reply),
                    response_topic: None,
                    payload: out.payload,
                    at_most_once: config.publish_qos == 0,
                },
            }),
            Client::V3(c) => c
                .try_publish(
                    with_reply_to(topic, &reply),
                    if config.publish_qos == 0 {
                        rumqttc::QoS::AtMostOnce
                    } else {
                        rumqttc::QoS::AtLeastOnce
                    },
                    false,
                    out.payload,
                )
                .is_ok(),
        };
        if queued {
            Ok(())
        } else {
            debug!(agent = %out.agent, "MQTT send queue full");
            Err(MtpError::QueueFull(out.agent.to_string()))
        }
    }

    fn link(&self, eid: &str) -> Result<Arc<Link>, MtpError> {
        let agents = self.agents.lock().map_err(|_| MtpError::Stopped)?;
        agents
            .get(eid)
            .map(|a| a.link.clone())
            .ok_or_else(|| MtpError::UnknownAgent(eid.to_owned()))
    }
}

/// Seeds an agent's backoff jitter; agents only need different seeds, so a
/// failing entropy source falls back to the clock.
fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_ok() {
        u64::from_le_bytes(bytes)
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    }
}

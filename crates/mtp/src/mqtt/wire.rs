//! The connection interface of an agent's task: what it needs to hear
//! ([`Happening`]) and to ask ([`Wire`]), with the two rumqttc clients
//! behind it (the fallback driver); the native one is in `driver.rs`.
//! Here every rumqttc buffer gets its size; see the module docs of
//! [`super`] for where each KiB of a connection goes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5;
use rumqttc::v5::mqttbytes::v5::{ConnAck, Packet as Packet5, SubscribeReasonCode as Granted5};
use rumqttc::{Outgoing, QoS, SubscribeReasonCode as Granted3};

use super::config::MqttConfig;
use super::driver::Outbox;
use super::topic::{accept_v311, accept_v5, Refusal};

/// The MQTT 5 CONNECT user property carrying our endpoint ID (R-MQTT.13).
pub const EID_PROPERTY: &str = "usp-endpoint-id";
/// The CONNACK user property naming topics to subscribe to (R-MQTT.15).
pub const SUBSCRIBE_TOPIC_PROPERTY: &str = "subscribe-topic";

/// What one poll of a connection means for the agent.
#[derive(Debug)]
pub enum Happening {
    /// CONNACK accepted: subscribe now.
    Connected {
        subscribe_topics: Vec<String>,
        response_information: Option<String>,
        /// The broker's Maximum Packet Size (5), if it gave one.
        broker_max_packet: Option<u32>,
    },
    /// A SUBACK; `true` for each filter granted, in order.
    SubAck(Vec<bool>),
    Record {
        reply: String,
        payload: Bytes,
    },
    Refused(Refusal),
    /// Our DISCONNECT went out.
    Closed,
    /// Pings, acks: nothing for the agent.
    Nothing,
}

/// One agent's connection: rumqttc's event loop or the native driver.
pub trait Wire: Send {
    const V5: bool;
    /// Connects when not connected, then waits for the next packet.
    fn next(&mut self) -> impl std::future::Future<Output = Result<Happening, String>> + Send;
    /// Queues a SUBSCRIBE for all `filters` at QoS 1.
    fn subscribe(&mut self, filters: Vec<String>) -> Result<(), String>;
    /// Queues a DISCONNECT.
    fn disconnect(&mut self);
    /// Drops the connection (if any) and whatever was queued for it: the
    /// next [`Wire::next`] connects afresh.
    fn reset(&mut self);
}

/// The handle side: what [`super::MqttMtp::send`] publishes through.
#[derive(Clone)]
pub enum Client {
    V5(v5::AsyncClient),
    V3(rumqttc::AsyncClient),
    Native(Arc<Outbox>),
}

impl Client {
    pub fn try_disconnect(&self) -> bool {
        match self {
            Client::V5(c) => c.try_disconnect().is_ok(),
            Client::V3(c) => c.try_disconnect().is_ok(),
            Client::Native(o) => {
                o.disconnect();
                true
            }
        }
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs().max(1)
}

/// TCP_NODELAY: an answer is one small PUBLISH, and with Nagle it waits
/// for the ACK of the PUBACK before it (delayed up to 40 ms by the broker's
/// kernel), which made every Get over MQTT take 44 ms.
fn network_options(mut n: rumqttc::NetworkOptions) -> rumqttc::NetworkOptions {
    n.set_tcp_nodelay(true);
    n
}

fn packet_limit(config: &MqttConfig) -> u32 {
    u32::try_from(config.max_packet_bytes()).unwrap_or(u32::MAX)
}

pub struct V5Wire {
    eventloop: v5::EventLoop,
    client: v5::AsyncClient,
    max_record: usize,
    subscribe_qos: u8,
}

impl V5Wire {
    pub fn new(config: &MqttConfig, eid: &str, client_id: String) -> (Client, Self) {
        let mut o =
            v5::MqttOptions::new(client_id, config.broker.socket_host(), config.broker.port);
        o.set_keep_alive(config.keep_alive)
            .set_clean_start(true)
            .set_connection_timeout(secs(config.connect_timeout))
            .set_request_channel_capacity(config.send_queue)
            // rumqttc allocates one slot per packet id up to this limit:
            // the default (65,535) costs 13.8 MiB per connection.
            .set_outgoing_inflight_upper_limit(config.outgoing_inflight)
            // Both our read limit and what the broker may send us: a v5
            // broker drops bigger messages instead of closing the link.
            .set_max_packet_size(Some(packet_limit(config)))
            .set_receive_maximum(Some(config.receive_maximum))
            .set_request_response_info(Some(1))
            .set_user_properties(vec![(EID_PROPERTY.to_owned(), eid.to_owned())]);
        if let Some(user) = &config.username {
            o.set_credentials(user.clone(), config.password.clone().unwrap_or_default());
        }
        if let (true, Some(tls)) = (config.broker.tls, &config.tls) {
            o.set_transport(rumqttc::Transport::tls_with_config(
                rumqttc::TlsConfiguration::Rustls(tls.clone()),
            ));
        }
        o.set_network_options(network_options(o.network_options()));
        let (client, mut eventloop) = v5::AsyncClient::new(o, config.send_queue);
        // rumqttc pre-sizes its event queue for 100 events of ~250 bytes;
        // we take them one at a time, so let it grow only if it must.
        eventloop.state.events = VecDeque::new();
        let wire = V5Wire {
            eventloop,
            client: client.clone(),
            max_record: config.max_record_bytes,
            subscribe_qos: config.subscribe_qos,
        };
        (Client::V5(client), wire)
    }

    fn connack(&mut self, ack: ConnAck) -> Happening {
        let Some(props) = ack.properties else {
            return Happening::Connected {
                subscribe_topics: Vec::new(),
                response_information: None,
                broker_max_packet: None,
            };
        };
        if let Some(assigned) = props.assigned_client_identifier {
            // R-MQTT.9/11: reconnect with the identity the broker gave us.
            self.eventloop.options.set_client_id(assigned);
        }
        let subscribe_topics = props
            .user_properties
            .into_iter()
            .filter(|(k, _)| k == SUBSCRIBE_TOPIC_PROPERTY)
            .map(|(_, v)| v)
            .collect();
        Happening::Connected {
            subscribe_topics,
            response_information: props.response_information,
            broker_max_packet: props.max_packet_size,
        }
    }
}

impl Wire for V5Wire {
    const V5: bool = true;

    async fn next(&mut self) -> Result<Happening, String> {
        let event = self.eventloop.poll().await.map_err(|e| e.to_string())?;
        Ok(match event {
            v5::Event::Incoming(Packet5::ConnAck(ack)) => self.connack(ack),
            v5::Event::Incoming(Packet5::SubAck(ack)) => Happening::SubAck(
                ack.return_codes
                    .iter()
                    .map(|c| matches!(c, Granted5::Success(_)))
                    .collect(),
            ),
            v5::Event::Incoming(Packet5::Publish(p)) => {
                let props = p.properties.as_ref();
                match accept_v5(
                    props.and_then(|p| p.content_type.as_deref()),
                    props.and_then(|p| p.response_topic.as_deref()),
                    p.payload.len(),
                    self.max_record,
                ) {
                    Ok(reply) => Happening::Record {
                        reply,
                        payload: p.payload,
                    },
                    Err(r) => Happening::Refused(r),
                }
            }
            v5::Event::Outgoing(Outgoing::Disconnect) => Happening::Closed,
            _ => Happening::Nothing,
        })
    }

    fn subscribe(&mut self, filters: Vec<String>) -> Result<(), String> {
        let qos = if self.subscribe_qos == 0 {
            v5::mqttbytes::QoS::AtMostOnce
        } else {
            v5::mqttbytes::QoS::AtLeastOnce
        };
        let filters = filters
            .into_iter()
            .map(|f| v5::mqttbytes::v5::Filter::new(f, qos));
        self.client
            .try_subscribe_many(filters)
            .map_err(|e| e.to_string())
    }

    fn disconnect(&mut self) {
        let _ = self.client.try_disconnect();
    }

    fn reset(&mut self) {
        self.eventloop.clean();
        self.eventloop.pending.clear();
    }
}

pub struct V311Wire {
    eventloop: rumqttc::EventLoop,
    client: rumqttc::AsyncClient,
    max_record: usize,
    subscribe_qos: u8,
}

impl V311Wire {
    pub fn new(config: &MqttConfig, client_id: String) -> (Client, Self) {
        let mut o =
            rumqttc::MqttOptions::new(client_id, config.broker.socket_host(), config.broker.port);
        let limit = config.max_packet_bytes();
        o.set_keep_alive(config.keep_alive)
            .set_clean_session(true)
            .set_request_channel_capacity(config.send_queue)
            .set_inflight(config.outgoing_inflight)
            // 3.1.1 cannot tell the broker our limit: a bigger packet makes
            // rumqttc drop the connection (we reconnect).
            .set_max_packet_size(limit, limit);
        if let Some(user) = &config.username {
            o.set_credentials(user.clone(), config.password.clone().unwrap_or_default());
        }
        if let (true, Some(tls)) = (config.broker.tls, &config.tls) {
            o.set_transport(rumqttc::Transport::tls_with_config(
                rumqttc::TlsConfiguration::Rustls(tls.clone()),
            ));
        }
        let (client, mut eventloop) = rumqttc::AsyncClient::new(o, config.send_queue);
        eventloop.state.events = VecDeque::new();
        eventloop.network_options = network_options(eventloop.network_options());
        eventloop
            .network_options
            .set_connection_timeout(secs(config.connect_timeout));
        let wire = V311Wire {
            eventloop,
            client: client.clone(),
            max_record: config.max_record_bytes,
            subscribe_qos: config.subscribe_qos,
        };
        (Client::V3(client), wire)
    }
}

impl Wire for V311Wire {
    const V5: bool = false;

    async fn next(&mut self) -> Result<Happening, String> {
        let event = self.eventloop.poll().await.map_err(|e| e.to_string())?;
        Ok(match event {
            rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_)) => Happening::Connected {
                subscribe_topics: Vec::new(),
                response_information: None,
                broker_max_packet: None,
            },
            rumqttc::Event::Incoming(rumqttc::Packet::SubAck(ack)) => Happening::SubAck(
                ack.return_codes
                    .iter()
                    .map(|c| matches!(c, Granted3::Success(_)))
                    .collect(),
            ),
            rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) => {
                match accept_v311(&p.topic, p.payload.len(), self.max_record) {
                    Ok(reply) => Happening::Record {
                        reply,
                        payload: p.payload,
                    },
                    Err(r) => Happening::Refused(r),
                }
            }
            rumqttc::Event::Outgoing(Outgoing::Disconnect) => Happening::Closed,
            _ => Happening::Nothing,
        })
    }

    fn subscribe(&mut self, filters: Vec<String>) -> Result<(), String> {
        let qos = if self.subscribe_qos == 0 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        };
        let filters = filters
            .into_iter()
            .map(|f| rumqttc::SubscribeFilter::new(f, qos));
        self.client
            .try_subscribe_many(filters)
            .map_err(|e| e.to_string())
    }

    fn disconnect(&mut self) {
        let _ = self.client.try_disconnect();
    }

    fn reset(&mut self) {
        self.eventloop.clean();
        self.eventloop.pending.clear();
    }
}

//! The controller's end of one USP exchange, for `cwmp2usp usp`: a
//! WebSocket session with an agent's resource, or an MQTT 5 client with a
//! reply topic of its own. Only bytes move here.

use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Largest Record accepted back.
const MAX_RECORD: usize = 16 << 20;

pub enum Link {
    Ws(Box<WebSocketStream<TcpStream>>),
    Mqtt {
        client: AsyncClient,
        events: Box<EventLoop>,
        agent_topic: String,
        reply_topic: String,
    },
}

pub struct MqttTarget {
    pub broker: String,
    pub agent_topic: String,
}

impl Link {
    /// Opens a session with subprotocol `v1.usp`, our endpoint ID in the
    /// `eid` query parameter (R-WS.10b). Plain `ws://` only.
    pub async fn websocket(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Link> {
        let Some(rest) = url.strip_prefix("ws://") else {
            bail!("{url}: only ws:// URLs are supported here");
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let sep = if url.contains('?') { '&' } else { '?' };
        let eid: String =
            percent_encoding::utf8_percent_encode(from, percent_encoding::NON_ALPHANUMERIC)
                .collect();
        let mut request = format!("{url}{sep}eid={eid}")
            .into_client_request()
            .with_context(|| format!("{url}: not a WebSocket URL"))?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("v1.usp"));
        let work = async {
            let tcp = TcpStream::connect(authority)
                .await
                .with_context(|| format!("cannot connect to {authority}"))?;
            let config = WebSocketConfig::default().max_message_size(Some(MAX_RECORD));
            let (ws, response) =
                tokio_tungstenite::client_async_with_config(request, tcp, Some(config))
                    .await
                    .with_context(|| format!("WebSocket handshake with {url} failed"))?;
            let proto = response.headers().get("Sec-WebSocket-Protocol");
            if proto.and_then(|v| v.to_str().ok()) != Some("v1.usp") {
                bail!("{url} did not accept the v1.usp subprotocol");
            }
            Ok(Link::Ws(Box::new(ws)))
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| anyhow!("{url}: no WebSocket session within {timeout:?}"))?
    }

    /// Connects to the broker and subscribes to a reply topic of our own;
    /// MQTT 5 only.
    pub async fn mqtt(target: &MqttTarget, timeout: Duration) -> anyhow::Result<Link> {
        let rest = target
            .broker
            .strip_prefix("mqtt://")
            .ok_or_else(|| anyhow!("{}: only mqtt:// URLs are supported here", target.broker))?;
        let (host, port) = rest
            .trim_end_matches('/')
            .rsplit_once(':')
            .unwrap_or((rest, "1883"));
        let port: u16 = port
            .parse()
            .with_context(|| format!("{}: bad port", target.broker))?;
        let client_id = format!("cwmp2usp-cli-{}", std::process::id());
        let mut options = MqttOptions::new(client_id.clone(), host, port);
        options.set_max_packet_size(Some(MAX_RECORD as u32));
        let (client, mut events) = AsyncClient::new(options, 16);
        let reply = format!("usp/controller/{client_id}");
        client
            .subscribe(reply.clone(), QoS::AtLeastOnce)
            .await
            .context("MQTT subscribe")?;
        let subscribed = async {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => bail!("MQTT broker {}: {e}", target.broker),
                }
            }
        };
        tokio::time::timeout(timeout, subscribed)
            .await
            .map_err(|_| anyhow!("{}: not subscribed within {timeout:?}", target.broker))??;
        Ok(Link::Mqtt {
            client,
            events: Box::new(events),
            agent_topic: target.agent_topic.clone(),
            reply_topic: reply,
        })
    }

    pub async fn send(&mut self, record: Bytes) -> anyhow::Result<()> {
        match self {
            Link::Ws(ws) => ws
                .send(Message::Binary(record))
                .await
                .context("WebSocket send"),
            Link::Mqtt {
                client,
                agent_topic,
                reply_topic,
                ..
            } => {
                let props = PublishProperties {
                    content_type: Some("usp.msg".into()),
                    response_topic: Some(reply_topic.clone()),
                    ..PublishProperties::default()
                };
                client
                    .publish_with_properties(
                        agent_topic.clone(),
                        QoS::AtLeastOnce,
                        false,
                        record,
                        props,
                    )
                    .await
                    .context("MQTT publish")
            }
        }
    }

    /// The next Record whose Msg answers `msg_id`; Connect records and
    /// anything else are skipped.
    pub async fn answer_to(&mut self, msg_id: &str) -> anyhow::Result<Vec<u8>> {
        loop {
            let bytes = self.next_record().await?;
            if let Ok(d) = usp::decode_record(&bytes) {
                if d.msg.as_ref().is_some_and(|m| m.msg_id() == msg_id) {
                    return Ok(bytes);
                }
            }
        }
    }

    async fn next_record(&mut self) -> anyhow::Result<Vec<u8>> {
        match self {
            Link::Ws(ws) => loop {
                match ws.next().await {
                    Some(Ok(Message::Binary(b))) => return Ok(b.to_vec()),
                    Some(Ok(Message::Close(c))) => bail!("the agent closed the session: {c:?}"),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => bail!("WebSocket: {e}"),
                    None => bail!("the agent closed the session"),
                }
            },
            Link::Mqtt { events, .. } => loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => return Ok(p.payload.to_vec()),
                    Ok(_) => {}
                    Err(e) => bail!("MQTT: {e}"),
                }
            },
        }
    }
}

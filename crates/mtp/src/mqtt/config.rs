//! How the MQTT shell connects its agents, with every buffer size spelled
//! out: at ten thousand connections each default costs real memory.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use usp::mtp::MqttVersion;

use crate::MtpError;

/// Where the broker is: `mqtt://host[:1883]` or `mqtts://host[:8883]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

impl BrokerUrl {
    pub fn parse(url: &str) -> Result<Self, MtpError> {
        let bad = |why: &str| MtpError::Invalid {
            what: "broker URL",
            why: format!("{url:?}: {why}"),
        };
        let (tls, rest) = if let Some(rest) = url.strip_prefix("mqtt://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("mqtts://") {
            (true, rest)
        } else {
            return Err(bad("the scheme must be mqtt:// or mqtts://"));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '@', '?', '#']) {
            return Err(bad("only host and port are allowed"));
        }
        let default_port = if tls { 8883 } else { 1883 };
        // An IPv6 literal keeps its brackets off the host: rumqttc resolves
        // "host:port" itself, so it gets them back in `socket_host`.
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            match after.strip_prefix(':') {
                Some(p) => (host, Some(p)),
                None if after.is_empty() => (host, None),
                None => return Err(bad("junk after ]")),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None => default_port,
        };
        Ok(BrokerUrl {
            host: host.to_owned(),
            port,
            tls,
        })
    }

    /// The host as rumqttc hands it to the resolver.
    pub(crate) fn socket_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        write!(f, "{scheme}://{}:{}", self.socket_host(), self.port)
    }
}

/// Which client carries the agents' connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MqttDriver {
    /// Our own sans-IO protocol ([`super::protocol`]) on rumqttc's packet
    /// codec, one small task per agent: a few KiB per idle connection.
    #[default]
    Native,
    /// rumqttc's `EventLoop`: ~34–40 KiB per connection (fixed buffers and
    /// tables), kept as a fallback.
    Rumqttc,
}

/// Settings shared by every agent of one MQTT MTP.
#[derive(Clone)]
pub struct MqttConfig {
    pub broker: BrokerUrl,
    pub version: MqttVersion,
    /// The topic each agent subscribes to and gives as its reply-to;
    /// `{eid}` becomes the endpoint ID.
    pub agent_topic: String,
    /// ClientId template (`{eid}` replaced). `None`: empty on MQTT 5 (the
    /// broker assigns one, which we keep for reconnects, R-MQTT.8/9), the
    /// endpoint ID on 3.1.1.
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// CONNECT Keep Alive; the broker may shorten it in its CONNACK (5).
    pub keep_alive: Duration,
    /// TCP + TLS + CONNACK must complete within this.
    pub connect_timeout: Duration,
    /// New connection attempts per second across all agents; 0 = unpaced.
    pub connects_per_second: u32,
    /// Reconnect backoff: the first wait and the ceiling.
    pub retry_first: Duration,
    pub retry_max: Duration,
    /// Largest Record taken in or sent. MQTT 5 tells the broker (CONNECT
    /// Maximum Packet Size), which then drops bigger messages itself.
    pub max_record_bytes: usize,
    /// Requests (publishes, subscribe, disconnect) an agent may have queued
    /// for its connection; `send` fails beyond. A controller pipelining
    /// Gets fills it at once: at 8, 64 requests in flight lost answers.
    /// The queue grows only as far as a burst needs.
    pub send_queue: usize,
    /// Our QoS 1 publishes awaiting PUBACK per agent (the broker's Receive
    /// Maximum may lower it). The native driver keeps a packet id per
    /// publish in flight; rumqttc a table slot per possible id.
    pub outgoing_inflight: u16,
    /// MQTT 5 Receive Maximum: the broker's QoS 1 messages in flight to us.
    pub receive_maximum: u16,
    /// QoS of every Record the agents publish, 0 or 1
    /// (`Device.LocalAgent.MTP.{i}.MQTT.PublishQoS`). 1 lets a broker keep
    /// answers and notifications for a controller with a persistent session
    /// that is briefly away; 0 spares the broker two packets per Record.
    pub publish_qos: u8,
    /// QoS of every agent's SUBSCRIBE, 0 or 1: the most the broker
    /// delivers requests to the agents with. 1 (default) lets the broker
    /// resend a request whose PUBACK was lost; 0 (as obuspa subscribes)
    /// spares the broker a PUBACK and its bookkeeping per request.
    pub subscribe_qos: u8,
    /// rustls client settings for `mqtts://` (roots, client certificate).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The client implementation; both speak the same wire.
    pub driver: MqttDriver,
}

impl fmt::Debug for MqttConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttConfig")
            .field("broker", &self.broker)
            .field("version", &self.version)
            .field("agent_topic", &self.agent_topic)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("keep_alive", &self.keep_alive)
            .field("connects_per_second", &self.connects_per_second)
            .field("max_record_bytes", &self.max_record_bytes)
            .field("send_queue", &self.send_queue)
            .field("outgoing_inflight", &self.outgoing_inflight)
            .field("receive_maximum", &self.receive_maximum)
            .field("publish_qos", &self.publish_qos)
            .field("subscribe_qos", &self.subscribe_qos)
            .field("tls", &self.tls.is_some())
            .field("driver", &self.driver)
            .finish_non_exhaustive()
    }
}

/// Room for the fixed header, topic and properties around a Record.
pub(crate) const PACKET_OVERHEAD: usize = 8 * 1024;

impl MqttConfig {
    /// Defaults for `broker`: MQTT 5, `usp/agent/{eid}`, 60 s keep-alive,
    /// 500 connects/s, 1 s → 60 s backoff, 1 MiB Records.
    pub fn new(broker: BrokerUrl) -> Self {
        MqttConfig {
            broker,
            version: MqttVersion::V5,
            agent_topic: "usp/agent/{eid}".into(),
            client_id: None,
            username: None,
            password: None,
            keep_alive: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            connects_per_second: 500,
            retry_first: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            max_record_bytes: 1024 * 1024,
            send_queue: 64,
            outgoing_inflight: 8,
            receive_maximum: 8,
            publish_qos: 1,
            subscribe_qos: 1,
            tls: None,
            driver: MqttDriver::default(),
        }
    }

    /// Refuses settings rumqttc would panic on or that cannot work.
    pub fn validate(&self) -> Result<(), MtpError> {
        let bad = |what: &'static str, why: &str| {
            Err(MtpError::Invalid {
                what,
                why: why.to_owned(),
            })
        };
        if !self.keep_alive.is_zero() && self.keep_alive < Duration::from_secs(1) {
            return bad("keep_alive", "0 or at least one second");
        }
        if self.keep_alive > Duration::from_secs(u64::from(u16::MAX)) {
            return bad("keep_alive", "at most 65,535 s");
        }
        if self.connect_timeout < Duration::from_secs(1) {
            return bad("connect_timeout", "at least one second");
        }
        if self.send_queue == 0 || self.outgoing_inflight == 0 || self.receive_maximum == 0 {
            return bad(
                "queue sizes",
                "send_queue, outgoing_inflight and receive_maximum must be > 0",
            );
        }
        if self.max_record_bytes == 0 || self.max_record_bytes > 256 * 1024 * 1024 - PACKET_OVERHEAD
        {
            return bad("max_record_bytes", "between 1 byte and 256 MiB");
        }
        if self.publish_qos > 1 {
            // Our sends never wait for acknowledgements, so QoS 2's
            // exactly-once handshake would buy nothing.
            return bad("publish_qos", "0 or 1");
        }
        if self.subscribe_qos > 1 {
            // The agents acknowledge at once; QoS 2 would only add packets.
            return bad("subscribe_qos", "0 or 1");
        }
        if self.broker.tls && self.tls.is_none() {
            return bad("tls", "mqtts:// needs a rustls ClientConfig");
        }
        if self.password.is_some() && self.username.is_none() {
            return bad("password", "a password needs a username");
        }
        super::topic::agent_topic(&self.agent_topic, "probe").map(|_| ())
    }

    /// The largest packet we accept or send.
    pub(crate) fn max_packet_bytes(&self) -> usize {
        self.max_record_bytes + PACKET_OVERHEAD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        let u = BrokerUrl::parse("mqtt://127.0.0.1:1884").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls), ("127.0.0.1", 1884, false));
        let u = BrokerUrl::parse("mqtts://broker.example/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.tls),
            ("broker.example", 8883, true)
        );
        let u = BrokerUrl::parse("mqtt://[::1]:1999").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 1999));
        assert_eq!(u.to_string(), "mqtt://[::1]:1999");
        for bad in [
            "tcp://h:1",
            "mqtt://",
            "mqtt://h:x",
            "mqtt://h:70000",
            "mqtt://u@h",
            "mqtt://h/path",
            "mqtt://[::1",
        ] {
            assert!(BrokerUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_catches_what_rumqttc_would_panic_on() {
        let ok = MqttConfig::new(BrokerUrl::parse("mqtt://h").unwrap());
        ok.validate().unwrap();
        let mut c = ok.clone();
        c.keep_alive = Duration::from_millis(500);
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.outgoing_inflight = 0;
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.publish_qos = 2;
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.subscribe_qos = 2;
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.broker.tls = true;
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.agent_topic = "usp/#/{eid}".into();
        assert!(c.validate().is_err());
        let mut c = ok;
        c.password = Some("p".into());
        assert!(c.validate().is_err());
        assert!(!format!("{c:?}").contains("\"p\""));
    }
}

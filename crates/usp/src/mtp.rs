//! What an agent needs to know of a Message Transfer Protocol, and nothing
//! more: where an answer goes ([`ReplyTo`]) and what a fresh connection
//! carries ([`LinkUp`]), which decides the Connect record it sends (R-MTP.6).
//!
//! The MTP shells (MQTT, WebSocket, STOMP) fill these in from the wire and
//! the agent logic echoes them back, so the two never depend on each other.

use std::fmt;

/// Where the answer to a Record goes, as the MTP that delivered it says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReplyTo {
    /// Publish to this topic: the MQTT 5 Response Topic, or the decoded
    /// `/reply-to=` suffix of an MQTT 3.1.1 topic (R-MQTT.23-26).
    Mqtt { topic: String },
    /// Send on this open WebSocket session; the id is the shell's own.
    WebSocket { link: u64 },
    /// SEND to this destination: the `reply-to-dest` header (R-STOMP.23).
    Stomp { destination: String },
}

impl fmt::Display for ReplyTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyTo::Mqtt { topic } => write!(f, "mqtt:{topic}"),
            ReplyTo::WebSocket { link } => write!(f, "ws:#{link}"),
            ReplyTo::Stomp { destination } => write!(f, "stomp:{destination}"),
        }
    }
}

/// The MQTT protocol level of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MqttVersion {
    V3_1_1,
    V5,
}

/// An agent's MTP connection that just came up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkUp {
    /// Connected to the broker and subscribed to `subscribed_topic` (the
    /// agent topic the MQTTConnect record announces).
    Mqtt {
        version: MqttVersion,
        subscribed_topic: String,
    },
    /// A WebSocket session with one controller, whichever side opened it.
    /// `peer` is the controller's endpoint ID: the `eid` query parameter
    /// when the controller connected to us (R-WS.10b), the configured one
    /// when we connected to it; `None` when a controller gave none.
    WebSocket { link: u64, peer: Option<String> },
    /// Connected to the STOMP broker and subscribed to
    /// `subscribed_destination`.
    Stomp { subscribed_destination: String },
}

impl LinkUp {
    /// The protocol name as `Device.LocalAgent.MTP.{i}.Protocol` spells it.
    pub fn protocol(&self) -> &'static str {
        match self {
            LinkUp::Mqtt { .. } => "MQTT",
            LinkUp::WebSocket { .. } => "WebSocket",
            LinkUp::Stomp { .. } => "STOMP",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_are_the_data_model_enumeration() {
        let mqtt = LinkUp::Mqtt {
            version: MqttVersion::V5,
            subscribed_topic: "usp/agent/x".into(),
        };
        let ws = LinkUp::WebSocket {
            link: 1,
            peer: None,
        };
        let stomp = LinkUp::Stomp {
            subscribed_destination: "/queue/x".into(),
        };
        assert_eq!(
            [mqtt.protocol(), ws.protocol(), stomp.protocol()],
            ["MQTT", "WebSocket", "STOMP"]
        );
    }

    #[test]
    fn reply_to_prints_its_transport() {
        let r = ReplyTo::Mqtt {
            topic: "usp/controller/c".into(),
        };
        assert_eq!(r.to_string(), "mqtt:usp/controller/c");
    }
}

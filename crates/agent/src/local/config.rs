//! The gateway-wide settings every virtual agent shares: its own MTPs and
//! the configured controllers. `{eid}` in a topic, destination or path is
//! replaced by the agent's endpoint ID.

use serde::{Deserialize, Serialize};

/// Shared by every agent (behind an `Arc`); per-agent changes a controller
/// makes are stored as overrides on top.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// `Device.LocalAgent.SoftwareVersion`: the gateway's version.
    pub software_version: String,
    /// `Device.LocalAgent.MTP.{i}.`, numbered from 1 in this order.
    pub mtps: Vec<AgentMtp>,
    /// `Device.LocalAgent.Controller.{i}.`, numbered from 1 in this order.
    pub controllers: Vec<ControllerConfig>,
    /// Every controller's default `USPNotifRetryMinimumWaitInterval` in
    /// seconds; `None` for the data model's 5.
    #[serde(default)]
    pub notif_retry_min_wait: Option<u32>,
}

/// One of the agent's own MTPs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgentMtp {
    /// The topic the agent subscribes to (`ResponseTopicConfigured`) and
    /// the QoS of what it publishes (`PublishQoS`).
    Mqtt {
        response_topic: String,
        #[serde(default = "qos_1")]
        publish_qos: u8,
    },
    /// The agent's WebSocket server (one resource path per agent).
    WebSocket { port: u16, path: String },
    /// The agent's STOMP destination.
    Stomp { destination: String },
}

impl AgentMtp {
    pub fn protocol(&self) -> &'static str {
        match self {
            AgentMtp::Mqtt { .. } => "MQTT",
            AgentMtp::WebSocket { .. } => "WebSocket",
            AgentMtp::Stomp { .. } => "STOMP",
        }
    }
}

/// A configured controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerConfig {
    pub endpoint_id: String,
    /// `AssignedRole`, a path list (e.g. a ControllerTrust role); may be "".
    pub assigned_role: String,
    /// `Controller.{i}.MTP.{i}.`, numbered from 1 in this order.
    pub mtps: Vec<ControllerMtp>,
}

/// How to reach a controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControllerMtp {
    Mqtt {
        topic: String,
    },
    WebSocket {
        host: String,
        port: u16,
        path: String,
        encryption: bool,
    },
    Stomp {
        destination: String,
    },
}

impl ControllerMtp {
    pub fn protocol(&self) -> &'static str {
        match self {
            ControllerMtp::Mqtt { .. } => "MQTT",
            ControllerMtp::WebSocket { .. } => "WebSocket",
            ControllerMtp::Stomp { .. } => "STOMP",
        }
    }
}

/// `text` with `{eid}` replaced by `eid`.
pub(crate) fn expand(text: &str, eid: &str) -> String {
    text.replace("{eid}", eid)
}

impl AgentConfig {
    /// `Device.LocalAgent.SupportedProtocols`: the protocols configured, in
    /// the order MQTT, WebSocket, STOMP.
    pub fn supported_protocols(&self) -> String {
        ["MQTT", "WebSocket", "STOMP"]
            .into_iter()
            .filter(|p| self.mtps.iter().any(|m| m.protocol() == *p))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Default value of a config-backed parameter: `param` is the `{i}`
    /// path, `inst` its instance numbers.
    pub(crate) fn default_value(&self, eid: &str, param: &str, inst: &[u32]) -> Option<String> {
        let idx = |n: u32| (n as usize).checked_sub(1);
        let rest = param.strip_prefix("Device.LocalAgent.")?;
        if let Some(item) = rest.strip_prefix("MTP.{i}.") {
            let m = self.mtps.get(idx(*inst.first()?)?)?;
            return mtp_value(m, item, eid);
        }
        let item = rest.strip_prefix("Controller.{i}.")?;
        let c = self.controllers.get(idx(*inst.first()?)?)?;
        if let Some(item) = item.strip_prefix("MTP.{i}.") {
            let m = c.mtps.get(idx(*inst.get(1)?)?)?;
            return controller_mtp_value(m, item);
        }
        Some(match item {
            "EndpointID" => c.endpoint_id.clone(),
            "Enable" => "true".into(),
            "AssignedRole" => c.assigned_role.clone(),
            "USPNotifRetryMinimumWaitInterval" => {
                self.notif_retry_min_wait.unwrap_or(5).max(1).to_string()
            }
            "USPNotifRetryIntervalMultiplier" => "2000".into(),
            // TR-181's default: a day.
            "PeriodicNotifInterval" => "86400".into(),
            _ => return None,
        })
    }
}

/// What agents published at before the QoS was configurable.
fn qos_1() -> u8 {
    1
}

fn mtp_value(m: &AgentMtp, item: &str, eid: &str) -> Option<String> {
    let v = match (item, m) {
        ("Enable", _) => "true".into(),
        ("Status", _) => "Up".into(),
        ("Protocol", _) => m.protocol().into(),
        ("MQTT.ResponseTopicConfigured", AgentMtp::Mqtt { response_topic, .. }) => {
            expand(response_topic, eid)
        }
        ("MQTT.PublishQoS", AgentMtp::Mqtt { publish_qos, .. }) => publish_qos.to_string(),
        ("WebSocket.Port", AgentMtp::WebSocket { port, .. }) => port.to_string(),
        ("WebSocket.Path", AgentMtp::WebSocket { path, .. }) => expand(path, eid),
        ("STOMP.Destination", AgentMtp::Stomp { destination }) => expand(destination, eid),
        _ => return None,
    };
    Some(v)
}

fn controller_mtp_value(m: &ControllerMtp, item: &str) -> Option<String> {
    let v = match (item, m) {
        ("Enable", _) => "true".into(),
        ("Protocol", _) => m.protocol().into(),
        ("MQTT.Topic", ControllerMtp::Mqtt { topic }) => topic.clone(),
        ("STOMP.Destination", ControllerMtp::Stomp { destination }) => destination.clone(),
        ("WebSocket.Host", ControllerMtp::WebSocket { host, .. }) => host.clone(),
        ("WebSocket.Port", ControllerMtp::WebSocket { port, .. }) => port.to_string(),
        ("WebSocket.Path", ControllerMtp::WebSocket { path, .. }) => path.clone(),
        ("WebSocket.EnableEncryption", ControllerMtp::WebSocket { encryption, .. }) => {
            encryption.to_string()
        }
        ("WebSocket.SessionRetryMinimumWaitInterval", ControllerMtp::WebSocket { .. }) => {
            "5".into()
        }
        ("WebSocket.SessionRetryIntervalMultiplier", ControllerMtp::WebSocket { .. }) => {
            "2000".into()
        }
        _ => return None,
    };
    Some(v)
}

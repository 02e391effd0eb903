//! The MTP shells an agent's Records go out on, and bringing an agent up
//! on every one of them.

use agent::ReplyTo;
use mtp::mqtt::MqttMtp;
use mtp::stomp::StompMtp;
use mtp::ws::WsMtp;
use mtp::Outbound;
use tracing::{debug, warn};

/// The running MTPs, and how to bring one agent up on all of them.
pub(super) struct Mtps {
    pub ws: Option<WsMtp>,
    pub mqtt: Option<MqttMtp>,
    pub stomp: Option<StompMtp>,
    pub ws_clients: Vec<(String, String)>,
}

impl Mtps {
    pub fn bring_up(&self, eid: &str) {
        let warn_on = |what: &str, r: Result<(), mtp::MtpError>| {
            if let Err(e) = r {
                warn!(agent = eid, error = %e, "{what}: agent not added");
            }
        };
        if let Some(ws) = &self.ws {
            if ws.local_addr().is_some() {
                warn_on("WebSocket", ws.add_agent(eid));
            }
            for (controller, url) in &self.ws_clients {
                warn_on("WebSocket client", ws.connect(eid, url, controller));
            }
        }
        if let Some(m) = &self.mqtt {
            warn_on("MQTT", m.add_agent(eid));
        }
        if let Some(s) = &self.stomp {
            warn_on("STOMP", s.add_agent(eid));
        }
    }

    pub fn send(&self, out: Outbound) {
        let agent = out.agent.clone();
        let result = match &out.to {
            ReplyTo::WebSocket { .. } => self.ws.as_ref().map(|m| m.send(out)),
            ReplyTo::Mqtt { .. } => self.mqtt.as_ref().map(|m| m.send(out)),
            ReplyTo::Stomp { .. } => self.stomp.as_ref().map(|m| m.send(out)),
        };
        match result {
            Some(Ok(())) => {}
            // Expected while a link is down; notifications are retried.
            Some(Err(e @ mtp::MtpError::NoLink(_))) => {
                debug!(agent = %agent, error = %e, "record not sent")
            }
            Some(Err(e)) => warn!(agent = %agent, error = %e, "record not sent"),
            None => warn!(agent = %agent, "record for an MTP that is not configured"),
        }
    }
}

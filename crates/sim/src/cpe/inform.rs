//! Building the Inform: DeviceId, queued events, RetryCount and the
//! standard inform parameters plus changed values.

use std::borrow::Cow;
use std::time::Duration;

use cwmp::{Body, DeviceId, Envelope, Event, Inform, ParameterValue, Value};

use super::Cpe;
use crate::events::QueuedEvent;
use crate::profile::Kind;

/// Parameters every Inform carries when the profile has them (relative to
/// the root, covering both TR-181 and TR-098 trees).
const INFORM_PARAMS: &[&str] = &[
    "RootDataModelVersion",
    "DeviceSummary",
    "DeviceInfo.SpecVersion",
    "DeviceInfo.HardwareVersion",
    "DeviceInfo.SoftwareVersion",
    "DeviceInfo.ProvisioningCode",
    "ManagementServer.ConnectionRequestURL",
    "ManagementServer.ParameterKey",
    "IP.Interface.1.IPv4Address.1.IPAddress",
    "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress",
];

/// What an Inform carried, so an InformResponse can acknowledge it.
pub struct Built {
    pub body: bytes::Bytes,
    pub events: Vec<QueuedEvent>,
    pub changed: Vec<Box<str>>,
}

impl Cpe {
    pub(super) fn next_message_id(&mut self) -> String {
        self.next_id += 1;
        format!("{}-{}", self.serial, self.next_id)
    }

    pub(super) fn build_inform(&mut self, now: Duration) -> Built {
        if !self.changed.is_empty() {
            self.events.push("4 VALUE CHANGE", "");
        }
        let events: Vec<QueuedEvent> = self.events.iter().cloned().collect();
        let root = self.model.root().to_string();
        let mut params: Vec<ParameterValue<'static>> = Vec::new();
        let mut push = |name: &str, model: &crate::model::DataModel| {
            if params.iter().any(|p| p.name == name) {
                return;
            }
            if let Some(e) = model.get(name) {
                if let Kind::Value(ty) = e.kind {
                    params.push(ParameterValue::new(
                        name.to_string(),
                        Value::new(ty, e.value.to_string()),
                    ));
                }
            }
        };
        for rel in INFORM_PARAMS {
            push(&format!("{root}{rel}"), &self.model);
        }
        let changed: Vec<Box<str>> = self.changed.iter().cloned().collect();
        for name in &changed {
            push(name, &self.model);
        }
        let text = |s: &str| Cow::Owned(s.to_string());
        let inform = Inform {
            device_id: DeviceId {
                manufacturer: text(&self.cfg.manufacturer),
                oui: text(&self.cfg.oui),
                product_class: text(&self.cfg.product_class),
                serial_number: text(&self.serial),
            },
            event: events
                .iter()
                .map(|e| Event {
                    event_code: text(&e.code),
                    command_key: text(&e.command_key),
                })
                .collect(),
            max_envelopes: 1,
            current_time: crate::clock::date_time(self.unix_now(now)).into(),
            retry_count: self.retry_count,
            parameter_list: params,
        };
        let id = self.next_message_id();
        let mut env = Envelope::new(self.cfg.version, Body::Inform(inform)).with_id(id);
        if self.cfg.version == cwmp::CwmpVersion::V1_4 {
            env.header.supported_cwmp_versions = Some("1.0,1.1,1.2,1.3,1.4".into());
        }
        let mut out = Vec::with_capacity(2048);
        env.write_xml(&mut out);
        Built {
            body: out.into(),
            events,
            changed,
        }
    }

    /// Any other CPE-originated envelope (TransferComplete, RPC responses).
    pub(super) fn envelope(&mut self, body: Body<'_>, id: Option<String>) -> bytes::Bytes {
        let id = id.unwrap_or_else(|| self.next_message_id());
        let env = Envelope::new(self.cfg.version, body).with_id(id);
        let mut out = Vec::with_capacity(1024);
        env.write_xml(&mut out);
        out.into()
    }
}

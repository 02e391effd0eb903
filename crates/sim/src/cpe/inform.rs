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
        let mut id = String::with_capacity(self.serial.len() + 8);
        id.push_str(&self.serial);
        id.push('-');
        // Plain Display of one integer: cheaper than format! of two fields.
        let _ = std::fmt::Write::write_fmt(&mut id, format_args!("{}", self.next_id));
        id
    }

    /// Borrows every string from the CPE (model, config, queue) rather than
    /// copying it: the Inform is built on every session, and at load-test
    /// rates its allocations were a visible share of the simulator's CPU.
    pub(super) fn build_inform(&mut self, now: Duration) -> Built {
        if !self.changed.is_empty() {
            self.events.push("4 VALUE CHANGE", "");
        }
        let id = self.next_message_id();
        let current_time = crate::clock::date_time(self.unix_now(now));
        let model = &self.model;
        let root = model.root();
        let mut params: Vec<ParameterValue<'_>> =
            Vec::with_capacity(INFORM_PARAMS.len() + self.changed.len());
        let mut push = |name: &str| {
            if params.iter().any(|p| p.name == name) {
                return;
            }
            if let Some(e) = model.get(name) {
                if let Kind::Value(ty) = e.kind {
                    params.push(ParameterValue::new(e.name, Value::new(ty, e.value)));
                }
            }
        };
        let mut name = String::with_capacity(128);
        for rel in INFORM_PARAMS {
            name.clear();
            name.push_str(root);
            name.push_str(rel);
            push(&name);
        }
        for changed in &self.changed {
            push(changed);
        }
        let inform = Inform {
            device_id: DeviceId {
                manufacturer: Cow::Borrowed(&self.cfg.manufacturer),
                oui: Cow::Borrowed(&self.cfg.oui),
                product_class: Cow::Borrowed(&self.cfg.product_class),
                serial_number: Cow::Borrowed(&self.serial),
            },
            event: self
                .events
                .iter()
                .map(|e| Event {
                    event_code: Cow::Borrowed(&e.code),
                    command_key: Cow::Borrowed(&e.command_key),
                })
                .collect(),
            max_envelopes: 1,
            current_time: current_time.into(),
            retry_count: self.retry_count,
            parameter_list: params,
        };
        let mut env = Envelope::new(self.cfg.version, Body::Inform(inform)).with_id(id);
        if self.cfg.version == cwmp::CwmpVersion::V1_4 {
            env.header.supported_cwmp_versions = Some("1.0,1.1,1.2,1.3,1.4".into());
        }
        let mut out = Vec::with_capacity(2048);
        env.write_xml(&mut out);
        Built {
            body: out.into(),
            events: self.events.iter().cloned().collect(),
            changed: self.changed.iter().cloned().collect(),
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

//! Building the Inform: DeviceId, queued events, RetryCount and the
//! standard inform parameters plus changed values.

use std::borrow::Cow;
use std::time::Duration;

use cwmp::{Body, DeviceId, EncodedParameters, Envelope, Event, Inform, ParameterValue, Value};

use super::inform_cache::{InformKey, InformTemplate};
use super::Cpe;
use crate::events::QueuedEvent;
use crate::profile::Kind;

/// Parameters every Inform carries when the profile has them (relative to
/// the root, covering both TR-181 and TR-098 trees).
pub(super) const INFORM_PARAMS: &[&str] = &[
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

/// ID and CurrentTime of the second encoding that checks a template: no
/// message ID or clock reading looks like either.
const PROBE: (&str, &str) = ("%probe%", "0001-01-01T00:00:00Z");

/// What an Inform carried, so an InformResponse can acknowledge it.
pub struct Built {
    pub body: bytes::Bytes,
    pub events: Vec<QueuedEvent>,
    pub changed: Vec<Box<str>>,
}

impl Cpe {
    pub(super) fn next_message_id(&mut self) -> String {
        self.next_id += 1;
        let mut id = Vec::with_capacity(self.serial.len() + 8);
        id.extend_from_slice(self.serial.as_bytes());
        id.push(b'-');
        crate::clock::push_decimal(&mut id, self.next_id);
        // A str and ASCII digits.
        String::from_utf8(id).unwrap_or_default()
    }

    /// The Inform for a new session. Usually refilled from the previous
    /// one's bytes (see [`InformTemplate`]); encoded afresh whenever its
    /// events, RetryCount or parameters moved.
    pub(super) fn build_inform(&mut self, now: Duration) -> Built {
        if !self.changed.is_empty() {
            self.events.push("4 VALUE CHANGE", "");
        }
        let id = self.next_message_id();
        let current_time = crate::clock::date_time(self.unix_now(now));
        let revision = self.model.revision();
        let events: Vec<QueuedEvent> = self.events.iter().cloned().collect();
        let changed: Vec<Box<str>> = self.changed.iter().cloned().collect();
        let reusable = changed.is_empty();
        let holes = (id.as_str(), current_time.as_str());
        if let Some(body) = self
            .inform_template
            .as_ref()
            .filter(|_| reusable)
            .and_then(|t| t.build(revision, self.retry_count, &events, holes))
        {
            return Built {
                body: body.into(),
                events,
                changed,
            };
        }
        let body = self.encode_inform(holes);
        self.inform_template = None;
        if reusable {
            let probe = self.encode_inform(PROBE);
            let key = InformKey {
                revision,
                retry_count: self.retry_count,
                events: events.clone(),
            };
            self.inform_template = InformTemplate::learn(key, &body, holes, &probe, PROBE);
        }
        Built {
            body: body.into(),
            events,
            changed,
        }
    }

    /// Borrows every string from the CPE (model, config, queue) rather than
    /// copying it, and splices in the standard parameters encoded at this
    /// model revision.
    pub(super) fn encode_inform(&mut self, (id, current_time): (&str, &str)) -> Vec<u8> {
        let revision = self.model.revision();
        let cached = match self.inform_params.take() {
            Some((r, enc)) if r == revision => enc,
            stale => self.encode_inform_params(stale.map(|(_, enc)| enc)),
        };
        let model = &self.model;
        let root = model.root();
        let fixed = |name: &str| {
            name.strip_prefix(root)
                .is_some_and(|rel| INFORM_PARAMS.contains(&rel))
        };
        // Values changed since the last Inform and not already among the
        // standard ones; rare, so encoded afresh each time.
        let params: Vec<ParameterValue<'_>> = self
            .changed
            .iter()
            .filter(|name| !fixed(name))
            .filter_map(|name| model.get(name))
            .filter_map(|e| match e.kind {
                Kind::Value(ty) => Some(ParameterValue::new(e.name, Value::new(ty, e.value))),
                Kind::Object => None,
            })
            .collect();
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
            current_time: Cow::Borrowed(current_time),
            retry_count: self.retry_count,
            parameter_list: params,
        };
        let mut env = Envelope::new(self.cfg.version, Body::Inform(inform)).with_id(id);
        if self.cfg.version == cwmp::CwmpVersion::V1_4 {
            env.header.supported_cwmp_versions = Some("1.0,1.1,1.2,1.3,1.4".into());
        }
        let mut out = Vec::with_capacity(2048);
        env.write_xml_with(&cached, &mut out);
        self.inform_params = Some((revision, cached));
        out
    }

    /// The standard Inform parameters as XML, reusing `buf`'s allocation.
    /// They change only when the model does, so the result is kept until
    /// the model's revision moves.
    fn encode_inform_params(&self, buf: Option<EncodedParameters>) -> EncodedParameters {
        let mut enc = buf.unwrap_or_default();
        enc.clear();
        let mut name = String::with_capacity(128);
        for rel in INFORM_PARAMS {
            name.clear();
            name.push_str(self.model.root());
            name.push_str(rel);
            if let Some(e) = self.model.get(&name) {
                if let Kind::Value(ty) = e.kind {
                    enc.push(&ParameterValue::new(e.name, Value::new(ty, e.value)));
                }
            }
        }
        enc
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

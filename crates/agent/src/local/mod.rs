//! The `Device.LocalAgent.` data model of one virtual agent.
//!
//! Per-agent state is only what controllers changed: subscriptions and
//! overrides of the shared configuration ([`AgentConfig`]). Everything
//! else is computed when read: EndpointID, SoftwareVersion, UpTime (from
//! the `now` the caller passes in), SupportedProtocols, the MTP and
//! Controller tables from the shared configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use usp::ErrorCode;

use crate::dm::schema::SchemaError;
use crate::dm::{value, Data, Refusal, Schema};
use crate::notify::{Outbox, PendingNotify};

pub mod config;
pub mod request;
pub mod subscription;

pub use config::{AgentConfig, AgentMtp, ControllerConfig, ControllerMtp};
use request::Requests;
pub use request::{Completed, Request};
pub use subscription::{NotifType, Subscription};

/// The `data_model_inst_uri` of the model the facts come from.
pub const MODEL_URI: &str = "urn:broadband-forum-org:tr-181-2-16-0-usp";
/// Subscriptions one agent may hold.
pub const MAX_SUBSCRIPTIONS: usize = 64;
/// Overridden values one agent may hold.
const MAX_OVERRIDES: usize = 256;
/// Instances a controller may add to one configured table.
const MAX_ADDED_PER_TABLE: usize = 16;

/// TR-181 Device:2.16 (USP flavour) facts, embedded once for the whole
/// gateway: the LocalAgent schema and every CPE model are cut from it.
pub static FACTS: &str = include_str!("../../../../mappings/facts/tr-181-2-16-0-usp.tsv");

/// Parts of the LocalAgent model this gateway does not implement; they are
/// left out of the schema so GetSupportedDM does not advertise them.
const LEFT_OUT_PREFIXES: &[&str] = &[
    "Threshold",
    "Monitor",
    "Certificate",
    "ControllerTrust",
    "SupportedFingerprintAlgorithms",
    "SupportedThresholdOperator",
    "AddCertificate()",
];
const LEFT_OUT_PARTS: &[&str] = &[
    ".CoAP.",
    ".UDS.",
    ".E2ESession.",
    ".TransferCompletePolicy.",
    "AddMyCertificate()",
];

fn keep(path: &str) -> bool {
    if path == "Device." {
        return true;
    }
    let Some(rest) = path.strip_prefix("Device.LocalAgent.") else {
        return false;
    };
    !LEFT_OUT_PREFIXES.iter().any(|p| rest.starts_with(p))
        && !LEFT_OUT_PARTS.iter().any(|p| rest.contains(p))
}

/// The LocalAgent schema, parsed once from the embedded facts.
pub fn schema() -> Result<Arc<Schema>, SchemaError> {
    static SCHEMA: OnceLock<Result<Arc<Schema>, SchemaError>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| Schema::parse(FACTS, MODEL_URI, &keep).map(Arc::new))
        .clone()
}

/// What controllers changed in the configured tables, by instantiated path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overrides {
    values: BTreeMap<String, String>,
    /// Configured instances deleted (`Device.LocalAgent.Controller.2.`).
    deleted: BTreeSet<String>,
    /// Instances added, by table path (`Device.LocalAgent.Controller.`).
    added: BTreeMap<String, Vec<u32>>,
    /// Next instance number per table, so numbers are never reused.
    next: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct State {
    subs: Vec<Subscription>,
    last_sub: u32,
    overrides: Option<Box<Overrides>>,
}

/// The per-agent mutable state worth keeping across a restart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Persistent subscriptions only.
    pub subscriptions: Vec<Subscription>,
    /// Highest subscription instance number handed out.
    pub last_subscription: u32,
    pub overrides: Option<Overrides>,
    /// Notifications waiting for their NotifyResp (absent in snapshots
    /// written before they existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<PendingNotify>,
    /// Asynchronous commands under way (absent in older snapshots).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<Request>,
    #[serde(default, skip_serializing_if = "request::is_zero")]
    pub last_request: u32,
}

/// One agent's LocalAgent state.
#[derive(Debug, Clone, Default)]
pub struct LocalAgent {
    /// Seconds since the Unix epoch when the agent came up.
    up_since: u64,
    state: State,
    saved: Option<Box<State>>,
    /// Kept out of `State`, which every write copies for its rollback.
    pub(crate) outbox: Option<Box<Outbox>>,
    pub(crate) requests: Requests,
}

impl LocalAgent {
    pub fn new(up_since: u64) -> LocalAgent {
        LocalAgent {
            up_since,
            ..LocalAgent::default()
        }
    }

    pub fn subscriptions(&self) -> &[Subscription] {
        &self.state.subs
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            subscriptions: self
                .state
                .subs
                .iter()
                .filter(|s| s.persistent)
                .cloned()
                .collect(),
            last_subscription: self.state.last_sub,
            overrides: self.state.overrides.as_deref().cloned(),
            notifications: self
                .outbox
                .as_deref()
                .map(Outbox::persisted)
                .unwrap_or_default(),
            requests: self.requests.persisted(),
            last_request: self.requests.last,
        }
    }

    /// When the first subscription with a TimeToLive runs out (seconds
    /// since the Unix epoch): TimeToLive counts from CreationDate.
    pub(crate) fn next_expiry(&self) -> Option<u64> {
        self.state
            .subs
            .iter()
            .filter_map(Subscription::expires)
            .min()
    }

    /// Removes the subscriptions whose TimeToLive ran out by `now`;
    /// whether any went.
    pub(crate) fn expire_subscriptions(&mut self, now: u64) -> bool {
        let before = self.state.subs.len();
        self.state
            .subs
            .retain(|s| s.expires().is_none_or(|t| t > now));
        self.state.subs.len() != before
    }

    /// The asynchronous commands under way.
    pub fn requests(&self) -> &[Request] {
        &self.requests.list
    }

    pub fn restore(&mut self, s: Snapshot) {
        let mut subs = s.subscriptions;
        subs.truncate(MAX_SUBSCRIPTIONS);
        subs.sort_by_key(|s| s.instance);
        subs.dedup_by_key(|s| s.instance);
        let last = subs.iter().map(|s| s.instance).max().unwrap_or(0);
        self.state = State {
            subs,
            last_sub: s.last_subscription.max(last),
            overrides: s.overrides.map(Box::new),
        };
        self.saved = None;
        self.outbox = Outbox::restore(s.notifications);
        self.requests = Requests::restore(s.requests, s.last_request);
    }
}

/// [`LocalAgent`] seen through [`Data`] for one request: the shared parts
/// and the request's context (time, requesting controller) alongside.
pub struct View<'a> {
    pub schema: &'a Schema,
    pub config: &'a AgentConfig,
    pub eid: &'a str,
    pub agent: &'a mut LocalAgent,
    /// Seconds since the Unix epoch.
    pub now: u64,
    /// The requesting controller's `Controller.{i}` instance.
    pub requester: Option<u32>,
}

/// `template` with its `{i}`s replaced by `inst`, in order; a missing
/// number cuts the path before its `{i}`.
fn fill(template: &str, inst: &[u32]) -> String {
    let mut out = String::with_capacity(template.len() + 4);
    let mut rest = template;
    let mut nums = inst.iter();
    while let Some(i) = rest.find("{i}") {
        out.push_str(&rest[..i]);
        let Some(n) = nums.next() else { return out };
        out.push_str(&n.to_string());
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

const SUB: &str = "Device.LocalAgent.Subscription.{i}.";
const MTP: &str = "Device.LocalAgent.MTP.{i}.";
const CONTROLLER: &str = "Device.LocalAgent.Controller.{i}.";
const CONTROLLER_MTP: &str = "Device.LocalAgent.Controller.{i}.MTP.{i}.";
/// Only controllers add BootParameters: none are configured.
pub(crate) const BOOT_PARAMETER: &str = "Device.LocalAgent.Controller.{i}.BootParameter.{i}.";

impl View<'_> {
    fn overrides(&self) -> Option<&Overrides> {
        self.agent.state.overrides.as_deref()
    }

    fn overrides_mut(&mut self) -> &mut Overrides {
        self.agent.state.overrides.get_or_insert_with(Box::default)
    }

    /// How many instances the shared configuration gives a table.
    fn configured(&self, table: &str, parents: &[u32]) -> Option<usize> {
        match table {
            MTP => Some(self.config.mtps.len()),
            CONTROLLER => Some(self.config.controllers.len()),
            BOOT_PARAMETER => {
                let c = *parents.first()?;
                self.instances(CONTROLLER, &[]).contains(&c).then_some(0)
            }
            CONTROLLER_MTP => {
                let c = *parents.first()? as usize;
                Some(
                    c.checked_sub(1)
                        .and_then(|i| self.config.controllers.get(i))
                        .map_or(0, |c| c.mtps.len()),
                )
            }
            _ => None,
        }
    }

    fn sub(&self, n: u32) -> Option<&Subscription> {
        self.agent.state.subs.iter().find(|s| s.instance == n)
    }

    /// The `Controller.{i}` instance whose EndpointID is `eid`.
    pub fn controller_of(&self, eid: &str) -> Option<u32> {
        self.instances(CONTROLLER, &[]).into_iter().find(|&n| {
            self.value("Device.LocalAgent.Controller.{i}.EndpointID", &[n])
                .as_deref()
                == Some(eid)
        })
    }
}

impl Data for View<'_> {
    fn instances(&self, table: &str, parents: &[u32]) -> Vec<u32> {
        if table == SUB {
            return self.agent.state.subs.iter().map(|s| s.instance).collect();
        }
        if table == request::TABLE {
            return self
                .agent
                .requests
                .list
                .iter()
                .map(|r| r.instance)
                .collect();
        }
        let Some(base) = self.configured(table, parents) else {
            return Vec::new();
        };
        let path = fill(table, parents);
        let o = self.overrides();
        let mut v: Vec<u32> = (1..=base as u32)
            .filter(|n| !o.is_some_and(|o| o.deleted.contains(&format!("{path}{n}."))))
            .collect();
        if let Some(added) = o.and_then(|o| o.added.get(&path)) {
            v.extend(added);
        }
        v
    }

    fn value(&self, param: &str, inst: &[u32]) -> Option<String> {
        if let Some(item) = param.strip_prefix(SUB) {
            return self.sub(*inst.first()?)?.value(item);
        }
        if let Some(item) = param.strip_prefix(request::TABLE) {
            return self.agent.requests.get(*inst.first()?)?.value(item);
        }
        match param {
            "Device.LocalAgent.EndpointID" => return Some(self.eid.to_owned()),
            "Device.LocalAgent.SoftwareVersion" => {
                return Some(self.config.software_version.clone())
            }
            "Device.LocalAgent.UpTime" => {
                let up = self
                    .now
                    .saturating_sub(self.agent.up_since)
                    .min(u32::MAX.into());
                return Some(up.to_string());
            }
            "Device.LocalAgent.SupportedProtocols" => {
                return Some(self.config.supported_protocols())
            }
            "Device.LocalAgent.SupportedNumberOfSubscriptions" => {
                return Some(MAX_SUBSCRIPTIONS.to_string())
            }
            _ => {}
        }
        let path = fill(param, inst);
        if let Some(v) = self.overrides().and_then(|o| o.values.get(&path)) {
            return Some(v.clone());
        }
        if let Some(v) = self.config.default_value(self.eid, param, inst) {
            return Some(v);
        }
        if param.ends_with(".{i}.Alias") {
            return Some(format!("cpe-{}", inst.last()?));
        }
        let id = self.schema.find(param)?;
        Some(value::zero(self.schema.node(id).param()?.ty).to_owned())
    }

    fn begin(&mut self) {
        self.agent.saved = Some(Box::new(self.agent.state.clone()));
    }

    fn commit(&mut self) {
        self.agent.saved = None;
    }

    fn rollback(&mut self) {
        if let Some(s) = self.agent.saved.take() {
            self.agent.state = *s;
        }
    }

    fn set(&mut self, param: &str, inst: &[u32], v: &str) -> Result<(), Refusal> {
        if let Some(item) = param.strip_prefix(SUB) {
            let n = inst.first().copied().unwrap_or(0);
            let s = self.agent.state.subs.iter_mut().find(|s| s.instance == n);
            let s = s.ok_or_else(|| {
                Refusal::new(ErrorCode::ObjectDoesNotExist, "no such subscription")
            })?;
            return s.set(item, v);
        }
        if param.ends_with(".Protocol") && !matches!(v, "MQTT" | "WebSocket" | "STOMP") {
            return Err(Refusal::new(
                ErrorCode::InvalidValue,
                format!("{v:?} is not a supported protocol"),
            ));
        }
        if v.len() > 1024 {
            return Err(Refusal::new(ErrorCode::InvalidValue, "value too long"));
        }
        let path = fill(param, inst);
        let o = self.overrides_mut();
        if o.values.len() >= MAX_OVERRIDES && !o.values.contains_key(&path) {
            return Err(Refusal::new(
                ErrorCode::ResourcesExceeded,
                "too many changed values",
            ));
        }
        o.values.insert(path, v.to_owned());
        Ok(())
    }

    fn add(&mut self, table: &str, parents: &[u32]) -> Result<u32, Refusal> {
        let full = || Refusal::new(ErrorCode::ResourcesExceeded, "table full");
        if table == SUB {
            if self.agent.state.subs.len() >= MAX_SUBSCRIPTIONS {
                return Err(full());
            }
            let n = self.agent.state.last_sub.checked_add(1).ok_or_else(full)?;
            self.agent.state.last_sub = n;
            let s = Subscription::new(n, self.requester, self.now);
            self.agent.state.subs.push(s);
            return Ok(n);
        }
        let Some(base) = self.configured(table, parents) else {
            return Err(Refusal::new(
                ErrorCode::ObjectNotCreatable,
                "cannot add here",
            ));
        };
        let path = fill(table, parents);
        let o = self.overrides_mut();
        let added = o.added.entry(path.clone()).or_default();
        if added.len() >= MAX_ADDED_PER_TABLE {
            return Err(full());
        }
        let n = o.next.get(&path).copied().unwrap_or(0).max(base as u32 + 1);
        added.push(n);
        o.next.insert(path, n.saturating_add(1));
        Ok(n)
    }

    fn delete(&mut self, table: &str, inst: &[u32]) -> Result<(), Refusal> {
        if table == SUB {
            let n = inst.first().copied().unwrap_or(0);
            self.agent.state.subs.retain(|s| s.instance != n);
            return Ok(());
        }
        let (parents, n) = inst.split_at(inst.len().saturating_sub(1));
        let (Some(base), Some(&n)) = (self.configured(table, parents), n.first()) else {
            return Err(Refusal::new(ErrorCode::DeleteFailure, "cannot delete here"));
        };
        let table_path = fill(table, parents);
        let path = format!("{table_path}{n}.");
        let o = self.overrides_mut();
        if n as usize <= base {
            o.deleted.insert(path.clone());
        } else if let Some(a) = o.added.get_mut(&table_path) {
            a.retain(|&x| x != n);
        }
        // Whatever lived below the instance goes with it.
        o.values.retain(|k, _| !k.starts_with(&path));
        o.added.retain(|k, _| !k.starts_with(&path));
        o.next.retain(|k, _| !k.starts_with(&path));
        o.deleted.retain(|k| k == &path || !k.starts_with(&path));
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! Every virtual agent of the gateway, keyed by endpoint ID, with the
//! schema and configuration they share.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use usp::endpoint::{EndpointId, EndpointIdError};
use usp::mtp::ReplyTo;
use usp::record;

use crate::dm::schema::SchemaError;
use crate::dm::Schema;
use crate::local::{self, AgentConfig, LocalAgent, NotifType, Snapshot, View};
use crate::notify::{self, PendingNotify};
use crate::replay::ReplyCache;

/// What the caller must do after handing the agents an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this encoded Record over the MTP named by `to`.
    Send {
        agent: String,
        to: ReplyTo,
        record: Bytes,
    },
    /// The agent's persistent state changed: store this snapshot and hand
    /// it back to [`Agents::restore`] after a restart.
    Persist { agent: String, snapshot: Snapshot },
    /// A request for the CPE's own model: run it (crate `interwork`) and
    /// hand the answer to [`Agents::finish_remote`].
    Remote(Box<crate::remote::Remote>),
    /// A controller's NotifyResp stopped the retries of one of our Notify
    /// messages.
    NotifyAcked {
        agent: String,
        controller: String,
        msg_id: String,
        subscription_id: String,
    },
    /// What the enabled ValueChange subscriptions of this agent watch on
    /// the CPE changed: the whole new set, ReferenceList entries outside
    /// `Device.LocalAgent.` as written (wildcards and search expressions
    /// included; the gateway resolves them against the CPE's model). The
    /// gateway keeps the CPE's notification attributes (or a poll) in line
    /// with it. Emitted when a request changes the set; after
    /// [`Agents::restore`] the gateway asks [`Agents::watched`].
    /// `tables` likewise holds the ReferenceList entries of the enabled
    /// ObjectCreation / ObjectDeletion subscriptions (table paths, maybe
    /// with wildcards), whose instance lists the gateway diffs
    /// ([`Agents::watched_tables`]).
    Watch {
        agent: String,
        paths: Vec<String>,
        tables: Vec<String>,
    },
}

/// Why a device gets no agent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    Id(#[from] EndpointIdError),
    /// Another device (OUI/ProductClass/Serial) already has this endpoint
    /// ID: two `os::` devices with the same OUI and serial number but
    /// different ProductClasses. The `ops` scheme tells them apart.
    #[error(
        "endpoint ID {eid} already belongs to {owner}; the ops endpoint scheme tells them apart"
    )]
    Taken { eid: String, owner: String },
}

/// How a device's endpoint ID is formed (R-ARC.2a).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdScheme {
    /// `os::<OUI>-<SerialNumber>`
    Os,
    /// `ops::<OUI>-<ProductClass>-<SerialNumber>`
    Ops,
}

/// WebSocket links an agent keeps track of (peers are few: controllers).
const MAX_WS_LINKS: usize = 8;

/// One virtual agent: its LocalAgent state, the device's identity, and
/// what only exists while used (open WebSocket links, recent answers).
#[derive(Debug, Clone, Default)]
pub struct Agent {
    pub(crate) local: LocalAgent,
    /// OUI, ProductClass and SerialNumber joined by NULs (which XML, and so
    /// CWMP, cannot carry): one allocation instead of three.
    pub(crate) identity: Box<str>,
    pub(crate) ws_links: Option<Box<WsLinks>>,
    pub(crate) replies: Option<Box<ReplyCache>>,
    /// Which broker links are up ([`MQTT_UP`], [`STOMP_UP`]): a Notify goes
    /// over one only after its Connect record (R-MTP.6).
    pub(crate) links_up: u8,
    /// Seconds since the Unix epoch of the next `Periodic!` boundary this
    /// agent is filed under in [`Agents`]' `periodic` index.
    pub(crate) periodic_at: Option<u64>,
}

pub(crate) const MQTT_UP: u8 = 1;
pub(crate) const STOMP_UP: u8 = 2;

fn link_bit(protocol: &str) -> u8 {
    match protocol {
        "MQTT" => MQTT_UP,
        "STOMP" => STOMP_UP,
        _ => 0,
    }
}

/// Open WebSocket links: (peer endpoint ID, link).
#[derive(Debug, Clone, Default)]
pub(crate) struct WsLinks(pub(crate) Vec<(Box<str>, u64)>);

/// OUI, ProductClass, SerialNumber of an [`Agent::identity`].
pub(crate) fn identity_parts(identity: &str) -> [&str; 3] {
    let mut it = identity.splitn(3, '\0');
    [(); 3].map(|_| it.next().unwrap_or_default())
}

impl Agent {
    pub(crate) fn broker_up(&mut self, protocol: &str, up: bool) {
        let bit = link_bit(protocol);
        if up {
            self.links_up |= bit;
        } else {
            self.links_up &= !bit;
        }
    }

    pub(crate) fn link_up(&mut self, peer: &str, link: u64) {
        let links = &mut self.ws_links.get_or_insert_with(Box::default).0;
        links.retain(|(p, _)| &**p != peer);
        if links.len() >= MAX_WS_LINKS {
            links.remove(0);
        }
        links.push((peer.into(), link));
    }

    pub(crate) fn link_down(&mut self, link: u64) {
        if let Some(links) = &mut self.ws_links {
            links.0.retain(|&(_, l)| l != link);
            if links.0.is_empty() {
                self.ws_links = None;
            }
        }
    }
}

pub(crate) fn send(agent: &str, to: &ReplyTo, r: &usp::Record) -> Action {
    Action::Send {
        agent: agent.to_owned(),
        to: to.clone(),
        record: Bytes::from(record::encode_record(r)),
    }
}

/// A subscription as the notification logic needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    pub instance: u32,
    pub id: String,
    pub enable: bool,
    pub notif_type: Option<NotifType>,
    pub reference_list: Vec<String>,
    /// The recipient controller's endpoint ID, if it still exists.
    pub recipient: Option<String>,
    pub persistent: bool,
    pub time_to_live: u32,
    pub notif_retry: bool,
    pub notif_expiration: u32,
    /// Seconds since the Unix epoch.
    pub creation_date: u64,
}

/// All virtual agents.
pub struct Agents {
    pub(crate) schema: Arc<Schema>,
    pub(crate) config: Arc<AgentConfig>,
    pub(crate) agents: HashMap<String, Agent>,
    /// (deadline in ms since the epoch, endpoint ID) of every agent with
    /// notifications waiting, at its earliest deadline.
    pub(crate) due: BTreeSet<(u64, String)>,
    /// (next `Periodic!` in seconds since the epoch, endpoint ID) of every
    /// agent with a subscription to it.
    pub(crate) periodic: BTreeSet<(u64, String)>,
    pub(crate) stats: crate::events::NotifyStats,
    /// Numbers the msg_ids of subscription Notify messages.
    pub(crate) msg_seq: u64,
    /// The latest time any call was given.
    pub(crate) clock: SystemTime,
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Agents {
    /// Fails only if the embedded LocalAgent facts do not parse.
    pub fn new(config: Arc<AgentConfig>) -> Result<Agents, SchemaError> {
        Ok(Agents {
            schema: local::schema()?,
            config,
            agents: HashMap::new(),
            due: BTreeSet::new(),
            periodic: BTreeSet::new(),
            stats: crate::events::NotifyStats::default(),
            msg_seq: 0,
            clock: UNIX_EPOCH,
        })
    }

    /// Adds the agent of a device and returns its endpoint ID; an agent
    /// already there is kept as it is.
    pub fn add(
        &mut self,
        oui: &str,
        product_class: &str,
        serial_number: &str,
        scheme: IdScheme,
        now: SystemTime,
    ) -> Result<String, AddError> {
        let eid = match scheme {
            IdScheme::Os => EndpointId::os(oui, serial_number)?,
            IdScheme::Ops => EndpointId::ops(oui, product_class, serial_number)?,
        }
        .to_string();
        let identity = format!("{oui}\0{product_class}\0{serial_number}");
        match self.agents.get(&eid) {
            Some(a) if *a.identity != *identity => {
                // Two CPE behind one endpoint ID would answer for each
                // other: the first keeps it (R-ARC.2a wants it unique).
                return Err(AddError::Taken {
                    eid,
                    owner: identity_parts(&a.identity).join("/"),
                });
            }
            Some(_) => {}
            None => {
                self.agents.insert(
                    eid.clone(),
                    Agent {
                        local: LocalAgent::new(unix(now)),
                        identity: identity.into(),
                        ..Agent::default()
                    },
                );
            }
        }
        Ok(eid)
    }

    pub fn remove(&mut self, eid: &str) -> bool {
        let Some(mut a) = self.agents.remove(eid) else {
            return false;
        };
        if let Some(t) = a.local.outbox.as_mut().and_then(|o| o.take_scheduled()) {
            self.due.remove(&(t, eid.to_owned()));
        }
        if let Some(t) = a.periodic_at {
            self.periodic.remove(&(t, eid.to_owned()));
        }
        true
    }

    /// The device behind an agent: (OUI, ProductClass, SerialNumber).
    pub fn identity(&self, eid: &str) -> Option<(&str, &str, &str)> {
        let [o, p, s] = identity_parts(&self.agents.get(eid)?.identity);
        Some((o, p, s))
    }

    /// The notifications of `eid` waiting for a NotifyResp.
    pub fn pending_notifications(&self, eid: &str) -> Vec<PendingNotify> {
        self.agents
            .get(eid)
            .and_then(|a| a.local.outbox.as_ref())
            .map(|o| o.persisted())
            .unwrap_or_default()
    }

    pub fn contains(&self, eid: &str) -> bool {
        self.agents.contains_key(eid)
    }

    pub fn len(&self) -> usize {
        self.agents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Puts back what [`Action::Persist`] carried; false for an unknown
    /// agent (add it first).
    pub fn restore(&mut self, eid: &str, snapshot: Snapshot) -> bool {
        match self.agents.get_mut(eid) {
            Some(a) => {
                if let Some(t) = a.local.outbox.as_mut().and_then(|o| o.take_scheduled()) {
                    self.due.remove(&(t, eid.to_owned()));
                }
                a.local.restore(snapshot);
                notify::reschedule(&mut self.due, eid, &mut a.local.outbox);
                self.plan_periodic_later(eid);
                true
            }
            None => false,
        }
    }

    pub fn snapshot(&self, eid: &str) -> Option<Snapshot> {
        self.agents.get(eid).map(|a| a.local.snapshot())
    }

    /// The agent's subscriptions, with recipients as endpoint IDs.
    pub fn subscriptions(&self, eid: &str) -> Vec<SubscriptionView> {
        let Some(agent) = self.agents.get(eid) else {
            return Vec::new();
        };
        // The Data view wants a mutable agent; a copy of this small state
        // keeps this call read-only.
        let mut local = agent.local.clone();
        let (schema, config) = (&self.schema, &self.config);
        let agent = &mut local;
        let subs: Vec<_> = agent.subscriptions().to_vec();
        let view = View {
            schema,
            config,
            eid,
            agent,
            now: 0,
            requester: None,
        };
        subs.into_iter()
            .map(|s| {
                let recipient = s.recipient.and_then(|c| {
                    use crate::dm::Data;
                    let known = view
                        .instances("Device.LocalAgent.Controller.{i}.", &[])
                        .contains(&c);
                    known
                        .then(|| view.value("Device.LocalAgent.Controller.{i}.EndpointID", &[c]))
                        .flatten()
                });
                SubscriptionView {
                    instance: s.instance,
                    id: s.id,
                    enable: s.enable,
                    notif_type: s.notif_type,
                    reference_list: s.reference_list,
                    recipient,
                    persistent: s.persistent,
                    time_to_live: s.time_to_live,
                    notif_retry: s.notif_retry,
                    notif_expiration: s.notif_expiration,
                    creation_date: s.creation_date,
                }
            })
            .collect()
    }
}

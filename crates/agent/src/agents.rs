//! Every virtual agent of the gateway, keyed by endpoint ID, with the
//! schema and configuration they share.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use usp::endpoint::{EndpointId, EndpointIdError};
use usp::mtp::ReplyTo;

use crate::dm::schema::SchemaError;
use crate::dm::Schema;
use crate::local::{self, AgentConfig, LocalAgent, NotifType, Snapshot, View};

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
    /// A controller acknowledged a Notify (for NotifRetry, later).
    NotifyAcked {
        agent: String,
        controller: String,
        msg_id: String,
        subscription_id: String,
    },
}

/// How a device's endpoint ID is formed (R-ARC.2a).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdScheme {
    /// `os::<OUI>-<SerialNumber>`
    Os,
    /// `ops::<OUI>-<ProductClass>-<SerialNumber>`
    Ops,
}

/// One virtual agent: its LocalAgent state, nothing else.
#[derive(Debug, Clone, Default)]
pub struct Agent {
    pub(crate) local: LocalAgent,
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
    ) -> Result<String, EndpointIdError> {
        let eid = match scheme {
            IdScheme::Os => EndpointId::os(oui, serial_number)?,
            IdScheme::Ops => EndpointId::ops(oui, product_class, serial_number)?,
        }
        .to_string();
        self.agents.entry(eid.clone()).or_insert_with(|| Agent {
            local: LocalAgent::new(unix(now)),
        });
        Ok(eid)
    }

    pub fn remove(&mut self, eid: &str) -> bool {
        self.agents.remove(eid).is_some()
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
                a.local.restore(snapshot);
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

//! Records in, Records out: the USP generic rules around the data model.
//!
//! - Records that do not decode, are not addressed to the agent (R-E2E.1),
//!   come from the agent itself or carry no sender are ignored: an Error
//!   needs a known sender, our own to_id, a Request and its msg_id
//!   (R-MTP.5), none of which an undecodable Record gives.
//! - Any Record version 1.x is accepted (1.0-1.4 are what our protos
//!   describe; a later 1.x only adds fields).
//! - A SessionContext Record is refused with a Disconnect, 7106 (R-E2E.6a).
//! - A Msg without header or msg_id is ignored; a Msg whose body is
//!   missing or disagrees with its header is answered with Error 7004
//!   (R-ENC.3-5) when it could be a request.
//! - Responses echo the msg_id (R-MSG.9) in a NoSessionContext Record
//!   (R-MSG.0a), version 1.4, to the requester.
//! - Duplicate msg_ids (R-MSG.4): a request is answered before
//!   `handle_record` returns, so none is ever pending. A repeated Set,
//!   Add, Delete or Operate (same controller, msg_id and body) among the
//!   agent's last few is answered again without running (see
//!   [`crate::replay`]); a repeated Get simply runs again.
//! - A NotifyResp stops the retries of the Notify it answers (see
//!   [`crate::notify`]); one that answers nothing waiting is ignored
//!   (R-NOT.16).

use std::time::SystemTime;

use usp::mtp::{LinkUp, MqttVersion, ReplyTo};
use usp::proto::usp::header::MsgType;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp_record::mqtt_connect_record::MqttVersion as RecordMqttVersion;
use usp::proto::usp_record::record::RecordType;
use usp::{msg, record, ErrorCode, Msg};

use crate::agents::{send, unix, Action, Agents};
use crate::dispatch;
use crate::dm::Data;
use crate::events;
use crate::local::View;
use crate::notify::{self, unix_ms};
use crate::remote;
use crate::replay::{self, ReplyCache};

/// Could this Msg be a request, so that an Error may answer it?
fn maybe_request(m: &Msg) -> bool {
    if m.response().is_some() || m.error().is_some() {
        return false;
    }
    !matches!(
        m.msg_type(),
        Some(
            MsgType::Error
                | MsgType::GetResp
                | MsgType::SetResp
                | MsgType::AddResp
                | MsgType::DeleteResp
                | MsgType::OperateResp
                | MsgType::GetSupportedDmResp
                | MsgType::GetInstancesResp
                | MsgType::NotifyResp
                | MsgType::GetSupportedProtoResp
                | MsgType::RegisterResp
                | MsgType::DeregisterResp
        )
    )
}

impl Agents {
    /// Handles one Record an MTP delivered for `agent_eid`; `reply` is where
    /// the MTP says answers go.
    pub fn handle_record(
        &mut self,
        agent_eid: &str,
        bytes: &[u8],
        reply: ReplyTo,
        now: SystemTime,
    ) -> Vec<Action> {
        if !self.agents.contains_key(agent_eid) {
            return Vec::new();
        }
        self.tick(now);
        let Ok(decoded) = record::decode_record(bytes) else {
            return Vec::new();
        };
        let rec = decoded.record;
        if rec.to_id != agent_eid || rec.from_id.is_empty() || rec.from_id == agent_eid {
            return Vec::new();
        }
        match rec.record_type {
            Some(RecordType::NoSessionContext(_)) => {}
            Some(RecordType::SessionContext(_)) => {
                let d = record::disconnect(
                    &rec.from_id,
                    agent_eid,
                    "session context records are not supported",
                    ErrorCode::SessionContextNotAllowed,
                );
                return vec![send(agent_eid, &reply, &d)];
            }
            _ => return Vec::new(),
        }
        let Some(m) = decoded.msg else {
            return Vec::new();
        };
        let answer = |m: Msg| {
            let r = record::no_session_context(&rec.from_id, agent_eid, &m);
            send(agent_eid, &reply, &r)
        };
        if m.msg_id().is_empty() {
            return Vec::new();
        }
        if let Err(e) = m.validate() {
            if maybe_request(&m) {
                return vec![answer(msg::error(
                    m.msg_id(),
                    ErrorCode::InvalidArguments,
                    e.to_string(),
                    vec![],
                ))];
            }
            return Vec::new();
        }
        if let Some(RespType::NotifyResp(n)) = m.response() {
            return self.notify_acked(agent_eid, &rec.from_id, m.msg_id(), &n.subscription_id);
        }
        let Some(req) = m.request() else {
            // Other responses and Errors: nothing of ours is waiting.
            return Vec::new();
        };
        let mut out = Vec::new();
        let (schema, config) = (self.schema.clone(), self.config.clone());
        let Some(agent) = self.agents.get_mut(agent_eid) else {
            return out;
        };
        // Only writes can change what is persisted; Gets skip the copy.
        let writes = matches!(
            req,
            ReqType::Set(_) | ReqType::Add(_) | ReqType::Delete(_) | ReqType::Operate(_)
        );
        let digest = match (&rec.record_type, writes) {
            (Some(RecordType::NoSessionContext(n)), true) => Some(replay::digest(&n.payload)),
            _ => None,
        };
        if let (Some(d), Some(cache)) = (digest, &agent.replies) {
            if let Some(earlier) = cache.lookup(&rec.from_id, m.msg_id(), d) {
                return earlier
                    .map(|record| Action::Send {
                        agent: agent_eid.to_owned(),
                        to: reply.clone(),
                        record,
                    })
                    .into_iter()
                    .collect();
            }
        }
        match remote::placement(&schema, req) {
            remote::Placement::Local => {}
            remote::Placement::Mixed => {
                return vec![answer(remote::mixed_error().into_msg(m.msg_id()))];
            }
            remote::Placement::Remote => {
                // A copy redelivered while the CPE works on this one gets
                // no second run: the answer goes out when the first ends.
                let tracked =
                    match crate::commands::open_request(&mut agent.local, &rec.from_id, req) {
                        Ok(t) => t,
                        Err(a) => {
                            return a
                                .map(|a| answer(a.into_msg(m.msg_id())))
                                .into_iter()
                                .collect()
                        }
                    };
                if let Some(d) = digest {
                    let cache = agent.replies.get_or_insert_with(Box::<ReplyCache>::default);
                    cache.remember(&rec.from_id, m.msg_id(), d, None);
                }
                return vec![Action::Remote(Box::new(remote::Remote {
                    agent: agent_eid.to_owned(),
                    controller: rec.from_id.clone(),
                    msg_id: m.msg_id().to_owned(),
                    reply,
                    request: req.clone(),
                    digest,
                    tracked,
                    completes: None,
                }))];
            }
        }
        let before = writes.then(|| agent.local.snapshot());
        let watched_before = writes.then(|| {
            (
                events::watched_of(&agent.local),
                events::tables_of(&agent.local),
            )
        });
        let subs_before = writes.then(|| notify::subscription_keys(&agent.local));
        let mut view = View {
            schema: &schema,
            config: &config,
            eid: agent_eid,
            agent: &mut agent.local,
            now: unix(now),
            requester: None,
        };
        view.requester = view.controller_of(&rec.from_id);
        let answered = dispatch::request(&mut view, req).map(|a| answer(a.into_msg(m.msg_id())));
        if let Some(before) = &subs_before {
            notify::forget_gone(&mut view, before);
        }
        if let Some(d) = digest {
            let record = match &answered {
                Some(Action::Send { record, .. }) => Some(record.clone()),
                _ => None,
            };
            let cache = agent.replies.get_or_insert_with(Box::<ReplyCache>::default);
            cache.remember(&rec.from_id, m.msg_id(), d, record);
        }
        out.extend(answered);
        // An Operate may have queued a notification.
        notify::reschedule(&mut self.due, agent_eid, &mut agent.local.outbox);
        if let Some(before) = before {
            let after = agent.local.snapshot();
            if after != before {
                out.push(Action::Persist {
                    agent: agent_eid.to_owned(),
                    snapshot: after,
                });
            }
        }
        if let Some(watched_before) = watched_before {
            let paths = events::watched_of(&agent.local);
            let tables = events::tables_of(&agent.local);
            if (&paths, &tables) != (&watched_before.0, &watched_before.1) {
                out.push(Action::Watch {
                    agent: agent_eid.to_owned(),
                    paths,
                    tables,
                });
            }
            // Subscriptions or a controller's PeriodicNotif* may have
            // changed.
            self.plan_periodic(agent_eid, now);
        }
        out
    }

    /// An MTP connection of `agent_eid` came up: the Connect records due to
    /// the controllers reachable over it (R-MTP.6). MQTT and STOMP: one per
    /// enabled controller with an enabled MTP of that protocol, to its
    /// topic or destination. WebSocket: one to the link's peer.
    pub fn on_mtp_up(&mut self, agent_eid: &str, link: &LinkUp, now: SystemTime) -> Vec<Action> {
        let (schema, config) = (self.schema.clone(), self.config.clone());
        let Some(agent) = self.agents.get_mut(agent_eid) else {
            return Vec::new();
        };
        match link {
            LinkUp::WebSocket {
                link,
                peer: Some(peer),
            } => agent.link_up(peer, *link),
            LinkUp::WebSocket { .. } => {}
            LinkUp::Mqtt { .. } | LinkUp::Stomp { .. } => agent.broker_up(link.protocol(), true),
        }
        let mut outbox = agent.local.outbox.take();
        let view = View {
            schema: &schema,
            config: &config,
            eid: agent_eid,
            agent: &mut agent.local,
            now: unix(now),
            requester: None,
        };
        if let Some(o) = &mut outbox {
            notify::link_up(&view, o, link, unix_ms(now));
        }
        let out = connect_records(&view, agent_eid, link);
        agent.local.outbox = outbox;
        notify::reschedule(&mut self.due, agent_eid, &mut agent.local.outbox);
        out
    }

    /// An MTP link of `agent_eid` went down: its `protocol` ("MQTT",
    /// "STOMP") or, for WebSocket, the one `link`.
    pub fn on_mtp_down(&mut self, agent_eid: &str, protocol: &str, link: Option<u64>) {
        let Some(agent) = self.agents.get_mut(agent_eid) else {
            return;
        };
        match link {
            Some(link) => agent.link_down(link),
            None => agent.broker_up(protocol, false),
        }
    }

    fn notify_acked(
        &mut self,
        agent_eid: &str,
        controller: &str,
        msg_id: &str,
        subscription_id: &str,
    ) -> Vec<Action> {
        let Some(agent) = self.agents.get_mut(agent_eid) else {
            return Vec::new();
        };
        let acked = agent
            .local
            .outbox
            .as_mut()
            .is_some_and(|o| o.ack(controller, msg_id, subscription_id));
        if !acked {
            return Vec::new();
        }
        notify::reschedule(&mut self.due, agent_eid, &mut agent.local.outbox);
        vec![
            Action::Persist {
                agent: agent_eid.to_owned(),
                snapshot: agent.local.snapshot(),
            },
            Action::NotifyAcked {
                agent: agent_eid.to_owned(),
                controller: controller.to_owned(),
                msg_id: msg_id.to_owned(),
                subscription_id: subscription_id.to_owned(),
            },
        ]
    }
}

/// The Connect records a fresh link owes the controllers it reaches.
fn connect_records(view: &View<'_>, agent_eid: &str, link: &LinkUp) -> Vec<Action> {
    if let LinkUp::WebSocket { link, peer } = link {
        let Some(peer) = peer else {
            return Vec::new();
        };
        let r = record::websocket_connect(peer, agent_eid);
        return vec![send(agent_eid, &ReplyTo::WebSocket { link: *link }, &r)];
    }
    let mut out = Vec::new();
    const C: &str = "Device.LocalAgent.Controller.{i}.";
    for c in view.instances(C, &[]) {
        let get =
            |item: &str, inst: &[u32]| view.value(&format!("{C}{item}"), inst).unwrap_or_default();
        if get("Enable", &[c]) != "true" {
            continue;
        }
        let eid = get("EndpointID", &[c]);
        if eid.is_empty() {
            continue;
        }
        for m in view.instances(&format!("{C}MTP.{{i}}."), &[c]) {
            let at = [c, m];
            if get("MTP.{i}.Enable", &at) != "true"
                || get("MTP.{i}.Protocol", &at) != link.protocol()
            {
                continue;
            }
            let (r, to) = match link {
                LinkUp::Mqtt {
                    version,
                    subscribed_topic,
                } => {
                    let v = match version {
                        MqttVersion::V5 => RecordMqttVersion::V5,
                        MqttVersion::V3_1_1 => RecordMqttVersion::V311,
                    };
                    let topic = get("MTP.{i}.MQTT.Topic", &at);
                    let r = record::mqtt_connect(&eid, agent_eid, v, subscribed_topic);
                    (r, ReplyTo::Mqtt { topic })
                }
                LinkUp::Stomp {
                    subscribed_destination,
                } => {
                    let destination = get("MTP.{i}.STOMP.Destination", &at);
                    let r = record::stomp_connect(&eid, agent_eid, subscribed_destination);
                    (r, ReplyTo::Stomp { destination })
                }
                LinkUp::WebSocket { .. } => continue,
            };
            if matches!(&to, ReplyTo::Mqtt { topic } if topic.is_empty())
                || matches!(&to, ReplyTo::Stomp { destination } if destination.is_empty())
            {
                continue;
            }
            out.push(send(agent_eid, &to, &r));
        }
    }
    out
}

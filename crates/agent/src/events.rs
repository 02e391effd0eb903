//! Subscriptions meet what happened: which enabled subscriptions of an
//! agent a [`Happening`] matches, and the Notify each of them gets.
//!
//! # ReferenceList matching (TR-369 §Notifications, TR-181 Subscription)
//!
//! An entry matches the path of a Happening (the parameter for
//! ValueChange, the instance for ObjectCreation/ObjectDeletion,
//! `obj_path` + name for Event and OperationComplete) when:
//! - it is that path (`Device.WiFi.SSID.1.SSID`, `Device.Boot!`,
//!   `Device.X.1.Download()`), or
//! - it ends with a dot and is a prefix of it, segment by segment (a
//!   partial path: `Device.WiFi.` covers every parameter, instance, event
//!   and command below);
//! - where an entry segment is `*` or a search expression (`[...]`), any
//!   instance number matches it. Search expressions are not evaluated: the
//!   agent does not hold the CPE's values, so a subscription on
//!   `Device.WiFi.SSID.[Enable==true].SSID` hears about every SSID (the
//!   gateway narrows what it watches on the CPE, see [`crate::Action::Watch`]).
//!
//! # Delivery
//!
//! One Notify per matching subscription, `subscription_id` = its ID, to
//! its Recipient controller if that controller is enabled. With
//! NotifRetry the Notify asks for a NotifyResp and waits in the outbox
//! (sent at the next [`Agents::handle_timeout`], which
//! [`Agents::poll_timeout`] says is now; retried on the R-NOT.1-4
//! schedule; dropped once NotifExpiration seconds passed). Without it the
//! Notify goes at once over a link that is up, or is dropped and counted.

use std::collections::BTreeSet;
use std::time::SystemTime;

use usp::proto::usp::notify::Notification;
use usp::{msg, record};

use crate::agents::{send, unix, Action, Agents};
use crate::dm::Data;
use crate::happening::Happening;
use crate::local::request::Outcome;
use crate::local::{LocalAgent, NotifType, View};
use crate::notify::{self, unix_ms, PendingKind, PendingNotify};
use crate::route::{enabled_controllers, route};

/// What became of the Notify messages of every agent since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotifyStats {
    /// First transmissions.
    pub sent: u64,
    /// Retransmissions (R-NOT.1-4).
    pub retried: u64,
    /// Waiting notifications pushed out of a full outbox (the oldest go)
    /// by a subscription's Notify.
    pub dropped_overflow: u64,
    /// Waiting notifications whose NotifExpiration passed.
    pub dropped_expired: u64,
    /// Notify messages without NotifRetry and without a link to go over.
    pub dropped_no_link: u64,
}

impl Happening {
    pub fn notif_type(&self) -> NotifType {
        match self {
            Happening::ValueChange { .. } => NotifType::ValueChange,
            Happening::Event { .. } => NotifType::Event,
            Happening::ObjectCreation { .. } => NotifType::ObjectCreation,
            Happening::ObjectDeletion { .. } => NotifType::ObjectDeletion,
            Happening::OperationComplete { .. } => NotifType::OperationComplete,
        }
    }

    /// The path ReferenceList entries are matched against.
    pub fn path(&self) -> String {
        match self {
            Happening::ValueChange { path, .. }
            | Happening::ObjectCreation { path, .. }
            | Happening::ObjectDeletion { path } => path.clone(),
            Happening::Event {
                obj_path,
                event_name,
                ..
            } => format!("{obj_path}{event_name}"),
            Happening::OperationComplete {
                obj_path,
                command_name,
                ..
            } => format!("{obj_path}{command_name}"),
        }
    }
}

/// The segments of a path, split at dots outside search expressions; a
/// trailing dot adds no empty segment.
fn segments(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0u32, 0);
    for (i, b) in path.bytes().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'.' if depth == 0 => {
                out.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < path.len() {
        out.push(&path[start..]);
    }
    out
}

fn segment_matches(entry: &str, seg: &str) -> bool {
    entry == seg
        || ((entry == "*" || entry.starts_with('['))
            && !seg.is_empty()
            && seg.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether ReferenceList entry `entry` covers `path` (see the module doc).
pub fn covers(entry: &str, path: &str) -> bool {
    let (e, p) = (segments(entry), segments(path));
    let partial = entry.ends_with('.');
    // An object path covers what is below it, and itself, never a
    // parameter of the same name.
    let lengths_fit = if partial {
        e.len() < p.len() || (e.len() == p.len() && path.ends_with('.'))
    } else {
        e.len() == p.len()
    };
    lengths_fit && e.iter().zip(&p).all(|(e, p)| segment_matches(e, p))
}

/// The Notify payload of a Happening.
pub(crate) fn notification(h: &Happening) -> Notification {
    match h {
        Happening::ValueChange { path, value } => msg::notify::value_change(path, value),
        Happening::Event {
            obj_path,
            event_name,
            params,
        } => msg::notify::event(obj_path, event_name, params.clone()),
        Happening::ObjectCreation { path, unique_keys } => {
            msg::notify::obj_creation(path, unique_keys.clone())
        }
        Happening::ObjectDeletion { path } => msg::notify::obj_deletion(path),
        Happening::OperationComplete {
            obj_path,
            command_name,
            command_key,
            outcome,
        } => match outcome {
            Outcome::Success(out) => {
                msg::notify::oper_complete_ok(obj_path, command_name, command_key, out.clone())
            }
            Outcome::Failure { err_code, err_msg } => msg::notify::oper_complete_failure(
                obj_path,
                command_name,
                command_key,
                *err_code,
                err_msg,
            ),
        },
    }
}

/// What the enabled ValueChange subscriptions watch on the CPE: their
/// ReferenceList entries outside `Device.LocalAgent.`, sorted, once each.
pub(crate) fn watched_of(local: &LocalAgent) -> Vec<String> {
    let set: BTreeSet<&String> = local
        .subscriptions()
        .iter()
        .filter(|s| s.enable && s.notif_type == Some(NotifType::ValueChange))
        .flat_map(|s| &s.reference_list)
        .filter(|p| !p.starts_with("Device.LocalAgent."))
        .collect();
    set.into_iter().cloned().collect()
}

/// The tables the enabled ObjectCreation / ObjectDeletion subscriptions
/// watch on the CPE: their ReferenceList entries outside
/// `Device.LocalAgent.`, sorted, once each (see [`Action::Watch`]).
pub(crate) fn tables_of(local: &LocalAgent) -> Vec<String> {
    let set: BTreeSet<&String> = local
        .subscriptions()
        .iter()
        .filter(|s| {
            s.enable
                && matches!(
                    s.notif_type,
                    Some(NotifType::ObjectCreation | NotifType::ObjectDeletion)
                )
        })
        .flat_map(|s| &s.reference_list)
        .filter(|p| !p.starts_with("Device.LocalAgent."))
        .collect();
    set.into_iter().cloned().collect()
}

/// A matching subscription: (recipient controller, ID, NotifRetry,
/// NotifExpiration).
type Match = (u32, String, bool, u32);

impl Agents {
    /// Tells agent `eid` what happened on its CPE: a Notify for each
    /// enabled subscription it matches (queued for retries where the
    /// subscription asks for NotifRetry), plus the state to persist.
    pub fn notify(&mut self, eid: &str, happening: Happening, now: SystemTime) -> Vec<Action> {
        self.deliver(eid, &happening, now, None)
    }

    /// What became of Notify messages so far.
    pub fn notify_stats(&self) -> NotifyStats {
        self.stats
    }

    /// What the enabled ValueChange subscriptions of `eid` watch on the
    /// CPE now (see [`Action::Watch`]); for the gateway at start.
    pub fn watched(&self, eid: &str) -> Vec<String> {
        self.agents
            .get(eid)
            .map(|a| watched_of(&a.local))
            .unwrap_or_default()
    }

    /// The tables whose instances the enabled ObjectCreation /
    /// ObjectDeletion subscriptions of `eid` watch (see [`Action::Watch`]);
    /// for the gateway at start.
    pub fn watched_tables(&self, eid: &str) -> Vec<String> {
        self.agents
            .get(eid)
            .map(|a| tables_of(&a.local))
            .unwrap_or_default()
    }

    /// Delivers `h` to the matching subscriptions of `eid` (only those of
    /// `Controller.{only}` if given).
    pub(crate) fn deliver(
        &mut self,
        eid: &str,
        h: &Happening,
        now: SystemTime,
        only: Option<u32>,
    ) -> Vec<Action> {
        self.tick(now);
        let (schema, config) = (self.schema.clone(), self.config.clone());
        let Some(agent) = self.agents.get_mut(eid) else {
            return Vec::new();
        };
        let (path, kind) = (h.path(), h.notif_type());
        let matches: Vec<Match> = agent
            .local
            .subscriptions()
            .iter()
            .filter(|s| s.enable && s.notif_type == Some(kind))
            .filter(|s| s.reference_list.iter().any(|e| covers(e, &path)))
            .filter_map(|s| {
                let c = s.recipient.filter(|c| only.is_none_or(|o| o == *c))?;
                Some((c, s.id.clone(), s.notif_retry, s.notif_expiration))
            })
            .collect();
        if matches.is_empty() {
            return Vec::new();
        }
        let (now_s, now_ms) = (unix(now), unix_ms(now));
        let ws_links = agent
            .ws_links
            .as_deref()
            .map_or(&[][..], |l| l.0.as_slice());
        let links_up = agent.links_up;
        let mut outbox = agent.local.outbox.take();
        let view = View {
            schema: &schema,
            config: &config,
            eid,
            agent: &mut agent.local,
            now: now_s,
            requester: None,
        };
        let enabled = enabled_controllers(&view);
        let (mut out, mut queued) = (Vec::new(), false);
        for (c, subscription_id, retry, expiration) in matches {
            if !enabled.contains(&c) {
                continue;
            }
            let endpoint = "Device.LocalAgent.Controller.{i}.EndpointID";
            let Some(controller) = view.value(endpoint, &[c]).filter(|e| !e.is_empty()) else {
                continue;
            };
            self.msg_seq = self.msg_seq.wrapping_add(1);
            let msg_id = format!("notify-{now_ms:x}-{:x}", self.msg_seq);
            if retry {
                let pending = PendingNotify {
                    controller,
                    msg_id,
                    subscription_id,
                    kind: PendingKind::Happening(Box::new(h.clone())),
                    created: now_s,
                    expires: match expiration {
                        0 => 0,
                        s => now_s.saturating_add(s.into()),
                    },
                };
                let o = outbox.get_or_insert_with(Box::default);
                if notify::push(o, pending, now_ms) {
                    self.stats.dropped_overflow += 1;
                }
                queued = true;
                continue;
            }
            match route(&view, c, &controller, (links_up, ws_links)) {
                Some(to) => {
                    let m = msg::notify(&msg_id, &subscription_id, false, notification(h));
                    let r = record::no_session_context(&controller, eid, &m);
                    out.push(send(eid, &to, &r));
                    self.stats.sent += 1;
                }
                None => self.stats.dropped_no_link += 1,
            }
        }
        agent.local.outbox = outbox;
        if queued {
            notify::reschedule(&mut self.due, eid, &mut agent.local.outbox);
            out.push(Action::Persist {
                agent: eid.to_owned(),
                snapshot: agent.local.snapshot(),
            });
        }
        out
    }

    /// Moves the agents' notion of the time forward (for calls that are
    /// not given one, such as [`Agents::complete_request`]).
    pub(crate) fn tick(&mut self, now: SystemTime) {
        self.clock = self.clock.max(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_list_entries_cover_exact_partial_and_wildcard_paths() {
        let p = "Device.WiFi.SSID.2.SSID";
        for yes in [
            p,
            "Device.",
            "Device.WiFi.",
            "Device.WiFi.SSID.2.",
            "Device.WiFi.SSID.*.SSID",
            "Device.WiFi.SSID.[Alias==\"a.b\"].SSID",
            "Device.WiFi.SSID.*.",
        ] {
            assert!(covers(yes, p), "{yes}");
        }
        for no in [
            "Device.WiFi.SSID.1.SSID",
            "Device.WiFi.SSID.2.SSIDReference",
            "Device.WiFi.SSID.2.SSID.",
            "Device.WiFi.SSID",
            "Device.WiFi.SSID.2",
            "Device.WiFi.Radio.",
            "Device.WiFi.SSID.*.Enable",
            "Device.WiFi.*.2.SSID",
        ] {
            assert!(!covers(no, p), "{no}");
        }
        assert!(covers("Device.Boot!", "Device.Boot!"));
        assert!(!covers("Device.Boot!", "Device.LocalAgent.Periodic!"));
        assert!(covers(
            "Device.LocalAgent.Controller.*.SendOnBoardRequest()",
            "Device.LocalAgent.Controller.3.SendOnBoardRequest()"
        ));
        assert!(covers("Device.X.", "Device.X.4."));
        assert!(covers("Device.X.*.", "Device.X.4."));
        assert!(!covers("Device.X.*.Y.", "Device.X.4."));
    }

    #[test]
    fn segments_keep_dots_inside_search_expressions() {
        assert_eq!(
            segments("Device.A.[B==\"x.y\"&&C==1].D."),
            ["Device", "A", "[B==\"x.y\"&&C==1]", "D"]
        );
        assert_eq!(segments(""), Vec::<&str>::new());
    }
}

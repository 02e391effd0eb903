//! Notifications that wait for a NotifyResp, and their retries (R-NOT.1-4).
//!
//! The OnBoardRequest (R-NOT.5-7: subscription_id "", send_resp true) and
//! the Notify messages of NotifRetry subscriptions ([`crate::events`]),
//! which keep their content ([`PendingKind::Happening`]) to be rebuilt.
//!
//! # Sans-IO, explicit time
//!
//! Queuing never sends: a new notification is due at once, and every
//! transmission happens in [`Agents::handle_timeout`], which takes the
//! time and the randomness from the caller. The caller sleeps until
//! [`Agents::poll_timeout`]. One ordered index (`due`) holds each agent's
//! earliest deadline, so neither call scans every agent.
//!
//! # Decisions
//!
//! - A retransmission keeps its msg_id, so a NotifyResp to any copy stops
//!   it; a NotifyResp must come from that controller and carry the same
//!   msg_id and subscription_id, else it is ignored (R-NOT.16).
//! - Retry `n` (1-based) waits a random time in
//!   `m·(k/1000)^(n-1) … m·(k/1000)^n`, `n` capped at 10 (R-NOT.1/2), with
//!   `m` and `k` the controller's `USPNotifRetryMinimumWaitInterval` and
//!   `USPNotifRetryIntervalMultiplier` read at each transmission (`m` at
//!   least 1 s, `k` at least 1000).
//! - A subscription's notification is dropped once its NotifExpiration
//!   (fixed when queued) passed, or once the subscription is gone. An OnBoardRequest has none and is
//!   retried until its NotifyResp, or until its controller is deleted or
//!   disabled (then it is dropped), or a newer OnBoardRequest to the same
//!   controller replaces it.
//! - A Notify goes only over a link the agent has seen come up (after its
//!   Connect record, R-MTP.6) and not seen go down. An attempt without
//!   such a link, or one the MTP refuses anyway, still counts: the
//!   schedule covers it. When a link that reaches the controller comes
//!   up, what waits for it is due at once.
//! - Only what identifies a notification is persisted; the retry count is
//!   not, since an agent restart resets it (R-NOT.4), and restored
//!   notifications are due at once.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use usp::mtp::LinkUp;
use usp::{msg, record};

use crate::agents::{identity_parts, send, unix, Action, Agents};
use crate::dispatch::SUPPORTED_VERSIONS;
use crate::dm::Data;
use crate::happening::Happening;
use crate::local::{LocalAgent, View};
use crate::route::{enabled_controllers, param_u32, route};

/// Notifications one agent may have waiting; the oldest goes first.
pub const MAX_PENDING: usize = 32;
/// From the tenth retry on, the wait range stays the same (R-NOT.2).
const MAX_RETRY_STEP: u32 = 10;

const C: &str = "Device.LocalAgent.Controller.{i}.";

/// What a waiting notification says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PendingKind {
    /// `on_board_req` with the device's identity.
    OnBoardRequest,
    /// A subscription's notification (NotifRetry): what happened, kept
    /// so the Notify can be built again after a restart.
    Happening(Box<Happening>),
}

/// A notification waiting for its NotifyResp: what survives a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingNotify {
    /// The recipient controller's endpoint ID.
    pub controller: String,
    pub msg_id: String,
    pub subscription_id: String,
    pub kind: PendingKind,
    /// Seconds since the Unix epoch when it was queued.
    pub created: u64,
    /// Seconds since the Unix epoch from which it is dropped unsent
    /// (the subscription's NotifExpiration); 0: never. Absent in older
    /// snapshots.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub expires: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    notify: PendingNotify,
    /// Transmissions so far.
    attempts: u32,
    /// Milliseconds since the Unix epoch.
    due_ms: u64,
}

/// One agent's waiting notifications; allocated only while there are some.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    entries: Vec<Entry>,
    /// The deadline this agent is filed under in [`Agents`]' index.
    scheduled: Option<u64>,
}

impl Outbox {
    /// Removes what this NotifyResp answers; false if it answers nothing.
    pub(crate) fn ack(&mut self, controller: &str, msg_id: &str, subscription_id: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| {
            !(e.notify.controller == controller
                && e.notify.msg_id == msg_id
                && e.notify.subscription_id == subscription_id)
        });
        self.entries.len() != before
    }

    pub(crate) fn take_scheduled(&mut self) -> Option<u64> {
        self.scheduled.take()
    }

    pub(crate) fn persisted(&self) -> Vec<PendingNotify> {
        self.entries.iter().map(|e| e.notify.clone()).collect()
    }

    /// Restored notifications are due at once, retry count zero (R-NOT.4).
    pub(crate) fn restore(mut pending: Vec<PendingNotify>) -> Option<Box<Outbox>> {
        let excess = pending.len().saturating_sub(MAX_PENDING);
        pending.drain(..excess);
        if pending.is_empty() {
            return None;
        }
        let entries = pending
            .into_iter()
            .map(|notify| Entry {
                notify,
                attempts: 0,
                due_ms: 0,
            })
            .collect();
        Some(Box::new(Outbox {
            entries,
            scheduled: None,
        }))
    }
}

/// (ID, Recipient) of each subscription: taken before a change, to tell
/// afterwards which subscriptions went ([`forget_gone`]).
pub(crate) fn subscription_keys(local: &LocalAgent) -> Vec<(String, Option<u32>)> {
    local
        .subscriptions()
        .iter()
        .map(|s| (s.id.clone(), s.recipient))
        .collect()
}

/// Drops the waiting Notifies of the subscriptions in `before` that are
/// gone now (deleted, or their TimeToLive ran out): nobody wants them.
/// Those of non-persistent subscriptions lost to a restart still go.
pub(crate) fn forget_gone(view: &mut View<'_>, before: &[(String, Option<u32>)]) {
    let now = subscription_keys(view.agent);
    let gone: Vec<_> = before.iter().filter(|k| !now.contains(k)).collect();
    let Some(outbox) = view.agent.outbox.as_deref() else {
        return;
    };
    if gone.is_empty() {
        return;
    }
    let keep: Vec<bool> = outbox
        .entries
        .iter()
        .map(|e| {
            let key = (
                e.notify.subscription_id.clone(),
                view.controller_of(&e.notify.controller),
            );
            matches!(e.notify.kind, PendingKind::OnBoardRequest) || !gone.contains(&&key)
        })
        .collect();
    if let Some(outbox) = view.agent.outbox.as_deref_mut() {
        let mut keep = keep.into_iter();
        outbox.entries.retain(|_| keep.next().unwrap_or(true));
    }
}

pub(crate) fn unix_ms(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().try_into().unwrap_or(u64::MAX))
}

/// How long retry `retry` (1-based) waits, for a controller whose minimum
/// wait is `min_wait` seconds and multiplier `multiplier` (per mille);
/// `random` picks the point in the range (0 = its start, `u32::MAX` = its
/// end).
pub fn retry_wait(retry: u32, min_wait: u32, multiplier: u32, random: u32) -> Duration {
    let n = retry.clamp(1, MAX_RETRY_STEP);
    let m = f64::from(min_wait.max(1)) * 1000.0;
    let k = f64::from(multiplier.max(1000)) / 1000.0;
    // `as` saturates, so absurd settings give long waits, not wrap-around.
    let lo = (m * k.powi(n as i32 - 1)) as u64;
    let hi = (m * k.powi(n as i32)) as u64;
    let span = u128::from(hi.saturating_sub(lo));
    let offset = span * u128::from(random) / u128::from(u32::MAX);
    Duration::from_millis(lo.saturating_add(offset as u64))
}

/// Queues an OnBoardRequest to `Controller.{c}`, replacing one already
/// waiting for that controller; false if the controller is disabled or
/// has no endpoint ID.
pub(crate) fn queue_on_board(view: &mut View<'_>, c: u32) -> bool {
    if view.value(&format!("{C}Enable"), &[c]).as_deref() != Some("true") {
        return false;
    }
    let Some(controller) = view.value(&format!("{C}EndpointID"), &[c]) else {
        return false;
    };
    if controller.is_empty() {
        return false;
    }
    let notify = PendingNotify {
        msg_id: format!("onboard-{:x}-{c}", view.now),
        controller,
        subscription_id: String::new(),
        kind: PendingKind::OnBoardRequest,
        created: view.now,
        expires: 0,
    };
    let outbox = view.agent.outbox.get_or_insert_with(Box::default);
    outbox.entries.retain(|e| {
        !(e.notify.kind == PendingKind::OnBoardRequest && e.notify.controller == notify.controller)
    });
    let due_ms = view.now.saturating_mul(1000);
    push(outbox, notify, due_ms);
    true
}

/// Queues `notify`, due at `due_ms`; when the outbox is full its oldest
/// entry goes. True if one went.
pub(crate) fn push(outbox: &mut Outbox, notify: PendingNotify, due_ms: u64) -> bool {
    let full = outbox.entries.len() >= MAX_PENDING;
    if full {
        outbox.entries.remove(0);
    }
    outbox.entries.push(Entry {
        notify,
        attempts: 0,
        due_ms,
    });
    full
}

/// A link came up: what waits for a controller it reaches is due at once.
pub(crate) fn link_up(view: &View<'_>, outbox: &mut Outbox, link: &LinkUp, now_ms: u64) {
    for e in &mut outbox.entries {
        let reached = match link {
            LinkUp::WebSocket { peer, .. } => peer.as_deref() == Some(&*e.notify.controller),
            _ => view.controller_of(&e.notify.controller).is_some_and(|c| {
                view.instances(&format!("{C}MTP.{{i}}."), &[c])
                    .into_iter()
                    .any(|m| {
                        view.value(&format!("{C}MTP.{{i}}.Protocol"), &[c, m])
                            .as_deref()
                            == Some(link.protocol())
                    })
            }),
        };
        if reached {
            e.due_ms = e.due_ms.min(now_ms);
        }
    }
}

/// Files `eid` in `due` under its outbox's earliest deadline (or removes
/// it, and frees the outbox, when nothing waits).
pub(crate) fn reschedule(
    due: &mut BTreeSet<(u64, String)>,
    eid: &str,
    outbox: &mut Option<Box<Outbox>>,
) {
    let Some(o) = outbox else { return };
    if let Some(old) = o.scheduled.take() {
        due.remove(&(old, eid.to_owned()));
    }
    match o.entries.iter().map(|e| e.due_ms).min() {
        Some(t) => {
            o.scheduled = Some(t);
            due.insert((t, eid.to_owned()));
        }
        None => *outbox = None,
    }
}

impl Agents {
    /// Queues an OnBoardRequest from `eid` to each enabled controller (or
    /// only to `Controller.{controller}`); they go out at the next
    /// [`Agents::handle_timeout`]. Returns the [`Action::Persist`] due.
    pub fn on_board(&mut self, eid: &str, controller: Option<u32>, now: SystemTime) -> Vec<Action> {
        let (schema, config) = (self.schema.clone(), self.config.clone());
        let Some(agent) = self.agents.get_mut(eid) else {
            return Vec::new();
        };
        let mut view = View {
            schema: &schema,
            config: &config,
            eid,
            agent: &mut agent.local,
            now: unix(now),
            requester: None,
        };
        let targets = match controller {
            Some(c) => vec![c],
            None => enabled_controllers(&view),
        };
        let mut queued = false;
        for c in targets {
            queued |= queue_on_board(&mut view, c);
        }
        reschedule(&mut self.due, eid, &mut agent.local.outbox);
        if !queued {
            return Vec::new();
        }
        vec![Action::Persist {
            agent: eid.to_owned(),
            snapshot: agent.local.snapshot(),
        }]
    }

    /// When [`Agents::handle_timeout`] wants to be called next.
    pub fn poll_timeout(&self) -> Option<SystemTime> {
        let retry = self.due.first().map(|(ms, _)| Duration::from_millis(*ms));
        let periodic = self.periodic.first().map(|(s, _)| Duration::from_secs(*s));
        let next = match (retry, periodic) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(UNIX_EPOCH + next)
    }

    /// Sends every notification due by `now` (`Periodic!` events
    /// included) and schedules its retry;
    /// `random` gives a fresh uniformly random number at each call.
    pub fn handle_timeout(
        &mut self,
        now: SystemTime,
        random: &mut dyn FnMut() -> u32,
    ) -> Vec<Action> {
        self.tick(now);
        let now_ms = unix_ms(now);
        let mut out = Vec::new();
        self.fire_periodic(now, &mut out);
        while let Some((t, _)) = self.due.first() {
            if *t > now_ms {
                break;
            }
            let Some((_, eid)) = self.due.pop_first() else {
                break;
            };
            self.fire(&eid, now, random, &mut out);
        }
        out
    }

    fn fire(
        &mut self,
        eid: &str,
        now: SystemTime,
        random: &mut dyn FnMut() -> u32,
        out: &mut Vec<Action>,
    ) {
        let (schema, config) = (self.schema.clone(), self.config.clone());
        let Some(agent) = self.agents.get_mut(eid) else {
            return;
        };
        let stats = &mut self.stats;
        let now_ms = unix_ms(now);
        let Some(mut outbox) = agent.local.outbox.take() else {
            return;
        };
        outbox.scheduled = None;
        let ws_links = agent
            .ws_links
            .as_deref()
            .map_or(&[][..], |l| l.0.as_slice());
        let links_up = agent.links_up;
        let [oui, product_class, serial] = identity_parts(&agent.identity);
        let view = View {
            schema: &schema,
            config: &config,
            eid,
            agent: &mut agent.local,
            now: unix(now),
            requester: None,
        };
        let enabled = enabled_controllers(&view);
        let before = outbox.entries.len();
        outbox.entries.retain_mut(|e| {
            if e.due_ms > now_ms {
                return true;
            }
            if e.notify.expires != 0 && unix(now) >= e.notify.expires {
                stats.dropped_expired += 1;
                return false;
            }
            let Some(c) = view.controller_of(&e.notify.controller) else {
                return false;
            };
            if !enabled.contains(&c) {
                return false;
            }

            if let Some(to) = route(&view, c, &e.notify.controller, (links_up, ws_links)) {
                let n = match &e.notify.kind {
                    PendingKind::OnBoardRequest => {
                        msg::notify::on_board_req(oui, product_class, serial, SUPPORTED_VERSIONS)
                    }
                    PendingKind::Happening(h) => crate::events::notification(h),
                };
                if e.attempts == 0 {
                    stats.sent += 1;
                } else {
                    stats.retried += 1;
                }
                let m = msg::notify(&e.notify.msg_id, &e.notify.subscription_id, true, n);
                let r = record::no_session_context(&e.notify.controller, eid, &m);
                out.push(send(eid, &to, &r));
            }
            e.attempts = e.attempts.saturating_add(1);
            let m = param_u32(&view, c, "USPNotifRetryMinimumWaitInterval", 5);
            let k = param_u32(&view, c, "USPNotifRetryIntervalMultiplier", 2000);
            let wait = retry_wait(e.attempts, m, k, random());
            e.due_ms = now_ms.saturating_add(wait.as_millis().try_into().unwrap_or(u64::MAX));
            true
        });
        let dropped = outbox.entries.len() != before;
        agent.local.outbox = Some(outbox);
        reschedule(&mut self.due, eid, &mut agent.local.outbox);
        if dropped {
            out.push(Action::Persist {
                agent: eid.to_owned(),
                snapshot: agent.local.snapshot(),
            });
        }
    }
}

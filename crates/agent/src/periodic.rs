//! `Device.LocalAgent.Periodic!`: per controller, an event every
//! `Controller.{i}.PeriodicNotifInterval` seconds, on the boundaries
//! `PeriodicNotifTime + k·interval`, for that controller's enabled Event
//! subscriptions naming it (or a prefix of it).
//!
//! # Decisions
//!
//! - Only agents with such a subscription are filed in the `periodic`
//!   index of [`Agents`], under their earliest next boundary, so
//!   [`Agents::handle_timeout`] never scans every agent.
//! - The unknown time (`0001-01-01T00:00:00Z`, the default) anchors the
//!   boundaries at the Unix epoch. An interval of 0 turns Periodic! off
//!   for that controller (TR-181 allows no 0; the default is 86400).
//! - A late timeout sends one Periodic! per controller for the boundaries
//!   it missed, not one per boundary; a write in between (which plans
//!   again) leaves a passed boundary due.
//! - A restored agent is filed under time 0: the next timeout plans it
//!   from the real time, without sending anything.
//! - Subscriptions' TimeToLive shares the index: an agent is filed under
//!   the earlier of its next boundary and its first expiry, and each
//!   timeout removes the subscriptions that ran out (persisted, and the
//!   CPE's attributes put back through [`Action::Watch`]).

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::agents::{unix, Action, Agents};
use crate::dm::value::parse_date_time;
use crate::dm::Data;
use crate::events::{self, covers};
use crate::happening::Happening;
use crate::local::{NotifType, View};
use crate::notify;
use crate::route::{enabled_controllers, param_u32};

pub const PERIODIC_OBJ: &str = "Device.LocalAgent.";
pub const PERIODIC_EVENT: &str = "Periodic!";
const C: &str = "Device.LocalAgent.Controller.{i}.";

/// The smallest `reference + k·interval` strictly after `t` (seconds).
pub fn next_after(t: u64, interval: u64, reference: i64) -> u64 {
    let (t, i, r) = (
        i128::from(t),
        i128::from(interval.max(1)),
        i128::from(reference),
    );
    let k = (t - r).div_euclid(i) + 1;
    u64::try_from(r + k * i).unwrap_or(u64::MAX)
}

/// (controller, interval, reference) of each enabled controller with an
/// enabled Event subscription to Periodic!.
fn plans(view: &View<'_>) -> Vec<(u32, u64, i64)> {
    let path = format!("{PERIODIC_OBJ}{PERIODIC_EVENT}");
    let subscribed: Vec<u32> = view
        .agent
        .subscriptions()
        .iter()
        .filter(|s| s.enable && s.notif_type == Some(NotifType::Event))
        .filter(|s| s.reference_list.iter().any(|e| covers(e, &path)))
        .filter_map(|s| s.recipient)
        .collect();
    if subscribed.is_empty() {
        return Vec::new();
    }
    enabled_controllers(view)
        .into_iter()
        .filter(|c| subscribed.contains(c))
        .filter_map(|c| {
            let interval = param_u32(view, c, "PeriodicNotifInterval", 86400);
            let reference = view
                .value(&format!("{C}PeriodicNotifTime"), &[c])
                .and_then(|v| parse_date_time(&v))
                .filter(|&t| t > 0)
                .unwrap_or(0);
            (interval > 0).then_some((c, u64::from(interval), reference))
        })
        .collect()
}

impl Agents {
    fn periodic_plans(&mut self, eid: &str, now: u64) -> Vec<(u32, u64, i64)> {
        let (schema, config) = (self.schema.clone(), self.config.clone());
        let Some(agent) = self.agents.get_mut(eid) else {
            return Vec::new();
        };
        let view = View {
            schema: &schema,
            config: &config,
            eid,
            agent: &mut agent.local,
            now,
            requester: None,
        };
        plans(&view)
    }

    /// Files `eid` under its next Periodic! boundary after `now`, or
    /// takes it out of the index when it has none.
    pub(crate) fn plan_periodic(&mut self, eid: &str, now: SystemTime) {
        let now = unix(now);
        let overdue = self
            .agents
            .get(eid)
            .and_then(|a| a.periodic_at)
            .is_some_and(|t| t <= now);
        if overdue {
            // The next timeout sends what is due, then plans again.
            return;
        }
        let expiry = self.agents.get(eid).and_then(|a| a.local.next_expiry());
        let next = self
            .periodic_plans(eid, now)
            .into_iter()
            .map(|(_, i, r)| next_after(now, i, r))
            .chain(expiry)
            .min();
        self.file_periodic(eid, next);
    }

    /// Files `eid` at time 0: planned at the next timeout.
    pub(crate) fn plan_periodic_later(&mut self, eid: &str) {
        self.file_periodic(eid, Some(0));
    }

    fn file_periodic(&mut self, eid: &str, at: Option<u64>) {
        let Some(agent) = self.agents.get_mut(eid) else {
            return;
        };
        if let Some(old) = agent.periodic_at.take() {
            self.periodic.remove(&(old, eid.to_owned()));
        }
        if let Some(t) = at {
            agent.periodic_at = Some(t);
            self.periodic.insert((t, eid.to_owned()));
        }
    }

    /// The agents whose boundary passed by `now`: their Periodic!
    /// notifications, and their next boundary filed.
    pub(crate) fn fire_periodic(&mut self, now: SystemTime, out: &mut Vec<Action>) {
        let now_s = unix(now);
        while let Some((t, _)) = self.periodic.first() {
            if *t > now_s {
                break;
            }
            let Some((t, eid)) = self.periodic.pop_first() else {
                break;
            };
            let (schema, config) = (self.schema.clone(), self.config.clone());
            if let Some(a) = self.agents.get_mut(&eid) {
                a.periodic_at = None;
                let watched = (events::watched_of(&a.local), events::tables_of(&a.local));
                let subs = notify::subscription_keys(&a.local);
                if a.local.expire_subscriptions(now_s) {
                    let mut view = View {
                        schema: &schema,
                        config: &config,
                        eid: &eid,
                        agent: &mut a.local,
                        now: now_s,
                        requester: None,
                    };
                    notify::forget_gone(&mut view, &subs);
                    notify::reschedule(&mut self.due, &eid, &mut a.local.outbox);
                    out.push(Action::Persist {
                        agent: eid.clone(),
                        snapshot: a.local.snapshot(),
                    });
                    let paths = events::watched_of(&a.local);
                    let tables = events::tables_of(&a.local);
                    if (&paths, &tables) != (&watched.0, &watched.1) {
                        out.push(Action::Watch {
                            agent: eid.clone(),
                            paths,
                            tables,
                        });
                    }
                }
            }
            if t > 0 {
                for (c, interval, reference) in self.periodic_plans(&eid, now_s) {
                    // The first boundary at or after `t`.
                    let b = next_after(t.saturating_sub(1), interval, reference);
                    if b <= now_s {
                        let h = Happening::Event {
                            obj_path: PERIODIC_OBJ.into(),
                            event_name: PERIODIC_EVENT.into(),
                            params: BTreeMap::new(),
                        };
                        out.extend(self.deliver(&eid, &h, now, Some(c)));
                    }
                }
            }
            self.plan_periodic(&eid, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_follow_the_reference_time_either_side_of_it() {
        assert_eq!(next_after(0, 60, 0), 60);
        assert_eq!(next_after(59, 60, 0), 60);
        assert_eq!(next_after(60, 60, 0), 120);
        assert_eq!(next_after(100, 60, 30), 150);
        assert_eq!(next_after(10, 60, 1000), 40);
        assert_eq!(next_after(5, 0, 0), 6, "an interval of 0 acts as 1");
        assert_eq!(next_after(u64::MAX, 60, 0), u64::MAX);
    }
}

//! NotifRetry: the outbox of subscription notifications, retried until
//! their NotifyResp or NotifExpiration, bounded, kept across a restart.

mod common;
use common::subs::*;
use common::*;

use std::sync::Arc;

use agent::notify::MAX_PENDING;
use agent::{Action, Agents, IdScheme};
use usp::msg;
use usp::proto::usp::notify::Notification;

fn retry_sub(a: &mut Agents, eid: &str, expiration: &str) {
    let p = [
        ("ID", "r"),
        ("NotifType", "ValueChange"),
        ("ReferenceList", "Device.X."),
        ("NotifRetry", "true"),
        ("NotifExpiration", expiration),
        ("Enable", "true"),
    ];
    subscribe_with(a, eid, C1, &p);
}

#[test]
fn notif_retry_retries_until_the_notify_resp() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    retry_sub(&mut a, &eid, "0");
    let t = t0();
    let out = a.notify(&eid, value_change("Device.X.Y", "1"), t);
    assert!(notifies(&out).is_empty(), "queued, sent at the timeout");
    let snap = out.iter().find_map(|x| match x {
        Action::Persist { snapshot, .. } => Some(snapshot.clone()),
        _ => None,
    });
    assert_eq!(snap.expect("persisted").notifications.len(), 1);
    assert_eq!(a.poll_timeout(), Some(t));
    let first = notifies(&a.handle_timeout(t, &mut low));
    assert_eq!(first.len(), 1);
    let (_, to_id, msg_id, n) = &first[0];
    assert_eq!((to_id.as_str(), n.send_resp), (C1, true));
    // Retry 1 waits 5 s at the low end of its range.
    assert_eq!(a.poll_timeout(), Some(t + secs(5)));
    assert!(a.handle_timeout(t + secs(4), &mut low).is_empty());
    let again = notifies(&a.handle_timeout(t + secs(5), &mut low));
    assert_eq!(again.len(), 1);
    assert_eq!(&again[0].2, msg_id, "a retransmission keeps its msg_id");
    let stats = a.notify_stats();
    assert_eq!((stats.sent, stats.retried), (1, 1));

    let ack = msg::notify_resp(msg_id.clone(), "r");
    let out = a.handle_record(&eid, &record_from(C1, &eid, &ack), reply_to(), t + secs(6));
    assert!(
        out.iter().any(|x| matches!(x, Action::NotifyAcked { .. })),
        "{out:?}"
    );
    assert!(a.pending_notifications(&eid).is_empty());
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn notif_expiration_drops_what_waited_too_long() {
    let (mut a, eid) = setup();
    retry_sub(&mut a, &eid, "30");
    let t = t0();
    a.notify(&eid, value_change("Device.X.Y", "1"), t);
    assert_eq!(a.pending_notifications(&eid)[0].expires, 1_700_000_030);
    // No link: attempts count, nothing goes.
    let mut now = t;
    for _ in 0..3 {
        assert!(notifies(&a.handle_timeout(now, &mut low)).is_empty());
        now = a.poll_timeout().unwrap();
    }
    assert!(now >= t + secs(30), "{now:?}");
    let out = a.handle_timeout(now, &mut low);
    assert!(
        matches!(out.last(), Some(Action::Persist { .. })),
        "{out:?}"
    );
    assert!(a.pending_notifications(&eid).is_empty());
    assert_eq!(a.notify_stats().dropped_expired, 1);
}

#[test]
fn a_full_outbox_drops_its_oldest_and_counts() {
    let (mut a, eid) = setup();
    retry_sub(&mut a, &eid, "0");
    for i in 0..MAX_PENDING + 3 {
        a.notify(&eid, value_change("Device.X.Y", &i.to_string()), t0());
    }
    let pending = a.pending_notifications(&eid);
    assert_eq!(pending.len(), MAX_PENDING);
    assert_eq!(a.notify_stats().dropped_overflow, 3);
    let agent::notify::PendingKind::Happening(h) = &pending[0].kind else {
        panic!("{pending:?}")
    };
    assert_eq!(**h, value_change("Device.X.Y", "3"), "the oldest went");
}

#[test]
fn a_restart_keeps_a_waiting_value_change_and_sends_it_again() {
    let (mut a, eid) = setup();
    retry_sub(&mut a, &eid, "0");
    let p = [
        ("ID", "persist"),
        ("NotifType", "ValueChange"),
        ("ReferenceList", "Device.X."),
        ("NotifRetry", "true"),
        ("Persistent", "true"),
        ("Enable", "true"),
    ];
    subscribe_with(&mut a, &eid, C1, &p);
    a.notify(&eid, value_change("Device.X.Y", "1"), t0());
    let snap = a.snapshot(&eid).unwrap();
    assert_eq!(snap.notifications.len(), 2);
    let json = serde_json::to_string(&snap).unwrap();
    let snap: agent::local::Snapshot = serde_json::from_str(&json).unwrap();

    let mut b = Agents::new(Arc::new(config())).unwrap();
    let later = t0() + secs(3600);
    b.add("00D09E", "IGD", "SN1", IdScheme::Os, later).unwrap();
    assert!(b.restore(&eid, snap));
    assert_eq!(b.watched(&eid), ["Device.X."]);
    brokers_up(&mut b, &eid);
    let sent = notifies(&b.handle_timeout(later, &mut low));
    assert_eq!(sent.len(), 2);
    let mut msg_ids: Vec<_> = a
        .pending_notifications(&eid)
        .into_iter()
        .map(|p| p.msg_id)
        .collect();
    msg_ids.sort();
    let mut again: Vec<_> = sent.iter().map(|s| s.2.clone()).collect();
    again.sort();
    assert_eq!(again, msg_ids, "the same Notify, same msg_id");
    for (_, _, _, n) in &sent {
        assert!(n.send_resp);
        let Some(Notification::ValueChange(v)) = &n.notification else {
            panic!("{n:?}")
        };
        assert_eq!(v.param_value, "1");
    }
}

#[test]
fn snapshots_from_before_subscription_notifications_still_load() {
    let old = r#"{"subscriptions":[],"last_subscription":0,"overrides":null,
        "notifications":[{"controller":"proto::controller-1","msg_id":"onboard-1",
        "subscription_id":"","kind":"OnBoardRequest","created":5}]}"#;
    let snap: agent::local::Snapshot = serde_json::from_str(old).unwrap();
    assert_eq!(snap.notifications[0].expires, 0);
}

/// Deleting a subscription stops the retries of its waiting Notify.
#[test]
fn a_deleted_subscription_s_notify_is_not_retried() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    retry_sub(&mut a, &eid, "0");
    let t = t0();
    a.notify(&eid, value_change("Device.X.Y", "1"), t);
    assert_eq!(notifies(&a.handle_timeout(t, &mut low)).len(), 1);
    let del = msg::delete("del-r", false, ["Device.LocalAgent.Subscription.1."]);
    let answer = ask(&mut a, &eid, &del);
    assert!(
        matches!(
            resp(&answer),
            usp::proto::usp::response::RespType::DeleteResp(_)
        ),
        "{answer:?}"
    );
    let out = a.handle_timeout(t + secs(5), &mut low);
    assert!(notifies(&out).is_empty(), "{out:?}");
    assert!(a.pending_notifications(&eid).is_empty());
}

//! OnBoardRequest and its retries, with explicit time and chosen
//! randomness; and duplicate requests answered once (R-MSG.4).

mod common;
use common::subs::{notifies, secs};
use common::*;

use std::sync::Arc;
use std::time::Duration;

use agent::local::{AgentConfig, ControllerConfig, ControllerMtp, Snapshot};
use agent::notify::{retry_wait, PendingKind};
use agent::replay::REPLAY_DEPTH;
use agent::{Action, Agents, IdScheme, LinkUp, MqttVersion, ReplyTo};
use usp::msg;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::response::RespType;

fn low() -> u32 {
    0
}
fn high() -> u32 {
    u32::MAX
}

fn run(a: &mut Agents, eid: &str, bytes: &[u8]) -> Vec<Action> {
    a.handle_record(eid, bytes, reply_to(), t0())
}

fn persisted(actions: &[Action]) -> Option<Snapshot> {
    actions.iter().rev().find_map(|a| match a {
        Action::Persist { snapshot, .. } => Some(snapshot.clone()),
        _ => None,
    })
}

/// The agent's MQTT and STOMP links come up (Connect records dropped).
fn brokers_up(a: &mut Agents, eid: &str) {
    a.on_mtp_up(eid, &mqtt_up(eid), t0());
    let stomp = LinkUp::Stomp {
        subscribed_destination: format!("/queue/{eid}"),
    };
    a.on_mtp_up(eid, &stomp, t0());
}

fn mqtt_up(eid: &str) -> LinkUp {
    LinkUp::Mqtt {
        version: MqttVersion::V5,
        subscribed_topic: format!("usp/agent/{eid}"),
    }
}

#[test]
fn the_retry_schedule_doubles_from_5_to_10_seconds_up_to_the_tenth_retry() {
    let mut lo = 5;
    for n in 1..=10 {
        assert_eq!(retry_wait(n, 5, 2000, 0), secs(lo), "retry {n}");
        assert_eq!(retry_wait(n, 5, 2000, u32::MAX), secs(2 * lo), "retry {n}");
        let mid = retry_wait(n, 5, 2000, u32::MAX / 2);
        assert!(mid > secs(lo) && mid < secs(2 * lo), "retry {n}: {mid:?}");
        lo *= 2;
    }
    // R-NOT.2: the tenth range is the last.
    for n in [11, 12, 1000, u32::MAX] {
        assert_eq!(retry_wait(n, 5, 2000, 0), secs(2560));
        assert_eq!(retry_wait(n, 5, 2000, u32::MAX), secs(5120));
    }
    // Other settings: m = 1 s, k = 1.5; and out-of-range ones clamped.
    assert_eq!(retry_wait(3, 1, 1500, 0), Duration::from_millis(2250));
    assert_eq!(
        retry_wait(3, 1, 1500, u32::MAX),
        Duration::from_millis(3375)
    );
    assert_eq!(retry_wait(4, 0, 10, u32::MAX), secs(1));
    assert!(retry_wait(10, u32::MAX, u32::MAX, u32::MAX) > secs(1 << 40));
}

#[test]
fn an_on_board_request_goes_to_each_enabled_controller_and_is_retried_until_answered() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    let t = t0();
    assert_eq!(a.identity(&eid), Some(("00D09E", "IGD", "SN1")));
    assert_eq!(a.poll_timeout(), None);
    let out = a.on_board(&eid, None, t);
    let snap = persisted(&out).expect("the new notifications are persisted");
    assert_eq!(snap.notifications.len(), 2);
    assert!(notifies(&out).is_empty(), "queuing never sends");
    assert!(a.poll_timeout().is_some_and(|d| d <= t));

    let out = a.handle_timeout(t, &mut low);
    let sent = notifies(&out);
    assert_eq!(sent.len(), 2, "{out:?}");
    // Controller 1 over MQTT; controller 2's first MTP is STOMP.
    assert_eq!(
        sent[0].0,
        ReplyTo::Mqtt {
            topic: "usp/controller/1".into()
        }
    );
    assert_eq!(
        sent[1].0,
        ReplyTo::Stomp {
            destination: "/queue/controller-2".into()
        }
    );
    for ((_, to, _, n), c) in sent.iter().zip([C1, C2]) {
        assert_eq!(to, c);
        assert_eq!(n.subscription_id, "");
        assert!(n.send_resp, "R-NOT.6a: OnBoardRequest wants a NotifyResp");
        let Some(Notification::OnBoardReq(o)) = &n.notification else {
            panic!("{n:?}")
        };
        assert_eq!(
            (
                o.oui.as_str(),
                o.product_class.as_str(),
                o.serial_number.as_str()
            ),
            ("00D09E", "IGD", "SN1")
        );
        assert_eq!(o.agent_supported_protocol_versions, "1.0,1.1,1.2,1.3,1.4");
    }
    let id1 = sent[0].2.clone();

    // Retry 1 waits 5-10 s: the low end of the range here.
    assert_eq!(a.poll_timeout(), Some(t + secs(5)));
    assert!(a.handle_timeout(t + secs(4), &mut low).is_empty());
    let again = notifies(&a.handle_timeout(t + secs(5), &mut high));
    assert_eq!(again.len(), 2);
    assert_eq!(again[0].2, id1, "a retransmission keeps its msg_id");
    // Retry 2 waits 10-20 s: the high end now.
    assert_eq!(a.poll_timeout(), Some(t + secs(25)));

    // Answers that do not match are ignored (R-NOT.16).
    for (from, id, sub) in [(C2, id1.as_str(), ""), (C1, "other", ""), (C1, &id1, "s")] {
        let out = run(
            &mut a,
            &eid,
            &record_from(from, &eid, &msg::notify_resp(id, sub)),
        );
        assert!(out.is_empty(), "{from} {id} {sub:?}: {out:?}");
    }
    let out = run(
        &mut a,
        &eid,
        &record_from(C1, &eid, &msg::notify_resp(&id1, "")),
    );
    assert!(out.iter().any(|x| matches!(x,
        Action::NotifyAcked { controller, msg_id, .. } if controller == C1 && *msg_id == id1)));
    assert_eq!(persisted(&out).unwrap().notifications.len(), 1);
    let left = notifies(&a.handle_timeout(t + secs(25), &mut low));
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1, C2, "controller 1 answered: no more for it");

    let c2_id = left[0].2.clone();
    let out = run(
        &mut a,
        &eid,
        &record_from(C2, &eid, &msg::notify_resp(&c2_id, "")),
    );
    assert!(persisted(&out).unwrap().notifications.is_empty());
    assert_eq!(a.poll_timeout(), None);
    assert!(a.handle_timeout(t + secs(100_000), &mut low).is_empty());
}

#[test]
fn a_controller_asks_for_its_on_board_request_and_its_retry_interval_is_honoured() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    let t = t0() + secs(42);
    // Controller 1 slows its retries down to one minute at least.
    let set = msg::set(
        "s1",
        false,
        vec![msg::set_obj(
            "Device.LocalAgent.Controller.1.",
            [("USPNotifRetryMinimumWaitInterval", "60", true)],
        )],
    );
    ask(&mut a, &eid, &set);
    let op = msg::operate(
        "op1",
        "Device.LocalAgent.Controller.1.SendOnBoardRequest()",
        "",
        true,
        std::iter::empty::<(String, String)>(),
    );
    let m = ask(&mut a, &eid, &op);
    assert!(matches!(resp(&m), RespType::OperateResp(_)));
    let pending = a.pending_notifications(&eid);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].controller, C1);
    assert_eq!(pending[0].kind, PendingKind::OnBoardRequest);
    let sent = notifies(&a.handle_timeout(t, &mut low));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, C1);
    assert_eq!(a.poll_timeout(), Some(t + secs(60)));
}

#[test]
fn disabled_or_deleted_controllers_get_nothing() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    let t = t0();
    let disable = |n: &str| {
        msg::set(
            format!("d{n}"),
            false,
            vec![msg::set_obj(
                format!("Device.LocalAgent.Controller.{n}."),
                [("Enable", "false", true)],
            )],
        )
    };
    ask(&mut a, &eid, &disable("2"));
    a.on_board(&eid, None, t);
    assert_eq!(a.pending_notifications(&eid).len(), 1);
    assert_eq!(notifies(&a.handle_timeout(t, &mut low)).len(), 1);
    // Disabled while waiting: dropped at its next attempt, and persisted so.
    ask(&mut a, &eid, &disable("1"));
    let out = a.handle_timeout(t + secs(10), &mut low);
    assert!(notifies(&out).is_empty());
    assert!(persisted(&out).unwrap().notifications.is_empty());
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn pending_notifications_survive_a_restart_and_go_out_at_once() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    let t = t0();
    let snap = persisted(&a.on_board(&eid, Some(1), t)).unwrap();
    let first = notifies(&a.handle_timeout(t, &mut low));
    // The store keeps it as JSON; a snapshot from before this field parses.
    let json = serde_json::to_vec(&snap).unwrap();
    let back: Snapshot = serde_json::from_slice(&json).unwrap();
    assert_eq!(back, snap);
    let old: Snapshot =
        serde_json::from_str(r#"{"subscriptions":[],"last_subscription":0,"overrides":null}"#)
            .unwrap();
    assert!(old.notifications.is_empty());

    let mut b = Agents::new(Arc::new(config())).unwrap();
    let eid_b = b.add("00D09E", "IGD", "SN1", IdScheme::Os, t).unwrap();
    assert!(b.restore(&eid_b, back));
    brokers_up(&mut b, &eid_b);
    let later = t + secs(3600);
    assert!(b.poll_timeout().is_some_and(|d| d <= later));
    let again = notifies(&b.handle_timeout(later, &mut low));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].2, first[0].2, "the same notification, same msg_id");
    // R-NOT.4: the retry count started again from zero.
    assert_eq!(b.poll_timeout(), Some(later + secs(5)));
    // Removing the agent removes its timer.
    assert!(b.remove(&eid_b));
    assert_eq!(b.poll_timeout(), None);
}

#[test]
fn a_link_coming_up_sends_what_waits_after_the_connect_record() {
    let (mut a, eid) = setup();
    let t = t0();
    a.on_board(&eid, Some(1), t);
    // R-MTP.6: nothing before the link's Connect record; the try counts.
    assert!(notifies(&a.handle_timeout(t, &mut high)).is_empty());
    assert_eq!(a.poll_timeout(), Some(t + secs(10)));
    let up = a.on_mtp_up(&eid, &mqtt_up(&eid), t + secs(2));
    assert!(notifies(&up).is_empty(), "the Connect records come first");
    assert!(!up.is_empty());
    assert_eq!(a.poll_timeout(), Some(t + secs(2)));
    assert_eq!(notifies(&a.handle_timeout(t + secs(2), &mut low)).len(), 1);
    // The broker link drops: the retry finds no way out, then it is back.
    a.on_mtp_down(&eid, "MQTT", None);
    let next = a.poll_timeout().unwrap();
    assert!(notifies(&a.handle_timeout(next, &mut low)).is_empty());
    a.on_mtp_up(&eid, &mqtt_up(&eid), next);
    assert_eq!(notifies(&a.handle_timeout(next, &mut low)).len(), 1);
}

#[test]
fn a_websocket_controller_is_reached_over_its_open_link_only() {
    const WS: &str = "proto::ws-controller";
    let config = AgentConfig {
        controllers: vec![ControllerConfig {
            endpoint_id: WS.into(),
            assigned_role: String::new(),
            mtps: vec![ControllerMtp::WebSocket {
                host: "127.0.0.1".into(),
                port: 9,
                path: "/usp".into(),
                encryption: false,
            }],
        }],
        ..config()
    };
    let mut a = Agents::new(Arc::new(config)).unwrap();
    let eid = a.add("00D09E", "IGD", "SN1", IdScheme::Os, t0()).unwrap();
    let t = t0();
    a.on_board(&eid, None, t);
    assert!(
        notifies(&a.handle_timeout(t, &mut low)).is_empty(),
        "no link yet"
    );
    let link = LinkUp::WebSocket {
        link: 7,
        peer: Some(WS.into()),
    };
    assert_eq!(a.on_mtp_up(&eid, &link, t + secs(1)).len(), 1);
    let sent = notifies(&a.handle_timeout(t + secs(1), &mut low));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, ReplyTo::WebSocket { link: 7 });
    a.on_mtp_down(&eid, "WebSocket", Some(7));
    let later = a.poll_timeout().unwrap();
    assert!(notifies(&a.handle_timeout(later, &mut low)).is_empty());
    assert_eq!(a.pending_notifications(&eid).len(), 1);
}

#[test]
fn many_agents_fire_in_deadline_order_and_only_when_due() {
    let mut a = Agents::new(Arc::new(config())).unwrap();
    let t = t0();
    let eids: Vec<String> = (0..100)
        .map(|i| {
            a.add("00D09E", "IGD", &format!("SN{i}"), IdScheme::Os, t)
                .unwrap()
        })
        .collect();
    for (i, eid) in eids.iter().enumerate() {
        brokers_up(&mut a, eid);
        a.on_board(eid, Some(1), t + secs(i as u64));
    }
    assert_eq!(a.poll_timeout(), Some(t));
    let sent = notifies(&a.handle_timeout(t + secs(9), &mut low));
    assert_eq!(sent.len(), 10);
    assert_eq!(a.poll_timeout(), Some(t + secs(10)));
}

fn add_sub(id: &str) -> usp::Msg {
    msg::add(
        id,
        false,
        vec![msg::add_obj(
            "Device.LocalAgent.Subscription.",
            [("NotifType", "ValueChange", true)],
        )],
    )
}

#[test]
fn a_redelivered_add_is_answered_again_without_running_twice() {
    let (mut a, eid) = setup();
    let record = record_from(C1, &eid, &add_sub("dup-1"));
    let first = run(&mut a, &eid, &record);
    assert!(persisted(&first).is_some());
    // MQTT QoS 1 redelivery, answered on another reply address.
    let other = ReplyTo::Mqtt {
        topic: "usp/controller/1/other".into(),
    };
    let second = a.handle_record(&eid, &record, other.clone(), t0());
    assert_eq!(a.subscriptions(&eid).len(), 1, "the Add ran once");
    let sends = |x: &[Action]| -> Vec<(ReplyTo, bytes::Bytes)> {
        x.iter()
            .filter_map(|a| match a {
                Action::Send { to, record, .. } => Some((to.clone(), record.clone())),
                _ => None,
            })
            .collect()
    };
    let (s1, s2) = (sends(&first), sends(&second));
    assert_eq!(s2.len(), 1);
    assert_eq!(s1[0].1, s2[0].1, "the very same answer");
    assert_eq!(s2[0].0, other);
    assert!(persisted(&second).is_none());
    // The same msg_id from another controller is another request.
    run(&mut a, &eid, &record_from(C2, &eid, &add_sub("dup-1")));
    assert_eq!(a.subscriptions(&eid).len(), 2);
}

#[test]
fn the_duplicate_cache_is_bounded() {
    let (mut a, eid) = setup();
    let first = record_from(C1, &eid, &add_sub("w0"));
    run(&mut a, &eid, &first);
    for i in 1..=REPLAY_DEPTH {
        run(
            &mut a,
            &eid,
            &record_from(C1, &eid, &add_sub(&format!("w{i}"))),
        );
    }
    let n = a.subscriptions(&eid).len();
    assert_eq!(n, REPLAY_DEPTH + 1);
    // Still remembered: the latest one.
    let last = record_from(C1, &eid, &add_sub(&format!("w{REPLAY_DEPTH}")));
    run(&mut a, &eid, &last);
    assert_eq!(a.subscriptions(&eid).len(), n);
    // Forgotten: the oldest, which now runs again.
    run(&mut a, &eid, &first);
    assert_eq!(a.subscriptions(&eid).len(), n + 1);
}

#[test]
fn a_repeated_operate_without_response_does_not_run_again() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    let t = t0();
    let op = msg::operate(
        "op-quiet",
        "Device.LocalAgent.Controller.1.SendOnBoardRequest()",
        "",
        false,
        std::iter::empty::<(String, String)>(),
    );
    let record = record_from(C1, &eid, &op);
    let out = a.handle_record(&eid, &record, reply_to(), t);
    assert!(notifies(&out).is_empty());
    assert_eq!(notifies(&a.handle_timeout(t, &mut low)).len(), 1);
    let due = a.poll_timeout();
    assert!(a.handle_record(&eid, &record, reply_to(), t).is_empty());
    assert_eq!(a.poll_timeout(), due, "not queued again");
}

proptest::proptest! {
    /// Whatever the settings, a wait lies in its retry's range, grows with
    /// the random draw, and never shrinks from one retry to the next.
    #[test]
    fn waits_stay_in_their_range(
        n in 1u32..40,
        m in 0u32..70_000,
        k in 0u32..70_000,
        r in proptest::prelude::any::<u32>(),
    ) {
        let (lo, hi) = (retry_wait(n, m, k, 0), retry_wait(n, m, k, u32::MAX));
        let w = retry_wait(n, m, k, r);
        proptest::prop_assert!(lo <= w && w <= hi);
        proptest::prop_assert!(lo >= secs(1));
        proptest::prop_assert!(retry_wait(n + 1, m, k, 0) >= lo);
    }
}

#[test]
fn a_device_write_redelivered_while_running_runs_once() {
    let (mut a, eid) = setup();
    let set = msg::set(
        "dev-1",
        false,
        vec![msg::set_obj("Device.WiFi.SSID.1.", [("SSID", "x", true)])],
    );
    let record = record_from(C1, &eid, &set);
    let first = a.handle_record(&eid, &record, reply_to(), t0());
    let Some(Action::Remote(remote)) = first.into_iter().next() else {
        panic!("a device write goes to the CPE side")
    };
    // Redelivered before the CPE answered: nothing runs, nothing is sent.
    assert!(a.handle_record(&eid, &record, reply_to(), t0()).is_empty());
    let answer = empty_device(&remote.request);
    let done = a.finish_remote(*remote, Some(answer), t0());
    assert_eq!(done.len(), 1);
    // Redelivered after: the same answer again, still without a run.
    let again = a.handle_record(&eid, &record, reply_to(), t0());
    assert!(matches!(&again[..], [Action::Send { .. }]), "{again:?}");
}

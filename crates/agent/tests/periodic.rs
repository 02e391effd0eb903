//! `Device.LocalAgent.Periodic!` on each controller's boundaries, and the
//! BootParameters behind `Device.Boot!`'s ParameterMap.

mod common;
use common::subs::*;
use common::*;

use std::sync::Arc;
use std::time::SystemTime;

use agent::{Action, Agents, IdScheme};
use usp::msg;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::response::RespType;

#[test]
fn periodic_fires_on_the_controller_s_boundaries() {
    let (mut a, eid) = setup();
    brokers_up(&mut a, &eid);
    let t = t0(); // 1_700_000_000, a multiple of 100
    set_controller(
        &mut a,
        &eid,
        1,
        &[
            ("PeriodicNotifInterval", "300"),
            ("PeriodicNotifTime", "1970-01-01T00:03:30Z"),
        ],
        t,
    );
    assert_eq!(a.poll_timeout(), None, "no subscription, nothing planned");
    subscribe(&mut a, &eid, "p", "Event", "Device.LocalAgent.");
    // 1_700_000_000 = 210 + 300k + 290: the next boundary is 10 s away.
    let next = a.poll_timeout().expect("planned");
    assert_eq!(next, t + secs(10));
    assert!(a.handle_timeout(t + secs(9), &mut low).is_empty());
    // A write after the boundary, before its timeout: still due.
    let just_after = next + secs(1);
    set_controller(
        &mut a,
        &eid,
        2,
        &[("PeriodicNotifInterval", "600")],
        just_after,
    );
    assert_eq!(a.poll_timeout(), Some(next));
    let out = a.handle_timeout(just_after, &mut low);
    let sent = notifies(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    assert_eq!(sent[0].1, C1);
    let Some(Notification::Event(e)) = &sent[0].3.notification else {
        panic!("{sent:?}")
    };
    assert_eq!(
        (&*e.obj_path, &*e.event_name),
        ("Device.LocalAgent.", "Periodic!")
    );
    assert_eq!(a.poll_timeout(), Some(next + secs(300)));
    // Late by three intervals: one Periodic!, then back on the grid.
    let late = next + secs(1000);
    assert_eq!(notifies(&a.handle_timeout(late, &mut low)).len(), 1);
    assert_eq!(a.poll_timeout(), Some(next + secs(1200)));
    // Controller 2 has no subscription; controller 1 turned off.
    set_controller(&mut a, &eid, 1, &[("PeriodicNotifInterval", "0")], late);
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn periodic_defaults_to_a_day_and_restored_agents_are_planned_quietly() {
    let (mut a, eid) = setup();
    let p = [
        ("ID", "p"),
        ("NotifType", "Event"),
        ("ReferenceList", "Device.LocalAgent.Periodic!"),
        ("Persistent", "true"),
        ("Enable", "true"),
    ];
    subscribe_with(&mut a, &eid, C1, &p);
    let day = 86_400;
    let next = a.poll_timeout().unwrap();
    let at = |t: SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(at(next) % day, 0);
    assert!(next > t0() && next <= t0() + secs(day));

    let mut b = Agents::new(Arc::new(config())).unwrap();
    b.add("00D09E", "IGD", "SN1", IdScheme::Os, t0()).unwrap();
    b.restore(&eid, a.snapshot(&eid).unwrap());
    brokers_up(&mut b, &eid);
    let now = b.poll_timeout().unwrap();
    assert!(now < t0(), "planned at the next timeout");
    assert!(b.handle_timeout(t0(), &mut low).is_empty());
    assert_eq!(b.poll_timeout(), Some(next));
    assert_eq!(notifies(&b.handle_timeout(next, &mut low)).len(), 1);
}

#[test]
fn boot_parameters_of_enabled_entries_of_enabled_controllers() {
    let (mut a, eid) = setup();
    let add = |c: u32, name: &str, enable: &str| {
        msg::add(
            format!("bp-{c}-{name}"),
            false,
            vec![msg::add_obj(
                format!("Device.LocalAgent.Controller.{c}.BootParameter."),
                [("ParameterName", name, true), ("Enable", enable, true)],
            )],
        )
    };
    for (c, name, enable) in [
        (1, "Device.DeviceInfo.SoftwareVersion", "true"),
        (1, "Device.DeviceInfo.UpTime", "false"),
        (2, "Device.DeviceInfo.SoftwareVersion", "true"),
        (2, "Device.WiFi.SSID.1.SSID", "true"),
    ] {
        let m = ask(&mut a, &eid, &add(c, name, enable));
        assert!(matches!(resp(&m), RespType::AddResp(_)), "{m:?}");
    }
    assert_eq!(
        a.boot_parameters(&eid),
        [
            "Device.DeviceInfo.SoftwareVersion",
            "Device.WiFi.SSID.1.SSID"
        ]
    );
    set_controller(&mut a, &eid, 2, &[("Enable", "false")], t0());
    assert_eq!(
        a.boot_parameters(&eid),
        ["Device.DeviceInfo.SoftwareVersion"]
    );
    let got = ask(
        &mut a,
        &eid,
        &msg::get(
            "g",
            ["Device.LocalAgent.Controller.1.BootParameterNumberOfEntries"],
            0,
        ),
    );
    let RespType::GetResp(g) = resp(&got) else {
        panic!("{got:?}")
    };
    let r = &g.req_path_results[0].resolved_path_results[0];
    assert_eq!(r.result_params["BootParameterNumberOfEntries"], "2");
}

/// TimeToLive counts from CreationDate: the subscription goes at that
/// timeout, persisted, and what it watched on the CPE is let go.
#[test]
fn time_to_live_removes_the_subscription_when_it_runs_out() {
    let (mut a, eid) = setup();
    let p = [
        ("ID", "short"),
        ("NotifType", "ValueChange"),
        ("ReferenceList", "Device.WiFi.SSID.1.SSID"),
        ("TimeToLive", "60"),
        ("Persistent", "true"),
        ("Enable", "true"),
    ];
    let (n, out) = subscribe_with(&mut a, &eid, C1, &p);
    assert_eq!(watches(&out), [vec!["Device.WiFi.SSID.1.SSID".to_string()]]);
    subscribe(&mut a, &eid, "forever", "Event", "Device.Boot!");
    let t = t0();
    assert_eq!(a.poll_timeout(), Some(t + secs(60)));
    assert!(a.handle_timeout(t + secs(59), &mut low).is_empty());
    let out = a.handle_timeout(t + secs(60), &mut low);
    assert_eq!(watches(&out), [Vec::<String>::new()], "{out:?}");
    let snap = out.iter().find_map(|x| match x {
        Action::Persist { snapshot, .. } => Some(snapshot.clone()),
        _ => None,
    });
    assert!(snap.expect("persisted").subscriptions.is_empty());
    let ids: Vec<_> = a.subscriptions(&eid).into_iter().map(|s| s.id).collect();
    assert_eq!(ids, ["forever"], "instance {n} went, the other stays");
    assert_eq!(a.poll_timeout(), None);
}

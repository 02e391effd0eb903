//! End-to-end: notifications, local changes through the control API,
//! event retry, several CPE, other CWMP versions and the TR-098 model.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use cwmp::{Body, CwmpVersion, Value};
use support::acs::{Acs, Auth, Received};
use support::rpc::*;
use support::sim::{Sim, WAIT};

const SSID: &str = "Device.WiFi.SSID.1.SSID";

fn after_boot(acs: &Acs) -> Received {
    let inform = acs.wait(WAIT, |r| r.method() == "Inform");
    acs.wait(WAIT, |r| r.method() == "Empty");
    inform
}

#[test]
fn active_notification_triggers_value_change_inform() {
    let acs = Acs::start(Auth::None);
    let set = acs.queue_any(spa(SSID, 2));
    let get = acs.queue_any(gpa(&["Device.WiFi.SSID.1."]));
    let sim = Sim::start(&acs.url(), &["--model", "tr181"]);
    assert_eq!(
        acs.wait_reply(&set, WAIT).method(),
        "SetParameterAttributesResponse"
    );
    let r = acs.wait_reply(&get, WAIT);
    let attrs = match r.body() {
        Body::GetParameterAttributesResponse(g) => g.parameter_list.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        attrs.len() > 1,
        "partial path lists every parameter: {attrs:?}"
    );
    let ssid = attrs
        .iter()
        .find(|a| a.name == SSID)
        .expect("SSID attribute");
    assert_eq!(ssid.notification, 2);
    assert!(attrs
        .iter()
        .filter(|a| a.name != SSID)
        .all(|a| a.notification == 0));

    let serial = after_boot(&acs).serial;
    let mark = acs.mark();
    let reply = sim.set_value(&serial, SSID, "changed-locally");
    assert!(
        reply.status < 300,
        "control set: {} {}",
        reply.status,
        reply.body
    );
    let inform = acs.wait_from(mark, WAIT, |r| r.method() == "Inform");
    assert!(inform.has_event("4 VALUE CHANGE"), "{:?}", inform.events());
    assert_eq!(
        inform.inform_param(SSID).as_deref(),
        Some("changed-locally")
    );
    assert_schema_valid(&acs);
}

#[test]
fn control_api_triggers_sessions_and_reports_stats() {
    let acs = Acs::start(Auth::None);
    let sim = Sim::start(&acs.url(), &["--model", "tr181"]);
    let serial = after_boot(&acs).serial;
    for (what, event) in [
        ("periodic", "2 PERIODIC"),
        ("boot", "1 BOOT"),
        ("reboot", "1 BOOT"),
    ] {
        let mark = acs.mark();
        let r = sim.trigger(&serial, what);
        assert!(r.status < 300, "{what}: {} {}", r.status, r.body);
        let inform = acs.wait_from(mark, WAIT, |r| r.method() == "Inform");
        assert!(inform.has_event(event), "{what}: {:?}", inform.events());
        assert!(
            !inform.has_event("M Reboot"),
            "a local reboot has no M Reboot"
        );
        acs.wait_from(mark, WAIT, |r| r.method() == "Empty");
    }
    let stats = sim.stats();
    assert!(stats.to_string().contains("sessions"), "{stats}");
    // An unknown serial is an error, not a crash.
    let r = sim.trigger("NO-SUCH-SERIAL", "periodic");
    assert!(r.status >= 400, "{} {}", r.status, r.body);
    assert_schema_valid(&acs);
}

#[test]
fn undelivered_events_are_retried_with_retry_count() {
    let acs = Acs::start(Auth::None);
    acs.refuse_informs(1);
    let _sim = Sim::start(&acs.url(), &["--model", "tr181", "--retry-min-wait", "1"]);
    let first = acs.wait(WAIT, |r| r.method() == "Inform");
    let second = acs.wait_from(
        acs.received()
            .iter()
            .position(|r| r.method() == "Inform")
            .unwrap()
            + 1,
        Duration::from_secs(30),
        |r| r.method() == "Inform",
    );
    let retry = |r: &Received| match r.body() {
        Body::Inform(i) => i.retry_count,
        _ => unreachable!(),
    };
    assert_eq!(retry(&first), 0);
    assert_eq!(retry(&second), 1);
    assert_eq!(
        first.events(),
        second.events(),
        "the same events are repeated"
    );
    assert_schema_valid(&acs);
}

#[test]
fn several_cpe_have_their_own_serial_and_listener() {
    let acs = Acs::start(Auth::None);
    let _sim = Sim::start(&acs.url(), &["--count", "3", "--serial-prefix", "MULTI"]);
    let mut seen: Vec<(String, String)> = Vec::new();
    let deadline = std::time::Instant::now() + WAIT;
    while seen.len() < 3 {
        assert!(std::time::Instant::now() < deadline, "only {seen:?}");
        seen = acs
            .received()
            .iter()
            .filter(|r| r.method() == "Inform")
            .map(|r| {
                let cr = r
                    .inform_param("Device.ManagementServer.ConnectionRequestURL")
                    .unwrap_or_default();
                (r.serial.clone(), cr)
            })
            .collect();
        seen.sort();
        seen.dedup();
        std::thread::sleep(Duration::from_millis(50));
    }
    let serials: std::collections::BTreeSet<_> = seen.iter().map(|s| &s.0).collect();
    let urls: std::collections::BTreeSet<_> = seen.iter().map(|s| &s.1).collect();
    assert_eq!(serials.len(), 3, "{seen:?}");
    assert_eq!(
        urls.len(),
        3,
        "each CPE needs its own connection request URL: {seen:?}"
    );
    assert!(serials.iter().all(|s| s.starts_with("MULTI")));
}

fn versioned_run(version: &str, expect: CwmpVersion, model: &str, root: &str) {
    let acs = Acs::start(Auth::None);
    let ids = [
        acs.queue_any(gpv(&[&format!("{root}DeviceInfo.")])),
        acs.queue_any(gpn(root, true)),
        acs.queue_any(spv(
            &[(
                &format!("{root}DeviceInfo.SoftwareVersion"),
                Value::string("x"),
            )],
            "",
        )),
        acs.queue_any(gpa(&[&format!(
            "{root}ManagementServer.PeriodicInformInterval"
        )])),
        acs.queue_any(Body::GetRPCMethods),
        acs.queue_any(Body::Reboot(cwmp::Reboot {
            command_key: "v".into(),
        })),
    ];
    let _sim = Sim::start(&acs.url(), &["--model", model, "--cwmp-version", version]);
    let inform = acs.wait(WAIT, |r| r.method() == "Inform");
    assert_eq!(inform.envelope.version, expect);
    assert!(inform
        .inform_param(&format!("{root}DeviceInfo.SoftwareVersion"))
        .is_some());
    for id in &ids {
        let r = acs.wait_reply(id, WAIT);
        assert_eq!(r.envelope.version, expect, "{}", r.method());
    }
    assert_eq!(fault(&acs.wait_reply(&ids[2], WAIT)).fault_code, 9003);
    acs.wait(WAIT, |r| r.has_event("M Reboot"));
    assert_schema_valid(&acs);
}

#[test]
fn cwmp_1_0_with_tr098() {
    versioned_run("1.0", CwmpVersion::V1_0, "tr098", "InternetGatewayDevice.");
}

#[test]
fn cwmp_1_4_with_tr181() {
    versioned_run("1.4", CwmpVersion::V1_4, "tr181", "Device.");
}

#[test]
fn fault_injection_answers_an_rpc_with_a_fault() {
    let acs = Acs::start(Auth::None);
    let id = acs.queue_any(gpv(&["Device.DeviceInfo.UpTime"]));
    let other = acs.queue_any(gpn("Device.DeviceInfo.", true));
    let _sim = Sim::start(
        &acs.url(),
        &[
            "--fault-rpc",
            "GetParameterValues=9002",
            "--echo-cookies",
            "false",
        ],
    );
    assert_eq!(fault(&acs.wait_reply(&id, WAIT)).fault_code, 9002);
    assert_eq!(
        acs.wait_reply(&other, WAIT).method(),
        "GetParameterNamesResponse"
    );
    assert_schema_valid(&acs);
}

#[test]
fn connection_request_knobs_no_auth_and_refusal() {
    let cr_url = |acs: &Acs| {
        acs.wait(WAIT, |r| r.method() == "Inform")
            .inform_param("Device.ManagementServer.ConnectionRequestURL")
            .expect("ConnectionRequestURL")
    };
    let acs = Acs::start(Auth::None);
    let _sim = Sim::start(&acs.url(), &["--cr-auth", "none"]);
    let url = cr_url(&acs);
    acs.wait(WAIT, |r| r.method() == "Empty");
    let mark = acs.mark();
    assert_eq!(support::http::get(&url).status, 200);
    let inform = acs.wait_from(mark, WAIT, |r| r.method() == "Inform");
    assert!(
        inform.has_event("6 CONNECTION REQUEST"),
        "{:?}",
        inform.events()
    );

    let acs = Acs::start(Auth::None);
    let _sim = Sim::start(&acs.url(), &["--refuse-cr"]);
    let url = cr_url(&acs);
    let (r, _) = support::http::connection_request(&url, "cwmp2usp", "cwmp2usp");
    assert_eq!(r.status, 503);
}

//! Who a session belongs to: random cookies bound to the authenticated
//! user, per-device credentials, and replayed Informs.

use std::collections::HashSet;

use super::*;
use crate::{DeviceCredential, Provisioning, Secret};

#[test]
fn cookies_are_128_bits_from_the_random_source() {
    let mut e = engine().with_random(Box::new(|buf| {
        buf.fill(0xa5);
        true
    }));
    let r = send(
        &mut e,
        SEC,
        post(1, None, &inform_xml("SN1", &["1 BOOT"], "1")),
    );
    assert_eq!(r.set_cookie.as_deref(), Some("a5".repeat(16).as_str()));

    // Without randomness there is no safe cookie: the CPE comes back later.
    let mut e = engine().with_random(Box::new(|_| false));
    let r = send(
        &mut e,
        SEC,
        post(1, None, &inform_xml("SN1", &["1 BOOT"], "1")),
    );
    assert_eq!((r.status, r.retry_after), (503, Some(30)));
    assert_eq!(e.open_sessions(), 0);

    // The default source is the OS CSPRNG: no repeats, no shared prefix
    // such as a counter or a clock would leave.
    let mut e = engine();
    let cookies: Vec<String> = (0..200)
        .map(|i| {
            let body = inform_xml(&format!("SN{i}"), &["1 BOOT"], "1");
            send(&mut e, SEC, post(i, None, &body)).set_cookie.unwrap()
        })
        .collect();
    assert!(cookies
        .iter()
        .all(|c| c.len() == 32 && c.bytes().all(|b| b.is_ascii_hexdigit())));
    assert_eq!(cookies.iter().collect::<HashSet<_>>().len(), 200);
    let prefixes: HashSet<&str> = cookies.iter().map(|c| &c[..4]).collect();
    assert!(prefixes.len() > 150, "{prefixes:?}");
}

#[test]
fn a_cookie_presented_by_another_identity_resumes_nothing() {
    let mut e = engine();
    e.submit(key("SN1"), Body::GetRPCMethods, 60 * SEC).unwrap();
    let inform = inform_xml("SN1", &["6 CONNECTION REQUEST"], "1");
    let r = send(&mut e, SEC, post_as(1, None, "alice", &inform));
    let cookie = r.set_cookie.unwrap();

    // Mallory holds alice's cookie, on her own connection or on alice's.
    for conn in [2, 1] {
        let r = send(&mut e, SEC, post_as(conn, Some(&cookie), "mallory", b""));
        assert_eq!(r.status, 204);
        assert!(r.body.is_empty(), "the queued RPC is not handed to her");
    }
    // Unauthenticated requests are another identity too.
    assert_eq!(send(&mut e, SEC, post(2, Some(&cookie), b"")).status, 204);
    assert_eq!(e.open_sessions(), 1);

    // Alice resumes on a new connection and gets her RPC.
    let r = send(&mut e, SEC, post_as(3, Some(&cookie), "alice", b""));
    assert!(matches!(
        cwmp::parse(&r.body).unwrap().body,
        Body::GetRPCMethods
    ));
}

fn with_credentials() -> Engine<MemoryStore> {
    let e = engine();
    e.store()
        .put_credentials(&[DeviceCredential {
            username: "sn1-user".into(),
            password: Secret::new("sn1-pass"),
            device: key("SN1"),
        }])
        .unwrap();
    e
}

#[test]
fn a_devices_own_credentials_speak_only_for_that_device() {
    let mut e = with_credentials();
    let r = send(
        &mut e,
        SEC,
        post_as(1, None, "sn1-user", &inform_xml("SN2", &["1 BOOT"], "1")),
    );
    assert_eq!((r.status, r.close, r.commit), (403, true, None));
    assert_eq!(e.open_sessions(), 0);
    assert_eq!(e.device(&key("SN2")).unwrap(), None);
    assert_eq!(
        events(&mut e),
        [crate::Event::IdentityRefused {
            user: "sn1-user".into(),
            device: key("SN2"),
            device_of_user: key("SN1"),
        }]
    );

    let own = inform_xml("SN1", &["1 BOOT"], "1");
    assert_eq!(
        send(&mut e, SEC, post_as(1, None, "sn1-user", &own)).status,
        200
    );
    // Shared credentials are bound to no device.
    let other = inform_xml("SN2", &["1 BOOT"], "1");
    assert_eq!(
        send(&mut e, SEC, post_as(2, None, "cpe", &other)).status,
        200
    );
}

#[test]
fn a_replayed_inform_is_marked_and_changes_nothing() {
    let mut e = engine();
    let cr = "http://10.0.0.1:7547/cr";
    send(
        &mut e,
        SEC,
        post(1, None, &inform_with("SN1", &["1 BOOT"], "1", 0, cr)),
    );
    // Stored, but the InformResponse never reached the CPE.
    e.connection_closed(ConnId(1));
    let stored = e.device(&key("SN1")).unwrap().unwrap();
    events(&mut e);

    let replay = inform_with("SN1", &["1 BOOT"], "2", 1, cr);
    let r = send(&mut e, 5 * SEC, post(2, None, &replay));
    assert_eq!(r.status, 200, "a replay is still answered");
    assert!(events(&mut e).contains(&crate::Event::Informed {
        device: key("SN1"),
        events: vec!["1 BOOT".into()],
        replay: true,
        software_version: String::new(),
        params: vec![(
            "Device.ManagementServer.ConnectionRequestURL".into(),
            "http://10.0.0.1:7547/cr".into(),
        )],
        command_keys: Vec::new(),
        received: 5 * SEC,
    }));
    let after = e.device(&key("SN1")).unwrap().unwrap();
    assert_eq!(after.last_inform, 5 * SEC);
    assert_eq!(
        DeviceRecord {
            last_inform: SEC,
            ..after
        },
        stored
    );
    e.connection_closed(ConnId(2));

    // Same events and a retry, but a value we have not seen: new, not a
    // replay (our earlier commit of it may have failed).
    let moved = inform_with("SN1", &["1 BOOT"], "3", 2, "http://10.0.0.9:7547/cr");
    send(&mut e, 6 * SEC, post(3, None, &moved));
    assert!(events(&mut e)
        .iter()
        .any(|ev| matches!(ev, crate::Event::Informed { replay: false, .. })));
    let after = e.device(&key("SN1")).unwrap().unwrap();
    assert_eq!(
        after.connection_request_url.as_deref(),
        Some("http://10.0.0.9:7547/cr")
    );
}

#[test]
fn a_replayed_bootstrap_does_not_undo_provisioning() {
    let mut e = Engine::new(
        EngineConfig {
            provision: Some(crate::ProvisionConfig::default()),
            ..EngineConfig::default()
        },
        MemoryStore::default(),
    );
    let cr = "http://10.0.0.1:7547/cr";
    let events_ = ["0 BOOTSTRAP", "1 BOOT"];
    let mut record = DeviceRecord {
        root: "Device.".into(),
        last_events: events_.iter().map(|s| s.to_string()).collect(),
        params: vec![(
            "Device.ManagementServer.ConnectionRequestURL".into(),
            cr.into(),
        )],
        connection_request_url: Some(cr.into()),
        connection_request_username: Some("u".into()),
        connection_request_password: Some(Secret::new("p")),
        provisioning: Provisioning::Done { at: SEC },
        ..DeviceRecord::new(key("SN1"), SEC)
    };
    record.manufacturer = "Acme".into();
    e.store().put(record).unwrap();

    let replay = inform_with("SN1", &events_, "2", 1, cr);
    let r = send(&mut e, 2 * SEC, post(1, None, &replay));
    let cookie = r.set_cookie.unwrap();
    let r = send(&mut e, 2 * SEC, post(1, Some(&cookie), b""));
    assert_eq!(r.status, 204, "no second provisioning");
    let kept = e.device(&key("SN1")).unwrap().unwrap();
    assert!(kept.has_connection_request_credentials());
    assert_eq!(kept.provisioning, Provisioning::Done { at: SEC });

    // A fresh bootstrap (RetryCount 0) is a reset device: start over.
    let fresh = inform_with("SN1", &events_, "3", 0, cr);
    let r = send(&mut e, 3 * SEC, post(2, None, &fresh));
    let cookie = r.set_cookie.unwrap();
    let wiped = e.device(&key("SN1")).unwrap().unwrap();
    assert!(!wiped.has_connection_request_credentials());
    let r = send(&mut e, 3 * SEC, post(2, Some(&cookie), b""));
    assert!(matches!(
        cwmp::parse(&r.body).unwrap().body,
        Body::SetParameterValues(_)
    ));
}

//! Group commit: staged writes, one batch for many sessions, failures.

use super::*;

#[test]
fn many_sessions_informs_share_one_commit() {
    let mut e = engine();
    let mut tickets = Vec::new();
    for i in 0..50 {
        let body = inform_xml(&format!("SN{i}"), &["1 BOOT"], "1");
        let r = e.handle(SEC, post(i, None, &body));
        assert_eq!(r.status, 200);
        tickets.push(r.commit.expect("an InformResponse waits for its commit"));
    }
    assert!(tickets.windows(2).all(|w| w[0] < w[1]));
    // Staged: the engine sees the records, the store does not yet, and the
    // northbound hears nothing before they are durable.
    assert!(e.device(&key("SN7")).unwrap().is_some());
    assert_eq!(e.store().len(), 0);
    assert!(events(&mut e).is_empty());

    let batch = e.poll_commit().unwrap();
    assert_eq!(batch.upto, tickets[49]);
    assert_eq!(batch.records.len(), 50);
    // One batch on its way at a time; writes meanwhile wait for the next.
    let late = e.handle(SEC, post(99, None, &inform_xml("LATE", &["1 BOOT"], "1")));
    assert!(late.commit.unwrap() > batch.upto);
    assert_eq!(e.poll_commit(), None);
    assert!(
        e.device(&key("SN7")).unwrap().is_some(),
        "visible while committing"
    );

    let written = e.store().put_batch(&batch.records);
    e.commit_done(batch.upto, written);
    assert_eq!(e.store().batches(), 1, "one commit for fifty Informs");
    assert_eq!(e.store().len(), 50);
    let informed = events(&mut e)
        .into_iter()
        .filter(|ev| matches!(ev, crate::Event::Informed { .. }))
        .count();
    assert_eq!(informed, 50);

    let next = e.poll_commit().unwrap();
    assert_eq!(next.records.len(), 1);
    assert_eq!(next.records[0].key, key("LATE"));
}

#[test]
fn a_failed_commit_forgets_the_session_and_the_cpe_can_retry() {
    let mut e = engine();
    let r = e.handle(SEC, post(1, None, &inform_xml("SN1", &["1 BOOT"], "1")));
    let cookie = r.set_cookie.clone().unwrap();
    let ticket = r.commit.unwrap();
    let batch = e.poll_commit().unwrap();
    assert_eq!(batch.upto, ticket);
    e.store().set_failing(true);
    let written = e.store().put_batch(&batch.records);
    assert!(written.is_err());
    e.commit_done(batch.upto, written);

    // What the shell sends instead of the InformResponse.
    let instead = e.try_later();
    assert_eq!(
        (instead.status, instead.retry_after, instead.close),
        (503, Some(30), true)
    );
    assert_eq!(e.open_sessions(), 0);
    assert_eq!(
        e.device(&key("SN1")).unwrap(),
        None,
        "nothing of the Inform remains"
    );
    assert_eq!(
        events(&mut e),
        [crate::Event::SessionEnded {
            device: key("SN1"),
            ok: false
        }],
        "no Informed for an Inform that was not stored"
    );
    // The cookie of the forgotten session leads nowhere.
    assert_eq!(send(&mut e, SEC, post(1, Some(&cookie), b"")).status, 204);
    assert!(events(&mut e).is_empty());

    // The CPE retries; the store is back.
    e.store().set_failing(false);
    let again = inform_with("SN1", &["1 BOOT"], "2", 1, "http://10.0.0.1:7547/cr");
    let r = send(&mut e, 2 * SEC, post(2, None, &again));
    assert_eq!(r.status, 200);
    assert!(e.store().get(&key("SN1")).unwrap().is_some());
    assert!(events(&mut e).contains(&crate::Event::Informed {
        device: key("SN1"),
        events: vec!["1 BOOT".into()],
        replay: false,
        software_version: String::new(),
        params: vec![(
            "Device.ManagementServer.ConnectionRequestURL".into(),
            "http://10.0.0.1:7547/cr".into(),
        )],
        command_keys: Vec::new(),
        received: 2 * SEC,
    }));
}

#[test]
fn commit_staged_reports_a_failing_store() {
    let mut e = engine();
    e.store().set_failing(true);
    e.handle(SEC, post(1, None, &inform_xml("SN1", &["1 BOOT"], "1")));
    assert!(e.commit_staged().is_err());
    assert_eq!(e.open_sessions(), 0);
}

#[test]
fn too_many_pending_writes_turn_new_sessions_away() {
    let mut e = Engine::new(
        EngineConfig {
            max_pending_writes: 2,
            ..EngineConfig::default()
        },
        MemoryStore::default(),
    );
    for i in 0..2 {
        let body = inform_xml(&format!("SN{i}"), &["2 PERIODIC"], "1");
        assert_eq!(e.handle(SEC, post(i, None, &body)).status, 200);
    }
    let third = e.handle(SEC, post(9, None, &inform_xml("SN9", &["2 PERIODIC"], "1")));
    assert_eq!(
        (third.status, third.retry_after, third.commit),
        (503, Some(30), None)
    );
    e.commit_staged().unwrap();
    let fourth = e.handle(SEC, post(9, None, &inform_xml("SN9", &["2 PERIODIC"], "1")));
    assert_eq!(fourth.status, 200);
}

#[test]
fn an_unreadable_registry_is_a_503_not_a_new_device() {
    let mut e = engine();
    let r = send(
        &mut e,
        SEC,
        post(1, None, &inform_xml("SN1", &["1 BOOT"], "1")),
    );
    let cookie = r.set_cookie.unwrap();
    let end = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert_eq!((end.status, e.open_sessions()), (204, 0));
    let stored = e.store().get(&key("SN1")).unwrap().unwrap();
    events(&mut e);

    // Taking SN1 for a new device would start it over from scratch; the
    // CPE must come back later instead.
    e.store().set_failing_reads(true);
    let again = e.handle(
        2 * SEC,
        post(2, None, &inform_xml("SN1", &["2 PERIODIC"], "1")),
    );
    assert_eq!((again.status, again.retry_after), (503, Some(30)));
    assert_eq!(again.commit, None, "nothing staged");
    assert_eq!(e.open_sessions(), 0);
    assert!(matches!(
        events(&mut e).as_slice(),
        [crate::Event::StoreUnreadable { device, .. }] if *device == key("SN1")
    ));
    e.store().set_failing_reads(false);
    assert_eq!(e.store().get(&key("SN1")).unwrap().unwrap(), stored);
}

/// The northbound learns an Inform's values and the CommandKeys of its
/// "M …" events: Boot! and ValueChange notifications are made of them.
#[test]
fn informed_carries_parameters_and_command_keys() {
    let mut e = engine();
    let inform = Inform {
        device_id: DeviceId {
            manufacturer: "Acme".into(),
            oui: "00D09E".into(),
            product_class: "HGW".into(),
            serial_number: "SN1".into(),
        },
        event: [
            ("1 BOOT", ""),
            ("M Reboot", "ctl-42"),
            ("4 VALUE CHANGE", "x"),
        ]
        .iter()
        .map(|(code, key)| cwmp::Event {
            event_code: (*code).into(),
            command_key: (*key).into(),
        })
        .collect(),
        max_envelopes: 1,
        current_time: "2026-11-23T00:00:00Z".into(),
        retry_count: 0,
        parameter_list: vec![ParameterValue::new(
            "InternetGatewayDevice.DeviceInfo.SoftwareVersion",
            Value::new(ValueType::String, "2.0".to_string()),
        )],
    };
    let xml = Envelope::new(CwmpVersion::V1_0, Body::Inform(inform))
        .with_id("1")
        .to_xml()
        .into_bytes();
    assert_eq!(send(&mut e, SEC, post(1, None, &xml)).status, 200);
    let informed = events(&mut e)
        .into_iter()
        .find(|ev| matches!(ev, crate::Event::Informed { .. }));
    let Some(crate::Event::Informed {
        params,
        command_keys,
        software_version,
        ..
    }) = informed
    else {
        panic!("no Informed");
    };
    assert_eq!(software_version, "2.0");
    assert_eq!(
        params,
        [(
            "InternetGatewayDevice.DeviceInfo.SoftwareVersion".to_string(),
            "2.0".to_string()
        )]
    );
    assert_eq!(
        command_keys,
        [("M Reboot".to_string(), "ctl-42".to_string())]
    );
}

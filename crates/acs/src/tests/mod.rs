use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use cwmp::*;

use crate::*;

mod commit;
mod fleet;
mod held;
mod hold;
mod identity;
mod northbound;
mod provision;
mod queue;
mod rpcs;
mod shell;
mod udp_wake;
mod woken;

const SEC: Duration = Duration::from_secs(1);

fn engine() -> Engine<MemoryStore> {
    Engine::new(EngineConfig::default(), MemoryStore::default())
}

/// One exchange, with the commit a shell would run before answering.
fn send(e: &mut Engine<MemoryStore>, now: Duration, req: Request<'_>) -> Reply {
    let reply = e.handle(now, req);
    e.commit_staged().unwrap();
    reply
}

fn inform_xml(serial: &str, events: &[&str], id: &str) -> Vec<u8> {
    inform_with(serial, events, id, 0, "http://10.0.0.1:7547/cr")
}

/// An Inform with a RetryCount and a ConnectionRequestURL of its own.
fn inform_with(serial: &str, events: &[&str], id: &str, retry_count: u32, cr_url: &str) -> Vec<u8> {
    let inform = Inform {
        device_id: DeviceId {
            manufacturer: "Acme".into(),
            oui: "00D09E".into(),
            product_class: "HGW".into(),
            serial_number: serial.to_string().into(),
        },
        event: events
            .iter()
            .map(|e| cwmp::Event {
                event_code: Cow::Owned(e.to_string()),
                command_key: "".into(),
            })
            .collect(),
        max_envelopes: 1,
        current_time: "2026-11-23T00:00:00Z".into(),
        retry_count,
        parameter_list: vec![ParameterValue::new(
            "Device.ManagementServer.ConnectionRequestURL",
            Value::new(ValueType::String, cr_url.to_string()),
        )],
    };
    Envelope::new(CwmpVersion::V1_0, Body::Inform(inform))
        .with_id(id)
        .to_xml()
        .into_bytes()
}

fn post<'a>(conn: u64, cookie: Option<&'a str>, body: &'a [u8]) -> Request<'a> {
    Request {
        conn: ConnId(conn),
        cookie,
        user: None,
        body,
    }
}

/// As [`post`], authenticated as `user`.
fn post_as<'a>(conn: u64, cookie: Option<&'a str>, user: &'a str, body: &'a [u8]) -> Request<'a> {
    Request {
        user: Some(user),
        ..post(conn, cookie, body)
    }
}

fn key(serial: &str) -> DeviceKey {
    DeviceKey {
        oui: "00D09E".into(),
        product_class: "HGW".into(),
        serial: serial.into(),
    }
}

/// Runs one simulated CPE's pending actions against the engine on
/// connection `conn`, committing as a shell would; how its sessions ended.
fn drive(e: &mut Engine<MemoryStore>, cpe: &mut sim::Cpe, now: Duration, conn: u64) -> Vec<bool> {
    let mut cookie: Option<String> = None;
    let mut ended = Vec::new();
    while let Some(action) = cpe.poll_action() {
        match action {
            sim::Action::Send(req) => {
                let reply = send(e, now, post(conn, cookie.as_deref(), &req.body));
                if let Some(c) = &reply.set_cookie {
                    cookie = Some(c.clone());
                }
                let resp = sim::HttpResponse::new(reply.status, [], reply.body.into());
                cpe.handle_response(now, resp);
            }
            sim::Action::Drop => e.connection_closed(ConnId(conn)),
            sim::Action::SessionEnded { ok, .. } => ended.push(ok),
            _ => {}
        }
    }
    ended
}

fn events(e: &mut Engine<MemoryStore>) -> Vec<crate::Event> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

#[test]
fn inform_then_empty_post_is_a_whole_session() {
    let mut e = engine();
    let r = send(
        &mut e,
        SEC,
        post(1, None, &inform_xml("SN1", &["1 BOOT"], "42")),
    );
    assert_eq!(r.status, 200);
    let answer = cwmp::parse(&r.body).unwrap();
    assert_eq!(
        answer.version,
        CwmpVersion::V1_0,
        "reply in the CPE's namespace"
    );
    assert_eq!(answer.header.id.as_deref(), Some("42"));
    assert!(matches!(
        answer.body,
        Body::InformResponse(InformResponse { max_envelopes: 1 })
    ));
    let cookie = r.set_cookie.clone().unwrap();

    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert_eq!((r.status, r.close), (204, true));
    assert_eq!(e.open_sessions(), 0);
    assert_eq!(
        events(&mut e),
        [
            crate::Event::Informed {
                device: key("SN1"),
                events: vec!["1 BOOT".into()],
                replay: false,
                software_version: String::new(),
                params: vec![(
                    "Device.ManagementServer.ConnectionRequestURL".into(),
                    "http://10.0.0.1:7547/cr".into(),
                )],
                command_keys: Vec::new(),
                received: SEC,
            },
            crate::Event::SessionEnded {
                device: key("SN1"),
                ok: true
            },
        ]
    );
    let stored = e.store().get(&key("SN1")).unwrap().unwrap();
    assert_eq!(stored.root, "Device.");
    assert_eq!(
        stored.connection_request_url.as_deref(),
        Some("http://10.0.0.1:7547/cr")
    );
    assert_eq!(stored.key.endpoint_id(), "os::00D09E-SN1");
}

#[test]
fn a_second_session_for_one_device_is_turned_away() {
    let mut e = engine();
    let first = send(
        &mut e,
        SEC,
        post(1, None, &inform_xml("SN1", &["2 PERIODIC"], "1")),
    );
    assert_eq!(first.status, 200);
    let second = send(
        &mut e,
        SEC,
        post(2, None, &inform_xml("SN1", &["2 PERIODIC"], "1")),
    );
    assert_eq!(
        (second.status, second.retry_after, second.close),
        (503, Some(30), true)
    );
    // Another device is unaffected.
    assert_eq!(
        send(
            &mut e,
            SEC,
            post(3, None, &inform_xml("SN2", &["2 PERIODIC"], "1"))
        )
        .status,
        200
    );
}

#[test]
fn bad_input_gets_a_clear_status_and_the_next_session_works() {
    let mut e = engine();
    for bad in [
        &b"<not xml"[..],
        b"<!DOCTYPE x [<!ENTITY a \"b\">]><x/>",
        b"<soap:Envelope xmlns:soap=\"urn:wrong\"><soap:Body/></soap:Envelope>",
    ] {
        let r = send(&mut e, SEC, post(1, None, bad));
        assert_eq!(
            (r.status, r.close),
            (400, true),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    // A session must open with an Inform.
    let gpvr = Envelope::new(
        CwmpVersion::V1_0,
        Body::GetParameterValuesResponse(GetParameterValuesResponse {
            parameter_list: vec![],
        }),
    )
    .to_xml();
    assert_eq!(
        send(&mut e, SEC, post(1, None, gpvr.as_bytes())).status,
        400
    );
    // An empty POST outside any session ends nothing and hurts nobody.
    assert_eq!(send(&mut e, SEC, post(1, None, b"")).status, 204);
    let r = send(
        &mut e,
        SEC,
        post(2, None, &inform_xml("SN1", &["2 PERIODIC"], "1")),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn idle_sessions_end_and_overdue_rpcs_expire() {
    let mut e = engine();
    let r = send(
        &mut e,
        SEC,
        post(1, None, &inform_xml("SN1", &["2 PERIODIC"], "1")),
    );
    let cookie = r.set_cookie.unwrap();
    e.submit(key("SN1"), Body::GetRPCMethods, 100 * SEC)
        .unwrap();
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert!(matches!(
        cwmp::parse(&r.body).unwrap().body,
        Body::GetRPCMethods
    ));
    let late = e.submit(key("SN1"), Body::GetRPCMethods, 5 * SEC).unwrap();
    assert_eq!(e.poll_timeout(), Some(5 * SEC));
    e.handle_timeout(5 * SEC);
    e.handle_timeout(31 * SEC);
    assert_eq!(e.open_sessions(), 0);
    let outcomes: Vec<_> = events(&mut e)
        .into_iter()
        .filter_map(|ev| match ev {
            crate::Event::RpcDone { id, outcome, .. } => Some((id, outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[0], (late, RpcOutcome::Expired));
    assert_eq!(outcomes[1].1, RpcOutcome::NoAnswer);
    // The device may come back on a new connection.
    assert_eq!(
        send(
            &mut e,
            40 * SEC,
            post(2, None, &inform_xml("SN1", &["2 PERIODIC"], "2"))
        )
        .status,
        200
    );
}

#[test]
fn a_vanished_cpe_frees_its_session() {
    let mut e = engine();
    send(
        &mut e,
        SEC,
        post(7, None, &inform_xml("SN1", &["2 PERIODIC"], "1")),
    );
    e.connection_closed(ConnId(7));
    assert_eq!(e.open_sessions(), 0);
    assert_eq!(
        send(
            &mut e,
            SEC,
            post(8, None, &inform_xml("SN1", &["2 PERIODIC"], "1"))
        )
        .status,
        200
    );
}

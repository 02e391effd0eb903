//! What ends a queued RPC besides its session: the caller taking it back,
//! and a connection request that could not wake the device.

use super::*;
use crate::connreq::OfflineCause;

fn gpv(name: &str) -> Body<'static> {
    Body::GetParameterValues(GetParameterValues {
        parameter_names: vec![Cow::Owned(name.to_string())],
    })
}

fn done(e: &mut Engine<MemoryStore>) -> Vec<(RpcId, RpcOutcome)> {
    events(e)
        .into_iter()
        .filter_map(|ev| match ev {
            crate::Event::RpcDone { id, outcome, .. } => Some((id, outcome)),
            _ => None,
        })
        .collect()
}

/// Opens a session for SN1 on connection 1; its cookie.
fn open(e: &mut Engine<MemoryStore>) -> String {
    let r = send(
        e,
        SEC,
        post(1, None, &inform_xml("SN1", &["6 CONNECTION REQUEST"], "1")),
    );
    assert_eq!(r.status, 200);
    r.set_cookie.unwrap()
}

#[test]
fn a_withdrawn_rpc_is_never_sent() {
    let mut e = engine();
    let a = e.submit(key("SN1"), gpv("Device.A."), 60 * SEC).unwrap();
    let b = e.submit(key("SN1"), gpv("Device.B."), 60 * SEC).unwrap();
    assert!(e.withdraw(&key("SN1"), a));
    assert!(!e.withdraw(&key("SN1"), a), "once only");
    assert!(!e.withdraw(&key("SN2"), b), "another device's queue");
    assert_eq!(e.queued(&key("SN1")), 1);
    let cookie = open(&mut e);
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    let sent = cwmp::parse(&r.body).unwrap();
    match sent.body {
        Body::GetParameterValues(g) => assert_eq!(g.parameter_names, ["Device.B."]),
        other => panic!("{other:?}"),
    }
    // Sent: too late to withdraw, and its end is still reported.
    assert!(!e.withdraw(&key("SN1"), b));
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert_eq!(r.status, 204);
    assert_eq!(done(&mut e), [(b, RpcOutcome::NoAnswer)]);
}

#[test]
fn a_failed_connection_request_ends_the_waiting_rpcs_at_once() {
    let mut e = engine();
    let a = e.submit(key("SN1"), gpv("Device.A."), 60 * SEC).unwrap();
    let b = e.submit(key("SN1"), gpv("Device.B."), 60 * SEC).unwrap();
    assert_eq!(
        events(&mut e),
        [crate::Event::ConnectionRequestNeeded(key("SN1"))]
    );
    // A success changes nothing: the session will come.
    e.connection_request_failed(&key("SN1"), &ConnectionRequestOutcome::Ok);
    assert_eq!(e.queued(&key("SN1")), 2);
    let offline = ConnectionRequestOutcome::Offline(OfflineCause::Refused);
    e.connection_request_failed(&key("SN1"), &offline);
    assert_eq!(
        done(&mut e),
        [
            (a, RpcOutcome::Unreachable(offline.clone())),
            (b, RpcOutcome::Unreachable(offline.clone()))
        ]
    );
    assert_eq!(e.queued(&key("SN1")), 0);
    // The next RPC asks for a fresh attempt.
    e.submit(key("SN1"), gpv("Device.C."), 60 * SEC).unwrap();
    assert_eq!(
        events(&mut e),
        [crate::Event::ConnectionRequestNeeded(key("SN1"))]
    );
}

#[test]
fn a_device_that_came_anyway_keeps_its_rpcs() {
    let mut e = engine();
    let a = e.submit(key("SN1"), gpv("Device.A."), 60 * SEC).unwrap();
    let cookie = open(&mut e);
    // The request failed, but a periodic Inform opened a session meanwhile.
    let offline = ConnectionRequestOutcome::Offline(OfflineCause::Timeout);
    e.connection_request_failed(&key("SN1"), &offline);
    assert!(done(&mut e).is_empty());
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    let sent = cwmp::parse(&r.body).unwrap();
    assert!(matches!(sent.body, Body::GetParameterValues(_)));
    assert_eq!(
        sent.header.id.as_deref(),
        Some(format!("acs-{}", a.0).as_str())
    );
}

#[test]
fn rpcs_left_by_a_vanished_session_wake_the_device_again() {
    let mut e = engine();
    let cookie = open(&mut e);
    events(&mut e);
    // Queued while the session is open: no connection request needed...
    e.submit(key("SN1"), gpv("Device.A."), 60 * SEC).unwrap();
    assert!(events(&mut e).is_empty());
    // ...until the CPE vanishes before its empty POST.
    e.connection_closed(ConnId(1));
    assert_eq!(
        events(&mut e),
        [
            crate::Event::ConnectionRequestNeeded(key("SN1")),
            crate::Event::SessionEnded {
                device: key("SN1"),
                ok: false
            }
        ]
    );
    assert_eq!(e.queued(&key("SN1")), 1);
    // A session that ends with nothing queued asks for nothing.
    let cookie2 = open(&mut e);
    assert_ne!(cookie, cookie2);
    let r = send(&mut e, SEC, post(1, Some(&cookie2), b""));
    assert!(matches!(
        cwmp::parse(&r.body).unwrap().body,
        Body::GetParameterValues(_)
    ));
    e.connection_closed(ConnId(1));
    assert!(!events(&mut e)
        .iter()
        .any(|ev| matches!(ev, crate::Event::ConnectionRequestNeeded(_))));
}

#[test]
fn replies_name_the_device_they_concern() {
    let mut e = engine();
    let cookie = open(&mut e);
    let r = send(
        &mut e,
        SEC,
        post(2, None, &inform_xml("SN1", &["2 PERIODIC"], "2")),
    );
    assert_eq!((r.status, r.device), (503, Some(key("SN1"))));
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert_eq!((r.status, r.device), (204, Some(key("SN1"))));
    let r = send(&mut e, SEC, post(3, None, b"<not xml"));
    assert_eq!((r.status, r.device), (400, None));
}

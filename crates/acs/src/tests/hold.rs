//! Session holds in the engine: a held device's session parks the CPE's
//! POST when its queue runs empty, instead of ending.

use super::*;

const HOLD: Duration = Duration::from_secs(2);

/// SN1 informed on connection 1 at one second; its cookie.
fn informed(e: &mut Engine<MemoryStore>) -> String {
    let r = send(
        e,
        SEC,
        post(1, None, &inform_xml("SN1", &["6 CONNECTION REQUEST"], "1")),
    );
    assert_eq!(r.status, 200);
    events(e);
    r.set_cookie.unwrap()
}

fn configured(config: EngineConfig) -> Engine<MemoryStore> {
    Engine::new(config, MemoryStore::default())
}

fn unparked(e: &mut Engine<MemoryStore>) -> Vec<ConnId> {
    std::iter::from_fn(|| e.poll_unparked()).collect()
}

fn ended(e: &mut Engine<MemoryStore>) -> Vec<bool> {
    events(e)
        .into_iter()
        .filter_map(|ev| match ev {
            crate::Event::SessionEnded { ok, .. } => Some(ok),
            _ => None,
        })
        .collect()
}

fn gpv_answer(id: &str) -> Vec<u8> {
    Envelope::new(
        CwmpVersion::V1_0,
        Body::GetParameterValuesResponse(GetParameterValuesResponse {
            parameter_list: vec![],
        }),
    )
    .with_id(id)
    .to_xml()
    .into_bytes()
}

fn gpv() -> Body<'static> {
    Body::GetParameterValues(GetParameterValues {
        parameter_names: vec!["Device.".into()],
    })
}

/// The `cwmp:ID` of the RPC a reply carries.
fn rpc_id(r: &Reply) -> String {
    assert_eq!(r.status, 200, "{r:?}");
    cwmp::parse(&r.body).unwrap().header.id.unwrap().to_string()
}

#[test]
fn without_a_hold_an_empty_queue_ends_the_session() {
    let mut e = engine();
    let cookie = informed(&mut e);
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert_eq!((r.status, r.close, r.parked), (204, true, None));
    assert_eq!(ended(&mut e), [true]);
}

#[test]
fn a_held_session_parks_and_an_rpc_queued_later_answers_the_post() {
    let mut e = engine();
    let cookie = informed(&mut e);
    e.hold(&key("SN1"));
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert_eq!(r.parked, Some(SEC + HOLD), "{r:?}");
    assert!(r.body.is_empty());
    assert_eq!(e.open_sessions(), 1);
    assert!(ended(&mut e).is_empty());
    assert!(unparked(&mut e).is_empty(), "nothing to answer with yet");
    // Still nothing: a resume before anything changed parks again, with
    // the same deadline (a spurious wake-up does not extend the hold).
    assert_eq!(e.resume(SEC + SEC / 2, ConnId(1)).parked, Some(SEC + HOLD));

    let id = e.submit(key("SN1"), gpv(), 60 * SEC).unwrap();
    assert!(
        events(&mut e).is_empty(),
        "no connection request: in session"
    );
    assert_eq!(unparked(&mut e), [ConnId(1)]);
    let r = e.resume(2 * SEC, ConnId(1));
    assert_eq!(r.parked, None);
    assert_eq!(rpc_id(&r), format!("acs-{}", id.0));
    // Answered: still held, so parked again, from the answer's time.
    let r = send(
        &mut e,
        3 * SEC,
        post(1, Some(&cookie), &gpv_answer(&rpc_id(&r))),
    );
    assert_eq!(r.parked, Some(3 * SEC + HOLD));
    assert!(matches!(
        &events(&mut e)[..],
        [crate::Event::RpcDone {
            outcome: RpcOutcome::Response(_),
            ..
        }]
    ));
}

#[test]
fn releasing_the_last_hold_ends_a_parked_session() {
    let mut e = engine();
    let cookie = informed(&mut e);
    e.hold(&key("SN1"));
    e.hold(&key("SN1"));
    assert_eq!(e.holds(&key("SN1")), 2);
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert!(r.parked.is_some());
    e.release(&key("SN1"));
    assert!(unparked(&mut e).is_empty(), "another plan still holds it");
    assert!(e.resume(SEC, ConnId(1)).parked.is_some());
    e.release(&key("SN1"));
    assert_eq!(unparked(&mut e), [ConnId(1)]);
    let r = e.resume(SEC, ConnId(1));
    assert_eq!((r.status, r.close, r.parked), (204, true, None));
    assert_eq!(ended(&mut e), [true]);
    assert_eq!(e.open_sessions(), 0);
    assert!(e.holds.is_empty(), "no entry left behind");
    // One release too many takes nothing below zero.
    e.release(&key("SN1"));
    assert!(e.holds.is_empty());
}

#[test]
fn a_parked_post_is_answered_when_hold_max_passes() {
    let mut e = engine();
    let cookie = informed(&mut e);
    e.hold(&key("SN1"));
    send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert_eq!(e.poll_timeout(), Some(SEC + HOLD));
    e.handle_timeout(SEC + HOLD - Duration::from_millis(1));
    assert!(unparked(&mut e).is_empty());
    e.handle_timeout(SEC + HOLD);
    assert_eq!(unparked(&mut e), [ConnId(1)]);
    let r = e.resume(SEC + HOLD, ConnId(1));
    assert_eq!((r.status, r.close), (204, true));
    assert_eq!(ended(&mut e), [true]);
    // The hold outlives the session; dropping it later is harmless.
    assert_eq!(e.holds(&key("SN1")), 1);
    e.release(&key("SN1"));
    assert!(e.holds.is_empty() && unparked(&mut e).is_empty());
}

#[test]
fn the_session_timeouts_win_over_hold_max() {
    let mut e = configured(EngineConfig {
        hold_max: 600 * SEC,
        session_timeout: 30 * SEC,
        max_session: 20 * SEC,
        ..EngineConfig::default()
    });
    let cookie = informed(&mut e);
    e.hold(&key("SN1"));
    let r = send(&mut e, 5 * SEC, post(1, Some(&cookie), b""));
    // Started at one second, at most twenty long.
    assert_eq!(r.parked, Some(21 * SEC));
    e.handle_timeout(21 * SEC);
    assert_eq!(ended(&mut e), [false], "over its maximum duration");
    assert_eq!(unparked(&mut e), [ConnId(1)]);
    assert_eq!(e.resume(21 * SEC, ConnId(1)).status, 204);
}

#[test]
fn a_hold_taken_before_the_session_makes_it_linger() {
    let mut e = engine();
    e.hold(&key("SN1"));
    assert!(events(&mut e).is_empty(), "a hold wakes nobody");
    let cookie = informed(&mut e);
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert!(r.parked.is_some());
    // Another device is not held.
    let r = send(
        &mut e,
        SEC,
        post(2, None, &inform_xml("SN2", &["2 PERIODIC"], "1")),
    );
    let other = r.set_cookie.unwrap();
    assert_eq!(send(&mut e, SEC, post(2, Some(&other), b"")).status, 204);
}

#[test]
fn hold_max_zero_turns_holds_off() {
    let mut e = configured(EngineConfig {
        hold_max: Duration::ZERO,
        ..EngineConfig::default()
    });
    let cookie = informed(&mut e);
    e.hold(&key("SN1"));
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    assert_eq!((r.status, r.parked), (204, None));
}

#[test]
fn a_cpe_that_hangs_up_while_parked_ends_its_session() {
    let mut e = engine();
    let cookie = informed(&mut e);
    e.hold(&key("SN1"));
    send(&mut e, SEC, post(1, Some(&cookie), b""));
    e.connection_closed(ConnId(1));
    assert_eq!(ended(&mut e), [false]);
    assert_eq!(unparked(&mut e), [ConnId(1)]);
    assert_eq!(e.resume(SEC, ConnId(1)).status, 204);
    // An RPC for it now needs a new session, as without holds.
    e.submit(key("SN1"), gpv(), 60 * SEC).unwrap();
    assert_eq!(
        events(&mut e),
        [crate::Event::ConnectionRequestNeeded(key("SN1"))]
    );
}

#[test]
fn a_cpe_that_comes_back_on_a_new_connection_unparks_the_old_one() {
    let mut e = engine();
    let cookie = informed(&mut e);
    e.hold(&key("SN1"));
    send(&mut e, SEC, post(1, Some(&cookie), b""));
    // It gave up on the parked POST and sent another with our cookie.
    let r = send(&mut e, 2 * SEC, post(2, Some(&cookie), b""));
    assert_eq!(r.parked, Some(2 * SEC + HOLD));
    assert_eq!(unparked(&mut e), [ConnId(1)]);
    assert_eq!(e.resume(2 * SEC, ConnId(1)).status, 204);
    assert_eq!(e.open_sessions(), 1, "the session lives on connection 2");
    e.submit(key("SN1"), gpv(), 60 * SEC).unwrap();
    assert_eq!(unparked(&mut e), [ConnId(2)]);
    assert_eq!(e.resume(2 * SEC, ConnId(2)).status, 200);
}

#[test]
fn an_expired_rpc_does_not_unpark_into_an_empty_answer() {
    let mut e = engine();
    let cookie = informed(&mut e);
    e.hold(&key("SN1"));
    send(&mut e, SEC, post(1, Some(&cookie), b""));
    let late = e.submit(key("SN1"), gpv(), SEC).unwrap();
    assert_eq!(unparked(&mut e), [ConnId(1)]);
    // Already due when resumed: still parked, and the RPC expires.
    assert!(e.resume(SEC + SEC / 2, ConnId(1)).parked.is_some());
    e.handle_timeout(SEC + SEC / 2);
    assert!(events(&mut e).contains(&crate::Event::RpcDone {
        id: late,
        device: key("SN1"),
        outcome: RpcOutcome::Expired,
    }));
}

#[test]
fn a_parked_answer_to_provisioning_still_waits_for_its_commit() {
    let mut e = configured(EngineConfig {
        provision: Some(crate::ProvisionConfig::default()),
        ..EngineConfig::default()
    });
    e.hold(&key("SN1"));
    let cookie = informed(&mut e);
    let offer = send(&mut e, SEC, post(1, Some(&cookie), b""));
    let applied = Envelope::new(
        CwmpVersion::V1_0,
        Body::SetParameterValuesResponse(SetParameterValuesResponse { status: 0 }),
    )
    .with_id(rpc_id(&offer))
    .to_xml();
    // Not `send`: the commit stays staged, as in a shell between the
    // engine's answer and the committer's round.
    let r = e.handle(SEC, post(1, Some(&cookie), applied.as_bytes()));
    assert!(r.parked.is_some(), "{r:?}");
    assert!(r.commit.is_some(), "the shell must hold whatever follows");
}

//! End-to-end: ACS authentication (none, Basic, Digest) and connection
//! requests to the simulated CPE (Digest on the CPE's own listener).

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use cwmp::Value;
use support::acs::{Acs, Auth, PASSWORD, USER};
use support::http;
use support::rpc::*;
use support::sim::{Sim, WAIT};

fn sim_with_credentials(acs: &Acs, password: &str) -> Sim {
    Sim::start(
        &acs.url(),
        &[
            "--model",
            "tr181",
            "--acs-user",
            USER,
            "--acs-password",
            password,
        ],
    )
}

#[test]
fn no_auth_needs_no_challenge() {
    let acs = Acs::start(Auth::None);
    let _sim = Sim::start(&acs.url(), &["--model", "tr181"]);
    acs.wait(WAIT, |r| r.method() == "Inform");
    assert_eq!(acs.stats().challenges, 0);
}

#[test]
fn basic_auth_against_the_acs() {
    let acs = Acs::start(Auth::Basic);
    let id = acs.queue_any(gpv(&["Device.DeviceInfo.SoftwareVersion"]));
    let _sim = sim_with_credentials(&acs, PASSWORD);
    acs.wait_reply(&id, WAIT);
    let s = acs.stats();
    assert!(s.auth_ok >= 1, "{s:?}");
    assert_eq!(s.auth_denied, 0, "{s:?}");
    assert_schema_valid(&acs);
}

#[test]
fn digest_auth_against_the_acs() {
    let acs = Acs::start(Auth::Digest);
    let id = acs.queue_any(gpv(&["Device.DeviceInfo.SoftwareVersion"]));
    let _sim = sim_with_credentials(&acs, PASSWORD);
    acs.wait_reply(&id, WAIT);
    let s = acs.stats();
    assert!(s.challenges >= 1 && s.auth_ok >= 1, "{s:?}");
    assert_eq!(s.auth_denied, 0, "{s:?}");
    assert_schema_valid(&acs);
}

#[test]
fn wrong_password_never_gets_a_session() {
    let acs = Acs::start(Auth::Digest);
    let _sim = sim_with_credentials(&acs, "wrong");
    let deadline = std::time::Instant::now() + WAIT;
    while acs.stats().auth_denied == 0 {
        assert!(std::time::Instant::now() < deadline, "{:?}", acs.stats());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        acs.received().is_empty(),
        "an unauthenticated Inform got through"
    );
}

#[test]
fn connection_request_with_digest_opens_a_session() {
    let acs = Acs::start(Auth::None);
    // The ACS sets the credentials the CPE's listener checks, as a real ACS does.
    let creds = acs.queue_any(spv(
        &[
            (
                "Device.ManagementServer.ConnectionRequestUsername",
                Value::string("cruser"),
            ),
            (
                "Device.ManagementServer.ConnectionRequestPassword",
                Value::string("crpass"),
            ),
        ],
        "",
    ));
    let _sim = Sim::start(&acs.url(), &["--model", "tr181"]);
    let inform = acs.wait(WAIT, |r| r.method() == "Inform");
    let url = inform
        .inform_param("Device.ManagementServer.ConnectionRequestURL")
        .expect("ConnectionRequestURL");
    match acs.wait_reply(&creds, WAIT).body() {
        cwmp::Body::SetParameterValuesResponse(_) => {}
        other => panic!("{other:?}"),
    }
    // Wait for the boot session to end before knocking.
    acs.wait(WAIT, |r| r.method() == "Empty");
    // Without credentials: challenged, no session.
    let bare = http::get(&url);
    assert_eq!(bare.status, 401);
    let challenge = bare.headers_named("WWW-Authenticate").join(", ");
    assert!(challenge.contains("Digest"), "{challenge}");
    // Wrong password: refused.
    let (wrong, _) = http::connection_request(&url, "cruser", "nope");
    assert_eq!(wrong.status, 401);
    let mark = acs.mark();
    let id = acs.queue_any(gpv(&["Device.DeviceInfo.UpTime"]));
    let (ok, challenged) = http::connection_request(&url, "cruser", "crpass");
    assert!(challenged);
    assert!(ok.status == 200 || ok.status == 204, "status {}", ok.status);
    let inform = acs.wait_from(mark, WAIT, |r| r.method() == "Inform");
    assert!(
        inform.has_event("6 CONNECTION REQUEST"),
        "{:?}",
        inform.events()
    );
    acs.wait_reply(&id, WAIT);
    assert_schema_valid(&acs);
}

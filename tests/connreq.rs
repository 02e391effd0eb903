//! `cwmp2usp connreq` against `cwmp2usp sim` CPE that have sessions with a
//! real `cwmp2usp run`, all processes on loopback.

mod support;

use std::process::Output;
use std::time::{SystemTime, UNIX_EPOCH};

use acs::connreq::{UdpConnectionRequest, UdpRequestError};
use support::gateway::Gateway;
use support::sim::{bin, completed, free_port, Sim, WAIT};

const CR_USER: &str = "cruser";
const CR_PASS: &str = "crpass";

/// `cwmp2usp connreq <args>`: exit status and its one JSON line.
fn connreq(args: &[&str]) -> (Output, serde_json::Value) {
    let out = bin().arg("connreq").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(stdout.lines().count(), 1, "not one line: {stdout:?}");
    let line =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    (out, line)
}

/// A one-CPE fleet on `gw` whose connection requests need CR_USER/CR_PASS.
fn fleet(gw: &Gateway, prefix: &str, extra: &[&str]) -> Sim {
    let mut args = vec![
        "--acs-user",
        "cpe",
        "--acs-password",
        "s3cret",
        "--cr-user",
        CR_USER,
        "--cr-password",
        CR_PASS,
        "--serial-prefix",
        prefix,
        "--progress",
        "0",
    ];
    args.extend_from_slice(extra);
    Sim::start(&gw.cwmp_url(), &args)
}

fn ready(sim: &Sim) -> serde_json::Value {
    sim.control(); // waits for the ready line
    sim.stdout()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "ready")
        .unwrap()
}

/// The first CPE's ConnectionRequestURL.
fn cr_url(sim: &Sim) -> String {
    let r = ready(sim);
    format!(
        "{}{}",
        r["connection_request_prefix"].as_str().unwrap(),
        r["first_serial"].as_str().unwrap()
    )
}

#[test]
fn a_right_request_opens_a_connection_request_session() {
    let data = tempfile::tempdir().unwrap();
    // The simulator's own connection-request credentials stay in force.
    let gw = Gateway::start_in(
        data.path(),
        &["--cwmp-password", "s3cret", "--provision", "none"],
    );
    let sim = fleet(&gw, "CR-", &[]);
    let url = cr_url(&sim);
    sim.wait_for("booted", WAIT, |s| completed(s) >= 1);

    // Wrong credentials first: refused, and the CPE stays quiet.
    let (out, line) = connreq(&[&url, "--user", CR_USER, "--password", "nope"]);
    assert!(!out.status.success(), "{line}");
    assert_eq!(line["event"], "connection_request", "{line}");
    assert_eq!(line["result"], "auth_failed", "{line}");
    assert_eq!(sim.stats()["connection_requests"], 0);

    let (out, line) = connreq(&[&url, "--user", CR_USER, "--password", CR_PASS]);
    assert!(out.status.success(), "{line}");
    assert_eq!(line["result"], "ok", "{line}");
    assert_eq!(line["transport"], "http", "{line}");
    let s = sim.wait_for("had the woken session", WAIT, |s| completed(s) >= 2);
    assert_eq!(s["connection_requests"], 1, "{s}");
    assert_eq!(s["sessions_failed"], 0, "{s}");

    // The registry saw the Inform that answered it.
    drop(gw);
    let out = bin()
        .args(["devices", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let device: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    let events = device["last_events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e == "6 CONNECTION REQUEST"),
        "{device}"
    );
}

#[test]
fn refusing_unknown_and_dead_cpe_get_typed_results() {
    let gw = Gateway::start(&["--cwmp-password", "s3cret", "--provision", "none"]);
    let sim = fleet(&gw, "RF-", &["--refuse-cr"]);
    let url = cr_url(&sim);

    let (out, line) = connreq(&[&url, "--user", CR_USER, "--password", CR_PASS]);
    assert!(!out.status.success(), "{line}");
    assert_eq!(line["result"], "rate_limited", "{line}");
    assert!(line.get("retry_after").is_some(), "{line}");

    // The simulator has no CPE with this serial.
    let unknown = format!(
        "{}NOSUCH",
        ready(&sim)["connection_request_prefix"].as_str().unwrap()
    );
    let (_, line) = connreq(&[&unknown, "--user", CR_USER, "--password", CR_PASS]);
    assert_eq!(line["result"], "unexpected", "{line}");
    assert_eq!(line["status"], 404, "{line}");

    let dead = format!("http://127.0.0.1:{}/cr/x", free_port());
    let (out, line) = connreq(&[&dead, "--timeout-ms", "1000"]);
    assert!(!out.status.success(), "{line}");
    assert_eq!(line["result"], "offline", "{line}");

    let (out, line) = connreq(&["https://127.0.0.1/cr/x"]);
    assert!(!out.status.success(), "{line}");
    assert_eq!(line["result"], "bad_url", "{line}");
    assert!(line["reason"].as_str().unwrap().contains("https"), "{line}");
}

#[test]
fn udp_requests_are_signed_for_the_cpe() {
    let cpe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    cpe.set_read_timeout(Some(WAIT)).unwrap();
    let addr = cpe.local_addr().unwrap().to_string();
    // A dead HTTP URL first: the UDP request is the fallback.
    let dead = format!("http://127.0.0.1:{}/", free_port());
    let (out, line) = connreq(&[
        &dead,
        "--udp",
        &addr,
        "--user",
        "u1",
        "--password",
        "p1",
        "--udp-repeat",
        "2",
        "--udp-interval-ms",
        "10",
    ]);
    assert!(out.status.success(), "{line}");
    assert_eq!(line["transport"], "udp", "{line}");
    assert_eq!(line["result"], "ok", "{line}");
    assert_eq!(line["http"]["result"], "offline", "{line}");

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut buf = [0u8; 4096];
    for _ in 0..2 {
        let n = cpe.recv(&mut buf).unwrap();
        let req = UdpConnectionRequest::parse(&buf[..n]).unwrap();
        assert_eq!(req.authority, addr);
        assert_eq!(req.verify("u1", "p1", now, 60), Ok(()));
        assert_eq!(
            req.verify("u1", "other", now, 60),
            Err(UdpRequestError::BadSignature)
        );
    }
}

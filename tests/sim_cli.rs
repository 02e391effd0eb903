//! End-to-end: the `cwmp2usp sim` command line, the final report, the
//! control API, and schema validity across versions and models.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use support::acs::{Acs, Auth};
use support::sim::{bin, Sim};

#[test]
fn bad_flags_exit_non_zero_with_a_message() {
    for args in [
        vec!["sim"],
        vec!["sim", "--acs", "http://127.0.0.1:1/", "--count", "many"],
        vec![
            "sim",
            "--acs",
            "http://127.0.0.1:1/",
            "--cwmp-version",
            "2.7",
        ],
        vec![
            "sim",
            "--acs",
            "http://127.0.0.1:1/",
            "--model",
            "/no/such/file.json",
        ],
        vec!["sim", "--acs", "not a url"],
        vec!["sim", "--acs", "http://127.0.0.1:1/", "--bogus-flag"],
    ] {
        let out = bin().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!stderr.trim().is_empty(), "{args:?}: no message");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn duration_prints_a_json_report() {
    let acs = Acs::start(Auth::None);
    let sim = Sim::start(
        &acs.url(),
        &["--count", "3", "--interval", "1", "--duration", "3"],
    );
    let (status, stdout, stderr) = sim.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    let report = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "report")
        .unwrap_or_else(|| panic!("no report line in {stdout:?}"));
    let informs = acs
        .received()
        .iter()
        .filter(|r| r.method() == "Inform")
        .count() as u64;
    let completed = report["sessions_completed"]
        .as_u64()
        .unwrap_or_else(|| panic!("sessions_completed missing: {report}"));
    assert!(completed >= 3, "{report}");
    assert!(
        completed <= informs,
        "report {completed} > informs seen {informs}"
    );
    assert_eq!(report["sessions_failed"].as_u64(), Some(0), "{report}");
    assert!(report["sessions_per_second"].as_f64().is_some(), "{report}");
    for p in ["p50", "p90", "p99"] {
        assert!(
            report["inform_rtt_ms"][p].as_f64().is_some(),
            "inform_rtt_ms.{p} missing: {report}"
        );
    }
}

/// The test ACS itself, driven by hand with a real captured Inform, so a
/// failure elsewhere points at the simulator and not at the harness.
#[test]
fn test_acs_scripts_a_digest_session() {
    use support::acs::{PASSWORD, USER};
    use support::http;

    let acs = Acs::start(Auth::Digest);
    let dump = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/cwmp/easycwmp/Inform-00001-FFFFFF123456.txt"),
    )
    .unwrap();
    let inform = &dump[dump.find("<?xml").unwrap()..];
    let url = acs.url();
    // Each call is a new connection, so each one authenticates.
    let post = |body: &str, cookie: Option<&str>| {
        let first = http::request("POST", &url, &[], body);
        assert_eq!(first.status, 401);
        let ch = first.headers_named("WWW-Authenticate").join(", ");
        let auth = httpauth::client::respond(&ch, "POST", "/acs", USER, PASSWORD, "c1", 1).unwrap();
        let mut headers = vec![("Authorization", auth.as_str())];
        if let Some(c) = cookie {
            headers.push(("Cookie", c));
        }
        http::request("POST", &url, &headers, body)
    };
    let id = acs.queue("FFFFFF123456", support::rpc::gpv(&["Device.DeviceInfo."]));
    let r = post(inform, None);
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r
        .header("Set-Cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let env = cwmp::parse(r.body.as_bytes()).unwrap();
    assert_eq!(env.method_name(), "InformResponse");
    assert_eq!(env.header.id.as_deref(), Some("1"));
    assert_eq!(env.version, cwmp::CwmpVersion::V1_2);
    let r = post("", Some(&cookie));
    let env = cwmp::parse(r.body.as_bytes()).unwrap();
    assert_eq!(env.method_name(), "GetParameterValues");
    assert_eq!(env.header.id.as_deref(), Some(id.as_str()));
    let answer = cwmp::Envelope::new(
        cwmp::CwmpVersion::V1_2,
        cwmp::Body::GetParameterValuesResponse(cwmp::GetParameterValuesResponse {
            parameter_list: vec![cwmp::ParameterValue::new(
                "Device.DeviceInfo.UpTime",
                cwmp::Value::unsigned_int(5),
            )],
        }),
    )
    .with_id(id.clone())
    .to_xml();
    assert_eq!(post(&answer, Some(&cookie)).status, 204);
    let reply = acs.wait_reply(&id, Duration::from_secs(5));
    assert_eq!(reply.serial, "FFFFFF123456");
    assert_eq!(
        support::rpc::value_of(&reply, "Device.DeviceInfo.UpTime"),
        "5"
    );
    let s = acs.stats();
    assert_eq!((s.challenges, s.auth_ok, s.auth_denied), (3, 3, 0));
    // A wrong password is counted and refused.
    let first = http::request("POST", &url, &[], "");
    let ch = first.headers_named("WWW-Authenticate").join(", ");
    let bad = httpauth::client::respond(&ch, "POST", "/acs", USER, "nope", "c", 1).unwrap();
    assert_eq!(
        http::request("POST", &url, &[("Authorization", &bad)], "").status,
        401
    );
    assert_eq!(acs.stats().auth_denied, 1);
    // Files for Download tests.
    assert_eq!(
        http::get(&format!("{}/files/fw.bin", acs.base()))
            .body
            .as_bytes(),
        support::acs::FILE
    );
    assert_eq!(http::get(&format!("{}/files/nope", acs.base())).status, 404);
    support::rpc::assert_schema_valid(&acs);
}

/// The schema check must be able to fail, or it proves nothing.
#[test]
fn schema_check_rejects_an_invalid_message() {
    let Some(bbf) = support::xsd::prerequisites("xsd validation of simulator messages") else {
        return;
    };
    let good = cwmp::Envelope::new(cwmp::CwmpVersion::V1_0, cwmp::Body::RebootResponse)
        .with_id("1")
        .to_xml();
    let docs = vec![
        ("good".to_string(), good.clone()),
        (
            "bad".to_string(),
            good.replace("cwmp:RebootResponse", "cwmp:Bogus"),
        ),
        ("good-1-4".to_string(), good.replace("cwmp-1-0", "cwmp-1-4")),
    ];
    let bad: Vec<String> = support::xsd::invalid(&bbf, "negative", &docs)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(bad, ["bad"]);
}

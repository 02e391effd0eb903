//! What `cwmp2usp run` tells its operator: logs on stderr naming each
//! device (never a password), JSON lines alone on stdout, and the report's
//! counters.

mod support;

use std::time::Duration;

use support::gateway::Gateway;
use support::sim::Sim;

const PASSWORD: &str = "s3cret-shared";
const WRONG: &str = "wrong-pw-123";

fn run_sim(url: &str, prefix: &str, password: &str) -> serde_json::Value {
    let sim = Sim::start(
        url,
        &[
            "--count",
            "2",
            "--serial-prefix",
            prefix,
            "--acs-user",
            "cpe",
            "--acs-password",
            password,
            "--duration",
            "2",
            "--progress",
            "0",
        ],
    );
    let (status, out, err) = sim.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "sim failed: {err}");
    serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap()
}

/// The report line among `stdout`'s lines.
fn report(stdout: &str) -> serde_json::Value {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "report")
        .unwrap_or_else(|| panic!("no report line: {stdout}"))
}

#[test]
fn logs_name_each_device_and_never_a_password() {
    let gw = Gateway::start_env(&["--cwmp-password", PASSWORD], &[("RUST_LOG", "debug")]);
    let url = gw.cwmp_url();
    let good = run_sim(&url, "LOG", PASSWORD);
    assert_eq!(good["sessions_completed"], 2, "{good}");
    let bad = run_sim(&url, "BAD", WRONG);
    assert_eq!(bad["sessions_completed"], 0, "{bad}");
    let (stdout, log) = gw.finish();
    let report = report(&stdout);

    for serial in ["LOG000000", "LOG000001"] {
        let span = format!("session{{device=os::00D09E-{serial}}}");
        assert!(
            log.lines()
                .any(|l| l.contains(&span) && l.contains("session started")),
            "no session span for {serial}:\n{log}"
        );
    }
    assert!(
        log.lines()
            .any(|l| l.contains("authentication failed") && l.contains("user=\"cpe\"")),
        "{log}"
    );
    for secret in [PASSWORD, WRONG] {
        assert!(!log.contains(secret), "{secret} logged:\n{log}");
    }

    assert_eq!(report["sessions_completed"], 2, "{report}");
    assert!(report["auth_failures"].as_u64() >= Some(1), "{report}");
    assert_eq!(report["cpe_faults"], 0, "{report}");
    let kinds: Vec<&str> = report["connection_requests"]
        .as_object()
        .unwrap_or_else(|| panic!("{report}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        kinds,
        [
            "ok",
            "offline",
            "auth_failed",
            "rate_limited",
            "bad_url",
            "unexpected",
            "local_error"
        ]
    );
}

#[test]
fn stdout_holds_only_json_lines_whatever_the_log_level() {
    let gw = Gateway::start_env(&["--cwmp-password", PASSWORD], &[("RUST_LOG", "trace")]);
    let url = gw.cwmp_url();
    run_sim(&url, "OUT", WRONG);
    let (stdout, log) = gw.finish();
    assert!(log.contains("authentication failed"), "{log}");
    let report = report(&stdout);
    assert!(report["auth_failures"].as_u64() >= Some(1), "{report}");
    assert_eq!(stdout.lines().count(), 2, "ready and report: {stdout}");
    for line in stdout.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON on stdout: {line:?}"
        );
    }
}

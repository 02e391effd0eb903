//! `cwmp2usp run` against `cwmp2usp sim`, both real processes on loopback.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::gateway::Gateway;
use support::http;
use support::sim::{completed, Sim};

/// `cwmp2usp devices --data-dir DIR`: the raw output and its lines.
fn devices(data: &Path) -> (String, Vec<serde_json::Value>) {
    let out = support::sim::bin()
        .args(["devices", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (text, lines)
}

fn report(sim: Sim) -> serde_json::Value {
    let (status, out, err) = sim.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "sim failed: {err}");
    let line = out.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("report not JSON ({e}): {out}"))
}

/// Sessions can take long on a loaded machine; this only catches a hang.
const HANG: Duration = Duration::from_secs(300);

#[test]
fn a_thousand_cpe_complete_boot_and_periodic_sessions_with_digest() {
    let data = tempfile::tempdir().unwrap();
    // Provisioning sets the fleet's periodic interval: keep it short.
    let gw = Gateway::start_in(
        data.path(),
        &[
            "--cwmp-password",
            "s3cret",
            "--periodic-inform-interval",
            "3",
        ],
    );
    let sim = Sim::start(
        &gw.cwmp_url(),
        &[
            "--count",
            "1000",
            "--interval",
            "3",
            "--progress",
            "0",
            "--acs-user",
            "cpe",
            "--acs-password",
            "s3cret",
            "--boot-spread",
            "2",
        ],
    );
    // A boot and a periodic session per CPE, however long that takes here.
    let stats = sim.wait_for("2,000 sessions", HANG, |s| completed(s) >= 2000);
    assert_eq!(stats["sessions_failed"], 0, "{stats}");
    drop(sim);
    drop(gw);
    let (_, devices) = devices(data.path());
    assert_eq!(devices.len(), 1000);
    let periodic = devices
        .iter()
        .filter(|d| d["last_events"].to_string().contains("2 PERIODIC"))
        .count();
    assert!(periodic > 0, "no periodic Inform registered");
    // Each was provisioned on first contact.
    for d in &devices {
        assert_eq!(d["connection_request_credentials"], true, "{d}");
    }
}

#[test]
fn wrong_or_missing_credentials_never_get_a_session() {
    let gw = Gateway::start(&["--cwmp-password", "s3cret"]);
    let url = gw.cwmp_url();
    for extra in [&["--acs-user", "cpe", "--acs-password", "nope"][..], &[]] {
        let mut args = vec!["--count", "3", "--duration", "2", "--progress", "0"];
        args.extend_from_slice(extra);
        let r = report(Sim::start(&url, &args));
        assert_eq!(r["sessions_completed"], 0, "{r}");
        assert_eq!(r["informs_acknowledged"], 0, "{r}");
    }
    // The Digest challenge offers SHA-256 and MD5.
    let first = http::request("POST", &url, &[], "");
    assert_eq!(first.status, 401);
    let offered = first.headers_named("WWW-Authenticate").join(" ");
    assert!(
        offered.contains("SHA-256") && offered.contains("MD5"),
        "{offered}"
    );
}

#[test]
fn bad_requests_get_clear_statuses_and_the_gateway_stays_up() {
    let gw = Gateway::start(&["--cwmp-auth", "none", "--max-body", "2048"]);
    let url = gw.cwmp_url();
    assert_eq!(http::request("GET", &url, &[], "").status, 405);
    let big = "x".repeat(10_000);
    assert_eq!(http::request("POST", &url, &[], &big).status, 413);
    assert_eq!(http::request("POST", &url, &[], "<not xml").status, 400);
    let bomb = "<!DOCTYPE a [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><a>&b;</a>";
    assert_eq!(http::request("POST", &url, &[], bomb).status, 400);
    // Normal sessions right after.
    let sim = Sim::start(&url, &["--count", "5", "--progress", "0"]);
    let stats = sim.wait_for("5 sessions", HANG, |s| completed(s) >= 5);
    assert_eq!(stats["sessions_failed"], 0, "{stats}");
}

#[test]
fn registered_devices_survive_kill_9() {
    let data = tempfile::tempdir().unwrap();
    // Provisioning keeps the fleet informing every second.
    let gw = Gateway::start_in(
        data.path(),
        &["--cwmp-auth", "none", "--periodic-inform-interval", "1"],
    );
    assert_eq!(gw.ready()["devices"], 0);
    let url = gw.cwmp_url();
    let sim = Sim::start(
        &url,
        &[
            "--count",
            "3",
            "--interval",
            "1",
            "--progress",
            "0",
            "--serial-prefix",
            "K9-",
        ],
    );
    // Killed while the fleet is still informing, once each CPE had its
    // InformResponse (each has had a periodic session after its boot).
    sim.wait_for("9 sessions", HANG, |s| completed(s) >= 9);
    gw.kill_9();
    drop(sim);

    let (_, devices) = devices(data.path());
    assert_eq!(devices.len(), 3, "{devices:?}");
    for d in &devices {
        assert!(d["serial"].as_str().unwrap().starts_with("K9-"), "{d}");
        assert!(
            d["endpoint_id"].as_str().unwrap().starts_with("os::"),
            "{d}"
        );
        let cr = d["connection_request_url"].as_str().unwrap_or_default();
        assert!(cr.starts_with("http://127.0.0.1:"), "{d}");
        assert_eq!(d["root"], "Device.", "{d}");
    }

    let again = Gateway::start_in(data.path(), &["--cwmp-auth", "none"]);
    assert_eq!(again.ready()["devices"], 3);
}

#[test]
fn devices_on_a_missing_registry_is_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = support::sim::bin()
        .args(["devices", "--data-dir"])
        .arg(empty.path().join("nowhere"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("cwmp2usp devices: no registry in"), "{err}");
}

#[test]
fn first_contact_provisions_cr_credentials_and_devices_shows_only_that_they_are_set() {
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start_in(
        data.path(),
        &["--cwmp-auth", "none", "--periodic-inform-interval", "900"],
    );
    let sim = Sim::start(&gw.cwmp_url(), &["--count", "3", "--progress", "0"]);
    // A session that ended well had its provisioning answer committed
    // before our reply to it.
    let deadline = Instant::now() + support::sim::WAIT;
    while sim.stats()["sessions_completed"].as_u64() < Some(3) {
        assert!(Instant::now() < deadline, "{}", sim.stats());
        std::thread::sleep(Duration::from_millis(50));
    }
    let on_cpe = |name: &str| {
        sim.get_value("SIM000000", &format!("Device.ManagementServer.{name}"))
            .unwrap()
    };
    let (user, password) = (
        on_cpe("ConnectionRequestUsername"),
        on_cpe("ConnectionRequestPassword"),
    );
    assert!(user.starts_with("cwmp2usp-"), "{user}");
    assert_eq!(password.len(), 32, "generated, 128 bits");
    assert_eq!(on_cpe("PeriodicInformEnable"), "true");
    assert_eq!(on_cpe("PeriodicInformInterval"), "900");
    drop(sim);
    gw.kill_9();

    let (text, devices) = devices(data.path());
    assert_eq!(devices.len(), 3, "{text}");
    for d in &devices {
        assert_eq!(d["connection_request_credentials"], true, "{d}");
        assert!(d["provisioning"]["done_unix"].as_u64().is_some(), "{d}");
    }
    assert!(
        !text.contains(&password),
        "never print the password: {text}"
    );
}

#[test]
fn provision_none_leaves_devices_untouched() {
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start_in(data.path(), &["--cwmp-auth", "none", "--provision", "none"]);
    let r = report(Sim::start(
        &gw.cwmp_url(),
        &["--count", "2", "--duration", "2", "--progress", "0"],
    ));
    assert_eq!(r["sessions_completed"], 2, "{r}");
    assert_eq!(r["rpcs"], 0, "{r}");
    drop(gw);
    let (text, devices) = devices(data.path());
    assert_eq!(devices.len(), 2, "{text}");
    for d in &devices {
        assert_eq!(d["connection_request_credentials"], false, "{d}");
        assert_eq!(d["provisioning"], "needed", "{d}");
    }
}

#[test]
fn a_devices_own_credentials_work_for_it_alone() {
    let data = tempfile::tempdir().unwrap();
    let csv = data.path().join("creds.csv");
    std::fs::write(
        &csv,
        "oui,product_class,serial,username,password\n\
         00D09E,SimGateway,SIM000000,dev0,\"pw0,secret\"\n",
    )
    .unwrap();
    let import = || {
        support::sim::bin()
            .args(["credentials", "import", "--data-dir"])
            .arg(data.path())
            .arg(&csv)
            .output()
            .unwrap()
    };
    let out = import();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("pw0"));

    let gw = Gateway::start_in(data.path(), &["--cwmp-password", "s3cret"]);
    // Once ready, the running gateway holds the registry: a second import
    // is refused.
    gw.ready();
    let busy = import();
    assert!(!busy.status.success());
    let err = String::from_utf8_lossy(&busy.stderr);
    assert!(err.contains("Stop it first"), "{err}");

    let sim = |prefix: &str, user: &str, password: &str| {
        report(Sim::start(
            &gw.cwmp_url(),
            &[
                "--serial-prefix",
                prefix,
                "--acs-user",
                user,
                "--acs-password",
                password,
                "--duration",
                "2",
                "--progress",
                "0",
            ],
        ))
    };
    let own = sim("SIM", "dev0", "pw0,secret");
    assert_eq!(own["sessions_completed"], 1, "{own}");
    let shared = sim("OTHER", "cpe", "s3cret");
    assert_eq!(shared["sessions_completed"], 1, "{shared}");
    // dev0's credentials, another device's identity.
    let stolen = sim("OTHER", "dev0", "pw0,secret");
    assert_eq!(stolen["sessions_completed"], 0, "{stolen}");
    let log = gw.stderr();
    assert!(
        log.lines().any(|l| l.contains("refused")
            && l.contains("user=\"dev0\"")
            && l.contains("device=os::00D09E-OTHER000000")
            && l.contains("credentials_of=os::00D09E-SIM000000")),
        "{log}"
    );
    assert!(!log.contains("pw0"), "{log}");
}

//! `cwmp2usp run` over HTTPS, and its configuration file, against the real
//! `cwmp2usp sim`; every listener on 127.0.0.1.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::gateway::Gateway;
use support::http;
use support::sim::{bin, free_port, Sim};
use support::tls::Pki;

fn report(sim: Sim) -> serde_json::Value {
    let (status, out, err) = sim.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "sim failed: {err}");
    let line = out.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("report not JSON ({e}): {out}"))
}

/// `run` with an HTTPS listener on a free port, plus `extra`.
fn tls_gateway(pki: &Pki, extra: &[&str]) -> Gateway {
    let (cert, key) = (pki.arg("server.crt"), pki.arg("server.key"));
    let mut args = vec![
        "--cwmp-tls-listen",
        "127.0.0.1:0",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ];
    args.extend_from_slice(extra);
    Gateway::start(&args)
}

/// A short HTTPS fleet run trusting the test CA.
fn https_sim(pki: &Pki, url: &str, extra: &[&str]) -> serde_json::Value {
    let ca = pki.arg("ca.pem");
    let mut args = vec!["--acs-ca", &ca, "--duration", "2", "--progress", "0"];
    args.extend_from_slice(extra);
    report(Sim::start(url, &args))
}

/// Whole sessions only: none failed, every Inform acknowledged.
fn assert_clean(r: &serde_json::Value, at_least: u64) {
    assert_eq!(r["sessions_failed"], 0, "{r}");
    assert!(r["sessions_completed"].as_u64().unwrap() >= at_least, "{r}");
    assert_eq!(r["informs_acknowledged"], r["sessions_completed"], "{r}");
}

#[test]
fn fleets_complete_sessions_over_https_with_digest_and_with_basic() {
    let pki = Pki::new();
    for auth in ["digest", "basic"] {
        let gw = tls_gateway(
            &pki,
            &[
                "--cwmp-listen",
                "none",
                "--cwmp-auth",
                auth,
                "--cwmp-password",
                "s3cret",
            ],
        );
        assert!(gw.ready().get("cwmp").is_none(), "{}", gw.ready());
        let url = gw.cwmps_url();
        assert!(url.starts_with("https://127.0.0.1:"), "{url}");
        let creds = ["--acs-user", "cpe", "--acs-password", "s3cret"];
        let mut extra = vec!["--count", "20", "--interval", "1"];
        extra.extend_from_slice(&creds);
        assert_clean(&https_sim(&pki, &url, &extra), 20);
        // (A handshake cut short by the fleet's exit may count as failed.)
        assert_eq!(gw.stop()["auth_failures"], 0, "{auth}");
    }
}

/// The gateway's `Authorization` for `user:password` in answer to `challenge`.
fn answer(challenge: &str, url: &str, password: &str) -> String {
    let (_, path) = http::split_url(url);
    httpauth::client::respond(challenge, "POST", &path, "cpe", password, "0a4f113b", 1).unwrap()
}

#[test]
fn basic_stays_off_plain_http_unless_allowed() {
    let pki = Pki::new();
    // Both listeners: plain HTTP asks for Digest and refuses Basic.
    let gw = tls_gateway(&pki, &["--cwmp-auth", "basic", "--cwmp-password", "s3cret"]);
    let plain = gw.cwmp_url();
    let first = http::request("POST", &plain, &[], "");
    assert_eq!(first.status, 401);
    let offered = first.headers_named("WWW-Authenticate").join(", ");
    assert!(
        offered.starts_with("Digest") && !offered.contains("Basic"),
        "{offered}"
    );
    let basic = answer("Basic realm=\"cwmp2usp\"", &plain, "s3cret");
    let sent = http::request("POST", &plain, &[("Authorization", &basic)], "");
    assert_eq!(sent.status, 401, "Basic accepted over plain HTTP");
    // CPE that answer the Digest challenge still get in over plain HTTP...
    let creds = ["--acs-user", "cpe", "--acs-password", "s3cret"];
    let mut args = vec!["--count", "3", "--duration", "2", "--progress", "0"];
    args.extend_from_slice(&creds);
    assert_clean(&report(Sim::start(&plain, &args)), 3);
    // ... and the same fleet uses Basic over HTTPS.
    let mut extra = vec!["--count", "3"];
    extra.extend_from_slice(&creds);
    assert_clean(&https_sim(&pki, &gw.cwmps_url(), &extra), 3);
    assert_eq!(gw.stop()["auth_failures"], 1);

    // Plain HTTP alone with Basic: refused at startup, saying why.
    let out = bin()
        .args(["run", "--cwmp-listen", "127.0.0.1:0", "--duration", "5"])
        .args(["--cwmp-auth", "basic", "--cwmp-password", "s3cret"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("clear text") && err.contains("--allow-basic-over-http"),
        "{err}"
    );

    // Unless the operator insists.
    let gw = Gateway::start(&[
        "--cwmp-auth",
        "basic",
        "--cwmp-password",
        "s3cret",
        "--allow-basic-over-http",
    ]);
    let url = gw.cwmp_url();
    let first = http::request("POST", &url, &[], "");
    assert_eq!(
        first.headers_named("WWW-Authenticate"),
        ["Basic realm=\"cwmp2usp\""]
    );
    let basic = answer(first.headers_named("WWW-Authenticate")[0], &url, "s3cret");
    assert_ne!(
        http::request("POST", &url, &[("Authorization", &basic)], "").status,
        401
    );
}

#[test]
fn a_client_ca_admits_only_cpe_with_its_certificates() {
    let pki = Pki::new();
    let ca = pki.arg("client-ca.pem");
    let gw = tls_gateway(
        &pki,
        &[
            "--cwmp-auth",
            "none",
            "--tls-client-ca",
            &ca,
            "--cwmp-listen",
            "none",
        ],
    );
    let url = gw.cwmps_url();
    let (cert, key) = (pki.arg("client.crt"), pki.arg("client.key"));
    let (other_cert, other_key) = (pki.arg("stranger.crt"), pki.arg("stranger.key"));
    for refused in [
        vec![],
        vec!["--client-cert", &other_cert, "--client-key", &other_key],
    ] {
        let r = https_sim(&pki, &url, &refused);
        assert_eq!(r["sessions_completed"], 0, "{refused:?}: {r}");
        assert_eq!(r["informs_acknowledged"], 0, "{refused:?}: {r}");
    }
    let r = https_sim(
        &pki,
        &url,
        &["--count", "5", "--client-cert", &cert, "--client-key", &key],
    );
    assert_clean(&r, 5);
    let g = gw.stop();
    assert!(g["tls_handshake_failures"].as_u64().unwrap() >= 2, "{g}");
    assert!(g["sessions_completed"].as_u64().unwrap() >= 5, "{g}");
}

/// Writes `bytes` to the TLS port and reads until the gateway closes;
/// what came back, if anything.
fn send_raw(addr: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    // Far above the gateway's 1 s handshake limit: a hang fails the test.
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(bytes).unwrap();
    let mut back = Vec::new();
    match s.read_to_end(&mut back) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the gateway kept the connection open: {e}"),
    }
    back
}

#[test]
fn garbage_on_the_tls_port_does_not_disturb_the_next_session() {
    let pki = Pki::new();
    let gw = tls_gateway(
        &pki,
        &["--cwmp-auth", "none", "--tls-handshake-timeout", "1"],
    );
    let url = gw.cwmps_url();
    let addr = url.trim_start_matches("https://").trim_end_matches('/');
    let plain_http = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    assert!(!send_raw(addr, plain_http).starts_with(b"HTTP"));
    let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    send_raw(addr, &noise);
    // A TLS record header announcing a ClientHello that never comes.
    send_raw(addr, &[0x16, 0x03, 0x01, 0x02, 0x00]);
    assert_clean(&https_sim(&pki, &url, &["--count", "5"]), 5);
    // The plain listener is unaffected too.
    let plain = report(Sim::start(
        &gw.cwmp_url(),
        &["--count", "5", "--duration", "2", "--progress", "0"],
    ));
    assert_clean(&plain, 5);
    let g = gw.stop();
    assert!(g["tls_handshake_failures"].as_u64().unwrap() >= 3, "{g}");
}

#[test]
fn bad_tls_files_and_flags_are_clear_startup_errors() {
    let pki = Pki::new();
    let missing = pki.arg("missing.pem");
    let junk = pki.write("junk.pem", "junk").to_str().unwrap().to_string();
    let (cert, key) = (pki.arg("server.crt"), pki.arg("server.key"));
    let wrong_key = pki.arg("client.key");
    let cases: [(&[&str], &str); 5] = [
        (&["--tls-cert", &missing, "--tls-key", &key], "cannot read"),
        (&["--tls-cert", &junk, "--tls-key", &key], "no CERTIFICATE"),
        (
            &["--tls-cert", &cert, "--tls-key", &wrong_key],
            "does not belong",
        ),
        (
            &[
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
                "--tls-client-ca",
                &junk,
            ],
            "client CA",
        ),
        (&["--tls-cert", &cert], "needs --tls-cert and --tls-key"),
    ];
    for (extra, want) in cases {
        let out = bin()
            .args(["run", "--cwmp-auth", "none", "--duration", "5"])
            .args(["--cwmp-tls-listen", "127.0.0.1:0"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("cwmp2usp run: ") && err.contains(want),
            "{err}"
        );
    }
    // The simulator: https needs a trust decision, TLS flags need https.
    for (acs, extra, want) in [
        ("https://127.0.0.1:1/", &[][..], "--acs-ca"),
        ("http://127.0.0.1:1/", &["--acs-insecure"][..], "https://"),
        (
            "https://127.0.0.1:1/",
            &["--acs-ca", missing.as_str()][..],
            "cannot read",
        ),
    ] {
        let out = bin()
            .args(["sim", "--acs", acs, "--duration", "1"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn the_example_config_is_overridden_by_env_and_flags() {
    // The shipped example: env beats its listen address, and its
    // `cwmp_auth = "digest"` holds with the password from the environment.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cwmp2usp.toml");
    let plain = format!("127.0.0.1:{}", free_port());
    let gw = Gateway::start_env(
        &["--config", example],
        &[
            ("CWMP2USP_CWMP_LISTEN", plain.as_str()),
            ("CWMP2USP_CWMP_PASSWORD", "from-env"),
        ],
    );
    assert_eq!(gw.cwmp_url(), format!("http://{plain}/"));
    assert!(gw.ready().get("cwmps").is_none());
    let creds = ["--acs-user", "cpe", "--acs-password", "from-env"];
    let mut args = vec!["--count", "2", "--duration", "2", "--progress", "0"];
    args.extend_from_slice(&creds);
    assert_clean(&report(Sim::start(&gw.cwmp_url(), &args)), 2);
    drop(gw);

    // A file turning TLS on: flag > env > file for the plain address, env >
    // file for the TLS one, and the file's `cwmp_auth = "none"` applies.
    let pki = Pki::new();
    let ports: Vec<String> = (0..5)
        .map(|_| format!("127.0.0.1:{}", free_port()))
        .collect();
    let config = pki.write(
        "run.toml",
        &format!(
            "cwmp_listen = \"{}\"\ncwmp_tls_listen = \"{}\"\ntls_cert = {:?}\n\
             tls_key = {:?}\ncwmp_auth = \"none\"\n",
            ports[0],
            ports[1],
            pki.arg("server.crt"),
            pki.arg("server.key"),
        ),
    );
    let gw = Gateway::start_env(
        &[
            "--config",
            config.to_str().unwrap(),
            "--cwmp-listen",
            &ports[4],
        ],
        &[
            ("CWMP2USP_CWMP_TLS_LISTEN", ports[2].as_str()),
            ("CWMP2USP_CWMP_LISTEN", ports[3].as_str()),
        ],
    );
    assert_eq!(gw.cwmp_url(), format!("http://{}/", ports[4]));
    assert_eq!(gw.cwmps_url(), format!("https://{}/", ports[2]));
    assert_clean(&https_sim(&pki, &gw.cwmps_url(), &["--count", "2"]), 2);

    // A broken file stops the gateway with its name and the key.
    let bad = pki.write(
        "bad.toml",
        "cwmp_listen = \"127.0.0.1:0\"\ntls_certificate = \"x\"\n",
    );
    let out = bin()
        .args(["run", "--config", bad.to_str().unwrap(), "--duration", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("unknown key `tls_certificate`"),
        "{err}"
    );
}

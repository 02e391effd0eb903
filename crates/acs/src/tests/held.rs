//! Session holds through the served ACS: the simulator's CPE runs a plan
//! of dependent RPCs, and a raw CPE hangs up while parked.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::northbound::{config, serve_acs, until, Acs, WAIT};
use super::woken::{booted, cpe, gpv, informs, provisioning, value_of};
use super::*;
use crate::server::WakeConfig;

const DEADLINE: Duration = Duration::from_secs(30);

fn requests(acs: &Acs) -> u64 {
    acs.counters.connection_requests.total()
}

/// The names directly under `path`, as the device reports them.
async fn names(acs: &Acs, device: &DeviceKey, path: &str) -> Vec<String> {
    let gpn = Body::GetParameterNames(GetParameterNames {
        parameter_path: path.to_string().into(),
        next_level: true,
    });
    match acs.handle.submit(device.clone(), gpn, DEADLINE).await {
        Ok(RpcOutcome::Response(Body::GetParameterNamesResponse(r))) => r
            .parameter_list
            .iter()
            .map(|p| p.name.to_string())
            .collect(),
        other => panic!("not a GetParameterNamesResponse: {other:?}"),
    }
}

/// Step two needs step one's answer: the version parameter's name is
/// learned from the device.
async fn plan(acs: &Acs, device: &DeviceKey) -> String {
    let learned = names(acs, device, "Device.DeviceInfo.").await;
    let name = learned
        .into_iter()
        .find(|n| n.ends_with(".SoftwareVersion"))
        .expect("the device names its SoftwareVersion");
    value_of(
        &acs.handle
            .submit(device.clone(), gpv(&name), DEADLINE)
            .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_plan_runs_in_one_session_and_an_unheld_one_in_two() {
    let held_long = EngineConfig {
        // However slow the test machine, the park never times out first.
        hold_max: WAIT,
        ..provisioning()
    };
    let acs = serve_acs(held_long, config(WakeConfig::default())).await;
    let device = cpe(&acs, "HOLD", |_| {}).await;
    booted(&acs, &device, true).await;
    let in_session = || acs.shared.engine.lock().unwrap().in_session(&device);

    let (informs_before, requests_before) = (informs(&acs), requests(&acs));
    let hold = acs.handle.hold(device.clone());
    let version = tokio::time::timeout(WAIT, plan(&acs, &device))
        .await
        .unwrap();
    assert!(!version.is_empty());
    assert!(in_session(), "still held: the session waits for more");
    assert_eq!(acs.shared.parking.len(), 1, "its POST is parked");
    drop(hold);
    until("the held session ended", || !in_session()).await;
    until("request counted", || requests(&acs) > requests_before).await;
    assert_eq!(informs(&acs), informs_before + 1, "one session");
    assert_eq!(
        requests(&acs),
        requests_before + 1,
        "one connection request"
    );
    assert_eq!(acs.counters.sessions_failed.load(Ordering::Relaxed), 0);
    assert_eq!(acs.shared.parking.len(), 0);
    assert_eq!(acs.shared.engine.lock().unwrap().holds(&device), 0);

    let (informs_before, requests_before) = (informs(&acs), requests(&acs));
    let again = tokio::time::timeout(WAIT, plan(&acs, &device))
        .await
        .unwrap();
    assert_eq!(again, version);
    until("both requests counted", || {
        requests(&acs) == requests_before + 2
    })
    .await;
    assert_eq!(informs(&acs), informs_before + 2, "a session per step");
}

/// A keep-alive HTTP/1.1 client for one connection, just enough for CWMP.
struct RawCpe {
    stream: TcpStream,
    addr: SocketAddr,
}

impl RawCpe {
    async fn post(&mut self, cookie: Option<&str>, body: &[u8]) -> (u16, String) {
        let cookie = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\n{cookie}Content-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await.unwrap();
        self.stream.write_all(body).await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = self.stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before a response");
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got).to_string();
        let header = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
        };
        let length: usize = header("content-length:").map_or(0, |v| v.parse().unwrap());
        let body_start = text.find("\r\n\r\n").unwrap() + 4;
        let mut have = got.len() - body_start;
        while have < length {
            let n = self.stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed mid-body");
            have += n;
        }
        let cookie = header("set-cookie:").map_or(String::new(), |v| {
            v.split(';').next().unwrap_or_default().to_string()
        });
        (text[9..12].parse().unwrap(), cookie)
    }
}

#[tokio::test]
async fn a_cpe_that_hangs_up_while_parked_ends_its_session_and_the_wait() {
    let acs = serve_acs(
        EngineConfig {
            hold_max: WAIT,
            ..EngineConfig::default()
        },
        config(WakeConfig::default()),
    )
    .await;
    let addr: SocketAddr = acs.url["http://".len()..]
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let mut cpe = RawCpe {
        stream: TcpStream::connect(addr).await.unwrap(),
        addr,
    };
    let hold = acs.handle.hold(key("SN1"));
    let (status, cookie) = cpe
        .post(None, &inform_xml("SN1", &["2 PERIODIC"], "1"))
        .await;
    assert_eq!(status, 200);
    assert!(!cookie.is_empty());
    // The empty POST gets no answer: the test sends it and hangs up.
    let head =
        format!("POST / HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Length: 0\r\n\r\n");
    cpe.stream.write_all(head.as_bytes()).await.unwrap();
    until("parked", || acs.shared.parking.len() == 1).await;
    drop(cpe);
    until("the wait ended", || acs.shared.parking.len() == 0).await;
    until("the session ended", || {
        acs.counters.sessions_failed.load(Ordering::Relaxed) == 1
    })
    .await;
    assert!(!acs.shared.engine.lock().unwrap().in_session(&key("SN1")));
    drop(hold);
    assert_eq!(acs.shared.engine.lock().unwrap().holds(&key("SN1")), 0);
}

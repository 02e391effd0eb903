//! Asynchronous commands on a CPE, end to end: a controller on the
//! WebSocket server MTP operates firmware Download() and IPPing() on a
//! simulated CPE through the real `cwmp2usp run`. Each answer names a
//! `Device.LocalAgent.Request.{i}.` that a Get shows while the CPE works
//! and that goes once the CPE reports the end (TransferComplete, "8
//! DIAGNOSTICS COMPLETE").

mod support;

use std::time::{Duration, Instant};

use support::gateway::Gateway;
use support::sim::WAIT;
use support::usp_ws::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use usp::proto::usp::operate_resp::operation_result::OperationResp;
use usp::proto::usp::response::RespType;

const SERIAL: &str = "SIM000000";

/// Serves a small firmware file to whoever asks, on loopback.
async fn file_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = vec![0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut head)).await;
                let body = [0xA5u8; 512];
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
                let _ = conn.write_all(&body).await;
            });
        }
    });
    format!("http://{addr}/fw.bin")
}

async fn operate(ws: &mut Ws, id: &str, command: &str, inputs: &[(&str, &str)]) -> OperationResp {
    let op = usp::msg::operate(id, command, "e2e-key", true, inputs.iter().copied());
    let answer = request(ws, &op).await;
    let Some(RespType::OperateResp(r)) = answer.response() else {
        panic!("{answer:?}")
    };
    r.operation_results[0].operation_resp.clone().unwrap()
}

/// The agent's Requests as (path, Command, Status).
async fn requests(ws: &mut Ws, id: &str) -> Vec<(String, String, String)> {
    let get = usp::msg::get(id, ["Device.LocalAgent.Request."], 0);
    let values = get_values(&request(ws, &get).await);
    let mut out: Vec<(String, String, String)> = Vec::new();
    for (obj, name, value) in values {
        let i = match out.iter().position(|r| r.0 == obj) {
            Some(i) => i,
            None => {
                out.push((obj.clone(), String::new(), String::new()));
                out.len() - 1
            }
        };
        match name.as_str() {
            "Command" => out[i].1 = value,
            "Status" => out[i].2 = value,
            _ => {}
        }
    }
    out
}

/// Polls until the agent has no Request left.
async fn until_no_request(ws: &mut Ws, what: &str) {
    let start = Instant::now();
    for n in 0.. {
        if requests(ws, &format!("poll-{what}-{n}")).await.is_empty() {
            return;
        }
        assert!(start.elapsed() < WAIT, "{what}: the Request never went");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_and_ipping_are_requests_until_the_cpe_reports_their_end() {
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    let (sim, mut ws) = cpe_and_controller(&gw).await;
    let url = file_server().await;

    // Firmware Download(): a Download RPC, then the CPE's TransferComplete.
    let command = "Device.DeviceInfo.FirmwareImage.2.Download()";
    let inputs = [("URL", url.as_str()), ("AutoActivate", "true")];
    let r = operate(&mut ws, "dl-1", command, &inputs).await;
    let path = "Device.LocalAgent.Request.1.";
    assert_eq!(r, OperationResp::ReqObjPath(path.into()));
    // Shown while the CPE works (it may already be done: then it is gone).
    let now = requests(&mut ws, "r1").await;
    assert!(
        now.is_empty() || now == [(path.into(), command.into(), "Active".into())],
        "{now:?}"
    );
    until_no_request(&mut ws, "download").await;

    // AutoActivate=false cannot be said in CWMP: refused, nothing opened.
    let refused = operate(
        &mut ws,
        "dl-2",
        command,
        &[("URL", url.as_str()), ("AutoActivate", "false")],
    )
    .await;
    assert!(matches!(refused, OperationResp::CmdFailure(ref f) if f.err_code == 7004));
    assert!(requests(&mut ws, "r2").await.is_empty());

    // IPPing(): an SPV of the inputs, then "8 DIAGNOSTICS COMPLETE".
    let ping = "Device.IP.Diagnostics.IPPing()";
    let r = operate(
        &mut ws,
        "p-1",
        ping,
        &[("Host", "192.0.2.7"), ("NumberOfRepetitions", "3")],
    )
    .await;
    assert_eq!(
        r,
        OperationResp::ReqObjPath("Device.LocalAgent.Request.3.".into())
    );
    assert_eq!(
        sim.get_value(SERIAL, "Device.IP.Diagnostics.IPPing.Host")
            .as_deref(),
        Some("192.0.2.7")
    );
    until_no_request(&mut ws, "ipping").await;
    assert_eq!(
        sim.get_value(SERIAL, "Device.IP.Diagnostics.IPPing.DiagnosticsState")
            .as_deref(),
        Some("Complete")
    );
    // The outputs are kept for the OperationComplete (issue 7): logged.
    // The log line may trail the Request's removal by a moment.
    let start = Instant::now();
    let log = loop {
        let log = gw.stderr();
        if log.contains("SuccessCount") || start.elapsed() > WAIT {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(log.contains("command complete"), "{log}");
    assert!(log.contains("SuccessCount"), "{log}");
}

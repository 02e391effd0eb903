//! `cwmp2usp demo`: the whole gateway on loopback with nothing installed.
//! `cwmp2usp run` (a real process of this same binary: the ACS, the
//! registry, a USP agent per CPE and the USP WebSocket server) and a fleet
//! of simulated TR-181 CPE in this process. The CPE boot, authenticate
//! with Digest, are registered and provisioned; their agents come up; the
//! demo asks one of them for its LocalAgent as a USP controller would, then
//! prints how any controller reaches them.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::Parser as _;

use crate::usp_link::Link;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Simulated TR-181 CPE, each a USP agent.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=5000))]
    count: u32,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_parser = clap::value_parser!(u64).range(3..=86_400))]
    duration: Option<u64>,
}

/// A child that is killed if the demo stops early.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn me() -> anyhow::Result<Command> {
    Ok(Command::new(
        std::env::current_exe().context("locating this binary")?,
    ))
}

/// The next line of `out`, as JSON (a child's `ready` line).
fn ready_line(out: &mut impl BufRead, what: &str) -> anyhow::Result<serde_json::Value> {
    let mut line = String::new();
    // A ready line is short; anything longer is not one.
    out.take(4096)
        .read_line(&mut line)
        .with_context(|| format!("reading {what}'s ready line"))?;
    serde_json::from_str(&line).with_context(|| format!("{what} did not start: {line:?}"))
}

const PASSWORD: &str = "demo-shared-secret";
const PREFIX: &str = "DEMO";
/// What the demo's controller calls itself.
const CONTROLLER: &str = "self::cwmp2usp-demo";

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let data = tempfile::tempdir().context("creating a data directory")?;
    let mut gw = me()?;
    gw.args(["run", "--cwmp-listen", "127.0.0.1:0"])
        .args([
            "--cwmp-password",
            PASSWORD,
            "--periodic-inform-interval",
            "30",
        ])
        .arg("--data-dir")
        .arg(data.path());
    if let Some(d) = args.duration {
        // The gateway outlives the fleet by a little so every session ends.
        gw.args(["--duration", &(d + 3).to_string()]);
    }
    let mut gw = Proc(
        gw.stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the gateway")?,
    );
    let mut gw_out = BufReader::new(gw.0.stdout.take().context("the gateway has no stdout")?);
    let ready = ready_line(&mut gw_out, "the gateway")?;
    let (Some(acs), Some(ws)) = (ready["cwmp"].as_str(), ready["usp_ws"].as_str()) else {
        bail!("the gateway's ready line lacks its addresses: {ready}");
    };
    println!("gateway: ACS on {acs}, USP agents on {ws}, registry in a temporary directory");

    let sim = crate::sim_cmd::SimCli::try_parse_from([
        "sim",
        "--acs",
        acs,
        "--model",
        "tr181",
        "--serial-prefix",
        PREFIX,
        "--acs-user",
        "cpe",
        "--acs-password",
        PASSWORD,
        "--count",
        &args.count.to_string(),
        "--boot-spread",
        "2",
        "--progress",
        "0",
    ])
    .context("the demo's fleet settings")?;
    let (opts, profile) = crate::sim_cmd::options(&sim.args)?;
    println!(
        "fleet: {} simulated TR-181 CPE ({PREFIX}...) booting",
        args.count
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let first = format!("os::{}-{PREFIX}000000", opts.cpe.oui);
    let url = ws.replace("{eid}", &first);
    let duration = args.duration.map(Duration::from_secs);
    let report = rt.block_on(async {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let fleet = tokio::spawn(sim::driver::run(
            opts,
            profile.into_shared(),
            |_| {},
            async {
                let _ = stop_rx.await;
            },
        ));
        let started = Instant::now();
        ask_an_agent(&url, &first).await;
        println!(
            "\nEvery CPE is now a USP agent. Reach one as a USP controller over WebSocket\n\
             (subprotocol v1.usp, your controller's endpoint ID in ?eid=):\n\n  {url}\n\n\
             or with this binary as the controller:\n\n  \
             cargo run --release -- usp --ws {url} get Device.LocalAgent.\n"
        );
        match duration {
            Some(d) => tokio::time::sleep(d.saturating_sub(started.elapsed())).await,
            None => {
                println!("running until Ctrl-C");
                crate::sim_cmd::stop_signal().await;
            }
        }
        let _ = stop_tx.send(());
        fleet.await
    });
    match report {
        Ok(Ok(r)) => println!(
            "fleet: {} sessions completed, {} failed, Inform round trip p50 {} ms",
            r["sessions_completed"], r["sessions_failed"], r["inform_rtt_ms"]["p50"]
        ),
        Ok(Err(e)) => println!("fleet: stopped with an error: {e}"),
        Err(e) => println!("fleet: {e}"),
    }
    rt.shutdown_timeout(Duration::from_millis(200));
    if args.duration.is_some() {
        let gw_report = gw_out
            .lines()
            .map_while(Result::ok)
            .last()
            .unwrap_or_default();
        let _ = gw.0.wait();
        println!("gateway report: {gw_report}");
    } else {
        drop(gw);
    }
    list_devices(data.path())
}

/// What the demo's controller asks: one parameter the gateway owns, the
/// rest the CPE's own (read live over CWMP: the gateway wakes the CPE).
const DEMO_PATHS: &[&str] = &[
    "Device.LocalAgent.EndpointID",
    "Device.DeviceInfo.ModelName",
    "Device.DeviceInfo.SoftwareVersion",
    "Device.WiFi.SSID.*.SSID",
];

/// Waits for the first CPE's agent and asks it, as a controller would;
/// prints what came back.
async fn ask_an_agent(url: &str, eid: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut link = loop {
        match Link::websocket(url, CONTROLLER, Duration::from_secs(5)).await {
            Ok(l) => break l,
            // 404 until the CPE's first Inform brings its agent up.
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(e) => {
                println!("controller: could not reach {eid}: {e:#}");
                return;
            }
        }
    };
    let msg = usp::msg::get("demo-1", DEMO_PATHS.iter().copied(), 0);
    let record = usp::record::no_session_context(eid, CONTROLLER, &msg);
    let answer = async {
        link.send(usp::encode_record(&record).into()).await?;
        link.answer_to("demo-1").await
    };
    let answer = match tokio::time::timeout(Duration::from_secs(10), answer).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return println!("controller: {e:#}"),
        Err(_) => return println!("controller: no answer from {eid}"),
    };
    let msg = usp::decode_record(&answer).ok().and_then(|d| d.msg);
    let Some(usp::proto::usp::response::RespType::GetResp(resp)) =
        msg.as_ref().and_then(|m| m.response())
    else {
        return println!("controller: unexpected answer from {eid}: {msg:?}");
    };
    let params: Vec<(String, String)> = resp
        .req_path_results
        .iter()
        .flat_map(|r| &r.resolved_path_results)
        .flat_map(|r| {
            r.result_params
                .iter()
                .map(|(k, v)| (format!("{}{k}", r.resolved_path), v.clone()))
        })
        .collect();
    println!(
        "controller {CONTROLLER} → {eid}: Get {} answered {} parameters (the CPE's read live over CWMP):",
        DEMO_PATHS.join(" "),
        params.len()
    );
    for (k, v) in &params {
        println!("  {k} = {v}");
    }
    for r in resp.req_path_results.iter().filter(|r| r.err_code != 0) {
        println!("  {}: error {} {}", r.requested_path, r.err_code, r.err_msg);
    }
}

/// What `cwmp2usp devices` shows of the registry, summarised.
fn list_devices(data: &Path) -> anyhow::Result<()> {
    let out = me()?
        .args(["devices", "--data-dir"])
        .arg(data)
        .output()
        .context("listing the registry")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let devices: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let provisioned = devices
        .iter()
        .filter(|d| d["connection_request_credentials"] == true)
        .count();
    println!(
        "registry: {} devices, {provisioned} provisioned with their own connection-request credentials",
        devices.len()
    );
    println!("next: docs/simulator.md for labs, README.md for `cwmp2usp run` in production");
    Ok(())
}

//! `cwmp2usp demo`: the gateway's ACS and a mixed simulated fleet, both real
//! processes of this same binary on loopback, so a newcomer sees the whole
//! south side work with nothing installed: CPE boot, authenticate with
//! Digest, are registered durably and provisioned, then inform
//! periodically; the registry is listed at the end.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context as _};

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Simulated CPE per data model (TR-181 and TR-098 fleets).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=5000))]
    count: u32,
    /// Seconds the fleet runs.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(3..=3600))]
    duration: u64,
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

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let data = tempfile::tempdir().context("creating a data directory")?;
    let password = "demo-shared-secret";
    // The gateway outlives the fleet by a little so every session ends.
    let gw_seconds = args.duration + 3;
    let mut gw = Proc(
        me()?
            .args([
                "run",
                "--cwmp-listen",
                "127.0.0.1:0",
                "--cwmp-password",
                password,
            ])
            .args(["--periodic-inform-interval", "5", "--duration"])
            .arg(gw_seconds.to_string())
            .arg("--data-dir")
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the gateway")?,
    );
    let mut gw_out = BufReader::new(gw.0.stdout.take().context("the gateway has no stdout")?);
    let ready = ready_line(&mut gw_out, "the gateway")?;
    let Some(url) = ready["cwmp"].as_str().map(str::to_string) else {
        bail!("the gateway's ready line has no address: {ready}");
    };
    println!("gateway (ACS) listening on {url}, registry in a temporary directory");

    let mut fleets = Vec::new();
    for (model, prefix) in [("tr181", "T181-"), ("tr098", "T098-")] {
        println!(
            "starting {} simulated {model} CPE ({prefix}...) for {} s",
            args.count, args.duration
        );
        let child = me()?
            .args([
                "sim",
                "--acs",
                &url,
                "--model",
                model,
                "--serial-prefix",
                prefix,
            ])
            .args(["--acs-user", "cpe", "--acs-password", password])
            .args(["--count", &args.count.to_string(), "--boot-spread", "2"])
            .args(["--progress", "0", "--duration", &args.duration.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the simulator")?;
        fleets.push((model, Proc(child)));
    }
    for (model, mut fleet) in fleets {
        let out = fleet
            .0
            .stdout
            .take()
            .context("the simulator has no stdout")?;
        let report = BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
            .find(|v| v["event"] == "report");
        let _ = fleet.0.wait();
        match report {
            Some(r) => println!(
                "{model} fleet: {} sessions completed, {} failed, Inform round trip p50 {} ms",
                r["sessions_completed"], r["sessions_failed"], r["inform_rtt_ms"]["p50"]
            ),
            None => println!("{model} fleet: no report"),
        }
    }
    let gw_report = gw_out
        .lines()
        .map_while(Result::ok)
        .last()
        .unwrap_or_default();
    let _ = gw.0.wait();
    println!("gateway report: {gw_report}");
    list_devices(data.path())
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
    for d in devices.iter().take(2) {
        println!("  {d}");
    }
    println!("next: docs/simulator.md for labs, README.md for `cwmp2usp run` in production");
    Ok(())
}

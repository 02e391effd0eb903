//! `cwmp2usp sim`: the CPE fleet simulator's command line.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{ArgAction, Args};
use sim::driver::tls::TlsOptions;
use sim::driver::{FleetOptions, HttpUrl};
use sim::{CpeConfig, Profile};

/// `sim`'s flags on their own, for commands that run a fleet in-process.
#[derive(clap::Parser, Debug)]
pub(crate) struct SimCli {
    #[command(flatten)]
    pub args: SimArgs,
}

#[derive(Args, Debug)]
pub struct SimArgs {
    /// ACS URL the CPE inform to (http[s]://host:port/path).
    #[arg(long, value_name = "URL")]
    acs: String,
    /// For an https:// ACS: trust its certificate if it chains to one in
    /// this PEM file (a CA, or the ACS's own self-signed certificate).
    #[arg(long, value_name = "FILE", conflicts_with = "acs_insecure")]
    acs_ca: Option<PathBuf>,
    /// For an https:// ACS: accept any certificate (labs only).
    #[arg(long)]
    acs_insecure: bool,
    /// For an https:// ACS: never resume TLS sessions, so that every
    /// connection is a full handshake. Otherwise each CPE keeps its own
    /// session, as a real one does, and resumes it when the ACS allows.
    #[arg(long)]
    no_tls_resumption: bool,
    /// Client certificate chain (PEM) shown to an ACS that asks for one.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// Private key (PEM) of --client-cert.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// Number of simulated CPE.
    #[arg(long, default_value_t = 1, value_name = "N")]
    count: u32,
    /// Data model: `tr181`, `tr098` (built in) or a .json/.csv profile file.
    #[arg(long, default_value = "tr181", value_name = "tr181|tr098|FILE")]
    model: String,
    /// Serial numbers are this prefix plus a 6-digit index (SIM000000, ...).
    #[arg(long, default_value = "SIM", value_name = "P")]
    serial_prefix: String,
    /// Credentials answered to the ACS's 401 challenge (Digest or Basic, as the ACS asks).
    #[arg(long, default_value = "", value_name = "U")]
    acs_user: String,
    #[arg(long, default_value = "", value_name = "P")]
    acs_password: String,
    /// CWMP namespace version of every message.
    #[arg(long, default_value = "1.2", value_name = "1.0..1.4")]
    cwmp_version: String,
    /// Periodic inform interval in seconds; 0 = a new session as soon as
    /// the previous one ends (load generation).
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    interval: u64,
    /// Control API address.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    control_listen: SocketAddr,
    /// Connection-request listener address (one port, /cr/<serial> paths).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    cr_listen: SocketAddr,
    /// Exit after this many seconds, printing the report.
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Authentication required on connection requests.
    #[arg(long, default_value = "digest", value_parser = ["none", "digest"])]
    cr_auth: String,
    #[arg(long, default_value = "cwmp2usp", value_name = "U")]
    cr_user: String,
    #[arg(long, default_value = "cwmp2usp", value_name = "P")]
    cr_password: String,
    /// Send back the cookies the ACS sets.
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "true|false")]
    echo_cookies: bool,
    /// Delay before answering each ACS RPC.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    think_time_ms: u64,
    /// Spread the first boots evenly over this many seconds (0: all at once).
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    boot_spread: f64,
    #[arg(long, default_value = "00D09E")]
    oui: String,
    #[arg(long, default_value = "cwmp2usp")]
    manufacturer: String,
    #[arg(long, default_value = "SimGateway")]
    product_class: String,
    /// Fault injection: close the connection instead of answering the
    /// ACS's RPC number N+1 in a session (0: the first).
    #[arg(long, value_name = "N")]
    fault_drop_after_rpc: Option<u32>,
    /// Fault injection: probability (0..1) of closing the connection at each ACS RPC.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    fault_drop_probability: f64,
    /// Fault injection: answer METHOD with CWMP fault CODE (repeatable).
    #[arg(long, value_name = "METHOD=CODE")]
    fault_rpc: Vec<String>,
    /// Fault injection: answer every connection request 503.
    #[arg(long)]
    refuse_cr: bool,
    /// Fault injection: refuse active notification (fault 9009) on the
    /// parameters matching PATTERN (`*`: any characters; repeatable).
    #[arg(long, value_name = "PATTERN")]
    reject_notification: Vec<String>,
    /// CWMPRetryMinimumWaitInterval, seconds.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    retry_min_wait: f64,
    /// CWMPRetryIntervalMultiplier (2000 doubles the wait per attempt).
    #[arg(long, default_value_t = 2000, value_name = "PER_MILLE")]
    retry_multiplier: u32,
    /// How long a reboot takes.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    reboot_delay_ms: u64,
    /// Do not send "0 BOOTSTRAP" on first boot.
    #[arg(long)]
    no_bootstrap: bool,
    /// Sessions in flight at once, fleet-wide.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    max_sessions: usize,
    /// Time limit of each HTTP exchange with the ACS, seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    http_timeout: f64,
    /// Progress line on stderr every this many seconds (0: never).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    progress: f64,
    /// Worker threads (0: one per core). 1 runs everything on one thread,
    /// like `wrk -t1`, which is how load figures compare per core.
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
}

fn seconds(flag: &str, v: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(v).with_context(|| format!("--{flag}: {v} is not a duration"))
}

fn parse_version(v: &str) -> anyhow::Result<cwmp::CwmpVersion> {
    use cwmp::CwmpVersion::*;
    Ok(match v {
        "1.0" => V1_0,
        "1.1" => V1_1,
        "1.2" => V1_2,
        "1.3" => V1_3,
        "1.4" => V1_4,
        other => bail!("--cwmp-version: {other:?} is not one of 1.0, 1.1, 1.2, 1.3, 1.4"),
    })
}

fn parse_fault_rpc(items: &[String]) -> anyhow::Result<HashMap<String, u32>> {
    let mut out = HashMap::new();
    for item in items {
        let (method, code) = item
            .split_once('=')
            .with_context(|| format!("--fault-rpc: {item:?} is not METHOD=CODE"))?;
        let code: u32 = code
            .parse()
            .ok()
            .filter(|c| (9000..=9899).contains(c))
            .with_context(|| {
                format!("--fault-rpc: {code:?} is not a CPE fault code (9000-9899)")
            })?;
        out.insert(method.to_string(), code);
    }
    Ok(out)
}

/// Builds the fleet options; every bad flag is an error here, before any
/// socket is opened.
pub(crate) fn options(a: &SimArgs) -> anyhow::Result<(FleetOptions, Profile)> {
    HttpUrl::parse(&a.acs).with_context(|| format!("--acs {:?}", a.acs))?;
    if a.count == 0 {
        bail!("--count must be at least 1");
    }
    if !(0.0..=1.0).contains(&a.fault_drop_probability) {
        bail!("--fault-drop-probability must be between 0 and 1");
    }
    if a.retry_multiplier < 1000 {
        bail!("--retry-multiplier must be at least 1000");
    }
    let profile =
        Profile::from_model_arg(&a.model).with_context(|| format!("--model {:?}", a.model))?;
    let cpe = CpeConfig {
        version: parse_version(&a.cwmp_version)?,
        acs_user: a.acs_user.clone(),
        acs_password: a.acs_password.clone(),
        manufacturer: a.manufacturer.clone(),
        oui: a.oui.clone(),
        product_class: a.product_class.clone(),
        serial_prefix: a.serial_prefix.clone(),
        cr_user: a.cr_user.clone(),
        cr_password: a.cr_password.clone(),
        periodic_interval: Duration::from_secs(a.interval),
        periodic_jitter: true,
        echo_cookies: a.echo_cookies,
        think_time: Duration::from_millis(a.think_time_ms),
        retry_min_wait: seconds("retry-min-wait", a.retry_min_wait)?,
        retry_multiplier: a.retry_multiplier,
        reboot_delay: Duration::from_millis(a.reboot_delay_ms),
        bootstrap: !a.no_bootstrap,
        fault_rpc: parse_fault_rpc(&a.fault_rpc)?,
        fault_drop_after_rpc: a.fault_drop_after_rpc,
        fault_drop_probability: a.fault_drop_probability,
        refuse_cr: a.refuse_cr,
        reject_notification: a.reject_notification.clone(),
        ..CpeConfig::default()
    };
    let progress = seconds("progress", a.progress)?;
    let opts = FleetOptions {
        acs_url: a.acs.clone(),
        acs_tls: TlsOptions {
            ca: a.acs_ca.clone(),
            insecure: a.acs_insecure,
            client_cert: a.client_cert.clone().zip(a.client_key.clone()),
            no_resumption: a.no_tls_resumption,
        },
        count: a.count,
        cpe,
        control_listen: a.control_listen,
        cr_listen: a.cr_listen,
        cr_digest: a.cr_auth == "digest",
        duration: a.duration.map(|d| seconds("duration", d)).transpose()?,
        boot_spread: seconds("boot-spread", a.boot_spread)?,
        max_concurrent_sessions: a.max_sessions.max(1),
        http_timeout: seconds("http-timeout", a.http_timeout)?,
        progress_every: (!progress.is_zero()).then_some(progress),
        ..FleetOptions::default()
    };
    Ok((opts, profile))
}

pub(crate) async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the simulator; prints a `ready` JSON line, then the report line.
pub fn run(args: &SimArgs) -> anyhow::Result<()> {
    let (opts, profile) = options(args)?;
    let rt = match args.threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        0 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    }
    .context("starting the runtime")?;
    let report = rt.block_on(sim::driver::run(
        opts,
        profile.into_shared(),
        |ready| {
            let mut line = serde_json::json!({ "event": "ready" });
            if let (Some(obj), Ok(serde_json::Value::Object(r))) =
                (line.as_object_mut(), serde_json::to_value(ready))
            {
                obj.extend(r);
            }
            println!("{line}");
            eprintln!(
                "sim: {} CPE; control API {} ; connection requests {}<serial>",
                ready.count, ready.control, ready.connection_request_prefix
            );
        },
        stop_signal(),
    ))?;
    let mut line = serde_json::json!({ "event": "report" });
    if let (Some(obj), serde_json::Value::Object(r)) = (line.as_object_mut(), report) {
        obj.extend(r);
    }
    println!("{line}");
    rt.shutdown_timeout(Duration::from_millis(200));
    Ok(())
}

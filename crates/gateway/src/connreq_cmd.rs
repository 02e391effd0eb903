//! `cwmp2usp connreq`: wake one CPE by hand, the way the ACS will when an
//! RPC waits for it, and print what happened as one JSON line.

use std::net::SocketAddr;
use std::time::Duration;

use acs::connreq::RetryAfter;
use acs::{ConnectionRequestConfig, ConnectionRequestOutcome, ConnectionRequester};
use anyhow::Context as _;
use serde_json::{json, Map, Value};

#[derive(clap::Args, Debug)]
#[command(group(
    clap::ArgGroup::new("target").required(true).multiple(true).args(["url", "udp"])
))]
pub struct ConnreqArgs {
    /// The CPE's ConnectionRequestURL (`http://host:port/path`).
    url: Option<String>,
    /// ConnectionRequestUsername.
    #[arg(long, default_value = "")]
    user: String,
    /// ConnectionRequestPassword.
    #[arg(
        long,
        default_value = "",
        env = "CWMP2USP_CR_PASSWORD",
        hide_env_values = true
    )]
    password: String,
    /// Send a UDP connection request to this UDPConnectionRequestAddress
    /// (`host[:port]`): alone, or after the HTTP one found the CPE offline.
    #[arg(long, value_name = "HOST:PORT")]
    udp: Option<String>,
    /// Answer a Basic challenge too (sends the password in clear).
    #[arg(long)]
    basic: bool,
    /// Milliseconds allowed for the whole HTTP exchange.
    #[arg(long, default_value_t = 2000)]
    timeout_ms: u64,
    /// Copies of the UDP datagram.
    #[arg(long, default_value_t = 3)]
    udp_repeat: u32,
    /// Milliseconds between two copies.
    #[arg(long, default_value_t = 500)]
    udp_interval_ms: u64,
    /// Source address of the datagrams (behind NAT: the STUN server's).
    #[arg(long, value_name = "ADDR")]
    udp_bind: Option<SocketAddr>,
}

/// Prints the outcome line; `Ok(true)` when the CPE was woken (or, over
/// UDP, the datagrams left).
pub fn run(args: &ConnreqArgs) -> anyhow::Result<bool> {
    let requester = ConnectionRequester::new(ConnectionRequestConfig {
        timeout: Duration::from_millis(args.timeout_ms),
        allow_basic: args.basic,
        udp_repeat: args.udp_repeat,
        udp_interval: Duration::from_millis(args.udp_interval_ms),
        udp_bind: args.udp_bind,
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let line = rt.block_on(async {
        let mut http = None;
        if let Some(url) = &args.url {
            let outcome = requester.http(url, &args.user, &args.password).await;
            // UDP helps only a CPE that HTTP cannot reach (behind NAT);
            // any other answer already says what the CPE thinks.
            let fall_back = matches!(outcome, ConnectionRequestOutcome::Offline(_));
            let line = describe("http", url, &outcome);
            if args.udp.is_none() || !fall_back {
                return (line, outcome.is_ok());
            }
            http = Some(line);
        }
        let Some(address) = &args.udp else {
            return (Value::Null, false); // unreachable: clap requires a target
        };
        let outcome = requester.udp(address, &args.user, &args.password).await;
        let mut line = describe("udp", address, &outcome);
        if let (Some(mut first), Some(obj)) = (http, line.as_object_mut()) {
            if let Some(f) = first.as_object_mut() {
                f.remove("event");
            }
            obj.insert("http".into(), first);
        }
        (line, outcome.is_ok())
    });
    println!("{}", line.0);
    Ok(line.1)
}

fn describe(transport: &str, target: &str, outcome: &ConnectionRequestOutcome) -> Value {
    let mut o = Map::new();
    o.insert("event".into(), json!("connection_request"));
    o.insert("transport".into(), json!(transport));
    o.insert("target".into(), json!(target));
    o.insert("result".into(), json!(outcome.kind()));
    match outcome {
        ConnectionRequestOutcome::Unexpected(status) => {
            o.insert("status".into(), json!(status));
        }
        ConnectionRequestOutcome::RateLimited { retry_after } => {
            let v = match retry_after {
                Some(RetryAfter::Seconds(s)) => json!(s),
                Some(RetryAfter::Date(d)) => json!(d),
                None => Value::Null,
            };
            o.insert("retry_after".into(), v);
        }
        _ => {}
    }
    if let Some(reason) = outcome.reason() {
        o.insert("reason".into(), json!(reason));
    }
    Value::Object(o)
}

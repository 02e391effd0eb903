//! A load controller for USP Gets that the gateway translates to CWMP: it
//! opens one WebSocket to each of N agents on the gateway's WebSocket
//! server MTP, keeps K Gets outstanding, spread round-robin over the
//! agents (request n goes to agent n mod N, so with K < N no two requests
//! to one CPE are in flight together and every Get costs its CPE a
//! connection request and a CWMP session), matches each answer by msg_id
//! and prints one JSON line with throughput and latency percentiles.
//! Driven by `examples/load/usp-cwmp-get.sh`; figures go in
//! docs/benchmarks.md, never in tests.
//!
//! WebSocket rather than MQTT: the gateway serves it itself, so no broker
//! process shares the two cores with the gateway and the simulator, and
//! each Get crosses loopback twice instead of four times.
//!
//! ```sh
//! usp_cwmp_load --ws ws://127.0.0.1:7550/usp/agent/{eid} --agents 1000 \
//!     --path Device.DeviceInfo.ModelName --outstanding 64 --seconds 10
//! ```

use std::time::Duration;

use anyhow::{anyhow, Context as _};
use bytes::Bytes;
use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

#[path = "load_common/mod.rs"]
mod load_common;
use load_common::{closed_loop, Window};

/// Connections opened at once while connecting.
const CONNECTING: usize = 64;
/// Requests queued per agent connection (K is spread over N of them).
const PER_AGENT_QUEUE: usize = 16;

#[derive(Parser)]
struct Args {
    /// The gateway's agent URL; `{eid}` becomes each agent's endpoint ID.
    #[arg(long)]
    ws: String,
    /// Agents `<agent-prefix>000000` onwards (the simulator's serials).
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    #[arg(long, default_value = "os::00D09E-SIM")]
    agent_prefix: String,
    /// Our endpoint ID as controller.
    #[arg(long, default_value = "self::usp-cwmp-load")]
    from: String,
    /// Path(s) of each Get.
    #[arg(long, required = true)]
    path: Vec<String>,
    /// Requests kept in flight.
    #[arg(long, default_value_t = 1)]
    outstanding: usize,
    /// Measured seconds (after --warmup).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Answers before the warm-up (default: one per agent, so that the
    /// gateway knows every CPE's model, read once per device at its
    /// first request after a start).
    #[arg(long)]
    prime: Option<u64>,
    /// Seconds of load before measuring (after --prime).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// A request unanswered this long counts as lost and is replaced (the
    /// gateway gives up on a silent CPE after 8 s).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// NAME=PID: report that process's CPU per Get over the measured
    /// window (repeatable).
    #[arg(long, value_parser = parse_cpu_of)]
    cpu_of: Vec<(String, u32)>,
}

fn parse_cpu_of(s: &str) -> Result<(String, u32), String> {
    let (name, pid) = s.split_once('=').ok_or("expected NAME=PID")?;
    let pid = pid.parse().map_err(|_| format!("{pid:?} is not a PID"))?;
    Ok((name.to_owned(), pid))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // One thread: the controller should take as little as possible of
    // the cores the gateway and the simulator share.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let k = args.outstanding.max(1);
    let eids: Vec<String> = (0..args.agents.max(1))
        .map(|i| format!("{}{i:06}", args.agent_prefix))
        .collect();
    let (answer_tx, mut answers) = mpsc::channel(2 * k + 64);
    let links = futures_util::stream::iter(eids.iter())
        .map(|eid| open(&args.ws, eid, &args.from, answer_tx.clone()))
        .buffered(CONNECTING)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    drop(answer_tx);
    let send = |n: u64| -> anyhow::Result<()> {
        let i = usize::try_from(n % eids.len() as u64).unwrap_or(0);
        let msg = usp::msg::get(format!("L{n}"), args.path.iter().cloned(), 0);
        let record = usp::record::no_session_context(&eids[i], &args.from, &msg);
        links[i]
            .try_send(usp::encode_record(&record).into())
            .map_err(|e| anyhow!("{}: {e}", eids[i]))
    };
    let window = Window {
        outstanding: k,
        prime: args.prime.unwrap_or(eids.len() as u64),
        warmup: Duration::from_secs_f64(args.warmup),
        seconds: Duration::from_secs_f64(args.seconds),
        timeout: Duration::from_secs_f64(args.timeout),
        watch: args.cpu_of.clone(),
    };
    let tally = closed_loop(&window, send, &mut answers).await?;
    let run = serde_json::json!({
        "agents": eids.len(),
        "path": args.path.join(","),
        "outstanding": k,
        "seconds": args.seconds,
    });
    tally.print(run, args.seconds);
    Ok(())
}

/// Opens the WebSocket to `eid`'s agent; returns where its requests go.
/// A task moves Records both ways until either side closes.
async fn open(
    template: &str,
    eid: &str,
    from: &str,
    answers: mpsc::Sender<Bytes>,
) -> anyhow::Result<mpsc::Sender<Bytes>> {
    let url = template.replace("{eid}", eid);
    let mut req = format!("{url}?eid={from}").into_client_request()?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("v1.usp"));
    let authority = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| anyhow!("{url}: expected ws://HOST:PORT/..."))?;
    let tcp = TcpStream::connect(authority)
        .await
        .with_context(|| format!("connecting to {authority}"))?;
    tcp.set_nodelay(true)?;
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        // Small reads, as the gateway's side: tungstenite's 128 KiB buffer
        // would cost this process more than the Records do.
        tokio_tungstenite::client_async_with_config(
            req,
            tcp,
            Some(WebSocketConfig::default().read_buffer_size(8 * 1024)),
        ),
    )
    .await
    .map_err(|_| anyhow!("{url}: no WebSocket handshake in 10 s"))?
    .with_context(|| format!("{url}: WebSocket handshake"))?;
    let (tx, rx) = mpsc::channel(PER_AGENT_QUEUE);
    tokio::spawn(carry(ws, rx, answers));
    Ok(tx)
}

async fn carry(
    ws: WebSocketStream<TcpStream>,
    mut requests: mpsc::Receiver<Bytes>,
    answers: mpsc::Sender<Bytes>,
) {
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                Some(r) => {
                    if sink.send(Message::Binary(r)).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
            frame = stream.next() => match frame {
                Some(Ok(Message::Binary(b))) => {
                    if answers.send(b).await.is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    eprintln!("WebSocket: {e}");
                    return;
                }
                None => return,
            },
        }
    }
}

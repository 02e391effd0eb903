//! A load controller for USP agents over MQTT 5: it keeps K Get requests
//! outstanding to one agent, matches each answer to its request by msg_id,
//! and prints one JSON line with throughput and latency percentiles. Any
//! agent reachable through the broker can be measured the same way (ours,
//! obuspa, or the trivial `echo` responder below, which gives the broker's
//! own floor). Driven by `examples/load/usp-get.sh`; figures go in
//! docs/benchmarks.md, never in tests.
//!
//! ```sh
//! usp_get_load get --broker mqtt://127.0.0.1:1883 --to os::00D09E-SIM000000 \
//!     --path Device.LocalAgent.EndpointID --outstanding 64 --seconds 5
//! usp_get_load echo --broker mqtt://127.0.0.1:1883 --topic usp/agent/self::echo
//! ```

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use tokio::sync::mpsc;
use usp::proto::usp::response::RespType;

/// Largest Record taken back (a whole-subtree GetResp is a few KiB).
const MAX_RECORD: u32 = 4 << 20;
/// How often lost requests are looked for and the phase is checked.
const TICK: Duration = Duration::from_millis(50);
/// After the measured window: how long to wait for the last answers.
const DRAIN: Duration = Duration::from_secs(1);

#[derive(Parser)]
enum Cli {
    /// Measure Get requests to one agent.
    Get(GetArgs),
    /// Answer every PUBLISH on TOPIC by sending its payload back to its
    /// Response Topic: the broker round trip without any agent work.
    Echo(EchoArgs),
}

#[derive(clap::Args)]
struct GetArgs {
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    broker: String,
    /// The agent's endpoint ID.
    #[arg(long)]
    to: String,
    /// The agent's topic; `{eid}` becomes --to.
    #[arg(long, default_value = "usp/agent/{eid}")]
    agent_topic: String,
    /// Our endpoint ID as controller.
    #[arg(long, default_value = "self::usp-get-load")]
    from: String,
    /// Path(s) of each Get.
    #[arg(long, required = true)]
    path: Vec<String>,
    /// Requests kept in flight.
    #[arg(long, default_value_t = 1)]
    outstanding: usize,
    /// Measured seconds (after --warmup).
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// A request unanswered this long counts as lost and is replaced.
    #[arg(long, default_value_t = 2.0)]
    timeout: f64,
    /// QoS of the requests (answers come at the agent's choice).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    qos: u8,
    /// A name for the measured agent, copied into the JSON line.
    #[arg(long, default_value = "agent")]
    label: String,
}

#[derive(clap::Args)]
struct EchoArgs {
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    broker: String,
    #[arg(long)]
    topic: String,
    /// Exit after this many seconds whatever happens.
    #[arg(long, default_value_t = 3600)]
    lifetime: u64,
    /// QoS of the echoes; 0 (as obuspa answers) is the cheapest for the
    /// broker, so the floor.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    qos: u8,
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match Cli::parse() {
        Cli::Get(args) => rt.block_on(get(args)),
        Cli::Echo(args) => rt.block_on(echo(args)),
    }
}

/// Connects, subscribes to `topic` and hands every incoming PUBLISH to a
/// channel, so the caller's loop only waits on cancel-safe things.
async fn connect(
    broker: &str,
    client_id: &str,
    topic: &str,
    queue: usize,
) -> anyhow::Result<(AsyncClient, mpsc::Receiver<(Option<String>, Bytes)>)> {
    let rest = broker
        .strip_prefix("mqtt://")
        .ok_or_else(|| anyhow!("{broker}: expected mqtt://HOST:PORT"))?;
    let (host, port) = rest
        .trim_end_matches('/')
        .rsplit_once(':')
        .unwrap_or((rest, "1883"));
    let port: u16 = port
        .parse()
        .with_context(|| format!("{broker}: bad port"))?;
    let mut options = MqttOptions::new(client_id, host, port);
    options
        .set_max_packet_size(Some(MAX_RECORD))
        .set_keep_alive(Duration::from_secs(30));
    // Without it a request waits for the previous packet's ACK (Nagle
    // against delayed ACKs): 40 ms per round trip, whatever the agent.
    let mut network = options.network_options();
    network.set_tcp_nodelay(true);
    options.set_network_options(network);
    let (client, mut events) = AsyncClient::new(options, queue);
    client.subscribe(topic, QoS::AtLeastOnce).await?;
    wait_for_suback(&mut events, broker).await?;
    let (tx, rx) = mpsc::channel(queue);
    tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let reply = p.properties.and_then(|p| p.response_topic);
                    if tx.send((reply, p.payload)).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("MQTT: {e}");
                    return;
                }
            }
        }
    });
    Ok((client, rx))
}

async fn wait_for_suback(events: &mut EventLoop, broker: &str) -> anyhow::Result<()> {
    let wait = async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => bail!("{broker}: {e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .map_err(|_| anyhow!("{broker}: not subscribed within 10 s"))?
}

/// What one run saw.
struct Tally {
    latency_us: Histogram<u64>,
    answered: u64,
    /// Error Msgs, and GetResp paths with a non-zero err_code.
    errors: u64,
    lost: u64,
    /// Parameters and bytes in the last answer: what one Get returned.
    params: usize,
    bytes: usize,
}

async fn get(args: GetArgs) -> anyhow::Result<()> {
    let k = args.outstanding.max(1);
    let id = format!("usp-get-load-{}", std::process::id());
    let reply_topic = format!("usp/controller/{id}");
    let (client, mut answers) = connect(&args.broker, &id, &reply_topic, 2 * k + 64).await?;
    let agent_topic = args.agent_topic.replace("{eid}", &args.to);
    let qos = if args.qos == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    };
    let properties = PublishProperties {
        content_type: Some("usp.msg".into()),
        response_topic: Some(reply_topic),
        ..PublishProperties::default()
    };
    let mut next_id: u64 = 0;
    let mut in_flight: HashMap<u64, Instant> = HashMap::with_capacity(k);
    let mut send = |in_flight: &mut HashMap<u64, Instant>| -> anyhow::Result<()> {
        let msg = usp::msg::get(format!("L{next_id}"), args.path.iter().cloned(), 0);
        let record = usp::record::no_session_context(&args.to, &args.from, &msg);
        client.try_publish_with_properties(
            agent_topic.clone(),
            qos,
            false,
            usp::encode_record(&record),
            properties.clone(),
        )?;
        in_flight.insert(next_id, Instant::now());
        next_id += 1;
        Ok(())
    };
    let mut tally = Tally {
        latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        answered: 0,
        errors: 0,
        lost: 0,
        params: 0,
        bytes: 0,
    };
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let measure_to = measure_from + Duration::from_secs_f64(args.seconds);
    let timeout = Duration::from_secs_f64(args.timeout);
    for _ in 0..k {
        send(&mut in_flight)?;
    }
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            answer = answers.recv() => {
                let Some((_, payload)) = answer else { bail!("the broker connection ended") };
                let now = Instant::now();
                let Some((n, errors, params)) = read_answer(&payload) else { continue };
                let Some(sent) = in_flight.remove(&n) else { continue };
                if now >= measure_from && now < measure_to {
                    let us = u64::try_from(now.duration_since(sent).as_micros()).unwrap_or(u64::MAX);
                    tally.latency_us.saturating_record(us.max(1));
                    tally.answered += 1;
                    tally.errors += errors;
                    (tally.params, tally.bytes) = (params, payload.len());
                }
                if now < measure_to {
                    send(&mut in_flight)?;
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                if now >= measure_to + DRAIN || (now >= measure_to && in_flight.is_empty()) {
                    break;
                }
                let before = in_flight.len();
                in_flight.retain(|_, sent| now.duration_since(*sent) < timeout);
                let gone = before - in_flight.len();
                if now >= measure_from && now < measure_to {
                    tally.lost += gone as u64;
                }
                for _ in 0..gone {
                    if now < measure_to {
                        send(&mut in_flight)?;
                    }
                }
            }
        }
    }
    let h = &tally.latency_us;
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let line = serde_json::json!({
        "agent": args.label,
        "to": args.to,
        "path": args.path.join(","),
        "outstanding": k,
        "qos": args.qos,
        "seconds": args.seconds,
        "answered": tally.answered,
        "per_second": (tally.answered as f64 / args.seconds).round(),
        "p50_ms": ms(0.50),
        "p90_ms": ms(0.90),
        "p99_ms": ms(0.99),
        "max_ms": h.max() as f64 / 1000.0,
        "errors": tally.errors,
        "lost": tally.lost,
        "params_per_answer": tally.params,
        "bytes_per_answer": tally.bytes,
    });
    println!("{line}");
    Ok(())
}

/// Our request number, error count and parameter count from an answer;
/// `None` for anything that is not an answer to us (a Connect record, a
/// Notify).
fn read_answer(payload: &[u8]) -> Option<(u64, u64, usize)> {
    let decoded = usp::decode_record(payload).ok()?;
    let msg = decoded.msg?;
    let n = msg.msg_id().strip_prefix('L')?.parse().ok()?;
    if msg.error().is_some() {
        return Some((n, 1, 0));
    }
    match msg.response() {
        Some(RespType::GetResp(resp)) => {
            let mut errors = 0;
            let mut params = 0;
            for r in &resp.req_path_results {
                errors += u64::from(r.err_code != 0);
                params += r
                    .resolved_path_results
                    .iter()
                    .map(|p| p.result_params.len())
                    .sum::<usize>();
            }
            Some((n, errors, params))
        }
        // The echo responder sends our own Get back.
        _ => Some((n, 0, 0)),
    }
}

async fn echo(args: EchoArgs) -> anyhow::Result<()> {
    let id = format!("usp-echo-{}", std::process::id());
    let (client, mut requests) = connect(&args.broker, &id, &args.topic, 256).await?;
    let qos = if args.qos == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    };
    let work = async {
        while let Some((reply, payload)) = requests.recv().await {
            let Some(reply) = reply else { continue };
            let properties = PublishProperties {
                content_type: Some("usp.msg".into()),
                ..PublishProperties::default()
            };
            client
                .publish_with_properties(reply, qos, false, payload, properties)
                .await?;
        }
        anyhow::Ok(())
    };
    match tokio::time::timeout(Duration::from_secs(args.lifetime), work).await {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}

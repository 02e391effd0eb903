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

use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use clap::Parser;
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use tokio::sync::mpsc;

#[path = "load_common/mod.rs"]
mod load_common;
use load_common::{closed_loop, Window};

/// Largest Record taken back (a whole-subtree GetResp is a few KiB).
const MAX_RECORD: u32 = 4 << 20;

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

async fn get(args: GetArgs) -> anyhow::Result<()> {
    let k = args.outstanding.max(1);
    let id = format!("usp-get-load-{}", std::process::id());
    let reply_topic = format!("usp/controller/{id}");
    let (client, mut incoming) = connect(&args.broker, &id, &reply_topic, 2 * k + 64).await?;
    let (tx, mut answers) = mpsc::channel(2 * k + 64);
    tokio::spawn(async move {
        while let Some((_, payload)) = incoming.recv().await {
            if tx.send(payload).await.is_err() {
                return;
            }
        }
    });
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
    let send = |n: u64| -> anyhow::Result<()> {
        let msg = usp::msg::get(format!("L{n}"), args.path.iter().cloned(), 0);
        let record = usp::record::no_session_context(&args.to, &args.from, &msg);
        client.try_publish_with_properties(
            agent_topic.clone(),
            qos,
            false,
            usp::encode_record(&record),
            properties.clone(),
        )?;
        Ok(())
    };
    let window = Window {
        outstanding: k,
        prime: 0,
        warmup: Duration::from_secs_f64(args.warmup),
        seconds: Duration::from_secs_f64(args.seconds),
        timeout: Duration::from_secs_f64(args.timeout),
        watch: Vec::new(),
    };
    let tally = closed_loop(&window, send, &mut answers).await?;
    let run = serde_json::json!({
        "agent": args.label,
        "to": args.to,
        "path": args.path.join(","),
        "outstanding": k,
        "qos": args.qos,
        "seconds": args.seconds,
    });
    tally.print(run, args.seconds);
    Ok(())
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

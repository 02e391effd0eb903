//! A load controller for ValueChange notifications (issue 7's benchmark):
//! it gives each of N agents a ValueChange subscription on one CPE
//! parameter, then changes that parameter on the simulated CPE through
//! the simulator's control API (`POST /cpe/<serial>/set`), K changes in
//! flight, spread round-robin over the CPE. Each change makes the CPE
//! open a "4 VALUE CHANGE" session; the gateway turns it into a Notify,
//! which comes back here over MQTT and is matched to its change by the
//! value written. Prints one JSON line: notifications/s and the latency
//! from the control call to the Notify. The gateway's own share (Inform
//! receipt to Notify publish) is in its exit report.
//! Driven by `examples/load/value-change.sh`; figures go in
//! docs/benchmarks.md, never in tests.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use tokio::sync::mpsc;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::request::ReqType;

#[derive(Parser)]
struct Args {
    /// The broker, HOST:PORT.
    #[arg(long)]
    broker: String,
    /// Agent topic template (the gateway's --agent-topic).
    #[arg(long, default_value = "usp/agent/{eid}")]
    agent_topic: String,
    /// Our endpoint ID and topic, as the gateway's `--controller EID=TOPIC`.
    #[arg(long, default_value = "self::vc-load")]
    from: String,
    #[arg(long, default_value = "usp/controller/vc-load")]
    topic: String,
    /// CPE `<serial-prefix>000000` onwards, agents `<agent-prefix>` + serial.
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    #[arg(long, default_value = "os::00D09E-")]
    agent_prefix: String,
    #[arg(long, default_value = "SIM")]
    serial_prefix: String,
    /// The simulator's control API, http://HOST:PORT.
    #[arg(long)]
    sim_control: String,
    #[arg(long, default_value = "Device.WiFi.SSID.1.SSID")]
    param: String,
    /// Changes kept in flight.
    #[arg(long, default_value_t = 64)]
    outstanding: usize,
    /// Seconds to wait after subscribing, for the gateway to set the
    /// CPE's notification attributes.
    #[arg(long, default_value_t = 10.0)]
    settle: f64,
    /// The subscriptions exist already (an earlier run added them).
    #[arg(long)]
    subscribed: bool,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// A change with no Notify this long counts as lost.
    #[arg(long, default_value_t = 15.0)]
    timeout: f64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let (host, port) = args
        .broker
        .rsplit_once(':')
        .ok_or_else(|| anyhow!("--broker HOST:PORT"))?;
    let mut options = MqttOptions::new(
        format!("vc-load-{}", std::process::id()),
        host,
        port.parse()?,
    );
    options.set_max_packet_size(Some(1 << 20));
    options.set_keep_alive(Duration::from_secs(30));
    let (client, events) = AsyncClient::new(options, 1024);
    client
        .subscribe(args.topic.clone(), QoS::AtMostOnce)
        .await?;
    let (records_tx, mut records) = mpsc::channel::<Bytes>(4096);
    tokio::spawn(pump(events, records_tx));

    let serials: Vec<String> = (0..args.agents.max(1))
        .map(|i| format!("{}{i:06}", args.serial_prefix))
        .collect();
    if !args.subscribed {
        subscribe_all(&args, &client, &serials, &mut records).await?;
        eprintln!(
            "{} subscriptions added; settling {} s",
            serials.len(),
            args.settle
        );
        tokio::time::sleep(Duration::from_secs_f64(args.settle)).await;
    }
    while records.try_recv().is_ok() {}

    let (done_tx, mut done) = mpsc::channel::<anyhow::Result<()>>(args.outstanding * 2);
    // One kept-alive control connection per change in flight.
    let authority = args
        .sim_control
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--sim-control http://HOST:PORT"))?
        .trim_end_matches('/')
        .to_owned();
    let mut workers = Vec::new();
    for _ in 0..args.outstanding.max(1) {
        let (tx, rx) = mpsc::channel::<(String, String)>(4);
        tokio::spawn(control_worker(
            authority.clone(),
            args.param.clone(),
            rx,
            done_tx.clone(),
        ));
        workers.push(tx);
    }
    let mut inflight: HashMap<String, Instant> = HashMap::new();
    let mut latency = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    let (mut next, mut lost, mut failed) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(args.seconds);
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        let now = Instant::now();
        while now < end && inflight.len() < args.outstanding {
            let serial = &serials[(next % serials.len() as u64) as usize];
            let value = format!("vc-{next}");
            next += 1;
            // One change per CPE at a time: its Notify names only the value.
            if inflight
                .keys()
                .any(|v| v.starts_with(&format!("{serial}/")))
            {
                continue;
            }
            inflight.insert(format!("{serial}/{value}"), Instant::now());
            let worker = &workers[(next as usize) % workers.len()];
            if worker.try_send((serial.clone(), value)).is_err() {
                failed += 1;
            }
        }
        if now >= end && inflight.is_empty() {
            break;
        }
        if now >= end + timeout {
            lost += inflight.len() as u64;
            break;
        }
        tokio::select! {
            Some(r) = records.recv() => {
                if let Some(key) = value_change(&r, &args.agent_prefix) {
                    if let Some(sent) = inflight.remove(&key) {
                        let us = sent.elapsed().as_micros().try_into().unwrap_or(u64::MAX);
                        latency.saturating_record(us.max(1));
                    }
                }
            }
            Some(r) = done.recv() => {
                if let Err(e) = r {
                    failed += 1;
                    if failed <= 3 { eprintln!("control API: {e:#}"); }
                }
            }
            _ = tick.tick() => {
                let before = inflight.len();
                inflight.retain(|_, sent| sent.elapsed() < timeout);
                lost += (before - inflight.len()) as u64;
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{}",
        serde_json::json!({
            "agents": serials.len(),
            "outstanding": args.outstanding,
            "notifications": latency.len(),
            "per_second": (latency.len() as f64 / elapsed).round(),
            "p50_ms": ms(0.5), "p90_ms": ms(0.9), "p99_ms": ms(0.99), "max_ms": ms(1.0),
            "lost": lost,
            "control_failures": failed,
        })
    );
    Ok(())
}

/// Adds one ValueChange subscription to each agent, 64 in flight. An Add
/// unanswered for 2 s goes again with the same msg_id (an agent whose MQTT
/// connection was not up yet never saw it; one that did answers a repeat
/// from its replay cache without adding twice).
async fn subscribe_all(
    args: &Args,
    client: &AsyncClient,
    serials: &[String],
    records: &mut mpsc::Receiver<Bytes>,
) -> anyhow::Result<()> {
    let mut waiting: HashMap<usize, Instant> = HashMap::new();
    let mut answered = 0usize;
    let mut next = 0usize;
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    while answered < serials.len() {
        let mut due: Vec<usize> = waiting
            .iter()
            .filter(|(_, t)| t.elapsed() > Duration::from_secs(2))
            .map(|(i, _)| *i)
            .collect();
        while next < serials.len() && waiting.len() + due.len() < 64 {
            due.push(next);
            next += 1;
        }
        for i in due {
            publish_add(args, client, &serials[i], i).await?;
            waiting.insert(i, Instant::now());
        }
        if Instant::now() > deadline {
            bail!("{answered} of {} subscriptions answered", serials.len());
        }
        let r = tokio::select! {
            r = records.recv() => r.ok_or_else(|| anyhow!("the broker connection ended"))?,
            _ = tick.tick() => continue,
        };
        let Ok(d) = usp::decode_record(&r) else {
            continue;
        };
        let Some(m) = d.msg else { continue };
        let Some(i) = m.msg_id().strip_prefix('S').and_then(|n| n.parse().ok()) else {
            continue;
        };
        if m.error().is_some() {
            bail!("subscription refused: {:?}", m.error());
        }
        if waiting.remove(&i).is_some() {
            answered += 1;
        }
    }
    Ok(())
}

async fn publish_add(
    args: &Args,
    client: &AsyncClient,
    serial: &str,
    i: usize,
) -> anyhow::Result<()> {
    let eid = format!("{}{serial}", args.agent_prefix);
    let obj = usp::msg::add_obj(
        "Device.LocalAgent.Subscription.",
        [
            ("Enable", "true", true),
            ("ID", "vc-load", true),
            ("NotifType", "ValueChange", true),
            ("ReferenceList", args.param.as_str(), true),
        ],
    );
    let msg = usp::msg::add(format!("S{i}"), false, vec![obj]);
    let record = usp::record::no_session_context(&eid, &args.from, &msg);
    let props = PublishProperties {
        content_type: Some("usp.msg".into()),
        response_topic: Some(args.topic.clone()),
        ..PublishProperties::default()
    };
    client
        .publish_with_properties(
            args.agent_topic.replace("{eid}", &eid),
            QoS::AtMostOnce,
            false,
            Bytes::from(usp::encode_record(&record)),
            props,
        )
        .await?;
    Ok(())
}

/// `<serial>/<value>` of a ValueChange Notify from one of our agents.
fn value_change(record: &[u8], agent_prefix: &str) -> Option<String> {
    let d = usp::decode_record(record).ok()?;
    let serial = d.record.from_id.strip_prefix(agent_prefix)?.to_owned();
    let m = d.msg?;
    let Some(ReqType::Notify(n)) = m.request() else {
        return None;
    };
    match n.notification.as_ref()? {
        Notification::ValueChange(v) => Some(format!("{serial}/{}", v.param_value)),
        _ => None,
    }
}

/// Runs control API calls, one at a time, over one kept-alive connection
/// (opened again if it drops).
async fn control_worker(
    authority: String,
    name: String,
    mut jobs: mpsc::Receiver<(String, String)>,
    done: mpsc::Sender<anyhow::Result<()>>,
) {
    let mut conn: Option<SendRequest<Full<Bytes>>> = None;
    while let Some((serial, value)) = jobs.recv().await {
        let result = async {
            if conn.as_ref().is_none_or(|c| c.is_closed()) {
                let tcp = tokio::net::TcpStream::connect(&authority).await?;
                tcp.set_nodelay(true)?;
                let (send, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
                tokio::spawn(connection);
                conn = Some(send);
            }
            let Some(send) = conn.as_mut() else {
                bail!("no connection")
            };
            send.ready().await?;
            let body = serde_json::json!({ "name": name, "value": value }).to_string();
            let req = hyper::Request::post(format!("/cpe/{serial}/set"))
                .header("host", authority.as_str())
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body)))?;
            let resp = tokio::time::timeout(Duration::from_secs(10), send.send_request(req))
                .await
                .context("no answer in 10 s")??;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            if !status.is_success() {
                bail!("{status}: {}", String::from_utf8_lossy(&body));
            }
            Ok(())
        }
        .await;
        if result.is_err() {
            conn = None;
        }
        if done.send(result).await.is_err() {
            return;
        }
    }
}

async fn pump(mut events: EventLoop, records: mpsc::Sender<Bytes>) {
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if records.send(p.payload).await.is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("MQTT: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

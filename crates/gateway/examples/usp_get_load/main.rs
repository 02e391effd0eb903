//! A load controller for USP agents over MQTT 5: it keeps K Get requests
//! outstanding to one agent, matches each answer to its request by msg_id,
//! and prints one JSON line with throughput and latency percentiles. Any
//! agent reachable through the broker can be measured the same way (ours,
//! obuspa, or the trivial `echo` responder below, which gives the broker's
//! own floor). Driven by `examples/load/usp-get.sh`; figures go in
//! docs/benchmarks.md, never in tests.
//!
//! It runs on the broker's core, so it is kept cheap per Get (`wire.rs`):
//! one task on a current-thread runtime, requests copied from one encoded
//! PUBLISH with the packet id and the msg_id's digits patched in, every
//! packet a read brought handled before one write goes out.
//!
//! ```sh
//! usp_get_load get --broker mqtt://127.0.0.1:1883 --to os::00D09E-SIM000000 \
//!     --path Device.LocalAgent.EndpointID --outstanding 64 --seconds 5
//! usp_get_load echo --broker mqtt://127.0.0.1:1883 --topic usp/agent/self::echo
//! ```

#[path = "../load_common/answer.rs"]
mod answer;
mod wire;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use answer::read_answer;
use anyhow::bail;
use bytes::{Buf as _, BytesMut};
use clap::Parser;
use hdrhistogram::Histogram;
use wire::{Conn, Packet};

/// How often lost requests are looked for and the phase is checked.
const TICK: Duration = Duration::from_millis(50);
/// After the measured window: how long to wait for the last answers.
const DRAIN: Duration = Duration::from_secs(1);
/// Every msg_id is `L` and this many digits, so that all requests have
/// the same length and differ only there.
const ID_DIGITS: usize = 10;

#[derive(Parser)]
enum Cli {
    /// Measure Get requests to one agent.
    Get(GetArgs),
    /// Answer every PUBLISH on TOPIC by sending its payload back to its
    /// Response Topic at QoS 0 (as obuspa answers, the cheapest for the
    /// broker): the broker round trip without any agent work.
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
    /// QoS of our subscription, the most the answers come with.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    subscribe_qos: u8,
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
    /// QoS of our subscription: at 1 the broker also waits for a PUBACK
    /// per request and holds back all but `max_inflight_messages` (20 by
    /// default in Mosquitto), so the floor subscribes at 0.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    subscribe_qos: u8,
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

/// The requests: one encoded PUBLISH, copied and patched per Get, and
/// what is in flight.
struct Requests {
    packet: Vec<u8>,
    /// Where the packet id (QoS 1) and the msg_id's digits sit.
    pkid_at: Option<usize>,
    digits_at: usize,
    next_id: u64,
    next_pkid: u16,
    in_flight: HashMap<u64, Instant>,
    /// Our QoS 1 publishes the broker has not acknowledged, and requests
    /// held back because that reached its Receive Maximum.
    unacked: usize,
    held: usize,
    receive_max: usize,
}

impl Requests {
    fn new(args: &GetArgs, reply_topic: &str, receive_max: usize) -> anyhow::Result<Self> {
        let placeholder = format!("L{}", "~".repeat(ID_DIGITS));
        let msg = usp::msg::get(placeholder.clone(), args.path.iter().cloned(), 0);
        let record = usp::record::no_session_context(&args.to, &args.from, &msg);
        let topic = args.agent_topic.replace("{eid}", &args.to);
        let mut packet = BytesMut::new();
        let pkid_at = wire::put_publish(
            &topic,
            args.qos,
            Some(reply_topic),
            &usp::encode_record(&record),
            &mut packet,
        );
        let found: Vec<usize> = packet
            .windows(placeholder.len())
            .enumerate()
            .filter(|(_, w)| *w == placeholder.as_bytes())
            .map(|(i, _)| i + 1)
            .collect();
        let [digits_at] = found[..] else {
            bail!("the msg_id is not once in the encoded request");
        };
        Ok(Requests {
            packet: packet.to_vec(),
            pkid_at,
            digits_at,
            next_id: 0,
            next_pkid: 0,
            in_flight: HashMap::new(),
            unacked: 0,
            held: 0,
            receive_max,
        })
    }

    /// Queues the next Get, or holds it while the broker's window is full.
    fn send(&mut self, tx: &mut BytesMut, now: Instant) {
        if self.pkid_at.is_some() && self.unacked >= self.receive_max {
            self.held += 1;
            return;
        }
        let at = tx.len();
        tx.extend_from_slice(&self.packet);
        let mut n = self.next_id;
        for d in tx[at + self.digits_at..at + self.digits_at + ID_DIGITS]
            .iter_mut()
            .rev()
        {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        if let Some(p) = self.pkid_at {
            self.next_pkid = self.next_pkid.checked_add(1).unwrap_or(1);
            tx[at + p..at + p + 2].copy_from_slice(&self.next_pkid.to_be_bytes());
            self.unacked += 1;
        }
        self.in_flight.insert(self.next_id, now);
        self.next_id += 1;
    }

    /// The broker took one of our QoS 1 publishes: a held request may go.
    fn acked(&mut self, tx: &mut BytesMut, now: Instant) {
        self.unacked = self.unacked.saturating_sub(1);
        if self.held > 0 {
            self.held -= 1;
            self.send(tx, now);
        }
    }
}

async fn get(args: GetArgs) -> anyhow::Result<()> {
    let k = args.outstanding.max(1);
    let id = format!("usp-get-load-{}", std::process::id());
    let reply_topic = format!("usp/controller/{id}");
    let mut conn = Conn::open(&args.broker, &id, &reply_topic, args.subscribe_qos).await?;
    let mut requests = Requests::new(&args, &reply_topic, conn.receive_max)?;
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
        requests.send(&mut conn.tx, start);
    }
    conn.flush().await?;
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            read = conn.read() => {
                read?;
                let now = Instant::now();
                while let Some((packet, len)) = wire::next(&conn.rx)? {
                    match packet {
                        Packet::Publish { qos, pkid, payload, .. } => {
                            if qos > 0 {
                                wire::put_puback(pkid, &mut conn.tx);
                            }
                            if let Some((n, errors, params)) = read_answer(payload) {
                                if let Some(sent) = requests.in_flight.remove(&n) {
                                    if now >= measure_from && now < measure_to {
                                        let us = u64::try_from(now.duration_since(sent).as_micros())
                                            .unwrap_or(u64::MAX);
                                        tally.latency_us.saturating_record(us.max(1));
                                        tally.answered += 1;
                                        tally.errors += errors;
                                        (tally.params, tally.bytes) = (params, payload.len());
                                    }
                                    if now < measure_to {
                                        requests.send(&mut conn.tx, now);
                                    }
                                }
                            }
                        }
                        Packet::PubAck => requests.acked(&mut conn.tx, now),
                        Packet::Other => {}
                    }
                    conn.rx.advance(len);
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                if now >= measure_to + DRAIN || (now >= measure_to && requests.in_flight.is_empty()) {
                    break;
                }
                let before = requests.in_flight.len();
                requests.in_flight.retain(|_, sent| now.duration_since(*sent) < timeout);
                let gone = before - requests.in_flight.len();
                if now >= measure_from && now < measure_to {
                    tally.lost += gone as u64;
                }
                for _ in 0..gone {
                    if now < measure_to {
                        requests.send(&mut conn.tx, now);
                    }
                }
                conn.keep_alive(now);
            }
        }
        conn.flush().await?;
    }
    conn.tx.extend_from_slice(&[0xE0, 0x00]);
    conn.flush().await?;
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
        "controller_cpu_ticks": answer::cpu_ticks_of(None),
    });
    println!("{line}");
    Ok(())
}

async fn echo(args: EchoArgs) -> anyhow::Result<()> {
    let id = format!("usp-echo-{}", std::process::id());
    let mut conn = Conn::open(&args.broker, &id, &args.topic, args.subscribe_qos).await?;
    let mut ping = tokio::time::interval(Duration::from_secs(10));
    let work = async {
        loop {
            tokio::select! {
                read = conn.read() => {
                    read?;
                    while let Some((packet, len)) = wire::next(&conn.rx)? {
                        if let Packet::Publish { qos, pkid, properties, payload } = packet {
                            if qos > 0 {
                                wire::put_puback(pkid, &mut conn.tx);
                            }
                            if let Some(reply) = wire::response_topic(properties) {
                                wire::put_publish(reply, 0, None, payload, &mut conn.tx);
                            }
                        }
                        conn.rx.advance(len);
                    }
                }
                _ = ping.tick() => conn.keep_alive(Instant::now()),
            }
            conn.flush().await?;
        }
    };
    match tokio::time::timeout(Duration::from_secs(args.lifetime), work).await {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}

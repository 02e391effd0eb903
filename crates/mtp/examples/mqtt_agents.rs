//! Load check for the MQTT shell: N virtual agents, each on its own
//! connection to a local Mosquitto this example starts. Prints the connect
//! rate and the gateway-side memory per agent (VmRSS delta).
//!
//! ```sh
//! ulimit -n 20000
//! cargo run --release -p mtp --example mqtt_agents -- --agents 10000 [--version 3] [--rate 500] [--exchange]
//! ```
//!
//! `--spawn-only`: connects at 1/s and measures after 2 s, i.e. the cost
//! of an agent's task and client before any socket exists.
//!
//! `--exchange`: once all are up, every agent also receives one Record and
//! sends one, so the figures include buffers that only traffic touches.
//!
//! `--driver rumqttc`: rumqttc's EventLoop instead of the native client.
//!
//! `--keep-alive S --idle T`: keep-alive of S seconds, and after everything
//! else T more seconds idle (several keep-alive periods of pings), then
//! the figure again: buffers that creep show up here.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use mtp::mqtt::{BrokerUrl, MqttConfig, MqttDriver, MqttMtp};
use mtp::{Inbound, Outbound};
use tokio::sync::mpsc;
use usp::mtp::{MqttVersion, ReplyTo};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    agents: usize,
    version: MqttVersion,
    rate: u32,
    exchange: bool,
    spawn_only: bool,
    driver: MqttDriver,
    keep_alive: u64,
    idle: u64,
}

fn args() -> Args {
    let mut a = Args {
        agents: 10_000,
        version: MqttVersion::V5,
        rate: 500,
        exchange: false,
        spawn_only: false,
        driver: MqttDriver::Native,
        keep_alive: 60,
        idle: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--agents" => a.agents = value().parse().expect("--agents N"),
            "--rate" => a.rate = value().parse().expect("--rate N"),
            "--version" => {
                a.version = match value().as_str() {
                    "5" => MqttVersion::V5,
                    "3" | "3.1.1" => MqttVersion::V3_1_1,
                    v => panic!("--version 5|3, not {v}"),
                }
            }
            "--exchange" => a.exchange = true,
            "--spawn-only" => a.spawn_only = true,
            "--driver" => {
                a.driver = match value().as_str() {
                    "native" => MqttDriver::Native,
                    "rumqttc" => MqttDriver::Rumqttc,
                    d => panic!("--driver native|rumqttc, not {d}"),
                }
            }
            "--keep-alive" => a.keep_alive = value().parse().expect("--keep-alive S"),
            "--idle" => a.idle = value().parse().expect("--idle S"),
            f => panic!("unknown flag {f}"),
        }
    }
    a
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args = args();
    let broker = support::Mosquitto::start_with("log_type error").expect("mosquitto");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(args, &broker));
}

async fn run(args: Args, broker: &support::Mosquitto) {
    let mut config = MqttConfig::new(BrokerUrl::parse(&broker.url()).expect("url"));
    config.version = args.version;
    config.connects_per_second = if args.spawn_only { 1 } else { args.rate };
    config.driver = args.driver;
    config.keep_alive = Duration::from_secs(args.keep_alive);
    let (tx, mut rx) = mpsc::channel(1024);
    let mtp = MqttMtp::new(config, tx).expect("config");
    let eids: Vec<String> = (0..args.agents)
        .map(|i| format!("os::00256D-{i:08}"))
        .collect();
    // Let the runtime and the allocator settle before the baseline.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_kib();
    let started = Instant::now();
    for eid in &eids {
        mtp.add_agent(eid).expect("add agent");
    }
    if args.spawn_only {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = rss_kib();
        println!(
            "{{\"agents\":{},\"spawned_not_connected\":true,\"rss_before_kib\":{before},\"rss_after_kib\":{after},\"kib_per_agent\":{:.2}}}",
            args.agents,
            (after.saturating_sub(before)) as f64 / args.agents as f64
        );
        mtp.shutdown();
        return;
    }
    let mut up = 0;
    while up < args.agents {
        match rx.recv().await {
            Some(Inbound::Up { .. }) => up += 1,
            Some(Inbound::Down { agent, .. }) => eprintln!("down: {agent}"),
            Some(_) => {}
            None => break,
        }
    }
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib();
    let version = if args.version == MqttVersion::V5 {
        "5"
    } else {
        "3.1.1"
    };
    println!(
        "{{\"driver\":\"{:?}\",\"agents\":{},\"version\":\"{version}\",\"rate_limit\":{},\"seconds_to_all_subscribed\":{:.2},\"connects_per_s\":{:.0},\"rss_before_kib\":{before},\"rss_after_kib\":{after},\"kib_per_agent\":{:.2}}}",
        args.driver,
        args.agents,
        args.rate,
        elapsed.as_secs_f64(),
        args.agents as f64 / elapsed.as_secs_f64(),
        (after.saturating_sub(before)) as f64 / args.agents as f64
    );
    if args.exchange {
        exchange(&mtp, &mut rx, &eids, broker, args.version).await;
        let traffic = rss_kib();
        println!(
            "{{\"after_one_record_each_way\":true,\"rss_kib\":{traffic},\"kib_per_agent\":{:.2}}}",
            (traffic.saturating_sub(before)) as f64 / args.agents as f64
        );
    }
    if args.idle > 0 {
        let mut downs = 0;
        let until = tokio::time::Instant::now() + Duration::from_secs(args.idle);
        while let Ok(event) = tokio::time::timeout_at(until, rx.recv()).await {
            match event {
                Some(Inbound::Down { .. }) => downs += 1,
                Some(_) => {}
                None => break,
            }
        }
        let idle = rss_kib();
        println!(
            "{{\"idle_seconds\":{},\"keep_alive\":{},\"links_lost\":{downs},\"rss_kib\":{idle},\"kib_per_agent\":{:.2}}}",
            args.idle,
            args.keep_alive,
            (idle.saturating_sub(before)) as f64 / args.agents as f64
        );
    }
    mtp.shutdown();
}

/// One controller sends every agent a 200-byte Record; each agent answers
/// with one of the same size.
async fn exchange(
    mtp: &MqttMtp,
    rx: &mut mpsc::Receiver<Inbound>,
    eids: &[String],
    broker: &support::Mosquitto,
    version: MqttVersion,
) {
    use rumqttc::v5;
    let mut o = v5::MqttOptions::new("load-controller", "127.0.0.1", broker.port);
    o.set_outgoing_inflight_upper_limit(64);
    let (controller, mut eventloop) = v5::AsyncClient::new(o, 64);
    tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    let payload = Bytes::from(vec![0x5au8; 200]);
    let sender = tokio::spawn({
        let eids = eids.to_vec();
        let payload = payload.clone();
        async move {
            for eid in eids {
                let props = v5::mqttbytes::v5::PublishProperties {
                    response_topic: Some("usp/controller/load".into()),
                    ..Default::default()
                };
                let topic = match version {
                    MqttVersion::V5 => format!("usp/agent/{eid}"),
                    MqttVersion::V3_1_1 => {
                        format!("usp/agent/{eid}/reply-to=usp%2Fcontroller%2Fload")
                    }
                };
                let _ = controller
                    .publish_with_properties(
                        topic,
                        v5::mqttbytes::QoS::AtLeastOnce,
                        false,
                        payload.clone(),
                        props,
                    )
                    .await;
            }
        }
    });
    let mut answered = 0;
    while answered < eids.len() {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(Inbound::Record { agent, reply, .. })) => {
                let to = ReplyTo::Mqtt {
                    topic: match reply {
                        ReplyTo::Mqtt { topic } => topic,
                        _ => continue,
                    },
                };
                if let Err(e) = mtp.send(Outbound {
                    agent,
                    to,
                    payload: payload.clone(),
                }) {
                    eprintln!("send: {e}");
                }
                answered += 1;
            }
            Ok(Some(_)) => {}
            _ => {
                eprintln!("only {answered} Records arrived");
                break;
            }
        }
    }
    let _ = sender.await;
    tokio::time::sleep(Duration::from_secs(2)).await;
}

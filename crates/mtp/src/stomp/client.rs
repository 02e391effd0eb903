//! The tokio shell: one task per agent holding its broker connection,
//! reconnecting on the retry schedule.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tracing::{debug, info, warn};
use usp::mtp::{LinkUp, ReplyTo};

use super::frame::{Command, Decoder, Frame, Item, Limits};
use super::session::{Action, Identity, Session};
use crate::backoff::{jitter, Backoff, RetryPolicy};
use crate::{Inbound, MtpError, Outbound, DEFAULT_MAX_RECORD_BYTES};

const PROTOCOL: &str = "STOMP";

/// One broker, shared by every agent (each with its own connection).
#[derive(Debug, Clone)]
pub struct StompConfig {
    /// `host:port` of the broker.
    pub server: String,
    /// TLS towards the broker; the server name is the host of `server`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The `host` header (`.STOMP.Connection.{i}.VirtualHost`); RabbitMQ
    /// wants `/` for its default virtual host.
    pub vhost: String,
    pub login: Option<String>,
    pub passcode: Option<String>,
    /// The agent's destination when the broker assigns none; `{eid}` is
    /// replaced with the agent's endpoint ID.
    pub destination_template: String,
    /// Heart-beats offered (`OutgoingHeartbeat`/`IncomingHeartbeat`); both
    /// zero sends no heart-beat header.
    pub heartbeat_send: Duration,
    pub heartbeat_receive: Duration,
    pub retry: RetryPolicy,
    /// Bounds the TCP/TLS connect, the STOMP handshake up to the
    /// subscription's RECEIPT, and every write.
    pub connect_timeout: Duration,
    pub max_record_bytes: usize,
    /// Records waiting to be written, per agent.
    pub send_queue: usize,
}

impl Default for StompConfig {
    fn default() -> Self {
        StompConfig {
            server: "127.0.0.1:61613".into(),
            tls: None,
            vhost: "/".into(),
            login: None,
            passcode: None,
            destination_template: "/queue/usp.agent.{eid}".into(),
            heartbeat_send: Duration::from_secs(30),
            heartbeat_receive: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            send_queue: 64,
        }
    }
}

/// Cloneable handle on the STOMP MTP of every agent.
#[derive(Clone)]
pub struct StompMtp {
    inner: Arc<Inner>,
}

struct Inner {
    config: StompConfig,
    inbound: mpsc::Sender<Inbound>,
    agents: Mutex<HashMap<Arc<str>, AgentSlot>>,
}

struct AgentSlot {
    outbound: mpsc::Sender<(String, Bytes)>,
    up: Arc<AtomicBool>,
    stop: watch::Sender<bool>,
}

impl StompMtp {
    pub fn new(config: StompConfig, inbound: mpsc::Sender<Inbound>) -> Self {
        StompMtp {
            inner: Arc::new(Inner {
                config,
                inbound,
                agents: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Starts `eid`'s connection (in the background; [`Inbound::Up`] says
    /// when it is subscribed). Must be called within a tokio runtime.
    pub fn add_agent(&self, eid: &str) -> Result<(), MtpError> {
        let agent: Arc<str> = eid.into();
        let (outbound, rx) = mpsc::channel(self.inner.config.send_queue.max(1));
        let (stop, stop_rx) = watch::channel(false);
        let up = Arc::new(AtomicBool::new(false));
        {
            let mut agents = lock(&self.inner.agents);
            if agents.contains_key(&agent) {
                return Err(MtpError::DuplicateAgent(eid.into()));
            }
            agents.insert(
                agent.clone(),
                AgentSlot {
                    outbound,
                    up: up.clone(),
                    stop,
                },
            );
        }
        tokio::spawn(run_agent(self.inner.clone(), agent, rx, stop_rx, up));
        Ok(())
    }

    /// Disconnects `eid` (DISCONNECT frame, then [`Inbound::Down`] if it
    /// was up).
    pub fn remove_agent(&self, eid: &str) -> Result<(), MtpError> {
        let slot = lock(&self.inner.agents).remove(eid);
        match slot {
            Some(slot) => {
                let _ = slot.stop.send(true);
                Ok(())
            }
            None => Err(MtpError::UnknownAgent(eid.into())),
        }
    }

    /// Queues a SEND to `out.to`'s destination; never waits.
    pub fn send(&self, out: Outbound) -> Result<(), MtpError> {
        let ReplyTo::Stomp { destination } = out.to else {
            return Err(MtpError::WrongTransport(out.to.to_string()));
        };
        let agents = lock(&self.inner.agents);
        let slot = agents
            .get(&out.agent)
            .ok_or_else(|| MtpError::UnknownAgent(out.agent.to_string()))?;
        if !slot.up.load(Ordering::Acquire) {
            return Err(MtpError::NoLink(out.agent.to_string()));
        }
        slot.outbound
            .try_send((destination, out.payload))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => MtpError::QueueFull(out.agent.to_string()),
                mpsc::error::TrySendError::Closed(_) => MtpError::Stopped,
            })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the map leaves it consistent
    // (single inserts and removes), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a connection ended.
enum End {
    Stopped,
    /// The agent logic is gone: nobody to deliver to.
    NoReceiver,
    Failed(String),
}

async fn run_agent(
    inner: Arc<Inner>,
    agent: Arc<str>,
    mut outbound: mpsc::Receiver<(String, Bytes)>,
    mut stop: watch::Receiver<bool>,
    up: Arc<AtomicBool>,
) {
    let mut backoff = Backoff::new(inner.config.retry);
    loop {
        let end = connection(&inner, &agent, &mut outbound, &mut stop, &up, &mut backoff).await;
        if up.swap(false, Ordering::AcqRel) {
            let down = Inbound::Down {
                agent: agent.clone(),
                protocol: PROTOCOL,
                link: None,
            };
            if inner.inbound.send(down).await.is_err() {
                return;
            }
        }
        match end {
            End::Stopped | End::NoReceiver => return,
            End::Failed(why) => {
                let wait = backoff.next_wait(jitter());
                warn!(%agent, %why, retry_in = ?wait, "STOMP connection lost");
                tokio::select! {
                    _ = sleep(wait) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    }
}

async fn connection(
    inner: &Inner,
    agent: &Arc<str>,
    outbound: &mut mpsc::Receiver<(String, Bytes)>,
    stop: &mut watch::Receiver<bool>,
    up: &AtomicBool,
    backoff: &mut Backoff,
) -> End {
    let cfg = &inner.config;
    let tcp = match timeout(cfg.connect_timeout, TcpStream::connect(&cfg.server)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return End::Failed(format!("connect {}: {e}", cfg.server)),
        Err(_) => return End::Failed(format!("connect {}: timed out", cfg.server)),
    };
    let _ = tcp.set_nodelay(true);
    let Some(tls) = &cfg.tls else {
        return drive(inner, agent, tcp, outbound, stop, up, backoff).await;
    };
    let host = cfg
        .server
        .rsplit_once(':')
        .map_or(cfg.server.as_str(), |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(name) = rustls::pki_types::ServerName::try_from(host.to_string()) else {
        return End::Failed(format!("{host} is not a TLS server name"));
    };
    let connector = tokio_rustls::TlsConnector::from(tls.clone());
    match timeout(cfg.connect_timeout, connector.connect(name, tcp)).await {
        Ok(Ok(s)) => drive(inner, agent, s, outbound, stop, up, backoff).await,
        Ok(Err(e)) => End::Failed(format!("TLS: {e}")),
        Err(_) => End::Failed("TLS handshake timed out".into()),
    }
}

async fn write<S: AsyncWrite + Unpin>(
    s: &mut S,
    bytes: &[u8],
    limit: Duration,
) -> Result<(), String> {
    match timeout(limit, s.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write: {e}")),
        Err(_) => Err("write timed out".into()),
    }
}

fn encode(frame: &Frame) -> Result<Bytes, String> {
    frame
        .to_bytes()
        .map_err(|e| format!("cannot encode {:?}: {e}", frame.command))
}

/// Silence tolerated beyond the negotiated period before the broker is
/// taken for dead: network jitter and the broker's own scheduling.
fn tolerance(period: Duration) -> Duration {
    period * 2 + Duration::from_secs(1)
}

#[allow(clippy::too_many_arguments)]
async fn drive<S: AsyncRead + AsyncWrite + Unpin>(
    inner: &Inner,
    agent: &Arc<str>,
    mut stream: S,
    outbound: &mut mpsc::Receiver<(String, Bytes)>,
    stop: &mut watch::Receiver<bool>,
    up: &AtomicBool,
    backoff: &mut Backoff,
) -> End {
    let cfg = &inner.config;
    let identity = Identity {
        agent: agent.clone(),
        vhost: cfg.vhost.clone(),
        login: cfg.login.clone(),
        passcode: cfg.passcode.clone(),
        destination: cfg.destination_template.replace("{eid}", agent),
        heartbeat_send: cfg.heartbeat_send,
        heartbeat_receive: cfg.heartbeat_receive,
    };
    let mut session = Session::new(identity, cfg.max_record_bytes);
    let mut decoder = Decoder::new(Limits {
        max_body: cfg.max_record_bytes,
        ..Limits::default()
    });
    let first = match encode(&session.connect_frame()) {
        Ok(b) => b,
        Err(e) => return End::Failed(e),
    };
    if let Err(e) = write(&mut stream, &first, cfg.connect_timeout).await {
        return End::Failed(e);
    }
    let handshake_deadline = Instant::now() + cfg.connect_timeout;
    let mut last_read = Instant::now();
    let mut last_write = Instant::now();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let (send_every, expect_within) = session.heartbeats();
        let is_up = up.load(Ordering::Acquire);
        let read_deadline = match (is_up, expect_within) {
            (false, _) => handshake_deadline,
            (true, Some(p)) => last_read + tolerance(p),
            (true, None) => last_read + Duration::from_secs(86_400 * 365),
        };
        let beat_at = send_every.map(|p| last_write + p);
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = match read {
                    Ok(0) => return End::Failed("broker closed the connection".into()),
                    Ok(n) => n,
                    Err(e) => return End::Failed(format!("read: {e}")),
                };
                last_read = Instant::now();
                decoder.feed(&buf[..n]);
                loop {
                    let item = match decoder.next() {
                        Ok(Some(item)) => item,
                        Ok(None) => break,
                        Err(e) => return End::Failed(format!("bad frame from broker: {e}")),
                    };
                    let actions = match item {
                        Item::HeartBeat => continue,
                        Item::Oversized { command, length, .. } => {
                            if command == Command::Message {
                                vec![session.on_oversized(length)]
                            } else {
                                return End::Failed(format!("oversized {command:?} frame"));
                            }
                        }
                        Item::Frame(frame) => match session.on_frame(frame) {
                            Ok(actions) => actions,
                            Err(e) => return End::Failed(e.to_string()),
                        },
                    };
                    for action in actions {
                        match action {
                            Action::Write(frame) => {
                                let bytes = match encode(&frame) {
                                    Ok(b) => b,
                                    Err(e) => return End::Failed(e),
                                };
                                if let Err(e) = write(&mut stream, &bytes, cfg.connect_timeout).await {
                                    return End::Failed(e);
                                }
                                last_write = Instant::now();
                            }
                            Action::Up { destination } => {
                                info!(%agent, %destination, "STOMP subscribed");
                                backoff.reset();
                                up.store(true, Ordering::Release);
                                let link = LinkUp::Stomp { subscribed_destination: destination };
                                if inner.inbound.send(Inbound::Up { agent: agent.clone(), link }).await.is_err() {
                                    return End::NoReceiver;
                                }
                            }
                            Action::Record { reply, payload } => {
                                let rec = Inbound::Record { agent: agent.clone(), reply, payload };
                                if inner.inbound.send(rec).await.is_err() {
                                    return End::NoReceiver;
                                }
                            }
                            Action::Dropped { reason } => warn!(%agent, %reason, "STOMP message dropped"),
                        }
                    }
                }
            }
            Some((destination, payload)) = outbound.recv(), if is_up => {
                let Some(frame) = session.send_frame(&destination, payload) else { continue };
                let bytes = match encode(&frame) {
                    Ok(b) => b,
                    Err(e) => {
                        warn!(%agent, %destination, error = %e, "record not sent");
                        continue;
                    }
                };
                if let Err(e) = write(&mut stream, &bytes, cfg.connect_timeout).await {
                    return End::Failed(e);
                }
                debug!(%agent, %destination, bytes = bytes.len(), "STOMP SEND");
                last_write = Instant::now();
            }
            _ = sleep_until(beat_at.unwrap_or(read_deadline)), if beat_at.is_some() => {
                if let Err(e) = write(&mut stream, b"\n", cfg.connect_timeout).await {
                    return End::Failed(e);
                }
                last_write = Instant::now();
            }
            _ = sleep_until(read_deadline) => {
                return End::Failed(if is_up { "broker heart-beats stopped" } else { "no CONNECTED/RECEIPT in time" }.into());
            }
            _ = stop.changed() => {
                let bye = Frame::new(Command::Disconnect);
                if let Ok(bytes) = encode(&bye) {
                    let _ = write(&mut stream, &bytes, Duration::from_secs(1)).await;
                }
                let _ = stream.shutdown().await;
                return End::Stopped;
            }
        }
    }
}

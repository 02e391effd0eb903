//! WebSocket MTP (RFC 6455), as a server that controllers connect to and
//! as a client that connects to controllers ([`WsMtp`]).
//!
//! **Server.** One listener serves every agent, each at its own resource
//! path (R-WS.2), by default `/usp/agent/{eid}` with the endpoint ID
//! percent-encoded ([`resource::PathTemplate`]). An unknown path is
//! refused with 404 before the upgrade; a request without the `v1.usp`
//! subprotocol with 400 (R-WS.9-12); the answer echoes `v1.usp` (R-WS.11).
//! The controller's endpoint ID comes from the `eid` query parameter,
//! percent-decoded (R-WS.10b/10c), and becomes the link's `peer`.
//!
//! **Client.** [`WsMtp::connect`] keeps one session from an agent to a
//! controller URL (`ws://` or `wss://`), offering `v1.usp` and appending
//! `eid=<agent>` to the query (R-WS.5, R-WS.10/10b), refusing a server
//! that does not echo the subprotocol (R-WS.12), and retrying on the
//! `SessionRetry*` schedule, reset once a session is up (R-WS.19/20).
//!
//! **Sessions.** Records travel as binary messages (R-WS.14); fragmented
//! ones are reassembled by tungstenite (R-WS.14b) up to `max_record_bytes`,
//! beyond which the session closes with 1009. A text message closes it with
//! 1003 (R-WS.16); a Record that does not decode is the agent logic's to
//! judge, and it closes the link with [`WsMtp::close`]`(link, 1003)`. Pings
//! go out every `ping_interval` (R-WS.17/18) and a peer silent for
//! `ping_interval + pong_timeout` is dropped.
//!
//! **One session per pair (R-WS.4).** A new session between an agent and a
//! controller (same `eid`) replaces the older one, which is closed with
//! 1000: a controller that reconnects after losing its connection would
//! otherwise be locked out until the dead-peer timeout. A controller that
//! gives no `eid` cannot be paired and its sessions are not limited. A
//! client-mode connection is not attempted while the controller already
//! holds a session with the agent.
//!
//! Deviations: the deprecated `bbf-usp-protocol` extension header
//! (R-WS.10a/11a) is neither sent nor read; TLS certificate checks are
//! whatever the given rustls configurations do (R-WS.22/23).

mod client;
pub mod resource;
mod server;
mod session;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use usp::mtp::ReplyTo;

use crate::backoff::RetryPolicy;
use crate::{Inbound, MtpError, Outbound, DEFAULT_MAX_RECORD_BYTES};
use resource::PathTemplate;

/// Bytes read from a WebSocket at a time. tungstenite's 128 KiB default
/// is allocated per session and zero-filled again whenever a Record still
/// held by the agents keeps the old buffer: most of a small Record's
/// receive cost. A larger Record takes a few more reads.
const READ_BUFFER: usize = 8 * 1024;

#[derive(Debug, Clone)]
pub struct WsConfig {
    /// Where the server listens (loopback by default); `None`: client only.
    pub listen: Option<SocketAddr>,
    /// Resource path of each agent; must hold `{eid}` once.
    pub path_template: String,
    /// `wss` for the server when set (build it with the gateway's TLS
    /// settings, e.g. `acs::tls::server_config`).
    pub server_tls: Option<Arc<rustls::ServerConfig>>,
    /// Trust for `wss://` controller URLs; without it they are refused.
    pub client_tls: Option<Arc<rustls::ClientConfig>>,
    /// Bounds the TCP connect, TLS and HTTP upgrade, and every write.
    pub handshake_timeout: Duration,
    /// Sessions (and handshakes in progress) the server holds at once.
    pub max_sessions: usize,
    /// Keep-alive Ping period (`.WebSocket.KeepAliveInterval`).
    pub ping_interval: Duration,
    /// Extra silence tolerated after a Ping before the peer is dead.
    pub pong_timeout: Duration,
    pub max_record_bytes: usize,
    /// Records waiting to be written, per session.
    pub send_queue: usize,
    pub retry: RetryPolicy,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            path_template: "/usp/agent/{eid}".into(),
            server_tls: None,
            client_tls: None,
            handshake_timeout: Duration::from_secs(10),
            max_sessions: 10_000,
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(30),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            send_queue: 64,
            retry: RetryPolicy::default(),
        }
    }
}

/// Cloneable handle on the WebSocket MTP of every agent.
#[derive(Clone)]
pub struct WsMtp {
    shared: Arc<Shared>,
    local_addr: Option<SocketAddr>,
}

pub(crate) struct Shared {
    config: WsConfig,
    template: PathTemplate,
    inbound: mpsc::Sender<Inbound>,
    state: Mutex<State>,
    next_link: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Served agents and the stop signals of their client connections.
    agents: HashMap<Arc<str>, Vec<watch::Sender<bool>>>,
    links: HashMap<u64, Link>,
}

struct Link {
    agent: Arc<str>,
    peer: Option<String>,
    outbound: mpsc::Sender<Bytes>,
    close: watch::Sender<Option<u16>>,
}

/// What a session task holds of its link.
pub(crate) struct LinkParts {
    id: u64,
    outbound: mpsc::Receiver<Bytes>,
    close: watch::Receiver<Option<u16>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section is a few map operations that leave the maps
    // consistent, so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn ws_config(&self) -> WebSocketConfig {
        let max = self.config.max_record_bytes;
        WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .max_message_size(Some(max))
            .max_frame_size(Some(max))
    }

    fn serves(&self, agent: &str) -> Option<Arc<str>> {
        lock(&self.state)
            .agents
            .get_key_value(agent)
            .map(|(k, _)| k.clone())
    }

    fn pair_open(&self, agent: &str, peer: &str) -> bool {
        lock(&self.state)
            .links
            .values()
            .any(|l| &*l.agent == agent && l.peer.as_deref() == Some(peer))
    }

    /// Registers a session, closing an older one with the same controller
    /// (R-WS.4); `None` if the agent is no longer served.
    fn open_link(&self, agent: &Arc<str>, peer: Option<String>) -> Option<LinkParts> {
        let (outbound, outbound_rx) = mpsc::channel(self.config.send_queue.max(1));
        let (close, close_rx) = watch::channel(None);
        let id = self.next_link.fetch_add(1, Ordering::Relaxed);
        let mut state = lock(&self.state);
        if !state.agents.contains_key(agent) {
            return None;
        }
        if let Some(peer) = &peer {
            for old in state.links.values() {
                if old.agent == *agent && old.peer.as_ref() == Some(peer) {
                    let _ = old.close.send(Some(1000));
                }
            }
        }
        state.links.insert(
            id,
            Link {
                agent: agent.clone(),
                peer,
                outbound,
                close,
            },
        );
        Some(LinkParts {
            id,
            outbound: outbound_rx,
            close: close_rx,
        })
    }

    fn close_link(&self, link: u64) {
        lock(&self.state).links.remove(&link);
    }
}

impl WsMtp {
    /// Binds the listener (if `config.listen`) and starts serving.
    pub async fn start(config: WsConfig, inbound: mpsc::Sender<Inbound>) -> Result<Self, MtpError> {
        let template = PathTemplate::parse(&config.path_template).map_err(MtpError::Config)?;
        let listen = config.listen;
        let shared = Arc::new(Shared {
            config,
            template,
            inbound,
            state: Mutex::new(State::default()),
            next_link: AtomicU64::new(1),
        });
        let local_addr = match listen {
            Some(addr) => Some(server::listen(shared.clone(), addr).await?),
            None => None,
        };
        Ok(WsMtp { shared, local_addr })
    }

    /// The server's bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The resource path controllers use for `eid`.
    pub fn path_for(&self, eid: &str) -> String {
        self.shared.template.path_for(eid)
    }

    /// Serves `eid` at its resource path.
    pub fn add_agent(&self, eid: &str) -> Result<(), MtpError> {
        let mut state = lock(&self.shared.state);
        if state.agents.contains_key(eid) {
            return Err(MtpError::DuplicateAgent(eid.into()));
        }
        state.agents.insert(eid.into(), Vec::new());
        Ok(())
    }

    /// Stops serving `eid`: its sessions close with 1001, its client
    /// connections stop.
    pub fn remove_agent(&self, eid: &str) -> Result<(), MtpError> {
        let mut state = lock(&self.shared.state);
        let clients = state
            .agents
            .remove(eid)
            .ok_or_else(|| MtpError::UnknownAgent(eid.into()))?;
        for stop in clients {
            let _ = stop.send(true);
        }
        for link in state.links.values().filter(|l| &*l.agent == eid) {
            let _ = link.close.send(Some(1001));
        }
        Ok(())
    }

    /// Keeps a session from `agent` to the controller at `url` (R-WS.5),
    /// reconnecting as long as the agent is served.
    pub fn connect(&self, agent: &str, url: &str, controller: &str) -> Result<(), MtpError> {
        let target = client::Target::parse(
            url,
            agent,
            controller,
            self.shared.config.client_tls.is_some(),
        )?;
        let (stop, stop_rx) = watch::channel(false);
        let agent = {
            let mut state = lock(&self.shared.state);
            let (agent, clients) = state
                .agents
                .get_key_value(agent)
                .map(|(k, _)| k.clone())
                .and_then(|k| state.agents.get_mut(&k).map(|c| (k, c)))
                .ok_or_else(|| MtpError::UnknownAgent(agent.into()))?;
            clients.push(stop);
            agent
        };
        tokio::spawn(client::run(self.shared.clone(), agent, target, stop_rx));
        Ok(())
    }

    /// Queues a binary message on the session `out.to` names; never waits.
    pub fn send(&self, out: Outbound) -> Result<(), MtpError> {
        let ReplyTo::WebSocket { link } = out.to else {
            return Err(MtpError::WrongTransport(out.to.to_string()));
        };
        let state = lock(&self.shared.state);
        let l = state
            .links
            .get(&link)
            .filter(|l| l.agent == out.agent)
            .ok_or_else(|| MtpError::NoLink(format!("{} on {}", out.agent, out.to)))?;
        l.outbound.try_send(out.payload).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => MtpError::QueueFull(out.to.to_string()),
            mpsc::error::TrySendError::Closed(_) => MtpError::NoLink(out.to.to_string()),
        })
    }

    /// Closes session `link` with `code` (1003 for a Record that cannot be
    /// extracted, R-WS.16).
    pub fn close(&self, link: u64, code: u16) -> Result<(), MtpError> {
        if !session::valid_close_code(code) {
            return Err(MtpError::Config(format!(
                "{code} is not a close code to send"
            )));
        }
        let state = lock(&self.shared.state);
        let l = state
            .links
            .get(&link)
            .ok_or_else(|| MtpError::NoLink(format!("ws:#{link}")))?;
        let _ = l.close.send(Some(code));
        Ok(())
    }
}

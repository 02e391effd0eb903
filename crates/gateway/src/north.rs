//! The northbound runtime of `cwmp2usp run`: one USP agent per registered
//! device, their MTPs, and the one task between them. The agent logic
//! (crate `agent`) decides; the MTP shells (crate `mtp`) move Records; this
//! loop only carries events and actions between them and the registry.

use std::sync::Arc;
use std::time::SystemTime;

use agent::local::{AgentConfig, AgentMtp, ControllerConfig, ControllerMtp, Snapshot};
use agent::{Action, Agents, IdScheme, ReplyTo};
use anyhow::Context as _;
use mtp::mqtt::{BrokerUrl, MqttConfig, MqttMtp};
use mtp::stomp::{StompConfig, StompMtp};
use mtp::ws::{WsConfig, WsMtp};
use mtp::{Inbound, Outbound};
use store::Store;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::jitter::Jitter;
use crate::north_args::{MqttVersionArg, NorthArgs, Reach, SchemeArg};

/// Records and link events waiting for the agent logic.
const INBOUND_QUEUE: usize = 4096;
/// Resource path of every agent on the WebSocket server.
pub const WS_PATH: &str = "/usp/agent/{eid}";

/// Everything `run` checked about the northbound before opening anything.
pub struct NorthPlan {
    config: Arc<AgentConfig>,
    scheme: IdScheme,
    ws: Option<WsConfig>,
    mqtt: Option<MqttConfig>,
    stomp: Option<StompConfig>,
    /// Controllers our agents dial themselves: (endpoint ID, URL).
    ws_clients: Vec<(String, String)>,
    onboard_request: bool,
}

pub fn plan(args: &NorthArgs) -> anyhow::Result<NorthPlan> {
    let client_tls = match &args.usp_ca {
        Some(path) => Some(client_tls(path)?),
        None => None,
    };
    let mut mtps = Vec::new();
    let mqtt = match &args.mqtt_url {
        Some(url) => {
            let broker = BrokerUrl::parse(url).map_err(|e| anyhow::anyhow!("--mqtt-url: {e}"))?;
            let mut c = MqttConfig::new(broker);
            c.version = match args.mqtt_version {
                MqttVersionArg::V5 => usp::mtp::MqttVersion::V5,
                MqttVersionArg::V311 => usp::mtp::MqttVersion::V3_1_1,
            };
            c.agent_topic = args.agent_topic.clone();
            c.publish_qos = args.mqtt_publish_qos;
            c.username = args.mqtt_user.clone();
            c.password = args.mqtt_password.clone();
            if c.broker.tls {
                c.tls = Some(client_tls.clone().ok_or_else(|| {
                    anyhow::anyhow!("--mqtt-url mqtts://... needs --usp-ca (the CAs the broker's certificate chains to)")
                })?);
            }
            c.validate()
                .map_err(|e| anyhow::anyhow!("--mqtt-url / --agent-topic: {e}"))?;
            mtps.push(AgentMtp::Mqtt {
                response_topic: args.agent_topic.clone(),
                publish_qos: args.mqtt_publish_qos,
            });
            Some(c)
        }
        None => None,
    };
    let ws = args.ws_listen.0.map(|addr| {
        mtps.push(AgentMtp::WebSocket {
            port: addr.port(),
            path: WS_PATH.into(),
        });
        WsConfig {
            listen: Some(addr),
            path_template: WS_PATH.into(),
            ..WsConfig::default()
        }
    });
    let stomp = match &args.stomp_url {
        Some(url) => {
            let c = stomp_config(url)?;
            mtps.push(AgentMtp::Stomp {
                destination: c.destination_template.clone(),
            });
            Some(c)
        }
        None => None,
    };
    let mut controllers = Vec::new();
    let mut ws_clients = Vec::new();
    for c in &args.controller {
        let mtp = match &c.reach {
            Reach::Mqtt(topic) => {
                if mqtt.is_none() {
                    anyhow::bail!(
                        "--controller {}: an MQTT controller needs --mqtt-url",
                        c.endpoint_id
                    );
                }
                ControllerMtp::Mqtt {
                    topic: topic.clone(),
                }
            }
            Reach::Stomp(destination) => {
                if stomp.is_none() {
                    anyhow::bail!(
                        "--controller {}: a STOMP controller needs --stomp-url",
                        c.endpoint_id
                    );
                }
                ControllerMtp::Stomp {
                    destination: destination.clone(),
                }
            }
            Reach::WebSocket(url) => {
                ws_clients.push((c.endpoint_id.clone(), url.clone()));
                ws_controller(url)?
            }
        };
        controllers.push(ControllerConfig {
            endpoint_id: c.endpoint_id.clone(),
            assigned_role: String::new(),
            mtps: vec![mtp],
        });
    }
    let ws = match (ws, ws_clients.is_empty()) {
        (None, false) => Some(WsConfig {
            listen: None,
            ..WsConfig::default()
        }),
        (ws, _) => ws,
    };
    let ws = ws.map(|c| WsConfig {
        client_tls: client_tls.clone(),
        ..c
    });
    Ok(NorthPlan {
        config: Arc::new(AgentConfig {
            software_version: env!("CARGO_PKG_VERSION").into(),
            mtps,
            controllers,
            notif_retry_min_wait: Some(args.notif_retry_min_wait),
        }),
        scheme: match args.endpoint_scheme {
            SchemeArg::Os => IdScheme::Os,
            SchemeArg::Ops => IdScheme::Ops,
        },
        ws,
        mqtt,
        stomp,
        ws_clients,
        onboard_request: args.onboard_request,
    })
}

/// Trust for the brokers and controllers our agents dial over TLS.
fn client_tls(path: &std::path::Path) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    let certs = acs::tls::load_certs(path).map_err(|e| anyhow::anyhow!("--usp-ca: {e}"))?;
    for c in certs {
        roots
            .add(c)
            .map_err(|e| anyhow::anyhow!("--usp-ca {}: {e}", path.display()))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(acs::tls::provider())
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// `stomp://[USER:PASSWORD@]HOST:PORT[/VHOST]`
fn stomp_config(url: &str) -> anyhow::Result<StompConfig> {
    let rest = url
        .strip_prefix("stomp://")
        .ok_or_else(|| anyhow::anyhow!("--stomp-url: expected stomp://HOST:PORT"))?;
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((a, r)) => (Some(a), r),
        None => (None, rest),
    };
    let (server, vhost) = match rest.split_once('/') {
        Some((s, v)) if !v.is_empty() => (s, v),
        Some((s, _)) => (s, "/"),
        None => (rest, "/"),
    };
    if server
        .rsplit_once(':')
        .is_none_or(|(_, p)| p.parse::<u16>().is_err())
    {
        anyhow::bail!("--stomp-url: expected HOST:PORT, got {server:?}");
    }
    let (login, passcode) = match auth.map(|a| a.split_once(':').unwrap_or((a, ""))) {
        Some((l, p)) => (Some(l.to_string()), Some(p.to_string())),
        None => (None, None),
    };
    Ok(StompConfig {
        server: server.to_string(),
        vhost: vhost.to_string(),
        login,
        passcode,
        ..StompConfig::default()
    })
}

/// The data model's view of a controller we dial: host, port and path.
fn ws_controller(url: &str) -> anyhow::Result<ControllerMtp> {
    let (encryption, rest) = match url.split_once("://") {
        Some(("ws", r)) => (false, r),
        Some(("wss", r)) => (true, r),
        _ => anyhow::bail!("--controller: {url} is not a ws:// or wss:// URL"),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let default_port = if encryption { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse()
                .with_context(|| format!("--controller: bad port in {url}"))?,
        ),
        None => (authority, default_port),
    };
    Ok(ControllerMtp::WebSocket {
        host: host.to_string(),
        port,
        path: path.to_string(),
        encryption,
    })
}

/// The running MTPs, and how to bring one agent up on all of them.
struct Mtps {
    ws: Option<WsMtp>,
    mqtt: Option<MqttMtp>,
    stomp: Option<StompMtp>,
    ws_clients: Vec<(String, String)>,
}

impl Mtps {
    fn bring_up(&self, eid: &str) {
        let warn_on = |what: &str, r: Result<(), mtp::MtpError>| {
            if let Err(e) = r {
                warn!(agent = eid, error = %e, "{what}: agent not added");
            }
        };
        if let Some(ws) = &self.ws {
            if ws.local_addr().is_some() {
                warn_on("WebSocket", ws.add_agent(eid));
            }
            for (controller, url) in &self.ws_clients {
                warn_on("WebSocket client", ws.connect(eid, url, controller));
            }
        }
        if let Some(m) = &self.mqtt {
            warn_on("MQTT", m.add_agent(eid));
        }
        if let Some(s) = &self.stomp {
            warn_on("STOMP", s.add_agent(eid));
        }
    }

    fn send(&self, out: Outbound) {
        let agent = out.agent.clone();
        let result = match &out.to {
            ReplyTo::WebSocket { .. } => self.ws.as_ref().map(|m| m.send(out)),
            ReplyTo::Mqtt { .. } => self.mqtt.as_ref().map(|m| m.send(out)),
            ReplyTo::Stomp { .. } => self.stomp.as_ref().map(|m| m.send(out)),
        };
        match result {
            Some(Ok(())) => {}
            // Expected while a link is down; notifications are retried.
            Some(Err(e @ mtp::MtpError::NoLink(_))) => {
                debug!(agent = %agent, error = %e, "record not sent")
            }
            Some(Err(e)) => warn!(agent = %agent, error = %e, "record not sent"),
            None => warn!(agent = %agent, "record for an MTP that is not configured"),
        }
    }
}

/// The northbound, started: agents up, MTPs listening or connecting.
pub struct North<S> {
    agents: Agents,
    mtps: Mtps,
    scheme: IdScheme,
    store: S,
    inbound: mpsc::Receiver<Inbound>,
    onboard_request: bool,
    jitter: Jitter,
}

impl<S: Store + Clone + Send + Sync + 'static> North<S> {
    /// Starts the MTPs and brings up an agent for every device in the
    /// registry, with the state it had. Adds what a controller needs to
    /// know to `ready`.
    pub async fn start(
        plan: NorthPlan,
        store: S,
        ready: &mut serde_json::Value,
    ) -> anyhow::Result<North<S>> {
        let (tx, inbound) = mpsc::channel(INBOUND_QUEUE);
        let ws = match plan.ws {
            Some(c) => Some(
                WsMtp::start(c, tx.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("WebSocket MTP: {e}"))?,
            ),
            None => None,
        };
        if let Some(addr) = ws.as_ref().and_then(WsMtp::local_addr) {
            ready["usp_ws"] = format!("ws://{addr}{WS_PATH}").into();
        }
        let mqtt = match plan.mqtt {
            Some(c) => {
                Some(MqttMtp::new(c, tx.clone()).map_err(|e| anyhow::anyhow!("MQTT MTP: {e}"))?)
            }
            None => None,
        };
        let stomp = plan.stomp.map(|c| StompMtp::new(c, tx.clone()));
        let mtps = Mtps {
            ws,
            mqtt,
            stomp,
            ws_clients: plan.ws_clients,
        };
        let mut agents = Agents::new(plan.config).context("the LocalAgent data model")?;
        let records = {
            let s = store.clone();
            tokio::task::spawn_blocking(move || s.all().map(|r| (r, s.agent_states())))
                .await
                .context("reading the registry")??
        };
        let (records, states) = (records.0, records.1?);
        let now = SystemTime::now();
        for r in &records {
            match agents.add(
                &r.key.oui,
                &r.key.product_class,
                &r.key.serial,
                plan.scheme,
                now,
            ) {
                Ok(eid) => mtps.bring_up(&eid),
                Err(e) => warn!(device = %r.key.endpoint_id(), error = %e, "no USP agent"),
            }
        }
        for (eid, bytes) in states {
            match serde_json::from_slice::<Snapshot>(&bytes) {
                Ok(s) => {
                    if !agents.restore(&eid, s) {
                        debug!(agent = %eid, "state of an agent whose device is gone");
                    }
                }
                Err(e) => warn!(agent = %eid, error = %e, "agent state unreadable: starting fresh"),
            }
        }
        ready["agents"] = agents.len().into();
        Ok(North {
            agents,
            mtps,
            scheme: plan.scheme,
            store,
            inbound,
            onboard_request: plan.onboard_request,
            jitter: Jitter::new(),
        })
    }

    /// Runs until both inputs end (the ACS stopped and every MTP is gone).
    pub async fn run(mut self, mut devices: mpsc::Receiver<acs::Event>) {
        let mut devices_open = true;
        loop {
            let timer = self.agents.poll_timeout();
            // Unused when there is no deadline, but select! builds it anyway.
            let wake = timer.map_or_else(far_future, instant_of);
            tokio::select! {
                ev = devices.recv(), if devices_open => match ev {
                    Some(ev) => self.on_device_event(ev).await,
                    None => devices_open = false,
                },
                inbound = self.inbound.recv() => match inbound {
                    Some(i) => self.on_inbound(i).await,
                    None => return,
                },
                () = tokio::time::sleep_until(wake), if timer.is_some() => {
                    let jitter = &mut self.jitter;
                    // Never before the deadline, whatever the two clocks say.
                    let now = timer.map_or_else(SystemTime::now, |t| t.max(SystemTime::now()));
                    let actions = self.agents.handle_timeout(now, &mut || jitter.next_u32());
                    debug!(actions = actions.len(), next = ?self.agents.poll_timeout(), "notification timer");
                    self.act(actions).await;
                }
            }
        }
    }

    async fn on_device_event(&mut self, ev: acs::Event) {
        let acs::Event::Informed { device, .. } = ev else {
            return;
        };
        let before = self.agents.len();
        match self.agents.add(
            &device.oui,
            &device.product_class,
            &device.serial,
            self.scheme,
            SystemTime::now(),
        ) {
            Ok(eid) if self.agents.len() > before => {
                info!(agent = %eid, "USP agent up");
                self.mtps.bring_up(&eid);
                // Registered at this Inform: the device's first (agents of
                // devices already registered came up at start).
                if self.onboard_request {
                    let actions = self.agents.on_board(&eid, None, SystemTime::now());
                    self.act(actions).await;
                }
            }
            Ok(_) => {}
            Err(e) => warn!(device = %device.endpoint_id(), error = %e, "no USP agent"),
        }
    }

    async fn on_inbound(&mut self, inbound: Inbound) {
        let now = SystemTime::now();
        let actions = match inbound {
            Inbound::Up { agent, link } => {
                debug!(agent = %agent, protocol = link.protocol(), "MTP link up");
                self.agents.on_mtp_up(&agent, &link, now)
            }
            Inbound::Record {
                agent,
                reply,
                payload,
            } => self.agents.handle_record(&agent, &payload, reply, now),
            Inbound::Down {
                agent,
                protocol,
                link,
            } => {
                debug!(agent = %agent, protocol, "MTP link down");
                self.agents.on_mtp_down(&agent, protocol, link);
                Vec::new()
            }
        };
        self.act(actions).await;
    }

    /// State first, answers after: a controller told that its subscription
    /// exists must find it there after a crash.
    async fn act(&mut self, actions: Vec<Action>) {
        let mut persist = Vec::new();
        let mut sends = Vec::new();
        for a in actions {
            match a {
                Action::Persist { agent, snapshot } => match serde_json::to_vec(&snapshot) {
                    Ok(bytes) => persist.push((agent, Some(bytes))),
                    Err(e) => warn!(agent = %agent, error = %e, "agent state not serialisable"),
                },
                Action::Send { agent, to, record } => sends.push(Outbound {
                    agent: agent.into(),
                    to,
                    payload: record,
                }),
                Action::NotifyAcked { agent, msg_id, .. } => {
                    debug!(agent = %agent, msg_id, "NotifyResp")
                }
            }
        }
        if !persist.is_empty() {
            let store = self.store.clone();
            let written =
                tokio::task::spawn_blocking(move || store.put_agent_states(&persist)).await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(e)) => warn!(error = %e, "agent state not stored"),
                Err(e) => warn!(error = %e, "agent state not stored"),
            }
        }
        for s in sends {
            self.mtps.send(s);
        }
    }
}

/// The tokio instant of a wall-clock deadline (now, if it has passed).
fn instant_of(t: SystemTime) -> tokio::time::Instant {
    let wait = t.duration_since(SystemTime::now()).unwrap_or_default();
    tokio::time::Instant::now() + wait
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86_400)
}

//! What `run`'s northbound flags mean, checked before anything opens: the
//! agents' shared configuration (their MTPs, the controllers) and each MTP
//! shell's settings.

use std::sync::Arc;

use agent::local::{AgentConfig, AgentMtp, ControllerConfig, ControllerMtp};
use agent::IdScheme;
use anyhow::Context as _;
use mtp::mqtt::{BrokerUrl, MqttConfig};
use mtp::stomp::StompConfig;
use mtp::ws::WsConfig;

use super::WS_PATH;
use crate::north_args::{MqttVersionArg, NorthArgs, Reach, SchemeArg};

/// Everything `run` checked about the northbound before opening anything.
pub struct NorthPlan {
    pub(super) config: Arc<AgentConfig>,
    pub(super) scheme: IdScheme,
    pub(super) ws: Option<WsConfig>,
    pub(super) mqtt: Option<MqttConfig>,
    pub(super) stomp: Option<StompConfig>,
    /// Controllers our agents dial themselves: (endpoint ID, URL).
    pub(super) ws_clients: Vec<(String, String)>,
    pub(super) onboard_request: bool,
    /// How USP requests on the CPE's model become CWMP RPCs.
    pub(super) interwork: interwork::Config,
    /// How long each of their RPCs may wait to be sent.
    pub(super) cpe_deadline: std::time::Duration,
    /// Values a Get may answer from cache, and for how long.
    pub(super) max_age: Vec<(String, std::time::Duration)>,
    /// How often parameters refused active notification are read.
    pub(super) value_change_poll: std::time::Duration,
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
            c.subscribe_qos = args.mqtt_subscribe_qos;
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
        interwork: interwork::Config {
            batch: usize::try_from(args.gpv_batch).unwrap_or(32),
            ..interwork::Config::default()
        },
        cpe_deadline: std::time::Duration::from_secs(args.cpe_request_timeout),
        max_age: args
            .get_max_age
            .iter()
            .map(|(p, s)| (p.clone(), std::time::Duration::from_secs(*s)))
            .collect(),
        value_change_poll: std::time::Duration::from_secs(args.value_change_poll),
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

//! `run` flags for the northbound side: how every device's USP agent is
//! reached by controllers (MQTT, WebSocket, STOMP) and who those
//! controllers are.

use std::net::SocketAddr;

/// A configured controller: its endpoint ID and how our agents reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerArg {
    pub endpoint_id: String,
    pub reach: Reach,
}

/// The MTP address of a controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Publish to this MQTT topic.
    Mqtt(String),
    /// SEND to this STOMP destination.
    Stomp(String),
    /// Our agents open a WebSocket to this URL (ws:// or wss://).
    WebSocket(String),
}

/// `EID=TOPIC`, `EID=mqtt:TOPIC`, `EID=stomp:DESTINATION` or
/// `EID=ws://HOST:PORT/PATH` (also `wss://`). The endpoint ID itself holds
/// colons (`proto::controller`), so the split is at the first `=`.
pub fn parse_controller(s: &str) -> Result<ControllerArg, String> {
    let (eid, reach) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected EID=TOPIC (or EID=ws://..., EID=stomp:DEST)"))?;
    let eid = eid.trim();
    if eid.is_empty() || eid.split(':').count() < 3 {
        return Err(format!(
            "{eid:?} is not a USP endpoint ID (scheme:authority:instance, e.g. proto::controller)"
        ));
    }
    let reach = reach.trim();
    let reach = if reach.starts_with("ws://") || reach.starts_with("wss://") {
        Reach::WebSocket(reach.to_string())
    } else if let Some(dest) = reach.strip_prefix("stomp:") {
        Reach::Stomp(dest.to_string())
    } else {
        Reach::Mqtt(reach.strip_prefix("mqtt:").unwrap_or(reach).to_string())
    };
    let empty = match &reach {
        Reach::Mqtt(t) | Reach::Stomp(t) | Reach::WebSocket(t) => t.is_empty(),
    };
    if empty {
        return Err(format!("{s:?}: the controller's address is empty"));
    }
    if let Reach::Mqtt(t) = &reach {
        if t.contains(['+', '#']) {
            return Err(format!("{t:?}: a topic to publish to cannot hold + or #"));
        }
    }
    Ok(ControllerArg {
        endpoint_id: eid.to_string(),
        reach,
    })
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MqttVersionArg {
    #[value(name = "5")]
    V5,
    #[value(name = "3.1.1")]
    V311,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemeArg {
    /// `os::<OUI>-<SerialNumber>`
    Os,
    /// `ops::<OUI>-<ProductClass>-<SerialNumber>`
    Ops,
}

#[derive(clap::Args, Debug)]
pub struct NorthArgs {
    /// MQTT broker every agent connects to, one connection per agent
    /// (`mqtt://HOST:PORT` or `mqtts://HOST:PORT`; default: no MQTT).
    #[arg(long, value_name = "URL", env = "CWMP2USP_MQTT_URL")]
    pub mqtt_url: Option<String>,
    /// MQTT user name of every agent's connection.
    #[arg(long, value_name = "USER", env = "CWMP2USP_MQTT_USER")]
    pub mqtt_user: Option<String>,
    /// MQTT password that goes with --mqtt-user.
    #[arg(long, env = "CWMP2USP_MQTT_PASSWORD", hide_env_values = true)]
    pub mqtt_password: Option<String>,
    /// CA certificates (PEM) the agents trust for mqtts:// brokers and
    /// wss:// controllers.
    #[arg(long, value_name = "FILE", env = "CWMP2USP_USP_CA")]
    pub usp_ca: Option<std::path::PathBuf>,
    /// MQTT protocol version.
    #[arg(long, value_enum, default_value = "5", env = "CWMP2USP_MQTT_VERSION")]
    pub mqtt_version: MqttVersionArg,
    /// Topic each agent subscribes to; `{eid}` becomes its endpoint ID.
    #[arg(
        long,
        default_value = "usp/agent/{eid}",
        value_name = "TEMPLATE",
        env = "CWMP2USP_AGENT_TOPIC"
    )]
    pub agent_topic: String,
    /// QoS of the Records agents publish over MQTT: 1 lets the broker keep
    /// them for a controller with a persistent session that is briefly
    /// away; 0 costs the broker two packets less per Record.
    #[arg(long, default_value_t = 1, value_name = "0|1",
          value_parser = clap::value_parser!(u8).range(0..=1), env = "CWMP2USP_MQTT_PUBLISH_QOS")]
    pub mqtt_publish_qos: u8,
    /// QoS of the agents' MQTT SUBSCRIBE: the most the broker delivers
    /// requests with. 1 lets the broker resend a request whose
    /// acknowledgement was lost; 0 (as obuspa subscribes) spares it a
    /// PUBACK per request.
    #[arg(long, default_value_t = 1, value_name = "0|1",
          value_parser = clap::value_parser!(u8).range(0..=1), env = "CWMP2USP_MQTT_SUBSCRIBE_QOS")]
    pub mqtt_subscribe_qos: u8,
    /// A controller: `EID=TOPIC` (MQTT), `EID=stomp:DESTINATION` or
    /// `EID=ws://HOST:PORT/PATH`. Repeatable; in the environment, separate
    /// several with `;`.
    #[arg(long, value_name = "EID=ADDRESS", value_parser = parse_controller,
          env = "CWMP2USP_CONTROLLER", value_delimiter = ';')]
    pub controller: Vec<ControllerArg>,
    /// WebSocket server for controllers, one resource per agent at
    /// `/usp/agent/<endpoint ID>`; `none` to turn it off.
    #[arg(long, default_value = "127.0.0.1:7550", value_name = "ADDR|none",
          value_parser = parse_ws_listen, env = "CWMP2USP_WS_LISTEN")]
    pub ws_listen: WsListen,
    /// STOMP broker every agent connects to
    /// (`stomp://[USER:PASSWORD@]HOST:PORT[/VHOST]`; default: no STOMP).
    #[arg(
        long,
        value_name = "URL",
        env = "CWMP2USP_STOMP_URL",
        hide_env_values = true
    )]
    pub stomp_url: Option<String>,
    /// How agents' endpoint IDs are built from the CPE's identity.
    #[arg(
        long,
        value_enum,
        default_value = "os",
        env = "CWMP2USP_ENDPOINT_SCHEME"
    )]
    pub endpoint_scheme: SchemeArg,
    /// A new device's agent (its first Inform) sends an OnBoardRequest to
    /// every enabled controller, retried until answered.
    #[arg(long, env = "CWMP2USP_ONBOARD_REQUEST")]
    pub onboard_request: bool,
    /// Seconds before the first retry of an unanswered Notify (the
    /// controllers' USPNotifRetryMinimumWaitInterval; each retry may wait
    /// twice as long, up to 1024 times this).
    #[arg(long, default_value_t = 5, value_name = "SECONDS",
          value_parser = clap::value_parser!(u32).range(1..=65535),
          env = "CWMP2USP_NOTIF_RETRY_MIN_WAIT")]
    pub notif_retry_min_wait: u32,
    /// Seconds a USP request on the CPE's own model waits for each CWMP
    /// RPC to be sent (the CPE woken, its session open); past it the
    /// controller gets vendor error 7801, well before its own timeout.
    #[arg(long, default_value_t = 8, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600),
          env = "CWMP2USP_CPE_REQUEST_TIMEOUT")]
    pub cpe_request_timeout: u64,
    /// Parameter names per GetParameterValues a USP Get becomes.
    #[arg(long, default_value_t = 32, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=1024),
          env = "CWMP2USP_GPV_BATCH")]
    pub gpv_batch: u64,
    /// A parameter (or, ending in `.`, a subtree) whose values a Get may
    /// answer from what was read from the CPE less than SECONDS ago, in
    /// `{i}` form (`Device.DeviceInfo.ModelName=86400`,
    /// `Device.DeviceInfo.=3600`). Repeatable; `;` between several in the
    /// environment. Everything else is read live.
    #[arg(long, value_name = "PATH=SECONDS", value_parser = parse_max_age,
          env = "CWMP2USP_GET_MAX_AGE", value_delimiter = ';')]
    pub get_max_age: Vec<(String, u64)>,
    /// Seconds between reads of the parameters a ValueChange subscription
    /// watches but whose CPE refused active notification (fault 9009):
    /// the gateway reads them this often and notifies what changed.
    #[arg(long, default_value_t = 300, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=86400),
          env = "CWMP2USP_VALUE_CHANGE_POLL")]
    pub value_change_poll: u64,
}

fn parse_max_age(s: &str) -> Result<(String, u64), String> {
    let (path, secs) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("{s:?}: expected PATH=SECONDS"))?;
    if !path.starts_with("Device.") || path.contains('*') {
        return Err(format!("{path:?}: expected a Device. path in {{i}} form"));
    }
    let secs = secs
        .parse::<u64>()
        .map_err(|_| format!("{secs:?}: expected whole seconds"))?;
    Ok((path.to_owned(), secs))
}

/// The WebSocket server's address, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WsListen(pub Option<SocketAddr>);

fn parse_ws_listen(s: &str) -> Result<WsListen, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(WsListen(None));
    }
    s.parse()
        .map(|a| WsListen(Some(a)))
        .map_err(|_| format!("{s:?} is neither host:port nor none"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_controller_is_reached_by_topic_destination_or_url() {
        let c = parse_controller("proto::ctrl=usp/controller/1").unwrap();
        assert_eq!(c.endpoint_id, "proto::ctrl");
        assert_eq!(c.reach, Reach::Mqtt("usp/controller/1".into()));
        assert_eq!(
            parse_controller("proto::c=mqtt:a/b").unwrap().reach,
            Reach::Mqtt("a/b".into())
        );
        assert_eq!(
            parse_controller("proto::c=stomp:/queue/ctl").unwrap().reach,
            Reach::Stomp("/queue/ctl".into())
        );
        assert_eq!(
            parse_controller("proto::c=wss://ctl.example:443/usp")
                .unwrap()
                .reach,
            Reach::WebSocket("wss://ctl.example:443/usp".into())
        );
    }

    #[test]
    fn max_ages_are_paths_with_seconds() {
        assert_eq!(
            parse_max_age("Device.DeviceInfo.=3600").unwrap(),
            ("Device.DeviceInfo.".to_owned(), 3600)
        );
        for bad in ["Device.X", "Foo.X=1", "Device.X=soon", "Device.A.*.B=1"] {
            assert!(parse_max_age(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_controllers_say_what_is_wrong() {
        for (bad, why) in [
            ("usp/controller", "EID=TOPIC"),
            ("ctrl=usp/c", "not a USP endpoint ID"),
            ("proto::c=", "empty"),
            ("proto::c=usp/#", "cannot hold"),
        ] {
            let err = parse_controller(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}

//! `cwmp2usp usp`: a one-shot USP controller for operators and labs. It
//! sends one request to one agent (ours or any other) over WebSocket or
//! MQTT 5 and prints the answer as JSON, as `decode` would.

use std::time::Duration;

use anyhow::{bail, Context as _};
use usp::Msg;

use crate::usp_link::{Link, MqttTarget};

#[derive(clap::Args, Debug)]
pub struct UspArgs {
    /// The agent's WebSocket resource, e.g.
    /// ws://127.0.0.1:7550/usp/agent/os::00D09E-SN1 (its endpoint ID is the
    /// last path segment unless --to says otherwise).
    #[arg(long, value_name = "URL", conflicts_with = "mqtt")]
    ws: Option<String>,
    /// MQTT broker through which the agent is reached (needs --to).
    #[arg(long, value_name = "URL")]
    mqtt: Option<String>,
    /// The agent's topic with MQTT; `{eid}` becomes --to.
    #[arg(long, default_value = "usp/agent/{eid}", value_name = "TEMPLATE")]
    agent_topic: String,
    /// The agent's endpoint ID.
    #[arg(long, value_name = "EID")]
    to: Option<String>,
    /// Our own endpoint ID as controller.
    #[arg(long, default_value = "self::cwmp2usp-cli", value_name = "EID")]
    from: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    timeout: u64,
    /// Print one compact JSON line.
    #[arg(long)]
    compact: bool,
    #[command(subcommand)]
    request: Request,
}

#[derive(clap::Subcommand, Debug)]
enum Request {
    /// Get parameters, objects or search paths.
    Get {
        #[arg(required = true)]
        paths: Vec<String>,
        /// 0 = the whole subtree.
        #[arg(long, default_value_t = 0)]
        max_depth: u32,
    },
    /// Set PARAM=VALUE pairs on one object path (every one required
    /// unless --optional).
    Set {
        object: String,
        #[arg(required = true, value_parser = parse_setting)]
        settings: Vec<(String, String)>,
        #[arg(long)]
        allow_partial: bool,
        #[arg(long)]
        optional: bool,
    },
    /// Add an instance to a table, with PARAM=VALUE settings.
    Add {
        object: String,
        #[arg(value_parser = parse_setting)]
        settings: Vec<(String, String)>,
        #[arg(long)]
        allow_partial: bool,
    },
    /// Delete instances.
    Delete {
        #[arg(required = true)]
        objects: Vec<String>,
        #[arg(long)]
        allow_partial: bool,
    },
    /// List instances of tables.
    Instances {
        #[arg(required = true)]
        objects: Vec<String>,
        #[arg(long)]
        first_level_only: bool,
    },
    /// The supported data model, with commands, events and parameters.
    Supported {
        #[arg(required = true)]
        objects: Vec<String>,
        #[arg(long)]
        first_level_only: bool,
    },
    /// The USP versions the agent speaks.
    Protocol,
}

fn parse_setting(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(p, v)| (p.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?}: expected PARAM=VALUE"))
}

fn build(request: &Request, msg_id: &str) -> Msg {
    use usp::msg;
    match request {
        Request::Get { paths, max_depth } => msg::get(msg_id, paths.clone(), *max_depth),
        Request::Set {
            object,
            settings,
            allow_partial,
            optional,
        } => {
            let s = settings
                .iter()
                .map(|(p, v)| (p.clone(), v.clone(), !optional));
            msg::set(
                msg_id,
                *allow_partial,
                vec![msg::set_obj(object.clone(), s)],
            )
        }
        Request::Add {
            object,
            settings,
            allow_partial,
        } => {
            let s = settings.iter().map(|(p, v)| (p.clone(), v.clone(), true));
            msg::add(
                msg_id,
                *allow_partial,
                vec![msg::add_obj(object.clone(), s)],
            )
        }
        Request::Delete {
            objects,
            allow_partial,
        } => msg::delete(msg_id, *allow_partial, objects.clone()),
        Request::Instances {
            objects,
            first_level_only,
        } => msg::get_instances(msg_id, objects.clone(), *first_level_only),
        Request::Supported {
            objects,
            first_level_only,
        } => msg::get_supported_dm(msg_id, objects.clone(), *first_level_only),
        Request::Protocol => msg::get_supported_protocol(msg_id, "1.0,1.1,1.2,1.3,1.4"),
    }
}

/// The agent's endpoint ID: --to, or the last segment of the WebSocket
/// resource.
fn agent_id(args: &UspArgs) -> anyhow::Result<String> {
    if let Some(to) = &args.to {
        return Ok(to.clone());
    }
    let Some(url) = &args.ws else {
        bail!("--to is required with --mqtt");
    };
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let eid = percent_decode(last);
    if eid.split(':').count() < 3 {
        bail!("cannot tell the agent's endpoint ID from {url}: add --to");
    }
    Ok(eid)
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

pub fn run(args: &UspArgs) -> anyhow::Result<String> {
    let to = agent_id(args)?;
    let msg_id = format!("cli-{}", std::process::id());
    let request = build(&args.request, &msg_id);
    let record = usp::record::no_session_context(&to, &args.from, &request);
    let bytes = usp::encode_record(&record);
    let timeout = Duration::from_secs(args.timeout);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let answer = rt.block_on(async {
        let mut link = match (&args.ws, &args.mqtt) {
            (Some(url), _) => Link::websocket(url, &args.from, timeout).await?,
            (None, Some(url)) => {
                let target = MqttTarget {
                    broker: url.clone(),
                    agent_topic: args.agent_topic.replace("{eid}", &to),
                };
                Link::mqtt(&target, timeout).await?
            }
            (None, None) => bail!("say how to reach the agent: --ws URL or --mqtt URL"),
        };
        link.send(bytes.into()).await?;
        tokio::time::timeout(timeout, link.answer_to(&msg_id))
            .await
            .with_context(|| format!("no answer from {to} within {} s", args.timeout))?
    })?;
    let value = crate::decode::decode(&answer)?;
    let text = if args.compact {
        serde_json::to_string(&value)
    } else {
        serde_json::to_string_pretty(&value)
    };
    text.context("could not render JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct T {
        #[command(flatten)]
        args: UspArgs,
    }

    fn parse(args: &[&str]) -> UspArgs {
        T::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn the_agent_is_named_by_the_websocket_resource() {
        let a = parse(&[
            "--ws",
            "ws://127.0.0.1:7550/usp/agent/os::00D09E-SN%201?x=1",
            "get",
            "Device.LocalAgent.",
        ]);
        assert_eq!(agent_id(&a).unwrap(), "os::00D09E-SN 1");
        let a = parse(&["--mqtt", "mqtt://127.0.0.1:1883", "protocol"]);
        assert!(agent_id(&a).unwrap_err().to_string().contains("--to"));
    }

    #[test]
    fn a_set_carries_required_settings_unless_told_otherwise() {
        let a = parse(&[
            "--to",
            "os::A-1",
            "--ws",
            "ws://h/x",
            "set",
            "Device.LocalAgent.Controller.1.",
            "PeriodicNotifInterval=60",
        ]);
        let m = build(&a.request, "1");
        let Some(usp::proto::usp::request::ReqType::Set(s)) = m.request() else {
            panic!("{m:?}")
        };
        let p = &s.update_objs[0].param_settings[0];
        assert_eq!(
            (p.param.as_str(), p.value.as_str(), p.required),
            ("PeriodicNotifInterval", "60", true)
        );
        assert!(T::try_parse_from(["t", "--ws", "ws://h/x", "set", "Device.", "novalue"]).is_err());
    }
}

//! Where a Record for a controller goes: the controller's enabled MTPs
//! over links the agent has seen come up. Shared by every notification.

use usp::mtp::ReplyTo;

use crate::agents::{MQTT_UP, STOMP_UP};
use crate::dm::Data;
use crate::local::View;

const C: &str = "Device.LocalAgent.Controller.{i}.";

/// The agent's enabled controllers' instance numbers.
pub(crate) fn enabled_controllers(view: &View<'_>) -> Vec<u32> {
    view.instances(C, &[])
        .into_iter()
        .filter(|&c| view.value(&format!("{C}Enable"), &[c]).as_deref() == Some("true"))
        .collect()
}

/// True if one of the agent's own enabled MTPs speaks `protocol`.
pub(crate) fn agent_speaks(view: &View<'_>, protocol: &str) -> bool {
    const MTP: &str = "Device.LocalAgent.MTP.{i}.";
    view.instances(MTP, &[]).into_iter().any(|m| {
        let get = |item: &str| view.value(&format!("{MTP}{item}"), &[m]);
        get("Enable").as_deref() == Some("true") && get("Protocol").as_deref() == Some(protocol)
    })
}

/// Where a Record for `Controller.{c}` goes now: its first enabled MTP
/// over a link that is up (for WebSocket, an open link with that
/// controller).
pub(crate) fn route(
    view: &View<'_>,
    c: u32,
    controller: &str,
    links: (u8, &[(Box<str>, u64)]),
) -> Option<ReplyTo> {
    let (brokers, ws_links) = links;
    let get = |item: &str, m: u32| {
        view.value(&format!("{C}MTP.{{i}}.{item}"), &[c, m])
            .unwrap_or_default()
    };
    view.instances(&format!("{C}MTP.{{i}}."), &[c])
        .into_iter()
        .filter(|&m| get("Enable", m) == "true")
        .find_map(|m| match get("Protocol", m).as_str() {
            "MQTT" if brokers & MQTT_UP != 0 && agent_speaks(view, "MQTT") => {
                let topic = get("MQTT.Topic", m);
                (!topic.is_empty()).then_some(ReplyTo::Mqtt { topic })
            }
            "STOMP" if brokers & STOMP_UP != 0 && agent_speaks(view, "STOMP") => {
                let destination = get("STOMP.Destination", m);
                (!destination.is_empty()).then_some(ReplyTo::Stomp { destination })
            }
            "WebSocket" => ws_links
                .iter()
                .find(|(peer, _)| &**peer == controller)
                .map(|&(_, link)| ReplyTo::WebSocket { link }),
            _ => None,
        })
}

pub(crate) fn param_u32(view: &View<'_>, c: u32, item: &str, default: u32) -> u32 {
    view.value(&format!("{C}{item}"), &[c])
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

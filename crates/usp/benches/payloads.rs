//! The Msgs the codec benchmark and `examples/decode_loop.rs` decode.
//!
//! - `get`: a Get of three paths, as a controller sends.
//! - `get_resp`: what an agent answers for `Device.IP.Interface.1.`: one
//!   resolved result per object, names relative to it, taken from our
//!   TR-181 home-gateway profile.
//! - `get_resp_50`: one object with 50 names sharing a 22-byte prefix, the
//!   worst case for a sorted map (every insert compares long prefixes).

use usp::msg;
use usp::proto::usp::get_resp::ResolvedPathResult;
use usp::proto::usp::Msg;

const MSG_ID: &str = "AXSS-1544114045.442596";

/// (name, Msg) for every payload.
pub fn all() -> [(&'static str, Msg); 3] {
    [
        ("get", get()),
        ("get_resp", get_resp()),
        ("get_resp_50", get_resp_50()),
    ]
}

fn get() -> Msg {
    msg::get(
        MSG_ID,
        [
            "Device.DeviceInfo.",
            "Device.LocalAgent.MTP.*.",
            "Device.WiFi.SSID.[Enable==true].SSID",
        ],
        0,
    )
}

fn object(path: &str, params: &[(&str, &str)]) -> ResolvedPathResult {
    msg::resolved(path, params.iter().copied())
}

fn get_resp() -> Msg {
    let interface = object(
        "Device.IP.Interface.1.",
        &[
            ("Enable", "true"),
            ("IPv4Enable", "true"),
            ("IPv6Enable", "false"),
            ("ULAEnable", "false"),
            ("Status", "Up"),
            ("Alias", "cpe-1"),
            ("Name", "wan"),
            ("LastChange", "3550"),
            ("LowerLayers", "Device.PPP.Interface.1"),
            ("Router", "Device.Routing.Router.1"),
            ("Reset", "false"),
            ("MaxMTUSize", "1492"),
            ("Type", "Normal"),
            ("Loopback", "false"),
            ("IPv4AddressNumberOfEntries", "1"),
            ("IPv6AddressNumberOfEntries", "0"),
            ("IPv6PrefixNumberOfEntries", "0"),
            ("AutoIPEnable", "false"),
            ("TWAMPReflectorNumberOfEntries", "0"),
        ],
    );
    let address = object(
        "Device.IP.Interface.1.IPv4Address.1.",
        &[
            ("Enable", "true"),
            ("Status", "Enabled"),
            ("Alias", "cpe-1"),
            ("IPAddress", "203.0.113.45"),
            ("SubnetMask", "255.255.255.255"),
            ("AddressingType", "IPCP"),
        ],
    );
    let stats = object(
        "Device.IP.Interface.1.Stats.",
        &[
            ("BytesSent", "1803452211"),
            ("BytesReceived", "23875520113"),
            ("PacketsSent", "9834122"),
            ("PacketsReceived", "19022871"),
            ("ErrorsSent", "0"),
            ("ErrorsReceived", "12"),
            ("UnicastPacketsSent", "9811020"),
            ("UnicastPacketsReceived", "18993311"),
            ("DiscardPacketsSent", "0"),
            ("DiscardPacketsReceived", "41"),
            ("MulticastPacketsSent", "23102"),
            ("MulticastPacketsReceived", "29519"),
            ("BroadcastPacketsSent", "0"),
            ("BroadcastPacketsReceived", "0"),
            ("UnknownProtoPacketsReceived", "0"),
        ],
    );
    msg::get_resp(
        MSG_ID,
        vec![msg::get_path_ok(
            "Device.IP.Interface.1.",
            vec![interface, address, stats],
        )],
    )
}

fn get_resp_50() -> Msg {
    let params: Vec<(String, String)> = (0..50)
        .map(|i| {
            (
                format!("Stats.X_Vendor_Counter{i:02}"),
                format!("{}", 1_000_000 + i * 7919),
            )
        })
        .collect();
    msg::get_resp(
        MSG_ID,
        vec![msg::get_path_ok(
            "Device.IP.Interface.1.",
            vec![msg::resolved("Device.IP.Interface.1.", params)],
        )],
    )
}

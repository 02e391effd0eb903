//! The fuzzing entry of the native MQTT client: a [`Protocol`] fed
//! arbitrary broker bytes.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::codec::{ConnectParams, Limits};
use super::protocol::{Protocol, Settings};
use super::wire::Happening;

/// Fuzzing entry (`cargo fuzz` or proptest): `data[0]` picks the version
/// (bit 0) and the read size (the rest), `data[1..]` is what the broker
/// sends after our CONNECT. The agent subscribes on CONNACK and publishes
/// between reads; whatever the bytes, nothing may panic or grow beyond one
/// packet's limit.
#[doc(hidden)]
pub fn fuzz_session(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let v5 = first & 1 == 1;
    let limits = Limits {
        max_packet: 4096,
        max_record: 2048,
    };
    let settings = Settings {
        connect: ConnectParams {
            client_id: String::new(),
            eid: "os::fuzz".into(),
            keep_alive_secs: 5,
            username: None,
            password: None,
            max_packet: 4096,
            receive_maximum: 4,
        },
        keep_alive: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        limits,
        outgoing_inflight: 4,
        subscribe_qos: 1,
    };
    let mut p = Protocol::new(v5, settings);
    let mut now = Instant::now();
    if p.start(now).is_err() {
        return;
    }
    for part in rest.chunks(usize::from(first >> 1).max(1)) {
        p.receive(part);
        loop {
            match p.poll_event(now) {
                Ok(Some(Happening::Connected { .. })) => {
                    let _ = p.subscribe(&["agent/x".to_owned()], now);
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
        let _ = p.publish("c", Some("r"), Bytes::from_static(b"x"), now);
        now += Duration::from_secs(u64::from(part[0] % 8));
        if p.on_timer(now).is_err() {
            return;
        }
        p.transmit().clear();
        p.written();
    }
}

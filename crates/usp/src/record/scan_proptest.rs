//! The scan must never change what a Record decodes to: whatever the
//! input, the fast path and prost alone give the same Record, Msg or error.

use proptest::prelude::*;

use super::*;
use crate::msg;

fn both_paths(input: &[u8]) {
    let prost_only = decode_with_prost(input);
    assert_eq!(decode_record(input), prost_only, "input {input:02x?}");
    let owned = bytes::Bytes::copy_from_slice(input);
    assert_eq!(decode_record_bytes(owned), prost_only, "input {input:02x?}");
}

fn key(tag: u32, wire: u8) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(u64::from(tag << 3 | u32::from(wire)), &mut out);
    out
}

/// One field of a Record-like message, mostly Record fields with the wire
/// types they should have, sometimes not.
fn field() -> impl Strategy<Value = Vec<u8>> {
    let len_field =
        (1u32..=14, proptest::collection::vec(any::<u8>(), 0..12)).prop_map(|(tag, body)| {
            let mut out = key(tag, 2);
            prost::encoding::encode_varint(body.len() as u64, &mut out);
            out.extend(body);
            out
        });
    let text_field = (1u32..=3, "[0-9.]{0,4}|os::[A-Z0-9-]{0,12}").prop_map(|(tag, text)| {
        let mut out = key(tag, 2);
        prost::encoding::encode_varint(text.len() as u64, &mut out);
        out.extend(text.as_bytes());
        out
    });
    let payload = any::<u8>().prop_map(|n| {
        // A NoSessionContext member whose payload is a real Get.
        let m = msg::get(format!("id-{n}"), ["Device."], 0);
        let inner = prost::Message::encode_to_vec(&m);
        let mut body = key(2, 2);
        prost::encoding::encode_varint(inner.len() as u64, &mut body);
        body.extend(inner);
        let mut out = key(7, 2);
        prost::encoding::encode_varint(body.len() as u64, &mut out);
        out.extend(body);
        out
    });
    let other = (1u32..=20, 0u8..=7, any::<u64>()).prop_map(|(tag, wire, v)| {
        let mut out = key(tag, wire);
        prost::encoding::encode_varint(v, &mut out);
        out
    });
    prop_oneof![3 => text_field, 2 => payload, 2 => len_field, 1 => other]
}

fn valid_record() -> Vec<u8> {
    let m = msg::get("id", ["Device.DeviceInfo."], 0);
    encode_record(&no_session_context("os::to", "proto::from", &m))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..64)) {
        both_paths(&input);
    }

    #[test]
    fn assembled_fields(fields in proptest::collection::vec(field(), 0..8)) {
        both_paths(&fields.concat());
    }

    #[test]
    fn damaged_records(at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut input = valid_record();
        let i = at.index(input.len());
        if cut {
            input.truncate(i);
        } else {
            input[i] = byte;
        }
        both_paths(&input);
    }
}

#[test]
fn every_builder_record_takes_the_fast_path() {
    let m = msg::get("id", ["Device."], 0);
    let records = [
        no_session_context("os::to", "proto::from", &m),
        session_context("os::to", "proto::from", 1, 2, 3, &m),
        websocket_connect("os::to", "proto::from"),
        mqtt_connect("os::to", "proto::from", MqttVersion::V5, "usp/agent"),
        stomp_connect("os::to", "proto::from", "/usp/agent"),
        disconnect("os::to", "proto::from", "bye", 7100u32),
        uds_connect("os::to", "proto::from"),
    ];
    for record in records {
        let bytes = encode_record(&record);
        let env = scan::scan(&bytes);
        assert!(env.is_some(), "{record:?}");
        both_paths(&bytes);
        assert_eq!(decode_record(&bytes).map(|d| d.record), Ok(record));
    }
}
